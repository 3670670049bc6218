/**
 * A training step (tape, gradient, applyGradients) compiled by `jit` gives, for every optimizer,
 * exactly what eager mode gives, step after step, from one trace.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertSame } from "../jit/_exact.ts";

const { optimizers } = gt;
const { schedules } = optimizers;

const makers: Record<string, () => gt.optimizers.Optimizer> = {
  "SGD": () => new optimizers.SGD({ learningRate: 0.1 }),
  "SGD, Nesterov": () => new optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
  "Adam, amsgrad": () => new optimizers.Adam({ learningRate: 0.05, amsgrad: true }),
  "AdamW": () => new optimizers.AdamW({ learningRate: 0.05, weightDecay: 0.1 }),
  "RMSprop, centered, momentum": () =>
    new optimizers.RMSprop({ learningRate: 0.01, centered: true, momentum: 0.5 }),
  "Adagrad": () => new optimizers.Adagrad({ learningRate: 0.1 }),
  "Adamax": () => new optimizers.Adamax({ learningRate: 0.05 }),
  "Nadam": () => new optimizers.Nadam({ learningRate: 0.05 }),
  "Lion": () => new optimizers.Lion({ learningRate: 0.01 }),
  "Adam, clipNorm, ExponentialDecay": () =>
    new optimizers.Adam({
      learningRate: new schedules.ExponentialDecay(0.05, 2, 0.5, { staircase: true }),
      clipNorm: 0.5,
    }),
  "SGD, clipValue, PiecewiseConstantDecay": () =>
    new optimizers.SGD({
      learningRate: new schedules.PiecewiseConstantDecay([1, 3], [0.2, 0.1, 0.05]),
      clipValue: 0.3,
      momentum: 0.5,
    }),
  "RMSprop, globalClipNorm, CosineDecay with warmup": () =>
    new optimizers.RMSprop({
      learningRate: new schedules.CosineDecay(0.001, 4, { warmupTarget: 0.01, warmupSteps: 2 }),
      globalClipNorm: 0.4,
    }),
  "Nadam, PolynomialDecay with cycle": () =>
    new optimizers.Nadam({ learningRate: new schedules.PolynomialDecay(0.05, 2, { cycle: true }) }),
  "Adagrad, InverseTimeDecay, weightDecay": () =>
    new optimizers.Adagrad({
      learningRate: new schedules.InverseTimeDecay(0.1, 1, 0.5),
      weightDecay: 0.01,
    }),
  "Lion, a function of the step": () =>
    new optimizers.Lion({ learningRate: (step) => gt.divide(0.01, gt.add(step, 1)) }),
};

const x = gt.constant([[1, 2, -1], [0.5, -1, 2], [-2, 0.25, 1], [1, 1, 1]]);
const y = gt.constant([[1, 0], [0, 1], [-1, 2], [0.5, 0.5]]);

function model(dtype: gt.DType) {
  return {
    w: new gt.Variable(gt.constant([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], { dtype }), {
      name: "w",
    }),
    b: new gt.Variable(gt.constant([0.05, -0.05], { dtype }), { name: "b" }),
  };
}

function stepOf(p: ReturnType<typeof model>, opt: gt.optimizers.Optimizer, counter: number[]) {
  return (xs: gt.Tensor, ys: gt.Tensor) => {
    counter[0]++;
    const tape = new gt.GradientTape();
    const loss = tape.record(() =>
      gt.reduceMean(gt.square(gt.add(gt.matmul(xs, p.w), p.b).sub(ys)))
    );
    const [gw, gb] = tape.gradient(loss, [p.w, p.b]);
    opt.applyGradients([[gw, p.w], [gb, p.b]]);
    return loss;
  };
}

for (const [name, make] of Object.entries(makers)) {
  Deno.test(`${name}: a jitted training step matches eager mode exactly, from one trace`, () => {
    for (const dtype of ["float32", "float64"] as const) {
      const jm = model(dtype), em = model(dtype);
      const jopt = make(), eopt = make();
      const traces = [0], eagerCalls = [0];
      const step = gt.jit(stepOf(jm, jopt, traces)), eager = stepOf(em, eopt, eagerCalls);
      const [xs, ys] = [gt.cast(x, dtype), gt.cast(y, dtype)];
      for (let i = 0; i < 5; i++) {
        assertSame(step(xs, ys), eager(xs, ys), `${dtype} step ${i}: loss`);
        assertSame(jm.w.value(), em.w.value(), `${dtype} step ${i}: w`);
        assertSame(jm.b.value(), em.b.value(), `${dtype} step ${i}: b`);
      }
      assert.equal(traces[0], 1, `${dtype}: one trace`);
      assert.equal(jopt.iterations, 5);
      const [jv, ev] = [jopt.variables, eopt.variables];
      assert.equal(jv.length, ev.length);
      jv.forEach((v, i) => assertSame(v.value(), ev[i].value(), `${dtype}: state variable ${i}`));
    }
  });
}

Deno.test("a new learningRate reaches a jitted step without a new trace", () => {
  const jm = model("float32"), em = model("float32");
  const jopt = new optimizers.Adam({ learningRate: 0.1 });
  const eopt = new optimizers.Adam({ learningRate: 0.1 });
  const traces = [0];
  const step = gt.jit(stepOf(jm, jopt, traces)), eager = stepOf(em, eopt, [0]);
  for (const lr of [0.1, 0.01, 0.3, 0]) {
    jopt.learningRate = lr;
    eopt.learningRate = lr;
    assertSame(step(x, y), eager(x, y), `learning rate ${lr}`);
    assertSame(jm.w.value(), em.w.value(), `learning rate ${lr}: w`);
  }
  assert.equal(traces[0], 1);
  const before = jm.w.value().data();
  jopt.learningRate = 0;
  step(x, y);
  assert.deepEqual(jm.w.value().data(), before, "a learning rate of 0 leaves the weights");
});

Deno.test("minimize inside jit matches eager mode", () => {
  const jm = model("float64"), em = model("float64");
  const jopt = new optimizers.Nadam({ learningRate: 0.05, clipNorm: 1 });
  const eopt = new optimizers.Nadam({ learningRate: 0.05, clipNorm: 1 });
  const body = (p: typeof jm, opt: gt.optimizers.Optimizer) => (xs: gt.Tensor) =>
    opt.minimize(() => gt.reduceSum(gt.square(gt.matmul(xs, p.w))), [p.w, p.b]);
  const step = gt.jit(body(jm, jopt)), eager = body(em, eopt);
  const xs = gt.cast(x, "float64");
  for (let i = 0; i < 3; i++) {
    assertSame(step(xs), eager(xs), `step ${i}`);
    assertSame(jm.w.value(), em.w.value(), `step ${i}: w`);
  }
  assert.deepEqual(jm.b.value().toArray(), [0.05, -0.05], "b's gradient is null");
});

Deno.test("applyGradients under a recording tape (ops run one by one) matches the compiled update", () => {
  for (const [name, make] of Object.entries(makers)) {
    const am = model("float32"), bm = model("float32");
    const aopt = make(), bopt = make();
    const plain = stepOf(am, aopt, [0]), inner = stepOf(bm, bopt, [0]);
    for (let i = 0; i < 3; i++) {
      plain(x, y);
      new gt.GradientTape().record(() => inner(x, y));
      assertSame(am.w.value(), bm.w.value(), `${name} step ${i}: w`);
      assertSame(am.b.value(), bm.b.value(), `${name} step ${i}: b`);
    }
  }
});
