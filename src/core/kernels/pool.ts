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

// Each output position's window along one spatial dimension, clipped to the input: [lo, hi).
function clipped(
  n: number,
  out: number,
  k: number,
  s: number,
  pad: number,
): [Int32Array, Int32Array] {
  const lo = new Int32Array(out), hi = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    const a = o * s - pad;
    lo[o] = a < 0 ? 0 : a;
    hi[o] = Math.min(a + k, n);
  }
  return [lo, hi];
}

// NOTE: each kernel writes its loop nest out rather than visit windows through a callback: a
// callback shared by four kernels is not inlined, and cost more than the work on 2×2 windows.
function bounds(w: Windows): Int32Array[] {
  const out: Int32Array[] = [];
  for (let i = 0; i < 3; i++) {
    out.push(...clipped(w.input[i], w.output[i], w.ksize[i], w.strides[i], w.pad[i]));
  }
  return out;
}

/**
 * Writes into `pos` the offset in `x` of each channel's first maximum (in row-major order of the
 * window; a NaN counts as a maximum, the first one) in the window of `dn × hn × wn` positions
 * from `first`, TensorFlow's tie rule.
 */
function argmax(
  x: TypedArray,
  pos: Int32Array,
  C: number,
  first: number,
  dn: number,
  hn: number,
  wn: number,
  H: number,
  W: number,
): void {
  for (let c = 0; c < C; c++) pos[c] = first + c;
  for (let d = 0; d < dn; d++) {
    for (let h = 0; h < hn; h++) {
      const from = first + (d * H + h) * W * C, to = from + wn * C;
      for (let at = from; at < to; at += C) {
        for (let c = 0; c < C; c++) {
          const v = x[at + c], p = pos[c], b = x[p];
          // NOTE: arithmetic, not a branch: on data in no order a branch per element mispredicts
          // often enough to make max pooling 3 times slower. Greater, or a NaN after numbers.
          const up = +(v > b) | (+(v !== v) & +(b === b));
          pos[c] = p + up * (at + c - p);
        }
      }
    }
  }
}

// argmax for one channel (channels-first data), without the arrays.
function argmax1(
  x: TypedArray,
  first: number,
  dn: number,
  hn: number,
  wn: number,
  H: number,
  W: number,
): number {
  let p = first;
  for (let d = 0; d < dn; d++) {
    for (let h = 0; h < hn; h++) {
      const from = first + (d * H + h) * W, to = from + wn;
      for (let at = from; at < to; at++) {
        const v = x[at], b = x[p];
        p += (+(v > b) | (+(v !== v) & +(b === b))) * (at - p);
      }
    }
  }
  return p;
}

/**
 * Writes into `out` (`[...lead, ...y]`) the values of `t` (`[...lead, ...x]`) at the first
 * position (in row-major order of the window) of each window's maximum of `x`, TensorFlow's tie
 * rule; a NaN counts as a maximum (the first one). With `t` being `x`, that is max pooling.
 */
export function maxPoolKernel(x: TypedArray, t: TypedArray, out: TypedArray, w: Windows): void {
  const [xs, ys] = sizes(w);
  if (ys === 0) return;
  const copies = t.length / xs, C = w.inner, same = t === x;
  const [D, H, W] = w.input, [OD, OH, OW] = w.output;
  const [dlo, dhi, hlo, hhi, wlo, whi] = bounds(w);
  const pos = new Int32Array(C);
  let o = 0;
  for (let n = 0; n < w.outer; n++) {
    for (let od = 0; od < OD; od++) {
      const d0 = dlo[od], d1 = dhi[od];
      for (let oh = 0; oh < OH; oh++) {
        const h0 = hlo[oh], h1 = hhi[oh];
        for (let ow = 0; ow < OW; ow++, o += C) {
          const w0 = wlo[ow], w1 = whi[ow];
          const first = (((n * D + d0) * H + h0) * W + w0) * C;
          if (C === 1) pos[0] = argmax1(x, first, d1 - d0, h1 - h0, w1 - w0, H, W);
          else argmax(x, pos, C, first, d1 - d0, h1 - h0, w1 - w0, H, W);
          if (same) {
            for (let c = 0; c < C; c++) out[o + c] = x[pos[c]];
            continue;
          }
          for (let l = 0; l < copies; l++) {
            const to = l * ys + o, from = l * xs;
            for (let c = 0; c < C; c++) out[to + c] = t[from + pos[c]];
          }
        }
      }
    }
  }
}

