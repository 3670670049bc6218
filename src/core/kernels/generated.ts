/**
 * Elementwise loops generated from scalar formulas (see `Primitive.scalar`): for each op, dtypes
 * and layout of the operands, one function compiled on first use and kept. Each sees one array
 * type per parameter, so V8 compiles it for that one, where the hand-written loops in
 * `elementwise.ts` see every dtype. A compiler fuses chains of ops through the same generator, by
 * giving it the formulas nested into one body.
 *
 * Where the runtime refuses to compile code from strings (a page whose Content-Security-Policy
 * lacks `unsafe-eval`), `canGenerate` is false and callers keep to the hand-written loops, which
 * also stay the reference the generated ones are tested against.
 */
import type { DType, TypedArray } from "../dtype.ts";
import { broadcastStrides, forEachPlane } from "./strided.ts";
import { digamma, erf, erfc, lgamma } from "./special.ts";

/** A loop's body: the output element's expression from the inputs' (primary) expressions. */
export type Body = (args: readonly string[]) => string;

/** Whether this runtime compiles code from strings. */
export const canGenerate: boolean = probe();

function probe(): boolean {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
}

type Loop = (...args: unknown[]) => void;

/**
 * The library's scalar functions that a formula may call, each as `$name(…)` (`$erf(x)`): what
 * Math lacks. Every function compiled from formulas (`compileFormulas`) has them in scope, as
 * constants V8 can inline.
 */
export const formulaHelpers: Readonly<Record<string, (...xs: number[]) => number>> = {
  erf,
  erfc,
  lgamma,
  digamma,
};
const helperNames = Object.keys(formulaHelpers).map((name) => "$" + name);
const helperValues = Object.values(formulaHelpers);

/**
 * Compiles `source`, a function expression whose body holds scalar formulas, with the formula
 * helpers (`formulaHelpers`) in its scope. Every loop generated from formulas, here and in a
 * compiler's fused loops, is compiled through it.
 *
 * @example A loop whose formula calls erf
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFormulas } from "./generated.ts";
 * const f = compileFormulas("function (x) { return $erf(x) + $lgamma(1); }") as (x: number) => number;
 * assert.equal(f(0), 0);
 * ```
 */
export function compileFormulas(source: string): (...args: never[]) => unknown {
  return new Function(...helperNames, `"use strict"; return ${source};`)(...helperValues);
}

/**
 * A statement for a generated loop's start that throws unless each pair `[count, length]` has
 * count ≤ length: that the loop's arrays hold every element it touches (else its writes past the
 * end would vanish and its reads give NaN).
 *
 * @example The check of a loop over n elements of o and x
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFormulas, lengthCheck } from "./generated.ts";
 * const check = lengthCheck("copy", [["n", "o.length"], ["n", "x.length"]]);
 * const copy = compileFormulas(
 *   `function (o, x, n) { ${check} for (let i = 0; i < n; i++) o[i] = x[i]; }`,
 * ) as (o: number[], x: number[], n: number) => void;
 * assert.throws(() => copy([0], [1, 2], 2), /copy: 2 elements/);
 * ```
 */
export function lengthCheck(loop: string, pairs: readonly (readonly [string, string])[]): string {
  // NOTE: the check is also what keeps the loop out of its caller's Maglev code. V8 inlines a
  // callee of under 100 bytes of bytecode into a caller that Maglev compiles, and a loop inlined
  // there runs at Maglev's speed for good: greater of 32,768 floats, called from one place, took
  // 450 µs against 50 in its own optimized code; with the check its bytecode is over that size.
  const ok = pairs.map(([count, length]) => `${count} <= ${length}`).join(" && ");
  const lengths = pairs.map(([, length]) => length).join(", ");
  return `if (!(${ok})) throw new RangeError("${loop}: " + ${pairs[0][0]} + " elements, but an ` +
    `array holds " + Math.min(${lengths}) + ": this is a bug in gradtape; please report it");`;
}

const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];
const DTYPE_INDEX: Record<DType, number> = { float32: 0, float64: 1, int32: 2, bool: 3 };

