/** `svd`: singular value decompositions, by one-sided Jacobi rotations. */
import { bind, type Primitive } from "../../core/dispatch.ts";
import { toTensor } from "../../core/convert.ts";
import type { Tensor, TensorLike } from "../../core/tensor.ts";
import { checkBoolean, checkOptions } from "../../core/check.ts";
import { svdJacobi } from "../../core/kernels/decompositions.ts";
import { add, mul, reshape, sub } from "../_lax.ts";
import { matmul } from "../products.ts";
import { concat } from "../movement.ts";
import {
  batchMatrices,
  block,
  diagOf,
  diagRow,
  eachMatrix,
  gapInverse,
  matrixShape,
  mT,
  putBlock,
  safeInverse,
} from "./_decomp.ts";

interface SvdAttrs {
  fullMatrices: boolean;
}

// The packed layout of an m×n input: s in row 0, U in rows 1..m, V in rows m+1..m+n, each in
// the first columns of rows `width` wide (k = min(m, n) for the thin decomposition).
function layout(m: number, n: number, full: boolean) {
  const k = Math.min(m, n);
  const cu = full ? m : k, cv = full ? n : k;
  return { k, cu, cv, width: Math.max(k, cu, cv) };
}

function parts(out: Tensor, m: number, n: number, full: boolean): [Tensor, Tensor, Tensor] {
  const { k, cu, cv } = layout(m, n, full);
  return [block(out, 0, 1, 0, k), block(out, 1, m, 0, cu), block(out, 1 + m, n, 0, cv)];
}

function dims(x: Tensor): [number, number] {
  return [x.shape[x.rank - 2], x.shape[x.rank - 1]];
}

// NOTE: the extra columns of a full U or V are any orthonormal completion: they have no
// derivative, and TensorFlow and JAX define none either.
function requireThin(x: Tensor, full: boolean): void {
  const [m, n] = dims(x);
  if (full && m !== n) {
    throw new Error(
      `svd: derivatives with fullMatrices: true are defined for square matrices only, got ` +
        `${m}×${n} matrices: pass fullMatrices: false (the extra columns of u or v are any ` +
        `orthonormal completion, without a derivative)`,
    );
  }
}

/** The decomposition primitives of `svd`, by name. */
export const svdPrims = {
  // NOTE: a primitive, as any decomposition must be (see eigh). Its one output packs s, U and V
  // (see `layout`). With dP = Uᵀ·dA·V, S = diag(s) and F[i][j] = 1/(sⱼ² - sᵢ²):
  // ds = diag(dP), dU = U·(F ∘ (dP·S + S·dPᵀ)) + (I - UUᵀ)·dA·V·S⁻¹,
  // dV = V·(F ∘ (S·dP + dPᵀ·S)) + (I - VVᵀ)·dAᵀ·U·S⁻¹; the reverse rule is its transpose.
  svd: {
    name: "svd",
    shape([x], { fullMatrices }) {
      const [m, n] = matrixShape("svd", x, false);
      const { width } = layout(m, n, fullMatrices);
      return { shape: [...x.shape.slice(0, -2), 1 + m + n, width], dtype: x.dtype };
    },
    kernels: {
      cpu: ([x], out, { fullMatrices }) => {
        const r = x.shape.length, m = x.shape[r - 2], n = x.shape[r - 1];
        const { k, cu, cv, width } = layout(m, n, fullMatrices);
        const s = new Float64Array(k), u = new Float64Array(m * cu), v = new Float64Array(n * cv);
        eachMatrix(x, (1 + m + n) * width, (a, at) => {
          svdJacobi(a, m, n, fullMatrices, s, u, v);
          putBlock(out, at, s, 1, k, width);
          putBlock(out, at + width, u, m, cu, width);
          putBlock(out, at + (1 + m) * width, v, n, cv, width);
        });
      },
    },
    jvp: ([t], [x], out, { fullMatrices }) => {
      if (t === null) return null;
      requireThin(x, fullMatrices);
      const [m, n] = dims(x);
      const [s, u, v] = parts(out, m, n, fullMatrices);
      const f = gapInverse(mul(s, s));
      const av = matmul(t, v);
      const dp = matmul(u, av, { transposeA: true });
      const dpt = mT(dp), st = mT(s);
      let du = matmul(u, mul(f, add(mul(dp, s), mul(st, dpt))));
      let dv = matmul(v, mul(f, add(mul(st, dp), mul(dpt, s))));
      if (m > n) du = add(du, mul(sub(av, matmul(u, dp)), safeInverse(s)));
      if (n > m) {
        const atu = matmul(t, u, { transposeA: true });
        dv = add(dv, mul(sub(atu, matmul(v, dpt)), safeInverse(s)));
      }
      return concat([diagRow(dp), du, dv], -2);
    },
    vjp: (g, [x], out, { fullMatrices }) => {
      requireThin(x, fullMatrices);
      const [m, n] = dims(x);
      const [s, u, v] = parts(out, m, n, fullMatrices);
      const [gs, gu, gv] = parts(g, m, n, fullMatrices);
      const f = gapInverse(mul(s, s));
      const utgu = matmul(u, gu, { transposeA: true });
      const vtgv = matmul(v, gv, { transposeA: true });
      const j = mul(f, utgu), k = mul(f, vtgv);
      const inner = add(
        diagOf(gs),
        add(mul(add(j, mT(j)), s), mul(mT(s), add(k, mT(k)))),
      );
      let ga = matmul(matmul(u, inner), v, { transposeB: true });
      if (m > n) {
        const left = mul(sub(gu, matmul(u, utgu)), safeInverse(s));
        ga = add(ga, matmul(left, v, { transposeB: true }));
      }
      if (n > m) {
        const right = mul(sub(gv, matmul(v, vtgv)), safeInverse(s));
        ga = add(ga, matmul(u, right, { transposeB: true }));
      }
      return [ga];
    },
    batch: batchMatrices,
  } satisfies Primitive<SvdAttrs>,
};

