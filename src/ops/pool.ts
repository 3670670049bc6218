/**
 * Pooling (`tf.nn.max_pool`, `tf.nn.avg_pool`) over 1 to 3 spatial dimensions, channels last or
 * first. Four primitives, each a direct loop over typed arrays: max pooling picks, from a tensor
 * `t` shaped as the input, the value at each window's maximum of the input `x` (`maxPool(x)` is
 * that pick from `x` itself), and its adjoint adds a cotangent back at those positions; average
 * pooling and its adjoint are linear. Every rule is one of the four again, so derivatives of any
 * order are these same passes.
 */
import { bind, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import { checkInteger, checkOptions, describeValue } from "../core/check.ts";
import { fmtList, fmtShape, sameShape, sizeOf } from "../core/shape.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import {
  avgPoolGradKernel,
  avgPoolKernel,
  maxPoolGradKernel,
  maxPoolKernel,
  type Windows,
} from "../core/kernels/pool.ts";
import { broadcastTo, reshape, transpose } from "./_lax.ts";
import { lead, toFront } from "./_batch.ts";
import { requireFloat, requireSameDtype } from "./_define.ts";

/** Padding of a pooling: `"SAME"` (output size ⌈n / stride⌉) or `"VALID"` (whole windows only). */
export type PoolPadding = "SAME" | "VALID" | "same" | "valid";

/** The layout of a pooling's input, by its rank: channels last (default) or first. */
export type PoolDataFormat = "NWC" | "NCW" | "NHWC" | "NCHW" | "NDHWC" | "NCDHW";

/** Options of {@linkcode maxPool} and {@linkcode avgPool}. */
export interface PoolOptions {
  /**
   * The input's layout: `"NWC"`, `"NHWC"` or `"NDHWC"` (the default for rank 3, 4 and 5), or
   * channels first, `"NCW"`, `"NCHW"` or `"NCDHW"`.
   */
  dataFormat?: PoolDataFormat;
}

interface PoolAttrs {
  /** The axis of the first spatial dimension. */
  readonly start: number;
  /** The window's size, per spatial dimension (1 to 3 of them). */
  readonly ksize: readonly number[];
  readonly strides: readonly number[];
  readonly padding: "SAME" | "VALID";
}

interface PoolGradAttrs extends PoolAttrs {
  /** The spatial sizes of the pooling's input, which its adjoint gives back. */
  readonly input: readonly number[];
}

// Output size and padding before, along one spatial dimension, as TensorFlow computes them.
function along(
  op: string,
  n: number,
  k: number,
  s: number,
  padding: "SAME" | "VALID",
  where: () => string,
): [number, number] {
  if (padding === "VALID") {
    if (k > n) {
      throw new RangeError(
        `${op}: the window (${k}) is larger than the input (${n}) along ${where()} with ` +
          `VALID padding: use a smaller window, or SAME padding`,
      );
    }
    return [Math.floor((n - k) / s) + 1, 0];
  }
  const out = Math.ceil(n / s);
  return [out, Math.floor(Math.max((out - 1) * s + k - n, 0) / 2)];
}

// The windows of a pooling of an input of `shape`, checked (the kernels' view of it).
function windowsOf(op: string, shape: readonly number[], attrs: PoolAttrs): Windows {
  const { start, ksize, strides, padding } = attrs, d = ksize.length;
  if (shape.length < start + d) {
    throw new RangeError(
      `${op}: an input of shape ${fmtShape(shape)} has no ${d} spatial dimensions from axis ` +
        `${start}`,
    );
  }
  const input = shape.slice(start, start + d), output: number[] = [], pad: number[] = [];
  for (let i = 0; i < d; i++) {
    const where = () => `spatial dimension ${i} of shape ${fmtShape(shape)}`;
    const [o, p] = along(op, input[i], ksize[i], strides[i], padding, where);
    output.push(o);
    pad.push(p);
  }
  const three = (v: readonly number[], fill: number) => [...new Array(3 - d).fill(fill), ...v];
  return {
    outer: sizeOf(shape.slice(0, start)),
    inner: sizeOf(shape.slice(start + d)),
    input: three(input, 1),
    output: three(output, 1),
    ksize: three(ksize, 1),
    strides: three(strides, 1),
    pad: three(pad, 0),
  };
}

// `shape` with its spatial dimensions replaced by `spatial`.
function withSpatial(
  shape: readonly number[],
  start: number,
  spatial: readonly number[],
): number[] {
  const out = [...shape];
  out.splice(start, spatial.length, ...spatial);
  return out;
}

