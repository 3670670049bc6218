/**
 * Loss functions with Keras's names, formulas and reduction: each `(yTrue, yPred, options)`
 * computes a loss per example (over the last axis) and, by default, averages it over the batch
 * (Keras's `"sum_over_batch_size"`). Probabilities are clipped to `[1e-7, 1 - 1e-7]` before
 * their logarithm unless `fromLogits` is set, as Keras's are.
 *
 * @module
 */
import { checkBoolean, checkFinite, checkOneOf, checkOptions } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import { isFloat } from "../core/dtype.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { add, multiply, subtract } from "../ops/binary.ts";
import { cast } from "../ops/cast.ts";
import { lessEqual, where } from "../ops/compare.ts";
import { squeeze } from "../ops/movement.ts";
import {
  clipByValue,
  sigmoidCrossEntropyWithLogits,
  softmaxCrossEntropyWithLogits,
  sparseSoftmaxCrossEntropyWithLogits,
} from "../ops/nn.ts";
import { reduceSum } from "../ops/reduce.ts";
import { reduceMean } from "../ops/reduce_composite.ts";
import { abs, log, negative, square } from "../ops/unary.ts";

/** How per-example losses become the result, as Keras's `reduction`. */
export type Reduction = "sum_over_batch_size" | "sum" | "none";

/** Options of the regression losses (`meanSquaredError`, `meanAbsoluteError`). */
export interface LossOptions {
  /** `"sum_over_batch_size"` (default: the mean of the per-example losses), `"sum"`, `"none"`. */
  reduction?: Reduction;
}

/** Options of `losses.huber`. */
export interface HuberOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/** Options of the cross-entropy losses. */
export interface CrossentropyOptions extends LossOptions {
  /** Whether `yPred` holds logits rather than probabilities (default false). */
  fromLogits?: boolean;
  /** Moves the labels toward uniform by this fraction, in [0, 1] (default 0). */
  labelSmoothing?: number;
}

/** Options of `losses.sparseCategoricalCrossentropy`. */
export interface SparseCrossentropyOptions extends LossOptions {
  /** Whether `yPred` holds logits rather than probabilities (default false). */
  fromLogits?: boolean;
}

// Keras's `backend.epsilon()`.
const EPSILON = 1e-7;
const REDUCTIONS: Reduction[] = ["sum_over_batch_size", "sum", "none"];

function reduce(
  op: string,
  perExample: Tensor,
  reduction: Reduction = "sum_over_batch_size",
): Tensor {
  checkOneOf(op, "reduction", reduction, REDUCTIONS);
  if (reduction === "none") return perExample;
  // An empty batch's mean is 0, as Keras's (a sum divided with no NaN for 0 / 0).
  const sum = reduction === "sum" || perExample.size === 0;
  return sum ? reduceSum(perExample) : reduceMean(perExample);
}

// yPred as a float tensor and yTrue in its dtype and shape (a trailing axis of 1 on one side
// only is dropped, as Keras does).
function operands(op: string, yTrue: TensorLike, yPred: TensorLike): [Tensor, Tensor] {
  const pred = toTensor(yPred, { op });
  if (!isFloat(pred.dtype)) {
    throw new TypeError(
      `${op}: yPred must be float32 or float64, not ${pred.dtype}: cast it with cast(yPred, "float32")`,
    );
  }
  let truth = yTrue instanceof Tensor ? yTrue : toTensor(yTrue, { op, dtype: pred.dtype });
  if (truth.dtype !== pred.dtype) truth = cast(truth, pred.dtype);
  let p = pred;
  if (truth.rank === p.rank + 1 && truth.shape[truth.rank - 1] === 1) truth = squeeze(truth, -1);
  else if (p.rank === truth.rank + 1 && p.shape[p.rank - 1] === 1) p = squeeze(p, -1);
  if (!sameShape(truth.shape, p.shape)) {
    throw new RangeError(
      `${op}: yTrue and yPred must have the same shape, got ${fmtShape(truth.shape)} and ` +
        `${fmtShape(p.shape)}`,
    );
  }
  return [truth, p];
}

// The mean over the last axis: the loss of each example (a scalar input stays a scalar).
const lastMean = (t: Tensor) => (t.rank === 0 ? t : reduceMean(t, -1));

/**
 * The mean of `(yTrue - yPred)²` over the last axis, averaged over the batch.
 *
 * @param yTrue Targets.
 * @param yPred Predictions, of the same shape.
 * @param options `reduction`.
 * @returns A scalar (or the per-example losses, with `reduction: "none"`).
 * @example
 * ```ts
 * import { losses } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(losses.meanSquaredError([[0, 1], [0, 0]], [[1, 1], [1, 0]]).item(), 0.5);
 * ```
 */
