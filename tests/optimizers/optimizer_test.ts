import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { throwsWith } from "../_helpers.ts";

// What a caller without a type checker may pass.
const js = (x: unknown): never => x as never;

const f64 = (v: number[]) => gt.constant(v, { dtype: "float64" });

const makers: [string, () => gt.optimizers.SGD | gt.optimizers.Adam][] = [
  ["SGD", () => new gt.optimizers.SGD({ learningRate: 0.1 })],
  ["SGD with momentum", () => new gt.optimizers.SGD({ learningRate: 0.1, momentum: 0.9 })],
  ["Adam", () => new gt.optimizers.Adam({ learningRate: 0.1 })],
];

// Calls that each hold a good first pair for `a` and a bad second one (`b` is float64 [2]).
function refusedCalls(a: gt.Variable, b: gt.Variable): [string, unknown, RegExp][] {
  let released: gt.Tensor | undefined;
  gt.tidy(() => {
    released = f64([1, 1]).mul(2);
  });
  return [
    [
      "a tensor for the variable",
      [[f64([1, 1]), a], [f64([1, 1]), f64([3, 4])]],
      /pair 1:.*Variable/,
    ],
    ["a released gradient", [[f64([1, 1]), a], [released, b]], /pair 1:.*released/],
    ["a gradient of the wrong shape", [[f64([1, 1]), a], [f64([1, 1, 1]), b]], /pair 1:.*\[3\]/],
    ["a float32 gradient", [[f64([1, 1]), a], [gt.constant([1, 1]), b]], /pair 1:.*float32/],
    ["a number for the gradient", [[f64([1, 1]), a], [1, b]], /pair 1:.*not 1$/],
    ["a pair of three", [[f64([1, 1]), a], [f64([1, 1]), b, 0]], /pair 1 is an array of length 3/],
  ];
}

for (const [name, make] of makers) {
  Deno.test(`${name}: a refused applyGradients changes no variable, slot or step count`, () => {
    const grads = [f64([0.5, -1]), f64([2, 0.25])];
    const good = (a: gt.Variable, b: gt.Variable): gt.optimizers.GradientPair[] => [
      [grads[0], a],
      [grads[1], b],
    ];
    const [a0, b0] = [
      new gt.Variable([1, 2], { dtype: "float64" }),
      new gt.Variable([3, 4], { dtype: "float64" }),
    ];
    const fresh = make();
    fresh.applyGradients(good(a0, b0));
    fresh.applyGradients(good(a0, b0));
    const a = new gt.Variable([1, 2], { dtype: "float64" });
    const b = new gt.Variable([3, 4], { dtype: "float64" });
    const opt = make();
    opt.applyGradients(good(a, b));
    for (const [what, pairs, message] of refusedCalls(a, b)) {
      throwsWith(() => opt.applyGradients(js(pairs)), Error, message);
      assert.equal(opt.iterations, 1, what);
    }
    opt.applyGradients(good(a, b));
    assert.deepEqual(a.value().toArray(), a0.value().toArray());
    assert.deepEqual(b.value().toArray(), b0.value().toArray());
    assert.equal(opt.iterations, fresh.iterations);
  });
}

Deno.test("applyGradients names a variable given where a Variable belongs", () => {
  const opt = new gt.optimizers.SGD({ learningRate: 1 });
  throwsWith(
    () => opt.applyGradients(js([[gt.constant(1), gt.constant(2)]])),
    TypeError,
    /^SGD\.applyGradients: pair 0: the second element must be a Variable, not an object of type Tensor/,
  );
});

Deno.test("applyGradients refuses a gradient that a tidy released, naming the variable", () => {
  const w = new gt.Variable([1, 2], { name: "w" });
  let released: gt.Tensor | undefined;
  gt.tidy(() => {
    released = gt.constant([1, 1]).mul(3);
  });
  const opt = new gt.optimizers.Adam();
  throwsWith(
    () => opt.applyGradients(js([[gt.constant([1, 1]), w], [released, w]])),
    Error,
    /^Adam\.applyGradients: pair 1: the gradient of variable 'w' was released when the tidy\(\)/,
    /keep\(gradient\)/,
  );
  assert.deepEqual(w.value().toArray(), [1, 2]);
  assert.equal(opt.iterations, 0);
});

