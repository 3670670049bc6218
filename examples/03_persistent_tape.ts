/**
 * A persistent tape answers several `gradient` calls about one recording.
 *
 * Run: `deno run examples/03_persistent_tape.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

// Lists of gradients print on one line, as Python prints them.
const show = (value: unknown): string => Deno.inspect(value, { breakLength: Infinity });

/** Runs the section and prints what the notebook prints. */
export function main(): void {
  const x = new gt.Variable(2.0);
  const y = new gt.Variable(3.0);

  const tape = new gt.GradientTape({ persistent: true });
  const [z1, z2, z3] = tape.record(() => [
    x.pow(2).add(y.pow(2)), // z1 = x² + y²
    x.mul(y), // z2 = xy
    gt.sin(x).add(gt.cos(y)), // z3 = sin x + cos y
  ]);

  const gradZ1 = tape.gradient(z1, [x, y]);
  const gradZ2 = tape.gradient(z2, [x, y]);
  const gradZ3 = tape.gradient(z3, [x, y]);

  console.log(`Function 1: z1 = x^2 + y^2 = ${z1}`);
  console.log(`Gradients of z1: ${show(gradZ1)}`);
  console.log(`Expected: [2x, 2y] = [${2 * 2}, ${2 * 3}]`);
  console.log();

  console.log(`Function 2: z2 = xy = ${z2}`);
  console.log(`Gradients of z2: ${show(gradZ2)}`);
  console.log(`Expected: [y, x] = [${y.value().item()}, ${x.value().item()}]`);
  console.log();

  console.log(`Function 3: z3 = sin(x) + cos(y) = ${z3}`);
  console.log(`Gradients of z3: ${show(gradZ3)}`);
  const expected = [gt.cos(x).item(), -gt.sin(y).item()].map((v) => v.toFixed(4));
  console.log(`Expected: [cos(x), -sin(y)] = [${expected.join(", ")}]`);

  // Python's `del tape`; `using tape = ...` would release it at the end of the block instead.
  tape.dispose();
  console.log("\nPersistent tape deleted to free memory");
}

if (import.meta.main) main();
