/**
 * Elementwise ops of the contract's "More ops": inverse and hyperbolic trigonometry, the special
 * functions (erf, erfc, lgamma, digamma), tests of floats (isNaN, isInf, isFinite), and atan2,
 * floorDiv, mod (TensorFlow's floormod) and xlogy. Each is a primitive with a scalar formula, so
 * that jit fuses it; the special functions' formulas call the library's float64 implementations
 * (`$erf(x)`, see `formulaHelpers` in generated.ts), which Math lacks.
 */
import { bind, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import type { DType, TypedArray } from "../core/dtype.ts";
import { Tensor, type TensorLike, uniformValue } from "../core/tensor.ts";
import type { UnaryLoop } from "../core/kernels/elementwise.ts";
import {
  digamma as digammaOf,
  erf as erfOf,
  erfc as erfcOf,
  lgamma as lgammaOf,
  polygamma as polygammaOf,
} from "../core/kernels/special.ts";
import { vectorized } from "./_batch.ts";
import { binaryOp, binaryPrim, requireFloat, type ScalarFormula, unaryOp } from "./_define.ts";
import { add, cast, div, eq, mul, sub, sumTo, where } from "./_lax.ts";
import { combineTangents, liftTangents } from "./binary.ts";
import { exp, sqrt, unaryPrim } from "./unary.ts";

// A reference loop from a float64 function of one number.
function loopOf(f: (x: number) => number): UnaryLoop {
  return (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = f(a[i]);
  };
}

const call = (f: string): ScalarFormula => ([x]) => `${f}(${x})`;

// 1 / √(1 - x²), the derivative of asin.
const invSqrtOneMinusSquare = (x: Tensor): Tensor => div(1, sqrt(sub(1, mul(x, x))));

// 2/√π · e^(-x²), the derivative of erf.
const erfDeriv = (x: Tensor): Tensor => mul(2 / Math.sqrt(Math.PI), exp(mul(mul(x, x), -1)));

/** The polygamma function of order `n` ≥ 1 (the derivatives of digamma): see `polygammaPrim`. */
interface PolygammaAttrs {
  readonly n: number;
}

// NOTE: a primitive because digamma's derivatives are polygamma functions of every order, which
// no composite of the other ops computes; not elementwise in the formula sense (its formula
// would depend on the order, an attribute), so jit runs its kernel.
const polygammaPrim: Primitive<PolygammaAttrs> = {
  name: "polygamma",
  shape(inputs) {
    requireFloat("polygamma", inputs[0]);
    return inputs[0];
  },
  kernels: {
    cpu([x], out, { n }) {
      const a = x.data, o = out.data;
      for (let i = 0; i < o.length; i++) o[i] = polygammaOf(n, a[i]);
    },
  },
  // d ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁺¹⁾(x)·dx
  jvp: ([t], [x], _, { n }) => t && mul(t, polygamma(n + 1, x)),
  vjp: (g, [x], _, { n }) => [mul(g, polygamma(n + 1, x))],
  batch: vectorized,
  describe: ({ n }) => `polygamma (order ${n})`,
};

/**
 * The polygamma function `ψ⁽ⁿ⁾(x)` of order `n` ≥ 1, the derivatives of digamma (internal:
 * digamma's derivative rules use it).
 *
 * @param n The order, an integer ≥ 1.
 * @param x The input, float32 or float64.
 * @returns `ψ⁽ⁿ⁾(x)`.
 * @example ψ'(1) = π²/6
 * ```ts
 * import { polygamma } from "./special.ts";
 * import { constant } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(polygamma(1, constant(1, { dtype: "float64" })), Math.PI ** 2 / 6);
 * ```
 */
export function polygamma(n: number, x: Tensor): Tensor {
  return bind(polygammaPrim, [x], { n });
}

// An int32 divisor of 0 has no int32 quotient or remainder; TensorFlow refuses it too. A check
// of values, so the kernel's (and the shortcut's) rather than the shape rule's.
function refuseIntDivisionByZero(prim: Primitive<void>): Primitive<void> {
  const refuse = (dtype: DType, divisors: ArrayLike<number>): void => {
    if (dtype !== "int32") return;
    for (let i = 0; i < divisors.length; i++) {
      if (divisors[i] === 0) {
        throw new RangeError(
          `${prim.name}: integer division by zero (an int32 divisor is 0): ` +
            `make the divisors nonzero, or cast both operands to float32`,
        );
      }
    }
  };
  return {
    ...prim,
    shortcut(inputs, out, attrs) {
      const u = uniformValue(inputs[1]);
      if (u !== undefined) refuse(inputs[1].dtype, [u]);
      return prim.shortcut!(inputs, out, attrs);
    },
    kernels: {
      cpu(inputs, out, attrs) {
        refuse(inputs[1].dtype, inputs[1].data);
        prim.kernels.cpu(inputs, out, attrs);
      },
    },
  };
}

// A binary primitive of floats only (the shape rule refuses int32 and bool).
function floatOnly(prim: Primitive<void>): Primitive<void> {
  return {
    ...prim,
    shape(inputs, attrs) {
      requireFloat(prim.name, inputs[0]);
      return prim.shape(inputs, attrs);
    },
  };
}

// A binary reference loop from a float64 function of two numbers.
function binaryLoopOf(f: (a: number, b: number) => number) {
  return (
    o: TypedArray,
    oi: number,
    a: TypedArray,
    ai: number,
    sa: number,
    b: TypedArray,
    bi: number,
    sb: number,
    n: number,
  ): void => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = f(a[ai], b[bi]);
  };
}

