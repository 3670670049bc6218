/**
 * Eager float32 elementwise ops of 1,024 to 131,072 elements run their vector formulas as SIMD
 * loops (src/ops/_define.ts, `vectorKernel`): their values must be the JavaScript loops' bit for
 * bit. Those are what the same op computes on slices below 1,024 elements, put back together.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { bind } from "../../src/core/dispatch.ts";
import { simdPrimitives } from "../_helpers.ts";
import { generatedModules, vectorLoops } from "../../src/core/kernels/wasm/vector.ts";
import { assertSame } from "../jit/_exact.ts";

// Row r of each input (a row input whole), through the op alone: 1,000 elements, JavaScript loops.
function byRows(f: (...xs: gt.Tensor[]) => gt.Tensor, xs: gt.Tensor[], rows: number): gt.Tensor {
  const row = (x: gt.Tensor, r: number) => x.rank === 1 ? x : gt.slice(x, [r, 0], [1, -1]);
  return gt.concat(Array.from({ length: rows }, (_, r) => f(...xs.map((x) => row(x, r)))), 0);
}

Deno.test({
  name: "eager SIMD: float32 ops of 1,024 elements and more equal their JavaScript loops",
  ignore: !vectorLoops(),
  fn() {
    const prims = simdPrimitives();
    assert.ok(prims.length >= 10, `${prims.map(([n]) => n)}`);
    // Random signs, and zeros of either sign, infinities, NaN and a subnormal.
    const data = gt.random.normal([5, 1000], { seed: 31 }).data() as Float32Array;
    data.set([0, -0, Infinity, -Infinity, NaN, 1e-40, -3, 2.5]);
    const x = gt.constant(data, { shape: [5, 1000] });
    const y = gt.constant(data.slice().reverse(), { shape: [5, 1000] });
    const row = gt.random.normal([1000], { seed: 32 });
    const before = generatedModules();
    for (const [name, prim, arity] of prims) {
      const f = (...xs: gt.Tensor[]) => bind(prim, xs, undefined as never);
      const cases = arity === 1 ? [[x]] : [[x, y], [x, row], [row, x]];
      for (const xs of cases) {
        const shapes = xs.map((t) => `[${t.shape}]`).join(" and ");
        assertSame(f(...xs), byRows(f, xs, 5), `${name} of ${shapes}`);
      }
    }
    assert.ok(generatedModules() > before, "the ops ran generated SIMD loops");
  },
});
