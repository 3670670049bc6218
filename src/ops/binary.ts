/**
 * Elementwise arithmetic of two inputs, with numpy broadcasting. Reverse rules sum the
 * cotangent back to each input's shape (`sumTo`); forward rules broadcast the tangents.
 */
import type { Kernel, Maybe, Primitive } from "../core/dispatch.ts";
import { type Tensor, type TensorLike, uniformTensor, uniformValue } from "../core/tensor.ts";
import { type DType, scratchScalar } from "../core/dtype.ts";
import { toTensors } from "../core/convert.ts";
import { bind } from "../core/dispatch.ts";
import { broadcastShapes, fmtShape, sameShape } from "../core/shape.ts";
import { describeValue } from "../core/check.ts";
import { binaryLoops as L, sumKernel } from "../core/kernels/elementwise.ts";
import { V } from "../core/kernels/wasm/vector.ts";
import {
  binaryOp,
  binaryPrim,
  elementwiseKernel,
  requireNumeric,
  requireSameDtype,
  type ScalarFormula,
} from "./_define.ts";
import {
  and,
  broadcastTo,
  cast,
  eq,
  ge,
  gt,
  le,
  log,
  neg,
  register,
  sumTo,
  where,
} from "./_lax.ts";
import { lift, sameShapes } from "./_batch.ts";
import { zerosLike } from "./creation.ts";

// Forward rules accept tangents with leading batch dimensions (see _batch.ts): each tangent is
// lifted to broadcast against the output, and the sum of the terms is spread to its full shape.
/** Each tangent lifted to broadcast against the output (forward rules of binary ops). */
export function liftTangents(
  tx: Maybe,
  ty: Maybe,
  x: Tensor,
  y: Tensor,
  out: Tensor,
): [Maybe, Maybe] {
  return [tx && lift(tx, x, out), ty && lift(ty, y, out)];
}

/** The sum of a forward rule's terms (either may be absent), spread to the output's full shape. */
export function combineTangents(out: Tensor, a: Maybe, b: Maybe): Maybe {
  const sum = a === null ? b : b === null ? a : add(a, b);
  if (sum === null) return null;
  const full = [...sum.shape.slice(0, sum.rank - out.rank), ...out.shape];
  return sameShape(sum.shape, full) ? sum : broadcastTo(sum, full);
}

// d(x₀ + x₁ + …) = dx₀ + dx₁ + …; tangents may carry different leading dimensions (some
// directions batched, some not), and then broadcasting adds them.
const addNFormula: ScalarFormula = (args, dtype) =>
  dtype === "int32" ? `((${args.join(" + ")}) | 0)` : `(${args.join(" + ")})`;

const sumReference: Kernel<void> = (inputs, out) =>
  sumKernel(
    out.data,
    inputs.map((t) => t.data.length === 1 && out.data.length !== 1 ? t.data[0] : t.data),
    out.data.length,
  );

const sums = new Map<number, Kernel<void>>();

const addNPrim: Primitive<void> = {
  name: "addN",
  shape(inputs) {
    const x = inputs[0];
    for (let i = 1; i < inputs.length; i++) {
      const t = inputs[i];
      if (!sameShape(t.shape, x.shape)) {
        throw new Error(
          `addN: shapes differ: ${fmtShape(x.shape)} and ${fmtShape(t.shape)}: ` +
            `addN does not broadcast; use add for that`,
        );
      }
      requireSameDtype("addN", x, t);
    }
    if (x.dtype === "bool") {
      throw new TypeError(
        `addN: no arithmetic on bool tensors: cast them first, e.g. cast(x, "float32")`,
      );
    }
    return x;
  },
  // Left to right in float64, rounded once by the store, as the kernels add.
  scalar: addNFormula,
  vector: (terms) => V.sum(terms),
  // Scalars (every cotangent of a scalar) sum without an array.
  shortcut(inputs, out) {
    let u = -0;
    for (let i = 0; i < inputs.length; i++) {
      const v = uniformValue(inputs[i]);
      if (v === undefined) return undefined;
      u += v;
    }
    return uniformTensor(scratchScalar(out.dtype, u, 2)[0], out.shape, out.dtype);
  },
  kernels: {
    // Generated loops, one per number of terms.
    cpu(inputs, out, attrs) {
      let kernel = sums.get(inputs.length);
      if (kernel === undefined) {
        kernel = elementwiseKernel("addN", addNFormula, inputs.length, sumReference);
        sums.set(inputs.length, kernel);
      }
      kernel(inputs, out, attrs);
    },
  },
  jvp: (tangents) => {
    const ts = tangents.filter((t) => t !== null);
    if (ts.length === 0) return null;
    return ts.every((t) => sameShape(t.shape, ts[0].shape))
      ? addN(ts)
      : ts.reduce((a, t) => add(a, t));
  },
  vjp: (g, inputs) => inputs.map(() => g),
  batch: sameShapes,
};

