/**
 * Every primitive's kernel writes into memory its caller gives it (eager mode's allocator today, a
 * compiled program's memory plan next): on every op the registry's cases bind, forward and
 * backward, in float32 and float64, the cpu kernel run into an output full of garbage must write
 * every element, leave its inputs alone, and agree with what eager mode computed (through the
 * kernel, or through the primitive's shortcut: a view or a uniform value).
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { DType, Tensor } from "../../mod.ts";
import type { Operand } from "../../src/core/dispatch.ts";
import { dataOf } from "../../src/core/tensor.ts";
import type { TypedArray } from "../../src/core/dtype.ts";
import { type Bound, everyCaseBinds, recordBinds, rows } from "./_registry_rows.ts";

// Two fillings no kernel writes by chance: an element left unwritten shows as one of them in
// at least one of the two runs.
const GARBAGE: Record<DType, [number, number]> = {
  float32: [NaN, -7.25],
  float64: [NaN, -7.25],
  int32: [-7, 99999],
  bool: [2, 3],
};

function blank(dtype: DType, n: number, fill: number): TypedArray {
  const C = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array };
  return new C[dtype](n).fill(fill);
}

function checkKernel({ prim, inputs, out, attrs }: Bound, where: string): void {
  const operands: Operand[] = inputs.map((t) => ({
    data: dataOf(t),
    shape: t.shape,
    dtype: t.dtype,
  }));
  const before = operands.map((o) => Array.from(o.data));
  const want = dataOf(out);
  for (const fill of GARBAGE[out.dtype]) {
    const data = blank(out.dtype, want.length, fill);
    prim.kernels.cpu(operands, { data, shape: out.shape, dtype: out.dtype }, attrs);
    for (let i = 0; i < want.length; i++) {
      assert.ok(
        Object.is(data[i], want[i]),
        `${where}: ${prim.name} element ${i}: kernel ${data[i]}, eager ${
          want[i]
        } (filled with ${fill})`,
      );
    }
  }
  operands.forEach((o, i) =>
    assert.deepEqual(Array.from(o.data), before[i], `${where}: ${prim.name} changed input ${i}`)
  );
}

Deno.test("every primitive's cpu kernel writes every element of the output it is given, as eager mode computed it", () => {
  const seen = new Set<string>();
  for (const { where, binds } of everyCaseBinds()) {
    for (const b of binds) {
      checkKernel(b, where);
      seen.add(b.prim.name);
    }
  }
  const missing = Object.keys(rows).filter((n) => !seen.has(n));
  assert.deepEqual(missing, [], "primitives no case bound");
});

Deno.test("kernels write into outputs that are views into a larger buffer, touching nothing outside", () => {
  // A memory plan hands out slices of one arena: the kernel must keep to its own.
  const binds = recordBinds(() => {
    const x = gt.constant([[1, -2, 3], [4, 5, -6]]);
    gt.grad((v: Tensor) => gt.reduceSum(gt.matmul(gt.tanh(v), gt.transpose(v))))(x);
  });
  for (const { prim, inputs, out, attrs } of binds) {
    const want = dataOf(out);
    const arena = new Float32Array(want.length + 16).fill(-1);
    const data = arena.subarray(8, 8 + want.length);
    prim.kernels.cpu(
      inputs.map((t) => ({ data: dataOf(t), shape: t.shape, dtype: t.dtype })),
      { data, shape: out.shape, dtype: out.dtype },
      attrs,
    );
    assert.deepEqual(Array.from(data), Array.from(want), prim.name);
    assert.ok(arena.subarray(0, 8).every((v) => v === -1), `${prim.name} wrote before its slice`);
    assert.ok(
      arena.subarray(8 + want.length).every((v) => v === -1),
      `${prim.name} wrote after its slice`,
    );
  }
});
