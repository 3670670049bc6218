/** `GradientTape`: TensorFlow's tape, with `record(fn)` in place of the `with` block. */
import {
  levelOf,
  removeTransform,
  withOnlyPaused,
  withPaused,
  withTransform,
} from "../core/dispatch.ts";
import { isFloat } from "../core/dtype.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { flatten, leafName, type MapLeaves, type Structure, unflatten } from "../core/structure.ts";
import { Tensor, uniformTensor } from "../core/tensor.ts";
import { currentValue, Variable } from "../core/variable.ts";
import { toTensor } from "../core/convert.ts";
import { ReverseEngine } from "../reverse/engine.ts";
import { add } from "../ops/binary.ts";
import { fill, zerosLike } from "../ops/creation.ts";
import { reshape, stack } from "../ops/movement.ts";

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
  /** Cotangents of the targets (same structure and shapes): the gradient of their dot product. */
  outputGradients?: Tensor | readonly (Tensor | null)[] | null;
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

/** What `gradient` accepts as a target: one tensor or variable, or an array of them (summed). */
export type Targets = Tensor | Variable | readonly (Tensor | Variable)[];

/**
 * Records operations so that their gradients can be computed: TensorFlow's `tf.GradientTape`,
 * with `tape.record(() => …)` for the `with` block.
 *
 * @example The derivative of x² at 3
 * ```ts
 * import { GradientTape, Variable } from "@gradtape/gradtape";
 * const x = new Variable(3.0, { name: "x" });
 * const tape = new GradientTape();
 * const y = tape.record(() => x.square());
 * console.log(tape.gradient(y, x)?.toString()); // Tensor(6, shape=[], dtype=float32)
 * ```
 */
export class GradientTape {
  readonly #persistent: boolean;
  readonly #watchAccessed: boolean;
  #engine: ReverseEngine;
  #recording = false;
  #used = false;
  #disposed = false;

