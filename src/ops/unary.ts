/**
 * Elementwise ops of one input. Each primitive states f'(x) once, in differentiable ops;
 * both rules follow from it: jvp = t·f'(x), vjp = g·f'(x).
 */
import { vectorized } from "./_batch.ts";
import type { Aval, Primitive } from "../core/dispatch.ts";
import { type DType, scratchScalar } from "../core/dtype.ts";
import { Tensor, type TensorLike, uniformTensor, uniformValue } from "../core/tensor.ts";
import { f32UnaryLoops, type UnaryLoop, unaryLoops as L } from "../core/kernels/elementwise.ts";
import {
  elementwiseKernel,
  requireFloat,
  requireNumeric,
  type ScalarFormula,
  unaryOp,
  vectorKernel,
} from "./_define.ts";
import { toTensor } from "../core/convert.ts";
import { simdCos, simdExp, simdSigmoid, simdSin, simdTanh } from "../core/kernels/wasm/math.ts";
import { V, type VNode } from "../core/kernels/wasm/vector.ts";
import { add, cast, div, gt, mul, register, sub } from "./_lax.ts";

/** What a one-input elementwise primitive needs (see `unaryPrim`). */
export interface UnarySpec {
  loop: UnaryLoop;
  /** The scalar formula, agreeing with `loop` (see `ScalarFormula`). */
  scalar: ScalarFormula;
  /** A faster loop for float32 data, accurate to float32 (the plain loop is its reference). */
  loop32?: UnaryLoop;
  /** Whether `loop32` is a SIMD loop, faster than loops generated from the formula. */
  simd?: boolean;
  /** The op on float32 lanes, as the float32 kernel rounds it (see `Primitive.vector`). */
  vector?: (args: readonly VNode[]) => VNode;
  /** Whether int32 inputs are allowed (else floats only). */
  ints?: boolean;
  /** The output dtype, when it is not the input's. */
  outDtype?: DType;
  /** f'(x), given x and the output y as recorded; omitted for ops with no gradient. */
  deriv?: (x: Tensor, y: Tensor) => Tensor;
}

/** A one-input elementwise primitive: f'(x) stated once gives both derivative rules. */
export function unaryPrim(name: string, spec: UnarySpec): Primitive<void> {
  const { loop, deriv } = spec;
  const fast = spec.loop32 ?? loop;
  // float32 ops with a SIMD kernel of their own (sin, exp) keep it; the others run their vector
  // formula from 1,024 elements on (see elementwiseKernel), before a float32 loop of their own.
  const vector = spec.simd ? undefined : spec.vector;
  const generated = elementwiseKernel<void>(
    name,
    spec.scalar,
    1,
    ([x], out) => loop(out.data, x.data, out.data.length),
    vector,
  );
  const simd = spec.loop32 !== undefined && vector !== undefined ? vectorKernel(vector, 1) : null;
  const ints = spec.ints === true, outDtype = spec.outDtype;
  return {
    name,
    shape(inputs): Aval {
      const x = inputs[0];
      if (!ints) requireFloat(name, x);
      else if (x.dtype === "bool") {
        throw new TypeError(
          `${name}: no arithmetic on bool tensors: cast them first, e.g. cast(x, "float32")`,
        );
      }
      return outDtype === undefined ? x : { shape: x.shape, dtype: outDtype };
    },
    scalar: spec.scalar,
    simd: spec.simd ? ["float32"] : undefined,
    vector: spec.vector,
    shortcut([x], out) {
      const u = uniformValue(x);
      if (u === undefined) return undefined;
      // A scalar (or uniform) input gives a uniform output, made dense only if read.
      const o = scratchScalar(out.dtype, 0, 2);
      (x.dtype === "float32" ? fast : loop)(o, scratchScalar(x.dtype, u, 0), 1);
      return uniformTensor(o[0], out.shape, out.dtype);
    },
    kernels: {
      cpu: spec.loop32 === undefined ? generated : ([x], out, attrs) => {
        if (x.dtype !== "float32") generated([x], out, attrs);
        else if (simd === null || !simd([x], out)) spec.loop32!(out.data, x.data, out.data.length);
      },
    },
    jvp: deriv ? ([t], [x], y) => t && mul(t, deriv(x, y)) : null,
    vjp: deriv ? (g, [x], y) => [mul(g, deriv(x, y))] : null,
    batch: vectorized,
  };
}

// Formulas of one argument; for int32 outputs, `| 0` wraps what may leave the range (-(-2³¹)).
const call = (f: string): ScalarFormula => ([x]) => `${f}(${x})`;

