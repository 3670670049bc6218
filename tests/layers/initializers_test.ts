import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { throwsWith } from "../_helpers.ts";

const { initializers: init } = gt;

function stats(t: gt.Tensor): { mean: number; variance: number; maxAbs: number } {
  const d = [...t.data()];
  const mean = d.reduce((s, v) => s + v, 0) / d.length;
  const variance = d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length;
  return { mean, variance, maxAbs: Math.max(...d.map(Math.abs)) };
}

// Within 5% of the expected variance: about 10 standard errors for 40 000 draws.
function assertVariance(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual / expected - 1) < 0.05,
    `${what}: variance ${actual}, expected ${expected}`,
  );
}

Deno.test("initializers glorotUniform() and heUniform(): uniform within Keras's limits", () => {
  const g = init.glorotUniform({ seed: 1 })([200, 200], "float64");
  const limit = Math.sqrt(6 / 400);
  const s = stats(g);
  assert.ok(s.maxAbs <= limit && s.maxAbs > 0.99 * limit);
  assertVariance(s.variance, limit ** 2 / 3, "glorotUniform");
  const h = stats(init.heUniform({ seed: 2 })([200, 200], "float64"));
  assert.ok(h.maxAbs <= Math.sqrt(6 / 200));
  assertVariance(h.variance, 2 / 200, "heUniform");
});

Deno.test("initializers glorotNormal(), heNormal() and lecunNormal(): truncated normals of Keras's variance", () => {
  const cases: [string, gt.Initializer, number][] = [
    ["glorotNormal", init.glorotNormal({ seed: 3 }), 2 / (100 + 400)],
    ["heNormal", init.heNormal({ seed: 4 }), 2 / 100],
    ["lecunNormal", init.lecunNormal({ seed: 5 }), 1 / 100],
  ];
  for (const [name, f, variance] of cases) {
    const s = stats(f([100, 400], "float64"));
    assert.ok(Math.abs(s.mean) < 0.05 * Math.sqrt(variance), `${name} mean ${s.mean}`);
    assertVariance(s.variance, variance, name);
    // Truncated at two standard deviations of the untruncated normal.
    assert.ok(s.maxAbs <= 2 * Math.sqrt(variance) / 0.87962566103423978 + 1e-12, name);
  }
});

Deno.test("initializers: a convolution kernel's fans include the receptive field", () => {
  // [3, 3, 8, 16]: fanIn = 72, fanOut = 144.
  const s = stats(init.heUniform({ seed: 6 })([3, 3, 8, 16], "float64"));
  assert.ok(s.maxAbs <= Math.sqrt(6 / 72));
  const g = stats(init.glorotUniform({ seed: 7 })([3, 3, 8, 16], "float64"));
  assert.ok(g.maxAbs <= Math.sqrt(6 / 216) && g.maxAbs > 0.95 * Math.sqrt(6 / 216));
  // A bias-like vector: both fans are its length.
  assert.ok(stats(init.glorotUniform({ seed: 8 })([50])).maxAbs <= Math.sqrt(6 / 100));
});

Deno.test("initializers orthogonal(): orthonormal columns or rows, times the gain", () => {
  const tall = init.orthogonal({ seed: 1 })([6, 4], "float64");
  assertAllClose(gt.matmul(tall, tall, { transposeA: true }), gt.eye(4, "float64"), {
    atol: 1e-12,
  });
  const wide = init.orthogonal({ seed: 2, gain: 2 })([3, 5], "float64");
  assertAllClose(gt.matmul(wide, wide, { transposeB: true }), gt.eye(3, "float64").mul(4), {
    atol: 1e-12,
  });
  // A kernel [2, 2, 3] is the matrix [4, 3] reshaped.
  const k = gt.reshape(init.orthogonal({ seed: 3 })([2, 2, 3], "float64"), [4, 3]);
  assertAllClose(gt.matmul(k, k, { transposeA: true }), gt.eye(3, "float64"), { atol: 1e-12 });
  const f32 = init.orthogonal({ seed: 4 })([8, 8]);
  assert.equal(f32.dtype, "float32");
  assertAllClose(gt.matmul(f32, f32, { transposeA: true }), gt.eye(8), { atol: 1e-5 });
  throwsWith(
    () => init.orthogonal()([4]),
    RangeError,
    /initializers.orthogonal: the shape must have rank 2 or more to be a matrix, not \[4\]/,
  );
});

