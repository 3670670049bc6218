/**
 * Concrete values and errors of `matmul`: rank 2, batched rank 3 and 4 with broadcast batch
 * dimensions, transposeA/transposeB, against a naive triple loop written here.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { DType } from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * `op(a) @ op(b)` by the definition: batch indices broadcast (numpy rules, a size-1 batch axis
 * reads index 0), then out[i][j] = Σ_p op(a)[i][p]·op(b)[p][j] in float64.
 */
function refMatmul(
  a: ArrayLike<number>,
  aShape: number[],
  b: ArrayLike<number>,
  bShape: number[],
  transposeA = false,
  transposeB = false,
): { data: number[]; shape: number[] } {
  const [ar, ac] = aShape.slice(-2);
  const [br, bc] = bShape.slice(-2);
  const m = transposeA ? ac : ar, k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pa = [...new Array(rank - aBatch.length).fill(1), ...aBatch];
  const pb = [...new Array(rank - bBatch.length).fill(1), ...bBatch];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const A = (bi: number, i: number, p: number) =>
    a[bi * ar * ac + (transposeA ? p * ac + i : i * ac + p)];
  const B = (bi: number, p: number, j: number) =>
    b[bi * br * bc + (transposeB ? j * bc + p : p * bc + j)];
  const data: number[] = [];
  for (let f = 0; f < sizeOf(batch); f++) {
    // the batch index, then each operand's own (broadcast) batch index
    let rem = f;
    const idx = new Array(rank);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
    }
    let ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      ia = ia * pa[d] + (pa[d] === 1 ? 0 : idx[d]);
      ib = ib * pb[d] + (pb[d] === 1 ? 0 : idx[d]);
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A(ia, i, p) * B(ib, p, j);
        data.push(s);
      }
    }
  }
  return { data, shape: [...batch, m, n] };
}

function randomTensor(shape: number[], dtype: DType, seed: number): gt.Tensor {
  const next = lcg(seed);
  return gt.constant(Array.from({ length: sizeOf(shape) }, () => 4 * next() - 2), {
    dtype,
    shape,
  });
}

function tol(dtype: DType) {
  return dtype === "float32" ? { rtol: 1e-5, atol: 1e-5 } : { rtol: 1e-13, atol: 1e-13 };
}

Deno.test("matmul of two matrices, by hand", () => {
  assert.deepEqual(gt.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]).toArray(), [[19, 22], [43, 50]]);
  assert.deepEqual(gt.matmul([[1, 2, 3]], [[1], [0], [-1]]).toArray(), [[-2]]);
  assert.deepEqual(gt.matmul([[2]], [[3]]).toArray(), [[6]]);
  const outer = gt.matmul([[1], [2]], [[3, 4, 5]]);
  assert.deepEqual(outer.toArray(), [[3, 4, 5], [6, 8, 10]]);
});

const cases: { a: number[]; b: number[]; tA?: boolean; tB?: boolean }[] = [
  // rank 2
  { a: [2, 3], b: [3, 4] },
  { a: [1, 5], b: [5, 1] },
  { a: [4, 1], b: [1, 3] },
  { a: [3, 2], b: [3, 4], tA: true },
  { a: [2, 3], b: [4, 3], tB: true },
  { a: [3, 2], b: [4, 3], tA: true, tB: true },
  // batched rank 3
  { a: [3, 2, 4], b: [3, 4, 5] },
  { a: [3, 4, 2], b: [3, 4, 5], tA: true },
  { a: [3, 2, 4], b: [3, 5, 4], tB: true },
  { a: [3, 4, 2], b: [3, 5, 4], tA: true, tB: true },
  // broadcast batch dimensions
  { a: [1, 2, 3], b: [4, 3, 2] },
  { a: [4, 2, 3], b: [1, 3, 2] },
  { a: [2, 3, 4], b: [4, 5] },
  { a: [2, 3], b: [5, 3, 4] },
  { a: [2, 1, 3, 4], b: [5, 4, 2] },
  { a: [2, 1, 2, 3], b: [1, 4, 3, 2] },
  { a: [2, 3, 2, 3], b: [3, 3, 2] },
  { a: [2, 1, 3, 2], b: [1, 4, 5, 3], tA: true, tB: true },
  { a: [3, 4], b: [2, 2, 3, 5], tA: true },
];

