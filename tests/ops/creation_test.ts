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
    assert.throws(
      () => gt.constant(1, { shape: [2, -3] }),
      /^TypeError: constant: shape \[2,-3\] is not valid/,
    );
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
    assert.throws(() => gt.ones([2, 0.5]), /^TypeError: ones: shape \[2,0\.5\] is not valid/);
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

Deno.test("int32 creation refuses values int32 cannot hold, from every source", async (t) => {
  // Each of these was wrapped or truncated silently, while constant(3e9, int32) was refused.
  const cases: [string, () => unknown, string][] = [
    ["range past 2³¹", () => gt.range(2 ** 31, 2 ** 31 + 2), "range: cannot convert 2147483648"],
    [
      "range ending past 2³¹",
      () => gt.range(2 ** 31 - 2, 2 ** 31 + 1),
      "range: cannot convert 2147483648",
    ],
    [
      "range with a fractional start",
      () => gt.range(0.5, 3, 1, "int32"),
      "range: cannot convert 0.5",
    ],
    [
      "a Float64Array",
      () => gt.constant(new Float64Array([1, 3e9]), { dtype: "int32" }),
      "constant: cannot convert 3000000000",
    ],
    [
      "a Float32Array",
      () => gt.constant(new Float32Array([1.5]), { dtype: "int32" }),
      "constant: cannot convert 1.5",
    ],
    [
      "NaN in a Float64Array",
      () => gt.constant(new Float64Array([NaN]), { dtype: "int32" }),
      "constant: cannot convert NaN",
    ],
    [
      "a number",
      () => gt.constant(2 ** 31, { dtype: "int32" }),
      "constant: cannot convert 2147483648",
    ],
    [
      "a nested array",
      () => gt.constant([[1], [-(2 ** 31) - 1]], { dtype: "int32" }),
      "constant: cannot convert -2147483649",
    ],
    ["fill with 2⁴⁰", () => gt.fill([2], 2 ** 40, "int32"), "fill: cannot convert 1099511627776"],
    ["fill with 3.7", () => gt.fill([2], 3.7, "int32"), "fill: cannot convert 3.7"],
    [
      "constant's shape fill",
      () => gt.constant(0.5, { shape: [2], dtype: "int32" }),
      "constant: cannot convert 0.5",
    ],
  ];
  for (const [name, make, message] of cases) {
    await t.step(name, () => {
      assert.throws(
        make,
        (e: Error) => e instanceof RangeError && e.message.startsWith(`${message} to int32`),
      );
    });
  }
  await t.step("int32's whole range is accepted, from float arrays too", () => {
    const ends = [-(2 ** 31), 2 ** 31 - 1];
    assert.deepEqual(gt.constant(new Float64Array(ends), { dtype: "int32" }).toArray(), ends);
    assert.deepEqual(gt.constant(new Float32Array([-3, 4]), { dtype: "int32" }).toArray(), [-3, 4]);
    assert.deepEqual(gt.fill([1], 2 ** 31 - 1, "int32").toArray(), [2 ** 31 - 1]);
    assert.deepEqual(gt.range(2 ** 31 - 2, 2 ** 31 - 1).toArray(), [2 ** 31 - 2]);
    assert.deepEqual(gt.range(2 ** 31, 2 ** 31 + 2, 1, "float64").toArray(), [
      2 ** 31,
      2 ** 31 + 1,
    ]);
  });
});

Deno.test("fill of bool stores 0 or 1, and a boolean value makes a bool tensor", () => {
  // fill([2], 2, "bool") stored 2 behind `true`, and 256 wrapped to `false`.
  assert.deepEqual(Array.from(gt.fill([2], 2, "bool").data()), [1, 1]);
  assert.deepEqual(gt.fill([2], 256, "bool").toArray(), [true, true]);
  assert.deepEqual(gt.fill([1], 0, "bool").toArray(), [false]);
  const b = gt.fill([2], true);
  assert.equal(b.dtype, "bool");
  assert.deepEqual(b.toArray(), [true, true]);
  assert.ok(Object.is(gt.fill([1], -0, "float64").item(), -0));
});

Deno.test("fill refuses a value that is not a number or a boolean", () => {
  assert.throws(
    () => gt.fill([2], "a" as unknown as number),
    (e: Error) =>
      e instanceof TypeError &&
      e.message === `fill: value must be a number or a boolean, not "a" (a string)`,
  );
  assert.throws(
    () => gt.fill([2], null as unknown as number),
    /^TypeError: fill: value .* not null/,
  );
});

