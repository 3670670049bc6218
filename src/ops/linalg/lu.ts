/**
 * The LU factorization with partial pivoting (a primitive), and the composites on it: `solve`,
 * `inv`, `det`, `slogdet`.
 */
import { bind, type Primitive } from "../../core/dispatch.ts";
import { toTensor, toTensors } from "../../core/convert.ts";
import { checkBoolean, checkOptions } from "../../core/check.ts";
import { dataOf, Tensor, type TensorLike, tracedStorage } from "../../core/tensor.ts";
import { fmtShape, sizeOf } from "../../core/shape.ts";
import { luKernel } from "../../core/kernels/linalg.ts";
import { matmul } from "../products.ts";
import { add, multiply } from "../binary.ts";
import { abs, log, sign } from "../unary.ts";
import { cast } from "../cast.ts";
import { equal } from "../compare.ts";
import { eye } from "../creation.ts";
import { gather } from "../indexing.ts";
import { pad, reshape, slice } from "../movement.ts";
import { reduceSum } from "../reduce.ts";
import { reduceProd } from "../reduce_composite.ts";
import { toFront } from "../_batch.ts";
import { requireFloat } from "../_define.ts";
import { diagonalOf, requireSquare, swapLast, tri } from "./structure.ts";
import { solveTriangular, triangularShape } from "./triangular_solve.ts";

const UNIT_LOWER = { lower: true, adjoint: false, unitDiagonal: true } as const;
const UNIT_LOWER_T = { lower: true, adjoint: true, unitDiagonal: true } as const;
const UPPER = { lower: false, adjoint: false, unitDiagonal: false } as const;
const UPPER_T = { lower: false, adjoint: true, unitDiagonal: false } as const;

/** The parts of a packed factorization `[...batch, n, n + 2]` (see `luKernel`). */
interface Lu {
  /** L (strictly below the diagonal, its unit diagonal implied) and U (on and above). */
  lu: Tensor;
  /** The permutation, `[...batch, n, 1]`: row i of P·A is row `perm[i]` of A. */
  perm: Tensor;
  /** The sign of each step's row exchange, `[...batch, n, 1]`. */
  swaps: Tensor;
}

function parts(packed: Tensor): Lu {
  const n = packed.shape[packed.rank - 2];
  const lead = packed.shape.slice(0, -2);
  const at = (col: number, width: number) =>
    slice(packed, [...lead.map(() => 0), 0, col], [...lead.map(() => -1), n, width]);
  return { lu: at(0, n), perm: at(n, 1), swaps: at(n + 1, 1) };
}

// P as a matrix of the factorization's dtype: P[i, j] = 1 where perm[i] = j.
function permutationMatrix(perm: Tensor): Tensor {
  const n = perm.shape[perm.rank - 2];
  const columns = new Tensor(Float64Array.from({ length: n }, (_, j) => j), [1, n], "float64");
  return cast(equal(perm, cast(columns, perm.dtype)), perm.dtype);
}

// NOTE: one permutation (of one matrix, or of one example under vmap, which batches the
// indices) reorders rows by a gather, O(n·k); a batch of them is a product with P, O(n²·k).

// P·x: row i of x's last two axes is row perm[i] of x.
function permuteRows(x: Tensor, perm: Tensor): Tensor {
  if (perm.rank > 2) return matmul(permutationMatrix(perm), x);
  const n = perm.shape[0];
  return gather(x, cast(reshape(perm, [n]), "int32"), x.rank - 2);
}

// Pᵀ·x: row perm[i] of the result is row i of x; the inverse permutation is Pᵀ·(0, 1, …).
function unpermuteRows(x: Tensor, perm: Tensor): Tensor {
  const p = permutationMatrix(perm);
  if (perm.rank > 2) return matmul(p, x, { transposeA: true });
  const n = perm.shape[0];
  const iota = new Tensor(Float64Array.from({ length: n }, (_, i) => i), [n, 1], "float64");
  const inverse = matmul(p, cast(iota, p.dtype), { transposeA: true });
  return gather(x, cast(reshape(inverse, [n]), "int32"), x.rank - 2);
}

