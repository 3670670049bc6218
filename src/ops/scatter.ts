/**
 * N-dimensional indexing and scattering, as TensorFlow's `gather_nd`, `scatter_nd` and
 * `tensor_scatter_*`, with `oneHot` and `booleanMask`: composites of the axis primitives of
 * `indexing.ts` (gather, its adjoint scatterAdd, and scatter with a max, min or product), so their
 * derivatives, batching and compiled forms all come from those. An index tuple of the last axis
 * becomes one position in the leading axes flattened, and the op is a gather or scatter there.
 */
import { bind } from "../core/dispatch.ts";
import { checkDType, type DType } from "../core/dtype.ts";
import { checkFinite, checkOptions } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import {
  checkShape,
  fmtShape,
  normalizeAxis,
  sameShape,
  sizeOf,
  stridesOf,
} from "../core/shape.ts";
import { dataOf, Tensor, type TensorLike, tracedStorage } from "../core/tensor.ts";
import { requireNumeric, requireSameDtype } from "./_define.ts";
import { add, multiply } from "./binary.ts";
import { cast } from "./cast.ts";
import { equal, greaterEqual, less, logicalOr, where } from "./compare.ts";
import { constant, fill, range } from "./creation.ts";
import { type Combiner, indexingPrims, indicesFor } from "./indexing.ts";
import { reshape } from "./movement.ts";
import { reduceSum } from "./reduce.ts";

const { gather: gatherPrim, scatterAdd: scatterAddPrim, scatter: scatterPrim } = indexingPrims;

/**
 * Index tuples (int32 `[..., K]`) into a tensor whose first `K` axes are `dims`, as positions in
 * those axes flattened (shape `[...]`). Tuples of traced indices with a component out of range
 * become -1, which the kernels drop, rather than another element's position.
 */
function flatPositions(indices: Tensor, dims: readonly number[]): Tensor {
  const k = dims.length, lead = indices.shape.slice(0, -1);
  if (k === 0) return fill(lead, 0, "int32");
  const strides = constant(stridesOf(dims), { dtype: "int32" });
  const flat = k === 1 ? reshape(indices, lead) : reduceSum(multiply(indices, strides), -1);
  if (tracedStorage(indices) === undefined) return flat;
  const bound = constant(dims, { dtype: "int32" });
  const outside = logicalOr(less(indices, 0), greaterEqual(indices, bound));
  const bad = greaterEqual(reduceSum(cast(outside, "int32"), -1), 1);
  return where(bad, -1, flat);
}

// The index tuples of `op`, checked against the axes they index (from `first` on) in eager mode.
function tuples(op: string, indices: TensorLike, shape: readonly number[], first = 0): Tensor {
  const fits = (s: readonly number[]) => {
    if (s.length === 0 || s[s.length - 1] > shape.length - first) {
      throw new RangeError(
        `${op}: indices of shape ${fmtShape(s)} must end in an axis of at most ` +
          `${shape.length - first} components (one per indexed axis of shape ${fmtShape(shape)})`,
      );
    }
    return shape.slice(first, first + s[s.length - 1]);
  };
  const idx = indicesFor(op, indices, fits, {
    what: (c) => `axis ${first + c} of shape ${fmtShape(shape)}`,
  });
  fits(idx.shape);
  return idx;
}

/** Options of {@linkcode gatherNd}. */
export interface GatherNdOptions {
  /** How many leading axes `params` and `indices` share as batch axes (default 0). */
  batchDims?: number;
}

/**
 * Gathers slices of `params` at index tuples: `indices` has shape `[...I, K]`, each tuple
 * indexing the first `K` axes of `params`, and the result has shape `[...I, ...params.shape[K:]]`.
 * With `batchDims = b`, the first `b` axes of both are batch axes, each example indexing its own
 * slice (the tuples index `params`' axes from `b` on). The gradient adds back into the slices taken.
 *
 * @param params The tensor to take from.
 * @param indices int32 index tuples (plain integers are converted).
 * @param options `batchDims`.
 * @returns The gathered slices.
 * @example Elements and rows
 * ```ts
 * import { gatherNd } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const p = [[1, 2], [3, 4]];
 * assert.deepEqual(gatherNd(p, [[1, 0], [0, 1]]).toArray(), [3, 2]);
 * assert.deepEqual(gatherNd(p, [[1]]).toArray(), [[3, 4]]);
 * ```
 */