Deno.test("applyGradients([gradient, variable]) says to pass an array of pairs", () => {
  const w = new gt.Variable(1);
  const opt = new gt.optimizers.SGD({ learningRate: 1 });
  throwsWith(
    () => opt.applyGradients(js([gt.constant(1), w])),
    TypeError,
    /^SGD\.applyGradients: takes an array of \[gradient, variable\] pairs, not one pair: write applyGradients\(\[\[gradient, variable\]\]\)$/,
  );
  assert.equal(w.value().item(), 1);
});

Deno.test("applyGradients refuses a non-array, showing the form it takes", () => {
  const opt = new gt.optimizers.Adam();
  for (const bad of [undefined, gt.constant(1), new Map(), "w"]) {
    throwsWith(
      () => opt.applyGradients(js(bad)),
      TypeError,
      /^Adam\.applyGradients: takes an array of \[gradient, variable\] pairs, as applyGradients\(\[\[gradW, w\], \[gradB, b\]\]\), not /,
    );
  }
});

Deno.test("applyGradients refuses a pair that is not a two-element array", () => {
  const w = new gt.Variable(1);
  const opt = new gt.optimizers.SGD({ learningRate: 1 });
  throwsWith(
    () => opt.applyGradients(js([[gt.constant(1), w], gt.constant(1)])),
    TypeError,
    /^SGD\.applyGradients: pair 1 is an object of type Tensor, not a \[gradient, variable\] array/,
  );
  throwsWith(() => opt.applyGradients(js([[w]])), TypeError, /pair 0 is an array of length 1/);
});

Deno.test("applyGradients explains a [variable, gradient] pair written the wrong way round", () => {
  const w = new gt.Variable(1);
  throwsWith(
    () => new gt.optimizers.SGD({ learningRate: 1 }).applyGradients(js([[w, gt.constant(1)]])),
    TypeError,
    /^SGD\.applyGradients: pair 0 is \[variable, gradient\]: write each pair as \[gradient, variable\]/,
  );
});

Deno.test("applyGradients refuses an undefined or array gradient, naming the variable", () => {
  const w = new gt.Variable([1, 2], { name: "w" });
  const opt = new gt.optimizers.SGD({ learningRate: 1 });
  throwsWith(
    () => opt.applyGradients(js([[undefined, w]])),
    TypeError,
    /^SGD\.applyGradients: pair 0: the gradient of variable 'w' must be a Tensor or null, not undefined$/,
  );
  throwsWith(
    () => opt.applyGradients(js([[[1, 2], w]])),
    TypeError,
    /must be a Tensor or null, not \[1, 2\]$/,
  );
});

Deno.test("applyGradients refuses an integer variable", () => {
  const n = new gt.Variable([1, 2], { dtype: "int32", name: "n" });
  throwsWith(
    () =>
      new gt.optimizers.SGD({ learningRate: 1 }).applyGradients([[
        gt.constant([1, 1], { dtype: "int32" }),
        n,
      ]]),
    TypeError,
    /pair 0: variable 'n' has dtype int32, not a float type/,
  );
});

Deno.test("new SGD() without learningRate says it is required", () => {
  for (const options of [undefined, {}, { momentum: 0.9 }]) {
    throwsWith(
      () => new gt.optimizers.SGD(js(options)),
      TypeError,
      /^SGD: learningRate is required: new optimizers\.SGD\(\{ learningRate: 0\.01 \}\)$/,
    );
  }
});

Deno.test("an optimizer refuses options that are not an object", () => {
  throwsWith(
    () => new gt.optimizers.Adam(js(null)),
    TypeError,
    /^Adam: options must be an object such as \{ learningRate: … \}, not null$/,
  );
  throwsWith(
    () => new gt.optimizers.SGD(js(0.1)),
    TypeError,
    /^SGD: options must be an object.*not 0\.1$/,
  );
});

Deno.test("a misspelt option name is refused, listing the accepted names", () => {
  throwsWith(
    () => new gt.optimizers.SGD(js({ learning_rate: 0.1 })),
    TypeError,
    /^SGD: unknown option 'learning_rate' \(did you mean 'learningRate'\?\): the accepted options are 'learningRate', 'weightDecay', 'clipNorm', 'clipValue', 'globalClipNorm', 'momentum', 'nesterov'$/,
  );
  throwsWith(
    () => new gt.optimizers.Adam(js({ learningrate: 0.1 })),
    TypeError,
    /^Adam: unknown option 'learningrate' \(did you mean 'learningRate'\?\): the accepted options are 'learningRate', 'weightDecay', 'clipNorm', 'clipValue', 'globalClipNorm', 'beta1', 'beta2', 'epsilon', 'amsgrad'$/,
  );
});

