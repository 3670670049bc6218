/**
 * Every primitive's shape rule against its kernel: for every case of the registry table, for
 * random shapes per structural family, and for the custom primitives, each op bound while the
 * case runs (forward and backward) is recorded, and its shape rule, applied to the inputs, must
 * give the kernel's output shape and dtype. The rules alone (on bare avals, as a tracer calls
 * them) give the ops' own error messages.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { DType, Tensor } from "../../mod.ts";
import { type Aval, bind, type Primitive } from "../../src/core/dispatch.ts";
import { type PrimitiveName, primitives, registry } from "../../src/ops/registry.ts";
import { type Bound, everyCaseBinds, recordBinds } from "./_registry_rows.ts";

// Checks each bound op's rule against its output; returns the names of the primitives seen.
function assertRulesAgree(seen: readonly Bound[], where: string): Set<string> {
  const names = new Set<string>();
  for (const { prim, inputs, out, attrs } of seen) {
    const aval = prim.shape(inputs, attrs);
    const what = `${where}: ${prim.name} of ${inputs.map((t) => `[${t.shape}] ${t.dtype}`)}`;
    assert.deepEqual([...aval.shape], [...out.shape], what);
    assert.equal(aval.dtype, out.dtype, what);
    names.add(prim.name);
  }
  return names;
}

// Eager mode allocates a kernel's output from the shape rule, so on the kernel path this holds by
// construction; what it checks is the rule against the shortcuts (views, uniform results, matmul's
// sum of rows), which make their outputs themselves.
Deno.test("every primitive's shape rule gives its kernel's output shape and dtype on every registry case, forward and backward", () => {
  const seen = new Set<string>();
  for (const { where, binds } of everyCaseBinds()) {
    for (const n of assertRulesAgree(binds, where)) seen.add(n);
  }
  const missing = Object.keys(registry).filter((n) => !seen.has(n));
  assert.deepEqual(missing, [], "primitives no case bound");
});

// A small seeded generator, so that a failure repeats.
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

const DTYPES: readonly DType[] = ["float32", "float64", "int32"];

function randomTensor(r: (n: number) => number, shape: number[], dtype: DType): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, () => r(7) - 3);
  return gt.constant(data, { dtype }).reshape(shape);
}

function randomShape(r: (n: number) => number, maxRank = 4, minDim = 0): number[] {
  return Array.from({ length: r(maxRank + 1) }, () => minDim + r(4 - minDim));
}

const TRIALS = 60;

Deno.test("reductions' shape rules agree with their kernels on random shapes, axes and dtypes", () => {
  const r = rng(1);
  for (let k = 0; k < TRIALS; k++) {
    const shape = randomShape(r);
    const x = randomTensor(r, shape, DTYPES[r(3)]);
    const axes = shape.map((_, i) => i).filter(() => r(2) === 1);
    const keepDims = r(2) === 1;
    const nonEmpty = shape.map((d, i) => (d > 0 ? i : -1)).filter((i) => i >= 0);
    const binds = recordBinds(() => {
      gt.reduceSum(x, axes, keepDims);
      gt.reduceMax(x, axes, keepDims);
      gt.reduceMin(x, axes.length ? axes : undefined, keepDims);
      if (nonEmpty.length) gt.argMin(x, nonEmpty[r(nonEmpty.length)]);
      if (nonEmpty.length) gt.argMax(x, nonEmpty[r(nonEmpty.length)]);
    });
    assertRulesAgree(binds, `trial ${k}, [${shape}]`);
  }
});

// A random permutation of 0 … n-1.
function permutation(r: (n: number) => number, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

Deno.test("movement ops' shape rules agree with their kernels on random shapes and arguments", () => {
  const r = rng(2);
  for (let k = 0; k < TRIALS; k++) {
    const shape = randomShape(r);
    const dtype = [...DTYPES, "bool" as const][r(4)];
    const x = dtype === "bool"
      ? gt.greater(randomTensor(r, shape, "int32"), 0)
      : randomTensor(r, shape, dtype);
    const binds = recordBinds(() => {
      gt.reshape(x, [...shape].reverse());
      gt.reshape(x, [-1]);
      gt.transpose(x, permutation(r, shape.length));
      // New leading axes, and the unit axes widened.
      const widened = shape.map((d) => (d === 1 ? 1 + r(3) : d));
      gt.broadcastTo(x, [...Array.from({ length: r(3) }, () => r(3)), ...widened]);
      const begin = shape.map((d) => r(d + 1));
      gt.slice(x, begin, shape.map((d, i) => r(d - begin[i] + 1)));
      gt.pad(x, shape.map(() => [r(3), r(3)] as [number, number]), dtype === "bool" ? 1 : 2);
      if (shape.length > 0) {
        const axis = r(shape.length);
        const other = randomTensor(r, shape.map((d, i) => (i === axis ? r(4) : d)), "int32");
        gt.concat([x, dtype === "bool" ? gt.greater(other, 0) : other.cast(dtype), x], axis);
      }
    });
    assertRulesAgree(binds, `trial ${k}, [${shape}] ${dtype}`);
  }
});

Deno.test("matmul's shape rule agrees with its kernel on random batch shapes, transposes and dtypes", () => {
  const r = rng(3);
  for (let k = 0; k < TRIALS; k++) {
    const [m, kk, n] = [r(4), r(4), r(4)];
    const batch = randomShape(r, 2, 1);
    // Each side takes some trailing batch axes, some of them squashed to 1 (they broadcast).
    const side = () => batch.slice(r(batch.length + 1)).map((d) => (r(3) === 0 ? 1 : d));
    const transposeA = r(2) === 1, transposeB = r(2) === 1;
    const dtype = DTYPES[r(3)];
    const a = randomTensor(r, [...side(), ...(transposeA ? [kk, m] : [m, kk])], dtype);
    const b = randomTensor(r, [...side(), ...(transposeB ? [n, kk] : [kk, n])], dtype);
    const binds = recordBinds(() => gt.matmul(a, b, { transposeA, transposeB }));
    assertRulesAgree(binds, `trial ${k}`);
  }
});

Deno.test("gather's and scatterAdd's shape rules agree with their kernels on random shapes and indices", () => {
  const r = rng(4);
  for (let k = 0; k < TRIALS; k++) {
    const shape = randomShape(r, 3, 1);
    if (shape.length === 0) shape.push(1 + r(3));
    const axis = r(shape.length);
    const idxShape = randomShape(r, 2);
    const count = idxShape.reduce((a, b) => a * b, 1);
    const indices = gt.constant(Array.from({ length: count }, () => r(shape[axis])), {
      dtype: "int32",
    }).reshape(idxShape);
    const x = randomTensor(r, shape, DTYPES[r(3)]);
    const binds = recordBinds(() => {
      const g = gt.gather(x, indices, axis);
      bind(primitives.scatterAdd, [g, indices], { axis, size: shape[axis] });
    });
    assertRulesAgree(binds, `trial ${k}, [${shape}] at ${axis} by [${idxShape}]`);
  }
});

Deno.test("the custom primitives' shape rules give the forward output's shape and dtype", () => {
  const clipped = gt.customGradient((x: Tensor) => [gt.multiply(x, 10), (dy: Tensor) => dy]);
  const pair = gt.customGradient((x: Tensor) => [
    { a: gt.reduceSum(x, 0), b: gt.multiply(x, 2) },
    (dy: { a: Tensor; b: Tensor }) => gt.add(dy.a, gt.multiply(dy.b, 2)),
  ]);
  const log1pexp = gt.customJvp(
    (x: Tensor) => gt.log(gt.add(1, gt.exp(x))),
    ([x], [dx]) => [gt.log(gt.add(1, gt.exp(x))), gt.multiply(dx, gt.sigmoid(x))],
  );
  const x = gt.constant([[1, 2, 3], [4, 5, 6]]);
  const binds = recordBinds(() => {
    clipped(x);
    pair(x);
    log1pexp(x);
    gt.grad((x: Tensor) => gt.reduceSum(gt.add(clipped(x), log1pexp(x))))(x);
  });
  const names = assertRulesAgree(binds, "custom");
  assert.ok(names.has("customGradient") && names.has("customJvp"), [...names].join(", "));
});

const av = (shape: number[], dtype: DType = "float32"): Aval => ({ shape, dtype });

// The rule alone, on bare avals (as a tracer calls it), throws what the op throws.
function assertSameError(
  name: PrimitiveName,
  inputs: Aval[],
  attrs: unknown,
  op: () => unknown,
  message: RegExp,
): void {
  const prim = registry[name] as Primitive;
  assert.throws(() => prim.shape(inputs, attrs), message);
  assert.throws(op, message);
}

Deno.test("shape rules hold the ops' checks: on bare avals they throw the ops' own messages", async (t) => {
  await t.step("matmul: inner dimensions, rank, bool", () => {
    const o = { transposeA: false, transposeB: false };
    assertSameError(
      "matmul",
      [av([2, 3]), av([4, 2])],
      o,
      () => gt.matmul(gt.zeros([2, 3]), gt.zeros([4, 2])),
      /^Error: matmul: inner dimensions differ: \[2,3\] @ \[4,2\]$/,
    );
    assertSameError(
      "matmul",
      [av([3]), av([3, 2])],
      o,
      () => gt.matmul(gt.zeros([3]), gt.zeros([3, 2])),
      /^Error: matmul: both operands need rank 2 or more, got \[3\] @ \[3,2\]/,
    );
    const t = gt.constant([[true]]);
    assertSameError(
      "matmul",
      [av([1, 1], "bool"), av([1, 1], "bool")],
      o,
      () => gt.matmul(t, t),
      /^TypeError: matmul: no arithmetic on bool tensors: cast them first$/,
    );
  });
  await t.step("reductions and argMax: bool, and an empty axis", () => {
    assertSameError(
      "reduceMax",
      [av([2], "bool")],
      { axes: [0], keepDims: false },
      () => gt.reduceMax(gt.constant([true, false])),
      /^TypeError: reduceMax: expects a numeric tensor, got bool: cast it first$/,
    );
    assertSameError(
      "argExtreme",
      [av([2, 0])],
      { axis: 1, kind: "max" },
      () => gt.argMax(gt.zeros([2, 0]), 1),
      /^Error: argMax: axis 1 of shape \[2,0\] is empty$/,
    );
    assertSameError(
      "argExtreme",
      [av([2], "bool")],
      { axis: 0, kind: "min" },
      () => gt.argMin(gt.constant([true, false])),
      /^TypeError: argMin: expects a numeric tensor, got bool: cast it first, e\.g\. cast\(x, "int32"\)$/,
    );
  });
  await t.step("movement: element counts, broadcasting, bounds, paddings, concat", () => {
    assertSameError(
      "reshape",
      [av([2, 3])],
      { shape: [4] },
      () => gt.reshape(gt.zeros([2, 3]), [4]),
      /^Error: reshape: cannot reshape \[2,3\] \(6 elements\) into \[4\] \(4 elements\)/,
    );
    assertSameError(
      "broadcastTo",
      [av([3])],
      { shape: [2, 2] },
      () => gt.broadcastTo(gt.zeros([3]), [2, 2]),
      /^Error: broadcastTo: shapes \[3\] and \[2,2\] cannot be broadcast together/,
    );
    assertSameError(
      "broadcastTo",
      [av([2, 1])],
      { shape: [2] },
      () => gt.broadcastTo(gt.zeros([2, 1]), [2]),
      /^Error: broadcastTo: cannot broadcast \[2,1\] to \[2\]/,
    );
    assertSameError(
      "slice",
      [av([4])],
      { begin: [3], size: [2] },
      () => gt.slice(gt.zeros([4]), [3], [2]),
      /^RangeError: slice: axis 0 of shape \[4\] has length 4, but the block runs from 3 for 2 elements: it must lie within \[0, 4\]$/,
    );
    // The whole length from a nonzero start is no longer the tensor itself.
    assert.throws(() => gt.slice(gt.zeros([4]), [1], [4]), /slice: axis 0 of shape \[4\]/);
    assertSameError(
      "pad",
      [av([2])],
      { paddings: [[1, 1], [0, 0]], value: 0 },
      () => gt.pad(gt.zeros([2]), [[1, 1], [0, 0]]),
      /^Error: pad: paddings has 2 pairs but the tensor of shape \[2\] has 1 axes/,
    );
    assertSameError(
      "pad",
      [av([2], "int32")],
      { paddings: [[1, 1]], value: 0.5 },
      () => gt.pad(gt.zeros([2], "int32"), [[1, 1]], 0.5),
      /^TypeError: pad: constantValue 0\.5 does not fit a int32 tensor: use an integer$/,
    );
    assertSameError(
      "concat",
      [av([2, 3]), av([1, 2])],
      { axis: 0 },
      () => gt.concat([gt.zeros([2, 3]), gt.zeros([1, 2])], 0),
      /^Error: concat: shapes \[2,3\] and \[1,2\] differ outside axis 0$/,
    );
    assertSameError(
      "concat",
      [av([2, 3]), av([2])],
      { axis: 0 },
      () => gt.concat([gt.zeros([2, 3]), gt.zeros([2])], 0),
      /^Error: concat: ranks differ: \[2,3\] and \[2\]: every tensor needs rank 2$/,
    );
  });
  await t.step("gather: int32 indices", () => {
    assertSameError(
      "gather",
      [av([3]), av([2])],
      { axis: 0 },
      () => gt.gather(gt.zeros([3]), gt.constant([0, 1])),
      /^TypeError: gather: indices must be int32, got float32: cast them with cast\(i, "int32"\)$/,
    );
  });
});

Deno.test("shape rules run on bare avals, without data, as a tracer calls them", () => {
  const rule = <A>(p: Primitive<A>) => p.shape.bind(p);
  const x = av([5, 1, 3], "float64");
  assert.deepEqual(
    rule(primitives.reduceSum)([x], { axes: [0, 2], keepDims: true }),
    av([1, 1, 1], "float64"),
  );
  assert.deepEqual(rule(primitives.transpose)([x], { perm: [2, 0, 1] }), av([3, 5, 1], "float64"));
  assert.deepEqual(
    rule(primitives.broadcastTo)([x], { shape: [2, 5, 4, 3] }),
    av([2, 5, 4, 3], "float64"),
  );
  assert.deepEqual(
    rule(primitives.matmul)([av([2, 1, 4, 3]), av([6, 5, 3])], {
      transposeA: false,
      transposeB: true,
    }),
    av([2, 6, 4, 5]),
  );
  assert.deepEqual(
    rule(primitives.gather)([x, av([2, 2], "int32")], { axis: 1 }),
    av([5, 2, 2, 3], "float64"),
  );
  assert.deepEqual(
    rule(primitives.scatterAdd)([av([5, 2, 2, 3]), av([2, 2], "int32")], { axis: 1, size: 7 }),
    av([5, 7, 3]),
  );
  assert.deepEqual(rule(primitives.argExtreme)([x], { axis: 2, kind: "max" }), av([5, 1], "int32"));
});
