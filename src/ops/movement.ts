/** Ops that move or regroup elements without arithmetic: reshape, transpose, broadcast. */
import { type Aval, bind, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import {
  Tensor,
  type TensorLike,
  uniformTensor,
  uniformValue,
  viewTensor,
} from "../core/tensor.ts";
import {
  broadcastShapes,
  checkShape,
  copyShape,
  fmtList,
  fmtShape,
  normalizeAxes,
  normalizeAxis,
  sameShape,
  sizeOf,
  stridesOf,
} from "../core/shape.ts";
import { allocate } from "../core/dtype.ts";
import { dtypesDiffer } from "../core/_dtypes_differ.ts";
import { toTensors } from "../core/convert.ts";
import { broadcastStrides, stridedCopy, writeBlock } from "../core/kernels/strided.ts";
import { transposeKernel } from "../core/kernels/matmul.ts";
import { register, sumTo } from "./_lax.ts";
import { allMapped, lead, padRank, spread, toFront } from "./_batch.ts";
import { checkInteger, describeValue } from "../core/check.ts";

interface ShapeAttrs {
  shape: readonly number[];
}
interface PermAttrs {
  perm: readonly number[];
}

/** The movement primitives, by name. */
export const movementPrims = {
  // Linear: d reshape(x) = reshape(dx); the data is shared, never copied.
  reshape: {
    name: "reshape",
    // The wrapper resolved any -1; the element counts must match.
    shape([x], { shape }) {
      const size = sizeOf(shape), had = sizeOf(x.shape);
      if (size !== had) {
        throw new Error(
          `reshape: cannot reshape ${fmtShape(x.shape)} (${had} elements) into ${
            fmtShape(shape)
          } ` + `(${size} elements): the element counts must match`,
        );
      }
      return { shape, dtype: x.dtype };
    },
    shortcut([x], _, { shape }) {
      const u = uniformValue(x);
      return u === undefined ? viewTensor(x, shape, x.dtype) : uniformTensor(u, shape, x.dtype);
    },
    // Eager mode shares the values (the shortcut), and so does a compiled program (alias).
    kernels: { cpu: ([x], out) => out.data.set(x.data) },
    alias: 0,
    jvp: ([t], [x], __, { shape }) => t && reshape(t, [...lead(t, x), ...shape]),
    vjp: (g, [x]) => [reshape(g, x.shape)],
    batch: (self, [x], [axis], { shape }, size) => [
      bind(self, [toFront(x, axis)], { shape: [size, ...shape] }),
      0,
    ],
  } satisfies Primitive<ShapeAttrs>,
  // Linear: d transpose(x) = transpose(dx); its reverse is the inverse permutation.
  transpose: {
    name: "transpose",
    shape([x], { perm }) {
      const shape = new Array<number>(perm.length);
      for (let i = 0; i < perm.length; i++) shape[i] = x.shape[perm[i]];
      return { shape, dtype: x.dtype };
    },
    shortcut: uniformMove,
    kernels: { cpu: ([x], out, { perm }) => transposeKernel(out.data, x.data, x.shape, perm) },
    jvp: ([t], [x], __, { perm }) => {
      if (t === null) return null;
      const n = t.rank - x.rank;
      return transpose(t, [...lead(t, x).map((_, i) => i), ...perm.map((p) => p + n)]);
    },
    vjp: (g, _, __, { perm }) => [transpose(g, inversePerm(perm))],
    batch: (self, [x], [axis], { perm }) => [
      bind(self, [toFront(x, axis)], { perm: [0, ...perm.map((p) => p + 1)] }),
      0,
    ],
  } satisfies Primitive<PermAttrs>,
  // Linear: its reverse sums over the broadcast axes.
  broadcastTo: {
    name: "broadcastTo",
    shape([x], { shape }) {
      if (!sameShape(broadcastShapes("broadcastTo", x.shape, shape), shape)) {
        throw new Error(
          `broadcastTo: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}: the target ` +
            `needs at least the input's rank, and each input dimension must equal its own or be 1`,
        );
      }
      return { shape, dtype: x.dtype };
    },
    // A broadcast scalar (as every reduction's gradient) stays one value until read densely.
    shortcut: uniformMove,
    kernels: {
      cpu: ([x], out, { shape }) =>
        stridedCopy(out.data, x.data, broadcastStrides(x.shape, shape), shape),
    },
    jvp: ([t], [x], out) => t && spread(t, x, out),
    vjp: (g, [x]) => [sumTo(g, x.shape)],
    batch: (self, [x], [axis], { shape }, size) => [
      bind(self, [padRank(toFront(x, axis), shape.length)], { shape: [size, ...shape] }),
      0,
    ],
  } satisfies Primitive<ShapeAttrs>,
};

// Moving the elements of a uniform tensor (or a scalar) leaves a uniform tensor.
function uniformMove([x]: readonly Tensor[], out: Aval): Tensor | undefined {
  const u = uniformValue(x);
  return u === undefined ? undefined : uniformTensor(u, out.shape, out.dtype);
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/**
 * Gives `x` a new shape with the same elements in the same order; one entry may be `-1`,
 * inferred from the others.
 *
 * @param x The input.
 * @param shape The new shape.
 * @returns The reshaped tensor (sharing storage: tensors are immutable).
 * @example Rows to columns
 * ```ts
 * import { reshape } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reshape([1, 2, 3, 4, 5, 6], [-1, 2]).shape, [3, 2]);
 * ```
 */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x, { op: "reshape" });
  const resolved = resolveShape(t, shape);
  if (sameShape(resolved, t.shape)) return t;
  return bind(movementPrims.reshape, [t], { shape: resolved });
}

