/**
 * Higher-order derivatives from nested tapes, against closed forms computed here in float64.
 * `exp`, `tanh` and `sigmoid` are the interesting ones: their rules reuse the op's output, which
 * an outer tape must see as a function of the input (TensorFlow.js loses that path, tfjs#3252).
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";

const f64 = (v: gt.TensorLike) => gt.constant(v, { dtype: "float64" });

function present(g: gt.Tensor | null, what = "gradient"): gt.Tensor {
  assert.ok(g instanceof gt.Tensor, `expected a Tensor for the ${what}, got ${g}`);
  return g;
}

/**
 * f(x) and its first three derivatives at `x`, elementwise, from three nested tapes: each
 * outer tape differentiates the inner tape's gradient call.
 */
function threeDerivatives(
  f: (x: gt.Tensor) => gt.Tensor,
  x: gt.Tensor,
): [gt.Tensor, gt.Tensor, gt.Tensor, gt.Tensor] {
  const t3 = new gt.GradientTape();
  let y!: gt.Tensor, d1!: gt.Tensor, d2!: gt.Tensor;
  t3.record(() => {
    t3.watch(x);
    const t2 = new gt.GradientTape();
    t2.record(() => {
      t2.watch(x);
      const t1 = new gt.GradientTape();
      y = t1.record(() => {
        t1.watch(x);
        return f(x);
      });
      d1 = present(t1.gradient(y, x), "first derivative");
    });
    d2 = present(t2.gradient(d1, x), "second derivative");
  });
  const d3 = present(t3.gradient(d2, x), "third derivative");
  return [y, d1, d2, d3];
}

interface Case {
  name: string;
  f: (x: gt.Tensor) => gt.Tensor;
  /** f, f', f'', f''' at one point, in float64. */
  closed: [
    (x: number) => number,
    (x: number) => number,
    (x: number) => number,
    (x: number) => number,
  ];
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));

const cases: Case[] = [
  {
    name: "x⁴",
    f: (x) => x.pow(4),
    closed: [(x) => x ** 4, (x) => 4 * x ** 3, (x) => 12 * x ** 2, (x) => 24 * x],
  },
  {
    name: "x⁴ as x·x·x·x",
    f: (x) => x.mul(x).mul(x).mul(x),
    closed: [(x) => x ** 4, (x) => 4 * x ** 3, (x) => 12 * x ** 2, (x) => 24 * x],
  },
  {
    name: "eˣ·sin x",
    f: (x) => x.exp().mul(x.sin()),
    closed: [
      (x) => Math.exp(x) * Math.sin(x),
      (x) => Math.exp(x) * (Math.sin(x) + Math.cos(x)),
      (x) => 2 * Math.exp(x) * Math.cos(x),
      (x) => 2 * Math.exp(x) * (Math.cos(x) - Math.sin(x)),
    ],
  },
  {
    name: "tanh",
    f: (x) => gt.tanh(x),
    closed: [
      Math.tanh,
      (x) => 1 - Math.tanh(x) ** 2,
      (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2),
      (x) => -2 * (1 - Math.tanh(x) ** 2) * (1 - 3 * Math.tanh(x) ** 2),
    ],
  },
  {
    name: "sigmoid",
    f: (x) => gt.sigmoid(x),
    closed: [
      sig,
      (x) => sig(x) * (1 - sig(x)),
      (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)),
      (x) => sig(x) * (1 - sig(x)) * (1 - 6 * sig(x) + 6 * sig(x) ** 2),
    ],
  },
  {
    name: "exp",
    f: (x) => gt.exp(x),
    closed: [Math.exp, Math.exp, Math.exp, Math.exp],
  },
  {
    name: "exp(2x) (the output reused through a chain)",
    f: (x) => gt.exp(x.mul(2)),
    closed: [
      (x) => Math.exp(2 * x),
      (x) => 2 * Math.exp(2 * x),
      (x) => 4 * Math.exp(2 * x),
      (x) => 8 * Math.exp(2 * x),
    ],
  },
];

const points = [-1.3, -0.4, 0, 0.25, 0.9, 1.7];

Deno.test("nested tapes give the 2nd and 3rd derivatives of elementwise functions", async (t) => {
  for (const c of cases) {
    await t.step(`${c.name}: f', f'' and f''' match their closed forms`, () => {
      const x = f64(points);
      const [y, d1, d2, d3] = threeDerivatives(c.f, x);
      for (let k = 0; k < 4; k++) {
        const got = [y, d1, d2, d3][k];
        assert.equal(got.dtype, "float64");
        assert.deepEqual(got.shape, [points.length]);
        assertAllClose(got, points.map(c.closed[k]), {
          rtol: 1e-10,
          atol: 1e-10,
          msg: `${c.name}, derivative ${k}`,
        });
      }
    });
  }

  await t.step("float32 inputs give float32 derivatives of the same values", () => {
    const x = gt.constant(points);
    const [, d1, d2, d3] = threeDerivatives((v) => gt.tanh(v), x);
    const th = points.map(Math.tanh);
    for (const d of [d1, d2, d3]) assert.equal(d.dtype, "float32");
    assertAllClose(d3, th.map((t) => -2 * (1 - t * t) * (1 - 3 * t * t)), {
      rtol: 1e-4,
      atol: 1e-5,
    });
  });
});

