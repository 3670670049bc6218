/** JAX-style functional transforms, built on `GradientTape` and `ForwardAccumulator`. */
import { checkFunction, checkInteger, checkOptions, describeValue } from "../core/check.ts";
import { isFloat } from "../core/dtype.ts";
import { currentScope } from "../core/memory.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import {
  flattenTree,
  flattenUpTo,
  leafDef,
  leafPaths,
  type MapTree,
  named,
  type Structure,
  type Tree,
  type TreeDef,
  unflattenTree,
} from "../core/structure.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";
import { toTensor } from "../core/convert.ts";
import { withTransform } from "../core/dispatch.ts";
import { vmap } from "./vmap.ts";
import { GradientTape, refuseAsync, retainRecording } from "../tape/gradient_tape.ts";
import { ForwardAccumulator } from "../forward/accumulator.ts";
import { ForwardEngine } from "../forward/engine.ts";
import { customGradientApplications } from "./custom_gradient.ts";
import { reshape, slice, transpose } from "../ops/movement.ts";
import { fill } from "../ops/creation.ts";
import { multiply } from "../ops/binary.ts";

/** A function of trees returning a tensor, as `grad` and `hessian` take it. */
// deno-lint-ignore no-explicit-any
export type TensorFn = (...args: any[]) => Tensor;

/**
 * A function of trees returning a tensor or a tree of tensors, as `jvp`, `vjp`, `jacfwd` and
 * `jacrev` take it.
 */
// deno-lint-ignore no-explicit-any
export type TreeFn = (...args: any[]) => Structure<Tensor>;

/** A function returning `[value, aux]`, as `grad` and `valueAndGrad` take it with `hasAux`. */
// deno-lint-ignore no-explicit-any
export type AuxFn = (...args: any[]) => readonly [Tensor, unknown];

/** Options of `grad` and `valueAndGrad`. */
export interface GradOptions extends ArgnumsOptions {
  /**
   * `f` returns `[value, aux]`: `value` is differentiated and `aux`, anything at all, is passed
   * back untouched (default false), as JAX's `has_aux`.
   */
  hasAux?: boolean;
}

/**
 * The type of argument `N` of the function type `F`.
 *
 * @example The second argument's type
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ArgOf, constant, type Tensor } from "@gradtape/gradtape";
 * const x: ArgOf<(a: number, b: Tensor) => Tensor, 1> = constant(1);
 * assert.equal(x.item(), 1);
 * ```
 */
export type ArgOf<F, N> = F extends (...args: infer P) => unknown
  ? N extends keyof P ? P[N] : unknown
  : unknown;

/**
 * The gradients `grad(f, options)` gives: a tree like the argument `argnums` names, a tensor at
 * each leaf, or an array of them when `argnums` is an array.
 *
 * @example The gradients of a record argument
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, type GradsOf, type Tensor } from "@gradtape/gradtape";
 * type Loss = (p: { w: Tensor; b: number }, x: Tensor) => Tensor;
 * const g: GradsOf<Loss, { argnums: 0 }> = { w: constant(1), b: constant(2) };
 * assert.equal(g.b.item(), 2);
 * ```
 */
export type GradsOf<F, O> = O extends { argnums: infer A extends readonly number[] }
  ? { -readonly [K in keyof A]: MapTree<ArgOf<F, A[K]>, Tensor> }
  : MapTree<ArgOf<F, O extends { argnums: infer N extends number } ? N : 0>, Tensor>;

/**
 * One gradient tree per argument of `F`: what `vjp`'s pullback and `hvp` give.
 *
 * @example The pullback's result for two arguments
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, type GradsOfAll, type Tensor } from "@gradtape/gradtape";
 * type F = (a: Tensor, b: { c: Tensor }) => Tensor;
 * const g: GradsOfAll<F> = [constant(1), { c: constant(2) }];
 * assert.equal(g[1].c.item(), 2);
 * ```
 */
export type GradsOfAll<F> = F extends (...args: infer P) => unknown
  ? { -readonly [K in keyof P]: MapTree<P[K], Tensor> }
  : Tensor[];

