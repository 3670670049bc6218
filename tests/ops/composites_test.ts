/**
 * Composite ops carry no derivative code of their own; this table checks that composing
 * primitives gives them correct derivatives in both modes to second order, and that the
 * numerically sensitive ones stay finite, with finite gradients, for logits of ±1e4 in float32.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor, TensorLike } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

const x23 = [[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]];
const pos23 = [[0.3, 1.2, 0.8], [1.5, 0.4, 2.1]];
const probs23 = [[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]];

const table: [string, (...xs: Tensor[]) => Tensor, TensorLike[]][] = [
  ["square", (x) => gt.square(x), [x23]],
  ["rsqrt", (x) => gt.rsqrt(x), [pos23]],
  ["squaredDifference", (a, b) => gt.squaredDifference(a, b), [x23, [1, 2, 3]]],
  ["addN", (a, b) => gt.addN([a, b, a]), [x23, pos23]],
  ["reduceMean", (x) => gt.reduceMean(x, 0), [x23]],
  ["reduceLogSumExp", (x) => gt.reduceLogSumExp(x, -1), [x23]],
  ["reduceProd", (x) => gt.reduceProd(x, 1), [x23]],
  ["reduceProd with a zero", (x) => gt.reduceProd(x), [[0.5, 0, 2, -1.5, 3]]],
  ["expandDims and squeeze", (x) => gt.squeeze(gt.sin(gt.expandDims(x, 1)), 1), [x23]],
  ["stack", (a, b) => gt.stack([a, gt.exp(b)], 1), [x23, pos23]],
  [
    "split",
    (x) =>
      gt.multiply(...(gt.split(x, [1, 2], 1).map((t) => gt.reduceSum(t, 1)) as [Tensor, Tensor])),
    [x23],
  ],
  ["tile", (x) => gt.sin(gt.tile(x, [2, 3])), [x23]],
  ["tensordot", (a, b) => gt.tensordot(a, b, [[0], [1]]), [x23, [[1, 2], [0.5, -1]]]],
  ["einsum ij,jk->ik", (a, b) => gt.einsum("ij,jk->ik", a, b), [x23, [[1, 2], [0.5, -1], [2, 0]]]],
  ["einsum bij,bjk->bik", (a, b) => gt.einsum("bij,bjk->bik", a, b), [[x23, pos23], [[[1], [2], [
    3,
  ]], [[0.5], [-1], [2]]]]],
  ["einsum i,i->", (a, b) => gt.einsum("i,i->", a, b), [[1, 2, 3], [0.5, -1, 2]]],
  ["einsum ij->j", (a) => gt.einsum("ij->j", a), [x23]],
  ["softmax", (x) => gt.softmax(x), [x23]],
  ["logSoftmax", (x) => gt.logSoftmax(x, 0), [x23]],
  ["softmaxCrossEntropyWithLogits", (z, x) => gt.softmaxCrossEntropyWithLogits(z, x), [
    probs23,
    x23,
  ]],
  ["sigmoidCrossEntropyWithLogits", (z, x) => gt.sigmoidCrossEntropyWithLogits(z, x), [
    pos23.map((r) => r.map((v) => v / 3)),
    x23,
  ]],
  ["l2Loss", (x) => gt.l2Loss(x), [x23]],
  ["reciprocal", (x) => gt.reciprocal(x), [pos23]],
  ["logSigmoid", (x) => gt.logSigmoid(x), [x23]],
  ["softsign", (x) => gt.softsign(x), [x23]],
  ["clipByValue", (x, lo, hi) => gt.clipByValue(x, lo, hi), [x23, [-1, 0, 0.5], 1.8]],
  ["elu", (x) => gt.elu(x), [x23]],
  ["selu", (x) => gt.selu(x), [x23]],
  ["gelu", (x) => gt.gelu(x), [x23]],
  ["gelu (tanh)", (x) => gt.gelu(x, { approximate: true }), [x23]],
  ["silu", (x) => gt.silu(x), [x23]],
  ["leakyRelu", (x) => gt.leakyRelu(x), [x23]],
  ["relu6", (x) => gt.relu6(x), [[[0.3, -1.2, 5.8], [6.5, -0.4, 2.1]]]],
  [
    "sparseSoftmaxCrossEntropyWithLogits",
    (x) => gt.sparseSoftmaxCrossEntropyWithLogits(gt.constant([2, 0], { dtype: "int32" }), x),
    [x23],
  ],
];

for (const [name, f, args] of table) {
  Deno.test(`${name}: derivatives match finite differences to order 2, forward and reverse`, () => {
    checkGrads(f, args, { order: 2 });
  });
}

Deno.test("composites agree with their definitions", () => {
  const x = gt.constant(x23, { dtype: "float64" });
  const e = x23.map((r) => r.map(Math.exp));
  const sm = e.map((r) => r.map((v) => v / r.reduce((a, b) => a + b)));
  assertAllClose(gt.softmax(x), sm, { rtol: 1e-12 });
  assertAllClose(gt.logSoftmax(x), sm.map((r) => r.map(Math.log)), { rtol: 1e-12 });
  assertAllClose(gt.reduceProd(x), x23.flat().reduce((a, b) => a * b), { rtol: 1e-12 });
  assertAllClose(gt.reduceProd(gt.zeros([2, 0]), 1), [1, 1]);
  assertAllClose(gt.l2Loss(x), x23.flat().reduce((a, b) => a + b * b, 0) / 2, { rtol: 1e-12 });
  const z = gt.constant(probs23, { dtype: "float64" });
  const ce = probs23.map((r, i) => -r.reduce((s, p, j) => s + p * Math.log(sm[i][j]), 0));
  assertAllClose(gt.softmaxCrossEntropyWithLogits(z, x), ce, { rtol: 1e-12 });
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const bce = x23.map((r, i) =>
    r.map((v, j) =>
      -(probs23[i][j] * Math.log(sig(v)) + (1 - probs23[i][j]) * Math.log(1 - sig(v)))
    )
  );
  assertAllClose(gt.sigmoidCrossEntropyWithLogits(z, x), bce, { rtol: 1e-10 });
  assertAllClose(gt.tile([[1, 2]], [2, 2]), [[1, 2, 1, 2], [1, 2, 1, 2]]);
  assertAllClose(gt.einsum("ij->ji", x), gt.transpose(x));
  assertAllClose(gt.einsum("ij,kj", [[1, 2]], [[3, 4], [5, 6]]), [[11, 17]]);
});

Deno.test("stable forms stay finite, with finite gradients, for logits of ±1e4 in float32", async (t) => {
  const logits = gt.constant([[1e4, -1e4, 0], [-1e4, -1e4, 1e4]]);
  const labels = gt.constant([[1, 0, 0], [0, 0.5, 0.5]]);
  const cases: [string, (x: Tensor) => Tensor][] = [
    ["softplus", (x) => gt.softplus(x)],
    ["sigmoid", (x) => gt.sigmoid(x)],
    ["reduceLogSumExp", (x) => gt.reduceLogSumExp(x, 1)],
    ["softmax", (x) => gt.softmax(x)],
    ["logSoftmax", (x) => gt.logSoftmax(x)],
    ["softmaxCrossEntropyWithLogits", (x) => gt.softmaxCrossEntropyWithLogits(labels, x)],
    ["sigmoidCrossEntropyWithLogits", (x) => gt.sigmoidCrossEntropyWithLogits(labels, x)],
    ["logSigmoid", (x) => gt.logSigmoid(x)],
    ["gelu", (x) => gt.gelu(x)],
    ["elu", (x) => gt.elu(x)],
    [
      "sparseSoftmaxCrossEntropyWithLogits",
      (x) => gt.sparseSoftmaxCrossEntropyWithLogits(gt.constant([1, 2], { dtype: "int32" }), x),
    ],
  ];
  for (const [name, f] of cases) {
    await t.step(name, () => {
      const tape = new gt.GradientTape();
      tape.watch(logits);
      const y = tape.record(() => f(logits));
      const g = tape.gradient(y, logits)!;
      assert.ok(y.data().every(Number.isFinite), `${name} values: ${y}`);
      assert.ok(g.data().every(Number.isFinite), `${name} gradient: ${g}`);
      const acc = new gt.ForwardAccumulator(logits, gt.onesLike(logits));
      assert.ok(acc.jvp(acc.record(() => f(logits)))!.data().every(Number.isFinite));
    });
  }
  assertAllClose(gt.softplus([1e4, -1e4]), [1e4, 0]);
  assertAllClose(gt.sigmoidCrossEntropyWithLogits([1, 0], [-1e4, 1e4]), [1e4, 1e4]);
  assertAllClose(gt.reduceLogSumExp([-Infinity, -Infinity]), -Infinity);
});

Deno.test("argMax and argMin pick the first extreme, along any axis", () => {
  assert.deepEqual(gt.argMax([[1, 3, 3], [4, 0, 4]], 1).toArray(), [1, 0]);
  assert.deepEqual(gt.argMin([[1, 3], [0, 4]]).toArray(), [1, 0]);
  assert.equal(gt.argMax([1, 2], -1).dtype, "int32");
  assert.throws(
    () => gt.argMax([1, 2], 1),
    /argMax: axis 1 is out of range for a tensor of rank 1/,
  );
});

Deno.test("gather checks its indices and reports the range", () => {
  assert.throws(
    () => gt.gather([[1, 2], [3, 4]], [2]),
    /gather: index 2 is out of range for axis 0 of shape \[2,2\]: indices must be in \[0, 1\]/,
  );
  assert.deepEqual(gt.gather([[1, 2], [3, 4]], [1, 1], 1).toArray(), [[2, 2], [4, 4]]);
});

Deno.test("tensordot and einsum name the mismatched shapes", () => {
  assert.throws(
    () => gt.tensordot([[1, 2]], [[1, 2]], 1),
    /tensordot: axes \[1\] of \[1,2\] and \[0\] of \[1,2\]/,
  );
  assert.throws(
    () => gt.einsum("ij,jk->ik", [[1, 2]], [[1, 2]]),
    /einsum: index j has length 2 in one place and 1 in another/,
  );
  // A repeated index takes a diagonal, as in numpy; its lengths must agree.
  assert.deepEqual(gt.einsum("ii->i", [[1, 2], [3, 4]]).toArray(), [1, 4]);
  assert.throws(
    () => gt.einsum("ii->i", [[1, 2, 3], [4, 5, 6]]),
    /einsum: "ii->i": index i repeats in operand 0 of shape \[2,3\] over axes of different lengths/,
  );
});
