/**
 * A custom loss with L2 regularisation: fitting y = w3·x³ + w2·x² + w1·x + b to noisy samples of
 * 0.5x³ − 2x² + x + 1, and plotting the training curves, the fit and the residuals.
 *
 * Run: `deno run --allow-read --allow-write --allow-env examples/08_polynomial_regression_l2.ts
 * [--out DIR]` (the figure goes to `DIR/08_polynomial_regression_l2.svg`, `./out` by default).
 *
 * @module
 */
import * as gt from "../mod.ts";
import { Progress } from "./_progress.ts";
import { outDir, writeFigure } from "./_plot.ts";

/** The training data and the model's parameters before training. */
export interface Setup {
  xTrain: gt.Tensor;
  yTrain: gt.Tensor;
  w3: gt.Variable;
  w2: gt.Variable;
  w1: gt.Variable;
  b: gt.Variable;
}

/**
 * Makes the data and the initial parameters, the same on every call: numpy's seed-42 stream
 * cannot be reproduced here, so gradtape's own seeded generator stands in for it.
 */
export function setup(): Setup {
  gt.random.setSeed(42);
  const nSamples = 50;
  const xTrain = gt.linspace(-2, 2, nSamples).reshape([-1, 1]);
  // True function: y = 0.5x³ − 2x² + x + 1, plus noise.
  const yTrain = gt.multiply(0.5, xTrain.pow(3))
    .sub(gt.multiply(2, xTrain.pow(2)))
    .add(xTrain)
    .add(1)
    .add(gt.multiply(0.3, gt.random.normal([nSamples, 1])));

  return {
    xTrain,
    yTrain,
    w3: new gt.Variable(gt.random.normal([1, 1], { stddev: 0.1 }), { name: "w3" }),
    w2: new gt.Variable(gt.random.normal([1, 1], { stddev: 0.1 }), { name: "w2" }),
    w1: new gt.Variable(gt.random.normal([1, 1], { stddev: 0.1 }), { name: "w1" }),
    b: new gt.Variable(gt.zeros([1]), { name: "bias" }),
  };
}

