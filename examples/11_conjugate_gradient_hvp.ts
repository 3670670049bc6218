/**
 * A Newton step for a function of 50 variables without ever forming its Hessian: conjugate
 * gradient solves H·p = −g using only Hessian-vector products from `gt.hvp`. On a small case the
 * answer is checked against the explicit Hessian from `gt.hessian`.
 *
 * Run: `deno run examples/11_conjugate_gradient_hvp.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

const float64 = { dtype: "float64" } as const;

/** The linear term's coefficients, bᵢ = sin(i + 1). */
export function linearTerm(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(i + 1));
}

/** The point where the Newton step is taken, x₀ᵢ = 2·cos(0.3·i). */
export function startingPoint(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 2 * Math.cos(0.3 * i));
}

/**
 * f(x) = Σ xᵢ² + ½ Σ (xᵢ₊₁ − xᵢ)² − bᵀx + Σ log(1 + xᵢ²)/10, for x of any length n ≥ 2.
 *
 * The quadratic part's Hessian is 2I plus the chain's Laplacian, whose eigenvalues lie in
 * [2, 6]; the last term's second derivative, (1 − xᵢ²)/(5(1 + xᵢ²)²), lies in [−0.025, 0.2].
 * So H is symmetric positive definite everywhere (f is convex) and well conditioned.
 */
export function objective(x: gt.Tensor): gt.Tensor {
  const n = x.shape[0];
  const b = gt.constant(linearTerm(n), { dtype: x.dtype });
  const differences = gt.slice(x, [1], [n - 1]).sub(gt.slice(x, [0], [n - 1]));
  return gt.reduceSum(gt.square(x))
    .add(gt.multiply(0.5, gt.reduceSum(gt.square(differences))))
    .sub(gt.reduceSum(b.mul(x)))
    .add(gt.divide(gt.reduceSum(gt.log1p(gt.square(x))), 10));
}

const dot = (a: gt.Tensor, b: gt.Tensor): number => gt.reduceSum(a.mul(b)).item();
const norm = (a: gt.Tensor): number => Math.sqrt(dot(a, a));

/**
 * Solves H·p = −g by conjugate gradient, where H is f's Hessian at x, touching H only through
 * `gt.hvp`. Returns p and the residual norm ‖−g − H·p‖ after each iteration.
 */
function newtonStepByCG(
  f: (x: gt.Tensor) => gt.Tensor,
  x: gt.Tensor,
  { tolerance = 1e-10, maxIterations = 100 } = {},
): { p: gt.Tensor; residuals: number[] } {
  const hv = (v: gt.Tensor) => gt.hvp(f, [x], [v])[0]; // H·v, at about the cost of 2 gradients
  const g = gt.grad(f)(x);
  // Start from p = 0, so the residual r = −g − H·p is −g, and the first search direction too.
  let p = gt.zerosLike(x);
  let r = gt.negative(g);
  let d = r;
  let rr = dot(r, r);
  const stop = tolerance * Math.sqrt(rr);
  const residuals: number[] = [];
  for (let k = 0; k < maxIterations && Math.sqrt(rr) > stop; k++) {
    const Hd = hv(d);
    // The step length that minimises the quadratic model along d…
    const alpha = rr / dot(d, Hd);
    p = p.add(d.mul(alpha));
    r = r.sub(Hd.mul(alpha));
    const rrNext = dot(r, r);
    // …and the next direction: the new residual, made H-conjugate to all the earlier ones.
    d = r.add(d.mul(rrNext / rr));
    rr = rrNext;
    residuals.push(Math.sqrt(rr));
  }
  return { p, residuals };
}

/** Solves a·x = b by Gaussian elimination with partial pivoting (for the small, dense check). */
function solveDense(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i][k]) > Math.abs(m[pivot][k])) pivot = i;
    [m[k], m[pivot]] = [m[pivot], m[k]];
    for (let i = k + 1; i < n; i++) {
      const factor = m[i][k] / m[k][k];
      for (let j = k; j <= n; j++) m[i][j] -= factor * m[k][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = m[i][n];
    for (let j = i + 1; j < n; j++) s -= m[i][j] * x[j];
    x[i] = s / m[i][i];
  }
  return x;
}

