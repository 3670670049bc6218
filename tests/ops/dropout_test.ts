/**
 * dropout: values dropped with probability rate and the rest scaled by 1/(1 - rate) (so the
 * expected value is x), the mask shared along noiseShape's axes of length 1, the gradient the
 * scaled mask, fresh masks under jit, one mask for every example under vmap, and the errors.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

const N = 20000;

Deno.test("dropout keeps 1 - rate of the values, scaled: the expected value is x", () => {
  for (const [rate, dtype] of [[0.1, "float32"], [0.5, "float64"], [0.8, "float32"]] as const) {
    const x = gt.fill([N], 3, dtype);
    const y = gt.dropout(x, rate, { seed: 17 });
    assert.deepEqual([y.shape, y.dtype], [[N], dtype]);
    const kept = 3 / (1 - rate);
    let n = 0, sum = 0;
    for (const v of y.data()) {
      assert.ok(v === 0 || Math.abs(v - kept) <= 1e-6 * kept, `${v}`);
      if (v !== 0) n++;
      sum += v;
    }
    // 5 standard errors of a frequency; the mean follows from it.
    const tol = 5 * Math.sqrt((rate * (1 - rate)) / N);
    assert.ok(Math.abs(n / N - (1 - rate)) < tol, `kept ${n / N} at rate ${rate}`);
    assert.ok(Math.abs(sum / N - 3) < 3 * tol / (1 - rate), `mean ${sum / N}`);
  }
  // rate 0: x itself.
  const x = gt.constant([1, 2, 3]);
  assert.equal(gt.dropout(x, 0), x);
});

Deno.test("dropout: one mask value per noiseShape element, broadcast over the rest", () => {
  const x = gt.ones([8, 5, 6], "float64");
  const y = gt.dropout(x, 0.5, { noiseShape: [8, 1, 6], seed: 4 }).toArray() as number[][][];
  for (const block of y) {
    for (const row of block) assert.deepEqual(row, block[0]); // the same along axis 1
  }
  const flat = y.flat(2);
  assert.ok(flat.includes(0) && flat.includes(2));
  // Fewer axes broadcast from the right; null takes x's length.
  const z = gt.dropout(x, 0.5, { noiseShape: [1, 6], seed: 4 }).toArray() as number[][][];
  assert.ok(z.flat().every((row) => String(row) === String(z[0][0])));
  const w = gt.dropout(x, 0.5, { noiseShape: [null, 1, 1], seed: 5 }).toArray() as number[][][];
  for (const block of w) assert.ok(block.flat().every((v) => v === block[0][0]));
  assert.ok(new Set(w.map((b) => b[0][0])).size === 2);
});

Deno.test("dropout's gradient is the mask scaled by 1/(1 - rate)", () => {
  const x = gt.reshape(gt.range(1, 25, 1, "float64"), [4, 6]);
  const f = (a: gt.Tensor) => gt.dropout(a, 0.3, { seed: 8 });
  const y = f(x);
  // The mask, read from the output: y / x.
  const mask = gt.divide(y, x);
  assert.ok(mask.data().every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-15));
  const g = gt.grad((a: gt.Tensor) => gt.reduceSum(f(a)))(x);
  assertAllClose(g, mask, { rtol: 1e-15, atol: 0 });
  checkGrads(f, [x]);
  // The noiseShape mask's gradient too: each x element gets its broadcast mask value.
  const h = (a: gt.Tensor) => gt.dropout(a, 0.5, { noiseShape: [4, 1], seed: 2 });
  const gh = gt.grad((a: gt.Tensor) => gt.reduceSum(h(a)))(x);
  assertAllClose(gh, gt.divide(h(x), x), { rtol: 1e-15, atol: 0 });
  checkGrads(h, [x]);
});

Deno.test("dropout under jit draws a fresh mask each call; under vmap one mask for all", () => {
  const x = gt.ones([50]);
  const body = (a: gt.Tensor) => gt.dropout(a, 0.5);
  gt.random.setSeed(3);
  const eager = [body(x), body(x)].map((t) => t.toArray());
  gt.random.setSeed(3);
  const f = gt.jit(body);
  const jitted = [f(x), f(x)].map((t) => t.toArray());
  assert.deepEqual(jitted, eager);
  assert.notDeepEqual(jitted[0], jitted[1]);
  // A seeded dropout gives the same mask at every call, jitted or not.
  const s = gt.jit((a: gt.Tensor) => gt.dropout(a, 0.5, { seed: 6 }));
  assert.deepEqual(s(x).toArray(), gt.dropout(x, 0.5, { seed: 6 }).toArray());
  assert.deepEqual(s(x).toArray(), s(x).toArray());
  const rows = gt.vmap(body)(gt.stack([gt.ones([20]), gt.fill([20], 2)])).toArray() as number[][];
  assert.deepEqual(rows[1], rows[0].map((v) => 2 * v));
});

Deno.test("dropout's errors name the op and the value", () => {
  const x = gt.ones([2, 3]);
  const cases: [() => unknown, RegExp][] = [
    [() => gt.dropout(x, 1), /^dropout: rate must be in \[0, 1\), not 1: /],
    [() => gt.dropout(x, -0.1), /^dropout: rate must be in \[0, 1\), not -0.1/],
    [() => gt.dropout(x, NaN), /^dropout: rate/],
    [
      () => gt.dropout(gt.ones([2], "int32"), 0.5),
      /^dropout: expects a float32 or float64 tensor, got int32/,
    ],
    [
      () => gt.dropout(x, 0.5, { noiseShape: [2, 2] }),
      /^dropout: noiseShape \[2,2\] does not broadcast to x's shape \[2,3\]/,
    ],
    [
      () => gt.dropout(x, 0.5, { noiseShape: [1, 2, 3] }),
      /^dropout: noiseShape \[1,2,3\] does not broadcast/,
    ],
    [
      () => gt.dropout(x, 0.5, { noiseShape: [-1, 3] }),
      /^dropout: noiseShape \[-1,3\] is not valid: give a non-negative integer or null/,
    ],
    [() => gt.dropout(x, 0.5, { seed: 1.5 }), /seed must be an integer, not 1.5/],
    // deno-lint-ignore no-explicit-any
    [() => gt.dropout(x, 0.5, { noise_shape: [2, 3] } as any), /^dropout: .*noise_shape/],
  ];
  for (const [f, re] of cases) {
    assert.throws(f, (e: Error) => {
      assert.match(e.message, re);
      return true;
    });
  }
});
