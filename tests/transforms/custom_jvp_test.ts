/**
 * `customJvp`, as `jax.custom_jvp`: forward mode uses the rule, reverse mode its transpose, and
 * higher orders differentiate the rule, in every nesting of tapes and accumulators. The examples
 * follow JAX's custom-derivative notebook.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";
import { f64, present, throwsWith } from "../_helpers.ts";

const tight = { rtol: 1e-10, atol: 1e-12 };

// log(1 + eˣ): e¹⁰⁰ overflows float32, so its own derivative eˣ/(1 + eˣ) is ∞/∞ there.
const naive = (x: gt.Tensor) => gt.log(gt.add(1, gt.exp(x)));
// 1 - 1/(1 + eˣ) = sigmoid(x), which stays finite.
const slope = (x: gt.Tensor) => gt.subtract(1, gt.divide(1, gt.add(1, gt.exp(x))));
// As in JAX's notebook, the rule calls the function it is the rule of.
const log1pexp: (x: gt.TensorLike) => gt.Tensor = gt.customJvp(
  naive,
  ([x], [t]) => [log1pexp(x), gt.multiply(slope(x), t)],
);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const dsigmoid = (x: number) => sigmoid(x) * (1 - sigmoid(x));

// A rule that is not f's derivative: only the rule can give x² (and 2x, 2) for sin.
const fake = gt.customJvp(
  (x: gt.Tensor) => gt.sin(x),
  ([x], [t]) => [gt.sin(x), gt.multiply(gt.square(x), t)],
);

Deno.test("customJvp() runs f alone when nothing differentiates", () => {
  let ruleCalls = 0;
  const g = gt.customJvp(
    (x: gt.Tensor) => gt.multiply(x, 3),
    ([x], [t]) => (ruleCalls++, [gt.multiply(x, 3), gt.multiply(t, 3)]),
  );
  assert.deepEqual(g([1, 2]).toArray(), [3, 6]);
  assert.equal(ruleCalls, 0);
  assert.equal(log1pexp(0).item(), Math.fround(Math.log(2)));
});

Deno.test("customJvp() keeps the reverse-mode gradient of log1pexp finite at 100", () => {
  assert.ok(Number.isNaN(gt.grad(naive)(100).item()), "the plain formula should give NaN");
  assert.equal(gt.grad(log1pexp)(100).item(), 1);
  const x = gt.constant([100, 0, -3]);
  const tape = new gt.GradientTape();
  tape.watch(x);
  const y = tape.record(() => log1pexp(x));
  assertAllClose(present(tape.gradient(y, x)), [1, 0.5, sigmoid(-3)], { rtol: 1e-6 });
});

Deno.test("customJvp() keeps the forward-mode derivative of log1pexp finite at 100", () => {
  assert.ok(Number.isNaN(gt.jvp(naive, [100], [1])[1].item()), "the plain formula gives NaN");
  const [y, dy] = gt.jvp(log1pexp, [100], [2]);
  assert.equal(y.item(), naive(gt.constant(100)).item()); // f's value (∞ in float32, as in JAX)
  assert.equal(dy.item(), 2);
  const x = gt.constant(100);
  const acc = new gt.ForwardAccumulator(x, gt.constant(1));
  assert.equal(present(acc.jvp(acc.record(() => log1pexp(x)))).item(), 1);
});

Deno.test("customJvp() second derivative of log1pexp is sigmoid' in every nesting", () => {
  const x0 = 1.5, want = dsigmoid(x0);
  const x = f64(x0);
  const d1 = gt.grad(log1pexp);
  assertAllClose(gt.grad(d1)(x), want, tight); // tape over tape
  assertAllClose(gt.jvp(d1, [x], [f64(1)])[1], want, tight); // accumulator over tape
  assertAllClose(gt.hvp(log1pexp, [x], [f64(1)])[0], want, tight); // tape over accumulator
  const dfwd = (v: gt.Tensor) => gt.jvp(log1pexp, [v], [f64(1)])[1];
  assertAllClose(gt.jvp(dfwd, [x], [f64(1)])[1], want, tight); // accumulator in accumulator
  const total = (v: gt.Tensor) => gt.reduceSum(log1pexp(v));
  assertAllClose(gt.hessian(total)(f64([x0, -x0])), [[want, 0], [0, want]], tight);
});

Deno.test("customJvp() differentiates the rule, not f, at orders 1 to 3 in every nesting", () => {
  const x = f64(3), one = f64(1);
  const fwd = (g: (v: gt.Tensor) => gt.Tensor) => (v: gt.Tensor) => gt.jvp(g, [v], [one])[1];
  const rev = (g: (v: gt.Tensor) => gt.Tensor) => gt.grad(g);
  for (const [name, d] of [["fwd", fwd], ["rev", rev]] as const) {
    assertAllClose(d(fake)(x), 9, { ...tight, msg: `${name}: x², not cos(x)` });
    for (const [name2, d2] of [["fwd", fwd], ["rev", rev]] as const) {
      assertAllClose(d2(d(fake))(x), 6, { ...tight, msg: `${name2} over ${name}: 2x` });
      assertAllClose(fwd(d2(d(fake)))(x), 2, { ...tight, msg: `fwd over ${name2} over ${name}` });
      assertAllClose(rev(d2(d(fake)))(x), 2, { ...tight, msg: `rev over ${name2} over ${name}` });
    }
  }
  assertAllClose(gt.jacfwd(fake)(f64([1, 2])), [[1, 0], [0, 4]], tight);
  assertAllClose(gt.jacrev(fake)(f64([1, 2])), [[1, 0], [0, 4]], tight);
});

Deno.test("customJvp() passes the tapes' and accumulators' own tensors at order 2", () => {
  // GradientTape and ForwardAccumulator directly: tape over accumulator, accumulator over tape.
  const x = f64(3);
  const outer = new gt.GradientTape();
  outer.watch(x);
  const dy = outer.record(() => {
    const acc = new gt.ForwardAccumulator(x, f64(1));
    return present(acc.jvp(acc.record(() => fake(x))));
  });
  assert.equal(dy.item(), 9);
  assert.equal(present(outer.gradient(dy, x)).item(), 6);
  const acc = new gt.ForwardAccumulator(x, f64(1));
  const g = acc.record(() => {
    const tape = new gt.GradientTape();
    tape.watch(x);
    return present(tape.gradient(tape.record(() => fake(x)), x));
  });
  assert.equal(g.item(), 9);
  assert.equal(present(acc.jvp(g)).item(), 6);
});

// JAX's straight-through estimator: clip forward, the identity's derivative in both modes.
const clipPassThrough = gt.customJvp(
  (x: gt.Tensor, lo: gt.Tensor, hi: gt.Tensor) => gt.minimum(gt.maximum(x, lo), hi),
  ([x, lo, hi], [t]) => [gt.minimum(gt.maximum(x, lo), hi), t],
);

Deno.test("customJvp() straight-through clip has gradient 1 in both modes where clip has 0", () => {
  const x = [-2, 0.5, 3];
  const plain = (v: gt.Tensor) => gt.reduceSum(gt.minimum(gt.maximum(v, 0), 1));
  const ste = (v: gt.Tensor) => gt.reduceSum(clipPassThrough(v, 0, 1));
  assert.deepEqual(gt.grad(plain)(x).toArray(), [0, 1, 0]);
  assert.deepEqual(clipPassThrough(gt.constant(x), 0, 1).toArray(), [0, 0.5, 1]);
  assert.deepEqual(gt.grad(ste)(x).toArray(), [1, 1, 1]);
  assert.deepEqual(gt.jacfwd(ste)(x).toArray(), [1, 1, 1]);
  assert.deepEqual(gt.jvp(ste, [x], [[1, 2, 3]])[1].item(), 6);
});

// JAX's clip_gradient(lo, hi, x): the identity, with its tangent clipped to [lo, hi].
const clipGradient = gt.customJvp(
  (_lo: gt.Tensor, _hi: gt.Tensor, x: gt.Tensor) => x,
  ([lo, hi, x], [, , t]) => [x, gt.minimum(gt.maximum(t, lo), hi)],
);

Deno.test("customJvp() clip_gradient clips tangents in forward mode", () => {
  const [y, dy] = gt.jvp((x) => clipGradient(-1, 1, x), [[2, 3, 4]], [[5, -0.5, -7]]);
  assert.deepEqual(y.toArray(), [2, 3, 4]);
  assert.deepEqual(dy.toArray(), [1, -0.5, -1]);
  const x = gt.constant(2);
  const acc = new gt.ForwardAccumulator(x, gt.constant(10));
  assert.equal(present(acc.jvp(acc.record(() => clipGradient(-1, 1, x)))).item(), 1);
});

Deno.test("customJvp() reverse mode takes a nonlinear rule's slope at zero tangents", () => {
  // clip is not linear: reverse mode sees its linearization at t = 0, the identity, as the
  // documentation says (clipping cotangents is customGradient's job).
  const g = gt.grad((x) => gt.multiply(clipGradient(-1, 1, x), 10))(2);
  assert.equal(g.item(), 10);
});

// f(x, y) = sin(x)·y with the true rule, using both tangents (JAX's first example).
const sinTimes = gt.customJvp(
  (x: gt.Tensor, y: gt.Tensor) => gt.multiply(gt.sin(x), y),
  ([x, y], [dx, dy]) => [
    gt.multiply(gt.sin(x), y),
    gt.add(gt.multiply(gt.multiply(gt.cos(x), dx), y), gt.multiply(gt.sin(x), dy)),
  ],
);

Deno.test("customJvp() rule uses every argument's tangent, zeros for absent ones", () => {
  const x = f64(2), y = f64(3);
  assertAllClose(gt.jvp(sinTimes, [x, y], [f64(1), f64(0)])[1], Math.cos(2) * 3, tight);
  assertAllClose(gt.jvp(sinTimes, [x, y], [f64(0), f64(1)])[1], Math.sin(2), tight);
  const [gx, gy] = gt.grad(sinTimes, { argnums: [0, 1] })(x, y);
  assertAllClose(gx, Math.cos(2) * 3, tight);
  assertAllClose(gy, Math.sin(2), tight);
  // Only x has a tangent: the rule gets zeros (of y's shape and dtype) for y.
  const seen: number[][] = [];
  const spy = gt.customJvp(
    (a: gt.Tensor, b: gt.Tensor) => gt.multiply(a, b),
    ([a, b], [da, db]) => {
      seen.push(db.toArray() as number[]);
      return [gt.multiply(a, b), gt.add(gt.multiply(da, b), gt.multiply(a, db))];
    },
  );
  const a = f64([1, 2]), b = f64([3, 4]);
  const acc = new gt.ForwardAccumulator(a, f64([1, 1]));
  assert.deepEqual(present(acc.jvp(acc.record(() => spy(a, b)))).toArray(), [3, 4]);
  assert.deepEqual(seen, [[0, 0]]);
  // Only a watched: the tape's gradient for b is not asked for, and a's is b.
  const tape = new gt.GradientTape();
  tape.watch(a);
  const out = tape.record(() => spy(a, b));
  assert.deepEqual(present(tape.gradient(out, a)).toArray(), [3, 4]);
});

Deno.test("customJvp() with the true derivative passes checkGrads to order 2 in both modes", () => {
  checkGrads(sinTimes, [[0.5, -1.2], [2, 0.3]], { order: 2 });
  checkGrads(log1pexp, [[-2, 0.5, 3]], { order: 2 });
  // A rule that is not f's derivative is caught.
  assert.throws(() => checkGrads(fake, [[0.5, 1]], { order: 1 }), /checkGrads: argument 0/);
});

Deno.test("customJvp() f may return an array or a record of tensors", () => {
  const sinCos = gt.customJvp(
    (x: gt.Tensor) => [gt.sin(x), gt.cos(x)],
    ([x], [t]) => [
      [gt.sin(x), gt.cos(x)],
      [gt.multiply(gt.cos(x), t), gt.multiply(gt.negative(gt.sin(x)), t)],
    ],
  );
  const x = f64(0.7);
  const [s, c] = sinCos(x);
  assertAllClose(s, Math.sin(0.7), tight);
  assertAllClose(c, Math.cos(0.7), tight);
  const both = (v: gt.Tensor) => gt.addN(sinCos(v));
  assertAllClose(gt.grad(both)(x), Math.cos(0.7) - Math.sin(0.7), tight);
  assertAllClose(gt.jvp(both, [x], [f64(2)])[1], 2 * (Math.cos(0.7) - Math.sin(0.7)), tight);
  assertAllClose(gt.grad(gt.grad(both))(x), -Math.sin(0.7) - Math.cos(0.7), tight);
  const acc = new gt.ForwardAccumulator(x, f64(1));
  const out = acc.record(() => sinCos(x));
  assertAllClose(present(acc.jvp(out[1])), -Math.sin(0.7), tight);

  const rec = gt.customJvp(
    (x: gt.Tensor) => ({ twice: gt.multiply(x, 2), square: gt.square(x) }),
    ([x], [t]) => [
      { twice: gt.multiply(x, 2), square: gt.square(x) },
      { twice: gt.multiply(t, 2), square: gt.multiply(gt.multiply(x, 2), t) },
    ],
  );
  assertAllClose(gt.grad((v) => gt.add(rec(v).twice, rec(v).square))(x), 2 + 1.4, tight);
});

Deno.test("customJvp() rule runs once per direction under jacfwd and hessian", () => {
  // matmul(A, t) does not broadcast over a leading axis of directions: each must run alone.
  const A = f64([[1, 2, 3], [4, 5, 6]]);
  const lin = gt.customJvp(
    (x: gt.Tensor) => gt.reshape(gt.matmul(A, gt.reshape(x, [3, 1])), [2]),
    ([x], [t]) => [
      gt.reshape(gt.matmul(A, gt.reshape(x, [3, 1])), [2]),
      gt.reshape(gt.matmul(A, gt.reshape(t, [3, 1])), [2]),
    ],
  );
  assertAllClose(gt.jacfwd(lin)(f64([1, 1, 1])), A, tight);
  assertAllClose(gt.jacrev(lin)(f64([1, 1, 1])), A, tight);
  // Σx³ with the rule Σ3x²·t: Hessian diag(6x).
  const cube = gt.customJvp(
    (x: gt.Tensor) => gt.reduceSum(gt.pow(x, 3)),
    (
      [x],
      [t],
    ) => [gt.reduceSum(gt.pow(x, 3)), gt.reduceSum(gt.multiply(gt.multiply(gt.square(x), 3), t))],
  );
  assertAllClose(gt.hessian(cube)(f64([1, 2])), [[6, 0], [0, 12]], tight);
});

Deno.test("customJvp() differentiates what f reads from its closure through f's own ops", () => {
  const w = new gt.Variable(3, { dtype: "float64" });
  const scaled = gt.customJvp(
    (x: gt.Tensor) => gt.multiply(x, w),
    ([x], [t]) => [gt.multiply(x, w), gt.multiply(t, w)],
  );
  const x = f64(2);
  const tape = new gt.GradientTape();
  tape.watch(x);
  const y = tape.record(() => scaled(x));
  const [gx, gw] = tape.gradient(y, [x, w]);
  assert.equal(present(gx).item(), 3);
  assert.equal(present(gw).item(), 2);
  const acc = new gt.ForwardAccumulator([x, w], [f64(1), f64(10)]);
  assert.equal(present(acc.jvp(acc.record(() => scaled(x)))).item(), 3 + 20);
});

Deno.test("customJvp() refuses a rule or f that is not a function", () => {
  throwsWith(
    () => gt.customJvp(naive, 3 as never),
    TypeError,
    /^customJvp: rule must be a function, not 3$/,
  );
  throwsWith(
    () => gt.customJvp("f" as never, () => [0, 0] as never),
    TypeError,
    /^customJvp: f must be a function, not "f" \(a string\)$/,
  );
});

Deno.test("customJvp() names the shapes when the rule's output does not match f's", () => {
  const bad = gt.customJvp(
    (x: gt.Tensor) => gt.multiply(x, 2),
    ([x], [t]) => [gt.multiply(x, 2), gt.reduceSum(t)],
  );
  const x = gt.constant([1, 2, 3]);
  for (const run of [() => gt.grad((v) => gt.reduceSum(bad(v)))(x), () => gt.jvp(bad, [x], [x])]) {
    throwsWith(
      run,
      Error,
      /^customJvp: the rule's tangent output has shape \[\] \(float32\), but f's output has shape \[3\] \(float32\): they must match$/,
    );
  }
  const wrongDtype = gt.customJvp(
    (x: gt.Tensor) => x,
    ([x], [t]) => [x, gt.cast(t, "float64")],
  );
  throwsWith(
    () => gt.jvp(wrongDtype, [1], [1]),
    Error,
    /tangent output has shape \[\] \(float64\)/,
  );
  const wrongPrimal = gt.customJvp((x: gt.Tensor) => x, ([x], [t]) => [gt.stack([x, x]), t]);
  throwsWith(() => gt.grad(wrongPrimal)(1), Error, /the rule's primal output has shape \[2\]/);
});

Deno.test("customJvp() names the structure when the rule's output does not match f's", () => {
  const pair = gt.customJvp(
    (x: gt.Tensor) => [x, x],
    ([x], [t]) => [[x, x], t] as never,
  );
  throwsWith(
    () => gt.jvp((v) => pair(v)[0], [1], [1]),
    TypeError,
    /^customJvp: the rule's tangent output is an object of type Tensor, but f's output is an array of length 2/,
  );
  const notPair = gt.customJvp((x: gt.Tensor) => x, () => 5 as never);
  throwsWith(
    () => gt.grad(notPair)(1),
    TypeError,
    /^customJvp: the rule must return \[primalOut, tangentOut\], not 5$/,
  );
  const leafless = gt.customJvp((x: gt.Tensor) => x, ([x]) => [x, 7] as never);
  throwsWith(
    () => gt.jvp(leafless, [1], [1]),
    TypeError,
    /^customJvp: the rule's tangent output is 7, but f's output has shape \[\] \(float32\)/,
  );
  throwsWith(
    () => gt.customJvp((() => 3) as never, ([x], [t]) => [x, t])(1),
    TypeError,
    /^customJvp: f's output is 3; expected a Tensor/,
  );
});
