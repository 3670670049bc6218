/**
 * The elementwise loops generated from scalar formulas (src/core/kernels/generated.ts) against
 * the hand-written reference loops, bit for bit: a child process where V8 forbids code
 * generation (as a page whose Content-Security-Policy lacks unsafe-eval does) runs every case of
 * `_elementwise_layouts.ts` on the reference loops, this process on the generated ones. The float32
 * exp, sin, cos, tanh and sigmoid run the same WebAssembly SIMD loop in both. The same child
 * setting runs a small program through the public API, which must work, and agree, without code
 * generation.
 */
import assert from "node:assert/strict";
import { canGenerate } from "../../src/core/kernels/generated.ts";
import { wasmAvailable } from "../../src/core/kernels/wasm/runtime.ts";
import type { PrimitiveName } from "../../src/ops/registry.ts";
import { elementwise } from "./_elementwise_cases.ts";
import {
  casesOf,
  encode,
  type Encoded,
  inputsAt,
  kernelResults,
  type Result,
} from "./_elementwise_layouts.ts";
import { apiValues } from "./_codegen_api_child.ts";
import { runWithoutCodegen } from "../_helpers.ts";

Deno.test("generated elementwise loops agree bit for bit with the reference loops", async () => {
  const child = await runWithoutCodegen(new URL("./_codegen_child.ts", import.meta.url));
  assert.equal(child.canGenerate, false, "the child could generate code: the flag had no effect");
  assert.equal(canGenerate, true, "this process cannot generate code: nothing would be compared");
  // Else the float32 SIMD ops would compare a TypeScript loop against itself.
  assert.equal(child.wasm, true, "the child has no WebAssembly SIMD");
  assert.equal(wasmAvailable(), true, "this process has no WebAssembly SIMD");

  const theirs = child.results as Record<string, Result[]>;
  const ours = kernelResults();
  assert.deepEqual(Object.keys(theirs), Object.keys(ours));
  for (const [op] of elementwise) {
    assert.deepEqual(
      theirs[op].map((r) => r.label),
      ours[op].map((r) => r.label),
      `${op}: different cases`,
    );
    ours[op].forEach((r, i) => agree(op, i, theirs[op][i], r));
  }
});

// `generated` is this process's result of case `i` of `op`; `reference` the child's.
function agree(op: PrimitiveName, i: number, reference: Result, generated: Result): void {
  const where = `${op}, ${generated.label}`;
  assert.equal(generated.dtype, reference.dtype, `${where}: output dtype`);
  assert.deepEqual(generated.shape, reference.shape, `${where}: output shape`);
  const a = generated.values, b = reference.values;
  assert.equal(a.length, b.length, `${where}: output length`);
  for (let j = 0; j < a.length; j++) {
    // The message is built only for a failure: there are some 240,000 elements.
    if (a[j] !== b[j]) assert.fail(mismatch(op, i, generated, j, b[j]));
  }
}

function mismatch(op: PrimitiveName, i: number, generated: Result, j: number, ref: Encoded) {
  const c = casesOf(op)[i];
  const args = inputsAt(c, generated.shape, j).map(encode).join(", ");
  return `${op}, ${generated.label}, element ${j}: ${op}(${args}) as ${generated.dtype}: ` +
    `generated ${generated.values[j]}, reference ${ref}`;
}

Deno.test("the public API works and agrees without code generation (grad, vmap, broadcasting)", async () => {
  const child = await runWithoutCodegen(new URL("./_codegen_api_child.ts", import.meta.url));
  assert.equal(child.canGenerate, false);
  const theirs = child.values as Record<string, Encoded[]>;
  const ours = apiValues();
  assert.deepEqual(Object.keys(theirs), Object.keys(ours));
  for (const [name, values] of Object.entries(ours)) {
    assert.ok(values.length > 0, name);
    assert.deepEqual(theirs[name], values, `${name}: without code generation, and with it`);
  }
});