function resolveShape(t: Tensor, shape: readonly number[]): readonly number[] {
  if (!Array.isArray(shape)) checkShape("reshape", shape);
  if (sizeOf(shape) === t.size && shape.every((d) => Number.isInteger(d) && d >= 0)) {
    return Object.isFrozen(shape) ? shape : [...shape];
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < -1) {
      throw new TypeError(
        `reshape: shape ${fmtList(shape)} is not valid: every dimension must be a ` +
          `non-negative integer, or -1 (once) to infer it`,
      );
    }
  }
  const out = Array.from(shape);
  const unknown = out.indexOf(-1);
  if (unknown !== out.lastIndexOf(-1)) {
    throw new Error(`reshape: only one dimension may be -1, got ${fmtShape(shape)}`);
  }
  if (unknown >= 0) {
    const known = sizeOf(out.filter((_, i) => i !== unknown));
    if (known === 0) {
      throw new Error(
        `reshape: cannot infer the -1 in ${fmtShape(shape)}: the other dimensions multiply to 0, ` +
          `so any length would fit: give every dimension`,
      );
    }
    if (t.size % known !== 0) {
      throw new Error(
        `reshape: cannot reshape ${fmtShape(t.shape)} (${t.size} elements) into ${
          fmtShape(shape)
        }: ` +
          `${t.size} is not a multiple of ${known}`,
      );
    }
    out[unknown] = t.size / known;
  }
  checkShape("reshape", out);
  return out;
}

