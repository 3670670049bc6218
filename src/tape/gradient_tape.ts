/** `GradientTape`: TensorFlow's tape, with `record(fn)` in place of the `with` block. */
import {
  levelOf,
  removeTransform,
  withOnlyPaused,
  withPaused,
  withTransform,
} from "../core/dispatch.ts";
import {
  checkBoolean,
  checkFunction,
  checkOneOf,
  checkOptions,
  describeValue,
  refuseAsync,
} from "../core/check.ts";
import { isFloat } from "../core/dtype.ts";
import { fmtShape, sameShape, sizeOf } from "../core/shape.ts";
import {
  flatten,
  flattenAs,
  leafName,
  type MapLeaves,
  type Structure,
  unflatten,
} from "../core/structure.ts";
import { Tensor, type TensorLike, uniformTensor } from "../core/tensor.ts";
import { currentValue, Variable } from "../core/variable.ts";
import { toTensor } from "../core/convert.ts";
import { ReverseEngine } from "../reverse/engine.ts";
import { add } from "../ops/binary.ts";
import { eye, fill, zerosLike } from "../ops/creation.ts";
import { broadcastTo, reshape } from "../ops/movement.ts";
import { vmap } from "../transforms/vmap.ts";

export { refuseAsync };

/** Options of `new GradientTape`. */
export interface GradientTapeOptions {
  /** Allow more than one `gradient` or `jacobian` call (default false). */
  persistent?: boolean;
  /** Watch every trainable variable read while recording (default true). */
  watchAccessedVariables?: boolean;
}

/** What a source that the target does not depend on gets. */
export type UnconnectedGradients = "none" | "zero" | "error";

/** Options of `GradientTape.gradient`. */
export interface GradientOptions {
  /**
   * Cotangents of the targets, in the target's structure and shapes (`null` at a place: ones):
   * the gradient of their dot product with the targets.
   */
  outputGradients?: Structure<TensorLike | null> | null;
  /** `"none"` (default): `null`; `"zero"`: zeros; `"error"`: throw, saying why. */
  unconnectedGradients?: UnconnectedGradients;
}

/** Options of `GradientTape.jacobian`. */
export interface JacobianOptions {
  /** As in `gradient`. */
  unconnectedGradients?: UnconnectedGradients;
}

/** What `gradient` and `jacobian` accept as sources: a tensor or variable, or a nested array or record of them. */
export type Sources = Structure<Tensor | Variable>;

/** The result type of `gradient` for sources of type `S`: the same structure, `Tensor | null` at each leaf. */
export type Gradients<S> = MapLeaves<S, Tensor | null>;

/**
 * What `gradient` accepts as a target: a tensor or variable, or an array or record of them nested
 * as deep as you like (their gradients are summed).
 */
export type Targets = Structure<Tensor | Variable>;

// Set by GradientTape's static block: reaches a tape's engine for `retainRecording`.
let retain: (tape: GradientTape, extra: readonly Tensor[]) => void;

/**
 * Records operations so that their gradients can be computed: TensorFlow's `tf.GradientTape`,
 * with `tape.record(() => …)` for the `with` block.
 *
 * @example The derivative of x² at 3
 * ```ts
 * import assert from "node:assert/strict";
 * import { GradientTape, Variable } from "@gradtape/gradtape";
 * const x = new Variable(3.0, { name: "x" });
 * const tape = new GradientTape();
 * const y = tape.record(() => x.square());
 * assert.equal(String(tape.gradient(y, x)), "Tensor(6, shape=[], dtype=float32)");
 * ```
 */
export class GradientTape {
  readonly #persistent: boolean;
  readonly #watchAccessed: boolean;
  #engine: ReverseEngine;
  #recording = false;
  #used = false;
  #disposed = false;
  // What a used-up tape watched: TensorFlow's tape still answers watched_variables().
  #usedWatched: Variable[] = [];

  static {
    retain = (tape, extra) => tape.#engine.retain(extra);
  }

