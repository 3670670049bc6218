/**
 * Before/after in one process: one workload of the comparison (bench/compare/workloads.ts) from
 * two checkouts of gradtape, or two modes of one, run in alternating blocks of 100 ms, and the
 * median of the ratios of neighbouring blocks. The VM these benchmarks run on changes speed by
 * 2–3× from one minute to the next, so two processes run one after the other disagree by more
 * than most optimizations change; blocks a tenth of a second apart share the machine's phase.
 *
 * ```sh
 * git worktree add /tmp/before HEAD~1
 * deno run --allow-read --allow-env bench/interleaved.ts W2 /tmp/before:jit .:jit [seconds = 8]
 * deno run --allow-read --allow-env bench/interleaved.ts W4 .:eager .:jit
 * deno run --allow-read --allow-env bench/interleaved.ts W4 .:floor .:jit
 * ```
 *
 * Each side is a checkout's root (relative to the working directory) and `eager`, `untidy` (eager
 * without the `tidy` around each step) or `jit`, or for W4 `floor`: its two large products alone,
 * which bound what any step can take on this machine. Both sides are loaded into one process, each with its own copy of gradtape's modules (a checkout
 * named twice is loaded once), and warmed up for two seconds before the measured blocks.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** One side of the comparison: its workload's run, ready. */
interface Side {
  readonly name: string;
  readonly run: () => unknown;
}

const [id = "W1", a = ".:jit", b = ".:jit", seconds = "8"] = Deno.args;

async function prepare(spec: string): Promise<Side> {
  const [root, mode = "jit"] = spec.split(":");
  const url = (path: string) => pathToFileURL(resolve(root, path)).href;
  const workloads = await import(url("bench/compare/workloads.ts"));
  if (mode === "floor") return floor(await import(url("mod.ts")), workloads.MLP);
  const impl = mode === "jit"
    ? (await import(url("bench/compare/gradtape_jit.ts"))).gradtapeJit
    : (await import(url("bench/compare/gradtape.ts")))[
      mode === "untidy" ? "gradtapeUntidy" : "gradtape"
    ];
  const w = workloads.WORKLOADS.find((w: { id: string }) => w.id === id);
  if (w === undefined) throw new Error(`no workload ${id}`);
  const prepared = await impl[w.kind](workloads.makeData(), w.n);
  return { name: spec, run: () => prepared.run() };
}

// W4's floor: the two products its step cannot do without (x·w1 forward, xᵀ·δ for w1's gradient,
// 2 × 51 MFLOP of its 105), jitted, on the step's shapes.
// deno-lint-ignore no-explicit-any
function floor(gt: any, mlp: { batch: number; inputs: number; hidden: number }): Side {
  if (id !== "W4") throw new Error(`the floor is W4's alone, not ${id}'s`);
  const { batch, inputs, hidden } = mlp;
  const x = gt.random.normal([batch, inputs]), w = gt.random.normal([inputs, hidden]);
  const d = gt.random.normal([batch, hidden]);
  const products = gt.jit((x: unknown, w: unknown, d: unknown) => [
    gt.matmul(x, w),
    gt.matmul(x, d, { transposeA: true }),
  ]);
  return { name: "floor (its two large products)", run: () => gt.tidy(() => products(x, w, d)) };
}

// The mean time of one run over a block of about 100 ms.
function block(run: () => unknown): number {
  const start = performance.now();
  let n = 0, now = start;
  while ((now = performance.now()) - start < 100) {
    run();
    n++;
  }
  return (now - start) / n;
}

const median = (xs: readonly number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];

const sides = [await prepare(a), await prepare(b)];
const warm = performance.now() + 2000;
while (performance.now() < warm) for (const s of sides) block(s.run);
const times: number[][] = [[], []];
const end = performance.now() + Number(seconds) * 1000;
while (performance.now() < end) sides.forEach((s, i) => times[i].push(block(s.run)));
const ratios = times[1].map((t, i) => t / times[0][i]);
for (const [i, s] of sides.entries()) {
  console.log(`${id} ${s.name}: ${median(times[i]).toPrecision(4)} ms a run`);
}
console.log(`B/A: ${median(ratios).toFixed(3)} (median of ${ratios.length} pairs of blocks)`);
