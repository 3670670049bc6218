/** JAX-style functional transforms, built on `GradientTape` and `ForwardAccumulator`. */
import { checkFunction, checkInteger, checkOptions, describeValue } from "../core/check.ts";
import { isFloat } from "../core/dtype.ts";
import { currentScope } from "../core/memory.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";
import { toTensor } from "../core/convert.ts";
import { GradientTape, refuseAsync, retainRecording } from "../tape/gradient_tape.ts";
import { checkTangents, ForwardAccumulator } from "../forward/accumulator.ts";
import { forwardJacobian } from "../forward/batched.ts";
import { customGradientApplications } from "./custom_gradient.ts";
import { reshape, stack } from "../ops/movement.ts";
import { fill } from "../ops/creation.ts";

/** A function of tensors returning a tensor, as the transforms take it. */
// deno-lint-ignore no-explicit-any
export type TensorFn = (...args: any[]) => Tensor;

/** Options of the transforms that differentiate with respect to chosen arguments. */
export interface ArgnumsOptions {
  /**
   * The argument (a number) or arguments (an array) to differentiate with respect to (default 0);
   * a negative index counts from the end, as in JAX.
   */
  argnums?: number | readonly number[];
}

// The argument indices a transform was made with; `single` when given as one number.
interface Argnums {
  list: readonly number[];
  single: boolean;
}

// Checks a transform's function and options where it is made, so that `grad(f, 1)` fails there.
function checkTransform(op: string, f: unknown, options: ArgnumsOptions | undefined): Argnums {
  checkFunction(op, "f", f);
  checkOptions(op, options, ["argnums"]);
  const a: unknown = options?.argnums ?? 0;
  if (!Array.isArray(a)) {
    checkInteger(op, "argnums", a);
    return { list: [a], single: true };
  }
  if (a.length === 0) {
    throw new TypeError(`${op}: argnums is an empty array: name at least one argument`);
  }
  a.forEach((i, k) => checkInteger(op, `argnums[${k}]`, i));
  return { list: [...a], single: false };
}

// The argument indices for a call with `nargs` arguments: negative ones count from the end, as
// in JAX.
function argnumsFor(op: string, argnums: Argnums, nargs: number): number[] {
  return argnums.list.map((i) => {
    if (i < -nargs || i >= nargs) {
      throw new RangeError(
        `${op}: argnums ${i} is out of range for a call with ${nargs} argument` +
          (nargs === 1 ? "" : "s") + (nargs > 0 ? `: use ${-nargs} to ${nargs - 1}` : ""),
      );
    }
    return i < 0 ? i + nargs : i;
  });
}

const argnums0: Argnums = { list: [0], single: true };

// Differentiated arguments become float tensors (variables stay variables, to be watched).
function prepare(op: string, args: readonly unknown[], nums: readonly number[]): unknown[] {
  const out = [...args];
  for (const i of nums) {
    const a = out[i];
    if (a instanceof Variable) continue;
    const t = toTensor(a as TensorLike, { op });
    if (!isFloat(t.dtype)) {
      throw new TypeError(
        `${op}: argument ${i} has dtype ${t.dtype}; only float32 and float64 arguments can be ` +
          `differentiated`,
      );
    }
    out[i] = t;
  }
  return out;
}

// What `f` returned, which must be a tensor (a promise is refused and handled).
function tensorResult(op: string, y: unknown): Tensor {
  refuseAsync(op, y, "f");
  if (!(y instanceof Tensor)) {
    throw new TypeError(`${op}: f must return a Tensor, not ${describeValue(y)}`);
  }
  return y;
}

function requireScalar(op: string, out: unknown): Tensor {
  const y = tensorResult(op, out);
  if (y.size !== 1) {
    throw new Error(
      `${op}: f must return a scalar, got shape ${fmtShape(y.shape)}: use vjp or jacrev for ` +
        `non-scalar outputs`,
    );
  }
  return y;
}

/**
 * `f`'s value and its gradient with respect to the arguments named by `argnums`.
 *
 * @param f A function returning a scalar tensor.
 * @param options `argnums`: a number (one gradient) or an array (an array of gradients).
 * @returns A function `(...args) => [value, grads]`.
 * @example Value and gradient together
 * ```ts
 * import assert from "node:assert/strict";
 * import { valueAndGrad, multiply } from "@gradtape/gradtape";
 * const f = valueAndGrad((x) => multiply(x, x));
 * const [v, g] = f(3);
 * assert.equal(v.item(), 9);
 * assert.equal(g.item(), 6);
 * ```
 */
