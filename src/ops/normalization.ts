/** Normalization: `batchNormalization` (`tf.nn.batch_normalization`), a composite. */
import { checkFinite } from "../core/check.ts";
import { toTensors } from "../core/convert.ts";
import { broadcastShapes } from "../core/shape.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { requireFloat } from "./_define.ts";
import { add, multiply, subtract } from "./binary.ts";
import { rsqrt } from "./unary.ts";

/**
 * `scale · (x - mean) / √(variance + varianceEpsilon) + offset`, as `tf.nn.batch_normalization`:
 * every tensor broadcasts against `x` (statistics per channel are of shape `[channels]` for
 * channels-last data, or keep the reduced axes, as `moments(x, axes, { keepDims: true })` gives
 * them). `offset` and `scale` may be `null` (no shift, no scaling). A composite: its gradients in
 * every argument are those of its formula.
 *
 * @param x The input, float32 or float64.
 * @param mean The mean to subtract.
 * @param variance The variance to divide by (through its square root).
 * @param offset β, added last, or `null`.
 * @param scale γ, multiplying the normalized value, or `null`.
 * @param varianceEpsilon A small number added to the variance, so it is never divided by 0.
 * @returns The normalized tensor, of the broadcast shape.
 * @example Normalizing two channels by their statistics
 * ```ts
 * import { batchNormalization } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = [[1, 10], [3, 30]];
 * const y = batchNormalization(x, [2, 20], [1, 100], [0, 1], [1, 2], 0);
 * assert.deepEqual(y.toArray(), [[-1, -1], [1, 3]]);
 * ```
 */
export function batchNormalization(
  x: TensorLike,
  mean: TensorLike,
  variance: TensorLike,
  offset: TensorLike | null,
  scale: TensorLike | null,
  varianceEpsilon: number,
): Tensor {
  const op = "batchNormalization";
  checkFinite(op, "varianceEpsilon", varianceEpsilon);
  const given = [x, mean, variance, offset, scale].filter((v): v is TensorLike => v !== null);
  const ts = toTensors(op, given);
  requireFloat(op, ts[0]);
  ts.reduce((shape, t) => broadcastShapes(op, shape, t.shape), ts[0].shape);
  const [xt, m, v] = ts;
  const o = offset === null ? null : ts[3];
  const s = scale === null ? null : ts[offset === null ? 3 : 4];
  // NOTE: (x - mean)·inv rather than TensorFlow's x·inv + (offset - mean·inv): one more pass over
  // x in eager mode (none under jit, which fuses the chain), and no cancellation where the mean
  // is large beside the spread.
  let inv = rsqrt(add(v, varianceEpsilon));
  if (s !== null) inv = multiply(inv, s);
  const y = multiply(subtract(xt, m), inv);
  return o === null ? y : add(y, o);
}
