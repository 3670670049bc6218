/**
 * gt.linalg (part 1: Cholesky, solves, determinants, structure): reconstruction identities on
 * random, batched, tiny and ill-conditioned matrices, closed forms, float32 against float64,
 * derivatives of the composites to order 2 in both modes, and bad input (eager errors, NaN under
 * jit and vmap).
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

const L = gt.linalg;
const f64 = (x: gt.TensorLike) => gt.constant(x as number[], { dtype: "float64" });

// A seeded generator, so that a failure repeats.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** A random n×m matrix (as nested arrays), entries in [-0.5, 0.5). */
function randomMatrix(n: number, m: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: m }, r));
}

/** M·Mᵀ/n + I: symmetric positive definite and well conditioned. */
function randomSpd(n: number, seed: number): number[][] {
  const m = randomMatrix(n, n, seed);
  return m.map((ri, i) =>
    m.map((rj, j) => ri.reduce((s, v, k) => s + v * rj[k], 0) / n + (i === j ? 1 : 0))
  );
}

/** A random matrix shifted away from singularity (its diagonal gets `shift`). */
function randomGeneral(n: number, seed: number, shift = 1): number[][] {
  return randomMatrix(n, n, seed).map((r, i) => r.map((v, j) => (i === j ? v + shift : v)));
}

function hilbert(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => 1 / (i + j + 1)));
}

// A naive reference: Doolittle LU with partial pivoting in float64, for det.
function naiveDet(a: number[][]): number {
  const m = a.map((r) => [...r]);
  const n = m.length;
  let d = 1;
  for (let j = 0; j < n; j++) {
    let p = j;
    for (let i = j + 1; i < n; i++) if (Math.abs(m[i][j]) > Math.abs(m[p][j])) p = i;
    if (p !== j) [m[p], m[j], d] = [m[j], m[p], -d];
    d *= m[j][j];
    for (let i = j + 1; i < n; i++) {
      const f = m[i][j] / m[j][j];
      for (let k = j; k < n; k++) m[i][k] -= f * m[j][k];
    }
  }
  return d;
}

const matT = (x: Tensor) => L.matrixTranspose(x);

Deno.test("cholesky: L·Lᵀ reconstructs A, L is lower with a positive diagonal (sizes 1 to 70, batched)", () => {
  for (const n of [1, 2, 5, 33, 70]) {
    const a = f64(randomSpd(n, n));
    const l = L.cholesky(a);
    assertAllClose(gt.matmul(l, matT(l)), a, { rtol: 1e-12, atol: 1e-12 });
    const data = l.toArray() as number[][];
    for (let i = 0; i < n; i++) {
      assert.ok(data[i][i] > 0);
      for (let j = i + 1; j < n; j++) assert.equal(data[i][j], 0);
    }
  }
  const batch = f64([[randomSpd(4, 1), randomSpd(4, 2)], [randomSpd(4, 3), randomSpd(4, 4)]]);
  const l = L.cholesky(batch);
  assert.deepEqual(l.shape, [2, 2, 4, 4]);
  assertAllClose(gt.matmul(l, matT(l)), batch, { rtol: 1e-12, atol: 1e-12 });
  assertAllClose(L.cholesky([[9]]), [[3]]);
  assert.deepEqual(L.cholesky(gt.zeros([2, 0, 0])).shape, [2, 0, 0]);
});

Deno.test("cholesky: only the lower triangle is read; float32 agrees with float64", () => {
  const a = randomSpd(6, 7);
  const garbage = a.map((r, i) => r.map((v, j) => (j > i ? 1e3 : v)));
  assertAllClose(L.cholesky(f64(garbage)), L.cholesky(f64(a)), { rtol: 0, atol: 0 });
  const l32 = L.cholesky(gt.constant(a));
  assert.equal(l32.dtype, "float32");
  assertAllClose(gt.cast(l32, "float64"), L.cholesky(f64(a)), { rtol: 1e-5, atol: 1e-6 });
  // A larger float32 matrix (the blocked path): reconstruction to float32 precision.
  const big = randomSpd(300, 11);
  const lb = L.cholesky(gt.constant(big));
  assertAllClose(gt.matmul(lb, matT(lb)), gt.constant(big), { rtol: 1e-4, atol: 1e-4 });
});