// NOTE: a primitive, for speed (a blocked factorization on the matrix product kernel) and
// because pivoting is a choice no op expresses. Its one output packs L, U, the permutation and
// the exchanges' signs (see luKernel); the permutation and signs have no derivative.
const luPrim: Primitive<void> = {
  name: "lu",
  shape: ([a]) => {
    requireFloat("lu", a);
    requireSquare("lu", a);
    const n = a.shape[a.shape.length - 1];
    return { shape: [...a.shape.slice(0, -2), n, n + 2], dtype: a.dtype };
  },
  kernels: {
    cpu: ([a], out) => {
      const n = a.shape[a.shape.length - 1];
      luKernel(out.data, a.data, sizeOf(a.shape.slice(0, -2)), n, a.dtype);
    },
  },
  // P·dA = dL·U + L·dU, so M = L⁻¹·P·dA·U⁻¹ = L⁻¹dL + dU·U⁻¹: dL = L·tril₋(M), dU = triu(M)·U.
  jvp: ([da], _, out) => {
    if (da === null) return null;
    const { lu, perm } = parts(out);
    const y = solveTriangular(lu, permuteRows(da, perm), UNIT_LOWER);
    const m = swapLast(solveTriangular(lu, swapLast(y), UPPER_T));
    const dl = matmul(unitLower(lu), tri(m, true, true));
    const du = matmul(tri(m, false, false), tri(lu, false, false));
    const zeros = [...da.shape.slice(0, -1).map(() => [0, 0] as [number, number]), [0, 2]];
    return pad(add(dl, du), zeros as [number, number][]);
  },
  // The transpose of the above: Ā = Pᵀ·L⁻ᵀ·(tril₋(Lᵀ·L̄) + triu(Ū·Uᵀ))·U⁻ᵀ.
  vjp: (g, _, out) => {
    const { lu, perm } = parts(out);
    const c = parts(g).lu;
    const lbar = tri(c, true, true), ubar = tri(c, false, false);
    const k = add(
      tri(matmul(unitLower(lu), lbar, { transposeA: true }), true, true),
      tri(matmul(ubar, tri(lu, false, false), { transposeB: true }), false, false),
    );
    const z = solveTriangular(lu, k, UNIT_LOWER_T);
    const y = swapLast(solveTriangular(lu, swapLast(z), UPPER));
    return [unpermuteRows(y, perm)];
  },
  batch: (self, [x], [axis]) => [bind(self, [toFront(x, axis)], undefined), 0],
};

// L with its unit diagonal, from the packed factors.
function unitLower(lu: Tensor): Tensor {
  const n = lu.shape[lu.rank - 1];
  return add(tri(lu, true, true), eye(n, lu.dtype));
}

/** The LU primitive, by name. */
export const luPrims = { lu: luPrim };

/**
 * The packed LU factorization of `a` (checked: float, square); with `singular`, eager mode's
 * error for a zero pivot, naming `op`.
 */
function factor(op: string, a: Tensor, singular: boolean): Lu {
  const packed = bind(luPrim, [a], undefined);
  if (singular && tracedStorage(packed) === undefined) checkPivots(op, a, packed);
  return parts(packed);
}

function checkPivots(op: string, a: Tensor, packed: Tensor): void {
  const n = a.shape[a.rank - 1], w = n + 2;
  const data = dataOf(packed);
  const count = sizeOf(a.shape.slice(0, -2));
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < n; i++) {
      if (data[t * n * w + i * w + i] !== 0) continue;
      const which = a.rank > 2
        ? ` (matrix ${t} of the batch of shape ${fmtShape(a.shape.slice(0, -2))})`
        : "";
      throw new Error(
        `${op}: the matrix is singular: pivot ${i + 1} of ${n} of its LU factorization is ` +
          `zero${which}: a singular system has no unique solution (lstsq or pinv give a ` +
          `least-squares one)`,
      );
    }
  }
}

// op(A)⁻¹·B from A's factors (batch axes broadcast).
function solveLu({ lu, perm }: Lu, b: Tensor, adjoint: boolean): Tensor {
  if (adjoint) {
    // Aᵀ = Uᵀ·Lᵀ·P, so x = Pᵀ·L⁻ᵀ·U⁻ᵀ·b.
    const z = solveTriangular(lu, solveTriangular(lu, b, UPPER_T), UNIT_LOWER_T);
    return unpermuteRows(z, perm);
  }
  return solveTriangular(lu, solveTriangular(lu, permuteRows(b, perm), UNIT_LOWER), UPPER);
}

/**
 * Options of `linalg.solve`.
 *
 * @example Solving with the transpose
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * const options: linalg.SolveOptions = { adjoint: true };
 * assert.deepEqual(linalg.solve([[2, 0], [1, 1]], [[5], [2]], options).toArray(), [[1.5], [2]]);
 * ```
 */
