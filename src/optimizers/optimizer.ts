/**
 * What the optimizers share: the base class `Optimizer` (checking the pairs, clipping, weight
 * decay, the learning rate and its schedules, the step count and the slots) and its helpers.
 */
import { checkFinite, checkFunction, checkOptions, describeValue } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import { anyActive } from "../core/dispatch.ts";
import { isFloat } from "../core/dtype.ts";
import { Tensor, type TensorLike, tracedStorage } from "../core/tensor.ts";
import { objectId } from "../core/identity.ts";
import { atomically, Variable } from "../core/variable.ts";
import { jit } from "../jit/jit.ts";
import { add, addN, divide, maximum, minimum, multiply, subtract } from "../ops/binary.ts";
import { cast } from "../ops/cast.ts";
import { clipByValue } from "../ops/nn.ts";
import { reduceSum } from "../ops/reduce.ts";
import { sqrt, square } from "../ops/unary.ts";
import { GradientTape } from "../tape/gradient_tape.ts";
import type { GradientPair } from "./gradient_pair.ts";
import { checkHyperparameter, checkPairs, counter, fixSettings, stateOf } from "./_helpers.ts";
import { LearningRateSchedule } from "./schedules.ts";

/**
 * A learning rate: a number, a schedule, or a function of the step count. The function gets the
 * step (`iterations` before the step, a float64 scalar tensor) and returns a number or a scalar
 * float tensor. In eager mode it is called at every step, so it may read JavaScript state; inside
 * `jit` it is traced once, so write it in ops on the step, as the schedules are.
 */
export type LearningRate = number | LearningRateSchedule | ((step: Tensor) => TensorLike);

/** The options every optimizer takes, as Keras's base `Optimizer`. */
export interface OptimizerOptions {
  /**
   * The step size: a non-negative number, a schedule from `optimizers.schedules`, or a function
   * that takes the step count (`iterations` before the step, a float64 scalar tensor) and returns
   * the rate (a number or a scalar tensor), written in ops if the step is to run under `jit`.
   */
  learningRate?: LearningRate;
  /** Decoupled weight decay: each variable first loses `weightDecay · learningRate` of itself. */
  weightDecay?: number;
  /** Rescales each gradient whose L2 norm exceeds this to that norm. */
  clipNorm?: number;
  /** Clips each gradient's elements to `[-clipValue, clipValue]`. */
  clipValue?: number;
  /** Rescales all gradients together when their joint L2 norm exceeds this. */
  globalClipNorm?: number;
}

const BASE_OPTIONS = ["learningRate", "weightDecay", "clipNorm", "clipValue", "globalClipNorm"];

/** What `Optimizer.updateStep` gets for one variable, all float64. */
export interface UpdateContext {
  /** The gradient, clipped. */
  readonly gradient: Tensor;
  /** The variable's value, after weight decay. */
  readonly value: Tensor;
  /** The learning rate of this step (a scalar). */
  readonly learningRate: Tensor;
  /** The step's number, counting from 1 (`iterations + 1`, Keras's `local_step`; a scalar). */
  readonly step: Tensor;
  /** The variable's slots, in the order `slotSpecs` gives them. */
  readonly slots: readonly Variable[];
}

/** A kind of per-variable state: its name (in checkpoints) and the value it starts at. */
export interface SlotSpec {
  /** The slot's name, as Keras's (`"momentum"`, `"velocity"`, …). */
  readonly name: string;
  /** Its initial value, in every element. */
  readonly initial: number;
}

/** Options of `Optimizer.excludeFromWeightDecay`. */
export interface ExcludeOptions {
  /** Variables that keep their full value. */
  varList?: readonly Variable[];
  /** Variables whose name contains one of these keep their full value. */
  varNames?: readonly string[];
}

// Checkpoints ask objects for their hidden state by this key (`Symbol.for`, so that nothing
// needs to import it).
const CHECKPOINT_STATE: unique symbol = Symbol.for("gradtape.checkpointState") as never;

// Programs kept per optimizer, one per list of variables updated together.
const PROGRAMS = 16;

