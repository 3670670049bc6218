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
  await t.step("parameters beyond float32's range, in float32", () => {
    assert.throws(
      () => gt.random.uniform([2], { maxval: 1e39 }),
      /random\.uniform: maxval 1e\+39 is beyond float32's range .*float64/,
    );
    assert.throws(() => gt.random.normal([2], { mean: -1e39 }), /normal: mean -1e\+39 is beyond/);
    // In float64 they are drawn.
    const u = gt.random.uniform([100], { maxval: 1e39, dtype: "float64", seed: 2 }).data();
    assert.ok(u.every((v) => v >= 0 && v < 1e39));
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

// Draws inside jit: fresh at every call, the same as eager mode's from one global seed, and a
// seeded call the same every time.
function checkUnderJit(what: string, body: () => gt.Tensor): void {
  gt.random.setSeed(31);
  const eager = [body(), body()].map((t) => t.toArray());
  gt.random.setSeed(31);
  const f = gt.jit(body);
  const jitted = [f(), f()].map((t) => t.toArray());
  assert.deepEqual(jitted, eager, what);
  assert.notDeepEqual(jitted[0], jitted[1], `${what}: two jitted calls drew the same numbers`);
}

Deno.test("random.truncatedNormal stays within 2 stddev, with the truncated moments", async (t) => {
  // A standard normal truncated to [-2, 2]: variance 1 - 4φ(2)/(Φ(2) - Φ(-2)), with φ(2) =
  // e^-2/√(2π) and Φ(2) - Φ(-2) = 0.9544997361036416 (tabulated).
  const truncStd = Math.sqrt(1 - (4 * Math.exp(-2) / Math.sqrt(2 * Math.PI)) / 0.9544997361036416);
  const cases: [number, number, DType][] = [[0, 1, "float32"], [3, 0.5, "float64"], [
    -1,
    2,
    "float32",
  ]];
  for (const [mean, stddev, dtype] of cases) {
    await t.step(`mean ${mean}, stddev ${stddev}, ${dtype}`, () => {
      const x = gt.random.truncatedNormal([N], { mean, stddev, dtype, seed: 99 });
      assert.equal(x.dtype, dtype);
      const d = x.data();
      const slack = dtype === "float32" ? 1e-6 * (Math.abs(mean) + 2 * stddev) : 0;
      let near = 0;
      for (const v of d) {
        assert.ok(Math.abs(v - mean) <= 2 * stddev + slack, `${v} beyond 2 stddev`);
        if (Math.abs(v - mean) > 1.9 * stddev) near++;
      }
      // The density is not cut early: the band (1.9σ, 2σ] holds about 1.2% of draws.
      assert.ok(near > 0.006 * N, `${near}`);
      const m = moments(d);
      assert.ok(Math.abs(m.mean - mean) < 5 * stddev * truncStd / Math.sqrt(N), `mean ${m.mean}`);
      assert.ok(Math.abs(m.std / (stddev * truncStd) - 1) < 0.03, `stddev ${m.std}`);
    });
  }
  await t.step("seeded draws repeat; options are checked", () => {
    const a = gt.random.truncatedNormal([50], { seed: 4 }).toArray();
    assert.deepEqual(gt.random.truncatedNormal([50], { seed: 4 }).toArray(), a);
    assert.deepEqual(gt.random.truncatedNormal([2, 0]).shape, [2, 0]);
    assert.throws(() => gt.random.truncatedNormal([2], { stddev: -1 }), /truncatedNormal: stddev/);
    assert.throws(
      () => gt.random.truncatedNormal([2], { dtype: "int32" }),
      /truncatedNormal.*int32/,
    );
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => gt.random.truncatedNormal([2], { stdev: 1 } as any),
      /truncatedNormal.*stdev/,
    );
  });
  await t.step(
    "under jit",
    () => checkUnderJit("truncatedNormal", () => gt.random.truncatedNormal([4])),
  );
});

Deno.test("random.categorical draws classes as often as softmax(logits) says", async (t) => {
  const logits = [[0, 1, 2, -1], [3, 3, -Infinity, 0]];
  const probs = logits.map((row) => {
    const e = row.map(Math.exp), s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
  for (const dtype of ["float32", "float64"] as DType[]) {
    await t.step(dtype, () => {
      const s = gt.random.categorical(gt.constant(logits, { dtype }), N, { seed: 12 });
      assert.equal(s.dtype, "int32");
      assert.deepEqual(s.shape, [2, N]);
      const rows = s.toArray() as number[][];
      rows.forEach((row, b) => {
        const counts = new Array(4).fill(0);
        for (const c of row) counts[c]++;
        probs[b].forEach((p, c) => {
          // 5 standard errors of a frequency: √(p(1-p)/N).
          const tol = 5 * Math.sqrt((p * (1 - p)) / N) + 1e-12;
          assert.ok(
            Math.abs(counts[c] / N - p) <= tol,
            `row ${b} class ${c}: ${counts[c] / N} vs ${p}`,
          );
        });
      });
      assert.ok(!rows[1].includes(2), "a class of logit -Infinity was drawn");
    });
  }
  await t.step("shifting every logit of a row changes nothing, however large", () => {
    for (const shift of [1e20, -1e30, 1e15]) {
      const s = gt.random.categorical([[shift, shift], [shift + 0, -Infinity]], N, { seed: 5 });
      const [even, sure] = s.toArray() as number[][];
      const ones = even.reduce((a, c) => a + c, 0) / N;
      assert.ok(
        Math.abs(ones - 0.5) <= 5 * Math.sqrt(0.25 / N),
        `shift ${shift}: ${ones} of class 1`,
      );
      assert.ok(sure.every((c) => c === 0), `shift ${shift}: a class of logit -Infinity was drawn`);
    }
    // A row of -Infinity alone stays as it was: no shift by an infinite maximum.
    assert.deepEqual(gt.random.categorical([[-Infinity, -Infinity]], 3, { seed: 1 }).shape, [1, 3]);
  });
  await t.step("shapes, seeds and errors", () => {
    assert.deepEqual(gt.random.categorical([[1, 2]], 0).shape, [1, 0]);
    assert.deepEqual(gt.random.categorical(gt.zeros([0, 3]), 2).shape, [0, 2]);
    const a = gt.random.categorical([[0, 0, 0]], 20, { seed: 8 }).toArray();
    assert.deepEqual(gt.random.categorical([[0, 0, 0]], 20, { seed: 8 }).toArray(), a);
    assert.throws(
      () => gt.random.categorical([1, 2], 3),
      /^Error: random\.categorical: logits must have shape \[batch, classes\]/,
    );
    assert.throws(
      () => gt.random.categorical(gt.zeros([2, 0]), 3),
      /at least one class, not \[2,0\]/,
    );
    assert.throws(
      () => gt.random.categorical([[1, 2]], -1),
      /categorical: numSamples must be an integer ≥ 0, not -1/,
    );
    assert.throws(() => gt.random.categorical([[1, 2]], 1.5), /numSamples/);
    assert.throws(
      () => gt.random.categorical(gt.constant([[1, 2]], { dtype: "int32" }), 1),
      /categorical: logits must be float32 or float64, not int32/,
    );
  });
  await t.step("under jit, and vmap over a batch of logits", () => {
    checkUnderJit("categorical", () => gt.random.categorical([[0, 0, 0, 0]], 8));
    const many = gt.vmap((l: gt.Tensor) => gt.random.categorical(l, 5))(gt.zeros([3, 2, 4]));
    assert.deepEqual(many.shape, [3, 2, 5]);
    // A logit far above the others decides, under vmap too.
    const sure = gt.constant([[[0, 50, 0]], [[0, 0, 50]]]);
    assert.deepEqual(gt.vmap((l: gt.Tensor) => gt.random.categorical(l, 3))(sure).toArray(), [[[
      1,
      1,
      1,
    ]], [[2, 2, 2]]]);
    const g = gt.jit((l: gt.Tensor) => gt.random.categorical(l, 3));
    assert.deepEqual(g(sure.reshape([2, 3])).toArray(), [[1, 1, 1], [2, 2, 2]]);
  });
});

Deno.test("random.shuffle permutes the rows, each order equally often", async (t) => {
  await t.step("a permutation of the rows, shape and dtype kept", () => {
    const x = gt.reshape(gt.range(0, 40, 1, "int32"), [20, 2]);
    const y = gt.random.shuffle(x, { seed: 3 });
    assert.deepEqual([y.shape, y.dtype], [[20, 2], "int32"]);
    const rows = y.toArray() as number[][];
    assert.deepEqual(rows.map((r) => r[0] / 2).sort((a, b) => a - b), [...Array(20).keys()]);
    assert.ok(rows.every(([a, b]) => b === a + 1), "rows were torn apart");
    assert.notDeepEqual(rows, x.toArray());
  });
  await t.step("the 6 orders of 3 rows, about 1/6 each", () => {
    const counts = new Map<string, number>();
    const n = 6000;
    gt.random.setSeed(5);
    for (let i = 0; i < n; i++) {
      const key = String(gt.random.shuffle([0, 1, 2]).toArray());
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    assert.equal(counts.size, 6);
    const tol = 5 * Math.sqrt((1 / 6) * (5 / 6) / n);
    for (const [k, c] of counts) assert.ok(Math.abs(c / n - 1 / 6) < tol, `${k}: ${c / n}`);
  });
  await t.step("the gradient goes back to each row's place", () => {
    const x = gt.constant([1, 2, 3, 4, 5], { dtype: "float64" });
    const w = gt.constant([10, 20, 30, 40, 50], { dtype: "float64" });
    // The order the seed gives, read from a shuffle of the positions themselves.
    const order = gt.random.shuffle([0, 1, 2, 3, 4], { seed: 9 }).toArray() as number[];
    const g = gt.grad((a: gt.Tensor) =>
      gt.reduceSum(gt.multiply(w, gt.random.shuffle(a, { seed: 9 })))
    )(x);
    // Σ_i w_i x_order[i]: d/dx_j = w_i where order[i] = j.
    const expected = new Array(5).fill(0);
    order.forEach((j, i) => (expected[j] = (i + 1) * 10));
    assert.deepEqual(g.toArray(), expected);
  });
  await t.step("scalars, empty tensors, seeds", () => {
    assert.equal(gt.random.shuffle(7).item(), 7);
    assert.deepEqual(gt.random.shuffle(gt.zeros([0, 2])).shape, [0, 2]);
    const a = gt.random.shuffle(gt.range(0, 30), { seed: 1 }).toArray();
    assert.deepEqual(gt.random.shuffle(gt.range(0, 30), { seed: 1 }).toArray(), a);
    assert.throws(
      () => gt.random.shuffle([1, 2], { seed: 0.5 }),
      /random\.shuffle: seed must be an integer, not 0.5/,
    );
  });
  await t.step("under jit, and vmap (one order for every example)", () => {
    checkUnderJit("shuffle", () => gt.random.shuffle(gt.range(0, 10)));
    const rows = gt.vmap((r: gt.Tensor) => gt.random.shuffle(r))(
      gt.stack([gt.range(0, 8), gt.range(10, 18)]),
    );
    const [a, b] = rows.toArray() as number[][];
    assert.deepEqual(b, a.map((v) => v + 10));
    assert.deepEqual([...a].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
