import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";
import { f64, throwsWith } from "../_helpers.ts";

const { losses } = gt;
const mean = (v: number[]) => v.reduce((s, e) => s + e, 0) / v.length;
const clip = (p: number) => Math.min(Math.max(p, 1e-7), 1 - 1e-7);

const T = [[0, 1, 0.5], [1, 0, 0.25]];
const P = [[0.2, 0.7, 0.5], [0.9, 0.3, 0.6]];

Deno.test("losses meanSquaredError() and meanAbsoluteError(): per example over the last axis, then the batch", () => {
  const mse = T.map((r, i) => mean(r.map((t, j) => (t - P[i][j]) ** 2)));
  const mae = T.map((r, i) => mean(r.map((t, j) => Math.abs(t - P[i][j]))));
  assertAllClose(losses.meanSquaredError(f64(T), f64(P)), mean(mse), { atol: 1e-15 });
  assertAllClose(losses.meanAbsoluteError(f64(T), f64(P)), mean(mae), { atol: 1e-15 });
  assertAllClose(losses.meanSquaredError(f64(T), f64(P), { reduction: "none" }), mse, {
    atol: 1e-15,
  });
  assertAllClose(losses.meanAbsoluteError(f64(T), f64(P), { reduction: "sum" }), mae[0] + mae[1], {
    atol: 1e-15,
  });
  // Targets given as plain arrays take the predictions' dtype.
  assert.equal(losses.meanSquaredError(T, f64(P)).dtype, "float64");
});

Deno.test("losses huber(): quadratic within delta, linear beyond", () => {
  const t = [[0, 0, 0, 0]], p = [[0.5, -2, 3, 1.5]];
  const h = (e: number, d: number) => Math.abs(e) <= d ? e * e / 2 : d * Math.abs(e) - d * d / 2;
  assertAllClose(losses.huber(f64(t), f64(p)), mean(p[0].map((e) => h(e, 1))), { atol: 1e-15 });
  assertAllClose(losses.huber(f64(t), f64(p), { delta: 2 }), mean(p[0].map((e) => h(e, 2))), {
    atol: 1e-15,
  });
  throwsWith(() => losses.huber(t, p, { delta: 0 }), RangeError, /delta must be positive/);
});

Deno.test("losses binaryCrossentropy(): Keras's clipped formula, and from logits", () => {
  const bce = T.map((r, i) =>
    mean(r.map((t, j) => {
      const q = clip(P[i][j]);
      return -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
    }))
  );
  assertAllClose(losses.binaryCrossentropy(f64(T), f64(P)), mean(bce), { atol: 1e-14 });
  const logits = P.map((r) => r.map((p) => Math.log(p / (1 - p))));
  assertAllClose(losses.binaryCrossentropy(f64(T), f64(logits), { fromLogits: true }), mean(bce), {
    atol: 1e-14,
  });
  // Probabilities of 0 and 1 are clipped to 1e-7 and 1 - 1e-7: a finite loss.
  const clipped = losses.binaryCrossentropy(f64([[1, 0]]), f64([[0, 1]])).item();
  assertAllClose(clipped, -Math.log(1e-7), { rtol: 1e-9 });
  // Label smoothing moves the labels toward 1/2.
  const s = 0.2;
  const smooth = T.map((r, i) =>
    mean(r.map((t0, j) => {
      const t = t0 * (1 - s) + s / 2, q = P[i][j];
      return -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
    }))
  );
  assertAllClose(losses.binaryCrossentropy(f64(T), f64(P), { labelSmoothing: s }), mean(smooth), {
    atol: 1e-14,
  });
});

Deno.test("losses categoricalCrossentropy(): normalized and clipped probabilities, or logits", () => {
  const t = [[0, 1, 0], [0.2, 0.3, 0.5]];
  const p = [[0.2, 0.5, 0.3], [1, 2, 1]]; // the second row sums to 4: normalized first
  const cce = t.map((r, i) => {
    const sum = p[i].reduce((a, b) => a + b);
    return -r.reduce((acc, tj, j) => acc + tj * Math.log(clip(p[i][j] / sum)), 0);
  });
  assertAllClose(losses.categoricalCrossentropy(f64(t), f64(p)), mean(cce), { atol: 1e-14 });
  const z = [[1, -1, 0.5], [0, 2, -3]];
  const fromLogits = t.map((r, i) => {
    const lse = Math.log(z[i].reduce((a, v) => a + Math.exp(v), 0));
    return -r.reduce((acc, tj, j) => acc + tj * (z[i][j] - lse), 0);
  });
  assertAllClose(
    losses.categoricalCrossentropy(f64(t), f64(z), { fromLogits: true, reduction: "none" }),
    fromLogits,
    { atol: 1e-14 },
  );
  // Label smoothing: y·(1 - s) + s/classes.
  const s = 0.3;
  const smooth = t.map((r, i) => {
    const lse = Math.log(z[i].reduce((a, v) => a + Math.exp(v), 0));
    return -r.reduce((acc, tj, j) => acc + (tj * (1 - s) + s / 3) * (z[i][j] - lse), 0);
  });
  assertAllClose(
    losses.categoricalCrossentropy(f64(t), f64(z), { fromLogits: true, labelSmoothing: s }),
    mean(smooth),
    { atol: 1e-14 },
  );
});