// `a op b`; for int32, wrapped back into the range as the kernel's store does (a product may also
// lose low bits in float64 first, exactly as the kernel's does).
function arithmetic(op: "+" | "-" | "*" | "/"): ScalarFormula {
  return ([a, b], dtype) => dtype === "int32" ? `((${a} ${op} ${b}) | 0)` : `(${a} ${op} ${b})`;
}

/** The binary arithmetic primitives, by name. */
export const binaryPrims = {
  addN: addNPrim,
  // d(x + y) = dx + dy
  add: binaryPrim("add", {
    loop: L.add,
    vector: ([a, b]) => V.add(a, b),
    scalar: arithmetic("+"),
    identity: { left: -0, right: -0 },
    jvp: ([tx, ty], [x, y], out) => combineTangents(out, ...liftTangents(tx, ty, x, y, out)),
    vjp: (g, [x, y]) => [sumTo(g, x.shape), sumTo(g, y.shape)],
  }),
  // d(x - y) = dx - dy
  subtract: binaryPrim("subtract", {
    loop: L.subtract,
    vector: ([a, b]) => V.sub(a, b),
    scalar: arithmetic("-"),
    identity: { right: 0 },
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = liftTangents(tx, ty, x, y, out);
      return combineTangents(out, lx, ly && neg(ly));
    },
    vjp: (
      g,
      [x, y],
      _,
      __,
      needs,
    ) => [sumTo(g, x.shape), needs[1] ? sumTo(neg(g), y.shape) : null],
  }),
  // d(x·y) = dx·y + x·dy
  multiply: binaryPrim("multiply", {
    loop: L.multiply,
    vector: ([a, b]) => V.mul(a, b),
    scalar: arithmetic("*"),
    identity: { left: 1, right: 1 },
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = liftTangents(tx, ty, x, y, out);
      return combineTangents(out, lx && multiply(lx, y), ly && multiply(x, ly));
    },
    vjp: (g, [x, y], _, __, needs) => [
      needs[0] ? sumTo(multiply(g, y), x.shape) : null,
      needs[1] ? sumTo(multiply(g, x), y.shape) : null,
    ],
  }),
  // d(x/y) = dx/y - (x/y)·dy/y, reusing the output as recorded
  divide: binaryPrim("divide", {
    loop: L.divide,
    vector: ([a, b]) => V.div(a, b),
    scalar: arithmetic("/"),
    identity: { right: 1 },
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = liftTangents(tx, ty, x, y, out);
      return combineTangents(out, lx && divide(lx, y), ly && neg(divide(multiply(out, ly), y)));
    },
    vjp: (g, [x, y], out, __, needs) => [
      needs[0] ? sumTo(divide(g, y), x.shape) : null,
      needs[1] ? sumTo(neg(divide(multiply(g, out), y)), y.shape) : null,
    ],
  }),
  // d(xʸ) = y·xʸ⁻¹·dx + xʸ·log(x)·dy (log taken as 0 where x ≤ 0, as TensorFlow)
  pow: refuseNegativeIntPowers(binaryPrim("pow", {
    loop: L.pow,
    scalar: ([a, b], dtype) =>
      dtype === "int32" ? `(Math.pow(${a}, ${b}) | 0)` : `Math.pow(${a}, ${b})`,
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = liftTangents(tx, ty, x, y, out);
      return combineTangents(
        out,
        lx && multiply(lx, powDx(x, y)),
        ly && multiply(ly, powDy(x, out)),
      );
    },
    vjp: (g, [x, y], out, __, needs) => [
      needs[0] ? sumTo(multiply(g, powDx(x, y)), x.shape) : null,
      needs[1] ? sumTo(multiply(g, powDy(x, out)), y.shape) : null,
    ],
  })),
  // d max(x, y) = dx where x ≥ y, else dy (ties go to x, as TensorFlow)
  maximum: binaryPrim("maximum", {
    loop: L.maximum,
    // Math.max and f32x4.max agree on NaN and on signed zeros.
    vector: ([a, b]) => V.max(a, b),
    scalar: ([a, b]) => `Math.max(${a}, ${b})`,
    jvp: ([tx, ty], [x, y], out) => pick(ge(x, y), ...liftTangents(tx, ty, x, y, out), out),
    vjp: (g, [x, y]) => split(ge(x, y), g, x, y),
  }),
  // d min(x, y) = dx where x ≤ y, else dy
  minimum: binaryPrim("minimum", {
    loop: L.minimum,
    // Math.min and f32x4.min agree on NaN and on signed zeros.
    vector: ([a, b]) => V.min(a, b),
    scalar: ([a, b]) => `Math.min(${a}, ${b})`,
    jvp: ([tx, ty], [x, y], out) => pick(le(x, y), ...liftTangents(tx, ty, x, y, out), out),
    vjp: (g, [x, y]) => split(le(x, y), g, x, y),
  }),
} satisfies Record<string, Primitive<void>>;
register(binaryPrims);