function checkLearningRate(op: string, lr: unknown): LearningRate {
  if (typeof lr === "number") return checkHyperparameter(op, "learningRate", lr, "non-negative");
  if (lr instanceof LearningRateSchedule || typeof lr === "function") {
    return lr as LearningRate;
  }
  throw new TypeError(
    `${op}: learningRate must be a non-negative number, a schedule from optimizers.schedules ` +
      `or a function of the step, not ${describeValue(lr)}`,
  );
}

function optionalPositive(op: string, what: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  checkFinite(op, what, v);
  if (v <= 0) throw new RangeError(`${op}: ${what} must be positive, not ${v}`);
  return v;
}

const MAX_NAMED = 10;

// Why a step with no gradient at all is refused, naming the variables (the pairs are checked).
function noGradients(op: string, pairs: readonly GradientPair[]): string {
  if (pairs.length === 0) {
    return `${op}: no gradients provided for any variable: the list of pairs is empty: give ` +
      `[gradient, variable] pairs, as applyGradients([[gradW, w], [gradB, b]])`;
  }
  const names = pairs.slice(0, MAX_NAMED).map(([, v]) => `'${v.name}'`);
  if (pairs.length > MAX_NAMED) names.push(`and ${pairs.length - MAX_NAMED} more`);
  return `${op}: no gradients provided for any variable: every gradient is null (variables ` +
    `${names.join(", ")}): the loss was most likely not computed from these variables, or ` +
    `the tape did not watch them (record the loss with tape.record(() => ...) reading the ` +
    `variables, or tape.watch them)`;
}

/**
 * The base of every optimizer, as Keras's `Optimizer`: it checks the pairs, clips the gradients
 * (`clipNorm`, `clipValue` or `globalClipNorm`), applies decoupled weight decay, calls the
 * subclass's `updateStep` for each variable and counts the steps. Everything is written in ops
 * and computed in float64 (the state is float64; each variable is rounded once to its dtype):
 * in eager mode `applyGradients` runs those ops as one program compiled by `jit` for each list
 * of variables (fused into a loop or two), and inside a jitted function the same ops join that
 * function's program. The state (`iterations`, the learning rate when it is a number, the slots)
 * is held in variables, so it can be saved, restored and captured by `jit`.
 *
 * @example A custom optimizer: sign descent
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, multiply, optimizers, sign, subtract, type Tensor, Variable } from "@gradtape/gradtape";
 * class SignSGD extends optimizers.Optimizer {
 *   constructor(options: optimizers.OptimizerOptions = {}) {
 *     super("SignSGD", options, [], 0.1);
 *   }
 *   protected slotSpecs(): optimizers.SlotSpec[] {
 *     return [];
 *   }
 *   protected updateStep(c: optimizers.UpdateContext): Tensor {
 *     return subtract(c.value, multiply(c.learningRate, sign(c.gradient)));
 *   }
 * }
 * const w = new Variable([1, 1], { dtype: "float64" });
 * new SignSGD().applyGradients([[constant([3, -0.5], { dtype: "float64" }), w]]);
 * assert.deepEqual(w.value().toArray(), [0.9, 1.1]);
 * ```
 */
export abstract class Optimizer {
  /** The decoupled weight decay, or `undefined` for none. */
  readonly weightDecay: number | undefined;
  /** The per-gradient norm clip, or `undefined`. */
  readonly clipNorm: number | undefined;
  /** The per-element value clip, or `undefined`. */
  readonly clipValue: number | undefined;
  /** The joint norm clip, or `undefined`. */
  readonly globalClipNorm: number | undefined;
  readonly #op: string;
  #iterations = counter();
  // The learning rate when it is a number: a variable, so a jitted step reads each new value.
  #rate: Variable;
  #lr: LearningRate;
  #specs: readonly SlotSpec[] | undefined;
  #slots = new Map<Variable, Variable[]>();
  #extra: [string, Variable][] = [];
  #built = false;
  #excluded = new Set<Variable>();
  #excludedNames: string[] = [];
  #programs = new Map<string, (pairs: [Tensor, Variable][], lr: Tensor) => unknown>();

