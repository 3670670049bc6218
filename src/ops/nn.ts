/** Neural-network helpers, all composites written to stay finite for logits of any size. */
import { toTensor, toTensors } from "../core/convert.ts";
import { isFloat } from "../core/dtype.ts";
import { broadcastShapes, fmtShape, normalizeAxis, sameShape } from "../core/shape.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";
import { requireFloat } from "./_define.ts";
import { divide, multiply, subtract } from "./binary.ts";
import { stopGradient } from "./cast.ts";
import { negative, softplus, square } from "./unary.ts";
import { reduceMax, reduceSum } from "./reduce.ts";
import { reduceLogSumExp } from "./reduce_composite.ts";
import { exp } from "./unary.ts";

/**
 * `exp(x) / Σ exp(x)` along `axis`, with the maximum taken out first so it never overflows.
 *
 * @param logits The input, float32 or float64.
 * @param axis The axis to normalise over (default -1).
 * @returns Probabilities summing to 1 along `axis`.
 * @example Softmax of a row
 * ```ts
 * import { softmax } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(softmax([1000, 1000]).toArray(), [0.5, 0.5]);
 * ```
 */
export function softmax(logits: TensorLike, axis = -1): Tensor {
  const x = toTensor(logits, { op: "softmax" });
  requireFloat("softmax", x);
  const a = normalizeAxis("softmax", axis, x.rank);
  // NOTE: the shift is a constant for differentiation: softmax(x - c) = softmax(x) for any c.
  const e = exp(subtract(x, stopGradient(reduceMax(x, a, true))));
  return divide(e, reduceSum(e, a, true));
}

/**
 * `x - log Σ exp(x)` along `axis`, computed stably.
 *
 * @param logits The input, float32 or float64.
 * @param axis The axis (default -1).
 * @returns Log-probabilities along `axis`.
 * @example Log-softmax of large logits
 * ```ts
 * import { logSoftmax } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(logSoftmax([10000, 0]).toArray(), [0, -10000]);
 * ```
 */
export function logSoftmax(logits: TensorLike, axis = -1): Tensor {
  const x = toTensor(logits, { op: "logSoftmax" });
  requireFloat("logSoftmax", x);
  const a = normalizeAxis("logSoftmax", axis, x.rank);
  return subtract(x, reduceLogSumExp(x, a, true));
}

/**
 * Cross-entropy between `labels` (a distribution along `axis`) and `softmax(logits)`:
 * `-Σ labels · logSoftmax(logits)`. TensorFlow's argument order; differentiable in both.
 *
 * @param labels Target probabilities, of `logits`' shape.
 * @param logits Unnormalised log-probabilities.
 * @param axis The class axis (default -1).
 * @returns The loss, of the shape of `logits` without `axis`.
 * @example One example, two classes
 * ```ts
 * import { softmaxCrossEntropyWithLogits } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * // Equal logits give the true class probability 1/2, so the loss is log 2.
 * assertAllClose(softmaxCrossEntropyWithLogits([[0, 1]], [[0, 0]]), [Math.LN2]);
 * ```
 */
export function softmaxCrossEntropyWithLogits(
  labels: TensorLike,
  logits: TensorLike,
  axis = -1,
): Tensor {
  const [z, x] = lossOperands(
    "softmaxCrossEntropyWithLogits",
    "probabilities (one-hot rows, say) of the logits' dtype",
    'pass one-hot float labels (cast one-hot int32 labels with cast(labels, "float32"))',
    labels,
    logits,
  );
  if (!sameShape(z.shape, x.shape)) {
    throw new Error(
      `softmaxCrossEntropyWithLogits: labels ${fmtShape(z.shape)} and logits ` +
        `${fmtShape(x.shape)} must have the same shape`,
    );
  }
  const a = normalizeAxis("softmaxCrossEntropyWithLogits", axis, x.rank);
  return negative(reduceSum(multiply(z, logSoftmax(x, a)), a));
}

/**
 * Elementwise binary cross-entropy between `labels` and `sigmoid(logits)`, written as
 * `softplus(x) - x·z`, which stays finite for logits of any size.
 *
 * @param labels Targets in [0, 1].
 * @param logits Unnormalised log-odds, broadcast with `labels`.
 * @returns The elementwise loss.
 * @example A confident, correct prediction costs little
 * ```ts
 * import { sigmoidCrossEntropyWithLogits } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(sigmoidCrossEntropyWithLogits([1, 0], [10000, -10000]).toArray(), [0, 0]);
 * ```
 */
export function sigmoidCrossEntropyWithLogits(labels: TensorLike, logits: TensorLike): Tensor {
  const [z, x] = lossOperands(
    "sigmoidCrossEntropyWithLogits",
    "probabilities in [0, 1] of the logits' dtype",
    'pass float labels, e.g. cast(labels, "float32")',
    labels,
    logits,
  );
  broadcastShapes("sigmoidCrossEntropyWithLogits", z.shape, x.shape);
  // NOTE: max(x,0) - x·z + log(1 + e^-|x|) is this same function: softplus is a stable primitive.
  return subtract(softplus(x), multiply(x, z));
}

/**
 * Half the sum of squares: `Σx² / 2`, as `tf.nn.l2_loss`.
 *
 * @param x The input.
 * @returns A scalar.
 * @example L2 loss
 * ```ts
 * import { l2Loss } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(l2Loss([3, 4]).item(), 12.5);
 * ```
 */
export function l2Loss(x: TensorLike): Tensor {
  const t = toTensor(x, { op: "l2Loss" });
  requireFloat("l2Loss", t);
  return divide(reduceSum(square(t)), 2);
}

// The labels and logits of a loss, both float: integer labels are refused up front, as casting
// the logits to match them (what a dtype mismatch error would suggest) would cut the gradient.
function lossOperands(
  op: string,
  what: string,
  fix: string,
  labels: TensorLike,
  logits: TensorLike,
): Tensor[] {
  const given = labels instanceof Tensor || labels instanceof Variable ? labels.dtype : undefined;
  if (given !== undefined && !isFloat(given)) {
    throw new TypeError(`${op}: labels must be ${what}, not ${given}: ${fix}`);
  }
  const [z, x] = toTensors(op, [labels, logits]);
  if (!isFloat(x.dtype)) {
    throw new TypeError(
      `${op}: logits must be float32 or float64, got ${x.dtype}: cast them with ` +
        `cast(logits, "float32")`,
    );
  }
  return [z, x];
}
