import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { throwsWith } from "../_helpers.ts";

// What a caller without a type checker may pass.
const js = (x: unknown): never => x as never;

// A layer as the layers family builds them: variables made on the first call, from the input.
class Dense {
  kernel: gt.Variable | undefined = undefined;
  bias: gt.Variable | undefined = undefined;
  constructor(readonly units: number) {}
  apply(x: gt.Tensor): gt.Tensor {
    if (this.kernel === undefined) {
      this.kernel = new gt.Variable(gt.ones([x.shape[1], this.units]), { name: "kernel" });
      this.bias = new gt.Variable(gt.zeros([this.units]), { name: "bias" });
    }
    return gt.matmul(x, this.kernel).add(this.bias!);
  }
}

class Model {
  conv1 = new Dense(3);
  head = [new Dense(2)];
  steps = new gt.Variable(0, { dtype: "int32", trainable: false });
  apply(x: gt.Tensor): gt.Tensor {
    return this.head[0].apply(this.conv1.apply(x));
  }
}

// An optimizer that shows its state as the optimizers' protocol asks: a step count and, per
// variable, one slot.
class Momentum {
  #iterations = new gt.Variable(0, { dtype: "float64", trainable: false });
  #velocity = new Map<gt.Variable, gt.Variable>();
  step(vars: gt.Variable[]): void {
    for (const v of vars) {
      if (!this.#velocity.has(v)) {
        this.#velocity.set(v, new gt.Variable(gt.zerosLike(v.peek()), { trainable: false }));
      }
      this.#velocity.get(v)!.assignAdd(gt.onesLike(v.peek()));
    }
    this.#iterations.assignAdd(1);
  }
  [gt.io.checkpointState](): gt.io.CheckpointState {
    return { iterations: this.#iterations, velocity: this.#velocity };
  }
}

function built(seed: number): Model {
  const m = new Model();
  m.apply(gt.ones([1, 4]));
  // Distinct values in every variable, from the seed.
  let k = seed;
  for (const v of variables(m)) {
    v.assign(
      gt.constant(Array.from({ length: v.size }, () => k++), { dtype: v.dtype }).reshape(v.shape),
    );
  }
  return m;
}

function variables(m: Model): gt.Variable[] {
  return [m.conv1.kernel!, m.conv1.bias!, m.head[0].kernel!, m.head[0].bias!, m.steps];
}

const snapshot = (vs: gt.Variable[]) => vs.map((v) => v.toArray());

Deno.test("Checkpoint names each variable by its path of field names, arrays by index", () => {
  const model = built(0);
  const saved = gt.io.fromSafetensors(new gt.Checkpoint({ model }).save());
  assert.deepEqual(Object.keys(saved), [
    "model/conv1/bias",
    "model/conv1/kernel",
    "model/head/0/bias",
    "model/head/0/kernel",
    "model/steps",
  ]);
  assert.equal(saved["model/steps"].dtype, "int32");
  assert.deepEqual(saved["model/conv1/kernel"].shape, [4, 3]);
  assert.deepEqual(saved["model/conv1/kernel"].toArray(), model.conv1.kernel!.toArray());
});

Deno.test("Checkpoint restores every variable into a model built the same way", () => {
  const a = built(0), b = built(100);
  const bytes = new gt.Checkpoint({ model: a }).save();
  new gt.Checkpoint({ model: b }).restore(bytes);
  assert.deepEqual(snapshot(variables(b)), snapshot(variables(a)));
  // The restored model computes what the saved one did.
  const x = gt.constant([[1, -1, 2, 0.5]]);
  assert.deepEqual(b.apply(x).toArray(), a.apply(x).toArray());
});

Deno.test("Checkpoint saves an optimizer's state by its protocol, slots named by their variable", () => {
  const model = built(0), opt = new Momentum();
  opt.step([model.conv1.kernel!, model.head[0].bias!]);
  opt.step([model.conv1.kernel!]);
  const saved = gt.io.fromSafetensors(new gt.Checkpoint({ model, optimizer: opt }).save());
  assert.deepEqual(
    Object.keys(saved).filter((k) => k.startsWith("optimizer")),
    [
      "optimizer/iterations",
      "optimizer/velocity/model/conv1/kernel",
      "optimizer/velocity/model/head/0/bias",
    ],
  );
  assert.equal(saved["optimizer/iterations"].item(), 2);
  assert.deepEqual(saved["optimizer/velocity/model/head/0/bias"].toArray(), [1, 1]);
  assert.deepEqual(saved["optimizer/velocity/model/conv1/kernel"].shape, [4, 3]);

  // Into a fresh model and an optimizer that has made the same slots.
  const model2 = built(50), opt2 = new Momentum();
  opt2.step([model2.conv1.kernel!, model2.head[0].bias!]);
  new gt.Checkpoint({ model: model2, optimizer: opt2 }).restore(
    new gt.Checkpoint({ model, optimizer: opt }).save(),
  );
  const again = gt.io.fromSafetensors(new gt.Checkpoint({ model: model2, optimizer: opt2 }).save());
  for (const [k, t] of Object.entries(saved)) assert.deepEqual(again[k].toArray(), t.toArray(), k);
});

Deno.test("Checkpoint refuses an optimizer whose slots belong to variables it is not given", () => {
  const model = built(0), opt = new Momentum();
  opt.step([model.conv1.kernel!]);
  throwsWith(
    () => new gt.Checkpoint({ optimizer: opt }).save(),
    Error,
    /Checkpoint.save: optimizer\/velocity holds state for variable 'kernel' \(shape \[4,3\]\), which nothing else given reaches/,
    /new Checkpoint\(\{ model, optimizer \}\)/,
  );
});

Deno.test("Checkpoint saves a variable reached twice once, at its first path", () => {
  const shared = new gt.Variable([1, 2]);
  const tied = { encoder: { embedding: shared }, decoder: { embedding: shared } };
  const bytes = new gt.Checkpoint({ tied }).save();
  assert.deepEqual(Object.keys(gt.io.fromSafetensors(bytes)), ["tied/encoder/embedding"]);
  shared.assign([5, 6]);
  new gt.Checkpoint({ tied }).restore(bytes);
  assert.deepEqual(shared.toArray(), [1, 2]);
});

Deno.test("Checkpoint walks records, arrays, Maps and lone variables, and skips tensors", () => {
  const step = new gt.Variable(7, { dtype: "int32" });
  const extra = {
    table: new Map<string, gt.Variable>([["a", new gt.Variable([1])]]),
    constant: gt.constant([1, 2]),
    name: "extra",
  };
  const saved = gt.io.fromSafetensors(new gt.Checkpoint({ step, extra }).save());
  assert.deepEqual(Object.keys(saved), ["extra/table/a", "step"]);
  assert.equal(saved.step.item(), 7);
});

/** Asserts that restoring `bytes` into `model` throws every pattern and changes nothing. */
function refused(model: Model, bytes: Uint8Array, ...patterns: RegExp[]): string {
  const before = snapshot(variables(model));
  const message = throwsWith(() => new gt.Checkpoint({ model }).restore(bytes), Error, ...patterns);
  assert.deepEqual(snapshot(variables(model)), before, "a refused restore changed a variable");
  return message;
}

Deno.test("Checkpoint.restore() refuses a shape mismatch, lists it, and changes no variable", () => {
  const other = new Model();
  other.head = [new Dense(5)];
  other.apply(gt.ones([1, 4]));
  const message = refused(
    built(0),
    new gt.Checkpoint({ model: other }).save(),
    /Checkpoint.restore: the checkpoint does not match the objects, so nothing was restored:/,
    /model\/head\/0\/bias: shape \[5\] in the checkpoint, \[2\] here/,
    /model\/head\/0\/kernel: shape \[3,5\] in the checkpoint, \[3,2\] here/,
  );
  assert.doesNotMatch(message, /conv1/, "matching variables are not listed");
});

Deno.test("Checkpoint.restore() refuses a dtype mismatch and changes no variable", () => {
  const source = built(0);
  const bytes = gt.io.toSafetensors({
    model: {
      conv1: { kernel: source.conv1.kernel!, bias: source.conv1.bias! },
      head: [{ kernel: source.head[0].kernel!, bias: source.head[0].bias!.peek().cast("float64") }],
      steps: source.steps,
    },
  });
  refused(built(100), bytes, /model\/head\/0\/bias: dtype float64 in the checkpoint, float32 here/);
});

Deno.test("Checkpoint.restore() refuses missing and extra variables, and lists them all", () => {
  const source = built(0);
  const bytes = gt.io.toSafetensors({
    model: {
      conv1: { kernel: source.conv1.kernel!, bias: source.conv1.bias! },
      head: [{ kernel: source.head[0].kernel!, bias: source.head[0].bias! }],
      extra: gt.zeros([2]),
    },
  });
  refused(
    built(100),
    bytes,
    /model\/steps: here, not in the checkpoint/,
    /model\/extra: in the checkpoint, not here/,
    /call the model once first/,
  );
});

Deno.test("Checkpoint.restore() into a model not built yet says to call it once first", () => {
  const bytes = new gt.Checkpoint({ model: built(0) }).save();
  const fresh = new Model();
  throwsWith(
    () => new gt.Checkpoint({ model: fresh }).restore(bytes),
    Error,
    /model\/conv1\/kernel: in the checkpoint, not here/,
    /a variable missing here may belong to a layer not built yet: call the model once first/,
  );
  assert.equal(fresh.conv1.kernel, undefined);
  assert.equal(fresh.steps.item(), 0, "the one built variable was left alone");

  // With no variables at all, the error is about the whole model.
  const bare = { layers: [new Dense(2)] };
  const saved = new gt.Checkpoint({ model: { layers: [built(0).conv1] } }).save();
  throwsWith(
    () => new gt.Checkpoint({ model: bare }).restore(saved),
    Error,
    /model: the checkpoint has 2 variables for it and it has none yet: if its layers build their variables on their first call, call it once first \(model.apply\(x\)\), then restore/,
  );
});

Deno.test("Checkpoint.restore() lists at most 20 differences", () => {
  const many = Array.from({ length: 30 }, () => new gt.Variable([0]));
  const bytes = new gt.Checkpoint({ many }).save();
  const wrong = Array.from({ length: 30 }, () => new gt.Variable([0, 0]));
  const message = throwsWith(
    () => new gt.Checkpoint({ many: wrong }).restore(bytes),
    Error,
    /… and 10 more/,
  );
  assert.equal(message.split("\n").length, 1 + 20 + 1);
});

Deno.test("Checkpoint.restore() refuses bytes that are not a checkpoint, naming itself", () => {
  const v = new gt.Variable([1]);
  throwsWith(
    () => new gt.Checkpoint({ v }).restore(new Uint8Array(4)),
    Error,
    /Checkpoint.restore: 4 bytes is too short/,
  );
  throwsWith(
    () => new gt.Checkpoint({ v }).restore(js("ckpt")),
    TypeError,
    /Checkpoint.restore: takes the file's bytes as a Uint8Array/,
  );
  assert.deepEqual(v.toArray(), [1]);
});

Deno.test("Checkpoint.save() refuses an object that holds no variables, and says why it may be", () => {
  throwsWith(
    () => new gt.Checkpoint({ model: new Model(), opt: { learningRate: 0.1 } }).save(),
    Error,
    /Checkpoint.save: opt holds no variables to save/,
    /called once first/,
    /io.checkpointState/,
  );
});

Deno.test("new Checkpoint() refuses what it cannot save or restore into", () => {
  throwsWith(
    () => new gt.Checkpoint(js(null)),
    TypeError,
    /Checkpoint: takes a record of named objects, such as new Checkpoint\(\{ model, optimizer \}\), not null/,
  );
  throwsWith(
    () => new gt.Checkpoint(js([new gt.Variable(1)])),
    TypeError,
    /takes a record of named objects/,
  );
  throwsWith(
    () => new gt.Checkpoint({ w: gt.constant(1) }),
    TypeError,
    /Checkpoint: w is a Tensor, which cannot be restored into \(tensors are immutable\): hold it in a Variable/,
  );
  throwsWith(
    () => new gt.Checkpoint(js({ lr: 0.1 })),
    TypeError,
    /Checkpoint: lr is 0.1: give modules, optimizers, variables/,
  );
});

Deno.test("Checkpoint walks the objects anew at each save: layers built later are included", () => {
  const model = new Model();
  const ckpt = new gt.Checkpoint({ model });
  assert.deepEqual(Object.keys(gt.io.fromSafetensors(ckpt.save())), ["model/steps"]);
  model.apply(gt.ones([2, 4]));
  assert.equal(Object.keys(gt.io.fromSafetensors(ckpt.save())).length, 5);
});

Deno.test("gt.io.Checkpoint is gt.Checkpoint", () => {
  assert.equal(gt.io.Checkpoint, gt.Checkpoint);
});

Deno.test("Checkpoint.restore() inside tidy() leaves the restored values alive after it", () => {
  const v = new gt.Variable([1, 2, 3]);
  const ckpt = new gt.Checkpoint({ v });
  const bytes = gt.tidy(() => ckpt.save());
  v.assign([9, 9, 9]);
  gt.tidy(() => ckpt.restore(bytes));
  // Later scopes reuse released buffers: a value the tidy wrongly released would be overwritten.
  for (let i = 0; i < 3; i++) gt.tidy(() => gt.fill([3], 7).mul(2));
  assert.deepEqual(v.toArray(), [1, 2, 3]);
});

Deno.test("Checkpoint: a model and each optimizer's state round trip, and training goes on identically", () => {
  const mk = () => new gt.layers.Sequential([new gt.layers.Dense(3), new gt.layers.Dense(1)]);
  const x = gt.random.uniform([8, 2], { seed: 1, dtype: "float64" });
  const loss = (m: gt.layers.Sequential) => () => gt.reduceMean(gt.square(m.apply(x)));
  const makers = [
    () => new gt.optimizers.Adam({ learningRate: 0.1, amsgrad: true }),
    () => new gt.optimizers.SGD({ learningRate: 0.1, momentum: 0.9 }),
    () => new gt.optimizers.RMSprop({ learningRate: 0.01, centered: true }),
    () => new gt.optimizers.Nadam({ learningRate: 0.01 }),
  ];
  for (const make of makers) {
    const model = mk();
    model.apply(x);
    const opt = make();
    for (let i = 0; i < 2; i++) opt.minimize(loss(model), model.trainableVariables);
    const bytes = new gt.Checkpoint({ model, optimizer: opt }).save();
    const copy = mk();
    copy.apply(x);
    const opt2 = make();
    // Its slots do not exist yet: refused, with the remedy, and nothing changed.
    const before = copy.apply(x).toArray();
    assert.throws(
      () => new gt.Checkpoint({ model: copy, optimizer: opt2 }).restore(bytes),
      /optimizer\.build\(model\.trainableVariables\)/,
    );
    assert.deepEqual(copy.apply(x).toArray(), before);
    opt2.build(copy.trainableVariables);
    new gt.Checkpoint({ model: copy, optimizer: opt2 }).restore(bytes);
    assert.equal(opt2.iterations, 2, opt.constructor.name);
    // The third step from the restored state is the original's third step, bit for bit.
    opt.minimize(loss(model), model.trainableVariables);
    opt2.minimize(loss(copy), copy.trainableVariables);
    assert.deepEqual(copy.apply(x).toArray(), model.apply(x).toArray(), opt.constructor.name);
  }
});

Deno.test("Checkpoint saves an object given twice once, under the first argument, and restores it", async (t) => {
  // A model and a layer inside it, as tf.train.Checkpoint(model=model, encoder=encoder).
  const make = (kernel: number[][]) => {
    const encoder = new gt.layers.Dense(2, { name: "shared_encoder" });
    const model = new gt.layers.Sequential([encoder, new gt.layers.Dense(1)]);
    model.apply(gt.ones([1, 3]));
    encoder.kernel!.assign(kernel);
    return { encoder, model };
  };

  await t.step("save names the shared layer's variables by the model's path, once", () => {
    const { encoder, model } = make([[1, 2], [3, 4], [5, 6]]);
    const saved = gt.io.fromSafetensors(new gt.Checkpoint({ model, encoder }).save());
    assert.deepEqual(Object.keys(saved).sort(), [
      "model/layers/0/bias",
      "model/layers/0/kernel",
      "model/layers/1/bias",
      "model/layers/1/kernel",
    ]);
    assert.deepEqual(saved["model/layers/0/kernel"].toArray(), [[1, 2], [3, 4], [5, 6]]);
  });

  await t.step("in the other order the layer's own name comes first, and is used once", () => {
    const { encoder, model } = make([[1, 2], [3, 4], [5, 6]]);
    const saved = gt.io.fromSafetensors(new gt.Checkpoint({ encoder, model }).save());
    assert.deepEqual(Object.keys(saved).sort(), [
      "encoder/bias",
      "encoder/kernel",
      "model/layers/1/bias",
      "model/layers/1/kernel",
    ]);
  });

  await t.step("restore into a fresh model built the same way gives every value back", () => {
    const trained = make([[1, 2], [3, 4], [5, 6]]);
    const head = trained.model.layers[1] as gt.layers.Dense;
    head.kernel!.assign([[7], [8]]);
    head.bias!.assign([9]);
    const bytes = new gt.Checkpoint({ model: trained.model, encoder: trained.encoder }).save();

    const fresh = make([[0, 0], [0, 0], [0, 0]]);
    new gt.Checkpoint({ model: fresh.model, encoder: fresh.encoder }).restore(bytes);
    assert.deepEqual(fresh.encoder.kernel!.toArray(), [[1, 2], [3, 4], [5, 6]]);
    const freshHead = fresh.model.layers[1] as gt.layers.Dense;
    assert.deepEqual(freshHead.kernel!.toArray(), [[7], [8]]);
    assert.deepEqual(freshHead.bias!.toArray(), [9]);
  });

  await t.step("a restore that does not match changes none of the shared variables", () => {
    const bytes = new gt.Checkpoint(make([[1, 2], [3, 4], [5, 6]])).save();
    const other = make([[0, 0], [0, 0], [0, 0]]);
    const extra = new gt.Variable([1]);
    throwsWith(
      () => new gt.Checkpoint({ ...other, extra }).restore(bytes),
      Error,
      /nothing was restored/,
      /extra: here, not in the checkpoint/,
    );
    assert.deepEqual(other.encoder.kernel!.toArray(), [[0, 0], [0, 0], [0, 0]]);
    // The arguments in another order name the shared layer otherwise: refused, and the layer,
    // which has its variables (under the model), is not said to be unbuilt.
    const message = throwsWith(
      () => new gt.Checkpoint({ model: other.model, encoder: other.encoder }).restore(bytes),
      Error,
      /model\/layers\/0\/kernel: here, not in the checkpoint/,
      /encoder\/kernel: in the checkpoint, not here/,
    );
    assert.doesNotMatch(message, /it has none yet/);
    assert.deepEqual(other.encoder.kernel!.toArray(), [[0, 0], [0, 0], [0, 0]]);
  });
});

Deno.test("Checkpoint saves a variable shared by two arguments once, under the first", () => {
  const s = new gt.Variable([1, 2]);
  const own = new gt.Variable(3);
  const ckpt = new gt.Checkpoint({ a: { s }, b: [s, own] });
  const bytes = ckpt.save();
  const saved = gt.io.fromSafetensors(bytes);
  assert.deepEqual(Object.keys(saved).sort(), ["a/s", "b/1"]);
  s.assign([5, 6]);
  own.assign(4);
  ckpt.restore(bytes);
  assert.deepEqual(s.toArray(), [1, 2]);
  assert.equal(own.item(), 3);
  // Nothing but the shared variable under the second argument: still saved, under the first.
  const only = gt.io.fromSafetensors(new gt.Checkpoint({ a: { s }, b: [s] }).save());
  assert.deepEqual(Object.keys(only), ["a/s"]);
});

Deno.test("Checkpoint.save() still refuses an argument that reaches no variable at all", () => {
  const encoder = new gt.layers.Dense(2);
  const model = new gt.layers.Sequential([encoder]);
  const v = new gt.Variable(1);
  // Not built: neither the model nor the layer in it has variables yet.
  throwsWith(
    () => new gt.Checkpoint({ v, model, encoder }).save(),
    Error,
    /^Checkpoint.save: model, encoder hold no variables to save/,
    /called once first/,
  );
  // Built, the layer reaches its variables through the model, whichever comes first.
  model.apply(gt.ones([1, 2]));
  new gt.Checkpoint({ encoder, model }).save();
  throwsWith(
    () => new gt.Checkpoint({ model, empty: { layers: [new gt.layers.Dense(1)] } }).save(),
    Error,
    /^Checkpoint.save: empty holds no variables to save/,
  );
});

Deno.test("Checkpoint.restore: the hint for missing variables comes first, however long the list", () => {
  const make = () =>
    new gt.layers.Sequential(Array.from({ length: 8 }, () => new gt.layers.Dense(2)));
  const model = make(), x = gt.ones([1, 2]);
  model.apply(x);
  const optimizer = new gt.optimizers.Adam();
  const tape = new gt.GradientTape();
  const loss = tape.record(() => gt.reduceSum(model.apply(x)));
  const vars = model.trainableVariables;
  optimizer.applyGradients(tape.gradient(loss, vars).map((g, i) => [g, vars[i]] as const));
  const bytes = new gt.Checkpoint({ model, optimizer }).save();
  const copy = make();
  copy.apply(x);
  const fresh = new gt.optimizers.Adam();
  const before = copy.trainableVariables.map((v) => v.toArray());
  // 32 slots missing: the list is cut short, the way out is not.
  assert.throws(
    () => new gt.Checkpoint({ model: copy, optimizer: fresh }).restore(bytes),
    /nothing was restored:\n {2}\(a variable missing here .*optimizer\.build\(model\.trainableVariables\)/,
  );
  assert.deepEqual(copy.trainableVariables.map((v) => v.toArray()), before);
  fresh.build(copy.trainableVariables);
  new gt.Checkpoint({ model: copy, optimizer: fresh }).restore(bytes);
  assert.deepEqual(copy.apply(x).toArray(), model.apply(x).toArray());
});
