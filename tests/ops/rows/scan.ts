/** The registry's rows for reductions, scans and sorting. */
import * as gt from "../../../mod.ts";
import { bind } from "../../../src/core/dispatch.ts";
import type { scanPrims } from "../../../src/ops/scan.ts";
import { sortPrims } from "../../../src/ops/sort.ts";
import { noGrad, type Row, x23 } from "../_row_types.ts";

const x234 = [
  [[0.3, -1.2, 0.8, 0.1], [1.5, -0.4, 2.1, -0.7], [0.2, 0.9, -1.1, 0.6]],
  [[-0.5, 1.3, 0.4, -0.9], [0.7, -1.6, 1.2, 0.25], [-0.3, 0.55, 1.8, -1.4]],
];
// Distinct values, at least 0.1 apart, so that the order stays under finite differences.
const distinct = [[0.3, -1.2, 0.8, 2.5], [1.5, -0.4, 2.1, -2.2], [0.6, 1.1, -0.7, 0.0]];
const idx23 = () => gt.constant([[2, 0, 1], [1, 1, 0]], { dtype: "int32" });

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const scanRows: Record<keyof typeof scanPrims | keyof typeof sortPrims, Row> = {
  cumsum: {
    cases: [
      { f: (x) => gt.sin(gt.cumsum(x, 1)), args: [x23] },
      { f: (x) => gt.sin(gt.cumsum(x, 0, { reverse: true })), args: [x23] },
      { f: (x) => gt.sin(gt.cumsum(x, 1, { exclusive: true, reverse: true })), args: [x234] },
    ],
  },
  cumulativeLogSumExp: {
    cases: [
      { f: (x) => gt.sin(gt.cumulativeLogSumExp(x, 1)), args: [x23] },
      { f: (x) => gt.cumulativeLogSumExp(x, 1, { reverse: true }), args: [x234] },
      // exp: the exclusive first value is -Infinity, whose finite difference is NaN.
      { f: (x) => gt.exp(gt.cumulativeLogSumExp(x, 0, { exclusive: true })), args: [x234] },
    ],
  },
  linearScan: {
    cases: [
      // cumprod's recurrence, with a zero in the input: the gradient never divides by it.
      { f: (x) => gt.cumprod(x, 1), args: [[[0.3, -1.2, 0.8], [1.5, 0, 2.1]]] },
      { f: (x) => gt.sin(gt.cumprod(x, 1, { reverse: true })), args: [x234] },
      { f: (x) => gt.cumprod(x, 0, { exclusive: true }), args: [x23] },
    ],
  },
  shift: {
    cases: [
      { f: (x) => gt.sin(gt.cumsum(x, -1, { exclusive: true })), args: [x23] },
      { f: (x) => gt.exp(gt.cumprod(x, 1, { exclusive: true, reverse: true })), args: [x234] },
    ],
  },
  argsort: noGrad((x) => gt.cast(gt.argsort(x, { axis: 0 }), x.dtype), x23),
  takeAlongAxis: {
    cases: [
      { f: (x) => gt.sin(gt.sort(x)), args: [distinct] },
      { f: (x) => gt.exp(gt.sort(x, { axis: 0, direction: "DESCENDING" })), args: [distinct] },
      { f: (x) => gt.sin(gt.topK(x, 2).values), args: [distinct] },
    ],
  },
  scatterAlongAxis: {
    // Not public: it is takeAlongAxis's adjoint, reached here directly (repeats accumulate).
    cases: [{
      f: (g) => gt.sin(bind(sortPrims.scatterAlongAxis, [g, idx23()], { axis: 1, size: 4 })),
      args: [x23],
    }],
  },
};
