/**
 * `vmap` and `vectorizedMap` against the contract (API.md) and JAX's documented `jax.vmap`:
 * inAxes and outAxes as numbers, nulls, negative axes and trees; results that are trees; the
 * errors and their messages; composition with every transform, tape and accumulator in any order
 * and depth; and per-example gradients of a small MLP. Every batched result is compared with the
 * loop that runs the function on one example at a time and stacks the results.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { f64, present, throwsWith } from "../_helpers.ts";

const tight = { rtol: 1e-10, atol: 1e-12 };

/** Example `i` of `x` along `axis`: `x` without that axis. */
function take(x: gt.Tensor, axis: number, i: number): gt.Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  const begin = x.shape.map((_, k) => (k === a ? i : 0));
  const size = x.shape.map((d, k) => (k === a ? 1 : d));
  return gt.squeeze(gt.slice(x, begin, size), a);
}

/**
 * The loop vmap replaces: `f` on each example (arguments with axis `null` passed whole), the
 * results stacked along `outAxis`.
 */
function loop(
  f: (...xs: gt.Tensor[]) => gt.Tensor,
  args: gt.Tensor[],
  axes: (number | null)[],
  outAxis = 0,
): gt.Tensor {
  const k = axes.findIndex((a) => a !== null);
  const n = args[k].shape[axes[k]! < 0 ? axes[k]! + args[k].rank : axes[k]!];
  const results: gt.Tensor[] = [];
  for (let i = 0; i < n; i++) {
    results.push(f(...args.map((x, j) => (axes[j] === null ? x : take(x, axes[j]!, i)))));
  }
  return gt.stack(results, outAxis);
}

/** A float64 tensor of `shape` filled with a smooth, non-repeating pattern. */
function pattern(shape: number[], phase = 0): gt.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + phase) + 0.1 * i);
  return gt.reshape(f64(values), shape);
}

// f(x, y) = sin(x)·y + Σx², for x and y of one shape: elementwise ops and a reduction.
const f = (x: gt.Tensor, y: gt.Tensor) => gt.sin(x).mul(y).add(gt.reduceSum(x.square()));

// ------------------------------------------------------------------------------------- inAxes

Deno.test("vmap with the default inAxes maps every argument over its first axis", () => {
  const xs = pattern([4, 3]), ys = pattern([4, 3], 1);
  const out = gt.vmap(f)(xs, ys);
  assert.deepEqual(out.shape, [4, 3]);
  assertAllClose(out, loop(f, [xs, ys], [0, 0]), tight);
});

Deno.test("vmap with a number for inAxes maps every argument over that axis", () => {
  const xs = pattern([3, 5]), ys = pattern([3, 5], 2);
  const out = gt.vmap(f, { inAxes: 1 })(xs, ys);
  assert.deepEqual(out.shape, [5, 3]);
  assertAllClose(out, loop(f, [xs, ys], [1, 1]), tight);
});

Deno.test("vmap with one inAxes entry per argument maps each over its own axis", () => {
  const xs = pattern([2, 4]), ys = pattern([4, 2], 1);
  const out = gt.vmap(f, { inAxes: [1, 0] })(xs, ys);
  assert.deepEqual(out.shape, [4, 2]);
  assertAllClose(out, loop(f, [xs, ys], [1, 0]), tight);
});

Deno.test("vmap passes an argument whose inAxes entry is null whole to every example", () => {
  const w = pattern([3, 2]), xs = pattern([5, 3], 1);
  const g = (w: gt.Tensor, x: gt.Tensor) => gt.tanh(gt.matmul(x.reshape([1, 3]), w)).reshape([2]);
  const out = gt.vmap(g, { inAxes: [null, 0] })(w, xs);
  assert.deepEqual(out.shape, [5, 2]);
  assertAllClose(out, loop(g, [w, xs], [null, 0]), tight);
  // JAX's example: the matrix-vector product mapped over a batch of vectors is the matrix product.
  assertAllClose(
    gt.vmap((x: gt.Tensor) => gt.matmul(gt.transpose(w), x.reshape([3, 1])).reshape([2]))(xs),
    gt.matmul(xs, w),
    tight,
  );
});

Deno.test("vmap counts a negative axis in inAxes from the end", () => {
  const xs = pattern([2, 3, 4]), ys = pattern([4, 2, 3], 1);
  const out = gt.vmap(f, { inAxes: [-1, 0] })(xs, ys);
  assert.deepEqual(out.shape, [4, 2, 3]);
  assertAllClose(out, loop(f, [xs, ys], [-1, 0]), tight);
  assertAllClose(
    gt.vmap(f, { inAxes: -2 })(xs, pattern([2, 3, 4], 3)),
    loop(f, [xs, pattern([2, 3, 4], 3)], [1, 1]),
    tight,
  );
});

Deno.test("vmap takes unmapped numbers and nested arrays as arguments", () => {
  const xs = pattern([3, 2]);
  const out = gt.vmap((x: gt.Tensor, s: number) => x.mul(s), { inAxes: [0, null] })(xs, 2.5);
  assertAllClose(out, xs.mul(2.5), tight);
  // A nested array is a tensor literal when its inAxes is a number.
  const lit = gt.vmap((x: gt.Tensor) => x.square())([[1, 2], [3, 4]] as never);
  assert.deepEqual(lit.toArray(), [[1, 4], [9, 16]]);
});

