/** `pinv`: the Moore–Penrose pseudo-inverse, through the SVD. */
import { bind, type Primitive } from "../../core/dispatch.ts";
import { toTensor } from "../../core/convert.ts";
import type { Tensor, TensorLike } from "../../core/tensor.ts";
import { checkFinite, checkOptions } from "../../core/check.ts";
import { svdJacobi } from "../../core/kernels/decompositions.ts";
import { add, neg, sub } from "../_lax.ts";
import { matmul } from "../products.ts";
import { batchMatrices, eachMatrix, matrixShape, mT, putBlock } from "./_decomp.ts";

/**
 * Options of `pinv`.
 *
 * @example A looser cutoff drops a small singular value
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg, type PinvOptions } from "@gradtape/gradtape";
 * const options: PinvOptions = { rcond: 1e-2 };
 * assert.deepEqual(linalg.pinv([[1, 0], [0, 1e-3]], options).toArray(), [[1, 0], [0, 0]]);
 * ```
 */
export interface PinvOptions {
  /**
   * Singular values at most `rcond` times the largest are treated as zero (default
   * `10·max(m, n)·ε` of the dtype, as TensorFlow and JAX).
   */
  rcond?: number;
}

const PINV_OPTIONS = ["rcond"] as const;

interface PinvAttrs {
  rcond: number;
}

/** The primitives of `pinv`, by name. */
export const pinvPrims = {
  // NOTE: a primitive rather than a composite of svd, for stability: the SVD's derivative divides
  // by sⱼ² - sᵢ², zero for every matrix with a repeated singular value (an orthogonal one, the
  // identity), where the pseudo-inverse is smooth. Its derivative where the rank is locally
  // constant (Golub and Pereyra) is dP = -P·dA·P + P·Pᵀ·dAᵀ·(I - A·P) + (I - P·A)·dAᵀ·Pᵀ·P;
  // reverse: Ā = -Pᵀ·Ḡ·Pᵀ + (I - A·P)·Ḡᵀ·P·Pᵀ + Pᵀ·P·Ḡᵀ·(I - P·A).
  pinv: {
    name: "pinv",
    shape([x]) {
      const [m, n] = matrixShape("pinv", x, false);
      return { shape: [...x.shape.slice(0, -2), n, m], dtype: x.dtype };
    },
    kernels: {
      cpu: ([x], out, { rcond }) => {
        const r = x.shape.length, m = x.shape[r - 2], n = x.shape[r - 1], k = Math.min(m, n);
        const s = new Float64Array(k), u = new Float64Array(m * k), v = new Float64Array(n * k);
        const p = new Float64Array(n * m);
        eachMatrix(x, n * m, (a, at) => {
          svdJacobi(a, m, n, false, s, u, v);
          pseudoInverse(s, u, v, m, n, rcond, p);
          putBlock(out, at, p, n, m, m);
        });
      },
    },
    jvp: ([t], [a], p) => {
      if (t === null) return null;
      const at = mT(t);
      const first = neg(matmul(matmul(p, t), p));
      const second = matmul(matmul(p, p, { transposeB: true }), sub(at, matmul(matmul(at, a), p)));
      const third = matmul(sub(at, matmul(p, matmul(a, at))), matmul(p, p, { transposeA: true }));
      return add(first, add(second, third));
    },
    vjp: (g, [a], p) => {
      const gT = mT(g);
      const first = neg(matmul(matmul(p, g, { transposeA: true }), p, { transposeB: true }));
      const gtp = matmul(gT, matmul(p, p, { transposeB: true }));
      const second = sub(gtp, matmul(a, matmul(p, gtp)));
      const ptpgt = matmul(matmul(p, p, { transposeA: true }), gT);
      const third = sub(ptpgt, matmul(matmul(ptpgt, p), a));
      return [add(first, add(second, third))];
    },
    batch: batchMatrices,
  } satisfies Primitive<PinvAttrs>,
};

// P = V·diag(1/s)·Uᵀ (n×m, row-major) from the thin SVD, singular values at or below rcond times
// the largest dropped.
function pseudoInverse(
  s: Float64Array,
  u: Float64Array,
  v: Float64Array,
  m: number,
  n: number,
  rcond: number,
  p: Float64Array,
): void {
  const k = s.length;
  const cutoff = rcond * (k > 0 ? s[0] : 0);
  p.fill(0);
  for (let j = 0; j < k; j++) {
    if (!(s[j] > cutoff)) {
      if (Number.isNaN(s[j])) p.fill(NaN);
      continue;
    }
    const inv = 1 / s[j];
    for (let i = 0; i < n; i++) {
      const vij = v[i * k + j] * inv;
      for (let l = 0; l < m; l++) p[i * m + l] += vij * u[l * k + j];
    }
  }
}

/**
 * The Moore–Penrose pseudo-inverse of matrices (the last two axes; leading ones are a batch),
 * as `tf.linalg.pinv`: `v·diag(1/s)·uᵀ` from the SVD, singular values at most `rcond` times the
 * largest treated as zero.
 *
 * Differentiable in both modes to every order where the rank is locally constant (no singular
 * value near the cutoff), also for matrices with repeated singular values (the identity, any
 * orthogonal matrix), through the closed form of its derivative rather than the SVD's. A matrix
 * with a non-finite entry gives NaN.
 *
 * @param x Matrices, shape `[..., m, n]`, float32 or float64.
 * @param options `rcond`, the relative cutoff.
 * @returns The pseudo-inverses, shape `[..., n, m]`.
 * @example A tall matrix's left inverse
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg, matmul } from "@gradtape/gradtape";
 * const a = [[1, 0], [0, 2], [0, 0]];
 * const p = linalg.pinv(a);
 * assert.deepEqual(p.shape, [2, 3]);
 * const pa = matmul(p, a).toArray() as number[][];
 * pa.forEach((row, i) => row.forEach((e, j) => assert.ok(Math.abs(e - (i === j ? 1 : 0)) < 1e-6)));
 * ```
 */
export function pinv(x: TensorLike, options?: PinvOptions): Tensor {
  const t = toTensor(x, { op: "pinv" });
  checkOptions("pinv", options, PINV_OPTIONS);
  const [m, n] = matrixShape("pinv", t, false);
  const eps = t.dtype === "float64" ? 2 ** -52 : 2 ** -23;
  const rcond = options?.rcond ?? 10 * Math.max(m, n) * eps;
  checkFinite("pinv", "rcond", rcond);
  return bind(pinvPrims.pinv, [t], { rcond });
}
