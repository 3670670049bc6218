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

/**
 * Writes into `out` (`[...lead, ...y]`) the values of `t` (`[...lead, ...x]`) at the first
 * position (in row-major order of the window) of each window's maximum of `x`, TensorFlow's tie
 * rule; a NaN counts as a maximum (the first one). With `t` being `x`, that is max pooling.
 */
export function maxPoolKernel(x: TypedArray, t: TypedArray, out: TypedArray, w: Windows): void {
  const [xs, ys] = sizes(w);
  if (ys === 0) return;
  const copies = t.length / xs, C = w.inner, same = t === x;
  if (C === 1) return maxPoolRows(x, t, out, w, copies, xs, ys);
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
          argmax(x, pos, C, first, d1 - d0, h1 - h0, w1 - w0, H, W);
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
  if (C === 1) return maxPoolGradRows(x, g, out, w, copies, xs, ys);
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
          argmax(x, pos, C, first, d1 - d0, h1 - h0, w1 - w0, H, W);
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
  if (C === 1) return avgPoolRows(x, out, w);
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
  if (C === 1) return avgPoolGradRows(g, out, w);
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

// NOTE: with one channel (channels-first data) a window per step left too little work per step
// (2×2 windows ran at half the channels-last speed): these loops take a row of outputs at a time,
// each column of the window across the whole row, as the loops above take a row of channels.

// For each column `k` of the window, the outputs of a row whose column falls inside the input:
// [cols[2k], cols[2k + 1]).
function columns(w: Windows): Int32Array {
  const W = w.input[2], OW = w.output[2], kw = w.ksize[2], sw = w.strides[2], pw = w.pad[2];
  const cols = new Int32Array(2 * kw);
  for (let k = 0; k < kw; k++) {
    const from = Math.max(0, Math.ceil((pw - k) / sw));
    cols[2 * k] = from;
    cols[2 * k + 1] = Math.max(from, Math.min(OW, Math.floor((W - 1 + pw - k) / sw) + 1));
  }
  return cols;
}

// Each output row: calls `row(o, n, d0, d1, h0, h1)` with the row's first output and its windows'
// rows and planes; the windows' columns come from `columns` and `bounds`.
function eachRow(
  w: Windows,
  row: (o: number, n: number, d0: number, d1: number, h0: number, h1: number) => void,
): void {
  const [OD, OH, OW] = w.output;
  const [dlo, dhi, hlo, hhi] = bounds(w);
  let o = 0;
  for (let n = 0; n < w.outer; n++) {
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++, o += OW) row(o, n, dlo[od], dhi[od], hlo[oh], hhi[oh]);
    }
  }
}

// argmax (above) for a row of windows of one channel: `pos[ow]` for each output of the row.
function rowArgmax(
  x: TypedArray,
  pos: Int32Array,
  w: Windows,
  cols: Int32Array,
  wlo: Int32Array,
  n: number,
  d0: number,
  d1: number,
  h0: number,
  h1: number,
): void {
  const [D, H, W] = w.input, OW = w.output[2], kw = w.ksize[2], sw = w.strides[2];
  const start = ((n * D + d0) * H + h0) * W;
  for (let ow = 0; ow < OW; ow++) pos[ow] = start + wlo[ow];
  for (let d = d0; d < d1; d++) {
    for (let h = h0; h < h1; h++) {
      const line = ((n * D + d) * H + h) * W - w.pad[2];
      for (let k = 0; k < kw; k++) {
        const to = cols[2 * k + 1];
        for (let ow = cols[2 * k], at = line + ow * sw + k; ow < to; ow++, at += sw) {
          const v = x[at], p = pos[ow], b = x[p];
          pos[ow] = p + (+(v > b) | (+(v !== v) & +(b === b))) * (at - p);
        }
      }
    }
  }
}

function maxPoolRows(
  x: TypedArray,
  t: TypedArray,
  out: TypedArray,
  w: Windows,
  copies: number,
  xs: number,
  ys: number,
): void {
  const OW = w.output[2], cols = columns(w), wlo = bounds(w)[4], pos = new Int32Array(OW);
  eachRow(w, (o, n, d0, d1, h0, h1) => {
    rowArgmax(x, pos, w, cols, wlo, n, d0, d1, h0, h1);
    for (let l = 0; l < copies; l++) {
      const to = l * ys + o, from = l * xs;
      for (let ow = 0; ow < OW; ow++) out[to + ow] = t[from + pos[ow]];
    }
  });
}

function maxPoolGradRows(
  x: TypedArray,
  g: TypedArray,
  out: TypedArray,
  w: Windows,
  copies: number,
  xs: number,
  ys: number,
): void {
  const OW = w.output[2], cols = columns(w), wlo = bounds(w)[4], pos = new Int32Array(OW);
  eachRow(w, (o, n, d0, d1, h0, h1) => {
    rowArgmax(x, pos, w, cols, wlo, n, d0, d1, h0, h1);
    for (let l = 0; l < copies; l++) {
      const from = l * ys + o, to = l * xs;
      for (let ow = 0; ow < OW; ow++) out[to + pos[ow]] += g[from + ow];
    }
  });
}

function avgPoolRows(x: TypedArray, out: TypedArray, w: Windows): void {
  const [D, H, W] = w.input, OW = w.output[2], kw = w.ksize[2], sw = w.strides[2];
  const cols = columns(w), [, , , , wlo, whi] = bounds(w), acc = new Float64Array(OW);
  eachRow(w, (o, n, d0, d1, h0, h1) => {
    acc.fill(0);
    for (let d = d0; d < d1; d++) {
      for (let h = h0; h < h1; h++) {
        const line = ((n * D + d) * H + h) * W - w.pad[2];
        for (let k = 0; k < kw; k++) {
          const to = cols[2 * k + 1];
          for (let ow = cols[2 * k], at = line + ow * sw + k; ow < to; ow++, at += sw) {
            acc[ow] += x[at];
          }
        }
      }
    }
    const area = (d1 - d0) * (h1 - h0);
    for (let ow = 0; ow < OW; ow++) out[o + ow] = acc[ow] / (area * (whi[ow] - wlo[ow]));
  });
}

function avgPoolGradRows(g: TypedArray, out: TypedArray, w: Windows): void {
  const [D, H, W] = w.input, OW = w.output[2], kw = w.ksize[2], sw = w.strides[2];
  const cols = columns(w), [, , , , wlo, whi] = bounds(w), share = new Float64Array(OW);
  eachRow(w, (o, n, d0, d1, h0, h1) => {
    const area = (d1 - d0) * (h1 - h0);
    for (let ow = 0; ow < OW; ow++) share[ow] = g[o + ow] / (area * (whi[ow] - wlo[ow]));
    for (let d = d0; d < d1; d++) {
      for (let h = h0; h < h1; h++) {
        const line = ((n * D + d) * H + h) * W - w.pad[2];
        for (let k = 0; k < kw; k++) {
          const to = cols[2 * k + 1];
          for (let ow = cols[2 * k], at = line + ow * sw + k; ow < to; ow++, at += sw) {
            out[at] += share[ow];
          }
        }
      }
    }
  });
}
