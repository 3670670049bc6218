/** The Hessian of f(x) = Σx⁴ + x·Ax at several n (issue: hessian cost as n grows). */
import * as gt from "../mod.ts";

function problem(n: number): { f: (x: gt.Tensor) => gt.Tensor; x: gt.Tensor } {
  const A = gt.random.normal([n, n], { seed: n });
  const f = (x: gt.Tensor) =>
    gt.add(
      gt.reduceSum(gt.pow(x, 4)),
      gt.reduceSum(gt.multiply(x, gt.matmul(A, x.reshape([n, 1])).reshape([n]))),
    );
  return { f, x: gt.random.normal([n], { seed: n + 1 }) };
}

for (const n of [25, 100, 400]) {
  const { f, x } = problem(n);
  const h = gt.hessian(f);
  Deno.bench({
    name: `hessian of Σx⁴ + x·Ax, n = ${n}`,
    group: "hessian",
    baseline: n === 100,
    fn: () => {
      h(x).data();
    },
  });
}

for (const n of [25, 100, 400]) {
  const { f, x } = problem(n);
  const g = gt.grad(f);
  Deno.bench({
    name: `gradient of Σx⁴ + x·Ax, n = ${n}`,
    group: "gradient",
    baseline: n === 100,
    fn: () => {
      g(x).data();
    },
  });
}