// TensorFlow's floormod: the remainder with the divisor's sign.
function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

const floorModFormula: ScalarFormula = ([a, b], dtype) => {
  const r = `(${a} % ${b})`;
  const value = `(${r} !== 0 && (${r} < 0) !== (${b} < 0) ? ${r} + ${b} : ${r})`;
  // -4 % 2 is -0, which an int32 store makes 0.
  return dtype === "int32" ? `(${value} | 0)` : value;
};

// x·log(y), and 0 where x is 0 whatever y is, as TensorFlow's xlogy.
const xlogyOf = (x: number, y: number): number => x === 0 ? 0 : x * Math.log(y);

// x / y, and 0 where x is 0 (TensorFlow's xdivy, xlogy's derivative in y), with y replaced by 1
// there so that no NaN or Infinity reaches a gradient through `where`.
function xdivy(x: Tensor, y: Tensor): Tensor {
  const zero = eq(x, 0);
  return where(zero, 0, div(x, where(zero, 1, y)));
}

// log(y) where x ≠ 0, else 0: xlogy's derivative in x, itself an xlogy (so every order follows).
function xlogyDx(x: Tensor, y: Tensor): Tensor {
  return bind(specialPrims.xlogy, [sub(1, cast(eq(x, 0), x.dtype)), y], undefined);
}

