/**
 * The generated SIMD loops (src/core/kernels/wasm/vector.ts) against the float32 kernels they
 * stand in for, bit for bit: each op's vector formula from the registry, math.wat's sin, cos and
 * exp, addN's float64 sum, single values, rows repeated along the output, lengths that are not
 * multiples of 4 or of a block, and the report of lanes out of range.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { primitives } from "../../src/ops/registry.ts";
import {
  freeResident,
  residentArray,
  startWorker,
  wasmThreadedRuns,
} from "../../src/core/kernels/wasm/runtime.ts";
import { readyWorker } from "../_helpers.ts";
import {
  float64Ops,
  generatedModules,
  type LoopInput,
  V,
  vectorLoop,
  vectorLoops,
  type VNode,
} from "../../src/core/kernels/wasm/vector.ts";

const available = vectorLoops();
const F32: LoopInput = { kind: "array", dtype: "float32" };
// The comparisons' bools are lanes of 1.0 and 0.0, which equal their kernels' 1 and 0.
const BINARY = new Set([
  "add",
  "subtract",
  "multiply",
  "divide",
  "maximum",
  "minimum",
  "equal",
  "notEqual",
  "less",
  "lessEqual",
  "greater",
  "greaterEqual",
]);

function values(n: number, lo: number, hi: number, seed: number): Float32Array {
  return gt.random.uniform([n], { minval: lo, maxval: hi, seed }).data() as Float32Array;
}

// Runs `root` over `inputs` and compares with `expected` bit for bit; returns the loop's report.
function same(root: VNode, inputs: Float32Array[], expected: gt.Tensor, n: number): boolean {
  const kinds = inputs.map((x): LoopInput => ({
    kind: x.length === n ? "array" : "single",
    dtype: "float32",
  }));
  const out = new Float32Array(n);
  const inRange = vectorLoop(root, kinds)!(out, inputs, n);
  if (!inRange) return false;
  const e = expected.data();
  for (let i = 0; i < n; i++) {
    if (!Object.is(out[i], e[i])) {
      assert.fail(`element ${i} of ${n}: ${out[i]} (SIMD) against ${e[i]} (kernel)`);
    }
  }
  return true;
}

Deno.test({
  name: "vector: each primitive's vector formula rounds as its float32 kernel does",
  ignore: !available,
  fn() {
    const n = 1003; // not a multiple of 4
    const a = values(n, -30, 30, 1), b = values(n, -30, 30, 2);
    // Zeros of both signs, NaN and infinities where the op is defined on them.
    a.set([0, -0, NaN, Infinity, -Infinity, 1e-40], 0);
    b.set([-0, 0, 1, -Infinity, NaN, 0], 0);
    const ta = gt.constant(a, { shape: [n] }), tb = gt.constant(b, { shape: [n] });
    let checked = 0;
    for (const [name, prim] of Object.entries(primitives)) {
      const vector = (prim as { vector?: (args: VNode[], dtype: "float32") => VNode }).vector;
      if (vector === undefined || name === "addN") continue;
      const arity = BINARY.has(name) ? 2 : 1;
      const op = name === "cast"
        ? (x: gt.Tensor) => gt.cast(x, "float32")
        : (gt as unknown as Record<string, (...xs: gt.Tensor[]) => gt.Tensor>)[name];
      const expected = arity === 2 ? op(ta, tb) : op(ta);
      const root = vector(arity === 2 ? [V.input(0), V.input(1)] : [V.input(0)], "float32");
      const inputs = arity === 2 ? [a, b] : [a];
      // sin, cos and exp report the NaN and infinities as out of their range: compare the rest.
      if (!same(root, inputs, expected, n)) {
        const tail = n - 8;
        const expectedTail = arity === 2
          ? op(gt.slice(ta, [8], [tail]), gt.slice(tb, [8], [tail]))
          : op(gt.slice(ta, [8], [tail]));
        assert.ok(
          same(root, inputs.map((x) => x.slice(8)), expectedTail, tail),
          `${name}: finite inputs in range are served`,
        );
      }
      checked++;
    }
    assert.ok(checked >= 19, `${checked} primitives have vector formulas`);
  },
});

Deno.test({
  name: "vector: sin, cos and exp over their whole ranges, as the eager kernels",
  ignore: !available,
  fn() {
    const n = 20_001; // more than two blocks
    const x = values(n, -8192, 8192, 3);
    const t = gt.constant(x, { shape: [n] });
    assert.ok(same(V.sin(V.input(0)), [x], gt.sin(t), n));
    assert.ok(same(V.cos(V.input(0)), [x], gt.cos(t), n));
    const y = values(n, -87, 88, 4);
    assert.ok(same(V.exp(V.input(0)), [y], gt.exp(gt.constant(y, { shape: [n] })), n));
  },
});

Deno.test({
  name: "vector: lanes outside sin's or exp's range are reported, not computed wrongly",
  ignore: !available,
  fn() {
    const n = 300;
    for (const bad of [8193, -1e6, NaN, Infinity]) {
      const x = values(n, -2, 2, 5);
      x[n - 1] = bad; // in the last, padded group of lanes
      const out = new Float32Array(n);
      assert.equal(vectorLoop(V.sin(V.input(0)), [F32])!(out, [x], n), false, `sin(${bad})`);
    }
    const x = values(n, -2, 2, 6);
    x[7] = 89;
    assert.equal(vectorLoop(V.exp(V.input(0)), [F32])!(new Float32Array(n), [x], n), false);
  },
});

Deno.test({
  name: "vector: addN's sum in float64, a single value, and shared subexpressions",
  ignore: !available,
  fn() {
    const n = 513;
    // Terms whose float32 running sum would round differently from the float64 one.
    const a = values(n, -1, 1, 7).map((v) => v * 1e8), b = values(n, -1, 1, 8);
    const c = values(n, -1, 1, 9).map((v) => -v * 1e8);
    const [ta, tb, tc] = [a, b, c].map((v) => gt.constant(v, { shape: [n] }));
    assert.ok(
      same(V.sum([V.input(0), V.input(1), V.input(2)]), [a, b, c], gt.addN([ta, tb, tc]), n),
    );
    const s = new Float32Array([0.1]);
    const x = V.input(0);
    // sin x·eˣ + eˣ·cos x + 0.1·x: exp and the reduction computed once.
    const root = V.sum([
      V.mul(V.sin(x), V.exp(x)),
      V.mul(V.exp(x), V.cos(x)),
      V.mul(V.input(1), x),
    ]);
    const expected = gt.addN([
      gt.multiply(gt.sin(tb), gt.exp(tb)),
      gt.multiply(gt.exp(tb), gt.cos(tb)),
      gt.multiply(0.1, tb),
    ]);
    assert.ok(same(root, [b, s], expected, n));
  },
});

Deno.test({
  name: "vector: long arrays shared with the worker give the same values and reports",
  ignore: !available,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!startWorker()) return; // no workers here: the other tests cover the one thread
    // The worker becomes ready a little after it starts.
    for (let i = 0; i < 100 && wasmThreadedRuns() === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const warm = new Float32Array(1 << 16);
      vectorLoop(V.exp(V.input(0)), [F32])!(new Float32Array(1 << 16), [warm], 1 << 16);
    }
    const before = wasmThreadedRuns();
    const n = (1 << 20) + 4099; // two blocks, the second short and not a multiple of 4
    const x = values(n, -20, 20, 10), t = gt.constant(x, { shape: [n] });
    const x0 = V.input(0);
    const root = V.sum([x0, V.mul(V.sin(x0), V.exp(x0)), V.mul(V.exp(x0), V.cos(x0))]);
    const expected = gt.addN([
      t,
      gt.multiply(gt.sin(t), gt.exp(t)),
      gt.multiply(gt.exp(t), gt.cos(t)),
    ]);
    assert.ok(same(root, [x], expected, n));
    assert.ok(wasmThreadedRuns() > before, "the worker took part");
    // A lane out of range in the last chunk, which either thread may run.
    x[n - 2] = 1e6;
    assert.equal(vectorLoop(root, [F32])!(new Float32Array(n), [x], n), false);
  },
});

// NOTE: V8 tells other threads that a shared memory grew by an interrupt, which the worker, woken
// in optimized code, may take only after it has read the memory: it then saw the old, shorter
// memory, and failed to read a new loop's module past its end. W4 without tidy, under the
// profiler, failed so every run (and never without it, nor in this process's simpler programs).
Deno.test({
  name: "vector: the worker reads the memory as it is, grown while it slept (W4 without tidy)",
  ignore: !available,
  async fn() {
    const root = new URL("../..", import.meta.url).pathname;
    const dir = await Deno.makeTempDir();
    try {
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-env",
          "--cpu-prof",
          `--cpu-prof-dir=${dir}`,
          "bench/profile_workload.ts",
          "W4",
          "untidy",
          "1",
        ],
        cwd: root,
        env: { NO_COLOR: "1" },
      }).output();
      const err = new TextDecoder().decode(stderr);
      assert.equal(code, 0, `W4 without tidy exited with ${code}:\n${err}`);
      assert.match(new TextDecoder().decode(stdout), /W4 untidy: \d+ runs/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "vector: float64 lanes: arithmetic, float32 inputs read as float64, a float32 output",
  ignore: !available,
  fn() {
    const n = 40_003; // shared with the worker where it runs, and not a multiple of 4
    const a = gt.random.normal([n], { seed: 11, dtype: "float64" });
    const g = gt.random.normal([n], { seed: 12 }); // float32
    const w = gt.random.normal([n], { seed: 13 }); // float32
    const [da, dg, dw] = [a, g, w].map((t) => t.data() as Float32Array | Float64Array);
    // An Adam-like update: w − 0.1·a / (√|a| + 1e-7) + 0.01·g, in float64, rounded to float32.
    const [x0, x1, x2] = [V.input(0), V.input(1), V.input(2)];
    const update = V.round32(
      V.sum([
        x2,
        V.neg(V.div(V.mul(V.num(0.1), x0), V.add(V.sqrt(V.abs(x0)), V.num(1e-7)))),
        V.mul(V.num(0.01), x1),
      ]),
    );
    assert.ok(float64Ops(update));
    assert.ok(!float64Ops(V.sin(x0)), "sin has no float64 steps");
    const inputs: LoopInput[] = [
      { kind: "array", dtype: "float64" },
      { kind: "array", dtype: "float32" },
      { kind: "array", dtype: "float32" },
    ];
    const out = new Float32Array(n);
    assert.ok(vectorLoop(update, inputs, "float32")!(out, [da, dg, dw], n));
    const [wa, wg, ww] = [a, gt.cast(g, "float64"), gt.cast(w, "float64")];
    const expected = gt.cast(
      gt.addN([
        ww,
        gt.negative(gt.divide(gt.multiply(0.1, wa), gt.add(gt.sqrt(gt.abs(wa)), 1e-7))),
        gt.multiply(0.01, wg),
      ]),
      "float32",
    ).data();
    for (let i = 0; i < n; i++) {
      if (!Object.is(out[i], expected[i])) {
        assert.fail(`element ${i}: ${out[i]} against ${expected[i]}`);
      }
    }
    // A float64 output, and a float64 single value.
    const out64 = new Float64Array(n);
    const scaled = V.mul(V.input(0), V.input(1));
    assert.ok(vectorLoop(scaled, [inputs[0], { kind: "single", dtype: "float64" }], "float64")!(
      out64,
      [da, Float64Array.of(Math.PI)],
      n,
    ));
    const want = gt.multiply(a, gt.constant(Math.PI, { dtype: "float64" })).data();
    for (let i = 0; i < n; i++) assert.ok(Object.is(out64[i], want[i]), `element ${i}`);
  },
});

Deno.test({
  name: "vector: an equal loop made again reuses its module; one loop serves any length",
  ignore: !available,
  fn() {
    const x0 = V.input(0), x1 = V.input(1);
    const root = () => V.add(V.mul(V.sin(x0), x1), V.num(0.25));
    vectorLoop(root(), [F32, F32]);
    const modules = generatedModules();
    vectorLoop(root(), [F32, F32]);
    assert.equal(generatedModules(), modules, "no new module for an equal loop");
    vectorLoop(V.add(V.mul(V.cos(x0), x1), V.num(0.25)), [F32, F32]);
    assert.equal(generatedModules(), modules + 1, "a new one for another formula");
    // Lengths around the copy loops' cut-off and the lanes, alternating, through both loops
    // (arithmetic only: below SIMD_MIN the sin kernel is another loop, with its own roundings).
    const arithmetic = () => V.add(V.mul(V.sub(x0, x1), x1), V.num(0.25));
    const loops = [arithmetic(), arithmetic()].map((r) => vectorLoop(r, [F32, F32])!);
    assert.equal(generatedModules(), modules + 2);
    for (const n of [1, 3, 16, 17, 100, 5, 1000, 2, 33]) {
      const a = values(n, -3, 3, n), b = values(n, -1, 1, n + 1);
      const [ta, tb] = [a, b].map((v) => gt.constant(v, { shape: [n] }));
      const expected = gt.add(gt.multiply(gt.subtract(ta, tb), tb), 0.25).data();
      for (const loop of loops) {
        const out = new Float32Array(n);
        assert.ok(loop(out, [a, b], n));
        assert.deepEqual(out, expected, `n = ${n}`);
      }
    }
  },
});

Deno.test({
  name: "vector: a row repeated along the output, on either lanes, in place or copied, any start",
  ignore: !available,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const before = wasmThreadedRuns();
    // (x + row)·s, as eager mode computes it with the row broadcast down a matrix.
    const root = V.mul(V.add(V.input(0), V.input(1)), V.input(2));
    type Dtype = "float32" | "float64";
    // Rows, the row's length and dtype, whether it is in the kernels' memory, the output's dtype.
    const cases: [number, number, Dtype, boolean, Dtype][] = [
      [3, 8, "float32", false, "float32"], // a few rows, one thread
      [5, 12, "float64", false, "float64"], // float64 lanes: two lanes a step, a row of 12
      [7, 16, "float32", false, "float64"], // a float32 row read on float64 lanes
      [2000, 1000, "float32", false, "float32"], // 2 million elements: two blocks, the worker
      [600, 256, "float32", true, "float32"], // the row in the kernels' memory, read in place
    ];
    const check = async () => {
      for (const [rows, period, rowDtype, resident, dtype] of cases) {
        const n = rows * period;
        const x = gt.random.normal([rows, period], { seed: rows });
        const row = gt.random.normal([period], { seed: period, dtype: rowDtype });
        const s = gt.constant(0.5);
        let rowData = row.data() as Float32Array | Float64Array;
        const copy = resident ? residentArray(rowDtype, period) : null;
        if (copy !== null) copy.set(rowData), rowData = copy;
        const single: LoopInput = { kind: "single", dtype: "float32" };
        const inputs: LoopInput[] = [F32, { kind: "row", dtype: rowDtype, period }, single];
        const out = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
        const operands = [x.data() as Float32Array, rowData, s.data() as Float32Array];
        // The worker exits once idle a moment: the inputs' making may have taken that long.
        await readyWorker();
        assert.ok(vectorLoop(root, inputs, dtype)!(out, operands, n));
        if (copy !== null) freeResident(copy);
        const [xs, rs] = [x, row].map((t) => gt.cast(t, dtype));
        const expected = gt.multiply(gt.add(xs, rs), gt.cast(s, dtype)).data();
        for (let i = 0; i < n; i++) {
          if (!Object.is(out[i], expected[i])) {
            assert.fail(
              `${rows}×${period} ${dtype}, element ${i}: ${out[i]} against ${expected[i]}`,
            );
          }
        }
      }
    };
    // A worker still busy with an earlier job (or slow to wake on a loaded machine) leaves a job
    // to this thread: checked again until it takes part.
    for (let attempt = 0; attempt < 5 && wasmThreadedRuns() === before; attempt++) await check();
    assert.ok(wasmThreadedRuns() > before, "the worker took part");
  },
});
