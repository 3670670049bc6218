/** The fast kernels against the plain reference loops they replace. */
import assert from "node:assert/strict";
import {
  binaryLoops,
  f32UnaryLoops,
  mapBinary,
  sumKernel,
  unaryLoops,
} from "../../src/core/kernels/elementwise.ts";
import { product } from "../runtimes/wasm_probe.ts";
import { transposeKernel } from "../../src/core/kernels/matmul.ts";
import { broadcastShapes, sizeOf, stridesOf } from "../../src/core/shape.ts";
import { broadcastStrides, forEachPlane, forEachRow } from "../../src/core/kernels/strided.ts";
import { elementwiseLoops } from "../../src/core/kernels/generated.ts";
import { registry } from "../../src/ops/registry.ts";
import {
  heap,
  holdWorker,
  JOB,
  jobsPosted,
  kernels,
  runJob,
  scratchStart,
  wasmAvailable,
  wasmThreaded,
  wasmThreadedRuns,
  workerHeld,
} from "../../src/core/kernels/wasm/runtime.ts";
import { Generator } from "../../src/core/random.ts";
import { readyWorker } from "../_helpers.ts";
import { assertAllClose } from "../../src/testing/mod.ts";

function randomF32(n: number, g: Generator): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = g.nextNormal();
  return a;
}

Deno.test("the WebAssembly SIMD kernel is available in Deno, with a worker thread", () => {
  assert.ok(wasmAvailable());
  assert.ok(wasmThreaded());
});

Deno.test("float32 matmul (WebAssembly SIMD) matches the reference loop", async (t) => {
  const g = new Generator(7);
  // Odd sizes exercise the zero padding; transposes the copies read in place (A stored
  // transposed) or transposed on the way in (B); batches the strides.
  const cases: [number[], number[], boolean, boolean][] = [
    [[33, 17], [17, 45], false, false],
    [[64, 64], [64, 64], false, false],
    [[17, 33], [17, 45], true, false],
    [[33, 17], [45, 17], false, true],
    [[17, 33], [45, 17], true, true],
    [[3, 20, 300], [300, 9], false, false],
    [[2, 1, 12, 40], [3, 40, 70], false, false],
    [[300, 5], [5, 300], false, false],
    [[1, 600], [600, 1], false, false],
    // One operand shared by every batch: done as a single product (rows stacked, or columns
    // side by side), with and without transposes.
    [[5, 30, 40], [40, 20], false, false],
    [[5, 30, 40], [20, 40], false, true],
    [[30, 40], [5, 40, 20], false, false],
    [[40, 30], [5, 20, 40], true, true],
    [[2, 3, 30, 40], [40, 1], false, false],
    [[100, 100], [100, 100, 1], false, false],
    // An empty inner dimension gives zeros (the kernel never runs over K).
    [[70, 0], [0, 90], false, false],
    // Outer products (k = 1, each example's weight gradient under vmap), batched and transposed.
    [[8, 784, 1], [8, 1, 128], false, false],
    [[8, 1, 784], [8, 1, 128], true, false],
    [[8, 784, 1], [8, 128, 1], false, true],
    // Rows not a multiple of four floats (padded in the kernel's memory), and unbatched.
    [[3, 100, 1], [3, 1, 63], false, false],
    [[130, 1], [1, 50], false, false],
    [[1, 130], [50, 1], true, true],
    // Rows of 256 floats get padded strides in the kernel's memory (A, B, A stored transposed).
    [[20, 256], [256, 256], false, false],
    [[40, 256], [40, 24], true, false],
    [[30, 40], [256, 40], false, true],
    // Wider than tall: the threads share it by columns.
    [[64, 500], [500, 640], false, false],
    // Large enough for a worker to take half the rows, where workers are available.
    [[260, 300], [300, 264], false, false],
    [[300, 260], [264, 300], true, true],
  ];
  for (const [as, bs, ta, tb] of cases) {
    await t.step(`[${as}]${ta ? "ᵀ" : ""} @ [${bs}]${tb ? "ᵀ" : ""}`, () => {
      const a = randomF32(as.reduce((x, y) => x * y), g);
      const b = randomF32(bs.reduce((x, y) => x * y), g);
      const [fast, shape] = product(a, as, b, bs, ta, tb, "float32");
      const [ref, refShape] = product(a, as, b, bs, ta, tb, "float32", true);
      assert.deepEqual(shape, refShape);
      const k = ta ? as[as.length - 2] : as[as.length - 1];
      // float32 sums of k products: error grows like √k·ε relative to the terms' scale.
      assertAllClose(fast, ref, { rtol: 1e-5, atol: 1e-6 * Math.sqrt(k) * 4 });
    });
  }
});

