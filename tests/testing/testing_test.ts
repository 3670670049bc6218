import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

Deno.test("assertAllClose passes within tolerance and names the worst element otherwise", () => {
  assertAllClose([1, 2, 3], [1, 2, 3 + 1e-7]);
  assertAllClose([[1, NaN]], [[1, NaN]]);
  assert.throws(
    () => assertAllClose([[1, 2], [3, 4]], [[1, 2.1], [3, 5]]),
    /2 of 4 elements differ.*worst is at \[1,1\]: actual 4, expected 5/,
  );
  assert.throws(() => assertAllClose([1, Infinity], [1, -Infinity]), /at \[1\]/);
  assert.throws(() => assertAllClose([1, NaN], [1, 2]), /at \[1\]: actual NaN, expected 2/);
});

Deno.test("assertAllClose requires equal shapes", () => {
  assert.throws(
    () => assertAllClose([1, 2], [[1, 2]]),
    /shapes differ: actual \[2\], expected \[1,2\]/,
  );
});

Deno.test("assertAllClose honours rtol and atol", () => {
  assertAllClose([100], [101], { rtol: 0.01, atol: 0 });
  assert.throws(() => assertAllClose([100], [102], { rtol: 0.01, atol: 0 }), /differ/);
  assertAllClose([0], [1e-3], { atol: 1e-3 });
});

Deno.test("checkGrads accepts correct derivatives", () => {
  checkGrads((x, y) => gt.multiply(gt.sin(x), gt.exp(y)), [[0.1, 0.2], [0.3, -0.4]], { order: 2 });
  checkGrads((x) => gt.tanh(x), [[0.5]], { order: 3 });
});

Deno.test("checkGrads names the argument, mode, order and element of a wrong rule", async (t) => {
  // A custom rule for x³ that is right only where x > 0 (3·x·|x| instead of 3·x²), so the
  // failure is at the negative entry.
  const cube = gt.customGradient((x) => [
    gt.pow(x, 3),
    (dy) => gt.multiply(dy, gt.multiply(3, gt.multiply(x, gt.abs(x)))),
  ]);
  await t.step("reverse mode, first order", () => {
    assert.throws(
      () =>
        checkGrads((a, x) => gt.multiply(a, cube(x)), [[1, 1], [0.5, -0.7]], {
          order: 1,
          modes: ["rev"],
        }),
      (e: Error) =>
        /argument 1, mode rev, order 1/.test(e.message) &&
        /element of the gradient is at \[1\]/.test(e.message),
    );
  });
  await t.step("forward mode differentiates the forward computation, so it passes", () => {
    checkGrads((x) => cube(x), [[0.5, -0.7]], { order: 2, modes: ["fwd"] });
  });
  await t.step("a wrong forward rule fails forward mode with the element named", () => {
    const wrong = (x: gt.Tensor) => gt.add(x, gt.stopGradient(gt.multiply(x, gt.abs(x))));
    assert.throws(
      () => checkGrads(wrong, [[[0.3, 0.4], [0.1, 0.2]]], { order: 1, modes: ["fwd"], seed: 1 }),
      /argument 0, mode fwd, order 1 \(forward vs finite differences\).*worst is at \[\d,\d\]/,
    );
  });
  await t.step("second-order failures name the nesting", () => {
    // Right at first order, but the rule's own derivative is lost to stopGradient.
    const flat = gt.customGradient((x) => [
      gt.pow(x, 3),
      (dy) => gt.multiply(dy, gt.multiply(3, gt.stopGradient(gt.square(x)))),
    ]);
    checkGrads((x) => flat(x), [[0.5, -0.7]], { order: 1, modes: ["rev"] });
    assert.throws(
      () => checkGrads((x) => flat(x), [[0.5, -0.7]], { order: 2, modes: ["rev"] }),
      /argument 0, mode rev over rev, order 2/,
    );
  });
});

Deno.test("checkGrads checks a function that computes in float32 as it is, at order 1 and 2", async (t) => {
  // The closures hold float32 data: float64 arguments would meet it in multiply and matmul.
  const w = gt.constant([[0.5, -1.2], [0.3, 0.8]]);
  const b = gt.constant([0.1, -0.2]);
  const f = (x: gt.Tensor) =>
    gt.tanh(gt.add(gt.matmul(w, gt.reshape(x, [2, 1])), gt.reshape(b, [2, 1])));
  const g = (x: gt.Tensor, y: gt.Tensor) => gt.multiply(gt.sin(gt.multiply(x, w)), gt.exp(y));
  for (const modes of [["fwd"], ["rev"], ["fwd", "rev"]] as const) {
    await t.step(`modes ${modes.join(", ")}`, () => {
      checkGrads(f, [[0.4, -0.9]], { order: 2, modes });
      checkGrads(g, [[[0.3, 0.2], [-0.5, 0.7]], [[0.1, -0.3], [0.2, 0.4]]], { order: 2, modes });
    });
  }
  await t.step("a function that casts to float32 inside is checked in float32 too", () => {
    checkGrads((x) => gt.square(gt.cast(x, "float32")), [[0.3, 2]], { order: 2 });
  });
});

