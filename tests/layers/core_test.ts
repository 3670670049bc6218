import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";
import { f64, throwsWith } from "../_helpers.ts";

// x·W + b by loops, the reference for Dense.
function affine(x: number[][], w: number[][], b: number[]): number[][] {
  return x.map((row) => b.map((bj, j) => row.reduce((s, xi, i) => s + xi * w[i][j], bj)));
}

const W = [[0.5, -1, 2], [1.5, 0.25, -0.5]];
const B = [0.1, -0.2, 0.3];
const X = [[1, 2], [-3, 0.5], [0, -1]];

function builtDense(units: number, options: gt.layers.DenseOptions = {}): gt.layers.Dense {
  const dense = new gt.layers.Dense(units, options);
  dense.apply(f64([[0, 0]]));
  dense.kernel!.assign(W);
  dense.bias?.assign(B);
  return dense;
}

Deno.test("Dense() is x·kernel + bias with the weights assigned", () => {
  const dense = builtDense(3);
  assert.equal(dense.kernel!.dtype, "float64");
  assert.deepEqual(dense.kernel!.shape, [2, 3]);
  assertAllClose(dense.apply(f64(X)), affine(X, W, B), { atol: 1e-12 });
});

Deno.test("Dense() applies named and function activations after the bias", () => {
  const relu = builtDense(3, { activation: "relu" });
  const expected = affine(X, W, B).map((r) => r.map((v) => Math.max(v, 0)));
  assertAllClose(relu.apply(f64(X)), expected, { atol: 1e-12 });
  const soft = builtDense(3, { activation: "softmax" });
  const softmax = (r: number[]) => {
    const e = r.map(Math.exp), s = e.reduce((a, b) => a + b);
    return e.map((v) => v / s);
  };
  assertAllClose(soft.apply(f64(X)), affine(X, W, B).map(softmax), { atol: 1e-12 });
  const cube = builtDense(3, { activation: (t) => t.pow(3) });
  assertAllClose(cube.apply(f64(X)), affine(X, W, B).map((r) => r.map((v) => v ** 3)), {
    atol: 1e-12,
  });
  const swish = builtDense(3, { activation: "swish" });
  const silu = (v: number) => v / (1 + Math.exp(-v));
  assertAllClose(swish.apply(f64(X)), affine(X, W, B).map((r) => r.map(silu)), { atol: 1e-12 });
  throwsWith(
    () => new gt.layers.Dense(2, { activation: "rleu" }),
    TypeError,
    /Dense 'dense(_\d+)?': unknown activation "rleu"/,
    /"relu"/,
  );
});

Deno.test("Dense() without a bias, and on a rank-3 input (along the last axis)", () => {
  const dense = builtDense(3, { useBias: false });
  assert.equal(dense.bias, null);
  assert.equal(dense.variables.length, 1);
  assert.deepEqual(dense.apply(gt.zeros([0, 5, 2], "float64")).shape, [0, 5, 3]);
  const y = dense.apply(f64([X, X]));
  assert.deepEqual(y.shape, [2, 3, 3]);
  const expected = affine(X, W, [0, 0, 0]);
  assertAllClose(y, [expected, expected], { atol: 1e-12 });
});

Deno.test("Dense() builds with Keras's defaults: a glorot-uniform kernel and a zero bias", () => {
  gt.random.setSeed(5);
  const dense = new gt.layers.Dense(40);
  dense.apply(gt.zeros([1, 60]));
  assert.equal(dense.kernel!.dtype, "float32");
  assert.equal(dense.kernel!.name, `${dense.name}/kernel`);
  const limit = Math.sqrt(6 / 100);
  const k = [...dense.kernel!.data()];
  assert.ok(k.every((v) => Math.abs(v) <= limit));
  const variance = k.reduce((s, v) => s + v * v, 0) / k.length;
  assert.ok(Math.abs(variance - limit ** 2 / 3) < 0.1 * limit ** 2 / 3, `variance ${variance}`);
  assert.deepEqual([...dense.bias!.data()], new Array(40).fill(0));
});