// The products a worker shares, each way a job is split and its operands streamed: by rows (A's
// rows copied in chunk by chunk, or A transposed and copied whole) and by columns, with edges
// that are not multiples of the kernel's blocks.
const SHARED_PRODUCTS: [string, number, number, number, boolean, boolean][] = [
  ["by rows", 300, 280, 270, false, false],
  ["by rows, ragged edges", 301, 279, 269, false, false],
  ["by rows, A transposed", 298, 130, 257, true, false],
  ["by rows, B transposed", 257, 200, 150, false, true],
  ["by columns", 64, 500, 640, false, false],
  ["by columns, ragged edges", 61, 333, 645, true, true],
];

Deno.test("products shared with the worker match the reference loop and the unshared kernel", async (t) => {
  const g = new Generator(11);
  const cases = SHARED_PRODUCTS.map(([name, m, k, n, ta, tb]) => {
    const as = ta ? [k, m] : [m, k], bs = tb ? [n, k] : [k, n];
    const a = randomF32(m * k, g), b = randomF32(k * n, g);
    const [alone] = product(a, as, b, bs, ta, tb, "float32");
    const [ref] = product(a, as, b, bs, ta, tb, "float32", true);
    return { name, run: () => product(a, as, b, bs, ta, tb, "float32")[0], alone, ref };
  });
  // Started here rather than once products have taken long enough alone.
  await readyWorker();
  for (const { name, run, alone, ref } of cases) {
    await t.step(name, async () => {
      const before = wasmThreadedRuns();
      for (let i = 0; i < 100 && wasmThreadedRuns() === before; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const shared = run();
        assertAllClose(shared, ref, { rtol: 1e-5, atol: 1e-4 });
        // Every element is the same kernel's sum whichever thread computes it.
        assert.deepEqual(shared, alone);
      }
      assert.ok(wasmThreadedRuns() > before, "a worker shared the product");
    });
  }
});

Deno.test("back-to-back shared products, some done here before the worker wakes, match the unshared kernel", async () => {
  const g = new Generator(5);
  const as = [128, 260], bs = [260, 136];
  const a = randomF32(128 * 260, g), b = randomF32(260 * 136, g);
  const [alone] = product(a, as, b, bs, false, false, "float32");
  await readyWorker();
  // A sleeping worker takes a while to wake: this thread may take every chunk of one product and
  // post the next while the worker is still looking at the last (which must then run here alone).
  for (let i = 0; i < 300; i++) {
    const [shared] = product(a, as, b, bs, false, false, "float32");
    assert.deepEqual(shared, alone, `product ${i}`);
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
  }
});

