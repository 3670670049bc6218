/**
 * Sorting (sort, argsort, topK): against a stable sort by index written in the test (NaN last
 * ascending and first descending, -0 equal to 0), along every axis, for short rows (insertion)
 * and long ones (radix), in every dtype, with ties, infinities and NaN; gradients through the
 * values against the permutation; vmap and jit; errors.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { DType, Tensor } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Ascending order of numbers with NaN after everything; 0 and -0 equal.
function compare(a: number, b: number): number {
  const na = a !== a, nb = b !== b;
  if (na || nb) return na === nb ? 0 : na ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The stable order of each line along `axis`, by a comparison sort on (value, index). */
function refArgsort(data: ArrayLike<number>, shape: number[], axis: number, descending: boolean) {
  const n = shape[axis];
  let inner = 1, outer = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  for (let i = 0; i < axis; i++) outer *= shape[i];
  const out = new Array<number>(data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * n + j) * inner + i;
      const idx = Array.from({ length: n }, (_, j) => j);
      idx.sort((a, b) => {
        const c = compare(data[at(a)], data[at(b)]);
        return (descending ? -c : c) || a - b;
      });
      idx.forEach((v, j) => (out[at(j)] = v));
    }
  }
  return out;
}

// Values with many ties, signed zeros, infinities and NaN (for floats).
function awkward(next: () => number, size: number, dtype: DType): number[] {
  return Array.from({ length: size }, () => {
    const r = next();
    if (dtype === "int32") return Math.floor(r * 40) - 20;
    if (r < 0.05) return NaN;
    if (r < 0.08) return r < 0.065 ? Infinity : -Infinity;
    if (r < 0.12) return r < 0.1 ? 0 : -0;
    if (r < 0.5) return Math.floor(r * 20) - 5; // ties
    return (r - 0.75) * 1e3;
  });
}

Deno.test("argsort and sort match a stable sort by index along every axis, in every dtype", async (t) => {
  const next = lcg(1);
  for (const dtype of ["float32", "float64", "int32"] as const) {
    for (const shape of [[3, 5, 40], [2, 70], [1200], [4, 1, 3]]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = gt.constant(awkward(next, size, dtype), { dtype, shape });
      const data = x.data();
      for (let axis = 0; axis < shape.length; axis++) {
        for (const direction of ["ASCENDING", "DESCENDING"] as const) {
          await t.step(`${dtype} ${JSON.stringify(shape)} axis ${axis} ${direction}`, () => {
            const idx = gt.argsort(x, { axis, direction });
            const e = refArgsort(data, shape, axis, direction === "DESCENDING");
            assert.equal(idx.dtype, "int32");
            assert.deepEqual(idx.shape, shape);
            assert.deepEqual([...idx.data()], e);
            // sort's values are the values at those positions (NaN compared as NaN).
            const y = gt.sort(x, { axis: axis - shape.length, direction });
            const n = shape[axis];
            let inner = 1;
            for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
            const expected = e.map((j, flat) => {
              const pos = Math.floor(flat / inner) % n;
              return data[flat + (j - pos) * inner];
            });
            assert.deepEqual([...y.data()], expected);
          });
        }
      }
    }
  }
});

Deno.test("a long float32 sort equals Float32Array.prototype.sort, and float64 a numeric sort", () => {
  const next = lcg(2);
  const n = 100_000;
  const f32 = new Float32Array(n).map(() => (next() - 0.5) * 2 ** (next() * 60 - 30));
  assert.deepEqual(gt.sort(gt.constant(f32)).data(), f32.slice().sort());
  const f64 = new Float64Array(n).map(() => (next() - 0.5) * 2 ** (next() * 600 - 300));
  assert.deepEqual(gt.sort(gt.constant(f64)).data(), f64.slice().sort());
  // Values that differ only in the low word of a float64 keep their order.
  const close = new Float64Array(5000).map((_, i) => 1 + ((i * 7919) % 5000) * 2 ** -50);
  assert.deepEqual(gt.sort(gt.constant(close)).data(), close.slice().sort());
});

Deno.test("topK: the first k of the stable descending order, values and indices", () => {
  const next = lcg(3);
  for (const dtype of ["float32", "float64", "int32"] as const) {
    const shape = [3, 50];
    const x = gt.constant(awkward(next, 150, dtype), { dtype, shape });
    const data = x.data();
    const order = refArgsort(data, shape, 1, true);
    for (const k of [0, 1, 7, 50]) {
      const { values, indices } = gt.topK(x, k);
      assert.deepEqual(values.shape, [3, k]);
      assert.equal(indices.dtype, "int32");
      const ei: number[] = [], ev: number[] = [];
      for (let r = 0; r < 3; r++) {
        for (let j = 0; j < k; j++) {
          ei.push(order[r * 50 + j]);
          ev.push(data[r * 50 + order[r * 50 + j]]);
        }
      }
      assert.deepEqual([...indices.data()], ei, `${dtype} k ${k}`);
      assert.deepEqual([...values.data()], ev, `${dtype} k ${k}`);
    }
  }
  assert.deepEqual(gt.topK([1, NaN, 3], 2).values.toArray(), [NaN, 3]);
  assert.deepEqual(gt.topK([2, 2, 1, 2], 2, { sorted: false }).indices.toArray(), [0, 1]);
});