Deno.test("Dense() checks later inputs against the build: last axis, rank, dtype", () => {
  const dense = builtDense(3);
  throwsWith(
    () => dense.apply(f64([[1, 2, 3]])),
    RangeError,
    /Dense '.*': axis -1 of the input has length 3, but the layer was built for 2: got shape \[1,3\]/,
  );
  throwsWith(() => dense.apply(f64(1)), RangeError, /rank 1 or more, got shape \[\]/);
  throwsWith(
    () => dense.apply(gt.constant([[1, 2]])),
    TypeError,
    /the input is float32 but the layer was built in float64: cast the input/,
  );
  throwsWith(() => new gt.layers.Dense(0), TypeError, /units must be an integer ≥ 1, not 0/);
  throwsWith(
    () => new gt.layers.Dense(2, { unit: 3 } as never),
    TypeError,
    /unknown option 'unit'/,
  );
  throwsWith(() => dense.apply(f64(X), { trainig: true } as never), TypeError, /unknown option/);
  throwsWith(
    () => new gt.layers.Dense(2, { kernelInitializer: "glorot" }),
    TypeError,
    /unknown initializer "glorot"/,
  );
});

Deno.test("Dense() takes initializers by name (either case) and as functions", () => {
  const a = new gt.layers.Dense(2, { kernelInitializer: "ones", biasInitializer: "heNormal" });
  a.apply([[1, 1]]);
  assert.deepEqual(a.kernel!.toArray(), [[1, 1], [1, 1]]);
  const b = new gt.layers.Dense(2, {
    kernelInitializer: gt.initializers.constant(2),
    biasInitializer: "he_uniform",
  });
  b.apply([[1, 1]]);
  assert.deepEqual(b.kernel!.toArray(), [[2, 2], [2, 2]]);
});

Deno.test("Dropout() is the identity in inference and drops at `rate` in training", () => {
  const drop = new gt.layers.Dropout(0.25, { seed: 3 });
  const x = gt.ones([10000]);
  assert.deepEqual([...drop.apply(x).data()], [...x.data()]);
  const y = drop.apply(x, { training: true }).data();
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
  assert.ok(Math.abs(zeros / 10000 - 0.25) < 0.02, `dropped ${zeros}`);
  // Successive training calls draw fresh masks; the same seed repeats the sequence.
  const y2 = drop.apply(x, { training: true }).data();
  assert.notDeepEqual([...y], [...y2]);
  const again = new gt.layers.Dropout(0.25, { seed: 3 });
  assert.deepEqual([...again.apply(x, { training: true }).data()], [...y]);
  throwsWith(() => new gt.layers.Dropout(1), RangeError, /rate must be in \[0, 1\), not 1/);
});

Deno.test("Dropout() in training: the gradient is the scaled mask", () => {
  const drop = new gt.layers.Dropout(0.5, { seed: 1 });
  const x = new gt.Variable(gt.ones([64], "float64"));
  const tape = new gt.GradientTape();
  let y = gt.zeros([0]);
  const total = tape.record(() => (y = drop.apply(x, { training: true })).sum());
  const g = tape.gradient(total, x)!;
  assert.deepEqual([...g.data()], [...y.data()]);
});

Deno.test("Flatten() keeps the batch axis and flattens the rest", () => {
  const flat = new gt.layers.Flatten();
  const x = gt.reshape(gt.range(0, 24), [2, 3, 4]);
  const y = flat.apply(x);
  assert.deepEqual(y.shape, [2, 12]);
  assert.deepEqual(y.toArray(), [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
  ]);
  assert.deepEqual(new gt.layers.Flatten().apply([1, 2]).shape, [2, 1]);
  throwsWith(() => new gt.layers.Flatten().apply(3), RangeError, /rank 1 or more/);
});

Deno.test("Embedding() looks up rows of its table, for int32 and integer float indices", () => {
  const embed = new gt.layers.Embedding(4, 2);
  const table = [[0, 1], [10, 11], [20, 21], [30, 31]];
  embed.apply([0]);
  assert.equal(embed.embeddings!.dtype, "float32");
  const init = embed.embeddings!.data();
  assert.ok(init.every((v) => Math.abs(v) <= 0.05));
  embed.embeddings!.assign(table);
  assert.deepEqual(embed.apply([[3, 0], [1, 1]]).toArray(), [
    [[30, 31], [0, 1]],
    [[10, 11], [10, 11]],
  ]);
  assert.deepEqual(embed.apply(gt.constant([2, 1])).toArray(), [[20, 21], [10, 11]]);
  throwsWith(() => embed.apply([4]), RangeError, /4/);
  assert.deepEqual(embed.trainableVariables, [embed.embeddings]);
});