Deno.test("a kernel that fails on either thread throws here, and later jobs run as before", async () => {
  const k = kernels()!;
  const g = new Generator(6);
  const as = [128, 260], bs = [260, 136];
  const a = randomF32(128 * 260, g), b = randomF32(260 * 136, g);
  const [alone] = product(a, as, b, bs, false, false, "float32");
  await readyWorker();
  // exp over 2¹⁶ elements in 16 chunks, reading 2 GiB in: every chunk traps.
  const n = 1 << 16, chunk = n / 16;
  heap(k, 4 * n);
  const params = [2 ** 31, scratchStart(), 0];
  // Each chunk's operands go in slowly, so the worker, woken by the job, claims each chunk while
  // this thread is still filling it, and this thread finds none left: every trap is the worker's.
  const slow = {
    fill() {
      for (const t = performance.now(); performance.now() - t < 2;);
    },
    drain() {},
  };
  // (A worker that has not woken from the last job, on a loaded machine, leaves the job to this
  // thread, which traps itself: rounds go on, with pauses, until the worker's trap is seen.)
  const failures: string[] = [];
  const theWorkers = (m: string) =>
    /^exp \(a WebAssembly kernel\): trapped on the kernels' worker thread/.test(m);
  for (let round = 0; round < 50 && !failures.some(theWorkers); round++) {
    await new Promise((r) => setTimeout(r, 10));
    assert.throws(() => runJob(k, JOB.exp, params, n, chunk, true, slow), (e: Error) => {
      failures.push(e.message);
      return true;
    });
  }
  assert.ok(failures.some(theWorkers), failures.join("\n"));
  // Without a stream, both threads trap; this one rethrows its own once the worker is out.
  assert.throws(() => runJob(k, JOB.exp, params, n, chunk, true));
  // Nothing is left waiting or writing: products are shared as before, and right.
  const before = wasmThreadedRuns();
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(product(a, as, b, bs, false, false, "float32")[0], alone);
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.ok(wasmThreadedRuns() > before, "the worker shares jobs again");
});

Deno.test({
  name: "a held worker takes the products posted meanwhile, the same as ever, until released",
  ignore: !wasmThreaded(),
  async fn() {
    const g = new Generator(17);
    const as = [300, 280], bs = [280, 270];
    const a = randomF32(300 * 280, g), b = randomF32(280 * 270, g);
    const [alone] = product(a, as, b, bs, false, false, "float32");
    await readyWorker();
    holdWorker(true);
    try {
      assert.ok(workerHeld());
      const [shared, posted] = [wasmThreadedRuns(), jobsPosted()];
      // Held, the worker spins rather than sleeps between them: it takes part in one at once.
      for (let i = 0; i < 50 && wasmThreadedRuns() === shared; i++) {
        await new Promise((r) => setTimeout(r, 1));
        assert.deepEqual(product(a, as, b, bs, false, false, "float32")[0], alone);
      }
      assert.ok(wasmThreadedRuns() > shared, "the held worker shared a product");
      assert.ok(jobsPosted() > posted);
    } finally {
      holdWorker(false);
    }
    assert.equal(workerHeld(), false);
  },
});