  /** A new tape; it records only inside `record`. */
  constructor(options: GradientTapeOptions = {}) {
    this.#persistent = options.persistent ?? false;
    this.#watchAccessed = options.watchAccessedVariables ?? true;
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
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const w = new Variable(2);
   * const tape = new GradientTape();
   * const y = tape.record(() => w.mul(w).add(1));
   * console.log(tape.gradient(y, w)?.item()); // 4
   * ```
   */
  record<T>(fn: () => T): T {
    this.#check("record");
    if (this.#used) throw usedUp("record");
    if (this.#recording) return checkSync(fn());
    this.#recording = true;
    try {
      return checkSync(withTransform(this.#engine, fn));
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
   * import { constant, GradientTape } from "@gradtape/gradtape";
   * const x = constant(3);
   * const tape = new GradientTape();
   * const y = tape.record(() => {
   *   tape.watch(x);
   *   return x.square();
   * });
   * console.log(tape.gradient(y, x)?.item()); // 6
   * ```
   */
  watch(x: Sources): void {
    this.#check("watch");
    for (const leaf of flatten(x, "GradientTape.watch").leaves) {
      if (leaf instanceof Variable) this.#engine.watchVariable(leaf);
      else this.#engine.watch(leaf);
    }
  }

  /**
   * The gradient of `target` (summed over its elements, or dotted with `outputGradients`) with
   * respect to each source, in the sources' structure: `null` where a source is not connected.
   *
   * @param target A tensor, or an array of tensors whose gradients are summed.
   * @param sources A tensor or variable, or a nested array or record of them.
   * @param options `outputGradients` and `unconnectedGradients`.
   * @returns The gradients, shaped like `sources`.
   * @example Gradients as a record
   * ```ts
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const x = new Variable(2), y = new Variable(3);
   * const tape = new GradientTape();
   * const z = tape.record(() => x.mul(y));
   * const g = tape.gradient(z, { x, y });
   * console.log(g.x?.item(), g.y?.item()); // 3 2
   * ```
   */
  gradient<const S extends Sources>(
    target: Targets,
    sources: S,
    options: GradientOptions = {},
  ): Gradients<S> {
    this.#check("gradient");
    const { leaves, paths } = flatten(sources, "GradientTape.gradient");
    const mode = checkMode(options.unconnectedGradients);
    const targets = toTargets(target);
    const seeds = seedsFor(targets, options.outputGradients);
    const grads = this.#run(seeds, leaves);
    const out = leaves.map((leaf, i) =>
      this.#finish("gradient", grads[i], leaf, paths[i], targets, mode)
    );
    this.#release();
    return unflatten(sources, out) as Gradients<S>;
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
   * import { constant, GradientTape } from "@gradtape/gradtape";
   * const x = constant([1, 2]);
   * const tape = new GradientTape();
   * tape.watch(x);
   * const y = tape.record(() => x.square());
   * console.log(tape.jacobian(y, x)?.toArray()); // [[2, 0], [0, 4]]
   * ```
   */
  jacobian<const S extends Sources>(
    target: Tensor | Variable,
    sources: S,
    options: JacobianOptions = {},
  ): Gradients<S> {
    this.#check("jacobian");
    const { leaves, paths } = flatten(sources, "GradientTape.jacobian");
    const mode = checkMode(options.unconnectedGradients);
    const t = target instanceof Variable ? currentValue(target) : target;
    const rows = this.#rows(t, leaves, t.size, (i) => oneHot(t, i));
    const out = leaves.map((leaf, k) => {
      const shape = [...t.shape, ...leaf.shape];
      const parts = rows.map((r) => r[k]);
      if (parts.every((p) => p === null)) {
        return this.#finish("jacobian", null, leaf, paths[k], [t], mode) &&
          fill(shape, 0, leaf.dtype);
      }
      const filled = parts.map((p) => p ?? zerosLike(leafValue(leaf)));
      return reshape(t.size === 0 ? fill(shape, 0, leaf.dtype) : stack(filled), shape);
    });
    this.#release();
    return unflatten(sources, out) as Gradients<S>;
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
   * import { constant, GradientTape } from "@gradtape/gradtape";
   * const x = constant([[1, 2], [3, 4]]);
   * const tape = new GradientTape();
   * tape.watch(x);
   * const y = tape.record(() => x.square());
   * console.log(tape.batchJacobian(y, x)?.shape); // [2, 2, 2]
   * ```
   */
  batchJacobian(
    target: Tensor | Variable,
    source: Tensor | Variable,
    options: JacobianOptions = {},
  ): Tensor | null {
    this.#check("batchJacobian");
    const mode = checkMode(options.unconnectedGradients);
    const t = target instanceof Variable ? currentValue(target) : target;
    if (t.rank < 1 || source.rank < 1 || t.shape[0] !== source.shape[0]) {
      const ts = fmtShape(t.shape), ss = fmtShape(source.shape);
      throw new Error(
        `GradientTape.batchJacobian: target ${ts} and source ${ss} need the same leading ` +
          `batch dimension`,
      );
    }
    const b = t.shape[0];
    const per = t.size / Math.max(b, 1);
    const rows = this.#rows(t, [source], per, (j) => batchOneHot(t, j));
    const shape = [b, ...t.shape.slice(1), ...source.shape.slice(1)];
    const parts = rows.map((r) => r[0]);
    let result: Tensor | null;
    if (parts.every((p) => p === null)) {
      // Explained before the recording is released: the reason comes from it.
      const g = this.#finish("batchJacobian", null, source, "", [t], mode);
      result = g && fill(shape, 0, source.dtype);
    } else {
      const filled = parts.map((p) => p ?? zerosLike(leafValue(source)));
      result = reshape(stack(filled, 1), shape);
    }
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
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const x = new Variable(2);
   * const tape = new GradientTape();
   * const y = tape.record(() => x.mul(tape.stopRecording(() => x.mul(3))));
   * console.log(tape.gradient(y, x)?.item()); // 6
   * ```
   */
  stopRecording<T>(fn: () => T): T {
    this.#check("stopRecording");
    // As TensorFlow's: only this tape stops; tapes and accumulators inside it go on recording.
    return withOnlyPaused(this.#engine, fn);
  }

  /**
   * Forgets everything recorded and watched, as if this were a new tape.
   *
   * @example Starting over
   * ```ts
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const x = new Variable(2);
   * const tape = new GradientTape({ persistent: true });
   * tape.record(() => x.square());
   * tape.reset();
   * console.log(tape.watchedVariables().length); // 0
   * ```
   */
  reset(): void {
    this.#check("reset");
    this.#engine.clear();
    this.#used = false;
  }

  /**
   * The variables this tape watches, in the order first watched.
   *
   * @returns The variables.
   * @example Variables read while recording
   * ```ts
   * import { GradientTape, Variable } from "@gradtape/gradtape";
   * const a = new Variable(1, { name: "a" });
   * const tape = new GradientTape();
   * tape.record(() => a.add(1));
   * console.log(tape.watchedVariables().map((v) => v.name)); // ["a"]
   * ```
   */
  watchedVariables(): Variable[] {
    this.#check("watchedVariables");
    return this.#engine.watchedVariables();
  }

  /**
   * Releases what the tape holds; using it afterwards throws.
   *
   * @example Freeing a persistent tape
   * ```ts
   * import { GradientTape } from "@gradtape/gradtape";
   * const tape = new GradientTape({ persistent: true });
   * tape.dispose();
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

  #run(seeds: Map<Tensor, Tensor>, leaves: readonly (Tensor | Variable)[]): (Tensor | null)[] {
    if (this.#used) throw usedUp("gradient");
    const keep = new Set<Tensor>();
    for (const leaf of leaves) {
      for (const t of leaf instanceof Variable ? this.#engine.readsOf(leaf) : [leaf]) keep.add(t);
    }
    const grads = this.#engine.backward(seeds, keep, this.#pauseLevel());
    return leaves.map((leaf) => {
      if (!isFloat(leaf.dtype)) return null;
      const ts = leaf instanceof Variable ? this.#engine.readsOf(leaf) : [leaf];
      let sum: Tensor | null = null;
      for (const t of ts) {
        const g = grads.get(t);
        if (g !== undefined) {
          sum = sum === null ? g : withPaused(this.#pauseLevel(), () => add(sum!, g));
        }
      }
      return sum;
    });
  }

  // One backward pass per row of the Jacobian, each seeded by `seed(i)`.
  #rows(
    t: Tensor,
    leaves: readonly (Tensor | Variable)[],
    n: number,
    seed: (i: number) => Tensor,
  ): (Tensor | null)[][] {
    if (this.#used) throw usedUp("jacobian");
    const rows: (Tensor | null)[][] = [];
    for (let i = 0; i < n; i++) rows.push(this.#run(new Map([[t, seed(i)]]), leaves));
    return rows;
  }

  #finish(
    op: string,
    g: Tensor | null,
    leaf: Tensor | Variable,
    path: string,
    targets: readonly Tensor[],
    mode: UnconnectedGradients,
  ): Tensor | null {
    if (g !== null || !isFloat(leaf.dtype) || mode === "none") return g;
    if (mode === "zero") return zerosLike(leafValue(leaf));
    const name = leafName(leaf, path);
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
    // As in TensorFlow, a non-persistent tape stops recording at its first gradient call.
    removeTransform(this.#engine);
    this.#engine.clear();
  }
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

function checkSync<T>(result: T): T {
  if (
    result !== null && typeof result === "object" &&
    typeof (result as { then?: unknown }).then === "function"
  ) {
    throw new TypeError(
      "GradientTape.record: fn returned a Promise, but recording must be synchronous: ops run " +
        "after an await are not recorded. Make fn synchronous and await outside record",
    );
  }
  return result;
}

function checkMode(mode: UnconnectedGradients | undefined): UnconnectedGradients {
  const m = mode ?? "none";
  if (m !== "none" && m !== "zero" && m !== "error") {
    throw new TypeError(
      `GradientTape.gradient: unconnectedGradients must be "none", "zero" or "error", got ${
        JSON.stringify(m)
      }`,
    );
  }
  return m;
}

function toTargets(target: Targets): Tensor[] {
  const list = Array.isArray(target) ? target : [target];
  return list.map((t, i) => {
    if (t instanceof Variable) return currentValue(t);
    if (t instanceof Tensor) return t;
    throw new TypeError(
      `GradientTape.gradient: target${
        Array.isArray(target) ? `[${i}]` : ""
      } is not a Tensor or Variable`,
    );
  });
}

function seedsFor(
  targets: readonly Tensor[],
  outputGradients: GradientOptions["outputGradients"],
): Map<Tensor, Tensor> {
  const given = outputGradients == null
    ? []
    : Array.isArray(outputGradients)
    ? outputGradients
    : [outputGradients as Tensor];
  if (outputGradients != null && given.length !== targets.length) {
    throw new Error(
      `GradientTape.gradient: ${given.length} output gradients for ${targets.length} targets: ` +
        `give one per target`,
    );
  }
  const seeds = new Map<Tensor, Tensor>();
  targets.forEach((t, i) => {
    if (!isFloat(t.dtype)) return;
    // The default seed is ones, kept as the one value (see uniformTensor) until read densely.
    let s = given[i] == null ? uniformTensor(1, t.shape, t.dtype) : toTensor(given[i]!, {
      dtype: t.dtype,
    });
    if (!sameShape(s.shape, t.shape) || s.dtype !== t.dtype) {
      throw new Error(
        `GradientTape.gradient: output gradient ${i} has shape ${fmtShape(s.shape)} and dtype ` +
          `${s.dtype}, but its target has shape ${fmtShape(t.shape)} and dtype ${t.dtype}`,
      );
    }
    const prev = seeds.get(t);
    if (prev !== undefined) s = add(prev, s);
    seeds.set(t, s);
  });
  return seeds;
}

function oneHot(t: Tensor, i: number): Tensor {
  const data = new Float64Array(t.size);
  data[i] = 1;
  return reshape(toTensor(data, { dtype: t.dtype }), t.shape);
}

// Ones at position j of every batch row.
function batchOneHot(t: Tensor, j: number): Tensor {
  const per = t.size / t.shape[0];
  const data = new Float64Array(t.size);
  for (let b = 0; b < t.shape[0]; b++) data[b * per + j] = 1;
  return reshape(toTensor(data, { dtype: t.dtype }), t.shape);
}
