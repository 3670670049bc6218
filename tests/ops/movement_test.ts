/**
 * Concrete values and errors of the shape ops: reshape, transpose, expandDims, squeeze,
 * broadcastTo, slice, pad, concat, stack and split, against naive index arithmetic.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { throwsWith } from "../_helpers.ts";
import { checkGrads } from "../../src/testing/mod.ts";

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major multi-index of flat position `flat` in `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

/** Flat position of multi-index `idx` in `shape`. */
function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i] + idx[i];
  return flat;
}

/** 0, 1, 2, … as a float32 tensor of `shape`: every element tells where it came from. */
function iota(shape: number[]): Tensor {
  return gt.reshape(gt.range(0, sizeOf(shape), 1, "float32"), shape);
}

function flat(t: Tensor): number[] {
  return Array.from(t.data());
}

Deno.test("reshape keeps the elements in row-major order", async (t) => {
  const x = iota([2, 3, 4]);
  for (const shape of [[24], [4, 6], [2, 12], [3, 2, 4], [1, 24, 1], [2, 3, 2, 2]]) {
    await t.step(`[2,3,4] → [${shape}]`, () => {
      const y = gt.reshape(x, shape);
      assert.deepEqual(y.shape, shape);
      assert.deepEqual(flat(y), flat(x));
      assert.equal(y.dtype, "float32");
    });
  }
  await t.step("a one-element tensor to a scalar and back", () => {
    assert.deepEqual(gt.reshape([[5]], []).shape, []);
    assert.deepEqual(gt.reshape(5, [1, 1]).toArray(), [[5]]);
  });
  await t.step("empty tensors", () => {
    assert.deepEqual(gt.reshape(gt.zeros([0, 3]), [3, 0]).shape, [3, 0]);
  });
  await t.step("dtype is kept", () => {
    assert.equal(gt.reshape(gt.constant([true, false]), [2, 1]).dtype, "bool");
    assert.equal(gt.reshape(gt.range(4), [2, 2]).dtype, "int32");
  });
});

Deno.test("reshape infers one -1 dimension", async (t) => {
  const x = iota([2, 3, 4]);
  const cases: [number[], number[]][] = [
    [[-1], [24]],
    [[-1, 4], [6, 4]],
    [[4, -1], [4, 6]],
    [[2, -1, 3], [2, 4, 3]],
    [[-1, 1], [24, 1]],
  ];
  for (const [shape, expected] of cases) {
    await t.step(`[${shape}] → [${expected}]`, () => {
      const y = gt.reshape(x, shape);
      assert.deepEqual(y.shape, expected);
      assert.deepEqual(flat(y), flat(x));
    });
  }
});

Deno.test("reshape errors name the shapes", async (t) => {
  await t.step("two -1", () => {
    assert.throws(() => gt.reshape(iota([6]), [-1, -1]), /reshape.*-1.*\[-1,-1\]/);
  });
  await t.step("-1 that cannot be inferred", () => {
    assert.throws(
      () => gt.reshape(iota([7]), [2, -1]),
      (e: Error) =>
        /^reshape:/.test(e.message) && e.message.includes("[7]") &&
        e.message.includes("[2,-1]"),
    );
  });
  await t.step("element counts that differ", () => {
    assert.throws(
      () => gt.reshape(iota([2, 3]), [4, 2]),
      (e: Error) =>
        /^reshape:/.test(e.message) && e.message.includes("[2,3]") &&
        e.message.includes("[4,2]"),
    );
  });
  await t.step("a negative dimension other than -1", () => {
    assert.throws(() => gt.reshape(iota([4]), [-2, -2]), /reshape/);
  });
});

/** Transposes by index arithmetic: output index i reads input index with axis perm[k] = i[k]. */
function refTranspose(x: Tensor, perm: number[]): { data: number[]; shape: number[] } {
  const shape = perm.map((p) => x.shape[p]);
  const src = x.data();
  const data: number[] = [];
  for (let f = 0; f < sizeOf(shape); f++) {
    const out = unravel(f, shape);
    const inp = new Array(perm.length);
    perm.forEach((p, k) => (inp[p] = out[k]));
    data.push(src[ravel(inp, x.shape)]);
  }
  return { data, shape };
}

