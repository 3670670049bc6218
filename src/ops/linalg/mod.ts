/**
 * Linear algebra on batches of matrices, as TensorFlow's `tf.linalg`: every op takes matrices in
 * the last two axes and a batch in any axes before them, works in float32 and float64, and is
 * differentiable in both modes to every order.
 *
 * @example Solving a triangular system
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * const x = linalg.triangularSolve([[1, 0], [2, 1]], [[1], [4]]);
 * assert.deepEqual(x.toArray(), [[1], [2]]);
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
