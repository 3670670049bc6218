/**
 * Learning-rate schedules, as `keras.optimizers.schedules`: each maps the optimizer's step count
 * (`iterations` before the step, from 0) to a learning rate. They are written in ops on the step,
 * so a training step that uses one compiles under `jit`, where the step is a traced value read
 * from the optimizer's `iterations` variable at every call.
 *
 * @example An optimizer whose learning rate halves every 100 steps
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizers } from "@gradtape/gradtape";
 * const schedule = new optimizers.schedules.ExponentialDecay(0.1, 100, 0.5, { staircase: true });
 * const opt = new optimizers.Adam({ learningRate: schedule });
 * assert.equal(opt.learningRate, 0.1);
 * assert.equal(schedule.call(250).item(), 0.025);
 * ```
 * @module
 */
import { checkBoolean, checkFinite, checkOptions, describeValue } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { add, divide, maximum, minimum, multiply, pow, subtract } from "../ops/binary.ts";
import { cast } from "../ops/cast.ts";
import { equal, less, lessEqual, where } from "../ops/compare.ts";
import { ceil, cos, floor } from "../ops/unary.ts";
import { fixSettings } from "./_helpers.ts";

/**
 * A learning rate that depends on the step: subclass it and implement `call`, in ops, so that it
 * also runs inside `jit` (where the step has no value).
 *
 * @example A custom schedule: 1/√(step + 1)
 * ```ts
 * import assert from "node:assert/strict";
 * import { add, optimizers, rsqrt, type Tensor, type TensorLike } from "@gradtape/gradtape";
 * class InverseSqrt extends optimizers.schedules.LearningRateSchedule {
 *   call(step: TensorLike): Tensor {
 *     return rsqrt(add(optimizers.schedules.stepOf("InverseSqrt", step), 1));
 *   }
 * }
 * assert.equal(new InverseSqrt().call(3).item(), 0.5);
 * ```
 */
export abstract class LearningRateSchedule {
  /**
   * The learning rate at `step`.
   *
   * @param step The optimizer's step count (a float64 scalar tensor when an optimizer calls).
   * @returns A scalar float64 tensor.
   */
  abstract call(step: TensorLike): Tensor;
}

/**
 * `step` as a float64 scalar tensor, for schedules: a number or a scalar tensor of any numeric
 * dtype.
 *
 * @param op The schedule's name, for errors.
 * @param step The step.
 * @returns The step in float64.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizers } from "@gradtape/gradtape";
 * assert.equal(optimizers.schedules.stepOf("mine", 3).dtype, "float64");
 * ```
 */
export function stepOf(op: string, step: TensorLike): Tensor {
  if (typeof step === "number") checkFinite(op, "step", step);
  const t = toTensor(step, { op, dtype: typeof step === "number" ? "float64" : undefined });
  if (t.rank !== 0 || t.dtype === "bool") {
    throw new TypeError(
      `${op}: the step must be a number or a scalar numeric tensor, not ${describeValue(step)}`,
    );
  }
  return cast(t, "float64");
}

function positive(op: string, what: string, v: unknown): number {
  checkFinite(op, what, v);
  if (v <= 0) throw new RangeError(`${op}: ${what} must be positive, not ${v}`);
  return v;
}

// `step / decaySteps`, rounded down with `staircase`.
function progress(step: Tensor, decaySteps: number, staircase: boolean): Tensor {
  const p = divide(step, decaySteps);
  return staircase ? floor(p) : p;
}

/** Options of `ExponentialDecay` and `InverseTimeDecay`. */
export interface DecayOptions {
  /** Decay in whole periods of `decaySteps` (a step function) rather than continuously. */
  staircase?: boolean;
}

/**
 * `initialLearningRate · decayRate^(step / decaySteps)`, the exponent rounded down with
 * `staircase`, as Keras's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizers } from "@gradtape/gradtape";
 * const s = new optimizers.schedules.ExponentialDecay(1, 10, 0.5);
 * assert.equal(s.call(20).item(), 0.25);
 * ```
 */
export class ExponentialDecay extends LearningRateSchedule {
  /** The learning rate at step 0. */
  readonly initialLearningRate: number;
  /** Steps per period of decay. */
  readonly decaySteps: number;
  /** The factor per period. */
  readonly decayRate: number;
  /** Whether the decay is a step function. */
  readonly staircase: boolean;