Deno.test("triangularSolve: op(A)·X = B for lower, upper and adjoint, batched with broadcasting", () => {
  const n = 40;
  const base = randomGeneral(n, 21, 2);
  const b = f64(randomMatrix(n, 3, 22));
  for (const lower of [true, false]) {
    for (const adjoint of [true, false]) {
      const x = L.triangularSolve(f64(base), b, { lower, adjoint });
      const tri = L.bandPart(f64(base), lower ? -1 : 0, lower ? 0 : -1);
      const op = adjoint ? matT(tri) : tri;
      assertAllClose(gt.matmul(op, x), b, { rtol: 1e-12, atol: 1e-12 });
    }
  }
  // Two matrices against one right-hand side.
  const as = f64([randomGeneral(5, 1, 2), randomGeneral(5, 2, 2)]);
  const rhs = f64(randomMatrix(5, 2, 3));
  const x = L.triangularSolve(as, rhs);
  assert.deepEqual(x.shape, [2, 5, 2]);
  assertAllClose(gt.matmul(L.bandPart(as, -1, 0), x), gt.broadcastTo(rhs, [2, 5, 2]), {
    rtol: 1e-12,
    atol: 1e-12,
  });
  // Against a naive forward substitution.
  const a2 = [[2, 0], [3, 4]];
  assertAllClose(L.triangularSolve(f64(a2), f64([[4], [10]])), [[2], [1]]);
});

Deno.test("solve: A·X = B (random, batched, broadcast, adjoint, 1×1), float32 against float64", () => {
  for (const n of [1, 3, 17, 64]) {
    const a = f64(randomGeneral(n, 100 + n));
    const b = f64(randomMatrix(n, 4, 200 + n));
    assertAllClose(gt.matmul(a, L.solve(a, b)), b, { rtol: 1e-11, atol: 1e-11 });
    assertAllClose(gt.matmul(matT(a), L.solve(a, b, { adjoint: true })), b, {
      rtol: 1e-11,
      atol: 1e-11,
    });
    const x32 = L.solve(gt.cast(a, "float32"), gt.cast(b, "float32"));
    assert.equal(x32.dtype, "float32");
    assertAllClose(gt.cast(x32, "float64"), L.solve(a, b), { rtol: 1e-4, atol: 1e-4 });
  }
  const as = f64([randomGeneral(4, 1), randomGeneral(4, 2), randomGeneral(4, 3)]);
  const b = f64(randomMatrix(4, 2, 9));
  const x = L.solve(as, b);
  assert.deepEqual(x.shape, [3, 4, 2]);
  assertAllClose(gt.matmul(as, x), gt.broadcastTo(b, [3, 4, 2]), { rtol: 1e-12, atol: 1e-12 });
  const xt = L.solve(as, b, { adjoint: true });
  assertAllClose(gt.matmul(matT(as), xt), gt.broadcastTo(b, [3, 4, 2]), {
    rtol: 1e-12,
    atol: 1e-12,
  });
  assertAllClose(L.solve([[4]], [[2, 6]]), [[0.5, 1.5]]);
  // Pivoting: a zero in the leading position needs a row exchange.
  assertAllClose(L.solve(f64([[0, 1], [1, 0]]), f64([[2], [3]])), [[3], [2]]);
});

Deno.test("solve: an ill-conditioned matrix (Hilbert 8, cond ≈ 1.5e10) to cond·ε", () => {
  const h = f64(hilbert(8));
  const ones = gt.ones([8, 1], "float64");
  const x = L.solve(h, gt.matmul(h, ones));
  // LAPACK's backward-stable bound: relative error ≲ cond · ε ≈ 3e-6.
  assertAllClose(x, ones, { rtol: 0, atol: 1e-5 });
  assertAllClose(gt.matmul(h, x), gt.matmul(h, ones), { rtol: 1e-13, atol: 1e-14 });
});

