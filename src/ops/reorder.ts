/**
 * Reordering and repeating elements: `reverse`, `roll`, `repeat` and `meshgrid`, composites of
 * gather, slice, concat and broadcast (their derivatives, batching and compiled forms are those
 * ops').
 */
import { checkInteger, checkOneOf, checkOptions, describeValue } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import { normalizeAxes, normalizeAxis } from "../core/shape.ts";
import { dataOf, Tensor, type TensorLike, tracedStorage } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";
import { range } from "./creation.ts";
import { gather } from "./indexing.ts";
import { broadcastTo, concat, reshape, slice } from "./movement.ts";

/**
 * `x` with the order of its elements reversed along each axis of `axis` (as `tf.reverse`).
 *
 * @param x The input.
 * @param axis An axis or several (negative counts from the end).
 * @returns The reversed tensor.
 * @example
 * ```ts
 * import { reverse } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reverse([[1, 2, 3], [4, 5, 6]], 1).toArray(), [[3, 2, 1], [6, 5, 4]]);
 * assert.deepEqual(reverse([[1, 2], [3, 4]], [0, -1]).toArray(), [[4, 3], [2, 1]]);
 * ```
 */
export function reverse(x: TensorLike, axis: number | readonly number[]): Tensor {
  let t = toTensor(x, { op: "reverse" });
  for (const a of normalizeAxes("reverse", axis, t.rank)) {
    const n = t.shape[a];
    if (n > 1) t = gather(t, range(n - 1, -1, -1, "int32"), a);
  }
  return t;
}

/**
 * `x` with its elements shifted by `shift` along `axis`, those pushed off one end coming back
 * at the other (as `tf.roll`): element `i` moves to `(i + shift) mod n`. With arrays, each shift
 * applies to its axis (shifts of a repeated axis add up).
 *
 * @param x The input.
 * @param shift The shift, or one per axis; negative shifts go the other way.
 * @param axis The axis, or several (negative counts from the end).
 * @returns The rolled tensor.
 * @example
 * ```ts
 * import { roll } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(roll([1, 2, 3, 4, 5], 2, 0).toArray(), [4, 5, 1, 2, 3]);
 * assert.deepEqual(roll([[1, 2, 3], [4, 5, 6]], [1, -1], [0, 1]).toArray(), [[5, 6, 4], [2, 3, 1]]);
 * ```
 */
export function roll(
  x: TensorLike,
  shift: number | readonly number[],
  axis: number | readonly number[],
): Tensor {
  let t = toTensor(x, { op: "roll" });
  const shifts = typeof shift === "number" ? [shift] : shift;
  const axes = typeof axis === "number" ? [axis] : axis;
  if (!Array.isArray(shifts) || !Array.isArray(axes) || shifts.length !== axes.length) {
    throw new Error(
      `roll: shift ${describeValue(shift)} and axis ${describeValue(axis)} must be two numbers, ` +
        `or two arrays of one length`,
    );
  }
  const total = new Array<number>(t.rank).fill(0);
  axes.forEach((a, i) => {
    checkInteger("roll", "shift", shifts[i]);
    total[normalizeAxis("roll", a, t.rank)] += shifts[i];
  });
  total.forEach((s, a) => {
    const n = t.shape[a];
    const k = n === 0 ? 0 : ((s % n) + n) % n;
    if (k === 0) return;
    const begin = t.shape.map(() => 0), size = t.shape.map(() => -1);
    const tail = slice(t, begin.map((b, i) => (i === a ? n - k : b)), size);
    const head = slice(t, begin, size.map((d, i) => (i === a ? n - k : d)));
    t = concat([tail, head], a);
  });
  return t;
}

/**
 * Repeats each element of `x` along `axis` (as `tf.repeat`, numpy's `repeat`): `repeats` times,
 * or `repeats[i]` times for element `i`. Without `axis`, `x` is flattened first.
 *
 * @param x The input.
 * @param repeats A non-negative integer, or one per element along `axis`.
 * @param axis The axis (negative counts from the end); default: repeat the flattened `x`.
 * @returns The repeated tensor.
 * @example
 * ```ts
 * import { repeat } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(repeat([[1, 2], [3, 4]], 2).toArray(), [1, 1, 2, 2, 3, 3, 4, 4]);
 * assert.deepEqual(repeat([[1, 2], [3, 4]], [1, 2], 0).toArray(), [[1, 2], [3, 4], [3, 4]]);
 * ```
 */
