/**
 * The tensor core: conversion from JS values (and the dtype each gets), reading values back,
 * the shape members, and immutability.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { TensorLike } from "../../mod.ts";

Deno.test("a number becomes a float32 scalar", () => {
  const t = gt.constant(2.5);
  assert.equal(t.dtype, "float32");
  assert.deepEqual(t.shape, []);
  assert.equal(t.rank, 0);
  assert.equal(t.size, 1);
  assert.equal(t.item(), 2.5);
});

Deno.test("a number is rounded to float32", () => {
  const t = gt.constant(0.1);
  assert.equal(t.item(), Math.fround(0.1));
  assert.notEqual(t.item(), 0.1);
});

Deno.test("a boolean becomes a bool scalar", () => {
  const t = gt.constant(true);
  assert.equal(t.dtype, "bool");
  assert.deepEqual(t.shape, []);
  assert.equal(t.toArray(), true);
  assert.equal(gt.constant(false).toArray(), false);
});

Deno.test("nested arrays of numbers become float32 tensors of their shape", async (t) => {
  await t.step("a vector", () => {
    const v = gt.constant([1, 2, 3]);
    assert.equal(v.dtype, "float32");
    assert.deepEqual(v.shape, [3]);
    assert.deepEqual(v.toArray(), [1, 2, 3]);
  });
  await t.step("a matrix", () => {
    const m = gt.constant([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(m.shape, [2, 3]);
    assert.equal(m.rank, 2);
    assert.equal(m.size, 6);
    assert.deepEqual(m.toArray(), [[1, 2, 3], [4, 5, 6]]);
  });
  await t.step("rank 3, stored row-major", () => {
    const x = gt.constant([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    assert.deepEqual(x.shape, [2, 2, 2]);
    assert.deepEqual(Array.from(x.data()), [1, 2, 3, 4, 5, 6, 7, 8]);
  });
  await t.step("an empty array has shape [0]", () => {
    const e = gt.constant([]);
    assert.deepEqual(e.shape, [0]);
    assert.equal(e.size, 0);
    assert.deepEqual(e.toArray(), []);
  });
  await t.step("rows of length 0 keep their shape", () => {
    const e = gt.constant([[], [], []]);
    assert.deepEqual(e.shape, [3, 0]);
    assert.deepEqual(e.toArray(), [[], [], []]);
  });
});

Deno.test("nested arrays of booleans become bool tensors", () => {
  const b = gt.constant([[true, false], [false, true]]);
  assert.equal(b.dtype, "bool");
  assert.deepEqual(b.shape, [2, 2]);
  assert.deepEqual(b.toArray(), [[true, false], [false, true]]);
});

Deno.test("typed arrays give their own dtype", async (t) => {
  const cases: [TensorLike, string, number[]][] = [
    [new Float32Array([1.5, -2]), "float32", [1.5, -2]],
    [new Float64Array([0.1, 0.2]), "float64", [0.1, 0.2]],
    [new Int32Array([7, -3]), "int32", [7, -3]],
  ];
  for (const [value, dtype, expected] of cases) {
    await t.step(`${value.constructor.name} → ${dtype}`, () => {
      const x = gt.constant(value);
      assert.equal(x.dtype, dtype);
      assert.deepEqual(x.shape, [expected.length]);
      assert.deepEqual(x.toArray(), expected);
    });
  }
  await t.step("a Float64Array keeps float64 precision", () => {
    const x = gt.constant(new Float64Array([0.1]));
    assert.equal(x.item(), 0.1);
  });
});

Deno.test("an explicit dtype converts numbers and arrays", () => {
  const d = gt.constant([0.1, 0.2], { dtype: "float64" });
  assert.equal(d.dtype, "float64");
  assert.deepEqual(d.toArray(), [0.1, 0.2]);
  const i = gt.constant([1, -1, 3], { dtype: "int32" });
  assert.equal(i.dtype, "int32");
  assert.deepEqual(i.toArray(), [1, -1, 3]);
  // As TensorFlow: a fraction is not silently dropped; cast() truncates on purpose.
  assert.throws(
    () => gt.constant([1.7, -1.7, 3], { dtype: "int32" }),
    /constant: cannot convert 1\.7 to int32/,
  );
  const b = gt.constant([0, 2, -1], { dtype: "bool" });
  assert.deepEqual(b.toArray(), [false, true, true]);
});

Deno.test("ragged nested arrays are an error that names the element", async (t) => {
  await t.step("a row too short", () => {
    assert.throws(
      () => gt.constant([[1, 2], [3]]),
      (e: Error) => /ragged/.test(e.message) && e.message.includes("[1]"),
    );
  });
  await t.step("a deeper row too long", () => {
    assert.throws(
      () => gt.constant([[[1], [2]], [[3], [4, 5]]]),
      (e: Error) => e.message.includes("[1][1]"),
    );
  });
  await t.step("a number where a row was expected", () => {
    assert.throws(
      () => gt.constant([[1, 2], 3] as unknown as TensorLike),
      (e: Error) => /ragged/.test(e.message) && e.message.includes("[1]"),
    );
  });
  await t.step("a row where a number was expected", () => {
    assert.throws(
      () => gt.constant([1, [2]] as unknown as TensorLike),
      (e: Error) => /ragged/.test(e.message) && e.message.includes("[1]"),
    );
  });
});

Deno.test("values that are not numbers or booleans are an error naming what was given", () => {
  assert.throws(() => gt.constant("abc" as unknown as TensorLike), /string/);
  assert.throws(() => gt.constant(null as unknown as TensorLike), /null/);
  assert.throws(
    () => gt.constant([1, "2"] as unknown as TensorLike),
    (e: Error) => e.message.includes("[1]") && e.message.includes("string"),
  );
});

Deno.test("item() reads a one-element tensor of any rank", () => {
  assert.equal(gt.constant([[4]]).item(), 4);
  assert.equal(gt.constant([-3], { dtype: "int32" }).item(), -3);
});

Deno.test("item() on a tensor with more than one element is an error naming the shape", () => {
  assert.throws(() => gt.constant([[1, 2], [3, 4]]).item(), /item.*\[2,2\]/);
  assert.throws(() => gt.zeros([0]).item(), /item.*\[0\]/);
});

Deno.test("toArray() gives a number for a scalar and nested arrays otherwise", () => {
  const s = gt.constant(7, { dtype: "int32" }).toArray();
  assert.equal(typeof s, "number");
  assert.equal(s, 7);
  assert.deepEqual(gt.constant([[1], [2]], { dtype: "int32" }).toArray(), [[1], [2]]);
});

Deno.test("toArray() gives booleans for bool tensors", () => {
  const a = gt.constant([true, false]).toArray() as boolean[];
  assert.deepEqual(a, [true, false]);
  assert.equal(typeof a[0], "boolean");
});

Deno.test("data() is a fresh typed array of the tensor's dtype", async (t) => {
  await t.step("the typed array matches the dtype", () => {
    assert.ok(gt.constant([1]).data() instanceof Float32Array);
    assert.ok(gt.constant([1], { dtype: "float64" }).data() instanceof Float64Array);
    assert.ok(gt.constant([1], { dtype: "int32" }).data() instanceof Int32Array);
  });
  await t.step("mutating the copy changes nothing", () => {
    const x = gt.constant([1, 2, 3]);
    const d = x.data();
    d[0] = 100;
    d.fill(9);
    assert.deepEqual(x.toArray(), [1, 2, 3]);
    assert.equal(x.data()[0], 1);
  });
  await t.step("two calls give two arrays", () => {
    const x = gt.constant([1, 2]);
    assert.notEqual(x.data(), x.data());
  });
  await t.step("the copy owns its whole buffer, which may be transferred", () => {
    // Small (slab-sized) and large (pool-sized) tensors alike, inside tidy and out.
    for (const n of [3, 100_000]) {
      const x = gt.range(0, n), y = gt.range(0, 3);
      const d = gt.tidy(() => gt.add(x, 1).data());
      assert.equal(d.buffer.byteLength, n * 4);
      assert.equal(d.byteOffset, 0);
      const buffer = d.buffer as ArrayBuffer;
      structuredClone(buffer, { transfer: [buffer] });
      assert.equal(d.length, 0, "transferred");
      assert.deepEqual(y.toArray(), [0, 1, 2]);
      assert.equal(x.data()[n - 1], n - 1);
    }
  });
});

Deno.test("conversion copies the input, so later changes to it do not reach the tensor", () => {
  const typed = new Float32Array([1, 2]);
  const a = gt.constant(typed);
  typed[0] = 50;
  assert.deepEqual(a.toArray(), [1, 2]);

  const nested = [[1, 2], [3, 4]];
  const b = gt.constant(nested);
  nested[0][0] = 50;
  assert.deepEqual(b.toArray(), [[1, 2], [3, 4]]);
});

Deno.test("tensors are immutable", async (t) => {
  await t.step("the shape array is frozen", () => {
    const x = gt.constant([[1, 2, 3]]);
    assert.ok(Object.isFrozen(x.shape));
    const shape = x.shape as number[];
    assert.throws(() => {
      shape[0] = 5;
    }, TypeError);
    assert.throws(() => shape.push(1), TypeError);
    assert.deepEqual(x.shape, [1, 3]);
  });
  await t.step("the shape given to the constructor is copied", () => {
    const shape = [2, 2];
    const x = new gt.Tensor(new Float32Array(4), shape, "float32");
    shape[0] = 4;
    assert.deepEqual(x.shape, [2, 2]);
  });
  await t.step("ops never change their inputs", () => {
    const x = gt.constant([[1, 2], [3, 4]]);
    gt.add(x, 1);
    x.mul(x);
    gt.reshape(x, [4]);
    gt.transpose(x);
    assert.deepEqual(x.toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(x.shape, [2, 2]);
  });
});

Deno.test("the Tensor constructor checks the data fills the shape", () => {
  assert.throws(
    () => new gt.Tensor(new Float32Array(3), [2, 2], "float32"),
    (e: Error) => e.message.includes("[2,2]") && e.message.includes("3"),
  );
});

Deno.test("shape, dtype, rank and size describe the tensor", () => {
  const x = gt.zeros([2, 3, 4], "float64");
  assert.deepEqual(x.shape, [2, 3, 4]);
  assert.equal(x.dtype, "float64");
  assert.equal(x.rank, 3);
  assert.equal(x.size, 24);
  const e = gt.zeros([3, 0]);
  assert.equal(e.rank, 2);
  assert.equal(e.size, 0);
});

Deno.test("a nested array of tensors is stacked", () => {
  const x = gt.constant([gt.constant([1, 2]), gt.constant([3, 4])]);
  assert.deepEqual(x.shape, [2, 2]);
  assert.deepEqual(x.toArray(), [[1, 2], [3, 4]]);
});

Deno.test("a variable is accepted wherever a tensor is", () => {
  const v = new gt.Variable([1, 2]);
  assert.deepEqual(gt.add(v, 1).toArray(), [2, 3]);
  assert.deepEqual(gt.constant(v).toArray(), [1, 2]);
});

Deno.test("an op whose result is too large to allocate names itself, its inputs and the size", async (t) => {
  // These failed deep inside with the runtime's "Array buffer allocation failed"; each is
  // refused before anything is allocated, so the tests use no memory.
  const cases: [string, () => unknown, string][] = [
    [
      "matmul",
      () => gt.matmul(gt.zeros([1e6, 1]), gt.zeros([1, 1e6])),
      "matmul: a result of shape [1000000,1000000] (1.000e+12 elements, float32) is more than " +
      "can be allocated (at most 2147483647), from inputs of shape [1000000,1] and [1,1000000]",
    ],
    [
      "pad",
      () => gt.pad(gt.ones([2]), [[1e12, 0]]),
      "pad: a result of shape [1000000000002] (1.000e+12 elements, float32) is more than can " +
      "be allocated (at most 2147483647), from inputs of shape [2]",
    ],
    [
      "tile",
      () => gt.tile(gt.ones([1e6]), [1e6]),
      "tile: a tensor of shape [1000000000000] has 1.000e+12 elements",
    ],
  ];
  for (const [name, make, message] of cases) {
    await t.step(name, () => {
      assert.throws(
        make,
        (e: Error) => e instanceof RangeError && e.message.startsWith(message),
      );
    });
  }
});

Deno.test("cast refuses an unknown dtype, even a name every object has", () => {
  for (const dtype of ["toString", "__proto__", "int64"]) {
    assert.throws(
      () => gt.constant([1]).cast(dtype as gt.DType),
      (e: Error) =>
        e instanceof TypeError &&
        e.message === `cast: unknown dtype "${dtype}": use "float32", "float64", "int32" or "bool"`,
    );
  }
});

Deno.test("a float typed array converts to int32 only when every value fits exactly", () => {
  assert.throws(
    () => gt.constant(new Float32Array([1, 2.5]), { dtype: "int32" }),
    /^RangeError: constant: cannot convert 2\.5 to int32 without changing it/,
  );
  assert.deepEqual(
    gt.constant(new Float64Array([-7, 2 ** 31 - 1]), { dtype: "int32" }).toArray(),
    [-7, 2 ** 31 - 1],
  );
  // Sources that hold only what int32 holds are not scanned, and convert as they are.
  assert.deepEqual(gt.constant(new Uint8Array([0, 255]), { dtype: "int32" }).toArray(), [0, 255]);
});

Deno.test("constant() takes nested arrays that mix tensors and arrays, as TensorFlow does", () => {
  assert.deepEqual(gt.constant([[1, 2], gt.constant([3, 4])]).toArray(), [[1, 2], [3, 4]]);
  assert.deepEqual(gt.constant([gt.constant([1, 2]), [3, 4]]).toArray(), [[1, 2], [3, 4]]);
  assert.throws(
    () => gt.constant([[1, 2], gt.constant([3, 4, 5])]),
    /^Error: constant: the nested arrays and tensors do not stack: shapes differ: \[2\] and \[3\]/,
  );
});
