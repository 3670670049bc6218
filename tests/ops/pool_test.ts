/**
 * Pooling and batch normalization against direct float64 loops written here: every spatial rank,
 * both layouts, both paddings, strides below, at and above the window; derivatives against finite
 * differences (order 2, both modes), Jacobians against the selection matrix a loop builds, the
 * batching paths the registry's rows do not reach, and the errors.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { PoolDataFormat, Tensor } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";
import { distinctValues } from "./rows/pool.ts";

interface Config {
  shape: number[];
  ksize: number[];
  strides: number[];
  padding: "SAME" | "VALID";
  format: PoolDataFormat;
}

interface Window {
  /** The flat input offsets inside the window, in row-major order of the window. */
  at: number[];
}

// For each output element (flat, in the output's layout), its window's input offsets: spatial
// positions walked by multi-index, padded ones left out. Returns the output shape too.
function windows(c: Config): { out: number[]; wins: Window[] } {
  const d = c.shape.length - 2, first = c.format[1] === "C";
  const sp = (i: number) => (first ? 2 : 1) + i;
  const ch = first ? 1 : d + 1;
  const ins = Array.from({ length: d }, (_, i) => c.shape[sp(i)]);
  const outs: number[] = [], before: number[] = [];
  for (let i = 0; i < d; i++) {
    const n = ins[i], k = c.ksize[i], s = c.strides[i];
    if (c.padding === "VALID") {
      outs.push(Math.ceil((n - k + 1) / s));
      before.push(0);
    } else {
      const o = Math.ceil(n / s);
      outs.push(o);
      before.push(Math.floor(Math.max(0, (o - 1) * s + k - n) / 2));
    }
  }
  const outShape = [...c.shape];
  outs.forEach((o, i) => (outShape[sp(i)] = o));
  const strides = (shape: number[]) =>
    shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const xs = strides(c.shape);
  const wins: Window[] = [];
  const total = outShape.reduce((a, b) => a * b, 1), os = strides(outShape);
  for (let flat = 0; flat < total; flat++) {
    const idx = os.map((s, i) => Math.floor(flat / s) % outShape[i]);
    const at: number[] = [];
    const offs = new Array(d).fill(0);
    const count = c.ksize.reduce((a, b) => a * b, 1);
    for (let w = 0; w < count; w++) {
      let r = w;
      for (let i = d - 1; i >= 0; i--) {
        offs[i] = r % c.ksize[i];
        r = Math.floor(r / c.ksize[i]);
      }
      const pos = [...idx];
      let inside = true;
      for (let i = 0; i < d; i++) {
        const p = idx[sp(i)] * c.strides[i] - before[i] + offs[i];
        if (p < 0 || p >= ins[i]) inside = false;
        pos[sp(i)] = p;
      }
      if (inside) at.push(pos.reduce((a, p, i) => a + p * xs[i], 0));
    }
    assert.ok(at.length > 0 && ch >= 0);
    wins.push({ at });
  }
  return { out: outShape, wins };
}

function refMax(x: number[], c: Config): { y: number[]; arg: number[] } {
  const { wins } = windows(c);
  const arg = wins.map(({ at }) => at.reduce((b, i) => (x[i] > x[b] ? i : b), at[0]));
  return { y: arg.map((i) => x[i]), arg };
}

function refAvg(x: number[], c: Config): number[] {
  return windows(c).wins.map(({ at }) => at.reduce((s, i) => s + x[i], 0) / at.length);
}

function flatValues(shape: number[]): number[] {
  return (distinctValues(shape) as number[]).flat(Infinity as 1) as number[];
}

const configs: Config[] = [
  { shape: [2, 9, 3], ksize: [3], strides: [2], padding: "VALID", format: "NWC" },
  { shape: [2, 3, 8], ksize: [2], strides: [3], padding: "SAME", format: "NCW" },
  { shape: [1, 7, 3], ksize: [4], strides: [1], padding: "SAME", format: "NWC" },
  { shape: [2, 5, 6, 3], ksize: [2, 3], strides: [2, 2], padding: "SAME", format: "NHWC" },
  { shape: [2, 5, 6, 3], ksize: [3, 3], strides: [1, 2], padding: "VALID", format: "NHWC" },
  { shape: [1, 2, 7, 5], ksize: [3, 2], strides: [2, 3], padding: "SAME", format: "NCHW" },
  { shape: [2, 3, 4, 5], ksize: [1, 1], strides: [2, 2], padding: "VALID", format: "NCHW" },
  {
    shape: [1, 4, 5, 3, 2],
    ksize: [2, 3, 2],
    strides: [2, 1, 2],
    padding: "SAME",
    format: "NDHWC",
  },
  {
    shape: [2, 2, 3, 4, 5],
    ksize: [2, 2, 3],
    strides: [1, 2, 1],
    padding: "VALID",
    format: "NCDHW",
  },
];

