/** `dropout`, a composite of a random mask and a product (as `tf.nn.dropout`). */
import { checkFinite, checkOptions, describeValue } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import { broadcastShapes, checkShape, fmtList, fmtShape, sameShape } from "../core/shape.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { requireFloat } from "./_define.ts";
import { multiply } from "./binary.ts";
import { greaterEqual, where } from "./compare.ts";
import { uniform } from "./random.ts";

/** Options of `dropout`. */
export interface DropoutOptions {
  /**
   * The shape of the random keep/drop mask, which broadcasts to `x`'s shape (default `x`'s):
   * `[batch, 1, 1, channels]` drops whole channels of an image batch `[batch, h, w, channels]`.
   * A `null` entry takes `x`'s length there.
   */
  noiseShape?: readonly (number | null)[];
  /** An integer seed for this call alone: the same seed always gives the same mask. */
  seed?: number;
}

/**
 * Sets each element of `x` to 0 with probability `rate` and scales the others by
 * `1 / (1 - rate)`, so that the expected value is `x`, as `tf.nn.dropout`. The gradient with
 * respect to `x` is the same scaled mask. Masks come from the global generator (see
 * `random.setSeed`), fresh at every call, jitted or not; under `vmap` every example gets the
 * same mask (a draw does not depend on the mapped axis).
 *
 * @param x A float32 or float64 tensor.
 * @param rate The probability of dropping each element, in `[0, 1)`; 0 returns `x`.
 * @param options `noiseShape` (a shape that broadcasts to `x`'s) and `seed` (an integer).
 * @returns A tensor of `x`'s shape and dtype.
 * @example Half the values dropped, the others doubled
 * ```ts
 * import { dropout } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const y = dropout([1, 1, 1, 1, 1, 1, 1, 1], 0.5, { seed: 2 });
 * assert.ok(y.data().every((v) => v === 0 || v === 2));
 * ```
 */
export function dropout(x: TensorLike, rate: number, options: DropoutOptions = {}): Tensor {
  const op = "dropout";
  const t = toTensor(x, { op });
  requireFloat(op, t);
  checkOptions(op, options, ["noiseShape", "seed"]);
  if (typeof rate !== "number") {
    throw new TypeError(`${op}: rate must be a number in [0, 1), not ${describeValue(rate)}`);
  }
  checkFinite(op, "rate", rate);
  if (rate < 0 || rate >= 1) {
    throw new RangeError(
      `${op}: rate must be in [0, 1), not ${rate}: it is the probability of dropping a value`,
    );
  }
  const shape = noiseShapeOf(t.shape, options.noiseShape);
  if (rate === 0) return t;
  const u = uniform(shape, { dtype: t.dtype, seed: options.seed });
  const scale = toTensor(1 / (1 - rate), { dtype: t.dtype, op });
  const mask = where(greaterEqual(u, rate), scale, toTensor(0, { dtype: t.dtype, op }));
  return multiply(t, mask);
}

function noiseShapeOf(
  shape: readonly number[],
  noiseShape: readonly (number | null)[] | undefined,
): number[] {
  if (noiseShape === undefined) return [...shape];
  if (!Array.isArray(noiseShape)) {
    throw new TypeError(
      `dropout: noiseShape must be an array of lengths, not ${describeValue(noiseShape)}`,
    );
  }
  const lead = shape.length - noiseShape.length;
  const filled = noiseShape.map((d, i) => (d === null && i + lead >= 0 ? shape[i + lead] : d));
  if (!filled.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)) {
    throw new TypeError(
      `dropout: noiseShape ${fmtList(noiseShape)} is not valid: give a non-negative integer ` +
        `or null for each axis`,
    );
  }
  checkShape("dropout", filled);
  let broadcast: readonly number[] | undefined;
  try {
    broadcast = broadcastShapes("dropout", filled, shape);
  } catch {
    broadcast = undefined;
  }
  if (broadcast === undefined || !sameShape(broadcast, shape)) {
    throw new Error(
      `dropout: noiseShape ${fmtShape(filled)} does not broadcast to x's shape ` +
        `${fmtShape(shape)}: give x's length or 1 on each axis`,
    );
  }
  return filled;
}
