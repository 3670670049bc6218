/**
 * Segment reductions, as TensorFlow's `unsorted_segment_*`: the rows of `data` reduced by the
 * segment each one names. Composites of the indexing primitives (a sum is gather's adjoint,
 * scatterAdd; a maximum, minimum or product is scatter with that combiner), so their derivatives
 * come from those. A negative segment id drops its row (TensorFlow's rule); an id at or past
 * `numSegments` is an error in eager mode.
 */
import { bind } from "../core/dispatch.ts";
import type { DType } from "../core/dtype.ts";
import { checkInteger } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { requireFloat, requireNumeric } from "./_define.ts";
import { divide, maximum } from "./binary.ts";
import { fill, ones } from "./creation.ts";
import { type Combiner, indexingPrims, indicesFor } from "./indexing.ts";
import { reshape } from "./movement.ts";

const { scatterAdd: scatterAddPrim, scatter: scatterPrim } = indexingPrims;

// The data and ids of `op`, checked: ids (int32) shaped as data's first axes, each below n.
function segments(op: string, data: TensorLike, segmentIds: TensorLike, numSegments: number) {
  const x = toTensor(data, { op });
  requireNumeric(op, x);
  checkInteger(op, "numSegments", numSegments, 0, 2 ** 31 - 1);
  const ids = indicesFor(op, segmentIds, [numSegments], {
    negatives: "drop",
    what: () => `numSegments ${numSegments} (negative ids drop their row)`,
  });
  if (ids.rank > x.rank || !sameShape(ids.shape, x.shape.slice(0, ids.rank))) {
    throw new Error(
      `${op}: segment ids of shape ${fmtShape(ids.shape)} must have the shape of the first ` +
        `axes of data, ${fmtShape(x.shape)}`,
    );
  }
  return { x, ids, rest: x.shape.slice(ids.rank) };
}

/**
 * Sums of the rows of `data` by segment: `out[s] = Σ data[i]` over the `i` with
 * `segmentIds[i] = s` (0 for an empty segment). `segmentIds` has the shape of `data`'s first
 * axes; the result has shape `[numSegments, ...data.shape[segmentIds.rank:]]`.
 *
 * @param data The values.
 * @param segmentIds int32 segment of each row, in `[0, numSegments)`, or negative to drop it.
 * @param numSegments The number of segments.
 * @returns The sums.
 * @example
 * ```ts
 * import { unsortedSegmentSum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(unsortedSegmentSum([1, 2, 3, 4], [0, 2, 0, -1], 3).toArray(), [4, 0, 2]);
 * ```
 */
export function unsortedSegmentSum(
  data: TensorLike,
  segmentIds: TensorLike,
  numSegments: number,
): Tensor {
  const { x, ids } = segments("unsortedSegmentSum", data, segmentIds, numSegments);
  return bind(scatterAddPrim, [x, ids], { axis: 0, size: numSegments });
}

/**
 * Means of the rows of `data` by segment (0 for an empty segment); shapes as
 * {@linkcode unsortedSegmentSum}. Floating dtypes.
 *
 * @param data The values.
 * @param segmentIds int32 segment of each row, in `[0, numSegments)`, or negative to drop it.
 * @param numSegments The number of segments.
 * @returns The means.
 * @example
 * ```ts
 * import { unsortedSegmentMean } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(unsortedSegmentMean([1, 2, 3, 4], [0, 1, 0, 1], 3).toArray(), [2, 3, 0]);
 * ```
 */
export function unsortedSegmentMean(
  data: TensorLike,
  segmentIds: TensorLike,
  numSegments: number,
): Tensor {
  const { x, ids, rest } = segments("unsortedSegmentMean", data, segmentIds, numSegments);
  requireFloat("unsortedSegmentMean", x);
  const sums = bind(scatterAddPrim, [x, ids], { axis: 0, size: numSegments });
  const counts = bind(scatterAddPrim, [ones(ids.shape, x.dtype), ids], {
    axis: 0,
    size: numSegments,
  });
  return divide(sums, reshape(maximum(counts, 1), [numSegments, ...rest.map(() => 1)]));
}

// The identity of each combiner in `dtype`: TensorFlow fills an empty segment's maximum with the
// lowest value of the dtype (not -∞) and its minimum with the highest.
function identity(mode: Combiner, dtype: DType): number {
  if (mode === "mul") return 1;
  const high = dtype === "int32"
    ? 2 ** 31 - 1
    : dtype === "float32"
    ? 3.4028234663852886e38
    : Number.MAX_VALUE;
  return mode === "max" ? (dtype === "int32" ? -(2 ** 31) : -high) : high;
}

function segmentCombine(op: string, mode: Combiner) {
  return (data: TensorLike, segmentIds: TensorLike, numSegments: number): Tensor => {
    const { x, ids, rest } = segments(op, data, segmentIds, numSegments);
    const start = fill([numSegments, ...rest], identity(mode, x.dtype), x.dtype);
    return bind(scatterPrim, [start, ids, x], { axis: 0, mode });
  };
}

/**
 * Maxima of the rows of `data` by segment; an empty segment gets the dtype's lowest value (as
 * TensorFlow). Shapes as {@linkcode unsortedSegmentSum}; the gradient goes to the rows equal to
 * their segment's maximum (shared equally among ties).
 *
 * @param data The values.
 * @param segmentIds int32 segment of each row, in `[0, numSegments)`, or negative to drop it.
 * @param numSegments The number of segments.
 * @returns The maxima.
 * @example
 * ```ts
 * import { unsortedSegmentMax } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const m = unsortedSegmentMax([1, 5, 3, 4], [0, 1, 0, 1], 3);
 * assert.deepEqual([...m.data()], [3, 5, -3.4028234663852886e38]);
 * ```
 */
export const unsortedSegmentMax: (
  data: TensorLike,
  segmentIds: TensorLike,
  numSegments: number,
) => Tensor = segmentCombine("unsortedSegmentMax", "max");

/**
 * Minima of the rows of `data` by segment; an empty segment gets the dtype's highest value (as
 * TensorFlow). Shapes as {@linkcode unsortedSegmentSum}.
 *
 * @param data The values.
 * @param segmentIds int32 segment of each row, in `[0, numSegments)`, or negative to drop it.
 * @param numSegments The number of segments.
 * @returns The minima.
 * @example
 * ```ts
 * import { unsortedSegmentMin } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(unsortedSegmentMin([1, 5, 3, 4], [0, 1, 0, 1], 2).toArray(), [1, 4]);
 * ```
 */
export const unsortedSegmentMin: (
  data: TensorLike,
  segmentIds: TensorLike,
  numSegments: number,
) => Tensor = segmentCombine("unsortedSegmentMin", "min");

/**
 * Products of the rows of `data` by segment (1 for an empty segment); shapes as
 * {@linkcode unsortedSegmentSum}. The gradient is exact with zeros among the factors.
 *
 * @param data The values.
 * @param segmentIds int32 segment of each row, in `[0, numSegments)`, or negative to drop it.
 * @param numSegments The number of segments.
 * @returns The products.
 * @example
 * ```ts
 * import { unsortedSegmentProd } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(unsortedSegmentProd([2, 5, 3, 4], [0, 1, 0, 1], 3).toArray(), [6, 20, 1]);
 * ```
 */
export const unsortedSegmentProd: (
  data: TensorLike,
  segmentIds: TensorLike,
  numSegments: number,
) => Tensor = segmentCombine("unsortedSegmentProd", "mul");
