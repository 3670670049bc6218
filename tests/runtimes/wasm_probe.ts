/**
 * Test-only bundle entry: the matmul kernel and its WebAssembly capability checks, which the public
 * API does not expose. The runtime tests bundle it beside dist/ to tell, in Node and in the
 * browser, whether the embedded module instantiates and whether a worker shares large products.
 *
 * @module
 */
import { matmulKernel, matmulShape } from "../../src/core/kernels/matmul.ts";
import type { DType, TypedArray } from "../../src/core/dtype.ts";
import { sizeOf } from "../../src/core/shape.ts";
export {
  startWorker,
  wasmAvailable,
  wasmThreaded,
  wasmThreadedRuns,
} from "../../src/core/kernels/wasm/runtime.ts";

/** `a @ b` through the matmul kernel, into a fresh array; with the product's shape. */
export function product(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
  dtype: DType,
  reference = false,
): [TypedArray, number[]] {
  const { batch, m, n } = matmulShape(aShape, bShape, transposeA, transposeB);
  const shape = [...batch, m, n];
  const out = dtype === "float64"
    ? new Float64Array(sizeOf(shape))
    : new Float32Array(sizeOf(shape));
  matmulKernel(out, a, aShape, b, bShape, transposeA, transposeB, dtype, reference);
  return [out, shape];
}