Deno.test("ill-conditioned Hilbert matrices: cholesky is backward stable, det matches the closed form", () => {
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
  // c_n = ∏_{i<n} i!; det(H_n) = c_n⁴ / c_{2n}.
  const c = (n: number) => {
    let p = 1;
    for (let i = 1; i < n; i++) p *= factorial(i);
    return p;
  };
  for (const n of [3, 5, 6]) {
    const h = f64(hilbert(n));
    const l = L.cholesky(h);
    assertAllClose(gt.matmul(l, matT(l)), h, { rtol: 1e-14, atol: 1e-16 });
    const want = c(n) ** 4 / c(2 * n);
    // The relative error of a determinant is up to cond·ε (1.5e7 · 2.2e-16 for n = 6).
    assertAllClose(L.det(h), want, { rtol: 1e-8, atol: 0 });
    assertAllClose(L.logdet(h), Math.log(want), { rtol: 1e-9 });
  }
});

Deno.test("inv: inv(A)·A = I and A·inv(A) = I, batched; the 2×2 closed form", () => {
  for (const n of [1, 2, 9, 30]) {
    const a = f64(randomGeneral(n, 300 + n));
    const ai = L.inv(a);
    assertAllClose(gt.matmul(ai, a), gt.eye(n, "float64"), { rtol: 0, atol: 1e-12 });
    assertAllClose(gt.matmul(a, ai), gt.eye(n, "float64"), { rtol: 0, atol: 1e-12 });
  }
  const [p, q, r, s] = [3, -1.5, 2, 4];
  const d = p * s - q * r;
  assertAllClose(L.inv(f64([[p, q], [r, s]])), [[s / d, -q / d], [-r / d, p / d]], {
    rtol: 1e-15,
  });
  const batch = f64([randomGeneral(3, 1), randomGeneral(3, 2)]);
  assertAllClose(gt.matmul(L.inv(batch), batch), gt.broadcastTo(gt.eye(3, "float64"), [2, 3, 3]), {
    rtol: 0,
    atol: 1e-12,
  });
});

Deno.test("det and slogdet: closed forms for 1×1 to 3×3, a naive LU elsewhere, triangular and permuted matrices", () => {
  assertAllClose(L.det(f64([[7]])), 7);
  assertAllClose(L.det(f64([[1, 2], [3, 4]])), -2, { rtol: 1e-15 });
  const m = [[2, -1, 0.5], [1, 3, 2], [0, 1, 4]];
  const rule = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  assertAllClose(L.det(f64(m)), rule, { rtol: 1e-14 });
  for (const n of [4, 10, 25]) {
    const a = randomGeneral(n, 400 + n, 0.3);
    assertAllClose(L.det(f64(a)), naiveDet(a), { rtol: 1e-11 });
    const [s, lad] = L.slogdet(f64(a));
    assert.equal(s.item(), Math.sign(naiveDet(a)));
    assertAllClose(lad, Math.log(Math.abs(naiveDet(a))), { rtol: 1e-11 });
  }
  // A triangular matrix: the product of its diagonal; a permutation: its sign.
  assertAllClose(L.det(f64([[2, 5, 7], [0, 3, 1], [0, 0, -4]])), -24);
  assert.equal(L.det(f64([[0, 1, 0], [0, 0, 1], [1, 0, 0]])).item(), 1);
  assert.equal(L.det(f64([[0, 1, 0], [1, 0, 0], [0, 0, 1]])).item(), -1);
  // Batched, and singular: 0, sign 0 and −∞.
  assertAllClose(L.det(f64([[[1, 2], [2, 4]], [[2, 0], [0, 3]]])), [0, 6]);
  const [s0, l0] = L.slogdet(f64([[1, 2], [2, 4]]));
  assert.equal(s0.item(), 0);
  assert.equal(l0.item(), -Infinity);
  // Past float32's range: det overflows, slogdet does not.
  const big = gt.multiply(gt.eye(60), 10);
  assert.equal(L.det(big).item(), Infinity);
  assertAllClose(L.slogdet(big)[1], 60 * Math.log(10), { rtol: 1e-6 });
  assertAllClose(L.det(gt.zeros([0, 0], "float64")), 1);
});

Deno.test("logdet: equals slogdet on positive-definite matrices, batched, float32 close to float64", () => {
  const a = f64([randomSpd(5, 1), randomSpd(5, 2)]);
  assertAllClose(L.logdet(a), L.slogdet(a)[1], { rtol: 1e-12 });
  assertAllClose(L.logdet(f64([[2, 0], [0, 8]])), Math.log(16), { rtol: 1e-15 });
  assertAllClose(gt.cast(L.logdet(gt.cast(a, "float32")), "float64"), L.logdet(a), {
    rtol: 1e-5,
  });
});

