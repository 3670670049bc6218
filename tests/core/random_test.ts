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

Deno.test("every safe integer is its own seed: none share a stream or give a dead one", () => {
  // The seed's two 32-bit halves were mixed symmetrically: 2³² + 0x5bd1e995 and 0x5bd1e994 had
  // one stream, and 0x5bd1e995 zeroed the whole state, so it drew 0 for ever.
  const c = 0x5bd1e995;
  const pairs: [number, number][] = [
    [2 ** 32, 1],
    [2 ** 32 + 1, 0],
    [2 ** 40, 2 ** 8],
    [2 ** 32 + c, c ^ 1],
    [-1, 2 ** 32 - 1],
    [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
  ];
  const draw = (seed: number): number[] =>
    gt.random.uniform([4], { seed, dtype: "float64" }).toArray();
  for (const [s1, s2] of pairs) assert.notDeepEqual(draw(s1), draw(s2), `seeds ${s1} and ${s2}`);
  for (const seed of [c, 0, -(2 ** 32)]) {
    assert.equal(new Set(draw(seed)).size, 4, `seed ${seed} gives ${draw(seed)}`);
  }
});

Deno.test("seeds must be integers: strings and fractions are errors naming the value", () => {
  // "a" and "b" were both accepted, and gave the same numbers; 1.5 was silently truncated.
  for (const seed of ["a", "b", 1.5, NaN, Infinity, null]) {
    const shown = typeof seed === "string" ? `"${seed}" (a string)` : String(seed);
    assert.throws(
      () => gt.random.setSeed(seed as number),
      (e: Error) =>
        e instanceof TypeError &&
        e.message === `random.setSeed: seed must be an integer, not ${shown}`,
    );
    for (const op of ["normal", "uniform"] as const) {
      assert.throws(
        () => gt.random[op]([2], { seed: seed as number }),
        (e: Error) => e.message === `random.${op}: seed must be an integer, not ${shown}`,
      );
    }
  }
  // Past 2⁵³ neighbouring integers share one number, so they could not be distinct seeds.
  assert.throws(
    () => gt.random.setSeed(2 ** 53),
    /^TypeError: random.setSeed: seed must be a safe integer \(below 2\^53 in size\), not 9007199254740992$/,
  );
});

Deno.test("random ops check their options, as plain JavaScript may pass anything", async (t) => {
  await t.step("mean, stddev, minval and maxval must be finite numbers", () => {
    const cases: [() => unknown, string][] = [
      [
        () => gt.random.normal([2], { mean: "x" as unknown as number }),
        `random.normal: mean must be a finite number, not "x" (a string)`,
      ],
      [
        () => gt.random.normal([2], { stddev: "a" as unknown as number }),
        `random.normal: stddev must be a finite number, not "a" (a string)`,
      ],
      [
        () => gt.random.normal([2], { stddev: NaN }),
        "random.normal: stddev must be a finite number, not NaN",
      ],
      [() => gt.random.normal([2], { stddev: -1 }), "random.normal: stddev must be ≥ 0, not -1"],
      [
        () => gt.random.uniform([2], { minval: "a" as unknown as number }),
        `random.uniform: minval must be a finite number, not "a" (a string)`,
      ],
      [
        () => gt.random.uniform([2], { maxval: Infinity }),
        "random.uniform: maxval must be a finite number, not Infinity",
      ],
    ];
    for (const [make, message] of cases) {
      assert.throws(make, (e: Error) => e.message === message, message);
    }
  });
  await t.step("a misspelt option is an error listing the accepted ones", () => {
    assert.throws(
      () => gt.random.normal([2], { stdev: 2 } as gt.random.NormalOptions),
      (e: Error) =>
        e.message === `random.normal: unknown option 'stdev' (did you mean 'stddev'?): ` +
            `the accepted options are 'mean', 'stddev', 'dtype', 'seed'`,
    );
    assert.throws(
      () => gt.random.uniform([2], { maxVal: 2 } as gt.random.UniformOptions),
      /^TypeError: random.uniform: unknown option 'maxVal' \(did you mean 'maxval'\?\)/,
    );
  });
  await t.step("options that are not an object", () => {
    assert.throws(
      () => gt.random.normal([2], null as unknown as gt.random.NormalOptions),
      /^TypeError: random.normal: options must be an object .*not null/,
    );
  });
  await t.step("an unknown dtype names it", () => {
    assert.throws(
      () => gt.random.normal([2], { dtype: "toString" as DType }),
      (e: Error) => e.message.startsWith(`random.normal: unknown dtype "toString"`),
    );
  });
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
    assert.throws(
      () => gt.random.normal([-1, 2]),
      /^TypeError: random\.normal: shape \[-1,2\] is not valid/,
    );
    assert.throws(() => gt.random.uniform([1.5]), /uniform.*\[1.5\]/);
  });
});
