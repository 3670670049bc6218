import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { throwsWith } from "../_helpers.ts";

// What a caller without a type checker may pass.
const js = (x: unknown): never => x as never;

const CASES: { dtype: gt.DType; shape: number[]; values: gt.TensorLike }[] = [
  { dtype: "float32", shape: [2, 3], values: [[1.5, -2, 0], [3.25, 1e-30, -7]] },
  { dtype: "float64", shape: [3], values: [Math.PI, -1e300, 5e-324] },
  { dtype: "int32", shape: [2, 2], values: [[2147483647, -2147483648], [0, -1]] },
  { dtype: "bool", shape: [4], values: [true, false, false, true] },
  { dtype: "float32", shape: [], values: 2.5 },
  { dtype: "int32", shape: [], values: -9 },
  { dtype: "float64", shape: [0], values: new Float64Array(0) },
  { dtype: "bool", shape: [2, 0, 3], values: [[], []] },
];

function tensorOf(c: (typeof CASES)[number]): gt.Tensor {
  return gt.constant(c.values, { dtype: c.dtype, shape: c.shape });
}

Deno.test("toSafetensors() then fromSafetensors() gives back every dtype and shape, 0-d and empty included", () => {
  const tree = Object.fromEntries(CASES.map((c, i) => [`t${i}`, tensorOf(c)]));
  const back = gt.io.fromSafetensors(gt.io.toSafetensors(tree));
  assert.equal(Object.keys(back).length, CASES.length);
  CASES.forEach((c, i) => {
    const t = back[`t${i}`];
    assert.equal(t.dtype, c.dtype);
    assert.deepEqual(t.shape, c.shape);
    assert.deepEqual(t.data(), tensorOf(c).data());
  });
});

Deno.test("toSafetensors() keeps NaN, infinities and the sign of zero bit for bit", () => {
  const x = new Float32Array([NaN, Infinity, -Infinity, -0, 0]);
  const back = gt.io.fromSafetensors(gt.io.toSafetensors({ x: gt.constant(x) })).x.data();
  assert.deepEqual(new Uint8Array(back.buffer), new Uint8Array(x.buffer));
});

Deno.test("toSafetensors() writes the layout of the specification: length, JSON header, aligned data", () => {
  const bytes = gt.io.toSafetensors({
    b: gt.constant([1, 2], { dtype: "int32" }),
    a: gt.constant([0.5], { dtype: "float64" }),
  });
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const n = Number(view.getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0, "the data starts on an 8-byte boundary");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header, {
    a: { dtype: "F64", shape: [1], data_offsets: [0, 8] },
    b: { dtype: "I32", shape: [2], data_offsets: [8, 16] },
  });
  assert.equal(bytes.length, 8 + n + 16);
  assert.equal(view.getFloat64(8 + n, true), 0.5);
  assert.equal(view.getInt32(8 + n + 8, true), 1);
  assert.equal(view.getInt32(8 + n + 12, true), 2);
});

Deno.test("toSafetensors() names leaves by their paths joined by '/', arrays by index, or by the keys given", () => {
  const w = new gt.Variable([[1]]);
  const bytes = gt.io.toSafetensors({
    dense: { kernel: w, bias: gt.constant([0]) },
    blocks: [{ scale: gt.constant(1) }, { scale: gt.constant(2) }],
    "head/kernel": gt.constant([3]),
    unused: null,
  });
  assert.deepEqual(Object.keys(gt.io.fromSafetensors(bytes)), [
    "blocks/0/scale",
    "blocks/1/scale",
    "dense/bias",
    "dense/kernel",
    "head/kernel",
  ]);
  assert.deepEqual(Object.keys(gt.io.fromSafetensors(gt.io.toSafetensors([w, w]))), ["0", "1"]);
});

Deno.test("toSafetensors() walks a module's own fields, skipping what holds no tensors", () => {
  class Dense {
    units = 2;
    activation = (x: gt.Tensor) => x;
    kernel = new gt.Variable([[1, 2]]);
    bias = new gt.Variable([0, 0]);
  }
  class Model {
    name = "model";
    layers = [new Dense(), new Dense()];
  }
  const back = gt.io.fromSafetensors(gt.io.toSafetensors(new Model()));
  assert.deepEqual(Object.keys(back), [
    "layers/0/bias",
    "layers/0/kernel",
    "layers/1/bias",
    "layers/1/kernel",
  ]);
  assert.deepEqual(back["layers/1/kernel"].toArray(), [[1, 2]]);
});

