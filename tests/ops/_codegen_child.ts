/**
 * Prints, as JSON, whether this process can generate code and the results of every elementwise
 * case (see `_elementwise_layouts.ts`). codegen_test.ts runs it where V8 forbids code generation,
 * so that its kernels are the hand-written reference loops.
 *
 * @module
 */
import { canGenerate } from "../../src/core/kernels/generated.ts";
import { wasmAvailable } from "../../src/core/kernels/wasm/runtime.ts";
import { kernelResults } from "./_elementwise_layouts.ts";

console.log(JSON.stringify({ canGenerate, wasm: wasmAvailable(), results: kernelResults() }));
