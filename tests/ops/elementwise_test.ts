/**
 * Concrete values of the elementwise ops: every unary, binary, comparison and logic op in mod.ts
 * against Math.* in float64, with broadcasting, NaN and ±Infinity, and the dtype rules; and pow's
 * derivatives of every order at 0, where its rule needs care.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { DType, Tensor, TensorLike } from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { registry } from "../../src/ops/registry.ts";
import { compileFormulas } from "../../src/core/kernels/generated.ts";

/** A small deterministic generator for test inputs (independent of the library's random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function values(n: number, lo: number, hi: number, seed: number): number[] {
  const next = lcg(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * next());
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The value the library should see for `x` in `dtype` (float32 rounds on the way in). */
function as(dtype: DType, x: number): number {
  return dtype === "float32" ? Math.fround(x) : x;
}

/** Tolerances for comparing a float32 or float64 result with a float64 reference. */
function tol(dtype: DType): { rtol: number; atol: number } {
  return dtype === "float32" ? { rtol: 5e-7, atol: 1e-7 } : { rtol: 1e-14, atol: 1e-300 };
}

/** Exact comparison that treats NaN as equal to NaN and tells +0 from -0 only when asked. */
function assertSame(actual: number, expected: number, what: string): void {
  assert.ok(
    Object.is(actual, expected) || (actual === 0 && expected === 0),
    `${what}: got ${actual}, expected ${expected}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Unary ops

/** Round half to even, written out: the nearest integer, and the even one at an exact half. */
function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

interface UnaryCase {
  name: string;
  fn: (x: TensorLike) => Tensor;
  ref: (x: number) => number;
  inputs: number[];
  /** Whether int32 inputs are accepted (else an error). */
  ints?: boolean;
}

const general = [-2.5, -1, -0.3, 0, 0.4, 1, 2.7, 6.2];
const positive = [0.01, 0.3, 1, 2, 4, 9, 100, 1e4];

const unaryCases: UnaryCase[] = [
  { name: "negative", fn: gt.negative, ref: (x) => -x, inputs: general, ints: true },
  { name: "abs", fn: gt.abs, ref: Math.abs, inputs: general, ints: true },
  { name: "sign", fn: gt.sign, ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), inputs: general },
  { name: "square", fn: gt.square, ref: (x) => x * x, inputs: general, ints: true },
  { name: "sqrt", fn: gt.sqrt, ref: Math.sqrt, inputs: positive },
  { name: "rsqrt", fn: gt.rsqrt, ref: (x) => 1 / Math.sqrt(x), inputs: positive },
  { name: "exp", fn: gt.exp, ref: Math.exp, inputs: general },
  { name: "expm1", fn: gt.expm1, ref: Math.expm1, inputs: [...general, 1e-9, -1e-7] },
  { name: "log", fn: gt.log, ref: Math.log, inputs: positive },
  { name: "log1p", fn: gt.log1p, ref: Math.log1p, inputs: [-0.9, -1e-8, 0, 1e-9, 0.5, 3, 100] },
  { name: "sin", fn: gt.sin, ref: Math.sin, inputs: general },
  { name: "cos", fn: gt.cos, ref: Math.cos, inputs: general },
  { name: "tan", fn: gt.tan, ref: Math.tan, inputs: [-1.2, -0.5, 0, 0.3, 1, 1.5, 3] },
  { name: "tanh", fn: gt.tanh, ref: Math.tanh, inputs: [...general, 20, -20] },
  { name: "sigmoid", fn: gt.sigmoid, ref: (x) => 1 / (1 + Math.exp(-x)), inputs: general },
  {
    name: "softplus",
    fn: gt.softplus,
    // log(1 + eˣ), in the form that keeps float64 accuracy on both sides
    ref: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
    inputs: [...general, -15, 15],
  },
  { name: "relu", fn: gt.relu, ref: (x) => (x > 0 ? x : 0), inputs: general, ints: true },
  { name: "floor", fn: gt.floor, ref: Math.floor, inputs: [...general, -0.5, 3.999] },
  { name: "ceil", fn: gt.ceil, ref: Math.ceil, inputs: [...general, -0.5, 3.001] },
  { name: "round", fn: gt.round, ref: roundHalfEven, inputs: [...general, 0.5, 1.5, -2.5] },
  { name: "asin", fn: gt.asin, ref: Math.asin, inputs: [-1, -0.7, -1e-9, 0, 0.2, 0.5, 0.99, 1] },
  { name: "acos", fn: gt.acos, ref: Math.acos, inputs: [-1, -0.7, -1e-9, 0, 0.2, 0.5, 0.99, 1] },
  { name: "atan", fn: gt.atan, ref: Math.atan, inputs: [...general, 1e10, -1e-9] },
  { name: "sinh", fn: gt.sinh, ref: Math.sinh, inputs: [...general, 1e-9, 30] },
  { name: "cosh", fn: gt.cosh, ref: Math.cosh, inputs: [...general, -30] },
  { name: "asinh", fn: gt.asinh, ref: Math.asinh, inputs: [...general, 1e-9, 1e10] },
  { name: "acosh", fn: gt.acosh, ref: Math.acosh, inputs: [1, 1.0001, 1.5, 2, 10, 1e10] },
  { name: "atanh", fn: gt.atanh, ref: Math.atanh, inputs: [-0.99, -0.5, -1e-9, 0, 0.3, 0.9] },
  {
    name: "reciprocal",
    fn: gt.reciprocal,
    ref: (x) => 1 / x,
    inputs: [-2.5, -1, -0.3, 0.4, 1, 2.7, 6.2, 1e-3],
  },
];

Deno.test("unary ops match Math.* in float32 and float64", async (t) => {
  for (const c of unaryCases) {
    for (const dtype of ["float32", "float64"] as const) {
      await t.step(`${c.name} (${dtype})`, () => {
        // A [2, n/2] matrix, so that the shape is checked too.
        const n = c.inputs.length - (c.inputs.length % 2);
        const inputs = c.inputs.slice(0, n);
        const x = gt.reshape(gt.constant(inputs, { dtype }), [2, n / 2]);
        const y = c.fn(x);
        assert.equal(y.dtype, dtype);
        assert.deepEqual(y.shape, [2, n / 2]);
        const expected = gt.reshape(
          gt.constant(inputs.map((v) => c.ref(as(dtype, v))), { dtype: "float64" }),
          [2, n / 2],
        );
        assertAllClose(y, expected, { ...tol(dtype), msg: c.name });
      });
    }
  }
});

Deno.test("unary ops on plain numbers and arrays give float32", () => {
  assert.equal(gt.exp(1).dtype, "float32");
  assertAllClose(gt.exp(1), Math.fround(Math.E), { rtol: 0, atol: 0 });
  assert.deepEqual(gt.sqrt([4, 9]).toArray(), [2, 3]);
  assert.equal(gt.exp(gt.constant(1, { dtype: "float64" })).item(), Math.E);
});

Deno.test("unary ops handle NaN and ±Infinity as TensorFlow does", async (t) => {
  const I = Infinity;
  const table: [string, (x: TensorLike) => Tensor, [number, number][]][] = [
    ["negative", gt.negative, [[I, -I], [NaN, NaN]]],
    ["abs", gt.abs, [[-I, I], [I, I], [NaN, NaN]]],
    ["sign", gt.sign, [[-I, -1], [I, 1], [NaN, NaN], [0, 0]]],
    ["square", gt.square, [[-I, I], [NaN, NaN]]],
    ["sqrt", gt.sqrt, [[-1, NaN], [0, 0], [I, I], [NaN, NaN]]],
    ["rsqrt", gt.rsqrt, [[0, I], [I, 0], [-1, NaN]]],
    ["exp", gt.exp, [[-I, 0], [I, I], [NaN, NaN], [1000, I]]],
    ["expm1", gt.expm1, [[-I, -1], [I, I], [NaN, NaN]]],
    ["log", gt.log, [[0, -I], [-1, NaN], [I, I], [NaN, NaN]]],
    ["log1p", gt.log1p, [[-1, -I], [-2, NaN], [I, I]]],
    ["sin", gt.sin, [[I, NaN], [NaN, NaN]]],
    ["cos", gt.cos, [[-I, NaN], [NaN, NaN]]],
    ["tan", gt.tan, [[I, NaN]]],
    ["tanh", gt.tanh, [[I, 1], [-I, -1], [NaN, NaN]]],
    ["sigmoid", gt.sigmoid, [[I, 1], [-I, 0], [NaN, NaN]]],
    ["softplus", gt.softplus, [[I, I], [-I, 0], [NaN, NaN]]],
    ["relu", gt.relu, [[NaN, NaN], [-I, 0], [I, I], [-0.5, 0]]],
    ["floor", gt.floor, [[I, I], [-I, -I], [NaN, NaN]]],
    ["ceil", gt.ceil, [[I, I], [-I, -I], [NaN, NaN]]],
    ["round", gt.round, [[I, I], [-I, -I], [NaN, NaN]]],
    ["asin", gt.asin, [[1.5, NaN], [-0, -0], [NaN, NaN]]],
    ["acos", gt.acos, [[-1.5, NaN], [1, 0], [NaN, NaN]]],
    ["atan", gt.atan, [[NaN, NaN], [-0, -0]]],
    ["sinh", gt.sinh, [[I, I], [-I, -I], [1000, I], [-0, -0]]],
    ["cosh", gt.cosh, [[I, I], [-I, I], [-1000, I], [NaN, NaN]]],
    ["asinh", gt.asinh, [[I, I], [-I, -I], [-0, -0]]],
    ["acosh", gt.acosh, [[I, I], [0.5, NaN], [1, 0]]],
    ["atanh", gt.atanh, [[1, I], [-1, -I], [2, NaN], [-0, -0]]],
    ["erf", gt.erf, [[I, 1], [-I, -1], [NaN, NaN], [-0, -0], [7, 1]]],
    ["erfc", gt.erfc, [[I, 0], [-I, 2], [NaN, NaN], [0, 1], [30, 0]]],
    ["lgamma", gt.lgamma, [[I, I], [-I, I], [0, I], [-3, I], [1, 0], [2, 0], [NaN, NaN]]],
    ["digamma", gt.digamma, [[I, I], [-I, NaN], [0, -I], [-0, I], [-3, NaN], [NaN, NaN]]],
    ["reciprocal", gt.reciprocal, [[0, I], [-0, -I], [I, 0], [NaN, NaN]]],
  ];
  for (const [name, fn, pairs] of table) {
    for (const dtype of ["float32", "float64"] as const) {
      await t.step(`${name} (${dtype})`, () => {
        const y = fn(gt.constant(pairs.map((p) => p[0]), { dtype })).data();
        pairs.forEach(([x, e], i) => assertSame(y[i], e, `${name}(${x})`));
      });
    }
  }
});

Deno.test("round rounds half to even, as TensorFlow", async (t) => {
  for (const dtype of ["float32", "float64"] as const) {
    await t.step(dtype, () => {
      const x = [0.5, 1.5, 2.5, 3.5, 4.5, -0.5, -1.5, -2.5, -3.5, 2.4999, 2.5001, -7.5, 100.5];
      const y = gt.round(gt.constant(x, { dtype })).data();
      x.forEach((v, i) => assertSame(y[i], roundHalfEven(as(dtype, v)), `round(${v})`));
      // Spelled out, so that a wrong reference cannot hide a wrong result.
      assert.deepEqual(Array.from(y.slice(0, 9)), [0, 2, 2, 4, 4, -0, -2, -2, -4]);
    });
  }
  await t.step("just below one half", () => {
    const below = 0.49999999999999994; // the largest float64 under 0.5
    assert.equal(gt.round(gt.constant(below, { dtype: "float64" })).item(), 0);
  });
});

Deno.test("sigmoid and softplus stay finite for large inputs", async (t) => {
  for (const dtype of ["float32", "float64"] as const) {
    await t.step(`±1e4 (${dtype})`, () => {
      const x = gt.constant([1e4, -1e4], { dtype });
      const s = gt.sigmoid(x).data();
      assert.deepEqual(Array.from(s), [1, 0]);
      const sp = gt.softplus(x).data();
      assert.ok(sp.every(Number.isFinite), `softplus: ${sp}`);
      assert.equal(sp[0], 1e4);
      assert.ok(sp[1] >= 0 && sp[1] < 1e-30, `softplus(-1e4) = ${sp[1]}`);
    });
  }
  await t.step("±800 in float64, where exp overflows", () => {
    const x = gt.constant([800, -800], { dtype: "float64" });
    assert.deepEqual(Array.from(gt.sigmoid(x).data()), [1, 0]);
    assert.deepEqual(Array.from(gt.softplus(x).data()), [800, 0]);
  });
  await t.step("far tails keep their relative accuracy in float64", () => {
    const x = gt.constant([-100, 100, -30], { dtype: "float64" });
    // σ(-100) = e⁻¹⁰⁰/(1 + e⁻¹⁰⁰); softplus(-100) = log1p(e⁻¹⁰⁰); both ≈ e⁻¹⁰⁰.
    const e100 = Math.exp(-100), e30 = Math.exp(-30);
    assertAllClose(gt.sigmoid(x), [e100 / (1 + e100), 1 / (1 + e100), e30 / (1 + e30)], {
      rtol: 1e-13,
      atol: 0,
    });
    assertAllClose(gt.softplus(x), [Math.log1p(e100), 100 + Math.log1p(e100), Math.log1p(e30)], {
      rtol: 1e-13,
      atol: 0,
    });
  });
});

Deno.test("unary ops on int32", async (t) => {
  const ints = [-7, -1, 0, 3, 2147483647];
  for (const c of unaryCases.filter((c) => c.ints)) {
    await t.step(`${c.name} keeps int32`, () => {
      const inputs = c.name === "square" ? [-7, -1, 0, 3, 46340] : ints;
      const y = c.fn(gt.constant(inputs, { dtype: "int32" }));
      assert.equal(y.dtype, "int32");
      // `| 0`: int32 has no -0
      assert.deepEqual(y.toArray(), inputs.map((v) => c.ref(v) | 0));
    });
  }
  await t.step("sign keeps int32", () => {
    const y = gt.sign(gt.constant([-5, 0, 9], { dtype: "int32" }));
    assert.equal(y.dtype, "int32");
    assert.deepEqual(y.toArray(), [-1, 0, 1]);
  });
  const floatOnly = [
    "sqrt",
    "rsqrt",
    "exp",
    "expm1",
    "log",
    "log1p",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "softplus",
  ];
  for (const c of unaryCases.filter((c) => floatOnly.includes(c.name))) {
    await t.step(`${c.name} on int32 is a clear error`, () => {
      assert.throws(
        () => c.fn(gt.constant([1, 2], { dtype: "int32" })),
        (e: Error) =>
          e instanceof TypeError && e.message.includes("int32") &&
          /float32|cast/.test(e.message) &&
          // rsqrt is a composite; its error may come from sqrt
          (e.message.startsWith(`${c.name}:`) || c.name === "rsqrt"),
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Binary ops

/** numpy broadcasting written out: each output index reads index 0 along an input's size-1 axes. */
function refBinary(
  a: number[],
  aShape: number[],
  b: number[],
  bShape: number[],
  f: (x: number, y: number) => number,
): { data: number[]; shape: number[] } {
  const rank = Math.max(aShape.length, bShape.length);
  const pa = [...new Array(rank - aShape.length).fill(1), ...aShape];
  const pb = [...new Array(rank - bShape.length).fill(1), ...bShape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const data: number[] = [];
  const idx = new Array(rank).fill(0);
  for (let flat = 0; flat < sizeOf(shape); flat++) {
    let rem = flat;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = rem % shape[i];
      rem = Math.floor(rem / shape[i]);
    }
    let ia = 0, ib = 0;
    for (let i = 0; i < rank; i++) {
      ia = ia * pa[i] + (pa[i] === 1 ? 0 : idx[i]);
      ib = ib * pb[i] + (pb[i] === 1 ? 0 : idx[i]);
    }
    data.push(f(a[ia], b[ib]));
  }
  return { data, shape };
}

interface BinaryCase {
  name: string;
  fn: (a: TensorLike, b: TensorLike) => Tensor;
  ref: (x: number, y: number) => number;
  /** Ranges for the two operands' values. */
  a: [number, number];
  b: [number, number];
  ints?: boolean;
}

const binaryCases: BinaryCase[] = [
  { name: "add", fn: gt.add, ref: (x, y) => x + y, a: [-5, 5], b: [-5, 5], ints: true },
  { name: "subtract", fn: gt.subtract, ref: (x, y) => x - y, a: [-5, 5], b: [-5, 5], ints: true },
  { name: "multiply", fn: gt.multiply, ref: (x, y) => x * y, a: [-5, 5], b: [-5, 5], ints: true },
  { name: "divide", fn: gt.divide, ref: (x, y) => x / y, a: [-5, 5], b: [0.5, 4] },
  { name: "pow", fn: gt.pow, ref: Math.pow, a: [0.1, 3], b: [-2.5, 2.5] },
  { name: "maximum", fn: gt.maximum, ref: Math.max, a: [-5, 5], b: [-5, 5], ints: true },
  { name: "minimum", fn: gt.minimum, ref: Math.min, a: [-5, 5], b: [-5, 5], ints: true },
  {
    name: "squaredDifference",
    fn: gt.squaredDifference,
    ref: (x, y) => (x - y) ** 2,
    a: [-5, 5],
    b: [-5, 5],
    ints: true,
  },
];

/** Shape pairs: same shape, scalar tensor, row, column, outer, rank 3 against rank 1, and back. */
const shapePairs: [number[], number[]][] = [
  [[2, 3], [2, 3]],
  [[2, 3], []],
  [[], [2, 3]],
  [[2, 3], [3]],
  [[2, 3], [2, 1]],
  [[2, 1], [1, 3]],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 4]],
  [[2, 1, 4], [3, 1]],
];

Deno.test("binary ops match float64 references, with numpy broadcasting", async (t) => {
  let seed = 1;
  for (const c of binaryCases) {
    for (const dtype of ["float32", "float64"] as const) {
      for (const [as_, bs] of shapePairs) {
        await t.step(`${c.name} [${as_}] and [${bs}] (${dtype})`, () => {
          const a = values(sizeOf(as_), c.a[0], c.a[1], seed++).map((v) => as(dtype, v));
          const b = values(sizeOf(bs), c.b[0], c.b[1], seed++).map((v) => as(dtype, v));
          const y = c.fn(
            gt.constant(a, { dtype, shape: as_ }),
            gt.constant(b, { dtype, shape: bs }),
          );
          const ref = refBinary(a, as_, b, bs, c.ref);
          assert.equal(y.dtype, dtype);
          assert.deepEqual(y.shape, ref.shape);
          const expected = gt.constant(ref.data, { dtype: "float64", shape: ref.shape });
          assertAllClose(y, expected, { ...tol(dtype), msg: c.name });
        });
      }
    }
  }
});

Deno.test("a plain number on either side broadcasts as a scalar", async (t) => {
  const x = [[1, 2, 3], [4, 5, 6]];
  for (const c of binaryCases) {
    await t.step(c.name, () => {
      const left = c.fn(gt.constant(x), 1.5);
      const right = c.fn(2.5, gt.constant(x));
      assert.deepEqual(left.shape, [2, 3]);
      assert.deepEqual(right.shape, [2, 3]);
      assertAllClose(left, x.map((r) => r.map((v) => c.ref(v, 1.5))), tol("float32"));
      assertAllClose(right, x.map((r) => r.map((v) => c.ref(2.5, v))), tol("float32"));
    });
  }
});

Deno.test("binary ops with NaN and ±Infinity follow IEEE and TensorFlow", async (t) => {
  const I = Infinity;
  const table: [string, (a: TensorLike, b: TensorLike) => Tensor, [number, number, number][]][] = [
    ["add", gt.add, [[I, -I, NaN], [I, 1, I], [NaN, 1, NaN]]],
    ["subtract", gt.subtract, [[I, I, NaN], [-I, 1, -I]]],
    ["multiply", gt.multiply, [[I, 0, NaN], [-I, 2, -I], [-I, -2, I]]],
    ["divide", gt.divide, [[1, 0, I], [-1, 0, -I], [0, 0, NaN], [1, I, 0], [I, I, NaN]]],
    ["pow", gt.pow, [[0, 0, 1], [2, -I, 0], [0.5, -I, I], [-8, 1 / 3, NaN], [0, -1, I]]],
    // TensorFlow (2.4 and later) propagates NaN through maximum and minimum, either side.
    ["maximum", gt.maximum, [[NaN, 1, NaN], [1, NaN, NaN], [-I, 3, 3], [I, 3, I]]],
    ["minimum", gt.minimum, [[NaN, 1, NaN], [1, NaN, NaN], [-I, 3, -I], [I, 3, 3]]],
  ];
  for (const [name, fn, rows] of table) {
    for (const dtype of ["float32", "float64"] as const) {
      await t.step(`${name} (${dtype})`, () => {
        const a = gt.constant(rows.map((r) => r[0]), { dtype });
        const b = gt.constant(rows.map((r) => r[1]), { dtype });
        const y = fn(a, b).data();
        rows.forEach(([x, z, e], i) => assertSame(y[i], e, `${name}(${x}, ${z})`));
      });
    }
  }
});

Deno.test("a plain JS number takes the dtype of the tensor it meets", async (t) => {
  const x64 = gt.constant([1, 2], { dtype: "float64" });
  await t.step("float64 on the left or the right", () => {
    for (const y of [gt.add(x64, 0.1), gt.add(0.1, x64)]) {
      assert.equal(y.dtype, "float64");
      // 0.1 stays a float64 0.1: no trip through float32.
      assert.deepEqual(y.toArray(), [1 + 0.1, 2 + 0.1]);
    }
  });
  await t.step("nested arrays of numbers too", () => {
    const y = gt.multiply([0.1, 0.2], x64);
    assert.equal(y.dtype, "float64");
    assert.deepEqual(y.toArray(), [0.1, 0.4]);
  });
  await t.step("int32", () => {
    const y = gt.add(gt.constant([1, 2], { dtype: "int32" }), 3);
    assert.equal(y.dtype, "int32");
    assert.deepEqual(y.toArray(), [4, 5]);
  });
  await t.step("a variable's dtype counts as a tensor's", () => {
    const v = new gt.Variable([1], { dtype: "float64" });
    assert.equal(gt.subtract(0.1, v).dtype, "float64");
    assert.equal(v.mul(0.1).item(), 0.1);
  });
  await t.step("two plain operands give float32", () => {
    const y = gt.add(0.1, [0.2]);
    assert.equal(y.dtype, "float32");
    assert.equal(y.data()[0], Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });
});

Deno.test("mixing float32 and float64 tensors is an error naming both dtypes", async (t) => {
  const a = gt.constant([1, 2]);
  const b = gt.constant([1, 2], { dtype: "float64" });
  const ops: [string, () => unknown][] = [
    ...binaryCases.filter((c) => c.name !== "squaredDifference").map((
      c,
    ): [string, () => unknown] => [c.name, () => c.fn(a, b)]),
    ["squaredDifference", () => gt.squaredDifference(b, a)],
    ["equal", () => gt.equal(a, b)],
    ["less", () => gt.less(b, a)],
    ["where", () => gt.where([true, false], a, b)],
    ["addN", () => gt.addN([a, b])],
  ];
  for (const [name, call] of ops) {
    await t.step(name, () => {
      assert.throws(
        call,
        (e: Error) =>
          e instanceof TypeError && e.message.includes("float32") &&
          e.message.includes("float64") && /dtype/.test(e.message),
      );
    });
  }
  await t.step("a float32 variable with a float64 tensor", () => {
    assert.throws(() => new gt.Variable(1).add(b), /float32.*float64|float64.*float32/);
  });
});

Deno.test("binary ops on int32 give exact int32 results", async (t) => {
  const a = [7, -7, 0, 30000, -3];
  const b = [2, 3, -5, -9000, -3];
  for (const c of binaryCases.filter((c) => c.ints)) {
    await t.step(c.name, () => {
      const y = c.fn(gt.constant(a, { dtype: "int32" }), gt.constant(b, { dtype: "int32" }));
      assert.equal(y.dtype, "int32");
      assert.deepEqual(y.toArray(), a.map((v, i) => c.ref(v, b[i]) | 0));
    });
  }
  await t.step("with broadcasting", () => {
    const y = gt.multiply(gt.constant([[1], [2]], { dtype: "int32" }), gt.range(3));
    assert.equal(y.dtype, "int32");
    assert.deepEqual(y.toArray(), [[0, 1, 2], [0, 2, 4]]);
  });
});

Deno.test("a fractional number meeting an int32 tensor is an error, not truncated", () => {
  // As TensorFlow's "Cannot convert 1.5 to EagerTensor of dtype int32".
  const x = gt.constant([1], { dtype: "int32" });
  assert.throws(() => gt.add(x, 1.5), {
    name: "RangeError",
    message: /^add: cannot convert 1\.5 to int32 without changing it/,
  });
  assert.throws(() => gt.multiply(0.5, x), {
    name: "RangeError",
    message: /^multiply: cannot convert 0\.5 to int32 without changing it/,
  });
  assert.deepEqual(gt.add(x, 2).toArray(), [3], "an integer is fine");
});

Deno.test("divide on int32 is true division to float64, as TensorFlow's", () => {
  const a = gt.constant([7, -7, 1, 0], { dtype: "int32" });
  const b = gt.constant([2, 2, 0, 0], { dtype: "int32" });
  const y = gt.divide(a, b);
  assert.equal(y.dtype, "float64");
  assert.deepEqual(y.toArray(), [3.5, -3.5, Infinity, NaN]);
  assert.equal(gt.divide(a, 4).dtype, "float64", "a number meeting int32 too");
});

Deno.test("arithmetic on bool tensors is an error, as TensorFlow has no bool kernels", () => {
  const t = gt.constant([true]);
  const f = gt.constant([false]);
  const calls: [string, () => unknown][] = [
    ["add", () => gt.add(t, t)],
    ["subtract", () => gt.subtract(f, t)],
    ["multiply", () => gt.multiply(t, t)],
    ["negative", () => gt.negative(t)],
    ["abs", () => gt.abs(t)],
  ];
  for (const [name, call] of calls) {
    assert.throws(call, {
      name: "TypeError",
      message: new RegExp(`^${name}: no arithmetic on bool tensors: cast them first`),
    });
  }
});

// ---------------------------------------------------------------------------------------------
// pow: int32 powers, and derivatives at 0

Deno.test("pow of an int32 base to a negative power is an error naming pow and the exponent, as TensorFlow's", () => {
  const x = gt.constant([2, 3], { dtype: "int32" });
  assert.throws(() => gt.pow(x, -1), {
    name: "RangeError",
    message: /^pow: integers to negative integer powers are not allowed, got the exponent -1 /,
  });
  assert.throws(() => gt.pow(x, gt.constant([1, -2], { dtype: "int32" })), {
    name: "RangeError",
    message: /^pow: .* got the exponent -2 for an int32 base: cast the base to float32 first$/,
  });
  assert.deepEqual(gt.pow(x, gt.constant([0, 2], { dtype: "int32" })).toArray(), [1, 9]);
  assert.deepEqual(gt.pow(gt.constant([2, 4]), -1).toArray(), [0.5, 0.25], "floats may");
});

type Nesting = "tapes" | "accumulators" | "tapes and accumulators in turn";

/** The n-th derivative of `f` at `x`, from n nested tapes, accumulators, or both in turn. */
function derivative(f: (x: Tensor) => Tensor, x: Tensor, n: number, nesting: Nesting): Tensor {
  if (n === 0) return f(x);
  const forward = nesting === "accumulators" ||
    (nesting === "tapes and accumulators in turn" && n % 2 === 0);
  if (forward) {
    const acc = new gt.ForwardAccumulator(x, gt.onesLike(x));
    const y = acc.record(() => derivative(f, x, n - 1, nesting));
    return acc.jvp(y, { unconnectedGradients: "zero" })!;
  }
  const tape = new gt.GradientTape();
  tape.watch(x);
  const y = tape.record(() => derivative(f, x, n - 1, nesting));
  return tape.gradient(y, x, { unconnectedGradients: "zero" })!;
}

const NESTINGS: Nesting[] = ["tapes", "accumulators", "tapes and accumulators in turn"];

// A number exponent, and a tensor of them (which the rule cannot inspect as one value).
const POWERS: [string, (c: number) => (x: Tensor) => Tensor][] = [
  ["pow(x, c)", (c) => (x) => gt.pow(x, c)],
  ["pow(x·[1, 1], [c, c])", (c) => (x) => gt.reduceMean(gt.pow(gt.multiply(x, [1, 1]), [c, c]))],
];

Deno.test("pow's derivatives at x = 0 are finite where they exist, to the 4th order in both modes, as JAX's", async (t) => {
  // Before, 0·0⁻¹ made NaN of x⁰'s, x¹'s second, x²'s third and x³'s fourth derivatives.
  // x^0.5's are infinite, as JAX's.
  const want: [number, number[]][] = [
    [0, [0, 0, 0, 0]],
    [1, [1, 0, 0, 0]],
    [2, [0, 2, 0, 0]],
    [3, [0, 0, 6, 0]],
    [0.5, [Infinity, -Infinity, Infinity, -Infinity]],
  ];
  for (const nesting of NESTINGS) {
    for (const [name, power] of POWERS) {
      for (const [c, ds] of want) {
        await t.step(`${name} with c = ${c}, by ${nesting}`, () => {
          const got = [1, 2, 3, 4].map((n) => derivative(power(c), gt.constant(0), n, nesting));
          // -0 and 0 alike
          assert.deepEqual(got.map((d) => d.item() + 0), ds);
        });
      }
    }
  }
});

Deno.test("pow's derivatives away from 0 are c(c-1)…(c-n+1)·xᶜ⁻ⁿ, in both modes", async (t) => {
  const x = gt.constant(0.7, { dtype: "float64" });
  for (const nesting of NESTINGS) {
    for (const [name, power] of POWERS) {
      await t.step(`${name}, by ${nesting}`, () => {
        for (const c of [0, 1, 2, 3, 0.5, -1.5]) {
          for (let n = 1; n <= 4; n++) {
            let want = 0.7 ** (c - n);
            for (let i = 0; i < n; i++) want *= c - i;
            assertAllClose(derivative(power(c), x, n, nesting), want, { rtol: 1e-12, atol: 1e-12 });
          }
        }
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Comparisons and logic

const comparisons: [
  string,
  (a: TensorLike, b: TensorLike) => Tensor,
  (x: number, y: number) => boolean,
][] = [
  ["equal", gt.equal, (x, y) => x === y],
  ["notEqual", gt.notEqual, (x, y) => x !== y],
  ["less", gt.less, (x, y) => x < y],
  ["lessEqual", gt.lessEqual, (x, y) => x <= y],
  ["greater", gt.greater, (x, y) => x > y],
  ["greaterEqual", gt.greaterEqual, (x, y) => x >= y],
];

Deno.test("comparisons give bool tensors matching JS operators, with broadcasting", async (t) => {
  // Small integers, so that ties occur.
  const next = lcg(99);
  const int = () => Math.floor(next() * 4) - 2;
  for (const [name, fn, ref] of comparisons) {
    for (const dtype of ["float32", "float64", "int32"] as const) {
      for (const [as_, bs] of shapePairs) {
        await t.step(`${name} [${as_}] and [${bs}] (${dtype})`, () => {
          const a = Array.from({ length: sizeOf(as_) }, int);
          const b = Array.from({ length: sizeOf(bs) }, int);
          const y = fn(gt.constant(a, { dtype, shape: as_ }), gt.constant(b, { dtype, shape: bs }));
          const r = refBinary(a, as_, b, bs, (x, z) => (ref(x, z) ? 1 : 0));
          assert.equal(y.dtype, "bool");
          assert.deepEqual(y.shape, r.shape);
          assert.deepEqual(Array.from(y.data()), r.data);
        });
      }
    }
  }
  await t.step("a plain number compares with a tensor", () => {
    assert.deepEqual(gt.greater([1, 2, 3], 2).toArray(), [false, false, true]);
    assert.deepEqual(gt.lessEqual(2, gt.constant([1, 2, 3], { dtype: "int32" })).toArray(), [
      false,
      true,
      true,
    ]);
  });
  await t.step("bool tensors compare for equality", () => {
    assert.deepEqual(gt.equal([true, false], [true, true]).toArray(), [true, false]);
    assert.deepEqual(gt.notEqual([true, false], [true, true]).toArray(), [false, true]);
  });
});

Deno.test("comparisons with NaN are false, except notEqual", () => {
  const a = gt.constant([NaN, NaN, 1]);
  const b = gt.constant([NaN, 1, NaN]);
  for (const [name, fn, ref] of comparisons) {
    assert.deepEqual(
      fn(a, b).toArray(),
      [ref(NaN, NaN), ref(NaN, 1), ref(1, NaN)],
      name,
    );
  }
  assert.deepEqual(gt.notEqual(a, b).toArray(), [true, true, true]);
  assert.deepEqual(gt.lessEqual(a, b).toArray(), [false, false, false]);
  assert.deepEqual(gt.equal(Infinity, Infinity).toArray(), true);
  assert.deepEqual(gt.less(-Infinity, -1e38).toArray(), true);
});

Deno.test("logicalAnd, logicalOr and logicalNot", async (t) => {
  await t.step("truth tables", () => {
    const a = [true, true, false, false];
    const b = [true, false, true, false];
    assert.deepEqual(gt.logicalAnd(a, b).toArray(), a.map((v, i) => v && b[i]));
    assert.deepEqual(gt.logicalOr(a, b).toArray(), a.map((v, i) => v || b[i]));
    assert.deepEqual(gt.logicalNot(a).toArray(), a.map((v) => !v));
    assert.equal(gt.logicalAnd(a, b).dtype, "bool");
    assert.equal(gt.logicalNot(true).toArray(), false);
  });
  await t.step("broadcasting a column against a row", () => {
    const col = [[true], [false]];
    const row = [true, false, true];
    assert.deepEqual(gt.logicalAnd(col, row).toArray(), [[true, false, true], [
      false,
      false,
      false,
    ]]);
    assert.deepEqual(gt.logicalOr(col, row).toArray(), [[true, true, true], [true, false, true]]);
  });
  await t.step("non-bool inputs are an error naming the op and the dtype", () => {
    assert.throws(() => gt.logicalAnd([1, 0], [true, true]), /logicalAnd.*float32/);
    assert.throws(() => gt.logicalOr([true], gt.constant([1], { dtype: "int32" })), /logicalOr/);
    assert.throws(() => gt.logicalNot([1]), /logicalNot.*float32/);
  });
});

Deno.test("where picks from a where cond is true, else from b, broadcasting all three", async (t) => {
  await t.step("same shapes", () => {
    const y = gt.where([true, false, true], [1, 2, 3], [10, 20, 30]);
    assert.deepEqual(y.toArray(), [1, 20, 3]);
    assert.equal(y.dtype, "float32");
  });
  await t.step("a column condition, a row and a scalar", () => {
    const cond = [[true], [false]];
    const a = [1, 2, 3];
    const y = gt.where(cond, a, -1);
    assert.deepEqual(y.shape, [2, 3]);
    assert.deepEqual(y.toArray(), [[1, 2, 3], [-1, -1, -1]]);
  });
  await t.step("all three broadcast to a rank-3 result", () => {
    const c = [true, false]; // [2]: picks along the last axis
    const a = gt.reshape(gt.range(0, 6, 1, "float64"), [3, 1, 2]); // a[i][0][k] = 2i + k
    const b = gt.constant([[100], [200]], { dtype: "float64" }); // [2, 1]
    const y = gt.where(c, a, b);
    assert.deepEqual(y.shape, [3, 2, 2]);
    assert.equal(y.dtype, "float64");
    const expected: number[][][] = [];
    for (let i = 0; i < 3; i++) {
      expected.push([]);
      for (let j = 0; j < 2; j++) {
        expected[i].push([]);
        for (let k = 0; k < 2; k++) expected[i][j].push(c[k] ? 2 * i + k : [100, 200][j]);
      }
    }
    assert.deepEqual(y.toArray(), expected);
  });
  await t.step("a plain number takes the other operand's dtype", () => {
    const y = gt.where([true, false], gt.constant([0.1, 0.2], { dtype: "float64" }), 0.3);
    assert.equal(y.dtype, "float64");
    assert.deepEqual(y.toArray(), [0.1, 0.3]);
  });
  await t.step("with a condition from a comparison", () => {
    const x = gt.constant([-2, 3, -1, 4]);
    assert.deepEqual(gt.where(gt.greater(x, 0), x, 0).toArray(), [0, 3, 0, 4]);
  });
  await t.step("a condition that is not bool is an error", () => {
    assert.throws(() => gt.where([1, 0], [1, 2], [3, 4]), /where.*bool/);
  });
});

Deno.test("addN sums tensors of one shape", async (t) => {
  await t.step("values", () => {
    const xs = [[[1, 2]], [[3, 4]], [[5, 6.5]]];
    const y = gt.addN(xs);
    assert.deepEqual(y.shape, [1, 2]);
    assert.deepEqual(y.toArray(), [[9, 12.5]]);
    assert.deepEqual(gt.addN([[1, 2]]).toArray(), [1, 2]);
  });
  await t.step("int32 and float64", () => {
    const i = gt.addN([gt.constant([1], { dtype: "int32" }), gt.constant([2], { dtype: "int32" })]);
    assert.equal(i.dtype, "int32");
    const d = gt.addN([gt.constant([0.1], { dtype: "float64" }), [0.2]]);
    assert.equal(d.dtype, "float64");
    assert.equal(d.item(), 0.1 + 0.2);
  });
  await t.step("different shapes are an error naming both (addN does not broadcast)", () => {
    assert.throws(
      () => gt.addN([[1, 2], [1]]),
      (e: Error) =>
        /^addN:/.test(e.message) && e.message.includes("[2]") &&
        e.message.includes("[1]"),
    );
  });
  await t.step("an empty list is an error", () => {
    assert.throws(() => gt.addN([]), /addN/);
  });
});

Deno.test("cast converts between dtypes", async (t) => {
  await t.step("float to int32 truncates toward zero", () => {
    const y = gt.cast([1.7, -1.7, 0.2, -0.9, 3], "int32");
    assert.equal(y.dtype, "int32");
    assert.deepEqual(y.toArray(), [1, -1, 0, 0, 3]);
  });
  await t.step("to bool: nonzero is true", () => {
    const y = gt.cast([0, 0.5, -2, 0], "bool");
    assert.equal(y.dtype, "bool");
    assert.deepEqual(y.toArray(), [false, true, true, false]);
  });
  await t.step("bool to numbers", () => {
    assert.deepEqual(gt.cast([true, false], "float32").toArray(), [1, 0]);
    assert.deepEqual(gt.cast([true, false], "int32").toArray(), [1, 0]);
  });
  await t.step("float32 to float64 keeps the float32 value", () => {
    const y = gt.cast(gt.constant([0.1]), "float64");
    assert.equal(y.dtype, "float64");
    assert.equal(y.item(), Math.fround(0.1));
  });
  await t.step("float64 to float32 rounds", () => {
    const y = gt.cast(gt.constant([0.1, 1 + 2 ** -30], { dtype: "float64" }), "float32");
    assert.deepEqual(Array.from(y.data()), [Math.fround(0.1), 1]);
  });
  await t.step("int32 to float64", () => {
    const y = gt.cast(gt.constant([2147483647, -5], { dtype: "int32" }), "float64");
    assert.deepEqual(y.toArray(), [2147483647, -5]);
  });
  await t.step("the shape is kept", () => {
    assert.deepEqual(gt.cast(gt.zeros([2, 3, 1]), "int32").shape, [2, 3, 1]);
  });
  await t.step("an unknown dtype is an error naming it", () => {
    assert.throws(() => gt.cast([1], "int8" as DType), /cast.*int8/);
  });
});

Deno.test("cast of NaN to bool is true (NaN is nonzero), as TensorFlow's and numpy's", async (t) => {
  await t.step("a scalar", () => {
    assert.equal(gt.cast(NaN, "bool").toArray(), true);
    assert.equal(gt.constant(NaN, { dtype: "float64" }).cast("bool").toArray(), true);
  });
  for (const dtype of ["float32", "float64"] as const) {
    await t.step(`an array of ${dtype}`, () => {
      const x = gt.constant([NaN, 0, -0, -NaN, Infinity, 1e-45], { dtype });
      assert.deepEqual(gt.cast(x, "bool").toArray(), [true, false, false, true, true, true]);
    });
  }
  await t.step("a variable made bool from a float tensor", () => {
    assert.deepEqual(new gt.Variable(gt.constant([NaN, 0]), { dtype: "bool" }).toArray(), [
      true,
      false,
    ]);
  });
});

Deno.test("stopGradient gives its input's values", () => {
  const x = gt.constant([[1.5, -2]], { dtype: "float64" });
  const y = gt.stopGradient(x);
  assert.deepEqual(y.toArray(), [[1.5, -2]]);
  assert.equal(y.dtype, "float64");
  assert.deepEqual(y.shape, [1, 2]);
});

Deno.test("tensor method forms agree with the functions", async (t) => {
  const x = gt.constant([[0.5, 1.5], [2, 3]]);
  const y = gt.constant([[2, 0.25], [1, 4]]);
  const pairs: [string, Tensor, Tensor][] = [
    ["add", x.add(y), gt.add(x, y)],
    ["sub", x.sub(y), gt.subtract(x, y)],
    ["mul", x.mul(y), gt.multiply(x, y)],
    ["div", x.div(y), gt.divide(x, y)],
    ["pow", x.pow(3), gt.pow(x, 3)],
    ["maximum", x.maximum(y), gt.maximum(x, y)],
    ["minimum", x.minimum(y), gt.minimum(x, y)],
    ["neg", x.neg(), gt.negative(x)],
    ["square", x.square(), gt.square(x)],
    ["sqrt", x.sqrt(), gt.sqrt(x)],
    ["exp", x.exp(), gt.exp(x)],
    ["log", x.log(), gt.log(x)],
    ["sin", x.sin(), gt.sin(x)],
    ["cos", x.cos(), gt.cos(x)],
    ["tanh", x.tanh(), gt.tanh(x)],
    ["sigmoid", x.sigmoid(), gt.sigmoid(x)],
    ["relu", x.neg().relu(), gt.relu(gt.negative(x))],
    ["abs", x.neg().abs(), gt.abs(gt.negative(x))],
    ["cast", x.cast("int32"), gt.cast(x, "int32")],
  ];
  for (const [name, method, fn] of pairs) {
    await t.step(name, () => {
      assert.deepEqual(method.shape, fn.shape);
      assert.equal(method.dtype, fn.dtype);
      assert.deepEqual(method.toArray(), fn.toArray());
    });
  }
  await t.step("values, computed independently", () => {
    assertAllClose(x.add(y), [[2.5, 1.75], [3, 7]]);
    assertAllClose(x.pow(3), [[0.125, 3.375], [8, 27]]);
    assertAllClose(x.sub(1).mul(2).div(4), [[-0.25, 0.25], [0.5, 1]]);
  });
});

// ---------------------------------------------------------------------------------------------
// The contract's "More ops": tests of floats, atan2, floorDiv, mod, xlogy

Deno.test("isNaN, isInf and isFinite give bool, no gradient, and refuse integers", () => {
  const I = Infinity;
  for (const dtype of ["float32", "float64"] as const) {
    const x = gt.constant([NaN, I, -I, 0, -1.5, 3e38], { dtype });
    assert.deepEqual(gt.isNaN(x).toArray(), [true, false, false, false, false, false]);
    assert.deepEqual(gt.isInf(x).toArray(), [false, true, true, false, false, false]);
    assert.deepEqual(gt.isFinite(x).toArray(), [false, false, false, true, true, true]);
    assert.equal(gt.isNaN(x).dtype, "bool");
  }
  const i = gt.constant([1], { dtype: "int32" });
  assert.throws(() => gt.isNaN(i), /isNaN: expects a float32 or float64 tensor, got int32/);
});

Deno.test("atan2 takes the quadrant and the signed zeros from its operands, as Math.atan2", () => {
  const y = [1, 1, -1, -1, 0, -0, 0, -0, 0, 2, Infinity, 3];
  const x = [1, -1, 1, -1, 1, 1, -1, -1, 0, Infinity, Infinity, -Infinity];
  for (const dtype of ["float32", "float64"] as const) {
    const got = gt.atan2(gt.constant(y, { dtype }), gt.constant(x, { dtype })).data();
    y.forEach((v, k) => {
      const want = Math.atan2(v, x[k]);
      assertSame(got[k], dtype === "float32" ? Math.fround(want) : want, `atan2(${v}, ${x[k]})`);
    });
  }
  // Broadcasting a column against a row.
  const g = gt.atan2(gt.constant([[1], [-1]], { dtype: "float64" }), [1, -1]);
  assert.deepEqual(g.toArray(), [
    [Math.PI / 4, 3 * Math.PI / 4],
    [-Math.PI / 4, -3 * Math.PI / 4],
  ]);
  assert.throws(
    () => gt.atan2(gt.constant([1], { dtype: "int32" }), 1),
    /atan2: expects a float32 or float64 tensor, got int32/,
  );
});

// Python's // and % on numbers (the floor convention TensorFlow's floordiv and floormod follow),
// written from their definition: q = ⌊a/b⌋ and r = a - q·b, r with the divisor's sign.
function pyFloorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
function pyMod(a: number, b: number): number {
  const r = a - b * Math.floor(a / b);
  return r;
}

Deno.test("floorDiv and mod on int32 follow TensorFlow's integer semantics", () => {
  const a = [7, -7, 7, -7, 0, 6, -6, 2 ** 31 - 1, -(2 ** 31), 1, -1];
  const b = [2, 2, -2, -2, 3, 3, -4, 10, 7, 2 ** 31 - 1, 2 ** 31 - 1];
  const ta = gt.constant(a, { dtype: "int32" }), tb = gt.constant(b, { dtype: "int32" });
  const q = gt.floorDiv(ta, tb), r = gt.mod(ta, tb);
  assert.equal(q.dtype, "int32");
  assert.equal(r.dtype, "int32");
  assert.deepEqual(q.toArray(), a.map((v, k) => pyFloorDiv(v, b[k])));
  assert.deepEqual(r.toArray(), a.map((v, k) => pyMod(v, b[k]) + 0));
  // Spelled out: the quotient rounds toward -Infinity, the remainder takes the divisor's sign.
  assert.deepEqual((q.toArray() as number[]).slice(0, 4), [3, -4, -4, 3]);
  assert.deepEqual((r.toArray() as number[]).slice(0, 4), [1, 1, -1, -1]);
  // -2³¹ / -1 wraps, as the store of every int32 op does.
  assert.deepEqual(gt.floorDiv(gt.constant([-(2 ** 31)], { dtype: "int32" }), -1).toArray(), [
    -(2 ** 31),
  ]);
});

Deno.test("floorDiv and mod refuse an int32 divisor of 0, naming the op", () => {
  const a = gt.constant([1, 2], { dtype: "int32" });
  for (const [name, f] of [["floorDiv", gt.floorDiv], ["mod", gt.mod]] as const) {
    assert.throws(
      () => f(a, gt.constant([1, 0], { dtype: "int32" })),
      new RegExp(`${name}: integer division by zero`),
    );
    assert.throws(() => f(a, 0), new RegExp(`${name}: integer division by zero`));
    // Floats divide by zero as IEEE does.
    assert.deepEqual(
      f(gt.constant([1, -1], { dtype: "float64" }), 0).toArray(),
      name === "floorDiv" ? [Infinity, -Infinity] : [NaN, NaN],
    );
  }
});

Deno.test("floorDiv and mod on floats: the floor convention, and Python's at the edges", () => {
  const a = [7.5, -7.5, 7.5, -7.5, 0.3, -0, 5, -5, Infinity, 1];
  const b = [2, 2, -2, -2, 0.1, 3, Infinity, Infinity, 2, NaN];
  const q = gt.floorDiv(gt.constant(a, { dtype: "float64" }), gt.constant(b, { dtype: "float64" }));
  const r = gt.mod(gt.constant(a, { dtype: "float64" }), gt.constant(b, { dtype: "float64" }));
  // Python: 7.5 // 2 = 3, -7.5 // 2 = -4, 7.5 // -2 = -4, -7.5 // -2 = 3; 7.5 % -2 = -0.5.
  assert.deepEqual((q.toArray() as number[]).slice(0, 4), [3, -4, -4, 3]);
  assert.deepEqual((r.toArray() as number[]).slice(0, 4), [1.5, 0.5, -0.5, -1.5]);
  // The remainder is computed with fmod, exactly (0.3 % 0.1 is 0.09999999999999998, as Python's).
  assert.equal((r.toArray() as number[])[4], 0.09999999999999998);
  // -0 keeps its sign; a finite dividend mod Infinity is itself, or Infinity below 0 (as numpy).
  assert.ok(Object.is((r.toArray() as number[])[5], -0));
  assert.deepEqual((r.toArray() as number[]).slice(6), [5, Infinity, NaN, NaN]);
});

Deno.test("mod's gradient is TensorFlow's: 1 in x, -floorDiv(x, y) in y; floorDiv has none", () => {
  const x = gt.constant([7.5, -7.5, 2.2], { dtype: "float64" });
  const y = gt.constant([2, 2, -0.7], { dtype: "float64" });
  const [gx, gy] = gt.grad((a: Tensor, b: Tensor) => gt.reduceSum(gt.mod(a, b)), {
    argnums: [0, 1],
  })(x, y) as Tensor[];
  assert.deepEqual(gx.toArray(), [1, 1, 1]);
  assert.deepEqual(gy.toArray(), [-3, 4, 4]);
  const tape = new gt.GradientTape();
  const out = tape.record(() => {
    tape.watch(x);
    return gt.floorDiv(x, y);
  });
  assert.equal(tape.gradient(out, x), null);
});

Deno.test("xlogy is 0 where x is 0 whatever y is, with TensorFlow's gradient", () => {
  const x = gt.constant([0, 0, 0, 2, -1, 3], { dtype: "float64" });
  const y = gt.constant([0, NaN, 5, 1, 4, Infinity], { dtype: "float64" });
  assert.deepEqual(gt.xlogy(x, y).toArray(), [0, 0, 0, 0, -Math.log(4), Infinity]);
  const [gx, gy] = gt.grad((a: Tensor, b: Tensor) => gt.reduceSum(gt.xlogy(a, b)), {
    argnums: [0, 1],
  })(
    gt.constant([0, 2, -1], { dtype: "float64" }),
    gt.constant([0, 4, 0.5], { dtype: "float64" }),
  ) as Tensor[];
  // ∂x = log y where x ≠ 0 (0 where x = 0), ∂y = x / y where x ≠ 0 (0 where x = 0).
  assert.deepEqual(gx.toArray(), [0, Math.log(4), Math.log(0.5)]);
  assert.deepEqual(gy.toArray(), [0, 0.5, -2]);
  assert.throws(
    () => gt.xlogy(gt.constant([1], { dtype: "int32" }), 1),
    /xlogy: expects a float32 or float64 tensor, got int32/,
  );
});

Deno.test("pow of an int32 base to a negative int32 power is an error, as in TensorFlow", () => {
  const base = gt.constant([2, 3], { dtype: "int32" });
  assert.throws(
    () => gt.pow(base, gt.constant([1, -1], { dtype: "int32" })),
    /pow: integers to negative integer powers are not allowed, got the exponent -1/,
  );
  assert.throws(() => gt.pow(base, -2), /pow: integers to negative integer powers/);
  assert.deepEqual(gt.pow(base, 2).toArray(), [4, 9]);
});

Deno.test("int32 floorDiv and mod: the scalar formulas, eager, and fused under jit agree bit for bit", () => {
  // The shared tables (tests/ops/_elementwise_cases.ts) leave int32 out for these two: their
  // edge values include a divisor of 0, which the kernels refuse.
  const edges = [0, 1, -1, 2, -2, 3, 7, 31, 2 ** 31 - 1, -(2 ** 31), 46341, -46341, 65536];
  const a: number[] = [], b: number[] = [];
  for (const u of edges) for (const v of edges) if (v !== 0) a.push(u), b.push(v);
  const ta = gt.constant(a, { dtype: "int32" }), tb = gt.constant(b, { dtype: "int32" });
  for (const [name, f] of [["floorDiv", gt.floorDiv], ["mod", gt.mod]] as const) {
    const prim = registry[name];
    const body = prim.scalar!(["x[i]", "y[i]"], "int32");
    const loop = compileFormulas(
      `function (x, y, o) { for (let i = 0; i < o.length; i++) o[i] = ${body}; }`,
    ) as (x: Int32Array, y: Int32Array, o: Float64Array) => void;
    const want = new Float64Array(a.length);
    loop(Int32Array.from(a), Int32Array.from(b), want);
    const eager = f(ta, tb).data();
    want.forEach((w, k) => {
      assert.ok(w === (w | 0), `${name}(${a[k]}, ${b[k]}): formula gives ${w}, not an int32`);
      assert.ok(Object.is(eager[k], w), `${name}(${a[k]}, ${b[k]}): ${eager[k]} against ${w}`);
    });
    const jitted = gt.jit((x: Tensor, y: Tensor) => gt.negative(gt.negative(f(gt.abs(x), y))));
    const ref = gt.negative(gt.negative(f(gt.abs(ta), tb)));
    assert.deepEqual(jitted(ta, tb).toArray(), ref.toArray());
    assert.match(jitted.program(ta, tb).toString(), new RegExp(`fused\\[[a-zA-Z ]*\\b${name}\\b`));
  }
});
