/**
 * Seeded random tensors: repeatability (global seed and per-call seed), the distributions'
 * moments and ranges, dtypes, and the argument errors.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { DType } from "../../mod.ts";

function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / (values.length - 1)) };
}

const N = 20000;

Deno.test("setSeed makes the following draws repeatable", async (t) => {
  await t.step("normal", () => {
    gt.random.setSeed(42);
    const a = gt.random.normal([3, 4]).toArray();
    const b = gt.random.normal([3, 4]).toArray();
    gt.random.setSeed(42);
    assert.deepEqual(gt.random.normal([3, 4]).toArray(), a);
    assert.deepEqual(gt.random.normal([3, 4]).toArray(), b);
    assert.notDeepEqual(a, b); // the stream moves on between calls
  });
  await t.step("uniform", () => {
    gt.random.setSeed(7);
    const a = gt.random.uniform([50], { minval: -2, maxval: 5 }).toArray();
    gt.random.setSeed(7);
    assert.deepEqual(gt.random.uniform([50], { minval: -2, maxval: 5 }).toArray(), a);
  });
  await t.step("a non-finite seed is an error", () => {
    assert.throws(() => gt.random.setSeed(NaN), /setSeed.*NaN/);
    assert.throws(() => gt.random.setSeed(Infinity), /setSeed.*Infinity/);
  });
});

Deno.test("a per-call seed gives the same numbers every time", () => {
  const a = gt.random.normal([100], { seed: 123 }).toArray();
  gt.random.normal([5]); // draws from the global stream in between change nothing
  const b = gt.random.normal([100], { seed: 123 }).toArray();
  assert.deepEqual(b, a);
  const u1 = gt.random.uniform([100], { seed: 9, dtype: "float64" }).toArray();
  const u2 = gt.random.uniform([100], { seed: 9, dtype: "float64" }).toArray();
  assert.deepEqual(u2, u1);
});

Deno.test("different seeds give different numbers", () => {
  const seeds = [0, 1, 2, 3, 12345, -1];
  const draws = seeds.map((seed) => gt.random.normal([20], { seed }).toArray() as number[]);
  for (let i = 0; i < draws.length; i++) {
    for (let j = i + 1; j < draws.length; j++) {
      const same = draws[i].filter((v, k) => v === draws[j][k]).length;
      assert.ok(same < 2, `seeds ${seeds[i]} and ${seeds[j]} share ${same} of 20 draws`);
    }
  }
  gt.random.setSeed(1);
  const g1 = gt.random.uniform([20]).toArray();
  gt.random.setSeed(2);
  assert.notDeepEqual(gt.random.uniform([20]).toArray(), g1);
});

Deno.test({
  name: "seeds that differ only above 32 bits give different numbers",
  // BUG: the seed is folded to 32 bits by xor-ing its high and low halves, so setSeed(2 ** 32)
  // gives the same numbers as setSeed(1), and 2 ** 32 + 1 the same as 0. TensorFlow's seeds are
  // 64-bit; every integer a JS number holds exactly should be its own seed.
  fn() {
    const pairs: [number, number][] = [[2 ** 32, 1], [2 ** 32 + 1, 0], [2 ** 40, 2 ** 8]];
    for (const [s1, s2] of pairs) {
      assert.notDeepEqual(
        gt.random.normal([4], { seed: s1 }).toArray(),
        gt.random.normal([4], { seed: s2 }).toArray(),
        `seeds ${s1} and ${s2}`,
      );
    }
  },
});

Deno.test("draws within one tensor are not repeated", () => {
  const values = gt.random.uniform([1000], { seed: 5, dtype: "float64" }).data();
  assert.equal(new Set(values).size, 1000);
});

Deno.test("random.normal has the requested mean and standard deviation", async (t) => {
  const cases: [number, number, DType][] = [
    [0, 1, "float32"],
    [3, 0.5, "float32"],
    [-10, 4, "float64"],
  ];
  for (const [mean, stddev, dtype] of cases) {
    await t.step(`mean ${mean}, stddev ${stddev}, ${dtype}`, () => {
      const x = gt.random.normal([N], { mean, stddev, dtype, seed: 2024 });
      assert.equal(x.dtype, dtype);
      assert.deepEqual(x.shape, [N]);
      const m = moments(x.data());
      // The sample mean's standard error is stddev/√N; 5 of them is a loose bound.
      assert.ok(Math.abs(m.mean - mean) < 5 * stddev / Math.sqrt(N), `mean ${m.mean}`);
      assert.ok(Math.abs(m.std / stddev - 1) < 0.05, `stddev ${m.std}`);
    });
  }
  await t.step("defaults: mean 0, stddev 1, float32", () => {
    const x = gt.random.normal([N], { seed: 11 });
    assert.equal(x.dtype, "float32");
    const m = moments(x.data());
    assert.ok(Math.abs(m.mean) < 5 / Math.sqrt(N), `mean ${m.mean}`);
    assert.ok(Math.abs(m.std - 1) < 0.05, `stddev ${m.std}`);
  });
  await t.step("about 68% of draws fall within one stddev", () => {
    const d = gt.random.normal([N], { seed: 3, dtype: "float64" }).data();
    let inside = 0;
    for (const v of d) if (Math.abs(v) < 1) inside++;
    assert.ok(Math.abs(inside / N - 0.6827) < 0.02, `${inside / N}`);
  });
  await t.step("the values are finite", () => {
    const d = gt.random.normal([N], { seed: 4 }).data();
    assert.ok(d.every(Number.isFinite));
  });
});

Deno.test("random.uniform stays within [minval, maxval) and is spread evenly", async (t) => {
  const cases: [number, number, DType][] = [
    [0, 1, "float32"],
    [-3, 2, "float32"],
    [10, 10.5, "float64"],
  ];
  for (const [minval, maxval, dtype] of cases) {
    await t.step(`[${minval}, ${maxval}) ${dtype}`, () => {
      const x = gt.random.uniform([N], { minval, maxval, dtype, seed: 77 });
      assert.equal(x.dtype, dtype);
      const d = x.data();
      let lo = Infinity, hi = -Infinity;
      for (const v of d) {
        assert.ok(v >= minval && v < maxval, `${v} outside [${minval}, ${maxval})`);
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const width = maxval - minval;
      // Of N draws, the extremes come within a few N-ths of the bounds.
      assert.ok(lo - minval < width * 0.001 && maxval - hi < width * 0.001);
      const m = moments(d);
      // Uniform: mean (a+b)/2, stddev (b-a)/√12.
      assert.ok(Math.abs(m.mean - (minval + maxval) / 2) < 5 * width / Math.sqrt(12 * N));
      assert.ok(Math.abs(m.std / (width / Math.sqrt(12)) - 1) < 0.05);
    });
  }
  await t.step("each tenth of the range gets about a tenth of the draws", () => {
    const d = gt.random.uniform([N], { seed: 8 }).data();
    const bins = new Array(10).fill(0);
    for (const v of d) bins[Math.floor(v * 10)]++;
    for (const b of bins) assert.ok(Math.abs(b / N - 0.1) < 0.01, `${bins}`);
  });
  await t.step("a narrow float32 range near its bound never reaches maxval", () => {
    const maxval = Math.fround(1 + 2 ** -22);
    const d = gt.random.uniform([N], { minval: 1, maxval, seed: 1 }).data();
    for (const v of d) assert.ok(v >= 1 && v < maxval, `${v}`);
  });
});

Deno.test("random ops make tensors of the requested shape", () => {
  assert.deepEqual(gt.random.normal([2, 3, 4]).shape, [2, 3, 4]);
  assert.deepEqual(gt.random.uniform([]).shape, []);
  assert.deepEqual(gt.random.uniform([0, 5]).shape, [0, 5]);
});

Deno.test("random ops refuse bad arguments", async (t) => {
  await t.step("a dtype that is not floating", () => {
    for (const dtype of ["int32", "bool", "float16"] as DType[]) {
      assert.throws(() => gt.random.normal([2], { dtype }), new RegExp(`normal.*${dtype}`));
      assert.throws(() => gt.random.uniform([2], { dtype }), new RegExp(`uniform.*${dtype}`));
    }
  });
  await t.step("maxval not above minval", () => {
    assert.throws(
      () => gt.random.uniform([2], { minval: 1, maxval: 1 }),
      /uniform.*maxval.*minval/,
    );
    assert.throws(() => gt.random.uniform([2], { minval: 2, maxval: -1 }), /uniform/);
  });
  await t.step("a bad shape", () => {
    assert.throws(() => gt.random.normal([-1, 2]), /normal.*\[-1,2\]/);
    assert.throws(() => gt.random.uniform([1.5]), /uniform.*\[1.5\]/);
  });
});