  /**
   * A new schedule.
   *
   * @param initialLearningRate The learning rate at step 0.
   * @param decaySteps Steps per period (positive).
   * @param decayRate The factor per period.
   * @param options `staircase` (default false).
   */
  constructor(
    initialLearningRate: number,
    decaySteps: number,
    decayRate: number,
    options: DecayOptions = {},
  ) {
    super();
    const op = "ExponentialDecay";
    checkOptions(op, options, ["staircase"]);
    checkFinite(op, "initialLearningRate", initialLearningRate);
    checkFinite(op, "decayRate", decayRate);
    const { staircase = false } = options;
    checkBoolean(op, "staircase", staircase);
    this.initialLearningRate = initialLearningRate;
    this.decaySteps = positive(op, "decaySteps", decaySteps);
    this.decayRate = decayRate;
    this.staircase = staircase;
    fixSettings(this, ["initialLearningRate", "decaySteps", "decayRate", "staircase"]);
  }

  /**
   * The learning rate at `step`.
   *
   * @param step The step count.
   * @returns A float64 scalar.
   */
  call(step: TensorLike): Tensor {
    const p = progress(stepOf("ExponentialDecay", step), this.decaySteps, this.staircase);
    return multiply(this.initialLearningRate, pow(this.decayRate, p));
  }
}

/**
 * `initialLearningRate / (1 + decayRate · step / decaySteps)`, the ratio rounded down with
 * `staircase`, as Keras's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizers } from "@gradtape/gradtape";
 * const s = new optimizers.schedules.InverseTimeDecay(1, 10, 0.5);
 * assert.equal(s.call(20).item(), 0.5); // 1 / (1 + 0.5·2)
 * ```
 */
export class InverseTimeDecay extends LearningRateSchedule {
  /** The learning rate at step 0. */
  readonly initialLearningRate: number;
  /** Steps per unit of decay. */
  readonly decaySteps: number;
  /** The rate of decay. */
  readonly decayRate: number;
  /** Whether the decay is a step function. */
  readonly staircase: boolean;

  /**
   * A new schedule.
   *
   * @param initialLearningRate The learning rate at step 0.
   * @param decaySteps Steps per unit of decay (positive).
   * @param decayRate The rate of decay.
   * @param options `staircase` (default false).
   */
  constructor(
    initialLearningRate: number,
    decaySteps: number,
    decayRate: number,
    options: DecayOptions = {},
  ) {
    super();
    const op = "InverseTimeDecay";
    checkOptions(op, options, ["staircase"]);
    checkFinite(op, "initialLearningRate", initialLearningRate);
    checkFinite(op, "decayRate", decayRate);
    const { staircase = false } = options;
    checkBoolean(op, "staircase", staircase);
    this.initialLearningRate = initialLearningRate;
    this.decaySteps = positive(op, "decaySteps", decaySteps);
    this.decayRate = decayRate;
    this.staircase = staircase;
    fixSettings(this, ["initialLearningRate", "decaySteps", "decayRate", "staircase"]);
  }

  /**
   * The learning rate at `step`.
   *
   * @param step The step count.
   * @returns A float64 scalar.
   */
  call(step: TensorLike): Tensor {
    const p = progress(stepOf("InverseTimeDecay", step), this.decaySteps, this.staircase);
    return divide(this.initialLearningRate, add(1, multiply(this.decayRate, p)));
  }
}