/** What `f` of type `F` returns with `hasAux`: the `aux` of its `[value, aux]`. */
export type AuxOf<F> = F extends (...args: never[]) => readonly [unknown, infer A] ? A : unknown;

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
function checkTransform(
  op: string,
  f: unknown,
  options: ArgnumsOptions | undefined,
  accepted: readonly string[] = ["argnums"],
): Argnums {
  checkFunction(op, "f", f);
  checkOptions(op, options, accepted);
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

// A differentiated argument: the tree handed to f (float tensors, variables kept, to be
// watched), its leaves and its structure.
interface Arg {
  tree: unknown;
  leaves: (Tensor | Variable)[];
  def: TreeDef;
}

// The differentiated arguments `nums` of a call, each a tree whose leaves become float tensors
// (numbers and arrays of numbers float32 scalars and tensors). `what(i)` names argument i.
function prepare(
  op: string,
  args: readonly unknown[],
  nums: readonly number[],
  what: (i: number) => string = (i) => `argument ${i}`,
): Arg[] {
  const a = args[nums[0]];
  // The common case, one float tensor, needs no tree walk.
  if (nums.length === 1 && a instanceof Tensor && isFloat(a.dtype)) {
    return [{ tree: a, leaves: [a], def: leafDef() }];
  }
  const seen = new Set<Tensor | Variable>();
  return nums.map((i) => prepareArg(op, args[i], what(i), seen));
}

function prepareArg(op: string, x: unknown, what: string, seen: Set<Tensor | Variable>): Arg {
  const { leaves, def } = flattenTree(x, op);
  let paths: string[] | undefined;
  const where = (k: number) => named(what, (paths ??= leafPaths(def))[k]);
  const out = leaves.map((leaf, k) => {
    let t: Tensor | Variable;
    if (leaf instanceof Variable) t = leaf;
    else if (
      leaf instanceof Tensor || typeof leaf === "number" || typeof leaf === "boolean" ||
      Array.isArray(leaf) || ArrayBuffer.isView(leaf)
    ) t = toTensor(leaf as TensorLike, { op });
    else {
      throw new TypeError(
        `${op}: ${where(k)} is ${describeValue(leaf)}; expected a Tensor, Variable or number, ` +
          `or an array or record of them`,
      );
    }
    if (!isFloat(t.dtype)) {
      throw new TypeError(
        `${op}: ${where(k)} has dtype ${t.dtype}; only float32 and float64 arguments can be ` +
          `differentiated`,
      );
    }
    // Each place is an input of its own, as in JAX: a tensor given twice gets two gradients.
    if (seen.has(t) && t instanceof Tensor) t = multiply(t, 1);
    seen.add(t);
    return t;
  });
  return { tree: unflattenTree(def, out), leaves: out, def };
}

// The arguments with the prepared ones in their places.
function withArgs(args: readonly unknown[], nums: readonly number[], prepared: Arg[]): unknown[] {
  const xs = [...args];
  nums.forEach((i, k) => (xs[i] = prepared[k].tree));
  return xs;
}

const allLeaves = (prepared: readonly Arg[]): (Tensor | Variable)[] =>
  prepared.length === 1 ? prepared[0].leaves : prepared.flatMap((p) => p.leaves);

// Splits flat per-leaf values back into one tree per prepared argument.
function perArg(prepared: readonly Arg[], values: readonly unknown[]): unknown[] {
  let at = 0;
  return prepared.map((p) => {
    const part = values.slice(at, at += p.leaves.length);
    return unflattenTree(p.def, part);
  });
}

// What `f` returned, which must be a tensor (a promise is refused and handled).
function tensorResult(op: string, y: unknown): Tensor {
  refuseAsync(op, y, "f");
  if (!(y instanceof Tensor)) {
    throw new TypeError(`${op}: f must return a Tensor, not ${describeValue(y)}`);
  }
  return y;
}

// What `f` returned, a tensor or a tree of tensors: its leaves and structure.
function treeResult(op: string, y: unknown): { leaves: Tensor[]; def: TreeDef } {
  refuseAsync(op, y, "f");
  if (y instanceof Tensor) return { leaves: [y], def: leafDef() };
  const { leaves, def } = flattenTree(y, op);
  if (def === leafDef()) tensorResult(op, y);
  leaves.forEach((leaf, k) => {
    if (!(leaf instanceof Tensor)) {
      throw new TypeError(
        `${op}: ${named("f's output", leafPaths(def)[k])} is ${describeValue(leaf)}; f must ` +
          `return a Tensor, or an array or record of them`,
      );
    }
  });
  return { leaves: leaves as Tensor[], def };
}

function requireScalar(op: string, out: unknown): Tensor {
  const y = tensorResult(op, out);
  // As jax.grad: an integer or bool output has no derivative, rather than one of zeros.
  if (!isFloat(y.dtype)) {
    throw new TypeError(
      `${op}: f must return a float tensor, got ${y.dtype}: an integer or bool output (argMax, a ` +
        `comparison) has no gradient; return a float value, or cast it with cast(y, "float32")`,
    );
  }
  if (y.size !== 1) {
    throw new Error(
      `${op}: f must return a scalar, got shape ${fmtShape(y.shape)}: use vjp or jacrev for ` +
        `non-scalar outputs`,
    );
  }
  return y;
}

// With hasAux, f returns [value, aux].
function splitAux(op: string, out: unknown): [unknown, unknown] {
  refuseAsync(op, out, "f");
  if (!Array.isArray(out) || out.length !== 2) {
    throw new TypeError(
      `${op}: with hasAux, f must return [value, aux], not ${describeValue(out)}`,
    );
  }
  return [out[0], out[1]];
}

/**
 * `f`'s value and its gradient with respect to the arguments named by `argnums`. Arguments may be
 * trees (a tensor, a number, or an array or record of them, nested); the gradient of each is a
 * tree of the same structure with a tensor at every leaf (a number's gradient is a float32
 * scalar tensor).
 *
 * @param f A function returning a scalar tensor.
 * @param options `argnums`: a number (one gradient tree) or an array (an array of them).
 * @returns A function `(...args) => [value, grads]`.
 * @example Value and gradient together, and of a record
 * ```ts
 * import assert from "node:assert/strict";
 * import { multiply, type Tensor, valueAndGrad } from "@gradtape/gradtape";
 * const [v, g] = valueAndGrad((x) => multiply(x, x))(3);
 * assert.equal(v.item(), 9);
 * assert.equal(g.item(), 6);
 * const loss = (p: { w: Tensor; b: Tensor }) => p.w.mul(p.b);
 * const [, grads] = valueAndGrad(loss)({ w: 2, b: 5 });
 * assert.deepEqual([grads.w.item(), grads.b.item()], [5, 2]);
 * ```
 */
export function valueAndGrad<F extends TensorFn, const O extends GradOptions & { hasAux?: false }>(
  f: F,
  options?: O,
): (...args: unknown[]) => [Tensor, GradsOf<F, O>];
/**
 * `valueAndGrad` with `hasAux`: `f` returns `[value, aux]`, and the result is
 * `[[value, aux], grads]`, as JAX's.
 *
 * @param f A function returning `[value, aux]`, `value` a scalar tensor.
 * @param options `hasAux: true`, and `argnums`.
 * @returns A function `(...args) => [[value, aux], grads]`.
 * @example Passing a prediction out with the loss
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Tensor, valueAndGrad } from "@gradtape/gradtape";
 * const f = (w: Tensor) => [w.square(), { pred: w.mul(2) }] as const;
 * const [[v, aux], g] = valueAndGrad(f, { hasAux: true })(3);
 * assert.deepEqual([v.item(), aux.pred.item(), g.item()], [9, 6, 6]);
 * ```
 */
export function valueAndGrad<F extends AuxFn, const O extends GradOptions & { hasAux: true }>(
  f: F,
  options: O,
): (...args: unknown[]) => [[Tensor, AuxOf<F>], GradsOf<F, O>];
export function valueAndGrad(
  f: TensorFn | AuxFn,
  options: GradOptions = {},
): (...args: unknown[]) => unknown {
  const op = "valueAndGrad";
  const argnums = checkTransform(op, f, options, ["argnums", "hasAux"]);
  const hasAux = checkHasAux(op, options);
  const vg = valueAndGradAs(op, f, argnums, hasAux);
  return hasAux
    ? (...args) => {
      const [v, g, aux] = vg(...args);
      return [[v, aux], g];
    }
    : (...args) => {
      const r = vg(...args);
      return [r[0], r[1]];
    };
}

function checkHasAux(op: string, options: GradOptions | undefined): boolean {
  const h: unknown = options?.hasAux ?? false;
  if (typeof h !== "boolean") {
    throw new TypeError(`${op}: hasAux must be true or false, not ${describeValue(h)}`);
  }
  return h;
}

// `[value, grads, aux]`, aux undefined without hasAux.
function valueAndGradAs(
  op: string,
  f: TensorFn | AuxFn,
  argnums: Argnums,
  hasAux: boolean,
): (...args: unknown[]) => [Tensor, unknown, unknown] {
  return (...args) => {
    const nums = argnumsFor(op, argnums, args.length);
    const prepared = prepare(op, args, nums);
    const xs = withArgs(args, nums, prepared);
    const sources = allLeaves(prepared);
    const tape = new GradientTape();
    let aux: unknown;
    const y = tape.record(() => {
      tape.watch(sources);
      const out = refuseAsync(op, f(...xs), "f");
      if (!hasAux) return requireScalar(op, out);
      const [value, a] = splitAux(op, out);
      aux = a;
      return requireScalar(op, value);
    });
    const grads = tape.gradient(y, sources, { unconnectedGradients: "zero" }) as Tensor[];
    const trees = prepared.length === 1 && prepared[0].def === leafDef()
      ? grads
      : perArg(prepared, grads);
    return [y, argnums.single ? trees[0] : trees, aux];
  };
}

/**
 * The gradient of a scalar function with respect to the arguments named by `argnums`. Arguments
 * may be trees (a tensor, a number, or an array or record of them, nested): the gradient is a
 * tree of the same structure with a tensor at every leaf (a number's gradient is a float32
 * scalar tensor). A leaf that is not float (an `int32` tensor) is an error naming its place.
 *
 * @param f A function returning a scalar tensor.
 * @param options `argnums`: a number (one gradient tree) or an array (an array of them).
 * @returns A function computing the gradient(s).
 * @example The derivative of sin, and gradients of a record of parameters
 * ```ts
 * import assert from "node:assert/strict";
 * import { grad, reduceSum, sin, type Tensor } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assert.equal(grad(sin)(0).item(), 1); // cos(0)
 * assertAllClose(grad(grad(sin))(1), -Math.sin(1)); // transforms compose
 * const loss = (p: { w: Tensor; b: Tensor }, x: Tensor) => reduceSum(p.w.mul(x)).add(p.b);
 * const g = grad(loss)({ w: [1, 2], b: 0 }, [3, 4]);
 * assert.deepEqual(g.w.toArray(), [3, 4]);
 * assert.equal(g.b.item(), 1);
 * ```
 */
export function grad<F extends TensorFn, const O extends GradOptions & { hasAux?: false }>(
  f: F,
  options?: O,
): (...args: unknown[]) => GradsOf<F, O>;
/**
 * `grad` with `hasAux`: `f` returns `[value, aux]`, and the result is `[grads, aux]`, as JAX's.
 *
 * @param f A function returning `[value, aux]`, `value` a scalar tensor.
 * @param options `hasAux: true`, and `argnums`.
 * @returns A function computing `[grads, aux]`.
 * @example The gradient and the loss's parts
 * ```ts
 * import assert from "node:assert/strict";
 * import { grad, type Tensor } from "@gradtape/gradtape";
 * const f = (a: Tensor, b: Tensor) => [a.mul(b), { product: a.mul(b) }] as const;
 * const [[ga, gb], aux] = grad(f, { argnums: [0, 1], hasAux: true })(2, 3);
 * assert.deepEqual([ga.item(), gb.item(), aux.product.item()], [3, 2, 6]);
 * ```
 */
export function grad<F extends AuxFn, const O extends GradOptions & { hasAux: true }>(
  f: F,
  options: O,
): (...args: unknown[]) => [GradsOf<F, O>, AuxOf<F>];
export function grad(
  f: TensorFn | AuxFn,
  options: GradOptions = {},
): (...args: unknown[]) => unknown {
  const op = "grad";
  const argnums = checkTransform(op, f, options, ["argnums", "hasAux"]);
  const hasAux = checkHasAux(op, options);
  const vg = valueAndGradAs(op, f, argnums, hasAux);
  return hasAux
    ? (...args) => {
      const [, g, aux] = vg(...args);
      return [g, aux];
    }
    : (...args) => vg(...args)[1];
}

/**
 * Forward mode: `f`'s output and its directional derivative along `tangents`. Primals and
 * tangents may be trees: each tangent has its primal's structure and shapes, and the output
 * tangent has the output's structure.
 *
 * @param f The function.
 * @param primals Where to evaluate, one tree per argument of `f`.
 * @param tangents The direction, one tree per primal, of its structure and shapes.
 * @returns `[out, tangentOut]`.
 * @example The derivative of x³ along 1 at 2, and of a record
 * ```ts
 * import assert from "node:assert/strict";
 * import { jvp, pow, type Tensor } from "@gradtape/gradtape";
 * const [y, dy] = jvp((x) => pow(x, 3), [2], [1]);
 * assert.equal(y.item(), 8);
 * assert.equal(dy.item(), 12); // 3x²
 * const f = (p: { a: Tensor; b: Tensor }) => ({ sum: p.a.add(p.b), prod: p.a.mul(p.b) });
 * const [, t] = jvp(f, [{ a: 2, b: 3 }], [{ a: 1, b: 0 }]);
 * assert.deepEqual([t.sum.item(), t.prod.item()], [1, 3]);
 * ```
 */
export function jvp<F extends TreeFn>(
  f: F,
  primals: readonly Tree<TensorLike>[],
  tangents: readonly Tree<TensorLike>[],
): [ReturnType<F>, MapTree<ReturnType<F>, Tensor>] {
  return jvpAs("jvp", f, primals, tangents) as [ReturnType<F>, MapTree<ReturnType<F>, Tensor>];
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

// The tangents' leaves, each a tensor of its primal leaf's shape and dtype; every mismatch is
// found before anything is seeded.
function tangentLeaves(op: string, prepared: readonly Arg[], tangents: readonly unknown[]) {
  return prepared.flatMap((p, i) => {
    const ts = p.def === leafDef()
      ? [tangents[i]]
      : flattenUpTo(p.def, tangents[i], op, `primals[${i}]`, `tangents[${i}]`);
    let paths: string[] | undefined;
    return ts.map((t, k) => {
      const x = p.leaves[k];
      const where = () => named(`tangent ${i}`, (paths ??= leafPaths(p.def))[k]);
      if (t === undefined || t === null) {
        throw new TypeError(`${op}: ${where()} is ${t}: give a tangent of its primal's shape`);
      }
      const dt = toTensor(t as TensorLike, { dtype: x.dtype, op });
      if (!sameShape(dt.shape, x.shape) || dt.dtype !== x.dtype) {
        throw new Error(
          `${op}: ${where()} has shape ${fmtShape(dt.shape)} and dtype ${dt.dtype}, but its ` +
            `primal has shape ${fmtShape(x.shape)} and dtype ${x.dtype}: they must match`,
        );
      }
      return dt;
    });
  });
}

function jvpAs(
  op: string,
  f: TreeFn,
  primals: readonly unknown[],
  tangents: readonly unknown[],
): [unknown, unknown] {
  checkJvpArgs(op, f, primals, tangents);
  const nums = primals.map((_, i) => i);
  const prepared = prepare(op, primals, nums, (i) => `primal ${i}`);
  const xs = withArgs(primals, nums, prepared);
  const acc = new ForwardAccumulator(allLeaves(prepared), tangentLeaves(op, prepared, tangents));
  const y = acc.record(() => refuseAsync(op, f(...xs), "f"));
  const out = treeResult(op, y);
  const dy = acc.jvp(out.leaves, { unconnectedGradients: "zero" }) as Tensor[];
  return [y, out.def === leafDef() ? dy[0] : unflattenTree(out.def, dy)];
}

/**
 * Reverse mode: `f`'s output and a function that pulls a cotangent of the output back to one
 * gradient per primal. Primals may be trees, and `f` may return a tree of tensors: the cotangent
 * then has the output's structure, and each gradient its primal's.
 *
 * @param f The function.
 * @param primals Where to evaluate, one tree per argument of `f`.
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
 * @example Trees in and out
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Tensor, vjp } from "@gradtape/gradtape";
 * const f = (p: { a: Tensor; b: Tensor }) => [p.a.mul(p.b), p.a];
 * const [, back] = vjp(f, { a: 2, b: 3 });
 * const [g] = back([1, 10]); // ∂(ab)/∂a + 10·∂a/∂a, ∂(ab)/∂b
 * assert.deepEqual([g.a.item(), g.b.item()], [13, 2]);
 * ```
 */
export function vjp<F extends TreeFn>(
  f: F,
  ...primals: Tree<TensorLike>[]
): [ReturnType<F>, (cotangent: Tree<TensorLike>) => GradsOfAll<F>] {
  checkFunction("vjp", "f", f);
  // Made inside a tidy, vjpFn may be called after it ends: what it needs must outlive it.
  const [y, back] = vjpAs("vjp", f, primals, currentScope() !== null);
  return [y as ReturnType<F>, (ct) => back(ct) as GradsOfAll<F>];
}

function vjpAs(
  op: string,
  f: TreeFn,
  primals: readonly unknown[],
  retain: boolean,
): [unknown, (cotangent: unknown) => unknown[]] {
  const nums = primals.map((_, i) => i);
  const prepared = prepare(op, primals, nums, (i) => `primal ${i}`);
  const xs = withArgs(primals, nums, prepared);
  const sources = allLeaves(prepared);
  const tape = new GradientTape({ persistent: true });
  const y = tape.record(() => {
    tape.watch(sources);
    return refuseAsync(op, f(...xs), "f");
  });
  const out = treeResult(op, y);
  if (retain) retainRecording(tape, [...out.leaves, ...sources.filter((x) => x instanceof Tensor)]);
  const back = (ct: unknown): unknown[] => {
    const cts = out.def === leafDef()
      ? [ct]
      : flattenUpTo(out.def, ct, op, "f's output", "the cotangent");
    let paths: string[] | undefined;
    const seeds = cts.map((c, k) => {
      const o = out.leaves[k];
      const t = toTensor(c as TensorLike, { dtype: o.dtype, op });
      if (!sameShape(t.shape, o.shape)) {
        const p = (paths ??= leafPaths(out.def))[k];
        throw new Error(
          `${op}: ${named("the cotangent", p)} has shape ${fmtShape(t.shape)} but ` +
            `${named("f's output", p)} has shape ${fmtShape(o.shape)}`,
        );
      }
      return t;
    });
    const grads = tape.gradient(out.leaves, sources, {
      outputGradients: seeds,
      unconnectedGradients: "zero",
    }) as Tensor[];
    return perArg(prepared, grads);
  };
  return [y, back];
}

// Assembles Jacobians, the output's structure outside and the inputs' inside: `dOut[o]` holds
// output leaf o's derivatives along every direction, shape `[n, ...o.shape]` with the n
// directions the inputs' elements in leaf order (null: zero).
function assemble(
  outs: { leaves: Tensor[]; def: TreeDef },
  dOut: readonly (Tensor | null)[],
  prepared: readonly Arg[],
  single: boolean,
): unknown {
  const inputs = allLeaves(prepared);
  const jacs = outs.leaves.map((o, k) => {
    let at = 0;
    const blocks = inputs.map((x) => {
      const shape = [...o.shape, ...x.shape];
      const d = dOut[k];
      const begin = at;
      at += x.size;
      if (d === null || x.size === 0 || o.size === 0) return fill(shape, 0, o.dtype);
      const part = inputs.length === 1 ? d : slice(d, [begin, ...o.shape.map(() => 0)], [
        x.size,
        ...o.shape,
      ]);
      // [n, ...o.shape]: the direction axis last, then unfolded into x's shape.
      return reshape(transpose(part, [...o.shape.map((_, i) => i + 1), 0]), shape);
    });
    const trees = perArg(prepared, blocks);
    return single ? trees[0] : trees;
  });
  return outs.def === leafDef() ? jacs[0] : unflattenTree(outs.def, jacs);
}

// The forward Jacobian of `f` at `xs` (its arguments with `prepared` in place): every input
// direction pushed through one batched pass.
function forwardJacobians(
  op: string,
  f: (...a: unknown[]) => unknown,
  xs: readonly unknown[],
  prepared: readonly Arg[],
  single: boolean,
): unknown {
  const inputs = allLeaves(prepared);
  const n = inputs.reduce((s, x) => s + x.size, 0);
  const engine = new ForwardEngine([n]);
  let at = 0;
  for (const x of inputs) {
    // Directions at..at+size are x's unit vectors.
    const data = new Float64Array(n * x.size);
    for (let j = 0; j < x.size; j++) data[(at + j) * x.size + j] = 1;
    at += x.size;
    const dx = reshape(toTensor(data, { dtype: x.dtype }), [n, ...x.shape]);
    if (x instanceof Variable) engine.seedVariable(x, dx);
    else engine.seed(x, dx);
  }
  const y = withTransform(engine, () => f(...xs));
  const outs = treeResult(op, y);
  return assemble(outs, outs.leaves.map((o) => engine.tangentOf(o)), prepared, single);
}

// The reverse Jacobian as JAX's: the pullback mapped by vmap over the rows of an identity, so
// one backward pass carries every output element's cotangent at once. Output leaf k's rows are
// rows off_k … off_k + o_k.size of the identity of the N output elements; each input's
// gradient comes back as [N, ...x.shape], whose rows for leaf k are ∂o_k/∂x, already in the
// order [...o_k.shape, ...x.shape].
function reverseJacobians(
  op: string,
  f: TreeFn,
  xs: readonly unknown[],
  prepared: readonly Arg[],
  single: boolean,
): unknown {
  const inputs = allLeaves(prepared);
  const tape = new GradientTape({ persistent: true });
  const y = tape.record(() => {
    tape.watch(inputs);
    return refuseAsync(op, f(...xs), "f");
  });
  const outs = treeResult(op, y);
  const n = inputs.reduce((s, x) => s + x.size, 0);
  const total = outs.leaves.reduce((s, o) => s + o.size, 0);
  let grads: readonly Tensor[] | null = null;
  if (n > 0 && total > 0) {
    // An empty output leaf has no rows: its cotangent, empty too, is left unmapped.
    const seeds: Tensor[] = [];
    const axes: (number | null)[] = [];
    let at = 0;
    for (const o of outs.leaves) {
      if (o.size === 0) {
        seeds.push(fill(o.shape, 0, o.dtype)), axes.push(null);
        continue;
      }
      const data = new Float64Array(total * o.size);
      for (let j = 0; j < o.size; j++) data[(at + j) * o.size + j] = 1;
      at += o.size;
      seeds.push(reshape(toTensor(data, { dtype: o.dtype }), [total, ...o.shape]));
      axes.push(0);
    }
    const pullback = (...cts: Tensor[]) =>
      tape.gradient(outs.leaves, inputs, {
        outputGradients: cts,
        unconnectedGradients: "zero",
      }) as Tensor[];
    grads = vmap(pullback, { inAxes: axes })(...seeds);
  }
  tape.dispose();
  let at = 0;
  const jacs = outs.leaves.map((o) => {
    const begin = at;
    at += o.size;
    const blocks = inputs.map((x, i) => {
      const shape = [...o.shape, ...x.shape];
      if (grads === null || o.size === 0) return fill(shape, 0, o.dtype);
      const g = grads[i];
      const rows = o.size === total ? g : slice(g, [begin, ...x.shape.map(() => 0)], [
        o.size,
        ...x.shape,
      ]);
      return reshape(rows, shape);
    });
    const trees = perArg(prepared, blocks);
    return single ? trees[0] : trees;
  });
  return outs.def === leafDef() ? jacs[0] : unflattenTree(outs.def, jacs);
}

/** What `jacfwd(f, options)` and `jacrev(f, options)` give: `f`'s output structure outside, the arguments' inside. */
export type JacobianOf<F extends TreeFn, O> = MapTree<ReturnType<F>, GradsOf<F, O>>;

// Builds a Jacobian transform, forward or reverse.
function jacobianWith(
  op: string,
  f: TreeFn,
  options: ArgnumsOptions | undefined,
  forward: boolean,
): (...args: unknown[]) => unknown {
  const argnums = checkTransform(op, f, options);
  return (...args) => {
    const nums = argnumsFor(op, argnums, args.length);
    const prepared = prepare(op, args, nums);
    const xs = withArgs(args, nums, prepared);
    const jac = forward ? forwardJacobians : reverseJacobians;
    return jac(op, f, xs, prepared, argnums.single);
  };
}

/**
 * The Jacobian by forward mode, with every input direction pushed through one batched pass:
 * each entry has shape `[...out.shape, ...arg.shape]`. Best for functions with fewer inputs than
 * outputs. Trees nest as JAX's do: `f`'s output structure outside, the argument's inside (and,
 * with `argnums` an array, one entry per argument innermost but one).
 *
 * @param f The function.
 * @param options `argnums`: a number (one Jacobian tree) or an array (an array of them).
 * @returns A function computing the Jacobian(s).
 * @example Jacobian of an elementwise square, and of a record in and out
 * ```ts
 * import assert from "node:assert/strict";
 * import { jacfwd, square, type Tensor } from "@gradtape/gradtape";
 * assert.deepEqual(jacfwd(square)([1, 2]).toArray(), [[2, 0], [0, 4]]);
 * const f = (p: { a: Tensor; b: Tensor }) => ({ y: p.a.mul(p.b) });
 * const j = jacfwd(f)({ a: 2, b: 3 });
 * assert.deepEqual([j.y.a.item(), j.y.b.item()], [3, 2]);
 * ```
 */
export function jacfwd<F extends TreeFn, const O extends ArgnumsOptions = { argnums: 0 }>(
  f: F,
  options?: O,
): (...args: unknown[]) => JacobianOf<F, O> {
  return jacobianWith("jacfwd", f, options, true) as (...args: unknown[]) => JacobianOf<F, O>;
}

/**
 * The Jacobian by reverse mode, as JAX's `vmap` of the pullback over the rows of an identity:
 * one backward pass carries every output element's cotangent at once. Each entry has shape
 * `[...out.shape, ...arg.shape]`. Best for functions with fewer outputs than inputs. Trees nest
 * as in `jacfwd`: the output's structure outside, the argument's inside.
 *
 * @param f The function.
 * @param options `argnums`: a number (one Jacobian tree) or an array (an array of them).
 * @returns A function computing the Jacobian(s).
 * @example Jacobian of a matrix-vector product, and with respect to two arguments
 * ```ts
 * import assert from "node:assert/strict";
 * import { jacrev, matmul, multiply, reshape, type Tensor } from "@gradtape/gradtape";
 * const A = [[1, 2], [3, 4], [5, 6]];
 * const f = (x: Tensor) => reshape(matmul(A, reshape(x, [2, 1])), [3]); // A·x
 * assert.deepEqual(jacrev(f)([1, 1]).toArray(), A);
 * const [ja, jb] = jacrev((a, b) => multiply(a, b), { argnums: [0, 1] })([1, 2], [3, 4]);
 * assert.deepEqual(ja.toArray(), [[3, 0], [0, 4]]); // diag(b)
 * assert.deepEqual(jb.toArray(), [[1, 0], [0, 2]]); // diag(a)
 * ```
 */
export function jacrev<F extends TreeFn, const O extends ArgnumsOptions = { argnums: 0 }>(
  f: F,
  options?: O,
): (...args: unknown[]) => JacobianOf<F, O> {
  return jacobianWith("jacrev", f, options, false) as (...args: unknown[]) => JacobianOf<F, O>;
}

/** What `hessian(f, options)` gives: the argument's structure outside and inside. */
export type HessianOf<F, O> = MapTree<
  ArgOf<F, O extends { argnums: infer N extends number } ? N : 0>,
  GradsOf<F, O>
>;

/**
 * The Hessian of a scalar function, shape `[...arg.shape, ...arg.shape]`, as reverse over
 * forward defines it: with all n directions pushed through one batched pass, so the per-op
 * overhead is paid once, not n times. For a tree argument, the Hessian is a tree of trees, the
 * argument's structure outside and inside (`H.a.b` is ∂²f/∂a∂b). For one Hessian-vector
 * product, `hvp`.
 *
 * @param f A function returning a scalar tensor.
 * @param options `argnums` (a single argument).
 * @returns A function computing the Hessian.
 * @example The Hessian of Σx³, and of a record
 * ```ts
 * import assert from "node:assert/strict";
 * import { hessian, pow, reduceSum, type Tensor } from "@gradtape/gradtape";
 * const H = hessian((v) => reduceSum(pow(v, 3)))([1, 2]);
 * assert.deepEqual(H.toArray(), [[6, 0], [0, 12]]); // diag(6x)
 * const h = hessian((p: { a: Tensor; b: Tensor }) => p.a.square().mul(p.b))({ a: 1, b: 2 });
 * assert.deepEqual([h.a.a.item(), h.a.b.item(), h.b.b.item()], [4, 2, 0]);
 * ```
 */
export function hessian<F extends TensorFn, const O extends { argnums?: number } = { argnums: 0 }>(
  f: F,
  options?: O,
): (...args: unknown[]) => HessianOf<F, O> {
  const op = "hessian";
  const argnums = checkTransform(op, f, options);
  if (!argnums.single) {
    throw new TypeError(
      `hessian: argnums must be one integer (the Hessian is taken with respect to one ` +
        `argument), not ${describeValue(options?.argnums)}`,
    );
  }
  return ((...args: unknown[]) => {
    const [i] = argnumsFor(op, argnums, args.length);
    const prepared = prepare(op, args, [i]);
    const xs = withArgs(args, [i], prepared);
    const fi = (xi: unknown) => requireScalar(op, f(...xs.map((a, k) => (k === i ? xi : a))));
    const gradOf = valueAndGradAs(op, fi, argnums0, false);
    const g = (xi: unknown) => gradOf(xi)[1];
    // NOTE: the Hessian is the same matrix whichever way the two modes nest, so it is computed
    // as the forward Jacobian of the gradient: all n directions in one batched pass. Only a
    // customGradient function tells the nestings apart (reverse over forward differentiates its
    // forward computation, as the contract says), so when one ran, the Hessian is recomputed by
    // reverse over forward, its n Hessian-vector products mapped by vmap into one.
    const before = customGradientApplications();
    const h = forwardJacobians(op, g, [prepared[0].tree], prepared, true);
    if (customGradientApplications() === before) return h;
    return hessianByHvp(op, fi, prepared[0]);
  }) as (...args: unknown[]) => HessianOf<F, O>;
}

// The Hessian by reverse over forward, as JAX's jacrev(jacfwd): the Hessian-vector product
// mapped by vmap over the n unit directions, so one product carries all of them at once.
function hessianByHvp(op: string, fi: (x: unknown) => Tensor, p: Arg): unknown {
  const inputs = p.leaves;
  const n = inputs.reduce((s, x) => s + x.size, 0);
  // Row a's derivatives along all n directions: [n, ...x_a.shape].
  const outs = { leaves: inputs.map((x) => x instanceof Variable ? x.value() : x), def: p.def };
  if (n === 0) return assemble(outs, inputs.map(() => null), [p], true);
  let at = 0;
  const directions = inputs.map((x) => {
    // Directions at..at+size are x's unit vectors; x is zero along the others.
    const data = new Float64Array(n * x.size);
    for (let j = 0; j < x.size; j++) data[(at + j) * x.size + j] = 1;
    at += x.size;
    return reshape(toTensor(data, { dtype: x.dtype }), [n, ...x.shape]);
  });
  const hv = vmap((v: unknown) => hvpAs(op, fi, [p.tree], [v])[0])(
    unflattenTree(p.def, directions),
  );
  const dOut = p.def === leafDef() ? [hv as Tensor] : flattenTree(hv, op).leaves as Tensor[];
  return assemble(outs, dOut, [p], true);
}

/**
 * The Hessian-vector product `H·v` of a scalar function, by reverse over forward, without
 * forming the Hessian: about the cost of two gradients. Primals and tangents may be trees.
 *
 * @param f A function returning a scalar tensor.
 * @param primals Where to evaluate, one tree per argument.
 * @param tangents The vector, one tree per primal, of its structure and shapes.
 * @returns One tree per primal, as `vjp`'s pullback gives.
 * @example H·v for Σx³
 * ```ts
 * import assert from "node:assert/strict";
 * import { hvp, pow, reduceSum } from "@gradtape/gradtape";
 * const [hv] = hvp((x) => reduceSum(pow(x, 3)), [[1, 2]], [[1, 1]]);
 * assert.deepEqual(hv.toArray(), [6, 12]); // diag(6x)·[1, 1]
 * ```
 */
export function hvp<F extends TensorFn>(
  f: F,
  primals: readonly Tree<TensorLike>[],
  tangents: readonly Tree<TensorLike>[],
): GradsOfAll<F> {
  return hvpAs("hvp", f, primals, tangents) as GradsOfAll<F>;
}

function hvpAs(
  op: string,
  f: TensorFn,
  primals: readonly unknown[],
  tangents: readonly unknown[],
): unknown[] {
  checkJvpArgs(op, f, primals, tangents);
  const nums = primals.map((_, i) => i);
  const prepared = prepare(op, primals, nums, (i) => `primal ${i}`);
  const xs = withArgs(primals, nums, prepared);
  const sources = allLeaves(prepared);
  const tape = new GradientTape();
  const d = tape.record(() => {
    tape.watch(sources);
    const [y, dy] = jvpAs(op, f, xs, tangents);
    requireScalar(op, y);
    return dy as Tensor;
  });
  const grads = tape.gradient(d, sources, { unconnectedGradients: "zero" }) as Tensor[];
  return perArg(prepared, grads);
}
