/** The float32 sin, cos, exp, tanh and sigmoid kernels against Math's, which they replace for float32 data. */
import assert from "node:assert/strict";
import { cosF32, expF32, sigmoidF32, sinF32, tanhF32 } from "../../src/core/kernels/fast_math.ts";
import { Generator } from "../../src/core/random.ts";

type Loop = (o: Float32Array, a: Float32Array, n: number) => void;

// The distance between a float32 result and the float32-rounded reference, in float32 ulps.
function worstUlps(loop: Loop, ref: (x: number) => number, xs: Float32Array): number {
  const out = new Float32Array(xs.length);
  loop(out, xs, xs.length);
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const want = Math.fround(ref(xs[i]));
    if (Number.isNaN(want)) {
      assert.ok(Number.isNaN(out[i]), `NaN expected at ${xs[i]}`);
      continue;
    }
    if (!Number.isFinite(want) || want === 0) {
      assert.equal(out[i], want, `at ${xs[i]}`);
      continue;
    }
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
    worst = Math.max(worst, Math.abs(out[i] - want) / Math.max(ulp, 2 ** -149));
  }
  return worst;
}

function sample(n: number, scale: number, seed: number): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: n }, () => (g.nextFloat() - 0.5) * 2 * scale);
}

const specials = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e5, 3e38]);

Deno.test("sin and cos for float32 stay within 1 ulp of Math's, at every scale", () => {
  for (const [loop, ref] of [[sinF32, Math.sin], [cosF32, Math.cos]] as const) {
    for (const scale of [1, 10, 1000, 1e6]) {
      assert.ok(worstUlps(loop, ref, sample(20000, scale, scale)) <= 1, `${ref.name} @ ${scale}`);
    }
    worstUlps(loop, ref, specials);
  }
});

Deno.test("exp for float32 stays within 1 ulp of Math's, through overflow and underflow", () => {
  assert.ok(worstUlps(expF32, Math.exp, sample(20000, 90, 1)) <= 1);
  assert.ok(worstUlps(expF32, Math.exp, sample(20000, 2, 2)) <= 1);
  const edges = new Float32Array([88.7, 88.8, 89, -87, -103, -104, -105, -1000, 1000]);
  assert.ok(worstUlps(expF32, Math.exp, edges) <= 1);
  worstUlps(expF32, Math.exp, specials);
});

// σ in float64, split by sign as the generic loop does.
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

Deno.test("tanh and sigmoid for float32 stay within 1 ulp, near 0 and in the tails", () => {
  for (const [loop, ref] of [[tanhF32, Math.tanh], [sigmoidF32, sigmoid]] as const) {
    for (const scale of [0.01, 0.1, 1, 10, 200]) {
      assert.ok(worstUlps(loop, ref, sample(20000, scale, 7)) <= 1, `${ref.name} @ ${scale}`);
    }
    const edges = new Float32Array([0.0625, -0.0625, 0.06249, 9.99, 10, -10, 103, 104, -104, -105]);
    assert.ok(worstUlps(loop, ref, edges) <= 1, `${ref.name} at the edges`);
    worstUlps(loop, ref, specials);
  }
});
