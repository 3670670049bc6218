/**
 * The structural ops of gt.linalg, all composites (their derivatives come from the ops they are
 * written in): `matrixTranspose`, `bandPart`, `diag`, `diagPart`, `setDiag`, `trace`.
 */
import type { Aval } from "../../core/dispatch.ts";
import { toTensor, toTensors } from "../../core/convert.ts";
import { checkInteger } from "../../core/check.ts";
import { Tensor, type TensorLike } from "../../core/tensor.ts";
import { fmtShape } from "../../core/shape.ts";
import { where } from "../compare.ts";
import { broadcastTo, expandDims, pad, reshape, transpose } from "../movement.ts";
import { gather } from "../indexing.ts";
import { reduceSum } from "../reduce.ts";
import { requireNumeric } from "../_define.ts";

/** Throws unless `x` has rank ≥ `rank`, naming `op` and what the axes stand for. */
export function requireRank(op: string, x: Aval, rank: number, what: string): void {
  if (x.shape.length < rank) {
    throw new Error(
      `${op}: expects ${what} of rank ≥ ${rank}, got shape ${fmtShape(x.shape)}: ` +
        `the last ${rank === 1 ? "axis holds" : `${rank} axes hold`} it, any before it are a batch`,
    );
  }
}

/** Throws unless the last two axes of `x` have one length. */
export function requireSquare(op: string, x: Aval): void {
  requireRank(op, x, 2, "a matrix");
  const [n, m] = x.shape.slice(-2);
  if (n !== m) {
    throw new Error(
      `${op}: expects square matrices, got shape ${fmtShape(x.shape)} (${n}×${m}): ` +
        `the last two axes must have one length`,
    );
  }
}

/**
 * The transpose of the last two axes (the batch axes before them stay).
 *
 * @param x A tensor of rank ≥ 2.
 * @returns `x` with its last two axes swapped.
 * @example A 2×3 matrix becomes 3×2
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * assert.deepEqual(linalg.matrixTranspose([[1, 2, 3], [4, 5, 6]]).toArray(), [[1, 4], [2, 5], [3, 6]]);
 * ```
 */
export function matrixTranspose(x: TensorLike): Tensor {
  const t = toTensor(x, { op: "matrixTranspose" });
  requireRank("matrixTranspose", t, 2, "a matrix");
  return swapLast(t);
}

/** `x` with its last two axes swapped (rank ≥ 2, unchecked). */
export function swapLast(x: Tensor): Tensor {
  const perm = [...x.shape.keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

/**
 * Keeps a band of each matrix around its diagonal and sets the rest to zero: element (i, j) stays
 * where `i - j ≤ numLower` and `j - i ≤ numUpper`, a negative bound keeping the whole triangle
 * (TensorFlow's `band_part`). `bandPart(x, -1, 0)` is the lower triangle, `(0, 0)` the diagonal.
 *
 * @param x A tensor of rank ≥ 2.
 * @param numLower How many subdiagonals to keep (negative: all).
 * @param numUpper How many superdiagonals to keep (negative: all).
 * @returns `x` with the elements outside the band zero.
 * @example The lower triangle, and a tridiagonal band
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * const x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
 * assert.deepEqual(linalg.bandPart(x, -1, 0).toArray(), [[1, 0, 0], [4, 5, 0], [7, 8, 9]]);
 * assert.deepEqual(linalg.bandPart(x, 1, 1).toArray(), [[1, 2, 0], [4, 5, 6], [0, 8, 9]]);
 * ```
 */
export function bandPart(x: TensorLike, numLower: number, numUpper: number): Tensor {
  const t = toTensor(x, { op: "bandPart" });
  requireRank("bandPart", t, 2, "a matrix");
  checkInteger("bandPart", "numLower", numLower);
  checkInteger("bandPart", "numUpper", numUpper);
  return band(t, numLower, numUpper);
}

/** `bandPart` of a checked tensor of rank ≥ 2 (for derivative rules and composites). */
export function band(x: Tensor, numLower: number, numUpper: number): Tensor {
  const [n, m] = x.shape.slice(-2);
  if ((numLower < 0 || numLower >= n - 1) && (numUpper < 0 || numUpper >= m - 1)) return x;
  const mask = new Uint8Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      mask[i * m + j] = (numLower < 0 || i - j <= numLower) && (numUpper < 0 || j - i <= numUpper)
        ? 1
        : 0;
    }
  }
  // NOTE: a select rather than a product with a 0/1 mask, so that Inf or NaN outside the band
  // gives zero, and the derivative is the same select.
  return where(new Tensor(mask, [n, m], "bool"), x, 0);
}

/**
 * The lower (or upper) triangle of each matrix in `x` (rank ≥ 2), without its diagonal when
 * `strict`, the rest zero (for derivative rules and composites).
 */
