/**
 * Gradients of a scalar loss with respect to tensor parameters: a linear layer's W and b.
 *
 * Run: `deno run examples/05_gradients_of_tensors.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

// Python prints shapes as tuples; a JSON array is the TypeScript reader's equivalent.
const shapeOf = (t: { shape: readonly number[] }): string => JSON.stringify(t.shape);

/** Runs the section and prints what the notebook prints. */
export function main(): void {
  // A linear model y = xW + b, with a batch of 2 inputs of 3 features and 2 outputs.
  const x = gt.constant([
    [1.0, 2.0, 3.0],
    [4.0, 5.0, 6.0],
  ]);

  const W = new gt.Variable([
    [0.1, 0.2],
    [0.3, 0.4],
    [0.5, 0.6],
  ]);

  const b = new gt.Variable([0.1, 0.2]);

  console.log(`Input shape: ${shapeOf(x)}`); // [2,3]
  console.log(`Weight shape: ${shapeOf(W)}`); // [3,2]
  console.log(`Bias shape: ${shapeOf(b)}`); // [2]
  console.log();

  const tape = new gt.GradientTape();
  const loss = tape.record(() => {
    const predictions = gt.matmul(x, W).add(b);
    console.log(`Predictions shape: ${shapeOf(predictions)}`); // [2,2]
    console.log(`Predictions:\n${predictions}`);

    // Mean squared error against dummy targets.
    const targets = gt.constant([
      [1.0, 0.0],
      [0.0, 1.0],
    ]);

    const loss = gt.reduceMean(gt.square(predictions.sub(targets)));
    console.log(`Loss: ${loss}`);
    return loss;
  });

  const [gradW, gradB] = tape.gradient(loss, [W, b]);

  console.log(`\nGradient of loss w.r.t. weights (dL/dW):`);
  console.log(`Shape: ${gradW === null ? "None" : shapeOf(gradW)}`); // the shape of W
  console.log(`${gradW}`);

  console.log(`\nGradient of loss w.r.t. bias (dL/db):`);
  console.log(`Shape: ${gradB === null ? "None" : shapeOf(gradB)}`); // the shape of b
  console.log(`${gradB}`);

  // A step against these gradients lowers the loss.
  console.log("\nThese gradients can be used to update the parameters:");
  const learningRate = 0.01;
  console.log(`New W = W - lr * grad_W   (lr = ${learningRate})`);
  console.log(`New b = b - lr * grad_b`);
}

if (import.meta.main) main();
