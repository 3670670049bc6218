/**
 * Batch dimensions, in two uses. Forward rules take tangents with extra leading dimensions, so
 * that many directions go through one pass (`jacfwd`, `hessian`): a tangent of `x` has shape
 * `[...lead, ...x.shape]`, and rules keep `lead` in front. And the batching rules of `vmap`, for
 * the common shapes of op (JAX's `defvectorized`, `defbroadcasting`).
 */
import { bind, type Primitive } from "../core/dispatch.ts";
import type { Tensor } from "../core/tensor.ts";
import { broadcastTo, expandDims, reshape, transpose } from "./_lax.ts";

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

// Batching rules (vmap): each primitive's `batch` facet, for the common shapes of op.

/** `x` with its mapped axis moved to the front; an unmapped `x` as it is. */
export function toFront(x: Tensor, axis: number | null): Tensor {
  if (axis === null || axis === 0) return x;
  const perm = [axis];
  for (let i = 0; i < x.rank; i++) if (i !== axis) perm.push(i);
  return transpose(x, perm);
}

/** `x` (mapped axis in front) with size-1 axes after that axis, so one example has rank `rank`. */
export function padRank(x: Tensor, rank: number): Tensor {
  const missing = rank - (x.rank - 1);
  if (missing <= 0) return x;
  return reshape(x, [x.shape[0], ...new Array<number>(missing).fill(1), ...x.shape.slice(1)]);
}

/** Every input with the mapped axis in front; unmapped ones broadcast along it to `size`. */
export function allMapped(
  xs: readonly Tensor[],
  axes: readonly (number | null)[],
  size: number,
): Tensor[] {
  return xs.map((x, i) =>
    axes[i] === null ? broadcastTo(expandDims(x, 0), [size, ...x.shape]) : toFront(x, axes[i])
  );
}

/** The rule of ops that treat each element (or each example) alike: the op as it is. */
export function vectorized<A>(
  self: Primitive<A>,
  xs: readonly Tensor[],
  axes: readonly (number | null)[],
  attrs: A,
): readonly [Tensor, number | null] {
  return [bind(self, xs, attrs), axes[0]];
}

/**
 * The rule of elementwise ops with numpy broadcasting: mapped inputs get their axis in front and
 * size-1 axes after it, which unmapped inputs (aligned from the right) broadcast against.
 */
export function broadcasting<A>(
  self: Primitive<A>,
  xs: readonly Tensor[],
  axes: readonly (number | null)[],
  attrs: A,
): readonly [Tensor, number | null] {
  let rank = 0;
  for (let i = 0; i < xs.length; i++) {
    rank = Math.max(rank, xs[i].rank - (axes[i] === null ? 0 : 1));
  }
  const ys = xs.map((x, i) => (axes[i] === null ? x : padRank(toFront(x, axes[i]), rank)));
  return [bind(self, ys, attrs), 0];
}

/** The rule of ops whose inputs must all have one shape: every input mapped, in front. */
export function sameShapes<A>(
  self: Primitive<A>,
  xs: readonly Tensor[],
  axes: readonly (number | null)[],
  attrs: A,
  size: number,
): readonly [Tensor, number | null] {
  return [bind(self, allMapped(xs, axes, size), attrs), 0];
}
