/**
 * Comparisons the jit tests share: results that must be the same tensor values bit for bit (a
 * compiled program runs the same kernels, or loops generated from the same scalar formulas with
 * the same rounding, as eager mode), or, where noted, within a few float32 ulps.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";

/**
 * Asserts that `actual` and `expected` have the same dtype, shape and values, bit for bit (NaN
 * equals NaN; 0 and -0 differ).
 *
 * @example
 * ```ts
 * import * as gt from "../../mod.ts";
 * import { assertSame } from "./_exact.ts";
 * assertSame(gt.add([1], [2]), gt.constant([3]));
 * ```
 */
export function assertSame(actual: gt.Tensor, expected: gt.Tensor, msg = ""): void {
  const where = msg === "" ? "" : `${msg}: `;
  assert.ok(actual instanceof gt.Tensor, `${where}expected a tensor, got ${actual}`);
  assert.equal(actual.dtype, expected.dtype, `${where}dtype`);
  assert.deepEqual(actual.shape, expected.shape, `${where}shape`);
  const a = actual.data(), e = expected.data();
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(a[i], e[i])) {
      assert.fail(
        `${where}element ${i} differs: ${a[i]} (jit) against ${e[i]} (eager)\n` +
          `jit:   ${Array.from(a)}\neager: ${Array.from(e)}`,
      );
    }
  }
}

/**
 * Asserts that two trees of the same structure hold the same leaves: tensors by `assertSame`,
 * anything else by strict equality.
 *
 * @example
 * ```ts
 * import * as gt from "../../mod.ts";
 * import { assertSameTree } from "./_exact.ts";
 * assertSameTree({ a: [gt.constant(1)], b: "x" }, { a: [gt.constant(1)], b: "x" });
 * ```
 */
export function assertSameTree(actual: unknown, expected: unknown, msg = "result"): void {
  if (expected instanceof gt.Tensor) {
    assertSame(actual as gt.Tensor, expected, msg);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${msg}: expected an array, got ${actual}`);
    assert.equal(actual.length, expected.length, `${msg}: length`);
    expected.forEach((e, i) => assertSameTree(actual[i], e, `${msg}[${i}]`));
  } else if (expected !== null && typeof expected === "object") {
    assert.ok(actual !== null && typeof actual === "object", `${msg}: expected an object`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${msg}: keys`);
    for (const [k, e] of Object.entries(expected)) {
      assertSameTree((actual as Record<string, unknown>)[k], e, `${msg}.${k}`);
    }
  } else {
    assert.strictEqual(actual, expected, msg);
  }
}

/**
 * The distance in float32 units in the last place between two float32 numbers (Infinity if one
 * is NaN and the other is not).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ulps32 } from "./_exact.ts";
 * assert.equal(ulps32(1, 1 + 2 ** -23), 1);
 * ```
 */
export function ulps32(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const key = (x: number) => {
    const i = new Int32Array(Float32Array.of(x).buffer)[0];
    return i < 0 ? -(i & 0x7fffffff) : i;
  };
  return Math.abs(key(a) - key(b));
}
