/**
 * The activations and losses of the contract's "More ops": values against float64 references
 * (closed forms, and Φ tabulated with mpmath for gelu), stability for inputs of any size, the
 * gradients TensorFlow defines at the kinks (relu6, leakyRelu, elu, selu, clipByValue at its
 * bounds), derivatives to order 2 in both modes against finite differences, and
 * sparseSoftmaxCrossEntropyWithLogits (values, gradient, errors, vmap and jit).
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

const f64 = (v: gt.NestedArray) => gt.constant(v, { dtype: "float64" });
const grad1 = (f: (x: Tensor) => Tensor, x: number[]) =>
  gt.grad((t: Tensor) => gt.reduceSum(f(t)))(f64(x)).toArray() as number[];

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

Deno.test("activations: values against float64 references", () => {
  const x = [-3, -1, -0.25, 0, 0.5, 2, 7];
  const ref = (f: (v: number) => number) => x.map(f);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  assertAllClose(gt.elu(f64(x)), ref((v) => v > 0 ? v : Math.expm1(v)), { rtol: 1e-15 });
  assertAllClose(
    gt.selu(f64(x)),
    ref((v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v))),
    { rtol: 1e-15 },
  );
  assertAllClose(gt.silu(f64(x)), ref((v) => v * sig(v)), { rtol: 1e-15 });
  assertAllClose(gt.swish(f64(x)), ref((v) => v * sig(v)), { rtol: 1e-15 });
  assertAllClose(gt.leakyRelu(f64(x)), ref((v) => v > 0 ? v : 0.2 * v), { rtol: 1e-15 });
  assertAllClose(gt.leakyRelu(f64(x), 0.01), ref((v) => v > 0 ? v : 0.01 * v), { rtol: 1e-15 });
  assertAllClose(gt.relu6(f64(x)), ref((v) => Math.min(Math.max(v, 0), 6)));
  assertAllClose(gt.softsign(f64(x)), ref((v) => v / (1 + Math.abs(v))), { rtol: 1e-15 });
  assertAllClose(gt.logSigmoid(f64(x)), ref((v) => Math.log(sig(v))), { rtol: 1e-14 });
  assertAllClose(gt.reciprocal(f64([2, -0.5, 3])), [0.5, -2, 1 / 3], { rtol: 1e-16 });
  assert.deepEqual(gt.relu6(gt.constant([-2, 3, 9], { dtype: "int32" })).toArray(), [0, 3, 6]);
});

Deno.test("gelu, exact and tanh forms, against values from mpmath (x·Φ(x) and TensorFlow's tanh form)", () => {
  const x = f64([-30, -5, -1, 0, 0.5, 1, 3]);
  const exact = [
    -1.472014178144456e-196,
    -1.4332578593959695e-06,
    -0.15865525393145705,
    0,
    0.34573123063700656,
    0.8413447460685429,
    2.99595030590511,
  ];
  const tanh = [
    0,
    -2.291796196629506e-07,
    -0.1588080093917233,
    0,
    0.34571400982514394,
    0.8411919906082767,
    2.996362607918227,
  ];
  // NOTE: x·erfc(-x/√2)/2 keeps its relative accuracy at -30, where 1 + erf(x/√2) is 0: all but
  // the rounding of x/√2 (an ulp), which erfc's condition number 2u² ≈ 900 there magnifies.
  assertAllClose(gt.gelu(x), exact, { rtol: 2e-13, atol: 0 });
  assertAllClose(gt.gelu(x, { approximate: true }), tanh, { rtol: 1e-14, atol: 1e-300 });
  assert.throws(
    () => gt.gelu(x, { aproximate: true } as never),
    /gelu: unknown option 'aproximate' \(did you mean 'approximate'\?\)/,
  );
  assert.throws(
    () => gt.gelu(x, { approximate: "yes" } as never),
    /gelu: approximate must be true or false/,
  );
});

Deno.test("activations stay finite for inputs of any size, with finite gradients", () => {
  const big = [-1e4, -800, 800, 1e4];
  const fs: [string, (x: Tensor) => Tensor][] = [
    ["elu", gt.elu],
    ["selu", gt.selu],
    ["silu", gt.silu],
    ["gelu", gt.gelu],
    ["gelu tanh", (x) => gt.gelu(x, { approximate: true })],
    ["logSigmoid", gt.logSigmoid],
    ["softsign", gt.softsign],
  ];
  for (const dtype of ["float32", "float64"] as const) {
    for (const [name, f] of fs) {
      const x = gt.constant(big, { dtype });
      const y = f(x).toArray() as number[];
      assert.ok(y.every(Number.isFinite), `${name} ${dtype}: ${y}`);
      const g = gt.grad((t: Tensor) => gt.reduceSum(f(t)))(x).toArray() as number[];
      assert.ok(g.every(Number.isFinite), `${name}' ${dtype}: ${g}`);
    }
  }
  assert.deepEqual(gt.logSigmoid(f64([-1000, 1000])).toArray(), [-1000, -0]);
  assertAllClose(gt.logSigmoid(f64([30])), [-9.357622968839737e-14], { rtol: 1e-15 });
  assert.deepEqual(grad1(gt.elu, [1000, -1000]), [1, 0]);
});

Deno.test("gradients at the kinks are TensorFlow's", () => {
  // Relu6Grad: 1 strictly inside (0, 6).
  assert.deepEqual(grad1(gt.relu6, [-1, 0, 3, 6, 7]), [0, 0, 1, 0, 0]);
  // LeakyReluGrad: x > 0 ? 1 : alpha, so alpha at 0.
  assert.deepEqual(grad1((x) => gt.leakyRelu(x, 0.3), [-1, 0, 2]), [0.3, 0.3, 1]);
  // EluGrad: y < 0 ? y + 1 : 1, so 1 at 0.
  assert.deepEqual(grad1(gt.elu, [-1, 0, 2]), [Math.exp(-1), 1, 1]);
  // SeluGrad: y < 0 ? y + scale·alpha : scale, so scale at 0.
  assertAllClose(f64(grad1(gt.selu, [-1, 0, 2])), [
    SELU_SCALE * SELU_ALPHA * Math.exp(-1),
    SELU_SCALE,
    SELU_SCALE,
  ], { rtol: 1e-15 });
  // softsign: 1 / (1 + |x|)², 1 at 0.
  assert.deepEqual(grad1(gt.softsign, [0, 1]), [1, 0.25]);
  // clip_by_value: x's gradient passes at the bounds; a bound's where x is beyond it.
  const x = f64([-2, -1, 0, 1, 2, 3]);
  const [gx, gmin, gmax] = gt.grad(
    (t: Tensor, lo: Tensor, hi: Tensor) => gt.reduceSum(gt.clipByValue(t, lo, hi)),
    { argnums: [0, 1, 2] },
  )(x, f64([-1]), f64([1])) as Tensor[];
  assert.deepEqual(gx.toArray(), [0, 1, 1, 1, 0, 0]);
  assert.deepEqual(gmin.toArray(), [1]);
  assert.deepEqual(gmax.toArray(), [2]);
});

Deno.test("NaN stays NaN through the activations and clipByValue", () => {
  const nan = f64([NaN]);
  for (
    const f of [
      gt.relu6,
      gt.elu,
      gt.selu,
      gt.silu,
      gt.gelu,
      (x: Tensor) => gt.leakyRelu(x),
      gt.logSigmoid,
      gt.softsign,
      (x: Tensor) => gt.clipByValue(x, -1, 1),
    ]
  ) {
    assert.ok(Number.isNaN((f(nan).toArray() as number[])[0]), f.name);
  }
});

Deno.test("clipByValue: bounds broadcast to x and not beyond; dtypes; errors", () => {
  const x = gt.constant([[1, 5], [-3, 8]]);
  assert.deepEqual(gt.clipByValue(x, [0, 6], 7).toArray(), [[1, 6], [0, 7]]);
  assert.deepEqual(
    gt.clipByValue(gt.constant([-5, 5], { dtype: "int32" }), -2, 2).toArray(),
    [-2, 2],
  );
  assert.throws(
    () => gt.clipByValue([1, 2], [[0], [1]], 3),
    /clipByValue: clipValueMin of shape \[2,1\] does not broadcast to x's shape \[2\]/,
  );
  assert.throws(() => gt.clipByValue([1, 2], [0, 1, 2], 3), /clipByValue/);
});

Deno.test("activations refuse integer inputs where TensorFlow's take floats only", () => {
  const i = gt.constant([1, 2], { dtype: "int32" });
  for (
    const [name, f] of [["elu", gt.elu], ["gelu", gt.gelu], ["softsign", gt.softsign]] as const
  ) {
    assert.throws(() => f(i), new RegExp(`${name}: expects a float32 or float64 tensor`));
  }
  assert.throws(() => gt.leakyRelu([1], NaN), /leakyRelu: alpha must be a finite number, not NaN/);
});

Deno.test("composite activations: derivatives to order 2, both modes, against finite differences", () => {
  const x = [[-1.3, -0.4, 0.35], [0.8, 2.2, 5.1]];
  const fs: [string, (x: Tensor) => Tensor][] = [
    ["elu", gt.elu],
    ["selu", gt.selu],
    ["silu", gt.silu],
    ["gelu", gt.gelu],
    ["gelu tanh", (t) => gt.gelu(t, { approximate: true })],
    ["leakyRelu", (t) => gt.leakyRelu(t, 0.1)],
    ["relu6", gt.relu6],
    ["logSigmoid", gt.logSigmoid],
    ["softsign", gt.softsign],
    ["reciprocal", gt.reciprocal],
  ];
  for (const [name, f] of fs) {
    try {
      checkGrads(f, [x], { order: 2, modes: ["fwd", "rev"] });
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
  }
  checkGrads((t, lo, hi) => gt.clipByValue(t, lo, hi), [x, [-1, 0, 0.3], 2], { order: 2 });
});

Deno.test("sparseSoftmaxCrossEntropyWithLogits: values, gradient softmax - oneHot, stability", () => {
  const logits = f64([[2, -1, 0.5], [0.3, 0.3, 4], [1000, 0, -1000]]);
  const labels = gt.constant([0, 2, 1], { dtype: "int32" });
  const rows = logits.toArray() as number[][];
  const want = rows.map((r, i) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    return lse - r[[0, 2, 1][i]];
  });
  const loss = gt.sparseSoftmaxCrossEntropyWithLogits(labels, logits);
  assertAllClose(loss, want, { rtol: 1e-15 });
  const g = gt.grad((z: Tensor) => gt.reduceSum(gt.sparseSoftmaxCrossEntropyWithLogits(labels, z)))(
    logits,
  );
  const softmax = rows.map((r) => {
    const m = Math.max(...r);
    const e = r.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
  const expected = softmax.map((r, i) => r.map((p, j) => p - (j === [0, 2, 1][i] ? 1 : 0)));
  assertAllClose(g, expected, { rtol: 1e-14, atol: 1e-300 });
  // Matches the dense loss with one-hot labels.
  const onehot = f64(expected.map((r, i) => r.map((_, j) => (j === [0, 2, 1][i] ? 1 : 0))));
  assertAllClose(loss, gt.softmaxCrossEntropyWithLogits(onehot, logits), { rtol: 1e-15 });
  const two = gt.constant([0, 2], { dtype: "int32" });
  checkGrads((z) => gt.sparseSoftmaxCrossEntropyWithLogits(two, z), [rows.slice(0, 2)], {
    order: 2,
  });
});

Deno.test("sparseSoftmaxCrossEntropyWithLogits: errors name the op, the label and the bound", () => {
  const logits = [[1, 2, 3], [4, 5, 6]];
  const op = gt.sparseSoftmaxCrossEntropyWithLogits;
  assert.throws(
    () => op(gt.constant([0, 3], { dtype: "int32" }), logits),
    /sparseSoftmaxCrossEntropyWithLogits: label 3 \(at flat index 1\) is out of range for 3 classes: labels must be in \[0, 2\]/,
  );
  assert.throws(() => op([-1, 0], logits), /label -1 .* out of range/);
  assert.throws(
    () => op(gt.constant([0, 1]), logits),
    /labels must be int32 class indices, not float32/,
  );
  assert.throws(() => op([0, 1, 2], logits), /labels \[3\] must have the shape of logits \[2,3\]/);
  assert.throws(
    () => op([0, 1], gt.constant(logits, { dtype: "int32" })),
    /logits must be float32/,
  );
  // Plain arrays of labels are read as int32.
  assert.equal(op([2, 0], logits).shape.length, 1);
});

Deno.test("sparseSoftmaxCrossEntropyWithLogits under vmap and jit equals eager mode", () => {
  const logits = f64([[[2, -1, 0.5], [0.3, 0.3, 4]], [[1, 2, 3], [0, 0, 0]]]);
  const labels = gt.constant([[0, 2], [1, 1]], { dtype: "int32" });
  const eager = gt.sparseSoftmaxCrossEntropyWithLogits(labels, logits);
  const mapped = gt.vmap((l: Tensor, z: Tensor) => gt.sparseSoftmaxCrossEntropyWithLogits(l, z))(
    labels,
    logits,
  );
  assertAllClose(mapped, eager, { rtol: 1e-15 });
  const jitted = gt.jit((l: Tensor, z: Tensor) => gt.sparseSoftmaxCrossEntropyWithLogits(l, z));
  assertAllClose(jitted(labels, logits), eager, { rtol: 1e-15 });
});

Deno.test("sparseSoftmaxCrossEntropyWithLogits: an out-of-range label under jit or vmap gives NaN", () => {
  const logits = f64([[1, 2, 3], [0.5, 0, -1]]);
  const loss = (l: Tensor, z: Tensor) => gt.sparseSoftmaxCrossEntropyWithLogits(l, z);
  const good = gt.constant([1, 0], { dtype: "int32" }),
    bad = gt.constant([3, 0], { dtype: "int32" });
  const eager = loss(good, logits).toArray() as number[];
  for (const [how, f] of [["jit", gt.jit(loss)], ["vmap", gt.vmap(loss)]] as const) {
    const [first, second] = f(bad, logits).toArray() as number[];
    assert.ok(Number.isNaN(first), `${how}: the row of label 3 is ${first}, not NaN`);
    assert.equal(second, eager[1], how);
    assertAllClose(f(good, logits), eager, { rtol: 1e-15 });
  }
});
