/**
 * Linear algebra on batches of matrices, as TensorFlow's `tf.linalg`: every op takes matrices in
 * the last two axes and a batch in any axes before them, works in float32 and float64, and is
 * differentiable in both modes to every order.
 *
 * - Factorizations and solves: `cholesky`, `triangularSolve`, `solve` (LU with partial
 *   pivoting), `inv`, `lstsq`.
 * - Determinants: `det`, `slogdet` (sign and log of the absolute value), `logdet` (of a
 *   positive-definite matrix, through its Cholesky factor).
 * - Structure: `bandPart`, `diag`, `diagPart`, `setDiag`, `trace`, `matrixTranspose`.
 *
 * Three primitives carry the derivative rules (`cholesky`, `triangularSolve`, and an LU
 * factorization that packs L, U and the permutation); every other op is a composite of them and
 * of the core ops. A matrix that is not positive definite (cholesky, logdet, lstsq) or singular
 * (solve, inv) is an error in eager mode that names the op and the failing minor or pivot; under
 * `jit` and `vmap` such matrices give NaN or Inf, as in JAX.
 *
 * @example A positive-definite system three ways
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg, matmul } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const a = [[4, 2], [2, 3]], b = [[2], [1]];
 * const l = linalg.cholesky(a);
 * const y = linalg.triangularSolve(l, b);
 * const x = linalg.triangularSolve(l, y, { adjoint: true });
 * assertAllClose(x, linalg.solve(a, b));
 * assertAllClose(matmul(linalg.inv(a), b), x);
 * assertAllClose(linalg.logdet(a), Math.log(linalg.det(a).item()));
 * assert.throws(() => linalg.solve([[1, 2], [2, 4]], b), /solve: the matrix is singular/);
 * ```
 *
 * @module
 */
export { triangularSolve, type TriangularSolveOptions } from "./triangular_solve.ts";
export { cholesky, logdet } from "./cholesky.ts";
export { det, inv, slogdet, solve, type SolveOptions } from "./lu.ts";
export { lstsq, type LstsqOptions } from "./lstsq.ts";
export { bandPart, diag, diagPart, matrixTranspose, setDiag, trace } from "./structure.ts";
export { eigh } from "./eigh.ts";
export { svd, type SvdOptions } from "./svd.ts";
export { qr, type QrOptions } from "./qr.ts";
export { pinv, type PinvOptions } from "./pinv.ts";