const name = (c: Config) =>
  `${c.format} ${JSON.stringify(c.shape)} k${c.ksize} s${c.strides} ${c.padding}`;

Deno.test("maxPool() and avgPool() equal direct loops: every rank, layout, padding and stride", () => {
  for (const c of configs) {
    const x = flatValues(c.shape);
    const { out } = windows(c);
    for (const dtype of ["float64", "float32"] as const) {
      const xt = gt.reshape(gt.constant(x, { dtype }), c.shape);
      const opts = { dataFormat: c.format };
      const mp = gt.maxPool(xt, c.ksize, c.strides, c.padding, opts);
      const ap = gt.avgPool(xt, c.ksize, c.strides, c.padding, opts);
      assert.deepEqual(mp.shape, out, name(c));
      assert.deepEqual(ap.shape, out, name(c));
      const tol = dtype === "float32" ? 1e-6 : 1e-14;
      assertAllClose(gt.reshape(mp, [-1]), refMax(x, c).y, { rtol: tol, atol: tol });
      assertAllClose(gt.reshape(ap, [-1]), refAvg(x, c), { rtol: tol, atol: tol });
      assert.equal(mp.dtype, dtype);
    }
  }
});

Deno.test("maxPool() and avgPool() take ksize and strides as a number, per spatial axis, or in TensorFlow's full form", () => {
  const x = gt.constant(distinctValues([2, 5, 6, 3]) as number[][][][], { dtype: "float64" });
  const a = gt.maxPool(x, 2, 2, "same");
  assertAllClose(gt.maxPool(x, [2, 2], [2, 2], "SAME"), a);
  assertAllClose(gt.maxPool(x, [1, 2, 2, 1], [1, 2, 2, 1], "Same" as "SAME"), a);
  const xc = gt.transpose(x, [0, 3, 1, 2]);
  const b = gt.avgPool(xc, [1, 1, 3, 2], [1, 1, 1, 2], "VALID", { dataFormat: "NCHW" });
  assertAllClose(b, gt.transpose(gt.avgPool(x, [3, 2], [1, 2], "VALID"), [0, 3, 1, 2]));
});

Deno.test("maxPool() sends the gradient to the first maximum of each window, as TensorFlow", () => {
  // Ties everywhere: each 2×2 window is constant, so the first element of each gets it.
  const x = gt.constant([[[[1], [1], [2], [2]], [[1], [1], [2], [2]]]], { dtype: "float64" });
  const g = gt.grad((v: Tensor) => gt.reduceSum(gt.maxPool(v, 2, 2, "VALID")))(x);
  assert.deepEqual(g.reshape([2, 4]).toArray(), [[1, 0, 1, 0], [0, 0, 0, 0]]);
  // Two channels (the loops over channels rather than rows), and channels first, 3×3 windows.
  const two = gt.stack([x, gt.negative(x)], -1); // [1, 2, 4, 1, 2]
  const g2 = gt.grad((v: Tensor) => gt.reduceSum(gt.maxPool(v, 2, 2, "VALID")))(
    gt.reshape(two, [1, 2, 4, 2]),
  );
  assert.deepEqual(gt.reshape(g2, [2, 4, 2]).toArray(), [
    [[1, 1], [0, 0], [1, 1], [0, 0]],
    [[0, 0], [0, 0], [0, 0], [0, 0]],
  ]);
  const flat = gt.constant([[[[0, 2, 2, 1], [2, 1, 2, 2], [0, 0, 1, 2]]]], { dtype: "float64" });
  const g3 = gt.grad((v: Tensor) =>
    gt.reduceSum(gt.maxPool(v, 3, 1, "SAME", { dataFormat: "NCHW" }))
  )(flat);
  // Each window's first 2 in row-major order: (0, 1) for the six windows that reach it, (0, 2)
  // for the two of the last column that do not, (1, 0) and (1, 2) for the last row's.
  assert.deepEqual(g3.reshape([3, 4]).toArray(), [[0, 6, 2, 0], [2, 0, 2, 0], [0, 0, 0, 0]]);
  // Overlapping windows (stride 1) pick one element twice: gradients accumulate.
  const y = gt.constant([[[1], [3], [0]]], { dtype: "float64" });
  const gy = gt.grad((v: Tensor) => gt.reduceSum(gt.maxPool(v, 2, 1, "VALID")))(y);
  assert.deepEqual(gy.reshape([3]).toArray(), [0, 2, 0]);
});

