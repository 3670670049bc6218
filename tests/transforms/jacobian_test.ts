/**
 * Jacobians in one pass: `tape.jacobian`, `tape.batchJacobian`, `jacrev` (and `hessian` of a
 * customGradient function) push every direction through one backward pass mapped by vmap. Each
 * is checked against the rows computed one at a time (`tape.gradient` with a one-hot
 * `outputGradients`), and the number of backward passes is counted through a customGradient
 * whose rule counts its calls.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { f64, present } from "../_helpers.ts";

const tight = { rtol: 1e-12, atol: 1e-12 };

// The seeded normal tensor of `shape`, in float64.
const normal = (shape: number[], seed: number) =>
  gt.cast(gt.random.normal(shape, { seed }), "float64");

const oneHot = (shape: readonly number[], i: number): gt.Tensor => {
  const data = new Float64Array(shape.reduce((s, d) => s * d, 1));
  data[i] = 1;
  return gt.reshape(f64(data), [...shape]);
};

// The Jacobian of `y` with respect to `x` row by row: one gradient call per element of y.
function rowByRow(
  tape: gt.GradientTape,
  y: gt.Tensor,
  x: gt.Tensor | gt.Variable,
): gt.Tensor {
  const rows: gt.Tensor[] = [];
  for (let i = 0; i < y.size; i++) {
    const g = tape.gradient(y, x, {
      outputGradients: oneHot(y.shape, i),
      unconnectedGradients: "zero",
    });
    rows.push(present(g));
  }
  return gt.reshape(gt.stack(rows), [...y.shape, ...x.shape]);
}

// A customGradient identity whose rule counts the backward passes through it.
function counted(): { f: (x: gt.Tensor) => gt.Tensor; calls: () => number } {
  let calls = 0;
  const f = gt.customGradient((x: gt.Tensor) => [
    gt.multiply(x, 1),
    (dy: gt.Tensor) => {
      calls++;
      return dy;
    },
  ]);
  return { f: (x) => f(x), calls: () => calls };
}

// y = tanh(W·x) ⊙ (1 + Σ u²), shaped by `shape`, over a vector x of 6 and a matrix u of 2×3.
function recorded(shape: number[], persistent = true) {
  const size = shape.reduce((s, d) => s * d, 1);
  const W = normal([size, 6], 1);
  const x = normal([6], 2);
  const u = new gt.Variable(normal([2, 3], 3), { name: "u" });
  const tape = new gt.GradientTape({ persistent });
  const y = tape.record(() => {
    tape.watch(x);
    const wx = gt.reshape(gt.matmul(W, gt.reshape(x, [6, 1])), shape);
    return gt.tanh(wx).mul(gt.reduceSum(u.square()).add(1));
  });
  return { tape, x, u, y };
}

Deno.test("tape.jacobian equals the row-by-row gradients", async (t) => {
  for (const shape of [[], [5], [2, 3]]) {
    await t.step(`a rank-${shape.length} target [${shape}] with two sources`, () => {
      const { tape, x, u, y } = recorded(shape);
      const j = tape.jacobian(y, { x, u });
      assert.deepEqual(present(j.x).shape, [...shape, 6]);
      assert.deepEqual(present(j.u).shape, [...shape, 2, 3]);
      assertAllClose(present(j.x), rowByRow(tape, y, x), tight);
      assertAllClose(present(j.u), rowByRow(tape, y, u), tight);
    });
  }

  await t.step("a variable read twice sums both reads' rows", () => {
    const v = new gt.Variable(f64([0.5, -1, 2]), { name: "v" });
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => gt.sin(v.value()).mul(v.value().square()));
    assertAllClose(present(tape.jacobian(y, v)), rowByRow(tape, y, v), tight);
  });

  await t.step("a non-persistent tape gives the whole Jacobian from its one call", () => {
    const { x, y, tape } = recorded([4], false);
    const reference = recorded([4]);
    assertAllClose(
      present(tape.jacobian(y, x)),
      rowByRow(reference.tape, reference.y, reference.x),
      tight,
    );
    assert.throws(() => tape.jacobian(y, x), /used up/);
  });

  await t.step("a persistent tape answers again, jacobian and gradient alike", () => {
    const { tape, x, y } = recorded([3]);
    const first = present(tape.jacobian(y, x));
    assertAllClose(present(tape.jacobian(y, x)), first, tight);
    // The gradient is the Jacobian's column sums.
    assertAllClose(present(tape.gradient(y, x)), gt.reduceSum(first, 0), tight);
  });

  await t.step("an integer source gets null, zeros or an error, as gradient does", () => {
    const { tape, y } = recorded([3]);
    const k = gt.constant([1, 2], { dtype: "int32" });
    assert.equal(tape.jacobian(y, k), null);
    assert.deepEqual(present(tape.jacobian(y, k, { unconnectedGradients: "zero" })).dtype, "int32");
    assert.throws(() => tape.jacobian(y, k, { unconnectedGradients: "error" }), /int32/);
  });
});

Deno.test("tape.jacobian differentiates its own backward pass", async (t) => {
  const x0 = [0.5, -1, 2];
  // y = x³ elementwise: J = diag(3x²), and ∂J[i][j]/∂x[k] = 6x[i] where i = j = k.
  const third = x0.map((_, i) =>
    x0.map((_, j) => x0.map((xk, k) => (i === j && j === k ? 6 * xk : 0)))
  );

  await t.step("a persistent tape recording its own jacobian call", () => {
    const x = f64(x0);
    const tape = new gt.GradientTape({ persistent: true });
    const j = tape.record(() => {
      tape.watch(x);
      const y = x.mul(x).mul(x);
      return present(tape.jacobian(y, x));
    });
    assertAllClose(j, x0.map((xi, i) => x0.map((_, k) => (i === k ? 3 * xi * xi : 0))), tight);
    assertAllClose(present(tape.jacobian(j, x)), third, tight);
  });

  await t.step("an outer tape around an inner tape's jacobian call", () => {
    const x = f64(x0);
    const outer = new gt.GradientTape();
    const j = outer.record(() => {
      outer.watch(x);
      const inner = new gt.GradientTape();
      const y = inner.record(() => {
        inner.watch(x);
        return x.mul(x).mul(x);
      });
      return present(inner.jacobian(y, x));
    });
    assertAllClose(present(outer.jacobian(j, x)), third, tight);
  });

  await t.step("an accumulator around the jacobian call: forward over the batched pass", () => {
    const x = f64(x0);
    const v = [1, 0, -2];
    const acc = new gt.ForwardAccumulator(x, f64(v));
    const j = acc.record(() => {
      const tape = new gt.GradientTape();
      const y = tape.record(() => {
        tape.watch(x);
        return x.mul(x).mul(x);
      });
      return present(tape.jacobian(y, x));
    });
    // d/dε diag(3(x + εv)²) = diag(6x·v).
    const expected = x0.map((xi, i) => x0.map((_, k) => (i === k ? 6 * xi * v[i] : 0)));
    assertAllClose(present(acc.jvp(j)), expected, tight);
  });

  await t.step("a non-persistent tape's jacobian inside its own record is not recorded", () => {
    const x = f64(x0);
    const tape = new gt.GradientTape();
    const j = tape.record(() => {
      tape.watch(x);
      return present(tape.jacobian(x.square(), x));
    });
    assertAllClose(j, x0.map((xi, i) => x0.map((_, k) => (i === k ? 2 * xi : 0))), tight);
    assert.throws(() => tape.jacobian(j, x), /used up/);
  });
});

Deno.test("tape.batchJacobian equals the per-row gradients", async (t) => {
  await t.step("target [4, 2, 3] and source [4, 5]: shape [4, 2, 3, 5], rows as one-hots", () => {
    const b = 4;
    const W = normal([5, 6], 7);
    const x = normal([b, 5], 8);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(x);
      return gt.reshape(gt.tanh(gt.matmul(x, W)), [b, 2, 3]);
    });
    const j = present(tape.batchJacobian(y, x));
    assert.deepEqual(j.shape, [b, 2, 3, 5]);
    // Row r's Jacobian: the gradients of y[r]'s elements, row r of each.
    const full = rowByRow(tape, y, x); // [b, 2, 3, b, 5]
    const expected = gt.stack(
      Array.from(
        { length: b },
        (_, r) => gt.squeeze(gt.slice(full, [r, 0, 0, r, 0], [1, 2, 3, 1, 5]), [0, 3]),
      ),
    );
    assertAllClose(j, expected, tight);
  });

  await t.step("a variable source, on a non-persistent tape", () => {
    const v = new gt.Variable(normal([3, 2], 9), { name: "v" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => gt.sin(v.value()).mul(gt.reduceSum(v.value(), 1, true)));
    const vs = v.value().toArray() as number[][];
    // y[r][i] = sin(v[r][i])·Σ_k v[r][k]: ∂/∂v[r][a] = δ(i,a)·cos(v[r][i])·s + sin(v[r][i]).
    const expected = vs.map((row) => {
      const s = row[0] + row[1];
      return row.map((vi, i) => row.map((_, a) => (i === a ? Math.cos(vi) * s : 0) + Math.sin(vi)));
    });
    assertAllClose(present(tape.batchJacobian(y, v)), expected, tight);
  });
});

Deno.test("jacrev equals the row-by-row gradients", async (t) => {
  await t.step("a tree of outputs (rank 0 and rank 2) with respect to two arguments", () => {
    const A = normal([2, 3, 4], 11);
    const f = (x: gt.Tensor, y: gt.Tensor) => ({
      s: gt.reduceSum(x.mul(y)),
      m: gt.tanh(gt.reshape(gt.matmul(gt.reshape(A, [6, 4]), gt.reshape(x, [4, 1])), [2, 3]))
        .mul(y.sum()),
    });
    const x = normal([4], 12), y = normal([4], 13);
    const j = gt.jacrev(f, { argnums: [0, 1] })(x, y);
    const tape = new gt.GradientTape({ persistent: true });
    const out = tape.record(() => {
      tape.watch([x, y]);
      return f(x, y);
    });
    assert.deepEqual(j.s[0].shape, [4]);
    assert.deepEqual(j.m[1].shape, [2, 3, 4]);
    assertAllClose(j.s[0], rowByRow(tape, out.s, x), tight);
    assertAllClose(j.s[1], rowByRow(tape, out.s, y), tight);
    assertAllClose(j.m[0], rowByRow(tape, out.m, x), tight);
    assertAllClose(j.m[1], rowByRow(tape, out.m, y), tight);
  });

  await t.step("equals jacfwd on a record argument", () => {
    const f = (p: { a: gt.Tensor; b: gt.Tensor }) => gt.exp(p.a.mul(p.b.sum())).add(p.b);
    const p = { a: normal([3], 14), b: normal([3], 15) };
    const rev = gt.jacrev(f)(p), fwd = gt.jacfwd(f)(p);
    assertAllClose(rev.a, fwd.a, tight);
    assertAllClose(rev.b, fwd.b, tight);
  });

  await t.step("an empty output leaf gets empty Jacobians beside the others", () => {
    const f = (x: gt.Tensor) => [x.square(), gt.slice(x, [0], [0])];
    const [j, e] = gt.jacrev(f)(f64([1, 2]));
    assertAllClose(j, [[2, 0], [0, 4]], tight);
    assert.deepEqual(e.shape, [0, 2]);
  });
});

Deno.test("every direction goes through one backward pass", async (t) => {
  await t.step("tape.jacobian calls the VJP rule once for 8 outputs", () => {
    const { f, calls } = counted();
    const x = normal([8], 16);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return gt.sin(f(x.mul(2)));
    });
    const j = present(tape.jacobian(y, x));
    assert.equal(calls(), 1);
    const c = gt.cos(x.mul(2)).mul(2).toArray() as number[];
    assertAllClose(j, c.map((ci, i) => c.map((_, k) => (i === k ? ci : 0))), tight);
  });

  await t.step("tape.batchJacobian calls it once for 3 × 4 outputs", () => {
    const { f, calls } = counted();
    const x = normal([3, 4], 17);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return f(x).square();
    });
    const j = present(tape.batchJacobian(y, x));
    assert.equal(calls(), 1);
    assert.deepEqual(j.shape, [3, 4, 4]);
  });

  await t.step("jacrev calls it once for a tree of 1 + 6 outputs", () => {
    const { f, calls } = counted();
    const g = (x: gt.Tensor) => ({ s: gt.reduceSum(f(x)), v: gt.exp(f(x)) });
    const j = gt.jacrev(g)(normal([6], 18));
    assert.equal(calls(), 2); // f runs twice, each once backwards
    assert.deepEqual(j.v.shape, [6, 6]);
  });

  await t.step("hessian of a customGradient function: one reverse-over-forward pass", () => {
    const { f, calls } = counted();
    const x0 = [0.5, -1, 2, 0.25];
    const h = gt.hessian((x: gt.Tensor) => gt.reduceSum(f(x).mul(x).mul(x)))(f64(x0));
    // Σ x³: diag(6x).
    assertAllClose(h, x0.map((xi, i) => x0.map((_, k) => (i === k ? 6 * xi : 0))), tight);
    assert.equal(calls(), 2); // the gradient inside, then the vmapped Hessian-vector products
  });
});

Deno.test("Jacobians compose with each other and with vmap", async (t) => {
  await t.step("jacrev of grad, jacfwd of jacrev and jacrev of jacfwd equal the Hessian", () => {
    const f = (x: gt.Tensor) =>
      gt.reduceSum(gt.pow(x, 4)).add(gt.reduceSum(gt.sin(x).mul(x.sum())));
    const x = f64([0.5, -1, 2]);
    const h = gt.hessian(f)(x);
    assertAllClose(gt.jacrev(gt.grad(f))(x), h, tight);
    assertAllClose(gt.jacfwd(gt.jacrev(f))(x), h, tight);
    assertAllClose(gt.jacrev(gt.jacfwd(f))(x), h, tight);
  });

  await t.step("vmap of jacrev equals batchJacobian", () => {
    const W = normal([3, 4], 19);
    const f = (x: gt.Tensor) => gt.tanh(gt.reshape(gt.matmul(W, gt.reshape(x, [4, 1])), [3]));
    const xs = normal([5, 4], 20);
    const perExample = gt.vmap(gt.jacrev(f))(xs);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(xs);
      return gt.tanh(gt.matmul(xs, W, { transposeB: true }));
    });
    assertAllClose(perExample, present(tape.batchJacobian(y, xs)), tight);
  });
});
