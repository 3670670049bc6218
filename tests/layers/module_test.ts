import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { throwsWith } from "../_helpers.ts";

const v = (name: string, trainable = true) => new gt.Variable(0, { name, trainable });

Deno.test("Module() collects variables in field order, depth first, through arrays and records", () => {
  class Inner extends gt.Module {
    a = v("inner.a");
    frozen = v("inner.frozen", false);
  }
  class Outer extends gt.Module {
    first = v("first");
    list = [v("list.0"), [v("list.1.0")], new Inner()];
    record = { x: v("record.x"), nested: { y: v("record.nested.y", false) } };
    last = v("last");
  }
  const m = new Outer();
  assert.deepEqual(m.variables.map((x) => x.name), [
    "first",
    "list.0",
    "list.1.0",
    "inner.a",
    "inner.frozen",
    "record.x",
    "record.nested.y",
    "last",
  ]);
  assert.deepEqual(m.trainableVariables.map((x) => x.name), [
    "first",
    "list.0",
    "list.1.0",
    "inner.a",
    "record.x",
    "last",
  ]);
  assert.deepEqual(m.nonTrainableVariables.map((x) => x.name), [
    "inner.frozen",
    "record.nested.y",
  ]);
  assert.equal(m.submodules.length, 1);
  assert.ok(m.submodules[0] instanceof Inner);
});

Deno.test("Module() counts a shared variable or submodule once, and survives cycles", () => {
  const shared = v("shared");
  class Leaf extends gt.Module {
    w = shared;
  }
  const leaf = new Leaf();
  class Tree extends gt.Module {
    a = leaf;
    b = leaf;
    c = [shared, shared];
    self: unknown = null;
  }
  const t = new Tree();
  t.self = { back: t, list: [t] };
  assert.deepEqual(t.variables, [shared]);
  assert.deepEqual(t.submodules, [leaf]);
});

Deno.test("Module() ignores tensors, strings, numbers, functions and class instances that are not modules", () => {
  class Holder {
    w = v("hidden");
  }
  class M extends gt.Module {
    t = gt.constant([1, 2]);
    s = "text";
    n = 3;
    f = () => 1;
    h = new Holder();
    // A Map is collected (see below), in field order.
    map = new Map([["k", v("in a map")]]);
    w = v("w");
  }
  assert.deepEqual(new M().variables.map((x) => x.name), ["in a map", "w"]);
});

Deno.test("Module() names: given, or the class's name in snake case, numbered when taken", () => {
  class MyBlock extends gt.Module {}
  assert.equal(new MyBlock({ name: "custom" }).name, "custom");
  const a = new MyBlock(), b = new MyBlock();
  assert.equal(a.name, "my_block");
  assert.equal(b.name, "my_block_1");
  throwsWith(() => new MyBlock({ nmae: "x" } as never), TypeError, /unknown option 'nmae'/);
  throwsWith(() => new MyBlock({ name: 3 } as never), TypeError, /name must be a string/);
});

Deno.test("Module() of layers: a Sequential's variables are its layers', in order, once built", () => {
  const model = new gt.layers.Sequential([
    new gt.layers.Dense(3),
    new gt.layers.BatchNormalization(),
    new gt.layers.Dense(1, { useBias: false }),
  ]);
  assert.equal(model.variables.length, 0);
  model.apply(gt.zeros([2, 4]));
  const names = model.variables.map((x) => x.name.split("/")[1]);
  assert.deepEqual(names, [
    "kernel",
    "bias",
    "gamma",
    "beta",
    "moving_mean",
    "moving_variance",
    "kernel",
  ]);
  assert.deepEqual(model.trainableVariables.map((x) => x.name.split("/")[1]), [
    "kernel",
    "bias",
    "gamma",
    "beta",
    "kernel",
  ]);
  assert.equal(model.submodules.length, 3);
});