type Params = { w: gt.Tensor; b: gt.Tensor };

Deno.test("vmap takes an inAxes record matching a record argument", () => {
  const p = { w: pattern([5, 3]), b: pattern([3], 1) };
  const xs = pattern([5, 3], 2);
  const g = (p: Params, x: gt.Tensor) => gt.reduceSum(p.w.mul(x).add(p.b).square());
  const out = gt.vmap(g, { inAxes: [{ w: 0, b: null }, 0] })(p, xs);
  assert.deepEqual(out.shape, [5]);
  const expected = loop((w, x) => g({ w, b: p.b }, x), [p.w, xs], [0, 0]);
  assertAllClose(out, expected, tight);
});

Deno.test("vmap applies a number or null in inAxes to the whole subtree below it", () => {
  const p = { layers: [pattern([3, 4]), pattern([4, 3], 1)], scale: { s: f64(2) } };
  const g = (p: { layers: gt.Tensor[]; scale: { s: gt.Tensor } }) =>
    p.layers[0].mul(p.scale.s).add(gt.transpose(p.layers[1]));
  // layers: one number maps both, over axis 1; scale: null keeps s whole.
  const out = gt.vmap(g, { inAxes: [{ layers: [0, 1], scale: null }] })(p);
  const again = gt.vmap(g, { inAxes: [{ layers: [0, 1], scale: { s: null } }] })(p);
  const expected = loop(
    (a, b) => g({ layers: [a, b], scale: p.scale }),
    [p.layers[0], p.layers[1]],
    [0, 1],
  );
  assertAllClose(out, expected, tight);
  assertAllClose(again, expected, tight);
  const both = gt.vmap((ls: gt.Tensor[]) => ls[0].add(ls[1]), { inAxes: [1] })([
    pattern([2, 3]),
    pattern([2, 3], 1),
  ]);
  assertAllClose(both, gt.transpose(pattern([2, 3]).add(pattern([2, 3], 1))), tight);
});

Deno.test("vmap takes an inAxes array matching an array argument", () => {
  const pair = [pattern([3, 2]), pattern([2, 3], 1)];
  const g = (xs: gt.Tensor[]) => xs[0].mul(xs[1]);
  const out = gt.vmap(g, { inAxes: [[0, 1]] })(pair);
  assertAllClose(out, loop((a, b) => g([a, b]), pair, [0, 1]), tight);
});

Deno.test("vmap maps a Variable argument over its value", () => {
  const v = new gt.Variable(pattern([3, 2]));
  assertAllClose(gt.vmap((x: gt.Tensor) => x.square())(v as never), v.value().square(), tight);
});

// ------------------------------------------------------------------------------------ outAxes

Deno.test("vmap puts the mapped axis of the result where outAxes says, negative from the end", () => {
  const xs = pattern([4, 2, 3]), ys = pattern([4, 2, 3], 1);
  const expected0 = loop(f, [xs, ys], [0, 0]);
  const at1 = gt.vmap(f, { outAxes: 1 })(xs, ys);
  assert.deepEqual(at1.shape, [2, 4, 3]);
  assertAllClose(at1, loop(f, [xs, ys], [0, 0], 1), tight);
  const atLast = gt.vmap(f, { outAxes: -1 })(xs, ys);
  assert.deepEqual(atLast.shape, [2, 3, 4]);
  assertAllClose(atLast, gt.transpose(expected0, [1, 2, 0]), tight);
  // inAxes and outAxes 1 both: the identity.
  assertAllClose(gt.vmap((x: gt.Tensor) => x, { inAxes: 1, outAxes: 1 })(xs), xs, tight);
});

Deno.test("vmap returns arrays and records of tensors with the structure f gives", () => {
  const xs = pattern([3, 2]);
  const g = (x: gt.Tensor) => ({ sq: x.square(), parts: [gt.reduceSum(x), gt.exp(x)] });
  const out = gt.vmap(g)(xs);
  assert.deepEqual(Object.keys(out), ["sq", "parts"]);
  assert.equal(out.parts.length, 2);
  assertAllClose(out.sq, xs.square(), tight);
  assertAllClose(out.parts[0], gt.reduceSum(xs, 1), tight);
  assertAllClose(out.parts[1], gt.exp(xs), tight);
});

Deno.test("vmap takes an outAxes tree matching the result, a number for a whole subtree", () => {
  const xs = pattern([3, 2]);
  const g = (x: gt.Tensor) => ({ sq: x.square(), parts: [x.neg(), gt.exp(x)] });
  const out = gt.vmap(g, { outAxes: { sq: 1, parts: [0, -1] } })(xs);
  assertAllClose(out.sq, gt.transpose(xs.square()), tight);
  assertAllClose(out.parts[0], xs.neg(), tight);
  assertAllClose(out.parts[1], gt.transpose(gt.exp(xs)), tight);
  const whole = gt.vmap(g, { outAxes: { sq: 0, parts: 1 } })(xs);
  assertAllClose(whole.parts[0], gt.transpose(xs.neg()), tight);
  assertAllClose(whole.parts[1], gt.transpose(gt.exp(xs)), tight);
  const pair = gt.vmap((x: gt.Tensor) => [x, x.mul(2)], { outAxes: [1, 0] })(xs);
  assertAllClose(pair[0], gt.transpose(xs), tight);
  assertAllClose(pair[1], xs.mul(2), tight);
});