/** The primitives of this family, by name. */
export const specialPrims = {
  // d asin x = dx / √(1 - x²)
  asin: unaryPrim("asin", {
    loop: loopOf(Math.asin),
    scalar: call("Math.asin"),
    deriv: invSqrtOneMinusSquare,
  }),
  // d acos x = -dx / √(1 - x²)
  acos: unaryPrim("acos", {
    loop: loopOf(Math.acos),
    scalar: call("Math.acos"),
    deriv: (x) => mul(invSqrtOneMinusSquare(x), -1),
  }),
  // d atan x = dx / (1 + x²)
  atan: unaryPrim("atan", {
    loop: loopOf(Math.atan),
    scalar: call("Math.atan"),
    deriv: (x) => div(1, add(mul(x, x), 1)),
  }),
  // d sinh x = cosh x·dx
  sinh: unaryPrim("sinh", {
    loop: loopOf(Math.sinh),
    scalar: call("Math.sinh"),
    deriv: (x) => cosh(x),
  }),
  // d cosh x = sinh x·dx
  cosh: unaryPrim("cosh", {
    loop: loopOf(Math.cosh),
    scalar: call("Math.cosh"),
    deriv: (x) => sinh(x),
  }),
  // d asinh x = dx / √(x² + 1)
  asinh: unaryPrim("asinh", {
    loop: loopOf(Math.asinh),
    scalar: call("Math.asinh"),
    deriv: (x) => div(1, sqrt(add(mul(x, x), 1))),
  }),
  // d acosh x = dx / (√(x - 1)·√(x + 1)), accurate near 1 where x² - 1 is not
  acosh: unaryPrim("acosh", {
    loop: loopOf(Math.acosh),
    scalar: call("Math.acosh"),
    deriv: (x) => div(1, mul(sqrt(sub(x, 1)), sqrt(add(x, 1)))),
  }),
  // d atanh x = dx / (1 - x²)
  atanh: unaryPrim("atanh", {
    loop: loopOf(Math.atanh),
    scalar: call("Math.atanh"),
    deriv: (x) => div(1, sub(1, mul(x, x))),
  }),
  // NOTE: primitives for the special functions: no composite of the other ops computes them.
  // d erf x = 2/√π·e^(-x²)·dx
  erf: unaryPrim("erf", { loop: loopOf(erfOf), scalar: call("$erf"), deriv: erfDeriv }),
  // d erfc x = -2/√π·e^(-x²)·dx
  erfc: unaryPrim("erfc", {
    loop: loopOf(erfcOf),
    scalar: call("$erfc"),
    deriv: (x) => mul(erfDeriv(x), -1),
  }),
  // d log|Γ(x)| = ψ(x)·dx
  lgamma: unaryPrim("lgamma", {
    loop: loopOf(lgammaOf),
    scalar: call("$lgamma"),
    deriv: (x) => digamma(x),
  }),
  // d ψ(x) = ψ'(x)·dx
  digamma: unaryPrim("digamma", {
    loop: loopOf(digammaOf),
    scalar: call("$digamma"),
    deriv: (x) => polygamma(1, x),
  }),
  polygamma: polygammaPrim,
  isNaN: unaryPrim("isNaN", {
    loop: loopOf((x) => +(x !== x)),
    scalar: ([x]) => `(+(${x} !== ${x}))`,
    outDtype: "bool",
  }),
  isInf: unaryPrim("isInf", {
    loop: loopOf((x) => +(Math.abs(x) === Infinity)),
    scalar: ([x]) => `(+(Math.abs(${x}) === Infinity))`,
    outDtype: "bool",
  }),
  isFinite: unaryPrim("isFinite", {
    loop: loopOf((x) => +(x - x === 0)),
    scalar: ([x]) => `(+(${x} - ${x} === 0))`,
    outDtype: "bool",
  }),
  // d atan2(y, x) = (x·dy - y·dx) / (x² + y²)
  atan2: floatOnly(binaryPrim("atan2", {
    loop: binaryLoopOf(Math.atan2),
    scalar: ([y, x]) => `Math.atan2(${y}, ${x})`,
    jvp: ([ty, tx], [y, x], out) => {
      const [ly, lx] = liftTangents(ty, tx, y, x, out);
      const r2 = add(mul(x, x), mul(y, y));
      return combineTangents(out, ly && mul(ly, div(x, r2)), lx && mul(lx, div(mul(y, -1), r2)));
    },
    vjp: (g, [y, x], _, __, needs) => {
      const r2 = add(mul(x, x), mul(y, y));
      return [
        needs[0] ? sumTo(mul(g, div(x, r2)), y.shape) : null,
        needs[1] ? sumTo(mul(g, div(mul(y, -1), r2)), x.shape) : null,
      ];
    },
  })),
  // No gradient, as TensorFlow's floordiv.
  floorDiv: refuseIntDivisionByZero(binaryPrim("floorDiv", {
    loop: binaryLoopOf((a, b) => Math.floor(a / b)),
    // Exact for int32: a quotient of int32s is never within rounding of an integer it is not.
    scalar: ([a, b], dtype) =>
      dtype === "int32" ? `(Math.floor(${a} / ${b}) | 0)` : `Math.floor(${a} / ${b})`,
  })),
  // d mod(x, y) = dx - floorDiv(x, y)·dy, as TensorFlow's floormod
  mod: refuseIntDivisionByZero(binaryPrim("mod", {
    loop: binaryLoopOf(floorMod),
    scalar: floorModFormula,
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = liftTangents(tx, ty, x, y, out);
      return combineTangents(out, lx, ly && mul(ly, mul(floorDiv(x, y), -1)));
    },
    vjp: (g, [x, y], _, __, needs) => [
      needs[0] ? sumTo(g, x.shape) : null,
      needs[1] ? sumTo(mul(g, mul(floorDiv(x, y), -1)), y.shape) : null,
    ],
  })),
  // d xlogy(x, y) = xlogy(x ≠ 0, y)·dx + xdivy(x, y)·dy, as TensorFlow's
  xlogy: floatOnly(binaryPrim("xlogy", {
    loop: binaryLoopOf(xlogyOf),
    scalar: ([x, y]) => `(${x} === 0 ? 0 : ${x} * Math.log(${y}))`,
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = liftTangents(tx, ty, x, y, out);
      return combineTangents(out, lx && mul(lx, xlogyDx(x, y)), ly && mul(ly, xdivy(x, y)));
    },
    vjp: (g, [x, y], _, __, needs) => [
      needs[0] ? sumTo(mul(g, xlogyDx(x, y)), x.shape) : null,
      needs[1] ? sumTo(mul(g, xdivy(x, y)), y.shape) : null,
    ],
  })),
} satisfies Record<string, Primitive<never>>;

