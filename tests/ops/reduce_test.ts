/**
 * Concrete values of the reductions (reduceSum, reduceMean, reduceMax, reduceMin,
 * reduceLogSumExp, reduceVariance, reduceStd, reduceEuclideanNorm) over every kind of axis
 * argument, with and without keepDims, against a naive reference; their special values, dtypes
 * and errors; and the method forms. Then reduceAny/reduceAll, norm and moments, and the
 * composites' derivatives to order 2.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor, TensorLike } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

type Axis = number | number[] | undefined;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * The reduction written out: every input element is sent to the output element whose index is
 * its own with the reduced axes zeroed; then `f` reduces each group.
 */
function refReduce(
  data: ArrayLike<number>,
  shape: number[],
  axis: Axis,
  keepDims: boolean,
  f: (group: number[]) => number,
): { data: number[]; shape: number[] } {
  const rank = shape.length;
  const list = axis === undefined
    ? shape.map((_, i) => i)
    : typeof axis === "number"
    ? [axis]
    : axis;
  const axes = list.map((a) => (a < 0 ? a + rank : a));
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: kept.reduce((a, b) => a * b, 1) }, () => []);
  for (let flat = 0; flat < data.length; flat++) {
    let rem = flat;
    const idx = new Array(rank);
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = rem % shape[i];
      rem = Math.floor(rem / shape[i]);
    }
    let out = 0;
    for (let i = 0; i < rank; i++) out = out * kept[i] + (axes.includes(i) ? 0 : idx[i]);
    groups[out].push(data[flat]);
  }
  return {
    data: groups.map(f),
    shape: keepDims ? kept : shape.filter((_, i) => !axes.includes(i)),
  };
}

const sum = (g: number[]) => g.reduce((a, b) => a + b, 0);
const reducers: {
  name: string;
  fn: (x: TensorLike, axis?: number | number[], keepDims?: boolean) => Tensor;
  ref: (g: number[]) => number;
}[] = [
  { name: "reduceSum", fn: gt.reduceSum, ref: sum },
  { name: "reduceMean", fn: gt.reduceMean, ref: (g) => sum(g) / g.length },
  { name: "reduceMax", fn: gt.reduceMax, ref: (g) => Math.max(...g) },
  { name: "reduceMin", fn: gt.reduceMin, ref: (g) => Math.min(...g) },
  {
    name: "reduceLogSumExp",
    fn: gt.reduceLogSumExp,
    ref: (g) => Math.log(sum(g.map(Math.exp))),
  },
];

// Reductions of spread, which over no axis give each element's own spread (0, or |x|).
const spreads: typeof reducers = [
  { name: "reduceVariance", fn: gt.reduceVariance, ref: variance },
  { name: "reduceStd", fn: gt.reduceStd, ref: (g) => Math.sqrt(variance(g)) },
  {
    name: "reduceEuclideanNorm",
    fn: gt.reduceEuclideanNorm,
    ref: (g) => Math.sqrt(sum(g.map((v) => v * v))),
  },
];

// The mean squared deviation, about the mean found first.
function variance(g: number[]): number {
  const m = sum(g) / g.length;
  return sum(g.map((v) => (v - m) ** 2)) / g.length;
}

const axes: Axis[] = [undefined, 0, 1, 2, -1, -3, [0, 2], [-1, 0], [1, 2], [0, 1, 2]];

