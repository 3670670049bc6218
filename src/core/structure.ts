/**
 * Trees: tensors, variables and numbers in arrays and records nested as deep as you like (JAX's
 * pytrees), flattened to their leaves and rebuilt. The one walker behind `gt.tree`, the tape's
 * nested sources and targets, the accumulator's and every functional transform.
 *
 * What is a node and what a leaf:
 * - an array is a node, except a non-empty array of numbers and booleans (nested as deep as you
 *   like): that is a tensor literal, which every op reads as one tensor, so it is one leaf
 *   (`[1, 2]` is a leaf, `[x, y]` of tensors a node of two leaves);
 * - a plain object (record) is a node whose children are taken in sorted key order, as JAX
 *   sorts dict keys, so two records with the same keys in another order have the same
 *   structure; a record rebuilt from a structure keeps the key order it was flattened with;
 * - `null` and `undefined` are nodes with no children (JAX's `None`), kept in place;
 * - anything else (a tensor, a variable, a number, a string, a class instance) is a leaf.
 */
import { describeValue } from "./check.ts";
import type { TypedArray } from "./dtype.ts";
import { Tensor, type TensorLike } from "./tensor.ts";
import { Variable } from "./variable.ts";

/**
 * A tensor or variable, or an array or record of them, nested as deep as you like.
 *
 * @example Gradients for a record of parameters
 * ```ts
 * import { GradientTape, type Structure, Variable } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const params = { w: new Variable(2), b: [new Variable(1)] } satisfies Structure;
 * const tape = new GradientTape();
 * const loss = tape.record(() => params.w.mul(params.b[0]));
 * const grads = tape.gradient(loss, params);
 * assert.equal(grads.w!.item(), 1);
 * assert.equal(grads.b[0]!.item(), 2);
 * ```
 */
export type Structure<L = Tensor | Variable> =
  | L
  | readonly Structure<L>[]
  | { readonly [key: string]: Structure<L> };

/**
 * A tree: a tensor, a variable or a number (or a tensor literal such as `[1, 2]`), or an array or
 * record of trees, nested as deep as you like; `null` and `undefined` are empty subtrees.
 *
 * @example Parameters as a tree
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, type Tree, tree } from "@gradtape/gradtape";
 * const params: Tree = { w: constant([1, 2]), b: 0, layers: [constant(3)] };
 * assert.equal(tree.leaves(params).length, 3);
 * ```
 */
export type Tree<L = Tensor | Variable | number> =
  | L
  | null
  | undefined
  | readonly Tree<L>[]
  | { readonly [key: string]: Tree<L> };

/**
 * What a structure of sources becomes when each leaf is replaced by `R`.
 *
 * @example The type of the gradients of a record
 * ```ts
 * import { constant, type MapLeaves, type Tensor, type Variable } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * type Grads = MapLeaves<{ w: Variable; b: Variable[] }, Tensor | null>;
 * const grads: Grads = { w: constant(1), b: [null] };
 * assert.equal(grads.b[0], null);
 * ```
 */
export type MapLeaves<S, R> = S extends Tensor | Variable ? R
  : S extends readonly unknown[] ? { -readonly [K in keyof S]: MapLeaves<S[K], R> }
  : S extends object ? { -readonly [K in keyof S]: MapLeaves<S[K], R> }
  : never;

/**
 * A tensor literal: a number or boolean, or an array of them nested as deep as you like, which
 * every op reads as one tensor, and so one leaf of a tree.
 *
 * @example A matrix literal is one leaf
 * ```ts
 * import assert from "node:assert/strict";
 * import { type TensorLiteral, tree } from "@gradtape/gradtape";
 * const m: TensorLiteral = [[1, 2], [3, 4]];
 * assert.deepEqual(tree.leaves({ m }), [m]);
 * ```
 */
export type TensorLiteral = number | boolean | readonly TensorLiteral[];

/**
 * The type of a tree of type `T` with each leaf replaced by `R`: what `tree.map` and the
 * transforms give back (the gradients of `{ w: Tensor; b: number }` are
 * `{ w: Tensor; b: Tensor }`). A tensor literal such as `number[]` is one leaf.
 *
 * @example The gradients' type follows the parameters'
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, type MapTree, type Tensor } from "@gradtape/gradtape";
 * type Grads = MapTree<{ w: Tensor; b: number; layers: Tensor[] }, Tensor>;
 * const g: Grads = { w: constant(1), b: constant(2), layers: [] };
 * assert.equal(g.b.item(), 2);
 * ```
 */
