/**
 * A long training loop keeps a flat heap: the tutorial's linear regression for 100,000 steps,
 * with the heap measured (after a forced collection where the runtime allows one) at the start
 * and every 20,000 steps. Run with `deno task bench:memory`.
 */
import * as gt from "../mod.ts";
import { poolStats } from "../src/core/memory.ts";

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

// The same with large tensors inside `tidy`: every step's buffers go back to the pool and the
// next step reuses them, so neither the heap, the process's memory nor the pool grows.
const n = 250_000;
const big = gt.random.normal([n], { seed: 1 });
const v = new gt.Variable(gt.random.normal([n], { seed: 2 }), { name: "v" });
const opt = new gt.optimizers.SGD({ learningRate: 0.01 });
const rssMiB = () => Deno.memoryUsage().rss / 2 ** 20;
const bigSteps = Math.max(1, Math.floor(steps / 100));
const step = () =>
  gt.tidy(() => {
    const tape = new gt.GradientTape();
    const l = tape.record(() => gt.reduceMean(gt.square(gt.sin(v).sub(big))));
    opt.applyGradients([[tape.gradient(l, v), v]]);
    return l.item();
  });
step();
const [heap0, rss0, pool0] = [heapMiB(), rssMiB(), poolStats()];
const t1 = performance.now();
for (let i = 0; i < bigSteps; i++) loss = step();
const [heap1, rss1, pool1] = [heapMiB(), rssMiB(), poolStats()];
console.log(
  `${bigSteps} tidy steps on ${n} elements in ${((performance.now() - t1) / 1000).toFixed(1)} s; ` +
    `heap ${heap0.toFixed(2)} → ${heap1.toFixed(2)} MiB, rss ${rss0.toFixed(0)} → ` +
    `${rss1.toFixed(0)} MiB, pool ${pool0.buffers} → ${pool1.buffers} buffers; loss ${
      loss.toFixed(4)
    }`,
);