export function valueAndGrad(
  f: TensorFn,
  options?: { argnums?: number },
): (...args: unknown[]) => [Tensor, Tensor];
/**
 * `valueAndGrad` with `argnums` an array: the value and one gradient per named argument.
 *
 * @param f A function returning a scalar tensor.
 * @param options `argnums`, an array of argument indices.
 * @returns A function `(...args) => [value, grads]`.
 * @example Two gradients at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { multiply, valueAndGrad } from "@gradtape/gradtape";
 * const [v, [ga, gb]] = valueAndGrad((a, b) => multiply(a, b), { argnums: [0, 1] })(2, 3);
 * assert.deepEqual([v.item(), ga.item(), gb.item()], [6, 3, 2]);
 * ```
 */
export function valueAndGrad(
  f: TensorFn,
  options: { argnums: readonly number[] },
): (...args: unknown[]) => [Tensor, Tensor[]];
export function valueAndGrad(
  f: TensorFn,
  options: ArgnumsOptions = {},
): (...args: unknown[]) => [Tensor, Tensor | Tensor[]] {
  return valueAndGradAs("valueAndGrad", f, checkTransform("valueAndGrad", f, options));
}

function valueAndGradAs(
  op: string,
  f: TensorFn,
  argnums: Argnums,
): (...args: unknown[]) => [Tensor, Tensor | Tensor[]] {
  return (...args) => {
    const nums = argnumsFor(op, argnums, args.length);
    const xs = prepare(op, args, nums);
    const sources = nums.map((i) => xs[i] as Tensor | Variable);
    const tape = new GradientTape();
    const y = tape.record(() => {
      tape.watch(sources);
      return requireScalar(op, f(...xs));
    });
    const grads = tape.gradient(y, sources, { unconnectedGradients: "zero" }) as Tensor[];
    return [y, argnums.single ? grads[0] : grads];
  };
}

/**
 * The gradient of a scalar function with respect to the arguments named by `argnums`.
 *
 * @param f A function returning a scalar tensor.
 * @param options `argnums`: a number (one gradient) or an array (an array of gradients).
 * @returns A function computing the gradient(s).
 * @example The derivative of sin
 * ```ts
 * import assert from "node:assert/strict";
 * import { grad, sin } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assert.equal(grad(sin)(0).item(), 1); // cos(0)
 * assertAllClose(grad(grad(sin))(1), -Math.sin(1)); // transforms compose
 * ```
 */
export function grad(f: TensorFn, options?: { argnums?: number }): (...args: unknown[]) => Tensor;
/**
 * `grad` with `argnums` an array: one gradient per named argument.
 *
 * @param f A function returning a scalar tensor.
 * @param options `argnums`, an array of argument indices.
 * @returns A function computing the gradients.
 * @example Gradients with respect to both arguments
 * ```ts
 * import assert from "node:assert/strict";
 * import { grad, multiply } from "@gradtape/gradtape";
 * const [ga, gb] = grad((a, b) => multiply(a, b), { argnums: [0, 1] })(2, 3);
 * assert.equal(ga.item(), 3);
 * assert.equal(gb.item(), 2);
 * ```
 */
export function grad(
  f: TensorFn,
  options: { argnums: readonly number[] },
): (...args: unknown[]) => Tensor[];
export function grad(
  f: TensorFn,
  options: ArgnumsOptions = {},
): (...args: unknown[]) => Tensor | Tensor[] {
  const vg = valueAndGradAs("grad", f, checkTransform("grad", f, options));
  return (...args) => vg(...args)[1];
}

/**
 * Forward mode: `f`'s output and its directional derivative along `tangents`.
 *
 * @param f The function.
 * @param primals Where to evaluate, one value per argument of `f`.
 * @param tangents The direction, one tensor per primal, of its shape.
 * @returns `[out, tangentOut]`.
 * @example The derivative of x³ along 1 at 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { jvp, pow } from "@gradtape/gradtape";
 * const [y, dy] = jvp((x) => pow(x, 3), [2], [1]);
 * assert.equal(y.item(), 8);
 * assert.equal(dy.item(), 12); // 3x²
 * ```
 */