/**
 * The generated loops of one elementwise op of `arity` inputs, whose body for an output of
 * `dtype` is `body(dtype)`: `run` computes the op into `out` (of `shape`), broadcasting the
 * inputs to it. Loops are compiled per layout and dtypes on first use.
 *
 * @example A generated add, with a row broadcast down a matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { elementwiseLoops } from "./generated.ts";
 * const add = elementwiseLoops("add", 2, () => ([a, b]) => `(${a} + ${b})`);
 * const out = new Float64Array(4);
 * add.run(out, [2, 2], "float64", [
 *   { data: new Float64Array([1, 2, 3, 4]), shape: [2, 2], dtype: "float64" },
 *   { data: new Float64Array([10, 20]), shape: [2], dtype: "float64" },
 * ]);
 * assert.deepEqual([...out], [11, 22, 13, 24]);
 * ```
 */
export function elementwiseLoops(
  name: string,
  arity: number,
  body: (dtype: DType) => Body,
): ElementwiseLoops {
  return new ElementwiseLoops(name.replace(/\W/g, "_"), arity, body);
}

/** An input as a generated loop reads it. */
export interface LoopOperand {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

// Layouts: every input of the output's length or a single value ("flat", one code per pattern of
// full and single inputs), a row repeated down the other input ("row"), and any broadcast, row by
// row with strides ("strided").
const FLAT = 0, ROW = 1, ROW_LEFT = 2, STRIDED = 3;

/** The generated loops of one op; see `elementwiseLoops`. */
export class ElementwiseLoops {
  readonly #name: string;
  readonly #arity: number;
  readonly #body: (dtype: DType) => Body;
  readonly #cache = new Map<number, Loop>();

  /** Use `elementwiseLoops`. */
  constructor(name: string, arity: number, body: (dtype: DType) => Body) {
    this.#name = name;
    this.#arity = arity;
    this.#body = body;
  }