Deno.test("maxPool() never takes the SAME padding for a maximum, and avgPool() never counts it", () => {
  const x = gt.constant([[[-3], [-2], [-5]]], { dtype: "float64" });
  assert.deepEqual(gt.maxPool(x, 2, 2, "SAME").reshape([2]).toArray(), [-2, -5]);
  // Width 3, window 3, stride 1: padding one before and one after.
  assert.deepEqual(gt.avgPool(x, 3, 1, "SAME").reshape([3]).toArray(), [-2.5, -10 / 3, -3.5]);
});

Deno.test("maxPool() gradients equal a direct loop's: the cotangent added at each window's first maximum", () => {
  for (const c of configs) {
    const x = flatValues(c.shape);
    const xt = gt.reshape(gt.constant(x, { dtype: "float64" }), c.shape);
    const { out } = windows(c);
    const ct = flatValues(out).map((v) => v + 2);
    const f = (v: Tensor) => gt.maxPool(v, c.ksize, c.strides, c.padding, { dataFormat: c.format });
    const [, back] = gt.vjp(f, xt);
    const [gx] = back(gt.reshape(gt.constant(ct, { dtype: "float64" }), out));
    const want = new Array(x.length).fill(0);
    refMax(x, c).arg.forEach((i, k) => (want[i] += ct[k]));
    assertAllClose(gt.reshape(gx!, [-1]), want, { atol: 1e-13 });
    // avgPool: each cotangent spread over its window's positions inside the input.
    const fa = (v: Tensor) =>
      gt.avgPool(v, c.ksize, c.strides, c.padding, { dataFormat: c.format });
    const [, backA] = gt.vjp(fa, xt);
    const [ga] = backA(gt.reshape(gt.constant(ct, { dtype: "float64" }), out));
    const wantA = new Array(x.length).fill(0);
    windows(c).wins.forEach(({ at }, k) => at.forEach((i) => (wantA[i] += ct[k] / at.length)));
    assertAllClose(gt.reshape(ga!, [-1]), wantA, { atol: 1e-13 });
  }
});

Deno.test("maxPool() and avgPool() derivatives match finite differences to order 2, both modes", () => {
  for (const c of [configs[1], configs[3], configs[5], configs[7]]) {
    const x = distinctValues(c.shape) as number[];
    const o = { dataFormat: c.format };
    checkGrads((v) => gt.sin(gt.maxPool(v, c.ksize, c.strides, c.padding, o)), [x], { order: 2 });
    checkGrads((v) => gt.square(gt.avgPool(v, c.ksize, c.strides, c.padding, o)), [x], {
      order: 2,
    });
  }
});

Deno.test("maxPool() Jacobians, forward (batched tangents) and reverse, are the selection matrix", () => {
  const c = configs[5];
  const x = flatValues(c.shape);
  const xt = gt.reshape(gt.constant(x, { dtype: "float64" }), c.shape);
  const f = (v: Tensor) =>
    gt.reshape(gt.maxPool(v, c.ksize, c.strides, c.padding, { dataFormat: c.format }), [-1]);
  const { arg } = refMax(x, c);
  const want = arg.map((i) => x.map((_, j) => (j === i ? 1 : 0)));
  const n = x.length;
  assertAllClose(gt.reshape(gt.jacfwd(f)(xt) as Tensor, [arg.length, n]), want);
  assertAllClose(gt.reshape(gt.jacrev(f)(xt) as Tensor, [arg.length, n]), want);
  // The Hessian of a smooth function of the pooled values: sin(y)ᵢ'' on the selected diagonal.
  const h = gt.hessian((v: Tensor) => gt.reduceSum(gt.sin(f(v))))(xt) as Tensor;
  const wantH = x.map((_, i) =>
    x.map((
      _,
      j,
    ) => (i === j && arg.includes(i) ? -Math.sin(x[i]) * arg.filter((a) => a === i).length : 0))
  );
  assertAllClose(gt.reshape(h, [n, n]), wantH, { atol: 1e-12 });
});

