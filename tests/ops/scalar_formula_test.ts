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
import { registry } from "../../src/ops/registry.ts";
import { type Aval, bind, type Primitive } from "../../src/core/dispatch.ts";
import type { DType } from "../../src/core/dtype.ts";
import { dataOf, uniformTensor } from "../../src/core/tensor.ts";
import { compileFormulas } from "../../src/core/kernels/generated.ts";
import {
  columns,
  dense,
  DTYPES,
  edges,
  elementwise,
  inputDtypes,
  random,
  rng,
  stored,
} from "./_elementwise_cases.ts";

// The float32 kernels that are SIMD approximations, within 2 ulps of the rounded reference.
const APPROXIMATE_F32 = new Set(["exp", "sin", "cos", "tanh", "sigmoid"]);

// A loop from the formula over `arity` arrays, writing into a Float64Array (nothing rounded).
function generated(
  prim: Primitive<never>,
  arity: number,
  dtype: DType,
): (inputs: readonly ArrayLike<number>[], out: Float64Array) => void {
  const names = Array.from({ length: arity }, (_, k) => `x${k}`);
  const body = prim.scalar!(names.map((x) => `${x}[i]`), dtype);
  // With the formula helpers ($erf, …) in scope, as every generated loop has them.
  const loop = compileFormulas(
    `function (${names.join(", ")}, out, n) { for (let i = 0; i < n; i++) out[i] = ${body}; }`,
  ) as (...args: unknown[]) => void;
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

Deno.test("exactly the elementwise primitives of the registry have a scalar formula", () => {
  const withFormula = Object.entries(registry).filter(([, p]) => p.scalar !== undefined)
    .map(([name]) => name).sort();
  assert.deepEqual(withFormula, elementwise.map(([name]) => name).sort());
});

Deno.test("an elementwise shape rule accepts exactly the dtypes its op takes", () => {
  for (const [name, { arity, accepts, attrs, alsoAccepts }] of elementwise) {
    const prim = registry[name] as Primitive<unknown>;
    for (const attr of attrs ?? [undefined]) {
      for (const dtype of DTYPES) {
        const avals: Aval[] = inputDtypes(name, arity, dtype).map((d) => ({
          shape: [2],
          dtype: d,
        }));
        if (accepts.includes(dtype) || alsoAccepts?.includes(dtype)) {
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