/**
 * A step function: `values[0]` up to and including step `boundaries[0]`, `values[i]` for
 * `boundaries[i-1] < step ≤ boundaries[i]`, and the last value after the last boundary, as
 * Keras's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizers } from "@gradtape/gradtape";
 * const s = new optimizers.schedules.PiecewiseConstantDecay([100, 200], [1, 0.5, 0.1]);
 * assert.deepEqual([0, 100, 101, 200, 201].map((t) => s.call(t).item()), [1, 1, 0.5, 0.5, 0.1]);
 * ```
 */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  /** The steps where the value changes, increasing. */
  readonly boundaries: readonly number[];
  /** One value more than there are boundaries. */
  readonly values: readonly number[];

  /**
   * A new schedule.
   *
   * @param boundaries Increasing steps (at least one).
   * @param values One more value than boundaries.
   */
  constructor(boundaries: readonly number[], values: readonly number[]) {
    super();
    const op = "PiecewiseConstantDecay";
    for (const [what, list] of [["boundaries", boundaries], ["values", values]] as const) {
      if (!Array.isArray(list)) {
        throw new TypeError(
          `${op}: ${what} must be an array of numbers, not ${describeValue(list)}`,
        );
      }
      list.forEach((x, i) => checkFinite(op, `${what}[${i}]`, x));
    }
    if (boundaries.length === 0 || values.length !== boundaries.length + 1) {
      throw new RangeError(
        `${op}: values must have one more entry than boundaries: ${boundaries.length} ` +
          `boundaries and ${values.length} values`,
      );
    }
    for (let i = 1; i < boundaries.length; i++) {
      if (!(boundaries[i] > boundaries[i - 1])) {
        throw new RangeError(
          `${op}: boundaries must increase: boundaries[${i}] = ${boundaries[i]} follows ` +
            `${boundaries[i - 1]}`,
        );
      }
    }
    this.boundaries = [...boundaries];
    this.values = [...values];
    fixSettings(this, ["boundaries", "values"]);
  }

  /**
   * The learning rate at `step`.
   *
   * @param step The step count.
   * @returns A float64 scalar.
   */
  call(step: TensorLike): Tensor {
    const s = stepOf("PiecewiseConstantDecay", step);
    const { boundaries: b, values: v } = this;
    let out: Tensor = toTensor(v[v.length - 1], { dtype: "float64" });
    for (let i = b.length - 1; i >= 0; i--) out = where(lessEqual(s, b[i]), v[i], out);
    return out;
  }
}

/** Options of `CosineDecay`. */
export interface CosineDecayOptions {
  /** The floor, as a fraction of the rate decayed from (default 0). */
  alpha?: number;
  /** The rate that a linear warmup from `initialLearningRate` reaches (default: no warmup). */
  warmupTarget?: number;
  /** The length of the warmup in steps (default 0). */
  warmupSteps?: number;
}

/**
 * Cosine decay over `decaySteps`, `r · ((1 - α) · ½(1 + cos(π·step/decaySteps)) + α)`, then
 * constant; with `warmupTarget`, first a linear warmup over `warmupSteps` from
 * `initialLearningRate` to `warmupTarget`, which the cosine then decays from, as Keras's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizers } from "@gradtape/gradtape";
 * const s = new optimizers.schedules.CosineDecay(1, 100, { alpha: 0.1 });
 * assert.equal(s.call(50).item(), 0.55); // 0.9·½ + 0.1
 * assert.equal(s.call(300).item(), 0.1);
 * ```
 */
export class CosineDecay extends LearningRateSchedule {
  /** The learning rate at step 0. */
  readonly initialLearningRate: number;
  /** The length of the decay in steps. */
  readonly decaySteps: number;
  /** The floor, as a fraction. */
  readonly alpha: number;
  /** Where the warmup ends, or `undefined` for none. */
  readonly warmupTarget: number | undefined;
  /** The warmup's length in steps. */
  readonly warmupSteps: number;

  /**
   * A new schedule.
   *
   * @param initialLearningRate The learning rate at step 0.
   * @param decaySteps The length of the decay (positive).
   * @param options `alpha`, `warmupTarget` and `warmupSteps`.
   */
  constructor(initialLearningRate: number, decaySteps: number, options: CosineDecayOptions = {}) {
    super();
    const op = "CosineDecay";
    checkOptions(op, options, ["alpha", "warmupTarget", "warmupSteps"]);
    checkFinite(op, "initialLearningRate", initialLearningRate);
    const { alpha = 0, warmupTarget, warmupSteps = 0 } = options;
    checkFinite(op, "alpha", alpha);
    if (warmupTarget !== undefined) checkFinite(op, "warmupTarget", warmupTarget);
    checkFinite(op, "warmupSteps", warmupSteps);
    if (warmupSteps < 0) {
      throw new RangeError(`${op}: warmupSteps must be non-negative, not ${warmupSteps}`);
    }
    this.initialLearningRate = initialLearningRate;
    this.decaySteps = positive(op, "decaySteps", decaySteps);
    this.alpha = alpha;
    this.warmupTarget = warmupTarget;
    this.warmupSteps = warmupSteps;
    fixSettings(this, [
      "initialLearningRate",
      "decaySteps",
      "alpha",
      "warmupTarget",
      "warmupSteps",
    ]);
  }

