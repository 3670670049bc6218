/** `gt.tree`: leaves, flatten/unflatten round trips, structures, map over several trees, errors. */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { throwsWith } from "../_helpers.ts";

const { tree } = gt;

Deno.test("tree.leaves takes arrays by index and records by sorted key", () => {
  const a = gt.constant(1), b = gt.constant(2);
  assert.deepEqual(tree.leaves([{ z: a, y: [b, 3] }, 4]), [b, 3, a, 4]);
  assert.deepEqual(tree.leaves(a), [a]);
  assert.deepEqual(tree.leaves({ none: null, also: undefined, empty: [] }), []);
});

Deno.test("tree.leaves takes a non-empty array of numbers as one tensor literal", () => {
  assert.deepEqual(tree.leaves({ w: [[1, 2], [3, 4]], b: 0 }), [0, [[1, 2], [3, 4]]]);
  assert.deepEqual(tree.leaves([1, gt.constant(2)]).length, 2);
});

Deno.test("tree.flatten and tree.unflatten round-trip, keeping the record's key order", () => {
  const x = { w: gt.constant([1, 2]), b: [gt.constant(3), null], a: 5 };
  const [leaves, def] = tree.flatten(x);
  assert.deepEqual(leaves, [5, x.b[0], x.w]);
  const back = tree.unflatten(def, leaves) as typeof x;
  assert.deepEqual(Object.keys(back), ["w", "b", "a"]);
  assert.equal(back.w, x.w);
  assert.deepEqual(back.b, [x.b[0], null]);
  assert.equal(def.numLeaves, 3);
});

Deno.test("tree.structure prints as TreeDef(…) and compares with equals", () => {
  const s = tree.structure([gt.constant(1), { b: 2, a: null, "my key": [gt.constant(0), 1] }]);
  assert.equal(String(s), 'TreeDef([*, {a: null, b: *, "my key": [*, *]}])');
  assert.ok(
    s.equals(tree.structure([0, { "my key": [0, null as unknown as number], a: null, b: 0 }])) ===
      false,
  );
  assert.ok(s.equals(tree.structure([0, { "my key": [gt.constant(0), 9], a: null, b: 0 }])));
  assert.ok(tree.structure({ a: 1, b: 2 }).equals(tree.structure({ b: 1, a: 2 })));
  assert.ok(!tree.structure({ a: 1 }).equals(tree.structure({ a: 1, b: 2 })));
  assert.ok(!tree.structure([1, 2, null]).equals(tree.structure([1, 2, 3])));
  assert.equal(String(tree.structure(gt.constant(1))), "TreeDef(*)");
});

Deno.test("tree.unflatten refuses the wrong number of leaves, naming both counts", () => {
  const def = tree.structure({ a: 0, b: [gt.constant(0), 0] });
  throwsWith(
    () => tree.unflatten(def, [1, 2]),
    RangeError,
    /^tree\.unflatten: 2 leaves for a structure of 3, TreeDef\(\{a: \*, b: \[\*, \*\]\}\)/,
  );
  throwsWith(
    () => tree.unflatten({} as gt.TreeDef, []),
    TypeError,
    /^tree\.unflatten: treedef must be a TreeDef/,
  );
  throwsWith(
    () => tree.unflatten(def, 3 as unknown as number[]),
    TypeError,
    /leaves must be an array, not 3/,
  );
});

Deno.test("tree.map applies fn to the leaves in the same places of several trees", () => {
  const out = tree.map(
    (a: number, b: number, c: number) => a + b + c,
    { x: 1, y: [2, null] },
    { y: [20, null], x: 10 },
    { x: 100, y: [200, null] },
  );
  assert.deepEqual(out, { x: 111, y: [222, null] });
});

Deno.test("tree.map over tensors gives tensors in the first tree's structure", () => {
  const p = { w: gt.constant([1, 2]), b: gt.constant(3) };
  const g = { b: gt.constant(1), w: gt.constant([10, 20]) };
  const next = tree.map((x: gt.Tensor, d: gt.Tensor) => x.sub(d), p, g);
  assert.deepEqual(next.w.toArray(), [-9, -18]);
  assert.equal(next.b.item(), 2);
});

Deno.test("tree.map refuses mismatched trees, showing both structures where they differ", () => {
  throwsWith(
    () => tree.map((a: number, b: number) => a + b, { x: 1, y: [2, null] }, { x: 1, y: [2] }),
    TypeError,
    /^tree\.map: rest\[0\]\.y is \[2\], but tree\.y is an array of length 2: tree has \[\*, null\] there, rest\[0\] has \*: give rest\[0\] the structure of tree$/,
  );
  throwsWith(
    () => tree.map((a: number) => a, { x: 1, y: { a: 1 } }, { x: 1, y: { b: 1 } }),
    TypeError,
    /rest\[0\]\.y is an object with keys 'b', but tree\.y is a record with keys 'a': tree has \{a: \*\} there, rest\[0\] has \{b: \*\}/,
  );
  throwsWith(
    () => tree.map(5 as never, {}),
    TypeError,
    /^tree\.map: fn must be a function, not 5$/,
  );
});

Deno.test("a tree that contains itself is refused, not a stack overflow", () => {
  const loop: Record<string, unknown> = { a: 1 };
  loop.self = loop;
  throwsWith(
    () => tree.leaves(loop as gt.Tree),
    RangeError,
    /^tree\.leaves: the tree is nested more than 1000 levels deep/,
  );
});

Deno.test("console.log of a tree structure prints TreeDef(…) in Deno and Node", async () => {
  const def = gt.tree.structure({ a: gt.ones([2]), b: [1, gt.ones([1])] });
  assert.equal(Deno.inspect(def), "TreeDef({a: *, b: [*, *]})");
  const { inspect } = await import("node:util");
  assert.equal(inspect(def), "TreeDef({a: *, b: [*, *]})");
});

Deno.test("tree: an array that contains itself is reported, and a '__proto__' key kept as a key", () => {
  const a: unknown[] = [1];
  a.push(a);
  assert.throws(
    () => gt.tree.leaves({ a }),
    /nested more than 1000 levels deep: does it contain itself/,
  );
  // JSON.parse makes "__proto__" an own key; rebuilt by assignment, it would set the prototype
  // where the runtime's __proto__ setter does so (Node, browsers). Deno's does not: such a setter
  // is put in place for the test, and Deno's put back after.
  const had = Object.getOwnPropertyDescriptor(Object.prototype, "__proto__");
  Object.defineProperty(Object.prototype, "__proto__", {
    get(this: object) {
      return Object.getPrototypeOf(this);
    },
    set(this: object, p: unknown) {
      if (typeof p === "object") Object.setPrototypeOf(this, p);
    },
    configurable: true,
  });
  try {
    const r = JSON.parse('{"__proto__":{"a":1},"b":2}');
    const [leaves, def] = gt.tree.flatten(r);
    const back = gt.tree.unflatten(def, leaves) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.keys(back), ["__proto__", "b"]);
    assert.equal(JSON.stringify(back), '{"__proto__":{"a":1},"b":2}');
  } finally {
    if (had !== undefined) Object.defineProperty(Object.prototype, "__proto__", had);
    // deno-lint-ignore no-explicit-any
    else delete (Object.prototype as any).__proto__;
  }
});
