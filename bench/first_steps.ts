/**
 * A program's first steps, as a fresh process meets them (point 5 of the jit issue): runs one
 * workload of the comparison (bench/compare/workloads.ts) `steps` times (eager, eager without the
 * `tidy` around each step, or jitted), and prints each step's time, the mean of the first 20 and
 * the median of the steps after them.
 *
 * ```sh
 * deno run --allow-read --allow-env bench/first_steps.ts W4 [eager|untidy|jit] [steps = 100] [started]
 * ```
 *
 * With `started`, the kernels' worker is started, and ready, before the first step: what the steps
 * cost when none of them pays for its start.
 *
 * Run it in a process of its own for each measurement: the point is what the first calls cost
 * before V8 has compiled anything, the kernels are loaded or the memory pool holds anything.
 *
 * @module
 */
import { gradtapeMode } from "./compare/gradtape_jit.ts";
import { type Impl, makeData, WORKLOADS } from "./compare/workloads.ts";
import { startWorker, workerReady } from "../src/core/kernels/wasm/runtime.ts";

const [id = "W4", mode = "eager", count = "100", worker] = Deno.args;
const w = WORKLOADS.find((w) => w.id === id);
if (w === undefined) throw new Error(`no workload ${id}: one of ${WORKLOADS.map((w) => w.id)}`);
const impl: Impl = gradtapeMode(mode);
const data = makeData();
if (worker === "started" && startWorker()) {
  for (let i = 0; i < 1000 && !workerReady(); i++) await new Promise((r) => setTimeout(r, 5));
}
const start = performance.now();
const prep = await impl[w.kind]!(data, w.n);
const prepared = performance.now() - start;
const times: number[] = [];
for (let i = 0; i < Number(count); i++) {
  const t = performance.now();
  prep.run();
  times.push(performance.now() - t);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const first = mean(times.slice(0, 20)), later = median(times.slice(20));
console.log(`${id} ${mode}: prepare ${prepared.toFixed(1)} ms; steps (ms):`);
console.log(times.map((t) => t.toFixed(2)).join(" "));
console.log(
  `first 20 mean ${first.toFixed(2)} ms, later median ${later.toFixed(2)} ms, ratio ${
    (first / later).toFixed(2)
  }`,
);
