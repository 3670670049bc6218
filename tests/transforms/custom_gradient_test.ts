/** `customGradient` with trees of outputs. */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { f64, throwsWith } from "../_helpers.ts";

// y = { double: 2x, pair: [x², x] }; the rule says dx = 10·dy.double + dy.pair[0] + 0·dy.pair[1].
const custom = gt.customGradient((x: gt.Tensor) => [
  { double: x.mul(2), pair: [x.square(), x] },
  (dy: { double: gt.Tensor; pair: gt.Tensor[] }) => dy.double.mul(10).add(dy.pair[0]),
]);

Deno.test("customGradient passes dy as a tree of y's structure to the rule", () => {
  const x = f64([1, 2]);
  const y = custom(x);
  assertAllClose(y.double, [2, 4]);
  assertAllClose(y.pair[0], [1, 4]);
  const g = gt.grad((u: gt.Tensor) => {
    const o = custom(u);
    return gt.reduceSum(o.double.add(o.pair[0].mul(3)));
  })(x);
  assertAllClose(g, [13, 13]); // the rule: 10·1 + 3
});

Deno.test("customGradient gives zeros in dy where an output is not used", () => {
  let seen: gt.Tensor[] = [];
  const f = gt.customGradient((x: gt.Tensor) => [
    [x.mul(2), x.mul(3)],
    (dy: gt.Tensor[]) => {
      seen = dy;
      return dy[0].mul(2);
    },
  ]);
  assertAllClose(gt.grad((u: gt.Tensor) => f(u)[0].sum())(f64([1])), [2]);
  assertAllClose(seen[1], [0]);
});

Deno.test("customGradient with a tree output is differentiated through its forward computation by jvp", () => {
  const [, t] = gt.jvp((u: gt.Tensor) => custom(u).pair[0], [f64(3)], [f64(1)]);
  assertAllClose(t, 6);
});

Deno.test("customGradient refuses outputs of mixed dtypes, and non-tensor leaves", () => {
  const mixed = gt.customGradient((x: gt.Tensor) => [[x, gt.cast(x, "float32")], () => x]);
  throwsWith(
    () => mixed(f64(1)),
    TypeError,
    /^customGradient: y holds tensors of dtypes float64 and float32/,
  );
  const bad = gt.customGradient((x: gt.Tensor) => [{ a: x, b: 1 } as never, () => x]);
  throwsWith(
    () => bad(f64(1)),
    TypeError,
    /^customGradient: y\.b is 1; f must return \[y, gradFn\]/,
  );
});

Deno.test("customGradient: variables f reads get gradients from the rule, as tf.custom_gradient's", async (t) => {
  const w = new gt.Variable(f64(3), { name: "w" });
  // The rule scales the variable's gradient by 10, so the rule's value is seen to be used.
  const scaled = gt.customGradient((x: gt.Tensor) => [
    x.mul(w),
    (dy: gt.Tensor, variables: readonly gt.Variable[]) => {
      assert.deepEqual(variables, [w]);
      return [dy.mul(w), [gt.reduceSum(dy.mul(x)).mul(10)]] as const;
    },
  ]);
  await t.step("a tape reaches the variable through the rule", () => {
    const x = f64(2);
    const tape = new gt.GradientTape();
    tape.watch(x);
    const y = tape.record(() => scaled(x));
    assert.equal(y.item(), 6);
    const [dx, dw] = tape.gradient(y, [x, w]) as gt.Tensor[];
    assert.equal(dx.item(), 3);
    assert.equal(dw.item(), 20);
  });
  await t.step("so do grad, and jit", () => {
    const loss = () => gt.reduceSum(scaled(f64([1, 2])));
    const eager = () => {
      const tape = new gt.GradientTape();
      return tape.gradient(tape.record(loss), w) as gt.Tensor;
    };
    assert.equal(eager().item(), 30);
    assert.equal((gt.jit(eager)() as gt.Tensor).item(), 30);
  });
  await t.step("a rule that does not take the variables is refused, naming them", () => {
    const forgot = gt.customGradient((x: gt.Tensor) => [x.mul(w), (dy: gt.Tensor) => dy.mul(w)]);
    throwsWith(() => forgot(f64(2)), TypeError, /read the variable 'w'/, /\(dy, variables\)/);
  });
  await t.step("a rule giving the wrong number of variable gradients is refused", () => {
    const wrong = gt.customGradient((x: gt.Tensor) => [
      x.mul(w),
      (dy: gt.Tensor, _variables: readonly gt.Variable[]) => [dy, []] as const,
    ]);
    const tape = new gt.GradientTape();
    const y = tape.record(() => wrong(f64(2)));
    throwsWith(() => tape.gradient(y, w), Error, /\[dxs, dvs\]/, /an array of 1/);
  });
  await t.step("variables that are not trainable are not the rule's", () => {
    const c = new gt.Variable(f64(5), { trainable: false });
    const plain = gt.customGradient((x: gt.Tensor) => [x.mul(c), (dy: gt.Tensor) => dy.mul(c)]);
    const x = f64(2);
    assert.equal(gt.grad(plain)(x).item(), 5);
  });
});
