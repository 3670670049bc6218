/**
 * Run as a program with `--v8-flags=--expose-gc` (see memory_test.ts): jitted results held outside
 * any tidy live in the kernels' memory until they are collected, and then go back. Prints, as
 * JSON, the bytes of such results outstanding while they are held, and after a collection.
 *
 * @module
 */
import * as gt from "../../mod.ts";
import { looseResidentBytes } from "../../src/core/kernels/wasm/runtime.ts";

const f = gt.jit((x: gt.Tensor) => gt.add(gt.multiply(gt.sin(x), gt.exp(x)), x));
let held: gt.Tensor[] = [];
for (let i = 0; i < 4; i++) held.push(f(gt.fill([4096], i)));
const whileHeld = looseResidentBytes();
const sums = held.map((t) => t.sum().item());
held = [];
const gc = (globalThis as { gc?: () => void }).gc!;
let afterCollection = whileHeld;
// Finalizers run in a task after the collection that found their targets.
for (let i = 0; i < 20 && afterCollection > 0; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 10));
  afterCollection = looseResidentBytes();
}
console.log(JSON.stringify({ whileHeld, afterCollection, sums }));
