/**
 * The elementwise primitives of the registry and the inputs that exercise them: edge values of
 * each dtype (0, -0, NaN, ±Infinity, large and tiny magnitudes, halves, int32's limits), every
 * pair of them, and reproducible random values. Shared by scalar_formula_test.ts (formulas
 * against kernels) and codegen_test.ts (generated loops against the reference loops).
 *
 * @module
 */
import type { PrimitiveName } from "../../src/ops/registry.ts";
import { allocate, type DType } from "../../src/core/dtype.ts";
import { Tensor } from "../../src/core/tensor.ts";

/**
 * Every dtype.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DTYPES } from "./_elementwise_cases.ts";
 * assert.deepEqual(DTYPES, ["float32", "float64", "int32", "bool"]);
 * ```
 */
export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];
const NUM: readonly DType[] = ["float32", "float64", "int32"];
const FLOAT: readonly DType[] = ["float32", "float64"];
const BOOL: readonly DType[] = ["bool"];

/**
 * What the tests need to know of an elementwise primitive to build its inputs.
 *
 * @example pow
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Elementwise, ELEMENTWISE } from "./_elementwise_cases.ts";
 * const pow: Elementwise = ELEMENTWISE.pow!;
 * assert.equal(pow.arity, 2);
 * ```
 */
export interface Elementwise {
  /** How many inputs (addN: any number; tested with three). */
  arity: number;
  /** The dtypes of the inputs the shape rule accepts (where: of its two value inputs). */
  accepts: readonly DType[];
  /** The attributes to try (cast: each target dtype). */
  attrs?: readonly unknown[];
  /**
   * Further dtypes the shape rule accepts but whose kernel refuses some of the edge values, so
   * that the shared tables leave them out (int32 floorDiv and mod refuse a divisor of 0, as
   * TensorFlow does): tested in tests/ops/elementwise_test.ts instead.
   */
  alsoAccepts?: readonly DType[];
}

/**
 * The elementwise primitives of the registry: exactly these have a scalar formula.
 *
 * @example where takes a bool condition and two values of any dtype
 * ```ts
 * import assert from "node:assert/strict";
 * import { ELEMENTWISE } from "./_elementwise_cases.ts";
 * assert.deepEqual(ELEMENTWISE.where, { arity: 3, accepts: ["float32", "float64", "int32", "bool"] });
 * ```
 */
export const ELEMENTWISE: Partial<Record<PrimitiveName, Elementwise>> = {
  negative: { arity: 1, accepts: NUM },
  abs: { arity: 1, accepts: NUM },
  sign: { arity: 1, accepts: NUM },
  relu: { arity: 1, accepts: NUM },
  sqrt: { arity: 1, accepts: FLOAT },
  exp: { arity: 1, accepts: FLOAT },
  expm1: { arity: 1, accepts: FLOAT },
  log: { arity: 1, accepts: FLOAT },
  log1p: { arity: 1, accepts: FLOAT },
  sin: { arity: 1, accepts: FLOAT },
  cos: { arity: 1, accepts: FLOAT },
  tan: { arity: 1, accepts: FLOAT },
  tanh: { arity: 1, accepts: FLOAT },
  sigmoid: { arity: 1, accepts: FLOAT },
  softplus: { arity: 1, accepts: FLOAT },
  floor: { arity: 1, accepts: FLOAT },
  ceil: { arity: 1, accepts: FLOAT },
  round: { arity: 1, accepts: FLOAT },
  addN: { arity: 3, accepts: NUM },
  add: { arity: 2, accepts: NUM },
  subtract: { arity: 2, accepts: NUM },
  multiply: { arity: 2, accepts: NUM },
  divide: { arity: 2, accepts: NUM },
  pow: { arity: 2, accepts: NUM },
  maximum: { arity: 2, accepts: NUM },
  minimum: { arity: 2, accepts: NUM },
  equal: { arity: 2, accepts: DTYPES },
  notEqual: { arity: 2, accepts: DTYPES },
  less: { arity: 2, accepts: DTYPES },
  lessEqual: { arity: 2, accepts: DTYPES },
  greater: { arity: 2, accepts: DTYPES },
  greaterEqual: { arity: 2, accepts: DTYPES },
  logicalAnd: { arity: 2, accepts: BOOL },
  logicalOr: { arity: 2, accepts: BOOL },
  logicalNot: { arity: 1, accepts: BOOL },
  where: { arity: 3, accepts: DTYPES },
  cast: { arity: 1, accepts: DTYPES, attrs: DTYPES.map((dtype) => ({ dtype })) },
  stopGradient: { arity: 1, accepts: DTYPES },
  asin: { arity: 1, accepts: FLOAT },
  acos: { arity: 1, accepts: FLOAT },
  atan: { arity: 1, accepts: FLOAT },
  sinh: { arity: 1, accepts: FLOAT },
  cosh: { arity: 1, accepts: FLOAT },
  asinh: { arity: 1, accepts: FLOAT },
  acosh: { arity: 1, accepts: FLOAT },
  atanh: { arity: 1, accepts: FLOAT },
  erf: { arity: 1, accepts: FLOAT },
  erfc: { arity: 1, accepts: FLOAT },
  lgamma: { arity: 1, accepts: FLOAT },
  digamma: { arity: 1, accepts: FLOAT },
  isNaN: { arity: 1, accepts: FLOAT },
  isInf: { arity: 1, accepts: FLOAT },
  isFinite: { arity: 1, accepts: FLOAT },
  atan2: { arity: 2, accepts: FLOAT },
  floorDiv: { arity: 2, accepts: FLOAT, alsoAccepts: ["int32"] },
  mod: { arity: 2, accepts: FLOAT, alsoAccepts: ["int32"] },
  xlogy: { arity: 2, accepts: FLOAT },
};