/**
 * Permutes the axes of `x`: output axis `i` is input axis `perm[i]`. Without `perm`, reverses
 * the axes (a matrix transpose for rank 2).
 *
 * @param x The input.
 * @param perm A permutation of `0 … rank-1`.
 * @returns The transposed tensor.
 * @example Transposing a matrix
 * ```ts
 * import { transpose } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(transpose([[1, 2, 3], [4, 5, 6]]).toArray(), [[1, 4], [2, 5], [3, 6]]);
 * ```
 */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const t = toTensor(x, { op: "transpose" });
  const p = perm ?? t.shape.map((_, i) => t.rank - 1 - i);
  if (!Array.isArray(p)) {
    throw new TypeError(
      `transpose: perm must be an array of axes such as [1, 0], not ${describeValue(p)}`,
    );
  }
  // An axis out of range gets the usual message, which names the axis and the rank.
  for (const a of p) if (Number.isInteger(a)) normalizeAxis("transpose", a, t.rank);
  const norm = permutation(p, t.rank);
  if (norm === null) {
    throw new (p.every(Number.isInteger) ? Error : TypeError)(
      `transpose: perm ${fmtList(p)} is not a permutation of the ${t.rank} axes of a ` +
        `tensor of shape ${fmtShape(t.shape)}: it must list every axis exactly once`,
    );
  }
  if (norm.every((a, i) => a === i)) return t;
  return bind(movementPrims.transpose, [t], { perm: norm });
}

// `perm` with negative axes made positive, or null unless it names each of `rank` axes once.
function permutation(perm: readonly number[], rank: number): number[] | null {
  if (perm.length !== rank) return null;
  const out = new Array<number>(rank);
  const seen = new Array<boolean>(rank).fill(false);
  for (let i = 0; i < rank; i++) {
    const a = perm[i];
    if (!Number.isInteger(a) || a < -rank || a >= rank) return null;
    const n = a < 0 ? a + rank : a;
    if (seen[n]) return null;
    seen[n] = true;
    out[i] = n;
  }
  return out;
}

/**
 * Broadcasts `x` to `shape` by numpy's rules, copying elements along new or size-1 axes.
 *
 * @param x The input.
 * @param shape The target shape; `x`'s shape must broadcast to it.
 * @returns A tensor of `shape`.
 * @example Repeating a row
 * ```ts
 * import { broadcastTo } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(broadcastTo([1, 2], [2, 2]).toArray(), [[1, 2], [1, 2]]);
 * ```
 */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x, { op: "broadcastTo" });
  checkShape("broadcastTo", shape);
  if (sameShape(t.shape, shape)) return t;
  return bind(movementPrims.broadcastTo, [t], { shape: [...shape] });
}

/**
 * Inserts an axis of length 1 at `axis` (negative counts from the end of the result).
 *
 * @param x The input.
 * @param axis Where the new axis goes, in `[-rank-1, rank]`.
 * @returns A tensor of rank one more.
 * @example A column from a vector
 * ```ts
 * import { expandDims } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(expandDims([1, 2, 3], 1).shape, [3, 1]);
 * ```
 */
export function expandDims(x: TensorLike, axis: number): Tensor {
  const t = toTensor(x, { op: "expandDims" });
  if (!Number.isInteger(axis) || axis < -t.rank - 1 || axis > t.rank) {
    checkInteger("expandDims", "axis", axis);
    throw new RangeError(
      `expandDims: axis ${axis} is out of range for a tensor of rank ${t.rank}: ` +
        `use an axis in [${-t.rank - 1}, ${t.rank}]`,
    );
  }
  const a = axis < 0 ? axis + t.rank + 1 : axis;
  const shape = [...t.shape];
  shape.splice(a, 0, 1);
  return reshape(t, shape);
}

/**
 * Removes axes of length 1: all of them, or those named by `axis` (which must have length 1).
 *
 * @param x The input.
 * @param axis The axes to remove.
 * @returns The squeezed tensor.
 * @example Dropping unit axes
 * ```ts
 * import { squeeze } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(squeeze([[[1], [2]]]).shape, [2]);
 * ```
 */
export function squeeze(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const t = toTensor(x, { op: "squeeze" });
  const drop = axis === undefined || axis === null
    ? t.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
    : normalizeAxes("squeeze", axis, t.rank);
  for (const a of drop) {
    if (t.shape[a] !== 1) {
      throw new Error(
        `squeeze: axis ${a} of shape ${fmtShape(t.shape)} has length ${t.shape[a]}, not 1: ` +
          `only axes of length 1 can be squeezed`,
      );
    }
  }
  return reshape(t, t.shape.filter((_, i) => !drop.includes(i)));
}