Deno.test("lstsq: a line fit, the minimum-norm solution, and ridge against the normal equations", () => {
  // y = 1 + 2t + noise; the normal equations in closed form.
  const t = [0, 1, 2, 3, 4], y = [1.1, 2.9, 5.2, 6.8, 9.1];
  const a = f64(t.map((v) => [1, v])), b = f64(y.map((v) => [v]));
  const n = t.length, st = t.reduce((s, v) => s + v), stt = t.reduce((s, v) => s + v * v);
  const sy = y.reduce((s, v) => s + v), sty = t.reduce((s, v, i) => s + v * y[i], 0);
  const slope = (n * sty - st * sy) / (n * stt - st * st), icept = (sy - slope * st) / n;
  assertAllClose(L.lstsq(a, b), [[icept], [slope]], { rtol: 1e-12 });
  // Underdetermined: x·(1, 1) = 2 has minimum-norm solution (1, 1).
  assertAllClose(L.lstsq(f64([[1, 1]]), f64([[2]])), [[1], [1]], { rtol: 1e-14 });
  const wide = f64(randomMatrix(3, 6, 5)), rhs = f64(randomMatrix(3, 2, 6));
  const xw = L.lstsq(wide, rhs);
  assertAllClose(gt.matmul(wide, xw), rhs, { rtol: 1e-11, atol: 1e-11 });
  // Ridge: (AᵀA + λI)x = Aᵀb, checked by the residual of those equations.
  const tall = f64(randomMatrix(8, 3, 7)), rt = f64(randomMatrix(8, 1, 8));
  const xr = L.lstsq(tall, rt, { l2Regularizer: 0.5 });
  const lhs = gt.add(
    gt.matmul(gt.matmul(tall, tall, { transposeA: true }), xr),
    gt.multiply(xr, 0.5),
  );
  assertAllClose(lhs, gt.matmul(tall, rt, { transposeA: true }), { rtol: 1e-12, atol: 1e-13 });
  // Batched.
  const ab = f64([randomMatrix(6, 2, 1), randomMatrix(6, 2, 2)]);
  const bb = f64([randomMatrix(6, 1, 3), randomMatrix(6, 1, 4)]);
  const xb = L.lstsq(ab, bb);
  assertAllClose(
    gt.matmul(gt.matmul(ab, ab, { transposeA: true }), xb),
    gt.matmul(ab, bb, { transposeA: true }),
    { rtol: 1e-11, atol: 1e-12 },
  );
});

Deno.test("structural ops: bandPart against a naive loop; diag, diagPart, setDiag, trace, matrixTranspose batched", () => {
  const x = randomMatrix(5, 4, 1);
  for (const [lo, up] of [[-1, 0], [0, -1], [0, 0], [1, 2], [-1, -1], [2, 0]]) {
    const want = x.map((r, i) =>
      r.map((v, j) => ((lo < 0 || i - j <= lo) && (up < 0 || j - i <= up) ? v : 0))
    );
    assertAllClose(L.bandPart(f64(x), lo, up), want, { rtol: 0, atol: 0 });
  }
  assert.deepEqual(L.bandPart(f64([[Infinity, NaN], [1, 2]]), -1, 0).toArray(), [[Infinity, 0], [
    1,
    2,
  ]]);
  const d = f64([[1, 2, 3], [4, 5, 6]]);
  const m = L.diag(d);
  assert.deepEqual(m.shape, [2, 3, 3]);
  assert.deepEqual(m.toArray(), [
    [[1, 0, 0], [0, 2, 0], [0, 0, 3]],
    [[4, 0, 0], [0, 5, 0], [0, 0, 6]],
  ]);
  assert.deepEqual(L.diagPart(m).toArray(), d.toArray());
  assert.deepEqual(L.trace(m).toArray(), [6, 15]);
  assert.deepEqual(L.diagPart(f64([[1, 2], [3, 4], [5, 6]])).toArray(), [1, 4]);
  assert.deepEqual(L.setDiag(f64([[1, 2], [3, 4], [5, 6]]), f64([9, 8])).toArray(), [[9, 2], [
    3,
    8,
  ], [5, 6]]);
  assert.deepEqual(L.setDiag(f64([[1, 2, 3], [4, 5, 6]]), f64([9, 8])).toArray(), [[9, 2, 3], [
    4,
    8,
    6,
  ]]);
  assert.deepEqual(L.matrixTranspose(f64([[[1, 2, 3]], [[4, 5, 6]]])).toArray(), [[[1], [2], [
    3,
  ]], [[4], [5], [6]]]);
  assert.equal(L.trace(gt.constant([[1, 2], [3, 4]], { dtype: "int32" })).item(), 5);
});

