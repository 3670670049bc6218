/**
 * The scans (cumsum, cumprod, cumulativeLogSumExp): values against naive loops along every axis,
 * exclusive and reversed, in every dtype; accuracy and stability; cumprod's gradient through
 * zeros against the closed form; derivatives to order 3; vmap and jit; errors.
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

type Combine = (acc: number, v: number) => number;

/** The scan written out: every line along `axis` walked in float64, from the chosen end. */
function refScan(
  data: ArrayLike<number>,
  shape: number[],
  axis: number,
  exclusive: boolean,
  reverse: boolean,
  identity: number,
  combine: Combine,
): number[] {
  const n = shape[axis];
  let inner = 1, outer = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  for (let i = 0; i < axis; i++) outer *= shape[i];
  const out = new Array<number>(data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = identity;
      for (let s = 0; s < n; s++) {
        const j = reverse ? n - 1 - s : s;
        const at = (o * n + j) * inner + i;
        if (exclusive) {
          out[at] = acc;
          acc = combine(acc, data[at]);
        } else {
          acc = combine(acc, data[at]);
          out[at] = acc;
        }
      }
    }
  }
  return out;
}

const logAdd: Combine = (a, b) => {
  const m = Math.max(a, b);
  return m === -Infinity ? -Infinity : m + Math.log(Math.exp(a - m) + Math.exp(b - m));
};

const scans = [
  { name: "cumsum", fn: gt.cumsum, identity: 0, combine: ((a, b) => a + b) as Combine },
  { name: "cumprod", fn: gt.cumprod, identity: 1, combine: ((a, b) => a * b) as Combine },
  { name: "cumulativeLogSumExp", fn: gt.cumulativeLogSumExp, identity: -Infinity, combine: logAdd },
];

Deno.test("scans match naive loops along every axis, exclusive and reversed, in float32 and float64", async (t) => {
  const shape = [2, 3, 4];
  const next = lcg(7);
  const values = Array.from({ length: 24 }, () => 0.5 + next()); // products stay moderate
  for (const dtype of ["float32", "float64"] as const) {
    const x = gt.constant(values, { dtype, shape });
    const data = x.data();
    for (const s of scans) {
      for (const axis of [0, 1, 2, -1]) {
        for (const exclusive of [false, true]) {
          for (const reverse of [false, true]) {
            await t.step(
              `${s.name} axis ${axis} exclusive ${exclusive} reverse ${reverse} ${dtype}`,
              () => {
                const y = s.fn(x, axis, { exclusive, reverse });
                const a = axis < 0 ? axis + 3 : axis;
                const e = refScan(data, shape, a, exclusive, reverse, s.identity, s.combine);
                assert.equal(y.dtype, dtype);
                assert.deepEqual(y.shape, shape);
                const tol = dtype === "float32" ? 1e-6 : 1e-14;
                assertAllClose(y, gt.constant(e, { dtype: "float64", shape }), {
                  rtol: tol,
                  atol: tol,
                });
              },
            );
          }
        }
      }
    }
  }
});

Deno.test("cumsum and cumprod on int32 wrap as int32 arithmetic does", () => {
  const x = gt.constant([[1, -2, 3], [4, 5, -6]], { dtype: "int32" });
  const s = gt.cumsum(x, 1);
  assert.equal(s.dtype, "int32");
  assert.deepEqual(s.toArray(), [[1, -1, 2], [4, 9, 3]]);
  assert.deepEqual(gt.cumprod(x, 0).toArray(), [[1, -2, 3], [4, -10, -18]]);
  const big = gt.constant([2 ** 31 - 1, 1], { dtype: "int32" });
  assert.deepEqual(gt.cumsum(big).toArray(), [2 ** 31 - 1, -(2 ** 31)]);
});