// NOTE: y·xʸ⁻¹ is 0·0⁻¹ = NaN at x = 0, y = 0, and every higher derivative of an integer power
// comes to that point at x = 0 (x¹'s second, x³'s fourth), where the true value is 0, as JAX
// and PyTorch give. There x is replaced by 1 (0·1⁻¹ = 0), cut from differentiation by `where`,
// so that every order stays finite; elsewhere the rule and its derivatives in y are untouched.
function powDx(x: Tensor, y: Tensor): Tensor {
  const u = uniformValue(y);
  if (u !== undefined && u !== 0) return multiply(y, pow(x, subtract(y, 1)));
  const both = and(eq(x, 0), eq(y, 0));
  return multiply(y, pow(where(both, 1, x), subtract(y, 1)));
}

// An int32 base to a negative power has no int32 result; TensorFlow refuses it too. A check of
// values, not of shapes and dtypes, so the kernel's rather than the shape rule's.
function refuseNegativeIntPowers(prim: Primitive<void>): Primitive<void> {
  const refuse = (x: { dtype: DType }, exponents: ArrayLike<number>): void => {
    if (x.dtype !== "int32") return;
    for (let i = 0; i < exponents.length; i++) {
      const e = exponents[i];
      if (e < 0) {
        throw new RangeError(
          `pow: integers to negative integer powers are not allowed, got the exponent ${e} ` +
            `for an int32 base: cast the base to float32 first`,
        );
      }
    }
  };
  return {
    ...prim,
    shortcut(inputs, out, attrs) {
      const u = uniformValue(inputs[1]);
      if (u !== undefined) refuse(inputs[0], [u]);
      return prim.shortcut!(inputs, out, attrs);
    },
    kernels: {
      cpu(inputs, out, attrs) {
        refuse(inputs[0], inputs[1].data);
        prim.kernels.cpu(inputs, out, attrs);
      },
    },
  };
}

function powDy(x: Tensor, out: Tensor): Tensor {
  // NOTE: log of a safe x, not where(x > 0, log(x), 0): the unused branch's NaN would leak
  // into the second derivative through where's gradient.
  const positive = gt(x, 0);
  const safe = where(positive, x, 1);
  return where(positive, multiply(out, log(safe)), 0);
}

function pick(mask: Tensor, lx: Maybe, ly: Maybe, out: Tensor): Maybe {
  if (lx === null && ly === null) return null;
  return combineTangents(out, where(mask, lx ?? zerosLike(out), ly ?? zerosLike(out)), null);
}

function split(mask: Tensor, g: Tensor, x: Tensor, y: Tensor): Maybe[] {
  const zero = zerosLike(g);
  return [sumTo(where(mask, g, zero), x.shape), sumTo(where(mask, zero, g), y.shape)];
}

/**
 * Elementwise `a + b`, broadcasting like numpy.
 *
 * @param a The first operand (a plain number takes the other operand's dtype).
 * @param b The second operand.
 * @returns The sum, of the broadcast shape.
 * @example Adding a row to each row of a matrix
 * ```ts
 * import { add } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(add([[1, 2], [3, 4]], [10, 20]).toArray(), [[11, 22], [13, 24]]);
 * ```
 */
