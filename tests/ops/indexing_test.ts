/**
 * Indexing and scattering against naive loops: gather's batchDims, gatherNd, scatterNd, the
 * tensorScatter ops, oneHot, the segment reductions and booleanMask; their errors (an index out of
 * range names the op, the index and the bound); their derivatives to order 2 in both modes; and
 * their behaviour under jit and vmap.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";
import { throwsWith } from "../_helpers.ts";

// A small deterministic generator, independent of the library's.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function values(n: number, seed: number): number[] {
  const r = lcg(seed);
  return Array.from({ length: n }, () => Math.round((r() * 4 - 2) * 1000) / 1000);
}

function ints(n: number, below: number, seed: number, from = 0): number[] {
  const r = lcg(seed);
  return Array.from({ length: n }, () => from + Math.floor(r() * (below - from)));
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const strides = (shape: readonly number[]) => shape.map((_, i) => size(shape.slice(i + 1)));
const f64 = (v: number[], shape: number[]) => gt.constant(v, { dtype: "float64", shape });
const i32 = (v: number[], shape: number[]) => gt.constant(v, { dtype: "int32", shape });
const flat = (t: Tensor) => Array.from(t.data());

Deno.test("gather: the positional axis and the options form agree, and batchDims", async (t) => {
  await t.step("positional axis and { axis }", () => {
    const x = f64(values(24, 1), [2, 3, 4]);
    const idx = i32([3, 0, 3], [3]);
    assert.deepEqual(flat(gt.gather(x, idx, 2)), flat(gt.gather(x, idx, { axis: -1 })));
  });
  await t.step("batchDims 1, axis 2: each example indexes its own rows", () => {
    const xv = values(24, 2), iv = ints(10, 4, 3);
    const y = gt.gather(f64(xv, [2, 3, 4]), i32(iv, [2, 5]), { axis: 2, batchDims: 1 });
    assert.deepEqual(y.shape, [2, 3, 5]);
    const expected: number[] = [];
    for (let b = 0; b < 2; b++) {
      for (let m = 0; m < 3; m++) {
        for (let j = 0; j < 5; j++) expected.push(xv[b * 12 + m * 4 + iv[b * 5 + j]]);
      }
    }
    assert.deepEqual(flat(y), expected);
  });
  await t.step("batchDims 1, axis 1, indices of rank 3", () => {
    const xv = values(24, 4), iv = ints(8, 4, 5);
    const y = gt.gather(f64(xv, [2, 4, 3]), i32(iv, [2, 2, 2]), { axis: 1, batchDims: 1 });
    assert.deepEqual(y.shape, [2, 2, 2, 3]);
    const expected: number[] = [];
    for (let b = 0; b < 2; b++) {
      for (let j = 0; j < 4; j++) {
        for (let c = 0; c < 3; c++) expected.push(xv[b * 12 + iv[b * 4 + j] * 3 + c]);
      }
    }
    assert.deepEqual(flat(y), expected);
  });
  await t.step("batchDims: derivatives to order 2", () => {
    const idx = i32([2, 0, 2, 1, 1, 0], [2, 3]);
    checkGrads((x) => gt.sin(gt.gather(x, idx, { axis: 1, batchDims: 1 })), [
      [[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]],
    ]);
  });
  await t.step("errors", () => {
    throwsWith(
      () => gt.gather([[1, 2], [3, 4]], [0, 2], { axis: 1 }),
      RangeError,
      /^gather: index 2 is out of range for axis 1 of shape \[2,2\]: indices must be in \[0, 1\]/,
    );
    throwsWith(
      () => gt.gather([[1, 2], [3, 4]], [[0]], { axis: 1, batchDims: 1 }),
      Error,
      /gather: with batchDims 1, x of shape \[2,2\] and indices of shape \[1,1\]/,
    );
    throwsWith(() => gt.gather([1, 2], [0], { axs: 0 } as gt.GatherOptions), TypeError, /axs/);
  });
});

// Naive gatherNd: the slice of params at each tuple.
function naiveGatherNd(pv: number[], pShape: number[], iv: number[], iShape: number[]): number[] {
  const k = iShape[iShape.length - 1], inner = size(pShape.slice(k)), st = strides(pShape);
  const out: number[] = [];
  for (let t = 0; t < iv.length / k; t++) {
    let at = 0;
    for (let c = 0; c < k; c++) at += iv[t * k + c] * st[c];
    for (let e = 0; e < inner; e++) out.push(pv[at + e]);
  }
  return out;
}

Deno.test("gatherNd equals a naive loop", async (t) => {
  const pShape = [3, 4, 2], pv = values(24, 7);
  for (const k of [1, 2, 3]) {
    await t.step(`tuples of ${k}`, () => {
      const r = lcg(10 + k), iv: number[] = [];
      for (let n = 0; n < 5; n++) for (let c = 0; c < k; c++) iv.push(Math.floor(r() * pShape[c]));
      const y = gt.gatherNd(f64(pv, pShape), i32(iv, [5, k]));
      assert.deepEqual(y.shape, [5, ...pShape.slice(k)]);
      assert.deepEqual(flat(y), naiveGatherNd(pv, pShape, iv, [5, k]));
    });
  }
  await t.step("batchDims 1 against the loop", () => {
    const iv = ints(15, 4, 12);
    const y = gt.gatherNd(f64(pv, pShape), i32(iv, [3, 5, 1]), { batchDims: 1 });
    const expected: number[] = [];
    for (let b = 0; b < 3; b++) {
      for (let i = 0; i < 5; i++) {
        for (let e = 0; e < 2; e++) expected.push(pv[b * 8 + iv[b * 5 + i] * 2 + e]);
      }
    }
    assert.deepEqual(flat(y), expected);
  });
  await t.step("derivatives to order 2", () => {
    const idx = i32([1, 2, 0, 0, 1, 2], [3, 2]);
    checkGrads((p) => gt.exp(gt.gatherNd(p, idx)), [[[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]]]);
  });
  await t.step("an index out of range names the op, the index and the bound", () => {
    throwsWith(
      () => gt.gatherNd([[1, 2], [3, 4]], [[0, 1], [1, 2]]),
      RangeError,
      /^gatherNd: index 2 is out of range for axis 1 of shape \[2,2\]: indices must be in \[0, 1\]/,
    );
    throwsWith(
      () => gt.gatherNd([[1, 2], [3, 4]], [[0, 1, 0]]),
      RangeError,
      /gatherNd: indices of shape \[1,3\] must end in an axis of at most 2 components/,
    );
    throwsWith(
      () => gt.gatherNd([[1, 2], [3, 4]], [[0.5, 1]]),
      TypeError,
      /gatherNd: indices must be integers, got 0.5/,
    );
  });
});

// Naive scatter: each update combined into its tuple's slice of `start`.
function naiveScatter(
  start: number[],
  shape: number[],
  iv: number[],
  k: number,
  uv: number[],
  combine: (a: number, b: number) => number,
): number[] {
  const out = [...start], inner = size(shape.slice(k)), st = strides(shape);
  for (let t = 0; t < iv.length / k; t++) {
    let at = 0;
    for (let c = 0; c < k; c++) at += iv[t * k + c] * st[c];
    for (let e = 0; e < inner; e++) out[at + e] = combine(out[at + e], uv[t * inner + e]);
  }
  return out;
}

Deno.test("scatterNd and the tensorScatter ops equal a naive loop (repeated tuples included)", async (t) => {
  const shape = [4, 3, 2], tv = values(24, 20);
  for (const k of [1, 2]) {
    const iv: number[] = [];
    const r = lcg(30 + k);
    for (let n = 0; n < 6; n++) for (let c = 0; c < k; c++) iv.push(Math.floor(r() * shape[c]));
    iv.splice(k, k, ...iv.slice(0, k)); // the second tuple repeats the first
    const uShape = [6, ...shape.slice(k)], uv = values(size(uShape), 40 + k);
    const idx = i32(iv, [6, k]), u = f64(uv, uShape), tensor = f64(tv, shape);
    await t.step(`scatterNd, tuples of ${k}`, () => {
      const zeros = new Array(24).fill(0);
      assert.deepEqual(
        flat(gt.scatterNd(idx, u, shape)),
        naiveScatter(zeros, shape, iv, k, uv, (a, b) => a + b),
      );
    });
    await t.step(`tensorScatterAdd, Max, Min, tuples of ${k}`, () => {
      // The updates at one position are summed before they meet the tensor's value.
      assertAllClose(
        gt.tensorScatterAdd(tensor, idx, u),
        f64(naiveScatter(tv, shape, iv, k, uv, (a, b) => a + b), shape),
      );
      assert.deepEqual(
        flat(gt.tensorScatterMax(tensor, idx, u)),
        naiveScatter(tv, shape, iv, k, uv, Math.max),
      );
      assert.deepEqual(
        flat(gt.tensorScatterMin(tensor, idx, u)),
        naiveScatter(tv, shape, iv, k, uv, Math.min),
      );
    });
    await t.step(`tensorScatterUpdate, tuples of ${k}: the last update wins`, () => {
      assert.deepEqual(
        flat(gt.tensorScatterUpdate(tensor, idx, u)),
        naiveScatter(tv, shape, iv, k, uv, (_, b) => b),
      );
    });
  }
  await t.step("int32 tensors", () => {
    const y = gt.tensorScatterMax(i32([1, 5, 3], [3]), [[0], [1], [0]], i32([4, 2, 7], [3]));
    assert.equal(y.dtype, "int32");
    assert.deepEqual(flat(y), [7, 5, 3]);
  });
  await t.step("errors", () => {
    throwsWith(
      () => gt.scatterNd([[4]], [1], [4]),
      RangeError,
      /^scatterNd: index 4 is out of range for axis 0 of shape \[4\]: indices must be in \[0, 3\]/,
    );
    throwsWith(
      () => gt.scatterNd([[1]], [1, 2], [4]),
      Error,
      /scatterNd: updates of shape \[2\] do not fit indices of shape \[1,1\] into shape \[4\]: they must have shape \[1\]/,
    );
    throwsWith(
      () => gt.tensorScatterUpdate([[1, 2]], [[0, -1]], [5]),
      RangeError,
      /tensorScatterUpdate: index -1 is out of range for axis 1 of shape \[1,2\]/,
    );
    throwsWith(
      () => gt.tensorScatterAdd(f64([1, 2], [2]), [[0]], gt.constant([1])),
      TypeError,
      /tensorScatterAdd: dtypes differ: float64 and float32/,
    );
    throwsWith(
      () => gt.tensorScatterMax([true], [[0]], [false]),
      TypeError,
      /^tensorScatterMax: no arithmetic on bool tensors/,
    );
    assert.deepEqual(gt.tensorScatterUpdate([true, true], [[1]], [false]).toArray(), [true, false]);
  });
});

Deno.test("scatter composites: derivatives to order 2, forward and reverse", async (t) => {
  const idx = i32([2, 0, 1, 2], [4, 1]);
  const tensor = [[0.5, -0.2], [1.1, 0.3], [-0.6, 0.9]];
  const updates = [[0.7, 0.1], [-1.4, 0.6], [0.2, -0.8], [1.3, -0.3]];
  await t.step(
    "scatterNd",
    () => checkGrads((u) => gt.sin(gt.scatterNd(idx, u, [3, 2])), [updates]),
  );
  await t.step(
    "tensorScatterAdd",
    () => checkGrads((a, u) => gt.sin(gt.tensorScatterAdd(a, idx, u)), [tensor, updates]),
  );
  await t.step(
    "tensorScatterUpdate",
    () => checkGrads((a, u) => gt.sin(gt.tensorScatterUpdate(a, idx, u)), [tensor, updates]),
  );
  await t.step(
    "tensorScatterMax",
    () => checkGrads((a, u) => gt.sin(gt.tensorScatterMax(a, idx, u)), [tensor, updates]),
  );
  await t.step("tensorScatterUpdate gives the losing update no gradient", () => {
    const g = gt.grad((u: Tensor) =>
      gt.reduceSum(gt.tensorScatterUpdate(gt.zeros([3, 2], "float64"), idx, u))
    )(f64(updates.flat(), [4, 2]));
    assert.deepEqual(flat(g), [0, 0, 1, 1, 1, 1, 1, 1]);
  });
});

Deno.test("oneHot equals a naive loop", async (t) => {
  await t.step("axis -1, out-of-range and negative indices give offValue rows", () => {
    const y = gt.oneHot([2, -1, 0, 3], 3, { onValue: 5, offValue: -1 });
    assert.deepEqual(y.toArray(), [[-1, -1, 5], [-1, -1, -1], [5, -1, -1], [-1, -1, -1]]);
  });
  await t.step("axis 0 and 1 of a matrix of indices, int32", () => {
    const iv = ints(6, 4, 50);
    for (const axis of [0, 1, 2]) {
      const y = gt.oneHot(i32(iv, [2, 3]), 4, { axis, dtype: "int32" });
      assert.equal(y.dtype, "int32");
      const shape = [2, 3];
      shape.splice(axis, 0, 4);
      assert.deepEqual(y.shape, shape);
      const got = flat(y), st = strides(shape);
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) {
          for (let d = 0; d < 4; d++) {
            const pos = [i, j];
            pos.splice(axis, 0, d);
            const at = pos.reduce((a, p, q) => a + p * st[q], 0);
            assert.equal(got[at], iv[i * 3 + j] === d ? 1 : 0);
          }
        }
      }
    }
  });
  await t.step("errors", () => {
    throwsWith(
      () => gt.oneHot([1], -1),
      RangeError,
      /oneHot: depth must be a non-negative integer, not -1/,
    );
    throwsWith(() => gt.oneHot([1.5], 2), TypeError, /oneHot: indices must be integers, got 1.5/);
  });
});

// Naive segment reduction: rows of `inner` elements combined by segment.
function naiveSegments(
  dv: number[],
  ids: number[],
  n: number,
  inner: number,
  init: number,
  combine: (a: number, b: number) => number,
): number[] {
  const out = new Array(n * inner).fill(init);
  ids.forEach((s, r) => {
    if (s < 0) return;
    for (let e = 0; e < inner; e++) {
      out[s * inner + e] = combine(out[s * inner + e], dv[r * inner + e]);
    }
  });
  return out;
}

Deno.test("unsortedSegment ops equal a naive loop (negative ids dropped, empty segments)", async (t) => {
  const dv = values(16, 60), ids = [0, 3, -1, 0, 1, 3, 0, -2];
  const data = f64(dv, [8, 2]);
  await t.step("sum", () => {
    assert.deepEqual(
      flat(gt.unsortedSegmentSum(data, ids, 5)),
      naiveSegments(dv, ids, 5, 2, 0, (a, b) => a + b),
    );
  });
  await t.step("mean: 0 for an empty segment", () => {
    const sums = naiveSegments(dv, ids, 5, 2, 0, (a, b) => a + b);
    const counts = [3, 1, 0, 2, 0];
    assertAllClose(
      gt.unsortedSegmentMean(data, ids, 5),
      f64(sums.map((s, i) => s / Math.max(1, counts[i >> 1])), [5, 2]),
    );
  });
  await t.step("max and min: the dtype's lowest and highest for an empty segment", () => {
    assert.deepEqual(
      flat(gt.unsortedSegmentMax(data, ids, 5)),
      naiveSegments(dv, ids, 5, 2, -Number.MAX_VALUE, Math.max),
    );
    assert.deepEqual(
      flat(gt.unsortedSegmentMin(data, ids, 5)),
      naiveSegments(dv, ids, 5, 2, Number.MAX_VALUE, Math.min),
    );
    const m32 = gt.unsortedSegmentMax(gt.constant([1, 2]), [1, 1], 2);
    assert.deepEqual(flat(m32), [-3.4028234663852886e38, 2]);
    const mi = gt.unsortedSegmentMin(i32([1, 2], [2]), [1, 1], 2);
    assert.deepEqual(flat(mi), [2 ** 31 - 1, 1]);
  });
  await t.step("prod: 1 for an empty segment", () => {
    assertAllClose(
      gt.unsortedSegmentProd(data, ids, 5),
      f64(naiveSegments(dv, ids, 5, 2, 1, (a, b) => a * b), [5, 2]),
    );
  });
  await t.step("ids of rank 2", () => {
    const id2 = [[1, 0], [1, -1]];
    const y = gt.unsortedSegmentSum([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], id2, 2);
    assert.deepEqual(y.toArray(), [[3, 4], [6, 8]]);
  });
  await t.step("derivatives to order 2", () => {
    const seg = [1, 0, 1, 1, -1];
    const d = [[0.3, -1.2], [1.5, 0.4], [-0.7, 2.1], [0.9, -0.1], [0.5, 0.6]];
    checkGrads((x) => gt.unsortedSegmentMean(x, seg, 3), [d]);
    checkGrads((x) => gt.unsortedSegmentMin(x, seg, 2), [d]);
    // Two zeros in a segment: first derivatives stay exact.
    checkGrads((x) => gt.unsortedSegmentProd(x, seg, 2), [[[0, -1.2], [1.5, 0.4], [0, 2.1], [
      0.9,
      -0.1,
    ], [0.5, 0.6]]], { order: 1 });
  });
  await t.step("errors", () => {
    throwsWith(
      () => gt.unsortedSegmentSum([1, 2], [0, 2], 2),
      RangeError,
      /^unsortedSegmentSum: index 2 is out of range for numSegments 2 \(negative ids drop their row\): indices must be in \[0, 1\]/,
    );
    throwsWith(
      () => gt.unsortedSegmentMax([[1, 2]], [0, 0], 2),
      Error,
      /unsortedSegmentMax: segment ids of shape \[2\] must have the shape of the first axes of data, \[1,2\]/,
    );
    throwsWith(
      () => gt.unsortedSegmentMean(i32([1], [1]), [0], 1),
      TypeError,
      /unsortedSegmentMean: expects a float32 or float64 tensor/,
    );
  });
});

Deno.test("booleanMask equals a naive loop; its shape cannot be traced", async (t) => {
  await t.step("a mask of rank 1 and of rank 2", () => {
    const xv = values(12, 70);
    const x = f64(xv, [3, 4]);
    const m1 = [true, false, true];
    assert.deepEqual(flat(gt.booleanMask(x, m1)), [...xv.slice(0, 4), ...xv.slice(8)]);
    const m2 = [[true, false, false, true], [false, false, false, false], [
      true,
      true,
      false,
      false,
    ]];
    assert.deepEqual(flat(gt.booleanMask(x, m2)), xv.filter((_, i) => m2.flat()[i]));
  });
  await t.step("derivatives to order 2", () => {
    checkGrads((x) => gt.sin(gt.booleanMask(x, [[true, false, true], [false, true, true]])), [[[
      0.3,
      -1.2,
      0.8,
    ], [1.5, -0.4, 2.1]]]);
  });
  await t.step("inside jit the mask's values are unknown: an error that says so", () => {
    const f = gt.jit((x: Tensor, m: Tensor) => gt.booleanMask(x, m));
    throwsWith(
      () => f(gt.constant([1, 2]), gt.constant([true, false])),
      Error,
      /booleanMask: the mask is a tensor traced by jit, and the result's shape depends on its values/,
    );
  });
  await t.step("a mask mapped by vmap: the same error; a fixed mask maps", () => {
    const x = gt.constant([[1, 2], [3, 4]]);
    throwsWith(
      () =>
        gt.vmap((a: Tensor, m: Tensor) => gt.booleanMask(a, m))(
          x,
          gt.constant([[true, false], [false, true]]),
        ),
      Error,
      /booleanMask: the mask is a tensor batched by vmap/,
    );
    const y = gt.vmap((a: Tensor) => gt.booleanMask(a, [false, true]))(x);
    assert.deepEqual(y.toArray(), [[2], [4]]);
  });
  await t.step("errors", () => {
    throwsWith(
      () => gt.booleanMask([1, 2], [1, 0]),
      TypeError,
      /booleanMask: the mask must be bool, got float32/,
    );
    throwsWith(
      () => gt.booleanMask([1, 2], [true]),
      Error,
      /booleanMask: a mask of shape \[1\] must have the shape of the first axes of x, \[2\]/,
    );
  });
});

Deno.test("jit: the composites equal eager mode; traced indices out of range are dropped", async (t) => {
  const x = f64(values(12, 80), [4, 3]);
  const idx = i32([3, 0, 3, 1], [4, 1]);
  const cases: [string, (x: Tensor, i: Tensor) => Tensor][] = [
    ["gatherNd", (x, i) => gt.gatherNd(x, i)],
    [
      "tensorScatterUpdate",
      (x, i) => gt.tensorScatterUpdate(x, i, gt.multiply(gt.gatherNd(x, i), 2)),
    ],
    ["tensorScatterMax", (x, i) => gt.tensorScatterMax(x, i, gt.gatherNd(gt.square(x), i))],
    ["unsortedSegmentProd", (x, i) => gt.unsortedSegmentProd(x, gt.reshape(i, [4]), 5)],
    [
      "grad of unsortedSegmentMax",
      (x, i) =>
        gt.grad((y: Tensor) => gt.reduceSum(gt.unsortedSegmentMax(y, gt.reshape(i, [4]), 4)))(x),
    ],
  ];
  for (const [name, f] of cases) {
    await t.step(name, () => assertAllClose(gt.jit(f)(x, idx), f(x, idx), { rtol: 0, atol: 0 }));
  }
  await t.step("a traced index past the end: gather reads zeros, scatter drops it", () => {
    const bad = i32([1, 7], [2]);
    assert.deepEqual(
      gt.jit((a: Tensor, i: Tensor) => gt.gather(a, i))(f64([5, 6], [2]), bad).toArray(),
      [6, 0],
    );
    const seg = gt.jit((a: Tensor, i: Tensor) => gt.unsortedSegmentSum(a, i, 2));
    assert.deepEqual(seg(f64([5, 6], [2]), bad).toArray(), [0, 5]);
    const nd = gt.jit((a: Tensor, i: Tensor) => gt.gatherNd(a, i));
    // The tuple [0, 3] would land on [1, 0] if its components were not checked one by one.
    assert.deepEqual(nd(f64([1, 2, 3, 4, 5, 6], [2, 3]), i32([0, 3, 1, 1], [2, 2])).toArray(), [
      0,
      5,
    ]);
  });
});

Deno.test("jacfwd (tangents with leading axes) equals jacrev for the scatter composites", async (t) => {
  const idx = i32([2, 0, 2, 1], [4, 1]);
  const base = f64([0.5, -0.2, 1.1, 0.3, -0.6, 0.9], [3, 2]);
  const cases: [string, (u: Tensor) => Tensor][] = [
    ["tensorScatterMax", (u) => gt.tensorScatterMax(base, idx, u)],
    ["tensorScatterMin", (u) => gt.tensorScatterMin(base, idx, u)],
    ["tensorScatterUpdate", (u) => gt.tensorScatterUpdate(base, idx, u)],
    ["unsortedSegmentProd", (u) => gt.unsortedSegmentProd(u, [1, 0, 1, -1], 2)],
    [
      "gather with batchDims",
      (u) => gt.gather(u, i32([1, 0, 0, 1, 1, 1, 0, 0], [4, 2]), { axis: 1, batchDims: 1 }),
    ],
  ];
  const u = f64([0.7, 0.1, -1.4, 0.6, 0.2, -0.8, 1.3, -0.3], [4, 2]);
  for (const [name, f] of cases) {
    await t.step(name, () => {
      const g = (x: Tensor) => gt.sin(f(x));
      assertAllClose(gt.jacfwd(g)(u), gt.jacrev(g)(u), { rtol: 1e-12, atol: 1e-12 });
      const h = (x: Tensor) => gt.reduceSum(g(x));
      assertAllClose(gt.hessian(h)(u), gt.jacrev(gt.jacrev(h))(u), { rtol: 1e-10, atol: 1e-10 });
    });
  }
});

Deno.test("vmap of the composites equals the stacked per-example results, indices mapped too", async (t) => {
  const B = 3;
  const data = Array.from({ length: B }, (_, b) => f64(values(8, 90 + b), [4, 2]));
  const ids = Array.from({ length: B }, (_, b) => i32(ints(4, 3, 95 + b, -1), [4]));
  const tuples = Array.from({ length: B }, (_, b) => i32(ints(4, 4, 99 + b), [4, 1]));
  const cases: [string, (x: Tensor, i: Tensor) => Tensor, Tensor[]][] = [
    ["unsortedSegmentMax", (x, i) => gt.unsortedSegmentMax(x, i, 3), ids],
    ["unsortedSegmentMean", (x, i) => gt.unsortedSegmentMean(x, i, 3), ids],
    ["tensorScatterMin", (x, i) => gt.tensorScatterMin(x, i, gt.multiply(x, -1)), tuples],
    ["tensorScatterUpdate", (x, i) => gt.tensorScatterUpdate(x, i, gt.exp(x)), tuples],
    ["oneHot", (x, i) => gt.multiply(gt.oneHot(i, 5, { dtype: "float64" }), gt.reduceSum(x)), ids],
  ];
  for (const [name, f, idx] of cases) {
    await t.step(name, () => {
      const each = data.map((x, b) => f(x, idx[b]));
      const y = gt.vmap(f)(gt.stack(data), gt.stack(idx));
      assertAllClose(y, gt.stack(each), { rtol: 0, atol: 0 });
    });
  }
});

Deno.test("float32 scatter and segment sums accumulate past 2^24, as reductions do", () => {
  // 2²⁴ + 4 ones into one place: a float32 running sum would stop at 2²⁴.
  const n = 2 ** 24 + 4;
  const ones = gt.ones([n]), ids = gt.zeros([n], "int32");
  assert.equal(gt.unsortedSegmentSum(ones, ids, 1).item(), n);
  assert.equal(gt.scatterNd(gt.reshape(ids, [n, 1]), ones, [1]).item(), n);
  assert.equal(gt.tensorScatterAdd(gt.zeros([1]), gt.reshape(ids, [n, 1]), ones).item(), n);
  // The gradient of a gather that reads one element n times.
  assert.equal(gt.grad((x: Tensor) => gt.reduceSum(gt.gather(x, ids)))(gt.zeros([1])).item(), n);
  // A mean of n tenths is a tenth (in float32), not the 0.125 a float32 running sum gave.
  assert.equal(gt.unsortedSegmentMean(gt.fill([n], 0.1), ids, 1).item(), Math.fround(0.1));
});
