/**
 * The WebAssembly loops of merged float32 parts (src/core/kernels/wasm/scalar.ts) against the
 * JavaScript they replace: each op rounded to float32 as `Math.fround` rounds it, sums of
 * alternate elements and sums in order in float64, stored values, single values, constants
 * copied once, odd and even lengths; and null for an op such a loop does not write.
 */
import assert from "node:assert/strict";
import { partValue, scalarLoop, type ScalarPart } from "../../src/core/kernels/wasm/scalar.ts";
import { V } from "../../src/core/kernels/wasm/vector.ts";

const f = Math.fround;

// The values of one element and the loop's sums, as a merged JavaScript loop computes them.
function reference(x: Float32Array, y: Float32Array, s: number) {
  const stored = new Float32Array(x.length);
  let a0 = 0, a1 = 0, dot = 0;
  for (let i = 0; i < x.length; i++) {
    const d = f(f(x[i] * y[i]) - f(s / 3));
    const m = f(Math.max(f(Math.min(d, y[i])), f(-f(Math.abs(x[i])))));
    stored[i] = f(f(Math.sqrt(f(Math.abs(d)))) + f(f(d + m) + x[i]));
    if (i % 2 === 0) a0 += m;
    else a1 += m;
    dot += d * y[i];
  }
  return { stored, sums: [a0, a1, dot] };
}

Deno.test("scalarLoop: float32 ops, sums and stored values equal JavaScript's, bit for bit", () => {
  const [x, y, s] = [V.input(0), V.input(1), V.input(2)];
  const d = V.sub(V.mul(x, y), V.div(s, V.num(3)));
  const parts: ScalarPart[] = [
    { node: d, store: -1 },
    { node: V.max(V.min(partValue(0), y), V.neg(V.abs(x))), store: -1, sum: "alternate" },
    {
      node: V.add(V.sqrt(V.abs(partValue(0))), V.sum([partValue(0), partValue(1), x])),
      store: 0,
    },
    { node: V.mul(partValue(0), y), store: -1, sum: "ordered" },
  ];
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-45, 3e38, -3e38, 1e-40, 1, -1.5];
  for (const n of [0, 1, 16, 17, 100]) {
    const xs = Float32Array.from({ length: n }, (_, i) => specials[i % specials.length]);
    const ys = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * 1e3);
    const loop = scalarLoop(parts, [false, false, true], [true, false, false], 1, n)!;
    assert.ok(loop !== null);
    for (const sv of [0.25, -7]) {
      const out = new Float32Array(n), sums = new Float64Array(8);
      loop([xs, ys, Float32Array.of(sv)], [out], sums);
      const want = reference(xs, ys, sv);
      assert.deepEqual(Array.from(out), Array.from(want.stored), `n = ${n}, stored`);
      assert.deepEqual([sums[2], sums[3], sums[6]], want.sums, `n = ${n}, sums`);
    }
  }
});

Deno.test("scalarLoop: a fixed input is copied at the first run only", () => {
  const loop = scalarLoop(
    [{ node: V.input(0), store: -1, sum: "alternate" }],
    [false],
    [true],
    0,
    16,
  )!;
  const x = new Float32Array(16).fill(1), sums = new Float64Array(2);
  loop([x], [], sums);
  assert.deepEqual([sums[0], sums[1]], [8, 8]);
  x.fill(2);
  loop([x], [], sums);
  assert.deepEqual([sums[0], sums[1]], [8, 8], "the first run's copy");
});

Deno.test("scalarLoop: an op it does not write (sin, a comparison) leaves the loop to JavaScript", () => {
  for (
    const node of [V.sin(V.input(0)), V.select(V.lt(V.input(0), V.num(0)), V.input(0), V.num(0))]
  ) {
    assert.equal(scalarLoop([{ node, store: 0 }], [false], [false], 1, 16), null);
  }
});

Deno.test("scalarLoop: a value used twice is computed once per element (40 doublings, not 2⁴⁰)", () => {
  let node = V.input(0);
  for (let i = 0; i < 40; i++) node = V.mul(V.add(node, node), V.num(0.75));
  const loop = scalarLoop([{ node, store: 0 }], [false], [false], 1, 17)!;
  const x = Float32Array.from({ length: 17 }, (_, i) => (i - 8) * 1e-3), out = new Float32Array(17);
  loop([x], [out], new Float64Array(2));
  const want = Array.from(x, (v) => {
    for (let i = 0; i < 40; i++) v = f(f(v + v) * 0.75);
    return v;
  });
  assert.deepEqual(Array.from(out), want);
});
