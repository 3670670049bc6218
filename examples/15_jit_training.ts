/**
 * The tutorial's two training loops (the linear model of section 06 and the polynomial with L2
 * regularisation of section 08), each run twice from the same start: op by op, and with the
 * training step compiled by `jit`. Prints both timings, the first jitted call's cost (tracing and
 * compiling), that both runs end at the same parameters, and the program `jit` made of a step.
 *
 * Run: `deno run --allow-read --allow-env examples/15_jit_training.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";
import { setup as polynomialSetup } from "./08_polynomial_regression_l2.ts";

/** One training run: the parameters, and a step that trains them once and returns the loss. */
export interface Model {
  params: gt.Variable[];
  step: () => gt.Tensor;
}

/** The linear model y = wx + b of section 06, its data made from the same seed every time. */
export function linearModel(): Model {
  gt.random.setSeed(42);
  const x = gt.random.uniform([100, 1], { minval: -1, maxval: 1 });
  const y = gt.multiply(3, x).add(2).add(gt.multiply(0.1, gt.random.normal([100, 1])));
  const w = new gt.Variable(gt.random.normal([1, 1]), { name: "weight" });
  const b = new gt.Variable(gt.zeros([1]), { name: "bias" });
  const step = () => {
    const tape = new gt.GradientTape();
    const loss = tape.record(() => gt.reduceMean(gt.square(gt.matmul(x, w).add(b).sub(y))));
    const [gw, gb] = tape.gradient(loss, [w, b]);
    w.assignSub(gt.multiply(0.1, gw!));
    b.assignSub(gt.multiply(0.1, gb!));
    return loss;
  };
  return { params: [w, b], step };
}

/** The cubic with L2 regularisation of section 08 (λ = 0.01, learning rate 0.01). */
export function polynomialModel(): Model {
  const { xTrain: x, yTrain: y, w3, w2, w1, b } = polynomialSetup();
  const params = [w3, w2, w1, b];
  const step = () => {
    const tape = new gt.GradientTape();
    const loss = tape.record(() => {
      const x2 = gt.square(x);
      const pred = gt.matmul(gt.multiply(x2, x), w3).add(gt.matmul(x2, w2))
        .add(gt.matmul(x, w1)).add(b);
      const l2 = gt.addN(params.map((p) => gt.reduceSum(gt.square(p))));
      return gt.reduceMean(gt.square(y.sub(pred))).add(gt.multiply(0.01, l2));
    });
    const grads = tape.gradient(loss, params);
    params.forEach((p, i) => p.assignSub(gt.multiply(0.01, grads[i]!)));
    return loss;
  };
  return { params, step };
}

/** Trains for `epochs` steps, reading the loss back each epoch as the tutorial does. */
export function train(step: () => gt.Tensor, epochs: number): number[] {
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) losses.push(step().item());
  return losses;
}

/** Milliseconds `fn` takes. */
function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function compare(title: string, make: () => Model, epochs: number): void {
  console.log(`${title}, ${epochs} epochs`);
  const eager = make();
  // A first run warms the engine up, so that both timings are of warm code.
  train(make().step, epochs);
  const eagerMs = time(() => train(eager.step, epochs));

  const jitted = make();
  const step = gt.jit(jitted.step);
  const firstMs = time(() => step().item());
  const restMs = time(() => train(step, epochs - 1));
  console.log(`  op by op:  ${eagerMs.toFixed(2)} ms`);
  console.log(
    `  jit:       ${(firstMs + restMs).toFixed(2)} ms (the first call, which traces and ` +
      `compiles: ${firstMs.toFixed(2)} ms)`,
  );
  const a = eager.params.map((p) => p.value().item());
  const b = jitted.params.map((p) => p.value().item());
  console.log(`  parameters op by op: [${a.map((v) => v.toFixed(6)).join(", ")}]`);
  console.log(`  parameters with jit: [${b.map((v) => v.toFixed(6)).join(", ")}]`);
}

/** Runs both comparisons and prints the linear model's compiled step. */
export function main(): void {
  compare("Linear model (section 06)", linearModel, 100);
  console.log();
  compare("Polynomial with L2 regularisation (section 08)", polynomialModel, 200);
  console.log("\nThe linear model's step as jit compiled it:");
  console.log(gt.jit(linearModel().step).program().toString());
}

if (import.meta.main) main();