Deno.test("loops generated from scalar formulas match the hand-written loops on every broadcast layout", async (t) => {
  const g = new Generator(13);
  const shapes: [number[], number[]][] = [
    [[6, 5], [6, 5]],
    [[6, 5], []],
    [[], [6, 5]],
    [[6, 5], [5]],
    [[6, 5], [1, 5]],
    [[2, 3, 4], [3, 4]],
    [[2, 3, 4], [1, 1, 4]],
    [[6, 5], [6, 1]],
    [[5], [6, 5]],
    [[6, 1], [1, 5]],
    [[2, 3, 4], [2, 3, 1]],
    [[4, 1, 3], [1, 5, 1]],
    [[2, 1, 3, 4], [5, 1, 4]],
  ];
  const ops = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "maximum",
    "greater",
    "greaterEqual",
    "less",
    "lessEqual",
  ] as const;
  for (const op of ops) {
    const formula = registry[op].scalar!;
    for (const dtype of ["float32", "float64"] as const) {
      const out = op.startsWith("greater") || op.startsWith("less") ? "bool" : dtype;
      const loops = elementwiseLoops(op, 2, (d) => (args) => formula(args, d));
      for (const [as, bs] of shapes) {
        await t.step(`${op} ${dtype} [${as}] [${bs}]`, () => {
          const a = randomF32(sizeOf(as), g), b = randomF32(sizeOf(bs), g);
          // Ties, where ≥ and > differ; NaN, which every comparison fails.
          if (a.length === b.length) a[0] = b[0];
          a[a.length - 1] = NaN;
          const [ad, bd] = dtype === "float32"
            ? [a, b]
            : [Float64Array.from(a), Float64Array.from(b)];
          const shape = broadcastShapes("test", as, bs), size = sizeOf(shape);
          const make = () =>
            out === "bool"
              ? new Uint8Array(size)
              : dtype === "float32"
              ? new Float32Array(size)
              : new Float64Array(size);
          const got = make(), want = make();
          loops.run(got, shape, out, [
            { data: ad, shape: as, dtype },
            { data: bd, shape: bs, dtype },
          ]);
          mapBinary(want, shape, ad, as, bd, bs, binaryLoops[op]);
          // Element by element: a NaN's sign and payload may differ between V8's tiers (Math.max
          // of NaN), which deepEqual, comparing float arrays' bytes, would count.
          for (let i = 0; i < size; i++) {
            if (!Object.is(got[i], want[i])) assert.fail(`element ${i}: ${got[i]}, not ${want[i]}`);
          }
        });
      }
    }
  }
});

Deno.test("forEachPlane and forEachRow visit every output element once, with each broadcast input's offset", () => {
  const g = new Generator(29);
  const pick = (n: number) => Math.floor(g.nextFloat() * n);
  for (let c = 0; c < 300; c++) {
    const shape = Array.from({ length: pick(5) }, () => 1 + pick(4));
    // Each input drops some leading axes and keeps each other one whole or broadcast (size 1).
    const inputs = Array.from({ length: 1 + pick(3) }, () => {
      const drop = pick(shape.length + 1);
      return shape.slice(drop).map((d) => (g.nextFloat() < 0.4 ? 1 : d));
    });
    const strides = inputs.map((s) => broadcastStrides(s, shape));
    // Each element's offsets by index arithmetic.
    const size = sizeOf(shape), outStrides = stridesOf(shape);
    const want = Array.from(
      { length: size },
      (_, e) =>
        strides.map((st) =>
          st.reduce((sum, stride, d) => sum + Math.floor(e / outStrides[d]) % shape[d] * stride, 0)
        ),
    );
    const byPlane: number[][] = new Array(size);
    forEachPlane(shape, strides, (o, at, rows, n, outer, inner) => {
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < n; j++) {
          assert.equal(byPlane[o + r * n + j], undefined, `[${shape}]: element visited twice`);
          byPlane[o + r * n + j] = at.map((a, i) => a + r * outer[i] + j * inner[i]);
        }
      }
    });
    const byRow: number[][] = new Array(size);
    forEachRow(shape, strides, (o, at, n, inner) => {
      for (let j = 0; j < n; j++) byRow[o + j] = at.map((a, i) => a + j * inner[i]);
    });
    assert.deepEqual(byPlane, want, `planes of [${shape}] from [${inputs.join("], [")}]`);
    assert.deepEqual(byRow, want, `rows of [${shape}] from [${inputs.join("], [")}]`);
  }
});

Deno.test("float32 relu matches the generic loop, bit for bit, on every kind of value", () => {
  const g = new Generator(19);
  const a = randomF32(1000, g);
  const negativeNaN = new Float32Array(new Int32Array([0xffc00000 | 0]).buffer)[0];
  [0, -0, Infinity, -Infinity, NaN, negativeNaN, 1e-45, -1e-45, 3e38, -3e38].forEach((v, i) =>
    a[i * 97] = v
  );
  const fast = new Float32Array(a.length), want = new Float32Array(a.length);
  f32UnaryLoops.relu(fast, a, a.length);
  unaryLoops.relu(want, a, a.length);
  assert.deepEqual(
    new Int32Array(fast.buffer).map((bits, i) => Number.isNaN(fast[i]) ? 1 : bits),
    new Int32Array(want.buffer).map((bits, i) => Number.isNaN(want[i]) ? 1 : bits),
  );
  assert.ok(Number.isNaN(fast[5 * 97]), "a NaN of either sign stays NaN");
});

