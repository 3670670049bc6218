/** The registry's rows for the convolutions (one primitive, the general N-d convolution). */
import * as gt from "../../../mod.ts";
import type { convPrims } from "../../../src/ops/conv.ts";
import type { Row } from "../_row_types.ts";

type Nested = number | Nested[];

// Deterministic values in (-1, 1) of `shape`, different for each `seed`.
function values(shape: number[], seed: number): Nested {
  let i = 0;
  const build = (dims: number[]): Nested =>
    dims.length === 0
      ? Math.round(Math.sin(++i * 1.7 + seed * 3.1) * 1000) / 1000
      : Array.from({ length: dims[0] }, () => build(dims.slice(1)));
  return build(shape);
}

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const convRows: Record<keyof typeof convPrims, Row> = {
  conv: {
    cases: [
      // Strided, SAME (uneven padding), dilated in one dimension.
      {
        f: (x, w) => gt.sin(gt.conv2d(x, w, [2, 1], "SAME", { dilations: [1, 2] })),
        args: [values([1, 4, 5, 2], 1), values([2, 2, 2, 3], 2)],
      },
      // Two groups, explicit padding, channels first.
      {
        f: (x, w) => gt.conv1d(x, w, 2, [[2, 1]], { dataFormat: "NCW" }),
        args: [values([2, 4, 5], 3), values([3, 2, 4], 4)],
      },
      // Depthwise, and a transposed convolution (an input dilated by the strides).
      {
        f: (x, w) => gt.depthwiseConv2d(x, w, 1, "VALID"),
        args: [values([1, 3, 4, 2], 5), values([2, 2, 2, 2], 6)],
      },
      {
        f: (x, w) => gt.conv2dTranspose(x, w, [1, 5, 4, 2], [2, 2], "SAME"),
        args: [values([1, 3, 2, 3], 7), values([3, 2, 2, 3], 8)],
      },
      {
        f: (x, w) => gt.conv3d(x, w, 1, "SAME"),
        args: [values([1, 2, 3, 2, 1], 9), values([2, 2, 1, 1, 2], 10)],
      },
    ],
  },
};