Deno.test("derivatives of the composites match finite differences to order 2, forward and reverse", async (t) => {
  const a3 = randomGeneral(3, 1), b32 = randomMatrix(3, 2, 2), spd = randomSpd(3, 3);
  const cases: [string, (...xs: Tensor[]) => Tensor, gt.TensorLike[]][] = [
    ["solve in both arguments", (a, b) => L.solve(a, b), [a3, b32]],
    ["solve adjoint, batched", (a, b) => L.solve(a, b, { adjoint: true }), [[a3, spd], b32]],
    ["inv", (a) => L.inv(a), [a3]],
    ["det", (a) => L.det(a), [[a3, spd]]],
    ["slogdet", (a) => L.slogdet(a)[1], [a3]],
    ["logdet", (a) => L.logdet(a), [spd]],
    ["lstsq tall", (a, b) => L.lstsq(a, b), [randomMatrix(5, 2, 4), randomMatrix(5, 2, 5)]],
    ["lstsq wide", (a, b) => L.lstsq(a, b), [randomMatrix(2, 4, 6), randomMatrix(2, 1, 7)]],
    ["lstsq ridge", (a, b) => L.lstsq(a, b, { l2Regularizer: 0.3 }), [
      randomMatrix(4, 2, 8),
      randomMatrix(4, 1, 9),
    ]],
    [
      "cholesky of X·Xᵀ + I",
      (x) => L.cholesky(gt.add(gt.matmul(x, x, { transposeB: true }), gt.eye(3, "float64"))),
      [a3],
    ],
    ["bandPart", (x) => L.bandPart(x, 1, 0), [randomMatrix(3, 4, 1)]],
    ["diag", (x) => L.diag(x), [[[1, 2], [3, 4]]]],
    ["diagPart", (x) => L.diagPart(x), [randomMatrix(3, 4, 2)]],
    ["setDiag", (x, d) => L.setDiag(x, d), [randomMatrix(4, 3, 3), [1, 2, 3]]],
    ["trace", (x) => L.trace(x), [[randomMatrix(3, 3, 4), randomMatrix(3, 3, 5)]]],
    ["matrixTranspose", (x) => L.matrixTranspose(x), [randomMatrix(2, 3, 6)]],
  ];
  for (const [name, f, args] of cases) {
    await t.step(name, () => checkGrads(f, args, { order: 2 }));
  }
});