Deno.test("checkGrads catches a wrong gradient rule in a float32 function, in both modes", async (t) => {
  const w = gt.constant([2, 3]);
  // d(x³) = 3x²·dx, but the rule says 2x²: wrong by a third, far beyond float32's 1e-2.
  const cube = gt.customGradient((x) => [
    gt.pow(x, 3),
    (dy) => gt.multiply(dy, gt.multiply(2, gt.square(x))),
  ]);
  await t.step("reverse mode, order 1", () => {
    assert.throws(
      () => checkGrads((x) => gt.multiply(cube(x), w), [[0.5, -0.7]], { order: 1, modes: ["rev"] }),
      (e: Error) =>
        /^checkGrads: argument 0, mode rev, order 1 in float32 \(reverse vs finite differences\)/
          .test(e.message) &&
        /worst element of the gradient is at \[\d\]: reverse mode gives/.test(e.message),
    );
  });
  await t.step("a wrong forward rule, forward mode, order 1", () => {
    // Forward mode differentiates the forward computation: make that one wrong instead.
    const wrong = (x: gt.Tensor) => gt.multiply(gt.add(x, gt.stopGradient(gt.square(x))), w);
    assert.throws(
      () => checkGrads(wrong, [[0.5, -0.7]], { order: 1, modes: ["fwd"] }),
      /^Error: checkGrads: argument 0, mode fwd, order 1 in float32 \(forward vs finite differences\)/,
    );
  });
  await t.step("right at order 1, wrong at order 2", () => {
    const flat = gt.customGradient((x) => [
      gt.pow(x, 3),
      (dy) => gt.multiply(dy, gt.multiply(3, gt.stopGradient(gt.square(x)))),
    ]);
    const fn = (x: gt.Tensor) => gt.multiply(flat(x), w);
    checkGrads(fn, [[0.5, -0.7]], { order: 1, modes: ["rev"] });
    assert.throws(
      () => checkGrads(fn, [[0.5, -0.7]], { order: 2, modes: ["rev"] }),
      /^Error: checkGrads: argument 0, mode rev over rev, order 2 in float32/,
    );
  });
});

