/** Comparisons and logic (bool outputs, no gradient), and `where`. */
import { type Aval, bind, type Primitive } from "../core/dispatch.ts";
import { toTensor, toTensors } from "../core/convert.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { binaryLoops as L, selectKernel, unaryLoops } from "../core/kernels/elementwise.ts";
import {
  binaryOp,
  binaryPrim,
  binaryShape,
  elementwiseKernel,
  requireSameDtype,
  type ScalarFormula,
  unaryOp,
} from "./_define.ts";
import { broadcastShapes } from "../core/shape.ts";
import { V, type VNode } from "../core/kernels/wasm/vector.ts";
import { register, sumTo } from "./_lax.ts";
import { zerosLike } from "./creation.ts";
import { broadcasting, lift, spread, vectorized } from "./_batch.ts";

const COMPARE = {
  equal: "===",
  notEqual: "!==",
  less: "<",
  lessEqual: "<=",
  greater: ">",
  greaterEqual: ">=",
} as const;

// The comparisons on SIMD lanes, as masks (a lane with NaN compares false; `notEqual` true).
const MASKS: Record<keyof typeof COMPARE, (a: VNode, b: VNode) => VNode> = {
  equal: V.eq,
  notEqual: (a, b) => V.not(V.eq(a, b)),
  less: V.lt,
  lessEqual: V.le,
  greater: V.gt,
  greaterEqual: V.ge,
};

// Bool outputs are 1 or 0 (a comparison with NaN is false, `!==` true, as in the loops), made
// without a branch (see binaryLoops in elementwise.ts). On SIMD lanes, 1.0 and 0.0: the mask
// keeps or clears the bits of 1.0.
function compare(name: keyof typeof COMPARE): Primitive<void> {
  const op = COMPARE[name];
  return binaryPrim(name, {
    loop: L[name],
    scalar: ([a, b]) => `(+(${a} ${op} ${b}))`,
    vector: ([a, b]) => V.and(MASKS[name](a, b), V.num(1)),
    outDtype: "bool",
  });
}

function requireBool(op: string, x: Aval): void {
  if (x.dtype !== "bool") {
    throw new TypeError(
      `${op}: expects bool tensors, got ${x.dtype}: compare first, e.g. greater(x, 0)`,
    );
  }
}

function logical(name: "logicalAnd" | "logicalOr"): Primitive<void> {
  const op = name === "logicalAnd" ? "&" : "|";
  return {
    ...binaryPrim(name, {
      loop: L[name],
      scalar: ([a, b]) => `(${a} ${op} ${b})`,
      outDtype: "bool",
    }),
    shape(inputs) {
      const a = inputs[0], b = inputs[1];
      requireBool(name, a);
      requireBool(name, b);
      return binaryShape(name, a, b, false, "bool");
    },
  };
}

const NOT: ScalarFormula = ([x]) => `(+!${x})`;
const WHERE: ScalarFormula = ([c, a, b]) => `(${c} ? ${a} : ${b})`;

/** The comparison, logic and selection primitives, by name. */
export const comparePrims = {
  equal: compare("equal"),
  notEqual: compare("notEqual"),
  less: compare("less"),
  lessEqual: compare("lessEqual"),
  greater: compare("greater"),
  greaterEqual: compare("greaterEqual"),
  logicalAnd: logical("logicalAnd"),
  logicalOr: logical("logicalOr"),
  logicalNot: {
    name: "logicalNot",
    shape(inputs) {
      requireBool("logicalNot", inputs[0]);
      return inputs[0];
    },
    scalar: NOT,
    // Checked by the shape rule, which `bind` runs first.
    kernels: {
      cpu: elementwiseKernel(
        "logicalNot",
        NOT,
        1,
        ([x], out) => unaryLoops.logicalNot(out.data, x.data, out.data.length),
      ),
    },
    jvp: null,
    vjp: null,
    batch: vectorized,
  },
  // d where(c, a, b) = where(c, da, db); the condition gets no gradient
  where: {
    name: "where",
    shape(inputs) {
      const c = inputs[0], a = inputs[1], b = inputs[2];
      requireBool("where", c);
      requireSameDtype("where", a, b);
      const shape = broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape);
      return shape === a.shape ? a : { shape, dtype: a.dtype };
    },
    scalar: WHERE,
    // Checked by the shape rule, which `bind` runs first.
    kernels: {
      cpu: elementwiseKernel(
        "where",
        WHERE,
        3,
        ([c, a, b], out) =>
          selectKernel(out.data, out.shape, c.data, c.shape, a.data, a.shape, b.data, b.shape),
      ),
    },
    jvp: ([, ta, tb], [c, a, b], out) =>
      ta === null && tb === null ? null : spread(
        where(c, ta ? lift(ta, a, out) : zerosLike(out), tb ? lift(tb, b, out) : zerosLike(out)),
        out,
        out,
      ),
    vjp: (g, [c, a, b], _, __, needs) => {
      const zero = zerosLike(g);
      return [
        null,
        needs[1] ? sumTo(where(c, g, zero), a.shape) : null,
        needs[2] ? sumTo(where(c, zero, g), b.shape) : null,
      ];
    },
    batch: broadcasting,
  },
} satisfies Record<string, Primitive<void>>;
register(comparePrims);

