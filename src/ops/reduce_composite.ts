/**
 * Reductions composed of primitives of several families (`reduceMean`, `reduceLogSumExp`,
 * `reduceProd`, `reduceAny`, `reduceAll`, `reduceVariance`, `reduceStd`, `reduceEuclideanNorm`,
 * `norm`, `moments`): above the families, so that `reduce.ts` imports none of them.
 */
import { toTensor } from "../core/convert.ts";
import type { Axis, Tensor, TensorLike } from "../core/tensor.ts";
import { normalizeAxes, sizeOf } from "../core/shape.ts";
import { checkBoolean, checkOptions, describeValue } from "../core/check.ts";
import { add, divide, multiply, pow, subtract } from "./binary.ts";
import { greater, less, where } from "./compare.ts";
import { cast, stopGradient } from "./cast.ts";
import { concat, reshape, slice, transpose } from "./movement.ts";
import { fill } from "./creation.ts";
import { abs, exp, log, sqrt, square } from "./unary.ts";
import { reduceMax, reduceMin, reduceSum } from "./reduce.ts";
import { requireFloat, requireNumeric } from "./_define.ts";
import { svd } from "./linalg/svd.ts";

/**
 * Mean over `axis` (a composite: the sum divided by the count).
 *
 * @param x The input, float32 or float64.
 * @param axis The axes to reduce (all when omitted).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns The means.
 * @example Mean of all elements
 * ```ts
 * import { reduceMean } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(reduceMean([[1, 2], [3, 4]]).item(), 2.5);
 * ```
 */
export function reduceMean(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const t = toTensor(x, { op: "reduceMean" });
  const axes = normalizeAxes("reduceMean", axis, t.rank);
  checkBoolean("reduceMean", "keepDims", keepDims);
  requireNumeric("reduceMean", t);
  let count = 1;
  for (const a of axes) count *= t.shape[a];
  const mean = divide(reduceSum(t, axes, keepDims), count);
  // An int32 mean stays int32, truncated toward zero, as TensorFlow's.
  return t.dtype === "int32" ? cast(mean, "int32") : mean;
}

/**
 * `log(Σ exp(x))` over `axis`, computed stably (the maximum is taken out first), so it stays
 * finite for inputs of any size.
 *
 * @param x The input, float32 or float64.
 * @param axis The axes to reduce (all when omitted).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns The log-sum-exp.
 * @example Large inputs stay finite
 * ```ts
 * import { reduceLogSumExp } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(reduceLogSumExp([1000, 1000]), 1000 + Math.LN2);
 * ```
 */
export function reduceLogSumExp(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const t = toTensor(x, { op: "reduceLogSumExp" });
  const axes = normalizeAxes("reduceLogSumExp", axis, t.rank);
  checkBoolean("reduceLogSumExp", "keepDims", keepDims);
  requireFloat("reduceLogSumExp", t);
  // NOTE: the shift is a constant for differentiation; the result's gradient is softmax either way.
  // An infinite maximum (all -Infinity, say) would make x - m NaN; shift by 0 there instead.
  const raw = reduceMax(t, axes, true);
  const m = stopGradient(where(less(abs(raw), Infinity), raw, 0));
  const s = log(reduceSum(exp(subtract(t, m)), axes, true));
  const r = add(s, m);
  return keepDims ? r : reshape(r, r.shape.filter((_, i) => !axes.includes(i)));
}

/**
 * Product over `axis` (a composite: halves multiplied pairwise, so it is exact with zeros in
 * every order of derivative, in log₂(n) steps).
 *
 * @param x The input.
 * @param axis The axes to reduce (all when omitted).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns The products.
 * @example Row products
 * ```ts
 * import { reduceProd } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reduceProd([[1, 2, 3], [4, 5, 6]], 1).toArray(), [6, 120]);
 * ```
 */