/**
 * `ELEMENTWISE` as a list of entries, in its order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { elementwise } from "./_elementwise_cases.ts";
 * assert.deepEqual(elementwise[0], ["negative", { arity: 1, accepts: ["float32", "float64", "int32"] }]);
 * ```
 */
export const elementwise = Object.entries(ELEMENTWISE) as [PrimitiveName, Elementwise][];

/**
 * A reproducible generator of numbers in [0, 1) (mulberry32).
 *
 * @example The same seed, the same numbers
 * ```ts
 * import assert from "node:assert/strict";
 * import { rng } from "./_elementwise_cases.ts";
 * const a = rng(1), b = rng(1);
 * const x = a();
 * assert.ok(x >= 0 && x < 1);
 * assert.equal(b(), x);
 * ```
 */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FLOAT_EDGES = [
  0,
  -0,
  NaN,
  Infinity,
  -Infinity,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  2.5,
  -2.5,
  3,
  1e-300,
  5e-324,
  1e300,
  -1e300,
  710,
  -745,
  88.7,
  -103,
  3.4e38,
  -3.5e38,
  1.4e-45,
  Math.PI,
  1e10,
  -1e10,
  2 ** 31,
  2 ** 53 + 2,
  1e-7,
  -30,
  30,
];
const INT_EDGES = [
  0,
  1,
  -1,
  2,
  -2,
  3,
  7,
  31,
  2 ** 31 - 1,
  -(2 ** 31),
  46341,
  -46341,
  65536,
  2 ** 30,
  -(2 ** 30),
];

/**
 * Edge values of `dtype`, as stored in it.
 *
 * @example float32 stores 1e-300 as 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { edges } from "./_elementwise_cases.ts";
 * assert.deepEqual(edges("bool"), [0, 1]);
 * assert.ok(edges("float64").includes(1e-300) && !edges("float32").includes(1e-300));
 * ```
 */
export function edges(dtype: DType): number[] {
  const raw = dtype === "bool" ? [0, 1] : dtype === "int32" ? INT_EDGES : FLOAT_EDGES;
  return Array.from(stored(dtype, raw));
}

/**
 * `values` as stored in a typed array of `dtype` (rounded, wrapped or made 0 or 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stored } from "./_elementwise_cases.ts";
 * assert.deepEqual(Array.from(stored("int32", [2 ** 31, 1.5])), [-(2 ** 31), 1]);
 * ```
 */
export function stored(dtype: DType, values: readonly number[]): ArrayLike<number> {
  const a = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) a[i] = values[i];
  return a;
}

