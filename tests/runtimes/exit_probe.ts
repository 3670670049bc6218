/**
 * Test-only script for process_exit_test.ts: makes the kernel worker share a 512×512 matmul and a
 * sine of 10⁶ elements, then prints the time, as its last statement, for the test to compare
 * with the moment the process ends.
 *
 * @module
 */
import * as gt from "../../mod.ts";
import { wasmThreadedRuns } from "../../src/core/kernels/wasm/runtime.ts";

const a = gt.random.normal([512, 512], { seed: 1 });
const x = gt.random.uniform([1_000_000], { seed: 2 });
// The worker starts on the first large job and shares the ones after it once it is ready.
for (let i = 0; i < 100 && wasmThreadedRuns() < 2; i++) {
  gt.tidy(() => {
    gt.matmul(a, a);
    gt.sin(x);
  });
  await new Promise((r) => setTimeout(r, 10));
}
console.log(`threaded runs: ${wasmThreadedRuns()}`);
console.log(Date.now());
