/**
 * Behavioural tests of `ForwardAccumulator`: directional derivatives along the given tangents,
 * against closed forms computed here in float64, and the errors for primals and tangents that
 * do not match.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { anyActive } from "../../src/core/dispatch.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { f64, present, throwsWith } from "../_helpers.ts";

Deno.test("ForwardAccumulator.jvp along tangents", async (t) => {
  await t.step("one primal: the directional derivative f'(x)·t, of the target's shape", () => {
    const xs = [0.5, -1, 2];
    const ts = [1, 0, -3];
    const x = f64(xs);
    const acc = new gt.ForwardAccumulator(x, f64(ts));
    const y = acc.record(() => x.pow(3));
    const dy = present(acc.jvp(y));
    assert.deepEqual(dy.shape, [3]);
    assert.equal(dy.dtype, "float64");
    assertAllClose(dy, xs.map((v, i) => 3 * v * v * ts[i]), { rtol: 1e-12 });
  });

  await t.step("the jvp of a primal is its tangent", () => {
    const x = f64([1, 2]);
    const acc = new gt.ForwardAccumulator(x, f64([5, 7]));
    assertAllClose(present(acc.jvp(x)), [5, 7]);
  });

  await t.step("tangents given as plain numbers and arrays take the primal's dtype", () => {
    const x = f64([[1, 2], [3, 4]]);
    const acc = new gt.ForwardAccumulator(x, [[1, 0], [0, 1]]);
    const y = acc.record(() => gt.exp(x));
    const dy = present(acc.jvp(y));
    assert.equal(dy.dtype, "float64");
    assertAllClose(dy, [[Math.exp(1), 0], [0, Math.exp(4)]], { rtol: 1e-12 });

    const s = gt.constant(2); // float32
    const acc2 = new gt.ForwardAccumulator(s, 1);
    const z = acc2.record(() => s.square());
    assert.equal(present(acc2.jvp(z)).dtype, "float32");
    assertAllClose(present(acc2.jvp(z)), 4);
  });

  await t.step("several primals: the sum of the partial derivatives along each tangent", () => {
    const as = [0.3, -0.8], bs = [1.5, 2];
    const tas = [1, -1], tbs = [0.5, 2];
    const a = f64(as), b = f64(bs);
    const acc = new gt.ForwardAccumulator([a, b], [f64(tas), f64(tbs)]);
    const y = acc.record(() => a.mul(b).add(gt.sin(a)));
    // d(ab + sin a) = (b + cos a)·ta + a·tb
    assertAllClose(
      present(acc.jvp(y)),
      as.map((v, i) => (bs[i] + Math.cos(v)) * tas[i] + v * tbs[i]),
      { rtol: 1e-12 },
    );
  });

  await t.step("a zero tangent contributes nothing", () => {
    const a = f64(2), b = f64(3);
    const acc = new gt.ForwardAccumulator([a, b], [f64(0), f64(1)]);
    const y = acc.record(() => a.square().mul(b));
    assertAllClose(present(acc.jvp(y)), 4);
  });

  await t.step("broadcasting ops: tangents broadcast like the primals", () => {
    const as = [[1], [2]], bs = [0.5, -1, 3];
    const tas = [[2], [-1]], tbs = [1, 1, 0];
    const a = f64(as), b = f64(bs);
    const acc = new gt.ForwardAccumulator([a, b], [f64(tas), f64(tbs)]);
    const y = acc.record(() => a.mul(b)); // [2, 3]
    const dy = present(acc.jvp(y));
    assert.deepEqual(dy.shape, [2, 3]);
    assertAllClose(dy, as.map((ra, i) => bs.map((bv, j) => tas[i][0] * bv + ra[0] * tbs[j])));
    const s = acc.record(() => gt.reduceSum(y));
    const total = as.reduce(
      (acc0, ra, i) => acc0 + bs.reduce((u, bv, j) => u + tas[i][0] * bv + ra[0] * tbs[j], 0),
      0,
    );
    assertAllClose(present(acc.jvp(s)), total);
  });

  await t.step("matmul: d(A·X) = dA·X + A·dX", () => {
    const A = [[1, 2, 3], [4, 5, 6]], X = [[1, 0], [-1, 2], [0.5, 1]];
    const dA = [[0, 1, 0], [1, 0, -1]], dX = [[1, 1], [0, 0], [2, -2]];
    const mm = (p: number[][], q: number[][]) =>
      p.map((row) => q[0].map((_, j) => row.reduce((s, v, k) => s + v * q[k][j], 0)));
    const a = f64(A), x = f64(X);
    const acc = new gt.ForwardAccumulator([a, x], [f64(dA), f64(dX)]);
    const y = acc.record(() => gt.matmul(a, x));
    const expected = mm(dA, X).map((row, i) => row.map((v, j) => v + mm(A, dX)[i][j]));
    assertAllClose(present(acc.jvp(y)), expected);
  });

  await t.step("variables as primals: every read carries the variable's tangent", () => {
    const v = new gt.Variable(f64([1, 2]), { name: "v" });
    const c = f64([3, -1]);
    const acc = new gt.ForwardAccumulator([v, c], [f64([1, 0.5]), f64([2, 2])]);
    const y = acc.record(() => v.square().mul(c).add(v.value()));
    // d(v²c + v) = (2vc + 1)·tv + v²·tc
    assertAllClose(present(acc.jvp(y)), [
      (2 * 1 * 3 + 1) * 1 + 1 * 2,
      (2 * 2 * -1 + 1) * 0.5 + 4 * 2,
    ]);
    assertAllClose(present(acc.jvp(v)), [1, 0.5]);
  });

  await t.step("a variable alone as the primal", () => {
    const w = new gt.Variable(f64(0.5), { name: "w" });
    const acc = new gt.ForwardAccumulator(w, f64(2));
    const y = acc.record(() => gt.tanh(w));
    assertAllClose(present(acc.jvp(y)), 2 * (1 - Math.tanh(0.5) ** 2), { rtol: 1e-12 });
  });

  await t.step("record may be called several times; tangents carry across calls", () => {
    const x = f64(1.2);
    const acc = new gt.ForwardAccumulator(x, f64(1));
    const a = acc.record(() => x.square());
    const b = acc.record(() => a.mul(x));
    assertAllClose(present(acc.jvp(b)), 3 * 1.2 ** 2, { rtol: 1e-12 });
  });

  await t.step("record returns what fn returns", () => {
    const x = f64(1);
    const acc = new gt.ForwardAccumulator(x, f64(1));
    const obj = { k: 1 };
    assert.equal(acc.record(() => obj), obj);
    assert.equal(acc.record(() => 7), 7);
  });

  await t.step("a throwing fn: the error propagates, tangents computed before stay", () => {
    const x = f64(2);
    const acc = new gt.ForwardAccumulator(x, f64(1));
    let y!: gt.Tensor;
    assert.throws(
      () =>
        acc.record(() => {
          y = x.pow(3);
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(anyActive(), false, "the accumulator must not be left active");
    assertAllClose(present(acc.jvp(y)), 12);
    assert.equal(acc.jvp(x.square()), null);
  });

  await t.step("record refuses an async fn with a TypeError saying it must be synchronous", () => {
    const x = f64(1);
    const acc = new gt.ForwardAccumulator(x, f64(1));
    throwsWith(
      () =>
        acc.record(async () => {
          await Promise.resolve();
          return x.square();
        }),
      TypeError,
      /synchronous/,
    );
    assert.equal(anyActive(), false, "the accumulator must not be left active");
  });

  await t.step(
    "an async fn that rejects is refused, and its rejection does not go unhandled",
    async () => {
      const acc = new gt.ForwardAccumulator(f64(1), f64(1));
      throwsWith(
        () =>
          acc.record(async () => {
            await Promise.resolve();
            throw new Error("x");
          }),
        TypeError,
        /^ForwardAccumulator\.record: fn returned a Promise, but recording must be synchronous/,
      );
      // Nested inside its own recording, too.
      acc.record(() =>
        throwsWith(() => acc.record(() => Promise.reject(new Error("y"))), TypeError, /synchronous/)
      );
      // Deno's test sanitizer fails the test if either rejection is left unhandled.
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  );

  await t.step("record refuses a non-function, naming it", () => {
    const acc = new gt.ForwardAccumulator(f64(1), f64(1));
    throwsWith(
      () => acc.record(5 as unknown as () => void),
      TypeError,
      /^ForwardAccumulator\.record: fn must be a function, not 5$/,
    );
  });
});

Deno.test("ForwardAccumulator.jvp on structured targets", async (t) => {
  const setup = () => {
    const x = f64([0.1, 0.2]);
    const acc = new gt.ForwardAccumulator(x, f64([1, 2]));
    const [s, e] = acc.record(() => [gt.sin(x), gt.exp(x)]);
    return { x, acc, s, e };
  };

  await t.step("an array of targets gives an array of tangents in the same order", () => {
    const { acc, s, e } = setup();
    const out: [gt.Tensor | null, gt.Tensor | null] = acc.jvp([s, e]);
    assert.equal(out.length, 2);
    assertAllClose(present(out[0]), [Math.cos(0.1), 2 * Math.cos(0.2)], { rtol: 1e-12 });
    assertAllClose(present(out[1]), [Math.exp(0.1), 2 * Math.exp(0.2)], { rtol: 1e-12 });
  });

  await t.step("a nested record of targets gives a record with the same keys", () => {
    const { x, acc, s, e } = setup();
    const out: { trig: { s: gt.Tensor | null }; rest: [gt.Tensor | null, gt.Tensor | null] } = acc
      .jvp({ trig: { s }, rest: [e, x] });
    assert.deepEqual(Object.keys(out), ["trig", "rest"]);
    assertAllClose(present(out.trig.s), [Math.cos(0.1), 2 * Math.cos(0.2)], { rtol: 1e-12 });
    assertAllClose(present(out.rest[0]), [Math.exp(0.1), 2 * Math.exp(0.2)], { rtol: 1e-12 });
    assertAllClose(present(out.rest[1]), [1, 2]);
  });
});

Deno.test("ForwardAccumulator.jvp options", async (t) => {
  const x = f64(2);
  const acc = new gt.ForwardAccumulator(x, f64(1));
  const y = acc.record(() => x.square());

  await t.step("a misspelt option name is refused, listing the accepted one", () => {
    throwsWith(
      () => acc.jvp(y, { unconnectedGradient: "zero" } as gt.JvpOptions),
      TypeError,
      /^ForwardAccumulator\.jvp: unknown option 'unconnectedGradient' \(did you mean 'unconnectedGradients'\?\): the accepted options are 'unconnectedGradients'$/,
    );
  });

  await t.step(
    'an unknown unconnectedGradients value is refused, listing "none", "zero", "error"',
    () => {
      throwsWith(
        () => acc.jvp(y, { unconnectedGradients: "zeros" as gt.UnconnectedGradients }),
        TypeError,
        /^ForwardAccumulator\.jvp: unconnectedGradients must be one of "none", "zero", "error", not "zeros" \(a string\)$/,
      );
      throwsWith(
        () => acc.jvp(y, 1 as unknown as gt.JvpOptions),
        TypeError,
        /^ForwardAccumulator\.jvp: options must be an object/,
      );
    },
  );

  await t.step("a target that is not a tensor is named with its value", () => {
    throwsWith(
      () => acc.jvp([y, 3] as unknown as gt.Tensor[]),
      TypeError,
      /^ForwardAccumulator\.jvp: target\[1\] is 3; expected a Tensor or Variable/,
    );
    assertAllClose(present(acc.jvp(y)), 4);
  });
});

Deno.test("ForwardAccumulator.jvp unconnectedGradients", async (t) => {
  const setup = () => {
    const x = f64([1, 2]);
    const other = f64([[1, 2, 3]]);
    const acc = new gt.ForwardAccumulator(x, f64([1, 1]));
    const [y, z] = acc.record(() => [x.square(), other.mul(2)]);
    return { acc, x, y, z, other };
  };

  await t.step(
    '"none" (the default): null for a target that does not depend on the primals',
    () => {
      const { acc, z } = setup();
      assert.equal(acc.jvp(z), null);
      assert.equal(acc.jvp(z, { unconnectedGradients: "none" }), null);
    },
  );

  await t.step('"zero": zeros of the target\'s shape and dtype', () => {
    const { acc, z } = setup();
    const dz = present(acc.jvp(z, { unconnectedGradients: "zero" }));
    assert.deepEqual(dz.shape, [1, 3]);
    assert.equal(dz.dtype, "float64");
    assertAllClose(dz, [[0, 0, 0]]);
  });

  await t.step('"zero" applies per leaf of a structured target', () => {
    const { acc, y, z } = setup();
    const [dy, dz] = acc.jvp([y, z], { unconnectedGradients: "zero" });
    assertAllClose(present(dy), [2, 4]);
    assertAllClose(present(dz), [[0, 0, 0]]);
  });

  await t.step('"error": throws, naming the target and saying it has no tangent', () => {
    const { acc, y, z } = setup();
    assertAllClose(present(acc.jvp(y, { unconnectedGradients: "error" })), [2, 4]);
    throwsWith(
      () => acc.jvp({ loss: z }, { unconnectedGradients: "error" }),
      Error,
      /target loss has no tangent/,
    );
    throwsWith(() => acc.jvp(z, { unconnectedGradients: "error" }), Error, /the target has no/);
  });

  await t.step("a target computed outside record has no tangent", () => {
    const { acc, x } = setup();
    const w = x.mul(3);
    assert.equal(acc.jvp(w), null);
  });

  await t.step("stopGradient and a cast to int32 cut the tangent", () => {
    const x = f64([1.5, 2.5]);
    const acc = new gt.ForwardAccumulator(x, f64([1, 1]));
    const [a, b, c] = acc.record(() => [
      gt.stopGradient(x).mul(2),
      gt.cast(gt.cast(x, "int32"), "float64"),
      gt.cast(x, "float32"),
    ]);
    assert.equal(acc.jvp(a), null);
    assert.equal(acc.jvp(b), null);
    // Between floating types, the tangent passes (cast to the new dtype).
    const dc = present(acc.jvp(c));
    assert.equal(dc.dtype, "float32");
    assertAllClose(dc, [1, 1]);
  });
});

Deno.test("ForwardAccumulator construction errors", async (t) => {
  await t.step("an array of primals with a single tangent is refused, naming the counts", () => {
    const a = f64(1), b = f64(2);
    throwsWith(
      () => new gt.ForwardAccumulator([a, b], f64(1)),
      Error,
      /2 primals/,
      /single tangent/,
    );
  });

  await t.step("arrays of different lengths are refused, naming both counts", () => {
    const a = f64(1), b = f64(2);
    throwsWith(
      () => new gt.ForwardAccumulator([a, b], [f64(1), f64(1), f64(1)]),
      Error,
      /2 primals/,
      /3 tangents/,
    );
  });

  await t.step("a tangent of another shape is refused, naming both shapes", () => {
    const x = f64([[1, 2, 3], [4, 5, 6]]);
    throwsWith(
      () => new gt.ForwardAccumulator(x, f64([[1, 2], [3, 4], [5, 6]])),
      Error,
      /\[3,\s?2\]/,
      /\[2,\s?3\]/,
    );
  });

  await t.step("a tangent of another dtype is refused, naming both dtypes", () => {
    const x = f64([1, 2]);
    throwsWith(
      () => new gt.ForwardAccumulator(x, gt.constant([1, 1], { dtype: "float32" })),
      Error,
      /float32/,
      /float64/,
    );
  });

  await t.step("a non-floating primal is refused with a TypeError", () => {
    const n = gt.constant([1, 2], { dtype: "int32" });
    throwsWith(() => new gt.ForwardAccumulator(n, [1, 1]), TypeError, /int32/);
  });

  await t.step("a primal that is not a tensor or variable is refused with a TypeError", () => {
    throwsWith(
      () => new gt.ForwardAccumulator([f64(1), 2 as unknown as gt.Tensor], [1, 1]),
      TypeError,
      /primal 1/,
    );
  });

  await t.step("primals that are neither a tensor, a variable nor an array are refused", () => {
    throwsWith(
      () => new gt.ForwardAccumulator(5 as unknown as gt.Tensor, 1),
      TypeError,
      /^ForwardAccumulator: primals must be a Tensor or Variable, or an array of them, not 5$/,
    );
    throwsWith(
      () => new (gt.ForwardAccumulator as unknown as new () => unknown)(),
      TypeError,
      /^ForwardAccumulator: primals must be .*, not undefined$/,
    );
    throwsWith(
      () => new gt.ForwardAccumulator([f64(1), "x" as unknown as gt.Tensor], [1, 1]),
      TypeError,
      /^ForwardAccumulator: primal 1 is "x" \(a string\), not a Tensor or Variable$/,
    );
  });

  await t.step("missing tangents are refused, saying what to give", () => {
    throwsWith(
      () => new gt.ForwardAccumulator(f64(1), undefined as unknown as number),
      TypeError,
      /^ForwardAccumulator: tangents are missing: give one tangent per primal, of its shape$/,
    );
  });

  await t.step("a refused constructor leaves nothing behind", () => {
    const a = f64([1, 2]);
    const v = new gt.Variable(f64(3), { name: "v" });
    // The first primals are fine; the last tangent is not.
    assert.throws(() => new gt.ForwardAccumulator([a, v], [f64([1, 1]), f64([1, 1])]), /\[2\]/);
    assert.equal(anyActive(), false, "no transform may be left active");
    // Nothing seeded lingers: a fresh accumulator sees only its own tangents, ...
    const acc = new gt.ForwardAccumulator(v, f64(1));
    const [ya, yv] = acc.record(() => [a.square(), v.square()]);
    assert.equal(acc.jvp(ya), null);
    assertAllClose(present(acc.jvp(yv)), 6);
    // ... a tape sees the usual gradients, and the primals are unchanged.
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(a);
      return gt.reduceSum(a.square()).mul(v);
    });
    const [ga, gv] = tape.gradient(y, [a, v]);
    assertAllClose(present(ga), [6, 12]);
    assertAllClose(present(gv), 5);
    assertAllClose(a, [1, 2]);
    assertAllClose(v.value(), 3);
  });

  await t.step("a refused constructor inside a recording leaves the recording intact", () => {
    const x = f64(2);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      assert.throws(() => new gt.ForwardAccumulator(x, f64([1, 2])), /\[2\]/);
      return x.pow(3);
    });
    assertAllClose(present(tape.gradient(y, x)), 12);
  });
});
