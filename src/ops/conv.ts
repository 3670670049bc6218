/**
 * Convolutions: `conv1d`, `conv2d`, `conv3d`, `depthwiseConv2d` and `conv2dTranspose`, all
 * composites over one primitive, the general N-d convolution (XLA's `conv_general_dilated`):
 * feature groups, strides, explicit padding (negative pads crop), filter dilation and input
 * dilation. Its derivatives are that primitive again with its attributes rearranged: the input's
 * gradient is a convolution of the output's by the flipped filter, dilated by the strides (a
 * transposed convolution), and the filter's gradient a convolution of the input by the output's
 * gradient, with batch and channels exchanged. So every order of derivative, and every batching,
 * runs on the same fast kernel.
 */
import { type Aval, bind, type Primitive } from "../core/dispatch.ts";
import { toTensors } from "../core/convert.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { fmtShape, sizeOf } from "../core/shape.ts";
import { checkOptions, describeValue } from "../core/check.ts";
import { type ConvGeometry, convKernel } from "../core/kernels/conv.ts";
import { add, reshape, transpose } from "./_lax.ts";
import { lead, toFront } from "./_batch.ts";
import { requireFloat, requireSameDtype } from "./_define.ts";
import { reverse } from "./reorder.ts";

/** The general convolution's attributes; input `[N, ...S, C]`, filter `[...K, C/G, O]`. */
interface ConvAttrs {
  strides: readonly number[];
  /** Per spatial dimension, the padding before and after (negative: cropped). */
  padding: readonly (readonly [number, number])[];
  /** The input's dilation: `a - 1` zeros between neighbours (a transposed convolution's stride). */
  lhsDilation: readonly number[];
  /** The filter's dilation (atrous convolution). */
  rhsDilation: readonly number[];
  /** Feature groups: input channel group g meets output channel group g only. */
  groups: number;
}

const iota = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/**
 * The output shape `[N, ...Y, O]` of the convolution of an input of shape `xs` by a filter of
 * shape `ws`, after checking them; `op` names the caller and `shown` the shapes as it knows them.
 */
function convShape(
  op: string,
  xs: readonly number[],
  ws: readonly number[],
  a: ConvAttrs,
  shown: readonly [string, string] = [fmtShape(xs), fmtShape(ws)],
): number[] {
  const d = a.strides.length, G = a.groups;
  if (xs.length !== d + 2) {
    throw new Error(
      `${op}: the input ${shown[0]} has rank ${xs.length}: give rank ${d + 2} ` +
        `(batch, ${d} spatial, channels)`,
    );
  }
  if (ws.length !== d + 2) {
    throw new Error(
      `${op}: the filters ${shown[1]} have rank ${ws.length}: give rank ${d + 2} ` +
        `([...spatial, in, out])`,
    );
  }
  const c = xs[d + 1], cin = ws[d], o = ws[d + 1];
  if (cin * G !== c) {
    throw new Error(
      `${op}: input channels differ: the input ${shown[0]} has ${c} and the filters ` +
        `${shown[1]} take ${cin}${G > 1 ? ` in each of ${G} groups` : ""}: give filters of ` +
        `shape [...spatial, ${c / G}, out]`,
    );
  }
  if (o % G !== 0) {
    throw new Error(
      `${op}: the filters ${shown[1]} have ${o} output channels, not a multiple of the ` +
        `${G} groups`,
    );
  }
  const y = [xs[0]];
  for (let i = 0; i < d; i++) {
    const k = ws[i];
    if (k < 1) {
      throw new Error(`${op}: the filters ${shown[1]} are empty in a spatial dimension`);
    }
    const s = xs[i + 1];
    const dilated = s === 0 ? 0 : (s - 1) * a.lhsDilation[i] + 1;
    const span = dilated + a.padding[i][0] + a.padding[i][1];
    const reach = (k - 1) * a.rhsDilation[i] + 1;
    if (span < reach) {
      throw new Error(
        `${op}: the filters ${shown[1]} reach over ${reach} positions in spatial dimension ` +
          `${i}, more than the ${span} of the padded input ${shown[0]}: use "SAME" padding, ` +
          `a smaller filter or smaller dilations`,
      );
    }
    y.push(Math.floor((span - reach) / a.strides[i]) + 1);
  }
  y.push(o);
  return y;
}

