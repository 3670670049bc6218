/**
 * Watching constants, and gradients with respect to several variables at once.
 *
 * Run: `deno run examples/02_watching_constants_and_variables.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

// Lists and records of gradients print on one line, as Python prints them.
const show = (value: unknown): string => Deno.inspect(value, { breakLength: Infinity });

/** Runs the section and prints what the notebook prints. */
export function main(): void {
  // A constant is not a Variable, so the tape ignores it unless told to watch it.
  const c = gt.constant(3.0);

  let tape = new gt.GradientTape();
  const cy = tape.record(() => {
    tape.watch(c);
    return c.pow(2);
  });

  const gradient = tape.gradient(cy, c);
  console.log(`Gradient of constant: ${gradient}`);
  console.log();

  // f(x, y) = x² + 3xy + y³
  const x = new gt.Variable(2.0, { name: "x" });
  const y = new gt.Variable(3.0, { name: "y" });

  // Persistent only so that the dict form below can ask the same tape again; the notebook asks a
  // used-up tape there, which real TensorFlow refuses (see 07_gotchas.ts).
  tape = new gt.GradientTape({ persistent: true });
  const z = tape.record(() => {
    const z = x.pow(2).add(gt.multiply(3, x).mul(y)).add(y.pow(3));
    console.log(`f(2,3) = 2^2 + 3(2)(3) + 3^3 = ${z}`);
    return z;
  });

  const gradients = tape.gradient(z, [x, y]);
  console.log(`Gradient with respect to x: ${gradients[0]}`); // df/dx = 2x + 3y
  console.log(`Gradient with respect to y: ${gradients[1]}`); // df/dy = 3x + 3y²
  console.log(`Expected df/dx at (2,3): ${2 * 2 + 3 * 3}`);
  console.log(`Expected df/dy at (2,3): ${3 * 2 + 3 * 3 ** 2}`);

  const variables = { x, y };
  const gradientsDict = tape.gradient(z, variables);
  console.log(`Gradients as dict: ${show(gradientsDict)}`);
  tape.dispose();
}

if (import.meta.main) main();
