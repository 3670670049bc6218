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