export const add: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(binaryPrims.add);

/**
 * Elementwise `a - b`, broadcasting like numpy.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns The difference.
 * @example Subtracting
 * ```ts
 * import { subtract } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(subtract([5, 7], 2).toArray(), [3, 5]);
 * ```
 */
export const subtract: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(binaryPrims.subtract);

/**
 * Elementwise `a · b`, broadcasting like numpy.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns The product.
 * @example Scaling
 * ```ts
 * import { multiply } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(multiply([1, 2], 3).toArray(), [3, 6]);
 * ```
 */
export const multiply: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(binaryPrims.multiply);

/**
 * Elementwise `a / b`, broadcasting like numpy.
 *
 * @param a The numerator.
 * @param b The denominator.
 * @returns The quotient (float64 for int32 operands, as TensorFlow's true division).
 * @example Dividing
 * ```ts
 * import { divide } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(divide([1, 3], 2).toArray(), [0.5, 1.5]);
 * ```
 */
export function divide(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = toTensors("divide", [a, b]);
  // True division, as TensorFlow's: int32 operands give float64 rather than a truncated int.
  if (x.dtype === "int32") {
    return bind(binaryPrims.divide, [cast(x, "float64"), cast(y, "float64")], undefined);
  }
  return bind(binaryPrims.divide, [x, y], undefined);
}

/**
 * Elementwise `aᵇ`, broadcasting like numpy. The derivative in `a` is `b·aᵇ⁻¹`, taken as 0
 * where `b` is 0 (as JAX and PyTorch), so that every derivative of an integer power is finite at
 * `a = 0`; the derivative in `b` is `aᵇ·log(a)`, taken as 0 where `a ≤ 0` (as TensorFlow).
 *
 * @param a The base, float32, float64 or int32.
 * @param b The exponent; for an int32 base, not negative (as in TensorFlow).
 * @returns The power.
 * @example Cubes
 * ```ts
 * import { pow } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(pow([2, 3], 3).toArray(), [8, 27]);
 * ```
 */
export const pow: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(binaryPrims.pow);

/**
 * Elementwise maximum; at ties the gradient goes to `a`.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns `max(a, b)`.
 * @example Clipping from below
 * ```ts
 * import { maximum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(maximum([-1, 2], 0).toArray(), [0, 2]);
 * ```
 */
export const maximum: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(binaryPrims.maximum);

/**
 * Elementwise minimum; at ties the gradient goes to `a`.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns `min(a, b)`.
 * @example Clipping from above
 * ```ts
 * import { minimum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(minimum([-1, 2], 0).toArray(), [-1, 0]);
 * ```
 */
export const minimum: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(binaryPrims.minimum);

/**
 * `(a - b)²`, elementwise (a composite).
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns The squared difference.
 * @example Squared error
 * ```ts
 * import { squaredDifference } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(squaredDifference([1, 4], [3, 1]).toArray(), [4, 9]);
 * ```
 */
export function squaredDifference(a: TensorLike, b: TensorLike): Tensor {
  // Checked here so that errors name this op, not the inner subtract.
  const [ta, tb] = toTensors("squaredDifference", [a, b]);
  requireNumeric("squaredDifference", ta);
  broadcastShapes("squaredDifference", ta.shape, tb.shape);
  const d = subtract(ta, tb);
  return multiply(d, d);
}

/**
 * The elementwise sum of a list of tensors of one shape and dtype, in one pass over them (the
 * reverse engine sums the cotangents an input gets from several ops with it, as TensorFlow does).
 *
 * @param tensors One or more tensors.
 * @returns Their sum.
 * @example Summing three vectors
 * ```ts
 * import { addN } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(addN([[1, 2], [3, 4], [5, 6]]).toArray(), [9, 12]);
 * ```
 */
export function addN(tensors: readonly TensorLike[]): Tensor {
  if (!Array.isArray(tensors)) {
    throw new TypeError(`addN: expects an array of tensors, not ${describeValue(tensors)}`);
  }
  if (tensors.length === 0) throw new Error("addN: needs at least one tensor, got an empty array");
  const ts = toTensors("addN", tensors);
  return ts.length === 1 ? ts[0] : bind(addNPrim, ts, undefined);
}