export interface SolveOptions {
  /** Solve with the matrix's transpose (its adjoint: the values are real; default false). */
  adjoint?: boolean;
}

const SOLVE_OPTIONS = ["adjoint"] as const;

/**
 * Solves `matrix · x = rhs` (or `matrixᵀ · x = rhs` with `adjoint`) through an LU factorization
 * with partial pivoting, as LAPACK's `gesv`; the batch axes broadcast. A singular matrix (a zero
 * pivot) is an error in eager mode, and Inf or NaN under `jit` and `vmap`. A composite: its
 * derivatives come from the factorization's and the triangular solves' rules.
 *
 * @param matrix Square matrices, `[...batch, n, n]`, float32 or float64.
 * @param rhs Right-hand sides, `[...batch, n, k]`, of the same dtype.
 * @param options `adjoint` (default false).
 * @returns `x`, of shape `[...batch, n, k]`.
 * @example A 2×2 system
 * ```ts
 * import { linalg } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(linalg.solve([[1, 2], [3, 4]], [[5], [6]]), [[-4], [4.5]]);
 * ```
 */
export function solve(matrix: TensorLike, rhs: TensorLike, options?: SolveOptions): Tensor {
  const [a, b] = toTensors("solve", [matrix, rhs]);
  checkOptions("solve", options, SOLVE_OPTIONS);
  const adjoint = options?.adjoint ?? false;
  checkBoolean("solve", "adjoint", adjoint);
  triangularShape("solve", a, b, false);
  return solveLu(factor("solve", a, true), b, adjoint);
}

/**
 * The inverse of each square matrix (a solve against the identity). A singular matrix is an
 * error in eager mode, and Inf or NaN under `jit` and `vmap`.
 *
 * @param x Square matrices, `[...batch, n, n]`, float32 or float64.
 * @returns The inverses, of the same shape.
 * @example The inverse of a 2×2 matrix
 * ```ts
 * import { linalg } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(linalg.inv([[4, 7], [2, 6]]), [[0.6, -0.7], [-0.2, 0.4]]);
 * ```
 */
export function inv(x: TensorLike): Tensor {
  const a = toTensor(x, { op: "inv" });
  requireFloat("inv", a);
  requireSquare("inv", a);
  const n = a.shape[a.rank - 1];
  return solveLu(factor("inv", a, true), eye(n, a.dtype), false);
}

/**
 * The determinant of each square matrix, from its LU factorization: the product of the pivots,
 * with the permutation's sign. Its derivative goes through the factorization, so it is undefined
 * (NaN) at singular matrices; `slogdet` keeps large determinants finite.
 *
 * @param x Square matrices, `[...batch, n, n]`, float32 or float64.
 * @returns A tensor of shape `[...batch]`.
 * @example det of a 2×2 matrix
 * ```ts
 * import { linalg } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(linalg.det([[1, 2], [3, 4]]), -2);
 * ```
 */
export function det(x: TensorLike): Tensor {
  const a = toTensor(x, { op: "det" });
  requireFloat("det", a);
  requireSquare("det", a);
  const { lu, swaps } = factor("det", a, false);
  return multiply(parity(swaps), reduceProd(diagonalOf(lu), -1));
}

// The permutation's sign, ±1, from the exchanges'.
function parity(swaps: Tensor): Tensor {
  return reduceProd(reshape(swaps, swaps.shape.slice(0, -1)), -1);
}

/**
 * The sign and the log of the absolute value of each square matrix's determinant, from its LU
 * factorization: finite where the determinant over- or underflows. A singular matrix gives sign
 * 0 and `-Infinity`. The sign has no derivative.
 *
 * @param x Square matrices, `[...batch, n, n]`, float32 or float64.
 * @returns `[sign, logAbsDet]`, each of shape `[...batch]`.
 * @example A negative determinant
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const [s, logAbsDet] = linalg.slogdet([[1, 2], [3, 4]]);
 * assert.equal(s.item(), -1);
 * assertAllClose(logAbsDet, Math.log(2));
 * ```
 */
export function slogdet(x: TensorLike): [Tensor, Tensor] {
  const a = toTensor(x, { op: "slogdet" });
  requireFloat("slogdet", a);
  requireSquare("slogdet", a);
  const { lu, swaps } = factor("slogdet", a, false);
  const d = diagonalOf(lu);
  return [
    // + 0 turns the −0 of a singular matrix with an odd permutation into 0.
    add(multiply(parity(swaps), reduceProd(sign(d), -1)), 0),
    reduceSum(log(abs(d)), -1),
  ];
}
