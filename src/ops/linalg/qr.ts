/** `qr`: QR decompositions, by Householder reflections. */
import { bind, type Primitive } from "../../core/dispatch.ts";
import { toTensor } from "../../core/convert.ts";
import type { Tensor, TensorLike } from "../../core/tensor.ts";
import { checkBoolean, checkOptions } from "../../core/check.ts";
import { qrHouseholder } from "../../core/kernels/decompositions.ts";
import { add, mul, sub } from "../_lax.ts";
import { matmul } from "../products.ts";
import { concat, pad } from "../movement.ts";
import { triangularSolve } from "./triangular_solve.ts";
import { batchMatrices, block, eachMatrix, mask, matrixShape, mT, putBlock } from "./_decomp.ts";

interface QrAttrs {
  fullMatrices: boolean;
}

// The packed layout of an m×n input: Q (m×cq) in rows 0..m-1 and R (cq×n) in the next cq rows,
// each in the first columns of rows `width` wide (cq = min(m, n) thin, m full).
function layout(m: number, n: number, full: boolean) {
  const cq = full ? m : Math.min(m, n);
  return { cq, width: Math.max(cq, n) };
}

function parts(out: Tensor, m: number, n: number, full: boolean): [Tensor, Tensor] {
  const { cq } = layout(m, n, full);
  return [block(out, 0, m, 0, cq), block(out, m, cq, 0, n)];
}

function dims(x: Tensor): [number, number] {
  return [x.shape[x.rank - 2], x.shape[x.rank - 1]];
}

// NOTE: the extra columns of a full Q of a tall matrix are any orthonormal completion: they have
// no derivative, and TensorFlow and JAX define none either.
function requireThin(x: Tensor, full: boolean): void {
  const [m, n] = dims(x);
  if (full && m > n) {
    throw new Error(
      `qr: derivatives with fullMatrices: true are not defined for matrices with more rows than ` +
        `columns, got ${m}×${n} matrices: pass fullMatrices: false (the extra columns of q are ` +
        `any orthonormal completion, without a derivative)`,
    );
  }
}

// x·R⁻¹ and x·R⁻ᵀ for upper triangular R, through triangular solves of the transposed systems
// (whose batch axes broadcast, so x may carry leading tangent directions R does not).
function timesInverse(x: Tensor, r: Tensor, transposed: boolean): Tensor {
  return mT(triangularSolve(r, mT(x), { lower: false, adjoint: !transposed }));
}

// Strictly lower part of square matrices.
const lowerOf = (x: Tensor): Tensor => {
  const n = x.shape[x.rank - 1];
  return mul(x, mask(n, x.dtype, (i, j) => i > j));
};

// The tangents (dQ, dR) of A = QR for a square or tall A (R square) from dA: with
// C = Qᵀ·dA·R⁻¹ and Ω = L - Lᵀ (L the strictly lower part of C, Ω = Qᵀ·dQ antisymmetric),
// dR = (C - Ω)·R and dQ = dA·R⁻¹ - Q·(C - Ω).
function tallJvp(q: Tensor, r: Tensor, da: Tensor): [Tensor, Tensor] {
  const y = timesInverse(da, r, false);
  const c = matmul(q, y, { transposeA: true });
  const l = lowerOf(c);
  const upper = add(sub(c, l), mT(l)); // C - Ω
  return [sub(y, matmul(q, upper)), matmul(upper, r)];
}

// Its transpose: Ā = (Q̄ + Q·Z)·R⁻ᵀ, Z the symmetric matrix whose upper part is that of
// W = R̄·Rᵀ - Qᵀ·Q̄.
function tallVjp(q: Tensor, r: Tensor, gq: Tensor, gr: Tensor): Tensor {
  const w = sub(matmul(gr, r, { transposeB: true }), matmul(q, gq, { transposeA: true }));
  const l = lowerOf(w);
  const z = add(sub(w, l), lowerOf(mT(w)));
  return timesInverse(add(gq, matmul(q, z)), r, true);
}

