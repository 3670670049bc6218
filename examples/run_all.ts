/**
 * Runs every example in order, in this process: `deno task demo [--out DIR]`.
 *
 * @module
 */
import { main as basics } from "./01_basics.ts";
import { main as watching } from "./02_watching_constants_and_variables.ts";
import { main as persistent } from "./03_persistent_tape.ts";
import { main as higherOrder } from "./04_higher_order.ts";
import { main as tensors } from "./05_gradients_of_tensors.ts";
import { main as linearModel } from "./06_training_linear_model.ts";
import { main as gotchas } from "./07_gotchas.ts";
import { main as polynomial } from "./08_polynomial_regression_l2.ts";
import { main as directional } from "./09_directional_derivatives.ts";
import { main as newton } from "./10_newton_rosenbrock.ts";
import { main as conjugateGradient } from "./11_conjugate_gradient_hvp.ts";
import { main as adam } from "./12_polynomial_adam.ts";
import { main as fashionMnist } from "./13_fashion_mnist_cnn.ts";
import { main as perExample } from "./14_per_example_gradients.ts";
import { main as jitTraining } from "./15_jit_training.ts";
import { main as gaussianProcess } from "./16_gaussian_process.ts";

const examples: [title: string, run: (args: readonly string[]) => void | Promise<void>][] = [
  ["01 Basic GradientTape usage", basics],
  ["02 Watching constants and multiple variables", watching],
  ["03 Persistent GradientTape", persistent],
  ["04 Higher-order derivatives", higherOrder],
  ["05 Gradients with respect to tensors", tensors],
  ["06 Training a simple linear model", linearModel],
  ["07 Common gotchas and best practices", gotchas],
  ["08 Custom loss with L2 regularization", polynomial],
  // Beyond the tutorial: forward mode, the functional transforms and the optimizers.
  ["09 Directional derivatives with ForwardAccumulator", directional],
  ["10 Newton's method on the Rosenbrock function", newton],
  ["11 Conjugate gradient with Hessian-vector products", conjugateGradient],
  ["12 Polynomial regression with Adam", adam],
  // A short run: one epoch on 3,000 images (the full run: examples/13_fashion_mnist_cnn.ts alone).
  [
    "13 A CNN on Fashion-MNIST (short run)",
    (args) => fashionMnist([...args, "--epochs", "1", "--train", "3000", "--test", "1000"]),
  ],
  ["14 Per-example gradient norms with vmap(grad)", perExample],
  ["15 Training steps compiled with jit", jitTraining],
  ["16 Gaussian-process regression with gt.linalg", gaussianProcess],
];

/** Runs the examples one after another, passing `args` (such as `--out DIR`) to each. */
export async function main(args: readonly string[] = []): Promise<void> {
  for (const [title, run] of examples) {
    console.log(`\n${"=".repeat(8)} ${title} ${"=".repeat(Math.max(4, 80 - title.length))}\n`);
    await run(args);
  }
}

if (import.meta.main) await main(Deno.args);
