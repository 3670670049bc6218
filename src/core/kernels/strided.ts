/** Index plumbing shared by the kernels: broadcast strides and strided copies. */
import type { TypedArray } from "../dtype.ts";
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
 * Calls `row(outOffset, offsets, n, inner)` once per innermost row of `outShape` (row-major),
 * with each input's offset from its `strides` (one stride array per input, aligned to
 * `outShape`) and each input's stride along the row in `inner`.
 *
 * NOTE: size-1 axes are dropped and neighbouring axes that every input walks contiguously are
 * merged first, so that `[100, 1]` is one row of 100, not 100 rows of 1.
 */
export function forEachRow(
  outShape: readonly number[],
  strides: readonly (readonly number[])[],
  row: (outOffset: number, offsets: number[], n: number, inner: number[]) => void,
): void {
  const k = strides.length;
  const shape: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    const size = outShape[d];
    if (size === 0) return;
    if (size === 1) continue;
    const last = shape.length - 1;
    let merge = last >= 0;
    for (let j = 0; j < k && merge; j++) merge = st[j][last] === strides[j][d] * size;
    if (merge) {
      shape[last] *= size;
      for (let j = 0; j < k; j++) st[j][last] = strides[j][d];
    } else {
      shape.push(size);
      for (let j = 0; j < k; j++) st[j].push(strides[j][d]);
    }
  }
  const offsets = new Array<number>(k).fill(0);
  const rank = shape.length;
  if (rank === 0) {
    row(0, offsets, 1, offsets.slice());
    return;
  }
  const n = shape[rank - 1];
  const inner = st.map((s) => s[rank - 1]);
  let outer = 1;
  for (let d = 0; d < rank - 1; d++) outer *= shape[d];
  const idx = new Array<number>(rank).fill(0);
  for (let r = 0; r < outer; r++) {
    row(r * n, offsets, n, inner);
    // Odometer over all but the last axis.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < k; j++) offsets[j] += st[j][d];
      if (idx[d] < shape[d]) break;
      for (let j = 0; j < k; j++) offsets[j] -= st[j][d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** Copies `src` laid out by `srcStrides` (aligned to `outShape`) into `out`, row-major. */
export function stridedCopy(
  out: TypedArray,
  src: TypedArray,
  srcStrides: readonly number[],
  outShape: readonly number[],
  srcOffset = 0,
): void {
  forEachRow(outShape, [srcStrides], (o, offs, n, inner) => {
    const s = inner[0];
    let si = srcOffset + offs[0];
    // NOTE: subarray + set costs more than a loop below a few dozen elements.
    if (s === 1 && n >= 64) out.set(src.subarray(si, si + n), o);
    else for (let i = 0; i < n; i++, si += s) out[o + i] = src[si];
  });
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
  forEachRow(srcShape, [ds], (si, offs, n, inner) => {
    const at = base + offs[0];
    if (inner[0] === 1 && n >= 64) dst.set(src.subarray(si, si + n), at);
    else for (let i = 0; i < n; i++) dst[at + i * inner[0]] = src[si + i];
  });
}