Deno.test("transpose", async (t) => {
  await t.step("a matrix, without perm", () => {
    assert.deepEqual(gt.transpose([[1, 2, 3], [4, 5, 6]]).toArray(), [[1, 4], [2, 5], [3, 6]]);
  });
  await t.step("without perm, the axes are reversed", () => {
    const x = iota([2, 3, 4]);
    const y = gt.transpose(x);
    const e = refTranspose(x, [2, 1, 0]);
    assert.deepEqual(y.shape, [4, 3, 2]);
    assert.deepEqual(flat(y), e.data);
  });
  const x = iota([2, 3, 4, 5]);
  for (const perm of [[0, 1, 2, 3], [1, 0, 2, 3], [0, 2, 1, 3], [3, 0, 2, 1], [2, 3, 0, 1]]) {
    await t.step(`rank 4 with perm [${perm}]`, () => {
      const y = gt.transpose(x, perm);
      const e = refTranspose(x, perm);
      assert.deepEqual(y.shape, e.shape);
      assert.deepEqual(flat(y), e.data);
    });
  }
  await t.step("rank 0 and 1 are unchanged", () => {
    assert.deepEqual(gt.transpose([1, 2, 3]).toArray(), [1, 2, 3]);
    assert.equal(gt.transpose(4).item(), 4);
  });
  await t.step("twice with the same perm and its inverse is the identity", () => {
    const y = gt.transpose(gt.transpose(x, [3, 0, 2, 1]), [1, 3, 2, 0]);
    assert.deepEqual(y.shape, x.shape);
    assert.deepEqual(flat(y), flat(x));
  });
  await t.step("a perm that is not a permutation is an error naming it and the shape", () => {
    for (const perm of [[0, 0], [0], [1, 0, 1]]) {
      assert.throws(
        () => gt.transpose(iota([2, 3]), perm),
        (e: Error) =>
          /^transpose:/.test(e.message) && e.message.includes(`[${perm}]`) &&
          e.message.includes("[2,3]"),
      );
    }
    assert.throws(() => gt.transpose(iota([2, 3]), [0, 2]), /transpose.*axis 2.*rank 2/);
    assert.throws(() => gt.transpose(iota([2, 3]), [0, 1, 2]), /transpose.*axis 2.*rank 2/);
  });
});

Deno.test("expandDims inserts an axis of length 1", async (t) => {
  const x = iota([2, 3]);
  const cases: [number, number[]][] = [
    [0, [1, 2, 3]],
    [1, [2, 1, 3]],
    [2, [2, 3, 1]],
    [-1, [2, 3, 1]],
    [-2, [2, 1, 3]],
    [-3, [1, 2, 3]],
  ];
  for (const [axis, shape] of cases) {
    await t.step(`axis ${axis} → [${shape}]`, () => {
      const y = gt.expandDims(x, axis);
      assert.deepEqual(y.shape, shape);
      assert.deepEqual(flat(y), flat(x));
    });
  }
  await t.step("a scalar becomes a vector", () => {
    assert.deepEqual(gt.expandDims(3, 0).toArray(), [3]);
  });
  await t.step("an axis out of range names the axis", () => {
    assert.throws(() => gt.expandDims(x, 3), /expandDims.*axis 3/);
    assert.throws(() => gt.expandDims(x, -4), /expandDims.*axis -4/);
  });
});

Deno.test("expandDims: an axis out of range names the tensor's own rank and the range", () => {
  assert.throws(
    () => gt.expandDims(gt.zeros([2, 3]), 5),
    (e: Error) =>
      e instanceof RangeError &&
      e.message === "expandDims: axis 5 is out of range for a tensor of rank 2: " +
          "use an axis in [-3, 2]",
  );
});