Deno.test("reductions match a naive reference for every axis argument", async (t) => {
  const shape = [2, 3, 4];
  const next = lcg(5);
  for (const dtype of ["float32", "float64"] as const) {
    const x = gt.constant(
      Array.from({ length: 24 }, () => 6 * next() - 3),
      { dtype, shape },
    );
    const data = x.data();
    for (const r of [...reducers, ...spreads]) {
      for (const axis of axes) {
        for (const keepDims of [false, true]) {
          await t.step(
            `${r.name} axis=${JSON.stringify(axis)} keepDims=${keepDims} ${dtype}`,
            () => {
              const y = r.fn(x, axis, keepDims);
              const e = refReduce(data, shape, axis, keepDims, r.ref);
              assert.equal(y.dtype, dtype);
              assert.deepEqual(y.shape, e.shape);
              const tol = dtype === "float32"
                ? { rtol: 1e-6, atol: 1e-6 }
                : { rtol: 1e-13, atol: 1e-13 };
              assertAllClose(y, gt.constant(e.data, { dtype: "float64", shape: e.shape }), tol);
            },
          );
        }
      }
    }
  }
});

Deno.test("reductions by hand on a small matrix", () => {
  const m = [[1, 5, 3], [-2, 0, 4]];
  assert.equal(gt.reduceSum(m).item(), 11);
  assert.deepEqual(gt.reduceSum(m, 0).toArray(), [-1, 5, 7]);
  assert.deepEqual(gt.reduceSum(m, 1, true).toArray(), [[9], [2]]);
  assert.deepEqual(gt.reduceMean(m, -1).toArray(), [3, 2 / 3].map(Math.fround));
  assert.deepEqual(gt.reduceMax(m, 0).toArray(), [1, 5, 4]);
  assert.deepEqual(gt.reduceMin(m, 1).toArray(), [1, -2]);
  assert.deepEqual(gt.reduceMax(m, undefined, true).toArray(), [[5]]);
});

Deno.test("an empty axis list leaves the tensor as it is", () => {
  const x = gt.constant([[1, 2], [3, 4]]);
  for (const r of reducers) {
    const y = r.fn(x, []);
    assert.deepEqual(y.shape, [2, 2], r.name);
    assertAllClose(y, x, { msg: r.name });
  }
});

Deno.test("a scalar reduces to itself", () => {
  for (const r of reducers) {
    const y = r.fn(2.5);
    assert.deepEqual(y.shape, [], r.name);
    assert.equal(y.item(), 2.5, r.name);
    assert.deepEqual(r.fn(2.5, undefined, true).shape, [], r.name);
  }
});

Deno.test("reduceLogSumExp is stable for large inputs", async (t) => {
  await t.step("[1000, 1000] is 1000 + log 2", () => {
    assertAllClose(gt.reduceLogSumExp([1000, 1000]), 1000 + Math.LN2, { rtol: 1e-7 });
  });
  await t.step("[-1000, -1000] is -1000 + log 2", () => {
    assertAllClose(gt.reduceLogSumExp([-1000, -1000]), -1000 + Math.LN2, { rtol: 1e-7 });
  });
  await t.step("rows of very different scale", () => {
    const x = gt.constant([[500, 499], [-500, -501]], { dtype: "float64" });
    const e = [500 + Math.log1p(Math.exp(-1)), -500 + Math.log1p(Math.exp(-1))];
    assertAllClose(gt.reduceLogSumExp(x, 1), e, { rtol: 1e-14 });
  });
  await t.step("a -Infinity element contributes nothing", () => {
    assertAllClose(gt.reduceLogSumExp([-Infinity, 0]), 0);
  });
});

Deno.test("reduceLogSumExp of infinities is infinite, as TensorFlow's", () => {
  // The shift by the maximum must not compute ∞ - ∞ (TensorFlow shifts by 0 there).
  assert.equal(gt.reduceLogSumExp([-Infinity, -Infinity]).item(), -Infinity);
  assert.equal(gt.reduceLogSumExp([Infinity, 1]).item(), Infinity);
  const rows = gt.reduceLogSumExp([[-Infinity, -Infinity], [0, 0]], 1).data();
  assert.equal(rows[0], -Infinity);
  assert.equal(rows[1], Math.fround(Math.LN2));
});