export function repeat(
  x: TensorLike,
  repeats: number | readonly number[] | Tensor,
  axis?: number,
): Tensor {
  let t = toTensor(x, { op: "repeat" });
  if (axis === undefined) t = reshape(t, [t.size]);
  const a = normalizeAxis("repeat", axis ?? 0, t.rank), n = t.shape[a];
  const counts = repeatCounts(repeats, n);
  const at: number[] = [];
  counts.forEach((c, i) => {
    for (let r = 0; r < c; r++) at.push(i);
  });
  return gather(t, new Tensor(Int32Array.from(at), [at.length], "int32"), a);
}

// The repeat count of each of the `n` elements, from a number or one per element.
function repeatCounts(repeats: number | readonly number[] | Tensor, n: number): number[] {
  let list: number[];
  if (typeof repeats === "number") list = [repeats];
  else {
    const r = toTensor(repeats as TensorLike, { op: "repeat" });
    const traced = tracedStorage(r);
    if (traced !== undefined) {
      throw new Error(
        `repeat: repeats is a tensor ${traced.kind}, and the result's shape depends on its ` +
          `values: pass numbers`,
      );
    }
    list = Array.from(dataOf(r));
  }
  list.forEach((c) => checkInteger("repeat", "each repeat count", c, 0));
  if (list.length === 1) return new Array<number>(n).fill(list[0]);
  if (list.length !== n) {
    throw new Error(
      `repeat: ${list.length} repeat counts for an axis of length ${n}: give one count, or one ` +
        `per element`,
    );
  }
  return list;
}

/** Options of {@linkcode meshgrid}. */
export interface MeshgridOptions {
  /**
   * `"xy"` (default, Cartesian: the first two axes of the outputs swapped, as matplotlib plots)
   * or `"ij"` (matrix indexing: output axis `i` follows input `i`).
   */
  indexing?: "xy" | "ij";
}

/**
 * Coordinate grids from 1-D coordinate vectors (as `tf.meshgrid`): for inputs of lengths
 * `n1, …, nk`, `k` tensors of shape `[n1, …, nk]` (`"ij"`) or `[n2, n1, n3, …, nk]` (`"xy"`), the
 * `i`-th holding input `i`'s values along its axis. A last argument that is a plain object holds
 * the options.
 *
 * @param args The coordinate vectors (any shape, flattened), then optionally `{ indexing }`.
 * @returns One grid per input.
 * @example
 * ```ts
 * import { meshgrid } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const [X, Y] = meshgrid([1, 2, 3], [4, 5]);
 * assert.deepEqual(X.toArray(), [[1, 2, 3], [1, 2, 3]]);
 * assert.deepEqual(Y.toArray(), [[4, 4, 4], [5, 5, 5]]);
 * const [I] = meshgrid([1, 2, 3], [4, 5], { indexing: "ij" });
 * assert.deepEqual(I.toArray(), [[1, 1], [2, 2], [3, 3]]);
 * ```
 */
export function meshgrid(...args: (TensorLike | MeshgridOptions)[]): Tensor[] {
  const last = args[args.length - 1];
  const hasOptions = args.length > 0 && isOptions(last);
  const options = (hasOptions ? last : {}) as MeshgridOptions;
  checkOptions("meshgrid", options, ["indexing"]);
  const indexing = options.indexing ?? "xy";
  checkOneOf("meshgrid", "indexing", indexing, ["xy", "ij"]);
  const xs = (hasOptions ? args.slice(0, -1) : args).map((x) => {
    const t = toTensor(x as TensorLike, { op: "meshgrid" });
    return reshape(t, [t.size]);
  });
  const swap = indexing === "xy" && xs.length >= 2;
  // The output axis of input i.
  const place = (i: number) => (swap && i < 2 ? 1 - i : i);
  const shape = xs.map((_, j) => xs[swap && j < 2 ? 1 - j : j].shape[0]);
  return xs.map((x, i) => {
    const along = shape.map((_, j) => (j === place(i) ? x.shape[0] : 1));
    return broadcastTo(reshape(x, along), shape);
  });
}

function isOptions(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) &&
    !(v instanceof Tensor) && !(v instanceof Variable);
}