Deno.test("jacfwd (tangents with leading axes) agrees with jacrev through every primitive's rules", () => {
  const a = f64(randomGeneral(3, 11)), spd = f64(randomSpd(3, 12)), b = f64(randomMatrix(3, 2, 13));
  const fs: [string, (x: Tensor) => Tensor, Tensor][] = [
    ["solve", (x) => L.solve(x, b), a],
    ["solve adjoint", (x) => L.solve(x, b, { adjoint: true }), a],
    ["det", (x) => L.det(x), a],
    ["cholesky", (x) => L.cholesky(x), spd],
    ["triangularSolve", (x) => L.triangularSolve(x, b, { lower: false }), spd],
  ];
  for (const [name, f, x] of fs) {
    assertAllClose(gt.jacfwd(f)(x), gt.jacrev(f)(x), { rtol: 1e-10, atol: 1e-12, msg: name });
  }
  // d²/dA² log det A = −(A⁻ᵀ ⊗ A⁻¹) contracted: H[i,j,k,l] = −inv[j,k]·inv[l,i].
  const h = gt.hessian((x: Tensor) => L.logdet(x))(spd).toArray() as number[][][][];
  const inv = L.inv(spd).toArray() as number[][];
  const n = 3;
  // logdet reads the lower triangle: the symmetric matrix S(A) = tril(A) + tril(A, −1)ᵀ, so an
  // element below the diagonal moves two entries of S.
  const dS = (i: number, j: number) => {
    const e = Array.from({ length: n }, () => new Array(n).fill(0));
    if (j > i) return e;
    e[i][j] = 1;
    e[j][i] = 1;
    return e;
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) {
        for (let l = 0; l < n; l++) {
          // −tr(S⁻¹·E1·S⁻¹·E2) for the two perturbations.
          const e1 = dS(i, j), e2 = dS(k, l);
          let want = 0;
          for (let p = 0; p < n; p++) {
            for (let q = 0; q < n; q++) {
              for (let r = 0; r < n; r++) {
                for (let s = 0; s < n; s++) want -= inv[p][q] * e1[q][r] * inv[r][s] * e2[s][p];
              }
            }
          }
          assert.ok(Math.abs(h[i][j][k][l] - want) < 1e-10, `hessian [${i},${j},${k},${l}]`);
        }
      }
    }
  }
});

Deno.test("composites under vmap and jit equal their eager results", () => {
  const as = f64([randomGeneral(3, 1), randomGeneral(3, 2)]);
  const b = f64(randomMatrix(3, 2, 3));
  const mapped = gt.vmap((a: Tensor) => L.solve(a, b))(as);
  assertAllClose(mapped, L.solve(as, b), { rtol: 1e-14, atol: 1e-15 });
  assertAllClose(gt.vmap((a: Tensor) => L.det(a))(as), L.det(as), { rtol: 1e-14 });
  // The right-hand side mapped alone, and both mapped (the batched permutation).
  const bs = f64([randomMatrix(3, 2, 4), randomMatrix(3, 2, 5)]);
  const a0 = f64(randomGeneral(3, 1));
  assertAllClose(gt.vmap((x: Tensor) => L.solve(a0, x))(bs), L.solve(a0, bs), { rtol: 1e-14 });
  assertAllClose(gt.vmap((a: Tensor, x: Tensor) => L.solve(a, x))(as, bs), L.solve(as, bs), {
    rtol: 1e-14,
  });
  assertAllClose(
    gt.vmap((a: Tensor, x: Tensor) => L.solve(a, x, { adjoint: true }), { inAxes: [2, 0] })(
      gt.transpose(as, [1, 2, 0]),
      bs,
    ),
    L.solve(as, bs, { adjoint: true }),
    { rtol: 1e-14 },
  );

  const jitted = gt.jit((a: Tensor) => L.inv(a));
  assertAllClose(jitted(as), L.inv(as), { rtol: 0, atol: 0 });
  const spd = f64([randomSpd(3, 4), randomSpd(3, 5)]);
  assertAllClose(gt.jit((a: Tensor) => L.logdet(a))(spd), L.logdet(spd), { rtol: 0, atol: 0 });
});

