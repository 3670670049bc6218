/**
 * Per-example gradients with `gt.vmap(gt.grad(loss))`: the loss is written for one example, and
 * vmap runs its gradient on the whole batch at once, giving one gradient per example. Their norms
 * are what DP-SGD clips: each example's gradient is scaled down to norm at most C before they are
 * averaged, so that no single example moves the model by more than C/n.
 *
 * Run: `deno run examples/14_per_example_gradients.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

/** The parameters of a 10-16-3 network with a tanh hidden layer. */
export type Params = { w1: gt.Tensor; b1: gt.Tensor; w2: gt.Tensor; b2: gt.Tensor };

/** The clipping norm C. */
export const clipNorm = 3;

/** The network, a batch of 8 examples and their one-hot labels, the same on every call. */
export function setup(): { params: Params; xs: gt.Tensor; ys: gt.Tensor } {
  const params: Params = {
    w1: gt.random.normal([10, 16], { stddev: 0.5, seed: 1 }),
    b1: gt.zeros([16]),
    w2: gt.random.normal([16, 3], { stddev: 0.5, seed: 2 }),
    b2: gt.zeros([3]),
  };
  const xs = gt.random.normal([8, 10], { seed: 3 });
  const labels = [0, 1, 2, 0, 1, 2, 0, 1];
  const ys = gt.constant(labels.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))));
  return { params, xs, ys };
}

/** The softmax cross-entropy of one example: `x` of 10 features, `y` a one-hot row of 3. */
export function loss(p: Params, x: gt.Tensor, y: gt.Tensor): gt.Tensor {
  const hidden = gt.tanh(gt.matmul(x.reshape([1, 10]), p.w1).add(p.b1));
  const logits = gt.matmul(hidden, p.w2).add(p.b2);
  return gt.reduceSum(gt.softmaxCrossEntropyWithLogits(y.reshape([1, 3]), logits));
}

/** The norm of each example's gradient: all parameters together, as one long vector. */
function norms(grads: Params): gt.Tensor {
  const squares = gt.tree.leaves<gt.Tensor>(grads).map((g) =>
    gt.reduceSum(g.square().reshape([g.shape[0], -1]), 1)
  );
  return gt.sqrt(gt.addN(squares));
}

const fmt = (t: gt.Tensor) => Array.from(t.data(), (v) => v.toFixed(6)).join(", ");

/** Runs the example. */
export function main(): void {
  const { params, xs, ys } = setup();

  // One call: the parameters are shared (inAxes null), x and y are mapped over their first axis.
  const perExample = gt.vmap(gt.grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys);
  console.log(
    `Per-example gradients of a 10-16-3 MLP for a batch of ${xs.shape[0]}: w1 ${
      JSON.stringify(perExample.w1.shape)
    }, b1 ${JSON.stringify(perExample.b1.shape)}, w2 ${JSON.stringify(perExample.w2.shape)}, ` +
      `b2 ${JSON.stringify(perExample.b2.shape)}`,
  );
  const n = norms(perExample);
  console.log(`Per-example gradient norms: [${fmt(n)}]`);

  // The same gradients one example at a time, the loop that vmap replaces.
  let worst = 0;
  for (let i = 0; i < xs.shape[0]; i++) {
    const x = gt.slice(xs, [i, 0], [1, 10]).reshape([10]);
    const y = gt.slice(ys, [i, 0], [1, 3]).reshape([3]);
    const single = gt.grad(loss)(params, x, y);
    for (const k of ["w1", "b1", "w2", "b2"] as const) {
      const row = gt.slice(perExample[k], [i, ...single[k].shape.map(() => 0)], [
        1,
        ...single[k].shape,
      ]);
      worst = Math.max(
        worst,
        gt.reduceMax(gt.abs(row.reshape(single[k].shape).sub(single[k]))).item(),
      );
    }
  }
  console.log(
    `Largest difference from the loop of single-example gradients: ${worst.toExponential(2)}`,
  );

  // DP-SGD's clipping: each gradient times min(1, C/‖g‖), then the mean over the batch (DP-SGD
  // then adds Gaussian noise of scale proportional to C; that part is left out here).
  const scale = gt.minimum(1, gt.divide(clipNorm, n));
  const clipped = gt.tree.map(
    (g: gt.Tensor) => g.mul(scale.reshape([-1, ...g.shape.slice(1).map(() => 1)])),
    perExample,
  ) as Params;
  console.log(`Clipping at C = ${clipNorm}: scales [${fmt(scale)}]`);
  console.log(`Clipped norms: [${fmt(norms(clipped))}]`);
  const mean = gt.tree.map((g: gt.Tensor) => gt.reduceMean(g, 0), clipped) as Params;
  const meanNorm = Math.sqrt(
    gt.tree.leaves<gt.Tensor>(mean).reduce((s, g) => s + gt.reduceSum(g.square()).item(), 0),
  );
  console.log(`Norm of the mean clipped gradient: ${meanNorm.toFixed(6)}`);

  // Without clipping, the mean of the per-example gradients is the gradient of the mean loss.
  const batch = gt.grad((p: Params) =>
    gt.reduceMean(gt.vmap(loss, { inAxes: [null, 0, 0] })(p, xs, ys))
  )(params);
  const gap = Math.max(
    ...(["w1", "b1", "w2", "b2"] as const).map((k) =>
      gt.reduceMax(gt.abs(gt.reduceMean(perExample[k], 0).sub(batch[k]))).item()
    ),
  );
  console.log(`Largest |mean of per-example gradients - batch gradient|: ${gap.toExponential(2)}`);
}

if (import.meta.main) main();
