/**
 * Transforms against the passes they are made of: the Hessian of f(x) = Σx⁴ + x·Ax at several n
 * (its cost as n grows); per-example gradients of an MLP (`vmap(grad)`) against one batch gradient
 * of the same MLP, and the Jacobian of tanh(W·x) by `jacrev` against one forward-and-backward
 * pass of a batch as large as the Jacobian has rows (the vmap issue's goals: each at most 3×).
 */
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

// Per-example gradients (W8 of `bench:compare`): a 784-128-10 MLP, batch 64, parameters in a
// record; the baseline is one gradient of the batch's mean loss. Both read back every gradient.
{
  const [batch, inputs, hidden, classes] = [64, 784, 128, 10];
  const params = {
    w1: gt.random.normal([inputs, hidden], { seed: 14, stddev: Math.sqrt(2 / inputs) }),
    b1: gt.random.normal([hidden], { seed: 15, stddev: 0.1 }),
    w2: gt.random.normal([hidden, classes], { seed: 16, stddev: Math.sqrt(2 / hidden) }),
    b2: gt.random.normal([classes], { seed: 17, stddev: 0.1 }),
  };
  type Params = typeof params;
  const x = gt.random.uniform([batch, inputs], { seed: 10 });
  const cls = gt.random.uniform([batch], { seed: 11 }).data() as Float32Array;
  const onehot = new Float32Array(batch * classes);
  cls.forEach((u, i) => onehot[i * classes + Math.min(classes - 1, Math.floor(u * classes))] = 1);
  const labels = gt.constant(onehot, { shape: [batch, classes] });
  const logitsOf = (p: Params, x: gt.Tensor) =>
    gt.matmul(gt.relu(gt.matmul(x, p.w1).add(p.b1)), p.w2).add(p.b2);
  const exampleLoss = (p: Params, x: gt.Tensor, y: gt.Tensor) =>
    gt.reduceSum(
      gt.softmaxCrossEntropyWithLogits(
        y.reshape([1, classes]),
        logitsOf(p, x.reshape([1, inputs])),
      ),
    );
  const batchLoss = (p: Params, x: gt.Tensor, y: gt.Tensor) =>
    gt.reduceMean(gt.softmaxCrossEntropyWithLogits(y, logitsOf(p, x)));
  const perExample = gt.vmap(gt.grad(exampleLoss), { inAxes: [null, 0, 0] });
  const batchGrad = gt.grad(batchLoss);
  const readAll = (g: unknown) => Object.values(g as Params).forEach((t) => t.data());
  Deno.bench({
    name: "per-example gradients vmap(grad), MLP 784-128-10, batch 64",
    group: "per-example gradients",
    fn: () => gt.tidy(() => readAll(perExample(params, x, labels))),
  });
  // The same without the read-back: data() copies the 25.7 MB of gradients into fresh memory.
  Deno.bench({
    name: "per-example gradients vmap(grad), not read back",
    group: "per-example gradients",
    fn: () => gt.tidy(() => void perExample(params, x, labels)),
  });
  Deno.bench({
    name: "one batch gradient, MLP 784-128-10, batch 64",
    group: "per-example gradients",
    baseline: true,
    fn: () => gt.tidy(() => readAll(batchGrad(params, x, labels))),
  });
}

// The Jacobian of tanh(W·x) at n = 256 by jacrev, against one forward-and-backward pass of a
// batch of 256 inputs (the work a one-pass jacrev does: 256 cotangents pulled back at once).
{
  const n = 256;
  const w = gt.random.normal([n, n], { seed: 50, stddev: 1 / Math.sqrt(n) });
  const x = gt.random.normal([n], { seed: 51 });
  const xs = gt.random.normal([n, n], { seed: 52 });
  const jac = gt.jacrev((x: gt.Tensor) => gt.tanh(gt.matmul(w, x.reshape([n, 1])).reshape([n])));
  const batchGrad = gt.grad((xs: gt.Tensor) =>
    gt.reduceSum(gt.tanh(gt.matmul(xs, w, { transposeB: true })))
  );
  Deno.bench({
    name: "jacrev of tanh(W·x), n = 256",
    group: "jacrev",
    fn: () => {
      gt.tidy(() => (jac(x) as gt.Tensor).data());
    },
  });
  Deno.bench({
    name: "forward and backward of tanh(X·Wᵀ), batch of 256, n = 256",
    group: "jacrev",
    baseline: true,
    fn: () => {
      gt.tidy(() => batchGrad(xs).data());
    },
  });
}