/** The decomposition primitives of `qr`, by name. */
export const qrPrims = {
  // NOTE: a primitive, as any decomposition must be (see eigh). Its one output packs Q over R
  // (see `layout`). A wide A = [X Y] (m < n) is X = Q·U (square) and Y = Q·V, R = [U V]:
  // the square rule for X, and dV = dQᵀ·Y + Qᵀ·dY.
  qr: {
    name: "qr",
    shape([x], { fullMatrices }) {
      const [m, n] = matrixShape("qr", x, false);
      const { cq, width } = layout(m, n, fullMatrices);
      return { shape: [...x.shape.slice(0, -2), m + cq, width], dtype: x.dtype };
    },
    kernels: {
      cpu: ([x], out, { fullMatrices }) => {
        const r = x.shape.length, m = x.shape[r - 2], n = x.shape[r - 1];
        const { cq, width } = layout(m, n, fullMatrices);
        const q = new Float64Array(m * cq), rr = new Float64Array(cq * n);
        eachMatrix(x, (m + cq) * width, (a, at) => {
          qrHouseholder(a, m, n, fullMatrices, q, rr);
          putBlock(out, at, q, m, cq, width);
          putBlock(out, at + m * width, rr, cq, n, width);
        });
      },
    },
    jvp: ([t], [x], out, { fullMatrices }) => {
      if (t === null) return null;
      requireThin(x, fullMatrices);
      const [m, n] = dims(x);
      const [q, r] = parts(out, m, n, fullMatrices);
      if (m >= n) {
        const [dq, dr] = tallJvp(q, r, t);
        return concat([dq, dr], -2);
      }
      const dx = block(t, 0, m, 0, m), dy = block(t, 0, m, m, n - m);
      const [dq, du] = tallJvp(q, block(r, 0, m, 0, m), dx);
      const y = block(x, 0, m, m, n - m);
      const dv = add(matmul(dq, y, { transposeA: true }), matmul(q, dy, { transposeA: true }));
      const paddings = new Array<[number, number]>(t.rank).fill([0, 0]);
      paddings[t.rank - 1] = [0, n - m];
      return concat([pad(dq, paddings), concat([du, dv], -1)], -2);
    },
    vjp: (g, [x], out, { fullMatrices }) => {
      requireThin(x, fullMatrices);
      const [m, n] = dims(x);
      const [q, r] = parts(out, m, n, fullMatrices);
      const [gq, gr] = parts(g, m, n, fullMatrices);
      if (m >= n) return [tallVjp(q, r, gq, gr)];
      const y = block(x, 0, m, m, n - m);
      const gv = block(gr, 0, m, m, n - m);
      const gqAll = add(gq, matmul(y, gv, { transposeB: true }));
      const gx = tallVjp(q, block(r, 0, m, 0, m), gqAll, block(gr, 0, m, 0, m));
      return [concat([gx, matmul(q, gv)], -1)];
    },
    batch: batchMatrices,
  } satisfies Primitive<QrAttrs>,
};

/**
 * Options of `qr`.
 *
 * @example A square Q for a tall matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg, type QrOptions } from "@gradtape/gradtape";
 * const options: QrOptions = { fullMatrices: true };
 * const [q, r] = linalg.qr([[1], [0], [0]], options);
 * assert.deepEqual([q.shape, r.shape], [[3, 3], [3, 1]]);
 * ```
 */
export interface QrOptions {
  /** Whether `q` is m×m and `r` m×n (true), or m×k and k×n with k = min(m, n) (default). */
  fullMatrices?: boolean;
}

const QR_OPTIONS = ["fullMatrices"] as const;

/**
 * QR decompositions of matrices (the last two axes; leading ones are a batch), as
 * `tf.linalg.qr`: `x = q·r` with `q`'s columns orthonormal and `r` upper triangular. Householder
 * reflections in float64 (float32 inputs are rounded once at the end), as LAPACK computes it.
 *
 * Signs are fixed so that `r`'s diagonal is non-negative, which makes the decomposition of a
 * full-rank matrix unique (LAPACK, and so TensorFlow and JAX, may return either sign); results
 * repeat exactly eagerly, under `vmap` and `jit`. A matrix with a non-finite entry gives NaN.
 *
 * Derivatives (both modes, every order) are TensorFlow's: defined where the leading square
 * block of `x` (its first min(m, n) columns) has full rank, and, with `fullMatrices: true`, not
 * for matrices with more rows than columns (an error), whose extra columns of `q` are any
 * orthonormal completion.
 *
 * @param x Matrices, shape `[..., m, n]`, float32 or float64.
 * @param options `fullMatrices` (default false).
 * @returns `[q, r]`: shapes `[..., m, k]` and `[..., k, n]` for k = min(m, n), or `[..., m, m]`
 *   and `[..., m, n]` with `fullMatrices`.
 * @example A 2×2 decomposition
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * const [q, r] = linalg.qr([[3, 1], [4, 2]]);
 * const near = (a: unknown, b: number[][]) =>
 *   (a as number[][]).forEach((row, i) => row.forEach((e, j) => assert.ok(Math.abs(e - b[i][j]) < 1e-6)));
 * near(q.toArray(), [[0.6, -0.8], [0.8, 0.6]]);
 * near(r.toArray(), [[5, 2.2], [0, 0.4]]);
 * ```
 */
export function qr(x: TensorLike, options?: QrOptions): [Tensor, Tensor] {
  const t = toTensor(x, { op: "qr" });
  checkOptions("qr", options, QR_OPTIONS);
  const fullMatrices = options?.fullMatrices ?? false;
  checkBoolean("qr", "fullMatrices", fullMatrices);
  const out = bind(qrPrims.qr, [t], { fullMatrices });
  const [m, n] = dims(t);
  return parts(out, m, n, fullMatrices);
}