export function reduceProd(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const t = toTensor(x, { op: "reduceProd" });
  const axes = normalizeAxes("reduceProd", axis, t.rank);
  checkBoolean("reduceProd", "keepDims", keepDims);
  requireNumeric("reduceProd", t);
  const kept = t.shape.filter((_, i) => !axes.includes(i));
  // Move the reduced axes last and flatten them: [rest, n].
  const perm = [...t.shape.keys()].filter((i) => !axes.includes(i)).concat(axes);
  // The reduced length given, not -1: with nothing kept (an empty batch) -1 has no one value.
  let cur = reshape(transpose(t, perm), [sizeOf(kept), sizeOf(axes.map((i) => t.shape[i]))]);
  if (cur.shape[1] === 0) cur = fill([cur.shape[0], 1], 1, t.dtype);
  while (cur.shape[1] > 1) {
    const half = Math.floor(cur.shape[1] / 2);
    const odd = cur.shape[1] % 2;
    const lo = slice(cur, [0, 0], [-1, half]);
    const hi = slice(cur, [0, half], [-1, half]);
    const prod = multiply(lo, hi);
    cur = odd ? concat([prod, slice(cur, [0, 2 * half], [-1, 1])], 1) : prod;
  }
  const shape = keepDims ? t.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept;
  return reshape(cur, shape);
}

// The checked input and its sorted, distinct axes.
function reduceInput(
  op: string,
  x: TensorLike,
  axis: Axis | undefined,
  keepDims: boolean,
): { t: Tensor; axes: number[] } {
  const t = toTensor(x, { op });
  const axes = normalizeAxes(op, axis, t.rank);
  checkBoolean(op, "keepDims", keepDims);
  return { t, axes };
}

function requireBool(op: string, t: Tensor): void {
  if (t.dtype !== "bool") {
    throw new TypeError(
      `${op}: expects a bool tensor, got ${t.dtype}: compare first, e.g. notEqual(x, 0)`,
    );
  }
}

// `r` (reduced with kept axes) with the reduced axes dropped unless `keepDims`.
function dropAxes(r: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
  return keepDims ? r : reshape(r, r.shape.filter((_, i) => !axes.includes(i)));
}

/**
 * Whether any element is true over `axis` (false over none, as TensorFlow's).
 *
 * @param x A bool tensor.
 * @param axis The axes to reduce (all when omitted; negative axes count from the end).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns A bool tensor.
 * @example Rows with a true entry
 * ```ts
 * import { reduceAny } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reduceAny([[true, false], [false, false]], 1).toArray(), [true, false]);
 * ```
 */
export function reduceAny(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const { t, axes } = reduceInput("reduceAny", x, axis, keepDims);
  requireBool("reduceAny", t);
  return greater(reduceMax(cast(t, "int32"), axes, keepDims), 0);
}

/**
 * Whether every element is true over `axis` (true over none, as TensorFlow's).
 *
 * @param x A bool tensor.
 * @param axis The axes to reduce (all when omitted; negative axes count from the end).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns A bool tensor.
 * @example Columns that are all true
 * ```ts
 * import { reduceAll } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reduceAll([[true, false], [true, true]], 0).toArray(), [true, false]);
 * ```
 */
export function reduceAll(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const { t, axes } = reduceInput("reduceAll", x, axis, keepDims);
  requireBool("reduceAll", t);
  return greater(reduceMin(cast(t, "int32"), axes, keepDims), 0);
}

// The mean and the mean squared deviation from it, both with the reduced axes kept.
function meanAndVariance(t: Tensor, axes: readonly number[]): [Tensor, Tensor] {
  const mean = reduceMean(t, axes, true);
  return [mean, reduceMean(square(subtract(t, mean)), axes, true)];
}

/**
 * Variance over `axis`: the mean squared deviation from the mean (divided by the count, as
 * TensorFlow's), in two passes, so no cancellation for values far from 0.
 *
 * @param x The input, float32 or float64.
 * @param axis The axes to reduce (all when omitted).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns The variances.
 * @example Variance of each row
 * ```ts
 * import { reduceVariance } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reduceVariance([[1, 3], [2, 2]], 1).toArray(), [1, 0]);
 * ```
 */
export function reduceVariance(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const { t, axes } = reduceInput("reduceVariance", x, axis, keepDims);
  requireFloat("reduceVariance", t);
  return dropAxes(meanAndVariance(t, axes)[1], axes, keepDims);
}

