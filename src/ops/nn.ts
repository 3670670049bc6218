/**
 * Neural-network helpers and activations, all composites written to stay finite for inputs of
 * any size, with the gradients TensorFlow gives at their kinks.
 */
import { checkBoolean, checkFinite, checkOptions } from "../core/check.ts";
import { toTensor, toTensors } from "../core/convert.ts";
import { isFloat } from "../core/dtype.ts";
import { broadcastShapes, fmtShape, normalizeAxis, sameShape } from "../core/shape.ts";
import { dataOf, Tensor, type TensorLike, tracedStorage } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";
import { requireFloat } from "./_define.ts";
import { add, divide, multiply, subtract } from "./binary.ts";
import { stopGradient } from "./cast.ts";
import { equal, greater, greaterEqual, less, logicalAnd, where } from "./compare.ts";
import { range } from "./creation.ts";
import { expandDims } from "./movement.ts";
import { erfc } from "./special.ts";
import { abs, expm1, negative, relu, sigmoid, softplus, square } from "./unary.ts";
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

// A float tensor for an activation named `op`.
function floatInput(op: string, x: TensorLike): Tensor {
  const t = x instanceof Tensor ? x : toTensor(x, { op });
  requireFloat(op, t);
  return t;
}

/**
 * `log σ(x) = -softplus(-x)`, finite for inputs of any size (where `log(sigmoid(x))` gives
 * `-Infinity` below about -745 in float64).
 *
 * @param x The input, float32 or float64.
 * @returns `log σ(x)`, at most 0.
 * @example A large negative input
 * ```ts
 * import { constant, logSigmoid } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(logSigmoid(constant([-1000, 0], { dtype: "float64" })).toArray(), [-1000, -Math.LN2]);
 * ```
 */
export function logSigmoid(x: TensorLike): Tensor {
  return negative(softplus(negative(floatInput("logSigmoid", x))));
}

/**
 * `x / (1 + |x|)`; its gradient `1 / (1 + |x|)²` is 1 at 0.
 *
 * @param x The input, float32 or float64.
 * @returns `softsign(x)`, in (-1, 1).
 * @example
 * ```ts
 * import { softsign } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(softsign([-3, 0, 1]).toArray(), [-0.75, 0, 0.5]);
 * ```
 */
export function softsign(x: TensorLike): Tensor {
  const t = floatInput("softsign", x);
  return divide(t, add(abs(t), 1));
}

/**
 * `x` clipped to `[clipValueMin, clipValueMax]` elementwise, as `tf.clip_by_value`: the bounds
 * broadcast to `x`'s shape. The gradient passes to `x` where `min ≤ x ≤ max` (at the bounds
 * too), and to a bound where `x` is beyond it, as TensorFlow's; NaN stays NaN.
 *
 * @param x The input, float32, float64 or int32.
 * @param clipValueMin The lower bound (a number or a tensor that broadcasts to `x`).
 * @param clipValueMax The upper bound (a number or a tensor that broadcasts to `x`).
 * @returns A tensor of `x`'s shape and dtype.
 * @example
 * ```ts
 * import { clipByValue } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(clipByValue([-2, 0.5, 3], -1, 1).toArray(), [-1, 0.5, 1]);
 * ```
 */
export function clipByValue(
  x: TensorLike,
  clipValueMin: TensorLike,
  clipValueMax: TensorLike,
): Tensor {
  const [t, lo, hi] = toTensors("clipByValue", [x, clipValueMin, clipValueMax]);
  if (t.dtype === "bool") {
    throw new TypeError(`clipByValue: no arithmetic on bool tensors: cast them first`);
  }
  for (const [what, b] of [["clipValueMin", lo], ["clipValueMax", hi]] as const) {
    const shape = broadcastShapes("clipByValue", t.shape, b.shape);
    if (!sameShape(shape, t.shape)) {
      throw new Error(
        `clipByValue: ${what} of shape ${fmtShape(b.shape)} does not broadcast to x's shape ` +
          `${fmtShape(t.shape)}: the bounds must be scalars or broadcast to x`,
      );
    }
  }
  return where(less(t, lo), lo, where(greater(t, hi), hi, t));
}

/**
 * The exponential linear unit: `x` for `x > 0`, `eˣ - 1` elsewhere. Its gradient is 1 at 0, as
 * TensorFlow's (`y < 0 ? y + 1 : 1`).
 *
 * @param x The input, float32 or float64.
 * @returns `elu(x)`, above -1.
 * @example
 * ```ts
 * import { constant, elu } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(elu(constant([-1, 0, 2], { dtype: "float64" })).toArray(), [Math.expm1(-1), 0, 2]);
 * ```
 */
