/**
 * Forward mode with many directions at once: each tangent carries a leading axis of n
 * directions, so `jacfwd` and `hessian` pay the per-op overhead once rather than n times.
 */
import { describeValue } from "../core/check.ts";
import { withTransform } from "../core/dispatch.ts";
import { Tensor } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";
import { eye, fill } from "../ops/creation.ts";
import { reshape, transpose } from "../ops/movement.ts";
import { refuseAsync } from "../tape/gradient_tape.ts";
import { ForwardEngine } from "./engine.ts";

/**
 * The Jacobian of `f` at `x` by one forward pass with all `x.size` unit directions:
 * shape `[...y.shape, ...x.shape]`. `op` names the caller in errors.
 */
export function forwardJacobian<X extends Tensor | Variable>(
  op: string,
  f: (x: X) => Tensor,
  x: X,
): Tensor {
  const n = x.size;
  const engine = new ForwardEngine([n]);
  const directions = reshape(eye(n, x.dtype), [n, ...x.shape]);
  if (x instanceof Variable) engine.seedVariable(x, directions);
  else engine.seed(x as Tensor, directions);
  const y = refuseAsync(op, withTransform(engine, () => f(x)), "f");
  if (!(y instanceof Tensor)) {
    throw new TypeError(`${op}: f must return a Tensor, not ${describeValue(y)}`);
  }
  const shape = [...y.shape, ...x.shape];
  const dy = engine.tangentOf(y);
  if (dy === null) return fill(shape, 0, y.dtype);
  // dy is [n, ...y.shape]: move the direction axis last, then unfold it into x's shape.
  const perm = [...y.shape.map((_, i) => i + 1), 0];
  return reshape(transpose(dy, perm), shape);
}