Deno.test("squeeze removes axes of length 1", async (t) => {
  const x = iota([1, 2, 1, 3, 1]);
  const cases: [number | number[] | undefined, number[]][] = [
    [undefined, [2, 3]],
    [0, [2, 1, 3, 1]],
    [2, [1, 2, 3, 1]],
    [-1, [1, 2, 1, 3]],
    [[0, 4], [2, 1, 3]],
    [[-5, 2], [2, 3, 1]],
  ];
  for (const [axis, shape] of cases) {
    await t.step(`axis ${JSON.stringify(axis)} → [${shape}]`, () => {
      const y = gt.squeeze(x, axis);
      assert.deepEqual(y.shape, shape);
      assert.deepEqual(flat(y), flat(x));
    });
  }
  await t.step("nothing to squeeze", () => {
    assert.deepEqual(gt.squeeze(iota([2, 3])).shape, [2, 3]);
    assert.deepEqual(gt.squeeze([[[7]]]).shape, []);
  });
  await t.step("an axis whose length is not 1 is an error naming it and the shape", () => {
    assert.throws(
      () => gt.squeeze(x, 1),
      (e: Error) =>
        /^squeeze:/.test(e.message) && e.message.includes("axis 1") &&
        e.message.includes("[1,2,1,3,1]"),
    );
  });
  await t.step("an axis out of range names the axis and the rank", () => {
    assert.throws(() => gt.squeeze(x, 5), /squeeze.*axis 5.*rank 5/);
  });
});

Deno.test("broadcastTo repeats along new and length-1 axes", async (t) => {
  const cases: [number[], number[]][] = [
    [[3], [2, 3]],
    [[2, 1], [2, 3]],
    [[], [2, 2]],
    [[1, 3], [4, 2, 3]],
    [[2, 1, 3], [2, 4, 3]],
    [[2, 3], [2, 3]],
  ];
  for (const [from, to] of cases) {
    await t.step(`[${from}] → [${to}]`, () => {
      const x = gt.reshape(gt.range(1, sizeOf(from) + 1, 1, "float32"), from);
      const y = gt.broadcastTo(x, to);
      assert.deepEqual(y.shape, to);
      // Each output index reads the input at the same index, 0 along broadcast axes.
      const src = x.data();
      const lead = to.length - from.length;
      const expected = Array.from({ length: sizeOf(to) }, (_, f) => {
        const out = unravel(f, to).slice(lead);
        return src[ravel(out.map((i, k) => (from[k] === 1 ? 0 : i)), from)];
      });
      assert.deepEqual(flat(y), expected);
    });
  }
  await t.step("by hand", () => {
    assert.deepEqual(gt.broadcastTo([1, 2], [2, 2]).toArray(), [[1, 2], [1, 2]]);
    assert.deepEqual(gt.broadcastTo([[1], [2]], [2, 3]).toArray(), [[1, 1, 1], [2, 2, 2]]);
  });
  await t.step("incompatible shapes are an error naming both", () => {
    for (const [from, to] of [[[3], [2, 4]], [[2, 2], [2]], [[2], [1]]]) {
      assert.throws(
        () => gt.broadcastTo(gt.zeros(from), to),
        (e: Error) =>
          /^broadcastTo:/.test(e.message) && e.message.includes(`[${from}]`) &&
          e.message.includes(`[${to}]`),
      );
    }
  });
});

