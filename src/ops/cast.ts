/** `cast` and `stopGradient`: ops that change how gradients flow rather than values. */
import { vectorized } from "./_batch.ts";
import { register } from "./_lax.ts";
import { bind, type Primitive } from "../core/dispatch.ts";
import { convertInto, type DType, isDType, isFloat } from "../core/dtype.ts";
import { toTensor } from "../core/convert.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { viewTensor } from "../core/tensor.ts";
import { V } from "../core/kernels/wasm/vector.ts";

interface CastAttrs {
  dtype: DType;
}

/** The primitives of this family, by name. */
export const castPrims = {
  // Between float types d cast(x) = cast(dx); to int32 or bool the path is cut.
  cast: {
    name: "cast",
    shape: ([x], { dtype }) => ({ shape: x.shape, dtype }),
    // As convertData: to int32 truncated toward zero and wrapped (`| 0` is both); to bool,
    // every nonzero value (NaN included) is 1; to float32, rounded to it.
    scalar: ([x], dtype) =>
      dtype === "int32"
        ? `(${x} | 0)`
        : dtype === "bool"
        ? `(+(${x} !== 0))`
        : dtype === "float32"
        ? `Math.fround(${x})`
        : x,
    // Between float types: rounded to float32, or exact. To bool (a SIMD loop's intermediate):
    // 1.0 where the value is not zero, NaN included, as the scalar formula.
    vector: ([x], dtype) =>
      dtype === "float32"
        ? V.round32(x)
        : dtype === "bool"
        ? V.and(V.not(V.eq(x, V.num(0))), V.num(1))
        : x,
    kernels: { cpu: ([x], out, { dtype }) => convertInto(out.data, x.data, dtype) },
    jvp: (
      [t],
      [x],
      _,
      { dtype },
    ) => (t && isFloat(x.dtype) && isFloat(dtype) ? cast(t, dtype) : null),
    vjp: (g, [x]) => [isFloat(x.dtype) ? cast(g, x.dtype) : null],
    batch: vectorized,
    describe: ({ dtype }) => `cast (to ${dtype})`,
  } satisfies Primitive<CastAttrs>,
  // The identity, with no derivative in either mode.
  stopGradient: {
    name: "stopGradient",
    shape: ([x]) => x,
    // The identity in value.
    scalar: ([x]) => x,
    vector: ([x]) => x,
    shortcut: ([x]) => viewTensor(x, x.shape, x.dtype),
    kernels: { cpu: ([x], out) => out.data.set(x.data) },
    alias: 0,
    jvp: null,
    vjp: null,
    batch: vectorized,
  } satisfies Primitive<void>,
};
register(castPrims);

/**
 * Converts `x` to `dtype`. Between `float32` and `float64` the gradient passes through; a cast
 * to `int32` or `bool` cuts it (floats are truncated toward zero; to `bool`, every nonzero value,
 * NaN included, is true, as in TensorFlow and numpy).
 *
 * @param x The input.
 * @param dtype The target dtype.
 * @returns The converted tensor.
 * @example Truncating to integers
 * ```ts
 * import { cast } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const t = cast([1.7, -1.7], "int32");
 * assert.equal(t.dtype, "int32");
 * assert.deepEqual(t.toArray(), [1, -1]);
 * ```
 */
export function cast(x: TensorLike, dtype: DType): Tensor {
  if (!isDType(dtype)) {
    throw new TypeError(
      `cast: unknown dtype ${JSON.stringify(dtype)}: use "float32", "float64", "int32" or "bool"`,
    );
  }
  const t = toTensor(x, { op: "cast" });
  if (t.dtype === dtype) return t;
  return bind(castPrims.cast, [t], { dtype });
}

/**
 * The identity in value, but a constant for differentiation: no gradient flows through it, in
 * either mode.
 *
 * @param x The input.
 * @returns `x`'s values, cut from every tape and accumulator.
 * @example A gradient that ignores one path
 * ```ts
 * import { GradientTape, constant, multiply, stopGradient } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = constant(3);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const y = tape.record(() => multiply(x, stopGradient(x)));
 * assert.equal(tape.gradient(y, x)!.item(), 3);
 * ```
 */
export function stopGradient(x: TensorLike): Tensor {
  return bind(castPrims.stopGradient, [toTensor(x, { op: "stopGradient" })], undefined);
}