Deno.test("matmul matches a naive reference", async (t) => {
  let seed = 10;
  for (const dtype of ["float32", "float64"] as const) {
    for (const c of cases) {
      const name = `[${c.a}]${c.tA ? "ᵀ" : ""} @ [${c.b}]${c.tB ? "ᵀ" : ""} (${dtype})`;
      await t.step(name, () => {
        const a = randomTensor(c.a, dtype, seed++);
        const b = randomTensor(c.b, dtype, seed++);
        const y = gt.matmul(a, b, { transposeA: c.tA, transposeB: c.tB });
        const e = refMatmul(a.data(), c.a, b.data(), c.b, c.tA, c.tB);
        assert.equal(y.dtype, dtype);
        assert.deepEqual(y.shape, e.shape);
        assertAllClose(y, gt.constant(e.data, { dtype: "float64", shape: e.shape }), tol(dtype));
      });
    }
  }
});

Deno.test("transposeA and transposeB equal transposing first", () => {
  const a = randomTensor([2, 4, 3], "float64", 1);
  const b = randomTensor([2, 5, 4], "float64", 2);
  const swapLast = [0, 2, 1];
  const direct = gt.matmul(a, b, { transposeA: true, transposeB: true });
  const explicit = gt.matmul(gt.transpose(a, swapLast), gt.transpose(b, swapLast));
  assert.deepEqual(direct.shape, [2, 3, 5]);
  assertAllClose(direct, explicit, { rtol: 1e-14, atol: 1e-14 });
});

Deno.test("matmul with the identity", () => {
  const x = randomTensor([3, 3], "float32", 3);
  assert.deepEqual(gt.matmul(x, gt.eye(3)).toArray(), x.toArray());
  assert.deepEqual(gt.matmul(gt.eye(3), x).toArray(), x.toArray());
});

Deno.test("float64 matmul keeps float64 precision", () => {
  const a = gt.constant([[0.1, 0.2]], { dtype: "float64" });
  const b = gt.constant([[0.3], [0.4]], { dtype: "float64" });
  const y = gt.matmul(a, b).item();
  assert.ok(Math.abs(y - 0.11) < 1e-16, `${y}`);
});

Deno.test("matmul errors", async (t) => {
  await t.step("inner dimensions that differ, exactly as the contract shows", () => {
    assert.throws(() => gt.matmul(gt.zeros([2, 3]), gt.zeros([2, 2])), {
      message: "matmul: inner dimensions differ: [2,3] @ [2,2]",
    });
  });
  await t.step("batched inner dimensions name both full shapes", () => {
    assert.throws(
      () => gt.matmul(gt.zeros([5, 2, 3]), gt.zeros([5, 4, 2])),
      (e: Error) =>
        e.message.startsWith("matmul: inner dimensions differ:") &&
        e.message.includes("[5,2,3]") && e.message.includes("[5,4,2]"),
    );
  });
  await t.step("a transpose that makes them differ", () => {
    assert.throws(
      () => gt.matmul(gt.zeros([2, 3]), gt.zeros([3, 2]), { transposeA: true }),
      /matmul: inner dimensions differ: \[2,3\].*@ \[3,2\]/,
    );
  });
  await t.step("batch dimensions that do not broadcast name matmul and both", () => {
    assert.throws(
      () => gt.matmul(gt.zeros([2, 2, 3]), gt.zeros([3, 3, 2])),
      (e: Error) =>
        e.message.startsWith("matmul:") && e.message.includes("[2]") &&
        e.message.includes("[3]"),
    );
  });
  await t.step("rank below 2", () => {
    assert.throws(() => gt.matmul([1, 2], [[1], [2]]), /matmul.*\[2\] @ \[2,1\]/);
    assert.throws(() => gt.matmul(2, 3), /matmul/);
  });
  await t.step("mixed dtypes name both", () => {
    assert.throws(
      () => gt.matmul(gt.zeros([1, 1]), gt.zeros([1, 1], "float64")),
      /matmul.*float32.*float64/,
    );
  });
});

