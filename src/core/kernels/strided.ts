/** Index plumbing shared by the kernels: broadcast strides and strided copies. */
import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { stridesOf } from "../shape.ts";

/** Strides of `shape` seen from `outShape` (right-aligned), 0 where `shape` broadcasts. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const lead = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 ? 0 : own[i];
  return out;
}

/**
 * Calls `row(outOffset, offsets…, n)` once per innermost row of `outShape`, with each input's
 * offset from its `strides` (one stride array per input, aligned to `outShape`).
 */
export function forEachRow(
  outShape: readonly number[],
  strides: readonly (readonly number[])[],
  row: (outOffset: number, offsets: Int32Array | number[], n: number) => void,
): void {
  const rank = outShape.length;
  const k = strides.length;
  const offsets = new Array<number>(k).fill(0);
  if (rank === 0) {
    row(0, offsets, 1);
    return;
  }
  const n = outShape[rank - 1];
  let outer = 1;
  for (let d = 0; d < rank - 1; d++) outer *= outShape[d];
  if (n === 0 || outer === 0) return;
  const idx = new Array<number>(rank).fill(0);
  for (let r = 0; r < outer; r++) {
    row(r * n, offsets, n);
    // Odometer over all but the last dimension.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < k; j++) offsets[j] += strides[j][d];
      if (idx[d] < outShape[d]) break;
      for (let j = 0; j < k; j++) offsets[j] -= strides[j][d] * outShape[d];
      idx[d] = 0;
    }
  }
}

/** Copies `src` laid out by `srcStrides` (aligned to `outShape`) into a fresh row-major array. */
export function stridedCopy(
  src: TypedArray,
  srcStrides: readonly number[],
  outShape: readonly number[],
  dtype: DType,
  srcOffset = 0,
): TypedArray {
  let size = 1;
  for (const d of outShape) size *= d;
  const out = allocate(dtype, size);
  const s = outShape.length ? srcStrides[outShape.length - 1] : 0;
  forEachRow(outShape, [srcStrides], (o, offs, n) => {
    let si = srcOffset + offs[0];
    if (s === 1) out.set(src.subarray(si, si + n), o);
    else for (let i = 0; i < n; i++, si += s) out[o + i] = src[si];
  });
  return out;
}

/** Writes `src` (row-major, of `srcShape`) into `dst` (row-major, of `dstShape`) at `begin`. */
export function writeBlock(
  dst: TypedArray,
  dstShape: readonly number[],
  src: TypedArray,
  srcShape: readonly number[],
  begin: readonly number[],
): void {
  const ds = stridesOf(dstShape);
  let base = 0;
  for (let i = 0; i < begin.length; i++) base += begin[i] * ds[i];
  forEachRow(srcShape, [ds], (si, offs, n) => {
    dst.set(src.subarray(si, si + n), base + offs[0]);
  });
}