/**
 * Standard deviation over `axis`: the square root of `reduceVariance` (its gradient is infinite
 * where the variance is 0, as TensorFlow's).
 *
 * @param x The input, float32 or float64.
 * @param axis The axes to reduce (all when omitted).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns The standard deviations.
 * @example Standard deviation of all elements
 * ```ts
 * import { reduceStd } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(reduceStd([2, 4, 4, 4, 5, 5, 7, 9]).item(), 2);
 * ```
 */
export function reduceStd(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const { t, axes } = reduceInput("reduceStd", x, axis, keepDims);
  requireFloat("reduceStd", t);
  return sqrt(dropAxes(meanAndVariance(t, axes)[1], axes, keepDims));
}

/**
 * `sqrt(Σ x²)` over `axis`, scaled by the largest magnitude first, so that it neither overflows
 * nor underflows where the squares would (float32 values of 1e20 give 1e20, not Infinity).
 *
 * @param x The input, float32 or float64.
 * @param axis The axes to reduce (all when omitted).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns The Euclidean norms.
 * @example Lengths of rows
 * ```ts
 * import { reduceEuclideanNorm } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reduceEuclideanNorm([[3, 4], [1e20, 1e20]], 1).toArray(), [5, Math.fround(1e20 * Math.SQRT2)]);
 * ```
 */
export function reduceEuclideanNorm(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  const { t, axes } = reduceInput("reduceEuclideanNorm", x, axis, keepDims);
  requireFloat("reduceEuclideanNorm", t);
  return dropAxes(euclidean(t, axes), axes, keepDims);
}

// NOTE: the scale is a constant for differentiation: the norm's gradient is x / norm either way.
// Where it is 0 or not finite (all zeros, an infinity, a NaN) the plain sum of squares is right.
function euclidean(t: Tensor, axes: readonly number[]): Tensor {
  const big = reduceMax(abs(t), axes, true);
  const scale = stopGradient(where(greater(big, 0), where(less(big, Infinity), big, 1), 1));
  return multiply(scale, sqrt(reduceSum(square(divide(t, scale)), axes, true)));
}

/** Options of `norm`. */
export interface NormOptions {
  /**
   * Which norm: `"euclidean"` (the default: the 2-norm of vectors, Frobenius of matrices),
   * `"fro"` (matrices), `1`, `2`, `Infinity`, or for vectors any positive number p (the p-norm).
   */
  ord?: "euclidean" | "fro" | number;
  /**
   * One axis (a batch of vectors), two (a batch of matrices), or omitted: the whole tensor as one
   * vector.
   */
  axis?: number | readonly [number, number];
  /** Keep the reduced axes as length 1 (default false). */
  keepDims?: boolean;
}

/**
 * A vector or matrix norm, as `tf.norm`: over one axis (or the whole tensor) a vector norm
 * (`"euclidean"`, 1, 2, `Infinity` or any positive p), over two axes a matrix norm (`"euclidean"`
 * or `"fro"`, 1: the largest column sum of magnitudes, `Infinity`: the largest row sum, 2: the
 * largest singular value, from `linalg.svd`, whose gradient is undefined where the two largest
 * singular values are equal).
 *
 * @param x The input, float32 or float64.
 * @param options `ord`, `axis` and `keepDims`.
 * @returns The norms.
 * @example Vector and matrix norms
 * ```ts
 * import { norm } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(norm([3, -4]).item(), 5);
 * assert.equal(norm([3, -4], { ord: 1 }).item(), 7);
 * assert.equal(norm([3, -4], { ord: Infinity }).item(), 4);
 * const m = [[1, -2], [3, 4]];
 * assert.equal(norm(m, { ord: 1, axis: [0, 1] }).item(), 6);
 * assert.equal(norm(m, { ord: Infinity, axis: [0, 1] }).item(), 7);
 * assert.ok(Math.abs(norm([[3, 0], [0, -5]], { ord: 2, axis: [0, 1] }).item() - 5) < 1e-6);
 * ```
 */