Deno.test("reduceMax and reduceMin propagate NaN and handle infinities", () => {
  assert.ok(Number.isNaN(gt.reduceMax([1, NaN, 2]).item()));
  assert.ok(Number.isNaN(gt.reduceMin([1, NaN, 2]).item()));
  assert.ok(Number.isNaN(gt.reduceMax([NaN, 1]).item()));
  assert.ok(Number.isNaN(gt.reduceMin([3, 1, NaN]).item()));
  assert.deepEqual(gt.reduceMax([[1, NaN], [3, 2]], 1).toArray(), [NaN, 3]);
  assert.equal(gt.reduceMax([-Infinity, -Infinity]).item(), -Infinity);
  assert.equal(gt.reduceMin([Infinity, 5]).item(), 5);
  assert.ok(Number.isNaN(gt.reduceSum([Infinity, -Infinity]).item()));
});

Deno.test("reduceSum of an empty tensor is 0", () => {
  assert.equal(gt.reduceSum(gt.zeros([0])).item(), 0);
  assert.deepEqual(gt.reduceSum(gt.zeros([0, 3]), 0).toArray(), [0, 0, 0]);
  assert.deepEqual(gt.reduceSum(gt.zeros([3, 0]), 1).toArray(), [0, 0, 0]);
});

Deno.test("reductions on int32", async (t) => {
  const x = gt.constant([[1, -7, 3], [4, 5, -6]], { dtype: "int32" });
  await t.step("reduceSum, reduceMax and reduceMin stay int32", () => {
    const s = gt.reduceSum(x, 0);
    assert.equal(s.dtype, "int32");
    assert.deepEqual(s.toArray(), [5, -2, -3]);
    assert.deepEqual(gt.reduceMax(x, 1).toArray(), [3, 5]);
    assert.deepEqual(gt.reduceMin(x).toArray(), -7);
    assert.equal(gt.reduceMax(x).dtype, "int32");
  });
  await t.step("reduceMean is an integer mean, truncated toward zero, as TensorFlow's", () => {
    const m = gt.reduceMean(gt.constant([[1, 2], [-1, -2]], { dtype: "int32" }), 1);
    assert.equal(m.dtype, "int32");
    assert.deepEqual(m.toArray(), [1, -1]);
  });
  await t.step("a sum past 2^24 is exact (no float32 accumulation)", () => {
    const big = gt.constant([16777216, 1, 1], { dtype: "int32" });
    assert.equal(gt.reduceSum(big).item(), 16777218);
  });
});

Deno.test("float32 sums are accumulated accurately", () => {
  // 10000 × 0.1 in float32 steps drifts to about 999.9; an accurate sum rounds to 1000.
  const x = gt.fill([10000], 0.1);
  assertAllClose(gt.reduceSum(x), 10000 * Math.fround(0.1), { rtol: 1e-7 });
  assertAllClose(gt.reduceMean(x), Math.fround(0.1), { rtol: 1e-7 });
});

Deno.test("reduction errors", async (t) => {
  const x = gt.zeros([2, 3]);
  for (const r of reducers) {
    await t.step(`${r.name}: an axis out of range names the axis and the rank`, () => {
      assert.throws(
        () => r.fn(x, 2),
        (e: Error) =>
          e.message.startsWith(`${r.name}:`) && e.message.includes("axis 2") &&
          e.message.includes("rank 2"),
      );
      assert.throws(
        () => r.fn(x, [0, -3]),
        (e: Error) => e.message.includes("axis -3") && e.message.includes("rank 2"),
      );
    });
    await t.step(`${r.name}: a repeated axis`, () => {
      assert.throws(() => r.fn(x, [1, -1]), /repeated/);
    });
  }
  await t.step("bool tensors cannot be summed", () => {
    assert.throws(() => gt.reduceSum([true, false]), /reduceSum.*bool/);
    assert.throws(() => gt.reduceMax([true, false]), /reduceMax.*bool/);
  });
});

