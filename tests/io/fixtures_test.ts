/**
 * Files written by numpy 2.4 and by the safetensors library 0.8, and a safetensors file written
 * byte by byte from the format's specification, all by fixtures/make_fixtures.py, read by gt.io.
 * The expected values repeat the script's formulas.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { throwsWith } from "../_helpers.ts";

const dir = new URL("./fixtures/", import.meta.url);
const read = (name: string) => Deno.readFileSync(new URL(name, dir));

// The script's base(n): 0.25 + (-1)^k · k · 0.5.
const base = (n: number) => Array.from({ length: n }, (_, k) => (-1) ** k * k * 0.5 + 0.25);
const M = [base(6).slice(0, 3), base(6).slice(3)];

function expectTensor(t: gt.Tensor, dtype: gt.DType, shape: number[], values: unknown): void {
  assert.equal(t.dtype, dtype);
  assert.deepEqual(t.shape, shape);
  assert.deepEqual(t.toArray(), values);
}

Deno.test("fromNpy() reads numpy's float32 (little-endian) and float64 (big-endian) arrays", () => {
  expectTensor(gt.io.fromNpy(read("f32_le.npy")), "float32", [2, 3], M);
  expectTensor(gt.io.fromNpy(read("f64_be.npy")), "float64", [2, 3], M);
});

Deno.test("fromNpy() reads big-endian int32, and int64, uint8 and int16 (format 2.0) as int32", () => {
  expectTensor(gt.io.fromNpy(read("i32_be.npy")), "int32", [3, 2], [[-3, -2], [-1, 0], [1, 2]]);
  expectTensor(gt.io.fromNpy(read("i64.npy")), "int32", [4], [0, -1, 2 ** 31 - 1, -(2 ** 31)]);
  expectTensor(gt.io.fromNpy(read("u8.npy")), "int32", [3], [0, 7, 255]);
  expectTensor(gt.io.fromNpy(read("v2.npy")), "int32", [3], [1, -2, 3]);
});

Deno.test("fromNpy() refuses int64 values outside int32, naming the first and its index", () => {
  throwsWith(
    () => gt.io.fromNpy(read("i64_big.npy")),
    RangeError,
    /fromNpy: integers outside int32, the first 1099511627776 at flat index 1/,
    /convert the array to int32/,
  );
});

Deno.test("fromNpy() widens float16 exactly to float32, the largest and the smallest included", () => {
  expectTensor(gt.io.fromNpy(read("f16.npy")), "float32", [4], [1.5, -0.25, 65504, 2 ** -24]);
});

Deno.test("fromNpy() reads bool, 0-d, empty and Fortran-order arrays", () => {
  expectTensor(gt.io.fromNpy(read("bool.npy")), "bool", [2, 3], [[true, false, true], [
    false,
    false,
    true,
  ]]);
  expectTensor(gt.io.fromNpy(read("scalar.npy")), "float64", [], 3.5);
  expectTensor(gt.io.fromNpy(read("empty.npy")), "float32", [0, 3], []);
  // np.arange(24).reshape(2, 3, 4) in column-major storage reads back in C order.
  const fortran = gt.io.fromNpy(read("fortran.npy"));
  assert.deepEqual(fortran.shape, [2, 3, 4]);
  assert.deepEqual(Array.from(fortran.data()), Array.from({ length: 24 }, (_, i) => i));
});

Deno.test("fromNpy() refuses complex arrays and says what to do", () => {
  throwsWith(
    () => gt.io.fromNpy(read("complex.npy")),
    Error,
    /fromNpy: dtype '<c16' is not one gradtape reads: complex arrays are not supported/,
  );
});

const ARRAYS = {
  x: { dtype: "float32", shape: [2, 3], values: M },
  n: { dtype: "int32", shape: [5], values: [0, 1, 2, 3, 4] },
  flags: { dtype: "bool", shape: [2], values: [true, false] },
  s: { dtype: "float64", shape: [], values: -1.25 },
} as const;

function expectArrays(got: Record<string, gt.Tensor>): void {
  assert.deepEqual(Object.keys(got), ["x", "n", "flags", "s", "long"]);
  for (const [name, { dtype, shape, values }] of Object.entries(ARRAYS)) {
    expectTensor(got[name], dtype, [...shape], values);
  }
  const long = got.long;
  assert.deepEqual([long.dtype, ...long.shape], ["float64", 20, 50]);
  const data = long.data();
  for (let i = 0; i < data.length; i++) assert.equal(data[i], i % 50);
}

Deno.test("fromNpz() reads np.savez's stored archive", () => {
  expectArrays(gt.io.fromNpz(read("stored.npz")));
});

Deno.test("fromNpz() reads np.savez_compressed's deflated archive", () => {
  expectArrays(gt.io.fromNpz(read("deflated.npz")));
});

Deno.test("fromNpz() names positional arrays arr_0, arr_1 as np.savez does", () => {
  const { arr_0, arr_1 } = gt.io.fromNpz(read("positional.npz"));
  expectTensor(arr_0, "float32", [2, 3], M);
  expectTensor(arr_1, "int32", [3], [0, 1, 2]);
});

Deno.test("fromSafetensors() reads a file written from the specification, every dtype", () => {
  const t = gt.io.fromSafetensors(read("mixed.safetensors"));
  assert.deepEqual(Object.keys(t).sort(), [
    "brain",
    "bytes",
    "count",
    "empty",
    "half",
    "ids",
    "layer.0.bias",
    "layer.0.weight",
    "mask",
  ]);
  expectTensor(t["layer.0.weight"], "float32", [2, 3], M);
  expectTensor(t["layer.0.bias"], "float64", [3], base(3));
  expectTensor(t.ids, "int32", [2, 2], [[1, -2], [3, 4]]);
  expectTensor(t.count, "int32", [], 7);
  expectTensor(t.mask, "bool", [3], [true, false, true]);
  expectTensor(t.half, "float32", [2], [0.5, -3]);
  expectTensor(t.brain, "float32", [3], [1.5, -2, 0.0078125]);
  expectTensor(t.bytes, "int32", [2], [200, 1]);
  expectTensor(t.empty, "float32", [2, 0], [[], []]);
  assert.deepEqual(gt.io.safetensorsMetadata(read("mixed.safetensors")), {
    format: "pt",
    source: "make_fixtures.py",
  });
});

Deno.test("fromSafetensors() reads a file written by the safetensors library itself", () => {
  const bytes = read("library.safetensors");
  const t = gt.io.fromSafetensors(bytes);
  expectTensor(t["encoder.weight"], "float32", [2, 3], M);
  expectTensor(t["encoder.bias"], "float32", [2], [0.5, -1.5]);
  expectTensor(t.steps, "int32", [], 12);
  expectTensor(t.flags, "bool", [2, 1], [[true], [false]]);
  assert.deepEqual(gt.io.safetensorsMetadata(bytes), { framework: "numpy" });
});