interface SliceAttrs {
  begin: readonly number[];
  size: readonly number[];
}
interface PadAttrs {
  paddings: readonly (readonly [number, number])[];
  value: number;
}
interface ConcatAttrs {
  axis: number;
}

// Slicing, padding and concatenation: each one's reverse rule is written with another.

// Linear: reverse pads the cotangent back to the input's shape with zeros.
const slicePrim: Primitive<SliceAttrs> = {
  name: "slice",
  shape([x], { begin, size }) {
    for (let i = 0; i < x.shape.length; i++) {
      if (!(begin[i] >= 0 && size[i] >= 0 && begin[i] + size[i] <= x.shape[i])) {
        throw new RangeError(
          `slice: axis ${i} of shape ${fmtShape(x.shape)} has length ${x.shape[i]}, but the ` +
            `block runs from ${begin[i]} for ${size[i]} elements: it must lie within ` +
            `[0, ${x.shape[i]}]`,
        );
      }
    }
    return { shape: size, dtype: x.dtype };
  },
  shortcut: uniformMove,
  kernels: {
    cpu([x], out, { begin, size }) {
      const strides = stridesOf(x.shape);
      let offset = 0;
      for (let i = 0; i < begin.length; i++) offset += begin[i] * strides[i];
      stridedCopy(out.data, x.data, strides, size, offset);
    },
  },
  jvp: ([t], [x], __, { begin, size }) => {
    if (t === null) return null;
    const l = lead(t, x);
    return bind(slicePrim, [t], { begin: [...l.map(() => 0), ...begin], size: [...l, ...size] });
  },
  vjp: (g, [x], _, { begin, size }) => [
    bind(padPrim, [g], {
      paddings: begin.map((b, i) => [b, x.shape[i] - b - size[i]] as [number, number]),
      value: 0,
    }),
  ],
  batch: (self, [x], [axis], { begin, size }, n) => [
    bind(self, [toFront(x, axis)], { begin: [0, ...begin], size: [n, ...size] }),
    0,
  ],
};

// Affine in x: d pad(x) = pad(dx, 0); reverse slices the padding off.
const padPrim: Primitive<PadAttrs> = {
  name: "pad",
  shape([x], { paddings, value }) {
    if (paddings.length !== x.shape.length) {
      throw new Error(
        `pad: paddings has ${paddings.length} pairs but the tensor of shape ${fmtShape(x.shape)} ` +
          `has ${x.shape.length} axes: give one [before, after] pair per axis`,
      );
    }
    checkFill(x.dtype, value);
    const shape = new Array<number>(x.shape.length);
    for (let i = 0; i < shape.length; i++) shape[i] = x.shape[i] + paddings[i][0] + paddings[i][1];
    return { shape, dtype: x.dtype };
  },
  kernels: {
    cpu([x], out, { paddings, value }) {
      out.data.fill(value);
      writeBlock(out.data, out.shape, x.data, x.shape, paddings.map((p) => p[0]));
    },
  },
  jvp: ([t], [x], __, { paddings }) => {
    if (t === null) return null;
    const none = lead(t, x).map(() => [0, 0] as [number, number]);
    return bind(padPrim, [t], { paddings: [...none, ...paddings], value: 0 });
  },
  vjp: (g, [x], _, { paddings }) => [
    bind(slicePrim, [g], { begin: paddings.map((p) => p[0]), size: x.shape }),
  ],
  batch: (self, [x], [axis], { paddings, value }) => [
    bind(self, [toFront(x, axis)], { paddings: [[0, 0], ...paddings], value }),
    0,
  ],
};

