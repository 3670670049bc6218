/** The registry's rows for the linear algebra of gt.linalg (decompositions, solves, structural ops). */
import * as gt from "../../../mod.ts";
import type { Row } from "../_row_types.ts";
import type { linalgPrims } from "../../../src/ops/linalg/prims.ts";
import type { decompositionPrims } from "../../../src/ops/linalg/decompositions.ts";

// Well-conditioned inputs: the triangles' diagonals dominate (their other triangle is read by
// nothing, so it holds values that would spoil the solve if it were).
const lower3 = [[2.0, 9, 9], [0.5, 1.5, 9], [-0.4, 0.3, 2.5]];
const upper3 = [[2.0, 0.5, -0.4], [-9, 1.5, 0.3], [-9, -9, 2.5]];
const rhs32 = [[1.0, -0.5], [0.3, 2.0], [-1.2, 0.7]];
// Symmetric positive definite, its upper triangle not read (so not kept symmetric).
const spd3 = [[4.0, 9, 9], [1.2, 3.0, 9], [-0.8, 0.5, 2.5]];
// General, with pivots away from ties (row exchanges at the first two steps).
const gen3 = [[0.5, 2.0, 0.3], [3.0, -1.0, 0.2], [0.4, 0.6, 2.5]];

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const linalgRows: Record<keyof typeof linalgPrims, Row> = {
  triangularSolve: {
    cases: [
      { f: (a, b) => gt.linalg.triangularSolve(a, b), args: [lower3, rhs32] },
      { f: (a, b) => gt.linalg.triangularSolve(a, b, { lower: false }), args: [upper3, rhs32] },
      { f: (a, b) => gt.linalg.triangularSolve(a, b, { adjoint: true }), args: [lower3, rhs32] },
      {
        // A batch of two matrices against one right-hand side (broadcast).
        f: (a, b) => gt.linalg.triangularSolve(a, b, { lower: false, adjoint: true }),
        args: [[upper3, [[1.5, -0.3, 0.2], [9, 2.2, 0.6], [9, 9, 1.8]]], rhs32],
      },
    ],
  },
  cholesky: {
    cases: [
      { f: (a) => gt.linalg.cholesky(a), args: [spd3] },
      {
        f: (a) => gt.linalg.cholesky(a),
        args: [[spd3, [[2.0, 5, 5], [0.3, 1.5, 5], [0.2, -0.1, 1.0]]]],
      },
      { f: (a) => gt.linalg.logdet(a), args: [spd3] },
    ],
  },
  lu: {
    cases: [
      // One argument each, so that every mapping reaches lu's batching rule (a mapped right-hand
      // side alone would not); solve's derivative in both arguments is in linalg_test.ts.
      { f: (a) => gt.linalg.solve(a, gt.constant(rhs32, { dtype: a.dtype })), args: [gen3] },
      {
        f: (a) => gt.linalg.solve(a, gt.constant(rhs32, { dtype: a.dtype }), { adjoint: true }),
        args: [gen3],
      },
      { f: (a) => gt.linalg.det(a), args: [gen3] },
      { f: (a) => gt.linalg.slogdet(a)[1], args: [[gen3, spd3]] },
      { f: (a) => gt.linalg.inv(a), args: [gen3] },
    ],
  },
};

// The decompositions (qr, eigh, svd): a block of its own, kept apart from the rows above.

// Distinct, well separated eigenvalues and singular values, so every derivative is defined.
const sym33 = [[2, 0.5, -0.3], [0.4, 1, 0.2], [-0.3, 0.3, -1.5]];
const sym2x22 = [[[1, 0.3], [0.3, -0.5]], [[0.2, -0.7], [-0.6, 1.4]]];
const tall32 = [[1.2, -0.4], [0.3, 0.9], [-0.5, 0.6]];
const wide23 = [[0.7, -1.1, 0.4], [0.5, 0.2, -0.9]];
const square33 = [[1.5, 0.2, -0.3], [0.1, -0.8, 0.6], [0.4, 0.3, 1.1]];

/** One row per decomposition primitive (see `_registry_rows.ts`). */
export const decompositionRows: Record<keyof typeof decompositionPrims, Row> = {
  eigh: {
    cases: [
      { f: (x) => gt.linalg.eigh(x)[0], args: [sym33] },
      { f: (x) => gt.linalg.eigh(x)[1], args: [sym33] },
      { f: (x) => gt.linalg.eigh(x)[1], args: [sym2x22] },
    ],
  },
  svd: {
    cases: [
      { f: (x) => gt.linalg.svd(x, { computeUv: false }), args: [square33] },
      { f: (x) => gt.linalg.svd(x)[1], args: [tall32] },
      { f: (x) => gt.linalg.svd(x)[2], args: [tall32] },
      { f: (x) => gt.linalg.svd(x)[1], args: [wide23] },
      { f: (x) => gt.linalg.svd(x)[2], args: [wide23] },
      { f: (x) => gt.linalg.svd(x, { fullMatrices: true })[2], args: [square33] },
    ],
  },
  qr: {
    cases: [
      { f: (x) => gt.linalg.qr(x)[0], args: [tall32] },
      { f: (x) => gt.linalg.qr(x)[1], args: [tall32] },
      { f: (x) => gt.linalg.qr(x)[0], args: [wide23] },
      { f: (x) => gt.linalg.qr(x)[1], args: [wide23] },
      { f: (x) => gt.linalg.qr(x, { fullMatrices: true })[0], args: [square33] },
      { f: (x) => gt.linalg.qr(x)[1], args: [sym2x22] },
    ],
  },
  pinv: {
    cases: [
      // Not tall32: with it, a product with the uniform cotangent meets a last-bit difference
      // between matmul's kernel and its uniform shortcut (reported; not pinv's).
      { f: (x) => gt.linalg.pinv(x), args: [[[1.1, -0.3], [0.4, 0.8], [-0.6, 0.5]]] },
      { f: (x) => gt.linalg.pinv(x), args: [wide23] },
      { f: (x) => gt.linalg.pinv(x), args: [[[0.6, -0.8], [0.8, 0.6]]] }, // orthogonal: s = [1, 1]
    ],
  },
};
