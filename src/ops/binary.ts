/**
 * Elementwise arithmetic of two inputs, with numpy broadcasting. Reverse rules sum the
 * cotangent back to each input's shape (`sumTo`); forward rules broadcast the tangents.
 */
import type { Maybe, Primitive } from "../core/dispatch.ts";
import { dataOf, Tensor, type TensorLike, uniformTensor, uniformValue } from "../core/tensor.ts";
import { allocateUninit, scratchScalar } from "../core/dtype.ts";
import { toTensors } from "../core/convert.ts";
import { bind } from "../core/dispatch.ts";
import { cast } from "./cast.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { binaryLoops as L, sumKernel } from "../core/kernels/elementwise.ts";
import { binaryOp, binaryPrim } from "./_define.ts";
import { greater, greaterEqual, lessEqual, where } from "./compare.ts";
import { broadcastTo, sumTo } from "./movement.ts";
import { log, negative } from "./unary.ts";
import { lift } from "./_batch.ts";
import { zerosLike } from "./creation.ts";

// Forward rules accept tangents with leading batch dimensions (see _batch.ts): each tangent is
// lifted to broadcast against the output, and the sum of the terms is spread to its full shape.
function lifted(tx: Maybe, ty: Maybe, x: Tensor, y: Tensor, out: Tensor): [Maybe, Maybe] {
  return [tx && lift(tx, x, out), ty && lift(ty, y, out)];
}

function combine(out: Tensor, a: Maybe, b: Maybe): Maybe {
  const sum = a === null ? b : b === null ? a : add(a, b);
  if (sum === null) return null;
  const full = [...sum.shape.slice(0, sum.rank - out.rank), ...out.shape];
  return sameShape(sum.shape, full) ? sum : broadcastTo(sum, full);
}

// d(x₀ + x₁ + …) = dx₀ + dx₁ + …; tangents may carry different leading dimensions (some
// directions batched, some not), and then broadcasting adds them.
const addNPrim: Primitive<void> = {
  name: "addN",
  kernel(inputs) {
    const [x] = inputs;
    if (x.dtype === "bool") {
      throw new TypeError(
        `addN: no arithmetic on bool tensors: cast them first, e.g. cast(x, "float32")`,
      );
    }
    // Scalars (every cotangent of a scalar) sum without an array.
    let u = -0, i = 0;
    for (; i < inputs.length; i++) {
      const v = uniformValue(inputs[i]);
      if (v === undefined) break;
      u += v;
    }
    if (i === inputs.length) {
      return uniformTensor(scratchScalar(x.dtype, u, 2)[0], x.shape, x.dtype);
    }
    const terms = inputs.map((t) => uniformValue(t) ?? dataOf(t));
    const out = allocateUninit(x.dtype, x.size);
    sumKernel(out, terms, x.size);
    return new Tensor(out, x.shape, x.dtype);
  },
  jvp: (tangents) => {
    const ts = tangents.filter((t) => t !== null);
    if (ts.length === 0) return null;
    return ts.every((t) => sameShape(t.shape, ts[0].shape))
      ? addN(ts)
      : ts.reduce((a, t) => add(a, t));
  },
  vjp: (g, inputs) => inputs.map(() => g),
};

