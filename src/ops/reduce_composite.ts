/**
 * Reductions composed of primitives of several families (`reduceMean`, `reduceLogSumExp`,
 * `reduceProd`): above the families, so that `reduce.ts` imports none of them.
 */
import { toTensor } from "../core/convert.ts";
import type { Axis, Tensor, TensorLike } from "../core/tensor.ts";
import { normalizeAxes, sizeOf } from "../core/shape.ts";
import { checkBoolean } from "../core/check.ts";
import { add, divide, multiply, subtract } from "./binary.ts";
import { less, where } from "./compare.ts";
import { cast, stopGradient } from "./cast.ts";
import { concat, reshape, slice, transpose } from "./movement.ts";
import { fill } from "./creation.ts";
import { abs, exp, log } from "./unary.ts";
import { reduceMax, reduceSum } from "./reduce.ts";
import { requireFloat, requireNumeric } from "./_define.ts";

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
  let cur = reshape(transpose(t, perm), [sizeOf(kept), -1]);
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