export function jvp(
  f: TensorFn,
  primals: readonly TensorLike[],
  tangents: readonly TensorLike[],
): [Tensor, Tensor] {
  return jvpAs("jvp", f, primals, tangents);
}

// Checks the function and the primals and tangents of `jvp` or `hvp`, named `op`.
function checkJvpArgs(op: string, f: unknown, primals: unknown, tangents: unknown): void {
  checkFunction(op, "f", f);
  for (const [what, v] of [["primals", primals], ["tangents", tangents]] as const) {
    if (!Array.isArray(v)) {
      throw new TypeError(
        `${op}: ${what} must be an array with one entry per argument of f, not ${describeValue(v)}`,
      );
    }
  }
  const np = (primals as unknown[]).length, nt = (tangents as unknown[]).length;
  if (np !== nt) {
    throw new Error(`${op}: ${np} primals but ${nt} tangents: give one per primal`);
  }
}

function jvpAs(
  op: string,
  f: TensorFn,
  primals: readonly unknown[],
  tangents: readonly unknown[],
): [Tensor, Tensor] {
  checkJvpArgs(op, f, primals, tangents);
  const xs = prepare(op, primals, primals.map((_, i) => i)) as (Tensor | Variable)[];
  const acc = new ForwardAccumulator(xs, checkTangents(op, xs, tangents)[1]);
  const y = acc.record(() => tensorResult(op, f(...xs)));
  return [y, acc.jvp(y, { unconnectedGradients: "zero" })!];
}

/**
 * Reverse mode: `f`'s output and a function that pulls a cotangent of the output back to one
 * gradient per primal.
 *
 * @param f The function.
 * @param primals Where to evaluate, one value per argument of `f`.
 * @returns `[out, vjpFn]`; `vjpFn(cotangent)` may be called any number of times.
 * @example Pulling back a cotangent
 * ```ts
 * import assert from "node:assert/strict";
 * import { multiply, vjp } from "@gradtape/gradtape";
 * const [y, back] = vjp((a, b) => multiply(a, b), 2, 3);
 * assert.equal(y.item(), 6);
 * assert.deepEqual(back(1).map((g) => g.item()), [3, 2]);
 * assert.deepEqual(back(10).map((g) => g.item()), [30, 20]);
 * ```
 */
export function vjp(
  f: TensorFn,
  ...primals: TensorLike[]
): [Tensor, (cotangent: TensorLike) => Tensor[]] {
  checkFunction("vjp", "f", f);
  // Made inside a tidy, vjpFn may be called after it ends: what it needs must outlive it.
  return vjpAs("vjp", f, primals, currentScope() !== null);
}

function vjpAs(
  op: string,
  f: TensorFn,
  primals: readonly unknown[],
  retain: boolean,
): [Tensor, (cotangent: TensorLike) => Tensor[]] {
  const xs = prepare(op, primals, primals.map((_, i) => i)) as (Tensor | Variable)[];
  const tape = new GradientTape({ persistent: true });
  const y = tape.record(() => {
    tape.watch(xs);
    return tensorResult(op, f(...xs));
  });
  if (retain) retainRecording(tape, [y, ...xs.filter((x) => x instanceof Tensor)]);
  const back = (ct: TensorLike): Tensor[] => {
    const c = toTensor(ct, { dtype: y.dtype, op });
    if (!sameShape(c.shape, y.shape)) {
      throw new Error(
        `${op}: the cotangent has shape ${fmtShape(c.shape)} but f's output has shape ${
          fmtShape(y.shape)
        }`,
      );
    }
    return tape.gradient(y, xs, { outputGradients: c, unconnectedGradients: "zero" }) as Tensor[];
  };
  return [y, back];
}

function oneHot(like: Tensor, i: number): Tensor {
  const data = new Float64Array(like.size);
  data[i] = 1;
  return reshape(toTensor(data, { dtype: like.dtype }), like.shape);
}

