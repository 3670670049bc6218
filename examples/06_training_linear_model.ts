/**
 * Training a linear model y = wx + b by gradient descent on synthetic data from y = 3x + 2 plus
 * noise, and plotting the loss curve and the fitted line.
 *
 * Run: `deno run --allow-read --allow-write --allow-env examples/06_training_linear_model.ts
 * [--out DIR]` (the figure goes to `DIR/06_training_linear_model.svg`, `./out` by default).
 *
 * @module
 */
import * as gt from "../mod.ts";
import { Progress } from "./_progress.ts";
import { outDir, writeFigure } from "./_plot.ts";

/** Runs the section, prints what the notebook prints and writes its figure under `--out`. */
export async function main(args: readonly string[] = []): Promise<void> {
  // numpy's seed-42 stream cannot be reproduced here; gradtape's own seeded generator makes the
  // data (and the initial weight below) the same on every run.
  gt.random.setSeed(42);
  const nSamples = 100;
  const xTrain = gt.random.uniform([nSamples, 1], { minval: -1, maxval: 1 });
  const yTrain = gt.multiply(3, xTrain).add(2).add(
    gt.multiply(0.1, gt.random.normal([nSamples, 1])),
  );

  console.log(
    `Training data shapes: x=${JSON.stringify(xTrain.shape)}, y=${JSON.stringify(yTrain.shape)}`,
  );
  console.log(`True relationship: y = 3x + 2`);
  console.log();

  // The model: yPred = w·x + b
  const w = new gt.Variable(gt.random.normal([1, 1]), { name: "weight" });
  const b = new gt.Variable(gt.zeros([1]), { name: "bias" });

  const fmt = (v: gt.Variable, digits: number): string => v.value().item().toFixed(digits);
  console.log(`Initial parameters: w=[${fmt(w, 8)}], b=[${fmt(b, 8)}]`);

  const learningRate = 0.1;
  const epochs = 100;
  const losses: number[] = [];

  const progress = new Progress("training", epochs);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const tape = new gt.GradientTape();
    const loss = tape.record(() => {
      const yPred = gt.matmul(xTrain, w).add(b);
      return gt.reduceMean(gt.square(yPred.sub(yTrain)));
    });

    const [gradW, gradB] = tape.gradient(loss, [w, b]);

    // Both parameters are read inside the recording, so neither gradient is null.
    w.assignSub(gt.multiply(learningRate, gradW!));
    b.assignSub(gt.multiply(learningRate, gradB!));

    losses.push(loss.item());
    progress.tick(epoch, { loss: losses[epoch] });

    if (epoch % 20 === 0) {
      console.log(
        `Epoch ${String(epoch).padStart(3)}: Loss = ${loss.item().toFixed(4)}, w = ${
          fmt(w, 3)
        }, b = ${fmt(b, 3)}`,
      );
    }
  }

  progress.done();
  console.log(`\nFinal parameters: w=${fmt(w, 3)}, b=${fmt(b, 3)}`);
  console.log(`True parameters: w=3.000, b=2.000`);
  console.log(`Final loss: ${losses[losses.length - 1].toFixed(6)}`);

  const xLine = gt.linspace(-1, 1, 100);
  const yLine = xLine.mul(w.value().item()).add(b.value().item());
  const yTrueLine = gt.multiply(3, xLine).add(2);
  const path = await writeFigure(outDir(args), "06_training_linear_model.svg", [
    {
      title: "Training Loss",
      xLabel: "Epoch",
      yLabel: "Mean Squared Error",
      series: [{ kind: "line", color: "#1f77b4", x: losses.map((_, i) => i), y: losses }],
    },
    {
      title: "Linear Regression Result",
      xLabel: "x",
      yLabel: "y",
      series: [
        { name: "Data", kind: "points", color: "#1f77b4", x: xTrain.data(), y: yTrain.data() },
        {
          name: `Learned: y = ${fmt(w, 2)}x + ${fmt(b, 2)}`,
          kind: "line",
          color: "red",
          x: xLine.data(),
          y: yLine.data(),
        },
        {
          name: "True: y = 3x + 2",
          kind: "dashed",
          color: "green",
          x: xLine.data(),
          y: yTrueLine.data(),
        },
      ],
    },
  ]);
  console.log(`\nFigure (loss curve; data, learned and true lines) written to ${path}`);

  console.log("\nSuccess! The model learned the correct relationship using gradients.");
}

if (import.meta.main) await main(Deno.args);