Deno.test("nested tapes through matmul", async (t) => {
  // f(x) = q², q = xᵀAx, for a column x and a non-symmetric A. With S = A + Aᵀ and u = S·x:
  //   ∇f = 2q·u;  H = 2·u·uᵀ + 2q·S;
  //   the third tape differentiates h = Σᵢ(H·1)ᵢ = 2(1ᵀu)² + 2q(1ᵀS1): ∇h = 4(1ᵀu)·S1 + 2(1ᵀS1)·u.
  const A = [[1, 2, 0], [-1, 0.5, 3], [0.25, -2, 1]];
  const xs = [0.3, -0.7, 1.1];
  const n = xs.length;
  const S = A.map((row, i) => row.map((v, j) => v + A[j][i]));
  const u = S.map((row) => row.reduce((s, v, j) => s + v * xs[j], 0));
  const q = xs.reduce((s, xi, i) => s + xi * A[i].reduce((t, v, j) => t + v * xs[j], 0), 0);
  const S1 = S.map((row) => row.reduce((s, v) => s + v, 0));
  const sumU = u.reduce((s, v) => s + v, 0);
  const sumS = S1.reduce((s, v) => s + v, 0);

  const f = (x: gt.Tensor) => {
    const qq = gt.matmul(gt.transpose(x), gt.matmul(f64(A), x)); // [1, 1]
    return qq.square();
  };

  await t.step("first, second (summed rows) and third derivatives of (xᵀAx)²", () => {
    const x = f64(xs.map((v) => [v]));
    const [y, d1, d2, d3] = threeDerivatives(f, x);
    assertAllClose(y, [[q * q]], { rtol: 1e-12 });
    assertAllClose(d1, u.map((v) => [2 * q * v]), { rtol: 1e-12 });
    const H = u.map((ui, i) => u.map((uj, j) => 2 * ui * uj + 2 * q * S[i][j]));
    assertAllClose(d2, H.map((row) => [row.reduce((s, v) => s + v, 0)]), { rtol: 1e-12 });
    assertAllClose(d3, S1.map((s1, i) => [4 * sumU * s1 + 2 * sumS * u[i]]), { rtol: 1e-12 });
  });

  await t.step("an outer jacobian of an inner gradient is the full Hessian", () => {
    const x = f64(xs.map((v) => [v]));
    const outer = new gt.GradientTape();
    const g = outer.record(() => {
      outer.watch(x);
      const inner = new gt.GradientTape();
      const y = inner.record(() => {
        inner.watch(x);
        return f(x);
      });
      return present(inner.gradient(y, x));
    });
    const H = present(outer.jacobian(g, x));
    assert.deepEqual(H.shape, [n, 1, n, 1]);
    const expected = u.map((ui, i) => [u.map((uj, j) => [2 * ui * uj + 2 * q * S[i][j]])]);
    assertAllClose(H, expected, { rtol: 1e-12 });
  });

  await t.step("an outer tape differentiates an inner jacobian and batchJacobian", () => {
    const xs = [[1, 2], [-0.5, 3]];
    const x = f64(xs);
    const outer = new gt.GradientTape({ persistent: true });
    const [J, B] = outer.record(() => {
      outer.watch(x);
      const inner = new gt.GradientTape({ persistent: true });
      const y = inner.record(() => {
        inner.watch(x);
        return x.pow(3);
      });
      return [present(inner.jacobian(y, x)), present(inner.batchJacobian(y, x))];
    });
    assert.deepEqual(J.shape, [2, 2, 2, 2]);
    assert.deepEqual(B.shape, [2, 2, 2]);
    // Both hold 3x² on their diagonals and zeros elsewhere: the gradient of their sum is 6x.
    const sixX = xs.map((r) => r.map((v) => 6 * v));
    assertAllClose(present(outer.gradient(J, x)), sixX, { rtol: 1e-12 });
    assertAllClose(present(outer.gradient(B, x)), sixX, { rtol: 1e-12 });
  });

  await t.step("matrix weights: d²/dW² of Σ exp(X·W) against its closed form", () => {
    // y = Σ_{b,k} exp(Σ_j X[b][j]·W[j][k]); the second tape differentiates Σ of the gradient:
    // ∂/∂W[a][c] Σ_{j,k} X[b][j]·e_{bk} summed over b = Σ_b X[b][a]·(Σ_j X[b][j])·e_{bc}.
    const X = [[0.5, -1], [0.25, 0.75], [1, 0]];
    const Wv = [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]];
    const e = X.map((row) => [0, 1, 2].map((k) => Math.exp(row[0] * Wv[0][k] + row[1] * Wv[1][k])));
    const W = new gt.Variable(f64(Wv), { name: "W" });
    const outer = new gt.GradientTape();
    const g = outer.record(() => {
      const inner = new gt.GradientTape();
      const y = inner.record(() => gt.reduceSum(gt.exp(gt.matmul(f64(X), W))));
      return present(inner.gradient(y, W));
    });
    const grad1 = [0, 1].map((a) =>
      [0, 1, 2].map((c) => X.reduce((s, row, b) => s + row[a] * e[b][c], 0))
    );
    assertAllClose(g, grad1, { rtol: 1e-12 });
    const grad2 = [0, 1].map((a) =>
      [0, 1, 2].map((c) => X.reduce((s, row, b) => s + row[a] * (row[0] + row[1]) * e[b][c], 0))
    );
    assertAllClose(present(outer.gradient(g, W)), grad2, { rtol: 1e-12 });
  });
});