Deno.test("slice takes a block", async (t) => {
  const x = iota([3, 4, 5]);
  const cases: [number[], number[], number[]][] = [
    // begin, size, resolved size
    [[0, 0, 0], [3, 4, 5], [3, 4, 5]],
    [[1, 2, 0], [2, 1, 5], [2, 1, 5]],
    [[2, 0, 3], [1, 4, 2], [1, 4, 2]],
    [[1, 1, 1], [-1, -1, -1], [2, 3, 4]],
    [[0, 3, 2], [-1, 1, -1], [3, 1, 3]],
    [[1, 0, 0], [0, 4, 5], [0, 4, 5]],
  ];
  for (const [begin, size, shape] of cases) {
    await t.step(`begin [${begin}] size [${size}]`, () => {
      const y = gt.slice(x, begin, size);
      assert.deepEqual(y.shape, shape);
      const expected = Array.from(
        { length: sizeOf(shape) },
        (_, f) => ravel(unravel(f, shape).map((i, k) => i + begin[k]), x.shape),
      );
      assert.deepEqual(flat(y), expected);
    });
  }
  await t.step("by hand", () => {
    assert.deepEqual(gt.slice([1, 2, 3, 4], [1], [2]).toArray(), [2, 3]);
    assert.deepEqual(gt.slice([1, 2, 3, 4], [1], [-1]).toArray(), [2, 3, 4]);
    assert.deepEqual(gt.slice([[1, 2], [3, 4]], [0, 1], [2, 1]).toArray(), [[2], [4]]);
  });
  await t.step("a block past the end is an error naming the axis and the shape", () => {
    assert.throws(
      () => gt.slice(x, [0, 3, 0], [1, 2, 5]),
      (e: Error) =>
        /^slice:/.test(e.message) && e.message.includes("axis 1") &&
        e.message.includes("[3,4,5]"),
    );
    assert.throws(() => gt.slice(x, [-1, 0, 0], [1, 1, 1]), /slice.*axis 0/);
    assert.throws(() => gt.slice(x, [4, 0, 0], [-1, 1, 1]), /slice.*axis 0/);
  });
  await t.step("begin and size need one entry per axis", () => {
    assert.throws(() => gt.slice(x, [0, 0], [1, 1]), /slice.*\[3,4,5\]/);
    assert.throws(() => gt.slice(x, [0, 0, 0], [1, 1]), /slice.*\[3,4,5\]/);
  });
});

Deno.test("slice and split refuse fractional begin, size and sizes, naming them", () => {
  throwsWith(
    () => gt.slice([1, 2, 3], [0.5], [1]),
    TypeError,
    /^slice: begin \[0\.5\] .*got 0\.5$/,
  );
  throwsWith(
    () => gt.slice([1, 2, 3], [0], [1.5]),
    TypeError,
    /^slice: .*size \[1\.5\] .*got 1\.5$/,
  );
  throwsWith(() => gt.split([1, 2, 3], [0.5, 2.5]), TypeError, /^split: sizes \[0\.5,2\.5\] must/);
  throwsWith(() => gt.split([1, 2, 3], 1.5), TypeError, /^split: the number of parts .* not 1\.5/);
});

Deno.test("pad surrounds the tensor with a constant", async (t) => {
  await t.step("by hand", () => {
    assert.deepEqual(gt.pad([1, 2], [[1, 2]]).toArray(), [0, 1, 2, 0, 0]);
    assert.deepEqual(gt.pad([[1, 2], [3, 4]], [[1, 0], [0, 1]], 9).toArray(), [
      [9, 9, 9],
      [1, 2, 9],
      [3, 4, 9],
    ]);
  });
  const x = iota([2, 3, 2]);
  const cases: [number, number][][] = [
    [[0, 0], [0, 0], [0, 0]],
    [[1, 1], [0, 2], [3, 0]],
    [[0, 2], [1, 1], [1, 1]],
  ];
  for (const paddings of cases) {
    await t.step(`rank 3 with ${JSON.stringify(paddings)}`, () => {
      const y = gt.pad(x, paddings, -1);
      const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
      assert.deepEqual(y.shape, shape);
      const expected = Array.from({ length: sizeOf(shape) }, (_, f) => {
        const src = unravel(f, shape).map((i, k) => i - paddings[k][0]);
        const inside = src.every((i, k) => i >= 0 && i < x.shape[k]);
        return inside ? ravel(src, x.shape) : -1;
      });
      assert.deepEqual(flat(y), expected);
    });
  }
  await t.step("dtype is kept", () => {
    const y = gt.pad(gt.constant([1], { dtype: "float64" }), [[1, 1]], 0.1);
    assert.equal(y.dtype, "float64");
    assert.deepEqual(y.toArray(), [0.1, 1, 0.1]);
  });
  await t.step("one pair per axis, or an error naming the shape", () => {
    assert.throws(() => gt.pad([1, 2], [[1, 1], [1, 1]]), /pad.*\[2\]/);
  });
  await t.step("a negative padding is an error", () => {
    assert.throws(() => gt.pad([1, 2], [[-1, 0]]), /pad.*-1/);
  });
});