export function tri(x: Tensor, lower: boolean, strict: boolean): Tensor {
  if (!strict) return lower ? band(x, -1, 0) : band(x, 0, -1);
  const [n, m] = x.shape.slice(-2);
  const mask = new Uint8Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) mask[i * m + j] = (lower ? i > j : j > i) ? 1 : 0;
  }
  return where(new Tensor(mask, [n, m], "bool"), x, 0);
}

/**
 * A batch of square matrices with `diagonal` on their diagonals and zeros elsewhere
 * (TensorFlow's `linalg.diag`).
 *
 * @param diagonal A tensor of rank ≥ 1: its last axis is each diagonal.
 * @returns A tensor of shape `[...batch, n, n]`.
 * @example A diagonal matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * assert.deepEqual(linalg.diag([1, 2]).toArray(), [[1, 0], [0, 2]]);
 * ```
 */
export function diag(diagonal: TensorLike): Tensor {
  const d = toTensor(diagonal, { op: "diag" });
  requireRank("diag", d, 1, "a vector");
  const n = d.shape[d.rank - 1];
  return where(eyeMask(n, n), broadcastTo(expandDims(d, -1), [...d.shape, n]), 0);
}

/**
 * The diagonal of each matrix (of length `min(n, m)` for n×m matrices).
 *
 * @param x A tensor of rank ≥ 2.
 * @returns A tensor of shape `[...batch, min(n, m)]`.
 * @example The diagonal of a 2×3 matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * assert.deepEqual(linalg.diagPart([[1, 2, 3], [4, 5, 6]]).toArray(), [1, 5]);
 * ```
 */
export function diagPart(x: TensorLike): Tensor {
  const t = toTensor(x, { op: "diagPart" });
  requireRank("diagPart", t, 2, "a matrix");
  return diagonalOf(t);
}

/** The diagonals of a checked tensor of rank ≥ 2. */
export function diagonalOf(x: Tensor): Tensor {
  const [n, m] = x.shape.slice(-2);
  const k = Math.min(n, m);
  const at = new Int32Array(k);
  for (let i = 0; i < k; i++) at[i] = i * (m + 1);
  const flat = reshape(x, [...x.shape.slice(0, -2), n * m]);
  return gather(flat, new Tensor(at, [k], "int32"), x.rank - 2);
}

/**
 * Each matrix with its diagonal replaced by `diagonal` (TensorFlow's `linalg.set_diag`).
 *
 * @param x A tensor of rank ≥ 2, of shape `[...batch, n, m]`.
 * @param diagonal The new diagonals, of shape `[...batch, min(n, m)]`.
 * @returns `x` with the new diagonals.
 * @example Replacing a diagonal
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * assert.deepEqual(linalg.setDiag([[1, 2], [3, 4]], [7, 8]).toArray(), [[7, 2], [3, 8]]);
 * ```
 */
export function setDiag(x: TensorLike, diagonal: TensorLike): Tensor {
  const [t, d] = toTensors("setDiag", [x, diagonal]);
  requireRank("setDiag", t, 2, "a matrix");
  const [n, m] = t.shape.slice(-2);
  const want = [...t.shape.slice(0, -2), Math.min(n, m)];
  if (d.rank !== want.length || d.shape.some((s, i) => s !== want[i])) {
    throw new Error(
      `setDiag: the diagonal has shape ${fmtShape(d.shape)} where a matrix of shape ` +
        `${fmtShape(t.shape)} needs ${fmtShape(want)}: give one value per diagonal element`,
    );
  }
  // Row i of the broadcast column holds d_i (zero below the diagonal's end), picked at (i, i).
  const keep = want.slice(0, -1).map(() => [0, 0] as [number, number]);
  const column = n > m ? pad(d, [...keep, [0, n - m]]) : d;
  return where(eyeMask(n, m), broadcastTo(expandDims(column, -1), t.shape), t);
}

/**
 * The sum of each matrix's diagonal.
 *
 * @param x A tensor of rank ≥ 2.
 * @returns A tensor of shape `[...batch]`.
 * @example The trace of a 2×2 matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * assert.equal(linalg.trace([[1, 2], [3, 4]]).item(), 5);
 * ```
 */
export function trace(x: TensorLike): Tensor {
  const t = toTensor(x, { op: "trace" });
  requireRank("trace", t, 2, "a matrix");
  requireNumeric("trace", t);
  return reduceSum(diagonalOf(t), -1);
}

/** A bool n×m matrix, true on the diagonal. */
export function eyeMask(n: number, m: number): Tensor {
  const mask = new Uint8Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) mask[i * m + i] = 1;
  return new Tensor(mask, [n, m], "bool");
}
