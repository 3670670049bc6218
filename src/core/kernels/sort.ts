/**
 * Sorting kernels: a stable argsort along one axis (a least-significant-digit radix sort on the
 * values' bits for long rows, insertion for short ones), and gathering or scattering along an
 * axis by per-position indices.
 */
import type { DType, TypedArray } from "../dtype.ts";
import { around } from "./scan.ts";

const SHORT = 32;

/**
 * Writes into `out` (int32 positions) the first `k` places of the order that sorts each row of `x`
 * along `axis`: stable, NaN after everything ascending (as numpy), -0 equal to 0; descending is
 * the ascending order of the complemented keys, so ties keep their order there too and NaN comes
 * first.
 */
export function argsortKernel(
  out: TypedArray,
  x: TypedArray,
  dtype: DType,
  shape: readonly number[],
  axis: number,
  descending: boolean,
  k: number,
): void {
  const [outer, n, inner] = around(shape, axis);
  if (n === 0 || k === 0) return;
  const wide = dtype === "float64";
  const sorter = new RowSorter(n, wide);
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length * (wide ? 2 : 1));
  const flip = descending ? 0xffffffff : 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      sorter.load(x, bits, dtype, o * n * inner + i, inner, flip);
      const order = sorter.sort();
      const start = o * k * inner + i;
      for (let j = 0; j < k; j++) out[start + j * inner] = order[j];
    }
  }
}

// The radix passes: 11, 11 and 10 bits of each 32-bit word, least significant first.
const SHIFTS = [0, 11, 22];
const BUCKETS = 2048;

// NOTE: one row's keys as unsigned integers whose order is the values' (the sign bit flipped,
// and every bit of a negative value), most significant word first, sorted with their positions by
// stable counting passes on the keys' digits, whose counts are all taken while the keys are made.
class RowSorter {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #idx: Int32Array;
  #hi2: Uint32Array;
  #lo2: Uint32Array;
  #idx2: Int32Array;
  // Per pass (low word's three, then the high word's), the count of each digit.
  readonly #count: Int32Array;

  constructor(readonly n: number, readonly wide: boolean) {
    this.#hi = new Uint32Array(n);
    this.#idx = new Int32Array(n);
    this.#hi2 = new Uint32Array(n);
    this.#idx2 = new Int32Array(n);
    this.#lo = new Uint32Array(wide ? n : 0);
    this.#lo2 = new Uint32Array(wide ? n : 0);
    this.#count = new Int32Array(n > SHORT ? 6 * BUCKETS : 0);
  }

  load(
    x: TypedArray,
    bits: Uint32Array,
    dtype: DType,
    start: number,
    stride: number,
    flip: number,
  ): void {
    const hi = this.#hi, lo = this.#lo, idx = this.#idx, n = this.n, wide = this.wide;
    for (let j = 0, at = start; j < n; j++, at += stride) {
      idx[j] = j;
      const v = x[at];
      if (dtype === "int32") hi[j] = ((v ^ 0x80000000) ^ flip) >>> 0;
      else if (v !== v) {
        hi[j] = ~flip >>> 0;
        if (wide) lo[j] = ~flip >>> 0;
      } else if (v === 0) {
        hi[j] = (0x80000000 ^ flip) >>> 0;
        if (wide) lo[j] = flip >>> 0;
      } else if (wide) {
        const h = bits[2 * at + 1], l = bits[2 * at];
        const neg = h >>> 31 === 1;
        hi[j] = ((neg ? ~h : h ^ 0x80000000) ^ flip) >>> 0;
        lo[j] = ((neg ? ~l : l) ^ flip) >>> 0;
      } else {
        const h = bits[at];
        hi[j] = ((h >>> 31 === 1 ? ~h : h ^ 0x80000000) ^ flip) >>> 0;
      }
    }
    if (n > SHORT) this.#countDigits();
  }