Deno.test("gradients through sorted values go back by the permutation, in both modes", () => {
  const x = gt.constant([[0.3, -1.2, 0.8, 2.5], [1.5, -0.4, 2.1, -2.2]], { dtype: "float64" });
  const w = gt.constant([[1, 2, 3, 4], [5, 6, 7, 8]], { dtype: "float64" });
  const order = refArgsort(x.data(), [2, 4], 1, false);
  // d Σ w·sort(x) / dx[perm[j]] = w[j]
  const expected = new Array<number>(8);
  order.forEach((p, flat) => (expected[Math.floor(flat / 4) * 4 + p] = w.data()[flat]));
  const f = (v: Tensor) => gt.reduceSum(gt.multiply(gt.sort(v), w));
  assertAllClose(gt.grad(f)(x), gt.constant(expected, { dtype: "float64", shape: [2, 4] }));
  assertAllClose(gt.jacfwd(f)(x), gt.constant(expected, { dtype: "float64", shape: [2, 4] }));
  // topK: the chosen entries get their weight, the others 0.
  const top = (v: Tensor) => gt.reduceSum(gt.multiply(gt.topK(v, 2).values, [[10, 1], [10, 1]]));
  assert.deepEqual(gt.grad(top)(x).toArray(), [[0, 0, 1, 10], [1, 0, 10, 0]]);
  checkGrads((v: Tensor) => gt.square(gt.sort(v, { axis: 0, direction: "DESCENDING" })), [x], {
    order: 2,
  });
});

Deno.test("sort, argsort and topK under vmap, the mapped axis anywhere", () => {
  const next = lcg(4);
  const xs = Array.from(
    { length: 3 },
    () =>
      gt.constant(Array.from({ length: 12 }, () => next()), { dtype: "float64", shape: [3, 4] }),
  );
  const fns: [string, (x: Tensor) => Tensor][] = [
    ["sort axis 0", (x) => gt.sort(x, { axis: 0 })],
    ["sort axis -1 descending", (x) => gt.sort(x, { direction: "DESCENDING" })],
    ["argsort", (x) => gt.argsort(x, { axis: 0 })],
    ["topK values", (x) => gt.topK(x, 2).values],
    ["topK indices", (x) => gt.topK(x, 3).indices],
    ["sort's gradient", (x) => gt.grad((v: Tensor) => gt.reduceSum(gt.square(gt.sort(v))))(x)],
  ];
  for (const [name, f] of fns) {
    const each = xs.map(f);
    for (const b of [0, 1, 2]) {
      const y = gt.vmap(f, { inAxes: b, outAxes: b })(gt.stack(xs, b));
      assert.deepEqual(y.toArray(), gt.stack(each, b).toArray(), `${name}, mapped axis ${b}`);
    }
  }
});

Deno.test("sort and topK under jit equal eager mode", () => {
  const x = gt.constant([[3, 1, 2, NaN], [0, -1, 5, 5]]);
  const f = (v: Tensor) => gt.add(gt.sort(v), gt.topK(v, 4).values);
  assert.deepEqual(gt.jit(f)(x).toArray(), f(x).toArray());
  const g = gt.grad((v: Tensor) => gt.reduceSum(gt.square(gt.topK(v, 2).values)));
  const y = gt.constant([[3, 1, 2, 0.5], [0, -1, 5, 4]]);
  assert.deepEqual(gt.jit(g)(y).toArray(), g(y).toArray());
});

Deno.test("sorting errors name the op and the bad value", () => {
  for (const op of ["sort", "argsort"] as const) {
    const fn = gt[op];
    assert.throws(() => fn(3), new RegExp(`${op}: expects a tensor of rank ≥ 1, got a scalar`));
    assert.throws(() => fn([true, false]), new RegExp(`${op}: no arithmetic on bool`));
    assert.throws(() => fn([1, 2], { axis: 1 }), new RegExp(`${op}: axis 1 is out of range`));
    assert.throws(
      () => fn([1, 2], { direction: "UP" as never }),
      new RegExp(`${op}: direction must be one of "ASCENDING", "DESCENDING", not "UP"`),
    );
    assert.throws(
      () => fn([1, 2], { axes: 0 } as never),
      new RegExp(`${op}: unknown option 'axes'`),
    );
  }
  assert.throws(
    () => gt.topK([[1, 2, 3]], 4),
    /topK: k = 4 is larger than the last axis of shape \[1,3\] \(3\): use k ≤ 3/,
  );
  assert.throws(() => gt.topK([1, 2], -1), /topK: k must be an integer ≥ 0, not -1/);
  assert.throws(() => gt.topK([1, 2], 1.5), /topK: k must be an integer ≥ 0, not 1.5/);
  assert.throws(() => gt.topK(1, 1), /topK: expects a tensor of rank ≥ 1/);
  assert.throws(
    () => gt.topK([1], 1, { sorted: "yes" as never }),
    /topK: sorted must be true or false/,
  );
});