Deno.test("Embedding() gradient adds the upstream rows into the table's rows", () => {
  const embed = new gt.layers.Embedding(3, 2, { dtype: "float64" });
  embed.apply([0]);
  const tape = new gt.GradientTape();
  const y = tape.record(() => embed.apply([[2, 0, 2]]).mul(f64([[[1, 2], [3, 4], [5, 6]]])).sum());
  const g = tape.gradient(y, embed.embeddings!)!;
  assert.deepEqual(g.toArray(), [[3, 4], [0, 0], [6, 8]]);
});

Deno.test("Sequential() applies its layers in order and passes `training` to each", () => {
  const d1 = builtDense(3, { activation: "tanh" });
  const drop = new gt.layers.Dropout(0.5, { seed: 1 });
  const model = new gt.layers.Sequential([d1, drop]);
  const expected = affine(X, W, B).map((r) => r.map(Math.tanh));
  assertAllClose(model.apply(f64(X)), expected, { atol: 1e-12 });
  const trained = model.apply(f64(X), { training: true }).data();
  assert.ok(trained.some((v) => v === 0));
  throwsWith(() => model.add({} as never), TypeError, /expected a layer, got an object/);
  throwsWith(() => model.add(new gt.layers.Flatten()), Error, /after the model has been called/);
  const m2 = new gt.layers.Sequential().add(new gt.layers.Flatten()).add(new gt.layers.Dense(1));
  assert.deepEqual(m2.apply(gt.zeros([2, 2, 2])).shape, [2, 1]);
});

// Central differences on every weight of `model`, the reference for its tape gradients.
function finiteDifferences(loss: () => number, vars: gt.Variable[], h = 1e-6): number[][] {
  return vars.map((v) => {
    const base = v.data();
    return [...base].map((_, i) => {
      const at = (delta: number) => {
        const d = new Float64Array(base);
        d[i] += delta;
        v.assign(gt.reshape(f64(d), v.shape));
        return loss();
      };
      const g = (at(h) - at(-h)) / (2 * h);
      v.assign(gt.reshape(f64(base), v.shape));
      return g;
    });
  });
}

Deno.test("Sequential() gradients in the weights match finite differences (float64)", () => {
  gt.random.setSeed(11);
  const model = new gt.layers.Sequential([
    new gt.layers.Dense(4, { activation: "gelu" }),
    new gt.layers.LayerNormalization(),
    new gt.layers.Dense(3, { activation: "tanh" }),
    new gt.layers.BatchNormalization(),
    new gt.layers.Dense(2),
  ]);
  const x = gt.random.normal([5, 3], { dtype: "float64", seed: 1 });
  const y = gt.random.normal([5, 2], { dtype: "float64", seed: 2 });
  const loss = () => gt.losses.meanSquaredError(y, model.apply(x));
  loss();
  const vars = model.trainableVariables;
  assert.equal(vars.length, 10);
  const tape = new gt.GradientTape();
  const value = tape.record(loss);
  const grads = tape.gradient(value, vars);
  const expected = finiteDifferences(() => loss().item(), vars);
  grads.forEach((g, i) => {
    assertAllClose(gt.reshape(g!, [-1]), expected[i], { rtol: 1e-6, atol: 1e-8 });
  });
});

Deno.test("Sequential() is differentiable in its input to order 2 in both modes (float64)", () => {
  gt.random.setSeed(12);
  const model = new gt.layers.Sequential([
    new gt.layers.Dense(4, { activation: "tanh" }),
    new gt.layers.LayerNormalization(),
    new gt.layers.BatchNormalization(),
    new gt.layers.Dense(3, { activation: "softmax" }),
  ]);
  const x = gt.random.normal([3, 2], { dtype: "float64", seed: 3 });
  model.apply(x);
  checkGrads((t: gt.Tensor) => model.apply(t), [x], { order: 2 });
  // In training, batch normalization's statistics depend on the input too.
  checkGrads((t: gt.Tensor) => model.apply(t, { training: true }), [x], { order: 2 });
});