Deno.test("sumKernel adds arrays and numbers in order in float64, rounding once", async (t) => {
  const g = new Generator(3);
  await t.step("float64: the same values as adding left to right", () => {
    for (const k of [1, 2, 3, 4, 5, 8, 9]) {
      const n = 37;
      const terms = Array.from(
        { length: k },
        (_, i) =>
          i % 3 === 2 ? g.nextNormal() : Float64Array.from({ length: n }, () => g.nextNormal()),
      );
      const out = new Float64Array(n);
      sumKernel(out, terms, n);
      const at = (t: number | Float64Array, i: number) => typeof t === "number" ? t : t[i];
      const want = Float64Array.from(
        { length: n },
        (_, i) => terms.slice(1).reduce((acc: number, t) => acc + at(t, i), at(terms[0], i)),
      );
      assert.deepEqual(out, want);
    }
  });
  await t.step("float32: the float64 sum rounded once", () => {
    const n = 1000;
    const a = randomF32(n, g), b = randomF32(n, g), c = randomF32(n, g);
    const out = new Float32Array(n);
    sumKernel(out, [a, 0.25, b, c], n);
    for (let i = 0; i < n; i++) assert.equal(out[i], Math.fround(a[i] + b[i] + c[i] + 0.25));
  });
  await t.step("-0 stays -0, numbers alone fill, int32 wraps as int32 adds do", () => {
    const z = new Float32Array([-0, -0]), out = new Float32Array(2);
    sumKernel(out, [z, z], 2);
    assert.ok(Object.is(out[0], -0));
    sumKernel(out, [1.5, 2], 2);
    assert.deepEqual([...out], [3.5, 3.5]);
    const big = new Int32Array([2 ** 31 - 1, -(2 ** 31)]), ints = new Int32Array(2);
    sumKernel(ints, [big, big, new Int32Array([1, -1])], 2);
    assert.deepEqual([...ints], [(2 ** 31 - 1) * 2 + 1 | 0, -(2 ** 32) - 1 | 0]);
  });
});

// Σ_p op(A)[i][p]·op(B)[p][j] in float64, and Σ_p |op(A)[i][p]·op(B)[p][j]|, the scale of its
// rounding error.
function matmulF64(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  ta: boolean,
  tb: boolean,
): [Float64Array, Float64Array] {
  const sum = new Float64Array(m * n), abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, t = 0;
      for (let p = 0; p < k; p++) {
        const v = a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
        s += v;
        t += Math.abs(v);
      }
      sum[i * n + j] = s;
      abs[i * n + j] = t;
    }
  }
  return [sum, abs];
}

Deno.test("float32 matmul (WebAssembly SIMD) sums a long inner dimension in blocks, as accurately as float32 allows", async (t) => {
  const g = new Generator(23);
  // Positive terms are the hard case, a running float32 sum growing past its terms: summed term
  // by term, these products err by 1·10⁻⁶ of the total at k = 1000 and 1·10⁻⁵ at 70000; in
  // blocks, by less than 4·10⁻⁷ at any k.
  for (const k of [1000, 4096 + 300, 70000]) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      await t.step(`k = ${k}, ${ta ? "aᵀ" : "a"}·${tb ? "bᵀ" : "b"}`, () => {
        const m = 9, n = 13;
        const a = Float32Array.from({ length: m * k }, () => g.nextFloat());
        const b = Float32Array.from({ length: k * n }, () => g.nextFloat());
        const [out] = product(
          a,
          ta ? [k, m] : [m, k],
          b,
          tb ? [n, k] : [k, n],
          ta,
          tb,
          "float32",
        );
        const [want, scale] = matmulF64(a, b, m, k, n, ta, tb);
        let worst = 0;
        for (let i = 0; i < out.length; i++) {
          worst = Math.max(worst, Math.abs(out[i] - want[i]) / scale[i]);
        }
        assert.ok(worst < 5e-7, `relative error ${worst} at k = ${k}`);
      });
    }
  }
  await t.step("1000 terms of 0.03 (and 70000), batched, come within 1·10⁻⁶ of float64", () => {
    for (const k of [1000, 70000]) {
      const m = 8, n = 8, c = Math.fround(0.03);
      const a = new Float32Array(2 * m * k).fill(c), b = new Float32Array(k * n).fill(1);
      const [out, shape] = product(a, [2, m, k], b, [k, n], false, false, "float32");
      assert.deepEqual(shape, [2, m, n]);
      for (const v of out) assert.ok(Math.abs(v / (c * k) - 1) < 1e-6, `${v} for ${c * k}`);
    }
  });
});