  /** A new tape; it records only inside `record`. */
  constructor(options: GradientTapeOptions = {}) {
    checkOptions("GradientTape", options, ["persistent", "watchAccessedVariables"]);
    const { persistent = false, watchAccessedVariables = true } = options;
    checkBoolean("GradientTape", "persistent", persistent);
    checkBoolean("GradientTape", "watchAccessedVariables", watchAccessedVariables);
    this.#persistent = persistent;
    this.#watchAccessed = watchAccessedVariables;
    this.#engine = new ReverseEngine(this.#watchAccessed);
  }

  /** Whether this tape allows more than one `gradient` call. */
  get persistent(): boolean {
    return this.#persistent;
  }

  /**
   * Runs `fn` while this tape records, and returns what `fn` returns. May be called more than
   * once; tapes nest. `fn` must be synchronous.
   *
   * @param fn The computation to record.
   * @returns `fn`'s result.
   * @example Recording a computation
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const w = new Variable(2);
   * const tape = new GradientTape();
   * const y = tape.record(() => w.mul(w).add(1)); // record returns what fn returns
   * assert.equal(y.item(), 5);
   * assert.equal(tape.gradient(y, w)?.item(), 4);
   * ```
   */
  record<T>(fn: () => T): T {
    this.#check("record");
    checkFunction("GradientTape.record", "fn", fn);
    if (this.#used) throw usedUp("record");
    if (this.#recording) return refuseAsync("GradientTape.record", fn());
    this.#recording = true;
    try {
      return refuseAsync("GradientTape.record", withTransform(this.#engine, fn));
    } finally {
      this.#recording = false;
    }
  }

  /**
   * Watches tensors (or variables) so that gradients with respect to them can be taken:
   * `x` may be a tensor, a variable, or an array or record of them.
   *
   * @param x What to watch.
   * @example Watching a constant
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, GradientTape } from "@gradtape/gradtape";
   * const x = constant(3);
   * const tape = new GradientTape();
   * const y = tape.record(() => {
   *   tape.watch(x);
   *   return x.square();
   * });
   * assert.equal(tape.gradient(y, x)?.item(), 6);
   * ```
   */
  watch(x: Sources): void {
    this.#check("watch");
    for (const leaf of flatten(x, "GradientTape.watch", "x").leaves) {
      if (leaf instanceof Variable) this.#engine.watchVariable(leaf);
      else this.#engine.watch(leaf);
    }
  }

  /**
   * The gradient of `target` (summed over its elements, or dotted with `outputGradients`) with
   * respect to each source, in the sources' structure: `null` where a source is not connected.
   *
   * @param target A tensor or variable, or an array or record of them (nested as deep as you
   *   like) whose gradients are summed.
   * @param sources A tensor or variable, or a nested array or record of them.
   * @param options `outputGradients` and `unconnectedGradients`.
   * @returns The gradients, shaped like `sources`.
   * @example Gradients as a record
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const x = new Variable(2), y = new Variable(3);
   * const tape = new GradientTape();
   * const z = tape.record(() => x.mul(y));
   * const g = tape.gradient(z, { x, y });
   * assert.equal(g.x?.item(), 3);
   * assert.equal(g.y?.item(), 2);
   * ```
   */
  gradient<const S extends Sources>(
    target: Targets,
    sources: S,
    options: GradientOptions = {},
  ): Gradients<S> {
    this.#check("gradient");
    const op = "GradientTape.gradient";
    checkOptions(op, options, ["outputGradients", "unconnectedGradients"]);
    const mode = checkMode(op, options.unconnectedGradients);
    const targets = flatten(target, op, "target");
    const { leaves, paths, def } = flatten(sources, op, "sources");
    const seeds = seedsFor(target, targets, options.outputGradients);
    const grads = this.#run(seeds, leaves, targets.leaves);
    const values = targets.leaves.map(leafValue);
    const out = leaves.map((leaf, i) =>
      this.#finish("gradient", grads[i], leaf, paths[i], values, mode)
    );
    this.#release();
    return unflatten(def, out) as Gradients<S>;
  }

  /**
   * The Jacobian of `target` with respect to each source: entry shapes are
   * `[...target.shape, ...source.shape]`.
   *
   * @param target A tensor.
   * @param sources A tensor or variable, or a nested array or record of them.
   * @param options `unconnectedGradients`.
   * @returns The Jacobians, shaped like `sources`.
   * @example The Jacobian of an elementwise square
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, GradientTape } from "@gradtape/gradtape";
   * const x = constant([1, 2]);
   * const tape = new GradientTape();
   * tape.watch(x);
   * const y = tape.record(() => x.square());
   * assert.deepEqual(tape.jacobian(y, x)?.toArray(), [[2, 0], [0, 4]]);
   * ```
   */
  jacobian<const S extends Sources>(
    target: Tensor | Variable,
    sources: S,
    options: JacobianOptions = {},
  ): Gradients<S> {
    this.#check("jacobian");
    const op = "GradientTape.jacobian";
    checkOptions(op, options, ["unconnectedGradients"]);
    const mode = checkMode(op, options.unconnectedGradients);
    const t = leafValue(checkLeaf(op, "target", target));
    const { leaves, paths, def } = flatten(sources, op, "sources");
    // Row i of the Jacobian is the gradient for the one-hot cotangent e_i: all t.size rows
    // go through one backward pass whose cotangent carries them on a mapped axis.
    const n = t.size;
    const seeds = () => reshape(eye(n, t.dtype), [n, ...t.shape]);
    const rows = this.#batched(t, seeds, n, leaves, target, 0);
    const out = leaves.map((leaf, k) => {
      const shape = [...t.shape, ...leaf.shape];
      // An empty Jacobian is complete whatever the recording: there is nothing to connect.
      if (sizeOf(shape) === 0 && isFloat(leaf.dtype)) return fill(shape, 0, leaf.dtype);
      const jac = rows[k];
      if (jac === null) {
        return this.#finish("jacobian", null, leaf, paths[k], [t], mode) &&
          fill(shape, 0, leaf.dtype);
      }
      return reshape(jac, shape);
    });
    this.#release();
    return unflatten(def, out) as Gradients<S>;
  }

  /**
   * For `target` of shape `[b, ...t]` and `source` `[b, ...s]` whose batch rows are independent,
   * the per-example Jacobians, of shape `[b, ...t, ...s]`.
   *
   * @param target A tensor with a leading batch axis.
   * @param source A tensor or variable with the same leading batch axis.
   * @param options `unconnectedGradients`.
   * @returns The batch of Jacobians, or `null` when not connected.
   * @example Per-example Jacobians
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, GradientTape } from "@gradtape/gradtape";
   * const x = constant([[1, 2], [3, 4]]);
   * const tape = new GradientTape();
   * tape.watch(x);
   * const y = tape.record(() => x.square());
   * // One 2×2 Jacobian per row of x: diag(2·x[b]).
   * assert.deepEqual(tape.batchJacobian(y, x)?.toArray(), [[[2, 0], [0, 4]], [[6, 0], [0, 8]]]);
   * ```
   */
  batchJacobian(
    target: Tensor | Variable,
    source: Tensor | Variable,
    options: JacobianOptions = {},
  ): Tensor | null {
    this.#check("batchJacobian");
    const op = "GradientTape.batchJacobian";
    checkOptions(op, options, ["unconnectedGradients"]);
    const mode = checkMode(op, options.unconnectedGradients);
    const t = leafValue(checkLeaf(op, "target", target));
    checkLeaf(op, "source", source);
    if (t.rank < 1 || source.rank < 1 || t.shape[0] !== source.shape[0]) {
      const ts = fmtShape(t.shape), ss = fmtShape(source.shape);
      throw new Error(
        `GradientTape.batchJacobian: target ${ts} and source ${ss} need the same leading ` +
          `batch dimension`,
      );
    }
    const b = t.shape[0];
    const per = t.size / Math.max(b, 1);
    // Direction j is one-hot at position j of every batch row (the rows are independent, so
    // row b's gradient is row b's Jacobian row j): the per directions in one backward pass,
    // mapped onto axis 1 of the result, [b, per, ...s].
    const tail = t.shape.slice(1);
    const seeds = () =>
      broadcastTo(reshape(eye(per, t.dtype), [per, 1, ...tail]), [per, ...t.shape]);
    const [rows] = this.#batched(t, seeds, per, [source], target, 1);
    const shape = [b, ...tail, ...source.shape.slice(1)];
    let result: Tensor | null;
    if (sizeOf(shape) === 0 && isFloat(source.dtype)) result = fill(shape, 0, source.dtype);
    else if (rows === null) {
      // Explained before the recording is released: the reason comes from it.
      const g = this.#finish("batchJacobian", null, source, "", [t], mode);
      result = g && fill(shape, 0, source.dtype);
    } else result = reshape(rows, shape);
    this.#release();
    return result;
  }

  /**
   * Runs `fn` with this tape not recording; other tapes and accumulators go on recording.
   *
   * @param fn The computation to leave out.
   * @returns `fn`'s result.
   * @example Leaving a computation out
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const x = new Variable(2);
   * const tape = new GradientTape();
   * // y = x · c with c = 3x = 6 left out, so dy/dx is c = 6, not 6x = 12.
   * const y = tape.record(() => x.mul(tape.stopRecording(() => x.mul(3))));
   * assert.equal(tape.gradient(y, x)?.item(), 6);
   * ```
   */
  stopRecording<T>(fn: () => T): T {
    this.#check("stopRecording");
    checkFunction("GradientTape.stopRecording", "fn", fn);
    // As TensorFlow's: only this tape stops; tapes and accumulators inside it go on recording.
    return withOnlyPaused(this.#engine, fn);
  }

  /**
   * Forgets everything recorded and watched, as if this were a new tape.
   *
   * @example Starting over
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const x = new Variable(2);
   * const tape = new GradientTape({ persistent: true });
   * const y = tape.record(() => x.square());
   * tape.reset();
   * assert.deepEqual(tape.watchedVariables(), []);
   * assert.equal(tape.gradient(y, x), null); // what was recorded is gone
   * ```
   */
  reset(): void {
    this.#check("reset");
    this.#engine.clear();
    this.#used = false;
    this.#usedWatched = [];
  }

  /**
   * The variables this tape watches, in the order first watched.
   *
   * @returns The variables.
   * @example Variables read while recording
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const a = new Variable(1, { name: "a" });
   * const b = new Variable(2, { name: "b", trainable: false });
   * const tape = new GradientTape();
   * tape.record(() => a.add(b)); // only trainable variables are watched on reading
   * assert.deepEqual(tape.watchedVariables().map((v) => v.name), ["a"]);
   * ```
   */
  watchedVariables(): Variable[] {
    this.#check("watchedVariables");
    return this.#used ? [...this.#usedWatched] : this.#engine.watchedVariables();
  }

  /**
   * Releases what the tape holds; using it afterwards throws.
   *
   * @example Freeing a persistent tape
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientTape } from "@gradtape/gradtape";
   * const tape = new GradientTape({ persistent: true });
   * tape.dispose();
   * assert.throws(() => tape.record(() => 1), /this tape has been disposed/);
   * ```
   */
  dispose(): void {
    this.#engine.clear();
    this.#disposed = true;
  }

  /** `using tape = new GradientTape(…)` disposes of it at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #check(op: string): void {
    if (this.#disposed) {
      throw new Error(`GradientTape.${op}: this tape has been disposed: create a new GradientTape`);
    }
  }

  // The level to pause from during the backward pass: a persistent tape recording its own call
  // records it too; a non-persistent one stops recording first, as TensorFlow's does.
  #pauseLevel(): number {
    const level = levelOf(this.#engine);
    if (level < 0) return -1;
    return this.#persistent ? level + 1 : level;
  }

  #run(
    seeds: Map<Tensor, Tensor>,
    leaves: readonly (Tensor | Variable)[],
    targets: readonly (Tensor | Variable)[],
  ): (Tensor | null)[] {
    if (this.#used) throw usedUp("gradient");
    const tensors = leaves.map((leaf) => this.#tensorsOf(leaf, targets));
    const keep = new Set<Tensor>();
    for (const ts of tensors) for (const t of ts) keep.add(t);
    const grads = this.#engine.backward(seeds, keep, this.#pauseLevel());
    return leaves.map((leaf, i) => {
      if (!isFloat(leaf.dtype)) return null;
      let sum: Tensor | null = null;
      for (const t of tensors[i]) {
        const g = grads.get(t);
        if (g !== undefined) {
          sum = sum === null ? g : withPaused(this.#pauseLevel(), () => add(sum!, g));
        }
      }
      return sum;
    });
  }

  // The tensors whose gradients make up `leaf`'s: a variable's reads, and its value when it is
  // itself a target (so that it gets its seed even if never read, as TensorFlow's
  // sources_that_are_targets; a tensor target that is a source gets its seed from `backward`).
  #tensorsOf(leaf: Tensor | Variable, targets: readonly (Tensor | Variable)[]): readonly Tensor[] {
    if (!(leaf instanceof Variable)) return [leaf];
    const reads = this.#engine.readsOf(leaf);
    if (!targets.includes(leaf)) return reads;
    const value = currentValue(leaf);
    return reads.includes(value) ? reads : [...reads, value];
  }

  // One backward pass for `n` cotangents of `t` at once, as JAX's vmap of the pullback: `seeds()`
  // gives them stacked, [n, ...t.shape], and the pass runs under vmap over that axis, so every
  // VJP rule binds its ops with the mapped cotangent and each op runs once, on all n rows. Each
  // leaf's gradients come back stacked on axis `axis` (null: not connected).
  #batched(
    t: Tensor,
    seeds: () => Tensor,
    n: number,
    leaves: readonly (Tensor | Variable)[],
    target: Tensor | Variable,
    axis: number,
  ): (Tensor | null)[] {
    if (this.#used) throw usedUp("jacobian");
    if (n === 0 || !isFloat(t.dtype)) return leaves.map(() => null);
    const tensors = leaves.map((leaf) => this.#tensorsOf(leaf, [target]));
    const keep = new Set<Tensor>();
    for (const ts of tensors) for (const x of ts) keep.add(x);
    const found: boolean[] = [];
    const pass = (seed: Tensor): Tensor[] => {
      // Paused from outside (below): vmap's map sits above the paused levels and stays active.
      const grads = this.#engine.backward(new Map([[t, seed]]), keep, -1);
      const out: Tensor[] = [];
      leaves.forEach((leaf, i) => {
        let sum: Tensor | null = null;
        if (isFloat(leaf.dtype)) {
          for (const x of tensors[i]) {
            const g = grads.get(x);
            if (g !== undefined) sum = sum === null ? g : add(sum, g);
          }
        }
        found[i] = sum !== null;
        if (sum !== null) out.push(sum);
      });
      return out;
    };
    const mapped = withPaused(this.#pauseLevel(), () => {
      const s = seeds();
      return vmap(pass, { outAxes: axis })(s);
    });
    let at = 0;
    return leaves.map((_, i) => (found[i] ? mapped[at++] : null));
  }

  #finish(
    op: string,
    g: Tensor | null,
    leaf: Tensor | Variable,
    path: string,
    targets: readonly Tensor[],
    mode: UnconnectedGradients,
  ): Tensor | null {
    if (g !== null || mode === "none") return g;
    if (mode === "zero") return zerosLike(leafValue(leaf));
    const name = leafName(leaf, path);
    if (!isFloat(leaf.dtype)) {
      throw new Error(
        `GradientTape.${op}: ${name} has dtype ${leaf.dtype}, which cannot carry a gradient: ` +
          `only float32 and float64 sources get gradients (cast it to a float dtype before ` +
          `recording)`,
      );
    }
    const reason = this.#reason(leaf, targets);
    throw new Error(`GradientTape.${op}: ${name} is not connected to the target: ${reason}`);
  }

  // Why `leaf` got no gradient, in words a user can act on.
  #reason(leaf: Tensor | Variable, targets: readonly Tensor[]): string {
    const engine = this.#engine;
    if (leaf instanceof Variable && engine.readsOf(leaf).length === 0) {
      if (!engine.wasRead(leaf)) return "it was never read while the tape recorded";
      const why = leaf.trainable
        ? "the tape has watchAccessedVariables: false"
        : "it is not trainable";
      return `it was read while the tape recorded but not watched (${why}): call tape.watch(v) inside record`;
    }
    const tensors = leaf instanceof Variable ? engine.readsOf(leaf) : [leaf];
    const why = engine.explain(tensors, targets);
    if (why.kind === "cut") {
      return `the path from it to the target is cut by ${why.op}, which has no gradient`;
    }
    if (why.kind === "not-watched") {
      return "it was never watched: call tape.watch(x) inside record, or use a trainable Variable";
    }
    return "it is watched but not used in computing the target inside the recording";
  }

  #release(): void {
    if (this.#persistent) return;
    this.#used = true;
    this.#usedWatched = this.#engine.watchedVariables();
    // As in TensorFlow, a non-persistent tape stops recording at its first gradient call.
    removeTransform(this.#engine);
    this.#engine.clear();
  }
}

/**
 * Keeps what `tape` recorded, and `extra`, from the `tidy` scopes open now, for a backward pass
 * after they close. Internal (`vjp`).
 */
export function retainRecording(tape: GradientTape, extra: readonly Tensor[]): void {
  retain(tape, extra);
}

function leafValue(leaf: Tensor | Variable): Tensor {
  return leaf instanceof Variable ? currentValue(leaf) : leaf;
}

function usedUp(op: string): Error {
  return new Error(
    `GradientTape.${op}: this tape is used up: a non-persistent tape releases its recording at ` +
      `the first gradient or jacobian call; create it with new GradientTape({ persistent: true }) ` +
      `to call gradient more than once`,
  );
}

function checkMode(op: string, mode: unknown): UnconnectedGradients {
  if (mode === undefined) return "none";
  checkOneOf(op, "unconnectedGradients", mode, ["none", "zero", "error"]);
  return mode;
}

function checkLeaf(op: string, what: string, x: unknown): Tensor | Variable {
  if (x instanceof Tensor || x instanceof Variable) return x;
  throw new TypeError(`${op}: ${what} must be a Tensor or Variable, not ${describeValue(x)}`);
}

function seedsFor(
  target: unknown,
  targets: { leaves: readonly (Tensor | Variable)[]; paths: readonly string[] },
  outputGradients: unknown,
): Map<Tensor, Tensor> {
  const op = "GradientTape.gradient";
  let given: readonly unknown[] = [];
  if (outputGradients != null) {
    let og = outputGradients;
    // TensorFlow's form for one target: a list with its one gradient.
    if (
      targets.leaves.length === 1 && target === targets.leaves[0] && Array.isArray(og) &&
      og.some((g) => g === null || g instanceof Tensor || g instanceof Variable)
    ) {
      if (og.length !== 1) {
        throw new Error(
          `${op}: ${og.length} output gradients for 1 target: give one per target, in the ` +
            `target's structure`,
        );
      }
      og = og[0];
    }
    given = flattenAs(target, og, op, "target", "outputGradients");
  }
  const seeds = new Map<Tensor, Tensor>();
  targets.leaves.forEach((leaf, i) => {
    const t = leafValue(leaf);
    if (!isFloat(t.dtype)) return;
    const g = given[i];
    // The default seed is ones, kept as the one value (see uniformTensor) until read densely.
    let s = g == null
      ? uniformTensor(1, t.shape, t.dtype)
      : toTensor(g as TensorLike, { dtype: t.dtype, op });
    if (!sameShape(s.shape, t.shape) || s.dtype !== t.dtype) {
      const where = targets.paths[i] === "" ? "" : ` for target ${targets.paths[i]}`;
      throw new Error(
        `${op}: the output gradient${where} has shape ${fmtShape(s.shape)} and dtype ` +
          `${s.dtype}, but its target has shape ${fmtShape(t.shape)} and dtype ${t.dtype}: ` +
          `they must match`,
      );
    }
    const prev = seeds.get(t);
    if (prev !== undefined) s = add(prev, s);
    seeds.set(t, s);
  });
  return seeds;
}