Deno.test("the method form agrees with matmul", () => {
  const x = randomTensor([2, 3], "float32", 4);
  const w = randomTensor([3, 2], "float32", 5);
  assert.deepEqual(x.matmul(w).toArray(), gt.matmul(x, w).toArray());
  const v = new gt.Variable(w);
  assert.deepEqual(x.matmul(v).toArray(), gt.matmul(x, w).toArray());
  assert.deepEqual(v.matmul([[1, 0], [0, 1]]).toArray(), w.toArray());
});

// ---------------------------------------------------------------------------------------------
// Accuracy of long inner dimensions, and empty operands

Deno.test("matmul, tensordot and einsum of 2·10⁷ ones give 2·10⁷, not 16777216", () => {
  const n = 2e7;
  // Dense ones (gt.ones is a lazy fill, which takes a shortcut): one buffer, seen in each shape.
  const v = gt.constant(new Float32Array(n).fill(1));
  const row = gt.reshape(v, [1, n]), col = gt.reshape(v, [n, 1]);
  assert.deepEqual(gt.matmul(row, col).toArray(), [[n]]);
  assert.deepEqual(gt.matmul(col, row, { transposeA: true, transposeB: true }).toArray(), [[n]]);
  assert.equal(gt.tensordot(v, v, 1).item(), n);
  assert.equal(gt.einsum("i,i->", v, v).item(), n);
});

Deno.test("matmul of 1000 terms of 0.03 is 30 to float32 accuracy, on every path", async (t) => {
  const c = Math.fround(0.03), k = 1000;
  const dense = (shape: number[], value: number, dtype: DType = "float32") =>
    gt.constant(new Float64Array(sizeOf(shape)).fill(value), { shape, dtype });
  // [1,k]·[k,1] is a plain loop; [8,k]·[k,8] the WebAssembly kernel (before: 30.000275);
  // batches go one product at a time or as one stacked product.
  const paths: [string, () => gt.Tensor][] = [
    ["a dot product", () => gt.matmul(dense([1, k], c), dense([k, 1], 1))],
    ["8×8 outputs", () => gt.matmul(dense([8, k], c), dense([k, 8], 1))],
    [
      "aᵀ·bᵀ",
      () => gt.matmul(dense([k, 8], c), dense([8, k], 1), { transposeA: true, transposeB: true }),
    ],
    ["batched", () => gt.matmul(dense([2, 8, k], c), dense([2, k, 8], 1))],
    ["batched, B shared", () => gt.matmul(dense([3, 8, k], c), dense([k, 8], 1))],
    ["tensordot", () => gt.tensordot(dense([8, k], c), dense([k, 8], 1), 1)],
    ["einsum", () => gt.einsum("bij,jk->bik", dense([2, 8, k], c), dense([k, 8], 1))],
  ];
  for (const [name, run] of paths) {
    await t.step(name, () => {
      for (const v of run().data()) {
        assert.ok(Math.abs(v / (c * k) - 1) < 1e-6, `${v}, not ${c * k}`);
      }
    });
  }
  await t.step("float64", () => {
    const y = gt.matmul(dense([8, k], 0.03, "float64"), dense([k, 8], 1, "float64"));
    for (const v of y.data()) assert.ok(Math.abs(v - 30) < 1e-12, `${v}`);
  });
});