export function meanSquaredError(
  yTrue: TensorLike,
  yPred: TensorLike,
  options: LossOptions = {},
): Tensor {
  const op = "losses.meanSquaredError";
  checkOptions(op, options, ["reduction"]);
  const [t, p] = operands(op, yTrue, yPred);
  return reduce(op, lastMean(square(subtract(t, p))), options.reduction);
}

/**
 * The mean of `|yTrue - yPred|` over the last axis, averaged over the batch.
 *
 * @param yTrue Targets.
 * @param yPred Predictions, of the same shape.
 * @param options `reduction`.
 * @returns A scalar (or the per-example losses, with `reduction: "none"`).
 * @example
 * ```ts
 * import { losses } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(losses.meanAbsoluteError([[0, 1], [0, 0]], [[2, 1], [1, 0]]).item(), 0.75);
 * ```
 */
export function meanAbsoluteError(
  yTrue: TensorLike,
  yPred: TensorLike,
  options: LossOptions = {},
): Tensor {
  const op = "losses.meanAbsoluteError";
  checkOptions(op, options, ["reduction"]);
  const [t, p] = operands(op, yTrue, yPred);
  return reduce(op, lastMean(abs(subtract(t, p))), options.reduction);
}

/**
 * The Huber loss, as Keras's: with `e = yPred - yTrue`, `e²/2` where `|e| ≤ delta` and
 * `delta·|e| - delta²/2` beyond, averaged over the last axis and then the batch.
 *
 * @param yTrue Targets.
 * @param yPred Predictions, of the same shape.
 * @param options `delta` (default 1) and `reduction`.
 * @returns A scalar (or the per-example losses, with `reduction: "none"`).
 * @example Quadratic near, linear far
 * ```ts
 * import { losses } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(losses.huber([[0, 0]], [[0.5, 3]]).item(), (0.125 + 2.5) / 2);
 * ```
 */
export function huber(yTrue: TensorLike, yPred: TensorLike, options: HuberOptions = {}): Tensor {
  const op = "losses.huber";
  checkOptions(op, options, ["delta", "reduction"]);
  const { delta = 1 } = options;
  checkFinite(op, "delta", delta);
  if (!(delta > 0)) throw new RangeError(`${op}: delta must be positive, not ${delta}`);
  const [t, p] = operands(op, yTrue, yPred);
  const e = subtract(p, t), a = abs(e);
  const loss = where(
    lessEqual(a, delta),
    multiply(square(e), 0.5),
    subtract(multiply(a, delta), 0.5 * delta * delta),
  );
  return reduce(op, lastMean(loss), options.reduction);
}

function checkSmoothing(op: string, labelSmoothing: number): void {
  checkFinite(op, "labelSmoothing", labelSmoothing);
  if (labelSmoothing < 0 || labelSmoothing > 1) {
    throw new RangeError(`${op}: labelSmoothing must be in [0, 1], not ${labelSmoothing}`);
  }
}

/**
 * Binary cross-entropy, as Keras's: `-(y·log p + (1 - y)·log(1 - p))` averaged over the last
 * axis and then the batch, with `p` clipped to `[1e-7, 1 - 1e-7]`, or computed stably from
 * logits with `fromLogits`.
 *
 * @param yTrue Labels in [0, 1].
 * @param yPred Probabilities (or logits, with `fromLogits`), of the same shape.
 * @param options `fromLogits`, `labelSmoothing` (labels move toward 1/2) and `reduction`.
 * @returns A scalar (or the per-example losses, with `reduction: "none"`).
 * @example Probabilities or logits, the same loss
 * ```ts
 * import { losses } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const expected = -(Math.log(0.8) + Math.log(0.6)) / 2;
 * assertAllClose(losses.binaryCrossentropy([[1, 0]], [[0.8, 0.4]]), expected);
 * const logit = (p: number) => Math.log(p / (1 - p));
 * assertAllClose(
 *   losses.binaryCrossentropy([[1, 0]], [[logit(0.8), logit(0.4)]], { fromLogits: true }),
 *   expected,
 * );
 * ```
 */
export function binaryCrossentropy(
  yTrue: TensorLike,
  yPred: TensorLike,
  options: CrossentropyOptions = {},
): Tensor {
  const op = "losses.binaryCrossentropy";
  checkOptions(op, options, ["fromLogits", "labelSmoothing", "reduction"]);
  const { fromLogits = false, labelSmoothing = 0 } = options;
  checkBoolean(op, "fromLogits", fromLogits);
  checkSmoothing(op, labelSmoothing);
  let [t, p] = operands(op, yTrue, yPred);
  if (labelSmoothing > 0) t = add(multiply(t, 1 - labelSmoothing), 0.5 * labelSmoothing);
  let loss: Tensor;
  if (fromLogits) loss = sigmoidCrossEntropyWithLogits(t, p);
  else {
    const q = clipByValue(p, EPSILON, 1 - EPSILON);
    loss = negative(add(multiply(t, log(q)), multiply(subtract(1, t), log(subtract(1, q)))));
  }
  return reduce(op, lastMean(loss), options.reduction);
}