Deno.test("concat joins along an existing axis", async (t) => {
  await t.step("axis 0", () => {
    const y = gt.concat([[[1, 2]], [[3, 4], [5, 6]]], 0);
    assert.deepEqual(y.toArray(), [[1, 2], [3, 4], [5, 6]]);
  });
  await t.step("axis 1 and -1", () => {
    const a = [[1], [2]];
    const b = [[3, 4], [5, 6]];
    assert.deepEqual(gt.concat([a, b], 1).toArray(), [[1, 3, 4], [2, 5, 6]]);
    assert.deepEqual(gt.concat([a, b], -1).toArray(), [[1, 3, 4], [2, 5, 6]]);
  });
  await t.step("three rank-3 tensors along the middle axis", () => {
    const xs = [iota([2, 1, 3]), gt.add(iota([2, 2, 3]), 100), gt.add(iota([2, 3, 3]), 200)];
    const y = gt.concat(xs, 1);
    assert.deepEqual(y.shape, [2, 6, 3]);
    const parts = xs.map((x) => x.toArray() as number[][][]);
    const expected = [0, 1].map((i) => parts.flatMap((p) => p[i]));
    assert.deepEqual(y.toArray(), expected);
  });
  await t.step("one tensor is returned as it is", () => {
    assert.deepEqual(gt.concat([[1, 2]], 0).toArray(), [1, 2]);
  });
  await t.step("dtype follows the tensors; plain arrays take it", () => {
    const y = gt.concat([gt.constant([0.1], { dtype: "float64" }), [0.2]], 0);
    assert.equal(y.dtype, "float64");
    assert.deepEqual(y.toArray(), [0.1, 0.2]);
  });
  await t.step("shapes that differ outside the axis are an error naming both", () => {
    assert.throws(
      () => gt.concat([gt.zeros([2, 3]), gt.zeros([2, 4])], 0),
      (e: Error) =>
        /^concat:/.test(e.message) && e.message.includes("[2,3]") &&
        e.message.includes("[2,4]"),
    );
    assert.throws(() => gt.concat([gt.zeros([2]), gt.zeros([2, 1])], 0), /concat.*\[2,1\]/);
  });
  await t.step("mixed dtypes are an error naming both", () => {
    assert.throws(
      () => gt.concat([gt.zeros([1]), gt.zeros([1], "float64")], 0),
      /concat.*float32.*float64/,
    );
  });
  await t.step("other errors", () => {
    assert.throws(() => gt.concat([], 0), /concat/);
    assert.throws(() => gt.concat([1, 2], 0), /concat.*scalar/);
    assert.throws(() => gt.concat([[1], [2]], 1), /concat.*axis 1.*rank 1/);
  });
});

Deno.test("stack joins along a new axis", async (t) => {
  const a = [1, 2, 3];
  const b = [4, 5, 6];
  await t.step("axis 0 (the default)", () => {
    assert.deepEqual(gt.stack([a, b]).toArray(), [a, b]);
    assert.deepEqual(gt.stack([a, b], 0).shape, [2, 3]);
  });
  await t.step("axis 1 and -1", () => {
    const expected = a.map((v, i) => [v, b[i]]);
    assert.deepEqual(gt.stack([a, b], 1).toArray(), expected);
    assert.deepEqual(gt.stack([a, b], -1).toArray(), expected);
  });
  await t.step("rank 2 along the middle", () => {
    const x = iota([2, 3]);
    const y = gt.add(iota([2, 3]), 10);
    const s = gt.stack([x, y], 1);
    assert.deepEqual(s.shape, [2, 2, 3]);
    const xa = x.toArray() as number[][];
    const ya = y.toArray() as number[][];
    assert.deepEqual(s.toArray(), [0, 1].map((i) => [xa[i], ya[i]]));
  });
  await t.step("scalars become a vector", () => {
    assert.deepEqual(gt.stack([1, 2, 3]).toArray(), [1, 2, 3]);
  });
  await t.step("different shapes are an error naming both", () => {
    assert.throws(
      () => gt.stack([[1, 2], [1, 2, 3]]),
      (e: Error) =>
        /^stack:/.test(e.message) && e.message.includes("[2]") &&
        e.message.includes("[3]"),
    );
  });
  await t.step("an empty list is an error", () => {
    assert.throws(() => gt.stack([]), /stack/);
  });
});

