/**
 * Arrays that live in the kernels' memory (src/core/kernels/wasm/runtime.ts `residentArray`), as a
 * compiled program's buffers and constants do: their blocks, and each WebAssembly kernel reading
 * and writing them in place, against the same kernel on ordinary arrays, bit for bit, touching
 * nothing outside the arrays it writes.
 */
import assert from "node:assert/strict";
import { matmulKernel, matmulShape } from "../../src/core/kernels/matmul.ts";
import { simdExp, simdSin } from "../../src/core/kernels/wasm/math.ts";
import {
  addressOf,
  endsResident,
  freeResident,
  residentArray,
  scratchStart,
  wasmThreadedRuns,
} from "../../src/core/kernels/wasm/runtime.ts";
import { type LoopInput, V, vectorLoop } from "../../src/core/kernels/wasm/vector.ts";
import { Generator } from "../../src/core/random.ts";
import { readyWorker } from "../_helpers.ts";

const F32: LoopInput = { kind: "array", dtype: "float32" };
const F64: LoopInput = { kind: "array", dtype: "float64" };

function resident(n: number, dtype: "float32" | "float64" = "float32"): Float32Array {
  const a = residentArray(dtype, n);
  assert.ok(a !== null, "shared memory is available in Deno");
  return a as Float32Array;
}

// A resident copy of `values`, with a guard array right after its block whose values must stay.
function residentCopy(values: Float32Array | Float64Array): {
  array: Float32Array;
  check(): void;
  free(): void;
} {
  const dtype = values instanceof Float64Array ? "float64" : "float32";
  const array = resident(values.length, dtype);
  array.set(values);
  const guard = resident(64);
  guard.fill(-7);
  return {
    array,
    check: () => assert.ok(guard.every((v) => v === -7), "nothing past the array was written"),
    free: () => [array, guard].forEach(freeResident),
  };
}

// Bit for bit, naming the first element that differs (a failing deepEqual of a long array spends
// minutes on its diff).
function assertSame(
  actual: Float32Array | Float64Array,
  expected: Float32Array | Float64Array,
): void {
  assert.equal(actual.length, expected.length);
  const bits = (a: Float32Array | Float64Array) =>
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const x = bits(actual), y = bits(expected);
  const i = x.findIndex((v, j) => v !== y[j]);
  if (i >= 0) {
    const e = Math.floor(i / actual.BYTES_PER_ELEMENT);
    assert.fail(`element ${e} of ${actual.length}: ${actual[e]}, not ${expected[e]}`);
  }
}

function randomF32(n: number, g: Generator): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = g.nextNormal();
  return a;
}

Deno.test("resident arrays: blocks past the control words, reused once freed, scratch past them all", () => {
  const a = resident(1000), b = resident(10, "float64");
  assert.ok(addressOf(a) > 0 && addressOf(b) > addressOf(a) + 4000);
  assert.equal(addressOf(new Float32Array(4)), -1);
  assert.ok(scratchStart() >= addressOf(b) + 80 && scratchStart() % 16 === 0);
  assert.ok(endsResident(a, 1000) && !endsResident(a, 999) && !endsResident(a.subarray(0, 10), 10));
  // A freed block serves the next array that fits in it; the scratch space moves back with the last.
  const at = addressOf(a);
  freeResident(a);
  const c = resident(500);
  assert.equal(addressOf(c), at);
  const end = scratchStart();
  freeResident(b);
  assert.ok(scratchStart() < end);
  freeResident(c);
});

// [A's shape, B's shape, transposeA, transposeB]: A by rows in place (rows a multiple of 4), A
// stored transposed in place, B in place, C in place (m a multiple of 4, n of 8), and those that
// go through scratch instead (ragged edges, B transposed), batched too.
const PRODUCTS: [number[], number[], boolean, boolean][] = [
  [[32, 17], [17, 48], false, false],
  [[33, 17], [17, 45], false, false],
  [[17, 36], [17, 40], true, false],
  [[17, 33], [45, 17], true, true],
  [[128, 256], [256, 10], false, false],
  [[128, 10], [256, 10], false, true],
  [[128, 256], [128, 10], true, false],
  [[40, 256], [256, 256], false, false],
  [[256, 40], [256, 24], true, false],
  // Rows 4 KiB apart are copied rather than read in place (B; A stored transposed).
  [[16, 64], [64, 1024], false, false],
  [[64, 1024], [64, 16], true, false],
  [[3, 20, 300], [300, 9], false, false],
  // Outer products (k = 1), C in place when its rows are whole vectors of four.
  [[8, 784, 1], [8, 1, 128], false, false],
  [[130, 1], [1, 52], false, false],
  [[130, 1], [1, 50], false, false],
  [[64, 500], [500, 640], false, false],
  [[260, 300], [300, 264], false, false],
  [[300, 260], [300, 264], true, false],
];