Deno.test("Sequential() runs under jit as in eager mode", () => {
  gt.random.setSeed(13);
  const model = new gt.layers.Sequential([
    new gt.layers.Dense(4, { activation: "relu" }),
    new gt.layers.Dense(2),
  ]);
  const x = gt.random.normal([3, 5], { seed: 4 });
  const eager = model.apply(x);
  const jitted = gt.jit((t: gt.Tensor) => model.apply(t));
  assertAllClose(jitted(x), eager, { atol: 1e-6 });
  // A later assignment to the weights is seen by the compiled program.
  model.layers[1].variables[1].assign([1, 2]);
  assertAllClose(jitted(x), model.apply(x), { atol: 1e-6 });
});

Deno.test("Dense() under vmap: each example alone gives the batch's rows", () => {
  gt.random.setSeed(14);
  const dense = new gt.layers.Dense(3, { activation: "tanh" });
  const x = gt.random.normal([4, 5], { seed: 6 });
  assertAllClose(gt.vmap((t: gt.Tensor) => dense.apply(t))(x), dense.apply(x), { atol: 1e-6 });
});

Deno.test("A jitted training step updates weights and moving statistics as the eager one", () => {
  const x = gt.random.normal([6, 4], { seed: 7 });
  // The weights are drawn at the build: the same seed before it, the same weights.
  const make = () => {
    gt.random.setSeed(15);
    const model = new gt.layers.Sequential([
      new gt.layers.Dense(3, { activation: "tanh" }),
      new gt.layers.BatchNormalization({ momentum: 0.9 }),
      new gt.layers.Dense(2),
    ]);
    model.apply(x);
    return model;
  };
  const y = gt.random.normal([6, 2], { seed: 8 });
  const stepOf = (model: gt.layers.Sequential) => {
    const opt = new gt.optimizers.Adam({ learningRate: 0.05 });
    return (input: gt.Tensor) => {
      const tape = new gt.GradientTape();
      const loss = tape.record(() =>
        gt.losses.meanSquaredError(y, model.apply(input, { training: true }))
      );
      const vars = model.trainableVariables;
      const grads = tape.gradient(loss, vars);
      opt.applyGradients(grads.map((g, i): [gt.Tensor | null, gt.Variable] => [g, vars[i]]));
      return loss;
    };
  };
  const eager = make(), compiled = make();
  const eagerStep = stepOf(eager), jitStep = gt.jit(stepOf(compiled));
  for (let i = 0; i < 3; i++) {
    assertAllClose(jitStep(x), eagerStep(x), { atol: 1e-5 });
  }
  eager.variables.forEach((v, i) => {
    assertAllClose(compiled.variables[i].value(), v.value(), { atol: 1e-5 });
  });
  // The moving mean moved: three updates of momentum 0.9 from zeros.
  const bn = compiled.layers[1] as gt.layers.BatchNormalization;
  assert.ok(bn.movingMean!.data().some((v) => v !== 0));
});

Deno.test("Dense() activations by name match their formulas", () => {
  const z = affine(X, W, B).flat();
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const softplus = (v: number) => Math.log1p(Math.exp(v));
  const hardSigmoid = (v: number) => Math.min(Math.max(v + 3, 0), 6) / 6;
  const formulas: Record<string, (v: number) => number> = {
    linear: (v) => v,
    sigmoid: sig,
    tanh: Math.tanh,
    elu: (v) => v > 0 ? v : Math.expm1(v),
    selu: (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v)),
    softplus,
    softsign: (v) => v / (1 + Math.abs(v)),
    relu6: (v) => Math.min(Math.max(v, 0), 6),
    leakyRelu: (v) => v > 0 ? v : 0.2 * v,
    exponential: Math.exp,
    hard_sigmoid: hardSigmoid,
    hardSwish: (v) => v * hardSigmoid(v),
    mish: (v) => v * Math.tanh(softplus(v)),
    silu: (v) => v * sig(v),
  };
  for (const [name, f] of Object.entries(formulas)) {
    const y = builtDense(3, { activation: name }).apply(f64(X));
    assertAllClose(gt.reshape(y, [-1]), z.map(f), { atol: 1e-12, rtol: 1e-12 });
  }
  // gelu, exact: x·Φ(x), checked where Φ is known in closed form at 0 and by symmetry.
  const gelu = builtDense(3, { activation: "gelu", useBias: false });
  gelu.kernel!.assign([[1, -1, 0], [0, 0, 0]]);
  const g = gelu.apply(f64([[0.7, 0]])).data();
  assertAllClose(g[0] - g[1], 0.7, { atol: 1e-12 }); // gelu(x) - gelu(-x) = x·Φ(x) + x·Φ(-x) = x
  assert.equal(g[2], 0);
});