/** Runs the section, prints what the notebook prints and writes its figure under `--out`. */
export async function main(args: readonly string[] = []): Promise<void> {
  const { xTrain, yTrain, w3, w2, w1, b } = setup();
  const parameters = [w3, w2, w1, b];

  /** Polynomial model: y = w3·x³ + w2·x² + w1·x + b */
  const polynomialModel = (x: gt.Tensor): gt.Tensor => {
    const x2 = gt.square(x);
    const x3 = gt.multiply(x2, x);
    return gt.matmul(x3, w3).add(gt.matmul(x2, w2)).add(gt.matmul(x, w1)).add(b);
  };

  /** Mean squared error plus `l2Weight` times the sum of squares of every parameter. */
  const customLoss = (
    yTrue: gt.Tensor,
    yPred: gt.Tensor,
    parameters: readonly gt.Variable[],
    l2Weight = 0.01,
  ): [total: gt.Tensor, mse: gt.Tensor, l2: gt.Tensor] => {
    const mseLoss = gt.reduceMean(gt.square(yTrue.sub(yPred)));
    const l2Loss = gt.addN(parameters.map((param) => gt.reduceSum(gt.square(param))));
    const totalLoss = mseLoss.add(gt.multiply(l2Weight, l2Loss));
    return [totalLoss, mseLoss, l2Loss];
  };

  const learningRate = 0.01;
  const epochs = 200;
  const l2Weight = 0.001; // regularisation strength

  const totalLosses: number[] = [];
  const mseLosses: number[] = [];
  const l2Losses: number[] = [];

  console.log(`Training polynomial regression with L2 regularization (λ=${l2Weight})`);
  console.log(`Target function: y = 0.5x³ - 2x² + x + 1`);
  console.log();

  const fmt = (v: gt.Variable): string => v.value().item().toFixed(3);

  const progress = new Progress("training", epochs);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const tape = new gt.GradientTape();
    const [totalLoss, mseLoss, l2Loss] = tape.record(() => {
      const predictions = polynomialModel(xTrain);
      return customLoss(yTrain, predictions, parameters, l2Weight);
    });

    const gradients = tape.gradient(totalLoss, parameters);

    // The type guard also tells TypeScript that every gradient below is a Tensor.
    if (!gradients.every((grad): grad is gt.Tensor => grad !== null)) {
      console.log("Warning: Some gradients are null!");
      break;
    }

    parameters.forEach((param, i) => param.assignSub(gt.multiply(learningRate, gradients[i])));

    totalLosses.push(totalLoss.item());
    mseLosses.push(mseLoss.item());
    l2Losses.push(l2Loss.item());
    progress.tick(epoch, { loss: totalLosses[epoch] });

    if (epoch % 50 === 0) {
      console.log(
        `Epoch ${String(epoch).padStart(3)}: Total Loss = ${totalLoss.item().toFixed(4)}, ` +
          `MSE = ${mseLoss.item().toFixed(4)}, L2 = ${l2Loss.item().toFixed(4)}`,
      );
      console.log(
        `  Coefficients: w3=${fmt(w3)}, w2=${fmt(w2)}, w1=${fmt(w1)}, b=${fmt(b)}`,
      );
    }
  }

  progress.done();
  console.log(`\nFinal coefficients:`);
  console.log(`  w3 = ${fmt(w3)} (target: 0.5)`);
  console.log(`  w2 = ${fmt(w2)} (target: -2.0)`);
  console.log(`  w1 = ${fmt(w1)} (target: 1.0)`);
  console.log(`  b  = ${fmt(b)} (target: 1.0)`);
  // The notebook's settings stop short of the minimum; tests/examples_test.ts checks these
  // numbers against plain float64 gradient descent, and the claim about 2000 epochs against the
  // closed-form minimiser.
  console.log(
    "\nNote: 200 epochs at learning rate 0.01 stop short of the minimum of this loss. On [-2, 2]" +
      "\nx³ is strongly correlated with x, and x² with 1, so gradient descent moves slowly along" +
      "\nthose directions; about 2000 epochs bring the coefficients close to the targets.",
  );

  const epochIndex = totalLosses.map((_, i) => i);
  const xTest = gt.linspace(-2, 2, 100).reshape([-1, 1]);
  const yPred = polynomialModel(xTest);
  const yTrue = gt.multiply(0.5, xTest.pow(3))
    .sub(gt.multiply(2, xTest.pow(2)))
    .add(xTest)
    .add(1);
  const residuals = yTrain.sub(polynomialModel(xTrain));
  const path = await writeFigure(outDir(args), "08_polynomial_regression_l2.svg", [
    {
      title: "Training Curves",
      xLabel: "Epoch",
      yLabel: "Loss",
      series: [
        { name: "Total Loss", kind: "line", color: "#1f77b4", x: epochIndex, y: totalLosses },
        { name: "MSE Loss", kind: "line", color: "#ff7f0e", x: epochIndex, y: mseLosses },
        {
          name: "L2 Loss (scaled)",
          kind: "line",
          color: "#2ca02c",
          x: epochIndex,
          y: l2Losses.map((l) => l * l2Weight),
        },
      ],
    },
    {
      title: "Polynomial Fit",
      xLabel: "x",
      yLabel: "y",
      series: [
        { name: "Data", kind: "points", color: "#1f77b4", x: xTrain.data(), y: yTrain.data() },
        { name: "Fitted", kind: "line", color: "red", x: xTest.data(), y: yPred.data() },
        { name: "True", kind: "dashed", color: "green", x: xTest.data(), y: yTrue.data() },
      ],
    },
    {
      title: "Residuals",
      xLabel: "x",
      yLabel: "Residual",
      series: [
        { kind: "points", color: "#1f77b4", x: xTrain.data(), y: residuals.data() },
        { kind: "hline", color: "red", y: [0] },
      ],
    },
  ]);
  console.log(`\nFigure (training curves, fit, residuals) written to ${path}`);

  console.log("\nTraining complete! The model learned a good approximation of the polynomial.");
  console.log("L2 regularization helped prevent overfitting to the noise.");
}

if (import.meta.main) await main(Deno.args);
