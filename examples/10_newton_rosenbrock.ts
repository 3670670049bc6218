/**
 * Newton's method on the Rosenbrock function f(x, y) = (1 − x)² + 100(y − x²)², from the classic
 * starting point (−1.2, 1), with the gradient from `gt.grad`, the Hessian from `gt.hessian`, and
 * each step from `gt.linalg.solve`.
 *
 * Run: `deno run examples/10_newton_rosenbrock.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

/** The Rosenbrock function of a point p = [x, y]. Its minimum is f(1, 1) = 0. */
export function rosenbrock(p: gt.Tensor): gt.Tensor {
  const [x, y] = gt.split(p, 2);
  return gt.square(gt.subtract(1, x)).add(gt.multiply(100, gt.square(y.sub(gt.square(x))))).sum();
}

/** Runs the example. */
export function main(): void {
  // The minimum lies at the bottom of a long, curved, nearly flat valley along y = x², where
  // gradient descent crawls. Newton's method models f near the current point by its second-order
  // Taylor expansion, f(p + Δ) ≈ f + gᵀΔ + ½ΔᵀHΔ, and jumps to that model's minimum, the Δ
  // that solves H·Δ = −g. Near the minimum the error squares at every step.
  const gradient = gt.grad(rosenbrock);
  const hessian = gt.hessian(rosenbrock); // forward-mode Jacobian of the reverse-mode gradient

  // float64: in float32, f's rounding error (about 1e-7 of its size) would stop the iteration
  // long before the point is right to 1e-6.
  let p = gt.constant([-1.2, 1], { dtype: "float64" });

  // At the start, the derivatives next to their closed forms:
  //   ∇f = (−2(1 − x) − 400x(y − x²), 200(y − x²))
  //   H  = [[2 − 400(y − x²) + 800x², −400x], [−400x, 200]]
  const [x0, y0] = p.data();
  const list = (xs: ArrayLike<number>) => `[${Array.from(xs, (n) => n.toFixed(10)).join(", ")}]`;
  console.log("f(x, y) = (1 - x)² + 100(y - x²)², starting from (-1.2, 1)");
  console.log(`Gradient at the start: ${list(gradient(p).data())}`);
  const g0 = [-2 * (1 - x0) - 400 * x0 * (y0 - x0 ** 2), 200 * (y0 - x0 ** 2)];
  console.log(`Expected (closed form): ${list(g0)}`);
  console.log(`Hessian at the start (row by row): ${list(hessian(p).data())}`);
  const h11 = 2 - 400 * (y0 - x0 ** 2) + 800 * x0 ** 2;
  console.log(`Expected (closed form): ${list([h11, -400 * x0, -400 * x0, 200])}`);
  console.log();

  // Pure Newton has no line search: it trusts the quadratic model even far from the minimum, and
  // at the second and fourth steps it overshoots (f goes up) before the steps home in.
  const fmt = (n: number) => n.toFixed(12).padStart(16);
  const exp = (n: number, width: number) => n.toExponential(width - 8).padStart(width);
  console.log("Iteration                x                y              f(x, y)    |step|");
  const report = (k: number, q: gt.Tensor, step: string) => {
    const [x, y] = q.data();
    console.log(
      `${String(k).padStart(9)} ${fmt(x)} ${fmt(y)} ${exp(rosenbrock(q).item(), 20)} ${step}`
        .trimEnd(),
    );
  };
  report(0, p, "");

  let iterations = 0;
  for (let k = 1; k <= 50; k++) {
    // The step Δ solves H·Δ = −g (gt.linalg.solve takes a batch of right-hand sides as columns).
    const step = gt.linalg.solve(hessian(p), gradient(p).reshape([2, 1])).reshape([2]).neg();
    const [dx, dy] = step.data();
    p = p.add(step);
    iterations = k;
    report(k, p, exp(Math.hypot(dx, dy), 9));
    // Stop once the step no longer moves the point (in float64).
    if (Math.hypot(dx, dy) < 1e-12) break;
  }

  const [x, y] = p.data();
  console.log();
  console.log(`Stopped after ${iterations} Newton steps (the last one moved less than 1e-12)`);
  console.log(`Final point: (${x}, ${y})`);
  console.log(`Expected (the minimum): (1, 1)`);
  console.log(`Final f: ${rosenbrock(p).item()}`);
  console.log(`Expected: 0`);
  console.log(`Distance to (1, 1): ${Math.hypot(x - 1, y - 1).toExponential(2)}`);
}

if (import.meta.main) main();
