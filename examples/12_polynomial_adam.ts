/**
 * Example 08's polynomial regression (same data, same starting point, same loss) trained with
 * `gt.optimizers.Adam` instead of plain gradient descent, with the two loss curves side by side.
 *
 * Run: `deno run --allow-read --allow-write --allow-env examples/12_polynomial_adam.ts
 * [--out DIR]` (the figure goes to `DIR/12_polynomial_adam.svg`, `./out` by default).
 *
 * @module
 */
import * as gt from "../mod.ts";
import { Progress } from "./_progress.ts";
import { outDir, writeFigure } from "./_plot.ts";
import { setup } from "./08_polynomial_regression_l2.ts";

/** The settings both runs share with example 08. */
const epochs = 200;
const l2Weight = 0.001;

/** Polynomial model: y = w3·x³ + w2·x² + w1·x + b */
function polynomialModel(x: gt.Tensor, [w3, w2, w1, b]: readonly gt.Variable[]): gt.Tensor {
  const x2 = gt.square(x);
  const x3 = gt.multiply(x2, x);
  return gt.matmul(x3, w3).add(gt.matmul(x2, w2)).add(gt.matmul(x, w1)).add(b);
}

/** Example 08's loss: mean squared error plus `l2Weight` times the parameters' sum of squares. */
function loss(x: gt.Tensor, y: gt.Tensor, parameters: readonly gt.Variable[]): gt.Tensor {
  const mse = gt.reduceMean(gt.square(y.sub(polynomialModel(x, parameters))));
  const l2 = gt.addN(parameters.map((p) => gt.reduceSum(gt.square(p))));
  return mse.add(gt.multiply(l2Weight, l2));
}

/** Anything with Keras's `applyGradients`, as both of gradtape's optimizers have. */
interface Optimizer {
  applyGradients(pairs: [gt.Tensor | null, gt.Variable][]): void;
}

/**
 * Trains example 08's model from example 08's starting point with `optimizer`, calling
 * `progress` after each epoch, and returns the trained parameters and the loss of every epoch.
 */
function train(
  optimizer: Optimizer,
  progress?: (epoch: number, loss: number, parameters: readonly gt.Variable[]) => void,
): { parameters: gt.Variable[]; losses: number[]; xTrain: gt.Tensor; yTrain: gt.Tensor } {
  const { xTrain, yTrain, w3, w2, w1, b } = setup();
  const parameters = [w3, w2, w1, b];
  const losses: number[] = [];
  const bar = new Progress(optimizer.constructor.name, epochs);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const tape = new gt.GradientTape();
    const value = tape.record(() => loss(xTrain, yTrain, parameters));
    const gradients = tape.gradient(value, parameters);
    // The only line that differs from example 08's loop: the optimizer decides the step.
    optimizer.applyGradients(gradients.map((g, i) => [g, parameters[i]]));
    losses.push(value.item());
    progress?.(epoch, value.item(), parameters);
    bar.tick(epoch, { loss: losses[epoch] });
  }
  bar.done();
  return { parameters, losses, xTrain, yTrain };
}