Deno.test("a learningRate that is not a finite number is refused", () => {
  throwsWith(
    () => new gt.optimizers.SGD(js({ learningRate: "0.1" })),
    TypeError,
    /^SGD: learningRate must be a non-negative number, a schedule from optimizers\.schedules or a function of the step, not "0\.1" \(a string\)$/,
  );
  throwsWith(
    () => new gt.optimizers.Adam({ learningRate: NaN }),
    TypeError,
    /^Adam: learningRate must be a finite number, not NaN$/,
  );
  throwsWith(
    () => new gt.optimizers.Adam(js({ beta1: null })),
    TypeError,
    /^Adam: beta1 must be a finite number, not null$/,
  );
});

Deno.test("applyGradients with no gradient at all is refused and changes nothing, as Keras's", async (t) => {
  for (const [name, make] of makers) {
    await t.step(`${name}: every gradient null`, () => {
      const opt = make();
      const a = new gt.Variable(f64([1, 2])), b = new gt.Variable(f64([3, 4]), { name: "bias" });
      opt.applyGradients([[f64([1, 1]), a], [f64([1, 1]), b]]);
      const vars = opt.variables, before = vars.map((v) => v.toArray());
      const values = [a.toArray(), b.toArray()];
      const op = name.split(" ")[0];
      throwsWith(
        () => opt.applyGradients([[null, a], [null, b]]),
        Error,
        new RegExp(`^${op}\\.applyGradients: no gradients provided for any variable: `),
        /every gradient is null \(variables 'Variable', 'bias'\)/,
        /not computed from these variables, or the tape did not watch them/,
      );
      assert.equal(opt.iterations, 1);
      assert.deepEqual([a.toArray(), b.toArray()], values);
      assert.equal(opt.variables.length, vars.length);
      assert.deepEqual(opt.variables.map((v) => v.toArray()), before);
    });
  }

  await t.step("an empty list of pairs", () => {
    const opt = new gt.optimizers.Adam();
    throwsWith(
      () => opt.applyGradients([]),
      Error,
      /^Adam\.applyGradients: no gradients provided for any variable: the list of pairs is empty/,
    );
    assert.equal(opt.iterations, 0);
    assert.equal(opt.variables.length, 2, "no slots were made");
  });

  await t.step("a tape's gradient of a loss that forgot the variable", () => {
    const w = new gt.Variable([1, 2]);
    const opt = new gt.optimizers.Adam({ learningRate: 0.1 });
    const tape = new gt.GradientTape();
    const loss = tape.record(() => gt.reduceSum(gt.square(gt.constant([1, 2]))));
    const [g] = tape.gradient(loss, [w]);
    assert.equal(g, null);
    throwsWith(() => opt.applyGradients([[g, w]]), Error, /no gradients provided/);
    assert.equal(opt.iterations, 0);
    assert.deepEqual(w.toArray(), [1, 2]);
  });

  await t.step("under jit the rule holds at the trace, and nothing changes", () => {
    const w = new gt.Variable(f64([1, 2]));
    const opt = new gt.optimizers.SGD({ learningRate: 0.5 });
    const step = gt.jit(() => {
      opt.applyGradients([[null, w]]);
      return [];
    });
    throwsWith(() => step(), Error, /SGD\.applyGradients: no gradients provided/);
    assert.equal(opt.iterations, 0);
    assert.deepEqual(w.toArray(), [1, 2]);
  });

  await t.step("minimize with a loss of some of the variables updates those only", () => {
    const used = new gt.Variable(f64([3])), unused = new gt.Variable(f64([5]));
    const opt = new gt.optimizers.SGD({ learningRate: 0.25 });
    opt.minimize(() => used.square(), [used, unused]);
    // d(u²)/du = 2u = 6: u ← 3 - 0.25·6.
    assert.deepEqual(used.toArray(), [1.5]);
    assert.deepEqual(unused.toArray(), [5]);
    assert.equal(opt.iterations, 1);
    throwsWith(
      () => opt.minimize(() => gt.constant(1).add(0), [used, unused]),
      Error,
      /SGD\.applyGradients: no gradients provided for any variable/,
    );
    assert.equal(opt.iterations, 1);
  });
});