function geometry(xs: readonly number[], ws: readonly number[], a: ConvAttrs): ConvGeometry {
  const d = a.strides.length;
  const y = convShape("conv", xs, ws, a);
  return {
    n: xs[0],
    s: xs.slice(1, d + 1),
    c: xs[d + 1],
    k: ws.slice(0, d),
    o: ws[d + 1],
    y: y.slice(1, d + 1),
    groups: a.groups,
    strides: a.strides,
    lo: a.padding.map((p) => p[0]),
    lhsDilation: a.lhsDilation,
    rhsDilation: a.rhsDilation,
  };
}

function conv(x: Tensor, w: Tensor, a: ConvAttrs): Tensor {
  return bind(convPrim, [x, w], a);
}

// The gradient with respect to the input x (of shape xs) of the convolution of x by w, given the
// output's gradient g: the convolution of g, dilated by the strides, by w flipped in space with
// each group's input and output channels exchanged, padded so that every input position gets the
// taps that met it.
function inputGradient(g: Tensor, w: Tensor, xs: readonly number[], a: ConvAttrs): Tensor {
  const d = a.strides.length, G = a.groups;
  const k = w.shape.slice(0, d), cin = w.shape[d], og = w.shape[d + 1] / G;
  let wt = reshape(w, [...k, cin, G, og]);
  wt = transpose(wt, [...iota(d), d + 2, d + 1, d]);
  wt = reshape(wt, [...k, og, G * cin]);
  if (k.some((n) => n > 1)) wt = reverse(wt, iota(d));
  const padding = k.map((kn, i): [number, number] => {
    const reach = (kn - 1) * a.rhsDilation[i] + 1;
    const lo = reach - 1 - a.padding[i][0];
    const span = (xs[i + 1] - 1) * a.lhsDilation[i] + reach; // exactly xs[i + 1] outputs
    const dilated = (g.shape[i + 1] - 1) * a.strides[i] + 1;
    return [lo, span - dilated - lo];
  });
  return conv(g, wt, {
    strides: a.lhsDilation,
    padding,
    lhsDilation: a.strides,
    rhsDilation: a.rhsDilation,
    groups: G,
  });
}

// The gradient with respect to the filter (of shape ws) of the convolution of x by it, given the
// output's gradient g: a convolution of x by g over the spatial positions, with x's channels as
// its batch and the examples as the channels summed over (in the same groups).
function filterGradient(x: Tensor, g: Tensor, ws: readonly number[], a: ConvAttrs): Tensor {
  const d = a.strides.length, G = a.groups;
  const n = x.shape[0], s = x.shape.slice(1, d + 1), cin = x.shape[d + 1] / G;
  let xt = reshape(x, [n, ...s, G, cin]);
  xt = transpose(xt, [d + 2, ...iota(d, 1), d + 1, 0]);
  xt = reshape(xt, [cin, ...s, G * n]);
  const gt = transpose(g, [...iota(d, 1), 0, d + 1]);
  const padding = s.map((sn, i): [number, number] => {
    const dilated = (sn - 1) * a.lhsDilation[i] + 1;
    const span = (ws[i] - 1) * a.rhsDilation[i] + (g.shape[i + 1] - 1) * a.strides[i] + 1;
    return [a.padding[i][0], span - dilated - a.padding[i][0]];
  });
  const out = conv(xt, gt, {
    strides: a.rhsDilation,
    padding,
    lhsDilation: a.lhsDilation,
    rhsDilation: a.strides,
    groups: G,
  });
  return transpose(out, [...iota(d, 1), 0, d + 1]);
}

// The convolution of x by a batch of filters wb ([B, ...K, C/G, O]): the filters side by side as
// output channels (within each group), giving [B, N, ...Y, O].
function batchOfFilters(x: Tensor, wb: Tensor, a: ConvAttrs): Tensor {
  const d = a.strides.length, G = a.groups, b = wb.shape[0];
  const k = wb.shape.slice(1, d + 1), cin = wb.shape[d + 1], o = wb.shape[d + 2], og = o / G;
  let w = reshape(wb, [b, ...k, cin, G, og]);
  w = transpose(w, [...iota(d + 1, 1), d + 2, 0, d + 3]);
  w = reshape(w, [...k, cin, G * b * og]);
  const y = conv(x, w, a);
  const ys = y.shape.slice(0, d + 1);
  const split = reshape(y, [...ys, G, b, og]);
  return reshape(transpose(split, [d + 2, ...iota(d + 2), d + 3]), [b, ...ys, o]);
}