Deno.test("large matrices (float32 ones take the blocked factorizations from n = 96): reconstruction, pivots, failures", () => {
  for (const n of [97, 150, 257]) {
    const a = f64(randomSpd(n, n));
    const l = L.cholesky(a);
    assertAllClose(gt.matmul(l, matT(l)), a, { rtol: 1e-12, atol: 1e-12 });
    assert.ok((l.toArray() as number[][]).every((r, i) => r.every((v, j) => j <= i || v === 0)));
    const l32 = L.cholesky(gt.cast(a, "float32"));
    assertAllClose(gt.cast(l32, "float64"), l, { rtol: 1e-4, atol: 1e-5 });
    // A general matrix with a small diagonal: many row exchanges.
    const g = f64(randomGeneral(n, 1000 + n, 0.05));
    const b = f64(randomMatrix(n, 3, 2000 + n));
    assertAllClose(gt.matmul(g, L.solve(g, b)), b, { rtol: 1e-10, atol: 1e-10 });
    assertAllClose(gt.matmul(matT(g), L.solve(g, b, { adjoint: true })), b, {
      rtol: 1e-10,
      atol: 1e-10,
    });
    const x32 = L.solve(gt.cast(g, "float32"), gt.cast(b, "float32"));
    const r32 = gt.subtract(gt.matmul(g, gt.cast(x32, "float64")), b);
    assert.ok(gt.reduceMax(gt.abs(r32)).item() < 1e-3, "float32 residual");
  }
  // The blocked Cholesky reads the lower triangle only, too.
  const s150 = randomSpd(150, 9);
  const junk = s150.map((r, i) => r.map((v, j) => (j > i ? 1e3 : v)));
  assertAllClose(L.cholesky(gt.constant(junk)), L.cholesky(gt.constant(s150)), {
    rtol: 0,
    atol: 0,
  });
  // Many right-hand sides in float32: the blocked triangular solves.
  const t = randomGeneral(150, 5, 2), rhs = randomMatrix(150, 40, 6);
  for (const lower of [true, false]) {
    for (const adjoint of [true, false]) {
      const x32 = L.triangularSolve(gt.constant(t), gt.constant(rhs), { lower, adjoint });
      const x64 = L.triangularSolve(f64(t), f64(rhs), { lower, adjoint });
      assertAllClose(gt.cast(x32, "float64"), x64, { rtol: 1e-4, atol: 1e-5 });
    }
  }
  const g32 = gt.constant(randomGeneral(200, 8, 0.05));
  const inv32 = L.inv(g32);
  assertAllClose(gt.matmul(inv32, g32), gt.eye(200), { rtol: 0, atol: 1e-3 });
  const g = randomGeneral(120, 7, 0.3);
  assertAllClose(L.det(f64(g)), naiveDet(g), { rtol: 1e-9 });
  const [s, lad] = L.slogdet(gt.cast(f64(g), "float32"));
  assert.equal(s.item(), Math.sign(naiveDet(g)));
  assertAllClose(gt.cast(lad, "float64"), Math.log(Math.abs(naiveDet(g))), { rtol: 1e-4 });
  // Failures deep inside: the leading minor, the zero pivot.
  const bad = randomSpd(200, 3);
  bad[150][150] = -50;
  assert.throws(() => L.cholesky(f64(bad)), /leading minor 151 of 200 is not positive/);
  assert.throws(() => L.cholesky(gt.constant(bad)), /leading minor 151 of 200 is not positive/);
  const zeroColumn = randomGeneral(130, 4).map((r) => r.map((v, j) => (j === 100 ? 0 : v)));
  assert.throws(() => L.inv(f64(zeroColumn)), /inv: the matrix is singular: pivot 101 of 130/);
  assert.equal(L.det(f64(zeroColumn)).item(), 0);
  assert.throws(() => L.solve(gt.constant(zeroColumn), gt.ones([130, 1])), /pivot 101 of 130/);
});

