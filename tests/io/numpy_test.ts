import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { inflateRaw } from "../../src/io/_inflate.ts";
import { crc32 } from "../../src/io/_zip.ts";
import { throwsWith } from "../_helpers.ts";

// What a caller without a type checker may pass.
const js = (x: unknown): never => x as never;

const CASES: { dtype: gt.DType; shape: number[]; values: gt.TensorLike }[] = [
  { dtype: "float32", shape: [2, 3], values: [[1.5, -2, NaN], [Infinity, 1e-40, -0]] },
  { dtype: "float64", shape: [2, 1, 2], values: [[[Math.E, -1e300]], [[5e-324, 0]]] },
  { dtype: "int32", shape: [3], values: [2147483647, -2147483648, 0] },
  { dtype: "bool", shape: [2, 2], values: [[true, false], [false, true]] },
  { dtype: "float64", shape: [], values: -0.5 },
  { dtype: "bool", shape: [], values: true },
  { dtype: "float32", shape: [0], values: new Float32Array(0) },
  { dtype: "int32", shape: [3, 0], values: [[], [], []] },
];

const make = (c: (typeof CASES)[number]) =>
  gt.constant(c.values, { dtype: c.dtype, shape: c.shape });

function assertSameTensor(actual: gt.Tensor, expected: gt.Tensor): void {
  assert.equal(actual.dtype, expected.dtype);
  assert.deepEqual(actual.shape, expected.shape);
  const a = actual.data(), e = expected.data();
  assert.deepEqual(
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    new Uint8Array(e.buffer, e.byteOffset, e.byteLength),
  );
}

Deno.test("toNpy() then fromNpy() gives back every dtype and shape bit for bit, 0-d and empty included", () => {
  for (const c of CASES) assertSameTensor(gt.io.fromNpy(gt.io.toNpy(make(c))), make(c));
});

Deno.test("toNpy() writes numpy's 1.0 header, padded so that the values start at a multiple of 64", () => {
  const header = (t: gt.Tensor) => {
    const b = gt.io.toNpy(t);
    const len = b[8] | (b[9] << 8);
    assert.equal((10 + len) % 64, 0);
    assert.equal(b[10 + len - 1], 0x0a, "the header ends with a newline");
    return new TextDecoder().decode(b.subarray(10, 10 + len)).trimEnd();
  };
  assert.equal(
    header(gt.zeros([2, 3])),
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
  );
  assert.equal(
    header(gt.zeros([4], "int32")),
    "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }",
  );
  assert.equal(
    header(gt.constant(1, { dtype: "float64" })),
    "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
  );
  assert.equal(
    header(gt.constant([true])),
    "{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }",
  );
});

Deno.test("toNpy() takes a variable and anything constant() takes", () => {
  assert.deepEqual(gt.io.fromNpy(gt.io.toNpy(new gt.Variable([1, 2]))).toArray(), [1, 2]);
  assert.deepEqual(gt.io.fromNpy(gt.io.toNpy([[1, 2]])).toArray(), [[1, 2]]);
});

/** A .npy file with `header` (the dict text) and `data`, version `major`. */
function npy(header: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const at = major === 1 ? 10 : 12;
  const h = new TextEncoder().encode(header + "\n");
  const out = new Uint8Array(at + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(h, at);
  out.set(data, at + h.length);
  return out;
}

Deno.test("fromNpy() reads uint16, uint32 and uint64, int8, and format 3.0", () => {
  const u2 = new Uint8Array(new Uint16Array([65535, 1]).buffer);
  assert.deepEqual(
    gt.io.fromNpy(npy("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", u2)).toArray(),
    [65535, 1],
  );
  const u8 = new Uint8Array(new BigUint64Array([3n, 2n ** 31n - 1n]).buffer);
  assert.deepEqual(
    gt.io.fromNpy(npy("{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }", u8)).toArray(),
    [3, 2 ** 31 - 1],
  );
  const i1 = new Uint8Array(new Int8Array([-128, 5]).buffer);
  assert.deepEqual(
    gt.io.fromNpy(npy("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", i1, 3))
      .toArray(),
    [-128, 5],
  );
  // A Python 2 header: long integers with an L suffix.
  const f8 = new Uint8Array(new Float64Array([1, 2]).buffer);
  assert.deepEqual(
    gt.io.fromNpy(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1L, 2L), }", f8))
      .toArray(),
    [[1, 2]],
  );
});