  #countDigits(): void {
    const count = this.#count.fill(0), n = this.n;
    const hi = this.#hi, lo = this.#lo;
    const H = 3 * BUCKETS;
    for (let j = 0; j < n; j++) {
      const k = hi[j];
      count[H + (k & 2047)]++;
      count[H + BUCKETS + ((k >>> 11) & 2047)]++;
      count[H + 2 * BUCKETS + (k >>> 22)]++;
    }
    if (!this.wide) return;
    for (let j = 0; j < n; j++) {
      const k = lo[j];
      count[k & 2047]++;
      count[BUCKETS + ((k >>> 11) & 2047)]++;
      count[2 * BUCKETS + (k >>> 22)]++;
    }
  }

  /** The positions in sorted order (valid until the next `load`). */
  sort(): Int32Array {
    if (this.n <= SHORT) return this.#insertion();
    for (let p = this.wide ? 0 : 3; p < 6; p++) this.#pass(p);
    return this.#idx;
  }

  #insertion(): Int32Array {
    const hi = this.#hi, lo = this.#lo, idx = this.#idx, n = this.n, wide = this.wide;
    for (let j = 1; j < n; j++) {
      const h = hi[j], l = wide ? lo[j] : 0, v = idx[j];
      let k = j - 1;
      while (k >= 0 && (hi[k] > h || (wide && hi[k] === h && lo[k] > l))) {
        hi[k + 1] = hi[k];
        if (wide) lo[k + 1] = lo[k];
        idx[k + 1] = idx[k];
        k--;
      }
      hi[k + 1] = h;
      if (wide) lo[k + 1] = l;
      idx[k + 1] = v;
    }
    return idx;
  }

  // Pass p (0-2: the low word's digits, 3-5: the high word's): a stable counting sort on that
  // digit, skipped where every key has the same one (the exponent bits of values of one scale).
  #pass(p: number): void {
    const n = this.n, low = p < 3, shift = SHIFTS[p % 3];
    const keys = low ? this.#lo : this.#hi;
    const count = this.#count.subarray(p * BUCKETS, (p + 1) * BUCKETS);
    if (count[(keys[0] >>> shift) & 2047] === n) return;
    let sum = 0;
    for (let d = 0; d < BUCKETS; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    const hi = this.#hi, lo = this.#lo, idx = this.#idx;
    const hi2 = this.#hi2, lo2 = this.#lo2, idx2 = this.#idx2;
    if (!this.wide) {
      for (let j = 0; j < n; j++) {
        const k = hi[j], at = count[(k >>> shift) & 2047]++;
        hi2[at] = k;
        idx2[at] = idx[j];
      }
    } else {
      for (let j = 0; j < n; j++) {
        const at = count[((low ? lo[j] : hi[j]) >>> shift) & 2047]++;
        hi2[at] = hi[j];
        lo2[at] = lo[j];
        idx2[at] = idx[j];
      }
    }
    [this.#hi, this.#hi2] = [hi2, hi];
    [this.#lo, this.#lo2] = [lo2, lo];
    [this.#idx, this.#idx2] = [idx2, idx];
  }
}

/** `out[..., j, ...] = x[..., idx[..., j, ...], ...]` along `axis` (idx has out's shape). */
export function takeAlongKernel(
  out: TypedArray,
  x: TypedArray,
  xShape: readonly number[],
  idx: TypedArray,
  outShape: readonly number[],
  axis: number,
): void {
  const [outer, n, inner] = around(xShape, axis);
  const k = outShape[axis];
  for (let o = 0; o < outer; o++) {
    const src = o * n * inner, dst = o * k * inner;
    if (inner === 1) {
      for (let j = 0; j < k; j++) out[dst + j] = x[src + idx[dst + j]];
      continue;
    }
    for (let j = 0; j < k; j++) {
      const row = dst + j * inner;
      for (let i = 0; i < inner; i++) out[row + i] = x[src + idx[row + i] * inner + i];
    }
  }
}

/** The adjoint of `takeAlongKernel`: `g` added into a zeroed `out` at the positions `idx` names. */
export function scatterAlongKernel(
  out: TypedArray,
  outShape: readonly number[],
  g: TypedArray,
  idx: TypedArray,
  gShape: readonly number[],
  axis: number,
): void {
  out.fill(0);
  const [outer, n, inner] = around(outShape, axis);
  const k = gShape[axis];
  for (let o = 0; o < outer; o++) {
    const dst = o * n * inner, src = o * k * inner;
    for (let j = 0; j < k; j++) {
      const row = src + j * inner;
      for (let i = 0; i < inner; i++) out[dst + idx[row + i] * inner + i] += g[row + i];
    }
  }
}
