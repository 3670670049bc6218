import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
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
    map = new Map([["k", v("in a map")]]);
    w = v("w");
  }
  assert.deepEqual(new M().variables.map((x) => x.name), ["w"]);
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