Deno.test("scans of empty axes and length-1 axes", () => {
  const empty = gt.reshape(gt.constant([]), [2, 0]);
  for (const s of scans) {
    assert.deepEqual(s.fn(empty, 1).shape, [2, 0], s.name);
    assert.deepEqual(s.fn(empty, 0).shape, [2, 0], s.name);
  }
  assert.deepEqual(gt.cumsum([[5]], 1, { exclusive: true }).toArray(), [[0]]);
  assert.deepEqual(gt.cumprod([[5]], 0, { exclusive: true }).toArray(), [[1]]);
  assert.deepEqual(gt.cumulativeLogSumExp([5], 0, { exclusive: true }).toArray(), [-Infinity]);
});

Deno.test("a float32 cumsum accumulates in float64: 10⁶ terms of 0.1 lose no more than one rounding", () => {
  const n = 1e6;
  const y = gt.cumsum(gt.fill([n], 0.1)).data();
  const step = Math.fround(0.1);
  for (const j of [999, 99_999, n - 1]) {
    const exact = step * (j + 1);
    assert.ok(Math.abs(y[j] - exact) <= exact * 2 ** -23, `${j}: ${y[j]} against ${exact}`);
  }
});

Deno.test("cumulativeLogSumExp is stable for large, small and -Infinity inputs, gradients too", () => {
  const x = gt.constant([1000, -1000, 1000, -Infinity, 0], { dtype: "float64" });
  const y = gt.cumulativeLogSumExp(x).toArray() as number[];
  const l2 = 1000 + Math.LN2;
  assertAllClose(
    gt.constant(y, { dtype: "float64" }),
    gt.constant([1000, 1000, l2, l2, l2], { dtype: "float64" }),
    {
      rtol: 1e-15,
    },
  );
  // All -Infinity so far is -Infinity, and the gradient there is 0 rather than NaN.
  const m = gt.constant([-Infinity, -Infinity, 0.5, 1], { dtype: "float64" });
  assert.deepEqual([...gt.cumulativeLogSumExp(m).data()].slice(0, 2), [-Infinity, -Infinity]);
  const g = gt.grad((v: Tensor) =>
    gt.reduceSum(gt.multiply(gt.cumulativeLogSumExp(v), [0, 0, 1, 1]))
  )(m);
  // d/dx of y₂ + y₃: y₂ = 0.5, y₃ = log(e^0.5 + e); the masked entries get 0.
  const y3 = Math.log(Math.exp(0.5) + Math.E);
  const expected = [0, 0, 1 + Math.exp(0.5 - y3), Math.exp(1 - y3)];
  assertAllClose(g, gt.constant(expected, { dtype: "float64" }), { rtol: 1e-14 });
  // The same gradient at magnitudes where exp overflows: shifted inputs give shifted-free weights.
  const big = gt.grad((v: Tensor) => gt.reduceSum(gt.cumulativeLogSumExp(v)))(
    gt.constant([800, 801, 802], { dtype: "float64" }),
  );
  const small = gt.grad((v: Tensor) => gt.reduceSum(gt.cumulativeLogSumExp(v)))(
    gt.constant([0, 1, 2], { dtype: "float64" }),
  );
  assertAllClose(big, small, { rtol: 1e-13 });
});

// d/dxᵢ Σⱼ wⱼ·Πₖ≤ⱼ xₖ = Σⱼ≥ᵢ wⱼ·Πₖ≤ⱼ,ₖ≠ᵢ xₖ, written out (no division).
function cumprodGrad(x: number[], w: number[]): number[] {
  return x.map((_, i) => {
    let total = 0;
    for (let j = i; j < x.length; j++) {
      let p = w[j];
      for (let k = 0; k <= j; k++) if (k !== i) p *= x[k];
      total += p;
    }
    return total;
  });
}

Deno.test("cumprod's gradient is exact where inputs are zero (one zero, two zeros)", () => {
  const w = [0.5, -1, 2, 0.25, 1.5];
  for (const x of [[2, 0, 3, -1, 0.5], [0, 1.5, 0, 2, -3], [0, 0, 0, 0, 0], [1.1, 2, -0.5, 3, 0]]) {
    const g = gt.grad((v: Tensor) => gt.reduceSum(gt.multiply(gt.cumprod(v), w)))(
      gt.constant(x, { dtype: "float64" }),
    );
    const e = cumprodGrad(x, w);
    assert.ok([...g.data()].every(Number.isFinite), `finite at ${x}`);
    assertAllClose(g, gt.constant(e, { dtype: "float64" }), { rtol: 1e-14, atol: 1e-14 });
    // Forward mode agrees.
    const jac = gt.jacfwd((v: Tensor) => gt.reduceSum(gt.multiply(gt.cumprod(v), w)))(
      gt.constant(x, { dtype: "float64" }),
    );
    assertAllClose(jac, gt.constant(e, { dtype: "float64" }), { rtol: 1e-14, atol: 1e-14 });
  }
});