/** Runs the example. */
export function main(): void {
  // --- n = 50: conjugate gradient on Hessian-vector products ----------------------------------
  //
  // Newton's step solves H·p = −g. Forming H costs n gradient-sized passes and n² numbers;
  // conjugate gradient needs only products H·v, which gt.hvp computes by differentiating the
  // directional derivative gᵀv (forward mode inside reverse mode), never building H. For a
  // well-conditioned H it converges in far fewer than n iterations.
  const n = 50;
  const x0 = gt.constant(startingPoint(n), float64);
  const g = gt.grad(objective)(x0);
  console.log(`f(x) = Σx² + ½Σ(xᵢ₊₁ - xᵢ)² - bᵀx + Σlog(1 + x²)/10 with n = ${n}`);
  console.log(
    `At x₀ (x₀ᵢ = 2cos(0.3i)): f = ${objective(x0).item().toFixed(12)}, ‖g‖ = ${
      norm(g).toFixed(12)
    }`,
  );
  console.log();

  const { p, residuals } = newtonStepByCG(objective, x0);
  console.log("Conjugate gradient on H·p = -g (stops at ‖r‖ ≤ 1e-10·‖g‖):");
  residuals.forEach((r, k) =>
    console.log(`  CG iteration ${String(k + 1).padStart(2)}: ‖r‖ = ${r.toExponential(6)}`)
  );
  console.log(`Hessian-vector products used: ${residuals.length}, for n = ${n} unknowns`);
  // The residual CG tracks is updated by recurrence; one more product checks it directly.
  const Hp = gt.hvp(objective, [x0], [p])[0];
  console.log(`‖H·p + g‖, recomputed with one more hvp: ${norm(Hp.add(g)).toExponential(2)}`);
  console.log("Expected: 0 (to about 1e-10·‖g‖)");
  console.log();

  console.log("The Newton step p:");
  const values = p.data();
  for (let i = 0; i < n; i += 5) {
    const row = Array.from(values.subarray(i, i + 5), (v) => v.toFixed(12).padStart(16));
    console.log(`  p[${String(i).padStart(2)}..${String(i + 4).padStart(2)}]: ${row.join(" ")}`);
  }
  // Newton-CG: keep stepping. Each outer step solves its own system by CG; near the minimum the
  // gradient's norm roughly squares at every step, as Newton's method promises.
  console.log("Newton-CG, continuing from x₀:");
  let x = x0;
  let step = p;
  for (let k = 1; k <= 5; k++) {
    x = x.add(step);
    const gradNorm = norm(gt.grad(objective)(x));
    console.log(
      `  Newton step ${k}: f = ${objective(x).item().toFixed(12)}, ‖∇f‖ = ${
        gradNorm.toExponential(2)
      }`,
    );
    if (gradNorm < 1e-10) break;
    step = newtonStepByCG(objective, x).p;
  }
  console.log();

  // --- n = 6: the same step from the explicit Hessian -----------------------------------------
  //
  // For a few variables the Hessian is small enough to form and print; solving H·p = −g by
  // elimination must give the same p as conjugate gradient, which, in exact arithmetic, ends in
  // at most n iterations.
  const m = 6;
  const xs = gt.constant(startingPoint(m), float64);
  const H: number[][] = gt.hessian(objective)(xs).toArray();
  console.log(`Small case, n = ${m}: the Hessian from gt.hessian:`);
  for (const row of H) console.log(`  ${row.map((v) => v.toFixed(6).padStart(10)).join(" ")}`);
  const gs = Array.from(gt.grad(objective)(xs).data());
  const direct = solveDense(H, gs.map((v) => -v));
  const small = newtonStepByCG(objective, xs);
  const cg = Array.from(small.p.data());
  const cgHeader = `p by CG (${small.residuals.length} iterations)`;
  console.log(`   i ${cgHeader.padStart(24)} ${"p by elimination on H".padStart(24)}`);
  cg.forEach((v, i) =>
    console.log(
      `  ${String(i).padStart(2)} ${v.toFixed(12).padStart(24)} ${
        direct[i].toFixed(12).padStart(24)
      }`,
    )
  );
  const worst = Math.max(...cg.map((v, i) => Math.abs(v - direct[i])));
  console.log(`Largest difference: ${worst.toExponential(2)}`);
}

if (import.meta.main) main();