export function gatherNd(
  params: TensorLike,
  indices: TensorLike,
  options: GatherNdOptions = {},
): Tensor {
  checkOptions("gatherNd", options, ["batchDims"]);
  const p = toTensor(params, { op: "gatherNd" });
  const b = options.batchDims ?? 0;
  if (!Number.isInteger(b) || b < 0 || b >= p.rank) {
    throw new RangeError(
      `gatherNd: batchDims must be an integer in [0, ${p.rank - 1}] for params of shape ` +
        `${fmtShape(p.shape)}, not ${b}`,
    );
  }
  const idx = tuples("gatherNd", indices, p.shape, b);
  if (b >= idx.rank || !sameShape(p.shape.slice(0, b), idx.shape.slice(0, b))) {
    throw new Error(
      `gatherNd: with batchDims ${b}, params of shape ${fmtShape(p.shape)} and indices of ` +
        `shape ${fmtShape(idx.shape)} must share their first ${b} axes`,
    );
  }
  const k = idx.shape[idx.rank - 1], dims = p.shape.slice(b, b + k), rest = p.shape.slice(b + k);
  const batch = p.shape.slice(0, b), count = sizeOf(batch), block = sizeOf(dims);
  let at = flatPositions(idx, dims);
  if (b > 0) {
    // Each example's block of positions follows the previous example's.
    const starts = reshape(range(0, count * block, block || 1, "int32"), [
      ...batch,
      ...at.shape.slice(b).map(() => 1),
    ]);
    at = where(less(at, 0), -1, add(at, starts));
  }
  const flat = reshape(p, [count * block, ...rest]);
  return bind(gatherPrim, [flat, at], { axis: 0 });
}

// Checks that `updates` has shape `[...I, ...shape[K:]]` for index tuples `[...I, K]`.
function checkUpdates(op: string, idx: Tensor, updates: Tensor, shape: readonly number[]): void {
  const k = idx.shape[idx.rank - 1];
  const expected = [...idx.shape.slice(0, -1), ...shape.slice(k)];
  if (!sameShape(expected, updates.shape)) {
    throw new Error(
      `${op}: updates of shape ${fmtShape(updates.shape)} do not fit indices of shape ` +
        `${fmtShape(idx.shape)} into shape ${fmtShape(shape)}: they must have shape ` +
        `${fmtShape(expected)}`,
    );
  }
}

// The positions and the tensor's leading K axes flattened, for the scatters.
function layout(idx: Tensor, shape: readonly number[]) {
  const k = idx.shape[idx.rank - 1];
  const dims = shape.slice(0, k);
  return { at: flatPositions(idx, dims), size: sizeOf(dims), rest: shape.slice(k) };
}

/**
 * A tensor of `shape`, zero but where index tuples place `updates`; updates at one position add
 * up (TensorFlow's `scatter_nd`). `indices` has shape `[...I, K]` and `updates` shape
 * `[...I, ...shape[K:]]`. The gradient with respect to `updates` gathers the cotangent back.
 *
 * @param indices int32 index tuples (plain integers are converted).
 * @param updates The values to place.
 * @param shape The shape of the result.
 * @returns The scattered tensor.
 * @example Two values, one position twice
 * ```ts
 * import { scatterNd } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(scatterNd([[1], [3], [1]], [10, 20, 5], [5]).toArray(), [0, 15, 0, 20, 0]);
 * ```
 */
export function scatterNd(
  indices: TensorLike,
  updates: TensorLike,
  shape: readonly number[],
): Tensor {
  checkShape("scatterNd", shape);
  const u = toTensor(updates, { op: "scatterNd" });
  const idx = tuples("scatterNd", indices, shape);
  checkUpdates("scatterNd", idx, u, shape);
  const { at, size } = layout(idx, shape);
  return reshape(bind(scatterAddPrim, [u, at], { axis: 0, size }), shape);
}

// The three checks every tensorScatter op makes, and the pieces it needs.
function prepare(op: string, tensor: TensorLike, indices: TensorLike, updates: TensorLike) {
  const t = toTensor(tensor, { op });
  const u = toTensor(updates, { op, dtype: t.dtype });
  requireSameDtype(op, t, u);
  if (op !== "tensorScatterUpdate") requireNumeric(op, t);
  const idx = tuples(op, indices, t.shape);
  checkUpdates(op, idx, u, t.shape);
  return { t, u, idx, ...layout(idx, t.shape) };
}