/**
 * Elementwise arcsine.
 *
 * @param x The input in [-1, 1], float32 or float64 (NaN outside).
 * @returns `asin(x)`, in [-π/2, π/2].
 * @example
 * ```ts
 * import { asin } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(asin([0, 1]).toArray(), [0, Math.fround(Math.PI / 2)]);
 * ```
 */
export const asin: (x: TensorLike) => Tensor = unaryOp(specialPrims.asin);

/**
 * Elementwise arccosine.
 *
 * @param x The input in [-1, 1], float32 or float64 (NaN outside).
 * @returns `acos(x)`, in [0, π].
 * @example
 * ```ts
 * import { acos } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(acos([1, -1]).toArray(), [0, Math.fround(Math.PI)]);
 * ```
 */
export const acos: (x: TensorLike) => Tensor = unaryOp(specialPrims.acos);

/**
 * Elementwise arctangent.
 *
 * @param x The input, float32 or float64.
 * @returns `atan(x)`, in (-π/2, π/2).
 * @example
 * ```ts
 * import { atan } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(atan(1).item(), Math.fround(Math.PI / 4));
 * ```
 */
export const atan: (x: TensorLike) => Tensor = unaryOp(specialPrims.atan);

/**
 * Elementwise hyperbolic sine.
 *
 * @param x The input, float32 or float64.
 * @returns `sinh(x)`.
 * @example
 * ```ts
 * import { sinh } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(sinh(0).item(), 0);
 * ```
 */
export const sinh: (x: TensorLike) => Tensor = unaryOp(specialPrims.sinh);

/**
 * Elementwise hyperbolic cosine.
 *
 * @param x The input, float32 or float64.
 * @returns `cosh(x)`, at least 1.
 * @example
 * ```ts
 * import { cosh } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(cosh(0).item(), 1);
 * ```
 */
export const cosh: (x: TensorLike) => Tensor = unaryOp(specialPrims.cosh);

/**
 * Elementwise inverse hyperbolic sine.
 *
 * @param x The input, float32 or float64.
 * @returns `asinh(x)`.
 * @example
 * ```ts
 * import { asinh, constant } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(asinh(constant(0.75, { dtype: "float64" })).item(), Math.log(2));
 * ```
 */
export const asinh: (x: TensorLike) => Tensor = unaryOp(specialPrims.asinh);

