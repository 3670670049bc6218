/**
 * A long training loop keeps a flat heap: the tutorial's linear regression for 100,000 steps,
 * with the heap measured (after a forced collection where the runtime allows one) at the start
 * and every 20,000 steps. Run with `deno task bench:memory`.
 */
import * as gt from "../mod.ts";

const steps = Number(Deno.args[0] ?? 100_000);
gt.random.setSeed(42);
const x = gt.random.uniform([100, 1], { minval: -1, maxval: 1 });
const y = gt.add(gt.add(gt.multiply(x, 3), 2), gt.multiply(gt.random.normal([100, 1]), 0.1));
const w = new gt.Variable(gt.random.normal([1, 1]), { name: "weight" });
const b = new gt.Variable(gt.zeros([1]), { name: "bias" });

// deno run --v8-flags=--expose-gc gives globalThis.gc; without it the numbers are noisier.
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
function heapMiB(): number {
  collect();
  return Deno.memoryUsage().heapUsed / 2 ** 20;
}

const start = heapMiB();
console.log(`step 0: heap ${start.toFixed(2)} MiB`);
const t0 = performance.now();
let loss = 0;
for (let step = 1; step <= steps; step++) {
  const tape = new gt.GradientTape();
  const l = tape.record(() => gt.reduceMean(gt.square(gt.matmul(x, w).add(b).sub(y))));
  const [gw, gb] = tape.gradient(l, [w, b]);
  w.assignSub(gt.multiply(gw!, 0.1));
  b.assignSub(gt.multiply(gb!, 0.1));
  loss = l.item();
  if (step % 20_000 === 0) {
    console.log(`step ${step}: heap ${heapMiB().toFixed(2)} MiB, loss ${loss.toFixed(6)}`);
  }
}
const end = heapMiB();
const seconds = (performance.now() - t0) / 1000;
console.log(
  `${steps} steps in ${seconds.toFixed(1)} s; heap ${start.toFixed(2)} → ${end.toFixed(2)} MiB ` +
    `(${(end - start).toFixed(2)} MiB); w = ${w.value().item().toFixed(3)}, b = ${
      b.value().item().toFixed(3)
    }`,
);
