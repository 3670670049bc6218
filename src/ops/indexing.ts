/** Indexing: `gather` (with its adjoint, a scatter-add) and `tile`. */
import { type Aval, bind, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import { describeValue } from "../core/check.ts";
import { Variable } from "../core/variable.ts";
import { dataOf, Tensor, type TensorLike, tracedStorage } from "../core/tensor.ts";
import { checkSize, fmtList, fmtShape, normalizeAxis, sizeOf } from "../core/shape.ts";
import { add, broadcastTo, reshape, transpose } from "./_lax.ts";
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
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < k; j++) {
          const from = (o * n + idx[j]) * inner;
          out.set(src.subarray(from, from + inner), (o * k + j) * inner);
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

// Indices [B, ...] of rows of length-`n` blocks, one block per example, as rows of all blocks.
function offsetRows(indices: Tensor, n: number): Tensor {
  const b = indices.shape[0];
  const starts = reshape(range(0, b * n, n, "int32"), [b, ...indices.shape.slice(1).map(() => 1)]);
  return add(indices, starts);
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
      const o = out.data.fill(0);
      for (let r = 0; r < outer; r++) {
        for (let j = 0; j < k; j++) {
          const from = (r * k + j) * inner, to = (r * size + idx[j]) * inner;
          for (let i = 0; i < inner; i++) o[to + i] += src[from + i];
        }
      }
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

/** The indexing primitives, by name. */
export const indexingPrims = { gather: gatherPrim, scatterAdd: scatterPrim };

/**
 * Takes the slices of `x` along `axis` at `indices` (int32, any shape): the result's shape is
 * `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. The gradient adds back into the rows
 * taken (repeated indices accumulate).
 *
 * @param x The input.
 * @param indices Integer positions along `axis`, each in `[0, x.shape[axis])`.
 * @param axis The axis to index (default 0; negative counts from the end).
 * @returns The gathered tensor.
 * @example Picking rows
 * ```ts
 * import { gather } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(gather([[1, 2], [3, 4], [5, 6]], [2, 0]).toArray(), [[5, 6], [1, 2]]);
 * ```
 */
export function gather(x: TensorLike, indices: TensorLike, axis = 0): Tensor {
  const t = toTensor(x, { op: "gather" });
  // NOTE: plain numbers are read exactly (float64) so that a fraction is reported as a
  // fraction, not as an int32 conversion with advice to cast.
  const given = indices instanceof Tensor || indices instanceof Variable;
  const idx = toTensor(indices, { dtype: given ? undefined : "float64", op: "gather" });
  const a = normalizeAxis("gather", axis, t.rank);
  // Mapped indices inside vmap have no values to check here, as in JAX; the shape rule refuses
  // tensors of indices that are not int32.
  if (tracedStorage(idx) !== undefined || (given && idx.dtype !== "int32")) {
    return bind(gatherPrim, [t, idx], { axis: a });
  }
  const n = t.shape[a];
  const data = dataOf(idx);
  for (let k = 0; k < data.length; k++) {
    const i = data[k];
    if (!Number.isInteger(i)) {
      throw new TypeError(
        `gather: indices must be integers, got ${describeValue(i)}: pass whole numbers, or an ` +
          `int32 tensor`,
      );
    }
    if (i < 0 || i >= n) {
      throw new RangeError(
        `gather: index ${i} is out of range for axis ${a} of shape ${fmtShape(t.shape)}: ` +
          `indices must be in [0, ${n - 1}]`,
      );
    }
  }
  const ints = given ? idx : new Tensor(Int32Array.from(data as Float64Array), idx.shape, "int32");
  return bind(gatherPrim, [t, ints], { axis: a });
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