// The convolution of a batch of inputs xb ([B, N, ...S, C]) by one filter: B·N examples.
function batchOfInputs(xb: Tensor, w: Tensor, a: ConvAttrs): Tensor {
  const b = xb.shape[0], rest = xb.shape.slice(1);
  const y = conv(reshape(xb, [b * rest[0], ...rest.slice(1)]), w, a);
  return reshape(y, [b, rest[0], ...y.shape.slice(1)]);
}

// NOTE: a primitive for speed (each pass one im2col and one WebAssembly matrix product); its
// rules are itself with rearranged attributes, so they differentiate again to every order.
// Linear in each input: d(x ⊛ w) = dx ⊛ w + x ⊛ dw; reverse: x̄ = ḡ ⊛ᵀ w (inputGradient),
// w̄ = x ⋆ ḡ (filterGradient).
const convPrim: Primitive<ConvAttrs> = {
  name: "conv",
  shape([x, w], a): Aval {
    requireFloat("conv", x);
    requireSameDtype("conv", x, w);
    return { shape: convShape("conv", x.shape, w.shape, a), dtype: x.dtype };
  },
  kernels: {
    cpu: ([x, w], out, a) =>
      convKernel(out.data, x.data, w.data, geometry(x.shape, w.shape, a), x.dtype),
  },
  jvp([tx, tw], [x, w], out, a) {
    let dy: Tensor | null = null;
    if (tx !== null) {
      const l = lead(tx, x);
      dy = l.length === 0 ? conv(tx, w, a) : reshape(
        batchOfInputs(reshape(tx, [sizeOf(l), ...x.shape]), w, a),
        [...l, ...out.shape],
      );
    }
    if (tw !== null) {
      const l = lead(tw, w);
      const t = l.length === 0
        ? conv(x, tw, a)
        : reshape(batchOfFilters(x, reshape(tw, [sizeOf(l), ...w.shape]), a), [...l, ...out.shape]);
      dy = dy === null ? t : add(dy, t);
    }
    return dy;
  },
  vjp: (g, [x, w], _, a, needs) => [
    needs[0] ? inputGradient(g, w, x.shape, a) : null,
    needs[1] ? filterGradient(x, g, w.shape, a) : null,
  ],
  // A mapped input folds into the batch; a mapped filter into the output channels; both into
  // the groups (example b's channels meet only example b's filter).
  batch(_, [x, w], [ax, aw], a) {
    if (aw === null) return [batchOfInputs(toFront(x, ax), w, a), 0];
    const wb = toFront(w, aw);
    if (ax === null) return [batchOfFilters(x, wb, a), 0];
    const d = a.strides.length, xb = toFront(x, ax), b = xb.shape[0];
    const n = xb.shape[1], s = xb.shape.slice(2, d + 2), c = xb.shape[d + 2];
    const xg = reshape(transpose(xb, [...iota(d + 1, 1), 0, d + 2]), [n, ...s, b * c]);
    const k = wb.shape.slice(1, d + 1), cin = wb.shape[d + 1], o = wb.shape[d + 2];
    const wg = reshape(transpose(wb, [...iota(d + 1, 1), 0, d + 2]), [...k, cin, b * o]);
    const y = conv(xg, wg, { ...a, groups: b * a.groups });
    const ys = y.shape.slice(0, d + 1);
    return [transpose(reshape(y, [...ys, b, o]), [d + 1, ...iota(d + 1), d + 2]), 0];
  },
  describe: (a) => `conv (${a.strides.length}-d)`,
};

/** The convolution primitives, by name. */
export const convPrims = { conv: convPrim };

// ---------------------------------------------------------------------------------------------
// The public ops: layouts, strides, dilations and padding as TensorFlow takes them.

/**
 * Padding of a convolution: `"SAME"` (the output has `ceil(size / stride)` positions, the input
 * padded evenly, the extra one after), `"VALID"` (no padding), either in any case, or explicit
 * `[before, after]` pairs, one per spatial dimension (or, as TensorFlow's explicit form, one per
 * dimension of the input including `[0, 0]` for its batch and channels).
 *
 * @example Three ways to pad a 3×3 filter
 * ```ts
 * import { conv2d, ones, type ConvPadding } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = ones([1, 5, 5, 1]), w = ones([3, 3, 1, 1]);
 * const pads: ConvPadding[] = ["SAME", "valid", [[1, 1], [0, 0]]];
 * assert.deepEqual(pads.map((p) => conv2d(x, w, 1, p).shape), [[1, 5, 5, 1], [1, 3, 3, 1], [1, 5, 3, 1]]);
 * ```
 */