Deno.test("Layer() trainable = false freezes its variables, in every module that holds it", () => {
  const base = new gt.layers.Dense(3);
  const bn = new gt.layers.BatchNormalization();
  const head = new gt.layers.Dense(1);
  const model = new gt.layers.Sequential([base, bn, head]);
  model.apply(gt.ones([2, 4]));
  assert.equal(model.trainableVariables.length, 6);
  base.trainable = false;
  assert.deepEqual(model.trainableVariables, [bn.gamma, bn.beta, head.kernel, head.bias]);
  assert.deepEqual(base.trainableVariables, []);
  assert.deepEqual(base.nonTrainableVariables, [base.kernel, base.bias]);
  assert.equal(model.variables.length, 8);
  // A frozen batch normalization normalizes by its moving statistics, and keeps them.
  bn.trainable = false;
  const before = bn.movingMean!.data();
  model.apply(gt.ones([2, 4]).mul(5), { training: true });
  assert.deepEqual(bn.movingMean!.data(), before);
  model.trainable = false;
  assert.deepEqual(model.trainableVariables, []);
});

// Keras's BatchNormalization on one batch, by hand: per feature, the mean and biased variance
// over the batch, and (x - mean) / sqrt(variance + 1e-3) with gamma 1 and beta 0.
function batchNormByHand(x: number[][], mean: number[], variance: number[]): number[][] {
  return x.map((row) => row.map((v, j) => (v - mean[j]) / Math.sqrt(variance[j] + 1e-3)));
}

Deno.test("Module() trainable = false on a model freezes every layer inside it, as Keras's setter", async (t) => {
  // Dense with an identity kernel and a zero bias, so the batch normalization sees x itself.
  const x = [[1, 2], [3, 5]];
  const mean = [2, 3.5], variance = [1, 2.25];
  const make = () => {
    const dense = new gt.layers.Dense(2);
    const bn = new gt.layers.BatchNormalization();
    const model = new gt.layers.Sequential([dense, bn]);
    model.apply(gt.constant(x)); // builds, in inference mode: the moving statistics stay
    dense.kernel!.assign([[1, 0], [0, 1]]);
    return { dense, bn, model };
  };

  await t.step("every sublayer's trainable follows the model's, and its variables freeze", () => {
    const { dense, bn, model } = make();
    model.trainable = false;
    assert.equal(dense.trainable, false);
    assert.equal(bn.trainable, false);
    assert.deepEqual(model.trainableVariables, []);
    assert.deepEqual(bn.trainableVariables, []);
    assert.equal(model.nonTrainableVariables.length, 6);
  });

  await t.step("a frozen model's BatchNormalization runs in inference mode when training", () => {
    const { bn, model } = make();
    model.trainable = false;
    const y = model.apply(gt.constant(x), { training: true });
    // Inference: the initial moving statistics (mean 0, variance 1) normalize.
    assert.deepEqual(bn.movingMean!.toArray(), [0, 0]);
    assert.deepEqual(bn.movingVariance!.toArray(), [1, 1]);
    assertAllClose(y, batchNormByHand(x, [0, 0], [1, 1]));
  });

  await t.step("unfreezing the model restores training behaviour in every layer", () => {
    const { dense, bn, model } = make();
    model.trainable = false;
    model.trainable = true;
    assert.equal(dense.trainable, true);
    assert.equal(bn.trainable, true);
    assert.equal(model.trainableVariables.length, 4);
    const y = model.apply(gt.constant(x), { training: true });
    assertAllClose(y, batchNormByHand(x, mean, variance));
    // moving ← moving·0.99 + batch·0.01, from mean 0 and variance 1.
    assertAllClose(bn.movingMean!.value(), mean.map((m) => m * 0.01));
    assertAllClose(bn.movingVariance!.value(), variance.map((v) => 0.99 + v * 0.01));
  });

  await t.step("unfreezing the model unfreezes a layer frozen on its own too, as Keras's", () => {
    const { dense, model } = make();
    dense.trainable = false;
    model.trainable = true;
    assert.equal(dense.trainable, true);
    assert.equal(model.trainableVariables.length, 4);
  });

  await t.step(
    "a plain Module freezes the layers in its fields, nested containers included",
    () => {
      const { bn, model } = make();
      class Classifier extends gt.Module {
        base = model;
        heads = { out: new gt.layers.Dense(1) };
      }
      const clf = new Classifier();
      clf.trainable = false;
      assert.equal(bn.trainable, false);
      assert.equal(clf.heads.out.trainable, false);
      model.apply(gt.constant(x), { training: true });
      assert.deepEqual(bn.movingMean!.toArray(), [0, 0]);
    },
  );

  await t.step("trainable must be a boolean, and a refused value changes nothing", () => {
    const { dense, model } = make();
    throwsWith(
      () => (model.trainable = "no" as never),
      TypeError,
      /^Sequential 'sequential(_\d+)?': trainable must be true or false, not "no"/,
    );
    assert.equal(model.trainable, true);
    assert.equal(dense.trainable, true);
  });
});