Deno.test("reduction method forms agree with the functions", async (t) => {
  const x = gt.constant([[[1, 8], [3, -4]], [[5, 0], [-7, 2]]]);
  const pairs: [string, Tensor, Tensor][] = [
    ["sum()", x.sum(), gt.reduceSum(x)],
    ["sum(1, true)", x.sum(1, true), gt.reduceSum(x, 1, true)],
    ["mean(-1)", x.mean(-1), gt.reduceMean(x, -1)],
    ["mean([0, 2], true)", x.mean([0, 2], true), gt.reduceMean(x, [0, 2], true)],
    ["max(0)", x.max(0), gt.reduceMax(x, 0)],
    ["max([1, 2])", x.max([1, 2]), gt.reduceMax(x, [1, 2])],
    ["min(-2, true)", x.min(-2, true), gt.reduceMin(x, -2, true)],
    ["min()", x.min(), gt.reduceMin(x)],
  ];
  for (const [name, method, fn] of pairs) {
    await t.step(name, () => {
      assert.deepEqual(method.shape, fn.shape);
      assert.deepEqual(method.toArray(), fn.toArray());
    });
  }
  await t.step("values", () => {
    assert.equal(x.sum().item(), 8);
    assert.deepEqual(x.max(0).toArray(), [[5, 8], [3, 2]]);
    assert.deepEqual(x.min(-2, true).toArray(), [[[1, -4]], [[-7, 0]]]);
  });
});

Deno.test("reduceMax and reduceMin of an empty int32 tensor give int32's limits, as TensorFlow's", async (t) => {
  const empties: [string, Tensor][] = [
    ["constant([])", gt.constant([], { dtype: "int32" })],
    ["zeros([0])", gt.zeros([0], "int32")],
  ];
  for (const [name, x] of empties) {
    await t.step(name, () => {
      const max = gt.reduceMax(x), min = gt.reduceMin(x);
      assert.equal(max.dtype, "int32");
      assert.equal(max.item(), -2147483648);
      assert.equal(min.item(), 2147483647);
    });
  }
  await t.step("over an empty axis, one limit per row", () => {
    const x = gt.zeros([2, 0], "int32");
    assert.deepEqual(gt.reduceMax(x, 1).toArray(), [-2147483648, -2147483648]);
    assert.deepEqual(gt.reduceMin(x, 1, true).toArray(), [[2147483647], [2147483647]]);
  });
  await t.step("floats give -Infinity and Infinity", () => {
    for (const dtype of ["float32", "float64"] as const) {
      assert.equal(gt.reduceMax(gt.zeros([0], dtype)).item(), -Infinity);
      assert.deepEqual(gt.reduceMin(gt.zeros([3, 0], dtype), 1).toArray(), [
        Infinity,
        Infinity,
        Infinity,
      ]);
    }
  });
});

Deno.test("long float32 reductions are accurate: 2·10⁷ ones sum to 2·10⁷ along every kernel path", async (t) => {
  // Dense ones (gt.ones is a lazy fill, reduced without a loop). A float32 running total would
  // stop at 2²⁴ = 16777216.
  const n = 2e7;
  const v = gt.constant(new Float32Array(n).fill(1));
  await t.step("every axis", () => {
    assert.equal(gt.reduceSum(v).item(), n);
    assert.equal(gt.reduceMean(v).item(), 1);
    assert.equal(gt.reduceProd(v).item(), 1);
  });
  await t.step("down a long axis, each column a slot", () => {
    assert.deepEqual(gt.reduceSum(gt.reshape(v, [n / 2, 2]), 0).toArray(), [n / 2, n / 2]);
  });
  await t.step("over axes that are not adjacent", () => {
    assert.deepEqual(gt.reduceSum(gt.reshape(v, [n / 4, 2, 2]), [0, 2]).toArray(), [n / 2, n / 2]);
  });
  await t.step("random terms match a float64 sum", () => {
    const next = lcg(5);
    const x = Float32Array.from({ length: 1e6 }, next);
    let want = 0;
    for (const e of x) want += e;
    assertAllClose(gt.reduceSum(x), want, { rtol: 1e-7, atol: 0 });
    assertAllClose(gt.reduceMean(x), want / 1e6, { rtol: 1e-7, atol: 0 });
  });
});