/**
 * The adjoint of `maxPoolKernel` in `t`: adds each element of `g` (`[...lead, ...y]`) into
 * `out` (`[...lead, ...x]`) at the position of its window's first maximum of `x`.
 */
export function maxPoolGradKernel(x: TypedArray, g: TypedArray, out: TypedArray, w: Windows): void {
  out.fill(0);
  const [xs, ys] = sizes(w);
  if (ys === 0) return;
  const copies = g.length / ys, C = w.inner;
  const [D, H, W] = w.input, [OD, OH, OW] = w.output;
  const [dlo, dhi, hlo, hhi, wlo, whi] = bounds(w);
  const pos = new Int32Array(C);
  let o = 0;
  for (let n = 0; n < w.outer; n++) {
    for (let od = 0; od < OD; od++) {
      const d0 = dlo[od], d1 = dhi[od];
      for (let oh = 0; oh < OH; oh++) {
        const h0 = hlo[oh], h1 = hhi[oh];
        for (let ow = 0; ow < OW; ow++, o += C) {
          const w0 = wlo[ow], w1 = whi[ow];
          const first = (((n * D + d0) * H + h0) * W + w0) * C;
          if (C === 1) pos[0] = argmax1(x, first, d1 - d0, h1 - h0, w1 - w0, H, W);
          else argmax(x, pos, C, first, d1 - d0, h1 - h0, w1 - w0, H, W);
          for (let l = 0; l < copies; l++) {
            const from = l * ys + o, to = l * xs;
            for (let c = 0; c < C; c++) out[to + pos[c]] += g[from + c];
          }
        }
      }
    }
  }
}

/**
 * Writes into `out` the mean of each window of `x` over the positions inside the input (padding
 * is not counted, as TensorFlow's SAME average pooling), summed in float64.
 */
export function avgPoolKernel(x: TypedArray, out: TypedArray, w: Windows): void {
  const [, ys] = sizes(w);
  if (ys === 0) return;
  const C = w.inner;
  const [D, H, W] = w.input, [OD, OH, OW] = w.output;
  const [dlo, dhi, hlo, hhi, wlo, whi] = bounds(w);
  const acc = new Float64Array(C);
  let o = 0;
  for (let n = 0; n < w.outer; n++) {
    for (let od = 0; od < OD; od++) {
      const d0 = dlo[od], d1 = dhi[od];
      for (let oh = 0; oh < OH; oh++) {
        const h0 = hlo[oh], h1 = hhi[oh];
        for (let ow = 0; ow < OW; ow++, o += C) {
          const w0 = wlo[ow], w1 = whi[ow];
          for (let c = 0; c < C; c++) acc[c] = 0;
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
        }
      }
    }
  }
}

/** The adjoint of `avgPoolKernel`: spreads each element of `g` evenly over its window in `out`. */
export function avgPoolGradKernel(g: TypedArray, out: TypedArray, w: Windows): void {
  out.fill(0);
  const [, ys] = sizes(w);
  if (ys === 0) return;
  const C = w.inner;
  const [D, H, W] = w.input, [OD, OH, OW] = w.output;
  const [dlo, dhi, hlo, hhi, wlo, whi] = bounds(w);
  const share = new Float64Array(C);
  let o = 0;
  for (let n = 0; n < w.outer; n++) {
    for (let od = 0; od < OD; od++) {
      const d0 = dlo[od], d1 = dhi[od];
      for (let oh = 0; oh < OH; oh++) {
        const h0 = hlo[oh], h1 = hhi[oh];
        for (let ow = 0; ow < OW; ow++, o += C) {
          const w0 = wlo[ow], w1 = whi[ow];
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
        }
      }
    }
  }
}