/** The unary primitives, by name. */
export const unaryPrims = {
  // d(-x) = -dx
  negative: {
    ...unaryPrim("negative", {
      loop: L.negative,
      scalar: ([x], dtype) => dtype === "int32" ? `((-${x}) | 0)` : `(-${x})`,
      vector: ([x]) => V.neg(x),
      ints: true,
    }),
    jvp: ([t]) => t && negative(t),
    vjp: (g) => [negative(g)],
  },
  // d|x| = sign(x)·dx (0 at 0, as TensorFlow)
  abs: unaryPrim("abs", {
    vector: ([x]) => V.abs(x),
    loop: L.abs,
    scalar: ([x], dtype) => dtype === "int32" ? `(Math.abs(${x}) | 0)` : `Math.abs(${x})`,
    ints: true,
    deriv: (x) => sign(x),
  }),
  sign: unaryPrim("sign", { loop: L.sign, scalar: call("Math.sign"), ints: true }),
  // d√x = dx / (2√x)
  sqrt: unaryPrim("sqrt", {
    vector: ([x]) => V.sqrt(x),
    loop: L.sqrt,
    scalar: call("Math.sqrt"),
    deriv: (_, y) => div(0.5, y),
  }),
  // d eˣ = eˣ·dx, reusing the output as recorded
  exp: unaryPrim("exp", {
    vector: ([x]) => V.exp(x),
    loop: L.exp,
    scalar: call("Math.exp"),
    loop32: simdExp,
    simd: true,
    deriv: (_, y) => y,
  }),
  // d(eˣ - 1) = eˣ·dx = (y + 1)·dx
  expm1: unaryPrim("expm1", {
    loop: L.expm1,
    scalar: call("Math.expm1"),
    deriv: (_, y) => add(y, 1),
  }),
  // d log x = dx / x
  log: unaryPrim("log", { loop: L.log, scalar: call("Math.log"), deriv: (x) => div(1, x) }),
  // d log(1 + x) = dx / (1 + x)
  log1p: unaryPrim("log1p", {
    loop: L.log1p,
    scalar: call("Math.log1p"),
    deriv: (x) => div(1, add(x, 1)),
  }),
  // d sin x = cos x·dx
  sin: unaryPrim("sin", {
    vector: ([x]) => V.sin(x),
    loop: L.sin,
    scalar: call("Math.sin"),
    loop32: simdSin,
    simd: true,
    deriv: (x) => cos(x),
  }),
  // d cos x = -sin x·dx
  cos: unaryPrim("cos", {
    vector: ([x]) => V.cos(x),
    loop: L.cos,
    scalar: call("Math.cos"),
    loop32: simdCos,
    simd: true,
    deriv: (x) => negative(sin(x)),
  }),
  // d tan x = (1 + tan²x)·dx
  tan: unaryPrim("tan", {
    loop: L.tan,
    scalar: call("Math.tan"),
    deriv: (_, y) => add(1, mul(y, y)),
  }),
  // d tanh x = (1 - tanh²x)·dx
  tanh: unaryPrim("tanh", {
    vector: ([x]) => V.tanh(x),
    loop: L.tanh,
    scalar: call("Math.tanh"),
    loop32: simdTanh,
    simd: true,
    deriv: (_, y) => sub(1, mul(y, y)),
  }),
  // NOTE: a primitive rather than 1/(1+e⁻ˣ), which overflows for large negative x.
  // dσ = σ(1 - σ)·dx
  sigmoid: unaryPrim("sigmoid", {
    vector: ([x]) => V.sigmoid(x),
    loop: L.sigmoid,
    // As the loop: split by sign so that exp never overflows.
    scalar: ([x]) =>
      `(${x} >= 0 ? 1 / (1 + Math.exp(-${x})) : Math.exp(${x}) / (1 + Math.exp(${x})))`,
    loop32: simdSigmoid,
    simd: true,
    deriv: (_, y) => mul(y, sub(1, y)),
  }),
  // NOTE: a primitive rather than log(1 + eˣ), which overflows for large x.
  // d softplus x = σ(x)·dx
  softplus: unaryPrim("softplus", {
    loop: L.softplus,
    scalar: ([x]) => `(Math.max(${x}, 0) + Math.log1p(Math.exp(-Math.abs(${x}))))`,
    deriv: (x) => sigmoid(x),
  }),
  // NOTE: not maximum(x, 0): that splits the gradient at 0; relu's is 0 there, as TensorFlow's.
  // d relu x = [x > 0]·dx
  relu: unaryPrim("relu", {
    // max(-0, 0) is 0 and NaN stays NaN, as the loops keep them.
    vector: ([x]) => V.max(x, V.num(0)),
    loop: L.relu,
    // Math.max keeps NaN and turns -0 into 0, as the loops do.
    scalar: ([x]) => `Math.max(${x}, 0)`,
    loop32: f32UnaryLoops.relu,
    ints: true,
    deriv: (x) => cast(gt(x, 0), x.dtype),
  }),
  floor: unaryPrim("floor", { loop: L.floor, scalar: call("Math.floor") }),
  ceil: unaryPrim("ceil", { loop: L.ceil, scalar: call("Math.ceil") }),
  round: unaryPrim("round", {
    loop: L.round,
    // Half to even, as the loop.
    scalar: ([x]) =>
      `(Math.abs(${x} % 1) === 0.5 && Math.round(${x}) % 2 !== 0 ? Math.round(${x}) - 1 : ` +
      `Math.round(${x}))`,
  }),
} satisfies Record<string, Primitive<void>>;
register(unaryPrims);