Deno.test("split cuts along an axis", async (t) => {
  await t.step("into equal parts", () => {
    const parts = gt.split([1, 2, 3, 4, 5, 6], 3);
    assert.equal(parts.length, 3);
    assert.deepEqual(parts.map((p) => p.toArray()), [[1, 2], [3, 4], [5, 6]]);
  });
  await t.step("into given sizes, along axis 1", () => {
    const x = iota([2, 6]);
    const parts = gt.split(x, [1, 3, 2], 1);
    assert.deepEqual(parts.map((p) => p.shape), [[2, 1], [2, 3], [2, 2]]);
    const rows = x.toArray() as number[][];
    assert.deepEqual(parts[1].toArray(), rows.map((r) => r.slice(1, 4)));
  });
  await t.step("one size may be -1", () => {
    const parts = gt.split([1, 2, 3, 4, 5], [2, -1]);
    assert.deepEqual(parts.map((p) => p.toArray()), [[1, 2], [3, 4, 5]]);
  });
  await t.step("a negative axis", () => {
    const parts = gt.split(iota([2, 4]), 2, -1);
    assert.deepEqual(parts[1].toArray(), [[2, 3], [6, 7]]);
  });
  await t.step("concat undoes split", () => {
    const x = iota([3, 4, 6]);
    const y = gt.concat(gt.split(x, [2, 1, 3], 2), 2);
    assert.deepEqual(y.toArray(), x.toArray());
  });
  await t.step("a count that does not divide the axis is an error naming both", () => {
    assert.throws(
      () => gt.split([1, 2, 3], 2),
      (e: Error) =>
        /^split:/.test(e.message) && e.message.includes("3") &&
        e.message.includes("2"),
    );
  });
  await t.step("sizes that do not add up are an error naming them", () => {
    assert.throws(() => gt.split([1, 2, 3], [1, 1]), /split.*\[1,1\].*3/);
  });
});

Deno.test("movement method forms agree with the functions", () => {
  const x = iota([2, 3, 4]);
  assert.deepEqual(x.reshape([4, -1]).toArray(), gt.reshape(x, [4, -1]).toArray());
  assert.deepEqual(x.reshape([4, -1]).shape, [4, 6]);
  assert.deepEqual(x.transpose().toArray(), gt.transpose(x).toArray());
  assert.deepEqual(x.transpose([1, 0, 2]).toArray(), gt.transpose(x, [1, 0, 2]).toArray());
  assert.deepEqual(x.transpose([1, 0, 2]).shape, [3, 2, 4]);
});

// reverse, roll, repeat and meshgrid against index arithmetic on unravelled positions.

Deno.test("reverse equals index arithmetic", async (t) => {
  const shape = [2, 3, 4], x = iota(shape);
  for (const axes of [[0], [2], [0, 2], [-1, 1], [0, 1, 2]]) {
    await t.step(`axes ${axes}`, () => {
      const norm = axes.map((a) => (a + 3) % 3);
      const expected = Array.from({ length: 24 }, (_, f) => {
        const idx = unravel(f, shape).map((i, d) => (norm.includes(d) ? shape[d] - 1 - i : i));
        return ravel(idx, shape);
      });
      assert.deepEqual(flat(gt.reverse(x, axes.length === 1 ? axes[0] : axes)), expected);
    });
  }
  await t.step("derivatives to order 2", () => {
    checkGrads((a) => gt.sin(gt.reverse(a, [0, 1])), [[[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]]]);
  });
  await t.step("a repeated or out-of-range axis is an error", () => {
    throwsWith(() => gt.reverse([[1]], [0, 0]), Error, /reverse: axis 0 is repeated/);
    throwsWith(() => gt.reverse([1], 1), RangeError, /reverse: axis 1 is out of range/);
  });
});

