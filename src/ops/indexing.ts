/** Indexing: `gather` (with its adjoint, a scatter-add) and `tile`. */
import { type Aval, bind, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import { checkInteger, checkOptions, describeValue } from "../core/check.ts";
import { Variable } from "../core/variable.ts";
import { dataOf, Tensor, type TensorLike, tracedStorage } from "../core/tensor.ts";
import { checkSize, fmtList, fmtShape, normalizeAxis, sameShape, sizeOf } from "../core/shape.ts";
import {
  add,
  and,
  broadcastTo,
  cast,
  div,
  eq,
  ge,
  lt,
  mul,
  reshape,
  transpose,
  where,
} from "./_lax.ts";
import { requireSameDtype } from "./_define.ts";
import { allocateF64, type TypedArray } from "../core/dtype.ts";
import { allMapped, lead, toFront } from "./_batch.ts";
import { range } from "./creation.ts";

interface GatherAttrs {
  axis: number;
}
interface ScatterAttrs {
  axis: number;
  /** The length of `axis` in the result. */
  size: number;
}

// Views a tensor as [outer, axis, inner] around `axis`.
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

// Indices are int32 (the wrapper converts plain numbers; tensors it takes as they are).
function checkIndices(op: string, indices: Aval): void {
  if (indices.dtype !== "int32") {
    throw new TypeError(
      `${op}: indices must be int32, got ${indices.dtype}: cast them with cast(i, "int32")`,
    );
  }
}

// Linear in x: its reverse adds each cotangent row back where it was taken from.
const gatherPrim: Primitive<GatherAttrs> = {
  name: "gather",
  // x.shape[:axis] + indices.shape + x.shape[axis+1:]
  shape([x, indices], { axis }) {
    checkIndices("gather", indices);
    const shape: number[] = [];
    for (let i = 0; i < axis; i++) shape.push(x.shape[i]);
    for (let i = 0; i < indices.shape.length; i++) shape.push(indices.shape[i]);
    for (let i = axis + 1; i < x.shape.length; i++) shape.push(x.shape[i]);
    return { shape, dtype: x.dtype };
  },
  kernels: {
    cpu([x, indices], { data: out }, { axis }) {
      const [outer, n, inner] = around(x.shape, axis);
      const idx = indices.data, src = x.data;
      const k = idx.length;
      // NOTE: short rows are copied element by element: a subarray per row cost more than the copy.
      const short = inner < 256;
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < k; j++) {
          const i = idx[j], to = (o * k + j) * inner;
          if (!(i >= 0 && i < n)) out.fill(0, to, to + inner);
          else if (short) {
            const from = (o * n + i) * inner;
            for (let e = 0; e < inner; e++) out[to + e] = src[from + e];
          } else {
            const from = (o * n + i) * inner;
            out.set(src.subarray(from, from + inner), to);
          }
        }
      }
    },
  },
  jvp: ([t, _], [x, indices], __, { axis }) =>
    t && bind(gatherPrim, [t, indices], { axis: axis + lead(t, x).length }),
  vjp: (g, [x, indices], _, { axis }) => [
    bind(scatterPrim, [g, indices], { axis, size: x.shape[axis] }),
    null,
  ],
  batch: (self, [x, indices], [ax, ai], { axis }, size) => {
    if (ai === null) return [bind(self, [toFront(x, ax), indices], { axis: axis + 1 }), 0];
    // Mapped indices land where the gathered axis was.
    if (ax === null) return [bind(self, [x, indices], { axis }), axis + ai];
    // Both mapped: the examples' rows laid end to end along one axis, gathered in one go.
    const xf = toFront(x, ax); // [B, ...pre, n, ...post]
    const n = xf.shape[axis + 1], pre = axis, rest = xf.rank - 2;
    const flat = reshape(transpose(xf, [0, axis + 1, ...others(1, xf.rank, axis + 1)]), [
      size * n,
      ...xf.shape.filter((_, i) => i > 0 && i !== axis + 1),
    ]);
    const idx = toFront(indices, ai), k = idx.rank - 1;
    const taken = bind(self, [flat, offsetRows(idx, n)], { axis: 0 }); // [B, ...k, ...rest]
    return [
      transpose(taken, [0, ...span(1 + k, pre), ...span(1, k), ...span(1 + k + pre, rest - pre)]),
      0,
    ];
  },
};