// Linear: d concat(xs) = concat(dxs); reverse slices each input's block out.
const concatPrim: Primitive<ConcatAttrs> = {
  name: "concat",
  shape(xs, { axis }) {
    const first = xs[0], rank = first.shape.length;
    const shape = copyShape(first.shape);
    for (let j = 1; j < xs.length; j++) {
      const x = xs[j];
      if (x.dtype !== first.dtype) {
        throw new TypeError(dtypesDiffer("concat", first.dtype, x.dtype));
      }
      if (x.shape.length !== rank) {
        throw new Error(
          `concat: ranks differ: ${fmtShape(first.shape)} and ${fmtShape(x.shape)}: every ` +
            `tensor needs rank ${rank}`,
        );
      }
      for (let i = 0; i < rank; i++) {
        if (i !== axis && x.shape[i] !== first.shape[i]) {
          throw new Error(
            `concat: shapes ${fmtShape(first.shape)} and ${
              fmtShape(x.shape)
            } differ outside axis ${axis}`,
          );
        }
      }
      shape[axis] += x.shape[axis];
    }
    return { shape, dtype: first.dtype };
  },
  kernels: {
    cpu(xs, out, { axis }) {
      const begin = out.shape.map(() => 0);
      for (const x of xs) {
        writeBlock(out.data, out.shape, x.data, x.shape, begin);
        begin[axis] += x.shape[axis];
      }
    },
  },
  jvp: (ts, xs, _, { axis }) => {
    const some = ts.find((t) => t !== null);
    if (some === undefined || some === null) return null;
    const l = lead(some, xs[0]);
    const parts = ts.map((t, i) => t ?? fillShape([...l, ...xs[i].shape], xs[i]));
    return bind(concatPrim, parts, { axis: axis + l.length });
  },
  vjp: (g, xs, _, { axis }, needs) => {
    let start = 0;
    return xs.map((x, i) => {
      const begin = g.shape.map((_, d) => (d === axis ? start : 0));
      start += x.shape[axis];
      return needs[i] ? bind(slicePrim, [g], { begin, size: x.shape }) : null;
    });
  },
  batch: (self, xs, axes, { axis }, size) => [
    bind(self, allMapped(xs, axes, size), { axis: axis + 1 }),
    0,
  ],
};

/** The block primitives, by name. */
export const blockPrims = { slice: slicePrim, pad: padPrim, concat: concatPrim };
register(movementPrims);

function fillShape(shape: readonly number[], like: Tensor): Tensor {
  return new Tensor(allocate(like.dtype, sizeOf(shape)), shape, like.dtype);
}

/**
 * A block of `x`: `size[i]` elements from `begin[i]` along each axis (`-1` in `size`: to the end).
 *
 * @param x The input.
 * @param begin Where the block starts, one entry per axis.
 * @param size The block's extent per axis; `-1` runs to the end.
 * @returns The block.
 * @example The middle of a vector
 * ```ts
 * import { slice } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(slice([1, 2, 3, 4], [1], [2]).toArray(), [2, 3]);
 * ```
 */
export function slice(x: TensorLike, begin: readonly number[], size: readonly number[]): Tensor {
  const t = toTensor(x, { op: "slice" });
  if (!Array.isArray(begin) || !Array.isArray(size)) {
    throw new TypeError(
      `slice: begin and size must be arrays of integers, one entry per axis, not ` +
        `${fmtList(begin)} and ${fmtList(size)}`,
    );
  }
  if (begin.length !== t.rank || size.length !== t.rank) {
    throw new Error(
      `slice: begin ${fmtList(begin)} and size ${fmtList(size)} need one entry per ` +
        `axis of shape ${fmtShape(t.shape)}`,
    );
  }
  for (let i = 0; i < t.rank; i++) {
    if (!Number.isInteger(begin[i]) || !Number.isInteger(size[i]) || size[i] < -1) {
      const bad = Number.isInteger(begin[i]) ? size[i] : begin[i];
      throw new (Number.isInteger(bad) ? RangeError : TypeError)(
        `slice: begin ${fmtList(begin)} and size ${fmtList(size)} must hold ` +
          `integers (a size of -1 runs to the end), got ${describeValue(bad)}`,
      );
    }
  }
  const sz = size.map((s, i) => (s === -1 ? t.shape[i] - begin[i] : s));
  // The whole tensor (the shape rule checks every other block's bounds).
  if (sameShape(sz, t.shape) && begin.every((b) => b === 0)) return t;
  return bind(slicePrim, [t], { begin: [...begin], size: sz });
}

