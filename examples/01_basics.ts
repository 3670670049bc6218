/**
 * Basic GradientTape usage: the derivative of x² at 3, then of 3x³ + 2x² + x + 1 at 2.
 *
 * Run: `deno run examples/01_basics.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

/** Runs the section and prints what the notebook prints. */
export function main(): void {
  // df/dx of f(x) = x² is 2x, so 6 at x = 3.
  // A Variable is watched without asking, as in TensorFlow.
  let x = new gt.Variable(3.0, { name: "x" });
  console.log(`Initial x: ${x}`);

  // `with tf.GradientTape() as tape:` becomes a callback, so the values it makes are returned.
  let tape = new gt.GradientTape();
  let y = tape.record(() => {
    const y = x.pow(2);
    console.log(`y = x^2 = ${y}`);
    return y;
  });

  let gradient = tape.gradient(y, x);
  console.log(`Gradient dy/dx at x=3: ${gradient}`);
  console.log(`Expected (2*3): 6`);
  console.log();

  // f(x) = 3x³ + 2x² + x + 1, so df/dx = 9x² + 4x + 1.
  x = new gt.Variable(2.0);
  tape = new gt.GradientTape();
  y = tape.record(() => {
    const y = gt.multiply(3, x.pow(3)).add(gt.multiply(2, x.pow(2))).add(x).add(1);
    console.log(`f(2) = 3(2)^3 + 2(2)^2 + 2 + 1 = ${y}`);
    return y;
  });

  gradient = tape.gradient(y, x);
  console.log(`Gradient at x=2: ${gradient}`);
  console.log(`Expected (9*4 + 4*2 + 1): ${9 * 4 + 4 * 2 + 1}`);
}

if (import.meta.main) main();
