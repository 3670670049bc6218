/**
 * Every elementwise primitive inside a fused loop, against eager mode, bit for bit: for each
 * dtype it accepts (int32 and bool too) and each attribute (cast's targets), on every pair of
 * edge values (0, -0, NaN, ±Infinity, huge and tiny magnitudes, halves, int32's limits) and on
 * random values (tests/ops/_elementwise_cases.ts), with operands of one shape (the flat loop)
 * and broadcast against each other (the strided loop). The primitive sits between two
 * `stopGradient`s, elementwise identities, so that it is fused with them; float32 exp, sin, cos,
 * tanh and sigmoid, whose kernels are SIMD loops, are fused into a generated SIMD loop (the
 * arrays here are long enough), and there the program must say so.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { registry } from "../../src/ops/registry.ts";
import { bind, type Primitive } from "../../src/core/dispatch.ts";
import type { DType } from "../../src/core/dtype.ts";
import { columns, dense, edges, elementwise, inputDtypes } from "../ops/_elementwise_cases.ts";
import { assertSame } from "./_exact.ts";

/** f with the primitive between stopGradients: `stopGradient(op(stopGradient(x), …))`. */
function chainOf(prim: Primitive<never>, attrs: unknown) {
  const op = (...xs: Tensor[]) => bind(prim, xs, attrs as never);
  return {
    op,
    chain: (...xs: Tensor[]) => gt.stopGradient(op(...xs.map((x) => gt.stopGradient(x)))),
  };
}

/**
 * Edge values laid out to broadcast: operand k along axis k of a [e, e, …] grid (an int32
 * exponent of pow in [0, 64), as pow refuses an int32 base to a negative power).
 */
function grid(dtypes: readonly DType[], exponentLast: boolean): Tensor[] {
  return dtypes.map((dtype, k) => {
    let e = edges(dtype);
    if (exponentLast && dtype === "int32" && k === dtypes.length - 1) {
      e = e.map((v) => Math.abs(v) % 64);
    }
    const shape = dtypes.map((_, j) => (j === k ? e.length : 1));
    return dense(e, dtype, shape);
  });
}

for (const [name, spec] of elementwise) {
  Deno.test(`${name} fused under jit equals eager mode bit for bit, every dtype and layout`, async (t) => {
    const prim = registry[name] as Primitive<never>;
    for (const dtype of spec.accepts) {
      for (const attrs of spec.attrs ?? [undefined]) {
        const label = attrs === undefined ? dtype : `${dtype} ${JSON.stringify(attrs)}`;
        await t.step(label, () => {
          const dtypes = inputDtypes(name, spec.arity, dtype);
          const cols = columns(dtype, spec.arity, name === "pow", 17);
          const flat = cols.map((c, k) => dense(c, dtypes[k]));
          const layouts: [string, Tensor[]][] = [["flat", flat]];
          if (spec.arity > 1 && name !== "addN") {
            layouts.push(["broadcast", grid(dtypes, name === "pow")]);
          }
          const { op, chain } = chainOf(prim, attrs);
          const f = gt.jit(chain);
          for (const [layout, xs] of layouts) {
            const expected = op(...xs);
            assertSame(f(...xs), expected, `${label}, ${layout}`);
            const program = f.program(...xs).toString();
            const simd = prim.simd?.includes(expected.dtype) === true;
            if (simd) {
              assert.match(
                program,
                new RegExp(`fused\\[[a-zA-Z ]*\\b${name}\\b.*\\(SIMD\\)`),
                program,
              );
            } else assert.match(program, new RegExp(`fused\\[[a-zA-Z ]*\\b${name}\\b`), program);
          }
        });
      }
    }
  });
}