export function norm(x: TensorLike, options: NormOptions = {}): Tensor {
  const t = toTensor(x, { op: "norm" });
  checkOptions("norm", options, ["ord", "axis", "keepDims"]);
  const { ord = "euclidean", axis, keepDims = false } = options;
  checkBoolean("norm", "keepDims", keepDims);
  requireFloat("norm", t);
  const matrix = Array.isArray(axis) && axis.length === 2;
  if (axis !== undefined && typeof axis !== "number" && !matrix) {
    throw new TypeError(
      `norm: axis must be one axis (vectors) or two (matrices), not ${describeValue(axis)}`,
    );
  }
  const axes = normalizeAxes("norm", axis, t.rank);
  const r = matrix
    ? matrixNorm(t, ord, normalizeAxes("norm", axis[0], t.rank)[0], axes)
    : vectorNorm(t, ord, axes);
  return dropAxes(r, axes, keepDims);
}

function badOrd(ord: unknown, matrix: boolean): Error {
  return new (typeof ord === "number" ? RangeError : TypeError)(
    `norm: ord ${describeValue(ord)} is not a ${matrix ? "matrix" : "vector"} norm: use ` +
      (matrix
        ? `"euclidean", "fro", 1, 2 or Infinity`
        : `"euclidean", 1, 2, Infinity or another positive number (for matrices "fro", with two axes)`),
  );
}

// Norms of vectors along `axes`, the axes kept.
function vectorNorm(t: Tensor, ord: unknown, axes: readonly number[]): Tensor {
  if (ord === "euclidean" || ord === 2) return euclidean(t, axes);
  if (typeof ord !== "number" || !(ord > 0)) throw badOrd(ord, false);
  if (ord === 1) return reduceSum(abs(t), axes, true);
  if (ord === Infinity) return reduceMax(abs(t), axes, true);
  return pow(reduceSum(pow(abs(t), ord), axes, true), 1 / ord);
}

// Norms of matrices whose rows run along `rows` (the first axis given), the two axes kept.
function matrixNorm(t: Tensor, ord: unknown, rows: number, axes: readonly number[]): Tensor {
  const cols = axes[0] === rows ? axes[1] : axes[0];
  if (ord === "euclidean" || ord === "fro") return euclidean(t, axes);
  if (ord === 1) return reduceMax(reduceSum(abs(t), rows, true), cols, true);
  if (ord === Infinity) return reduceMax(reduceSum(abs(t), cols, true), rows, true);
  if (ord === 2) {
    // The largest singular value of each matrix, moved to the last two axes for svd.
    const others = t.shape.map((_, i) => i).filter((i) => i !== rows && i !== cols);
    const s = svd(transpose(t, [...others, rows, cols]), { computeUv: false });
    return reshape(reduceMax(s, -1), t.shape.map((d, i) => (i === rows || i === cols ? 1 : d)));
  }
  throw badOrd(ord, true);
}

/** Options of `moments`. */
export interface MomentsOptions {
  /** Keep the reduced axes as length 1 (default false). */
  keepDims?: boolean;
}

/**
 * The mean and variance over `axes` (as `tf.nn.moments`), the variance about the mean in a
 * second pass. Both differentiate exactly, to every order.
 *
 * @param x The input, float32 or float64.
 * @param axes The axes to reduce (negative axes count from the end).
 * @param options `keepDims` (default false).
 * @returns `[mean, variance]`.
 * @example Moments of a batch, per feature
 * ```ts
 * import { moments } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const [mean, variance] = moments([[1, 10], [3, 30]], [0]);
 * assert.deepEqual(mean.toArray(), [2, 20]);
 * assert.deepEqual(variance.toArray(), [1, 100]);
 * ```
 */
export function moments(
  x: TensorLike,
  axes: number | readonly number[],
  options: MomentsOptions = {},
): [Tensor, Tensor] {
  const t = toTensor(x, { op: "moments" });
  checkOptions("moments", options, ["keepDims"]);
  const { keepDims = false } = options;
  if (axes === undefined) {
    throw new TypeError(`moments: axes are required, e.g. [0] for moments over a batch`);
  }
  const { axes: list } = reduceInput("moments", t, axes, keepDims);
  requireFloat("moments", t);
  const [mean, variance] = meanAndVariance(t, list);
  return [dropAxes(mean, list, keepDims), dropAxes(variance, list, keepDims)];
}