export type ConvPadding =
  | "SAME"
  | "VALID"
  | "same"
  | "valid"
  | readonly (readonly [number, number])[];

/**
 * Options of `conv1d`.
 *
 * @example A dilated convolution over channels-first sequences
 * ```ts
 * import { conv1d, ones, type Conv1DOptions } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const options: Conv1DOptions = { dataFormat: "NCW", dilations: 2 };
 * assert.deepEqual(conv1d(ones([1, 1, 7]), ones([3, 1, 1]), 1, "VALID", options).shape, [1, 1, 3]);
 * ```
 */
export interface Conv1DOptions {
  /** `"NWC"` (default: channels last) or `"NCW"`. */
  dataFormat?: "NWC" | "NCW";
  /** The filter's dilation: a number, `[w]`, or `[1, w, 1]` in the data format's order. */
  dilations?: number | readonly number[];
}

/**
 * Options of `conv2d` and `depthwiseConv2d`.
 *
 * @example A channels-first convolution
 * ```ts
 * import { conv2d, ones, type Conv2DOptions } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const options: Conv2DOptions = { dataFormat: "NCHW" };
 * assert.deepEqual(conv2d(ones([1, 3, 4, 4]), ones([2, 2, 3, 8]), 2, "VALID", options).shape, [1, 8, 2, 2]);
 * ```
 */
export interface Conv2DOptions {
  /** `"NHWC"` (default: channels last) or `"NCHW"`. */
  dataFormat?: "NHWC" | "NCHW";
  /** The filter's dilation: a number, `[h, w]`, or the 4-length form in the data format's order. */
  dilations?: number | readonly number[];
}

/**
 * Options of `conv3d`.
 *
 * @example A dilated 3-D convolution
 * ```ts
 * import { conv3d, ones, type Conv3DOptions } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const options: Conv3DOptions = { dilations: [1, 2, 2] };
 * assert.deepEqual(conv3d(ones([1, 4, 5, 5, 1]), ones([2, 2, 2, 1, 1]), 1, "VALID", options).shape, [1, 3, 3, 3, 1]);
 * ```
 */
export interface Conv3DOptions {
  /** `"NDHWC"` (default: channels last) or `"NCDHW"`. */
  dataFormat?: "NDHWC" | "NCDHW";
  /** The filter's dilation: a number, `[d, h, w]`, or the 5-length form in the data format's order. */
  dilations?: number | readonly number[];
}

/**
 * Options of `conv2dTranspose`.
 *
 * @example Upsampling channels-first images
 * ```ts
 * import { conv2dTranspose, ones, type Conv2DTransposeOptions } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const options: Conv2DTransposeOptions = { dataFormat: "NCHW" };
 * const y = conv2dTranspose(ones([1, 4, 3, 3]), ones([2, 2, 1, 4]), [1, 1, 6, 6], 2, "SAME", options);
 * assert.deepEqual(y.shape, [1, 1, 6, 6]);
 * ```
 */
export interface Conv2DTransposeOptions {
  /** `"NHWC"` (default: channels last) or `"NCHW"`. */
  dataFormat?: "NHWC" | "NCHW";
  /** The filter's dilation: a number, `[h, w]`, or the 4-length form in the data format's order. */
  dilations?: number | readonly number[];
}

const FORMATS: Record<number, readonly [string, string]> = {
  1: ["NWC", "NCW"],
  2: ["NHWC", "NCHW"],
  3: ["NDHWC", "NCDHW"],
};
const OPTIONS = ["dataFormat", "dilations"] as const;

// Whether the data format puts channels first (after the batch).
function channelsFirst(op: string, format: unknown, d: number): boolean {
  if (format === undefined) return false;
  const [last, first] = FORMATS[d];
  if (format !== last && format !== first) {
    throw new TypeError(
      `${op}: dataFormat must be "${last}" or "${first}", not ${describeValue(format)}`,
    );
  }
  return format === first;
}

