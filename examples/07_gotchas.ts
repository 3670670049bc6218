/**
 * Common GradientTape gotchas: a used-up tape, work done outside the recording, casts that cut
 * the gradient, and checking for `null` gradients.
 *
 * Run: `deno run examples/07_gotchas.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

/** Runs the section and prints what the notebook prints. */
export function main(): void {
  console.log("=== Common GradientTape Gotchas ===");
  console.log();

  // 1. A tape answers one gradient call, unless it is persistent.
  console.log("1. Tape consumption:");
  let x = new gt.Variable(2.0);

  let tape = new gt.GradientTape();
  let y = tape.record(() => x.pow(2));

  const grad1 = tape.gradient(y, x);
  console.log(`First gradient call: ${grad1}`);

  // The notebook says the second call returns None. Real TensorFlow raises a RuntimeError here,
  // and so does gradtape: the tape released its recording at the first call.
  try {
    const grad2 = tape.gradient(y, x);
    console.log(`Second gradient call: ${grad2}`);
  } catch (error) {
    console.log(`Second gradient call threw: ${(error as Error).message}`);
  }
  console.log("Solution: Use persistent: true if you need multiple gradient calls");
  console.log();

  // 2. Only what runs inside the recording is differentiated.
  console.log("2. Operations must be inside the tape:");
  x = new gt.Variable(3.0);
  y = x.pow(2); // outside the tape

  tape = new gt.GradientTape();
  let z = tape.record(() => y.add(1)); // only this is recorded

  let grad = tape.gradient(z, x);
  console.log(`Gradient when y=x^2 is outside tape: ${grad}`);
  console.log("This is null because the tape didn't see the x^2 operation!");
  console.log();

  // 3. The correct version: every step inside the recording.
  tape = new gt.GradientTape();
  z = tape.record(() => {
    const y = x.pow(2);
    return y.add(1);
  });

  grad = tape.gradient(z, x);
  console.log(`Gradient when all operations inside tape: ${grad}`);
  console.log();

  // 4. An integer has no derivative, so a cast to int32 cuts the path back to x.
  console.log("3. Non-differentiable operations:");
  x = new gt.Variable(2.0);

  tape = new gt.GradientTape();
  z = tape.record(() => {
    const y = gt.cast(x, "int32");
    return gt.cast(y, "float32").add(1.0);
  });

  grad = tape.gradient(z, x);
  console.log(`Gradient through type casting: ${grad}`);
  console.log("Casting to integer and back breaks gradient flow!");
  console.log();

  // 5. Best practices
  console.log("=== Best Practices ===");
  console.log("1. Only put differentiable operations inside the tape");
  console.log("2. Use persistent: true only when necessary (and remember to dispose)");
  console.log("3. Watch constants explicitly if you need their gradients");
  console.log("4. Be careful with operations that break gradient flow (casting, indexing)");
  console.log("5. Check that gradients are not null before using them");

  x = new gt.Variable(1.0);
  tape = new gt.GradientTape();
  y = tape.record(() => x.pow(2));

  grad = tape.gradient(y, x);
  if (grad !== null) {
    console.log(`\nGradient is valid: ${grad}`);
  } else {
    console.log("\nWarning: Gradient is null!");
  }
}

if (import.meta.main) main();