/**
 * Elementwise inverse hyperbolic cosine.
 *
 * @param x The input, at least 1 (NaN below), float32 or float64.
 * @returns `acosh(x)`, at least 0.
 * @example
 * ```ts
 * import { acosh } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(acosh(1).item(), 0);
 * ```
 */
export const acosh: (x: TensorLike) => Tensor = unaryOp(specialPrims.acosh);

/**
 * Elementwise inverse hyperbolic tangent.
 *
 * @param x The input in (-1, 1) (±Infinity at ±1, NaN beyond), float32 or float64.
 * @returns `atanh(x)`.
 * @example
 * ```ts
 * import { atanh } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(atanh([0, 1]).toArray(), [0, Infinity]);
 * ```
 */
export const atanh: (x: TensorLike) => Tensor = unaryOp(specialPrims.atanh);

/**
 * Elementwise error function `erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`, accurate to an ulp or two in float64.
 *
 * @param x The input, float32 or float64.
 * @returns `erf(x)`, in [-1, 1].
 * @example
 * ```ts
 * import { constant, erf } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(erf(constant([0, 1], { dtype: "float64" })), [0, 0.8427007929497149], { rtol: 1e-15 });
 * ```
 */
export const erf: (x: TensorLike) => Tensor = unaryOp(specialPrims.erf);

/**
 * Elementwise complementary error function `erfc(x) = 1 - erf(x)`, accurate far into the tail
 * (where `1 - erf(x)` is 0): in float64 to erfc(26.5) ≈ 2·10⁻³⁰⁷ and the subnormals beyond.
 *
 * @param x The input, float32 or float64.
 * @returns `erfc(x)`, in [0, 2].
 * @example
 * ```ts
 * import { constant, erfc } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(erfc(constant(10, { dtype: "float64" })), 2.088487583762545e-45, { rtol: 1e-15 });
 * ```
 */
export const erfc: (x: TensorLike) => Tensor = unaryOp(specialPrims.erfc);

/**
 * Elementwise `log |Γ(x)|`, also for negative non-integers (by reflection); `Infinity` at 0,
 * the negative integers and ±Infinity. In float64 within a few ulps for x > 0; below 0 within a
 * few ulps of the reflection's terms, so with a larger relative error close to its zeros there.
 *
 * @param x The input, float32 or float64.
 * @returns `log |Γ(x)|`.
 * @example lgamma(1/2) = log √π
 * ```ts
 * import { constant, lgamma } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(lgamma(constant([0.5, 5], { dtype: "float64" })), [Math.log(Math.sqrt(Math.PI)), Math.log(24)]);
 * ```
 */
export const lgamma: (x: TensorLike) => Tensor = unaryOp(specialPrims.lgamma);

/**
 * Elementwise digamma function `ψ(x) = d/dx log Γ(x)`, also for negative non-integers (by
 * reflection); -Infinity at 0 (+Infinity at -0), NaN at the negative integers (its other poles).
 * In float64 within a few ulps for x > 0; below 0 within a few ulps of the reflection's terms,
 * so with a larger relative error close to its zeros there.
 *
 * @param x The input, float32 or float64.
 * @returns `ψ(x)`.
 * @example ψ(1) = -γ
 * ```ts
 * import { constant, digamma } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(digamma(constant(1, { dtype: "float64" })).item(), -0.5772156649015329);
 * ```
 */
export const digamma: (x: TensorLike) => Tensor = unaryOp(specialPrims.digamma);

/**
 * Elementwise test for NaN. No gradient.
 *
 * @param x The input, float32 or float64.
 * @returns A bool tensor, true where `x` is NaN.
 * @example
 * ```ts
 * import { isNaN } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(isNaN([NaN, 1, Infinity]).toArray(), [true, false, false]);
 * ```
 */
export const isNaN: (x: TensorLike) => Tensor = unaryOp(specialPrims.isNaN);

/**
 * Elementwise test for ±Infinity. No gradient.
 *
 * @param x The input, float32 or float64.
 * @returns A bool tensor, true where `x` is Infinity or -Infinity.
 * @example
 * ```ts
 * import { isInf } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(isInf([NaN, 1, -Infinity]).toArray(), [false, false, true]);
 * ```
 */