Deno.test("roll equals index arithmetic", async (t) => {
  const shape = [3, 4], x = iota(shape);
  const cases: [number | number[], number | number[]][] = [
    [1, 0],
    [-1, 1],
    [6, 1],
    [[2, -5], [0, 1]],
    [[1, 2], [1, 1]], // shifts of one axis add up
  ];
  for (const [shift, axis] of cases) {
    await t.step(`shift ${shift}, axis ${axis}`, () => {
      const shifts = [0, 0];
      [shift].flat().forEach((s, i) => (shifts[([axis].flat()[i] + 2) % 2] += s));
      const expected = new Array(12);
      for (let f = 0; f < 12; f++) {
        const idx = unravel(f, shape).map((i, d) =>
          (((i + shifts[d]) % shape[d]) + shape[d]) % shape[d]
        );
        expected[ravel(idx, shape)] = f;
      }
      assert.deepEqual(flat(gt.roll(x, shift, axis)), expected);
    });
  }
  await t.step("derivatives to order 2", () => {
    checkGrads((a) => gt.sin(gt.roll(a, [1, -1], [0, 1])), [[[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]]]);
  });
  await t.step("shift and axis of different lengths are an error", () => {
    throwsWith(() => gt.roll([1, 2], [1, 2], 0), Error, /roll: shift \[1, 2\] and axis 0 must be/);
  });
});

Deno.test("repeat equals a naive loop", async (t) => {
  await t.step("without an axis, the flattened input", () => {
    assert.deepEqual(flat(gt.repeat(iota([2, 2]), 3)), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
  });
  await t.step("one count per element along an axis, zero included", () => {
    const x = iota([2, 3]), counts = [2, 0, 1];
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) for (let r = 0; r < counts[j]; r++) expected.push(i * 3 + j);
    }
    const y = gt.repeat(x, counts, -1);
    assert.deepEqual(y.shape, [2, 3]);
    assert.deepEqual(flat(y), expected);
  });
  await t.step("derivatives to order 2", () => {
    checkGrads((a) => gt.sin(gt.repeat(a, [1, 3], 0)), [[[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]]]);
  });
  await t.step("errors", () => {
    throwsWith(
      () => gt.repeat([1, 2], [1, 2, 3], 0),
      Error,
      /repeat: 3 repeat counts for an axis of length 2/,
    );
    throwsWith(
      () => gt.repeat([1, 2], -1),
      TypeError,
      /repeat: each repeat count must be an integer ≥ 0, not -1/,
    );
  });
});

Deno.test("meshgrid equals index arithmetic, xy and ij", async (t) => {
  const a = [1, 2, 3], b = [10, 20], c = [100, 200, 300, 400];
  await t.step("ij: output axis i follows input i", () => {
    const grids = gt.meshgrid(a, b, c, { indexing: "ij" });
    for (const [i, g] of grids.entries()) {
      assert.deepEqual(g.shape, [3, 2, 4]);
      const src = [a, b, c][i];
      flat(g).forEach((v, f) => assert.equal(v, src[unravel(f, [3, 2, 4])[i]]));
    }
  });
  await t.step("xy (the default): the first two axes swapped", () => {
    const grids = gt.meshgrid(a, b, c);
    const pos = [1, 0, 2];
    for (const [i, g] of grids.entries()) {
      assert.deepEqual(g.shape, [2, 3, 4]);
      const src = [a, b, c][i];
      flat(g).forEach((v, f) => assert.equal(v, src[unravel(f, [2, 3, 4])[pos[i]]]));
    }
  });
  await t.step("derivatives to order 2", () => {
    checkGrads((x, y) => gt.multiply(...gt.meshgrid(gt.sin(x), y) as [Tensor, Tensor]), [[
      0.3,
      -1.2,
      0.8,
    ], [1.5, 0.4]]);
  });
  await t.step("a misspelt option names the accepted ones", () => {
    throwsWith(
      () => gt.meshgrid([1], { indexng: "ij" } as gt.MeshgridOptions),
      TypeError,
      /meshgrid.*indexng/,
    );
  });
});