/**
 * Pads `x` with `constantValue`: `paddings[i] = [before, after]` elements along axis `i`.
 *
 * @param x The input.
 * @param paddings One `[before, after]` pair per axis.
 * @param constantValue The fill value (default 0).
 * @returns The padded tensor.
 * @example A zero border
 * ```ts
 * import { pad } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(pad([1, 2], [[1, 1]]).toArray(), [0, 1, 2, 0]);
 * ```
 */
export function pad(
  x: TensorLike,
  paddings: readonly (readonly [number, number])[],
  constantValue = 0,
): Tensor {
  const t = toTensor(x, { op: "pad" });
  if (!Array.isArray(paddings)) {
    throw new TypeError(
      `pad: paddings must be an array of [before, after] pairs, one per axis, not ` +
        describeValue(paddings),
    );
  }
  for (const p of paddings) {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new (Array.isArray(p) && p.every(Number.isInteger) ? RangeError : TypeError)(
        `pad: each padding must be a [before, after] pair of non-negative integers, got ${
          fmtList(p)
        }`,
      );
    }
  }
  return bind(padPrim, [t], {
    paddings: paddings.map((p) => [p[0], p[1]] as [number, number]),
    value: constantValue,
  });
}

/**
 * Joins tensors along an existing axis; all other dimensions must agree.
 *
 * @param xs The tensors, of one dtype and rank.
 * @param axis The axis to join along (negative counts from the end).
 * @returns The joined tensor.
 * @example Stacking rows
 * ```ts
 * import { concat } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(concat([[[1, 2]], [[3, 4]]], 0).toArray(), [[1, 2], [3, 4]]);
 * ```
 */
export function concat(xs: readonly TensorLike[], axis: number): Tensor {
  checkList("concat", xs);
  const ts = toTensors("concat", xs);
  const rank = ts[0].rank;
  if (rank === 0) throw new Error("concat: cannot join scalars along an axis: use stack");
  const a = normalizeAxis("concat", axis, rank);
  if (ts.length === 1) return ts[0];
  return bind(concatPrim, ts, { axis: a });
}

// NOTE: a tensor passed alone would otherwise fail inside as "cannot read 'rank' of undefined".
function checkList(op: string, xs: unknown): void {
  if (!Array.isArray(xs)) {
    throw new TypeError(`${op}: expects an array of tensors, not ${describeValue(xs)}`);
  }
  if (xs.length === 0) throw new Error(`${op}: needs at least one tensor, got an empty array`);
}

// A pad value the tensor's dtype holds unchanged (float32 rounding aside).
function checkFill(dtype: string, v: unknown): void {
  const ok = typeof v === "number" &&
    (dtype === "int32"
      ? Number.isInteger(v) && v >= -2147483648 && v <= 2147483647
      : dtype !== "bool" || v === 0 || v === 1);
  if (!ok) {
    throw new TypeError(
      `pad: constantValue ${describeValue(v)} does not fit a ${dtype} tensor: ` +
        (dtype === "int32" ? "use an integer" : dtype === "bool" ? "use 0 or 1" : "use a number"),
    );
  }
}

