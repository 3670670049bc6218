/** The float32 sin, cos, exp, tanh and sigmoid kernels against Math's, which they replace for float32 data. */
import assert from "node:assert/strict";
import { cosF32, expF32, sigmoidF32, sinF32, tanhF32 } from "../../src/core/kernels/fast_math.ts";
import {
  simdCos,
  simdExp,
  simdSigmoid,
  simdSin,
  simdTanh,
} from "../../src/core/kernels/wasm/math.ts";
import { startWorker, wasmThreadedRuns } from "../../src/core/kernels/wasm/runtime.ts";
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

// The WebAssembly SIMD kernels compute in float32 (the TypeScript loops in float64), so they may
// be one ulp further off; elements outside their ranges go to the TypeScript loops.
const SIMD_ULPS = 2;

Deno.test("the SIMD sin, cos, exp, sigmoid and tanh stay within 2 ulps, at every scale", async (t) => {
  // 20,011 elements run on one thread; 200,003 are shared with the worker. Both leave a tail
  // that is not a whole vector.
  for (const n of [20011, 200003]) {
    await t.step(`${n} elements`, () => {
      for (const [loop, ref] of [[simdSin, Math.sin], [simdCos, Math.cos]] as const) {
        for (const scale of [1, 10, 1000, 8192, 1e6]) {
          const worst = worstUlps(loop, ref, sample(n, scale, scale));
          assert.ok(worst <= SIMD_ULPS, `${ref.name} @ ${scale}: ${worst} ulps`);
        }
      }
      for (const scale of [2, 90, 120]) {
        const worst = worstUlps(simdExp, Math.exp, sample(n, scale, scale));
        assert.ok(worst <= SIMD_ULPS, `exp @ ${scale}: ${worst} ulps`);
      }
      for (const [loop, ref] of [[simdTanh, Math.tanh], [simdSigmoid, sigmoid]] as const) {
        // Near 0, around tanh's switch at 0.9, in the tails, and past the ranges.
        for (const scale of [0.01, 1, 3, 20, 200]) {
          const worst = worstUlps(loop, ref, sample(n, scale, scale));
          assert.ok(worst <= SIMD_ULPS, `${loop.name} @ ${scale}: ${worst} ulps`);
        }
      }
    });
  }
});

Deno.test("the SIMD kernels hand specials and out-of-range elements to the TypeScript loops", () => {
  // Specials and range edges scattered through an array long enough for the kernels.
  const xs = sample(4096, 3, 11);
  const edges = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e-45, 8192, -8192, 8193, 3e38];
  const expEdges = [-87, -87.01, -100, -104, -105, 88, 88.01, 88.7, 89, 1000];
  edges.forEach((v, i) => xs[i * 331] = v);
  for (const [loop, ref] of [[simdSin, Math.sin], [simdCos, Math.cos]] as const) {
    assert.ok(worstUlps(loop, ref, xs) <= SIMD_ULPS, ref.name);
  }
  expEdges.forEach((v, i) => xs[i * 331 + 7] = v);
  assert.ok(worstUlps(simdExp, Math.exp, xs) <= SIMD_ULPS, "exp");
  assert.ok(worstUlps(simdSigmoid, sigmoid, xs) <= SIMD_ULPS, "sigmoid");
  assert.ok(worstUlps(simdTanh, Math.tanh, xs) <= SIMD_ULPS, "tanh");
  // sin keeps the sign of zero.
  const out = new Float32Array(xs.length);
  simdSin(out, xs, xs.length);
  assert.ok(Object.is(out[0], 0) && Object.is(out[331], -0));
});

Deno.test("the SIMD kernels agree with the TypeScript loops, across lengths", () => {
  for (const n of [3, 255, 256, 1 << 16, (1 << 20) + 5]) {
    const xs = sample(n, 4, n);
    const simd = new Float32Array(n), ts = new Float32Array(n);
    const pairs = [
      [simdSin, sinF32],
      [simdCos, cosF32],
      [simdExp, expF32],
      [simdSigmoid, sigmoidF32],
      [simdTanh, tanhF32],
    ] as const;
    for (const [a, b] of pairs) {
      a(simd, xs, n);
      b(ts, xs, n);
      for (let i = 0; i < n; i++) {
        const d = Math.abs(simd[i] - ts[i]);
        if (d > 3 * 2 ** (Math.floor(Math.log2(Math.abs(ts[i]) || 1)) - 23)) {
          assert.fail(`${a.name} at ${i} of ${n}: ${simd[i]} against ${ts[i]}`);
        }
      }
    }
  }
});

Deno.test("long arrays are shared with the worker, within an ulp of one thread's results", async () => {
  const n = 300001, part = 50000; // parts short enough for one thread
  const xs = sample(n, 20, 5);
  for (const loop of [simdSin, simdCos, simdExp, simdSigmoid, simdTanh]) {
    const alone = new Float32Array(n);
    for (let i = 0; i < n; i += part) {
      const e = Math.min(i + part, n);
      loop(alone.subarray(i, e), xs.subarray(i, e), e - i);
    }
    startWorker();
    const before = wasmThreadedRuns();
    const shared = new Float32Array(n);
    // The worker serves once it is ready.
    for (let i = 0; i < 100 && wasmThreadedRuns() === before; i++) {
      loop(shared, xs, n);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(wasmThreadedRuns() > before, `${loop.name}: a worker shared the work`);
    // The same kernel on both threads; relaxed multiply-adds may be fused in one compilation
    // tier and not in another, which moves a result by an ulp at most.
    for (let i = 0; i < n; i++) {
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(alone[i]) || 1)) - 23);
      if (Math.abs(shared[i] - alone[i]) > ulp) {
        assert.fail(`${loop.name} at ${xs[i]}: ${shared[i]} shared, ${alone[i]} alone`);
      }
    }
  }
});
