/**
 * One table over the whole registry: every primitive's derivatives, in both modes, to second
 * order, against finite differences in float64 (through `checkGrads`). The table is typed by the
 * registry, so a primitive without a row does not compile, and is checked against it at run time.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { type PrimitiveName, primitives } from "../../src/ops/registry.ts";
import { rows } from "./_registry_rows.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

Deno.test("registry: every primitive has exactly one row in the gradient table", () => {
  const names = Object.keys(primitives).sort();
  assert.deepEqual(Object.keys(rows).sort(), names);
  for (const name of names) {
    const p = primitives[name as PrimitiveName];
    assert.equal(p.name, name, `primitive registered as ${name} calls itself ${p.name}`);
    assert.equal(p.jvp === null, p.vjp === null, `${name} has a rule for one mode only`);
    assert.equal("noGradient" in rows[name as PrimitiveName], p.vjp === null, `${name}: row kind`);
  }
});

for (const [name, row] of Object.entries(rows)) {
  if ("noGradient" in row) {
    Deno.test(`${name}() has no gradient in either mode`, () => {
      const { f, args } = row.noGradient;
      const xs = args.map((a) => gt.constant(a as number[], { dtype: "float64" }));
      const tape = new gt.GradientTape();
      const y = tape.record(() => {
        tape.watch(xs);
        return f(...xs);
      });
      assert.deepEqual(tape.gradient(y, xs), xs.map(() => null));
      const acc = new gt.ForwardAccumulator(xs, xs.map((x) => gt.onesLike(x)));
      assert.equal(acc.jvp(acc.record(() => f(...xs))), null);
    });
    continue;
  }
  Deno.test(`${name}() derivatives match finite differences to order 2, forward and reverse`, async (t) => {
    for (const [i, c] of row.cases.entries()) {
      await t.step(`case ${i}`, () => {
        checkGrads(c.f, c.args, { order: 2, eps: c.eps, atol: c.atol, rtol: c.rtol });
      });
      await t.step(`case ${i}: float32 gradients agree with float64`, () => {
        const grads = (dtype: "float32" | "float64") => {
          const xs = c.args.map((a) => gt.constant(a as number[], { dtype }));
          const tape = new gt.GradientTape();
          const y = tape.record(() => {
            tape.watch(xs);
            return c.f(...xs);
          });
          return tape.gradient(y, xs);
        };
        const g32 = grads("float32"), g64 = grads("float64");
        g32.forEach((g, k) => {
          assert.ok(g !== null && g64[k] !== null, `argument ${k} has a gradient`);
          assert.equal(g.dtype, "float32");
          assertAllClose(g, g64[k]!, { rtol: 1e-4, atol: 1e-4 });
        });
      });
    }
  });
}
