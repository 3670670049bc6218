/**
 * Helpers that let forward rules take tangents with extra leading (batch) dimensions, so that
 * many directions go through one pass (`jacfwd`, `hessian`). A tangent of `x` has shape
 * `[...lead, ...x.shape]`; rules keep `lead` in front and treat the rest as usual.
 */
import type { Tensor } from "../core/tensor.ts";
import { broadcastTo, reshape } from "./movement.ts";

interface Shaped {
  readonly shape: readonly number[];
  readonly rank: number;
}

/** The leading dimensions `t` carries beyond the shape of its primal `x`. */
export function lead(t: Shaped, x: Shaped): number[] {
  return t.shape.slice(0, t.rank - x.rank);
}

/** `t` (a tangent of `x`) with size-1 axes inserted so it broadcasts against `out`'s shape. */
export function lift(t: Tensor, x: Shaped, out: Shaped): Tensor {
  if (x.rank === out.rank) return t;
  return reshape(t, [...lead(t, x), ...new Array(out.rank - x.rank).fill(1), ...x.shape]);
}

/** `t` (a tangent of `x`) broadcast to `[...lead, ...out.shape]`. */
export function spread(t: Tensor, x: Shaped, out: Shaped): Tensor {
  return broadcastTo(lift(t, x, out), [...lead(t, x), ...out.shape]);
}

/** Axes of the primal shifted past the leading dimensions of its tangent `t`. */
export function shiftAxes(axes: readonly number[], t: Shaped, x: Shaped): number[] {
  const n = t.rank - x.rank;
  return axes.map((a) => a + n);
}