Deno.test("initializers zeros(), ones(), constant()", () => {
  assert.deepEqual(init.zeros()([2, 1]).toArray(), [[0], [0]]);
  assert.deepEqual(init.ones()([3], "float64").toArray(), [1, 1, 1]);
  assert.equal(init.ones()([3], "float64").dtype, "float64");
  assert.deepEqual(init.constant(-2.5)([2]).toArray(), [-2.5, -2.5]);
  throwsWith(() => init.constant(NaN), TypeError, /value must be a finite number/);
});

Deno.test("initializers randomNormal(), randomUniform(), truncatedNormal(): Keras's defaults and options", () => {
  const n = stats(init.randomNormal({ seed: 1 })([40000], "float64"));
  assert.ok(Math.abs(n.mean) < 0.002);
  assertVariance(n.variance, 0.05 ** 2, "randomNormal");
  const n2 = stats(init.randomNormal({ mean: 3, stddev: 2, seed: 2 })([40000], "float64"));
  assert.ok(Math.abs(n2.mean - 3) < 0.05);
  assertVariance(n2.variance, 4, "randomNormal(2)");
  const u = stats(init.randomUniform({ seed: 3 })([40000], "float64"));
  assert.ok(u.maxAbs <= 0.05);
  assertVariance(u.variance, 0.1 ** 2 / 12, "randomUniform");
  const u2 = init.randomUniform({ minval: 2, maxval: 3, seed: 4 })([1000]).data();
  assert.ok(u2.every((v) => v >= 2 && v < 3));
  const t = stats(init.truncatedNormal({ stddev: 1, seed: 5 })([40000], "float64"));
  assert.ok(t.maxAbs <= 2);
  // The variance of a unit normal truncated to [-2, 2] is 0.8796².
  assertVariance(t.variance, 0.87962566103423978 ** 2, "truncatedNormal");
});

Deno.test("initializers are repeatable: by their seed, or by random.setSeed", () => {
  const seeded = init.glorotNormal({ seed: 9 });
  assert.deepEqual(seeded([4, 4]).toArray(), seeded([4, 4]).toArray());
  assert.deepEqual(init.glorotNormal({ seed: 9 })([4, 4]).toArray(), seeded([4, 4]).toArray());
  assert.notDeepEqual(init.glorotNormal({ seed: 10 })([4, 4]).toArray(), seeded([4, 4]).toArray());
  const unseeded = init.heUniform();
  gt.random.setSeed(1);
  const a = unseeded([3, 3]).toArray();
  const b = unseeded([3, 3]).toArray();
  assert.notDeepEqual(a, b);
  gt.random.setSeed(1);
  assert.deepEqual(unseeded([3, 3]).toArray(), a);
  // Layers built after the same seed get the same weights.
  const build = () => {
    gt.random.setSeed(2);
    const d = new gt.layers.Dense(3);
    d.apply(gt.zeros([1, 2]));
    return d.kernel!.toArray();
  };
  assert.deepEqual(build(), build());
});

Deno.test("initializers refuse integer dtypes and unknown options", () => {
  throwsWith(
    () => init.heNormal()([2], "int32"),
    TypeError,
    /initializers.heNormal: initial values are float32 or float64, not "int32"/,
  );
  throwsWith(() => init.glorotUniform({ sed: 1 } as never), TypeError, /unknown option 'sed'/);
  throwsWith(() => init.randomNormal({ seed: 1.5 })([2]), TypeError, /seed must be an integer/);
});