Deno.test("checkGrads still checks float64 functions with float64 tolerances", () => {
  // An error of 1e-4 relative passes float32's tolerance but not float64's.
  const off = gt.customGradient((x) => [
    gt.multiply(x, 1),
    (dy) => gt.multiply(dy, 1 + 1e-4),
  ]);
  assert.throws(
    () => checkGrads((x) => off(x), [[0.5, 1]], { order: 1, modes: ["rev"] }),
    /^Error: checkGrads: argument 0, mode rev, order 1 \(reverse/,
  );
});

Deno.test("checkGrads refuses bad options, naming the option and the value", () => {
  const f = (x: gt.Tensor) => gt.sin(x);
  assert.throws(
    () => checkGrads(f, [1], { oder: 1 } as never),
    /^TypeError: checkGrads: unknown option 'oder' \(did you mean 'order'\?\): the accepted options are 'order', 'modes', 'eps', 'rtol', 'atol', 'seed'$/,
  );
  assert.throws(() => checkGrads(f, [1], 5 as never), /checkGrads: options must be an object/);
  assert.throws(
    () => checkGrads(f, [1], { order: 0 }),
    /checkGrads: order must be an integer ≥ 1, not 0/,
  );
  assert.throws(() => checkGrads(f, [1], { order: 1.5 }), /order must be an integer ≥ 1, not 1.5/);
  assert.throws(
    () => checkGrads(f, [1], { modes: ["reverse"] as never }),
    /checkGrads: each of modes must be one of "fwd", "rev", not "reverse" \(a string\)/,
  );
  assert.throws(
    () => checkGrads(f, [1], { modes: [] }),
    /checkGrads: modes must be a non-empty array/,
  );
  assert.throws(
    () => checkGrads(f, [1], { modes: "rev" as never }),
    /modes must be a non-empty array/,
  );
  assert.throws(
    () => checkGrads(f, [1], { eps: 0 }),
    /^RangeError: checkGrads: eps must be positive, not 0$/,
  );
  assert.throws(
    () => checkGrads(f, [1], { rtol: -1 }),
    /checkGrads: rtol must be zero or positive, not -1/,
  );
  assert.throws(
    () => checkGrads(f, [1], { atol: NaN }),
    /checkGrads: atol must be a finite number, not NaN/,
  );
  assert.throws(
    () => checkGrads(f, [1], { seed: "1" as never }),
    /checkGrads: seed must be an integer/,
  );
  assert.throws(
    () => checkGrads("sin" as never, [1]),
    /checkGrads: f must be a function of tensors, not "sin" \(a string\)/,
  );
  assert.throws(
    () => checkGrads(f, 1 as never),
    /checkGrads: args must be an array with one value per argument of f, not 1/,
  );
});

Deno.test("checkGrads reports a NaN derivative as a failure, not as a bad tolerance", () => {
  const broken = gt.customGradient((x) => [gt.multiply(x, 2), (dy) => gt.multiply(dy, NaN)]);
  assert.throws(
    () => checkGrads((x) => broken(x), [[1, 2]], { order: 1, modes: ["rev"] }),
    /^Error: checkGrads: argument 0, mode rev, order 1 \(reverse .*reverse mode gives NaN/,
  );
  assert.throws(
    () => checkGrads((x) => gt.log(x), [[0, 2]], { order: 1, modes: ["fwd"] }),
    /^Error: checkGrads: argument 0, mode fwd, order 1 \(forward vs finite differences\): assertAllClose: /,
  );
});

Deno.test("assertAllClose refuses bad options, naming the option and the value", () => {
  assert.throws(
    () => assertAllClose([1], [1], { rtl: 1 } as never),
    /^TypeError: assertAllClose: unknown option 'rtl' \(did you mean 'rtol'\?\): the accepted options are 'rtol', 'atol', 'msg'$/,
  );
  assert.throws(
    () => assertAllClose([1], [1], "tight" as never),
    /assertAllClose: options must be an object/,
  );
  assert.throws(
    () => assertAllClose([1], [1], { atol: -1 }),
    /^RangeError: assertAllClose: atol must be zero or positive, not -1$/,
  );
  assert.throws(
    () => assertAllClose([1], [1], { rtol: "0.1" as never }),
    /^TypeError: assertAllClose: rtol must be a finite number, not "0.1" \(a string\)$/,
  );
  assert.throws(
    () => assertAllClose([1], [1], { atol: NaN }),
    /atol must be a finite number, not NaN/,
  );
  assert.throws(
    () => assertAllClose([1], [1], { msg: 3 as never }),
    /^TypeError: assertAllClose: msg must be a string, not 3$/,
  );
});

Deno.test("checkGrads takes trees of arguments and names a failing leaf by its path", () => {
  type Params = { w: gt.Tensor; layers: gt.Tensor[] };
  const f = (p: Params, x: gt.Tensor) =>
    gt.tanh(gt.add(gt.matmul(x, p.w), gt.multiply(p.layers[0], p.layers[1])));
  const params = { w: [[0.5], [-0.3]], layers: [[0.1], gt.constant([2], { dtype: "float64" })] };
  checkGrads(f, [params, [[1, 2]]]);
  const twice = gt.customGradient((b) => [gt.multiply(b, 1), (dy) => gt.multiply(dy, 2)]);
  const wrong = (p: Params, x: gt.Tensor) =>
    f({ w: p.w, layers: [p.layers[0], twice(p.layers[1])] }, x);
  assert.throws(
    () => checkGrads(wrong, [params, [[1, 2]]], { order: 1, modes: ["rev"] }),
    /^Error: checkGrads: argument 0\.layers\[1\], mode rev, order 1 \(reverse/,
  );
  assert.throws(
    () =>
      checkGrads((x, y) => gt.multiply(x, twice(y)), [[1, 2], [3, 4]], {
        order: 1,
        modes: ["rev"],
      }),
    /^Error: checkGrads: argument 1, mode rev, order 1 \(reverse/,
  );
});

Deno.test("checkGrads takes a tree of outputs and a layer built in float32, as jax's does", () => {
  checkGrads((x: gt.Tensor) => [gt.sin(x), { c: gt.cos(x) }], [[0.5, 1]]);
  const dense = new gt.layers.Dense(2);
  dense.apply(gt.zeros([1, 2]));
  checkGrads((x: gt.Tensor) => dense.apply(x), [[[0.1, 0.7]]]);
  assert.equal(dense.kernel!.dtype, "float32");
  // A wrong rule behind one output of the tree is still found.
  const wrong = gt.customGradient((x: gt.Tensor) => [gt.sin(x), (dy: gt.Tensor) => dy]);
  assert.throws(
    () => checkGrads((x: gt.Tensor) => [gt.cos(x), wrong(x)], [[0.5, 1]], { order: 1 }),
    /rev/,
  );
});
