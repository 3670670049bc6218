/**
 * The scalar formulas of the elementwise primitives (`Primitive.scalar`), from which loops are
 * generated and chains of ops fused: a loop made from each formula with `new Function` computes
 * what the primitive's kernel computes, for every dtype the op accepts, on random inputs and on
 * edge values (0, -0, NaN, ±Infinity, large and tiny magnitudes, halves, int32's limits), with
 * operands dense and broadcast from uniform scalars (the kernels' other paths).
 *
 * The generated loop writes into a Float64Array, so a formula's value is seen before any store
 * rounds or wraps it: float64, int32 and bool results must be exactly the kernel's (an int32
 * formula must already be in range, a bool one 0 or 1, since fused formulas feed each other
 * without a store between them); a float32 result must be the kernel's once rounded to float32
 * (the kernels compute float32 in float64 and round on the store), except for exp, sin, cos, tanh
 * and sigmoid, whose float32 kernels are SIMD approximations (src/core/kernels/wasm/math.ts)
 * accurate to 2 ulps of that rounded reference, and are held to those 2 ulps.
 */
import assert from "node:assert/strict";
import { type PrimitiveName, registry } from "../../src/ops/registry.ts";
import { type Aval, bind, type Primitive } from "../../src/core/dispatch.ts";
import { allocate, type DType } from "../../src/core/dtype.ts";
import { dataOf, Tensor, uniformTensor } from "../../src/core/tensor.ts";

const ALL: readonly DType[] = ["float32", "float64", "int32", "bool"];
const NUM: readonly DType[] = ["float32", "float64", "int32"];
const FLOAT: readonly DType[] = ["float32", "float64"];
const BOOL: readonly DType[] = ["bool"];

interface Elementwise {
  /** How many inputs (addN: any number; tested with three). */
  arity: number;
  /** The dtypes of the inputs the shape rule accepts (where: of its two value inputs). */
  accepts: readonly DType[];
  /** The attributes to try (cast: each target dtype). */
  attrs?: readonly unknown[];
}

// The elementwise primitives of the registry: exactly these have a scalar formula.
const ELEMENTWISE: Partial<Record<PrimitiveName, Elementwise>> = {
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
  equal: { arity: 2, accepts: ALL },
  notEqual: { arity: 2, accepts: ALL },
  less: { arity: 2, accepts: ALL },
  lessEqual: { arity: 2, accepts: ALL },
  greater: { arity: 2, accepts: ALL },
  greaterEqual: { arity: 2, accepts: ALL },
  logicalAnd: { arity: 2, accepts: BOOL },
  logicalOr: { arity: 2, accepts: BOOL },
  logicalNot: { arity: 1, accepts: BOOL },
  where: { arity: 3, accepts: ALL },
  cast: { arity: 1, accepts: ALL, attrs: ALL.map((dtype) => ({ dtype })) },
  stopGradient: { arity: 1, accepts: ALL },
};

// The float32 kernels that are SIMD approximations, within 2 ulps of the rounded reference.
const APPROXIMATE_F32 = new Set(["exp", "sin", "cos", "tanh", "sigmoid"]);

// mulberry32: reproducible inputs.
function rng(seed: number): () => number {
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

// Edge values of `dtype`, as stored in it.
function edges(dtype: DType): number[] {
  const raw = dtype === "bool" ? [0, 1] : dtype === "int32" ? INT_EDGES : FLOAT_EDGES;
  return Array.from(stored(dtype, raw));
}

function stored(dtype: DType, values: readonly number[]): ArrayLike<number> {
  const a = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) a[i] = values[i];
  return a;
}

function random(dtype: DType, n: number, next: () => number, exponent: boolean): number[] {
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

// The columns of inputs for `arity` operands: every pair of edge values (the last operand
// cycled for a third), then random values.
function columns(dtype: DType, arity: number, exponentLast: boolean, seed: number): number[][] {
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
    // pow refuses an int32 base to a negative power: exponents in [0, 64) (|-2³¹| % 64 is 0).
    const last = cols[arity - 1];
    for (let i = 0; i < last.length; i++) last[i] = Math.abs(last[i]) % 64;
  }
  return cols;
}

// A loop from the formula over `arity` arrays, writing into a Float64Array (nothing rounded).
function generated(
  prim: Primitive<never>,
  arity: number,
  dtype: DType,
): (inputs: readonly ArrayLike<number>[], out: Float64Array) => void {
  const names = Array.from({ length: arity }, (_, k) => `x${k}`);
  const body = prim.scalar!(names.map((x) => `${x}[i]`), dtype);
  const loop = new Function(
    ...names,
    "out",
    "n",
    `for (let i = 0; i < n; i++) out[i] = ${body};`,
  );
  return (inputs, out) => loop(...inputs, out, out.length);
}

