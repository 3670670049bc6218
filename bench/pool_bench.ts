/**
 * Pooling benchmarks: 2×2 windows with stride 2 on a batch of 64 images of 28×28 with 32 float32
 * channels, forward and backward (the gradient with respect to the input, from a cotangent of
 * the output), channels last and first, beside a copy of the input's bytes (the baseline: memory
 * speed on this machine). Each name gives the megabytes one call reads and writes, and the module
 * prints its GB/s (megabytes moved over the median of timed runs). Calls run in `gt.tidy`, so
 * their buffers are reused.
 *
 *     deno bench --allow-read --allow-env bench/pool_bench.ts
 */
import * as gt from "../mod.ts";

interface Case {
  name: string;
  /** Bytes read and written by one call. */
  bytes: number;
  fn: () => void;
}

const NHWC = [64, 28, 28, 32], NCHW = [64, 32, 28, 28];
const n = NHWC.reduce((a, b) => a * b), m = n / 4;
const copyFrom = new Float32Array(n), copyTo = new Float32Array(n);
const cases: Case[] = [{ name: "copy (baseline)", bytes: 8 * n, fn: () => copyTo.set(copyFrom) }];

for (const [format, shape] of [["NHWC", NHWC], ["NCHW", NCHW]] as const) {
  const x = gt.keep(gt.random.uniform(shape, { seed: 1 }));
  const opts = { dataFormat: format };
  for (const op of ["maxPool", "avgPool"] as const) {
    const f = (v: gt.Tensor) => gt[op](v, 2, 2, "VALID", opts);
    const [y, back] = gt.vjp(f, x);
    const ct = gt.keep(gt.random.uniform(y.shape, { seed: 2 }));
    cases.push({
      name: `${op} 2×2/2 ${format} [${shape}] forward`,
      bytes: 4 * (n + m),
      fn: () => gt.tidy(() => void f(x)),
    });
    // The backward pass reads the cotangent and writes the input's gradient; max pooling also
    // reads the input again, to find each window's maximum.
    cases.push({
      name: `${op} 2×2/2 ${format} [${shape}] backward`,
      bytes: 4 * (m + n + (op === "maxPool" ? n : 0)),
      fn: () => gt.tidy(() => void back(ct)),
    });
  }
}

for (const c of cases) {
  Deno.bench({
    name: `${c.name} (${(c.bytes / 1e6).toFixed(1)} MB)`,
    group: "pool",
    baseline: c.name.startsWith("copy"),
    fn: c.fn,
  });
}

// GB/s: bytes over the median of timed runs, after a warm-up long enough for the kernels' loops
// to be optimized.
for (const c of cases) {
  for (let i = 0; i < 10; i++) c.fn();
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    c.fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[7];
  console.log(`${c.name}: ${ms.toFixed(2)} ms, ${(c.bytes / ms / 1e6).toFixed(2)} GB/s`);
}
