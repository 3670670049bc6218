/**
 * A small program through the public API (broadcasting add, mul, where, tanh and sigmoid, with
 * `grad` and `vmap` over them) whose values codegen_test.ts compares between this process and one
 * where V8 forbids code generation. Run as a program, it prints them as JSON, with whether it
 * could generate code.
 *
 * @module
 */
import * as gt from "../../mod.ts";
import { canGenerate } from "../../src/core/kernels/generated.ts";
import { encode, type Encoded } from "./_elementwise_layouts.ts";

type T = gt.Tensor;

// Σ y², y = tanh(h) where h > 0, else sigmoid(h)·x; h = x·w + b: x a row [3] down w [2, 3], b a
// column [2, 1] across it.
function loss(w: T, b: T, x: T): T {
  const h = gt.add(gt.multiply(x, w), b);
  const y = gt.where(gt.greater(h, 0), gt.tanh(h), gt.multiply(gt.sigmoid(h), x));
  return gt.reduceSum(gt.multiply(y, y));
}

/**
 * The program's values, flattened and encoded, by name (`float32 grad w`, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiValues } from "./_codegen_api_child.ts";
 * const v = apiValues();
 * assert.equal(v["float64 vmap grad w"].length, 4 * 2 * 3);
 * ```
 */
export function apiValues(): Record<string, Encoded[]> {
  const out: Record<string, Encoded[]> = {};
  for (const dtype of ["float32", "float64"] as const) {
    const w = gt.constant([[0.5, -1.25, 2], [-0.75, 1.5, -2.5]], { dtype });
    const b = gt.constant([[0.1], [-0.3]], { dtype });
    const xs = gt.constant([[1, -2, 0.5], [-0.25, 3, -1], [2, 0, -3], [0.75, -0.5, 1.25]], {
      dtype,
    });
    const x = gt.slice(xs, [0, 0], [1, 3]).reshape([3]);
    const [gw, gb, gx] = gt.grad(loss, { argnums: [0, 1, 2] })(w, b, x);
    const perExample = gt.vmap((x: T) => gt.grad(loss, { argnums: [0, 1] })(w, b, x))(xs);
    const values: Record<string, T> = {
      loss: loss(w, b, x),
      "grad w": gw,
      "grad b": gb,
      "grad x": gx,
      "vmap loss": gt.vmap((x: T) => loss(w, b, x))(xs),
      "vmap grad w": perExample[0],
      "vmap grad b": perExample[1],
    };
    for (const [name, t] of Object.entries(values)) {
      out[`${dtype} ${name}`] = Array.from(t.data(), encode);
    }
  }
  return out;
}

if (import.meta.main) console.log(JSON.stringify({ canGenerate, values: apiValues() }));