/** The binary arithmetic primitives, by name. */
export const binaryPrims = {
  addN: addNPrim,
  // d(x + y) = dx + dy
  add: binaryPrim("add", {
    loop: L.add,
    identity: { left: -0, right: -0 },
    jvp: ([tx, ty], [x, y], out) => combine(out, ...lifted(tx, ty, x, y, out)),
    vjp: (g, [x, y]) => [sumTo(g, x.shape), sumTo(g, y.shape)],
  }),
  // d(x - y) = dx - dy
  subtract: binaryPrim("subtract", {
    loop: L.subtract,
    identity: { right: 0 },
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = lifted(tx, ty, x, y, out);
      return combine(out, lx, ly && negative(ly));
    },
    vjp: (
      g,
      [x, y],
      _,
      __,
      needs,
    ) => [sumTo(g, x.shape), needs[1] ? sumTo(negative(g), y.shape) : null],
  }),
  // d(x·y) = dx·y + x·dy
  multiply: binaryPrim("multiply", {
    loop: L.multiply,
    identity: { left: 1, right: 1 },
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = lifted(tx, ty, x, y, out);
      return combine(out, lx && multiply(lx, y), ly && multiply(x, ly));
    },
    vjp: (g, [x, y], _, __, needs) => [
      needs[0] ? sumTo(multiply(g, y), x.shape) : null,
      needs[1] ? sumTo(multiply(g, x), y.shape) : null,
    ],
  }),
  // d(x/y) = dx/y - (x/y)·dy/y, reusing the output as recorded
  divide: binaryPrim("divide", {
    loop: L.divide,
    identity: { right: 1 },
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = lifted(tx, ty, x, y, out);
      return combine(out, lx && divide(lx, y), ly && negative(divide(multiply(out, ly), y)));
    },
    vjp: (g, [x, y], out, __, needs) => [
      needs[0] ? sumTo(divide(g, y), x.shape) : null,
      needs[1] ? sumTo(negative(divide(multiply(g, out), y)), y.shape) : null,
    ],
  }),
  // d(xʸ) = y·xʸ⁻¹·dx + xʸ·log(x)·dy (log taken as 0 where x ≤ 0, as TensorFlow)
  pow: binaryPrim("pow", {
    loop: L.pow,
    jvp: ([tx, ty], [x, y], out) => {
      const [lx, ly] = lifted(tx, ty, x, y, out);
      return combine(out, lx && multiply(lx, powDx(x, y)), ly && multiply(ly, powDy(x, out)));
    },
    vjp: (g, [x, y], out, __, needs) => [
      needs[0] ? sumTo(multiply(g, powDx(x, y)), x.shape) : null,
      needs[1] ? sumTo(multiply(g, powDy(x, out)), y.shape) : null,
    ],
  }),
  // d max(x, y) = dx where x ≥ y, else dy (ties go to x, as TensorFlow)
  maximum: binaryPrim("maximum", {
    loop: L.maximum,
    jvp: ([tx, ty], [x, y], out) => pick(greaterEqual(x, y), ...lifted(tx, ty, x, y, out), out),
    vjp: (g, [x, y]) => split(greaterEqual(x, y), g, x, y),
  }),
  // d min(x, y) = dx where x ≤ y, else dy
  minimum: binaryPrim("minimum", {
    loop: L.minimum,
    jvp: ([tx, ty], [x, y], out) => pick(lessEqual(x, y), ...lifted(tx, ty, x, y, out), out),
    vjp: (g, [x, y]) => split(lessEqual(x, y), g, x, y),
  }),
} satisfies Record<string, Primitive<void>>;

function powDx(x: Tensor, y: Tensor): Tensor {
  return multiply(y, pow(x, subtract(y, 1)));
}

function powDy(x: Tensor, out: Tensor): Tensor {
  // NOTE: log of a safe x, not where(x > 0, log(x), 0): the unused branch's NaN would leak
  // into the second derivative through where's gradient.
  const positive = greater(x, 0);
  const safe = where(positive, x, 1);
  return where(positive, multiply(out, log(safe)), 0);
}

function pick(mask: Tensor, lx: Maybe, ly: Maybe, out: Tensor): Maybe {
  if (lx === null && ly === null) return null;
  return combine(out, where(mask, lx ?? zerosLike(out), ly ?? zerosLike(out)), null);
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
 * console.log(add([[1, 2], [3, 4]], [10, 20]).toArray()); // [[11, 22], [13, 24]]
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
 * console.log(subtract([5, 7], 2).toArray()); // [3, 5]
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
 * console.log(multiply([1, 2], 3).toArray()); // [3, 6]
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
 * console.log(divide([1, 3], 2).toArray()); // [0.5, 1.5]
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
 * Elementwise `aᵇ`, broadcasting like numpy.
 *
 * @param a The base, float32 or float64.
 * @param b The exponent.
 * @returns The power.
 * @example Cubes
 * ```ts
 * import { pow } from "@gradtape/gradtape";
 * console.log(pow([2, 3], 3).toArray()); // [8, 27]
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
 * console.log(maximum([-1, 2], 0).toArray()); // [0, 2]
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
 * console.log(minimum([-1, 2], 0).toArray()); // [-1, 0]
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
 * console.log(squaredDifference([1, 4], [3, 1]).toArray()); // [4, 9]
 * ```
 */
export function squaredDifference(a: TensorLike, b: TensorLike): Tensor {
  const d = subtract(a, b);
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
 * console.log(addN([[1, 2], [3, 4], [5, 6]]).toArray()); // [9, 12]
 * ```
 */
export function addN(tensors: readonly TensorLike[]): Tensor {
  if (tensors.length === 0) throw new Error("addN: needs at least one tensor");
  const ts = toTensors("addN", tensors);
  for (const t of ts) {
    if (!sameShape(t.shape, ts[0].shape)) {
      throw new Error(
        `addN: shapes differ: ${fmtShape(ts[0].shape)} and ${fmtShape(t.shape)}: ` +
          `addN does not broadcast; use add for that`,
      );
    }
  }
  return ts.length === 1 ? ts[0] : bind(addNPrim, ts, undefined);
}