export function elu(x: TensorLike): Tensor {
  return negativePart("elu", x, 1, 1);
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * The scaled exponential linear unit: `scale·x` for `x > 0`, `scale·α·(eˣ - 1)` elsewhere, with
 * TensorFlow's `α ≈ 1.6733` and `scale ≈ 1.0507`; its gradient at 0 is `scale`.
 *
 * @param x The input, float32 or float64.
 * @returns `selu(x)`.
 * @example
 * ```ts
 * import { constant, selu } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(selu(constant([1, -1], { dtype: "float64" })), [1.0507009873554805, 1.0507009873554805 * 1.6732632423543772 * Math.expm1(-1)]);
 * ```
 */
export function selu(x: TensorLike): Tensor {
  return negativePart("selu", x, SELU_SCALE, SELU_SCALE * SELU_ALPHA);
}

// scale·x for x ≥ 0, a·(eˣ - 1) below: the exponential sees min(x, 0) only, so its overflow for
// large x never reaches a gradient through `where` (as 0·Infinity); x = 0 takes the linear branch
// (gradient `scale`), as TensorFlow's rules do.
function negativePart(op: string, x: TensorLike, scale: number, a: number): Tensor {
  const t = floatInput(op, x);
  const neg = less(t, 0);
  const linear = scale === 1 ? t : multiply(t, scale);
  return where(neg, multiply(expm1(where(neg, t, 0)), a), linear);
}

/**
 * The Gaussian error linear unit: `x·Φ(x)` with Φ the standard normal distribution function,
 * computed as `x·erfc(-x/√2)/2` (accurate for large negative `x`, where `1 + erf` is 0); with
 * `approximate: true`, TensorFlow's tanh form `x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))`, computed as
 * `x·σ(2·√(2/π)(x + 0.044715x³))`, the same function without the cancellation.
 *
 * @param x The input, float32 or float64.
 * @param options `approximate`: the tanh form (default false).
 * @returns `gelu(x)`.
 * @example
 * ```ts
 * import { constant, gelu } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const x = constant([0, 1], { dtype: "float64" });
 * assertAllClose(gelu(x), [0, 0.8413447460685429]);
 * assertAllClose(gelu(x, { approximate: true }), [0, 0.8411919906082768]);
 * ```
 */
export function gelu(x: TensorLike, options: GeluOptions = {}): Tensor {
  const t = floatInput("gelu", x);
  checkOptions("gelu", options, ["approximate"]);
  const approximate = options?.approximate ?? false;
  checkBoolean("gelu", "approximate", approximate);
  if (approximate) {
    const cube = multiply(multiply(t, t), t);
    const u = multiply(add(t, multiply(cube, 0.044715)), 2 * Math.sqrt(2 / Math.PI));
    return multiply(t, sigmoid(u));
  }
  return multiply(multiply(t, 0.5), erfc(multiply(t, -Math.SQRT1_2)));
}

/** Options of `gelu`. */
export interface GeluOptions {
  /** Whether to use the tanh approximation (default false: the exact form, with erf). */
  approximate?: boolean;
}

/**
 * The sigmoid linear unit `x·σ(x)` (also called swish).
 *
 * @param x The input, float32 or float64.
 * @returns `silu(x)`.
 * @example
 * ```ts
 * import { silu } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(silu([0, 1000]).toArray(), [0, 1000]);
 * ```
 */
export function silu(x: TensorLike): Tensor {
  const t = floatInput("silu", x);
  return multiply(t, sigmoid(t));
}

/**
 * The sigmoid linear unit `x·σ(x)`: `silu` under TensorFlow's other name.
 *
 * @param x The input, float32 or float64.
 * @returns `swish(x)`, which is `silu(x)`.
 * @example
 * ```ts
 * import { silu, swish } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(swish([-1, 2]).toArray(), silu([-1, 2]).toArray());
 * ```
 */
export function swish(x: TensorLike): Tensor {
  return silu(x);
}

/**
 * The leaky rectifier: `x` for `x > 0`, `alpha·x` elsewhere; its gradient at 0 is `alpha`, as
 * TensorFlow's.
 *
 * @param x The input, float32 or float64.
 * @param alpha The slope below 0 (default 0.2).
 * @returns `leakyRelu(x)`.
 * @example
 * ```ts
 * import { leakyRelu } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(leakyRelu([-2, 3], 0.25).toArray(), [-0.5, 3]);
 * ```
 */
export function leakyRelu(x: TensorLike, alpha = 0.2): Tensor {
  const t = floatInput("leakyRelu", x);
  checkFinite("leakyRelu", "alpha", alpha);
  return where(greater(t, 0), t, multiply(t, alpha));
}

/**
 * `min(max(x, 0), 6)`; its gradient is 1 strictly between 0 and 6 and 0 elsewhere (at 0 and at
 * 6 too), as TensorFlow's. NaN stays NaN.
 *
 * @param x The input, float32, float64 or int32.
 * @returns `relu6(x)`, in [0, 6].
 * @example
 * ```ts
 * import { relu6 } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(relu6([-1, 3, 8]).toArray(), [0, 3, 6]);
 * ```
 */
export function relu6(x: TensorLike): Tensor {
  const t = x instanceof Tensor ? x : toTensor(x, { op: "relu6" });
  if (t.dtype === "bool") {
    throw new TypeError(`relu6: no arithmetic on bool tensors: cast them first`);
  }
  return where(greaterEqual(t, 6), 6, relu(t));
}

/**
 * Cross-entropy between integer class `labels` and `softmax(logits)` along the last axis, as
 * TensorFlow's: `-logSoftmax(logits)[…, label]`, stable for logits of any size. Its gradient in
 * the logits is `softmax(logits) - oneHot(labels)`; labels get none.
 *
 * @param labels int32 class indices in `[0, numClasses)`, of the logits' shape without its
 *   last axis. Out of range is an error (in eager mode: inside `vmap` or `jit` the labels have no
 *   values to check).
 * @param logits Unnormalized log-probabilities, float32 or float64, of shape `[…, numClasses]`.
 * @returns The loss per example, of the labels' shape.
 * @example
 * ```ts
 * import { constant, sparseSoftmaxCrossEntropyWithLogits } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const labels = constant([0, 1], { dtype: "int32" });
 * const loss = sparseSoftmaxCrossEntropyWithLogits(labels, [[0, 0], [1000, 0]]);
 * assertAllClose(loss, [Math.LN2, 1000]);
 * ```
 */
export function sparseSoftmaxCrossEntropyWithLogits(
  labels: TensorLike,
  logits: TensorLike,
): Tensor {
  const op = "sparseSoftmaxCrossEntropyWithLogits";
  const given = labels instanceof Tensor || labels instanceof Variable;
  const z = toTensor(labels, { op, dtype: given ? undefined : "int32" });
  if (z.dtype !== "int32") {
    throw new TypeError(
      `${op}: labels must be int32 class indices, not ${z.dtype}: cast them with ` +
        `cast(labels, "int32"), or use softmaxCrossEntropyWithLogits for probabilities`,
    );
  }
  const x = toTensor(logits, { op });
  if (!isFloat(x.dtype)) {
    throw new TypeError(
      `${op}: logits must be float32 or float64, got ${x.dtype}: cast them with ` +
        `cast(logits, "float32")`,
    );
  }
  if (x.rank === 0 || !sameShape(z.shape, x.shape.slice(0, -1))) {
    throw new Error(
      `${op}: labels ${fmtShape(z.shape)} must have the shape of logits ${fmtShape(x.shape)} ` +
        `without its last axis (the classes)`,
    );
  }
  const classes = x.shape[x.rank - 1];
  const known = tracedStorage(z) === undefined;
  if (known) checkLabels(op, dataOf(z), classes);
  const picked = equal(expandDims(z, -1), range(0, classes, 1, "int32"));
  const loss = negative(reduceSum(where(picked, logSoftmax(x, -1), 0), -1));
  if (known) return loss;
  // Under jit or vmap the labels have no values here to check: a row whose label is out of range
  // gets NaN, as TensorFlow's GPU kernel gives, rather than a loss of 0 that trains on nothing.
  return where(logicalAnd(greaterEqual(z, 0), less(z, classes)), loss, NaN);
}

function checkLabels(op: string, labels: ArrayLike<number>, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label < 0 || label >= classes) {
      throw new RangeError(
        `${op}: label ${label} (at flat index ${i}) is out of range for ${classes} classes: ` +
          `labels must be in [0, ${classes - 1}]`,
      );
    }
  }
}