Deno.test("fromNpy() says what is wrong with a foreign, damaged or unsupported file", () => {
  throwsWith(
    () => gt.io.fromNpy(js([1, 2])),
    TypeError,
    /fromNpy: takes the file's bytes as a Uint8Array/,
  );
  throwsWith(
    () => gt.io.fromNpy(new TextEncoder().encode("hello, world")),
    Error,
    /fromNpy: not a .npy file \(it does not start with \\x93NUMPY\)/,
  );
  throwsWith(
    () => gt.io.fromNpy(npy("{}", undefined, 4)),
    Error,
    /fromNpy: .npy format version 4.0 is not one of 1.0, 2.0, 3.0/,
  );
  throwsWith(
    () => gt.io.fromNpy(npy("{'descr': '<f4', 'shape': (2,), }")),
    Error,
    /lacks descr, fortran_order or shape/,
  );
  throwsWith(
    () => gt.io.fromNpy(npy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,), }")),
    Error,
    /fromNpy: a structured array \(descr is a list of fields\) is not supported/,
  );
  throwsWith(
    () => gt.io.fromNpy(npy("{'descr': '<U5', 'fortran_order': False, 'shape': (2,), }")),
    Error,
    /dtype '<U5' is not one gradtape reads: the readable dtypes are float16\/32\/64/,
  );
  throwsWith(
    () => gt.io.fromNpy(npy("{'descr': '<f16', 'fortran_order': False, 'shape': (2,), }")),
    Error,
    /dtype '<f16' is not one gradtape reads: only float16, float32 and float64/,
  );
  throwsWith(
    () => gt.io.fromNpy(npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }")),
    Error,
    /dtype '\|O' is not one/,
  );
  throwsWith(
    () =>
      gt.io.fromNpy(
        npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(8)),
      ),
    Error,
    /fromNpy: shape \[3\] needs 12 bytes of values, the file has 8: it is truncated/,
  );
  const full = gt.io.toNpy(gt.zeros([2]));
  throwsWith(
    () => gt.io.fromNpy(full.subarray(0, 40)),
    Error,
    /the header runs past the end of the 40 bytes/,
  );
});

Deno.test("toNpz() then fromNpz() gives back every dtype and shape, in order", () => {
  const arrays = Object.fromEntries(CASES.map((c, i) => [`a${i}`, make(c)]));
  const back = gt.io.fromNpz(gt.io.toNpz(arrays));
  assert.deepEqual(Object.keys(back), Object.keys(arrays));
  for (const k of Object.keys(arrays)) assertSameTensor(back[k], arrays[k]);
  assert.deepEqual(gt.io.fromNpz(gt.io.toNpz({})), {});
  assert.deepEqual(
    Object.keys(gt.io.fromNpz(gt.io.toNpz({ "layer/w": gt.zeros([1]), "ü": gt.zeros([1]) }))),
    ["layer/w", "ü"],
  );
});

Deno.test("toNpz() writes the same bytes for the same arrays (no timestamps)", () => {
  const a = gt.io.toNpz({ x: gt.constant([1, 2]) });
  const b = gt.io.toNpz({ x: gt.constant([1, 2]) });
  assert.deepEqual(a, b);
});

