/**
 * float32 matmul on one thread: the performance issue asks for ≥ 35 GFLOP/s at 1024² on one core
 * (and ≥ 60 on two, which `deno task bench:compare` measures). The kernel shares large products
 * with a worker wherever workers exist, so this script hides `Worker` before gradtape loads, as a
 * runtime without workers would. Run: `deno run bench/matmul_one_core.ts [N ...]`.
 *
 * @module
 */
(globalThis as { Worker?: unknown }).Worker = undefined;
const gt = await import("../mod.ts");
const { wasmThreaded } = await import("../src/core/kernels/wasm/runtime.ts");
if (wasmThreaded()) throw new Error("the kernel still found a worker");

const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [256, 512, 1024];
for (const n of sizes) {
  const a = gt.random.normal([n, n], { seed: 1 }), b = gt.random.normal([n, n], { seed: 2 });
  const run = () => gt.tidy(() => gt.matmul(a, b).data());
  // Warm-up, as bench:compare's: a second at least, for the compilers and the allocator.
  const start = performance.now();
  while (performance.now() - start < 1000) run();
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  const ms = times[4];
  console.log(
    `${n}×${n}: ${ms.toFixed(2)} ms, ${(2 * n ** 3 / ms / 1e6).toFixed(1)} GFLOP/s on one thread`,
  );
}
