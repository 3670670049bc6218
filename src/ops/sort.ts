/**
 * Sorting: `sort`, `argsort` and `topK`. One primitive finds the order (no gradient), and the
 * values are taken along the axis by it, so gradients flow through the values: the cotangent is
 * scattered back by the same positions.
 */
import { type Aval, bind, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { fmtShape, normalizeAxis } from "../core/shape.ts";
import { checkBoolean, checkInteger, checkOneOf, checkOptions } from "../core/check.ts";
import { argsortKernel, scatterAlongKernel, takeAlongKernel } from "../core/kernels/sort.ts";
import { broadcastTo, register } from "./_lax.ts";
import { allMapped, lead } from "./_batch.ts";
import { requireNumeric } from "./_define.ts";

interface ArgsortAttrs {
  axis: number;
  descending: boolean;
  /** How many of the first places to keep (the axis's length for a whole argsort). */
  k: number;
}

interface AlongAttrs {
  axis: number;
}

interface ScatterAttrs {
  axis: number;
  /** The length of `axis` in the result. */
  size: number;
}

const argsortPrim: Primitive<ArgsortAttrs> = {
  name: "argsort",
  shape([x], { axis, k }) {
    requireNumeric("argsort", x);
    const shape = [...x.shape];
    shape[axis] = k;
    return { shape, dtype: "int32" };
  },
  kernels: {
    cpu: ([x], out, { axis, descending, k }) =>
      argsortKernel(out.data, x.data, x.dtype, x.shape, axis, descending, k),
  },
  jvp: null,
  vjp: null,
  batch: (self, [x], [mapped], attrs) => [
    bind(self, [x], { ...attrs, axis: attrs.axis >= mapped! ? attrs.axis + 1 : attrs.axis }),
    mapped,
  ],
};

// Positions must be int32 and shaped as the input but along the axis.
function alongShape(op: string, x: Aval, idx: Aval, axis: number): void {
  const ok = idx.dtype === "int32" && idx.shape.length === x.shape.length &&
    idx.shape.every((d, i) => i === axis || d === x.shape[i]);
  if (!ok) {
    throw new Error(
      `${op}: positions of shape ${fmtShape(idx.shape)} (${idx.dtype}) do not fit values of ` +
        `shape ${fmtShape(x.shape)} along axis ${axis}: give int32 positions of the values' ` +
        `shape but along that axis`,
    );
  }
}

// A tangent's positions: `idx` broadcast over the tangent's leading dimensions.
function liftPositions(idx: Tensor, t: Tensor, x: Tensor): Tensor {
  const l = lead(t, x);
  return l.length === 0 ? idx : broadcastTo(idx, [...l, ...idx.shape]);
}

// Linear in x: out[…j…] = x[…idx[…j…]…] along the axis; its transpose scatters back.
const takeAlongPrim: Primitive<AlongAttrs> = {
  name: "takeAlongAxis",
  shape([x, idx], { axis }) {
    alongShape("takeAlongAxis", x, idx, axis);
    return { shape: idx.shape, dtype: x.dtype };
  },
  kernels: {
    cpu: ([x, idx], out, { axis }) =>
      takeAlongKernel(out.data, x.data, x.shape, idx.data, out.shape, axis),
  },
  jvp: ([t], [x, idx], _, { axis }) =>
    t && bind(takeAlongPrim, [t, liftPositions(idx, t, x)], { axis: axis + lead(t, x).length }),
  vjp: (g, [x, idx], _, { axis }) => [
    bind(scatterAlongPrim, [g, idx], { axis, size: x.shape[axis] }),
    null,
  ],
  batch: (self, xs, axes, { axis }, size) => [
    bind(self, allMapped(xs, axes, size), { axis: axis + 1 }),
    0,
  ],
};

// The adjoint of takeAlongAxis: g added into zeros at the positions idx names.
const scatterAlongPrim: Primitive<ScatterAttrs> = {
  name: "scatterAlongAxis",
  shape([g, idx], { axis, size }) {
    alongShape("scatterAlongAxis", g, idx, axis);
    if (idx.shape[axis] !== g.shape[axis]) {
      throw new Error(
        `scatterAlongAxis: values of shape ${fmtShape(g.shape)} and positions of shape ` +
          `${fmtShape(idx.shape)} differ`,
      );
    }
    const shape = [...g.shape];
    shape[axis] = size;
    return { shape, dtype: g.dtype };
  },
  kernels: {
    cpu: ([g, idx], out, { axis }) =>
      scatterAlongKernel(out.data, out.shape, g.data, idx.data, g.shape, axis),
  },
  jvp: ([t], [g, idx], _, attrs) =>
    t &&
    bind(scatterAlongPrim, [t, liftPositions(idx, t, g)], {
      ...attrs,
      axis: attrs.axis + lead(t, g).length,
    }),
  vjp: (ct, [, idx], _, { axis }) => [bind(takeAlongPrim, [ct, idx], { axis }), null],
  batch: (self, xs, axes, attrs, size) => [
    bind(self, allMapped(xs, axes, size), { ...attrs, axis: attrs.axis + 1 }),
    0,
  ],
};

/** The sorting primitives, by name. */
export const sortPrims = {
  argsort: argsortPrim,
  takeAlongAxis: takeAlongPrim,
  scatterAlongAxis: scatterAlongPrim,
};
register(sortPrims);

/** Options of `sort` and `argsort`. */
export interface SortOptions {
  /** The axis to sort along (default -1, the last). */
  axis?: number;
  /** `"ASCENDING"` (the default) or `"DESCENDING"`. */
  direction?: "ASCENDING" | "DESCENDING";
}

// The input, the positions that sort it, and the axis.
function order(op: string, x: TensorLike, options: SortOptions): [Tensor, Tensor, number] {
  const t = toTensor(x, { op });
  checkOptions(op, options, ["axis", "direction"]);
  const { axis = -1, direction = "ASCENDING" } = options;
  checkOneOf(op, "direction", direction, ["ASCENDING", "DESCENDING"]);
  requireNumeric(op, t);
  if (t.rank === 0) {
    throw new RangeError(`${op}: expects a tensor of rank ≥ 1, got a scalar: reshape it first`);
  }
  const a = normalizeAxis(op, axis, t.rank);
  const attrs = { axis: a, descending: direction === "DESCENDING", k: t.shape[a] };
  return [t, bind(argsortPrim, [t], attrs), a];
}

/**
 * The values of `x` sorted along an axis, stably; NaN sorts after every number ascending (as in
 * numpy) and before every number descending. The gradient flows to the values: each element of
 * the cotangent goes back to where its value came from.
 *
 * @param x The input (float32, float64 or int32).
 * @param options `axis` (default -1) and `direction` (default `"ASCENDING"`).
 * @returns The sorted values, of `x`'s shape.
 * @example Sorting rows, and NaN last
 * ```ts
 * import { sort } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(sort([[3, 1, 2], [0, -1, 5]]).toArray(), [[1, 2, 3], [-1, 0, 5]]);
 * assert.deepEqual(sort([2, NaN, -1], { direction: "DESCENDING" }).toArray(), [NaN, 2, -1]);
 * assert.deepEqual(sort([2, NaN, -1]).toArray(), [-1, 2, NaN]);
 * ```
 */
export function sort(x: TensorLike, options: SortOptions = {}): Tensor {
  const [t, idx, axis] = order("sort", x, options);
  return bind(takeAlongPrim, [t, idx], { axis });
}

/**
 * The positions that sort `x` along an axis (int32), stably: equal values keep their order, in
 * either direction. No gradient.
 *
 * @param x The input (float32, float64 or int32).
 * @param options `axis` (default -1) and `direction` (default `"ASCENDING"`).
 * @returns The positions, of `x`'s shape.
 * @example Ties keep their order
 * ```ts
 * import { argsort } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(argsort([3, 1, 3, 0]).toArray(), [3, 1, 0, 2]);
 * assert.deepEqual(argsort([3, 1, 3, 0], { direction: "DESCENDING" }).toArray(), [0, 2, 1, 3]);
 * ```
 */
export function argsort(x: TensorLike, options: SortOptions = {}): Tensor {
  return order("argsort", x, options)[1];
}

/** Options of `topK`. */
export interface TopKOptions {
  /**
   * Whether the values come largest first (default true). They always do here: an unsorted
   * result, which TensorFlow allows in any order, is the sorted one.
   */
  sorted?: boolean;
}

/** What `topK` returns. */
export interface TopK {
  /** The `k` largest values along the last axis, largest first. */
  values: Tensor;
  /** Their positions in the last axis (int32). */
  indices: Tensor;
}

/**
 * The `k` largest entries along the last axis and their positions, largest first; of equal values
 * the earlier comes first, and NaN counts as larger than every number. The gradient flows through
 * `values` back to the entries chosen.
 *
 * @param x The input (float32, float64 or int32), of rank ≥ 1.
 * @param k How many entries to take, at most the last axis's length.
 * @param options `sorted` (default true).
 * @returns `{ values, indices }`, of `x`'s shape with the last axis `k` long.
 * @example The two largest scores of each row
 * ```ts
 * import { topK } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const { values, indices } = topK([[0.1, 0.7, 0.2], [0.5, 0.3, 0.5]], 2);
 * assert.deepEqual(values.toArray(), [[0.7, 0.2], [0.5, 0.5]].map((r) => r.map(Math.fround)));
 * assert.deepEqual(indices.toArray(), [[1, 2], [0, 2]]);
 * ```
 */
export function topK(x: TensorLike, k: number, options: TopKOptions = {}): TopK {
  const t = toTensor(x, { op: "topK" });
  checkOptions("topK", options, ["sorted"]);
  checkBoolean("topK", "sorted", options.sorted ?? true);
  requireNumeric("topK", t);
  if (t.rank === 0) {
    throw new RangeError(`topK: expects a tensor of rank ≥ 1, got a scalar: reshape it first`);
  }
  checkInteger("topK", "k", k, 0);
  const axis = t.rank - 1, n = t.shape[axis];
  if (k > n) {
    throw new RangeError(
      `topK: k = ${k} is larger than the last axis of shape ${fmtShape(t.shape)} (${n}): ` +
        `use k ≤ ${n}`,
    );
  }
  const indices = bind(argsortPrim, [t], { axis, descending: true, k });
  return { values: bind(takeAlongPrim, [t, indices], { axis }), indices };
}
