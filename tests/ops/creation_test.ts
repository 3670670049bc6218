/**
 * Creation ops: constant (dtype, shape fill/reshape, errors), zeros, ones, fill, zerosLike,
 * onesLike, eye, linspace and range (with TensorFlow's dtype rule).
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { DType } from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";

const DTYPES: DType[] = ["float32", "float64", "int32", "bool"];

function flat(t: gt.Tensor): number[] {
  return Array.from(t.data());
}

Deno.test("constant: dtype", async (t) => {
  await t.step("numbers default to float32, booleans to bool", () => {
    assert.equal(gt.constant([1, 2]).dtype, "float32");
    assert.equal(gt.constant([[true]]).dtype, "bool");
  });
  await t.step("an explicit dtype is used", () => {
    for (const dtype of DTYPES) {
      const x = gt.constant([[0, 1], [2, 3]], { dtype });
      assert.equal(x.dtype, dtype);
      assert.deepEqual(x.shape, [2, 2]);
    }
  });
  await t.step("float64 keeps what float32 would round", () => {
    const v = 1 + 2 ** -40;
    assert.equal(gt.constant(v, { dtype: "float64" }).item(), v);
    assert.equal(gt.constant(v).item(), 1);
  });
  await t.step("a tensor passes through unchanged", () => {
    const x = gt.constant([1, 2], { dtype: "float64" });
    assert.equal(gt.constant(x), x);
    assert.equal(gt.constant(x, { dtype: "float64" }), x);
  });
  await t.step("a tensor of another dtype is an error naming both dtypes", () => {
    assert.throws(
      () => gt.constant(gt.constant([1]), { dtype: "float64" }),
      (e: Error) =>
        /^constant:/.test(e.message) && /float32/.test(e.message) &&
        /float64/.test(e.message),
    );
  });
  await t.step("an unknown dtype is an error naming it", () => {
    assert.throws(() => gt.constant(1, { dtype: "float16" as DType }), /constant.*float16/);
  });
});

Deno.test("constant: shape", async (t) => {
  await t.step("a scalar fills the shape", () => {
    const x = gt.constant(5, { shape: [2, 3] });
    assert.deepEqual(x.shape, [2, 3]);
    assert.deepEqual(x.toArray(), [[5, 5, 5], [5, 5, 5]]);
    const b = gt.constant(true, { shape: [2] });
    assert.equal(b.dtype, "bool");
    assert.deepEqual(b.toArray(), [true, true]);
  });
  await t.step("a scalar with its dtype fills the shape", () => {
    const x = gt.constant(0.1, { shape: [3], dtype: "float64" });
    assert.equal(x.dtype, "float64");
    assert.deepEqual(x.toArray(), [0.1, 0.1, 0.1]);
  });
  await t.step("a value with as many elements is reshaped, row-major", () => {
    const x = gt.constant([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
    assert.deepEqual(x.toArray(), [[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(gt.constant([[1, 2], [3, 4]], { shape: [4] }).toArray(), [1, 2, 3, 4]);
    assert.deepEqual(gt.constant(7, { shape: [1, 1] }).toArray(), [[7]]);
  });
  await t.step("a value of another size is an error naming both shapes", () => {
    assert.throws(
      () => gt.constant([1, 2, 3], { shape: [2, 2] }),
      (e: Error) =>
        /^constant:/.test(e.message) && e.message.includes("[3]") &&
        e.message.includes("[2,2]"),
    );
  });
  await t.step("a bad shape is an error naming it", () => {
    assert.throws(() => gt.constant(1, { shape: [2, -3] }), /constant.*\[2,-3\]/);
  });
});

Deno.test("zeros, ones and fill", async (t) => {
  for (const dtype of DTYPES) {
    await t.step(`zeros and ones of ${dtype}`, () => {
      const z = gt.zeros([2, 3], dtype);
      const o = gt.ones([2, 3], dtype);
      assert.equal(z.dtype, dtype);
      assert.equal(o.dtype, dtype);
      assert.deepEqual(z.shape, [2, 3]);
      assert.deepEqual(flat(z), new Array(6).fill(0));
      assert.deepEqual(flat(o), new Array(6).fill(1));
    });
  }
  await t.step("the default dtype is float32", () => {
    assert.equal(gt.zeros([1]).dtype, "float32");
    assert.equal(gt.ones([1]).dtype, "float32");
    assert.equal(gt.fill([1], 2).dtype, "float32");
  });
  await t.step("scalars and empty shapes", () => {
    assert.equal(gt.ones([]).item(), 1);
    assert.deepEqual(gt.zeros([]).shape, []);
    assert.deepEqual(gt.zeros([0, 4]).shape, [0, 4]);
    assert.equal(gt.zeros([0, 4]).size, 0);
  });
  await t.step("fill puts the value everywhere", () => {
    assert.deepEqual(gt.fill([2, 2], -1.5).toArray(), [[-1.5, -1.5], [-1.5, -1.5]]);
    assert.deepEqual(gt.fill([3], 0.1, "float64").toArray(), [0.1, 0.1, 0.1]);
    assert.deepEqual(gt.fill([2], 7, "int32").toArray(), [7, 7]);
    assert.deepEqual(gt.fill([2], true, "bool").toArray(), [true, true]);
    assert.deepEqual(gt.fill([2], Infinity).toArray(), [Infinity, Infinity]);
  });
  await t.step("a bad shape is an error naming the op and the shape", () => {
    assert.throws(() => gt.zeros([-1]), /zeros|fill/);
    assert.throws(() => gt.ones([2, 0.5]), /\[2,0.5\]/);
    assert.throws(() => gt.fill([-2], 1), /fill.*\[-2\]/);
  });
  await t.step("an unknown dtype is an error naming it", () => {
    assert.throws(() => gt.zeros([2], "complex64" as DType), /complex64/);
  });
});

Deno.test("zerosLike and onesLike keep the shape and dtype", async (t) => {
  for (const dtype of DTYPES) {
    await t.step(dtype, () => {
      const x = gt.constant([[1, 2, 3]], { dtype });
      const z = gt.zerosLike(x);
      const o = gt.onesLike(x);
      assert.deepEqual(z.shape, [1, 3]);
      assert.equal(z.dtype, dtype);
      assert.equal(o.dtype, dtype);
      assert.deepEqual(flat(z), [0, 0, 0]);
      assert.deepEqual(flat(o), [1, 1, 1]);
    });
  }
  await t.step("of a variable and of plain arrays", () => {
    const v = new gt.Variable([[1], [2]], { dtype: "float64" });
    assert.deepEqual(gt.zerosLike(v).shape, [2, 1]);
    assert.equal(gt.onesLike(v).dtype, "float64");
    assert.deepEqual(gt.onesLike([5, 6, 7]).toArray(), [1, 1, 1]);
    assert.deepEqual(gt.zerosLike(3).shape, []);
  });
});

Deno.test("eye is the identity matrix", async (t) => {
  for (const n of [0, 1, 4]) {
    await t.step(`n = ${n}`, () => {
      const e = gt.eye(n);
      assert.deepEqual(e.shape, [n, n]);
      assert.equal(e.dtype, "float32");
      const d = e.data();
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) assert.equal(d[i * n + j], i === j ? 1 : 0);
      }
    });
  }
  await t.step("with a dtype", () => {
    assert.equal(gt.eye(2, "float64").dtype, "float64");
    assert.deepEqual(gt.eye(2, "int32").toArray(), [[1, 0], [0, 1]]);
    assert.deepEqual(gt.eye(2, "bool").toArray(), [[true, false], [false, true]]);
  });
  await t.step("eye(n) times a matrix is that matrix", () => {
    const m = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    assert.deepEqual(gt.matmul(gt.eye(3), m).toArray(), m);
  });
});

Deno.test("linspace gives num evenly spaced float32 values, both ends included", async (t) => {
  const cases: [number, number, number][] = [[0, 1, 5], [-3, 7, 11], [2, -2, 4], [0, 1, 2]];
  for (const [start, stop, num] of cases) {
    await t.step(`linspace(${start}, ${stop}, ${num})`, () => {
      const x = gt.linspace(start, stop, num);
      assert.equal(x.dtype, "float32");
      assert.deepEqual(x.shape, [num]);
      const expected = Array.from(
        { length: num },
        (_, i) => start + (stop - start) * i / (num - 1),
      );
      assertAllClose(x, expected);
      assert.equal(x.data()[0], start);
      assert.equal(x.data()[num - 1], stop);
    });
  }
  await t.step("one value is the start", () => {
    assert.deepEqual(gt.linspace(3, 9, 1).toArray(), [3]);
  });
  await t.step("zero values is empty", () => {
    assert.deepEqual(gt.linspace(3, 9, 0).shape, [0]);
  });
  await t.step("the last value is exactly stop, even when steps would round", () => {
    assert.equal(gt.linspace(0, 0.7, 8).data()[7], Math.fround(0.7));
  });
  await t.step("a bad num is an error naming it", () => {
    assert.throws(() => gt.linspace(0, 1, -1), /linspace.*-1/);
    assert.throws(() => gt.linspace(0, 1, 2.5), /linspace.*2.5/);
  });
});

Deno.test("range counts from start up to limit, excluded", async (t) => {
  const cases: [number, number, number][] = [
    [0, 5, 1],
    [2, 9, 3],
    [5, 1, -1],
    [10, -10, -7],
    [3, 3, 1],
  ];
  for (const [start, limit, delta] of cases) {
    await t.step(`range(${start}, ${limit}, ${delta})`, () => {
      const expected: number[] = [];
      for (let v = start; delta > 0 ? v < limit : v > limit; v += delta) expected.push(v);
      const x = gt.range(start, limit, delta);
      assert.equal(x.dtype, "int32");
      assert.deepEqual(x.toArray(), expected);
    });
  }
  await t.step("one argument is the limit, from 0", () => {
    assert.deepEqual(gt.range(4).toArray(), [0, 1, 2, 3]);
    assert.equal(gt.range(4).dtype, "int32");
    assert.deepEqual(gt.range(0).shape, [0]);
  });
  await t.step("with delta but no limit, as tf.range(limit, delta=d)", () => {
    assert.deepEqual(gt.range(10, undefined, 3).toArray(), [0, 3, 6, 9]);
  });
  await t.step("int32 when start, limit and delta are all integers, else float32", () => {
    assert.equal(gt.range(0, 5, 1).dtype, "int32");
    assert.equal(gt.range(0.5, 5, 1).dtype, "float32");
    assert.equal(gt.range(0, 5.5, 1).dtype, "float32");
    assert.equal(gt.range(0, 5, 0.5).dtype, "float32");
    assert.equal(gt.range(2.5).dtype, "float32");
  });
  await t.step("fractional steps give ceil((limit - start) / delta) values", () => {
    const x = gt.range(1, 2, 0.25);
    assert.deepEqual(x.toArray(), [1, 1.25, 1.5, 1.75]);
    const y = gt.range(0, 1, 0.1);
    assert.deepEqual(y.shape, [10]);
    assertAllClose(y, Array.from({ length: 10 }, (_, i) => i * 0.1));
    assert.deepEqual(gt.range(0.5).toArray(), [0]);
  });
  await t.step("a dtype overrides the default", () => {
    const x = gt.range(0, 3, 1, "float64");
    assert.equal(x.dtype, "float64");
    assert.deepEqual(x.toArray(), [0, 1, 2]);
  });
  await t.step("delta 0 is an error", () => {
    assert.throws(() => gt.range(0, 5, 0), /range.*delta/);
  });
});
