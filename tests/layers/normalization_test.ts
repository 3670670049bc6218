import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { f64, throwsWith } from "../_helpers.ts";

// Per-column mean and biased variance of a matrix, by loops.
function columnStats(x: number[][]): [number[], number[]] {
  const n = x.length;
  const mean = x[0].map((_, j) => x.reduce((s, r) => s + r[j], 0) / n);
  const variance = x[0].map((_, j) => x.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / n);
  return [mean, variance];
}

function normalized(
  x: number[][],
  mean: number[],
  variance: number[],
  eps: number,
  gamma: number[],
  beta: number[],
): number[][] {
  return x.map((r) =>
    r.map((v, j) => (v - mean[j]) / Math.sqrt(variance[j] + eps) * gamma[j] + beta[j])
  );
}

Deno.test("BatchNormalization() keeps Keras's moving statistics, step by step", () => {
  const bn = new gt.layers.BatchNormalization();
  const batches = [
    [[1, 10], [3, 14], [8, 9]],
    [[-2, 0], [4, 1], [1, 2]],
    [[0.5, 7], [0.25, 3], [2, -4]],
  ];
  let movingMean = [0, 0], movingVariance = [1, 1];
  const eps = 1e-3, momentum = 0.99;
  for (const batch of batches) {
    const [mean, variance] = columnStats(batch);
    const y = bn.apply(f64(batch), { training: true });
    assertAllClose(y, normalized(batch, mean, variance, eps, [1, 1], [0, 0]), { atol: 1e-12 });
    movingMean = movingMean.map((m, j) => m * momentum + mean[j] * (1 - momentum));
    movingVariance = movingVariance.map((v, j) => v * momentum + variance[j] * (1 - momentum));
    assertAllClose(bn.movingMean!.value(), movingMean, { atol: 1e-12 });
    assertAllClose(bn.movingVariance!.value(), movingVariance, { atol: 1e-12 });
  }
  // In inference the moving statistics normalize, and nothing is updated.
  const x = [[1, 2], [3, 4]];
  const y = bn.apply(f64(x));
  assertAllClose(y, normalized(x, movingMean, movingVariance, eps, [1, 1], [0, 0]), {
    atol: 1e-12,
  });
  assertAllClose(bn.movingMean!.value(), movingMean, { atol: 1e-12 });
  assert.equal(bn.movingMean!.trainable, false);
  assert.deepEqual(bn.trainableVariables, [bn.gamma, bn.beta]);
});

Deno.test("BatchNormalization() applies gamma and beta, on a channels axis of a rank-4 input", () => {
  const bn = new gt.layers.BatchNormalization({ axis: 1, momentum: 0.5, epsilon: 0.01 });
  // NCHW-like [2, 2, 1, 2]: channel c's values are x[n][c][0][w].
  const x = [
    [[[1, 2]], [[10, 20]]],
    [[[3, 6]], [[0, 30]]],
  ];
  bn.apply(f64(x));
  bn.gamma!.assign([2, 0.5]);
  bn.beta!.assign([1, -1]);
  const y = bn.apply(f64(x), { training: true }).toArray() as number[][][][];
  for (let c = 0; c < 2; c++) {
    const values = [x[0][c][0][0], x[0][c][0][1], x[1][c][0][0], x[1][c][0][1]];
    const [[mean], [variance]] = columnStats(values.map((v) => [v]));
    const [gamma, beta] = [[2, 0.5][c], [1, -1][c]];
    const got = [y[0][c][0][0], y[0][c][0][1], y[1][c][0][0], y[1][c][0][1]];
    const expected = values.map((v) => (v - mean) / Math.sqrt(variance + 0.01) * gamma + beta);
    assertAllClose(got, expected, { atol: 1e-12 });
    assertAllClose(bn.movingMean!.data()[c], mean * 0.5, { atol: 1e-12 });
  }
  throwsWith(
    () => bn.apply(f64([[1, 2, 3]])),
    RangeError,
    /BatchNormalization '.*': expected an input of rank 4, got shape \[1,3\]/,
  );
  throwsWith(
    () => bn.apply(gt.zeros([2, 3, 1, 2], "float64")),
    RangeError,
    /axis 1 of the input has length 3, but the layer was built for 2/,
  );
});