Deno.test("a jitted step may set learningRate from a number argument, without tracing again", () => {
  const run = (jitted: boolean) => {
    const w = new gt.Variable(f64([1, -2]));
    const opt = new gt.optimizers.Adam({ learningRate: 0.1 });
    let traces = 0;
    const body = (lr: number) => {
      traces++;
      opt.learningRate = lr;
      const tape = new gt.GradientTape();
      const loss = tape.record(() => gt.reduceSum(gt.square(w)));
      opt.applyGradients([[tape.gradient(loss, w)!, w]]);
      return loss;
    };
    const step = jitted ? gt.jit(body) : body;
    for (const lr of [0.1, 0.05, 0.3, 0.01]) step(lr);
    return { w: w.peek().toArray(), lr: opt.learningRate, traces };
  };
  const eager = run(false), jitted = run(true);
  assert.deepEqual(jitted.w, eager.w);
  assert.equal(jitted.lr, 0.01);
  assert.equal(jitted.traces, 1);
});

Deno.test("applyGradients inside vmap refuses a batched gradient before changing anything", () => {
  for (const [name, make] of makers) {
    const v = new gt.Variable([1, 2, 3], { name: "v" }), w = new gt.Variable([5, 5], { name: "w" });
    const opt = make();
    const step = (x: gt.Tensor) => {
      opt.applyGradients([[gt.constant([1, 1, 1]), v], [x, w]]);
      return x;
    };
    throwsWith(
      () => gt.vmap(step)(gt.ones([4, 2])),
      TypeError,
      /pair 1: the gradient of variable 'w' is a tensor batched by vmap/,
      /outside vmap/,
    );
    assert.deepEqual(v.toArray(), [1, 2, 3], name);
    assert.deepEqual(w.toArray(), [5, 5], name);
    assert.equal(opt.iterations, 0, name);
  }
});

Deno.test("applyGradients under a tape, refused by a later variable's update, changes nothing", () => {
  // An update that refuses scalars: the first pair's variable and slot were updated before it.
  class Picky extends gt.optimizers.Optimizer {
    constructor() {
      super("Picky", { learningRate: 1 }, [], 1);
    }
    protected override slotSpecs() {
      return [{ name: "m", initial: 0 }];
    }
    // deno-lint-ignore no-explicit-any
    protected override updateStep(c: any): gt.Tensor {
      if (c.value.rank === 0) throw new Error("no scalars");
      c.slots[0].assign(gt.add(c.slots[0], 1));
      return gt.subtract(c.value, c.gradient);
    }
  }
  for (const recorded of [false, true]) {
    const w = new gt.Variable([1, 2], { name: "w" }), b = new gt.Variable(5, { name: "b" });
    const opt = new Picky();
    const step = () => opt.applyGradients([[gt.constant([1, 1]), w], [gt.constant(1), b]]);
    assert.throws(() => recorded ? new gt.GradientTape().record(step) : step(), /no scalars/);
    assert.deepEqual(w.toArray(), [1, 2]);
    assert.equal(b.peek().item(), 5);
    assert.deepEqual(opt.variables.slice(2).map((v) => v.toArray()), [[0, 0], 0]);
    assert.equal(opt.iterations, 0);
  }
});

Deno.test("an optimizer's and a schedule's settings cannot be reassigned from plain JavaScript", () => {
  // deno-lint-ignore no-explicit-any
  const sgd = new gt.optimizers.SGD({ learningRate: 0.1, momentum: 0.9, clipNorm: 1 }) as any;
  assert.throws(() => (sgd.clipNorm = -1), TypeError);
  assert.throws(() => (sgd.momentum = 2), TypeError);
  assert.equal(sgd.clipNorm, 1);
  assert.equal(sgd.momentum, 0.9);
  // deno-lint-ignore no-explicit-any
  const adam = new gt.optimizers.Adam() as any;
  assert.throws(() => (adam.epsilon = 0), TypeError);
  // The learning rate stays settable, checked.
  sgd.learningRate = 0.2;
  assert.equal(sgd.learningRate, 0.2);
  // deno-lint-ignore no-explicit-any
  const piecewise = new gt.optimizers.schedules.PiecewiseConstantDecay([10], [1, 0.5]) as any;
  assert.throws(() => piecewise.boundaries.push(20), TypeError);
  assert.throws(() => (piecewise.values = [2, 2]), TypeError);
  assert.deepEqual([...piecewise.boundaries, ...piecewise.values], [10, 1, 0.5]);
});
