/**
 * The leaf layer of the ops (JAX's `lax`): a table of primitives, which each op family fills when
 * it loads (`register`), and thin `bind` wrappers for the primitives that derivative rules,
 * batching rules and composites call across families. It imports only `src/core`, and the op
 * families import it rather than each other (besides it, `_define.ts` and `_batch.ts`, which
 * stand on it, only `creation.ts`: constructors, no primitives, itself on `_lax.ts` alone), so no
 * import cycle runs between them. Composites of several families (`reduce_composite.ts`,
 * `nn.ts`) sit above the families and call their public ops.
 *
 * The wrappers take tensors and attributes as the rules have them, already normalized (axes
 * non-negative, shapes resolved, permutations whole): they check nothing and convert nothing,
 * apart from a plain number beside a tensor (the 1 in a rule's `y + 1`), which becomes a scalar of
 * that tensor's dtype as the public op makes it. Where the public op skips a no-op (a reshape to
 * the same shape, an identity permutation, a cast to the same dtype, a reduction over no axis),
 * the wrapper skips it too, so a rule does the same work either way.
 *
 * Any op module can be imported on its own, but a rule that reaches a primitive of a family that
 * was never loaded throws, naming the primitive: import the library (`mod.ts`, or
 * `src/ops/registry.ts`), which loads every family.
 */
import { bind, type Primitive } from "../core/dispatch.ts";
import { toTensorPair, toTensors } from "../core/convert.ts";
import type { DType } from "../core/dtype.ts";
import { sameShape } from "../core/shape.ts";
import type { Tensor } from "../core/tensor.ts";

// deno-lint-ignore no-explicit-any
type AnyPrimitive = Primitive<any>;

// Every slot exists from the start (one object shape), filled as the families load.
const table: Record<string, AnyPrimitive | null> = {
  add: null,
  subtract: null,
  multiply: null,
  divide: null,
  negative: null,
  log: null,
  equal: null,
  less: null,
  lessEqual: null,
  greater: null,
  greaterEqual: null,
  logicalAnd: null,
  where: null,
  cast: null,
  reshape: null,
  transpose: null,
  broadcastTo: null,
  reduceSum: null,
  exp: null,
};

/**
 * Puts a family's primitives in the table (each family calls it when it loads); only those with
 * a wrapper here have a slot.
 */
export function register(prims: Readonly<Record<string, AnyPrimitive>>): void {
  for (const key in prims) {
    const p = prims[key];
    if (Object.hasOwn(table, p.name)) table[p.name] = p;
  }
}

function prim(name: string): AnyPrimitive {
  const p = table[name];
  if (p == null) {
    throw new Error(
      `${name}: the primitive is not loaded (its op family was never imported): ` +
        `import the library (mod.ts), which loads every op`,
    );
  }
  return p;
}

/** An operand of an elementwise wrapper: a tensor, or a plain number beside a tensor. */
export type Operand = Tensor | number;

function pair(name: string, a: Operand, b: Operand): Tensor[] {
  return typeof a === "number" || typeof b === "number" ? toTensorPair(name, a, b) : [a, b];
}

/** A wrapper of a binary primitive. */
export type Binary = (a: Operand, b: Operand) => Tensor;

function binary(name: string): Binary {
  return (a, b) => bind(prim(name), pair(name, a, b), undefined);
}

/** `a + b`. */
export const add: Binary = binary("add");

/** `a - b`. */
export const sub: Binary = binary("subtract");

/** `a · b`. */
export const mul: Binary = binary("multiply");

/** `a / b` (the primitive: floating operands, no int32 promotion). */
export const div: Binary = binary("divide");

/** `-x`. */
export function neg(x: Tensor): Tensor {
  return bind(prim("negative"), [x], undefined);
}

/** `eˣ`. */
export function exp(x: Tensor): Tensor {
  return bind(prim("exp"), [x], undefined);
}

/** `log x`. */
export function log(x: Tensor): Tensor {
  return bind(prim("log"), [x], undefined);
}

/** `a = b`. */
export const eq: Binary = binary("equal");

/** `a < b`. */
export const lt: Binary = binary("less");

/** `a ≤ b`. */
export const le: Binary = binary("lessEqual");

/** `a > b`. */
export const gt: Binary = binary("greater");

/** `a ≥ b`. */
export const ge: Binary = binary("greaterEqual");

/** `a ∧ b` of bool tensors. */
export function and(a: Tensor, b: Tensor): Tensor {
  return bind(prim("logicalAnd"), [a, b], undefined);
}

/** `cond ? a : b` elementwise. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const ab = typeof a === "number" || typeof b === "number" ? toTensors("where", [a, b]) : [a, b];
  return bind(prim("where"), [cond, ab[0], ab[1]], undefined);
}

/** `x` as `dtype` (`x` itself when it has it). */
export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : bind(prim("cast"), [x], { dtype });
}

/** `x` with `shape` (resolved: no -1), or `x` itself when it has it. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(shape, x.shape)) return x;
  return bind(prim("reshape"), [x], { shape: Object.isFrozen(shape) ? shape : [...shape] });
}

/** `x` with its axes permuted by `perm` (non-negative, whole), or `x` for the identity. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((a, i) => a === i)) return x;
  return bind(prim("transpose"), [x], { perm: [...perm] });
}

/** `x` broadcast to `shape`, or `x` itself when it has it. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  return bind(prim("broadcastTo"), [x], { shape: [...shape] });
}

/** `x` with an axis of length 1 inserted at `axis` (in `[0, rank]`). */
export function expandDims(x: Tensor, axis: number): Tensor {
  const shape = [...x.shape];
  shape.splice(axis, 0, 1);
  return reshape(x, shape);
}

/** Sums of `x` over `axes` (non-negative), or `x` itself when there are none. */
export function reduceSum(x: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
  if (axes.length === 0) return x;
  return bind(prim("reduceSum"), [x], { axes, keepDims });
}

/**
 * Sums `g` over the axes along which `shape` was broadcast to `g`'s shape, giving a tensor of
 * `shape` (the reverse of `broadcastTo`). Internal to the gradient rules.
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(reduceSum(g, axes, true), shape);
}