/**
 * `n` random values of `dtype` from `next`, as stored in it: floats of every scale (some halves,
 * round's ties), int32s small or of any size, or for pow's int32 `exponent`s, in [0, 40).
 *
 * @example Exponents
 * ```ts
 * import assert from "node:assert/strict";
 * import { random, rng } from "./_elementwise_cases.ts";
 * const e = random("int32", 100, rng(3), true);
 * assert.ok(e.every((v) => Number.isInteger(v) && v >= 0 && v < 40));
 * ```
 */
export function random(dtype: DType, n: number, next: () => number, exponent: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (dtype === "bool") out.push(next() < 0.5 ? 0 : 1);
    else if (dtype === "int32") {
      // Small values (pow's exponents: not negative for an int32 base), or any int32.
      if (exponent) out.push(Math.floor(next() * 40));
      else out.push(next() < 0.5 ? Math.floor(next() * 200) - 100 : (next() * 2 ** 32) | 0);
    } else {
      // Every scale, and halves (round's ties).
      const v = (next() * 2 - 1) * 10 ** (next() * 16 - 8);
      out.push(next() < 0.1 ? Math.round(v * 2) / 2 : v);
    }
  }
  return Array.from(stored(dtype, out));
}

/**
 * The columns of inputs for `arity` operands of `dtype`: every pair of edge values (the last
 * operand cycled for a third), then 500 random values; with `exponentLast` (pow) the last
 * operand of an int32 op stays in [0, 64), since pow refuses an int32 base to a negative power.
 *
 * @example Every pair of the two bool values, then random ones
 * ```ts
 * import assert from "node:assert/strict";
 * import { columns } from "./_elementwise_cases.ts";
 * const [a, b] = columns("bool", 2, false, 7);
 * assert.deepEqual([a.slice(0, 4), b.slice(0, 4)], [[0, 0, 1, 1], [0, 1, 0, 1]]);
 * assert.equal(a.length, 504);
 * ```
 */
export function columns(
  dtype: DType,
  arity: number,
  exponentLast: boolean,
  seed: number,
): number[][] {
  const e = edges(dtype);
  const next = rng(seed);
  const cols: number[][] = Array.from({ length: arity }, () => []);
  if (arity === 1) cols[0].push(...e);
  else {
    for (let i = 0; i < e.length; i++) {
      for (let j = 0; j < e.length; j++) {
        cols[0].push(e[i]);
        cols[1].push(e[j]);
        for (let k = 2; k < arity; k++) cols[k].push(e[(i + j + k) % e.length]);
      }
    }
  }
  const n = 500;
  for (let k = 0; k < arity; k++) {
    cols[k].push(...random(dtype, n, next, exponentLast && k === arity - 1));
  }
  if (exponentLast && dtype === "int32") {
    // Exponents in [0, 64) (|-2³¹| % 64 is 0).
    const last = cols[arity - 1];
    for (let i = 0; i < last.length; i++) last[i] = Math.abs(last[i]) % 64;
  }
  return cols;
}

/**
 * The inputs' dtypes of an op of `arity` inputs for one accepted dtype: where's condition is
 * bool.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inputDtypes } from "./_elementwise_cases.ts";
 * assert.deepEqual(inputDtypes("where", 3, "int32"), ["bool", "int32", "int32"]);
 * assert.deepEqual(inputDtypes("add", 2, "int32"), ["int32", "int32"]);
 * ```
 */
export function inputDtypes(name: string, arity: number, dtype: DType): DType[] {
  return Array.from({ length: arity }, (_, k) => name === "where" && k === 0 ? "bool" : dtype);
}

/**
 * A dense tensor of `values` stored as `dtype`, of `shape` (default: a vector).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dense } from "./_elementwise_cases.ts";
 * const t = dense([1.5, -2, 3, 4], "int32", [2, 2]);
 * assert.deepEqual(t.toArray(), [[1, -2], [3, 4]]);
 * ```
 */
export function dense(
  values: ArrayLike<number>,
  dtype: DType,
  shape: readonly number[] = [values.length],
): Tensor {
  const data = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i];
  return new Tensor(data, shape, dtype);
}