Deno.test("matmul matches a float64 reference at several k, with every transpose flag", async (t) => {
  // Positive terms, whose float32 running sums err the most; before, term by term: 1·10⁻⁶ of
  // the total at k = 1000, 1·10⁻⁵ at 70000.
  let seed = 100;
  for (const k of [1000, 5000, 70000]) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
      await t.step(`k = ${k}, transposeA ${tA}, transposeB ${tB}`, () => {
        const aShape = tA ? [2, k, 5] : [2, 5, k], bShape = tB ? [9, k] : [k, 9];
        const next = lcg(seed++);
        const a = Float32Array.from({ length: sizeOf(aShape) }, next);
        const b = Float32Array.from({ length: sizeOf(bShape) }, next);
        const y = gt.matmul(gt.constant(a, { shape: aShape }), gt.constant(b, { shape: bShape }), {
          transposeA: tA,
          transposeB: tB,
        });
        const e = refMatmul(a, aShape, b, bShape, tA, tB);
        assertAllClose(y, gt.constant(e.data, { dtype: "float64", shape: e.shape }), {
          rtol: 5e-7,
          atol: 0,
        });
      });
    }
  }
});

Deno.test("tensordot, matmul and einsum of empty operands: zeros when k = 0, empty when m or n is", async (t) => {
  // Dense empties and lazy zeros take different paths.
  const empty = (shape: number[], dtype: DType = "float32") =>
    gt.constant(new Float32Array(sizeOf(shape)), { shape, dtype });
  const zeros = (shape: number[]) => gt.zeros(shape).toArray();
  for (const make of [empty, (s: number[]) => gt.zeros(s)]) {
    await t.step(`tensordot (${make === empty ? "dense" : "lazy zeros"})`, () => {
      const y = gt.tensordot(make([3, 0]), make([0, 5]), 1);
      assert.deepEqual(y.shape, [3, 5]);
      assert.deepEqual(y.toArray(), zeros([3, 5]));
      assert.deepEqual(gt.tensordot(make([2, 0, 3]), make([0, 3, 4]), 2).toArray(), zeros([2, 4]));
      assert.deepEqual(gt.tensordot(make([0, 4]), make([4, 5]), 1).shape, [0, 5]);
      assert.deepEqual(gt.tensordot(make([3, 4]), make([4, 0]), 1).shape, [3, 0]);
      assert.equal(gt.tensordot(make([0]), make([0]), 1).item(), 0);
      assert.deepEqual(gt.tensordot(make([0, 2]), make([3]), 0).shape, [0, 2, 3]);
      assert.deepEqual(
        gt.tensordot(make([3, 0]), make([5, 0]), [[1], [1]]).toArray(),
        zeros([3, 5]),
      );
    });
    await t.step(`matmul (${make === empty ? "dense" : "lazy zeros"})`, () => {
      assert.deepEqual(gt.matmul(make([3, 0]), make([0, 5])).toArray(), zeros([3, 5]));
      assert.deepEqual(
        gt.matmul(make([0, 3]), make([5, 0]), { transposeA: true, transposeB: true }).toArray(),
        zeros([3, 5]),
      );
      assert.deepEqual(gt.matmul(make([2, 3, 0]), make([2, 0, 5])).toArray(), zeros([2, 3, 5]));
      assert.deepEqual(gt.matmul(make([0, 4]), make([4, 5])).shape, [0, 5]);
      assert.deepEqual(gt.matmul(make([3, 4]), make([4, 0])).shape, [3, 0]);
      assert.deepEqual(gt.matmul(make([0, 3, 4]), make([4, 5])).shape, [0, 3, 5]);
    });
    await t.step(`einsum (${make === empty ? "dense" : "lazy zeros"})`, () => {
      assert.deepEqual(gt.einsum("ij,jk->ik", make([3, 0]), make([0, 5])).toArray(), zeros([3, 5]));
      assert.deepEqual(gt.einsum("ij,jk->ik", make([0, 4]), make([4, 5])).shape, [0, 5]);
      assert.deepEqual(
        gt.einsum("bij,bjk->bik", make([2, 3, 0]), make([2, 0, 5])).toArray(),
        zeros([2, 3, 5]),
      );
      assert.equal(gt.einsum("i,i->", make([0]), make([0])).item(), 0);
    });
  }
  await t.step("float64 stays float64", () => {
    const y = gt.matmul(empty([3, 0], "float64"), empty([0, 5], "float64"));
    assert.equal(y.dtype, "float64");
    assert.deepEqual(y.toArray(), zeros([3, 5]));
  });
});
