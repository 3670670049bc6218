/** Clipping by norm: `clipByNorm` and `clipByGlobalNorm`, composites (as TensorFlow's). */
import { checkFinite, describeValue } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import type { DType } from "../core/dtype.ts";
import { normalizeAxes } from "../core/shape.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { requireFloat } from "./_define.ts";
import { add, divide, maximum, multiply, subtract } from "./binary.ts";
import { cast } from "./cast.ts";
import { greater, where } from "./compare.ts";
import { reduceSum } from "./reduce.ts";
import { sqrt, square } from "./unary.ts";

/**
 * `x` scaled so that its L2 norm over `axes` is at most `clipNorm`: `x · clipNorm /
 * max(‖x‖, clipNorm)`, as `tf.clip_by_norm`. A slice whose norm is within the bound is unchanged,
 * and an all-zero one stays zero with a finite gradient.
 *
 * @param t The tensor, float32 or float64.
 * @param clipNorm The largest norm, a positive number.
 * @param axes The axes the norm is taken over (default all: the whole tensor's norm); each slice
 *   along the other axes is clipped on its own.
 * @returns The clipped tensor, of `t`'s shape.
 * @example A vector of norm 10 clipped to norm 5, and rows clipped one by one
 * ```ts
 * import { clipByNorm } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(clipByNorm([6, 8], 5).toArray(), [3, 4]);
 * assert.deepEqual(clipByNorm([[6, 8], [1, 2]], 5, 1).toArray(), [[3, 4], [1, 2]]);
 * ```
 */
export function clipByNorm(t: TensorLike, clipNorm: number, axes?: number | number[]): Tensor {
  const x = toTensor(t, { op: "clipByNorm" });
  requireFloat("clipByNorm", x);
  checkClipNorm("clipByNorm", clipNorm);
  const sum = reduceSum(square(x), normalizeAxes("clipByNorm", axes, x.rank), true);
  const norm = safeSqrt(sum);
  return divide(multiply(x, clipNorm), maximum(norm, clipNorm));
}

/**
 * Scales every tensor of a list by the same factor, so that their global norm (the L2 norm of
 * all their elements together) is at most `clipNorm`, as `tf.clip_by_global_norm`: each becomes
 * `t · clipNorm / max(globalNorm, clipNorm)`. A global norm of 0 leaves them as they are; an
 * infinite or NaN one makes every value NaN, as TensorFlow does, so that a training step that
 * overflowed shows it. `null` entries (a gradient of an unconnected variable) stay `null`.
 *
 * @param tensors The tensors (float32 or float64; the norm is float64 if any is), or `null`s.
 * @param clipNorm The largest global norm, a positive number.
 * @returns `[clipped, globalNorm]`: the tensors clipped, in order, and their global norm before
 *   clipping.
 * @example Two gradients of global norm 10 clipped to 5
 * ```ts
 * import { clipByGlobalNorm } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const [[a, b], norm] = clipByGlobalNorm([[6], [8]], 5);
 * assert.equal(norm.item(), 10);
 * assert.deepEqual([a.item(), b.item()], [3, 4]);
 * ```
 */
export function clipByGlobalNorm(
  tensors: readonly TensorLike[],
  clipNorm: number,
): [Tensor[], Tensor];
/**
 * `clipByGlobalNorm` of a list with `null` entries, as `tape.gradient` gives for variables the
 * loss does not reach: they stay `null` and count for nothing.
 *
 * @param tensors The tensors, or `null`s.
 * @param clipNorm The largest global norm, a positive number.
 * @returns `[clipped, globalNorm]`, `null` where `tensors` has `null`.
 * @example A gradient list with a hole
 * ```ts
 * import { clipByGlobalNorm } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const [[a, b], norm] = clipByGlobalNorm([[6, 8], null], 5);
 * assert.deepEqual([a?.toArray(), b, norm.item()], [[3, 4], null, 10]);
 * ```
 */
export function clipByGlobalNorm(
  tensors: readonly (TensorLike | null)[],
  clipNorm: number,
): [(Tensor | null)[], Tensor];
export function clipByGlobalNorm(
  tensors: readonly (TensorLike | null)[],
  clipNorm: number,
): [(Tensor | null)[], Tensor] {
  if (!Array.isArray(tensors)) {
    throw new TypeError(
      `clipByGlobalNorm: tensors must be an array of tensors, not ${describeValue(tensors)}`,
    );
  }
  checkClipNorm("clipByGlobalNorm", clipNorm);
  const xs = tensors.map((t, i) => {
    if (t === null) return null;
    const x = toTensor(t, { op: "clipByGlobalNorm" });
    if (x.dtype !== "float32" && x.dtype !== "float64") {
      throw new TypeError(
        `clipByGlobalNorm: tensor ${i} is ${x.dtype}: expects float32 or float64 tensors, cast ` +
          `it with cast(x, "float32")`,
      );
    }
    return x;
  });
  const present = xs.filter((x): x is Tensor => x !== null);
  const dtype: DType = present.some((x) => x.dtype === "float64") ? "float64" : "float32";
  let sum = toTensor(0, { dtype, op: "clipByGlobalNorm" });
  for (const x of present) sum = add(sum, cast(reduceSum(square(x)), dtype));
  const norm = safeSqrt(sum);
  // NOTE: (norm - norm) is 0 for a finite norm and NaN for an infinite or NaN one, which then
  // reaches every value, as in TensorFlow.
  const scale = add(divide(clipNorm, maximum(norm, clipNorm)), subtract(norm, norm));
  const clipped = xs.map((x) => (x === null ? null : multiply(x, cast(scale, x.dtype))));
  return [clipped, norm];
}

// sqrt(s) with a finite gradient at s = 0 (0 · sqrt'(1) rather than 0 · ∞), as TensorFlow's
// clip_by_norm takes it.
function safeSqrt(s: Tensor): Tensor {
  const positive = greater(s, 0);
  return where(positive, sqrt(where(positive, s, 1)), s);
}

function checkClipNorm(op: string, clipNorm: unknown): void {
  if (typeof clipNorm !== "number") {
    throw new TypeError(
      `${op}: clipNorm must be a positive number, not ${describeValue(clipNorm)}`,
    );
  }
  checkFinite(op, "clipNorm", clipNorm);
  if (!(clipNorm > 0)) {
    throw new RangeError(`${op}: clipNorm must be positive, not ${clipNorm}`);
  }
}