// Float32 ulps between `got` and the rounded reference `want`.
function ulps(got: number, want: number): number {
  if (Object.is(got, want) || (got !== got && want !== want)) return 0;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return Infinity;
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want) || 2 ** -149)) - 23);
  return Math.abs(got - want) / Math.max(ulp, 2 ** -149);
}

function agree(
  what: string,
  op: string,
  dtype: DType,
  inputs: readonly ArrayLike<number>[],
  want: Float64Array,
  got: ArrayLike<number>,
): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const args = inputs.map((x) => x[i]).join(", ");
    const where = `${what}: ${op}(${args}) as ${dtype}: formula ${want[i]}, kernel ${got[i]}`;
    if (dtype === "float32") {
      const rounded = Math.fround(want[i]);
      if (APPROXIMATE_F32.has(op)) assert.ok(ulps(got[i], rounded) <= 2, where);
      else assert.ok(Object.is(got[i], rounded), where);
    } else {
      if (dtype === "int32") assert.ok(want[i] === (want[i] | 0), `${where}: not an int32`);
      if (dtype === "bool") assert.ok(want[i] === 0 || want[i] === 1, `${where}: not 0 or 1`);
      assert.ok(Object.is(got[i], want[i]), where);
    }
  }
}

// The inputs' dtypes for one accepted dtype: where's condition is bool.
function inputDtypes(name: string, arity: number, dtype: DType): DType[] {
  return Array.from({ length: arity }, (_, k) => name === "where" && k === 0 ? "bool" : dtype);
}

const elementwise = Object.entries(ELEMENTWISE) as [PrimitiveName, Elementwise][];

Deno.test("exactly the elementwise primitives of the registry have a scalar formula", () => {
  const withFormula = Object.entries(registry).filter(([, p]) => p.scalar !== undefined)
    .map(([name]) => name).sort();
  assert.deepEqual(withFormula, elementwise.map(([name]) => name).sort());
});

Deno.test("an elementwise shape rule accepts exactly the dtypes its op takes", () => {
  for (const [name, { arity, accepts, attrs }] of elementwise) {
    const prim = registry[name] as Primitive<unknown>;
    for (const attr of attrs ?? [undefined]) {
      for (const dtype of ALL) {
        const avals: Aval[] = inputDtypes(name, arity, dtype).map((d) => ({
          shape: [2],
          dtype: d,
        }));
        if (accepts.includes(dtype)) {
          const out = prim.shape(avals, attr);
          assert.deepEqual(out.shape, [2], `${name} on ${dtype}`);
        } else {
          assert.throws(() => prim.shape(avals, attr), TypeError, `${name} on ${dtype}`);
        }
      }
    }
  }
});

Deno.test("a loop generated from each scalar formula computes what the kernel computes", async (t) => {
  for (const [name, { arity, accepts, attrs }] of elementwise) {
    const prim = registry[name] as Primitive<unknown>;
    await t.step(name, () => {
      for (const attr of attrs ?? [undefined]) {
        for (const dtype of accepts) {
          const dtypes = inputDtypes(name, arity, dtype);
          // Input columns per dtype (where's bool condition has its own).
          const cols = columns(dtype, arity, name === "pow", 7);
          if (name === "where") {
            // A random bool condition for each pair of values.
            cols[0] = random("bool", cols[1].length, rng(11), false);
          }
          const n = cols[0].length;
          const xs = cols.map((c, k) => stored(dtypes[k], c));
          const out = bind(prim, xs.map((x, k) => dense(x, dtypes[k])), attr);
          const dtypeOut = out.dtype;
          const want = new Float64Array(n);
          generated(prim as Primitive<never>, arity, dtypeOut)(xs, want);
          const label = attr === undefined ? "dense" : `dense, to ${JSON.stringify(attr)}`;
          agree(label, name, dtypeOut, xs, want, dataOf(out));

          // One operand a uniform scalar, broadcast against the others (the kernels' scalar
          // paths); for unary ops, a uniform input.
          if (name === "addN") continue;
          for (let k = 0; k < arity; k++) {
            for (const v of edges(dtypes[k])) {
              if (name === "pow" && k === 1 && dtype === "int32" && v < 0) continue;
              const inputs = xs.map((x, j) =>
                j === k ? uniformTensor(v, arity === 1 ? [n] : [], dtypes[j]) : dense(x, dtypes[j])
              );
              const cols2 = xs.map((x, j) => j === k ? new Array<number>(n).fill(v) : x);
              const got = bind(prim, inputs, attr);
              const want2 = new Float64Array(n);
              generated(prim as Primitive<never>, arity, dtypeOut)(cols2, want2);
              agree(`operand ${k} uniform ${v}`, name, dtypeOut, cols2, want2, dataOf(got));
            }
          }
        }
      }
    });
  }
});

function dense(values: ArrayLike<number>, dtype: DType): Tensor {
  const data = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i];
  return new Tensor(data, [values.length], dtype);
}
