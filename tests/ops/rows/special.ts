/** The registry's rows for elementwise ops and activations of the contract's "More ops" (special functions, inverse and hyperbolic trig, atan2, mod…). */
import * as gt from "../../../mod.ts";
import type { specialPrims } from "../../../src/ops/special.ts";
import { polygamma } from "../../../src/ops/special.ts";
import { noGrad, pos23, type Row, unary, x23 } from "../_row_types.ts";

// Inside (-1, 1), away from its ends (asin, acos, atanh).
const unit23 = [[0.3, -0.6, 0.7], [0.1, -0.25, 0.5]];
// Negative non-integers, away from the poles (lgamma and digamma by reflection).
const negatives = [[-0.5, -1.3, -2.6], [-0.2, -3.7, -4.4]];
// Divisors for mod, with every quotient of x23 away from an integer (its jumps).
const divisors = [[0.7, 0.5, 0.3], [0.4, 0.9, 1.3]];

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const specialRows: Record<keyof typeof specialPrims, Row> = {
  asin: unary(gt.asin, unit23),
  acos: unary(gt.acos, unit23),
  atan: unary(gt.atan),
  sinh: unary(gt.sinh),
  cosh: unary(gt.cosh),
  asinh: unary(gt.asinh),
  acosh: unary(gt.acosh, [[1.3, 2.2, 1.8], [3.5, 1.4, 2.1]]),
  atanh: unary(gt.atanh, unit23),
  erf: unary(gt.erf),
  erfc: unary(gt.erfc),
  lgamma: { cases: [{ f: gt.lgamma, args: [pos23] }, { f: gt.lgamma, args: [negatives] }] },
  digamma: { cases: [{ f: gt.digamma, args: [pos23] }, { f: gt.digamma, args: [negatives] }] },
  polygamma: {
    cases: [
      { f: (x) => polygamma(1, x), args: [[[0.6, 1.2, 2.5], [4, 7.5, 12]]] },
      { f: (x) => polygamma(2, x), args: [negatives] },
    ],
  },
  isNaN: noGrad((x) => gt.cast(gt.isNaN(gt.log(x)), x.dtype), x23),
  isInf: noGrad((x) => gt.cast(gt.isInf(gt.divide(1, x)), x.dtype), [[0, 1, 2]]),
  isFinite: noGrad((x) => gt.cast(gt.isFinite(gt.log(x)), x.dtype), x23),
  atan2: {
    cases: [
      { f: gt.atan2, args: [x23, [[0.5, -1.1, 0.7], [-0.3, 0.9, 1.4]]] },
      { f: gt.atan2, args: [x23, [0.5, -2, 1]] }, // broadcast a row
    ],
  },
  floorDiv: noGrad((a, b) => gt.floorDiv(a, b), x23, divisors),
  mod: {
    cases: [
      { f: gt.mod, args: [x23, divisors] },
      { f: gt.mod, args: [x23, -0.65] }, // a negative divisor, broadcast
    ],
  },
  xlogy: {
    cases: [
      { f: gt.xlogy, args: [x23, pos23] },
      { f: gt.xlogy, args: [[[0.5], [-2]], pos23] }, // broadcast a column
    ],
  },
};