Deno.test("vmap broadcasts a result that does not depend on the mapped axis along it", () => {
  const xs = pattern([4, 2]), w = pattern([3]);
  const out = gt.vmap((x: gt.Tensor, w: gt.Tensor) => [x.sum(), w.mul(2)], { inAxes: [0, null] })(
    xs,
    w,
  );
  assert.deepEqual(out[1].shape, [4, 3]);
  assertAllClose(out[1], gt.stack([0, 1, 2, 3].map(() => w.mul(2))), tight);
  // At outAxes 1, a constant made inside f.
  const c = gt.vmap((_x: gt.Tensor) => gt.constant([1, 2, 3]), { outAxes: 1 })(xs);
  assert.deepEqual(c.toArray(), [[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
});

Deno.test("vmap with outAxes null returns an unmapped result as f gives it", () => {
  const xs = pattern([4, 2]), w = pattern([3]);
  const [s, same] = gt.vmap((x: gt.Tensor, w: gt.Tensor) => [x.sum(), w.mul(2)], {
    inAxes: [0, null],
    outAxes: [0, null],
  })(xs, w);
  assert.deepEqual(s.shape, [4]);
  assert.deepEqual(same.shape, [3]);
  assertAllClose(same, w.mul(2), tight);
});

// ------------------------------------------------------------------------------------- errors

Deno.test("vmap names the arguments and their sizes when mapped sizes differ", () => {
  throwsWith(
    () => gt.vmap(f)(pattern([3, 2]), pattern([4, 2])),
    RangeError,
    /^vmap: the mapped sizes differ: /,
    /argument 0 has size 3 along axis 0/,
    /argument 1 has size 4 along axis 0/,
  );
  throwsWith(
    () =>
      gt.vmap((p: Params) => p.w.add(p.b), { inAxes: [{ w: 0, b: 1 }] })({
        w: pattern([2, 3]),
        b: pattern([2, 3]),
      }),
    RangeError,
    /argument 0\.w has size 2 along axis 0/,
    /argument 0\.b has size 3 along axis 1/,
  );
});

Deno.test("vmap refuses an inAxes axis out of range, naming the argument and its shape", () => {
  throwsWith(
    () => gt.vmap(f, { inAxes: [2, 0] })(pattern([3, 2]), pattern([3, 2])),
    RangeError,
    /^vmap: inAxes gives axis 2 for argument 0, of shape \[3,2\]: use an axis in \[-2, 1\], or null$/,
  );
  throwsWith(
    () => gt.vmap(f, { inAxes: -3 })(pattern([3, 2]), pattern([3, 2])),
    RangeError,
    /axis -3/,
  );
  throwsWith(() => gt.vmap((x: gt.Tensor) => x)(f64(1)), RangeError, /of shape \[\]/);
  throwsWith(
    () => gt.vmap(f, { inAxes: 0.5 })(pattern([3, 2]), pattern([3, 2])),
    RangeError,
    /axis 0\.5/,
  );
});

Deno.test("vmap refuses an outAxes axis out of range and a mapped result with outAxes null", () => {
  const xs = pattern([3, 2]);
  throwsWith(
    () => gt.vmap((x: gt.Tensor) => x, { outAxes: 2 })(xs),
    RangeError,
    /^vmap: outAxes gives axis 2 for the result, of rank 2 with the mapped axis: use an axis in \[-2, 1\]$/,
  );
  throwsWith(
    () => gt.vmap((x: gt.Tensor) => ({ y: x }), { outAxes: { y: null } })(xs),
    TypeError,
    /^vmap: outAxes is null for the result\.y, but it differs between examples: give it an axis$/,
  );
});

Deno.test("vmap refuses a number given a mapped axis", () => {
  throwsWith(
    () => gt.vmap((x: gt.Tensor, s: number) => x.mul(s))(pattern([3]), 2),
    TypeError,
    /^vmap: argument 1 is the number 2, which has no axis to map over: give it inAxes null, or pass a tensor$/,
  );
});

Deno.test("vmap refuses inAxes whose structure differs from the argument, showing where", () => {
  const p = { w: pattern([2, 3]), b: pattern([2]) };
  throwsWith(
    () => gt.vmap((p: Params) => p.w, { inAxes: [{ w: 0 }] })(p),
    TypeError,
    /^vmap: the inAxes entry for argument 0 is a record of keys w, but argument 0 is a record of keys b, w: give inAxes the argument's structure there, or one number or null for the whole of it$/,
  );
  throwsWith(
    () => gt.vmap((p: Params) => p.w, { inAxes: [[0, 0]] })(p),
    TypeError,
    /^vmap: the inAxes entry for argument 0 is \[0, 0\], but argument 0 is a record of keys b, w/,
  );
  throwsWith(
    () =>
      gt.vmap((p: { a: gt.Tensor[] }) => p.a[0], { inAxes: [{ a: [0, 0, 0] }] })({
        a: [pattern([2]), pattern([2])],
      }),
    TypeError,
    /^vmap: the inAxes entry for argument 0\.a is \[0, 0, 0\], but argument 0\.a is an array of length 2/,
  );
  throwsWith(
    () => gt.vmap((x: gt.Tensor) => x, { inAxes: ["0" as never] })(pattern([2])),
    TypeError,
    /^vmap: the inAxes entry for argument 0 is "0".*: use an axis, null, or an array or record of them$/,
  );
  throwsWith(
    () => gt.vmap(f, { inAxes: [0] })(pattern([2]), pattern([2])),
    TypeError,
    /^vmap: inAxes has 1 entries but f was called with 2 arguments: give one entry per argument, or one number or null for all$/,
  );
});

Deno.test("vmap refuses outAxes whose structure differs from the result, showing where", () => {
  const x = pattern([2]);
  throwsWith(
    () => gt.vmap((x: gt.Tensor) => ({ a: x, b: x }), { outAxes: { a: 0 } })(x),
    TypeError,
    /^vmap: the outAxes entry for the result is a record of keys a, but the result is a record of keys a, b: give outAxes the result's structure there, or one number or null for the whole of it$/,
  );
  throwsWith(
    () => gt.vmap((x: gt.Tensor) => ({ a: x }), { outAxes: { a: 0, b: 0 } })(x),
    TypeError,
    /^vmap: the outAxes entry for the result is a record of keys a, b, but the result is a record of keys a:/,
  );
  throwsWith(
    () => gt.vmap((x: gt.Tensor) => ({ p: [x, x] }), { outAxes: { p: [0, 0, 0] } })(x),
    TypeError,
    /^vmap: the outAxes entry for the result\.p is \[0, 0, 0\], but the result\.p is an array of length 2/,
  );
});

Deno.test("vmap refuses a call in which no argument is mapped", () => {
  throwsWith(
    () => gt.vmap(f, { inAxes: null })(pattern([2]), pattern([2])),
    TypeError,
    /^vmap: no argument is mapped \(every inAxes entry is null\): map at least one tensor$/,
  );
  throwsWith(() => gt.vmap(() => f64(1))(), TypeError, /no argument is mapped/);
});

Deno.test("vmap refuses a non-function f, misspelt options and an async f", () => {
  throwsWith(() => gt.vmap(3 as never), TypeError, /^vmap: f must be a function, not 3$/);
  throwsWith(
    () => gt.vmap(f, { in_axes: [0, 0] } as never),
    TypeError,
    /^vmap: unknown option 'in_axes' \(did you mean 'inAxes'\?\): the accepted options are 'inAxes', 'outAxes'$/,
  );
  throwsWith(() => gt.vmap(f, { outaxes: 0 } as never), TypeError, /'outaxes'.*'outAxes'/);
  throwsWith(
    () => gt.vectorizedMap(null as never, pattern([2])),
    TypeError,
    /^vectorizedMap: fn must be a function, not null$/,
  );
  throwsWith(
    () =>
      gt.vmap(async (x: gt.Tensor) => {
        await null;
        return x;
      })(pattern([2])),
    TypeError,
    /^vmap: f returned a Promise, but .* must be synchronous.*Make f synchronous and await outside/,
  );
});

Deno.test("vmap refuses f's non-tensor results, naming the place", () => {
  throwsWith(
    () => gt.vmap((x: gt.Tensor) => ({ y: x, n: "s" }))(pattern([2])),
    TypeError,
    /^vmap: the result\.n is "s".*f must return tensors/,
  );
});

Deno.test("reading a mapped value inside f says to compute with ops and read after vmap", () => {
  const reads: [string, (x: gt.Tensor) => unknown][] = [
    ["item", (x) => x.sum().item()],
    ["toArray", (x) => x.toArray()],
    ["data", (x) => x.data()],
    ["JSON.stringify", (x) => JSON.stringify(x)],
  ];
  for (const [what, read] of reads) {
    throwsWith(
      () => gt.vmap((x: gt.Tensor) => (read(x), x))(pattern([3, 2])),
      Error,
      /^vmap: the values of a mapped tensor cannot be read inside the mapped function/,
      /read the batched result after vmap$/,
    );
    assert.ok(what.length > 0);
  }
  // Printing shows what it is instead of values, as JAX prints a tracer.
  let printed = "";
  gt.vmap((x: gt.Tensor) => (printed = String(x), x))(pattern([3, 2]));
  assert.equal(printed, "Tensor(<batched by vmap>, shape=[2], dtype=float64)");
});

Deno.test("a mapped tensor kept in a closure and used after vmap gives a clear error", () => {
  let kept: gt.Tensor | null = null;
  gt.vmap((x: gt.Tensor) => (kept = x.mul(2), x))(pattern([3, 2]));
  const outlived = /batched by vmap.*outlived|outlived.*vmap/;
  throwsWith(() => kept!.add(1), Error, outlived, /return it from the mapped function/);
  throwsWith(() => kept!.toArray(), Error, outlived);
  // Used inside another vmap.
  throwsWith(
    () => gt.vmap((y: gt.Tensor) => kept!.add(y))(pattern([3, 2])),
    Error,
    /^add: an input is a tensor batched by vmap that outlived its transform/,
  );
});

// -------------------------------------------------------------------------------- composition

// A scalar function of one example: h(x) = Σ sin(x)·x² + (Σx)³/10.
const h = (x: gt.Tensor) =>
  gt.reduceSum(gt.sin(x).mul(x.square())).add(gt.reduceSum(x).pow(3).div(10));

Deno.test("vmap(grad(f)) is the stack of each example's gradient", () => {
  const xs = pattern([5, 3]);
  assertAllClose(gt.vmap(gt.grad(h))(xs), loop(gt.grad(h), [xs], [0]), tight);
  // Mapped over axis 1, with the result's mapped axis last.
  const cols = gt.transpose(xs);
  assertAllClose(
    gt.vmap(gt.grad(h), { inAxes: 1, outAxes: 1 })(cols),
    gt.transpose(loop(gt.grad(h), [xs], [0])),
    tight,
  );
});

Deno.test("grad of the sum of vmap(f) is the stack of each example's gradient", () => {
  const xs = pattern([5, 3]);
  const total = (xs: gt.Tensor) => gt.reduceSum(gt.vmap(h)(xs));
  assertAllClose(gt.grad(total)(xs), loop(gt.grad(h), [xs], [0]), tight);
  // With an unmapped argument: its gradient sums over the examples.
  const g = (w: gt.Tensor, x: gt.Tensor) => h(w.mul(x));
  const w = pattern([3], 1);
  const gw = gt.grad((w: gt.Tensor) => gt.reduceSum(gt.vmap(g, { inAxes: [null, 0] })(w, xs)))(w);
  const perExample = loop((w, x) => gt.grad(g)(w, x), [w, xs], [null, 0]);
  assertAllClose(gw, gt.reduceSum(perExample, 0), tight);
});

// A vector function of one example: r(x) = tanh(x)·Σx.
const r = (x: gt.Tensor) => gt.tanh(x).mul(gt.reduceSum(x));

/** The Jacobian of vmap(r) over a [n, d] batch: block diagonal, [n, d, n, d]. */
function blockJacobian(xs: gt.Tensor): number[][][][] {
  const [n, d] = xs.shape;
  const blocks = loop(gt.jacfwd(r), [xs], [0]).toArray() as number[][][];
  return Array.from(
    { length: n },
    (_, i) =>
      Array.from(
        { length: d },
        (_, a) =>
          Array.from({ length: n }, (_, j) =>
            Array.from({ length: d }, (_, b) => (i === j ? blocks[i][a][b] : 0))),
      ),
  );
}

Deno.test("jacfwd(vmap(f)) and jacrev(vmap(f)) are block diagonal, one block per example", () => {
  const xs = pattern([3, 2]);
  const expected = blockJacobian(xs);
  const fwd = gt.jacfwd(gt.vmap(r))(xs);
  assert.deepEqual(fwd.shape, [3, 2, 3, 2]);
  assertAllClose(fwd, expected, tight);
  assertAllClose(gt.jacrev(gt.vmap(r))(xs), expected, tight);
});

Deno.test("vmap(jacfwd(f)) and vmap(jacrev(f)) are the stacks of each example's Jacobian", () => {
  const xs = pattern([4, 3]);
  const expected = loop(gt.jacfwd(r), [xs], [0]);
  assert.deepEqual(expected.shape, [4, 3, 3]);
  assertAllClose(gt.vmap(gt.jacfwd(r))(xs), expected, tight);
  assertAllClose(gt.vmap(gt.jacrev(r))(xs), expected, tight);
});

Deno.test("vmap(vmap(f)) with different axes maps over both", () => {
  // f of a pair of vectors; the outer map over axis 1 of x and axis 0 of y, the inner over 0 of x
  // and 1 of y.
  const g = (x: gt.Tensor, y: gt.Tensor) => gt.reduceSum(x.mul(gt.sin(y))).add(x.square());
  const xs = pattern([3, 4, 2]), ys = pattern([4, 2, 3], 1);
  const out = gt.vmap(gt.vmap(g, { inAxes: [0, 1] }), { inAxes: [1, 0] })(xs, ys);
  assert.deepEqual(out.shape, [4, 3, 2]);
  const expected = loop((x, y) => loop(g, [x, y], [0, 1]), [xs, ys], [1, 0]);
  assertAllClose(out, expected, tight);
  // The inner map's outAxes 1, the outer's -1.
  const moved = gt.vmap(gt.vmap(g, { inAxes: [0, 1], outAxes: 1 }), {
    inAxes: [1, 0],
    outAxes: -1,
  })(xs, ys);
  assertAllClose(moved, gt.transpose(expected, [2, 1, 0]), tight);
  // One argument mapped only by the outer map, the other only by the inner.
  const w = pattern([5, 2]), v = pattern([3, 2], 2);
  const outer = gt.vmap(gt.vmap((a: gt.Tensor, b: gt.Tensor) => a.mul(b), { inAxes: [null, 0] }), {
    inAxes: [0, null],
  })(w, v);
  assert.deepEqual(outer.shape, [5, 3, 2]);
  assertAllClose(outer, gt.expandDims(w, 1).mul(gt.expandDims(v, 0)), tight);
});

Deno.test("vmap(hessian(f)) is the stack of each example's Hessian", () => {
  const xs = pattern([3, 2]);
  assertAllClose(gt.vmap(gt.hessian(h))(xs), loop(gt.hessian(h), [xs], [0]), tight);
});

Deno.test("hvp inside vmap gives each example's Hessian-vector product", () => {
  const xs = pattern([4, 3]), vs = pattern([4, 3], 2);
  const one = (x: gt.Tensor, v: gt.Tensor) => gt.hvp(h, [x], [v])[0];
  const out = gt.vmap(one)(xs, vs);
  assertAllClose(out, loop(one, [xs, vs], [0, 0]), tight);
  // The same direction for every example: v unmapped.
  const v = pattern([3], 3);
  assertAllClose(gt.vmap(one, { inAxes: [0, null] })(xs, v), loop(one, [xs, v], [0, null]), tight);
});

Deno.test("a GradientTape inside vmap gives each example's gradient", () => {
  const w = new gt.Variable(pattern([3], 1));
  const perExample = (x: gt.Tensor) => {
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(x);
      return h(x.mul(w));
    });
    const [dx, dw] = tape.gradient(y, [x, w]);
    return [present(dx), present(dw)];
  };
  const xs = pattern([4, 3]);
  const [dxs, dws] = gt.vmap(perExample)(xs);
  assertAllClose(dxs, loop((x) => perExample(x)[0], [xs], [0]), tight);
  assertAllClose(dws, loop((x) => perExample(x)[1], [xs], [0]), tight);
});

Deno.test("a ForwardAccumulator inside vmap gives each example's directional derivative", () => {
  const perExample = (x: gt.Tensor, t: gt.Tensor) => {
    const acc = new gt.ForwardAccumulator(x, t);
    return present(acc.jvp(acc.record(() => r(x))));
  };
  const xs = pattern([4, 3]), ts = pattern([4, 3], 1);
  assertAllClose(gt.vmap(perExample)(xs, ts), loop(perExample, [xs, ts], [0, 0]), tight);
});

Deno.test("a GradientTape outside differentiates through a vmap call", () => {
  const xs = pattern([4, 3]);
  const w = new gt.Variable(pattern([3], 1));
  const tape = new gt.GradientTape({ persistent: true });
  const y = tape.record(() => {
    tape.watch(xs);
    return gt.reduceSum(gt.vmap((x: gt.Tensor) => h(x.mul(w)))(xs));
  });
  const [dxs, dw] = tape.gradient(y, [xs, w]);
  const g = (x: gt.Tensor, w: gt.Tensor) => h(x.mul(w));
  assertAllClose(present(dxs), loop((x) => gt.grad(g)(x, w.value()), [xs], [0]), tight);
  const perW = loop((x) => gt.grad(g, { argnums: 1 })(x, w.value()), [xs], [0]);
  assertAllClose(present(dw), gt.reduceSum(perW, 0), tight);
  // A jacobian of the mapped values through the tape.
  const z = tape.record(() => gt.vmap(r)(xs));
  assertAllClose(present(tape.jacobian(z, xs)), blockJacobian(xs), tight);
});

Deno.test("an accumulator outside gives the directional derivative of a vmap call", () => {
  const xs = pattern([4, 3]), ts = pattern([4, 3], 1);
  const acc = new gt.ForwardAccumulator(xs, ts);
  const y = acc.record(() => gt.vmap(r)(xs));
  assertAllClose(
    present(acc.jvp(y)),
    loop((x, t) => gt.jvp(r, [x], [t])[1], [xs, ts], [0, 0]),
    tight,
  );
});

Deno.test("customGradient inside vmap uses its gradient for each example", () => {
  // y = x³ with the gradient said to be 10·dy, in place of 3x²·dy.
  const cube = gt.customGradient((x: gt.Tensor) => [x.pow(3), (dy: gt.Tensor) => dy.mul(10)]);
  const xs = pattern([4, 3]);
  assertAllClose(gt.vmap(cube)(xs), xs.pow(3), tight);
  const g = gt.grad((x: gt.Tensor) => gt.reduceSum(cube(x).mul(x)));
  const perExample = gt.vmap(g)(xs);
  assertAllClose(perExample, loop(g, [xs], [0]), tight);
  assertAllClose(perExample, xs.mul(10).add(xs.pow(3)), tight);
  // A rule that closes over the example and reduces: Σx² with the gradient said to be 3x·dy.
  const sq = gt.customGradient((x: gt.Tensor) => [
    gt.reduceSum(x.square()),
    (dy: gt.Tensor) => x.mul(dy).mul(3),
  ]);
  assertAllClose(gt.vmap(sq)(xs), gt.reduceSum(xs.square(), 1), tight);
  assertAllClose(gt.vmap(gt.grad(sq))(xs), xs.mul(3), tight);
});

Deno.test("customJvp inside vmap uses its rule for each example, in both modes", () => {
  // sin with the derivative said to be x²: only the rule can give it.
  const fake = gt.customJvp(
    (x: gt.Tensor) => gt.sin(x),
    ([x], [t]) => [gt.sin(x), gt.multiply(gt.square(x), t)],
  );
  const xs = pattern([4, 3]), ts = pattern([4, 3], 1);
  assertAllClose(gt.vmap(fake)(xs), gt.sin(xs), tight);
  const rev = gt.vmap(gt.grad((x: gt.Tensor) => gt.reduceSum(fake(x))))(xs);
  assertAllClose(rev, xs.square(), tight);
  const fwd = gt.vmap((x: gt.Tensor, t: gt.Tensor) => gt.jvp(fake, [x], [t])[1])(xs, ts);
  assertAllClose(fwd, xs.square().mul(ts), tight);
  // Batched from outside: grad of the sum over vmap.
  assertAllClose(
    gt.grad((xs: gt.Tensor) => gt.reduceSum(gt.vmap(fake)(xs)))(xs),
    xs.square(),
    tight,
  );
});

Deno.test("a Variable read inside f is the same for every example", () => {
  const w = new gt.Variable(pattern([3], 1));
  const xs = pattern([4, 3]);
  const out = gt.vmap((x: gt.Tensor) => gt.reduceSum(x.mul(w)))(xs);
  assertAllClose(out, gt.reduceSum(xs.mul(w.value()), 1), tight);
  // Its gradient through vmap sums over the examples.
  const tape = new gt.GradientTape();
  const y = tape.record(() =>
    gt.reduceSum(gt.vmap((x: gt.Tensor) => gt.reduceSum(x.mul(w).square()))(xs))
  );
  const expected = gt.reduceSum(xs.square().mul(w.value()).mul(2), 0);
  assertAllClose(present(tape.gradient(y, w)), expected, tight);
});

Deno.test("tidy around vmap keeps the result and releases the rest", () => {
  const xs = pattern([4, 3]);
  let inner: gt.Tensor | null = null;
  const out = gt.tidy(() =>
    gt.vmap((x: gt.Tensor) => {
      inner = gt.sin(x);
      return inner.mul(x);
    })(xs)
  );
  assertAllClose(out, gt.sin(xs).mul(xs), tight);
  assert.ok(inner !== null);
  // The per-example gradients, made and returned in a tidy.
  const g = gt.tidy(() => gt.vmap(gt.grad(h))(xs));
  assertAllClose(g, loop(gt.grad(h), [xs], [0]), tight);
  assertAllClose(xs, pattern([4, 3]), tight);
});

// ------------------------------------------------------------------- per-example gradients

type Mlp = { w1: gt.Tensor; b1: gt.Tensor; w2: gt.Tensor; b2: gt.Tensor };

// One example: x of 20 features, y a one-hot row of 4 classes; the softmax cross-entropy of a
// 20-16-4 network with a tanh hidden layer.
const mlpLoss = (p: Mlp, x: gt.Tensor, y: gt.Tensor) => {
  const hidden = gt.tanh(gt.matmul(x.reshape([1, 20]), p.w1).add(p.b1));
  const logits = gt.matmul(hidden, p.w2).add(p.b2);
  return gt.reduceSum(gt.softmaxCrossEntropyWithLogits(y.reshape([1, 4]), logits));
};

function mlpSetup() {
  const params: Mlp = {
    w1: gt.random.normal([20, 16], { stddev: 0.3, seed: 1, dtype: "float64" }),
    b1: gt.random.normal([16], { stddev: 0.1, seed: 2, dtype: "float64" }),
    w2: gt.random.normal([16, 4], { stddev: 0.3, seed: 3, dtype: "float64" }),
    b2: gt.random.normal([4], { stddev: 0.1, seed: 4, dtype: "float64" }),
  };
  const xs = gt.random.normal([8, 20], { seed: 5, dtype: "float64" });
  const ys = f64([0, 1, 2, 3, 3, 2, 1, 0].map((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))));
  return { params, xs, ys };
}