Deno.test("creation ops refuse a shape that is not an array, naming the op and the value", () => {
  const bad = 5 as unknown as number[];
  const cases: [string, () => unknown][] = [
    ["zeros", () => gt.zeros(bad)],
    ["zeros", () => gt.zeros(bad, "nonsense" as DType)],
    ["ones", () => gt.ones(bad)],
    ["fill", () => gt.fill(bad, 1)],
    ["constant", () => gt.constant(1, { shape: bad })],
    ["random.normal", () => gt.random.normal(bad)],
    ["random.uniform", () => gt.random.uniform(bad)],
  ];
  for (const [op, make] of cases) {
    assert.throws(
      make,
      (e: Error) =>
        e instanceof TypeError && e.message.startsWith(`${op}: shape must be an array`) &&
        e.message.endsWith("not 5"),
      op,
    );
  }
  assert.throws(() => gt.ones("2" as unknown as number[]), /^TypeError: ones: shape .*"2"/);
});

Deno.test("creation ops refuse shapes too large to allocate, naming the op, shape and size", () => {
  const cases: [string, () => unknown, string][] = [
    ["zeros", () => gt.zeros([1e12]), "[1000000000000]"],
    ["fill", () => gt.fill([1e6, 1e6], 1), "[1000000,1000000]"],
    ["linspace", () => gt.linspace(0, 1, 1e12), "[1000000000000]"],
    ["range", () => gt.range(0, 1e12), "[1000000000000]"],
    ["range", () => gt.range(0, 1, 1e-12), "[1000000000000]"],
    ["eye", () => gt.eye(1e6), "[1000000,1000000]"],
    ["random.normal", () => gt.random.normal([1e6, 1e6]), "[1000000,1000000]"],
  ];
  for (const [op, make, shape] of cases) {
    assert.throws(
      make,
      (e: Error) =>
        e instanceof RangeError && e.message.startsWith(`${op}: a tensor of shape ${shape} has `) &&
        e.message.includes("1.000e+12 elements"),
      op,
    );
  }
});

Deno.test("range, linspace and eye refuse bad numbers, naming the op and the value", () => {
  const cases: [() => unknown, string][] = [
    [() => gt.range(NaN), "range: limit must be a finite number, not NaN"],
    [() => gt.range(0, Infinity), "range: limit must be a finite number, not Infinity"],
    [() => gt.range(-Infinity, 0), "range: start must be a finite number, not -Infinity"],
    [() => gt.range(0, 5, NaN), "range: delta must be a finite number, not NaN"],
    [
      () => gt.range("3" as unknown as number),
      `range: limit must be a finite number, not "3" (a string)`,
    ],
    [() => gt.range(0, 5, 0), "range: delta must not be 0"],
    [() => gt.range(0, 3, 1, "bool"), `range: dtype bool is not supported`],
    [() => gt.linspace(0, 1, 2.5), "linspace: num must be an integer ≥ 0, not 2.5"],
    [() => gt.linspace(0, 1, -1), "linspace: num must be an integer ≥ 0, not -1"],
    [
      () => gt.linspace("a" as unknown as number, 1, 3),
      `linspace: start must be a finite number, not "a" (a string)`,
    ],
    [() => gt.linspace(0, NaN, 3), "linspace: stop must be a finite number, not NaN"],
    [() => gt.eye(1.5), "eye: n must be an integer ≥ 0, not 1.5"],
    // This one reported `zeros`, which the user never called.
    [() => gt.eye(-1), "eye: n must be an integer ≥ 0, not -1"],
  ];
  for (const [make, message] of cases) {
    assert.throws(make, (e: Error) => e.message.startsWith(message), message);
  }
});

Deno.test("every creation op refuses an unknown dtype, naming it and the four dtypes", () => {
  const four = `use "float32", "float64", "int32" or "bool"`;
  const cases: [string, string, (dtype: DType) => unknown][] = [
    ["zeros", "toString", (d) => gt.zeros([2], d)],
    ["ones", "__proto__", (d) => gt.ones([2], d)],
    ["fill", "constructor", (d) => gt.fill([2], 1, d)],
    ["eye", "toString", (d) => gt.eye(2, d)],
    ["range", "hasOwnProperty", (d) => gt.range(0, 3, 1, d)],
    ["constant", "toString", (d) => gt.constant(1, { dtype: d })],
    ["random.normal", "toString", (d) => gt.random.normal([2], { dtype: d })],
    ["random.uniform", "float16", (d) => gt.random.uniform([2], { dtype: d })],
  ];
  for (const [op, dtype, make] of cases) {
    assert.throws(
      () => make(dtype as DType),
      (e: Error) =>
        e instanceof TypeError && e.message === `${op}: unknown dtype "${dtype}": ${four}`,
      op,
    );
  }
});

Deno.test("constant checks its options, as plain JavaScript may pass anything", () => {
  assert.throws(
    () => gt.constant(1, { dtyp: "int32" } as gt.ConstantOptions),
    (e: Error) =>
      e.message === `constant: unknown option 'dtyp' (did you mean 'dtype'?): ` +
          `the accepted options are 'dtype', 'shape'`,
  );
  assert.throws(
    () => gt.constant(1, null as unknown as gt.ConstantOptions),
    /^TypeError: constant: options must be an object/,
  );
  assert.throws(
    () => gt.constant(1, "int32" as unknown as gt.ConstantOptions),
    /constant: options .*"int32"/,
  );
});
