/** The registry's rows for pooling. */
import * as gt from "../../../mod.ts";
import { bind } from "../../../src/core/dispatch.ts";
import { poolPrims } from "../../../src/ops/pool.ts";
import type { Tensor } from "../../../mod.ts";
import type { Row } from "../_row_types.ts";

/**
 * Distinct values, at least 0.1 apart (so no window's maximum changes under finite differences),
 * in a scrambled order, nested to `shape`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { distinctValues } from "./pool.ts";
 * const v = distinctValues([2, 3]) as number[][];
 * assert.equal(new Set(v.flat()).size, 6);
 * ```
 */
export function distinctValues(shape: readonly number[]): unknown[] {
  const n = shape.reduce((a, b) => a * b, 1);
  let k = 7;
  while (gcd(k, n) !== 1) k++;
  const flat = Array.from({ length: n }, (_, i) => ((i * k) % n) * 0.13 - n * 0.05);
  const nest = (from: number, axis: number): unknown[] => {
    const step = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    return Array.from(
      { length: shape[axis] },
      (_, i) => axis === shape.length - 1 ? flat[from + i] : nest(from + i * step, axis + 1),
    );
  };
  return nest(0, 0);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

const arg = (shape: number[]) => distinctValues(shape) as number[];

// The positions the adjoint adds at come from a fixed input, of the cotangent's dtype.
const fixed = (shape: number[], like: Tensor) => gt.constant(arg(shape), { dtype: like.dtype });

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const poolRows: Record<keyof typeof poolPrims, Row> = {
  maxPool: {
    cases: [
      // Channels last, SAME padding at the right edge (width 5, stride 2).
      { f: (x) => gt.sin(gt.maxPool(x, 2, 2, "SAME")), args: [arg([2, 4, 5, 2])] },
      // Overlapping windows, channels first, one spatial dimension.
      {
        f: (x) => gt.maxPool(x, 3, 2, "valid", { dataFormat: "NCW" }),
        args: [arg([2, 2, 7])],
      },
      // Three spatial dimensions, padded on every side.
      {
        f: (x) => gt.sin(gt.maxPool(x, [2, 3, 2], [1, 2, 1], "SAME")),
        args: [arg([1, 3, 4, 3, 2])],
      },
      {
        f: (x) => gt.sin(gt.maxPool(x, [1, 1, 3, 3], [1, 1, 1, 1], "SAME", { dataFormat: "NCHW" })),
        args: [arg([1, 2, 3, 4])],
      },
    ],
  },
  maxPoolGrad: {
    // Not public: maxPool's adjoint, reached directly, with the maxima of a fixed input.
    cases: [{
      f: (g) =>
        gt.sin(bind(poolPrims.maxPoolGrad, [fixed([1, 4, 5, 2], g), g], {
          start: 1,
          ksize: [3, 2],
          strides: [2, 2],
          padding: "SAME",
        })),
      args: [arg([1, 2, 3, 2])],
    }],
  },
  avgPool: {
    cases: [
      { f: (x) => gt.sin(gt.avgPool(x, 3, 2, "SAME")), args: [arg([2, 4, 5, 2])] },
      {
        f: (x) => gt.sin(gt.avgPool(x, [2, 2, 2], 1, "VALID", { dataFormat: "NCDHW" })),
        args: [arg([1, 2, 3, 3, 3])],
      },
      { f: (x) => gt.sin(gt.avgPool(x, 2, 1, "same")), args: [arg([2, 5, 3])] },
    ],
  },
  avgPoolGrad: {
    cases: [{
      f: (g) =>
        gt.sin(bind(poolPrims.avgPoolGrad, [g], {
          start: 1,
          ksize: [3, 2],
          strides: [2, 2],
          padding: "SAME",
          input: [4, 5],
        })),
      args: [arg([1, 2, 3, 2])],
    }],
  },
};