Deno.test("vmap(grad(loss)) of an MLP equals the loop of single-example gradients", () => {
  const { params, xs, ys } = mlpSetup();
  const perExample = gt.vmap(gt.grad(mlpLoss), { inAxes: [null, 0, 0] })(params, xs, ys);
  assert.deepEqual(Object.keys(perExample).sort(), ["b1", "b2", "w1", "w2"]);
  assert.deepEqual(perExample.w1.shape, [8, 20, 16]);
  assert.deepEqual(perExample.b2.shape, [8, 4]);
  const singles = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
    gt.grad(mlpLoss)(params, take(xs, 0, i), take(ys, 0, i))
  );
  for (const k of ["w1", "b1", "w2", "b2"] as const) {
    assertAllClose(perExample[k], gt.stack(singles.map((g) => g[k])), tight);
  }
});

Deno.test("the mean of per-example MLP gradients is the gradient of the mean loss", () => {
  const { params, xs, ys } = mlpSetup();
  const perExample = gt.vmap(gt.grad(mlpLoss), { inAxes: [null, 0, 0] })(params, xs, ys);
  const meanLoss = (p: Mlp) => gt.reduceMean(gt.vmap(mlpLoss, { inAxes: [null, 0, 0] })(p, xs, ys));
  const batch = gt.grad(meanLoss)(params);
  // The batch gradient written without vmap: the batched network on all rows at once.
  const direct = gt.grad((p: Mlp) => {
    const hidden = gt.tanh(gt.matmul(xs, p.w1).add(p.b1));
    return gt.reduceMean(gt.softmaxCrossEntropyWithLogits(ys, gt.matmul(hidden, p.w2).add(p.b2)));
  })(params);
  for (const k of ["w1", "b1", "w2", "b2"] as const) {
    assertAllClose(gt.reduceMean(perExample[k], 0), batch[k], tight);
    assertAllClose(batch[k], direct[k], tight);
  }
});