function pooledShape(op: string, shape: readonly number[], attrs: PoolAttrs): number[] {
  const w = windowsOf(op, shape, attrs);
  return withSpatial(shape, attrs.start, w.output.slice(3 - attrs.ksize.length));
}

// `t` must be `[...lead, ...shape]`: returns the leading dimensions.
function leadOf(
  op: string,
  what: string,
  t: readonly number[],
  shape: readonly number[],
): number[] {
  const n = t.length - shape.length;
  if (n < 0 || !sameShape(t.slice(n), shape)) {
    throw new Error(
      `${op}: ${what} of shape ${fmtShape(t)} does not end with the shape ${fmtShape(shape)}`,
    );
  }
  return t.slice(0, n);
}

// NOTE: a primitive for speed: one pass over the windows, where gather-based composites would
// write out the argmax positions and read them back. It has two inputs so that its rules are
// the same pass again: in `x` it is piecewise constant (the positions move only at ties), in
// `t` linear.
/** The values of `t` (`[...lead, ...x.shape]`) at each window's maximum of `x`. */
const maxPoolPrim: Primitive<PoolAttrs> = {
  name: "maxPool",
  shape([x, t], attrs) {
    requireFloat("maxPool", x);
    requireSameDtype("maxPool", x, t);
    const l = leadOf("maxPool", "the tensor picked from", t.shape, x.shape);
    return { shape: [...l, ...pooledShape("maxPool", x.shape, attrs)], dtype: x.dtype };
  },
  kernels: {
    cpu: ([x, t], out, attrs) =>
      maxPoolKernel(x.data, t.data, out.data, windowsOf("maxPool", x.shape, attrs)),
  },
  jvp: ([, tt], [x], _, attrs) => tt && bind(maxPoolPrim, [x, tt], attrs),
  vjp: (ct, [x], _, attrs, needs) => [
    null,
    needs[1] ? bind(maxPoolGradPrim, [x, ct], attrs) : null,
  ],
  batch: (self, inputs, axes, attrs, size) => pickBatch(self, inputs, axes, attrs, size),
};

/** The adjoint of maxPool in `t`: `g` (`[...lead, ...y]`) added at each window's maximum of `x`. */
const maxPoolGradPrim: Primitive<PoolAttrs> = {
  name: "maxPoolGrad",
  shape([x, g], attrs) {
    requireFloat("maxPoolGrad", x);
    requireSameDtype("maxPoolGrad", x, g);
    const y = pooledShape("maxPoolGrad", x.shape, attrs);
    const l = leadOf("maxPoolGrad", "the cotangent", g.shape, y);
    return { shape: [...l, ...x.shape], dtype: x.dtype };
  },
  kernels: {
    cpu: ([x, g], out, attrs) =>
      maxPoolGradKernel(x.data, g.data, out.data, windowsOf("maxPoolGrad", x.shape, attrs)),
  },
  jvp: ([, tg], [x], _, attrs) => tg && bind(maxPoolGradPrim, [x, tg], attrs),
  vjp: (ct, [x], _, attrs, needs) => [null, needs[1] ? bind(maxPoolPrim, [x, ct], attrs) : null],
  batch: (self, inputs, axes, attrs, size) => pickBatch(self, inputs, axes, attrs, size),
};

// Batching for (x, t) pairs whose `t` may carry leading dimensions: with `x` unmapped, the
// mapped axis of `t` is one more of them; with `x` mapped, the mapped axis goes in front of
// `x`'s dimensions in both (after the leading ones in `t`), and the spatial axes shift by one.
function pickBatch(
  self: Primitive<PoolAttrs>,
  [x, t]: readonly Tensor[],
  [ax, at]: readonly (number | null)[],
  attrs: PoolAttrs,
  size: number,
): readonly [Tensor, number | null] {
  if (ax === null) return [bind(self, [x, toFront(t, at)], attrs), 0];
  const leads = t.rank - (at === null ? 0 : 1) - (x.rank - 1);
  const tm = at === null
    ? broadcastTo(reshape(t, inserted(t.shape, leads, 1)), inserted(t.shape, leads, size))
    : moveAxis(t, at, leads);
  return [bind(self, [toFront(x, ax), tm], { ...attrs, start: attrs.start + 1 }), leads];
}

function inserted(shape: readonly number[], at: number, n: number): number[] {
  const out = [...shape];
  out.splice(at, 0, n);
  return out;
}

// `t` with its axis `from` moved to `to`.
function moveAxis(t: Tensor, from: number, to: number): Tensor {
  const perm = [...Array(t.rank).keys()].filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transpose(t, perm);
}