// Builds a Jacobian transform from one "column" or "row" computation per input element.
function jacobianWith(
  op: string,
  f: TensorFn,
  options: ArgnumsOptions,
  forward: boolean,
): (...args: unknown[]) => Tensor | Tensor[] {
  const argnums = checkTransform(op, f, options);
  return (...args) => {
    const nums = argnumsFor(op, argnums, args.length);
    const xs = prepare(op, args, nums);
    const jacs = nums.map((i) => {
      const x = xs[i] as Tensor;
      const fi = (xi: Tensor) => f(...xs.map((a, k) => (k === i ? xi : a)));
      if (forward) return forwardJacobian(op, fi, x);
      const [y, back] = vjpAs(op, fi, [x], false);
      if (y.size === 0) return zerosOf([...y.shape, ...x.shape], x);
      const rows: Tensor[] = [];
      for (let j = 0; j < y.size; j++) rows.push(back(oneHot(y, j))[0]);
      return reshape(stack(rows), [...y.shape, ...x.shape]);
    });
    return argnums.single ? jacs[0] : jacs;
  };
}

function zerosOf(shape: number[], like: Tensor): Tensor {
  return fill(shape, 0, like.dtype);
}

/**
 * The Jacobian by forward mode, with every input direction pushed through one batched pass:
 * shape `[...out.shape, ...arg.shape]`. Best for functions with fewer inputs than outputs.
 *
 * @param f The function.
 * @param options `argnums`.
 * @returns A function computing the Jacobian(s).
 * @example Jacobian of an elementwise square
 * ```ts
 * import assert from "node:assert/strict";
 * import { jacfwd, square } from "@gradtape/gradtape";
 * assert.deepEqual(jacfwd(square)([1, 2]).toArray(), [[2, 0], [0, 4]]);
 * ```
 */
export function jacfwd(f: TensorFn, options?: { argnums?: number }): (...args: unknown[]) => Tensor;
/**
 * `jacfwd` with `argnums` an array: one Jacobian per named argument.
 *
 * @param f The function.
 * @param options `argnums`, an array of argument indices.
 * @returns A function computing the Jacobians.
 * @example Jacobians with respect to both arguments
 * ```ts
 * import assert from "node:assert/strict";
 * import { jacfwd, multiply } from "@gradtape/gradtape";
 * const [ja, jb] = jacfwd((a, b) => multiply(a, b), { argnums: [0, 1] })([1, 2], [3, 4]);
 * assert.deepEqual(ja.toArray(), [[3, 0], [0, 4]]); // diag(b)
 * assert.deepEqual(jb.toArray(), [[1, 0], [0, 2]]); // diag(a)
 * ```
 */
export function jacfwd(
  f: TensorFn,
  options: { argnums: readonly number[] },
): (...args: unknown[]) => Tensor[];
export function jacfwd(
  f: TensorFn,
  options: ArgnumsOptions = {},
): (...args: unknown[]) => Tensor | Tensor[] {
  return jacobianWith("jacfwd", f, options, true);
}

/**
 * The Jacobian by reverse mode (one VJP per output element): shape
 * `[...out.shape, ...arg.shape]`. Best for functions with fewer outputs than inputs.
 *
 * @param f The function.
 * @param options `argnums`.
 * @returns A function computing the Jacobian(s).
 * @example Jacobian of a matrix-vector product
 * ```ts
 * import assert from "node:assert/strict";
 * import { jacrev, matmul, reshape, type Tensor } from "@gradtape/gradtape";
 * const A = [[1, 2], [3, 4], [5, 6]];
 * const f = (x: Tensor) => reshape(matmul(A, reshape(x, [2, 1])), [3]); // A·x
 * assert.deepEqual(jacrev(f)([1, 1]).toArray(), A);
 * ```
 */
export function jacrev(f: TensorFn, options?: { argnums?: number }): (...args: unknown[]) => Tensor;
/**
 * `jacrev` with `argnums` an array: one Jacobian per named argument.
 *
 * @param f The function.
 * @param options `argnums`, an array of argument indices.
 * @returns A function computing the Jacobians.
 * @example Jacobians with respect to both arguments
 * ```ts
 * import assert from "node:assert/strict";
 * import { jacrev, multiply } from "@gradtape/gradtape";
 * const [ja, jb] = jacrev((a, b) => multiply(a, b), { argnums: [0, 1] })([1, 2], [3, 4]);
 * assert.deepEqual(ja.toArray(), [[3, 0], [0, 4]]); // diag(b)
 * assert.deepEqual(jb.toArray(), [[1, 0], [0, 2]]); // diag(a)
 * ```
 */
