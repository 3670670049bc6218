/** The registry's rows for indexing and scattering (gatherNd, scatterNd, the segment ops, oneHot…). */
import * as gt from "../../../mod.ts";
import { bind } from "../../../src/core/dispatch.ts";
import type { indexingPrims } from "../../../src/ops/indexing.ts";
import { primitives } from "../../../src/ops/registry.ts";
import type { Tensor } from "../../../mod.ts";
import type { Row } from "../_row_types.ts";

// gather and scatterAdd predate the family: their rows are in _registry_rows.ts.
type Family = Exclude<keyof typeof indexingPrims, "gather" | "scatterAdd">;

const ids = (v: number[] | number[][]) => gt.constant(v, { dtype: "int32" });
const combine =
  (mode: "max" | "min" | "mul", axis: number, at: number[]) => (o: Tensor, u: Tensor) =>
    gt.sin(bind(primitives.scatter, [o, ids(at), u], { axis, mode }));

// Values without ties wherever two meet at one position.
const data42 = [[0.3, -1.2], [1.5, 0.4], [-0.7, 2.1], [0.9, -0.1]];

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const indexingRows: Record<Family, Row> = {
  scatter: {
    cases: [
      // max: segments of two rows each, and one of one row.
      { f: (d) => gt.unsortedSegmentMax(d, [0, 2, 0, 1], 3), args: [data42] },
      // min of tuples (K = 2) into a tensor that wins at some positions and loses at others.
      {
        f: (t, u) => gt.tensorScatterMin(t, [[0, 1], [1, 0], [0, 1]], u),
        args: [[[0.5, 0.2], [-0.3, 1.1]], [-0.6, 0.8, 0.9]],
      },
      // max along axis 1 with a repeated index, both inputs differentiated.
      {
        f: combine("max", 1, [2, 0, 2]),
        args: [[[0.1, 0.5, -0.2], [0.7, -1.3, 0.4]], [[0.6, -0.4, -0.8], [0.2, 1.0, 0.9]]],
      },
      // product: a segment with a zero among its factors (exact to order 2), a dropped row (-1).
      {
        f: (d) => gt.unsortedSegmentProd(d, [1, 0, 1, -1], 2),
        args: [[[0.3, -1.2], [1.5, 0.0], [-0.7, 2.1], [0.9, -0.1]]],
      },
      {
        f: combine("mul", 1, [0, 2, 0]),
        args: [[[0.8, 1.5, -0.6], [1.2, -0.9, 0.4]], [[0.6, -0.4, 1.3], [0.2, 1.1, 0.9]]],
      },
    ],
  },
};