/**
 * Elementwise `-x`.
 *
 * @param x The input.
 * @returns A tensor of `x`'s shape and dtype.
 * @example Negating a vector
 * ```ts
 * import { negative } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(negative([1, -2]).toArray(), [-1, 2]);
 * ```
 */
export const negative: (x: TensorLike) => Tensor = unaryOp(unaryPrims.negative);

/**
 * Elementwise absolute value. Its gradient is `sign(x)`, so 0 at 0.
 *
 * @param x The input.
 * @returns `|x|`.
 * @example Absolute values
 * ```ts
 * import { abs } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(abs([-1.5, 2]).toArray(), [1.5, 2]);
 * ```
 */
export const abs: (x: TensorLike) => Tensor = unaryOp(unaryPrims.abs);

/**
 * Elementwise sign: -1, 0 or 1 (NaN stays NaN). No gradient.
 *
 * @param x The input.
 * @returns `sign(x)`, of `x`'s dtype.
 * @example Signs
 * ```ts
 * import { sign } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(sign([-3, 0, 2]).toArray(), [-1, 0, 1]);
 * ```
 */
export const sign: (x: TensorLike) => Tensor = unaryOp(unaryPrims.sign);

/**
 * Elementwise square root.
 *
 * @param x The input, float32 or float64.
 * @returns `√x`.
 * @example Square roots
 * ```ts
 * import { sqrt } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(sqrt([4, 9]).toArray(), [2, 3]);
 * ```
 */
export const sqrt: (x: TensorLike) => Tensor = unaryOp(unaryPrims.sqrt);

/**
 * Elementwise `eˣ`.
 *
 * @param x The input, float32 or float64.
 * @returns `exp(x)`.
 * @example The exponential
 * ```ts
 * import { exp } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(exp(0).item(), 1);
 * ```
 */
export const exp: (x: TensorLike) => Tensor = unaryOp(unaryPrims.exp);

/**
 * Elementwise `eˣ - 1`, accurate near 0.
 *
 * @param x The input, float32 or float64.
 * @returns `expm1(x)`.
 * @example Near zero
 * ```ts
 * import { constant, expm1 } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * // Math.exp(1e-10) - 1 would give 1.000000082740371e-10.
 * assert.equal(expm1(constant(1e-10, { dtype: "float64" })).item(), 1.00000000005e-10);
 * ```
 */
export const expm1: (x: TensorLike) => Tensor = unaryOp(unaryPrims.expm1);

/**
 * Elementwise natural logarithm.
 *
 * @param x The input, float32 or float64.
 * @returns `log(x)` (`-Infinity` at 0, NaN below).
 * @example Logarithms
 * ```ts
 * import { log } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(log(1).item(), 0);
 * ```
 */
export const log: (x: TensorLike) => Tensor = unaryOp(unaryPrims.log);

/**
 * Elementwise `log(1 + x)`, accurate near 0.
 *
 * @param x The input, float32 or float64.
 * @returns `log1p(x)`.
 * @example Near zero
 * ```ts
 * import { log1p } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(log1p(0).item(), 0);
 * ```
 */
export const log1p: (x: TensorLike) => Tensor = unaryOp(unaryPrims.log1p);

/**
 * Elementwise sine.
 *
 * @param x The input in radians, float32 or float64.
 * @returns `sin(x)`.
 * @example Sine
 * ```ts
 * import { sin } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(sin(0).item(), 0);
 * ```
 */
