/**
 * `gt.tree`: helpers for trees (JAX's `jax.tree`), the arrays and records of tensors, variables
 * and numbers that every functional transform takes and gives back.
 *
 * Leaves are tensors, variables, numbers and anything that is not an array or a plain object; a
 * non-empty array of numbers (nested as deep as you like, such as `[[1, 2], [3, 4]]`) is a tensor
 * literal and so one leaf, as every op reads it. Records are taken in sorted key order, as JAX
 * sorts dict keys (so `{ a, b }` and `{ b, a }` have the same structure), and are rebuilt in the
 * key order they had. `null` and `undefined` are empty subtrees, as JAX's `None`.
 *
 * @module
 */
import { checkFunction, describeValue } from "./check.ts";
import {
  flattenTree,
  flattenUpTo,
  type MapTree,
  type Tree,
  TreeDef,
  unflattenTree,
} from "./structure.ts";

export { TreeDef };

/**
 * The leaves of `tree`, in order: arrays by index, records by sorted key.
 *
 * @param tree A tree.
 * @returns Its leaves.
 * @example The leaves of a record
 * ```ts
 * import assert from "node:assert/strict";
 * import { tree } from "@gradtape/gradtape";
 * assert.deepEqual(tree.leaves({ w: [1, 2], b: 3, extra: null }), [3, [1, 2]]);
 * assert.deepEqual(tree.leaves([{ z: 1, a: 2 }, 3]), [2, 1, 3]);
 * ```
 */
export function leaves<L = unknown>(tree: Tree<L>): L[] {
  return flattenTree(tree, "tree.leaves").leaves as L[];
}

/**
 * The leaves of `tree` and its structure, which `unflatten` fills with new leaves.
 *
 * @param tree A tree.
 * @returns `[leaves, treedef]`.
 * @example A round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { tree } from "@gradtape/gradtape";
 * const [xs, def] = tree.flatten({ w: 1, b: [2, null] });
 * assert.deepEqual(xs, [2, 1]);
 * assert.deepEqual(tree.unflatten(def, xs.map((x) => x * 10)), { w: 10, b: [20, null] });
 * ```
 */
export function flatten<L = unknown>(tree: Tree<L>): [L[], TreeDef] {
  const { leaves, def } = flattenTree(tree, "tree.flatten");
  return [leaves as L[], def];
}

/**
 * Rebuilds a tree of structure `treedef` from `leaves`, in `flatten`'s order.
 *
 * @param treedef A structure, from `structure` or `flatten`.
 * @param leaves Exactly `treedef.numLeaves` leaves.
 * @returns The tree.
 * @example New leaves in an old structure
 * ```ts
 * import assert from "node:assert/strict";
 * import { tree } from "@gradtape/gradtape";
 * const def = tree.structure({ a: 0, b: [null, 0, 0] }); // [0, 0] alone would be one leaf
 * assert.deepEqual(tree.unflatten(def, [1, 2, 3]), { a: 1, b: [null, 2, 3] });
 * assert.throws(() => tree.unflatten(def, [1, 2]), /2 leaves for a structure of 3/);
 * ```
 */
export function unflatten<L = unknown>(treedef: TreeDef, leaves: readonly L[]): Tree<L> {
  const op = "tree.unflatten";
  if (!(treedef instanceof TreeDef)) {
    throw new TypeError(
      `${op}: treedef must be a TreeDef (from tree.structure or tree.flatten), not ` +
        describeValue(treedef),
    );
  }
  if (!Array.isArray(leaves)) {
    throw new TypeError(`${op}: leaves must be an array, not ${describeValue(leaves)}`);
  }
  if (leaves.length !== treedef.numLeaves) {
    throw new RangeError(
      `${op}: ${leaves.length} leaves for a structure of ${treedef.numLeaves}, ${treedef}: ` +
        `give one leaf per * of the structure`,
    );
  }
  return unflattenTree(treedef, leaves) as Tree<L>;
}

/**
 * The structure of `tree`, without its leaves: printable, and comparable with `equals`.
 *
 * @param tree A tree.
 * @returns Its structure.
 * @example Comparing structures
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, tree } from "@gradtape/gradtape";
 * const s = tree.structure({ w: constant([1, 2]), b: 0 });
 * assert.equal(s.toString(), "TreeDef({b: *, w: *})");
 * assert.ok(s.equals(tree.structure({ b: 1, w: 2 })));
 * ```
 */
export function structure(tree: Tree<unknown>): TreeDef {
  return flattenTree(tree, "tree.structure").def;
}

/**
 * Applies `fn` to the leaves in the same places of `tree` and of each of `rest`, and gives a tree
 * of `tree`'s structure holding the results. Each of `rest` must have `tree`'s structure (or
 * `tree`'s structure down to its leaves, where it may hold whole subtrees, as in JAX); where it
 * does not, the error shows both structures at the place they differ.
 *
 * @param fn Called with one leaf of each tree.
 * @param tree The tree whose structure the result has.
 * @param rest More trees of the same structure.
 * @returns The tree of results.
 * @example A gradient-descent step over a record of parameters
 * ```ts
 * import assert from "node:assert/strict";
 * import { grad, reduceSum, subtract, type Tensor, tree } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const params = { w: [1, 2], b: 0.5 };
 * const loss = (p: { w: Tensor; b: Tensor }) => reduceSum(p.w.square()).add(p.b);
 * const grads = grad(loss)(params);
 * const next = tree.map((p, g: Tensor) => subtract(p, g.mul(0.1)), params, grads);
 * assertAllClose(next.w, [0.8, 1.6]); // [1, 2] is a tensor literal: one leaf
 * assertAllClose(next.b, 0.4);
 * ```
 */
export function map<T, R>(
  // deno-lint-ignore no-explicit-any
  fn: (leaf: any, ...rest: any[]) => R,
  tree: T,
  ...rest: readonly unknown[]
): MapTree<T, R> {
  const op = "tree.map";
  checkFunction(op, "fn", fn);
  const { leaves, def } = flattenTree(tree, op);
  const others = rest.map((r, i) => flattenUpTo(def, r, op, "tree", `rest[${i}]`));
  const out = leaves.map((leaf, j) => fn(leaf, ...others.map((o) => o[j])));
  return unflattenTree(def, out) as MapTree<T, R>;
}