// Strides or dilations: a number, one per spatial dimension, or one per dimension of the input
// in the data format's order (1 for the batch and channels, as TensorFlow takes them).
function perSpatial(op: string, what: string, v: unknown, d: number, first: boolean): number[] {
  const bad = (why: string): never => {
    throw new TypeError(
      `${op}: ${what} must be a positive integer or a list of ${d} (one per spatial ` +
        `dimension) or ${d + 2} (with 1 for the batch and channels), not ${describeValue(v)}` +
        why,
    );
  };
  let list: number[];
  if (typeof v === "number") list = new Array<number>(d).fill(v);
  else if (Array.isArray(v) && v.length === d) list = [...v];
  else if (Array.isArray(v) && v.length === d + 2) {
    const c = first ? 1 : d + 1;
    if (v[0] !== 1 || v[c] !== 1) bad(": the batch and channel entries must be 1");
    list = v.filter((_, i) => i !== 0 && i !== c);
  } else return bad("");
  for (const n of list) if (!Number.isInteger(n) || n < 1) bad("");
  return list;
}

// Explicit padding pairs per spatial dimension, or the string's meaning (resolved later).
function paddingOf(
  op: string,
  padding: unknown,
  d: number,
  first: boolean,
): "SAME" | "VALID" | [number, number][] {
  if (typeof padding === "string") {
    const p = padding.toUpperCase();
    if (p === "SAME" || p === "VALID") return p;
  }
  const bad = (why = ""): never => {
    throw new TypeError(
      `${op}: padding must be "SAME", "VALID" or ${d} [before, after] pairs of non-negative ` +
        `integers (or ${d + 2} with [0, 0] for the batch and channels), not ` +
        `${describeValue(padding)}${why}`,
    );
  };
  if (!Array.isArray(padding) || (padding.length !== d && padding.length !== d + 2)) bad();
  const pairs = padding as unknown[];
  for (const p of pairs) {
    if (
      !Array.isArray(p) || p.length !== 2 ||
      !p.every((n) => Number.isInteger(n) && n >= 0)
    ) bad(`: ${describeValue(p)} is not such a pair`);
  }
  let list = pairs as [number, number][];
  if (list.length === d + 2) {
    const c = first ? 1 : d + 1;
    if (list[0].some((n) => n !== 0) || list[c].some((n) => n !== 0)) {
      bad(": the batch and channel pairs must be [0, 0]");
    }
    list = list.filter((_, i) => i !== 0 && i !== c);
  }
  return list.map(([lo, hi]) => [lo, hi]);
}

