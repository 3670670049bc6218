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

// One row's keys, most significant word first, as unsigned integers whose order is the values'.
class RowSorter {
  hi: Uint32Array;
  lo: Uint32Array;
  idx: Int32Array;
  hi2: Uint32Array;
  lo2: Uint32Array;
  idx2: Int32Array;
  readonly count = new Int32Array(2048);

  constructor(readonly n: number, readonly wide: boolean) {
    this.hi = new Uint32Array(n);
    this.idx = new Int32Array(n);
    this.hi2 = new Uint32Array(n);
    this.idx2 = new Int32Array(n);
    this.lo = new Uint32Array(wide ? n : 0);
    this.lo2 = new Uint32Array(wide ? n : 0);
  }

  load(
    x: TypedArray,
    bits: Uint32Array,
    dtype: DType,
    start: number,
    stride: number,
    flip: number,
  ) {
    const { hi, lo, idx, n } = this;
    for (let j = 0, at = start; j < n; j++, at += stride) {
      idx[j] = j;
      const v = x[at];
      if (dtype === "int32") hi[j] = ((v ^ 0x80000000) ^ flip) >>> 0;
      else if (v !== v) {
        hi[j] = ~flip >>> 0;
        if (this.wide) lo[j] = ~flip >>> 0;
      } else if (v === 0) {
        hi[j] = (0x80000000 ^ flip) >>> 0;
        if (this.wide) lo[j] = flip;
      } else if (this.wide) {
        const h = bits[2 * at + 1], l = bits[2 * at];
        const neg = h >>> 31 === 1;
        hi[j] = ((neg ? ~h : h ^ 0x80000000) ^ flip) >>> 0;
        lo[j] = ((neg ? ~l : l) ^ flip) >>> 0;
      } else {
        const h = bits[at];
        hi[j] = ((h >>> 31 === 1 ? ~h : h ^ 0x80000000) ^ flip) >>> 0;
      }
    }
  }

  sort(): Int32Array {
    if (this.n <= SHORT) return this.insertion();
    if (this.wide) {
      this.pass(true, 0, 11);
      this.pass(true, 11, 11);
      this.pass(true, 22, 10);
    }
    this.pass(false, 0, 11);
    this.pass(false, 11, 11);
    this.pass(false, 22, 10);
    return this.idx;
  }

  private insertion(): Int32Array {
    const { hi, lo, idx, n, wide } = this;
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

  // One stable counting pass on the digit of `width` bits at `shift` of the low or high word,
  // skipped where every key has the same digit (the exponent bits of values of one scale).
  private pass(lowWord: boolean, shift: number, width: number): void {
    const { n, count } = this;
    const keys = lowWord ? this.lo : this.hi;
    const mask = (1 << width) - 1, buckets = 1 << width;
    count.fill(0, 0, buckets);
    for (let j = 0; j < n; j++) count[(keys[j] >>> shift) & mask]++;
    if (count[(keys[0] >>> shift) & mask] === n) return;
    let sum = 0;
    for (let d = 0; d < buckets; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    const { hi, lo, idx, hi2, lo2, idx2 } = this;
    if (!this.wide) {
      for (let j = 0; j < n; j++) {
        const k = hi[j], p = count[(k >>> shift) & mask]++;
        hi2[p] = k;
        idx2[p] = idx[j];
      }
    } else {
      for (let j = 0; j < n; j++) {
        const k = lowWord ? lo[j] : hi[j], p = count[(k >>> shift) & mask]++;
        hi2[p] = hi[j];
        lo2[p] = lo[j];
        idx2[p] = idx[j];
      }
    }
    this.swap();
  }

  private swap(): void {
    [this.hi, this.hi2] = [this.hi2, this.hi];
    [this.lo, this.lo2] = [this.lo2, this.lo];
    [this.idx, this.idx2] = [this.idx2, this.idx];
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
