/**
 * Every optimizer against a float64 reference of Keras's update (tests/optimizers/_reference.ts),
 * step by step, with clipping, weight decay, schedules and learning rates changed between steps.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import * as ref from "./_reference.ts";

const { optimizers } = gt;
const { schedules } = optimizers;

const f64 = (v: number[]) => gt.constant(v, { dtype: "float64" });

const start = [[1, -2, 3], [0.5, 4]];
// Gradients that change sign and size, so that AMSGrad's maximum and Adamax's norm both matter.
const grads = [
  [[0.5, -1, 2], [3, -0.25]],
  [[0.25, 0.5, -1], [-1, 0.125]],
  [[1, 1, 1e-3], [0.5, 2]],
  [[-2, 0, 0.5], [0.01, -4]],
  [[0.75, -0.3, 0.2], [-0.6, 1.5]],
];

interface Case {
  name: string;
  make: () => gt.optimizers.Optimizer;
  ref: () => ref.RefOptimizer;
  options: ref.RefOptions;
}

const lr = (r: number) => () => r;

const cases: Case[] = [
  {
    name: "SGD",
    make: () => new optimizers.SGD({ learningRate: 0.1 }),
    ref: () => ref.sgd(),
    options: { lr: lr(0.1) },
  },
  {
    name: "SGD with momentum",
    make: () => new optimizers.SGD({ learningRate: 0.1, momentum: 0.9 }),
    ref: () => ref.sgd(0.9),
    options: { lr: lr(0.1) },
  },
  {
    name: "SGD with Nesterov momentum",
    make: () => new optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
    ref: () => ref.sgd(0.9, true),
    options: { lr: lr(0.1) },
  },
  {
    name: "Adam",
    make: () => new optimizers.Adam({ learningRate: 0.01 }),
    ref: () => ref.adam(),
    options: { lr: lr(0.01) },
  },
  {
    name: "Adam with amsgrad",
    make: () => new optimizers.Adam({ learningRate: 0.01, beta2: 0.9, amsgrad: true }),
    ref: () => ref.adam(0.9, 0.9, 1e-7, true),
    options: { lr: lr(0.01) },
  },
  {
    name: "AdamW",
    make: () => new optimizers.AdamW({ learningRate: 0.01, weightDecay: 0.1 }),
    ref: () => ref.adam(),
    options: { lr: lr(0.01), weightDecay: 0.1 },
  },
  {
    name: "AdamW with its default weight decay",
    make: () => new optimizers.AdamW(),
    ref: () => ref.adam(),
    options: { lr: lr(0.001), weightDecay: 0.004 },
  },
  {
    name: "RMSprop",
    make: () => new optimizers.RMSprop({ learningRate: 0.01 }),
    ref: () => ref.rmsprop(),
    options: { lr: lr(0.01) },
  },
  {
    name: "RMSprop with momentum",
    make: () => new optimizers.RMSprop({ learningRate: 0.01, momentum: 0.5, rho: 0.8 }),
    ref: () => ref.rmsprop(0.8, 0.5),
    options: { lr: lr(0.01) },
  },
  {
    name: "RMSprop centered, with momentum",
    make: () => new optimizers.RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true }),
    ref: () => ref.rmsprop(0.9, 0.5, 1e-7, true),
    options: { lr: lr(0.01) },
  },
  {
    name: "RMSprop centered",
    make: () => new optimizers.RMSprop({ learningRate: 0.01, centered: true, epsilon: 1e-3 }),
    ref: () => ref.rmsprop(0.9, 0, 1e-3, true),
    options: { lr: lr(0.01) },
  },
  {
    name: "Adagrad",
    make: () => new optimizers.Adagrad({ learningRate: 0.1 }),
    ref: () => ref.adagrad(),
    options: { lr: lr(0.1) },
  },
  {
    name: "Adagrad from zero accumulators",
    make: () => new optimizers.Adagrad({ learningRate: 0.1, initialAccumulatorValue: 0 }),
    ref: () => ref.adagrad(0),
    options: { lr: lr(0.1) },
  },
  {
    name: "Adamax",
    make: () => new optimizers.Adamax({ learningRate: 0.01 }),
    ref: () => ref.adamax(),
    options: { lr: lr(0.01) },
  },
  {
    name: "Nadam",
    make: () => new optimizers.Nadam({ learningRate: 0.01 }),
    ref: () => ref.nadam(),
    options: { lr: lr(0.01) },
  },
  {
    name: "Lion",
    make: () => new optimizers.Lion({ learningRate: 0.01 }),
    ref: () => ref.lion(),
    options: { lr: lr(0.01) },
  },
  {
    name: "Adam with clipNorm",
    make: () => new optimizers.Adam({ learningRate: 0.01, clipNorm: 1 }),
    ref: () => ref.adam(),
    options: { lr: lr(0.01), clipNorm: 1 },
  },
  {
    name: "SGD with clipNorm",
    make: () => new optimizers.SGD({ learningRate: 0.1, clipNorm: 1.5 }),
    ref: () => ref.sgd(),
    options: { lr: lr(0.1), clipNorm: 1.5 },
  },
  {
    name: "SGD with clipValue",
    make: () => new optimizers.SGD({ learningRate: 0.1, clipValue: 0.5 }),
    ref: () => ref.sgd(),
    options: { lr: lr(0.1), clipValue: 0.5 },
  },
  {
    name: "SGD with globalClipNorm",
    make: () => new optimizers.SGD({ learningRate: 0.1, globalClipNorm: 2 }),
    ref: () => ref.sgd(),
    options: { lr: lr(0.1), globalClipNorm: 2 },
  },
  {
    name: "RMSprop with globalClipNorm and weight decay",
    make: () =>
      new optimizers.RMSprop({ learningRate: 0.01, globalClipNorm: 1, weightDecay: 0.05 }),
    ref: () => ref.rmsprop(),
    options: { lr: lr(0.01), globalClipNorm: 1, weightDecay: 0.05 },
  },
  {
    name: "SGD with momentum and weight decay",
    make: () => new optimizers.SGD({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 }),
    ref: () => ref.sgd(0.9),
    options: { lr: lr(0.1), weightDecay: 0.01 },
  },
  {
    name: "Adam with ExponentialDecay",
    make: () => new optimizers.Adam({ learningRate: new schedules.ExponentialDecay(0.01, 2, 0.5) }),
    ref: () => ref.adam(),
    options: { lr: (t) => 0.01 * 0.5 ** (t / 2) },
  },
  {
    name: "SGD with InverseTimeDecay, staircase",
    make: () =>
      new optimizers.SGD({
        learningRate: new schedules.InverseTimeDecay(0.1, 2, 1, { staircase: true }),
      }),
    ref: () => ref.sgd(),
    options: { lr: (t) => 0.1 / (1 + Math.floor(t / 2)) },
  },
  {
    name: "SGD with PiecewiseConstantDecay",
    make: () =>
      new optimizers.SGD({
        learningRate: new schedules.PiecewiseConstantDecay([1, 3], [1, 0.5, 0.1]),
      }),
    ref: () => ref.sgd(),
    options: { lr: (t) => t <= 1 ? 1 : t <= 3 ? 0.5 : 0.1 },
  },
  {
    name: "Lion with CosineDecay",
    make: () => new optimizers.Lion({ learningRate: new schedules.CosineDecay(0.1, 4) }),
    ref: () => ref.lion(),
    options: { lr: (t) => 0.1 * 0.5 * (1 + Math.cos(Math.PI * Math.min(t, 4) / 4)) },
  },
  {
    name: "Nadam with PolynomialDecay",
    make: () =>
      new optimizers.Nadam({
        learningRate: new schedules.PolynomialDecay(0.1, 3, { endLearningRate: 0.01, power: 2 }),
      }),
    ref: () => ref.nadam(),
    options: { lr: (t) => 0.09 * (1 - Math.min(t, 3) / 3) ** 2 + 0.01 },
  },
  {
    name: "Adagrad with a function of the step",
    make: () => new optimizers.Adagrad({ learningRate: (step) => gt.divide(0.5, gt.add(step, 1)) }),
    ref: () => ref.adagrad(),
    options: { lr: (t) => 0.5 / (t + 1) },
  },
];

for (const c of cases) {
  Deno.test(`${c.name} follows Keras's update step by step`, () => {
    const vars = start.map((w) => new gt.Variable(f64(w)));
    const opt = c.make();
    const expected = grads.map((_, k) =>
      ref.runReference(c.ref(), start, grads.slice(0, k + 1), c.options)
    );
    grads.forEach((g, k) => {
      opt.applyGradients(g.map((gi, j) => [f64(gi), vars[j]]));
      vars.forEach((v, j) =>
        assertAllClose(v.value(), expected[k][j], { rtol: 1e-12, atol: 1e-14 })
      );
      assert.equal(opt.iterations, k + 1);
    });
  });
}

Deno.test("a learningRate changed between steps is used from the next step", () => {
  for (
    const [kind, make] of [
      ["a number", () => new optimizers.Adam({ learningRate: 0.01 })],
      [
        "a schedule",
        () => new optimizers.Adam({ learningRate: new schedules.CosineDecay(0.5, 9) }),
      ],
    ] as const
  ) {
    const vars = start.map((w) => new gt.Variable(f64(w)));
    const opt = make();
    const rates = [0.01, 0.01, 0.05, 0.05, 0.002];
    grads.forEach((g, k) => {
      opt.learningRate = rates[k];
      opt.applyGradients(g.map((gi, j) => [f64(gi), vars[j]]));
    });
    const expected = ref.runReference(ref.adam(), start, grads, { lr: (t) => rates[t] });
    for (let j = 0; j < vars.length; j++) {
      assertAllClose(vars[j].value(), expected[j], { rtol: 1e-12 });
    }
    assert.equal(opt.learningRate, 0.002, kind);
  }
});

Deno.test("learningRate reads the schedule at the step about to run", () => {
  const opt = new optimizers.SGD({ learningRate: new schedules.ExponentialDecay(1, 1, 0.5) });
  const w = new gt.Variable(f64([0]));
  assert.equal(opt.learningRate, 1);
  opt.applyGradients([[f64([1]), w]]);
  opt.applyGradients([[f64([1]), w]]);
  assert.equal(opt.learningRate, 0.25);
  assert.deepEqual(w.value().toArray(), [-1.5]);
  opt.learningRate = new schedules.PiecewiseConstantDecay([5], [3, 4]);
  assert.equal(opt.learningRate, 3);
  opt.learningRate = (step) => gt.multiply(step, 0.5);
  assert.equal(opt.learningRate, 1);
});

Deno.test("weight decay spares the variables excluded by identity or name", () => {
  const w = new gt.Variable(f64([2]), { name: "dense/kernel" });
  const b = new gt.Variable(f64([2]), { name: "dense/bias" });
  const s = new gt.Variable(f64([2]), { name: "scale" });
  const opt = new optimizers.SGD({ learningRate: 0.5, weightDecay: 0.1 });
  opt.excludeFromWeightDecay({ varList: [s], varNames: ["bias"] });
  opt.applyGradients([[f64([0]), w], [f64([0]), b], [f64([0]), s]]);
  assert.deepEqual([w.item(), b.item(), s.item()], [2 - 2 * 0.1 * 0.5, 2, 2]);
  assert.throws(
    () => opt.excludeFromWeightDecay({ varNames: ["kernel"] }),
    /^Error: SGD\.excludeFromWeightDecay: .*before the first step/,
  );
});

Deno.test("a float32 variable is updated in float64 and rounded once", () => {
  const w = new gt.Variable([1, -2, 3]);
  const opt = new optimizers.Adam({ learningRate: 0.01 });
  for (const g of grads) opt.applyGradients([[gt.constant(g[0]), w]]);
  const expected = ref.runReference(
    ref.adam(),
    [[1, -2, 3]],
    grads.map((g) => [g[0].map(Math.fround)]),
    {
      lr: lr(0.01),
    },
  );
  // Each step rounds the weights to float32: within a few float32 ulps of the float64 path.
  assertAllClose(w.value(), expected[0], { rtol: 1e-6 });
  assert.equal(w.dtype, "float32");
});

Deno.test("minimize records the loss, applies its gradients and returns it", () => {
  const w = new gt.Variable(f64([1, 2])), frozen = new gt.Variable(f64([3]), { trainable: false });
  const unused = new gt.Variable(f64([5]));
  const opt = new optimizers.SGD({ learningRate: 0.1 });
  const loss = opt.minimize(
    () => gt.add(gt.reduceSum(gt.square(w)), gt.reduceSum(gt.multiply(frozen, 2))),
    [w, frozen, unused],
  );
  assert.equal(loss.item(), 1 + 4 + 6);
  assert.deepEqual(w.value().toArray(), [1 - 0.2, 2 - 0.4]);
  // Listed variables are watched even when not trainable, as Keras's minimize watches var_list.
  assert.deepEqual(frozen.value().toArray(), [3 - 0.2]);
  assert.deepEqual(unused.value().toArray(), [5]);
  assert.equal(opt.iterations, 1);
});

Deno.test("minimize refuses a loss that is not a function, or a list without variables", () => {
  const opt = new optimizers.Adam();
  const w = new gt.Variable(1);
  assert.throws(
    () => opt.minimize(1 as never, [w]),
    /^TypeError: Adam\.minimize: loss must be a function/,
  );
  assert.throws(
    () => opt.minimize(() => w.square(), [w, 2] as never),
    /^TypeError: Adam\.minimize: varList\[1\] is 2, not a Variable/,
  );
  assert.throws(
    () => opt.minimize(() => 3 as never, [w]),
    /^TypeError: Adam\.minimize: loss\(\) must return a Tensor, not 3/,
  );
  assert.equal(w.item(), 1);
  assert.equal(opt.iterations, 0);
});

Deno.test("iterations counts every step; a call with no gradient at all is refused, as Keras's", () => {
  const opt = new optimizers.Nadam();
  const w = new gt.Variable(1), b = new gt.Variable(2);
  // Keras: ValueError("No gradients provided for any variable."), and no step counted.
  assert.throws(() => opt.applyGradients([[null, w]]), /no gradients provided for any variable/);
  assert.throws(() => opt.applyGradients([]), /no gradients provided for any variable/);
  assert.equal(opt.iterations, 0);
  assert.equal(w.item(), 1);
  // One null among real gradients is skipped, and the step counts.
  opt.applyGradients([[null, w], [gt.constant(1), b]]);
  assert.equal(opt.iterations, 1);
  assert.equal(w.item(), 1);
});

Deno.test("an optimizer's state is in its variables, built on first use or by build()", () => {
  const w = new gt.Variable([1, 2]), b = new gt.Variable(0);
  const opt = new optimizers.Adam({ amsgrad: true });
  assert.equal(opt.variables.length, 2);
  opt.build([w]);
  assert.deepEqual(opt.variables.map((v) => v.shape), [[], [], [2], [2], [2]]);
  opt.applyGradients([[gt.constant([1, 1]), w], [gt.constant(1), b]]);
  const vars = opt.variables;
  assert.deepEqual(vars.map((v) => v.shape), [[], [], [2], [2], [2], [], [], []]);
  assert.ok(vars.every((v) => v.dtype === "float64" && !v.trainable));
  assert.equal(vars[0].item(), 1);
  assert.equal(vars[1].item(), 0.001);
  assert.equal(new optimizers.Adagrad().variables.length, 2);
  const adagrad = new optimizers.Adagrad({ initialAccumulatorValue: 0.25 });
  adagrad.build([w]);
  assert.deepEqual(adagrad.variables[2].value().toArray(), [0.25, 0.25]);
  assert.equal(new optimizers.Nadam().variables.length, 3); // and its running product
});

Deno.test("a checkpoint's view of the state names each slot by its variable", () => {
  const w = new gt.Variable([1, 2]);
  const opt = new optimizers.RMSprop({ momentum: 0.5 });
  opt.applyGradients([[gt.constant([1, 1]), w]]);
  const key = Symbol.for("gradtape.checkpointState");
  const state = (opt as unknown as Record<symbol, () => Record<string, unknown>>)[key]();
  assert.deepEqual(Object.keys(state), ["iterations", "learningRate", "velocity", "momentum"]);
  const velocity = state.velocity as Map<gt.Variable, gt.Variable>;
  assert.ok(velocity.get(w) instanceof gt.Variable);
  assertAllClose(velocity.get(w)!.value(), [0.1, 0.1]);
});

Deno.test("optimizer options are checked, naming the optimizer and the value", () => {
  const bad: [() => unknown, RegExp][] = [
    [
      () => new optimizers.Adam({ clipNorm: 1, clipValue: 1 }),
      /^TypeError: Adam: only one of clipNorm, clipValue and globalClipNorm can be set, not clipNorm and clipValue$/,
    ],
    [
      () => new optimizers.SGD({ learningRate: 1, clipNorm: 0 }),
      /^RangeError: SGD: clipNorm must be positive, not 0$/,
    ],
    [
      () => new optimizers.Lion({ beta1: 0 }),
      /^RangeError: Lion: beta1 must be in \(0, 1\], not 0$/,
    ],
    [
      () => new optimizers.RMSprop({ rho: 1 }),
      /^RangeError: RMSprop: rho must be in \[0, 1\), not 1$/,
    ],
    [
      () => new optimizers.Adagrad({ initialAccumulatorValue: -1 }),
      /initialAccumulatorValue must be non-negative, not -1$/,
    ],
    [
      () => new optimizers.AdamW({ weightDecay: -0.1 }),
      /^RangeError: AdamW: weightDecay must be non-negative, not -0\.1$/,
    ],
    [
      () => new optimizers.AdamW({ beta1: 2 }),
      /^RangeError: AdamW: beta1 must be in \[0, 1\), not 2$/,
    ],
    [
      () => new optimizers.SGD({ learningRate: 1, nesterov: 1 as never }),
      /^TypeError: SGD: nesterov must be/,
    ],
    [
      () => new optimizers.Nadam({ learningRate: {} as never }),
      /^TypeError: Nadam: learningRate must be a non-negative number, a schedule/,
    ],
    [
      () => new optimizers.Adamax({ amsgrad: true } as never),
      /^TypeError: Adamax: unknown option 'amsgrad'/,
    ],
  ];
  for (const [make, message] of bad) assert.throws(make, message);
  const opt = new optimizers.Adam();
  assert.throws(
    () => (opt.learningRate = -1),
    /^RangeError: Adam\.learningRate: learningRate must be non-negative, not -1$/,
  );
  assert.equal(opt.learningRate, 0.001);
});

Deno.test("a learning-rate function that gives a bad value is refused before anything changes", () => {
  const w = new gt.Variable(f64([1]));
  for (
    const [fn, message] of [
      [() => "0.1", /gave "0\.1" \(a string\), not a number or a scalar float tensor/],
      [() => gt.constant([0.1, 0.2]), /not a number or a scalar float tensor/],
      [() => -1, /gave -1 at step 0, not a finite non-negative number/],
    ] as const
  ) {
    const opt = new optimizers.SGD({ learningRate: fn as never, momentum: 0.5 });
    assert.throws(() => opt.applyGradients([[f64([1]), w]]), message);
    assert.equal(opt.iterations, 0);
    assert.equal(w.item(), 1);
  }
});

Deno.test("more lists of variables than the optimizer keeps programs for still update exactly", () => {
  // Each list of variables updated together gets its own compiled program; only the last 16
  // are kept, so 20 lists in turn, twice, recompile: the results must not change.
  const vars = Array.from({ length: 20 }, (_, i) => new gt.Variable(f64([i, -i])));
  const opt = new optimizers.SGD({ learningRate: 0.5, momentum: 0.5 });
  for (let round = 0; round < 2; round++) {
    vars.forEach((v, i) => opt.applyGradients([[f64([1, i]), v]]));
  }
  // Two momentum steps per variable with the same gradient g: w - lr·g - (μ·lr·g + lr·g).
  vars.forEach((v, i) => {
    assert.deepEqual(v.value().toArray(), [i - 0.5 - 0.75, 0 - i - 0.5 * i - 0.75 * i]);
  });
  assert.equal(opt.iterations, 40);
});
