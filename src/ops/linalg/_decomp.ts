/**
 * What the decompositions (qr, eigh, svd) share: the checks of a batch of matrices, the kernels'
 * loop over the batch, their batching rule, and the small matrix helpers their derivative rules
 * are written in (each a composite of differentiable ops, so the rules differentiate again).
 */
import { type Aval, bind, type Primitive } from "../../core/dispatch.ts";
import type { Operand } from "../../core/dispatch.ts";
import { allocate, type DType } from "../../core/dtype.ts";
import { fmtShape, sizeOf } from "../../core/shape.ts";
import { Tensor } from "../../core/tensor.ts";
import { toFront } from "../_batch.ts";
import { requireFloat } from "../_define.ts";
import { div, eq, mul, reduceSum, sub, transpose, where } from "../_lax.ts";
import { slice } from "../movement.ts";

/** Checks that `x` is a float batch of matrices (`square`: of square ones); returns [m, n]. */
export function matrixShape(op: string, x: Aval, square: boolean): [number, number] {
  requireFloat(op, x);
  const r = x.shape.length;
  if (r < 2) {
    throw new Error(
      `${op}: expects a matrix or a batch of matrices (rank 2 or more), got shape ` +
        `${fmtShape(x.shape)}: reshape a vector to [n, 1] or [1, n] first`,
    );
  }
  const m = x.shape[r - 2], n = x.shape[r - 1];
  if (square && m !== n) {
    throw new Error(
      `${op}: expects square matrices, got shape ${fmtShape(x.shape)} (${m}×${n} matrices)`,
    );
  }
  return [m, n];
}

/**
 * Runs `one` on each matrix of the batch `x` (as a fresh float64 array, m×n, row-major), with
 * the offset of its block in `out` (`block` elements each).
 */
export function eachMatrix(
  x: Operand,
  block: number,
  one: (a: Float64Array, at: number) => void,
): void {
  const r = x.shape.length, m = x.shape[r - 2], n = x.shape[r - 1];
  const count = sizeOf(x.shape.slice(0, -2));
  for (let b = 0; b < count; b++) {
    const a = new Float64Array(m * n);
    const from = b * m * n;
    for (let i = 0; i < m * n; i++) a[i] = x.data[from + i];
    one(a, b * block);
  }
}

/** Copies the rows × cols matrix `x` into `out` at `at`, as rows of width `width` (zero padded). */
export function putBlock(
  out: Operand,
  at: number,
  x: Float64Array,
  rows: number,
  cols: number,
  width: number,
): void {
  const o = out.data;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) o[at + i * width + j] = x[i * cols + j];
    for (let j = cols; j < width; j++) o[at + i * width + j] = 0;
  }
}

/**
 * The batching rule of a decomposition: the mapped axis in front is one more batch dimension,
 * which the kernel loops over like the others.
 */
export function batchMatrices<A>(
  self: Primitive<A>,
  [x]: readonly Tensor[],
  [axis]: readonly (number | null)[],
  attrs: A,
): readonly [Tensor, number | null] {
  return [bind(self, [toFront(x, axis)], attrs), 0];
}

/** The transpose of the last two axes. */
export function mT(x: Tensor): Tensor {
  const r = x.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose(x, perm);
}

/** Rows `[r0, r0 + rows)` and columns `[c0, c0 + cols)` of the last two axes of `x`. */
export function block(x: Tensor, r0: number, rows: number, c0: number, cols: number): Tensor {
  const r = x.rank;
  const begin = new Array<number>(r).fill(0), size = [...x.shape];
  begin[r - 2] = r0;
  begin[r - 1] = c0;
  size[r - 2] = rows;
  size[r - 1] = cols;
  return slice(x, begin, size);
}

/** An n×n constant of `dtype` with `f(i, j)` at (i, j). */
export function mask(n: number, dtype: DType, f: (i: number, j: number) => boolean): Tensor {
  const data = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = f(i, j) ? 1 : 0;
  return new Tensor(data, [n, n], dtype);
}

/** The diagonal of each matrix of `x` (n×n) as a row: shape `[..., 1, n]`. */
export function diagRow(x: Tensor): Tensor {
  const n = x.shape[x.rank - 1];
  return reduceSum(mul(x, mask(n, x.dtype, (i, j) => i === j)), [x.rank - 2], true);
}

/** The diagonal matrices of the rows `d` (`[..., 1, n]`). */
export function diagOf(d: Tensor): Tensor {
  const n = d.shape[d.rank - 1];
  return mul(d, mask(n, d.dtype, (i, j) => i === j));
}

/**
 * The matrices `F` of the derivatives of eigh and svd from the rows `w` (`[..., 1, n]`):
 * `F[i][j] = 1 / (w[j] - w[i])` where the two differ, 0 where they are equal (the diagonal, and
 * repeated values, where the derivative of the vectors is undefined).
 */
export function gapInverse(w: Tensor): Tensor {
  const gap = sub(w, mT(w));
  const same = eq(gap, 0);
  // NOTE: 0 where equal, not 1/0: a derivative of the values alone multiplies F by the vectors'
  // zero cotangent, and ∞·0 would make it NaN (the gradient of the eigenvalues of the identity).
  // The denominator is made safe too, so that no derivative of F meets 1/0 in either branch.
  return where(same, 0, div(1, where(same, 1, gap)));
}

/** `1/x` where `x` is not 0, and 0 where it is (with derivatives that stay finite there). */
export function safeInverse(x: Tensor): Tensor {
  const zero = eq(x, 0);
  return where(zero, 0, div(1, where(zero, 1, x)));
}
