/**
 * clipByNorm and clipByGlobalNorm against float64 closed forms computed here, TensorFlow's
 * special cases (a zero norm, an infinite or NaN global norm, null entries), derivatives by
 * checkGrads at order 2 in both modes, vmap and jit, and the errors.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

// deno-lint-ignore no-explicit-any
const js = gt as any; // the ops as an untyped caller sees them
const x = [[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]];

// x · c / max(‖x‖, c) over the given slices (a list of index lists), in float64.
function refClip(data: number[], slices: number[][], c: number): number[] {
  const out = [...data];
  for (const s of slices) {
    const norm = Math.sqrt(s.reduce((acc, i) => acc + data[i] * data[i], 0));
    for (const i of s) out[i] = (data[i] * c) / Math.max(norm, c);
  }
  return out;
}

const flat = x.flat();
const all = [[0, 1, 2, 3, 4, 5]];
const rows = [[0, 1, 2], [3, 4, 5]];
const cols = [[0, 3], [1, 4], [2, 5]];

Deno.test("clipByNorm: the whole tensor, rows, columns, as x·c/max(‖x‖, c)", () => {
  const t = gt.constant(x, { dtype: "float64" });
  const cases: [number | number[] | undefined, number[][]][] = [
    [undefined, all],
    [[0, 1], all],
    [[-1, 0], all],
    [1, rows],
    [-1, rows],
    [[1], rows],
    [0, cols],
  ];
  for (const c of [0.5, 1.6, 2, 100]) {
    for (const [axes, slices] of cases) {
      assertAllClose(
        gt.clipByNorm(t, c, axes),
        gt.reshape(gt.constant(refClip(flat, slices, c), { dtype: "float64" }), [2, 3]),
        { rtol: 1e-14, atol: 1e-15, msg: `c = ${c}, axes ${JSON.stringify(axes)}` },
      );
    }
  }
  // Within the bound the values are unchanged; the result keeps float32.
  const small = gt.constant([0.3, 0.4]);
  const kept = gt.clipByNorm(small, 1);
  assert.equal(kept.dtype, "float32");
  assert.deepEqual(kept.toArray(), small.toArray());
  assert.deepEqual(gt.clipByNorm(5, 2).item(), 2);
  assert.deepEqual(gt.clipByNorm(-5, 2).item(), -2);
});

Deno.test("clipByNorm: a zero slice stays zero, with a finite gradient", () => {
  const z = gt.constant([[0, 0], [3, 4]], { dtype: "float64" });
  assert.deepEqual(gt.clipByNorm(z, 1, 1).toArray(), [[0, 0], [0.6, 0.8]]);
  const g = gt.grad((t: gt.Tensor) => gt.reduceSum(gt.clipByNorm(t, 1, 1)))(z);
  // Row 0: within the bound, the identity (gradient 1). Row 1: d/dx Σ x/‖x‖ = (1 - x·Σx/‖x‖²)/‖x‖.
  const r = (xi: number) => (1 - (xi * 7) / 25) / 5;
  assertAllClose(g, [[1, 1], [r(3), r(4)]], { rtol: 1e-14, atol: 1e-15 });
  assert.deepEqual(gt.clipByNorm(gt.zeros([0, 3]), 1, 1).shape, [0, 3]);
});

Deno.test("clipByNorm: derivatives of order 2, both modes, float64", () => {
  const t = gt.constant(x, { dtype: "float64" });
  checkGrads((a: gt.Tensor) => gt.clipByNorm(a, 1.5), [t]);
  checkGrads((a: gt.Tensor) => gt.clipByNorm(a, 1.5, 1), [t]);
  checkGrads((a: gt.Tensor) => gt.clipByNorm(a, 100, 0), [t]);
});

Deno.test("clipByGlobalNorm: one scale for all, the norm before clipping", () => {
  const a = [0.3, -1.2, 0.8], b = [[1.5], [-0.4]], c = 2.1;
  const norm = Math.sqrt([...a, 1.5, -0.4, c].reduce((s, v) => s + v * v, 0));
  for (const clip of [0.5, 2, 100]) {
    const ts = [a, b, c].map((v) => gt.constant(v, { dtype: "float64" }));
    const [out, n] = gt.clipByGlobalNorm(ts, clip);
    assertAllClose(n, norm, { rtol: 1e-15 });
    const s = clip / Math.max(norm, clip);
    assertAllClose(out[0], a.map((v) => v * s), { rtol: 1e-14 });
    assertAllClose(out[1], b.map(([v]) => [v * s]), { rtol: 1e-14 });
    assertAllClose(out[2], c * s, { rtol: 1e-14 });
    assert.deepEqual(out.map((t) => t.shape), [[3], [2, 1], []]);
  }
  const [[f32], n32] = gt.clipByGlobalNorm([gt.constant([3, 4])], 1);
  assert.equal(f32.dtype, "float32");
  assert.equal(n32.dtype, "float32");
  // Mixed dtypes: the norm in float64, each tensor keeps its own.
  const [[p, q], nm] = gt.clipByGlobalNorm([
    gt.constant([3]),
    gt.constant([4], { dtype: "float64" }),
  ], 1);
  assert.deepEqual([p.dtype, q.dtype, nm.dtype], ["float32", "float64", "float64"]);
  assertAllClose(q, [0.8], { rtol: 1e-15 });
});

Deno.test("clipByGlobalNorm: TensorFlow's special cases", () => {
  // A zero norm changes nothing.
  const [[z], nz] = gt.clipByGlobalNorm([gt.zeros([2])], 1);
  assert.deepEqual([z.toArray(), nz.item()], [[0, 0], 0]);
  // An infinite or NaN norm: every value NaN, the norm as it is.
  const [[i1, i2], ni] = gt.clipByGlobalNorm([[Infinity, 1], [2]], 1);
  assert.equal(ni.item(), Infinity);
  assert.ok([...i1.data(), ...i2.data()].every(Number.isNaN));
  const [[n1, n2], nn] = gt.clipByGlobalNorm([[NaN, 1], [2]], 1);
  assert.ok(Number.isNaN(nn.item()));
  assert.ok([...n1.data(), ...n2.data()].every(Number.isNaN));
  // null entries (unconnected gradients) stay null and count for nothing.
  const [out, n] = gt.clipByGlobalNorm([null, gt.constant([6, 8]), null], 5);
  assert.equal(out[0], null);
  assert.equal(out[2], null);
  assert.deepEqual(out[1]?.toArray(), [3, 4]);
  assert.equal(n.item(), 10);
  const [none, n0] = gt.clipByGlobalNorm([], 1);
  assert.deepEqual([none, n0.item()], [[], 0]);
});

Deno.test("clipByGlobalNorm: derivatives of order 2, both modes, float64, and at zero", () => {
  const a = gt.constant([0.3, -1.2, 0.8], { dtype: "float64" });
  const b = gt.constant([[1.5], [-0.4]], { dtype: "float64" });
  for (const clip of [1.3, 100]) {
    checkGrads((u: gt.Tensor, v: gt.Tensor) => {
      const [[cu, cv], n] = gt.clipByGlobalNorm([u, v], clip);
      return gt.concat([cu, gt.reshape(cv, [2]), gt.reshape(n, [1])], 0);
    }, [a, b]);
  }
  // At zero: within the bound, the clipped values are the identity.
  const g = gt.grad((u: gt.Tensor) => gt.reduceSum(gt.clipByGlobalNorm([u], 1)[0][0]))(
    gt.zeros([3], "float64"),
  );
  assert.deepEqual(g.toArray(), [1, 1, 1]);
});

Deno.test("clipping under vmap and jit", () => {
  const t = gt.constant(x, { dtype: "float64" });
  assertAllClose(gt.vmap((r: gt.Tensor) => gt.clipByNorm(r, 1))(t), gt.clipByNorm(t, 1, 1), {
    rtol: 1e-15,
  });
  const f = gt.jit((u: gt.Tensor, v: gt.Tensor) => gt.clipByGlobalNorm([u, v], 1));
  const [[cu, cv], n] = f(t, gt.constant([1, 2], { dtype: "float64" }));
  const norm = Math.sqrt(flat.reduce((s, v) => s + v * v, 0) + 5);
  assertAllClose(n, norm, { rtol: 1e-15 });
  assertAllClose(cu, gt.multiply(t, 1 / norm), { rtol: 1e-14 });
  assertAllClose(cv, [1 / norm, 2 / norm], { rtol: 1e-14 });
});

Deno.test("clipping: errors name the op and the value", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => gt.clipByNorm([1], 0), /^clipByNorm: clipNorm must be positive, not 0$/],
    [() => gt.clipByNorm([1], -1), /^clipByNorm: clipNorm must be positive, not -1$/],
    [() => gt.clipByNorm([1], NaN), /^clipByNorm: clipNorm/],
    [
      () => js.clipByNorm([1], "1"),
      /^clipByNorm: clipNorm must be a positive number, not "1"/,
    ],
    [
      () => gt.clipByNorm(gt.constant([1], { dtype: "int32" }), 1),
      /^clipByNorm: expects a float32 or float64 tensor, got int32/,
    ],
    [() => gt.clipByNorm([[1]], 1, 2), /^clipByNorm: axis 2/],
    [() => gt.clipByGlobalNorm([[1]], 0), /^clipByGlobalNorm: clipNorm must be positive, not 0$/],
    [
      () => gt.clipByGlobalNorm([gt.constant([1], { dtype: "int32" })], 1),
      /^clipByGlobalNorm: tensor 0 is int32/,
    ],
    [
      () => js.clipByGlobalNorm(gt.constant([1]), 1),
      /^clipByGlobalNorm: tensors must be an array/,
    ],
  ];
  for (const [f, re] of cases) {
    assert.throws(f, (e: Error) => {
      assert.match(e.message, re);
      return true;
    });
  }
});