Deno.test("fromNpz() refuses a damaged archive: a flipped byte fails the CRC-32", () => {
  const bytes = gt.io.toNpz({ x: gt.constant([1, 2, 3]) });
  const damaged = bytes.slice();
  damaged[170] ^= 1; // inside x.npy's values (30 + 5 + 128 header bytes before them)
  throwsWith(
    () => gt.io.fromNpz(damaged),
    Error,
    /fromNpz: member 'x.npy' fails its CRC-32 check: the file is damaged/,
  );
  const sizes = bytes.slice();
  sizes[200] ^= 1; // the uncompressed size in the central directory
  throwsWith(() => gt.io.fromNpz(sizes), Error, /fromNpz: member 'x.npy''s sizes disagree/);
  throwsWith(
    () => gt.io.fromNpz(gt.io.toNpy(gt.zeros([2]))),
    Error,
    /fromNpz: not a zip archive.*it is a .npy file: read it with fromNpy/,
  );
  throwsWith(
    () => gt.io.fromNpz(js({ x: 1 })),
    TypeError,
    /fromNpz: takes the file's bytes as a Uint8Array/,
  );
  throwsWith(
    () => gt.io.toNpz(js({ x: [1, 2] })),
    TypeError,
    /toNpz: arrays.x is \[1, 2\], not a tensor or variable/,
  );
  throwsWith(
    () => gt.io.toNpz(js([gt.zeros([1])])),
    TypeError,
    /toNpz: takes a record of named arrays/,
  );
});

Deno.test("crc32() gives the tabulated check value of '123456789'", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("deflate-raw"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("inflateRaw() undoes the platform's deflate on text, runs, noise and empty input", async () => {
  let seed = 1;
  const noise = Uint8Array.from(
    { length: 70000 },
    () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24,
  );
  const text = new TextEncoder().encode(
    "the quick brown fox jumps over the lazy dog. ".repeat(2000),
  );
  const runs = new Uint8Array(100000).map((_, i) => (i >> 10) & 3);
  const floats = new Uint8Array(Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i)).buffer);
  for (const data of [noise, text, runs, floats, new Uint8Array(0), new Uint8Array([7])]) {
    const packed = await deflateRaw(data);
    assert.deepEqual(inflateRaw(packed), data);
    assert.deepEqual(inflateRaw(packed, data.length), data);
  }
});

Deno.test("inflateRaw() reads stored and fixed-Huffman blocks written by hand", () => {
  // A final stored block of "hi": header bits 1 (final), 00 (stored), then LEN, NLEN, the bytes.
  assert.deepEqual(
    inflateRaw(new Uint8Array([0x01, 2, 0, 0xfd, 0xff, 0x68, 0x69])),
    new Uint8Array([0x68, 0x69]),
  );
  // zlib's fixed-Huffman encoding of "a" (raw deflate of one byte at level 9).
  assert.deepEqual(inflateRaw(new Uint8Array([0x4b, 0x04, 0x00])), new Uint8Array([0x61]));
});

Deno.test("inflateRaw() reads a stored block after a Huffman block (a full flush), from the bytes read ahead", () => {
  // zlib (Python's, level 9, raw): "hello hello hello ", a full flush (an empty stored block),
  // then "world, hello".
  const hex = "ca48cdc9c957c8402201000000ffff2bcf2fca49d151c848cdc9c90700";
  const bytes = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
  assert.equal(new TextDecoder().decode(inflateRaw(bytes)), "hello hello hello world, hello");
});

Deno.test("inflateRaw() refuses corrupt and truncated streams rather than returning garbage", async () => {
  const data = new TextEncoder().encode("abcabcabcabc".repeat(100));
  const packed = await deflateRaw(data);
  throwsWith(
    () => inflateRaw(packed.subarray(0, packed.length - 3)),
    Error,
    /inflate: the compressed data ends early/,
  );
  throwsWith(() => inflateRaw(new Uint8Array([0x07])), Error, /inflate: block type 3 is reserved/);
  throwsWith(
    () => inflateRaw(new Uint8Array([0x01, 2, 0, 0, 0, 0x68, 0x69])),
    Error,
    /stored block's length does not match its complement/,
  );
  throwsWith(
    () => inflateRaw(packed, data.length - 1),
    Error,
    /decompresses to more than the 1199 bytes recorded/,
  );
  throwsWith(
    () => inflateRaw(packed, data.length + 1),
    Error,
    /decompresses to 1200 bytes, not the 1201 recorded/,
  );
});

// numpy itself, when this machine has it: it reads what gradtape writes.
const python = (() => {
  try {
    const r = new Deno.Command("python3", { args: ["-c", "import numpy"], stderr: "null" })
      .outputSync();
    return r.code === 0;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "np.load reads toNpy's and toNpz's files (needs python3 with numpy)",
  ignore: !python,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(
        `${dir}/a.npy`,
        gt.io.toNpy(gt.constant([[1.5, -2]], { dtype: "float64" })),
      );
      await Deno.writeFile(
        `${dir}/b.npz`,
        gt.io.toNpz({
          x: gt.constant([1, 2], { dtype: "int32" }),
          m: gt.constant([true, false]),
          s: gt.constant(0.25),
        }),
      );
      const script = "import numpy as np, json, sys; a = np.load(sys.argv[1] + '/a.npy'); " +
        "b = np.load(sys.argv[1] + '/b.npz'); " +
        "print(json.dumps([str(a.dtype), a.tolist(), sorted(b.files), str(b['x'].dtype), b['x'].tolist(), " +
        "b['m'].tolist(), str(b['s'].dtype), b['s'].shape, float(b['s'])]))";
      const r = new Deno.Command("python3", {
        args: ["-c", script, dir],
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      assert.deepEqual(JSON.parse(new TextDecoder().decode(r.stdout)), [
        "float64",
        [[1.5, -2]],
        ["m", "s", "x"],
        "int32",
        [1, 2],
        [true, false],
        "float32",
        [],
        0.25,
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