export type MapTree<T, R> =
  // deno-lint-ignore no-explicit-any
  0 extends 1 & T ? any
    : [T] extends [Tensor | Variable | TensorLiteral | TypedArray] ? R
    : [TensorLike] extends [T] ? R
    : T extends null | undefined ? T
    : T extends readonly unknown[] ? { -readonly [K in keyof T]: MapTree<T[K], R> }
    // deno-lint-ignore ban-types
    : T extends Function ? R
    : T extends object ? { -readonly [K in keyof T]: MapTree<T[K], R> }
    : R;

// A structure's node. Records keep their keys sorted (the leaf order) and as given (the order
// they are rebuilt in).
type Node =
  | { kind: "leaf" }
  | { kind: "none"; value: null | undefined }
  | { kind: "array"; children: Node[] }
  | { kind: "record"; keys: string[]; order: string[]; children: Node[] };

const LEAF: Node = { kind: "leaf" };
// Deeper than this is taken for a tree that contains itself.
const MAX_DEPTH = 1000;

let makeDef: (node: Node, leaves: number) => TreeDef;
let nodeOf: (def: TreeDef) => Node;

/**
 * The structure of a tree without its leaves (JAX's `PyTreeDef`): what `tree.structure` and
 * `tree.flatten` give, and `tree.unflatten` fills with new leaves. Two structures compare with
 * `equals`; `toString` prints one, a leaf as `*`.
 *
 * @example Printing and comparing structures
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, tree } from "@gradtape/gradtape";
 * const s = tree.structure([1, { b: constant(2), a: null }]);
 * assert.equal(s.toString(), "TreeDef([*, {a: null, b: *}])");
 * assert.equal(s.numLeaves, 2);
 * assert.ok(s.equals(tree.structure([5, { a: null, b: 6 }])));
 * assert.ok(!s.equals(tree.structure([5, 6])));
 * ```
 */
export class TreeDef {
  #node: Node = LEAF;
  #leaves = 1;

  static {
    makeDef = (node, leaves) => {
      const d = new TreeDef();
      d.#node = node;
      d.#leaves = leaves;
      return d;
    };
    nodeOf = (def) => def.#node;
  }

  private constructor() {}

  /** How many leaves a tree of this structure has. */
  get numLeaves(): number {
    return this.#leaves;
  }

