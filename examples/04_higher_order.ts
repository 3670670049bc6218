/**
 * Higher-order derivatives from nested tapes: the second derivative of x⁴ at 2, and of eˣ·sin x
 * at 1.
 *
 * Run: `deno run examples/04_higher_order.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

/** Runs the section and prints what the notebook prints. */
export function main(): void {
  // f(x) = x⁴, f'(x) = 4x³, f''(x) = 12x²
  let x = new gt.Variable(2.0);

  // The inner tape's gradient call runs inside the outer recording, so the outer tape records
  // the backward pass itself and can differentiate it again.
  let tape2 = new gt.GradientTape();
  let tape1 = new gt.GradientTape();
  const firstDerivative = tape2.record(() => {
    const y = tape1.record(() => x.pow(4));

    const firstDerivative = tape1.gradient(y, x);
    console.log(`Function: y = x^4 = ${y}`);
    console.log(`First derivative: dy/dx = ${firstDerivative}`);
    console.log(`Expected (4x^3): ${4 * 2 ** 3}`);
    return firstDerivative;
  });

  // x is read inside both recordings, so neither gradient can be null.
  const secondDerivative = tape2.gradient(firstDerivative!, x);
  console.log(`Second derivative: d²y/dx² = ${secondDerivative}`);
  console.log(`Expected (12x^2): ${12 * 2 ** 2}`);
  console.log();

  // f(x) = eˣ·sin x
  x = new gt.Variable(1.0);

  tape2 = new gt.GradientTape();
  tape1 = new gt.GradientTape();
  const [y, firstDeriv] = tape2.record(() => {
    const y = tape1.record(() => gt.exp(x).mul(gt.sin(x)));
    return [y, tape1.gradient(y, x)!] as const;
  });

  const secondDeriv = tape2.gradient(firstDeriv, x)!;

  console.log(`Complex function: y = e^x * sin(x) = ${y.item().toFixed(4)}`);
  console.log(`First derivative: ${firstDeriv.item().toFixed(4)}`);
  console.log(`Second derivative: ${secondDeriv.item().toFixed(4)}`);
  // The notebook prints no expected values here; the closed forms are (eˣ·sin x)' = eˣ(sin x +
  // cos x) and (eˣ·sin x)'' = 2eˣ·cos x.
  console.log(`Expected (e*sin(1)): ${(Math.E * Math.sin(1)).toFixed(4)}`);
  console.log(
    `Expected (e*(sin(1) + cos(1))): ${(Math.E * (Math.sin(1) + Math.cos(1))).toFixed(4)}`,
  );
  console.log(`Expected (2e*cos(1)): ${(2 * Math.E * Math.cos(1)).toFixed(4)}`);
}

if (import.meta.main) main();