Deno.test("maxPool() forward derivatives under vmap: the inputs mapped, a tangent shared", () => {
  const shape = [3, 1, 5, 4, 2];
  const xs = gt.constant(distinctValues(shape) as number[], { dtype: "float64" });
  const t = gt.constant(distinctValues([1, 5, 4, 2]) as number[], { dtype: "float64" });
  const f = (v: Tensor) => gt.maxPool(v, [2, 3], [2, 1], "SAME");
  const each = (v: Tensor) => gt.jvp(f, [v], [t])[1] as Tensor;
  const mapped = gt.vmap(each)(xs);
  const stacked = gt.stack([0, 1, 2].map((i) => each(gt.gather(xs, i))));
  assertAllClose(mapped, stacked);
  // And the tangents mapped, the input shared.
  const ts = gt.constant(distinctValues(shape) as number[], { dtype: "float64" });
  const x0 = gt.gather(xs, 1);
  const byTangent = gt.vmap((u: Tensor) => gt.jvp(f, [x0], [u])[1] as Tensor)(ts);
  const want = gt.stack([0, 1, 2].map((i) => gt.jvp(f, [x0], [gt.gather(ts, i)])[1] as Tensor));
  assertAllClose(byTangent, want);
});

Deno.test("maxPool() Jacobians under vmap: batched tangents and a mapped input together", () => {
  const xs = gt.constant(distinctValues([2, 1, 2, 5, 3]) as number[], { dtype: "float64" });
  for (const format of ["NHWC", "NCHW"] as const) {
    const f = (v: Tensor) => gt.maxPool(v, 2, [1, 2], "SAME", { dataFormat: format });
    const mapped = gt.vmap((v: Tensor) => gt.jacfwd(f)(v) as Tensor)(xs);
    const stacked = gt.stack([0, 1].map((i) => gt.jacrev(f)(gt.gather(xs, i)) as Tensor));
    assertAllClose(mapped, stacked);
  }
});

Deno.test("maxPool() takes a NaN for the maximum, and sends it the gradient", () => {
  const x = gt.constant([[[1], [NaN], [3], [2]]], { dtype: "float64" });
  assert.deepEqual(gt.maxPool(x, 2, 2, "VALID").reshape([2]).toArray(), [NaN, 3]);
  const [, back] = gt.vjp((v: Tensor) => gt.maxPool(v, 2, 2, "VALID"), x);
  const [gx] = back(gt.constant([[[5], [7]]], { dtype: "float64" }));
  assert.deepEqual(gx!.reshape([4]).toArray(), [0, 5, 7, 0]);
});

Deno.test("maxPool() and avgPool() of empty batches and channels are empty", () => {
  assert.deepEqual(gt.maxPool(gt.zeros([0, 4, 4, 3]), 2, 2, "VALID").shape, [0, 2, 2, 3]);
  assert.deepEqual(gt.avgPool(gt.zeros([2, 4, 0]), 3, 1, "SAME").shape, [2, 4, 0]);
});