// TensorFlow's SAME padding: ceil(size / stride) outputs, the total padding split evenly with
// the odd one after.
function resolvePadding(
  padding: "SAME" | "VALID" | [number, number][],
  s: readonly number[],
  k: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): [number, number][] {
  if (padding === "VALID") return s.map(() => [0, 0]);
  if (padding !== "SAME") return padding;
  return s.map((n, i) => {
    const reach = (k[i] - 1) * dilations[i] + 1;
    const total = Math.max(0, (Math.ceil(n / strides[i]) - 1) * strides[i] + reach - n);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
}

// Moves channels from axis 1 to last (channels-first to channels-last), or back.
const toLast = (t: Tensor): Tensor => transpose(t, [0, ...iota(t.rank - 2, 2), 1]);
const toFirst = (t: Tensor): Tensor => transpose(t, [0, t.rank - 1, ...iota(t.rank - 2, 1)]);

interface Prepared {
  x: Tensor;
  w: Tensor;
  first: boolean;
  strides: number[];
  dilations: number[];
  padding: "SAME" | "VALID" | [number, number][];
  /** Restores the caller's layout and leading dimensions on the result. */
  restore: (y: Tensor) => Tensor;
}

// Converts and checks the arguments common to every convolution, and brings the input to
// [N, ...S, C] (with one batch dimension: none is added, several are merged).
function prepare(
  op: string,
  d: number,
  x: TensorLike,
  filters: TensorLike,
  strides: unknown,
  padding: unknown,
  options: { dataFormat?: unknown; dilations?: unknown } | undefined,
): Prepared {
  const [tx, tw] = toTensors(op, [x, filters]);
  requireFloat(op, tx);
  requireSameDtype(op, tx, tw);
  checkOptions(op, options, OPTIONS);
  const first = channelsFirst(op, options?.dataFormat, d);
  const s = perSpatial(op, "strides", strides, d, first);
  const dil = perSpatial(op, "dilations", options?.dilations ?? 1, d, first);
  const pad = paddingOf(op, padding, d, first);
  if (tx.rank < d + 1) {
    throw new Error(
      `${op}: the input ${fmtShape(tx.shape)} has rank ${tx.rank}: give rank ${d + 2} ` +
        `(${FORMATS[d][first ? 1 : 0]}), or ${d + 1} for one example`,
    );
  }
  if (tw.rank !== d + 2) {
    throw new Error(
      `${op}: the filters ${fmtShape(tw.shape)} have rank ${tw.rank}: give rank ${d + 2} ` +
        `([...spatial, in, out])`,
    );
  }
  const batch = tx.shape.slice(0, tx.rank - d - 1);
  let xn = reshape(tx, [sizeOf(batch), ...tx.shape.slice(batch.length)]);
  if (first) xn = toLast(xn);
  const restore = (y: Tensor): Tensor => {
    const t = first ? toFirst(y) : y;
    return reshape(t, [...batch, ...t.shape.slice(1)]);
  };
  return { x: xn, w: tw, first, strides: s, dilations: dil, padding: pad, restore };
}

// The convolution of `p.x` by `filters` in `groups`, with the caller's name in its messages.
function run(op: string, p: Prepared, w: Tensor, groups: number, shownW: string): Tensor {
  const d = p.strides.length;
  const s = p.x.shape.slice(1, d + 1), k = w.shape.slice(0, d);
  const attrs: ConvAttrs = {
    strides: p.strides,
    padding: resolvePadding(p.padding, s, k, p.strides, p.dilations),
    lhsDilation: new Array<number>(d).fill(1),
    rhsDilation: p.dilations,
    groups,
  };
  convShape(op, p.x.shape, w.shape, attrs, [fmtShape(p.x.shape), shownW]);
  return p.restore(conv(p.x, w, attrs));
}

// Plain convolutions: grouped where the input has a multiple of the filter's input channels.
function convN(
  op: string,
  d: number,
  x: TensorLike,
  filters: TensorLike,
  strides: unknown,
  padding: unknown,
  options: { dataFormat?: unknown; dilations?: unknown } | undefined,
): Tensor {
  const p = prepare(op, d, x, filters, strides, padding, options);
  const c = p.x.shape[d + 1], cin = p.w.shape[d];
  const groups = cin > 0 && c % cin === 0 ? c / cin : 1;
  return run(op, p, p.w, groups, fmtShape(p.w.shape));
}

/**
 * The 1-D convolution (cross-correlation, as in TensorFlow) of `x` by `filters`.
 *
 * @param x The input, `[batch, width, channels]` (`"NWC"`) or `[batch, channels, width]`
 *   (`"NCW"`), float32 or float64; `[width, channels]` for one example.
 * @param filters `[width, in, out]`; an input with a multiple `g·in` of `in` channels is
 *   convolved in `g` groups.
 * @param strides The step between outputs: a number, `[w]` or `[1, w, 1]`.
 * @param padding `"SAME"`, `"VALID"` or explicit `[[before, after]]`.
 * @param options `dataFormat` and `dilations`.
 * @returns `[batch, outWidth, out]` (or channels first).
 * @example A moving sum and difference
 * ```ts
 * import { conv1d } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = [[[1], [2], [4], [8]]]; // one sequence of 4 positions, 1 channel
 * const w = [[[1, -1]], [[1, 1]]]; // width 2, 1 in, 2 out: sums and differences
 * assert.deepEqual(conv1d(x, w, 1, "VALID").toArray(), [[[3, 1], [6, 2], [12, 4]]]);
 * ```
 */
export function conv1d(
  x: TensorLike,
  filters: TensorLike,
  strides: number | readonly number[],
  padding: ConvPadding,
  options?: Conv1DOptions,
): Tensor {
  return convN("conv1d", 1, x, filters, strides, padding, options);
}

/**
 * The 2-D convolution (cross-correlation, as in TensorFlow) of `x` by `filters`. Its gradient
 * with respect to `x` is a transposed convolution and with respect to `filters` a convolution,
 * both on the same kernel, to every order.
 *
 * @param x The input, `[batch, height, width, channels]` (`"NHWC"`) or `[batch, channels,
 *   height, width]` (`"NCHW"`), float32 or float64; rank 3 for one example.
 * @param filters `[height, width, in, out]`; an input with a multiple `g·in` of `in` channels is
 *   convolved in `g` groups.
 * @param strides The step between outputs: a number, `[h, w]` or `[1, h, w, 1]`.
 * @param padding `"SAME"`, `"VALID"` or explicit `[[top, bottom], [left, right]]`.
 * @param options `dataFormat` and `dilations`.
 * @returns `[batch, outHeight, outWidth, out]` (or channels first).
 * @example A 2×2 box filter, VALID and SAME
 * ```ts
 * import { conv2d } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = [[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]]; // [1, 3, 3, 1]
 * const w = [[[[1]], [[1]]], [[[1]], [[1]]]]; // [2, 2, 1, 1]
 * assert.deepEqual(conv2d(x, w, 1, "VALID").reshape([2, 2]).toArray(), [[12, 16], [24, 28]]);
 * assert.deepEqual(conv2d(x, w, 2, "SAME").reshape([2, 2]).toArray(), [[12, 9], [15, 9]]);
 * ```
 */
export function conv2d(
  x: TensorLike,
  filters: TensorLike,
  strides: number | readonly number[],
  padding: ConvPadding,
  options?: Conv2DOptions,
): Tensor {
  return convN("conv2d", 2, x, filters, strides, padding, options);
}

/**
 * The 3-D convolution (cross-correlation, as in TensorFlow) of `x` by `filters`.
 *
 * @param x The input, `[batch, depth, height, width, channels]` (`"NDHWC"`) or channels first
 *   (`"NCDHW"`), float32 or float64; rank 4 for one example.
 * @param filters `[depth, height, width, in, out]`; an input with a multiple `g·in` of `in`
 *   channels is convolved in `g` groups.
 * @param strides The step between outputs: a number, `[d, h, w]` or `[1, d, h, w, 1]`.
 * @param padding `"SAME"`, `"VALID"` or three explicit `[before, after]` pairs.
 * @param options `dataFormat` and `dilations`.
 * @returns `[batch, outDepth, outHeight, outWidth, out]` (or channels first).
 * @example The sum over each 2×2×2 block
 * ```ts
 * import { conv3d, ones, reduceSum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const y = conv3d(ones([1, 4, 4, 4, 1]), ones([2, 2, 2, 1, 1]), 2, "VALID");
 * assert.deepEqual(y.shape, [1, 2, 2, 2, 1]);
 * assert.equal(reduceSum(y).item(), 64);
 * ```
 */
export function conv3d(
  x: TensorLike,
  filters: TensorLike,
  strides: number | readonly number[],
  padding: ConvPadding,
  options?: Conv3DOptions,
): Tensor {
  return convN("conv3d", 3, x, filters, strides, padding, options);
}

/**
 * The depthwise 2-D convolution: each input channel convolved on its own by `multiplier`
 * filters; output channel `c·multiplier + m` is channel `c` by filter `m` (as
 * `tf.nn.depthwise_conv2d`). One general convolution in as many groups as channels.
 *
 * @param x The input, `[batch, height, width, channels]` (`"NHWC"`) or `"NCHW"`.
 * @param filter `[height, width, channels, multiplier]`.
 * @param strides The step between outputs: a number, `[h, w]` or `[1, h, w, 1]`.
 * @param padding `"SAME"`, `"VALID"` or explicit `[[top, bottom], [left, right]]`.
 * @param options `dataFormat` and `dilations`.
 * @returns `[batch, outHeight, outWidth, channels · multiplier]` (or channels first).
 * @example Two channels, each with its own 1×2 filter
 * ```ts
 * import { depthwiseConv2d } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = [[[[1, 10], [2, 20], [3, 30]]]]; // [1, 1, 3, 2]
 * const w = [[[[1], [1]], [[1], [-1]]]]; // [1, 2, 2, 1]: channel 0 sums, channel 1 differences
 * assert.deepEqual(depthwiseConv2d(x, w, 1, "VALID").toArray(), [[[[3, -10], [5, -10]]]]);
 * ```
 */
export function depthwiseConv2d(
  x: TensorLike,
  filter: TensorLike,
  strides: number | readonly number[],
  padding: ConvPadding,
  options?: Conv2DOptions,
): Tensor {
  const op = "depthwiseConv2d";
  const p = prepare(op, 2, x, filter, strides, padding, options);
  const [kh, kw, c, m] = p.w.shape;
  if (c !== p.x.shape[3]) {
    throw new Error(
      `${op}: input channels differ: the input has ${p.x.shape[3]} and the filter ` +
        `${fmtShape(p.w.shape)} takes ${c}: give a filter of shape [h, w, ${p.x.shape[3]}, ` +
        `multiplier]`,
    );
  }
  return run(op, p, reshape(p.w, [kh, kw, 1, c * m]), c, fmtShape(p.w.shape));
}

/**
 * The transposed 2-D convolution (sometimes called deconvolution): the gradient of `conv2d`
 * with respect to its input, as `tf.nn.conv2d_transpose`. `conv2d(y, filters, strides, padding)`
 * of its result `y` has the shape of `x`.
 *
 * @param x The input, `[batch, height, width, in]` (`"NHWC"`) or `"NCHW"`.
 * @param filters `[height, width, out, in]`: note `out` before `in`, as the filters of the
 *   convolution this one transposes.
 * @param outputShape The result's shape, `[batch, outHeight, outWidth, out]` in the data
 *   format's order (or `[outHeight, outWidth]`): with strides, several sizes convolve to `x`'s.
 * @param strides The forward convolution's strides: a number, `[h, w]` or `[1, h, w, 1]`.
 * @param padding The forward convolution's padding.
 * @param options `dataFormat` and `dilations`.
 * @returns A tensor of `outputShape`.
 * @example Upsampling by 2 with a 2×2 filter of ones repeats each value in a 2×2 block
 * ```ts
 * import { conv2dTranspose, ones } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = [[[[1], [2]], [[3], [4]]]]; // [1, 2, 2, 1]
 * const y = conv2dTranspose(x, ones([2, 2, 1, 1]), [1, 4, 4, 1], 2, "VALID");
 * assert.deepEqual(y.reshape([4, 4]).toArray(), [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]);
 * ```
 */
export function conv2dTranspose(
  x: TensorLike,
  filters: TensorLike,
  outputShape: readonly number[],
  strides: number | readonly number[],
  padding: ConvPadding,
  options?: Conv2DTransposeOptions,
): Tensor {
  const op = "conv2dTranspose";
  const p = prepare(op, 2, x, filters, strides, padding, options);
  const d = 2, xs = p.x.shape;
  const want = outputShapeOf(op, outputShape, p, d);
  const k = p.w.shape.slice(0, d);
  const attrs: ConvAttrs = {
    strides: p.strides,
    padding: resolvePadding(p.padding, want.slice(1, d + 1), k, p.strides, p.dilations),
    lhsDilation: new Array<number>(d).fill(1),
    rhsDilation: p.dilations,
    groups: 1,
  };
  const shown: [string, string] = [fmtShape(want), fmtShape(p.w.shape)];
  const fwd = convShape(op, want, p.w.shape, attrs, shown);
  if (fwd.some((n, i) => n !== xs[i])) {
    throw new Error(
      `${op}: the output shape ${fmtShape(outputShape)} does not convolve back to the input: ` +
        `conv2d of ${fmtShape(want)} by the filters ${fmtShape(p.w.shape)} with these strides ` +
        `and padding gives ${fmtShape(fwd)} (channels last), not the input's ${fmtShape(xs)}`,
    );
  }
  return p.restore(inputGradient(p.x, p.w, want, attrs));
}

// The transposed convolution's result shape in [N, ...S, C] order, from the caller's.
function outputShapeOf(op: string, shape: unknown, p: Prepared, d: number): number[] {
  const ok = Array.isArray(shape) && (shape.length === d || shape.length === d + 2) &&
    shape.every((n) => Number.isInteger(n) && n >= 0);
  if (!ok) {
    throw new TypeError(
      `${op}: outputShape must be ${d + 2} non-negative integers in the data format's order ` +
        `(or ${d}: the spatial sizes), not ${describeValue(shape)}`,
    );
  }
  const n = p.x.shape[0], c = p.w.shape[d];
  if (shape.length === d) return [n, ...shape, c];
  const s = p.first ? [shape[0], ...shape.slice(2), shape[1]] : [...shape];
  if (s[0] !== n || s[d + 1] !== c) {
    throw new Error(
      `${op}: the output shape ${fmtShape(shape)} needs batch ${n} (the input's) and ${c} ` +
        `channels (the filters' third dimension)`,
    );
  }
  return s;
}