/** Runs the example, prints its progress and writes its figure under `--out`. */
export async function main(args: readonly string[] = []): Promise<void> {
  // Adam keeps running averages of each parameter's gradient (m) and squared gradient (v) and
  // steps by m/√v: every coefficient moves at about the learning rate, however small or
  // correlated its gradient. Plain gradient descent steps by the gradient itself, so it crawls
  // along the directions where the loss is flat, the trouble example 08's note describes.
  // At this learning rate Adam's first steps overshoot (the bump early in its loss curve) until
  // its averages settle; then it reaches the minimum well within the 200 epochs.
  const fmt = (v: gt.Variable): string => v.value().item().toFixed(3);
  const learningRate = 0.1;
  console.log(`Training example 08's polynomial model with Adam (learning rate ${learningRate})`);
  console.log(`Target function: y = 0.5x³ - 2x² + x + 1; loss: MSE + ${l2Weight}·Σθ²`);
  console.log();

  const adam = train(new gt.optimizers.Adam({ learningRate }), (epoch, value, [w3, w2, w1, b]) => {
    if (epoch % 50 === 0) {
      console.log(`Epoch ${String(epoch).padStart(3)}: Loss = ${value.toFixed(6)}`);
      console.log(`  Coefficients: w3=${fmt(w3)}, w2=${fmt(w2)}, w1=${fmt(w1)}, b=${fmt(b)}`);
    }
  });
  // Example 08's plain gradient descent is SGD without momentum, at its learning rate 0.01.
  const descent = train(new gt.optimizers.SGD({ learningRate: 0.01 }));

  const [w3, w2, w1, b] = adam.parameters;
  console.log(`\nFinal coefficients after ${epochs} epochs (Adam):`);
  console.log(`  w3 = ${fmt(w3)} (target: 0.5)`);
  console.log(`  w2 = ${fmt(w2)} (target: -2.0)`);
  console.log(`  w1 = ${fmt(w1)} (target: 1.0)`);
  console.log(`  b  = ${fmt(b)} (target: 1.0)`);
  console.log(
    `Plain gradient descent after ${epochs} epochs (example 08): ` +
      descent.parameters.map((v) => fmt(v)).join(", "),
  );
  // The noise keeps the best fit a little away from the targets. At a minimum of the loss the
  // gradient is 0, and Adam's final coefficients nearly zero it.
  const tape = new gt.GradientTape({ persistent: true });
  const [adamLoss, descentLoss] = tape.record(() => [
    loss(adam.xTrain, adam.yTrain, adam.parameters),
    loss(descent.xTrain, descent.yTrain, descent.parameters),
  ]);
  const gradients = tape.gradient(adamLoss, adam.parameters).map((g) => g!.item());
  console.log(
    `Final loss: Adam ${adamLoss.item().toFixed(6)}, gradient descent ${
      descentLoss.item().toFixed(6)
    }`,
  );
  console.log(
    `‖gradient‖ at Adam's final coefficients: ${
      Math.hypot(...gradients).toExponential(2)
    } (0 at the minimum)`,
  );

  const epochIndex = adam.losses.map((_, i) => i);
  const xTest = gt.linspace(-2, 2, 100).reshape([-1, 1]);
  const yTrue = gt.multiply(0.5, xTest.pow(3)).sub(gt.multiply(2, xTest.pow(2))).add(xTest).add(1);
  const path = await writeFigure(outDir(args), "12_polynomial_adam.svg", [
    {
      title: "Training Loss",
      xLabel: "Epoch",
      // _plot.ts draws linear axes; the logarithm shows both curves' tails.
      yLabel: "log10(Loss)",
      series: [
        {
          name: "Adam",
          kind: "line",
          color: "#d62728",
          x: epochIndex,
          y: adam.losses.map(Math.log10),
        },
        {
          name: "Gradient descent",
          kind: "line",
          color: "#1f77b4",
          x: epochIndex,
          y: descent.losses.map(Math.log10),
        },
      ],
    },
    {
      title: "Polynomial Fit",
      xLabel: "x",
      yLabel: "y",
      series: [
        {
          name: "Data",
          kind: "points",
          color: "#1f77b4",
          x: adam.xTrain.data(),
          y: adam.yTrain.data(),
        },
        {
          name: "Adam",
          kind: "line",
          color: "red",
          x: xTest.data(),
          y: polynomialModel(xTest, adam.parameters).data(),
        },
        {
          name: "Gradient descent",
          kind: "line",
          color: "#ff7f0e",
          x: xTest.data(),
          y: polynomialModel(xTest, descent.parameters).data(),
        },
        { name: "True", kind: "dashed", color: "green", x: xTest.data(), y: yTrue.data() },
      ],
    },
  ]);
  console.log(`\nFigure (loss curves; data, fits and true curve) written to ${path}`);
}

if (import.meta.main) await main(Deno.args);
