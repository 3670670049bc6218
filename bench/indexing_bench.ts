/**
 * Indexing benchmarks: the scatters (unsortedSegmentSum is scatterAdd; unsortedSegmentMax is
 * scatter with a max) and gather, on 2^22 float32 elements, beside a copy of the same bytes (the
 * baseline: memory speed on this machine) and a plain loop of segment sums (what JavaScript can do
 * with updates at random positions). Each name gives the megabytes the op reads and writes,
 * and the module prints its GB/s (megabytes moved over a median of timed runs). Calls run in
 * `gt.tidy`, so their buffers are reused.
 *
 *     deno bench --allow-read --allow-env bench/indexing_bench.ts
 */
import * as gt from "../mod.ts";

const N = 2 ** 22;

function ids(n: number, below: number): gt.Tensor {
  const v = new Int32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s % below;
  }
  return gt.constant(v, { dtype: "int32" });
}

interface Case {
  name: string;
  /** Bytes read and written by one call. */
  bytes: number;
  fn: () => void;
}

const data = gt.random.uniform([N], { seed: 1 });
const copyFrom = new Float32Array(N), copyTo = new Float32Array(N);
const cases: Case[] = [
  { name: "copy (baseline)", bytes: 8 * N, fn: () => copyTo.set(copyFrom) },
];
{
  // What the best JavaScript loop does: random updates cost a cache miss each, not bandwidth.
  const at = ids(N, 1024).data() as Int32Array, d = data.data() as Float32Array;
  const o = new Float32Array(1024);
  cases.push({
    name: "plain loop: segment sums of 4194304 into 1024",
    bytes: 8 * N + 8 * 1024,
    fn: () => {
      o.fill(0);
      for (let j = 0; j < N; j++) o[at[j]] += d[j];
    },
  });
}
for (const [inner, segments] of [[1, 1024], [1, N / 4], [64, 1024]]) {
  const rows = N / inner;
  const x = gt.reshape(data, [rows, inner]), seg = ids(rows, segments);
  // Reads the data and the ids, writes (and first zeroes or fills) the segments.
  const bytes = 4 * N + 4 * rows + 2 * 4 * segments * inner;
  const shape = `${rows}×${inner} into ${segments} segments`;
  cases.push({
    name: `unsortedSegmentSum ${shape}`,
    bytes,
    fn: () => gt.tidy(() => void gt.unsortedSegmentSum(x, seg, segments)),
  });
  cases.push({
    name: `unsortedSegmentMax ${shape}`,
    bytes,
    fn: () => gt.tidy(() => void gt.unsortedSegmentMax(x, seg, segments)),
  });
}
{
  const rows = N / 64, x = gt.reshape(data, [rows, 64]), at = ids(rows, rows);
  cases.push({
    name: `gather ${rows} rows of 64`,
    bytes: 2 * 4 * N + 4 * rows,
    fn: () => gt.tidy(() => void gt.gather(x, at)),
  });
}
{
  const at = gt.reshape(ids(N, N), [N, 1]);
  cases.push({
    name: `tensorScatterMax of ${N} elements`,
    bytes: 4 * N * 4,
    fn: () => gt.tidy(() => void gt.tensorScatterMax(data, at, data)),
  });
}

for (const c of cases) {
  Deno.bench({
    name: `${c.name} (${(c.bytes / 1e6).toFixed(1)} MB)`,
    group: "indexing",
    baseline: c.name.startsWith("copy"),
    fn: c.fn,
  });
}

// GB/s: bytes over the median of a few timed runs, after a warm-up.
for (const c of cases) {
  c.fn();
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    c.fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[3];
  console.log(`${c.name}: ${ms.toFixed(2)} ms, ${(c.bytes / ms / 1e6).toFixed(2)} GB/s`);
}