  #decay(step: Tensor, from: number): Tensor {
    const cosine = multiply(0.5, add(1, cos(multiply(Math.PI, divide(step, this.decaySteps)))));
    return multiply(from, add(multiply(1 - this.alpha, cosine), this.alpha));
  }

  /**
   * The learning rate at `step`.
   *
   * @param step The step count.
   * @returns A float64 scalar.
   */
  call(step: TensorLike): Tensor {
    const s = stepOf("CosineDecay", step);
    const { initialLearningRate: r0, decaySteps, warmupTarget, warmupSteps } = this;
    if (warmupTarget === undefined) return this.#decay(minimum(s, decaySteps), r0);
    const capped = minimum(s, decaySteps + warmupSteps);
    // A warmup of 0 steps never divides: the branch that is taken is the decay's.
    const warm = add(multiply(warmupTarget - r0, divide(capped, Math.max(warmupSteps, 1))), r0);
    const decayed = this.#decay(maximum(subtract(capped, warmupSteps), 0), warmupTarget);
    return where(less(capped, warmupSteps), warm, decayed);
  }
}

/** Options of `PolynomialDecay`. */
export interface PolynomialDecayOptions {
  /** The rate reached after `decaySteps` (default 0.0001). */
  endLearningRate?: number;
  /** The polynomial's power (default 1: linear). */
  power?: number;
  /** Start again after `decaySteps`, over a period that grows to the next multiple of it. */
  cycle?: boolean;
}

/**
 * `(r₀ - r₁)·(1 - step/decaySteps)^power + r₁`, with the step capped at `decaySteps` (or, with
 * `cycle`, `decaySteps` raised to the next multiple above the step), as Keras's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizers } from "@gradtape/gradtape";
 * const s = new optimizers.schedules.PolynomialDecay(1, 10, { endLearningRate: 0, power: 2 });
 * assert.equal(s.call(5).item(), 0.25);
 * assert.equal(s.call(50).item(), 0);
 * ```
 */
export class PolynomialDecay extends LearningRateSchedule {
  /** The learning rate at step 0. */
  readonly initialLearningRate: number;
  /** The length of the decay in steps. */
  readonly decaySteps: number;
  /** The rate at the end. */
  readonly endLearningRate: number;
  /** The power. */
  readonly power: number;
  /** Whether the decay starts again. */
  readonly cycle: boolean;

  /**
   * A new schedule.
   *
   * @param initialLearningRate The learning rate at step 0.
   * @param decaySteps The length of the decay (positive).
   * @param options `endLearningRate`, `power` and `cycle`.
   */
  constructor(
    initialLearningRate: number,
    decaySteps: number,
    options: PolynomialDecayOptions = {},
  ) {
    super();
    const op = "PolynomialDecay";
    checkOptions(op, options, ["endLearningRate", "power", "cycle"]);
    checkFinite(op, "initialLearningRate", initialLearningRate);
    const { endLearningRate = 0.0001, power = 1, cycle = false } = options;
    checkFinite(op, "endLearningRate", endLearningRate);
    checkFinite(op, "power", power);
    checkBoolean(op, "cycle", cycle);
    this.initialLearningRate = initialLearningRate;
    this.decaySteps = positive(op, "decaySteps", decaySteps);
    this.endLearningRate = endLearningRate;
    this.power = power;
    this.cycle = cycle;
    fixSettings(this, ["initialLearningRate", "decaySteps", "endLearningRate", "power", "cycle"]);
  }

  /**
   * The learning rate at `step`.
   *
   * @param step The step count.
   * @returns A float64 scalar.
   */
  call(step: TensorLike): Tensor {
    let s = stepOf("PolynomialDecay", step);
    let steps: Tensor | number = this.decaySteps;
    if (this.cycle) {
      const periods = where(equal(s, 0), 1, ceil(divide(s, this.decaySteps)));
      steps = multiply(this.decaySteps, periods);
    } else {
      s = minimum(s, this.decaySteps);
    }
    const p = divide(s, steps);
    const { initialLearningRate: r0, endLearningRate: r1 } = this;
    return add(multiply(r0 - r1, pow(subtract(1, p), this.power)), r1);
  }
}
