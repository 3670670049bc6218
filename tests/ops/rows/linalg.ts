/** The registry's rows for the linear algebra of gt.linalg (decompositions, solves, structural ops). */
import type { Row } from "../_row_types.ts";

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const linalgRows: Record<never, Row> = {};

// The decompositions (qr, eigh, svd): a block of its own, kept apart from the rows above.
import * as gt from "../../../mod.ts";
import type { decompositionPrims } from "../../../src/ops/linalg/decompositions.ts";

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
};