// The axes [from, to) but `skip`.
function others(from: number, to: number, skip: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) if (i !== skip) out.push(i);
  return out;
}

// `count` axes from `from` on.
function span(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

// Indices [B, ...] of rows of length-`n` blocks, one block per example, as rows of all blocks;
// an index outside its block stays outside every block (-1), so it is still dropped.
function offsetRows(indices: Tensor, n: number): Tensor {
  const b = indices.shape[0];
  const starts = reshape(range(0, b * n, n, "int32"), [b, ...indices.shape.slice(1).map(() => 1)]);
  return where(and(ge(indices, 0), lt(indices, n)), add(indices, starts), -1);
}

// The adjoint of gather: sums the rows of g into the positions `indices` name.
const scatterPrim: Primitive<ScatterAttrs> = {
  name: "scatterAdd",
  // g is a gather's output, [...pre, ...indices.shape, ...post]: the result is [...pre, size, ...post].
  shape([g, indices], { axis, size }) {
    checkIndices("scatterAdd", indices);
    const k = indices.shape.length;
    for (let i = 0; i < k; i++) {
      if (g.shape[axis + i] !== indices.shape[i]) {
        throw new Error(
          `scatterAdd: values of shape ${fmtShape(g.shape)} do not hold indices of shape ` +
            `${fmtShape(indices.shape)} at axis ${axis}`,
        );
      }
    }
    const shape: number[] = [];
    for (let i = 0; i < axis; i++) shape.push(g.shape[i]);
    shape.push(size);
    for (let i = axis + k; i < g.shape.length; i++) shape.push(g.shape[i]);
    return { shape, dtype: g.dtype };
  },
  kernels: {
    cpu([g, indices], out, { axis, size }) {
      const idx = indices.data, src = g.data, k = idx.length;
      const [outer, , inner] = around(out.shape, axis);
      // float32 sums run in float64, as reductions' do: a float32 running sum stops growing at
      // 2²⁴ (a segment of 2·10⁷ ones summed to 16777216).
      const o = out.dtype === "float32" ? allocateF64(out.data.length) : out.data.fill(0);
      if (inner === 1 && outer === 1) addScalars(o, idx, src);
      else {
        for (let r = 0; r < outer; r++) {
          for (let j = 0; j < k; j++) {
            const at = idx[j];
            if (!(at >= 0 && at < size)) continue;
            const from = (r * k + j) * inner, to = (r * size + at) * inner;
            for (let i = 0; i < inner; i++) o[to + i] += src[from + i];
          }
        }
      }
      if (o !== out.data) out.data.set(o);
    },
  },
  jvp: ([t, _], [g, indices], __, attrs) =>
    t && bind(scatterPrim, [t, indices], { ...attrs, axis: attrs.axis + lead(t, g).length }),
  vjp: (ct, [, indices], _, { axis }) => [bind(gatherPrim, [ct, indices], { axis }), null],
  batch: (self, [g, indices], [ag, ai], { axis, size: n }, size) => {
    if (ai === null) {
      return [bind(self, [toFront(g, ag), indices], { axis: axis + 1, size: n }), 0];
    }
    // Mapped indices: each example scatters into its own block of one long axis.
    const [gf] = allMapped([g], [ag], size); // [B, ...pre, ...k, ...post]
    const idx = toFront(indices, ai), k = idx.rank - 1, pre = axis, post = gf.rank - 1 - pre - k;
    const moved = transpose(gf, [
      0,
      ...span(1 + pre, k),
      ...span(1, pre),
      ...span(1 + pre + k, post),
    ]);
    const summed = bind(self, [moved, offsetRows(idx, n)], { axis: 0, size: size * n });
    const blocks = reshape(summed, [size, n, ...summed.shape.slice(1)]); // [B, n, ...pre, ...post]
    return [transpose(blocks, [0, ...span(2, pre), 1, ...span(2 + pre, post)]), 0];
  },
};

// NOTE: one update per element, the segment sums' and scatterNd's usual case, without the
// loop over a row and without a bounds test: a typed array ignores a write at an index outside it
// (negative or past the end), which is how dropped indices are dropped here. Twice as fast.
function addScalars(o: TypedArray, idx: TypedArray, src: TypedArray): void {
  for (let j = 0; j < idx.length; j++) o[idx[j]] += src[j];
}

/** How `scatter` combines an update with the value already at its position. */
export type Combiner = "max" | "min" | "mul";

interface CombineAttrs {
  axis: number;
  mode: Combiner;
}

type Combine = (o: TypedArray, to: number, u: TypedArray, from: number, inner: number) => void;

const combiners: Record<Combiner, Combine> = {
  max(o, to, u, from, inner) {
    for (let i = 0; i < inner; i++) o[to + i] = Math.max(o[to + i], u[from + i]);
  },
  min(o, to, u, from, inner) {
    for (let i = 0; i < inner; i++) o[to + i] = Math.min(o[to + i], u[from + i]);
  },
  mul(o, to, u, from, inner) {
    for (let i = 0; i < inner; i++) o[to + i] *= u[from + i];
  },
};

type ScalarCombine = (o: TypedArray, idx: TypedArray, u: TypedArray, n: number) => void;

// One update per element, as addScalars.
const scalarCombiners: Record<Combiner, ScalarCombine> = {
  max(o, idx, u, n) {
    for (let j = 0; j < idx.length; j++) {
      const at = idx[j], v = u[j];
      if (at >= 0 && at < n && !(o[at] >= v)) o[at] = o[at] < v ? v : v + o[at];
    }
  },
  min(o, idx, u, n) {
    for (let j = 0; j < idx.length; j++) {
      const at = idx[j], v = u[j];
      if (at >= 0 && at < n && !(o[at] <= v)) o[at] = o[at] > v ? v : v + o[at];
    }
  },
  mul(o, idx, u, n) {
    for (let j = 0; j < idx.length; j++) {
      const at = idx[j];
      if (at >= 0 && at < n) o[at] *= u[j];
    }
  },
};

// NOTE: a primitive (not a composite) because a maximum, minimum or product over the updates
// that share a position has no expression in gather and scatterAdd; its rules are written in
// those two, so they differentiate again. Sums need no mode: scatterAdd is the sum.
/**
 * The operand with each update (a gather's output shape: `operand.shape[:axis] + indices.shape +
 * operand.shape[axis+1:]`) combined into the position its index names along `axis`; indices
 * outside `[0, n)` are dropped (the public ops check them first in eager mode).
 */
const combinePrim: Primitive<CombineAttrs> = {
  name: "scatter",
  shape([operand, indices, updates], { axis, mode }) {
    checkIndices("scatter", indices);
    requireSameDtype("scatter", operand, updates);
    if (operand.dtype === "bool") {
      throw new TypeError(`scatter: no ${mode} of bool tensors: cast them first`);
    }
    const expected = [
      ...operand.shape.slice(0, axis),
      ...indices.shape,
      ...operand.shape.slice(axis + 1),
    ];
    if (!sameShape(expected, updates.shape)) {
      throw new Error(
        `scatter: updates of shape ${fmtShape(updates.shape)} do not fit indices of shape ` +
          `${fmtShape(indices.shape)} into ${fmtShape(operand.shape)} at axis ${axis}: ` +
          `they must have shape ${fmtShape(expected)}`,
      );
    }
    return operand;
  },
  kernels: {
    cpu([operand, indices, updates], out, { axis, mode }) {
      const [outer, n, inner] = around(operand.shape, axis);
      const o = out.data, u = updates.data, idx = indices.data, k = idx.length;
      const combine = combiners[mode];
      o.set(operand.data);
      if (inner === 1 && outer === 1) return scalarCombiners[mode](o, idx, u, n);
      for (let r = 0; r < outer; r++) {
        for (let j = 0; j < k; j++) {
          const at = idx[j];
          if (at >= 0 && at < n) combine(o, (r * n + at) * inner, u, (r * k + j) * inner, inner);
        }
      }
    },
  },
  jvp: ([to, , tu], inputs, out, attrs) => {
    if (to === null && tu === null) return null;
    const [dO, dU] = partials(inputs, out, attrs);
    const n = inputs[0].shape[attrs.axis];
    const fromO = to && mul(to, dO);
    const fromU = tu && bind(scatterPrim, [mul(tu, dU), inputs[1]], {
      axis: attrs.axis + lead(tu, inputs[2]).length,
      size: n,
    });
    return fromO === null ? fromU : fromU === null ? fromO : add(fromO, fromU);
  },
  vjp: (ct, inputs, out, attrs, needs) => {
    const [dO, dU] = partials(inputs, out, attrs);
    return [
      needs[0] ? mul(ct, dO) : null,
      null,
      needs[2] ? mul(bind(gatherPrim, [ct, inputs[1]], { axis: attrs.axis }), dU) : null,
    ];
  },
  batch: (self, [operand, indices, updates], [ao, ai, au], attrs, size) => {
    const { axis } = attrs;
    if (ai === null) {
      const [o, u] = allMapped([operand, updates], [ao, au], size);
      return [bind(self, [o, indices, u], { ...attrs, axis: axis + 1 }), 0];
    }
    // Mapped indices: each example combines into its own block of one long axis, as scatterAdd.
    const [o, u] = allMapped([operand, updates], [ao, au], size); // [B, ...pre, n, ...post]
    const idx = toFront(indices, ai), k = idx.rank - 1, pre = axis, post = o.rank - 2 - pre;
    const n = o.shape[axis + 1];
    const oT = transpose(o, [0, axis + 1, ...span(1, pre), ...span(axis + 2, post)]);
    const flat = reshape(oT, [size * n, ...oT.shape.slice(2)]);
    const uT = transpose(u, [0, ...span(1 + pre, k), ...span(1, pre), ...span(1 + pre + k, post)]);
    const combined = bind(self, [flat, offsetRows(idx, n), uT], { ...attrs, axis: 0 });
    const blocks = reshape(combined, [size, n, ...combined.shape.slice(1)]);
    return [transpose(blocks, [0, ...span(2, pre), 1, ...span(2 + pre, post)]), 0];
  },
  describe: ({ mode }) => `scatter (${mode})`,
};

// ∂out/∂operand (the operand's shape) and ∂out/∂updates (the updates' shape), from the values.
// For max and min, the elements equal to the result share its derivative equally (as
// reduceMax's ties do); for a product, each factor's derivative is the product of the others,
// exact where factors are zero (one zero: the others' product; two or more: zero), and so are
// second derivatives with at most one zero in a product.
function partials(
  [operand, indices, updates]: readonly Tensor[],
  out: Tensor,
  { axis, mode }: CombineAttrs,
): [Tensor, Tensor] {
  const n = operand.shape[axis], dtype = out.dtype;
  const take = (t: Tensor) => bind(gatherPrim, [t, indices], { axis });
  const sum = (t: Tensor) => bind(scatterPrim, [t, indices], { axis, size: n });
  if (mode !== "mul") {
    const hitO = cast(eq(operand, out), dtype), hitU = cast(eq(updates, take(out)), dtype);
    const count = add(hitO, sum(hitU));
    // Positions no update reaches (dropped indices) read a count of 0: any finite value does.
    const share = div(1, add(count, cast(eq(count, 0), dtype)));
    return [mul(hitO, share), mul(hitU, take(share))];
  }
  const zeroO = eq(operand, 0), zeroU = eq(updates, 0);
  const safeO = where(zeroO, 1, operand), safeU = where(zeroU, 1, updates);
  const zeros = add(cast(zeroO, dtype), sum(cast(zeroU, dtype)));
  const nonzero = bind(combinePrim, [safeO, indices, safeU], { axis, mode: "mul" });
  // NOTE: out/factor is also right beside a zero (0, whose derivative through out is the
  // others' product), so only the lone zero itself needs the product of the nonzero factors.
  const others = (zero: Tensor, safe: Tensor, zs: Tensor, all: Tensor, nz: Tensor) =>
    where(and(eq(zs, 1), zero), nz, div(all, safe));
  return [
    others(zeroO, safeO, zeros, out, nonzero),
    others(zeroU, safeU, take(zeros), take(out), take(nonzero)),
  ];
}

/** The indexing primitives, by name. */
export const indexingPrims = { gather: gatherPrim, scatterAdd: scatterPrim, scatter: combinePrim };

/**
 * Integer indices for `op` as an int32 tensor, with their values checked where they are known
 * (eager mode): each must be a whole number, and component `c` of the last axis (`bounds` has one
 * entry per component, or a function of the indices' shape giving them; one entry checks every
 * index against it) in `[0, bounds[c])`, or negative
 * when `negatives` says they are dropped. A tensor being traced (vmap's mapped indices, jit) has
 * no values to check: its indices outside the bounds are dropped by the kernels, as in JAX.
 * Internal to the indexing ops.
 *
 * @example A row index past the end
 * ```ts
 * import assert from "node:assert/strict";
 * import { indicesFor } from "./indexing.ts";
 * assert.equal(indicesFor("gather", [2, 0], [3]).dtype, "int32");
 * assert.throws(() => indicesFor("gather", [3], [3]), /gather: index 3 is out of range/);
 * ```
 */
export function indicesFor(
  op: string,
  indices: TensorLike,
  bounds: readonly number[] | ((shape: readonly number[]) => readonly number[]),
  options: { what?: (c: number) => string; negatives?: "error" | "drop" } = {},
): Tensor {
  // NOTE: plain numbers are read exactly (float64) so that a fraction is reported as a
  // fraction, not as an int32 conversion with advice to cast.
  const given = indices instanceof Tensor || indices instanceof Variable;
  const idx = toTensor(indices, { dtype: given ? undefined : "float64", op });
  if (tracedStorage(idx) !== undefined || (given && idx.dtype !== "int32")) {
    checkIndices(op, idx);
    return idx;
  }
  const limits = typeof bounds === "function" ? bounds(idx.shape) : bounds;
  const data = dataOf(idx), m = limits.length;
  const low = options.negatives === "drop" ? -(2 ** 31) : 0;
  // NOTE: int32 indices with one bound take one tight scan (a scatter of 4M indices spent as
  // long checking them as scattering); the element-by-element loop finds what to report.
  if (data instanceof Int32Array && m === 1 && inRange(data, low, limits[0])) return idx;
  const what = options.what ?? ((c) => `axis ${c}`);
  for (let k = 0; k < data.length; k++) {
    const i = data[k];
    if (!Number.isInteger(i)) {
      throw new TypeError(
        `${op}: indices must be integers, got ${describeValue(i)}: pass whole numbers, or an ` +
          `int32 tensor`,
      );
    }
    const n = m === 0 ? 2 ** 31 : limits[k % m];
    if (i >= n || i < low) {
      throw new RangeError(
        `${op}: index ${i} is out of range for ${what(k % m)}: indices must be in [0, ${n - 1}]`,
      );
    }
  }
  return given ? idx : new Tensor(Int32Array.from(data as Float64Array), idx.shape, "int32");
}

function inRange(data: Int32Array, low: number, high: number): boolean {
  let bad = 0;
  for (let k = 0; k < data.length; k++) bad |= (data[k] < low ? 1 : 0) | (data[k] >= high ? 1 : 0);
  return bad === 0;
}

/** Options of {@linkcode gather}. */
export interface GatherOptions {
  /** The axis to index (default 0; negative counts from the end; at least `batchDims`). */
  axis?: number;
  /**
   * How many leading axes `x` and `indices` share as batch axes, each example indexing its own
   * slice (default 0; negative counts from the end of `indices`' axes).
   */
  batchDims?: number;
}

/**
 * Takes the slices of `x` along `axis` at `indices` (int32, any shape): the result's shape is
 * `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. With `batchDims = b`, the first `b` axes of
 * `x` and `indices` agree and each example takes from its own slice: the shape is
 * `x.shape[:axis] + indices.shape[b:] + x.shape[axis+1:]`, as `tf.gather`. The gradient adds back
 * into the rows taken (repeated indices accumulate).
 *
 * @param x The input.
 * @param indices Integer positions along `axis`, each in `[0, x.shape[axis])`.
 * @param axisOrOptions The axis (default 0; negative counts from the end), or `{ axis, batchDims }`.
 * @returns The gathered tensor.
 * @example Picking rows, and one column per row with `batchDims`
 * ```ts
 * import { gather } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(gather([[1, 2], [3, 4], [5, 6]], [2, 0]).toArray(), [[5, 6], [1, 2]]);
 * const x = [[1, 2, 3], [4, 5, 6]];
 * assert.deepEqual(gather(x, [[2], [0]], { axis: 1, batchDims: 1 }).toArray(), [[3], [4]]);
 * ```
 */
export function gather(
  x: TensorLike,
  indices: TensorLike,
  axisOrOptions: number | GatherOptions = 0,
): Tensor {
  const t = toTensor(x, { op: "gather" });
  let axis: number, batchDims: number;
  if (typeof axisOrOptions !== "object" || axisOrOptions === null) {
    // From plain JavaScript anything else is taken for an axis, and normalizeAxis names it.
    [axis, batchDims] = [axisOrOptions as number, 0];
  } else {
    checkOptions("gather", axisOrOptions, ["axis", "batchDims"]);
    axis = axisOrOptions.axis ?? 0;
    batchDims = axisOrOptions.batchDims ?? 0;
  }
  const a = normalizeAxis("gather", axis, t.rank);
  const idx = indicesFor("gather", indices, [t.shape[a]], {
    what: () => `axis ${a} of shape ${fmtShape(t.shape)}`,
  });
  checkInteger("gather", "batchDims", batchDims, -idx.rank, idx.rank);
  const b = batchDims < 0 ? batchDims + idx.rank : batchDims;
  if (b === 0) return bind(gatherPrim, [t, idx], { axis: a });
  if (a < b || !sameShape(t.shape.slice(0, b), idx.shape.slice(0, b))) {
    throw new Error(
      `gather: with batchDims ${b}, x of shape ${fmtShape(t.shape)} and indices of shape ` +
        `${fmtShape(idx.shape)} must share their first ${b} axes, and the axis (${a}) must ` +
        `come after them`,
    );
  }
  return batchedGather(t, idx, a, b);
}

// Each example's rows laid end to end along one axis, then one gather: x [...B, ...M, n, ...post]
// becomes [B·n, ...M, ...post], and the indices [...B, ...I] are offset into their example's block.
function batchedGather(x: Tensor, indices: Tensor, axis: number, b: number): Tensor {
  const batch = x.shape.slice(0, b), count = sizeOf(batch), n = x.shape[axis];
  const mid = x.shape.slice(b, axis), post = x.shape.slice(axis + 1);
  const flatX = reshape(x, [count, ...mid, n, ...post]);
  const m = mid.length;
  const rows = transpose(flatX, [0, 1 + m, ...span(1, m), ...span(2 + m, post.length)]);
  const blocks = reshape(rows, [count * n, ...mid, ...post]);
  const inner = indices.shape.slice(b);
  const idx = offsetRows(reshape(indices, [count, ...inner]), n);
  const taken = bind(gatherPrim, [blocks, idx], { axis: 0 }); // [count, ...I, ...M, ...post]
  const k = inner.length;
  const ordered = transpose(taken, [
    0,
    ...span(1 + k, m),
    ...span(1, k),
    ...span(1 + k + m, post.length),
  ]);
  return reshape(ordered, [...batch, ...mid, ...inner, ...post]);
}

/**
 * Repeats `x` `multiples[i]` times along each axis `i` (a composite of reshape and broadcast).
 *
 * @param x The input.
 * @param multiples One non-negative integer per axis.
 * @returns The tiled tensor.
 * @example Repeating a row
 * ```ts
 * import { tile } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(tile([[1, 2]], [2, 2]).toArray(), [[1, 2, 1, 2], [1, 2, 1, 2]]);
 * ```
 */
export function tile(x: TensorLike, multiples: readonly number[]): Tensor {
  const t = toTensor(x, { op: "tile" });
  if (
    !Array.isArray(multiples) || multiples.length !== t.rank ||
    !multiples.every((m) => Number.isInteger(m) && m >= 0)
  ) {
    throw new (Array.isArray(multiples) ? Error : TypeError)(
      `tile: multiples ${fmtList(multiples)} must give one non-negative integer per axis ` +
        `of shape ${fmtShape(t.shape)}`,
    );
  }
  // Checked here, else the error would name broadcastTo, a step the user never called.
  checkSize("tile", t.shape.map((d, i) => d * multiples[i]));
  // [a, b] → [1, a, 1, b] → [m, a, n, b] → [m·a, n·b]
  const spaced = t.shape.flatMap((d) => [1, d]);
  const wide = t.shape.flatMap((d, i) => [multiples[i], d]);
  return reshape(broadcastTo(reshape(t, spaced), wide), t.shape.map((d, i) => d * multiples[i]));
}