  /** Computes the op into `out` (of `shape` and `dtype`), broadcasting `inputs` to it. */
  run(
    out: TypedArray,
    shape: readonly number[],
    dtype: DType,
    inputs: readonly LoopOperand[],
  ): void {
    const n = out.length;
    // Bit i set: input i is a single value.
    let singles = 0, flat = true;
    for (let i = 0; i < inputs.length; i++) {
      const len = inputs[i].data.length;
      if (len === 1 && n !== 1) singles |= 1 << i;
      else if (len !== n) flat = false;
    }
    if (flat) return this.#flat(out, dtype, inputs, singles, n);
    if (inputs.length === 2) {
      const [a, b] = inputs;
      if (a.data.length === n && isTrailing(b.shape, shape)) {
        return this.#loop(ROW, 0, dtype, inputs)(
          out,
          a.data,
          b.data,
          n / b.data.length,
          b.data.length,
        );
      }
      if (b.data.length === n && isTrailing(a.shape, shape)) {
        return this.#loop(ROW_LEFT, 0, dtype, inputs)(
          out,
          a.data,
          b.data,
          n / a.data.length,
          a.data.length,
        );
      }
    }
    this.#strided(out, shape, dtype, inputs);
  }

  #flat(
    out: TypedArray,
    dtype: DType,
    xs: readonly LoopOperand[],
    singles: number,
    n: number,
  ): void {
    const loop = this.#loop(FLAT, singles, dtype, xs);
    switch (xs.length) {
      case 1:
        return loop(out, xs[0].data, n);
      case 2:
        return loop(out, xs[0].data, xs[1].data, n);
      case 3:
        return loop(out, xs[0].data, xs[1].data, xs[2].data, n);
      default:
        return loop(out, ...xs.map((x) => x.data), n);
    }
  }

  #strided(
    out: TypedArray,
    shape: readonly number[],
    dtype: DType,
    xs: readonly LoopOperand[],
  ): void {
    const loop = this.#loop(STRIDED, 0, dtype, xs);
    const strides = xs.map((x) => broadcastStrides(x.shape, shape));
    const k = xs.length;
    forEachPlane(shape, strides, (o, at, rows, n, outer, inner) => {
      if (k === 1) return loop(out, o, rows, n, xs[0].data, at[0], outer[0], inner[0]);
      if (k === 2) {
        return loop(
          out,
          o,
          rows,
          n,
          xs[0].data,
          at[0],
          outer[0],
          inner[0],
          xs[1].data,
          at[1],
          outer[1],
          inner[1],
        );
      }
      const args: unknown[] = [out, o, rows, n];
      for (let i = 0; i < k; i++) args.push(xs[i].data, at[i], outer[i], inner[i]);
      loop(...args);
    });
  }

  // The loop for a layout, its pattern of single inputs and the dtypes, compiled on first use.
  #loop(layout: number, singles: number, dtype: DType, xs: readonly LoopOperand[]): Loop {
    let key = (layout << this.#arity | singles) * 4 + DTYPE_INDEX[dtype];
    for (let i = 0; i < xs.length; i++) key = key * 4 + DTYPE_INDEX[xs[i].dtype];
    let loop = this.#cache.get(key);
    if (loop === undefined) this.#cache.set(key, loop = this.#compile(layout, singles, dtype, xs));
    return loop;
  }

  #compile(layout: number, singles: number, dtype: DType, xs: readonly LoopOperand[]): Loop {
    const body = this.#body(dtype);
    const k = xs.length;
    const x = (i: number) => `x${i}`;
    const tag = `${this.#name}_${dtype}_${xs.map((t) => DTYPES.indexOf(t.dtype)).join("")}`;
    let source: string;
    if (layout === FLAT) {
      const hoist = [], args = [];
      for (let i = 0; i < k; i++) {
        if (singles & (1 << i)) {
          hoist.push(`const s${i} = ${x(i)}[0];`);
          args.push(`s${i}`);
        } else args.push(`${x(i)}[i]`);
      }
      const arrays = xs.flatMap((_, i) => (singles & (1 << i) ? [] : [x(i)]));
      const check = lengthCheck(`${tag}_flat${singles}`, [
        ["n", "o.length"],
        ...arrays.map((a) => ["n", `${a}.length`] as const),
      ]);
      source = `function ${tag}_flat${singles}(o, ${xs.map((_, i) => x(i)).join(", ")}, n) {
  ${check} ${hoist.join(" ")}
  for (let i = 0; i < n; i++) o[i] = ${body(args)};
}`;
    } else if (layout === ROW || layout === ROW_LEFT) {
      const args = layout === ROW ? ["x0[i]", "x1[j]"] : ["x0[j]", "x1[i]"];
      const [whole, row] = layout === ROW ? ["x0", "x1"] : ["x1", "x0"];
      const check = lengthCheck(`${tag}_row`, [
        ["rows * m", "o.length"],
        ["rows * m", `${whole}.length`],
        ["m", `${row}.length`],
      ]);
      source = `function ${tag}_row(o, x0, x1, rows, m) {
  ${check}
  for (let r = 0, i = 0; r < rows; r++) for (let j = 0; j < m; j++, i++) o[i] = ${body(args)};
}`;
    } else {
      // A plane: `rows` rows of n, each input from its offset i, stepping e between rows and d
      // along one.
      const params = xs.map((_, i) => `${x(i)}, i${i}, e${i}, d${i}`).join(", ");
      const starts = xs.map((_, i) => `let j${i} = i${i} + r * e${i};`).join(" ");
      const steps = xs.map((_, i) => `, j${i} += d${i}`).join("");
      const args = xs.map((_, i) => `${x(i)}[j${i}]`);
      const check = lengthCheck(`${tag}_strided`, [["oi + rows * n", "o.length"]]);
      source = `function ${tag}_strided(o, oi, rows, n, ${params}) {
  ${check}
  for (let r = 0, i = oi; r < rows; r++) {
    ${starts}
    for (let j = 0; j < n; j++, i++${steps}) o[i] = ${body(args)};
  }
}`;
    }
    return compileFormulas(source) as Loop;
  }
}

/** Whether `b` (a broadcast operand) is `shape`'s trailing dimensions, after any leading ones. */
export function isTrailing(b: readonly number[], shape: readonly number[]): boolean {
  let lead = 0;
  while (lead < b.length && b[lead] === 1) lead++;
  const k = b.length - lead;
  if (k === 0 || k > shape.length) return false;
  for (let i = 0; i < k; i++) if (b[lead + i] !== shape[shape.length - k + i]) return false;
  return true;
}