Deno.test("toSafetensors() stores metadata strings, and safetensorsMetadata() reads them", () => {
  const bytes = gt.io.toSafetensors({ w: gt.constant(1) }, {
    metadata: { format: "pt", "é": "ü ✓" },
  });
  assert.deepEqual(gt.io.safetensorsMetadata(bytes), { format: "pt", "é": "ü ✓" });
  assert.deepEqual(Object.keys(gt.io.fromSafetensors(bytes)), ["w"]);
  assert.deepEqual(gt.io.safetensorsMetadata(gt.io.toSafetensors({ w: gt.constant(1) })), {});
});

Deno.test("toSafetensors() refuses a lone tensor, non-tensor leaves, non-string metadata and clashing names", () => {
  throwsWith(
    () => gt.io.toSafetensors(gt.constant(1)),
    TypeError,
    /toSafetensors: takes a record of named tensors.*a lone tensor \(it would have no name\)/,
  );
  throwsWith(
    () => gt.io.toSafetensors(js({ a: { step: 3 } })),
    TypeError,
    /toSafetensors: a\/step is 3, not a tensor/,
  );
  throwsWith(
    () => gt.io.toSafetensors({ w: gt.constant(1) }, { metadata: js({ step: 3 }) }),
    TypeError,
    /toSafetensors: metadata.step is 3: the format stores strings only/,
  );
  throwsWith(
    () => gt.io.toSafetensors({ w: gt.constant(1) }, js({ metdata: {} })),
    TypeError,
    /toSafetensors: unknown option 'metdata' \(did you mean 'metadata'\?\)/,
  );
  throwsWith(
    () => gt.io.toSafetensors({ "a/b": gt.constant(1), a: { b: gt.constant(2) } }),
    Error,
    /toSafetensors: two entries are named 'a\/b'/,
  );
  throwsWith(
    () => gt.io.toSafetensors({ __metadata__: gt.constant(1) }),
    Error,
    /toSafetensors: the name '__metadata__' is the format's own header entry/,
  );
});