/**
 * `tensor` with `updates` added at index tuples (TensorFlow's `tensor_scatter_nd_add`); shapes
 * as {@linkcode scatterNd}. Differentiable in `tensor` and `updates`.
 *
 * @param tensor The tensor to add into.
 * @param indices int32 index tuples `[...I, K]`.
 * @param updates The values to add, `[...I, ...tensor.shape[K:]]`.
 * @returns A new tensor.
 * @example Adding into a row
 * ```ts
 * import { tensorScatterAdd } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const t = tensorScatterAdd([[1, 1], [1, 1]], [[1]], [[5, 6]]);
 * assert.deepEqual(t.toArray(), [[1, 1], [6, 7]]);
 * ```
 */
export function tensorScatterAdd(
  tensor: TensorLike,
  indices: TensorLike,
  updates: TensorLike,
): Tensor {
  const { t, u, at, size } = prepare("tensorScatterAdd", tensor, indices, updates);
  return add(t, reshape(bind(scatterAddPrim, [u, at], { axis: 0, size }), t.shape));
}

function combined(op: string, mode: Combiner) {
  return (tensor: TensorLike, indices: TensorLike, updates: TensorLike): Tensor => {
    const { t, u, at, size, rest } = prepare(op, tensor, indices, updates);
    const flat = reshape(t, [size, ...rest]);
    return reshape(bind(scatterPrim, [flat, at, u], { axis: 0, mode }), t.shape);
  };
}

/**
 * `tensor` with each indexed element replaced by the largest of it and the updates at its
 * position (TensorFlow's `tensor_scatter_nd_max`); shapes as {@linkcode scatterNd}. The gradient
 * goes to the values equal to the result (shared equally among ties).
 *
 * @param tensor The tensor to update.
 * @param indices int32 index tuples `[...I, K]`.
 * @param updates The candidate values, `[...I, ...tensor.shape[K:]]`.
 * @returns A new tensor.
 * @example
 * ```ts
 * import { tensorScatterMax } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(tensorScatterMax([1, 5, 3], [[0], [1], [0]], [4, 2, 7]).toArray(), [7, 5, 3]);
 * ```
 */
export const tensorScatterMax: (
  tensor: TensorLike,
  indices: TensorLike,
  updates: TensorLike,
) => Tensor = combined("tensorScatterMax", "max");

/**
 * `tensor` with each indexed element replaced by the smallest of it and the updates at its
 * position (TensorFlow's `tensor_scatter_nd_min`); shapes as {@linkcode scatterNd}.
 *
 * @param tensor The tensor to update.
 * @param indices int32 index tuples `[...I, K]`.
 * @param updates The candidate values, `[...I, ...tensor.shape[K:]]`.
 * @returns A new tensor.
 * @example
 * ```ts
 * import { tensorScatterMin } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(tensorScatterMin([1, 5, 3], [[0], [1], [0]], [4, 2, 7]).toArray(), [1, 2, 3]);
 * ```
 */
export const tensorScatterMin: (
  tensor: TensorLike,
  indices: TensorLike,
  updates: TensorLike,
) => Tensor = combined("tensorScatterMin", "min");

/**
 * `tensor` with the indexed elements (or slices) replaced by `updates` (TensorFlow's
 * `tensor_scatter_nd_update`); shapes as {@linkcode scatterNd}. Where a position is indexed
 * twice, the last update wins (TensorFlow leaves the order unspecified). The gradient goes to the
 * updates placed and to the elements of `tensor` left in place.
 *
 * @param tensor The tensor to update.
 * @param indices int32 index tuples `[...I, K]`.
 * @param updates The new values, `[...I, ...tensor.shape[K:]]`.
 * @returns A new tensor.
 * @example Replacing two elements
 * ```ts
 * import { tensorScatterUpdate } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const t = tensorScatterUpdate([[1, 2], [3, 4]], [[0, 1], [1, 0]], [9, 8]);
 * assert.deepEqual(t.toArray(), [[1, 9], [8, 4]]);
 * ```
 */
export function tensorScatterUpdate(
  tensor: TensorLike,
  indices: TensorLike,
  updates: TensorLike,
): Tensor {
  const { t, u, at, size, rest } = prepare("tensorScatterUpdate", tensor, indices, updates);
  // Which update lands at each position: the last of those naming it (a max of their order).
  const n = sizeOf(at.shape), order = range(0, n, 1, "int32");
  const line = reshape(at, [n]);
  const last = bind(scatterPrim, [fill([size], -1, "int32"), line, order], {
    axis: 0,
    mode: "max",
  });
  const wins = equal(bind(gatherPrim, [last, line], { axis: 0 }), order);
  const ones = rest.map(() => 1);
  const winners = where(reshape(wins, [...at.shape, ...ones]), u, 0);
  const placed = bind(scatterAddPrim, [winners, at], { axis: 0, size });
  const hit = reshape(greaterEqual(last, 0), [size, ...ones]);
  return reshape(where(hit, placed, reshape(t, [size, ...rest])), t.shape);
}

