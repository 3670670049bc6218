/** `assertAllClose`: elementwise comparison with tolerances, as `tf.test.TestCase.assertAllClose`. */
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
 * assertAllClose(tape.gradient(y, x)!, 6);
 * ```
 */
export function assertAllClose(
  actual: TensorLike,
  expected: TensorLike,
  options: AllCloseOptions = {},
): void {
  const { rtol = 1e-6, atol = 1e-6 } = options;
  const prefix = options.msg ? `${options.msg}: ` : "";
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