Deno.test("bad input: eager errors name the op and what is wrong", () => {
  assert.throws(
    () =>
      L.cholesky(f64([[4, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, -1, 0, 0], [0, 0, 0, 1, 0], [
        0,
        0,
        0,
        0,
        1,
      ]])),
    /^Error: cholesky: the matrix is not positive definite: leading minor 3 of 5 is not positive/,
  );
  assert.throws(
    () => L.cholesky(f64([[[1, 0], [0, 1]], [[1, 0], [0, -1]]])),
    /cholesky: .*leading minor 2 of 2 is not positive \(matrix 1 of the batch of shape \[2\]\)/,
  );
  assert.throws(
    () => L.cholesky(f64([[1, 2, 3]])),
    /cholesky: expects square matrices, got shape \[1,3\]/,
  );
  assert.throws(() => L.cholesky(f64([1, 2])), /cholesky: expects a matrix of rank ≥ 2/);
  assert.throws(
    () => L.cholesky(gt.constant([[1]], { dtype: "int32" })),
    /cholesky: expects a float32 or float64 tensor, got int32/,
  );
  assert.throws(
    () => L.solve(f64([[1, 2], [2, 4]]), f64([[1], [2]])),
    /^Error: solve: the matrix is singular: pivot 2 of 2 of its LU factorization is zero/,
  );
  assert.throws(
    () => L.inv(f64([[0, 0], [0, 0]])),
    /^Error: inv: the matrix is singular: pivot 1 of 2/,
  );
  assert.throws(() => L.inv(f64([[1, 2, 3]])), /inv: expects square matrices/);
  assert.throws(
    () => L.solve(f64([[1, 0], [0, 1]]), f64([[1], [2], [3]])),
    /solve: the matrix is 2×2 but the right-hand side has 3 rows/,
  );
  assert.throws(() => L.solve(f64([[1, 0], [0, 1]]), f64([1, 2])), /solve: .* rank ≥ 2 each/);
  assert.throws(
    () => L.triangularSolve(f64([[1]]), f64([[1]]), { lowr: true } as never),
    /triangularSolve: unknown option 'lowr' \(did you mean 'lower'\?\)/,
  );
  assert.throws(
    () => L.triangularSolve(f64([[1, 0], [0, 1]]), gt.constant([[1], [1]])),
    /triangularSolve: dtypes differ: float64 and float32/,
  );
  assert.throws(() => L.det(f64([[1, 2]])), /det: expects square matrices/);
  assert.throws(
    () => L.lstsq(f64([[1, 1], [1, 1], [1, 1]]), f64([[1], [2], [3]])),
    /lstsq: the normal matrix AᵀA \(the columns are dependent\) is not positive definite/,
  );
  assert.throws(() => L.lstsq(f64([[1]]), f64([[1]]), { l2Regularizer: -1 }), /l2Regularizer/);
  assert.throws(() => L.bandPart(f64([[1]]), 0.5, 0), /bandPart: numLower must be/);
  assert.throws(
    () => L.setDiag(f64([[1, 2], [3, 4]]), f64([1, 2, 3])),
    /setDiag: the diagonal has shape \[3\] where a matrix of shape \[2,2\] needs \[2\]/,
  );
  assert.throws(() => L.logdet(f64([[-1]])), /logdet: the matrix is not positive definite/);
});

Deno.test("bad input under jit and vmap gives NaN (or Inf) entries, as in JAX, and no error", () => {
  const bad = f64([[[4, 2], [2, 5]], [[1, 2], [2, 1]]]);
  const l = gt.vmap((a: Tensor) => L.cholesky(a))(bad).toArray() as number[][][];
  assert.deepEqual(l[0], [[2, 0], [1, 2]]);
  assert.ok(l[1].flat().every(Number.isNaN));
  const lj = gt.jit((a: Tensor) => L.cholesky(a))(bad).toArray() as number[][][];
  assert.ok(lj[1].flat().every(Number.isNaN) && lj[0][0][0] === 2);
  const singular = f64([[1, 2], [2, 4]]);
  const x = gt.jit((a: Tensor) => L.solve(a, f64([[1], [1]])))(singular).toArray() as number[][];
  assert.ok(x.flat().every((v) => !Number.isFinite(v)));
  const xi = gt.vmap((a: Tensor) => L.inv(a))(gt.stack([singular, f64([[2, 0], [0, 4]])]));
  const rows = xi.toArray() as number[][][];
  assert.ok(rows[0].flat().every((v) => !Number.isFinite(v)));
  assert.deepEqual(rows[1], [[0.5, 0], [0, 0.25]]);
});

Deno.test("linalg: an empty batch of matrices gives empty results, gradients included", () => {
  const none = gt.zeros([0, 3, 3], "float64");
  for (
    const [name, f] of [
      ["det", (x: Tensor) => L.det(x)],
      ["slogdet", (x: Tensor) => L.slogdet(x)[1]],
      ["logdet", (x: Tensor) => L.logdet(x)],
    ] as const
  ) {
    assert.deepEqual(f(none).shape, [0], name);
    const g = gt.grad((x: Tensor) => gt.reduceSum(f(x)))(none);
    assert.deepEqual(g.shape, [0, 3, 3], `${name}'s gradient`);
  }
  // reduceProd with nothing kept: the product over the reduced axis of no rows.
  assert.deepEqual(gt.reduceProd(gt.zeros([0, 3]), 1).shape, [0]);
  assert.deepEqual(gt.reduceProd(gt.zeros([0, 3]), 1, true).shape, [0, 1]);
  assert.deepEqual(gt.reduceProd(gt.zeros([2, 0]), 1).toArray(), [1, 1]);
});
