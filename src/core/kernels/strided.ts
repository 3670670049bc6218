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
 * `outShape` with size-1 axes dropped and neighbouring axes that every input walks contiguously
 * merged, so that `[100, 1]` is one row of 100, not 100 rows of 1; and each input's strides along
 * what is left. Null where `outShape` holds no element.
 */
function collapse(
  outShape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } | null {
  const shape: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    const size = outShape[d];
    if (size === 0) return null;
    if (size === 1) continue;
    const last = shape.length - 1;
    let merge = last >= 0;
    for (let j = 0; j < strides.length && merge; j++) merge = st[j][last] === strides[j][d] * size;
    if (merge) {
      shape[last] *= size;
      for (let j = 0; j < strides.length; j++) st[j][last] = strides[j][d];
    } else {
      shape.push(size);
      for (let j = 0; j < strides.length; j++) st[j].push(strides[j][d]);
    }
  }
  return { shape, strides: st };
}

/**
 * Calls `row(outOffset, offsets, n, inner)` once per innermost row of `outShape` (row-major),
 * with each input's offset from its `strides` (one stride array per input, aligned to
 * `outShape`) and each input's stride along the row in `inner`. Axes are merged first (see
 * `collapse`).
 */
export function forEachRow(
  outShape: readonly number[],
  strides: readonly (readonly number[])[],
  row: (outOffset: number, offsets: number[], n: number, inner: number[]) => void,
): void {
  forEachPlane(outShape, strides, (o, offsets, rows, n, outer, inner) => {
    if (rows === 1) return row(o, offsets, n, inner);
    const at = offsets.slice();
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < at.length; j++) at[j] = offsets[j] + r * outer[j];
      row(o + r * n, at, n, inner);
    }
  });
}

/**
 * Calls `plane(outOffset, offsets, rows, n, outer, inner)` once per plane of the last two axes
 * of `outShape` (row-major) after merging (see `collapse`): `rows` rows of `n` elements, each
 * input starting at its offset and stepping `outer` from row to row and `inner` along one. A
 * broadcast of any two axes (a column down a matrix, a transpose) is then one call, however many
 * rows it has; `rows` is 1 where one axis is left.
 */
export function forEachPlane(
  outShape: readonly number[],
  strides: readonly (readonly number[])[],
  plane: (
    outOffset: number,
    offsets: number[],
    rows: number,
    n: number,
    outer: number[],
    inner: number[],
  ) => void,
): void {
  const c = collapse(outShape, strides);
  if (c === null) return;
  const { shape, strides: st } = c;
  const offsets = new Array<number>(strides.length).fill(0);
  const rank = shape.length;
  if (rank === 0) {
    plane(0, offsets, 1, 1, offsets.slice(), offsets.slice());
    return;
  }
  const n = shape[rank - 1], rows = rank >= 2 ? shape[rank - 2] : 1;
  const inner = st.map((s) => s[rank - 1]);
  const outer = st.map((s) => (rank >= 2 ? s[rank - 2] : 0));
  let planes = 1;
  for (let d = 0; d < rank - 2; d++) planes *= shape[d];
  const idx = new Array<number>(rank).fill(0);
  for (let p = 0; p < planes; p++) {
    plane(p * rows * n, offsets, rows, n, outer, inner);
    // Odometer over all but the last two axes.
    for (let d = rank - 3; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < st.length; j++) offsets[j] += st[j][d];
      if (idx[d] < shape[d]) break;
      for (let j = 0; j < st.length; j++) offsets[j] -= st[j][d] * shape[d];
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
  forEachPlane(outShape, [srcStrides], (o, at, rows, n, outer, inner) => {
    const s = inner[0];
    for (let r = 0; r < rows; r++, o += n) {
      let si = srcOffset + at[0] + r * outer[0];
      // NOTE: subarray + set costs more than a loop below a few dozen elements.
      if (s === 1 && n >= 64) out.set(src.subarray(si, si + n), o);
      else for (let i = 0; i < n; i++, si += s) out[o + i] = src[si];
    }
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
