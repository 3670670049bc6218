/** `eigh`: eigenvalues and eigenvectors of symmetric matrices, by cyclic Jacobi rotations. */
import { bind, type Primitive } from "../../core/dispatch.ts";
import { toTensor } from "../../core/convert.ts";
import type { Tensor, TensorLike } from "../../core/tensor.ts";
import { eighJacobi } from "../../core/kernels/decompositions.ts";
import { add, mul, reshape } from "../_lax.ts";
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
} from "./_decomp.ts";

// The symmetric part, (x + xᵀ)/2: what the kernel decomposes.
const sym = (x: Tensor): Tensor => mul(add(x, mT(x)), 0.5);

// The packed output of n×n matrices: eigenvalues in row 0, eigenvectors (columns) in rows 1..n.
function parts(out: Tensor): [Tensor, Tensor] {
  const n = out.shape[out.rank - 1];
  return [block(out, 0, 1, 0, n), block(out, 1, n, 0, n)];
}

/** The decomposition primitives of `eigh`, by name. */
export const eighPrims = {
  // NOTE: a primitive, as any decomposition must be: an iteration to convergence has no
  // derivative of its own; the rules differentiate the result. Its one output packs the
  // eigenvalues (row 0) over the eigenvectors (rows 1..n): [..., n + 1, n].
  // d(λ, V) with dP = Vᵀ·dA·V: dλ = diag(dP), dV = V·(F ∘ dP), F[i][j] = 1/(λⱼ - λᵢ);
  // reverse: Ā = V·(diag(λ̄) + F ∘ (Vᵀ·V̄))·Vᵀ, symmetrized as the input was.
  eigh: {
    name: "eigh",
    shape([x]) {
      const [n] = matrixShape("eigh", x, true);
      return { shape: [...x.shape.slice(0, -2), n + 1, n], dtype: x.dtype };
    },
    kernels: {
      cpu: ([x], out) => {
        const n = x.shape[x.shape.length - 1];
        const w = new Float64Array(n), v = new Float64Array(n * n);
        eachMatrix(x, (n + 1) * n, (a, at) => {
          eighJacobi(a, n, w, v);
          putBlock(out, at, w, 1, n, n);
          putBlock(out, at + n, v, n, n, n);
        });
      },
    },
    jvp: ([t], _, out) => {
      if (t === null) return null;
      const [w, v] = parts(out);
      const dp = matmul(matmul(v, sym(t), { transposeA: true }), v);
      return concat([diagRow(dp), matmul(v, mul(gapInverse(w), dp))], -2);
    },
    vjp: (g, _, out) => {
      const [w, v] = parts(out);
      const [gw, gv] = parts(g);
      const inner = add(diagOf(gw), mul(gapInverse(w), matmul(v, gv, { transposeA: true })));
      return [sym(matmul(matmul(v, inner), v, { transposeB: true }))];
    },
    batch: batchMatrices,
  } satisfies Primitive<void>,
};

/**
 * Eigenvalues and eigenvectors of symmetric matrices (the last two axes; leading ones are a
 * batch), as `tf.linalg.eigh`. The input is symmetrized, `(x + xᵀ)/2`, as JAX does by default,
 * so an input that is symmetric up to rounding gives what its symmetric part gives. Cyclic
 * Jacobi rotations in float64 (float32 inputs are rounded once at the end): eigenvalues to high
 * accuracy, eigenvectors orthonormal to machine precision.
 *
 * Each eigenvector's sign is fixed, so results repeat exactly (eagerly, under `vmap` and `jit`):
 * its first component larger than half of `1/√n` is positive. A matrix with a non-finite entry
 * gives NaN.
 *
 * Derivatives (both modes, every order) are TensorFlow's and JAX's, with `F[i][j] = 1/(λⱼ - λᵢ)`:
 * those of the eigenvectors are undefined where two eigenvalues are equal (the eigenvectors are
 * then not unique) and grow without bound as two approach each other. Where two are exactly
 * equal, the rules take that `F[i][j]` as 0, so that derivatives of functions of the eigenvalues
 * alone stay finite and right (the gradient of `Σλ²` at the identity is `2·I`), while those of
 * the eigenvectors there mean nothing.
 *
 * @param x Symmetric matrices, shape `[..., n, n]`, float32 or float64.
 * @returns `[eigenvalues, eigenvectors]`: shape `[..., n]` ascending, and `[..., n, n]` with
 *   the eigenvector of `eigenvalues[i]` in column i, so that `x·v = v·diag(eigenvalues)`.
 * @example The eigenvalues of a 2×2 symmetric matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { linalg } from "@gradtape/gradtape";
 * const [w, v] = linalg.eigh([[2, 1], [1, 2]]);
 * assert.deepEqual(w.toArray(), [1, 3]);
 * const r = Math.SQRT1_2;
 * const vs = v.toArray() as number[][];
 * [[r, r], [-r, r]].forEach((row, i) =>
 *   row.forEach((e, j) => assert.ok(Math.abs(vs[i][j] - e) < 1e-6))
 * );
 * ```
 */
export function eigh(x: TensorLike): [Tensor, Tensor] {
  const t = toTensor(x, { op: "eigh" });
  const out = bind(eighPrims.eigh, [t], undefined);
  const [w, v] = parts(out);
  return [reshape(w, w.shape.slice(0, -2).concat(w.shape[w.rank - 1])), v];
}
