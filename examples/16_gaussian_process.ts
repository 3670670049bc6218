/**
 * Gaussian-process regression, as a scientist would write it: the negative log marginal
 * likelihood of noisy data under an RBF kernel, written with `gt.linalg.cholesky` and
 * `gt.linalg.triangularSolve`, its gradient with respect to the kernel's three hyperparameters
 * from `gt.valueAndGrad`, Adam to fit them, and then Newton's method, `gt.linalg.solve` on the
 * Hessian from `gt.hessian`, to finish the fit to float64 precision. The fitted curve and its
 * uncertainty band go to an SVG figure.
 *
 * Run: `deno run --allow-read --allow-write --allow-env examples/16_gaussian_process.ts
 * [--out DIR]` (the figure goes to `DIR/16_gaussian_process.svg`, `./out` by default).
 *
 * @module
 */
import * as gt from "../mod.ts";
import { outDir, writeFigure } from "./_plot.ts";
import { Progress } from "./_progress.ts";

/** The data: `n` noisy samples of f(x) = sin(3x) + x/2 at seeded points in [-2, 2). */
export function setup(n = 40): { x: gt.Tensor; y: gt.Tensor } {
  const x = gt.random.uniform([n], { minval: -2, maxval: 2, seed: 7, dtype: "float64" });
  const noise = gt.random.normal([n], { stddev: 0.15, seed: 8, dtype: "float64" });
  return { x, y: gt.sin(x.mul(3)).add(x.mul(0.5)).add(noise) };
}

/** The RBF kernel k(a, b) = σf² exp(−(a − b)² / 2ℓ²) between two sets of points. */
export function rbf(a: gt.Tensor, b: gt.Tensor, lengthScale: gt.Tensor, signal: gt.Tensor) {
  const d = gt.subtract(a.reshape([-1, 1]), b.reshape([1, -1]));
  return gt.square(signal).mul(gt.exp(gt.square(d).div(gt.square(lengthScale).mul(-2))));
}

/**
 * The negative log marginal likelihood of `y` at points `x`, at θ = [log ℓ, log σf, log σn]:
 * with K = k(x, x) + σn²I = LLᵀ, it is ½‖L⁻¹y‖² + Σ log Lᵢᵢ + (n/2) log 2π.
 */
export function negLogLikelihood(theta: gt.Tensor, x: gt.Tensor, y: gt.Tensor): gt.Tensor {
  const [lengthScale, signal, noise] = gt.split(gt.exp(theta), 3);
  const n = x.shape[0];
  const k = rbf(x, x, lengthScale, signal).add(gt.eye(n, x.dtype).mul(gt.square(noise)));
  const l = gt.linalg.cholesky(k);
  const z = gt.linalg.triangularSolve(l, y.reshape([n, 1]), { lower: true });
  return gt.addN([
    gt.reduceSum(gt.square(z)).mul(0.5),
    gt.reduceSum(gt.log(gt.linalg.diagPart(l))),
    gt.constant((n / 2) * Math.log(2 * Math.PI), { dtype: x.dtype }),
  ]);
}

/** The posterior mean and standard deviation of f at `xs`, given the data, at `theta`. */
export function posterior(
  theta: gt.Tensor,
  x: gt.Tensor,
  y: gt.Tensor,
  xs: gt.Tensor,
): { mean: gt.Tensor; std: gt.Tensor } {
  const [lengthScale, signal, noise] = gt.split(gt.exp(theta), 3);
  const n = x.shape[0];
  const k = rbf(x, x, lengthScale, signal).add(gt.eye(n, x.dtype).mul(gt.square(noise)));
  const l = gt.linalg.cholesky(k);
  const ks = rbf(x, xs, lengthScale, signal); // [n, m]
  // mean = k(xs, x) K⁻¹ y and var = σf² − Σ (L⁻¹ k(x, xs))², column by column.
  const v = gt.linalg.triangularSolve(l, ks, { lower: true });
  const alpha = gt.linalg.triangularSolve(
    l,
    gt.linalg.triangularSolve(l, y.reshape([n, 1]), { lower: true }),
    { lower: true, adjoint: true },
  );
  const mean = gt.matmul(ks, alpha, { transposeA: true }).reshape([-1]);
  const variance = gt.square(signal).sub(gt.reduceSum(gt.square(v), 0));
  return { mean, std: gt.sqrt(gt.maximum(variance, 0)) };
}

const fmtTheta = (theta: gt.Tensor): string =>
  Array.from(gt.exp(theta).data(), (v) => v.toFixed(6)).join(", ");