export const sin: (x: TensorLike) => Tensor = unaryOp(unaryPrims.sin);

/**
 * Elementwise cosine.
 *
 * @param x The input in radians, float32 or float64.
 * @returns `cos(x)`.
 * @example Cosine
 * ```ts
 * import { cos } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(cos(0).item(), 1);
 * ```
 */
export const cos: (x: TensorLike) => Tensor = unaryOp(unaryPrims.cos);

/**
 * Elementwise tangent.
 *
 * @param x The input in radians, float32 or float64.
 * @returns `tan(x)`.
 * @example Tangent
 * ```ts
 * import { tan } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(tan(0).item(), 0);
 * ```
 */
export const tan: (x: TensorLike) => Tensor = unaryOp(unaryPrims.tan);

/**
 * Elementwise hyperbolic tangent.
 *
 * @param x The input, float32 or float64.
 * @returns `tanh(x)`.
 * @example Hyperbolic tangent
 * ```ts
 * import { tanh } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(tanh(0).item(), 0);
 * ```
 */
export const tanh: (x: TensorLike) => Tensor = unaryOp(unaryPrims.tanh);

/**
 * Elementwise logistic sigmoid `1 / (1 + e⁻ˣ)`, finite for inputs of any size.
 *
 * @param x The input, float32 or float64.
 * @returns `σ(x)`, in [0, 1].
 * @example Sigmoid
 * ```ts
 * import { sigmoid } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(sigmoid(0).item(), 0.5);
 * ```
 */
export const sigmoid: (x: TensorLike) => Tensor = unaryOp(unaryPrims.sigmoid);

/**
 * Elementwise `log(1 + eˣ)`, finite for inputs of any size.
 *
 * @param x The input, float32 or float64.
 * @returns `softplus(x)`.
 * @example Softplus
 * ```ts
 * import { softplus } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(softplus(0), Math.LN2);
 * ```
 */
export const softplus: (x: TensorLike) => Tensor = unaryOp(unaryPrims.softplus);

/**
 * Elementwise `max(x, 0)`; its gradient is 1 where `x > 0` and 0 elsewhere (0 at 0).
 *
 * @param x The input.
 * @returns `relu(x)`.
 * @example ReLU
 * ```ts
 * import { relu } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(relu([-1, 2]).toArray(), [0, 2]);
 * ```
 */
export const relu: (x: TensorLike) => Tensor = unaryOp(unaryPrims.relu);

/**
 * Elementwise floor. No gradient.
 *
 * @param x The input, float32 or float64.
 * @returns `⌊x⌋`.
 * @example Floor
 * ```ts
 * import { floor } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(floor([1.5, -1.5]).toArray(), [1, -2]);
 * ```
 */
export const floor: (x: TensorLike) => Tensor = unaryOp(unaryPrims.floor);

/**
 * Elementwise ceiling. No gradient.
 *
 * @param x The input, float32 or float64.
 * @returns `⌈x⌉`.
 * @example Ceiling
 * ```ts
 * import { ceil } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(ceil([1.5, -1.5]).toArray(), [2, -1]);
 * ```
 */
export const ceil: (x: TensorLike) => Tensor = unaryOp(unaryPrims.ceil);

/**
 * Elementwise rounding, half to even as TensorFlow does. No gradient.
 *
 * @param x The input, float32 or float64.
 * @returns `x` rounded.
 * @example Rounding half to even
 * ```ts
 * import { round } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(round([0.5, 1.5, 2.5]).toArray(), [0, 2, 2]);
 * ```
 */
export const round: (x: TensorLike) => Tensor = unaryOp(unaryPrims.round);

/**
 * Elementwise `x²` (a composite: `x·x`).
 *
 * @param x The input.
 * @returns `x²`.
 * @example Squares
 * ```ts
 * import { square } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(square([2, 3]).toArray(), [4, 9]);
 * ```
 */
export function square(x: TensorLike): Tensor {
  const t = x instanceof Tensor ? x : toTensor(x, { op: "square" });
  requireNumeric("square", t);
  return mul(t, t);
}

/**
 * Elementwise `1 / √x` (a composite).
 *
 * @param x The input, float32 or float64.
 * @returns `1/√x`.
 * @example Reciprocal square root
 * ```ts
 * import { rsqrt } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(rsqrt(4).item(), 0.5);
 * ```
 */
export function rsqrt(x: TensorLike): Tensor {
  const t = x instanceof Tensor ? x : toTensor(x, { op: "rsqrt" });
  requireFloat("rsqrt", t);
  return div(1, sqrt(t));
}
