/**
 * gt.linalg's decompositions (qr, eigh, svd) and pinv: each checked by what defines it, with
 * naive float64 loops written here (reconstruction, orthonormality, triangularity, order and
 * signs), on random, batched, tiny, wide, tall, rank-deficient and ill-conditioned matrices;
 * against closed forms where there are some; float32 against float64; and derivatives of
 * functions that do not depend on sign choices, to order 2 in both modes against finite
 * differences (checkGrads).
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

type M = number[][];

// A small seeded generator (a linear congruential one), so that the inputs are the same at
// every run and do not depend on the library's random ops.
function randomMatrix(m: number, n: number, seed: number): M {
  let state = seed * 7919 + 17;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 * 2 - 1;
  };
  return Array.from({ length: m }, () => Array.from({ length: n }, next));
}

const f64 = (a: M | M[]) => gt.constant(a, { dtype: "float64" });
const vecs = (t: Tensor): number[][] =>
  t.rank === 1 ? [t.toArray() as number[]] : t.toArray() as number[][];

const matmulN = (a: M, b: M): M =>
  a.map((row) => b[0]?.map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)) ?? []);
const transposeN = (a: M, cols = a[0]?.length ?? 0): M =>
  Array.from({ length: cols }, (_, j) => a.map((row) => row[j]));
const maxAbs = (a: M) => Math.max(0, ...a.flat().map(Math.abs));

function assertNear(actual: M, expected: M, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: rows`);
  actual.forEach((row, i) =>
    row.forEach((x, j) => {
      assert.ok(
        Math.abs(x - expected[i][j]) <= tol,
        `${what}: [${i}][${j}] is ${x}, expected ${expected[i][j]} (tolerance ${tol})`,
      );
    })
  );
}

const identity = (n: number): M =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

function assertOrthonormalColumns(q: M, tol: number, what: string): void {
  const cols = q[0]?.length ?? 0;
  assertNear(matmulN(transposeN(q, cols), q), identity(cols), tol, `${what}: QᵀQ = I`);
}

// The shapes every decomposition is checked on: tiny, square, tall, wide, and a batch.
const SHAPES: [number[], string][] = [
  [[1, 1], "1×1"],
  [[4, 4], "square"],
  [[6, 3], "tall"],
  [[3, 6], "wide"],
  [[2, 3, 5, 4], "batched"],
];

function randomOfShape(shape: number[], seed: number): M | M[] {
  const [m, n] = shape.slice(-2);
  const count = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  if (shape.length === 2) return randomMatrix(m, n, seed);
  const batch = Array.from({ length: count }, (_, b) => randomMatrix(m, n, seed * 31 + b));
  return shape.length === 3 ? batch : [batch.slice(0, 3), batch.slice(3)] as unknown as M[];
}

// The matrices of a tensor of any rank ≥ 2, in order.
function matricesOf(t: Tensor): M[] {
  const [m, n] = t.shape.slice(-2);
  const data = Array.from(t.data());
  const out: M[] = [];
  for (let at = 0; at + m * n <= data.length && m * n > 0; at += m * n) {
    out.push(Array.from({ length: m }, (_, i) => data.slice(at + i * n, at + i * n + n)));
  }
  return out;
}

function vectorsOf(t: Tensor): number[][] {
  const k = t.shape[t.rank - 1];
  const data = Array.from(t.data());
  const out: number[][] = [];
  for (let at = 0; at < data.length; at += k) out.push(data.slice(at, at + k));
  return out;
}

Deno.test("qr: Q·R = A, Q orthonormal, R upper triangular with a non-negative diagonal", () => {
  for (const [shape, label] of SHAPES) {
    for (const full of [false, true]) {
      const x = f64(randomOfShape(shape, 1));
      const [q, r] = gt.linalg.qr(x, { fullMatrices: full });
      const [m, n] = shape.slice(-2);
      const k = full ? m : Math.min(m, n);
      assert.deepEqual(q.shape, [...shape.slice(0, -2), m, k], `${label} q shape`);
      assert.deepEqual(r.shape, [...shape.slice(0, -2), k, n], `${label} r shape`);
      const as = matricesOf(x), qs = matricesOf(q), rs = matricesOf(r);
      as.forEach((a, b) => {
        const what = `${label}${full ? " full" : ""} #${b}`;
        assertNear(matmulN(qs[b], rs[b]), a, 1e-14 * (1 + maxAbs(a)), `${what}: QR = A`);
        assertOrthonormalColumns(qs[b], 1e-14, what);
        rs[b].forEach((row, i) =>
          row.forEach((e, j) => {
            if (i > j) assert.equal(e, 0, `${what}: R[${i}][${j}] below the diagonal`);
            if (i === j) assert.ok(e >= 0, `${what}: R[${i}][${i}] = ${e} is negative`);
          })
        );
      });
    }
  }
});

Deno.test("eigh: A·V = V·Λ, V orthonormal, eigenvalues ascending, of the symmetric part", () => {
  for (const [shape, label] of SHAPES) {
    if (shape.at(-1) !== shape.at(-2)) continue;
    const x = f64(randomOfShape(shape, 2));
    const [w, v] = gt.linalg.eigh(x);
    assert.deepEqual(w.shape, shape.slice(0, -1));
    assert.deepEqual(v.shape, shape);
    const ws = vectorsOf(w), vs = matricesOf(v);
    matricesOf(x).forEach((a0, b) => {
      const a = a0.map((row, i) => row.map((e, j) => (e + a0[j][i]) / 2));
      const av = matmulN(a, vs[b]);
      const vl = vs[b].map((row) => row.map((e, j) => e * ws[b][j]));
      assertNear(av, vl, 1e-14 * (1 + maxAbs(a)), `${label} #${b}: AV = VΛ`);
      assertOrthonormalColumns(vs[b], 1e-14, `${label} #${b}`);
      for (let j = 1; j < ws[b].length; j++) assert.ok(ws[b][j - 1] <= ws[b][j], "ascending");
    });
  }
});

Deno.test("svd: U·S·Vᵀ = A, U and V orthonormal, s descending and non-negative", () => {
  for (const [shape, label] of SHAPES) {
    for (const full of [false, true]) {
      const x = f64(randomOfShape(shape, 3));
      const [s, u, v] = gt.linalg.svd(x, { fullMatrices: full });
      const [m, n] = shape.slice(-2), k = Math.min(m, n);
      const lead = shape.slice(0, -2);
      assert.deepEqual(s.shape, [...lead, k]);
      assert.deepEqual(u.shape, [...lead, m, full ? m : k]);
      assert.deepEqual(v.shape, [...lead, n, full ? n : k]);
      const ss = vectorsOf(s), us = matricesOf(u), vs = matricesOf(v);
      matricesOf(x).forEach((a, b) => {
        const what = `${label}${full ? " full" : ""} #${b}`;
        const us0 = us[b].map((row) => row.slice(0, k).map((e, j) => e * ss[b][j]));
        const vk = vs[b].map((row) => row.slice(0, k));
        assertNear(matmulN(us0, transposeN(vk, k)), a, 1e-14 * (1 + maxAbs(a)), `${what}: USVᵀ`);
        assertOrthonormalColumns(us[b], 1e-14, `${what} U`);
        assertOrthonormalColumns(vs[b], 1e-14, `${what} V`);
        for (let j = 0; j < k; j++) {
          assert.ok(ss[b][j] >= 0 && (j === 0 || ss[b][j - 1] >= ss[b][j]), `${what}: order`);
        }
      });
      const only = gt.linalg.svd(x, { computeUv: false });
      assert.deepEqual(only.data(), s.data(), `${label}: computeUv false gives s`);
    }
  }
});

Deno.test("pinv: the four Penrose conditions, on full-rank and rank-deficient matrices", () => {
  const rank1 = [[1, 2, 3], [2, 4, 6]], zero = [[0, 0], [0, 0], [0, 0]];
  const cases: [string, M | M[]][] = [
    ...SHAPES.map(([shape, label]) => [label, randomOfShape(shape, 9)] as [string, M | M[]]),
    ["rank 1", rank1],
    ["zero", zero],
  ];
  for (const [label, a] of cases) {
    const x = f64(a);
    const p = gt.linalg.pinv(x);
    assert.deepEqual(p.shape, [...x.shape.slice(0, -2), x.shape.at(-1), x.shape.at(-2)]);
    const ps = matricesOf(p);
    matricesOf(x).forEach((am, b) => {
      const pm = ps[b], tol = 1e-12 * (1 + maxAbs(am)) * (1 + maxAbs(pm));
      const ap = matmulN(am, pm), pa = matmulN(pm, am);
      const what = `${label} #${b}`;
      assertNear(matmulN(ap, am), am, tol, `${what}: APA = A`);
      assertNear(matmulN(pa, pm), pm, tol, `${what}: PAP = P`);
      assertNear(transposeN(ap), ap, tol, `${what}: AP symmetric`);
      assertNear(transposeN(pa), pa, tol, `${what}: PA symmetric`);
    });
  }
  // [[1, 2, 3], [2, 4, 6]] = u·vᵀ with u = [1, 2], v = [1, 2, 3]: P = v·uᵀ / (|u|²·|v|²).
  const expected = [1, 2, 3].map((vi) => [1, 2].map((ui) => vi * ui / 70));
  assertNear(gt.linalg.pinv(f64(rank1)).toArray() as M, expected, 1e-15, "rank 1 closed form");
});

Deno.test("eigh: closed forms (2×2, and the second-difference matrix's 2 - 2cos(kπ/(n+1)))", () => {
  const [a, b, c] = [0.7, -1.3, 2.9];
  const mid = (a + c) / 2, rad = Math.hypot((a - c) / 2, b);
  assertNear(
    [vecs(gt.linalg.eigh(f64([[a, b], [b, c]]))[0])[0]],
    [[mid - rad, mid + rad]],
    1e-15 * 4,
    "2×2",
  );
  const n = 12;
  const t = Array.from(
    { length: n },
    (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)),
  );
  const expected = Array.from(
    { length: n },
    (_, k) => 2 - 2 * Math.cos((k + 1) * Math.PI / (n + 1)),
  );
  const got = gt.linalg.eigh(f64(t))[0].toArray() as number[];
  got.forEach((w, k) =>
    assert.ok(Math.abs(w - expected[k]) < 1e-14, `λ${k}: ${w} vs ${expected[k]}`)
  );
});

// An m×n matrix with singular values `s`, from reflectors I - 2wwᵀ/wᵀw built here.
function withSingularValues(m: number, n: number, s: number[], seed: number): M {
  const reflector = (d: number, sd: number): M => {
    const w = randomMatrix(d, 1, sd).map((r) => r[0]);
    const ww = w.reduce((t, x) => t + x * x, 0);
    return identity(d).map((row, i) => row.map((e, j) => e - 2 * w[i] * w[j] / ww));
  };
  const sigma = Array.from(
    { length: m },
    (_, i) => Array.from({ length: n }, (_, j) => (i === j ? s[i] : 0)),
  );
  return matmulN(matmulN(reflector(m, seed), sigma), reflector(n, seed + 1));
}

Deno.test("svd: singular values spread over twelve orders of magnitude, and rank-deficient matrices", () => {
  const s = [1, 1e-3, 1e-6, 1e-9, 1e-12];
  for (const [m, n] of [[5, 5], [7, 5], [5, 8]]) {
    const a = withSingularValues(m, n, s, m * 10 + n);
    const [sv, u, v] = gt.linalg.svd(f64(a));
    const got = sv.toArray() as number[];
    got.forEach((x, i) =>
      assert.ok(Math.abs(x - s[i]) < 1e-15, `${m}×${n}: s${i} = ${x}, not ${s[i]}`)
    );
    assertOrthonormalColumns(u.toArray() as M, 1e-14, `${m}×${n} U`);
    assertOrthonormalColumns(v.toArray() as M, 1e-14, `${m}×${n} V`);
  }
  // Rank 1, and zero: s has zeros, and U and V stay orthonormal (their columns are completed).
  for (const a of [[[1, 1], [1, 1], [1, 1]], [[0, 0, 0], [0, 0, 0]]]) {
    const [sv, u, v] = gt.linalg.svd(f64(a), { fullMatrices: true });
    const expect = a[0][0] === 1 ? [Math.sqrt(6), 0] : [0, 0];
    assertNear([sv.toArray() as number[]], [expect], 1e-15, "singular values");
    assertOrthonormalColumns(u.toArray() as M, 1e-15, "U");
    assertOrthonormalColumns(v.toArray() as M, 1e-15, "V");
  }
});

Deno.test("ill-conditioned: the 8×8 Hilbert matrix (condition 1.5·10¹⁰) in each decomposition", () => {
  const n = 8;
  const h = Array.from(
    { length: n },
    (_, i) => Array.from({ length: n }, (_, j) => 1 / (i + j + 1)),
  );
  const [q, r] = gt.linalg.qr(f64(h));
  assertNear(matmulN(q.toArray() as M, r.toArray() as M), h, 2e-16 * n, "QR");
  assertOrthonormalColumns(q.toArray() as M, 1e-14, "Q");
  const [w, v] = gt.linalg.eigh(f64(h));
  const ws = w.toArray() as number[], vs = v.toArray() as M;
  assertNear(matmulN(h, vs), vs.map((row) => row.map((e, j) => e * ws[j])), 1e-15 * n, "HV = VΛ");
  // Positive definite: every eigenvalue, the smallest 1.1·10⁻¹⁰ included, is positive, and
  // their product is the determinant, a closed form of factorials (Cauchy's).
  assert.ok(ws[0] > 0, `smallest eigenvalue ${ws[0]}`);
  let det = 1;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      det *= i === j ? 1 / (2 * i + 1) : i < j ? (j - i) ** 2 / (i + j + 1) ** 2 : 1;
    }
  }
  const prod = ws.reduce((p, x) => p * x, 1);
  assert.ok(Math.abs(prod / det - 1) < 1e-5, `Πλ = ${prod}, det = ${det}`);
  const [s] = gt.linalg.svd(f64(h));
  assertNear(
    [s.toArray() as number[]],
    [[...ws].reverse()],
    1e-15,
    "singular values = eigenvalues",
  );
});

Deno.test("float32 results agree with float64 ones", () => {
  for (const [shape, label] of SHAPES) {
    const a = randomOfShape(shape, 4);
    const x32 = gt.constant(a, { dtype: "float32" });
    const x64 = gt.cast(x32, "float64"); // the same values
    const pairs: [Tensor, Tensor][] = [];
    const [q32, r32] = gt.linalg.qr(x32), [q64, r64] = gt.linalg.qr(x64);
    pairs.push([q32, q64], [r32, r64]);
    const [s32, u32, v32] = gt.linalg.svd(x32), [s64, u64, v64] = gt.linalg.svd(x64);
    pairs.push([s32, s64], [u32, u64], [v32, v64]);
    if (shape.at(-1) === shape.at(-2)) {
      const [w32, e32] = gt.linalg.eigh(x32), [w64, e64] = gt.linalg.eigh(x64);
      pairs.push([w32, w64], [e32, e64]);
    }
    for (const [a32, a64] of pairs) {
      assert.equal(a32.dtype, "float32");
      assertAllClose(a32, gt.cast(a64, "float32"), { rtol: 1e-6, atol: 1e-6, msg: label });
    }
  }
});

Deno.test("signs are fixed: the same matrix gives the same results alone, batched, mapped and jitted", () => {
  const a = randomOfShape([3, 4, 4], 5) as M[];
  const x = f64(a);
  const eager = a.map((m) => gt.linalg.svd(f64(m)));
  const batched = gt.linalg.svd(x);
  const mapped = gt.vmap((m: Tensor) => gt.stack(gt.linalg.svd(m).slice(1)))(x);
  const jitted = gt.jit((m: Tensor) => gt.linalg.svd(m)[1])(x);
  eager.forEach(([s, u, v], b) => {
    assert.deepEqual(vectorsOf(batched[0])[b], Array.from(s.data()));
    assert.deepEqual(matricesOf(batched[1])[b], u.toArray());
    assert.deepEqual(matricesOf(mapped)[2 * b], u.toArray());
    assert.deepEqual(matricesOf(mapped)[2 * b + 1], v.toArray());
    assert.deepEqual(matricesOf(jitted)[b], u.toArray());
  });
  // A symmetric matrix with opposite eigenvector components: signs do not hinge on their tie.
  const [, v] = gt.linalg.eigh(f64([[0, 1], [1, 0]]));
  const r = Math.SQRT1_2;
  assertNear(v.toArray() as M, [[r, r], [-r, r]], 1e-15, "eigenvectors of [[0,1],[1,0]]");
});

// Functions that do not depend on the signs of eigen- or singular vectors.
const weights = (m: number, n: number) => f64(randomMatrix(m, n, 99));
const sumSquares = (t: Tensor) => gt.reduceSum(gt.square(t));
const weightedSquares = (t: Tensor) =>
  gt.reduceSum(gt.multiply(gt.square(t), weights(t.shape[0], t.shape[1])));

Deno.test("derivatives to order 2, forward and reverse, of sign-invariant functions", async (t) => {
  const a33 = randomMatrix(3, 3, 6), a42 = randomMatrix(4, 2, 7), a24 = randomMatrix(2, 4, 8);
  const cases: [string, (x: Tensor) => Tensor, M][] = [
    ["Σλ² of eigh", (x) => sumSquares(gt.linalg.eigh(x)[0]), a33],
    ["weighted V² of eigh", (x) => weightedSquares(gt.linalg.eigh(x)[1]), a33],
    ["s of svd (tall)", (x) => gt.linalg.svd(x, { computeUv: false }), a42],
    ["s of svd (wide)", (x) => gt.linalg.svd(x, { computeUv: false }), a24],
    ["U·Vᵀ of svd (tall)", (x) => {
      const [, u, v] = gt.linalg.svd(x);
      return gt.matmul(u, v, { transposeB: true });
    }, a42],
    ["weighted U² of svd (wide)", (x) => weightedSquares(gt.linalg.svd(x)[1]), a24],
    ["|Q| products and R of qr (tall)", (x) => {
      const [q, r] = gt.linalg.qr(x);
      return gt.add(gt.reduceSum(gt.multiply(gt.abs(q), gt.abs(q))), gt.reduceSum(r));
    }, a42],
    ["Q·R of qr (wide)", (x) => gt.matmul(...gt.linalg.qr(x)), a24],
    ["pinv (tall)", (x) => gt.linalg.pinv(x), a42],
    ["pinv (wide)", (x) => gt.linalg.pinv(x), a24],
  ];
  for (const [name, f, a] of cases) {
    await t.step(name, () => checkGrads(f, [a], { order: 2 }));
  }
});

Deno.test("derivatives of the values alone stay finite and right at repeated values", () => {
  // At the identity, Σλ² and Σs² are ‖A‖²_F near it: gradient 2·I either way.
  const eye = f64(identity(3));
  const g1 = gt.grad((x: Tensor) => sumSquares(gt.linalg.eigh(x)[0]))(eye);
  assertNear(g1.toArray() as M, identity(3).map((r) => r.map((e) => 2 * e)), 1e-14, "eigh");
  const g2 = gt.grad((x: Tensor) => sumSquares(gt.linalg.svd(x, { computeUv: false })))(eye);
  assertNear(g2.toArray() as M, identity(3).map((r) => r.map((e) => 2 * e)), 1e-14, "svd");
  // pinv's own rule is smooth at an orthogonal matrix, where the SVD's is not.
  checkGrads((x) => gt.linalg.pinv(x), [[[0, 1], [-1, 0]]], { order: 2 });
});

Deno.test("errors name the op and what is wrong; NaN input gives NaN", () => {
  assert.throws(
    () => gt.linalg.eigh([[1, 2, 3], [4, 5, 6]]),
    /eigh: expects square matrices, got shape \[2,3\]/,
  );
  for (const op of ["qr", "eigh", "svd", "pinv"] as const) {
    assert.throws(
      () => gt.linalg[op]([1, 2]),
      new RegExp(`${op}: expects a matrix or a batch of matrices`),
    );
    assert.throws(
      () => gt.linalg[op](gt.constant([[1]], { dtype: "int32" })),
      new RegExp(`${op}: expects a float32 or float64 tensor, got int32`),
    );
  }
  assert.throws(() => gt.linalg.svd([[1]], { fullMatrix: true } as never), /svd: .*fullMatrix/);
  assert.throws(
    () =>
      gt.grad((x: Tensor) => gt.reduceSum(gt.linalg.svd(x, { fullMatrices: true })[1]))([[1, 2]]),
    /svd: derivatives with fullMatrices: true are defined for square matrices only/,
  );
  assert.throws(
    () =>
      gt.grad((x: Tensor) => gt.reduceSum(gt.linalg.qr(x, { fullMatrices: true })[0]))([[1], [2]]),
    /qr: derivatives with fullMatrices: true are not defined for matrices with more rows/,
  );
  const nan = [[1, NaN], [0, 1]];
  for (
    const t of [
      gt.linalg.qr(nan)[0],
      gt.linalg.eigh(nan)[0],
      gt.linalg.svd(nan)[0],
      gt.linalg.pinv(nan),
    ]
  ) {
    assert.ok(Array.from(t.data()).every(Number.isNaN));
  }
  // Under vmap the bad example alone is NaN.
  const w = gt.vmap((x: Tensor) => gt.linalg.eigh(x)[0])(f64([[[2, 0], [0, 1]], nan]));
  assert.deepEqual(Array.from(w.data()).map(Number.isNaN), [false, false, true, true]);
});