/** Options of {@linkcode oneHot}. */
export interface OneHotOptions {
  /** The value where the index matches (default 1). */
  onValue?: number;
  /** The value elsewhere (default 0). */
  offValue?: number;
  /** Where the new axis of length `depth` goes (default -1: last). */
  axis?: number;
  /** The result's dtype (default `float32`). */
  dtype?: DType;
}

/**
 * One-hot encoding: a new axis of length `depth` holding `onValue` at each index and `offValue`
 * elsewhere; an index outside `[0, depth)` gives a row of `offValue` (as TensorFlow). No gradient.
 *
 * @param indices int32 indices (plain integers are converted).
 * @param depth The length of the new axis.
 * @param options `onValue`, `offValue`, `axis`, `dtype`.
 * @returns A tensor of shape `indices.shape` with `depth` inserted at `axis`.
 * @example
 * ```ts
 * import { oneHot } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(oneHot([2, 0, 5], 3).toArray(), [[0, 0, 1], [1, 0, 0], [0, 0, 0]]);
 * assert.deepEqual(oneHot([1], 2, { axis: 0, onValue: 5 }).toArray(), [[0], [5]]);
 * ```
 */
export function oneHot(indices: TensorLike, depth: number, options: OneHotOptions = {}): Tensor {
  checkOptions("oneHot", options, ["onValue", "offValue", "axis", "dtype"]);
  const { onValue = 1, offValue = 0, axis = -1, dtype = "float32" } = options;
  if (!Number.isInteger(depth) || depth < 0) {
    throw new RangeError(`oneHot: depth must be a non-negative integer, not ${depth}`);
  }
  checkFinite("oneHot", "onValue", onValue);
  checkFinite("oneHot", "offValue", offValue);
  checkDType("oneHot", dtype);
  const idx = indicesFor("oneHot", indices, [], { negatives: "drop", what: () => "int32" });
  const a = normalizeAxis("oneHot", axis, idx.rank + 1);
  const shape = [...idx.shape];
  shape.splice(a, 0, 1);
  const positions = reshape(range(0, depth, 1, "int32"), [
    depth,
    ...shape.slice(a + 1).map(() => 1),
  ]);
  const match = equal(reshape(idx, shape), positions);
  return where(match, fill([], onValue, dtype), fill([], offValue, dtype));
}

/**
 * The elements (or slices) of `x` where `mask` is true, in order: `mask` (bool) has the shape of
 * `x`'s first `k` axes, and the result `[count, ...x.shape[k:]]`. The result's shape depends on
 * the mask's values, so inside `jit` (or with a mask mapped by `vmap`) it is an error; there,
 * `where(mask, x, 0)` keeps the shape. Differentiable in `x`.
 *
 * @param x The tensor to select from.
 * @param mask A bool tensor (or nested booleans).
 * @returns The selected elements.
 * @example
 * ```ts
 * import { booleanMask } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(booleanMask([[1, 2], [3, 4], [5, 6]], [true, false, true]).toArray(), [[1, 2], [5, 6]]);
 * ```
 */
export function booleanMask(x: TensorLike, mask: TensorLike): Tensor {
  const t = toTensor(x, { op: "booleanMask" });
  const m = toTensor(mask, { op: "booleanMask" });
  const traced = tracedStorage(m);
  if (traced !== undefined) {
    throw new Error(
      `booleanMask: the mask is a tensor ${traced.kind}, and the result's shape depends on its ` +
        `values, which are not known there: apply the mask outside, or keep the shape with ` +
        `where(mask, x, 0)`,
    );
  }
  if (m.dtype !== "bool") {
    throw new TypeError(
      `booleanMask: the mask must be bool, got ${m.dtype}: compare it first, e.g. ` +
        `notEqual(mask, 0)`,
    );
  }
  const k = m.rank;
  if (k === 0 || k > t.rank || !sameShape(m.shape, t.shape.slice(0, k))) {
    throw new Error(
      `booleanMask: a mask of shape ${fmtShape(m.shape)} must have the shape of the first ` +
        `axes of x, ${fmtShape(t.shape)}, and rank at least 1`,
    );
  }
  const values = dataOf(m), kept: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i]) kept.push(i);
  const flat = reshape(t, [values.length, ...t.shape.slice(k)]);
  const at = new Tensor(Int32Array.from(kept), [kept.length], "int32");
  return bind(gatherPrim, [flat, at], { axis: 0 });
}