Deno.test("A refused first call leaves the layer unbuilt, as it was", () => {
  const dense = new gt.layers.Dense(2, { biasInitializer: "orthogonal" });
  throwsWith(
    () => dense.apply(f64([[1, 2]])),
    RangeError,
    /orthogonal: the shape must have rank 2/,
  );
  assert.equal(dense.built, false);
  assert.equal(dense.kernel, null);
  assert.equal(dense.dtype, undefined);
  assert.deepEqual(dense.variables, []);
  const bn = new gt.layers.BatchNormalization({ axis: 2 });
  throwsWith(() => bn.apply([[1, 2]]), RangeError, /axis 2 is out of range/);
  assert.equal(bn.built, false);
  assert.deepEqual(bn.apply(gt.zeros([1, 2, 3], "float64")).shape, [1, 2, 3]);
  assert.equal(bn.dtype, "float64");
});

Deno.test("Dropout() under jit draws a fresh mask at every call of the compiled function", () => {
  gt.random.setSeed(16);
  const drop = new gt.layers.Dropout(0.5);
  const f = gt.jit((x: gt.Tensor) => drop.apply(x, { training: true }));
  const x = gt.ones([64]);
  const a = [...f(x).data()], b = [...f(x).data()];
  assert.ok(a.every((v) => v === 0 || v === 2));
  assert.notDeepEqual(a, b);
  assert.deepEqual([...gt.jit((t: gt.Tensor) => drop.apply(t))(x).data()], [...x.data()]);
});

Deno.test("Sequential() converts plain arrays as its first layer does", () => {
  const model = new gt.layers.Sequential([new gt.layers.Dense(1, { kernelInitializer: "ones" })]);
  model.apply(gt.zeros([1, 2], "float64"));
  const y = model.apply([[1, 2]]);
  assert.equal(y.dtype, "float64");
  assert.deepEqual(y.toArray(), [[3]]);
  const embed = new gt.layers.Sequential([new gt.layers.Embedding(5, 2), new gt.layers.Flatten()]);
  assert.deepEqual(embed.apply([[1, 4]]).shape, [1, 4]);
});