Deno.test("matmul reads and writes resident operands in place, with the values it gives through scratch", async (t) => {
  const g = new Generator(3);
  await readyWorker();
  const sharedBefore = wasmThreadedRuns();
  for (const [as, bs, ta, tb] of PRODUCTS) {
    await t.step(`[${as}]${ta ? "ᵀ" : ""} @ [${bs}]${tb ? "ᵀ" : ""}`, () => {
      const a = randomF32(as.reduce((x, y) => x * y), g);
      const b = randomF32(bs.reduce((x, y) => x * y), g);
      const { batch, m, n } = matmulShape(as, bs, ta, tb);
      const size = batch.reduce((x, y) => x * y, 1) * m * n;
      const plain = new Float32Array(size);
      matmulKernel(plain, a, as, b, bs, ta, tb, "float32");
      const ra = residentCopy(a), rb = residentCopy(b), out = residentCopy(new Float32Array(size));
      try {
        matmulKernel(out.array, ra.array, as, rb.array, bs, ta, tb, "float32");
        assertSame(out.array, plain);
        assertSame(ra.array, a);
        assertSame(rb.array, b);
        [ra, rb, out].forEach((r) => r.check());
        // A result written to an ordinary array from resident operands, and the reverse.
        const mixed = new Float32Array(size);
        matmulKernel(mixed, ra.array, as, b, bs, ta, tb, "float32");
        assertSame(mixed, plain);
        matmulKernel(out.array.fill(0), a, as, rb.array, bs, ta, tb, "float32");
        assertSame(out.array, plain);
        out.check();
      } finally {
        [ra, rb, out].forEach((r) => r.free());
      }
    });
  }
  // The largest again until the worker takes part (one slow to wake leaves it all to this thread).
  const [as, bs] = PRODUCTS.at(-2)!, a = randomF32(260 * 300, g), b = randomF32(300 * 264, g);
  const plain = new Float32Array(260 * 264);
  matmulKernel(plain, a, as, b, bs, false, false, "float32");
  const ra = residentCopy(a), rb = residentCopy(b), out = residentCopy(new Float32Array(260 * 264));
  try {
    for (let i = 0; i < 100 && wasmThreadedRuns() === sharedBefore; i++) {
      await new Promise((r) => setTimeout(r, 10));
      matmulKernel(out.array, ra.array, as, rb.array, bs, false, false, "float32");
      assertSame(out.array, plain);
    }
  } finally {
    [ra, rb, out].forEach((r) => r.free());
  }
  assert.ok(wasmThreadedRuns() > sharedBefore, "the worker shared the large products in place");
});

Deno.test("generated SIMD loops read and write resident arrays in place, padding lanes in their spare bytes", async (t) => {
  const g = new Generator(9);
  const x = V.input(0), y = V.input(1);
  const cases: [string, ReturnType<typeof V.exp>, LoopInput[], "float32" | "float64", number][] = [
    ["x·y + x, 1027 elements", V.add(V.mul(x, y), x), [F32, F32], "float32", 1027],
    ["exp(x)·y, 4096 elements", V.mul(V.exp(x), y), [F32, F32], "float32", 4096],
    ["x − y in float64, 1025 elements", V.sub(x, y), [F64, F64], "float64", 1025],
    // Long and costly enough for the worker to take chunks of it.
    [
      "sin(x)·exp(y), 2¹⁸ + 3 elements",
      V.mul(V.sin(x), V.exp(y)),
      [F32, F32],
      "float32",
      (1 << 18) + 3,
    ],
  ];
  await readyWorker();
  for (const [name, root, kinds, dtype, n] of cases) {
    await t.step(name, () => {
      const make = () => {
        const a = randomF32(n, g);
        return dtype === "float64" ? Float64Array.from(a) : a;
      };
      const xs = [make(), make()];
      const plain = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
      const loop = vectorLoop(root, kinds, dtype)!;
      assert.ok(loop(plain, xs, n));
      const ins = xs.map(residentCopy), out = residentCopy(plain.map(() => 0));
      try {
        assert.ok(loop(out.array, ins.map((r) => r.array), n));
        assertSame(out.array, plain);
        ins.forEach((r, i) => assertSame(r.array, xs[i]));
        [...ins, out].forEach((r) => r.check());
        // An output that does not end its block goes through scratch: what follows it stays.
        const head = out.array.subarray(0, n - 1);
        out.array[n - 1] = 12345;
        assert.ok(loop(head, ins.map((r) => r.array.subarray(0, n - 1)), n - 1));
        assertSame(head, plain.subarray(0, n - 1));
        assert.equal(out.array[n - 1], 12345);
      } finally {
        [...ins, out].forEach((r) => r.free());
      }
    });
  }
});

Deno.test("math.wat's kernels read and write resident arrays in place", () => {
  const g = new Generator(4);
  for (const n of [1025, 4096, (1 << 17) + 1]) {
    const x = randomF32(n, g);
    x[7] = 1e5; // outside sin's range: the TypeScript loop takes that element
    for (const kernel of [simdSin, simdExp]) {
      const plain = new Float32Array(n);
      kernel(plain, x, n);
      const rx = residentCopy(x), out = residentCopy(new Float32Array(n));
      try {
        kernel(out.array, rx.array, n);
        assertSame(out.array, plain);
        assertSame(rx.array, x);
        [rx, out].forEach((r) => r.check());
        // An output that does not end its block, with padding lanes: what follows it stays.
        const m = n - 2, head = out.array.subarray(0, m);
        out.array[m] = 12345;
        kernel(head, rx.array, m);
        assertSame(head, plain.subarray(0, m));
        assert.equal(out.array[m], 12345);
      } finally {
        [rx, out].forEach((r) => r.free());
      }
    }
  }
});