/**
 * Options of `svd`.
 *
 * @example Square u and v for a tall matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg, type SvdOptions } from "@gradtape/gradtape";
 * const options: SvdOptions = { fullMatrices: true };
 * const [s, u, v] = linalg.svd([[3, 0], [0, -4], [0, 0]], options);
 * assert.deepEqual([s.toArray(), u.shape, v.shape], [[4, 3], [3, 3], [2, 2]]);
 * assert.deepEqual(linalg.svd([[3, 0], [0, -4]], { computeUv: false }).toArray(), [4, 3]);
 * ```
 */
export interface SvdOptions {
  /** Whether `u` and `v` are square (m×m and n×n) rather than m×k and n×k (default false). */
  fullMatrices?: boolean;
  /** Whether to return `[s, u, v]` (default true) or `s` alone. */
  computeUv?: boolean;
}

const SVD_OPTIONS = ["fullMatrices", "computeUv"] as const;

/**
 * Singular value decompositions of matrices (the last two axes; leading ones are a batch), as
 * `tf.linalg.svd`: `x = u·diag(s)·vᵀ`, with `s` descending and non-negative. One-sided Jacobi
 * rotations in float64 (float32 inputs are rounded once at the end): singular values to high
 * relative accuracy, `u` and `v` orthonormal to machine precision, also for ill-conditioned and
 * rank-deficient matrices (the columns of `u` for a zero singular value complete the others).
 *
 * Signs are fixed, so results repeat exactly (eagerly, under `vmap` and `jit`): each column of
 * `u` has its first component larger than half of `1/√m` positive (its column of `v` follows).
 * A matrix with a non-finite entry gives NaN.
 *
 * Derivatives (both modes, every order) are TensorFlow's and JAX's. Those of `u` and `v` involve
 * `1/(sⱼ² - sᵢ²)` and (for a non-square matrix) `1/sⱼ`: they are undefined where two singular
 * values are equal or one is zero (`u` and `v` are then not unique), and grow without bound near
 * there. Where two are exactly equal, or one is exactly zero, the rules take those factors as 0,
 * so that derivatives of functions of `s` alone stay finite and right (at an orthogonal matrix,
 * say), while those of `u` and `v` there mean nothing. With `fullMatrices: true`, derivatives
 * exist for square matrices only (an error otherwise).
 *
 * @param x Matrices, shape `[..., m, n]`, float32 or float64.
 * @param options `fullMatrices` (default false) and `computeUv` (default true).
 * @returns `[s, u, v]` with shapes `[..., k]`, `[..., m, k]`, `[..., n, k]` for k = min(m, n)
 *   (`[..., m, m]` and `[..., n, n]` with `fullMatrices`), or `s` alone with `computeUv: false`.
 * @example Reconstructing a matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, linalg, matmul, multiply } from "@gradtape/gradtape";
 * const x = constant([[1, 2], [3, 4], [5, 6]], { dtype: "float64" });
 * const [s, u, v] = linalg.svd(x);
 * assert.deepEqual(u.shape, [3, 2]);
 * const back = matmul(multiply(u, s), v, { transposeB: true }).toArray() as number[][];
 * back.forEach((row, i) => row.forEach((e, j) => assert.ok(Math.abs(e - (2 * i + j + 1)) < 1e-12)));
 * ```
 */
export function svd(x: TensorLike, options: SvdOptions & { computeUv: false }): Tensor;
export function svd(x: TensorLike, options?: SvdOptions): [Tensor, Tensor, Tensor];
export function svd(x: TensorLike, options?: SvdOptions): Tensor | [Tensor, Tensor, Tensor] {
  const t = toTensor(x, { op: "svd" });
  checkOptions("svd", options, SVD_OPTIONS);
  const fullMatrices = options?.fullMatrices ?? false, computeUv = options?.computeUv ?? true;
  checkBoolean("svd", "fullMatrices", fullMatrices);
  checkBoolean("svd", "computeUv", computeUv);
  const full = fullMatrices && computeUv;
  const out = bind(svdPrims.svd, [t], { fullMatrices: full });
  const [m, n] = dims(t);
  const [s, u, v] = parts(out, m, n, full);
  const sv = reshape(s, s.shape.slice(0, -2).concat(s.shape[s.rank - 1]));
  return computeUv ? [sv, u, v] : sv;
}
