/** Trees (arrays and records of tensors and numbers, nested) through every functional transform. */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { f64, throwsWith } from "../_helpers.ts";

const tight = { rtol: 1e-10, atol: 1e-12 };
type P = { w: gt.Tensor; b: gt.Tensor };
// loss(p, x) = Σ (w·x + b)², for w and x of length 2.
const loss = (p: P, x: gt.Tensor) => gt.reduceSum(p.w.mul(x).add(p.b).square());
const w0 = [0.5, -1], b0 = 0.25, x0 = [2, 3];
const r = w0.map((w, i) => w * x0[i] + b0);
const dw = r.map((ri, i) => 2 * ri * x0[i]);
const db = r.reduce((s, ri) => s + 2 * ri, 0);

Deno.test("grad of a record argument returns a record of the same keys", () => {
  const g = gt.grad(loss)({ w: f64(w0), b: f64(b0) }, f64(x0));
  assert.deepEqual(Object.keys(g), ["w", "b"]);
  assertAllClose(g.w, dw, tight);
  assertAllClose(g.b, db, tight);
});

Deno.test("grad takes numbers and tensor literals as leaves, giving float32 tensors", () => {
  const g = gt.grad(loss)({ w: w0, b: b0 }, x0);
  assert.ok(g.b instanceof gt.Tensor);
  assert.equal(g.b.dtype, "float32");
  assert.deepEqual(g.w.shape, [2]);
  assertAllClose(g.w, dw);
  assertAllClose(g.b, db);
});

Deno.test("grad of nested arrays and records, with empty subtrees kept", () => {
  const f = (p: { layers: gt.Tensor[]; extra: null; s: { t: gt.Tensor } }) =>
    p.layers[0].mul(p.layers[1]).mul(p.s.t);
  const g = gt.grad(f)({ layers: [f64(2), f64(3)], extra: null, s: { t: f64(5) } });
  assert.equal(g.extra, null);
  assert.deepEqual([g.layers[0].item(), g.layers[1].item(), g.s.t.item()], [15, 10, 6]);
});

Deno.test("grad with argnums an array gives one tree per argument", () => {
  const [gp, gx] = gt.grad(loss, { argnums: [0, 1] })({ w: f64(w0), b: f64(b0) }, f64(x0));
  assertAllClose(gp.w, dw, tight);
  assertAllClose(gx, r.map((ri, i) => 2 * ri * w0[i]), tight);
});

Deno.test("a tensor given in two places gets one gradient per place, as in JAX", () => {
  const x = f64(3);
  const g = gt.grad((p: { a: gt.Tensor; b: gt.Tensor }) => p.a.mul(p.b.square()))({ a: x, b: x });
  assert.equal(g.a.item(), 9);
  assert.equal(g.b.item(), 18);
});

Deno.test("grad refuses an int32 leaf, naming its place and dtype", () => {
  throwsWith(
    () =>
      gt.grad((p: { w: gt.Tensor; ids: gt.Tensor }) => p.w.sum())({
        w: f64([1]),
        ids: gt.constant([1], { dtype: "int32" }),
      }),
    TypeError,
    /^grad: argument 0\.ids has dtype int32; only float32 and float64 arguments can be differentiated$/,
  );
  throwsWith(
    () => gt.grad((_p: unknown) => f64(1))({ w: [f64(1), "x"] }),
    TypeError,
    /^grad: argument 0\.w\[1\] is "x" \(a string\); expected a Tensor, Variable or number/,
  );
});

Deno.test("grad with hasAux returns [grads, aux], valueAndGrad [[value, aux], grads]", () => {
  const f = (p: P, x: gt.Tensor) => [loss(p, x), { pred: p.w.mul(x) }] as const;
  const [g, aux] = gt.grad(f, { hasAux: true })({ w: f64(w0), b: f64(b0) }, f64(x0));
  assertAllClose(g.w, dw, tight);
  assertAllClose(aux.pred, w0.map((w, i) => w * x0[i]), tight);
  const [[v, aux2], g2] = gt.valueAndGrad(f, { hasAux: true })({ w: f64(w0), b: f64(b0) }, f64(x0));
  assertAllClose(v, r.reduce((s, ri) => s + ri * ri, 0), tight);
  assertAllClose(aux2.pred, w0.map((w, i) => w * x0[i]), tight);
  assertAllClose(g2.b, db, tight);
});

Deno.test("hasAux refuses f that does not return [value, aux], and a non-boolean hasAux", () => {
  throwsWith(
    () => gt.grad((x: gt.Tensor) => x.square() as never, { hasAux: true })(f64(1)),
    TypeError,
    /^grad: with hasAux, f must return \[value, aux\], not an object of type Tensor$/,
  );
  throwsWith(
    () => gt.valueAndGrad((x: gt.Tensor) => x, { hasAux: "yes" as unknown as false }),
    TypeError,
    /^valueAndGrad: hasAux must be true or false, not "yes" \(a string\)$/,
  );
});