Deno.test("reduceAny and reduceAll against a naive reference, and over nothing", () => {
  const next = lcg(11);
  const shape = [2, 3, 4];
  const data = Array.from({ length: 24 }, () => next() < 0.3);
  const x = gt.constant(data, { shape });
  const num = data.map(Number);
  for (const axis of axes) {
    for (const keepDims of [false, true]) {
      const any = refReduce(num, shape, axis, keepDims, (g) => Number(g.some((v) => v === 1)));
      const all = refReduce(num, shape, axis, keepDims, (g) => Number(g.every((v) => v === 1)));
      const yAny = gt.reduceAny(x, axis, keepDims), yAll = gt.reduceAll(x, axis, keepDims);
      assert.equal(yAny.dtype, "bool");
      assert.deepEqual(yAny.shape, any.shape);
      assert.deepEqual([...yAny.data()], any.data, `reduceAny ${JSON.stringify(axis)}`);
      assert.deepEqual([...yAll.data()], all.data, `reduceAll ${JSON.stringify(axis)}`);
    }
  }
  const empty = gt.reshape(gt.constant([], { dtype: "bool" }), [2, 0]);
  assert.deepEqual(gt.reduceAny(empty, 1).toArray(), [false, false]);
  assert.deepEqual(gt.reduceAll(empty, 1).toArray(), [true, true]);
  assert.throws(() => gt.reduceAny([1, 0]), /reduceAny: expects a bool tensor, got float32/);
  assert.throws(() => gt.reduceAll([1, 0]), /reduceAll: expects a bool tensor, got float32/);
});

Deno.test("reduceVariance has no cancellation far from 0, and reduceEuclideanNorm no overflow", () => {
  // Over no axis each element is its own group.
  assert.deepEqual(gt.reduceVariance([[1, 2]], []).toArray(), [[0, 0]]);
  assert.deepEqual(gt.reduceEuclideanNorm([[1, -2]], []).toArray(), [[1, 2]]);
  // float32 values near 1e4 whose variance is 2/3: Σx²/n - mean² would lose it all.
  const v = gt.reduceVariance([1e4 + 1, 1e4 + 2, 1e4 + 3]).item();
  assert.ok(Math.abs(v - 2 / 3) < 1e-6, `variance ${v}`);
  const big = gt.reduceEuclideanNorm([3e30, 4e30]).item();
  assert.ok(Math.abs(big / 5e30 - 1) < 1e-6, `norm ${big}`);
  const tiny = gt.reduceEuclideanNorm([3e-30, 4e-30]).item();
  assert.ok(Math.abs(tiny / 5e-30 - 1) < 1e-6, `norm ${tiny}`);
  assert.equal(gt.reduceEuclideanNorm([0, 0]).item(), 0);
  assert.equal(gt.reduceEuclideanNorm([1, -Infinity]).item(), Infinity);
  assert.ok(Number.isNaN(gt.reduceEuclideanNorm([1, NaN]).item()));
});

