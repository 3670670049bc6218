/** `cholesky` (a primitive) and what stands on it: `logdet`, and solves with a Cholesky factor. */
import { bind, type Primitive } from "../../core/dispatch.ts";
import { toTensor } from "../../core/convert.ts";
import { dataOf, type Tensor, type TensorLike, tracedStorage } from "../../core/tensor.ts";
import { fmtShape, sizeOf } from "../../core/shape.ts";
import { allocateF64 } from "../../core/dtype.ts";
import { choleskyInPlace, choleskyKernel } from "../../core/kernels/linalg.ts";
import { matmul } from "../products.ts";
import { add, multiply } from "../binary.ts";
import { log } from "../unary.ts";
import { reduceSum } from "../reduce.ts";
import { toFront } from "../_batch.ts";
import { requireFloat } from "../_define.ts";
import { band, diagonalOf, requireSquare, swapLast, tri } from "./structure.ts";
import { solveTriangular } from "./triangular_solve.ts";

const LOWER = { lower: true, adjoint: false, unitDiagonal: false } as const;
const LOWER_T = { lower: true, adjoint: true, unitDiagonal: false } as const;

// Φ(X): the lower triangle of X with its diagonal halved.
const phi = (x: Tensor): Tensor => add(tri(x, true, true), multiply(band(x, 0, 0), 0.5));

// NOTE: a primitive for speed (a blocked factorization on the matrix product kernel) and because
// its rules are cheaper as triangular solves than the derivative of a loop of square roots.
// The kernel reads the lower triangle only, so the input is S = tril(A) + tril(A, -1)ᵀ and the
// rules are S's: dS = tril(dA) + tril(dA, -1)ᵀ.
const choleskyPrim: Primitive<void> = {
  name: "cholesky",
  shape: ([a]) => {
    requireFloat("cholesky", a);
    requireSquare("cholesky", a);
    return a;
  },
  kernels: {
    cpu: ([a], out) => {
      const n = a.shape[a.shape.length - 1];
      choleskyKernel(out.data, a.data, sizeOf(a.shape.slice(0, -2)), n, a.dtype);
    },
  },
  // dL = L·Φ(L⁻¹·dS·L⁻ᵀ)
  jvp: ([da], _, l) => {
    if (da === null) return null;
    const ds = add(tri(da, true, false), swapLast(tri(da, true, true)));
    const y = solveTriangular(l, ds, LOWER);
    return matmul(l, phi(solveTriangular(l, swapLast(y), LOWER)));
  },
  // G = L⁻ᵀ·Φ(Lᵀ·L̄)·L⁻¹; Ā = tril(G) + tril(Gᵀ, -1), the transpose of dS's map.
  vjp: (g, _, l) => {
    const w = solveTriangular(l, phi(matmul(l, g, { transposeA: true })), LOWER_T);
    const gT = solveTriangular(l, swapLast(w), LOWER_T);
    return [add(swapLast(tri(gT, false, false)), tri(gT, true, true))];
  },
  batch: (self, [x], [axis]) => [bind(self, [toFront(x, axis)], undefined), 0],
};

/** The Cholesky primitive, by name. */
export const choleskyPrims = { cholesky: choleskyPrim };

/**
 * The Cholesky factor of `a` (checked: float, square), with the error eager mode gives for a
 * matrix that is not positive definite naming `op`; `what` describes the matrix for the message.
 */
export function choleskyOf(op: string, a: Tensor, what = "the matrix"): Tensor {
  const l = bind(choleskyPrim, [a], undefined);
  if (tracedStorage(l) === undefined) checkFactored(op, a, l, what);
  return l;
}

// Eager mode: a matrix of NaN out of finite values in is one that is not positive definite.
function checkFactored(op: string, a: Tensor, l: Tensor, what: string): void {
  const n = a.shape[a.rank - 1];
  if (n === 0) return;
  const out = dataOf(l);
  const count = sizeOf(a.shape.slice(0, -2));
  for (let t = 0; t < count; t++) {
    if (out[t * n * n] === out[t * n * n]) continue;
    const x = dataOf(a);
    if (!lowerFinite(x, t * n * n, n)) continue; // NaN or Inf in, NaN out
    const minor = choleskyInPlace(allocateF64(n * n), x, t * n * n, n);
    const which = a.rank > 2
      ? ` (matrix ${t} of the batch of shape ${fmtShape(a.shape.slice(0, -2))})`
      : "";
    // Positive definite in float64 but not in the float32 arithmetic that factored it.
    const why = minor < 0
      ? `is not positive definite to ${a.dtype} precision${which}: cast it to float64, or add a ` +
        `multiple of the identity to it`
      : `is not positive definite: leading minor ${minor + 1} of ${n} is not positive${which}: ` +
        `give a symmetric positive-definite matrix (only its lower triangle is read), or add a ` +
        `multiple of the identity to it`;
    throw new Error(`${op}: ${what} ${why}`);
  }
}

function lowerFinite(x: ArrayLike<number>, off: number, n: number): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) if (!Number.isFinite(x[off + i * n + j])) return false;
  }
  return true;
}

/**
 * The Cholesky factor `L` of each symmetric positive-definite matrix `x`: lower triangular with a
 * positive diagonal, `L·Lᵀ = x`. Only the lower triangle of `x` is read, as in TensorFlow (the
 * derivative is that of the symmetric matrix the lower triangle stands for: zero on the upper
 * triangle). A matrix that is not positive definite is an error in eager mode, and a matrix of
 * NaN under `jit` and `vmap`, as in JAX.
 *
 * @param x Matrices, `[...batch, n, n]`, float32 or float64.
 * @returns `L`, of the same shape, zero above the diagonal.
 * @example A 2×2 factor, and a matrix that is not positive definite
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * assert.deepEqual(linalg.cholesky([[4, 2], [2, 5]]).toArray(), [[2, 0], [1, 2]]);
 * assert.throws(() => linalg.cholesky([[1, 2], [2, 1]]), /leading minor 2 of 2 is not positive/);
 * ```
 */
export function cholesky(x: TensorLike): Tensor {
  const a = toTensor(x, { op: "cholesky" });
  requireFloat("cholesky", a);
  requireSquare("cholesky", a);
  return choleskyOf("cholesky", a);
}

/**
 * `(L·Lᵀ)⁻¹·b` from a Cholesky factor `l` (two triangular solves; batch axes broadcast).
 * For composites.
 */
export function choleskySolve(l: Tensor, b: Tensor): Tensor {
  return solveTriangular(l, solveTriangular(l, b, LOWER), LOWER_T);
}

/**
 * The log-determinant of each symmetric positive-definite matrix, through its Cholesky factor
 * (`2·Σ log Lᵢᵢ`), finite where the determinant itself would overflow. Only the lower triangle
 * is read; a matrix that is not positive definite is an error in eager mode (NaN under `jit` and
 * `vmap`).
 *
 * @param x Matrices, `[...batch, n, n]`, float32 or float64.
 * @returns A tensor of shape `[...batch]`.
 * @example log det of diag(e, e²)
 * ```ts
 * import { linalg } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(linalg.logdet([[Math.E, 0], [0, Math.E ** 2]]), 3);
 * ```
 */
export function logdet(x: TensorLike): Tensor {
  const a = toTensor(x, { op: "logdet" });
  requireFloat("logdet", a);
  requireSquare("logdet", a);
  const l = choleskyOf("logdet", a);
  return multiply(reduceSum(log(diagonalOf(l)), -1), 2);
}