  /**
   * Checks the options every optimizer takes.
   *
   * @param op The optimizer's name, for errors.
   * @param options The options given.
   * @param names The names of the subclass's own options (accepted beside the common ones).
   * @param defaultLearningRate The learning rate when none is given; `undefined`: required.
   */
  protected constructor(
    op: string,
    options: OptimizerOptions | undefined,
    names: readonly string[],
    defaultLearningRate: number | undefined,
  ) {
    this.#op = op;
    checkOptions(op, options, [...BASE_OPTIONS, ...names]);
    const o = options ?? {};
    if (o.learningRate === undefined && defaultLearningRate === undefined) {
      throw new TypeError(
        `${op}: learningRate is required: new optimizers.${op}({ learningRate: 0.01 })`,
      );
    }
    this.#lr = checkLearningRate(op, o.learningRate ?? defaultLearningRate);
    this.#rate = counter([], typeof this.#lr === "number" ? this.#lr : 0);
    this.weightDecay = o.weightDecay === undefined
      ? undefined
      : checkHyperparameter(op, "weightDecay", o.weightDecay, "non-negative");
    this.clipNorm = optionalPositive(op, "clipNorm", o.clipNorm);
    this.clipValue = optionalPositive(op, "clipValue", o.clipValue);
    this.globalClipNorm = optionalPositive(op, "globalClipNorm", o.globalClipNorm);
    const clips = ["clipNorm", "clipValue", "globalClipNorm"].filter((k) =>
      o[k as keyof OptimizerOptions] !== undefined
    );
    if (clips.length > 1) {
      throw new TypeError(
        `${op}: only one of clipNorm, clipValue and globalClipNorm can be set, not ` +
          clips.join(" and "),
      );
    }
    fixSettings(this, ["weightDecay", "clipNorm", "clipValue", "globalClipNorm"]);
  }

  /**
   * The per-variable state this optimizer keeps (called once, when the first variable is built).
   *
   * @returns The slots' names and initial values.
   */
  protected abstract slotSpecs(): readonly SlotSpec[];

  /**
   * The update of one variable, in ops (so that it runs under `jit`): assigns the slots' new
   * values and returns the variable's new value, all in float64.
   *
   * @param context The gradient, value, learning rate, step and slots of the variable.
   * @returns The variable's new value (float64).
   */
  protected abstract updateStep(context: UpdateContext): Tensor;

  /**
   * Runs once per step before the variables' updates (Nadam's running product); does nothing
   * unless overridden.
   *
   * @param _step The step's number, from 1 (a float64 scalar).
   */
  protected beforeUpdates(_step: Tensor): void {}

  /**
   * A float64 scalar variable of optimizer-wide state (saved in checkpoints under `name`).
   *
   * @param name Its name.
   * @param initial Its initial value.
   * @returns The variable.
   */
  protected addStateVariable(name: string, initial: number): Variable {
    const v = counter([], initial);
    this.#extra.push([name, v]);
    return v;
  }