// NOTE: a primitive for speed: as a composite (a sum of strided slices, one per position of the
// window, divided by the counts) it would be one pass over x per position of the window. Linear,
// so its rules are itself and its adjoint.
/** Each window's mean of `x`, over its positions inside `x` (TensorFlow's SAME averages). */
const avgPoolPrim: Primitive<PoolAttrs> = {
  name: "avgPool",
  shape([x], attrs) {
    requireFloat("avgPool", x);
    return { shape: pooledShape("avgPool", x.shape, attrs), dtype: x.dtype };
  },
  kernels: {
    cpu: ([x], out, attrs) => avgPoolKernel(x.data, out.data, windowsOf("avgPool", x.shape, attrs)),
  },
  jvp: ([t], [x], _, attrs) => t && bind(avgPoolPrim, [t], shifted(attrs, lead(t, x).length)),
  vjp: (ct, [x], _, attrs) => [
    bind(avgPoolGradPrim, [ct], {
      ...attrs,
      input: x.shape.slice(attrs.start, attrs.start + attrs.ksize.length),
    }),
  ],
  batch: (self, [x], [ax], attrs) => [bind(self, [toFront(x, ax)], shifted(attrs, 1)), 0],
};

/** The adjoint of avgPool: each element of `g` spread evenly over its window's positions. */
const avgPoolGradPrim: Primitive<PoolGradAttrs> = {
  name: "avgPoolGrad",
  shape([g], attrs) {
    requireFloat("avgPoolGrad", g);
    const x = withSpatial(g.shape, attrs.start, attrs.input);
    const y = pooledShape("avgPoolGrad", x, attrs);
    if (!sameShape(y, g.shape)) {
      throw new Error(
        `avgPoolGrad: a cotangent of shape ${fmtShape(g.shape)} is not a pooling of an input ` +
          `of shape ${fmtShape(x)}, which gives ${fmtShape(y)}`,
      );
    }
    return { shape: x, dtype: g.dtype };
  },
  kernels: {
    cpu: ([g], out, attrs) =>
      avgPoolGradKernel(g.data, out.data, windowsOf("avgPoolGrad", out.shape, attrs)),
  },
  jvp: ([t], [g], _, attrs) => t && bind(avgPoolGradPrim, [t], shifted(attrs, lead(t, g).length)),
  vjp: (ct, _, __, { start, ksize, strides, padding }) => [
    bind(avgPoolPrim, [ct], { start, ksize, strides, padding }),
  ],
  batch: (self, [g], [ag], attrs) => [bind(self, [toFront(g, ag)], shifted(attrs, 1)), 0],
};

function shifted<A extends PoolAttrs>(attrs: A, by: number): A {
  return by === 0 ? attrs : { ...attrs, start: attrs.start + by };
}

/** The pooling primitives, by name. */
export const poolPrims = {
  maxPool: maxPoolPrim,
  maxPoolGrad: maxPoolGradPrim,
  avgPool: avgPoolPrim,
  avgPoolGrad: avgPoolGradPrim,
};

const FORMATS: Record<number, readonly [PoolDataFormat, PoolDataFormat]> = {
  3: ["NWC", "NCW"],
  4: ["NHWC", "NCHW"],
  5: ["NDHWC", "NCDHW"],
};

// The public ops' arguments, checked, as a tensor and the primitive's attributes.
function poolArgs(
  op: string,
  x: TensorLike,
  ksize: number | readonly number[],
  strides: number | readonly number[],
  padding: PoolPadding,
  options: PoolOptions | undefined,
): [Tensor, PoolAttrs] {
  const t = toTensor(x, { op });
  requireFloat(op, t);
  checkOptions(op, options, ["dataFormat"]);
  const formats = FORMATS[t.rank];
  if (formats === undefined) {
    throw new RangeError(
      `${op}: x must have rank 3, 4 or 5 (a batch, 1 to 3 spatial dimensions, channels), ` +
        `got shape ${fmtShape(t.shape)}: add a batch or channel axis with expandDims`,
    );
  }
  const format = options?.dataFormat ?? formats[0];
  if (!formats.includes(format)) {
    const known = Object.values(FORMATS).flat() as string[];
    const given = typeof format === "string" ? `"${format}"` : describeValue(format);
    throw new TypeError(
      `${op}: dataFormat ${given} does not fit x of rank ${t.rank} (shape ` +
        `${fmtShape(t.shape)}): use "${formats[0]}" or "${formats[1]}"` +
        (known.includes(format) ? "" : `, of ${known.map((f) => `"${f}"`).join(", ")}`),
    );
  }
  const first = format[1] === "C", d = t.rank - 2;
  const pad = typeof padding === "string" ? padding.toUpperCase() : padding;
  if (pad !== "SAME" && pad !== "VALID") {
    throw new TypeError(
      `${op}: padding must be "SAME" or "VALID", not ${describeValue(padding)}`,
    );
  }
  return [t, {
    start: first ? 2 : 1,
    ksize: perSpatial(op, "ksize", ksize, d, first),
    strides: perSpatial(op, "strides", strides, d, first),
    padding: pad,
  }];
}