Deno.test("maxPool() and avgPool() refuse bad input, naming the op, the shapes and the fix", () => {
  const x = gt.zeros([1, 4, 4, 2]);
  assert.throws(
    () => gt.maxPool(gt.zeros([4, 4]), 2, 2, "VALID"),
    /maxPool: x must have rank 3, 4 or 5.*\[4,4\]/,
  );
  assert.throws(
    () => gt.avgPool(x, 5, 1, "VALID"),
    /avgPool: the window \(5\) is larger than the input \(4\) along spatial dimension 0 of shape \[1,4,4,2\] with VALID padding/,
  );
  assert.throws(
    () => gt.maxPool(x, 2, 2, "FULL" as "SAME"),
    /maxPool: padding must be "SAME" or "VALID", not "FULL"/,
  );
  assert.throws(
    () => gt.maxPool(x, 2, 2, "SAME", { dataFormat: "NCW" }),
    /maxPool: dataFormat "NCW" does not fit x of rank 4 \(shape \[1,4,4,2\]\): use "NHWC" or "NCHW"/,
  );
  assert.throws(
    () => gt.maxPool(x, [2, 2, 2], 1, "SAME"),
    /maxPool: ksize \[2,2,2\] must be .* 2 of them .* or 4/,
  );
  assert.throws(
    () => gt.maxPool(x, [2, 2, 2, 1], 1, "SAME"),
    /maxPool: ksize \[2,2,2,1\] pools over the batch or the channels/,
  );
  assert.throws(
    () => gt.avgPool(x, 2, 0, "SAME"),
    /avgPool: strides must be an integer ≥ 1, not 0/,
  );
  assert.throws(
    () => gt.avgPool(gt.zeros([1, 4, 2], "int32"), 2, 1, "SAME"),
    /avgPool: expects a float32 or float64 tensor, got int32/,
  );
  assert.throws(
    () => gt.maxPool(x, 2, 2, "SAME", { data_format: "NHWC" } as never),
    /maxPool: unknown option 'data_format' \(did you mean 'dataFormat'\?\)/,
  );
});

// batchNormalization

function refBn(
  x: number[][],
  mean: number[],
  variance: number[],
  offset: number[] | null,
  scale: number[] | null,
  eps: number,
): number[][] {
  return x.map((row) =>
    row.map((v, c) =>
      (scale === null ? 1 : scale[c]) * (v - mean[c]) / Math.sqrt(variance[c] + eps) +
      (offset === null ? 0 : offset[c])
    )
  );
}

const bx = [[0.3, -1.2, 2.5], [1.7, 0.4, -0.6], [-0.9, 2.2, 1.1], [0.5, 0.8, -1.4]];
const bm = [0.4, 0.55, 0.4], bv = [0.9, 1.6, 2.3], bo = [0.1, -0.2, 0.3], bs = [1.5, 0.7, -1.1];

Deno.test("batchNormalization() equals its formula, with and without offset and scale", () => {
  for (const [o, s] of [[bo, bs], [null, bs], [bo, null], [null, null]] as const) {
    const y = gt.batchNormalization(
      gt.constant(bx, { dtype: "float64" }),
      bm,
      bv,
      o === null ? null : [...o],
      s === null ? null : [...s],
      1e-3,
    );
    assert.equal(y.dtype, "float64");
    assertAllClose(
      y,
      refBn(bx, bm, bv, o === null ? null : [...o], s === null ? null : [...s], 1e-3),
      { rtol: 1e-14 },
    );
  }
  // Statistics kept as [1, C] from moments, and float32.
  const x = gt.constant(bx);
  const [m, v] = gt.moments(x, [0], { keepDims: true });
  const y = gt.batchNormalization(x, m, v, null, null, 0);
  assertAllClose(gt.moments(y, [0])[0], [0, 0, 0], { atol: 1e-6 });
  assertAllClose(gt.moments(y, [0])[1], [1, 1, 1], { atol: 1e-5 });
});

Deno.test("batchNormalization() derivatives in every argument match finite differences to order 2", () => {
  checkGrads((x, m, v, o, s) => gt.batchNormalization(x, m, v, o, s, 1e-3), [bx, bm, bv, bo, bs], {
    order: 2,
  });
  checkGrads((x, v) => gt.batchNormalization(x, [0.1, 0, -0.1], v, null, null, 0.01), [bx, bv], {
    order: 2,
  });
});

Deno.test("batchNormalization() refuses shapes that do not broadcast and a non-finite epsilon", () => {
  assert.throws(
    () => gt.batchNormalization(bx, [1, 2], bv, null, null, 0),
    /batchNormalization: .*\[4,3\].*\[2\]/,
  );
  assert.throws(
    () => gt.batchNormalization(bx, bm, bv, null, null, NaN),
    /batchNormalization: varianceEpsilon must be a finite number, not NaN/,
  );
  assert.throws(
    () =>
      gt.batchNormalization(
        gt.constant([[1, 2]], { dtype: "int32" }),
        [0, 0],
        [1, 1],
        null,
        null,
        0,
      ),
    /batchNormalization: expects a float32 or float64 tensor, got int32/,
  );
});
