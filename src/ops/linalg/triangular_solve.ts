/** `triangularSolve`: the primitive of gt.linalg that the factorizations' solves and rules use. */
import { type Aval, bind, type Primitive } from "../../core/dispatch.ts";
import { toTensors } from "../../core/convert.ts";
import { checkBoolean, checkOptions } from "../../core/check.ts";
import type { Tensor, TensorLike } from "../../core/tensor.ts";
import { broadcastShapes, fmtShape, sameShape, sizeOf } from "../../core/shape.ts";
import { type TriangularAttrs, triangularSolveKernel } from "../../core/kernels/linalg.ts";
import { matmul } from "../products.ts";
import { subtract } from "../binary.ts";
import { negative } from "../unary.ts";
import { broadcastTo } from "../movement.ts";
import { allMapped } from "../_batch.ts";
import { requireFloat, requireSameDtype } from "../_define.ts";
import { tri } from "./structure.ts";

export type { TriangularAttrs } from "../../core/kernels/linalg.ts";

// NOTE: a primitive, not a composite: substitution is a sequential loop that no op expresses,
// and every factorization's solve (Cholesky, LU) and derivative rule is one.
const triangularSolvePrim: Primitive<TriangularAttrs> = {
  name: "triangularSolve",
  shape: ([a, b]) => triangularShape("triangularSolve", a, b, true),
  kernels: {
    cpu: ([a, b], out, attrs) => {
      const n = a.shape[a.shape.length - 1], k = b.shape[b.shape.length - 1];
      const count = sizeOf(a.shape.slice(0, -2));
      triangularSolveKernel(out.data, a.data, b.data, count, n, k, attrs, a.dtype);
    },
  },
  // X = op(A)⁻¹B: dX = op(A)⁻¹(dB − op(dA)·X), dA restricted to the triangle read.
  jvp: ([da, db], [a], x, attrs) => {
    let rhs = db;
    if (da !== null) {
      const prod = matmul(triangle(da, attrs), x, { transposeA: attrs.adjoint });
      rhs = rhs === null ? negative(prod) : subtract(rhs, prod);
    }
    return rhs === null ? null : solveTriangular(a, rhs, attrs);
  },
  // B̄ = op(A)⁻ᵀX̄; Ā = −B̄·Xᵀ (or −X·B̄ᵀ for the adjoint), on the triangle read.
  vjp: (g, [a], x, attrs, needs) => {
    const bbar = solveTriangular(a, g, { ...attrs, adjoint: !attrs.adjoint });
    const abar = needs[0]
      ? negative(
        triangle(
          attrs.adjoint
            ? matmul(x, bbar, { transposeB: true })
            : matmul(bbar, x, { transposeB: true }),
          attrs,
        ),
      )
      : null;
    return [abar, needs[1] ? bbar : null];
  },
  batch: (self, xs, axes, attrs, size) => [bind(self, allMapped(xs, axes, size), attrs), 0],
  describe: ({ lower, adjoint }) =>
    `triangularSolve (${lower ? "lower" : "upper"}${adjoint ? ", adjoint" : ""})`,
};

/** The triangular primitives, by name. */
export const triangularPrims = { triangularSolve: triangularSolvePrim };

/**
 * The shape rule of a solve with `a` (square matrices) and `b` (right-hand sides): their dtypes
 * and sizes checked, naming `op`; with `sameBatch`, their batch axes must be equal.
 */
export function triangularShape(op: string, a: Aval, b: Aval, sameBatch: boolean): Aval {
  requireFloat(op, a);
  requireSameDtype(op, a, b);
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new Error(
      `${op}: expects a matrix and a right-hand side of rank ≥ 2 each, got ` +
        `${fmtShape(a.shape)} and ${fmtShape(b.shape)}: make a vector b a column, [n, 1]`,
    );
  }
  const [n, m] = a.shape.slice(-2);
  if (n !== m) {
    throw new Error(
      `${op}: expects square matrices, got shape ${fmtShape(a.shape)} (${n}×${m})`,
    );
  }
  const rows = b.shape[b.shape.length - 2];
  if (rows !== n) {
    throw new Error(
      `${op}: the matrix is ${n}×${n} but the right-hand side has ${rows} rows: shapes ` +
        `${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  if (sameBatch && !sameShape(a.shape.slice(0, -2), b.shape.slice(0, -2))) {
    throw new Error(
      `${op}: batch axes differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  return { shape: [...batch, n, b.shape[b.shape.length - 1]], dtype: a.dtype };
}

/** `x` restricted to the triangle a solve with `attrs` reads (strict with a unit diagonal). */
export function triangle(x: Tensor, { lower, unitDiagonal }: TriangularAttrs): Tensor {
  return tri(x, lower, unitDiagonal);
}

/**
 * `op(a)⁻¹ b` for tensors already checked, their batch axes broadcast (for rules and
 * composites).
 */
export function solveTriangular(a: Tensor, b: Tensor, attrs: TriangularAttrs): Tensor {
  const ba = a.shape.slice(0, -2), bb = b.shape.slice(0, -2);
  if (!sameShape(ba, bb)) {
    const batch = broadcastShapes("triangularSolve", ba, bb);
    a = broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
    b = broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
  }
  return bind(triangularSolvePrim, [a, b], attrs);
}

/**
 * Options of `linalg.triangularSolve`.
 *
 * @example Solving with the upper triangle
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * const options: linalg.TriangularSolveOptions = { lower: false };
 * assert.deepEqual(linalg.triangularSolve([[2, 1], [0, 4]], [[4], [8]], options).toArray(), [[1], [2]]);
 * ```
 */
export interface TriangularSolveOptions {
  /** Whether the matrix is lower triangular (default true); only that triangle is read. */
  lower?: boolean;
  /** Solve with the matrix's transpose (its adjoint: the values are real; default false). */
  adjoint?: boolean;
}

const TRIANGULAR_OPTIONS = ["lower", "adjoint"] as const;

/**
 * Solves `matrix · x = rhs` (or `matrixᵀ · x = rhs` with `adjoint`) for a triangular matrix, by
 * substitution: only the lower triangle is read (the upper one with `lower: false`). The batch
 * axes of the two broadcast. Differentiable in both modes to every order (its rules are
 * triangular solves and products). A zero on the diagonal gives Inf or NaN, as in LAPACK.
 *
 * @param matrix Square matrices, `[...batch, n, n]`, float32 or float64.
 * @param rhs Right-hand sides, `[...batch, n, k]`, of the same dtype.
 * @param options `lower` (default true), `adjoint` (default false).
 * @returns `x`, of shape `[...batch, n, k]`.
 * @example A lower-triangular system
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * const x = linalg.triangularSolve([[2, 0], [1, 4]], [[2], [9]]);
 * assert.deepEqual(x.toArray(), [[1], [2]]);
 * ```
 */
export function triangularSolve(
  matrix: TensorLike,
  rhs: TensorLike,
  options?: TriangularSolveOptions,
): Tensor {
  const [a, b] = toTensors("triangularSolve", [matrix, rhs]);
  checkOptions("triangularSolve", options, TRIANGULAR_OPTIONS);
  const lower = options?.lower ?? true, adjoint = options?.adjoint ?? false;
  checkBoolean("triangularSolve", "lower", lower);
  checkBoolean("triangularSolve", "adjoint", adjoint);
  triangularShape("triangularSolve", a, b, false);
  return solveTriangular(a, b, { lower, adjoint, unitDiagonal: false });
}