Deno.test("per-example MLP gradients in float32 agree with float64 to float32 precision", () => {
  const { params, xs, ys } = mlpSetup();
  const to32 = (t: gt.Tensor) => gt.cast(t, "float32");
  const p32 = gt.tree.map(to32, params) as Mlp;
  const g32 = gt.vmap(gt.grad(mlpLoss), { inAxes: [null, 0, 0] })(p32, to32(xs), to32(ys));
  const g64 = gt.vmap(gt.grad(mlpLoss), { inAxes: [null, 0, 0] })(params, xs, ys);
  assert.equal(g32.w1.dtype, "float32");
  for (const k of ["w1", "b1", "w2", "b2"] as const) {
    assertAllClose(g32[k], g64[k], { rtol: 1e-4, atol: 1e-6 });
  }
});

// ------------------------------------------------------------------------------ vectorizedMap

Deno.test("vectorizedMap maps fn over the first axis of a tensor", () => {
  const xs = pattern([5, 3]);
  assertAllClose(gt.vectorizedMap(r, xs), loop(r, [xs], [0]), tight);
});

Deno.test("vectorizedMap maps fn over the first axis of every leaf of a tree", () => {
  const elems = { x: pattern([4, 3]), pair: [pattern([4]), pattern([4, 2, 2], 1)] };
  const out = gt.vectorizedMap(
    (e: { x: gt.Tensor; pair: gt.Tensor[] }) => ({
      s: gt.reduceSum(e.x).mul(e.pair[0]),
      m: gt.matmul(e.pair[1], e.pair[1]),
    }),
    elems,
  );
  assertAllClose(out.s, gt.reduceSum(elems.x, 1).mul(elems.pair[0]), tight);
  assertAllClose(out.m, gt.matmul(elems.pair[1], elems.pair[1]), tight);
  throwsWith(
    () => gt.vectorizedMap((e: gt.Tensor[]) => e[0], [pattern([4]), pattern([3])]),
    RangeError,
    /argument 0\[0\] has size 4.*argument 0\[1\] has size 3/,
  );
});

