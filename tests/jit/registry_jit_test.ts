/**
 * The registry's table (tests/ops/_registry_rows.ts) through `jit`: every case of every
 * primitive, in float32 and float64, jitted gives what eager mode gives, bit for bit (a
 * compiled program runs the primitives' kernels, or loops generated from the same scalar
 * formulas, rounding to float32 after each op as eager mode's stores do; float32 exp, sin, cos,
 * tanh and sigmoid keep their SIMD kernels); so do the jitted first derivatives
 * (`jit(grad(sum∘f))`) and second derivatives (grad of grad, and jvp of grad) of every row that
 * has them. Each case's program is checked to contain its primitive, so that no case passes by
 * running nothing (a primitive folded away as a constant, say).
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { DType, Tensor, TensorLike } from "../../mod.ts";
import { type PrimitiveName, primitives } from "../../src/ops/registry.ts";
import { type Case, type Fn, rows } from "../ops/_registry_rows.ts";
import { assertSame, assertSameTree } from "./_exact.ts";

const DTYPES = ["float32", "float64"] as const;

const tensorOf = (a: TensorLike, dtype: DType): Tensor =>
  a instanceof gt.Tensor ? gt.cast(a, dtype) : gt.constant(a as number[], { dtype });

const argnumsOf = (n: number) => Array.from({ length: n }, (_, i) => i);
const sumOf = (f: Fn): Fn => (...xs) => gt.reduceSum(f(...xs));

/** Whether the printed program has an equation of `name` (`  b:f32[2,3] = name[attrs] a`). */
function hasEquation(program: string, name: string): boolean {
  return new RegExp(`= ${name}[\\[ ]`).test(program);
}

/** The case's first derivatives, with respect to every argument (an array of tensors). */
function gradOf(c: Case): (...xs: Tensor[]) => Tensor[] {
  return gt.grad(sumOf(c.f), { argnums: argnumsOf(c.args.length) }) as (
    ...xs: Tensor[]
  ) => Tensor[];
}

/**
 * A scalar of the first derivatives that is not linear in them: Σⱼ Σ gⱼ·gⱼ, whose gradient
 * needs the second derivatives of f.
 */
function gradNormOf(c: Case): Fn {
  const g = gradOf(c);
  return (...xs) => gt.addN(g(...xs).map((gj) => gt.reduceSum(gt.multiply(gj, gj))));
}

/** Tangents for a jvp: each argument's shape, values of varying sign. */
function tangentsFor(xs: readonly Tensor[]): Tensor[] {
  return xs.map((x, j) =>
    gt.constant(
      Array.from({ length: x.size }, (_, i) => ((i * 7 + j * 3) % 5) / 4 - 0.4),
      { dtype: x.dtype, shape: x.shape },
    )
  );
}

Deno.test("registry through jit: every primitive has exactly one row", () => {
  assert.deepEqual(Object.keys(rows).sort(), Object.keys(primitives).sort());
});

for (const [key, row] of Object.entries(rows)) {
  const name = key as PrimitiveName;
  const cases = "noGradient" in row ? [row.noGradient] : row.cases;
  const hasGradient = !("noGradient" in row);

  Deno.test(`${name}() under jit equals eager mode exactly, and its program contains ${name}`, async (t) => {
    for (const [i, c] of cases.entries()) {
      for (const dtype of DTYPES) {
        await t.step(`case ${i}, ${dtype}`, () => {
          const xs = c.args.map((a) => tensorOf(a, dtype));
          const jitted = gt.jit(c.f);
          assertSame(jitted(...xs), c.f(...xs), `case ${i} ${dtype}`);
          // A second call runs the compiled program again, its buffers reused.
          assertSame(jitted(...xs), c.f(...xs), `case ${i} ${dtype}, second call`);
          const program = jitted.program(...xs).toString();
          assert.ok(hasEquation(program, name), `no ${name} in the program:\n${program}`);
        });
      }
      // Arguments that are plain numbers are traced as weak scalars, which take their
      // partner's dtype as the numbers do in eager mode.
      if (c.args.some((a) => typeof a === "number")) {
        for (const dtype of DTYPES) {
          await t.step(`case ${i}, ${dtype}, numbers as numbers`, () => {
            const xs = c.args.map((a) => typeof a === "number" ? a : tensorOf(a, dtype));
            const f = c.f as (...xs: (Tensor | number)[]) => Tensor;
            assertSame(gt.jit(f)(...xs), f(...xs), `case ${i} ${dtype}`);
          });
        }
      }
    }
  });

  if (!hasGradient) continue;

  Deno.test(`${name}() under jit has the derivatives of eager mode, first and second order, exactly`, async (t) => {
    for (const [i, c] of cases.entries()) {
      for (const dtype of DTYPES) {
        await t.step(`case ${i}, ${dtype}`, () => {
          const xs = c.args.map((a) => tensorOf(a, dtype));
          const g = gradOf(c);
          assertSameTree(gt.jit(g)(...xs), g(...xs), "grad");
          const gg = gt.grad(gradNormOf(c), { argnums: argnumsOf(xs.length) });
          assertSameTree(gt.jit(gg)(...xs), gg(...xs), "grad of grad");
          const ts = tangentsFor(xs);
          const jvpOfGrad = (...ys: Tensor[]) => gt.jvp(g, ys, ts);
          assertSameTree(gt.jit(jvpOfGrad)(...xs), jvpOfGrad(...xs), "jvp of grad");
        });
      }
    }
  });
}
