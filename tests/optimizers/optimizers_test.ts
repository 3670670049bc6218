import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { throwsWith } from "../_helpers.ts";

// Reference updates written from Keras's documented formulas, in float64.
function sgdReference(w: number[], grads: number[][], lr: number, momentum: number): number[] {
  const v = w.map(() => 0);
  const out = [...w];
  for (const g of grads) {
    for (let i = 0; i < out.length; i++) {
      if (momentum === 0) out[i] -= lr * g[i];
      else {
        v[i] = momentum * v[i] - lr * g[i];
        out[i] += v[i];
      }
    }
  }
  return out;
}

function adamReference(
  w: number[],
  grads: number[][],
  lr: number,
  b1: number,
  b2: number,
  eps: number,
): number[] {
  const m = w.map(() => 0), s = w.map(() => 0), out = [...w];
  grads.forEach((g, step) => {
    const t = step + 1;
    const alpha = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
    for (let i = 0; i < out.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i];
      out[i] -= alpha * m[i] / (Math.sqrt(s[i]) + eps);
    }
  });
  return out;
}

const grads = [[0.5, -1, 2], [0.25, 0.5, -1], [1, 1, 1], [-2, 0, 0.5]];

Deno.test("SGD follows Keras's update, with and without momentum", async (t) => {
  for (const momentum of [0, 0.9]) {
    await t.step(`momentum ${momentum}`, () => {
      const w = new gt.Variable([1, 2, 3], { dtype: "float64" });
      const opt = new gt.optimizers.SGD({ learningRate: 0.1, momentum });
      for (const g of grads) opt.applyGradients([[gt.constant(g, { dtype: "float64" }), w]]);
      assertAllClose(w.value(), sgdReference([1, 2, 3], grads, 0.1, momentum), { rtol: 1e-12 });
      assert.equal(opt.iterations, grads.length);
    });
  }
});

Deno.test("Adam follows Keras's update with bias correction", () => {
  const w = new gt.Variable([1, 2, 3], { dtype: "float64" });
  const opt = new gt.optimizers.Adam({ learningRate: 0.01 });
  for (const g of grads) opt.applyGradients([[gt.constant(g, { dtype: "float64" }), w]]);
  const expected = adamReference([1, 2, 3], grads, 0.01, 0.9, 0.999, 1e-7);
  assertAllClose(w.value(), expected, { rtol: 1e-12 });
});

Deno.test("a null gradient leaves its variable alone", () => {
  for (const opt of [new gt.optimizers.SGD({ learningRate: 1 }), new gt.optimizers.Adam()]) {
    const a = new gt.Variable([1, 2]), b = new gt.Variable([3, 4]);
    opt.applyGradients([[gt.constant([1, 1]), a], [null, b]]);
    assert.deepEqual(b.value().toArray(), [3, 4]);
    assert.notDeepEqual(a.value().toArray(), [1, 2]);
  }
});

Deno.test("a pair with the wrong shape is refused and no variable changes", () => {
  const a = new gt.Variable([1, 2]), b = new gt.Variable([3, 4]);
  const opt = new gt.optimizers.SGD({ learningRate: 1 });
  assert.throws(
    () => opt.applyGradients([[gt.constant([1, 1]), a], [gt.constant([1, 1, 1]), b]]),
    /pair 1: the gradient has shape \[3\].*variable 'Variable' has shape \[2\]/,
  );
  assert.deepEqual(a.value().toArray(), [1, 2]);
  assert.deepEqual(b.value().toArray(), [3, 4]);
  assert.equal(opt.iterations, 0);
});

Deno.test("bad hyperparameters are refused with the value named", () => {
  throwsWith(
    () => new gt.optimizers.SGD({ learningRate: -1 }),
    RangeError,
    /^SGD: learningRate must be non-negative, not -1$/,
  );
  throwsWith(
    () => new gt.optimizers.SGD({ learningRate: 1, momentum: 1.5 }),
    RangeError,
    /^SGD: momentum must be in \[0, 1\], not 1\.5$/,
  );
  throwsWith(
    () => new gt.optimizers.SGD({ learningRate: 1, momentum: -0.1 }),
    RangeError,
    /momentum must be in \[0, 1\], not -0\.1/,
  );
  throwsWith(
    () => new gt.optimizers.Adam({ beta1: 1.5 }),
    RangeError,
    /^Adam: beta1 must be in \[0, 1\), not 1\.5$/,
  );
  throwsWith(
    () => new gt.optimizers.Adam({ beta2: 1 }),
    RangeError,
    /beta2 must be in \[0, 1\), not 1/,
  );
  throwsWith(
    () => new gt.optimizers.Adam({ epsilon: -1e-7 }),
    RangeError,
    /^Adam: epsilon must be non-negative, not -1e-7$/,
  );
});

Deno.test("SGD accepts momentum 1 and a learningRate of 0, as Keras does", () => {
  const w = new gt.Variable([1, 2]);
  new gt.optimizers.SGD({ learningRate: 0, momentum: 1 }).applyGradients([[
    gt.constant([3, 4]),
    w,
  ]]);
  assert.deepEqual(w.value().toArray(), [1, 2]);
});

Deno.test("SGD trains the tutorial's linear model with gradients from a tape", () => {
  const x = gt.random.uniform([100, 1], { minval: -1, maxval: 1, seed: 1 });
  const y = gt.add(gt.multiply(x, 3), 2);
  const w = new gt.Variable([[0.5]]), b = new gt.Variable([0]);
  const opt = new gt.optimizers.SGD({ learningRate: 0.1, momentum: 0.5 });
  for (let epoch = 0; epoch < 200; epoch++) {
    const tape = new gt.GradientTape();
    const loss = tape.record(() => gt.reduceMean(gt.square(gt.matmul(x, w).add(b).sub(y))));
    const [gw, gb] = tape.gradient(loss, [w, b]);
    opt.applyGradients([[gw, w], [gb, b]]);
  }
  assertAllClose(w.value(), [[3]], { atol: 1e-3 });
  assertAllClose(b.value(), [2], { atol: 1e-3 });
});