Deno.test("norm: vector and matrix norms against sums written out", () => {
  const m = [[1, -2, 3], [-4, 5, -6]];
  const flat = m.flat();
  const abs = flat.map(Math.abs);
  const f64 = (x: TensorLike) => gt.constant(x as number[], { dtype: "float64" });
  const close = (x: Tensor, e: number | number[]) =>
    assertAllClose(x, gt.constant(e, { dtype: "float64" }), { rtol: 1e-14, atol: 0 });
  close(gt.norm(f64(m)), Math.sqrt(sum(flat.map((v) => v * v))));
  close(gt.norm(f64(m), { ord: 2 }), Math.sqrt(91));
  close(gt.norm(f64(m), { ord: 1 }), sum(abs));
  close(gt.norm(f64(m), { ord: Infinity }), 6);
  close(gt.norm(f64(m), { ord: 3 }), Math.cbrt(sum(abs.map((v) => v ** 3))));
  close(gt.norm(f64(m), { ord: 0.5 }), sum(abs.map(Math.sqrt)) ** 2);
  // Along one axis: a batch of vectors.
  close(gt.norm(f64(m), { axis: 1 }), [Math.sqrt(14), Math.sqrt(77)]);
  close(gt.norm(f64(m), { axis: 0, ord: 1 }), [5, 7, 9]);
  // Over two axes: matrices (column sums 5, 7, 9; row sums 6, 15).
  close(gt.norm(f64(m), { axis: [0, 1], ord: "fro" }), Math.sqrt(91));
  close(gt.norm(f64(m), { axis: [0, 1], ord: 1 }), 9);
  close(gt.norm(f64(m), { axis: [0, 1], ord: Infinity }), 15);
  // Swapped axes transpose the matrix: its 1-norm is the ∞-norm.
  close(gt.norm(f64(m), { axis: [1, 0], ord: 1 }), 15);
  close(gt.norm(f64(m), { axis: [-1, -2], ord: Infinity }), 9);
  const batch = gt.stack([f64(m), gt.multiply(f64(m), 2)]);
  close(gt.norm(batch, { axis: [1, 2], ord: 1 }), [9, 18]);
  assert.deepEqual(gt.norm(batch, { axis: [1, 2], keepDims: true }).shape, [2, 1, 1]);
  assert.deepEqual(gt.norm(batch, { keepDims: true }).shape, [1, 1, 1]);
  assert.deepEqual(gt.norm(batch, { axis: -1, keepDims: true }).shape, [2, 2, 1]);
});

Deno.test("norm of ord 2 over two axes is the largest singular value, batched, with its gradient", () => {
  const f64 = (v: number[][]) => gt.constant(v, { dtype: "float64" });
  // [[1, 2], [3, 4]]: AᵀA has trace 30 and determinant 4, so σ² = 15 ± √221.
  const m = [[1, 2], [3, 4]];
  const want = Math.sqrt(15 + Math.sqrt(221));
  assert.ok(Math.abs(gt.norm(f64(m), { ord: 2, axis: [0, 1] }).item() - want) < 1e-13);
  assert.ok(Math.abs(gt.norm(f64(m), { ord: 2, axis: [1, 0] }).item() - want) < 1e-13);
  // The matrices along axes 0 and 2 of a [2, 3, 2] tensor: slice j is [[1 + j, 2], [3, 4 - j]].
  const t = gt.constant(
    [[[1, 2], [2, 2], [3, 2]], [[3, 4], [3, 3], [3, 2]]],
    { dtype: "float64" },
  );
  const r = gt.norm(t, { ord: 2, axis: [0, 2], keepDims: true });
  assert.deepEqual(r.shape, [1, 3, 1]);
  const spectral = (a: number, b: number, c: number, d: number) => {
    const tr = a * a + b * b + c * c + d * d, det = (a * d - b * c) ** 2;
    return Math.sqrt(tr / 2 + Math.sqrt(tr * tr / 4 - det));
  };
  const expected = [0, 1, 2].map((j) => spectral(1 + j, 2, 3, 4 - j));
  Array.from(r.data()).forEach((v, j) => assert.ok(Math.abs(v - expected[j]) < 1e-12));
  // d σ₁ / dA = u₁v₁ᵀ, checked against finite differences to second order.
  checkGrads((a: gt.Tensor) => gt.norm(a, { ord: 2, axis: [0, 1] }), [f64(m)], { order: 2 });
});