/**
 * Elementwise `a == b`, broadcasting. No gradient.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns A bool tensor.
 * @example Equality
 * ```ts
 * import { equal } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(equal([1, 2], 2).toArray(), [false, true]);
 * ```
 */
export const equal: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(comparePrims.equal);

/**
 * Elementwise `a != b`, broadcasting. No gradient.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns A bool tensor.
 * @example Inequality
 * ```ts
 * import { notEqual } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(notEqual([1, 2], 2).toArray(), [true, false]);
 * ```
 */
export const notEqual: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(comparePrims.notEqual);

/**
 * Elementwise `a < b`, broadcasting. No gradient.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns A bool tensor.
 * @example Less than
 * ```ts
 * import { less } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(less([1, 2], 2).toArray(), [true, false]);
 * ```
 */
export const less: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(comparePrims.less);

/**
 * Elementwise `a <= b`, broadcasting. No gradient.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns A bool tensor.
 * @example Less or equal
 * ```ts
 * import { lessEqual } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(lessEqual([1, 3], 2).toArray(), [true, false]);
 * ```
 */
export const lessEqual: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(comparePrims.lessEqual);

/**
 * Elementwise `a > b`, broadcasting. No gradient.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns A bool tensor.
 * @example Greater than
 * ```ts
 * import { greater } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(greater([1, 3], 2).toArray(), [false, true]);
 * ```
 */
export const greater: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(comparePrims.greater);

/**
 * Elementwise `a >= b`, broadcasting. No gradient.
 *
 * @param a The first operand.
 * @param b The second operand.
 * @returns A bool tensor.
 * @example Greater or equal
 * ```ts
 * import { greaterEqual } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(greaterEqual([1, 2], 2).toArray(), [false, true]);
 * ```
 */
export const greaterEqual: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(
  comparePrims.greaterEqual,
);

/**
 * Elementwise logical and of bool tensors, broadcasting.
 *
 * @param a A bool tensor.
 * @param b A bool tensor.
 * @returns `a && b`.
 * @example And
 * ```ts
 * import { logicalAnd } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(logicalAnd([true, true], [true, false]).toArray(), [true, false]);
 * ```
 */
export const logicalAnd: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(
  comparePrims.logicalAnd,
);

/**
 * Elementwise logical or of bool tensors, broadcasting.
 *
 * @param a A bool tensor.
 * @param b A bool tensor.
 * @returns `a || b`.
 * @example Or
 * ```ts
 * import { logicalOr } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(logicalOr([true, false], [false, false]).toArray(), [true, false]);
 * ```
 */
export const logicalOr: (a: TensorLike, b: TensorLike) => Tensor = binaryOp(comparePrims.logicalOr);

/**
 * Elementwise logical not of a bool tensor.
 *
 * @param x A bool tensor.
 * @returns `!x`.
 * @example Not
 * ```ts
 * import { logicalNot } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(logicalNot([true, false]).toArray(), [false, true]);
 * ```
 */
export const logicalNot: (x: TensorLike) => Tensor = unaryOp(comparePrims.logicalNot);

/**
 * Picks from `a` where `cond` is true and from `b` elsewhere, broadcasting all three.
 * The gradient flows to `a` and `b` (each where it was picked), never to `cond`.
 *
 * @param cond A bool tensor.
 * @param a Values where `cond` is true.
 * @param b Values where `cond` is false.
 * @returns A tensor of the broadcast shape and `a`'s dtype.
 * @example Replacing negatives by zero
 * ```ts
 * import { greater, where } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = [-1, 2, -3];
 * assert.deepEqual(where(greater(x, 0), x, 0).toArray(), [0, 2, 0]);
 * ```
 */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = toTensor(cond, { op: "where" });
  const [ta, tb] = toTensors("where", [a, b]);
  return bind(comparePrims.where, [c, ta, tb], undefined);
}