export function jacrev(
  f: TensorFn,
  options: { argnums: readonly number[] },
): (...args: unknown[]) => Tensor[];
export function jacrev(
  f: TensorFn,
  options: ArgnumsOptions = {},
): (...args: unknown[]) => Tensor | Tensor[] {
  return jacobianWith("jacrev", f, options, false);
}

/**
 * The Hessian of a scalar function, shape `[...arg.shape, ...arg.shape]`, as reverse over
 * forward defines it: with all n directions pushed through one batched pass, so the per-op
 * overhead is paid once, not n times. For one Hessian-vector product, `hvp`.
 *
 * @param f A function returning a scalar tensor.
 * @param options `argnums` (a single argument).
 * @returns A function computing the Hessian.
 * @example The Hessian of Σx³
 * ```ts
 * import assert from "node:assert/strict";
 * import { hessian, pow, reduceSum } from "@gradtape/gradtape";
 * const H = hessian((v) => reduceSum(pow(v, 3)))([1, 2]);
 * assert.deepEqual(H.toArray(), [[6, 0], [0, 12]]); // diag(6x)
 * ```
 */
export function hessian(
  f: TensorFn,
  options: { argnums?: number } = {},
): (...args: unknown[]) => Tensor {
  const op = "hessian";
  const argnums = checkTransform(op, f, options);
  if (!argnums.single) {
    throw new TypeError(
      `hessian: argnums must be one integer (the Hessian is taken with respect to one ` +
        `argument), not ${describeValue(options.argnums)}`,
    );
  }
  const gradOf = (fi: TensorFn) => {
    const vg = valueAndGradAs(op, fi, argnums0);
    return (x: Tensor) => vg(x)[1] as Tensor;
  };
  return (...args) => {
    const [i] = argnumsFor(op, argnums, args.length);
    const xs = prepare(op, args, [i]);
    const x = xs[i] as Tensor;
    const fi = (xi: Tensor) => requireScalar(op, f(...xs.map((a, k) => (k === i ? xi : a))));
    // NOTE: the Hessian is the same matrix whichever way the two modes nest, so it is computed
    // as the forward Jacobian of the gradient: all n directions in one batched pass, against n
    // reverse-over-forward passes. Only a customGradient function tells the nestings apart
    // (reverse over forward differentiates its forward computation, as the contract says), so
    // when one ran, the rows are recomputed by reverse over forward.
    const before = customGradientApplications();
    const h = forwardJacobian(op, gradOf(fi), x);
    if (customGradientApplications() === before) return h;
    const rows = Array.from({ length: x.size }, (_, j) => hvpAs(op, fi, [x], [oneHot(x, j)])[0]);
    return x.size === 0 ? h : reshape(stack(rows), [...x.shape, ...x.shape]);
  };
}

/**
 * The Hessian-vector product `H·v` of a scalar function, by reverse over forward, without
 * forming the Hessian: about the cost of two gradients.
 *
 * @param f A function returning a scalar tensor.
 * @param primals Where to evaluate, one value per argument.
 * @param tangents The vector, one tensor per primal.
 * @returns One tensor per primal.
 * @example H·v for Σx³
 * ```ts
 * import assert from "node:assert/strict";
 * import { hvp, pow, reduceSum } from "@gradtape/gradtape";
 * const [hv] = hvp((x) => reduceSum(pow(x, 3)), [[1, 2]], [[1, 1]]);
 * assert.deepEqual(hv.toArray(), [6, 12]); // diag(6x)·[1, 1]
 * ```
 */
export function hvp(
  f: TensorFn,
  primals: readonly TensorLike[],
  tangents: readonly TensorLike[],
): Tensor[] {
  return hvpAs("hvp", f, primals, tangents);
}

function hvpAs(
  op: string,
  f: TensorFn,
  primals: readonly unknown[],
  tangents: readonly unknown[],
): Tensor[] {
  checkJvpArgs(op, f, primals, tangents);
  const xs = prepare(op, primals, primals.map((_, i) => i)) as Tensor[];
  const tape = new GradientTape();
  const d = tape.record(() => {
    tape.watch(xs);
    const [y, dy] = jvpAs(op, f, xs, tangents);
    requireScalar(op, y);
    return dy;
  });
  return tape.gradient(d, xs, { unconnectedGradients: "zero" }) as Tensor[];
}
