/** The registry's rows for the linear algebra of gt.linalg (decompositions, solves, structural ops). */
import * as gt from "../../../mod.ts";
import type { Row } from "../_row_types.ts";
import type { linalgPrims } from "../../../src/ops/linalg/prims.ts";

// Well-conditioned inputs: the triangles' diagonals dominate (their other triangle is read by
// nothing, so it holds values that would spoil the solve if it were).
const lower3 = [[2.0, 9, 9], [0.5, 1.5, 9], [-0.4, 0.3, 2.5]];
const upper3 = [[2.0, 0.5, -0.4], [-9, 1.5, 0.3], [-9, -9, 2.5]];
const rhs32 = [[1.0, -0.5], [0.3, 2.0], [-1.2, 0.7]];

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
};