/**
 * Stacks tensors of one shape along a new axis (a composite of `expandDims` and `concat`).
 *
 * @param xs The tensors, of one shape and dtype.
 * @param axis Where the new axis goes (default 0).
 * @returns A tensor of rank one more.
 * @example Stacking vectors into a matrix
 * ```ts
 * import { stack } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(stack([[1, 2], [3, 4]], 1).toArray(), [[1, 3], [2, 4]]);
 * ```
 */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  checkList("stack", xs);
  const ts = toTensors("stack", xs);
  for (const t of ts) {
    if (!sameShape(t.shape, ts[0].shape)) {
      throw new Error(`stack: shapes differ: ${fmtShape(ts[0].shape)} and ${fmtShape(t.shape)}`);
    }
  }
  const a = normalizeAxis("stack", axis, ts[0].rank + 1);
  return concat(ts.map((t) => expandDims(t, a)), a);
}

/**
 * Splits `x` along `axis` into equal parts, or into parts of the given sizes (a composite of
 * `slice`).
 *
 * @param x The input.
 * @param numOrSizeSplits How many equal parts, or the size of each part (one may be -1).
 * @param axis The axis to split (default 0).
 * @returns The parts.
 * @example Halves
 * ```ts
 * import { split } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(split([1, 2, 3, 4], 2).map((t) => t.toArray()), [[1, 2], [3, 4]]);
 * ```
 */
export function split(
  x: TensorLike,
  numOrSizeSplits: number | readonly number[],
  axis = 0,
): Tensor[] {
  const t = toTensor(x, { op: "split" });
  const a = normalizeAxis("split", axis, t.rank);
  const len = t.shape[a];
  let sizes: number[];
  if (typeof numOrSizeSplits === "number") {
    if (!Number.isInteger(numOrSizeSplits) || numOrSizeSplits <= 0) {
      throw new (Number.isInteger(numOrSizeSplits) ? RangeError : TypeError)(
        `split: the number of parts must be a positive integer, not ` +
          `${describeValue(numOrSizeSplits)}: give a count of equal parts, or an array of sizes`,
      );
    }
    if (len % numOrSizeSplits !== 0) {
      throw new Error(
        `split: axis ${a} of shape ${fmtShape(t.shape)} has length ${len}, which does not divide ` +
          `into ${numOrSizeSplits} equal parts`,
      );
    }
    sizes = new Array(numOrSizeSplits).fill(len / numOrSizeSplits);
  } else {
    if (!Array.isArray(numOrSizeSplits)) {
      throw new TypeError(
        `split: numOrSizeSplits must be a number of equal parts or an array of sizes, not ` +
          describeValue(numOrSizeSplits),
      );
    }
    if (!numOrSizeSplits.every((n) => Number.isInteger(n) && n >= -1)) {
      throw new (numOrSizeSplits.every(Number.isInteger) ? RangeError : TypeError)(
        `split: sizes ${fmtList(numOrSizeSplits)} must be non-negative integers ` +
          `(one may be -1, for the rest)`,
      );
    }
    sizes = [...numOrSizeSplits];
    const unknown = sizes.indexOf(-1);
    if (unknown !== sizes.lastIndexOf(-1)) {
      throw new Error(
        `split: only one size may be -1, got ${fmtList(numOrSizeSplits)}`,
      );
    }
    if (unknown >= 0) {
      sizes[unknown] = len - sizes.reduce((s, n, i) => (i === unknown ? s : s + n), 0);
    }
    if (sizes.some((n) => n < 0) || sizes.reduce((s, n) => s + n, 0) !== len) {
      throw new Error(
        `split: sizes ${fmtList(numOrSizeSplits)} do not add up to ${len}, the length of ` +
          `axis ${a} of shape ${fmtShape(t.shape)}`,
      );
    }
  }
  let start = 0;
  return sizes.map((n) => {
    const begin = t.shape.map((_, i) => (i === a ? start : 0));
    const size = t.shape.map((d, i) => (i === a ? n : d));
    start += n;
    return slice(t, begin, size);
  });
}