Deno.test("gradient calls inside a tape's own record", async (t) => {
  await t.step(
    "a persistent tape calling gradient inside its own record gives 2nd derivatives",
    () => {
      const xs = [-0.5, 0.5, 2];
      const x = f64(xs);
      const tape = new gt.GradientTape({ persistent: true });
      const d1 = tape.record(() => {
        tape.watch(x);
        const y = x.pow(3);
        return present(tape.gradient(y, x));
      });
      assertAllClose(d1, xs.map((v) => 3 * v * v));
      assertAllClose(present(tape.gradient(d1, x)), xs.map((v) => 6 * v));
    },
  );

  await t.step("the same for exp and tanh, whose rules reuse the output", () => {
    const xs = [-0.5, 0.5, 2];
    const x = f64(xs);
    const tape = new gt.GradientTape({ persistent: true });
    const [de, dt] = tape.record(() => {
      tape.watch(x);
      const ye = gt.exp(x);
      const yt = gt.tanh(x);
      return [present(tape.gradient(ye, x)), present(tape.gradient(yt, x))];
    });
    assertAllClose(present(tape.gradient(de, x)), xs.map(Math.exp), { rtol: 1e-12 });
    const th = xs.map(Math.tanh);
    assertAllClose(present(tape.gradient(dt, x)), th.map((v) => -2 * v * (1 - v * v)), {
      rtol: 1e-12,
    });
  });

  await t.step(
    "a persistent tape's own third derivative, by two gradient calls inside record",
    () => {
      const xs = [0.3, 1.2];
      const v = new gt.Variable(f64(xs), { name: "v" });
      const tape = new gt.GradientTape({ persistent: true });
      const d2 = tape.record(() => {
        const y = v.exp().mul(v.sin());
        const d1 = present(tape.gradient(y, v));
        return present(tape.gradient(d1, v));
      });
      assertAllClose(d2, xs.map((x) => 2 * Math.exp(x) * Math.cos(x)), { rtol: 1e-12 });
      assertAllClose(
        present(tape.gradient(d2, v)),
        xs.map((x) => 2 * Math.exp(x) * (Math.cos(x) - Math.sin(x))),
        { rtol: 1e-12 },
      );
    },
  );

  await t.step("a non-persistent tape stops recording at a gradient call inside its record", () => {
    const x = f64(1.5);
    const tape = new gt.GradientTape();
    let after!: gt.Tensor;
    const g = tape.record(() => {
      tape.watch(x);
      const y = x.square();
      const g = present(tape.gradient(y, x));
      after = g.mul(x); // runs normally, but nothing is recorded any more
      return g;
    });
    assertAllClose(g, 3);
    assertAllClose(after, 4.5);
    assert.throws(() => tape.gradient(after, x), /used up/);
  });

  await t.step(
    "a non-persistent inner tape's gradient inside its record is still seen by an outer tape",
    () => {
      const x = f64(0.8);
      const outer = new gt.GradientTape();
      const g = outer.record(() => {
        outer.watch(x);
        const inner = new gt.GradientTape();
        return inner.record(() => {
          inner.watch(x);
          const y = gt.sigmoid(x);
          return present(inner.gradient(y, x)).mul(x); // x·σ'(x), recorded by outer only
        });
      });
      const s = sig(0.8);
      assertAllClose(g, 0.8 * s * (1 - s), { rtol: 1e-12 });
      // d/dx [x·σ'(x)] = σ'(x) + x·σ''(x)
      assertAllClose(present(outer.gradient(g, x)), s * (1 - s) + 0.8 * s * (1 - s) * (1 - 2 * s), {
        rtol: 1e-12,
      });
    },
  );
});
