/**
 * Behavioural tests of the JAX-style functional transforms (`grad`, `valueAndGrad`, `jvp`, `vjp`,
 * `jacfwd`, `jacrev`, `hessian`, `hvp`), against closed forms computed here in float64.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { f64, throwsWith } from "../_helpers.ts";

const tight = { rtol: 1e-10, atol: 1e-12 };

type Matrix = number[][];
const matVec = (M: Matrix, v: number[]) => M.map((row) => row.reduce((s, m, j) => s + m * v[j], 0));
const transposeM = (M: Matrix) => M[0].map((_, j) => M.map((row) => row[j]));

// f(x, y, z) = Σ x²·y + sin(z)·Σ x, with x, y vectors of length 3 and z a scalar.
const xs = [0.5, -1, 2], ys = [1.5, 0.25, -0.75], z0 = 0.3;
const fxyz = (x: gt.Tensor, y: gt.Tensor, z: gt.Tensor) =>
  gt.reduceSum(x.square().mul(y)).add(gt.sin(z).mul(gt.reduceSum(x)));
const dfdx = xs.map((x, i) => 2 * x * ys[i] + Math.sin(z0));
const dfdy = xs.map((x) => x * x);
const dfdz = Math.cos(z0) * xs.reduce((s, x) => s + x, 0);
const fValue = xs.reduce((s, x, i) => s + x * x * ys[i], 0) +
  Math.sin(z0) * xs.reduce((s, x) => s + x, 0);

Deno.test("grad", async (t) => {
  await t.step("with respect to the first argument by default", () => {
    const g = gt.grad(fxyz)(f64(xs), f64(ys), f64(z0));
    assert.ok(g instanceof gt.Tensor);
    assert.deepEqual(g.shape, [3]);
    assert.equal(g.dtype, "float64");
    assertAllClose(g, dfdx, tight);
  });

  await t.step("argnums as a number picks that argument", () => {
    assertAllClose(gt.grad(fxyz, { argnums: 1 })(f64(xs), f64(ys), f64(z0)), dfdy, tight);
    assertAllClose(gt.grad(fxyz, { argnums: 2 })(f64(xs), f64(ys), f64(z0)), dfdz, tight);
  });

  await t.step("argnums as an array gives an array of gradients in that order", () => {
    const gs = gt.grad(fxyz, { argnums: [2, 0] })(f64(xs), f64(ys), f64(z0));
    assert.ok(Array.isArray(gs));
    assert.equal(gs.length, 2);
    assertAllClose(gs[0], dfdz, tight);
    assertAllClose(gs[1], dfdx, tight);
  });

  await t.step("argnums [k] gives a one-element array, not a bare tensor", () => {
    const gs = gt.grad(fxyz, { argnums: [1] })(f64(xs), f64(ys), f64(z0));
    assert.ok(Array.isArray(gs));
    assert.equal(gs.length, 1);
    assertAllClose(gs[0], dfdy, tight);
  });

  await t.step("plain numbers and arrays are accepted (as float32)", () => {
    const g = gt.grad((x: gt.Tensor) => gt.reduceSum(x.pow(3)))([1, 2]);
    assert.equal(g.dtype, "float32");
    assertAllClose(g, [3, 12]);
  });

  await t.step("an argument f does not use gets zeros of its shape", () => {
    const g = gt.grad((_x: gt.Tensor, y: gt.Tensor) => y.square().sum())(f64([[1, 2]]), f64(3));
    assert.deepEqual(g.shape, [1, 2]);
    assertAllClose(g, [[0, 0]]);
  });

  await t.step("arguments that are not differentiated pass through untouched", () => {
    const opts = { scale: 3 };
    const g = gt.grad((x: gt.Tensor, o: { scale: number }) => {
      assert.equal(o, opts);
      return x.square().mul(o.scale);
    })(f64(2), opts);
    assertAllClose(g, 12);
  });

  await t.step("a variable argument is differentiated as well", () => {
    const w = new gt.Variable(f64([1, -2]), { name: "w" });
    const g = gt.grad((v: gt.Variable) => gt.reduceSum(gt.exp(v)))(w);
    assertAllClose(g, [Math.exp(1), Math.exp(-2)], tight);
  });

  await t.step("grad of grad is the second derivative", () => {
    const d1 = gt.grad((x: gt.Tensor) => gt.tanh(x));
    const d2 = gt.grad((x: gt.Tensor) => d1(x));
    const th = Math.tanh(0.6);
    assertAllClose(d2(f64(0.6)), -2 * th * (1 - th * th), tight);
  });
});

Deno.test("valueAndGrad", async (t) => {
  await t.step("returns f's value and the gradient (argnums a number)", () => {
    const [v, g] = gt.valueAndGrad(fxyz, { argnums: 1 })(f64(xs), f64(ys), f64(z0));
    assertAllClose(v, fValue, tight);
    assertAllClose(g, dfdy, tight);
  });

  await t.step("returns f's value and an array of gradients (argnums an array)", () => {
    const [v, gs] = gt.valueAndGrad(fxyz, { argnums: [0, 1, 2] })(f64(xs), f64(ys), f64(z0));
    assertAllClose(v, fValue, tight);
    assert.equal(gs.length, 3);
    assertAllClose(gs[0], dfdx, tight);
    assertAllClose(gs[1], dfdy, tight);
    assertAllClose(gs[2], dfdz, tight);
  });

  await t.step("the default is the first argument", () => {
    const [v, g] = gt.valueAndGrad((x: gt.Tensor) => gt.reduceSum(gt.sin(x)))(f64(xs));
    assertAllClose(v, xs.reduce((s, x) => s + Math.sin(x), 0), tight);
    assertAllClose(g, xs.map(Math.cos), tight);
  });
});

Deno.test("jvp", async (t) => {
  await t.step("returns f's output and its derivative along the tangents", () => {
    // f(a, b) = a·b + exp(a), elementwise
    const as = [0.1, -0.4], bs = [2, 3], ta = [1, 0.5], tb = [-1, 2];
    const [out, dout] = gt.jvp(
      (a: gt.Tensor, b: gt.Tensor) => a.mul(b).add(gt.exp(a)),
      [f64(as), f64(bs)],
      [f64(ta), f64(tb)],
    );
    assertAllClose(out, as.map((a, i) => a * bs[i] + Math.exp(a)), tight);
    assertAllClose(dout, as.map((a, i) => (bs[i] + Math.exp(a)) * ta[i] + a * tb[i]), tight);
  });

  await t.step("a non-scalar output of another shape", () => {
    // f(x) = outer product x·xᵀ, d = t·xᵀ + x·tᵀ
    const x0 = [1, 2, 3], t0 = [0, 1, -1];
    const [out, dout] = gt.jvp(
      (x: gt.Tensor) => gt.matmul(gt.reshape(x, [3, 1]), gt.reshape(x, [1, 3])),
      [f64(x0)],
      [f64(t0)],
    );
    assert.deepEqual(out.shape, [3, 3]);
    assertAllClose(dout, x0.map((xi, i) => x0.map((xj, j) => t0[i] * xj + xi * t0[j])));
  });

  await t.step("an output that does not depend on the primals has a zero tangent", () => {
    const [, d] = gt.jvp((_x: gt.Tensor) => f64([1, 2]), [f64(1)], [f64(1)]);
    assertAllClose(d, [0, 0]);
  });

  await t.step("mismatched primals and tangents are refused", () => {
    throwsWith(() => gt.jvp((x: gt.Tensor) => x, [f64(1), f64(2)], [f64(1)]), Error, /2 primals/);
    throwsWith(() => gt.jvp((x: gt.Tensor) => x, [f64([1, 2])], [f64([1, 2, 3])]), Error, /\[3\]/);
  });
});

Deno.test("vjp", async (t) => {
  // f(A, x) = A·x; vjp(c) = [c·xᵀ, Aᵀ·c]
  const A = [[1, 2], [3, 4], [5, 6]];
  const x0 = [0.5, -1];
  const f = (a: gt.Tensor, x: gt.Tensor) => gt.reshape(gt.matmul(a, gt.reshape(x, [2, 1])), [3]);

  await t.step("returns f's output and a function pulling cotangents back to each primal", () => {
    const [out, back] = gt.vjp(f, f64(A), f64(x0));
    assertAllClose(out, matVec(A, x0), tight);
    const c = [1, -1, 2];
    const [gA, gx] = back(f64(c));
    assert.deepEqual(gA.shape, [3, 2]);
    assertAllClose(gA, c.map((ci) => x0.map((xj) => ci * xj)), tight);
    assertAllClose(gx, matVec(transposeM(A), c), tight);
  });

  await t.step("vjpFn may be called several times with different cotangents", () => {
    const [, back] = gt.vjp(f, f64(A), f64(x0));
    for (const c of [[1, 0, 0], [0, 1, 0], [0, 0, 1], [2, -3, 0.5]]) {
      const [gA, gx] = back(f64(c));
      assertAllClose(gA, c.map((ci) => x0.map((xj) => ci * xj)), tight);
      assertAllClose(gx, matVec(transposeM(A), c), tight);
    }
  });

  await t.step("a cotangent of the wrong shape is refused, and vjpFn still works after", () => {
    const [, back] = gt.vjp(f, f64(A), f64(x0));
    throwsWith(() => back(f64([1, 2])), Error, /\[2\]/, /\[3\]/);
    assertAllClose(back(f64([1, 1, 1]))[1], matVec(transposeM(A), [1, 1, 1]), tight);
  });

  await t.step("a primal f does not use gets zeros", () => {
    const [, back] = gt.vjp((a: gt.Tensor, _b: gt.Tensor) => a.mul(2), f64([1, 2]), f64([[3]]));
    const [ga, gb] = back(f64([1, 1]));
    assertAllClose(ga, [2, 2]);
    assertAllClose(gb, [[0]]);
  });
});

Deno.test("jacfwd and jacrev", async (t) => {
  // f(X) = tanh(Xᵀ·W) for X [2, 3] and W [2, 4]: Y [3, 4], J [3, 4, 2, 3], with
  // ∂Y[i][k]/∂X[a][b] = (1 − Y[i][k]²)·δ(i, b)·W[a][k].
  const X = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]];
  const W = [[1, -0.5, 0.25, 2], [0.75, 1.5, -1, 0.5]];
  const f = (x: gt.Tensor, w: gt.Tensor) => gt.tanh(gt.matmul(gt.transpose(x), w));
  const Y = [0, 1, 2].map((i) =>
    [0, 1, 2, 3].map((k) => Math.tanh(X[0][i] * W[0][k] + X[1][i] * W[1][k]))
  );
  const JX = Y.map((row, i) =>
    row.map((y, k) => X.map((xr, a) => xr.map((_, b) => (i === b ? (1 - y * y) * W[a][k] : 0))))
  );
  // ∂Y[i][k]/∂W[a][c] = (1 − Y[i][k]²)·X[a][i]·δ(k, c)
  const JW = Y.map((row, i) =>
    row.map((y, k) => W.map((wr, a) => wr.map((_, c) => (k === c ? (1 - y * y) * X[a][i] : 0))))
  );

  await t.step("jacfwd: shape [...out, ...arg] and closed-form values", () => {
    const j = gt.jacfwd(f)(f64(X), f64(W));
    assert.deepEqual(j.shape, [3, 4, 2, 3]);
    assertAllClose(j, JX, tight);
  });

  await t.step("jacrev: shape [...out, ...arg] and closed-form values", () => {
    const j = gt.jacrev(f)(f64(X), f64(W));
    assert.deepEqual(j.shape, [3, 4, 2, 3]);
    assertAllClose(j, JX, tight);
  });

  await t.step("jacfwd equals jacrev on non-square rank-2 inputs", () => {
    for (const argnums of [0, 1]) {
      const jf = gt.jacfwd(f, { argnums })(f64(X), f64(W));
      const jr = gt.jacrev(f, { argnums })(f64(X), f64(W));
      assert.deepEqual(jf.shape, jr.shape);
      assertAllClose(jf, jr.toArray() as number[], { rtol: 1e-12, atol: 1e-14 });
    }
  });

  await t.step("argnums as an array gives one Jacobian per argument, in both modes", () => {
    for (const jac of [gt.jacfwd, gt.jacrev]) {
      const [jx, jw] = jac(f, { argnums: [0, 1] })(f64(X), f64(W));
      assert.deepEqual(jx.shape, [3, 4, 2, 3]);
      assert.deepEqual(jw.shape, [3, 4, 2, 4]);
      assertAllClose(jx, JX, tight);
      assertAllClose(jw, JW, tight);
    }
  });

  await t.step("a scalar function: the Jacobian is the gradient", () => {
    const g = (x: gt.Tensor) => gt.reduceSum(x.pow(3));
    const xv = [[1, 2, 3], [-1, 0.5, 2]];
    const expected = xv.map((r) => r.map((v) => 3 * v * v));
    assertAllClose(gt.jacfwd(g)(f64(xv)), expected, tight);
    assertAllClose(gt.jacrev(g)(f64(xv)), expected, tight);
  });
});

Deno.test("hessian and hvp", async (t) => {
  // f(x) = Σ x⁴ + x·A·x, A not symmetric: H = diag(12x²) + A + Aᵀ
  const A = [[1, 2, 0], [-1, 3, 0.5], [4, -2, 1]];
  const x0 = [0.5, -1, 1.5];
  const quartic = (x: gt.Tensor) =>
    gt.reduceSum(x.pow(4)).add(
      gt.reduceSum(x.mul(gt.reshape(gt.matmul(f64(A), gt.reshape(x, [3, 1])), [3]))),
    );
  const H = A.map((row, i) => row.map((a, j) => a + A[j][i] + (i === j ? 12 * x0[i] ** 2 : 0)));

  await t.step("Σx⁴ + x·Ax: H = diag(12x²) + A + Aᵀ", () => {
    const h = gt.hessian(quartic)(f64(x0));
    assert.deepEqual(h.shape, [3, 3]);
    assertAllClose(h, H, tight);
  });

  await t.step("the Hessian is symmetric even for a non-symmetric A", () => {
    const h = gt.hessian(quartic)(f64(x0)).toArray() as Matrix;
    assertAllClose(h, transposeM(h), tight);
  });

  await t.step("a polynomial in two variables: x²·y + y³", () => {
    const [a, b] = [1.5, -0.5];
    const h = gt.hessian((v: gt.Tensor) => {
      const [x, y] = gt.split(v, 2);
      return gt.reduceSum(x.square().mul(y).add(y.pow(3)));
    })(f64([a, b]));
    assertAllClose(h, [[2 * b, 2 * a], [2 * a, 6 * b]], tight);
  });

  await t.step("a rank-2 argument: shape [...arg, ...arg]", () => {
    const xv = [[1, 2], [3, -1]];
    const h = gt.hessian((x: gt.Tensor) => gt.reduceSum(x.pow(3)))(f64(xv));
    assert.deepEqual(h.shape, [2, 2, 2, 2]);
    const flat = xv.flat();
    const expected = xv.map((r, i) =>
      r.map((_, j) =>
        xv.map((r2, k) => r2.map((__, l) => (i === k && j === l ? 6 * flat[i * 2 + j] : 0)))
      )
    );
    assertAllClose(h, expected, tight);
  });

  await t.step("argnums picks the argument", () => {
    // g(c, x) = c·Σ exp(x): the Hessian in x is diag(c·eˣ)
    const h = gt.hessian((c: gt.Tensor, x: gt.Tensor) => gt.reduceSum(gt.exp(x)).mul(c), {
      argnums: 1,
    })(f64(2), f64([0, 1]));
    assertAllClose(h, [[2, 0], [0, 2 * Math.E]], tight);
  });

  await t.step("hvp equals hessian·v without forming the Hessian", () => {
    for (const v of [[1, 0, 0], [0.5, -1, 2], [3, 3, -3]]) {
      const [hv] = gt.hvp(quartic, [f64(x0)], [f64(v)]);
      assert.deepEqual(hv.shape, [3]);
      assertAllClose(hv, matVec(H, v), tight);
      const h = gt.hessian(quartic)(f64(x0)).toArray() as Matrix;
      assertAllClose(hv, matVec(h, v), tight);
    }
  });

  await t.step("hvp with several primals: one block row per primal", () => {
    // f(x, y) = Σ x²·y: H_xx = diag(2y), H_xy = diag(2x), H_yy = 0
    const xv = [1, -2], yv = [0.5, 3], vx = [1, 2], vy = [-1, 0.5];
    const out = gt.hvp(
      (x: gt.Tensor, y: gt.Tensor) => gt.reduceSum(x.square().mul(y)),
      [f64(xv), f64(yv)],
      [f64(vx), f64(vy)],
    );
    assert.equal(out.length, 2);
    assertAllClose(out[0], xv.map((x, i) => 2 * yv[i] * vx[i] + 2 * x * vy[i]), tight);
    assertAllClose(out[1], xv.map((x, i) => 2 * x * vx[i]), tight);
  });
});

Deno.test("transforms compose", async (t) => {
  // f(x) = Σ tanh(x): H = diag(tanh''(x)), and the gradient of Σ H is tanh'''(x).
  const x0 = [0.3, -0.7, 1.2];
  const th = x0.map(Math.tanh);
  const d2 = th.map((v) => -2 * v * (1 - v * v));
  const d3 = th.map((v) => -2 * (1 - v * v) * (1 - 3 * v * v));
  const diag = (d: number[]) => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
  const f = (x: gt.Tensor) => gt.reduceSum(gt.tanh(x));

  await t.step("jacfwd(grad f) = jacrev(grad f) = hessian f", () => {
    assertAllClose(gt.jacfwd(gt.grad(f))(f64(x0)), diag(d2), tight);
    assertAllClose(gt.jacrev(gt.grad(f))(f64(x0)), diag(d2), tight);
    assertAllClose(gt.hessian(f)(f64(x0)), diag(d2), tight);
  });

  await t.step("grad of the sum of the Hessian is the third derivative", () => {
    const g = gt.grad((x: gt.Tensor) => gt.reduceSum(gt.hessian(f)(x)))(f64(x0));
    assertAllClose(g, d3, tight);
  });

  await t.step("a tape around hessian differentiates it", () => {
    const x = f64(x0);
    const tape = new gt.GradientTape();
    const h = tape.record(() => {
      tape.watch(x);
      return gt.hessian(f)(x);
    });
    const g = tape.gradient(h, x);
    assert.ok(g !== null);
    assertAllClose(g, d3, tight);
  });

  await t.step("an accumulator around jacfwd differentiates it", () => {
    const x = f64(x0);
    const v = [1, -1, 2];
    const acc = new gt.ForwardAccumulator(x, f64(v));
    const j = acc.record(() => gt.jacfwd((u: gt.Tensor) => gt.tanh(u))(x));
    const dj = acc.jvp(j);
    assert.ok(dj !== null);
    assertAllClose(dj, diag(d2.map((d, i) => d * v[i])), tight);
  });
});

Deno.test("transforms with Variable arguments", async (t) => {
  const w0 = [1, -2];

  await t.step("grad, jvp and hvp differentiate with respect to a Variable argument", () => {
    const w = new gt.Variable(f64(w0), { name: "w" });
    const f = (v: gt.Variable) => gt.reduceSum(v.pow(3));
    assertAllClose(gt.grad(f)(w), w0.map((x) => 3 * x * x), tight);
    assertAllClose(gt.jvp(f, [w], [f64([1, 1])])[1], w0.reduce((s, x) => s + 3 * x * x, 0), tight);
    assertAllClose(gt.hvp(f, [w], [f64([1, 1])])[0], w0.map((x) => 6 * x), tight);
  });

  await t.step("jacrev of a Variable argument", () => {
    const w = new gt.Variable(f64(w0), { name: "w" });
    assertAllClose(gt.jacrev((v: gt.Variable) => v.square())(w), [[2, 0], [0, -4]], tight);
  });

  await t.step("jacfwd and hessian of a Variable argument", () => {
    const w = new gt.Variable(f64(w0), { name: "w" });
    assertAllClose(gt.jacfwd((v: gt.Variable) => v.square())(w), [[2, 0], [0, -4]], tight);
    assertAllClose(
      gt.hessian((v: gt.Variable) => gt.reduceSum(v.pow(3)))(w),
      [[6, 0], [0, -12]],
      tight,
    );
  });
});

Deno.test("transforms on customGradient functions", async (t) => {
  // The value is x³, but the reverse rule deliberately says d/dx = cos x.
  const cube = gt.customGradient((x) => [x.pow(3), (dy) => dy.mul(gt.cos(x))]);
  const x0 = [0.4, -1.1];
  const v0 = [1, 2];
  const f = (x: gt.Tensor) => gt.reduceSum(cube(x));

  await t.step(
    "grad and jacrev use the custom rule; jvp and jacfwd the forward computation",
    () => {
      assertAllClose(gt.grad(f)(f64(x0)), x0.map(Math.cos), tight);
      assertAllClose(gt.jacrev(cube)(f64(x0)), [[Math.cos(x0[0]), 0], [0, Math.cos(x0[1])]], tight);
      const dot = x0.reduce((s, x, i) => s + 3 * x * x * v0[i], 0);
      assertAllClose(gt.jvp(f, [f64(x0)], [f64(v0)])[1], dot, tight);
      assertAllClose(gt.jacfwd(cube)(f64(x0)), [[3 * x0[0] ** 2, 0], [0, 3 * x0[1] ** 2]], tight);
    },
  );

  await t.step("hvp is reverse over forward: it differentiates the forward computation", () => {
    assertAllClose(gt.hvp(f, [f64(x0)], [f64(v0)])[0], x0.map((x, i) => 6 * x * v0[i]), tight);
  });

  await t.step(
    "hessian is reverse over forward, and agrees with hvp, on a customGradient function",
    () => {
      const h = gt.hessian(f)(f64(x0));
      assertAllClose(h, [[6 * x0[0], 0], [0, 6 * x0[1]]], tight);
      const [hv] = gt.hvp(f, [f64(x0)], [f64(v0)]);
      assertAllClose(hv, matVec(h.toArray() as Matrix, v0), tight);
    },
  );
});

Deno.test("transform errors", async (t) => {
  await t.step("grad of a non-scalar f is refused, saying f must return a scalar", () => {
    throwsWith(() => gt.grad((x: gt.Tensor) => x.square())(f64([1, 2])), Error, /scalar/, /\[2\]/);
  });

  await t.step("grad of an integer or bool output is refused, not a gradient of zeros", () => {
    const x = f64([1, 3, 2]);
    throwsWith(() => gt.grad((x: gt.Tensor) => gt.argMax(x))(x), TypeError, /grad/, /int32/);
    throwsWith(
      () => gt.valueAndGrad((x: gt.Tensor) => gt.greater(gt.reduceSum(x), 0))(x),
      TypeError,
      /bool/,
      /cast/,
    );
  });

  await t.step("an axis given for a scalar says a scalar has none", () => {
    throwsWith(() => gt.reduceSum(f64(2), 0), RangeError, /rank 0/, /a scalar has no axis/);
    throwsWith(() => gt.softmax(f64(2)), RangeError, /a scalar has no axis/);
    throwsWith(() => gt.vmap((a: gt.Tensor) => a)(f64(2)), RangeError, /no axis to map over/);
  });

  await t.step("valueAndGrad and hessian refuse a non-scalar f as well", () => {
    throwsWith(() => gt.valueAndGrad((x: gt.Tensor) => x.square())(f64([1, 2])), Error, /scalar/);
    throwsWith(() => gt.hessian((x: gt.Tensor) => x.square())(f64([1, 2])), Error, /scalar/);
    throwsWith(
      () => gt.hvp((x: gt.Tensor) => x.square(), [f64([1, 2])], [f64([1, 1])]),
      Error,
      /scalar/,
    );
  });

  await t.step("argnums out of range is refused with a RangeError naming it", () => {
    const f = (a: gt.Tensor, b: gt.Tensor) => a.mul(b).sum();
    throwsWith(
      () => gt.grad(f, { argnums: 2 })(f64(1), f64(2)),
      RangeError,
      /^grad: argnums 2 is out of range for a call with 2 arguments: use -2 to 1$/,
    );
    throwsWith(() => gt.grad(f, { argnums: -3 })(f64(1), f64(2)), RangeError, /argnums -3/);
    throwsWith(() => gt.grad(f, { argnums: [0, 5] })(f64(1), f64(2)), RangeError, /5/);
    throwsWith(() => gt.valueAndGrad(f, { argnums: 3 })(f64(1), f64(2)), RangeError, /argnums/);
    throwsWith(() => gt.jacfwd(f, { argnums: 2 })(f64(1), f64(2)), RangeError, /argnums/);
    throwsWith(() => gt.jacrev(f, { argnums: 2 })(f64(1), f64(2)), RangeError, /argnums/);
    throwsWith(() => gt.hessian(f, { argnums: 2 })(f64(1), f64(2)), RangeError, /argnums/);
  });

  await t.step("a non-floating argument to differentiate is refused, naming its dtype", () => {
    throwsWith(
      () =>
        gt.grad((x: gt.Tensor) => gt.cast(x, "float32").sum())(
          gt.constant([1, 2], { dtype: "int32" }),
        ),
      TypeError,
      /int32/,
    );
  });

  await t.step("each transform's errors name the transform that was called", () => {
    const f = (a: gt.Tensor) => a.square();
    throwsWith(() => gt.grad(f, { argnums: 1 })(f64(1)), RangeError, /^grad:/);
    throwsWith(() => gt.valueAndGrad(f)(f64([1, 2])), Error, /^valueAndGrad:/);
    const notTensor = (() => 5) as unknown as gt.TensorFn;
    throwsWith(
      () => gt.jvp(f, [f64([1, 2])], [f64([1, 2, 3])]),
      Error,
      /^jvp: tangent 0 has shape \[3\] and dtype float64, but its primal has shape \[2\]/,
    );
    throwsWith(
      () => gt.hvp((a: gt.Tensor) => a.sum(), [f64([1, 2])], [f64([1, 2, 3])]),
      Error,
      /^hvp: tangent 0 has shape \[3\]/,
    );
    throwsWith(() => gt.hvp(f, [f64(1)], []), Error, /^hvp: 1 primals but 0 tangents/);
    throwsWith(
      () => gt.jvp(notTensor, [1], [1]),
      TypeError,
      /^jvp: f must return a Tensor, not 5$/,
    );
    throwsWith(() => gt.vjp(notTensor, 1), TypeError, /^vjp: f must return a Tensor, not 5$/);
    throwsWith(() => gt.jacrev(notTensor)(1), TypeError, /^jacrev: f must return a Tensor, not 5$/);
    throwsWith(() => gt.jacfwd(notTensor)(1), TypeError, /^jacfwd: f must return a Tensor, not 5$/);
    throwsWith(() => gt.hessian(notTensor)(1), TypeError, /^hessian: f must return a Tensor/);
  });

  await t.step("every transform refuses a non-function, naming itself and the value", () => {
    const five = 5 as unknown as gt.TensorFn;
    for (
      const [name, make] of [
        ["grad", () => gt.grad(five)],
        ["valueAndGrad", () => gt.valueAndGrad(five)],
        ["jacfwd", () => gt.jacfwd(five)],
        ["jacrev", () => gt.jacrev(five)],
        ["hessian", () => gt.hessian(five)],
        ["jvp", () => gt.jvp(five, [1], [1])],
        ["vjp", () => gt.vjp(five, 1)],
        ["hvp", () => gt.hvp(five, [1], [1])],
        ["customGradient", () => gt.customGradient(five as never)],
      ] as const
    ) {
      throwsWith(make, TypeError, new RegExp(`^${name}: f must be a function, not 5$`));
    }
  });

  await t.step("jvp and hvp refuse primals or tangents that are not arrays", () => {
    const f = (a: gt.Tensor) => a.square().sum();
    throwsWith(
      () => gt.jvp(f, 2 as unknown as number[], [1]),
      TypeError,
      /^jvp: primals must be an array with one entry per argument of f, not 2$/,
    );
    throwsWith(
      () => gt.hvp(f, [2], 1 as unknown as number[]),
      TypeError,
      /^hvp: tangents must be an array with one entry per argument of f, not 1$/,
    );
  });

  await t.step("an async f is refused and its rejection handled", async () => {
    const f = (async () => {
      await Promise.resolve();
      throw new Error("x");
    }) as unknown as gt.TensorFn;
    throwsWith(() => gt.grad(f)(1), TypeError, /^grad: f returned a Promise/);
    throwsWith(() => gt.jvp(f, [1], [1]), TypeError, /^jvp: f returned a Promise/);
    throwsWith(() => gt.jacfwd(f)(1), TypeError, /^jacfwd: f returned a Promise/);
    throwsWith(() => gt.vjp(f, 1), TypeError, /^vjp: f returned a Promise/);
    // Deno's test sanitizer fails the test if a rejection is left unhandled.
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
});

Deno.test("transform options from plain JavaScript", async (t) => {
  const f = (a: gt.Tensor, b: gt.Tensor) => a.mul(b).sum();
  type Options = { argnums?: number };

  await t.step("grad(f, 1) is refused: options must be an object", () => {
    throwsWith(
      () => gt.grad(f, 1 as unknown as Options),
      TypeError,
      /^grad: options must be an object such as \{ argnums: … \}, not 1$/,
    );
    for (
      const [name, make] of [
        ["valueAndGrad", () => gt.valueAndGrad(f, "0" as unknown as Options)],
        ["jacfwd", () => gt.jacfwd(f, 0 as unknown as Options)],
        ["jacrev", () => gt.jacrev(f, [0] as unknown as Options)],
        ["hessian", () => gt.hessian(f, null as unknown as Options)],
      ] as const
    ) {
      throwsWith(make, TypeError, new RegExp(`^${name}: options must be an object`));
    }
  });

  await t.step("a misspelt option name is refused, listing the accepted one", () => {
    throwsWith(
      () => gt.grad(f, { argnum: 1 } as unknown as Options),
      TypeError,
      /^grad: unknown option 'argnum' \(did you mean 'argnums'\?\): the accepted options are 'argnums', 'hasAux'$/,
    );
    throwsWith(
      () => gt.hessian(f, { hasAux: true } as unknown as Options),
      TypeError,
      /^hessian: unknown option 'hasAux'/,
    );
  });

  await t.step("argnums that is not an integer, or an array of integers, is refused", () => {
    throwsWith(
      () => gt.grad(f, { argnums: 0.5 }),
      TypeError,
      /^grad: argnums must be an integer, not 0\.5$/,
    );
    throwsWith(
      () => gt.jacrev(f, { argnums: "1" as unknown as number }),
      TypeError,
      /^jacrev: argnums must be an integer, not "1" \(a string\)$/,
    );
    throwsWith(
      () => gt.valueAndGrad(f, { argnums: [0, NaN] }),
      TypeError,
      /^valueAndGrad: argnums\[1\] must be an integer, not NaN$/,
    );
    throwsWith(
      () => gt.jacfwd(f, { argnums: [] }),
      TypeError,
      /^jacfwd: argnums is an empty array/,
    );
    throwsWith(
      () => gt.hessian(f, { argnums: [0, 1] as unknown as number }),
      TypeError,
      /^hessian: argnums must be one integer/,
    );
  });

  await t.step("negative argnums count from the end, as in JAX", () => {
    const x = f64(2), y = f64(3);
    assertAllClose(gt.grad(f, { argnums: -1 })(x, y), 2, tight);
    const [ga, gb] = gt.grad(f, { argnums: [-2, -1] })(x, y);
    assertAllClose(ga, 3, tight);
    assertAllClose(gb, 2, tight);
    assertAllClose(gt.jacrev(f, { argnums: -1 })(x, y), 2, tight);
    assertAllClose(gt.jacfwd(f, { argnums: -2 })(x, y), 3, tight);
    assertAllClose(
      gt.hessian((a: gt.Tensor, b: gt.Tensor) => a.mul(b.square()), {
        argnums: -1,
      })(x, y),
      2 * 2,
      tight,
    );
  });
});

Deno.test("vjp inside tidy", async (t) => {
  await t.step("a vjpFn made inside tidy works after the tidy ends", () => {
    const back = gt.tidy(() => {
      const [, back] = gt.vjp(
        (x: gt.Tensor, w: gt.Tensor) => gt.exp(x.mul(w)).sum(),
        f64([1, 2]),
        f64([0.5, -1]),
      );
      return back;
    });
    // Allocations after the tidy reuse the buffers it gave back, if any were the vjp's.
    for (let i = 0; i < 4; i++) gt.tidy(() => f64([9, 9]).mul(f64([9, 9])));
    const [gx, gw] = back(f64(2));
    assertAllClose(gx, [0.5, -1].map((w, i) => 2 * w * Math.exp([1, 2][i] * w)), tight);
    assertAllClose(gw, [1, 2].map((x, i) => 2 * x * Math.exp(x * [0.5, -1][i])), tight);
  });

  await t.step("with a variable primal updated inside the same tidy", () => {
    const v = new gt.Variable(f64([1, 2]), { name: "v" });
    // Now v holds a value it made itself, which an update may give up to a tidy for reuse.
    gt.tidy(() => v.assignSub(f64([0, 0])));
    const back = gt.tidy(() => {
      const [, back] = gt.vjp((u: gt.Variable) => u.square().sum(), v);
      v.assignSub(f64([10, 10]));
      return back;
    });
    assertAllClose(back(f64(1))[0], [2, 4], tight);
  });
});