Deno.test("norm errors", () => {
  const m = [[1, 2], [3, 4]];
  assert.throws(
    () => gt.norm(m, { ord: "fro" }),
    /norm: ord "fro" \(a string\) is not a vector norm/,
  );
  assert.throws(() => gt.norm(m, { ord: 0 }), /norm: ord 0 is not a vector norm/);
  assert.throws(() => gt.norm(m, { ord: -1 }), /norm: ord -1 is not a vector norm/);
  assert.throws(() => gt.norm(m, { ord: 3, axis: [0, 1] }), /norm: ord 3 is not a matrix norm/);
  assert.throws(
    () => gt.norm(m, { axis: [0, -2] }),
    /norm: axis 0 is repeated in \[0,-2\]/,
  );
  assert.throws(() => gt.norm(m, { axis: [0, 1, 1] as never }), /norm: axis must be one axis/);
  assert.throws(() => gt.norm(m, { axis: 2 }), /norm: axis 2 is out of range/);
  assert.throws(() => gt.norm(m, { ordd: 1 } as never), /norm: unknown option 'ordd'/);
  assert.throws(() => gt.norm([1, 2], { ord: "max" as never }), /norm: ord "max"/);
  assert.throws(() => gt.norm(gt.constant([1], { dtype: "int32" })), /norm: expects a float32/);
});

Deno.test("moments: mean and variance over axes, kept or not", () => {
  const next = lcg(3);
  const shape = [2, 3, 4];
  const x = gt.constant(Array.from({ length: 24 }, () => 4 * next() - 2), {
    dtype: "float64",
    shape,
  });
  const data = x.data();
  for (const axis of [[0], [1, 2], [-1], [0, 1, 2]]) {
    for (const keepDims of [false, true]) {
      const [mean, v] = gt.moments(x, axis, { keepDims });
      const em = refReduce(data, shape, axis, keepDims, (g) => sum(g) / g.length);
      const ev = refReduce(data, shape, axis, keepDims, variance);
      assert.deepEqual(mean.shape, em.shape);
      assertAllClose(mean, gt.constant(em.data, { dtype: "float64", shape: em.shape }));
      assertAllClose(v, gt.constant(ev.data, { dtype: "float64", shape: ev.shape }));
    }
  }
  assert.throws(() => gt.moments(x, undefined as never), /moments: axes are required/);
  assert.throws(() => gt.moments(x, [3]), /moments: axis 3 is out of range/);
  assert.throws(() => gt.moments(x, [0], { keepdims: true } as never), /did you mean 'keepDims'/);
});

Deno.test("the new reductions' derivatives match finite differences to order 2, both modes", async (t) => {
  const x = [[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]];
  const cases: [string, (x: Tensor) => Tensor][] = [
    ["reduceVariance", (x) => gt.reduceVariance(x, 1)],
    ["reduceStd", (x) => gt.reduceStd(x, 0, true)],
    ["reduceEuclideanNorm", (x) => gt.reduceEuclideanNorm(x, -1)],
    ["reduceEuclideanNorm of all", (x) => gt.reduceEuclideanNorm(x)],
    ["norm ord 1", (x) => gt.norm(x, { ord: 1, axis: 1 })],
    ["norm ord Infinity", (x) => gt.norm(x, { ord: Infinity })],
    ["norm ord 3", (x) => gt.norm(x, { ord: 3, axis: 0 })],
    ["norm matrix 1", (x) => gt.norm(x, { ord: 1, axis: [0, 1] })],
    ["norm matrix Infinity", (x) => gt.norm(x, { ord: Infinity, axis: [0, 1] })],
    ["norm fro", (x) => gt.norm(x, { ord: "fro", axis: [-2, -1] })],
    ["moments mean", (x) => gt.moments(x, [1])[0]],
    ["moments variance", (x) => gt.moments(x, [0, 1], { keepDims: true })[1]],
  ];
  for (const [name, f] of cases) {
    await t.step(name, () => checkGrads(f, [x], { order: 2 }));
  }
});