/** A safetensors file with `header` (an object, serialized) and `data`. */
function file(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

Deno.test("fromSafetensors() reads 8-bit floats (E4M3 and E5M2) at tabulated values", () => {
  // E4M3 (fn): 0x7e = 448, the largest; 0x08 = 2^-6, the smallest normal; 0x01 = 2^-9; 0xb8 = -1.
  // E5M2: 0x7b = 57344, the largest; 0x7c = +inf; 0x3c = 1; 0x01 = 2^-16.
  const t = gt.io.fromSafetensors(
    file({
      a: { dtype: "F8_E4M3", shape: [5], data_offsets: [0, 5] },
      b: { dtype: "F8_E5M2", shape: [4], data_offsets: [5, 9] },
    }, new Uint8Array([0x7e, 0x08, 0x01, 0xb8, 0x7f, 0x7b, 0x7c, 0x3c, 0x01])),
  );
  assert.deepEqual(t.a.toArray(), [448, 2 ** -6, 2 ** -9, -1, NaN]);
  assert.deepEqual(t.b.toArray(), [57344, Infinity, 1, 2 ** -16]);
});

Deno.test("fromSafetensors() reads I8, I16, U16, U32, U64 as int32 and refuses values outside int32", () => {
  const data = new Uint8Array(2 + 4 + 4 + 8 + 8);
  const v = new DataView(data.buffer);
  v.setInt8(0, -128);
  v.setInt8(1, 127);
  v.setInt16(2, -32768, true);
  v.setUint16(6, 65535, true);
  v.setUint32(12, 2 ** 31 - 1, true);
  v.setBigUint64(18, 5n, true);
  const t = gt.io.fromSafetensors(file({
    i8: { dtype: "I8", shape: [2], data_offsets: [0, 2] },
    i16: { dtype: "I16", shape: [1], data_offsets: [2, 4] },
    u16: { dtype: "U16", shape: [2], data_offsets: [4, 8] },
    u32: { dtype: "U32", shape: [2], data_offsets: [8, 16] },
    u64: { dtype: "U64", shape: [1], data_offsets: [18, 26] },
  }, data));
  assert.deepEqual(t.i8.toArray(), [-128, 127]);
  assert.deepEqual(t.i16.toArray(), [-32768]);
  assert.deepEqual(t.u16.toArray(), [0, 65535]);
  assert.deepEqual(t.u32.toArray(), [0, 2 ** 31 - 1]);
  assert.deepEqual(t.u64.toArray(), [5]);
  v.setUint32(8, 2 ** 31, true);
  throwsWith(
    () =>
      gt.io.fromSafetensors(file({ u: { dtype: "U32", shape: [1], data_offsets: [8, 12] } }, data)),
    RangeError,
    /fromSafetensors: tensor 'u': integers outside int32, the first 2147483648 at flat index 0/,
  );
});

Deno.test("fromSafetensors() says what is wrong with a damaged or foreign file", () => {
  const ok = gt.io.toSafetensors({ w: gt.constant([1, 2]) });
  throwsWith(() => gt.io.fromSafetensors(js("model.safetensors")), TypeError, /Uint8Array/);
  throwsWith(() => gt.io.fromSafetensors(new Uint8Array(3)), Error, /3 bytes is too short/);
  throwsWith(
    () => gt.io.fromSafetensors(ok.subarray(0, 20)),
    Error,
    /the header length \d+ runs past the end of the 20 bytes/,
  );
  throwsWith(
    () => gt.io.fromSafetensors(gt.io.toNpy(gt.constant(1))),
    Error,
    /fromSafetensors: the header length \d+ runs past the end/,
  );
  const notJson = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b]);
  throwsWith(() => gt.io.fromSafetensors(notJson), Error, /the header is not valid JSON/);
  throwsWith(
    () => gt.io.fromSafetensors(file({ w: { dtype: "C64", shape: [1], data_offsets: [0, 8] } })),
    Error,
    /tensor 'w': dtype "C64" \(a string\) is not one gradtape reads: the readable dtypes are F64, F32/,
  );
  throwsWith(
    () => gt.io.fromSafetensors(file({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } })),
    Error,
    /tensor 'w': its 8 bytes do not hold shape \[3\] of F32 \(12 bytes\)/,
  );
  throwsWith(
    () => gt.io.fromSafetensors(file({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } })),
    Error,
    /tensor 'w': its bytes \[0, 8\) run past the end of the data \(0 bytes\): the file is truncated/,
  );
  throwsWith(
    () => gt.io.fromSafetensors(file({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } })),
    Error,
    /tensor 'w': the shape \[-1\] is not a list of sizes/,
  );
});

Deno.test("fromSafetensors() takes an ArrayBuffer too, and a Uint8Array at an odd offset", () => {
  const bytes = gt.io.toSafetensors({ w: gt.constant([1, 2, 3]) });
  assert.deepEqual(gt.io.fromSafetensors(bytes.slice().buffer).w.toArray(), [1, 2, 3]);
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual(gt.io.fromSafetensors(shifted.subarray(1)).w.toArray(), [1, 2, 3]);
});

Deno.test("JSON.stringify of a tensor and of a variable gives nested arrays", () => {
  assert.equal(JSON.stringify(gt.constant([[1, 2], [3, 4]])), "[[1,2],[3,4]]");
  assert.equal(JSON.stringify({ v: new gt.Variable([true, false]) }), '{"v":[true,false]}');
  assert.equal(JSON.stringify(new gt.Variable(2.5)), "2.5");
  assert.equal(JSON.stringify(gt.zeros([2, 0])), "[[],[]]");
});

Deno.test("fromSafetensors() and fromNpz() keep a tensor named __proto__ as an entry", () => {
  const t = gt.io.fromSafetensors(
    file({ ["__proto__"]: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)),
  );
  assert.deepEqual(Object.keys(t), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(t), Object.prototype);
  const z = gt.io.fromNpz(gt.io.toNpz({ ["__proto__"]: gt.zeros([1]) }));
  assert.deepEqual(Object.keys(z), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(z), Object.prototype);
});
