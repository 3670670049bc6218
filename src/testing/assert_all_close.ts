/** `assertAllClose`: elementwise comparison with tolerances, as `tf.test.TestCase.assertAllClose`. */
import { checkFinite, checkOptions, describeValue } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import { dataOf, type TensorLike } from "../core/tensor.ts";
import { fmtShape, sameShape, stridesOf } from "../core/shape.ts";

/** Options of `assertAllClose`. */
export interface AllCloseOptions {
  /** Relative tolerance (default 1e-6). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Text to put in front of the failure message. */
  msg?: string;
}

/** The index of flat position `i` in `shape`, as `[i0,i1,…]`. */
export function indexOf(i: number, shape: readonly number[]): string {
  const strides = stridesOf(shape);
  return fmtShape(strides.map((s, k) => Math.floor(i / s) % shape[k]));
}

/**
 * Throws unless `actual` and `expected` have the same shape and every pair of elements
 * satisfies `|a - e| <= atol + rtol·|e|` (NaN matches NaN; infinities must match exactly).
 * The message names the worst element, its index and both values.
 *
 * @param actual The computed values.
 * @param expected The values they should have.
 * @param options `rtol`, `atol` and `msg`.
 * @example Comparing a gradient with its closed form
 * ```ts
 * import { GradientTape, Variable } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const x = new Variable(3);
 * const tape = new GradientTape();
 * const y = tape.record(() => x.pow(2));
 * assertAllClose(tape.gradient(y, x)!, 6); // returns quietly: d(x²)/dx = 2x = 6
 * ```
 * @example A failure names the worst element
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose([1, 2], [1, 2.0001], { rtol: 1e-3 });
 * assert.throws(
 *   () => assertAllClose([[1, 2], [3, 4]], [[1, 2], [3, 4.5]], { msg: "grad" }),
 *   /^Error: grad: assertAllClose: 1 of 4 elements differ .* the worst is at \[1,1\]: actual 4, expected 4.5/,
 * );
 * ```
 */
export function assertAllClose(
  actual: TensorLike,
  expected: TensorLike,
  options: AllCloseOptions = {},
): void {
  checkOptions("assertAllClose", options, ["rtol", "atol", "msg"]);
  const { rtol = 1e-6, atol = 1e-6, msg } = options;
  for (const [name, v] of [["rtol", rtol], ["atol", atol]] as const) {
    checkFinite("assertAllClose", name, v);
    if (v < 0) throw new RangeError(`assertAllClose: ${name} must be zero or positive, not ${v}`);
  }
  if (msg !== undefined && typeof msg !== "string") {
    throw new TypeError(`assertAllClose: msg must be a string, not ${describeValue(msg)}`);
  }
  const prefix = msg ? `${msg}: ` : "";
  const a = toTensor(actual, { dtype: "float64", op: "assertAllClose" });
  const e = toTensor(expected, { dtype: "float64", op: "assertAllClose" });
  if (!sameShape(a.shape, e.shape)) {
    throw new Error(
      `${prefix}assertAllClose: shapes differ: actual ${fmtShape(a.shape)}, expected ${
        fmtShape(e.shape)
      }`,
    );
  }
  const ad = dataOf(a), ed = dataOf(e);
  let worst = -1, worstExcess = 0, bad = 0;
  for (let i = 0; i < ad.length; i++) {
    const x = ad[i], y = ed[i];
    if (x === y || (x !== x && y !== y)) continue;
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > 0 || !(excess <= 0)) {
      bad++;
      const score = Number.isNaN(excess) ? Infinity : excess;
      if (worst < 0 || score > worstExcess) {
        worst = i;
        worstExcess = score;
      }
    }
  }
  if (worst >= 0) {
    const x = ad[worst], y = ed[worst];
    throw new Error(
      `${prefix}assertAllClose: ${bad} of ${ad.length} elements differ beyond atol=${atol}, ` +
        `rtol=${rtol}; the worst is at ${indexOf(worst, a.shape)}: actual ${x}, expected ${y} ` +
        `(difference ${Math.abs(x - y)})`,
    );
  }
}
