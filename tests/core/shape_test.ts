/**
 * Shape rules: numpy broadcasting (right-aligned, 1 stretches, else an error naming the op and
 * both shapes), negative axes, and axis-out-of-range errors naming the axis and the rank. Checked
 * on the helpers in src/core/shape.ts and through the public ops that use them.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { broadcastShapes, normalizeAxes, normalizeAxis } from "../../src/core/shape.ts";

/** numpy's broadcast, written out independently: right-align, then each pair must agree or be 1. */
function expectedBroadcast(a: number[], b: number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 1; i <= rank; i++) {
    const da = i <= a.length ? a[a.length - i] : 1;
    const db = i <= b.length ? b[b.length - i] : 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.unshift(da === 1 ? db : da);
  }
  return out;
}

const compatible: [number[], number[]][] = [
  [[], []],
  [[], [2, 3]],
  [[3], [2, 3]],
  [[2, 1], [2, 3]],
  [[2, 1], [1, 3]],
  [[4, 1, 3], [5, 1]],
  [[2, 3, 4], [4]],
  [[1], [0]],
  [[5, 1, 1], [1, 6, 7]],
  [[8, 1, 6, 1], [7, 1, 5]],
];

const incompatible: [number[], number[]][] = [
  [[3], [4]],
  [[2, 3], [3, 2]],
  [[2, 3], [2]],
  [[4, 1, 3], [2, 3, 3]],
  [[0], [2]],
];

Deno.test("broadcastShapes follows numpy: right-aligned, 1 stretches", async (t) => {
  for (const [a, b] of compatible) {
    await t.step(`[${a}] with [${b}]`, () => {
      const expected = expectedBroadcast(a, b);
      assert.deepEqual(broadcastShapes("op", a, b), expected);
      assert.deepEqual(broadcastShapes("op", b, a), expected); // symmetric
    });
  }
});

Deno.test("broadcastShapes refuses incompatible shapes, naming the op and both shapes", async (t) => {
  for (const [a, b] of incompatible) {
    await t.step(`[${a}] with [${b}]`, () => {
      assert.equal(expectedBroadcast(a, b), null);
      assert.throws(
        () => broadcastShapes("myop", a, b),
        (e: Error) =>
          e.message.startsWith("myop:") && e.message.includes(`[${a.join(",")}]`) &&
          e.message.includes(`[${b.join(",")}]`),
      );
    });
  }
});

Deno.test("ops broadcast their operands by the same rules", async (t) => {
  for (const [a, b] of compatible) {
    await t.step(`add([${a}], [${b}]) has shape [${expectedBroadcast(a, b)}]`, () => {
      assert.deepEqual(gt.add(gt.zeros(a), gt.zeros(b)).shape, expectedBroadcast(a, b));
    });
  }
  await t.step("an incompatible pair is an error naming the op and both shapes", () => {
    assert.throws(
      () => gt.multiply(gt.zeros([2, 3]), gt.zeros([3, 2])),
      (e: Error) =>
        /^multiply:/.test(e.message) && /\[2,3\]/.test(e.message) &&
        /\[3,2\]/.test(e.message),
    );
    assert.throws(
      () => gt.greater(gt.zeros([4]), gt.zeros([5])),
      (e: Error) =>
        /^greater:/.test(e.message) && /\[4\]/.test(e.message) &&
        /\[5\]/.test(e.message),
    );
    assert.throws(
      () => gt.where(gt.zeros([2], "bool"), gt.zeros([3]), 0),
      (e: Error) =>
        /^where:/.test(e.message) && /\[2\]/.test(e.message) &&
        /\[3\]/.test(e.message),
    );
  });
});

Deno.test("negative axes count from the end", async (t) => {
  await t.step("normalizeAxis maps [-rank, rank) onto [0, rank)", () => {
    for (let rank = 1; rank <= 4; rank++) {
      for (let a = -rank; a < rank; a++) {
        assert.equal(normalizeAxis("op", a, rank), a < 0 ? a + rank : a);
      }
    }
  });
  await t.step("normalizeAxes sorts and normalises; undefined means every axis", () => {
    assert.deepEqual(normalizeAxes("op", [-1, 0], 3), [0, 2]);
    assert.deepEqual(normalizeAxes("op", -2, 3), [1]);
    assert.deepEqual(normalizeAxes("op", undefined, 3), [0, 1, 2]);
    assert.deepEqual(normalizeAxes("op", [], 3), []);
  });
  await t.step("in an op, axis -1 is the last axis", () => {
    const x = gt.constant([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(gt.reduceSum(x, -1).toArray(), gt.reduceSum(x, 1).toArray());
    assert.deepEqual(gt.reduceSum(x, -2).toArray(), gt.reduceSum(x, 0).toArray());
    assert.deepEqual(gt.reduceSum(x, -1).toArray(), [6, 15]);
  });
});

Deno.test("an axis out of range is an error naming the axis and the rank", async (t) => {
  await t.step("normalizeAxis", () => {
    for (const axis of [3, -4, 10]) {
      assert.throws(
        () => normalizeAxis("op", axis, 3),
        (e: Error) => e.message.includes(`axis ${axis}`) && e.message.includes("rank 3"),
      );
    }
  });
  await t.step("a fractional axis", () => {
    assert.throws(() => normalizeAxis("op", 0.5, 3), /axis must be an integer, not 0\.5/);
  });
  await t.step("a repeated axis", () => {
    assert.throws(() => normalizeAxes("op", [1, -2], 3), /op: axis 1 is repeated/);
  });
  const x = gt.zeros([2, 3]);
  const ops: [string, () => unknown][] = [
    ["reduceSum", () => gt.reduceSum(x, 2)],
    ["reduceMean", () => gt.reduceMean(x, [0, -3])],
    ["reduceMax", () => gt.reduceMax(x, 5)],
    ["concat", () => gt.concat([x, x], 2)],
    ["split", () => gt.split(x, 1, -3)],
    ["squeeze", () => gt.squeeze(gt.zeros([1, 2]), 2)],
  ];
  for (const [name, call] of ops) {
    await t.step(`through ${name}`, () => {
      assert.throws(
        call,
        (e: Error) =>
          e.message.startsWith(`${name}:`) && /axis -?\d/.test(e.message) &&
          e.message.includes("rank 2"),
      );
    });
  }
});
