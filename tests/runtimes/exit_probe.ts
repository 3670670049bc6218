/**
 * Test-only script for process_exit_test.ts: prints whether one 512×512 matmul started the kernel
 * worker (it should not), makes the worker share a 512×512 matmul and a sine of 10⁶ elements,
 * then prints the time, as its last statement, for the test to compare with the moment the
 * process ends.
 *
 * @module
 */
import * as gt from "../../mod.ts";
import { wasmThreadedRuns, workerStarted } from "../../src/core/kernels/wasm/runtime.ts";

const a = gt.random.normal([512, 512], { seed: 1 });
const x = gt.random.uniform([1_000_000], { seed: 2 });
// A short program's large jobs run on this thread alone: the worker is not worth starting.
gt.matmul(a, a);
console.log(`worker after one product: ${workerStarted()}`);
// It starts once large jobs have taken 30 ms alone, and shares the ones after it once ready.
for (let i = 0; i < 100 && wasmThreadedRuns() < 2; i++) {
  gt.tidy(() => {
    gt.matmul(a, a);
    gt.sin(x);
  });
  await new Promise((r) => setTimeout(r, 10));
}
console.log(`threaded runs: ${wasmThreadedRuns()}`);
console.log(Date.now());