Deno.test("jvp of records in and out; tangents must match the primals' structure", () => {
  const f = (p: P) => ({ s: p.w.add(p.b), m: p.w.mul(p.b) });
  const [out, t] = gt.jvp(f, [{ w: f64([1, 2]), b: f64(3) }], [{ w: f64([1, 0]), b: f64(1) }]);
  assertAllClose(out.m, [3, 6], tight);
  assertAllClose(t.s, [2, 1], tight);
  assertAllClose(t.m, [1 * 3 + 1 * 1, 0 * 3 + 2 * 1], tight);
  throwsWith(
    () => gt.jvp(f, [{ w: f64([1, 2]), b: f64(3) }], [{ w: f64([1, 0]) }]),
    TypeError,
    /^jvp: tangents\[0\] is an object with keys 'w', but primals\[0\] is a record with keys 'w', 'b': primals\[0\] has \{b: \*, w: \*\} there, tangents\[0\] has \{w: \*\}/,
  );
  throwsWith(
    () => gt.jvp(f, [{ w: f64([1, 2]), b: f64(3) }], [{ w: f64([1, 0, 0]), b: f64(1) }]),
    Error,
    /^jvp: tangent 0\.w has shape \[3\] and dtype float64, but its primal has shape \[2\]/,
  );
});

Deno.test("vjp of a tree: the cotangent has the output's structure, one gradient tree per primal", () => {
  const f = (p: P, x: gt.Tensor) => [p.w.mul(x), { total: gt.reduceSum(p.w).add(p.b) }];
  const [out, back] = gt.vjp(f, { w: f64(w0), b: f64(b0) }, f64(x0));
  assert.ok(Array.isArray(out));
  const [gp, gx] = back([f64([1, 1]), { total: f64(2) }]);
  assertAllClose(gp.w, x0.map((x) => x + 2), tight);
  assertAllClose(gp.b, 2, tight);
  assertAllClose(gx, w0, tight);
  throwsWith(
    () => back([f64([1, 1])]),
    TypeError,
    /^vjp: the cotangent is an array of length 1, but f's output is an array of length 2/,
  );
  throwsWith(
    () => back([f64([1, 1, 1]), { total: f64(2) }]),
    Error,
    /^vjp: the cotangent\[0\] has shape \[3\] but f's output\[0\] has shape \[2\]$/,
  );
});

Deno.test("jacfwd and jacrev nest the output's structure outside and the input's inside", () => {
  // f(p) = { y: w·b, z: [w²] }: ∂y/∂w = b·I, ∂y/∂b = w, ∂z/∂w = diag(2w), ∂z/∂b = 0.
  const f = (p: P) => ({ y: p.w.mul(p.b), z: [p.w.square()] });
  for (const jac of [gt.jacfwd, gt.jacrev]) {
    const j = jac(f)({ w: f64([1, 2]), b: f64(3) });
    assert.deepEqual(j.y.w.shape, [2, 2]);
    assert.deepEqual(j.y.b.shape, [2]);
    assertAllClose(j.y.w, [[3, 0], [0, 3]], tight);
    assertAllClose(j.y.b, [1, 2], tight);
    assertAllClose(j.z[0].w, [[2, 0], [0, 4]], tight);
    assertAllClose(j.z[0].b, [0, 0], tight);
  }
});

Deno.test("jacfwd and jacrev of a tree with argnums an array", () => {
  const f = (p: P, x: gt.Tensor) => [p.w.mul(x)];
  for (const jac of [gt.jacfwd, gt.jacrev]) {
    const j = jac(f, { argnums: [0, 1] })({ w: f64([1, 2]), b: f64(0) }, f64([3, 4]));
    const [jp, jx] = j[0];
    assertAllClose(jp.w, [[3, 0], [0, 4]], tight);
    assertAllClose(jx, [[1, 0], [0, 2]], tight);
  }
});

Deno.test("hessian of a record is a record of records", () => {
  // f = a²·b + b³: H = [[2b, 2a], [2a, 6b]]
  const h = gt.hessian((p: { a: gt.Tensor; b: gt.Tensor }) =>
    p.a.square().mul(p.b).add(p.b.pow(3))
  )({
    a: f64(1.5),
    b: f64(-0.5),
  });
  assertAllClose(h.a.a, -1, tight);
  assertAllClose(h.a.b, 3, tight);
  assertAllClose(h.b.a, 3, tight);
  assertAllClose(h.b.b, -3, tight);
});

Deno.test("hvp of trees gives one tree per primal", () => {
  const f = (p: { a: gt.Tensor; b: gt.Tensor }) => p.a.square().mul(p.b).add(p.b.pow(3));
  const [hv] = gt.hvp(f, [{ a: f64(1.5), b: f64(-0.5) }], [{ a: f64(1), b: f64(2) }]);
  assertAllClose(hv.a, -1 * 1 + 3 * 2, tight);
  assertAllClose(hv.b, 3 * 1 - 3 * 2, tight);
});

Deno.test("f returning a tree with a non-tensor leaf is refused, naming the place", () => {
  throwsWith(
    () => gt.jacrev((x: gt.Tensor) => ({ a: x, b: 3 }) as never)(f64(1)),
    TypeError,
    /^jacrev: f's output\.b is 3; f must return a Tensor, or an array or record of them$/,
  );
});
