/**
 * Test-only bundle entry: the matmul kernel and its WebAssembly capability checks, which the public
 * API does not expose. The runtime tests bundle it beside dist/ to tell, in Node and in the
 * browser, whether the embedded module instantiates and whether a worker shares large products.
 *
 * @module
 */
export { matmulKernel } from "../../src/core/kernels/matmul.ts";
export {
  wasmAvailable,
  wasmThreaded,
  wasmThreadedRuns,
} from "../../src/core/kernels/wasm/runtime.ts";