// A window size or stride per spatial dimension, from one number, one per spatial dimension, or
// TensorFlow's full form (one per dimension of x, 1 for the batch and the channels).
function perSpatial(
  op: string,
  what: string,
  v: number | readonly number[],
  d: number,
  channelsFirst: boolean,
): number[] {
  if (typeof v === "number") {
    checkInteger(op, what, v, 1);
    return new Array(d).fill(v);
  }
  const bad = () =>
    new TypeError(
      `${op}: ${what} ${fmtList(v)} must be a positive integer, ${d} of them (one per spatial ` +
        `dimension), or ${d + 2} (one per dimension of x, 1 for the batch and the channels)`,
    );
  if (!Array.isArray(v) || (v.length !== d && v.length !== d + 2)) throw bad();
  if (!v.every((k) => Number.isInteger(k) && k >= 1)) throw bad();
  if (v.length === d) return [...v];
  const c = channelsFirst ? 1 : d + 1;
  if (v[0] !== 1 || v[c] !== 1) {
    throw new RangeError(
      `${op}: ${what} ${fmtList(v)} pools over the batch or the channels (their entries must ` +
        `be 1): give one entry per spatial dimension instead`,
    );
  }
  return v.filter((_, i) => i !== 0 && i !== c);
}

/**
 * The maximum of each window of `x`, as `tf.nn.max_pool`: over 1, 2 or 3 spatial dimensions (x of
 * rank 3, 4 or 5), channels last by default. Its gradient goes to the first maximum of each window
 * (TensorFlow's rule for ties), and its derivatives of every order are pooling passes again.
 *
 * @param x The input, float32 or float64: `[batch, ...spatial, channels]` (or channels first).
 * @param ksize The window's size: one number for every spatial dimension, one per spatial
 *   dimension, or TensorFlow's one per dimension of x (1 for the batch and the channels).
 * @param strides The steps between windows, in the same forms.
 * @param padding `"SAME"` (pads so the output has ⌈n / stride⌉ positions; the padding is never
 *   the maximum) or `"VALID"` (whole windows only); either case.
 * @param options `dataFormat`.
 * @returns The pooled tensor.
 * @example 2×2 windows, stride 2, on a 4×4 image of one channel
 * ```ts
 * import { maxPool, range, reshape } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = reshape(range(0, 16, 1, "float32"), [1, 4, 4, 1]);
 * assert.deepEqual(maxPool(x, 2, 2, "VALID").reshape([2, 2]).toArray(), [[5, 7], [13, 15]]);
 * ```
 */
export function maxPool(
  x: TensorLike,
  ksize: number | readonly number[],
  strides: number | readonly number[],
  padding: PoolPadding,
  options?: PoolOptions,
): Tensor {
  const [t, attrs] = poolArgs("maxPool", x, ksize, strides, padding, options);
  return bind(maxPoolPrim, [t, t], attrs);
}

/**
 * The mean of each window of `x`, as `tf.nn.avg_pool`: over 1, 2 or 3 spatial dimensions, channels
 * last by default. With `"SAME"` padding a window at the border is averaged over its positions
 * inside `x` only, as TensorFlow does. It is linear; its gradient spreads each value evenly over
 * its window.
 *
 * @param x The input, float32 or float64: `[batch, ...spatial, channels]` (or channels first).
 * @param ksize The window's size: one number for every spatial dimension, one per spatial
 *   dimension, or TensorFlow's one per dimension of x (1 for the batch and the channels).
 * @param strides The steps between windows, in the same forms.
 * @param padding `"SAME"` or `"VALID"`, either case.
 * @param options `dataFormat`.
 * @returns The pooled tensor.
 * @example Windows of 2 along a sequence, with SAME padding: the last window has one value
 * ```ts
 * import { avgPool } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = [[[1], [2], [4]]]; // [batch 1, width 3, channels 1]
 * assert.deepEqual(avgPool(x, 2, 1, "SAME").toArray(), [[[1.5], [3], [4]]]);
 * ```
 */
export function avgPool(
  x: TensorLike,
  ksize: number | readonly number[],
  strides: number | readonly number[],
  padding: PoolPadding,
  options?: PoolOptions,
): Tensor {
  const [t, attrs] = poolArgs("avgPool", x, ksize, strides, padding, options);
  return bind(avgPoolPrim, [t], attrs);
}
