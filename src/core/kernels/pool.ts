/**
 * Pooling kernels: max and average over windows of 1 to 3 spatial dimensions, and their adjoints.
 * The input is seen as `[outer, ...spatial, inner]`: channels-last data has its channels inner
 * (each window reads contiguous rows of channels), channels-first data has them among the outer
 * dimensions (inner 1), so neither layout is transposed. Fewer than three spatial dimensions are
 * padded to three of size 1, so one loop nest serves all.
 */
import type { TypedArray } from "../dtype.ts";

/** The windows of one pooling: sizes per spatial dimension, always three (see the module doc). */
export interface Windows {
  /** The product of the dimensions before the spatial ones. */
  readonly outer: number;
  /** The product of the dimensions after the spatial ones. */
  readonly inner: number;
  /** The input's spatial sizes. */
  readonly input: readonly number[];
  /** The output's spatial sizes. */
  readonly output: readonly number[];
  /** The window's size. */
  readonly ksize: readonly number[];
  readonly strides: readonly number[];
  /** Padding before each spatial dimension (padded positions are not read). */
  readonly pad: readonly number[];
}

/** Elements of the input (`x`) and of the output (`y`) per copy. */
function sizes(w: Windows): [number, number] {
  const [D, H, W] = w.input, [OD, OH, OW] = w.output;
  return [w.outer * D * H * W * w.inner, w.outer * OD * OH * OW * w.inner];
}

/**
 * Calls `visit(o, n, d0, d1, h0, h1, w0, w1)` for every window: `o` is the offset of the output's
 * row of `inner` channels, `n` the index among the outer dimensions, and
 * `[d0, d1) × [h0, h1) × [w0, w1)` the window clipped to the input.
 */
function eachWindow(
  w: Windows,
  visit: (
    o: number,
    n: number,
    d0: number,
    d1: number,
    h0: number,
    h1: number,
    w0: number,
    w1: number,
  ) => void,
): void {
  const [D, H, W] = w.input, [OD, OH, OW] = w.output;
  const [kd, kh, kw] = w.ksize, [sd, sh, sw] = w.strides, [pd, ph, pw] = w.pad;
  let o = 0;
  for (let n = 0; n < w.outer; n++) {
    for (let od = 0; od < OD; od++) {
      const d = od * sd - pd, d0 = d < 0 ? 0 : d, d1 = Math.min(d + kd, D);
      for (let oh = 0; oh < OH; oh++) {
        const h = oh * sh - ph, h0 = h < 0 ? 0 : h, h1 = Math.min(h + kh, H);
        for (let ow = 0; ow < OW; ow++) {
          const x = ow * sw - pw, w0 = x < 0 ? 0 : x, w1 = Math.min(x + kw, W);
          visit(o, n, d0, d1, h0, h1, w0, w1);
          o += w.inner;
        }
      }
    }
  }
}

/**
 * Finds, for each channel of one window, the first position (in row-major order of the window)
 * of its maximum, TensorFlow's tie rule; a NaN is a maximum (the first one stays). Writes the
 * maxima into `best` and their offsets in `x` into `pos`.
 */
function argmaxWindow(
  x: TypedArray,
  w: Windows,
  n: number,
  d0: number,
  d1: number,
  h0: number,
  h1: number,
  w0: number,
  w1: number,
  best: Float64Array,
  pos: Int32Array,
): void {
  const [, H, W] = w.input, C = w.inner;
  let first = true;
  for (let d = d0; d < d1; d++) {
    for (let h = h0; h < h1; h++) {
      let at = (((n * w.input[0] + d) * H + h) * W + w0) * C;
      for (let i = w0; i < w1; i++, at += C) {
        if (first) {
          for (let c = 0; c < C; c++) {
            best[c] = x[at + c];
            pos[c] = at + c;
          }
          first = false;
          continue;
        }
        for (let c = 0; c < C; c++) {
          const v = x[at + c], b = best[c];
          // Greater, or a NaN after numbers; never past a NaN.
          if (!(v <= b) && b === b) {
            best[c] = v;
            pos[c] = at + c;
          }
        }
      }
    }
  }
}