Deno.test("Layer.apply() refuses an int32 or bool input to a float layer, naming the layer, before building", async (t) => {
  const int = gt.constant([[1, 2, 3]], { dtype: "int32" });
  await t.step("Dense: the error names the layer and says to cast the input to float32", () => {
    const dense = new gt.layers.Dense(2, { name: "probe" });
    throwsWith(
      () => dense.apply(int),
      TypeError,
      /^Dense 'probe': the input is int32 but the layer computes in float32: cast the input with cast\(x, "float32"\)$/,
    );
    assert.equal(dense.built, false);
    assert.equal(dense.kernel, null);
    assert.equal(dense.dtype, undefined);
    // The advised cast works, and builds the layer.
    assert.deepEqual(dense.apply(gt.cast(int, "float32")).shape, [1, 2]);
    assert.equal(dense.dtype, "float32");
  });

  await t.step("a layer of a given or built dtype names that dtype; bool is refused too", () => {
    const dense = new gt.layers.Dense(2, { dtype: "float64" });
    throwsWith(() => dense.apply(int), TypeError, /computes in float64: .*cast\(x, "float64"\)/);
    assert.equal(dense.built, false);
    dense.apply(f64([[1, 2, 3]]));
    throwsWith(
      () => dense.apply(gt.constant([[true, false, true]])),
      TypeError,
      /Dense '.*': the input is bool but the layer computes in float64/,
    );
  });

  await t.step("normalization and convolution layers refuse it too, unbuilt", () => {
    const bn = new gt.layers.BatchNormalization();
    throwsWith(() => bn.apply(int), TypeError, /^BatchNormalization '.*': the input is int32/);
    assert.equal(bn.built, false);
    const conv = new gt.layers.Conv2D(1, 1);
    throwsWith(
      () => conv.apply(gt.zeros([1, 2, 2, 1], "int32")),
      TypeError,
      /^Conv2D '.*': the input is int32/,
    );
    assert.equal(conv.built, false);
  });

  await t.step(
    "windowed pooling names itself too, and a refused first call leaves it unbuilt",
    () => {
      const pool = new gt.layers.MaxPooling1D();
      throwsWith(
        () => pool.apply(gt.constant([[[1], [4]]], { dtype: "int32" })),
        TypeError,
        /^MaxPooling1D '.*': the input is int32 but the layer computes in a float dtype: cast the input with cast\(x, "float32"\)$/,
      );
      assert.equal(pool.built, false);
      assert.deepEqual(pool.apply(f64([[[1], [4]]])).toArray(), [[[4]]]);
    },
  );

  await t.step(
    "a Sequential whose first layer refuses stays unbuilt, so layers can be added",
    () => {
      const model = new gt.layers.Sequential([new gt.layers.Dense(2)]);
      throwsWith(() => model.apply(int), TypeError, /^Dense '.*': the input is int32/);
      assert.equal(model.built, false);
      model.add(new gt.layers.Dense(1));
      assert.deepEqual(model.apply(gt.cast(int, "float32")).shape, [1, 1]);
    },
  );

  await t.step("layers that take integers or any dtype still do", () => {
    const embed = new gt.layers.Embedding(5, 2);
    assert.deepEqual(embed.apply(int).shape, [1, 3, 2]);
    assert.deepEqual(new gt.layers.Flatten().apply(gt.zeros([2, 2, 2], "int32")).dtype, "int32");
    const steps = gt.constant([[[1], [4]]], { dtype: "int32" });
    assert.deepEqual(new gt.layers.GlobalMaxPooling1D().apply(steps).toArray(), [[4]]);
    const model = new gt.layers.Sequential([
      embed,
      new gt.layers.Flatten(),
      new gt.layers.Dense(1),
    ]);
    assert.deepEqual(model.apply(int).shape, [1, 1]);
  });
});

Deno.test("a refused call changes nothing: layers built inside it, and variables it assigned", async (t) => {
  await t.step("a Sequential whose later layer refuses unbuilds its earlier ones", () => {
    const model = new gt.layers.Sequential([new gt.layers.Dense(3), new gt.layers.Conv2D(2, 1)]);
    assert.throws(() => model.apply(gt.ones([1, 7])), /Conv2D .* rank 4/);
    assert.equal(model.built, false);
    assert.equal(model.layers[0].built, false);
    assert.deepEqual(model.variables, []);
    assert.deepEqual(model.apply(gt.ones([2, 4, 4, 5])).shape, [2, 4, 4, 2]);
  });
  await t.step("a training call refused after a BatchNormalization keeps its statistics", () => {
    const bn = new gt.layers.BatchNormalization();
    const model = new gt.layers.Sequential([bn, new gt.layers.Conv2D(2, 3)]);
    model.apply(gt.ones([1, 5, 5, 3]));
    const before = [bn.movingMean!.toArray(), bn.movingVariance!.toArray()];
    assert.throws(() => model.apply(gt.fill([1, 2, 2, 3], 10), { training: true }), /conv2d/);
    assert.deepEqual([bn.movingMean!.toArray(), bn.movingVariance!.toArray()], before);
  });
  await t.step("fields a build added go with it", () => {
    class Scale extends gt.layers.Layer {
      protected override build(shape: readonly number[]): void {
        (this as unknown as { w: gt.Variable }).w = this.addWeight("w", [shape[1]], "ones");
      }
      protected override call(x: gt.Tensor): gt.Tensor {
        if (x.shape[0] === 0) throw new Error("empty batch refused");
        return x.mul((this as unknown as { w: gt.Variable }).w);
      }
    }
    const layer = new Scale();
    assert.throws(() => layer.apply(gt.ones([0, 4])), /empty batch refused/);
    assert.deepEqual(layer.variables, []);
    assert.deepEqual(layer.apply(gt.ones([2, 4])).shape, [2, 4]);
    assert.equal(layer.variables.length, 1);
  });
});