  /**
   * Whether `other` is the same structure (records compare by their sets of keys).
   *
   * @param other Another structure.
   * @returns `true` when they match.
   * @example Key order does not matter
   * ```ts
   * import assert from "node:assert/strict";
   * import { tree } from "@gradtape/gradtape";
   * assert.ok(tree.structure({ a: 1, b: 2 }).equals(tree.structure({ b: 3, a: 4 })));
   * ```
   */
  equals(other: TreeDef): boolean {
    return other instanceof TreeDef && sameNode(this.#node, other.#node);
  }

  /**
   * The structure in brackets and braces, a leaf as `*`: `TreeDef([*, {a: *}])`.
   *
   * @returns The printed structure.
   * @example A record of an array and a leaf
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, tree } from "@gradtape/gradtape";
   * const x = constant(1);
   * assert.equal(String(tree.structure({ w: [x, [x, 3]], b: 0 })), "TreeDef({b: *, w: [*, [*, *]]})");
   * assert.equal(String(tree.structure({ w: [1, 2] })), "TreeDef({w: *})"); // a tensor literal
   * ```
   */
  toString(): string {
    return `TreeDef(${showNode(this.#node)})`;
  }

  /** Deno's `console.log` prints the structure. */
  [Symbol.for(["Deno", "customInspect"].join("."))](): string {
    return this.toString();
  }

  /** Node's `console.log` prints the structure. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function sameNode(a: Node, b: Node): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "leaf" || a.kind === "none") return true;
  const bc = (b as { children: Node[] }).children;
  if (a.children.length !== bc.length) return false;
  if (a.kind === "record" && !a.keys.every((k, i) => k === (b as { keys: string[] }).keys[i])) {
    return false;
  }
  return a.children.every((c, i) => sameNode(c, bc[i]));
}

function showNode(n: Node): string {
  switch (n.kind) {
    case "leaf":
      return "*";
    case "none":
      return String(n.value);
    case "array":
      return `[${n.children.map(showNode).join(", ")}]`;
    case "record":
      return `{${n.keys.map((k, i) => `${showKey(k)}: ${showNode(n.children[i])}`).join(", ")}}`;
  }
}

function showKey(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

/** Whether `x` is a plain object (a record): a node of a tree. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Whether `x` is a non-empty array of numbers and booleans, nested: a tensor literal, a leaf. */
export function isLiteral(x: unknown, depth = 0): boolean {
  // An array that contains itself is no literal (the tree walk then reports the cycle).
  if (!Array.isArray(x) || x.length === 0 || depth > MAX_DEPTH) return false;
  for (const e of x) {
    if (typeof e !== "number" && typeof e !== "boolean" && !isLiteral(e, depth + 1)) return false;
  }
  return true;
}

function isLeafValue(x: unknown): boolean {
  return x !== null && x !== undefined && !isRecord(x) && (!Array.isArray(x) || isLiteral(x));
}

/**
 * The leaves of `x` in order (arrays by index, records by sorted key) and its structure. `op`
 * names the caller when `x` contains itself.
 */
export function flattenTree(x: unknown, op: string): { leaves: unknown[]; def: TreeDef } {
  if (isLeafValue(x)) return { leaves: [x], def: LEAF_DEF };
  const leaves: unknown[] = [];
  const walk = (v: unknown, depth: number): Node => {
    if (v === null || v === undefined) return { kind: "none", value: v };
    if (depth > MAX_DEPTH) {
      throw new RangeError(
        `${op}: the tree is nested more than ${MAX_DEPTH} levels deep: does it contain itself?`,
      );
    }
    if (Array.isArray(v) && !isLiteral(v)) {
      return { kind: "array", children: v.map((c) => walk(c, depth + 1)) };
    }
    if (isRecord(v)) {
      const order = Object.keys(v);
      const keys = [...order].sort();
      return { kind: "record", keys, order, children: keys.map((k) => walk(v[k], depth + 1)) };
    }
    leaves.push(v);
    return LEAF;
  };
  const node = walk(x, 0);
  return { leaves, def: makeDef(node, leaves.length) };
}

const LEAF_DEF = makeDef(LEAF, 1);

/** The structure of a lone leaf. */
export function leafDef(): TreeDef {
  return LEAF_DEF;
}

/** Rebuilds a tree of structure `def` from `leaves` (already checked to be `def.numLeaves`). */
export function unflattenTree(def: TreeDef, leaves: readonly unknown[]): unknown {
  const root = nodeOf(def);
  if (root.kind === "leaf") return leaves[0];
  let i = 0;
  const build = (n: Node): unknown => {
    switch (n.kind) {
      case "leaf":
        return leaves[i++];
      case "none":
        return n.value;
      case "array":
        return n.children.map(build);
      case "record": {
        const out: Record<string, unknown> = {};
        // Defined, not assigned: a key "__proto__" (from JSON.parse) would set the prototype.
        const put = (k: string, v: unknown) =>
          Object.defineProperty(out, k, {
            value: v,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        for (const k of n.order) put(k, undefined);
        n.keys.forEach((k, j) => put(k, build(n.children[j])));
        return out;
      }
    }
  };
  return build(root);
}

/** The path of each leaf of `def`, in leaf order: `""` for a lone leaf, `[1].w`, `w[0]`. */
export function leafPaths(def: TreeDef): string[] {
  const out: string[] = [];
  const walk = (n: Node, p: string): void => {
    if (n.kind === "leaf") out.push(p);
    else if (n.kind === "array") n.children.forEach((c, i) => walk(c, `${p}[${i}]`));
    else if (n.kind === "record") {
      n.keys.forEach((k, i) => walk(n.children[i], `${p}${keyPath(p, k)}`));
    }
  };
  walk(nodeOf(def), "");
  return out;
}

function keyPath(p: string, k: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(k)) return p === "" ? k : `.${k}`;
  return `[${JSON.stringify(k)}]`;
}

/**
 * The parts of `value` at the places of `def`'s leaves, in leaf order (JAX's
 * `flatten_up_to`): `value` must have `def`'s arrays, records and empty subtrees down to those
 * places, where it may hold anything. `sName` and `valueName` name the two in errors, which
 * show both structures where they differ.
 */
export function flattenUpTo(
  def: TreeDef,
  value: unknown,
  op: string,
  sName: string,
  valueName: string,
): unknown[] {
  const out: unknown[] = [];
  const fail = (n: Node, v: unknown, p: string, what: string): never => {
    const theirs = isLeafValue(v) ? "*" : showNode(nodeOf(flattenTree(v, op).def));
    throw new TypeError(
      `${op}: ${named(valueName, p)} is ${describeValue(v)}${
        isRecord(v) ? ` with keys ${fmtKeys(Object.keys(v))}` : ""
      }, but ${named(sName, p)} is ${what}: ${sName} has ${showNode(n)} there, ${valueName} ` +
        `has ${theirs}: give ${valueName} the structure of ${sName}`,
    );
  };
  const walk = (n: Node, v: unknown, p: string): void => {
    switch (n.kind) {
      case "leaf":
        out.push(v);
        return;
      case "none":
        if (v !== null && v !== undefined) fail(n, v, p, String(n.value));
        return;
      case "array":
        // A literal such as [1, 10] where an array is expected is read as that array.
        if (!Array.isArray(v) || v.length !== n.children.length) {
          fail(n, v, p, `an array of length ${n.children.length}`);
        }
        n.children.forEach((c, i) => walk(c, (v as unknown[])[i], `${p}[${i}]`));
        return;
      case "record": {
        const same = isRecord(v) && Object.keys(v).length === n.keys.length &&
          n.keys.every((k) => Object.hasOwn(v, k));
        if (!same) fail(n, v, p, `a record with keys ${fmtKeys(n.order)}`);
        n.keys.forEach((k, i) =>
          walk(n.children[i], (v as Record<string, unknown>)[k], `${p}${keyPath(p, k)}`)
        );
      }
    }
  };
  walk(nodeOf(def), value, "");
  return out;
}

/** `sources[1]`, `target.y0`, or just `sources` at the top. */
export function named(what: string, path: string): string {
  return path === "" ? what : path.startsWith("[") ? `${what}${path}` : `${what}.${path}`;
}

function fmtKeys(keys: readonly string[]): string {
  return keys.length === 0 ? "(none)" : keys.map((k) => `'${k}'`).join(", ");
}

function isLeaf(x: unknown): x is Tensor | Variable {
  return x instanceof Tensor || x instanceof Variable;
}

/**
 * The leaves of `s`, which must all be tensors or variables, in tree order, with their paths.
 * `what` names `s` in errors (`sources[1] is 3; expected …`). For the tape and accumulator.
 */
export function flatten(
  s: unknown,
  op: string,
  what = "the argument",
): { leaves: (Tensor | Variable)[]; paths: string[]; def: TreeDef } {
  if (isLeaf(s)) return { leaves: [s], paths: [""], def: LEAF_DEF };
  // As an empty tree it would give nothing: a missing argument, which a plain-JavaScript caller
  // meets only by its result (and a tape, by being used up).
  if (s === null || s === undefined) {
    throw new TypeError(
      `${op}: ${what} is ${s}; expected a Tensor or Variable, or an array or record of them`,
    );
  }
  const { leaves, def } = flattenTree(s, op);
  const paths = leafPaths(def);
  leaves.forEach((x, i) => {
    if (!isLeaf(x)) {
      throw new TypeError(
        `${op}: ${named(what, paths[i])} is ${describeValue(x)}; expected a Tensor or ` +
          `Variable, or an array or record of them`,
      );
    }
  });
  return { leaves: leaves as (Tensor | Variable)[], paths, def };
}

/** `flattenUpTo` for the tree `s`. */
export function flattenAs(
  s: unknown,
  value: unknown,
  op: string,
  sName: string,
  valueName: string,
): unknown[] {
  return flattenUpTo(flattenTree(s, op).def, value, op, sName, valueName);
}

/** Rebuilds `def`'s structure with the leaves replaced, in leaf order, by `values`. */
export function unflatten<R>(def: TreeDef, values: readonly R[]): unknown {
  return unflattenTree(def, values);
}

/** A short name for a leaf in messages: the variable's name, or the path. */
export function leafName(leaf: Tensor | Variable, path: string, what = "source"): string {
  if (leaf instanceof Variable) return `variable '${leaf.name}'${path ? ` (${path})` : ""}`;
  return path ? `${what} ${path}` : `the ${what}`;
}