/**
 * Categorical cross-entropy, as Keras's: `-Σ y·log p` over the last (classes) axis, averaged
 * over the batch. Probabilities are first divided by their sum and clipped to
 * `[1e-7, 1 - 1e-7]`; with `fromLogits`, `p = softmax(yPred)` is computed stably instead.
 *
 * @param yTrue One-hot (or soft) labels `[..., classes]`.
 * @param yPred Probabilities (or logits, with `fromLogits`), of the same shape.
 * @param options `fromLogits`, `labelSmoothing` (labels move toward uniform) and `reduction`.
 * @returns A scalar (or the per-example losses, with `reduction: "none"`).
 * @example
 * ```ts
 * import { losses } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const loss = losses.categoricalCrossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
 * assertAllClose(loss, -(Math.log(0.95) + Math.log(0.1)) / 2);
 * ```
 */
export function categoricalCrossentropy(
  yTrue: TensorLike,
  yPred: TensorLike,
  options: CrossentropyOptions = {},
): Tensor {
  const op = "losses.categoricalCrossentropy";
  checkOptions(op, options, ["fromLogits", "labelSmoothing", "reduction"]);
  const { fromLogits = false, labelSmoothing = 0 } = options;
  checkBoolean(op, "fromLogits", fromLogits);
  checkSmoothing(op, labelSmoothing);
  let [t, p] = operands(op, yTrue, yPred);
  if (p.rank === 0) throw new RangeError(`${op}: yPred must have a classes axis, got a scalar`);
  if (labelSmoothing > 0) {
    const classes = p.shape[p.rank - 1];
    t = add(multiply(t, 1 - labelSmoothing), labelSmoothing / classes);
  }
  let loss: Tensor;
  if (fromLogits) loss = softmaxCrossEntropyWithLogits(t, p);
  else {
    const q = clipByValue(p.div(reduceSum(p, -1, true)), EPSILON, 1 - EPSILON);
    loss = negative(reduceSum(multiply(t, log(q)), -1));
  }
  return reduce(op, loss, options.reduction);
}

/**
 * Categorical cross-entropy with integer labels, as Keras's: `-log p[label]`, averaged over the
 * batch; probabilities are normalized and clipped to `[1e-7, 1 - 1e-7]` first, or, with
 * `fromLogits`, `p = softmax(yPred)` is computed stably.
 *
 * @param yTrue int32 class indices `[...]` (or `[..., 1]`); plain arrays are read as int32.
 * @param yPred Probabilities (or logits) `[..., classes]`.
 * @param options `fromLogits` and `reduction`.
 * @returns A scalar (or the per-example losses, with `reduction: "none"`).
 * @example
 * ```ts
 * import { losses } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const loss = losses.sparseCategoricalCrossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
 * assertAllClose(loss, -(Math.log(0.95) + Math.log(0.1)) / 2);
 * ```
 */
export function sparseCategoricalCrossentropy(
  yTrue: TensorLike,
  yPred: TensorLike,
  options: SparseCrossentropyOptions = {},
): Tensor {
  const op = "losses.sparseCategoricalCrossentropy";
  checkOptions(op, options, ["fromLogits", "reduction"]);
  const { fromLogits = false } = options;
  checkBoolean(op, "fromLogits", fromLogits);
  const p = toTensor(yPred, { op });
  if (!isFloat(p.dtype)) {
    throw new TypeError(`${op}: yPred must be float32 or float64, not ${p.dtype}`);
  }
  let labels = yTrue instanceof Tensor ? yTrue : toTensor(yTrue, { op, dtype: "int32" });
  if (labels.dtype !== "int32") {
    throw new TypeError(
      `${op}: yTrue must hold int32 class indices, not ${labels.dtype}: ` +
        `cast them with cast(yTrue, "int32")`,
    );
  }
  if (labels.rank === p.rank && labels.shape[labels.rank - 1] === 1) labels = squeeze(labels, -1);
  if (p.rank === 0 || !sameShape(labels.shape, p.shape.slice(0, -1))) {
    throw new RangeError(
      `${op}: yTrue's shape must be yPred's without its classes axis, got ` +
        `${fmtShape(labels.shape)} and ${fmtShape(p.shape)}`,
    );
  }
  // Keras's way with probabilities: the log of the normalized, clipped ones taken as logits.
  const logits = fromLogits
    ? p
    : log(clipByValue(p.div(reduceSum(p, -1, true)), EPSILON, 1 - EPSILON));
  return reduce(op, sparseSoftmaxCrossEntropyWithLogits(labels, logits), options.reduction);
}