/** Runs the example, prints its progress and writes its figure under `--out`. */
export async function main(args: readonly string[] = []): Promise<void> {
  const { x, y } = setup();
  const nll = (theta: gt.Tensor) => negLogLikelihood(theta, x, y);
  const valueAndGrad = gt.valueAndGrad(nll);

  // Start from ℓ = 1, σf = 1, σn = 0.5 and check the gradient against central differences.
  const theta0 = gt.constant([0, 0, Math.log(0.5)], { dtype: "float64" });
  const [nll0, grad0] = valueAndGrad(theta0);
  const h = 1e-6;
  const central = [0, 1, 2].map((i) => {
    const step = gt.oneHot(gt.constant([i], { dtype: "int32" }), 3, { dtype: "float64" })
      .reshape([3]).mul(h);
    return (nll(theta0.add(step)).item() - nll(theta0.sub(step)).item()) / (2 * h);
  });
  const list = (xs: ArrayLike<number>) => `[${Array.from(xs, (v) => v.toFixed(8)).join(", ")}]`;
  console.log(`Gaussian-process regression of ${x.shape[0]} noisy samples of sin(3x) + x/2`);
  console.log(
    `Hyperparameters θ = [log ℓ, log σf, log σn], starting at ℓ, σf, σn = ${fmtTheta(theta0)}`,
  );
  console.log(`NLL at the start: ${nll0.item().toFixed(10)}`);
  console.log(`Gradient at the start: ${list(grad0.data())}`);
  console.log(`Central differences:   ${list(central)}`);
  console.log();

  // Adam on θ, as a Keras user would fit hyperparameters: a few dozen steps get close.
  const theta = new gt.Variable(theta0, { name: "theta" });
  const adam = new gt.optimizers.Adam({ learningRate: 0.05 });
  const steps = 60;
  const losses: number[] = [];
  const bar = new Progress("Adam", steps);
  for (let step = 0; step < steps; step++) {
    const [value, gradient] = valueAndGrad(theta.value());
    adam.applyGradients([[gradient, theta]]);
    losses.push(value.item());
    if (step % 20 === 0) {
      console.log(`Adam step ${String(step).padStart(3)}: NLL = ${losses[step].toFixed(8)}`);
    }
    bar.tick(step, { nll: losses[step] });
  }
  bar.done();
  console.log(`After Adam: ℓ, σf, σn = ${fmtTheta(theta.value())}`);
  console.log(
    `Gradient norm after Adam: ${gt.norm(valueAndGrad(theta.value())[1]).item().toExponential(3)}`,
  );
  console.log();

  // Newton's method from there: solve H·Δ = g with the exact Hessian and step by −Δ; the
  // gradient's norm squares at every step once the point is close, which Adam's steps never do.
  const hessian = gt.hessian(nll);
  let t = theta.value();
  console.log("Newton step   NLL                 gradient norm");
  for (let k = 1; k <= 8; k++) {
    const [value, g] = valueAndGrad(t);
    const delta = gt.linalg.solve(hessian(t), g.reshape([3, 1])).reshape([3]);
    t = t.sub(delta);
    const norm = gt.norm(valueAndGrad(t)[1]).item();
    console.log(
      `${String(k).padStart(11)}   ${value.item().toFixed(12)}   ${norm.toExponential(3)}`,
    );
    if (norm < 1e-10) break;
  }
  console.log(`Fitted: ℓ, σf, σn = ${fmtTheta(t)}`);
  console.log(`Fitted θ: ${list(t.data())}`);
  console.log(`NLL at the fit: ${nll(t).item().toFixed(10)}`);

  const xs = gt.linspace(-2.5, 2.5, 200).cast("float64");
  const { mean, std } = posterior(t, x, y, xs);
  const upper = mean.add(std.mul(2)), lower = mean.sub(std.mul(2));
  const path = await writeFigure(outDir(args), "16_gaussian_process.svg", [
    {
      title: "Gaussian-process fit (mean ± 2σ)",
      xLabel: "x",
      yLabel: "y",
      series: [
        { name: "data", kind: "points", color: "black", x: x.data(), y: y.data() },
        { name: "posterior mean", kind: "line", color: "steelblue", x: xs.data(), y: mean.data() },
        {
          name: "mean + 2σ",
          kind: "dashed",
          color: "lightsteelblue",
          x: xs.data(),
          y: upper.data(),
        },
        {
          name: "mean − 2σ",
          kind: "dashed",
          color: "lightsteelblue",
          x: xs.data(),
          y: lower.data(),
        },
      ],
    },
    {
      title: "Negative log marginal likelihood under Adam",
      xLabel: "step",
      yLabel: "NLL",
      series: [{ kind: "line", color: "crimson", x: losses.map((_, i) => i), y: losses }],
    },
  ]);
  console.log(`Figure written to ${path}`);
}

if (import.meta.main) await main(Deno.args);