Deno.test("transposeKernel: tiled, block-copied and strided paths against index arithmetic", () => {
  const cases: [number[], number[]][] = [
    [[3, 40, 1100], [2, 1, 0]], // the output's last axis strides 44,000 apart: tiled
    [[2, 37, 5, 1030], [3, 2, 0, 1]], // tiles with remainders, other axes between
    [[1030, 17], [1, 0]], // a matrix: one tile row short
    [[4, 5, 70], [1, 0, 2]], // rows of 70 contiguous: block copies
    [[6, 7, 8], [2, 0, 1]], // small: the strided loop
  ];
  for (const [shape, perm] of cases) {
    const n = sizeOf(shape);
    for (const dtype of ["float32", "float64"] as const) {
      const C = dtype === "float32" ? Float32Array : Float64Array;
      const x = new C(n).map((_, i) => i);
      const out = new C(n).fill(-1);
      transposeKernel(out, x, shape, perm);
      const outShape = perm.map((p) => shape[p]);
      const inStrides = shape.map((_, d) => sizeOf(shape.slice(d + 1)));
      for (let o = 0; o < n; o++) {
        // The output index's coordinates, mapped back to the input's flat index.
        let rest = o, src = 0;
        for (let d = outShape.length - 1; d >= 0; d--) {
          src += (rest % outShape[d]) * inStrides[perm[d]];
          rest = Math.floor(rest / outShape[d]);
        }
        if (out[o] !== src) {
          assert.fail(`${shape} by ${perm} (${dtype}): out[${o}] = ${out[o]}, not ${src}`);
        }
      }
    }
  }
});

Deno.test("large float64 products, row by row, equal each element's sum over p in order", () => {
  const g = new Generator(23);
  // [batch..., m, k] @ [k, n]: m not a multiple of 4, transposed A, and a batch, above the size
  // where rows of A are taken four at a time.
  const cases: [number[], number[], boolean][] = [
    [[67, 45], [45, 50], false],
    [[45, 67], [45, 50], true],
    [[2, 33, 40], [40, 30], false],
  ];
  for (const [as, bs, ta] of cases) {
    const a = Float64Array.from(randomF32(sizeOf(as), g)),
      b = Float64Array.from(randomF32(sizeOf(bs), g));
    const [out, shape] = product(a, as, b, bs, ta, false, "float64");
    const r = as.length, k = ta ? as[r - 2] : as[r - 1], m = ta ? as[r - 1] : as[r - 2];
    const n = bs[1], batches = sizeOf(as.slice(0, -2));
    assert.deepEqual(shape, [...as.slice(0, -2), m, n]);
    for (let q = 0; q < batches; q++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) {
            s += a[q * m * k + (ta ? p * m + i : i * k + p)] * b[p * n + j];
          }
          assert.equal(out[q * m * n + i * n + j], s, `${as} @ ${bs}: (${q}, ${i}, ${j})`);
        }
      }
    }
  }
});