  /** How many steps have been applied (Keras's `iterations`). */
  get iterations(): number {
    return stateOf(this.#iterations)[0];
  }

  /**
   * The learning rate of the next step: the number, or the schedule or function evaluated at
   * `iterations`. Assign a number, a schedule or a function to change it between steps: a new
   * number reaches steps already compiled by `jit` (it is held in a variable); a change to or
   * from a schedule or function reaches them only when they are traced again. Inside a jitted
   * step, a number argument may be assigned, and each call's number is the rate of that call.
   * Reading it inside `jit`'s trace is an error (the step count has no value there).
   */
  get learningRate(): number {
    return this.#currentRate().item();
  }

  set learningRate(value: LearningRate) {
    // Inside jit a number argument is a traced scalar: the rate variable takes it at every call,
    // so a new learning rate does not trace again.
    if (value instanceof Tensor && tracedStorage(value) !== undefined) {
      if (value.rank !== 0 || !isFloat(value.dtype)) {
        throw new TypeError(
          `${this.#op}.learningRate: a traced value must be a float scalar, not of shape ` +
            `[${value.shape}] and dtype ${value.dtype}`,
        );
      }
      this.#rate.assign(cast(value, "float64"));
      this.#lr = 0; // a number: the rate is read from its variable
      return;
    }
    const lr = checkLearningRate(`${this.#op}.learningRate`, value);
    if (typeof lr === "number") {
      this.#rate.assign(new Tensor(Float64Array.of(lr), [], "float64"));
    }
    this.#lr = lr;
  }

  /**
   * The optimizer's variables: `iterations`, the learning rate, any optimizer-wide state, then
   * each built variable's slots, in the order the variables were first seen.
   */
  get variables(): Variable[] {
    const out = [this.#iterations, this.#rate, ...this.#extra.map(([, v]) => v)];
    for (const slots of this.#slots.values()) out.push(...slots);
    return out;
  }

  /**
   * Makes the slots of `varList` now (`applyGradients` makes them on first use), so that a
   * checkpoint can be restored into them before the first step.
   *
   * @param varList The variables this optimizer will update.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { optimizers, Variable } from "@gradtape/gradtape";
   * const opt = new optimizers.Adam();
   * opt.build([new Variable([1, 2])]);
   * assert.equal(opt.variables.length, 4); // iterations, learning rate, momentum, velocity
   * ```
   */
  build(varList: readonly Variable[]): void {
    const op = `${this.#op}.build`;
    if (!Array.isArray(varList)) {
      throw new TypeError(`${op}: takes an array of variables, not ${describeValue(varList)}`);
    }
    varList.forEach((v, i) => {
      if (!(v instanceof Variable)) {
        throw new TypeError(`${op}: varList[${i}] is ${describeValue(v)}, not a Variable`);
      }
    });
    this.#build(varList);
  }

  #build(varList: readonly Variable[]): void {
    this.#built = true;
    this.#specs ??= this.slotSpecs();
    for (const v of varList) {
      if (this.#slots.has(v)) continue;
      this.#slots.set(
        v,
        this.#specs.map((s) => counter(v.shape, s.initial)),
      );
    }
  }

  /**
   * Exempts variables from weight decay (biases, normalization scales), as Keras's: by identity,
   * or by a part of their name. Call it before the first step.
   *
   * @param options `varList` and `varNames`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, optimizers, Variable } from "@gradtape/gradtape";
   * const w = new Variable(1, { dtype: "float64" }), bias = new Variable(1, { dtype: "float64", name: "bias" });
   * const opt = new optimizers.SGD({ learningRate: 0.5, weightDecay: 0.1 });
   * opt.excludeFromWeightDecay({ varNames: ["bias"] });
   * const zero = constant(0, { dtype: "float64" });
   * opt.applyGradients([[zero, w], [zero, bias]]);
   * assert.deepEqual([w.item(), bias.item()], [0.95, 1]);
   * ```
   */
  excludeFromWeightDecay(options: ExcludeOptions): void {
    const op = `${this.#op}.excludeFromWeightDecay`;
    checkOptions(op, options, ["varList", "varNames"]);
    if (this.#built) {
      throw new Error(
        `${op}: the optimizer has already updated or built variables: exclude them before ` +
          `the first step`,
      );
    }
    const { varList = [], varNames = [] } = options ?? {};
    varList.forEach((v, i) => {
      if (!(v instanceof Variable)) {
        throw new TypeError(`${op}: varList[${i}] is ${describeValue(v)}, not a Variable`);
      }
    });
    varNames.forEach((n, i) => {
      if (typeof n !== "string") {
        throw new TypeError(`${op}: varNames[${i}] is ${describeValue(n)}, not a string`);
      }
    });
    for (const v of varList) this.#excluded.add(v);
    this.#excludedNames.push(...varNames);
  }

  /**
   * Updates each variable by its gradient; a `null` gradient leaves its variable (and its slots)
   * alone. As Keras's, a call with no gradient at all (every one `null`, or no pairs) is an
   * error, not a step: most likely the loss was not computed from the variables, or the tape did
   * not watch them. Every pair is checked first: a refused call changes no variable, no slot and
   * not `iterations`. Inside `jit` which gradients are `null` is known when tracing, so the same
   * holds there, at the trace.
   *
   * @param pairs `[gradient, variable]` pairs.
   * @example One Adam step: the first moves each weight by about the learning rate
   * ```ts
   * import { constant, optimizers, Variable } from "@gradtape/gradtape";
   * import { assertAllClose } from "@gradtape/gradtape/testing";
   * const w = new Variable(1);
   * new optimizers.Adam({ learningRate: 0.1 }).applyGradients([[constant(5), w]]);
   * assertAllClose(w.value(), 0.9);
   * ```
   * @example Gradients of a loss that does not use the variable are all `null`: refused
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, GradientTape, optimizers, Variable } from "@gradtape/gradtape";
   * const w = new Variable(1);
   * const tape = new GradientTape();
   * const loss = tape.record(() => constant(2).square()); // w forgotten
   * const opt = new optimizers.SGD({ learningRate: 0.1 });
   * assert.throws(
   *   () => opt.applyGradients([[tape.gradient(loss, w), w]]),
   *   /SGD\.applyGradients: no gradients provided for any variable/,
   * );
   * assert.equal(opt.iterations, 0);
   * ```
   */
  applyGradients(pairs: readonly GradientPair[]): void {
    const op = `${this.#op}.applyGradients`;
    const checked = checkPairs(op, pairs);
    if (checked.length === 0) throw new Error(noGradients(op, pairs));
    const lr = this.#currentRate();
    this.#build(checked.map(([, v]) => v));
    // Inside a transform (jit's trace, a tape) the ops join what it records; in eager mode they
    // run as one compiled program.
    if (anyActive()) atomically(() => this.#apply(checked, lr));
    else this.#programFor(checked)(checked, lr);
  }

  /**
   * Records `loss()` on a tape, applies the gradients of `varList` (as Keras's `minimize`,
   * watching them even if not trainable) and returns the loss. A variable the loss does not
   * depend on is left alone; a loss that depends on none of them is an error, as in
   * `applyGradients`.
   *
   * @param loss A function that computes the loss from the variables.
   * @param varList The variables to update.
   * @returns The loss, computed before the step.
   * @example Minimising (w - 2)²
   * ```ts
   * import { optimizers, Variable } from "@gradtape/gradtape";
   * import { assertAllClose } from "@gradtape/gradtape/testing";
   * const w = new Variable(0);
   * const opt = new optimizers.Adam({ learningRate: 0.1 });
   * for (let i = 0; i < 200; i++) opt.minimize(() => w.sub(2).square(), [w]);
   * assertAllClose(w.value(), 2, { atol: 5e-3 });
   * ```
   */
  minimize(loss: () => Tensor, varList: readonly Variable[]): Tensor {
    const op = `${this.#op}.minimize`;
    checkFunction(op, "loss", loss);
    if (!Array.isArray(varList)) {
      throw new TypeError(
        `${op}: varList must be an array of variables, not ${describeValue(varList)}`,
      );
    }
    varList.forEach((v, i) => {
      if (!(v instanceof Variable)) {
        throw new TypeError(`${op}: varList[${i}] is ${describeValue(v)}, not a Variable`);
      }
    });
    const tape = new GradientTape();
    const value = tape.record(() => {
      tape.watch([...varList]);
      return loss();
    });
    if (!(value instanceof Tensor)) {
      throw new TypeError(`${op}: loss() must return a Tensor, not ${describeValue(value)}`);
    }
    const grads = tape.gradient(value, [...varList]) as (Tensor | null)[];
    this.applyGradients(varList.map((v, i): GradientPair => [grads[i], v]));
    return value;
  }

  /** The state checkpoints save: `iterations`, the learning rate, and each slot by variable. */
  [CHECKPOINT_STATE](): Record<string, Variable | Map<Variable, Variable>> {
    const state: Record<string, Variable | Map<Variable, Variable>> = {
      iterations: this.#iterations,
      learningRate: this.#rate,
    };
    for (const [name, v] of this.#extra) state[name] = v;
    (this.#specs ?? []).forEach((spec, i) => {
      state[spec.name] = new Map([...this.#slots].map(([v, s]) => [v, s[i]]));
    });
    return state;
  }

  // The learning rate of the step about to run, a float64 scalar (traced inside jit).
  #currentRate(): Tensor {
    const lr = this.#lr;
    if (typeof lr === "number") return this.#rate.value();
    const op = `${this.#op}.learningRate`;
    const step = this.#iterations.value();
    const out = lr instanceof LearningRateSchedule ? lr.call(step) : lr(step);
    if (typeof out === "number") checkFinite(op, "the learning rate", out);
    const t = out instanceof Tensor || typeof out === "number" ? toTensor(out, { op }) : undefined;
    if (t === undefined || t.rank !== 0 || !isFloat(t.dtype)) {
      throw new TypeError(
        `${op}: the schedule or function gave ${describeValue(out)}, not a number or a scalar ` +
          `float tensor: it is called with the step count as a float64 scalar tensor`,
      );
    }
    if (tracedStorage(t) === undefined) {
      const x = t.item();
      if (!(x >= 0) || !Number.isFinite(x)) {
        throw new RangeError(
          `${op}: the schedule or function gave ${x} at step ${this.iterations}, not a ` +
            `finite non-negative number`,
        );
      }
    }
    return cast(t, "float64");
  }

  #programFor(pairs: [Tensor, Variable][]): (ps: [Tensor, Variable][], lr: Tensor) => unknown {
    const key = pairs.map(([, v]) => objectId(v)).join(",");
    let program = this.#programs.get(key);
    if (program !== undefined) {
      this.#programs.delete(key);
    } else {
      const body = (ps: [Tensor, Variable][], lr: Tensor) => {
        this.#apply(ps, lr);
        return [];
      };
      Object.defineProperty(body, "name", { value: `${this.#op}.applyGradients` });
      program = jit(body);
      if (this.#programs.size >= PROGRAMS) {
        this.#programs.delete(this.#programs.keys().next().value!);
      }
    }
    this.#programs.set(key, program);
    return program;
  }

  // Keras's order: clip, decay the weights, update, count the step.
  #apply(pairs: readonly [Tensor, Variable][], lr: Tensor): void {
    const step = add(this.#iterations.value(), 1);
    const grads = this.#clip(pairs.map(([g]) => cast(g, "float64")));
    this.beforeUpdates(step);
    pairs.forEach(([, v], i) => {
      let value = cast(v.value(), "float64");
      if (this.#decays(v)) {
        value = subtract(value, multiply(multiply(value, this.weightDecay!), lr));
      }
      const slots = this.#slots.get(v)!;
      const out = this.updateStep({ gradient: grads[i], value, learningRate: lr, step, slots });
      v.assign(cast(out, v.dtype));
    });
    this.#iterations.assignAdd(1);
  }

  #clip(grads: Tensor[]): Tensor[] {
    const { clipNorm, clipValue, globalClipNorm } = this;
    if (clipNorm !== undefined) {
      return grads.map((g) =>
        divide(multiply(g, clipNorm), maximum(sqrt(reduceSum(square(g))), clipNorm))
      );
    }
    if (globalClipNorm !== undefined && grads.length > 0) {
      const norm = sqrt(addN(grads.map((g) => reduceSum(square(g)))));
      // Keras's scale: 1 below the clip, NaN (every gradient) when the norm is not finite.
      const finite = multiply(globalClipNorm, minimum(divide(1, norm), 1 / globalClipNorm));
      const scale = add(finite, subtract(norm, norm));
      return grads.map((g) => multiply(g, scale));
    }
    if (clipValue !== undefined) return grads.map((g) => clipByValue(g, -clipValue, clipValue));
    return grads;
  }

  #decays(v: Variable): boolean {
    if (this.weightDecay === undefined || this.weightDecay === 0) return false;
    if (this.#excluded.has(v)) return false;
    return !this.#excludedNames.some((n) => v.name.includes(n));
  }
}