Deno.test("scans' derivatives match finite differences to order 3, with zeros for cumprod", async (t) => {
  const x = [[0.3, -1.2, 0.8, 0], [1.5, 0, 2.1, -0.7]];
  const cases: [string, (x: Tensor) => Tensor][] = [
    ["cumsum", (x) => gt.sin(gt.cumsum(x, 1, { exclusive: true }))],
    ["cumprod", (x) => gt.cumprod(x, 1)],
    ["cumprod reversed exclusive", (x) => gt.cumprod(x, -1, { reverse: true, exclusive: true })],
    ["cumprod axis 0", (x) => gt.cumprod(x, 0)],
    ["cumulativeLogSumExp", (x) => gt.cumulativeLogSumExp(x, 1, { reverse: true })],
  ];
  for (const [name, f] of cases) {
    await t.step(name, () => checkGrads(f, [x], { order: 3, atol: 1e-5, rtol: 1e-4 }));
  }
});

Deno.test("scans under vmap, the mapped axis before, at and after the scanned one", () => {
  const next = lcg(9);
  const xs = Array.from(
    { length: 3 },
    () =>
      gt.constant(Array.from({ length: 12 }, () => next() + 0.5), {
        dtype: "float64",
        shape: [3, 4],
      }),
  );
  for (const s of scans) {
    for (const axis of [0, 1]) {
      const f = (x: Tensor) => s.fn(x, axis, { exclusive: axis === 1, reverse: axis === 0 });
      const each = xs.map(f);
      for (const b of [0, 1, 2]) {
        const y = gt.vmap(f, { inAxes: b, outAxes: b })(gt.stack(xs, b));
        assertAllClose(y, gt.stack(each, b), { rtol: 1e-14 });
      }
    }
  }
});

Deno.test("scans under jit equal eager mode bit for bit", () => {
  const x = gt.constant([[0.5, 1.5, -2, 3], [1, 2, 0, -1]], { dtype: "float32" });
  for (const s of scans) {
    const f = (v: Tensor) => s.fn(v, 1, { reverse: true });
    assert.deepEqual(gt.jit(f)(x).toArray(), f(x).toArray(), s.name);
    const g = gt.grad((v: Tensor) => gt.reduceSum(gt.square(s.fn(v, 1))));
    assert.deepEqual(gt.jit(g)(x).toArray(), g(x).toArray(), `${s.name} gradient`);
  }
});

Deno.test("scan errors name the op and the bad value", () => {
  for (const s of scans) {
    assert.throws(
      () => s.fn(3),
      new RegExp(`${s.name}: expects a tensor of rank ≥ 1, got a scalar`),
    );
    assert.throws(() => s.fn([1, 2], 1), new RegExp(`${s.name}: axis 1 is out of range`));
    assert.throws(
      () => s.fn([true]),
      new RegExp(
        `${s.name}: (no arithmetic on bool|expects a float32 or float64 tensor, got bool)`,
      ),
    );
    assert.throws(
      () => s.fn([1, 2], 0, { exclusiv: true } as never),
      new RegExp(`${s.name}: unknown option 'exclusiv' \\(did you mean 'exclusive'\\?\\)`),
    );
    assert.throws(
      () => s.fn([1, 2], 0, { reverse: 1 as never }),
      new RegExp(`${s.name}: reverse must be true or false`),
    );
  }
  assert.throws(
    () => gt.cumulativeLogSumExp(gt.constant([1], { dtype: "int32" as DType })),
    /cumulativeLogSumExp: expects a float32 or float64 tensor, got int32/,
  );
});