export const isInf: (x: TensorLike) => Tensor = unaryOp(specialPrims.isInf);

/**
 * Elementwise test for finite values (neither NaN nor ±Infinity). No gradient.
 *
 * @param x The input, float32 or float64.
 * @returns A bool tensor, true where `x` is finite.
 * @example
 * ```ts
 * import { isFinite } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(isFinite([NaN, 1, Infinity]).toArray(), [false, true, false]);
 * ```
 */
export const isFinite: (x: TensorLike) => Tensor = unaryOp(specialPrims.isFinite);

/**
 * Elementwise angle of the point `(x, y)`: `atan2(y, x)`, with numpy broadcasting.
 *
 * @param y The ordinate, float32 or float64.
 * @param x The abscissa, of `y`'s dtype.
 * @returns The angle in radians, in [-π, π].
 * @example
 * ```ts
 * import { atan2 } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(atan2([1, 0], [0, -1]).toArray(), [Math.fround(Math.PI / 2), Math.fround(Math.PI)]);
 * ```
 */
export const atan2: (y: TensorLike, x: TensorLike) => Tensor = binaryOp(specialPrims.atan2);

/**
 * Elementwise floor division `⌊a / b⌋`, as TensorFlow's `floordiv`, with numpy broadcasting; for
 * int32 an int32 result, and an error for a divisor of 0. No gradient.
 *
 * @param a The dividend, float32, float64 or int32.
 * @param b The divisor, of `a`'s dtype.
 * @returns `⌊a / b⌋`, of their dtype.
 * @example Rounding toward -Infinity
 * ```ts
 * import { constant, floorDiv } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const a = constant([7, -7], { dtype: "int32" });
 * assert.deepEqual(floorDiv(a, 2).toArray(), [3, -4]);
 * ```
 */
export const floorDiv: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(specialPrims.floorDiv);

/**
 * Elementwise remainder of floor division, with the divisor's sign (TensorFlow's `floormod`,
 * Python's `%`): `a - ⌊a / b⌋·b`, with numpy broadcasting; for int32 an int32 result, and an error
 * for a divisor of 0. Its gradient is 1 in `a` and `-⌊a / b⌋` in `b`, as TensorFlow's.
 *
 * @param a The dividend, float32, float64 or int32.
 * @param b The divisor, of `a`'s dtype.
 * @returns The remainder, of their dtype.
 * @example
 * ```ts
 * import { constant, mod } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(mod(constant([7, -7], { dtype: "int32" }), 3).toArray(), [1, 2]);
 * assert.deepEqual(mod([7.5, -7.5], -2).toArray(), [-0.5, -1.5]);
 * ```
 */
export const mod: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(specialPrims.mod);

/**
 * Elementwise `x·log(y)`, and 0 where `x` is 0 (whatever `y` is), as TensorFlow's `xlogy`; with
 * numpy broadcasting. Its gradient is TensorFlow's: `log(y)` (0 where `x` is 0) in `x`, and `x/y`
 * (0 where `x` is 0) in `y`.
 *
 * @param x The factor, float32 or float64.
 * @param y The argument of the logarithm, of `x`'s dtype.
 * @returns `x·log(y)`.
 * @example 0·log 0 is 0
 * ```ts
 * import { xlogy } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(xlogy([0, 2], [0, 1]).toArray(), [0, 0]);
 * ```
 */
export const xlogy: (x: TensorLike, y: TensorLike) => Tensor = binaryOp(specialPrims.xlogy);

/**
 * Elementwise `1 / x` (a composite).
 *
 * @param x The input, float32 or float64.
 * @returns `1/x`.
 * @example
 * ```ts
 * import { reciprocal } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reciprocal([2, -4]).toArray(), [0.5, -0.25]);
 * ```
 */
export function reciprocal(x: TensorLike): Tensor {
  const t = x instanceof Tensor ? x : toTensor(x, { op: "reciprocal" });
  requireFloat("reciprocal", t);
  return div(1, t);
}
