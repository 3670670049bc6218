/** `lstsq`: least squares through the normal equations and a Cholesky factorization. */
import { toTensors } from "../../core/convert.ts";
import { checkFinite, checkOptions } from "../../core/check.ts";
import type { Tensor, TensorLike } from "../../core/tensor.ts";
import { fmtShape } from "../../core/shape.ts";
import { matmul } from "../products.ts";
import { add, multiply } from "../binary.ts";
import { eye } from "../creation.ts";
import { requireFloat, requireSameDtype } from "../_define.ts";
import { choleskyOf, choleskySolve } from "./cholesky.ts";
import { requireRank } from "./structure.ts";

/**
 * Options of `linalg.lstsq`.
 *
 * @example Ridge regression
 * ```ts
 * import { linalg } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const options: linalg.LstsqOptions = { l2Regularizer: 1 };
 * assertAllClose(linalg.lstsq([[1], [1]], [[1], [1]], options), [[2 / 3]]);
 * ```
 */
export interface LstsqOptions {
  /** λ ≥ 0 of the ridge term λ·‖x‖² (default 0). */
  l2Regularizer?: number;
}

const LSTSQ_OPTIONS = ["l2Regularizer"] as const;

/**
 * The least-squares solution of `matrix · x ≈ rhs`, minimizing `‖matrix·x − rhs‖² + λ‖x‖²`, as
 * TensorFlow's `lstsq` with `fast = true`: through the normal equations and a Cholesky
 * factorization, `x = (AᵀA + λI)⁻¹·Aᵀb` for m ≥ n, and the minimum-norm `x = Aᵀ(AAᵀ + λI)⁻¹·b`
 * for m < n. The normal equations square the condition number: for an ill-conditioned `matrix`,
 * use `pinv` or a regularizer. A matrix without full rank is an error in eager mode (NaN under
 * `jit` and `vmap`) unless λ > 0. A composite; batch axes broadcast.
 *
 * @param matrix Matrices, `[...batch, m, n]`, float32 or float64.
 * @param rhs Right-hand sides, `[...batch, m, k]`, of the same dtype.
 * @param options `l2Regularizer` λ (default 0).
 * @returns `x`, of shape `[...batch, n, k]`.
 * @example A line through three points
 * ```ts
 * import { linalg } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * // y = 1 + 2t at t = 0, 1, 2: the intercept and the slope.
 * assertAllClose(linalg.lstsq([[1, 0], [1, 1], [1, 2]], [[1], [3], [5]]), [[1], [2]]);
 * ```
 */
export function lstsq(matrix: TensorLike, rhs: TensorLike, options?: LstsqOptions): Tensor {
  const [a, b] = toTensors("lstsq", [matrix, rhs]);
  checkOptions("lstsq", options, LSTSQ_OPTIONS);
  const lambda = options?.l2Regularizer ?? 0;
  checkFinite("lstsq", "l2Regularizer", lambda);
  if (lambda < 0) {
    throw new RangeError(`lstsq: l2Regularizer must be ≥ 0, not ${lambda}`);
  }
  requireFloat("lstsq", a);
  requireSameDtype("lstsq", a, b);
  requireRank("lstsq", a, 2, "a matrix");
  requireRank("lstsq", b, 2, "a right-hand side");
  const [m, n] = a.shape.slice(-2);
  if (b.shape[b.rank - 2] !== m) {
    throw new Error(
      `lstsq: the matrix has ${m} rows but the right-hand side has ${b.shape[b.rank - 2]}: ` +
        `shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  const tall = m >= n;
  let gram = tall ? matmul(a, a, { transposeA: true }) : matmul(a, a, { transposeB: true });
  if (lambda > 0) gram = add(gram, multiply(eye(tall ? n : m, a.dtype), lambda));
  const l = choleskyOf(
    "lstsq",
    gram,
    tall ? "the normal matrix AᵀA (the columns are dependent)" : "AAᵀ (the rows are dependent)",
  );
  if (tall) return choleskySolve(l, matmul(a, b, { transposeA: true }));
  return matmul(a, choleskySolve(l, b), { transposeA: true });
}