Deno.test("vmap: numbers and variables in the result are leaves, the same for every example", () => {
  const x = gt.ones([3, 2]), v = new gt.Variable([1, 2]);
  const [t, n, w] = gt.vmap((t: gt.Tensor) => [t, 5, v])(x) as gt.Tensor[];
  assert.deepEqual(t.toArray(), x.toArray());
  assert.deepEqual(n.toArray(), [5, 5, 5]);
  assert.deepEqual(w.toArray(), [[1, 2], [1, 2], [1, 2]]);
  // Left in place by outAxes null, a number comes back as it is.
  const [, kept] = gt.vmap((t: gt.Tensor) => [t, 5], { outAxes: [0, null] })(x) as unknown[];
  assert.equal(kept, 5);
  // A number as grad's aux, under vmap.
  const [g, aux] = gt.vmap(
    gt.grad((t: gt.Tensor) => [gt.reduceSum(t), 3] as [gt.Tensor, number], { hasAux: true }),
  )(
    x,
  ) as gt.Tensor[];
  assert.deepEqual(g.toArray(), x.toArray());
  assert.deepEqual(aux.toArray(), [3, 3, 3]);
});

Deno.test("vmap: a mapped leaf that is no tensor is named, with inAxes null as the way out", () => {
  const x = gt.ones([3, 2]);
  for (
    const [what, leaf] of [['"s" \\(a string\\)', "s"], [
      "an object of type Dense",
      new gt.layers.Dense(2),
    ]] as const
  ) {
    throwsWith(
      () => gt.vmap((a: { t: gt.Tensor; other: unknown }) => a.t)({ t: x, other: leaf }),
      TypeError,
      new RegExp(`argument 0\\.other is ${what}, not a tensor`),
      /give it inAxes null/,
    );
  }
  // Given inAxes null, it passes through as it is.
  const out = gt.vmap((a: { t: gt.Tensor; name: string }) => a.t.mul(a.name.length), {
    inAxes: [{ t: 0, name: null }],
  })({ t: x, name: "ab" });
  assert.deepEqual(out.toArray(), [[2, 2], [2, 2], [2, 2]]);
});