Deno.test("BatchNormalization() without center or scale holds the moving statistics only", () => {
  const bn = new gt.layers.BatchNormalization({ center: false, scale: false });
  bn.apply(gt.zeros([2, 3]));
  assert.equal(bn.gamma, null);
  assert.equal(bn.beta, null);
  assert.equal(bn.variables.length, 2);
  assert.equal(bn.trainableVariables.length, 0);
  throwsWith(() => new gt.layers.BatchNormalization({ momentum: 2 }), RangeError, /momentum/);
  throwsWith(
    () => new gt.layers.BatchNormalization({ axis: 3 }).apply([[1]]),
    RangeError,
    /axis 3 is out of range for an input of rank 2/,
  );
});

Deno.test("BatchNormalization() in training: gradients flow through the batch statistics only", () => {
  const bn = new gt.layers.BatchNormalization({ center: false, scale: false, epsilon: 1e-3 });
  const x = new gt.Variable(f64([[1], [2], [4]]));
  bn.apply(x);
  const tape = new gt.GradientTape();
  const out = tape.record(() => bn.apply(x, { training: true }).mul(f64([[1], [0], [0]])).sum());
  const g = tape.gradient(out, x)!.toArray() as number[][];
  // y0 = (x0 - m)/s with m the mean and s² = v + ε: dy0/dxj = (δ0j - 1/3)/s - (x0 - m)²/(3s³).
  const m = 7 / 3, v = ((1 - m) ** 2 + (2 - m) ** 2 + (4 - m) ** 2) / 3, s = Math.sqrt(v + 1e-3);
  const xs = [1, 2, 4];
  const expected = xs.map((xj, j) =>
    ((j === 0 ? 1 : 0) - 1 / 3) / s - (1 - m) * (xj - m) / (3 * s ** 3)
  );
  assertAllClose(g.map((r) => r[0]), expected, { atol: 1e-10 });
});

Deno.test("LayerNormalization() normalizes each example over its last axis, then gamma and beta", () => {
  const ln = new gt.layers.LayerNormalization({ epsilon: 1e-5 });
  const x = [[1, 2, 6], [-1, 0, 4]];
  ln.apply(f64(x));
  ln.gamma!.assign([1, 2, 3]);
  ln.beta!.assign([0, 1, -1]);
  const y = ln.apply(f64(x));
  const expected = x.map((r) => {
    const [[m], [v]] = columnStats(r.map((e) => [e]));
    return r.map((e, j) => (e - m) / Math.sqrt(v + 1e-5) * [1, 2, 3][j] + [0, 1, -1][j]);
  });
  assertAllClose(y, expected, { atol: 1e-12 });
  // Training changes nothing, and the batch size may change after the build.
  assertAllClose(ln.apply(f64(x), { training: true }), expected, { atol: 1e-12 });
  assert.deepEqual(ln.apply(gt.zeros([5, 3], "float64")).shape, [5, 3]);
  throwsWith(() => ln.apply(gt.zeros([2, 4], "float64")), RangeError, /built for 3/);
});

Deno.test("LayerNormalization() over several axes has parameters of their shape", () => {
  const ln = new gt.layers.LayerNormalization({ axis: [1, 2], epsilon: 1e-3 });
  const x = [[[1, 2], [3, 5]], [[0, 0], [0, 4]]];
  const y = ln.apply(f64(x));
  assert.deepEqual(ln.gamma!.shape, [2, 2]);
  const expected = x.map((ex) => {
    const flat = ex.flat();
    const [[m], [v]] = columnStats(flat.map((e) => [e]));
    return ex.map((r) => r.map((e) => (e - m) / Math.sqrt(v + 1e-3)));
  });
  assertAllClose(y, expected, { atol: 1e-12 });
});
