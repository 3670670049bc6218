/** Learning-rate schedules against Keras's formulas, written out in float64 in each test. */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";

const { schedules } = gt.optimizers;
const steps = [0, 1, 2, 3, 5, 9, 10, 11, 25, 100];

function check(s: gt.optimizers.schedules.LearningRateSchedule, f: (t: number) => number) {
  for (const t of steps) {
    const got = s.call(t);
    assert.equal(got.dtype, "float64");
    assert.deepEqual(got.shape, []);
    assertAllClose(got, f(t), { rtol: 1e-14, atol: 1e-300 });
  }
}

Deno.test("ExponentialDecay: r·dᵗ/ⁿ, floored with staircase", () => {
  check(new schedules.ExponentialDecay(0.1, 10, 0.96), (t) => 0.1 * 0.96 ** (t / 10));
  check(
    new schedules.ExponentialDecay(0.1, 4, 0.5, { staircase: true }),
    (t) => 0.1 * 0.5 ** Math.floor(t / 4),
  );
});

Deno.test("InverseTimeDecay: r / (1 + d·t/n), floored with staircase", () => {
  check(new schedules.InverseTimeDecay(0.5, 3, 2), (t) => 0.5 / (1 + 2 * t / 3));
  check(
    new schedules.InverseTimeDecay(0.5, 3, 2, { staircase: true }),
    (t) => 0.5 / (1 + 2 * Math.floor(t / 3)),
  );
});

Deno.test("PiecewiseConstantDecay: each value up to and including its boundary", () => {
  const s = new schedules.PiecewiseConstantDecay([2, 9, 11], [1, 0.5, 0.25, 0.125]);
  check(s, (t) => t <= 2 ? 1 : t <= 9 ? 0.5 : t <= 11 ? 0.25 : 0.125);
  check(new schedules.PiecewiseConstantDecay([5], [3, 4]), (t) => t <= 5 ? 3 : 4);
});

Deno.test("CosineDecay: half a cosine down to alpha, then constant; with a linear warmup", () => {
  const cosine = (t: number, n: number) => 0.5 * (1 + Math.cos(Math.PI * Math.min(t, n) / n));
  check(new schedules.CosineDecay(2, 10), (t) => 2 * cosine(t, 10));
  check(new schedules.CosineDecay(2, 10, { alpha: 0.2 }), (t) => 2 * (0.8 * cosine(t, 10) + 0.2));
  const warm = new schedules.CosineDecay(0, 20, { warmupTarget: 1, warmupSteps: 5, alpha: 0.1 });
  check(warm, (t) => {
    const capped = Math.min(t, 25);
    if (capped < 5) return capped / 5;
    return 0.9 * cosine(capped - 5, 20) + 0.1;
  });
  // A warmup target with no warmup steps decays from the target at once.
  check(
    new schedules.CosineDecay(5, 10, { warmupTarget: 1 }),
    (t) => cosine(t, 10),
  );
});

Deno.test("PolynomialDecay: (r₀ - r₁)(1 - t/n)ᵖ + r₁, capped or cycling", () => {
  check(new schedules.PolynomialDecay(1, 10), (t) => 0.9999 * (1 - Math.min(t, 10) / 10) + 1e-4);
  check(
    new schedules.PolynomialDecay(1, 10, { endLearningRate: 0.5, power: 0.5 }),
    (t) => 0.5 * Math.sqrt(1 - Math.min(t, 10) / 10) + 0.5,
  );
  check(new schedules.PolynomialDecay(1, 4, { endLearningRate: 0, power: 2, cycle: true }), (t) => {
    const n = 4 * (t === 0 ? 1 : Math.ceil(t / 4));
    return (1 - t / n) ** 2;
  });
});

Deno.test("schedules take the step as a number or a scalar tensor of any numeric dtype", () => {
  const s = new schedules.ExponentialDecay(1, 1, 0.5);
  assert.equal(s.call(gt.constant(3, { dtype: "int32" })).item(), 0.125);
  assert.equal(s.call(gt.constant(3)).item(), 0.125);
  assert.throws(
    () => s.call(gt.constant([1, 2])),
    /^TypeError: ExponentialDecay: the step must be/,
  );
  assert.throws(() => s.call(NaN), /^TypeError: ExponentialDecay: step must be a finite number/);
});

Deno.test("schedules check their arguments, naming the schedule and the value", () => {
  const bad: [() => unknown, RegExp][] = [
    [
      () => new schedules.ExponentialDecay(0.1, 0, 0.5),
      /^RangeError: ExponentialDecay: decaySteps must be positive, not 0$/,
    ],
    [
      () => new schedules.InverseTimeDecay(0.1, 1, NaN),
      /^TypeError: InverseTimeDecay: decayRate must be a finite number, not NaN$/,
    ],
    [
      () => new schedules.ExponentialDecay(0.1, 1, 0.5, { stairCase: true } as never),
      /unknown option 'stairCase' \(did you mean 'staircase'\?\)/,
    ],
    [
      () => new schedules.PiecewiseConstantDecay([1, 2], [1, 2]),
      /^RangeError: PiecewiseConstantDecay: values must have one more entry than boundaries: 2 boundaries and 2 values$/,
    ],
    [
      () => new schedules.PiecewiseConstantDecay([2, 1], [1, 2, 3]),
      /boundaries must increase: boundaries\[1\] = 1 follows 2$/,
    ],
    [
      () => new schedules.PiecewiseConstantDecay(3 as never, [1]),
      /^TypeError: PiecewiseConstantDecay: boundaries must be an array of numbers, not 3$/,
    ],
    [
      () => new schedules.CosineDecay(1, 10, { warmupSteps: -1 }),
      /^RangeError: CosineDecay: warmupSteps must be non-negative, not -1$/,
    ],
    [
      () => new schedules.PolynomialDecay(1, 10, { cycle: "yes" } as never),
      /^TypeError: PolynomialDecay: cycle must be/,
    ],
  ];
  for (const [make, message] of bad) assert.throws(make, message);
});