Deno.test("Module() default names are Keras 3's to_snake_case of the class's name", () => {
  // Keras 3's names (keras/src/utils/naming.py), as `keras.layers.X().name` gives them.
  const expected: [new () => gt.Module, string][] = [
    [class Conv2D extends gt.Module {}, "conv2d"],
    [class MaxPooling2D extends gt.Module {}, "max_pooling2d"],
    [class BatchNormalization extends gt.Module {}, "batch_normalization"],
    [class Dense extends gt.Module {}, "dense"],
    [class GlobalAveragePooling2D extends gt.Module {}, "global_average_pooling2d"],
    [class DepthwiseConv2D extends gt.Module {}, "depthwise_conv2d"],
    [class Conv2DTranspose extends gt.Module {}, "conv2d_transpose"],
    [class HTTPServer extends gt.Module {}, "http_server"],
    [class Layer2Norm extends gt.Module {}, "layer2_norm"],
    [class My$Block extends gt.Module {}, "my_block"],
  ];
  for (const [cls, name] of expected) {
    // Earlier tests may have taken the name: then it is numbered, as Keras's uniquify does.
    const first = new cls().name, second = new cls().name;
    assert.match(first, new RegExp(`^${name}(_\\d+)?$`));
    const n = first === name ? 0 : Number(first.slice(name.length + 1));
    assert.equal(second, `${name}_${n + 1}`);
  }
});

Deno.test("Module() default names of the library's layers are Keras's", () => {
  const L = gt.layers;
  const made: [gt.Module, string][] = [
    [new L.Conv2D(1, 1), "conv2d"],
    [new L.Conv1D(1, 1), "conv1d"],
    [new L.Conv2DTranspose(1, 1), "conv2d_transpose"],
    [new L.DepthwiseConv2D(1), "depthwise_conv2d"],
    [new L.MaxPooling2D(), "max_pooling2d"],
    [new L.AveragePooling1D(), "average_pooling1d"],
    [new L.GlobalAveragePooling2D(), "global_average_pooling2d"],
    [new L.GlobalMaxPooling3D(), "global_max_pooling3d"],
    [new L.BatchNormalization(), "batch_normalization"],
    [new L.LayerNormalization(), "layer_normalization"],
    [new L.Dense(1), "dense"],
  ];
  for (const [layer, name] of made) assert.match(layer.name, new RegExp(`^${name}(_\\d+)?$`));
});

Deno.test("Module collects the layers of a Map field, which a checkpoint names by key", () => {
  class Heads extends gt.Module {
    heads = new Map([["a", new gt.layers.Dense(2)], ["b", new gt.layers.Dense(3)]]);
  }
  const model = new Heads();
  for (const head of model.heads.values()) head.apply(gt.ones([1, 4]));
  assert.equal(model.variables.length, 4);
  assert.equal(model.trainableVariables.length, 4);
  assert.equal(model.submodules.length, 2);
  model.trainable = false;
  assert.equal(model.trainableVariables.length, 0);
  model.trainable = true;
  // A checkpoint saves them under the keys, and restores them into a model built alike.
  const bytes = new gt.Checkpoint({ model }).save();
  const copy = new Heads();
  for (const head of copy.heads.values()) head.apply(gt.ones([1, 4]));
  new gt.Checkpoint({ model: copy }).restore(bytes);
  const x = gt.ones([1, 4]);
  assert.deepEqual(
    copy.heads.get("b")!.apply(x).toArray(),
    model.heads.get("b")!.apply(x).toArray(),
  );
});
