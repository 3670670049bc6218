/** A number for each object, which holds no reference to it: for keys and comparisons by identity. */

const ids = new WeakMap<object, number>();
let next = 0;

/**
 * The number of `x`, the same for as long as `x` lives and given to no other object. A `WeakMap`
 * holds it, so that `x` stays collectable (a `WeakRef` keeps its target alive until the current
 * job ends). Internal.
 *
 * @example Two objects, two numbers; the same object, the same number
 * ```ts
 * import assert from "node:assert/strict";
 * import { objectId } from "./identity.ts";
 * const a = {}, b = {};
 * assert.notEqual(objectId(a), objectId(b));
 * assert.equal(objectId(a), objectId(a));
 * ```
 */
export function objectId(x: object): number {
  let id = ids.get(x);
  if (id === undefined) ids.set(x, id = ++next);
  return id;
}