/**
 * Writes into `out` (`[...lead, ...y]`) the values of `t` (`[...lead, ...x]`) at the position
 * of each window's maximum of `x`. With `t` being `x`, that is max pooling.
 */
export function maxPoolKernel(x: TypedArray, t: TypedArray, out: TypedArray, w: Windows): void {
  const [xs, ys] = sizes(w);
  if (ys === 0) return;
  const copies = t.length / xs, C = w.inner;
  const best = new Float64Array(C), pos = new Int32Array(C);
  const same = t === x;
  eachWindow(w, (o, n, d0, d1, h0, h1, w0, w1) => {
    argmaxWindow(x, w, n, d0, d1, h0, h1, w0, w1, best, pos);
    if (same) {
      for (let c = 0; c < C; c++) out[o + c] = best[c];
      return;
    }
    for (let l = 0; l < copies; l++) {
      const to = l * ys + o, from = l * xs;
      for (let c = 0; c < C; c++) out[to + c] = t[from + pos[c]];
    }
  });
}

/**
 * The adjoint of `maxPoolKernel` in `t`: adds each element of `g` (`[...lead, ...y]`) into
 * `out` (`[...lead, ...x]`) at the position of its window's maximum of `x`.
 */
export function maxPoolGradKernel(x: TypedArray, g: TypedArray, out: TypedArray, w: Windows): void {
  out.fill(0);
  const [xs, ys] = sizes(w);
  if (ys === 0) return;
  const copies = g.length / ys, C = w.inner;
  const best = new Float64Array(C), pos = new Int32Array(C);
  eachWindow(w, (o, n, d0, d1, h0, h1, w0, w1) => {
    argmaxWindow(x, w, n, d0, d1, h0, h1, w0, w1, best, pos);
    for (let l = 0; l < copies; l++) {
      const from = l * ys + o, to = l * xs;
      for (let c = 0; c < C; c++) out[to + pos[c]] += g[from + c];
    }
  });
}

/**
 * Writes into `out` the mean of each window of `x` over the positions inside the input (padding
 * is not counted, as TensorFlow's SAME average pooling), summed in float64.
 */
export function avgPoolKernel(x: TypedArray, out: TypedArray, w: Windows): void {
  const [, ys] = sizes(w);
  if (ys === 0) return;
  const [D, H, W] = w.input, C = w.inner;
  const acc = new Float64Array(C);
  eachWindow(w, (o, n, d0, d1, h0, h1, w0, w1) => {
    acc.fill(0);
    for (let d = d0; d < d1; d++) {
      for (let h = h0; h < h1; h++) {
        const from = (((n * D + d) * H + h) * W + w0) * C, to = from + (w1 - w0) * C;
        for (let at = from; at < to; at += C) {
          for (let c = 0; c < C; c++) acc[c] += x[at + c];
        }
      }
    }
    const count = (d1 - d0) * (h1 - h0) * (w1 - w0);
    for (let c = 0; c < C; c++) out[o + c] = acc[c] / count;
  });
}

/** The adjoint of `avgPoolKernel`: spreads each element of `g` evenly over its window in `out`. */
export function avgPoolGradKernel(g: TypedArray, out: TypedArray, w: Windows): void {
  out.fill(0);
  const [, ys] = sizes(w);
  if (ys === 0) return;
  const [D, H, W] = w.input, C = w.inner;
  const share = new Float64Array(C);
  eachWindow(w, (o, n, d0, d1, h0, h1, w0, w1) => {
    const count = (d1 - d0) * (h1 - h0) * (w1 - w0);
    for (let c = 0; c < C; c++) share[c] = g[o + c] / count;
    for (let d = d0; d < d1; d++) {
      for (let h = h0; h < h1; h++) {
        const from = (((n * D + d) * H + h) * W + w0) * C, to = from + (w1 - w0) * C;
        for (let at = from; at < to; at += C) {
          for (let c = 0; c < C; c++) out[at + c] += share[c];
        }
      }
    }
  });
}