Deno.test("losses sparseCategoricalCrossentropy(): int32 labels, [batch] or [batch, 1]", () => {
  const p = [[0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.6, 0.4, 0]];
  const labels = [1, 2, 2];
  // Keras: the log of the clipped probabilities taken as logits, so renormalized after clipping.
  const expected = p.map((r, i) => {
    const c = r.map(clip), sum = c.reduce((a, b) => a + b);
    return -Math.log(c[labels[i]] / sum);
  });
  assertAllClose(losses.sparseCategoricalCrossentropy(labels, f64(p)), mean(expected), {
    rtol: 1e-12,
  });
  const asColumn = gt.constant(labels.map((l) => [l]), { dtype: "int32" });
  assertAllClose(
    losses.sparseCategoricalCrossentropy(asColumn, f64(p), { reduction: "none" }),
    expected,
    { rtol: 1e-12 },
  );
  const z = [[1, 2, 3], [0, 0, 0], [-1, 5, 2]];
  const fromLogits = z.map((r, i) => {
    const lse = Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
    return lse - r[labels[i]];
  });
  assertAllClose(
    losses.sparseCategoricalCrossentropy(labels, f64(z), { fromLogits: true }),
    mean(fromLogits),
    { atol: 1e-14 },
  );
  throwsWith(
    () => losses.sparseCategoricalCrossentropy(gt.constant([1, 2, 2]), f64(p)),
    TypeError,
    /yTrue must hold int32 class indices, not float32: cast them/,
  );
  throwsWith(
    () => losses.sparseCategoricalCrossentropy([1, 2], f64(p)),
    RangeError,
    /yTrue's shape must be yPred's without its classes axis, got \[2\] and \[3,3\]/,
  );
});

Deno.test("losses: shapes must match (up to a trailing axis of 1), options are checked", () => {
  const column = losses.meanSquaredError(f64([[1], [2]]), f64([1, 4]));
  assertAllClose(column, (0 + 4) / 2, { atol: 1e-15 });
  assert.equal(losses.meanSquaredError(gt.zeros([0, 2]), gt.zeros([0, 2])).item(), 0);
  throwsWith(
    () => losses.meanSquaredError([[1, 2]], [[1, 2, 3]]),
    RangeError,
    /losses.meanSquaredError: yTrue and yPred must have the same shape, got \[1,2\] and \[1,3\]/,
  );
  throwsWith(
    () => losses.binaryCrossentropy([1], [0.5], { fromLogit: true } as never),
    TypeError,
    /unknown option 'fromLogit' \(did you mean 'fromLogits'\?\)/,
  );
  throwsWith(
    () => losses.meanSquaredError([1], [1], { reduction: "mean" as never }),
    TypeError,
    /reduction must be one of "sum_over_batch_size", "sum", "none"/,
  );
  throwsWith(
    () => losses.meanSquaredError([1], gt.constant([1], { dtype: "int32" })),
    TypeError,
    /yPred must be float32 or float64, not int32/,
  );
});

Deno.test("losses are differentiable in the predictions to order 2 in both modes (float64)", () => {
  const t = f64(T);
  const y = f64([[0.2, 0.7, 0.4], [0.6, 0.3, 0.1]]);
  const z = f64([[0.3, -1.2, 0.8], [1.1, 0.2, -0.4]]);
  const oneHot = f64([[0, 1, 0], [1, 0, 0]]);
  const labels = gt.constant([1, 0], { dtype: "int32" });
  checkGrads((p: gt.Tensor) => losses.meanSquaredError(t, p), [y]);
  checkGrads((p: gt.Tensor) => losses.huber(t, p, { delta: 0.25 }), [y]);
  checkGrads((p: gt.Tensor) => losses.binaryCrossentropy(t, p), [y]);
  checkGrads((p: gt.Tensor) => losses.binaryCrossentropy(t, p, { fromLogits: true }), [z]);
  checkGrads((p: gt.Tensor) => losses.categoricalCrossentropy(oneHot, p), [y]);
  checkGrads((p: gt.Tensor) => losses.categoricalCrossentropy(oneHot, p, { fromLogits: true }), [
    z,
  ]);
  checkGrads((p: gt.Tensor) => losses.sparseCategoricalCrossentropy(labels, p), [y]);
  checkGrads(
    (p: gt.Tensor) => losses.sparseCategoricalCrossentropy(labels, p, { fromLogits: true }),
    [z],
  );
});

Deno.test("losses categoricalCrossentropy() from logits: the gradient is (softmax - y) / batch", () => {
  const z = [[1, 2, 0], [0.5, -1, 3]];
  const y = [[0, 0, 1], [1, 0, 0]];
  const g = gt.grad((p: gt.Tensor) =>
    losses.categoricalCrossentropy(f64(y), p, { fromLogits: true })
  )(
    f64(z),
  );
  const expected = z.map((r, i) => {
    const e = r.map(Math.exp), s = e.reduce((a, b) => a + b);
    return e.map((v, j) => (v / s - y[i][j]) / 2);
  });
  assertAllClose(g, expected, { atol: 1e-14 });
});
