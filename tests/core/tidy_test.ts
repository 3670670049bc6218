/**
 * `tidy` and `keep`: what a scope releases and what survives it, that released memory is reused
 * without changing any result, and that tapes, variables and optimizers keep what they need.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { poolStats } from "../../src/core/memory.ts";
import { assertAllClose } from "../../src/testing/mod.ts";

// Large enough (above the 2 KiB slab cut-off) for the buffers to be pooled.
const N = 4096;
const big = (seed: number) => gt.random.normal([N], { seed });

Deno.test("tidy returns fn's result and releases the rest", async (t) => {
  await t.step("a released tensor throws a message naming tidy and keep", () => {
    let leaked: gt.Tensor | undefined;
    const sum = gt.tidy(() => {
      leaked = gt.square(big(1));
      return gt.reduceSum(leaked);
    });
    assert.ok(Number.isFinite(sum.item()));
    assert.throws(() => leaked!.toArray(), /released when the tidy\(\) that made it ended.*keep/);
    assert.throws(() => gt.add(leaked!, 1), /released/);
    assert.deepEqual(leaked!.shape, [N]);
    assert.match(
      leaked!.toString(),
      /^Tensor\(<released by tidy>, shape=\[4096\], dtype=float32\)$/,
    );
  });

  await t.step("tensors in arrays and records in the result survive", () => {
    const { a, rest } = gt.tidy(() => ({ a: gt.exp(big(2)), rest: [gt.sin(big(3)), 7] }));
    assert.equal(a.size, N);
    assert.equal((rest[0] as gt.Tensor).data().length, N);
  });

  await t.step("a view of an intermediate that is returned keeps its data", () => {
    const x = big(4);
    const r = gt.tidy(() => gt.reshape(gt.multiply(x, 2), [64, 64]));
    gt.tidy(() => gt.multiply(big(5), 3)); // would take the buffer if it had been released
    assertAllClose(r, gt.reshape(gt.multiply(x, 2), [64, 64]));
  });

  await t.step("tensors made before the scope, and views of them, are never released", () => {
    const x = big(6);
    const before = x.data();
    gt.tidy(() => {
      gt.reshape(x, [N, 1]);
      gt.multiply(x, 3);
    });
    for (let i = 0; i < 10; i++) gt.tidy(() => gt.exp(big(7)));
    assert.deepEqual(x.data(), before);
  });

  await t.step("keep exempts a tensor", () => {
    let kept: gt.Tensor | undefined;
    gt.tidy(() => {
      kept = gt.keep(gt.negative(big(8)));
    });
    assertAllClose(kept!, gt.negative(big(8)));
  });

  await t.step("a nested scope's survivors are released by the outer scope", () => {
    let inner: gt.Tensor | undefined;
    const out = gt.tidy(() => {
      inner = gt.tidy(() => gt.square(big(9)));
      return gt.reduceSum(inner);
    });
    assert.throws(() => inner!.data(), /released/);
    assert.ok(out.item() > 0);
  });

  await t.step("an error in fn releases what it made and propagates", () => {
    let made: gt.Tensor | undefined;
    assert.throws(() =>
      gt.tidy(() => {
        made = gt.square(big(10));
        throw new Error("boom");
      }), /boom/);
    assert.throws(() => made!.data(), /released/);
  });

  await t.step("an async fn is refused", () => {
    assert.throws(() => gt.tidy(() => Promise.resolve(1)), /synchronous function only/);
  });

  await t.step("what is not a function is refused, named", () => {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => (gt.tidy as any)(3), /tidy: fn must be a function, not 3/);
  });

  await t.step("keep refuses what is not a tensor", () => {
    assert.throws(() => gt.keep(3 as never), /keep: expects a Tensor/);
  });
});

Deno.test("tidy reuses memory without changing results", async (t) => {
  const f = (x: gt.Tensor) =>
    gt.reduceSum(gt.add(gt.multiply(gt.sin(x), gt.exp(x)), gt.multiply(x, x)));
  const g = gt.grad(f);
  const x = gt.random.uniform([N], { minval: -2, maxval: 2, seed: 11 });
  const expected = g(x).data();

  await t.step("the buffers released by one step serve the next", () => {
    gt.tidy(() => g(x).data());
    const pooled = poolStats().buffers;
    assert.ok(pooled > 0, "the first step gave buffers back");
    for (let i = 0; i < 5; i++) assert.deepEqual(gt.tidy(() => g(x).data()), expected);
    assert.ok(poolStats().buffers <= pooled + 1, "later steps draw from the pool, not beside it");
  });

  await t.step("a training loop in tidy matches one without", () => {
    const train = (scoped: boolean) => {
      const w = new gt.Variable(gt.random.normal([N], { seed: 12 }));
      const opt = new gt.optimizers.Adam({ learningRate: 0.01 });
      const step = () => {
        const tape = new gt.GradientTape();
        const loss = tape.record(() => gt.reduceMean(gt.square(gt.sin(w))));
        opt.applyGradients([[tape.gradient(loss, w), w]]);
        w.assignSub(gt.multiply(w, 0.001));
        return loss.item();
      };
      const losses = [];
      for (let i = 0; i < 6; i++) losses.push(scoped ? gt.tidy(step) : step());
      return { losses, w: w.value().data() };
    };
    const plain = train(false), tidied = train(true);
    assert.deepEqual(tidied.losses, plain.losses);
    assert.deepEqual(tidied.w, plain.w);
  });
});

Deno.test("tidy never releases what something outside it still needs", async (t) => {
  await t.step("a variable's value, assigned inside, survives", () => {
    const v = new gt.Variable(big(13));
    gt.tidy(() => v.assign(gt.multiply(big(13), 2)));
    gt.tidy(() => gt.exp(big(14)));
    assertAllClose(v.value(), gt.multiply(big(13), 2));
  });

  await t.step("a variable's old value read with value() stays readable", () => {
    const v = new gt.Variable(big(15));
    const one = gt.onesLike(big(15));
    v.assignSub(one); // the variable now owns its value
    const before = v.value();
    const copy = before.data();
    gt.tidy(() => v.assignSub(one));
    for (let i = 0; i < 5; i++) gt.tidy(() => gt.exp(big(16)));
    assert.deepEqual(before.data(), copy);
  });

  await t.step("a persistent tape made outside keeps what it recorded inside", () => {
    const w = new gt.Variable(big(17));
    const half = gt.fill([N], 0.5);
    w.assignAdd(gt.zerosLike(w)); // owned, so that a later update inside tidy could give it up
    const tape = new gt.GradientTape({ persistent: true });
    const loss = gt.tidy(() => tape.record(() => gt.reduceSum(gt.square(gt.sin(w)))));
    gt.tidy(() => w.assignSub(half));
    for (let i = 0; i < 5; i++) gt.tidy(() => gt.exp(big(18)));
    const grad = tape.gradient(loss, w)!;
    const x = gt.subtract(w.value(), -0.5);
    assertAllClose(grad, gt.multiply(gt.multiply(2, gt.sin(x)), gt.cos(x)), { rtol: 1e-5 });
  });

  await t.step("inside an active tape, nothing is released", () => {
    const x = big(19);
    const tape = new gt.GradientTape();
    tape.watch(x);
    const y = tape.record(() => gt.tidy(() => gt.reduceSum(gt.exp(gt.sin(x)))));
    for (let i = 0; i < 5; i++) gt.tidy(() => gt.exp(big(20)));
    assertAllClose(tape.gradient(y, x)!, gt.multiply(gt.exp(gt.sin(x)), gt.cos(x)));
  });

  await t.step("the op-scalar cache survives scopes", () => {
    gt.tidy(() => gt.multiply(big(21), 0.123));
    assertAllClose(gt.multiply(gt.constant([2]), 0.123), gt.constant([0.246]));
  });
});

Deno.test("uniform tensors: broadcast scalars used without being made dense", async (t) => {
  const a = gt.random.normal([6, 5], { seed: 22, dtype: "float64" });
  const b = gt.random.normal([5, 4], { seed: 23, dtype: "float64" });
  const dense = (v: number, shape: number[]) =>
    gt.constant(new Float64Array(shape.reduce((p, d) => p * d, 1)).fill(v), {
      shape,
      dtype: "float64",
    });
  const u = (v: number, shape: number[]) =>
    gt.broadcastTo(gt.constant(v, { dtype: "float64" }), shape);

  await t.step("matmul with a uniform operand, each side and transpose", () => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const ash = tA ? [5, 6] : [6, 5], bsh = tB ? [4, 5] : [5, 4];
      const aa = tA ? gt.transpose(a) : a, bb = tB ? gt.transpose(b) : b;
      const o = { transposeA: tA, transposeB: tB };
      assertAllClose(gt.matmul(u(1.5, ash), bb, o), gt.matmul(dense(1.5, ash), bb, o));
      assertAllClose(gt.matmul(aa, u(-2, bsh), o), gt.matmul(aa, dense(-2, bsh), o));
      assertAllClose(
        gt.matmul(u(3, ash), u(0.5, bsh), o),
        gt.matmul(dense(3, ash), dense(0.5, bsh), o),
      );
    }
  });

  await t.step("binary ops, reductions and reshapes with uniform operands", () => {
    const ops = [gt.add, gt.subtract, gt.multiply, gt.divide, gt.pow, gt.maximum, gt.less];
    for (const op of ops) {
      for (const v of [1, 0, -0, 2.5]) {
        assertAllClose(op(a, u(v, [6, 5])), op(a, dense(v, [6, 5])));
        assertAllClose(op(u(v, [6, 5]), a), op(dense(v, [6, 5]), a));
        assertAllClose(op(u(v, [6, 5]), u(3, [6, 5])), op(dense(v, [6, 5]), dense(3, [6, 5])));
        assertAllClose(op(u(v, [3, 6, 5]), a), op(dense(v, [3, 6, 5]), a));
      }
    }
    assertAllClose(gt.reduceSum(u(2, [6, 5]), 1), gt.reduceSum(dense(2, [6, 5]), 1));
    assertAllClose(gt.reduceMax(u(2, [6, 5])), gt.constant(2, { dtype: "float64" }));
    assertAllClose(gt.reshape(u(2, [6, 5]), [30]).toArray(), dense(2, [30]));
    assert.ok(Object.is(gt.multiply(u(-0, [2]), 1).data()[0], -0));
    assert.ok(Object.is(gt.add(gt.constant([-0], { dtype: "float64" }), u(0, [1])).data()[0], 0));
  });

  await t.step("the gradient of sum(A·B) by both sides", () => {
    const g = gt.grad((x: gt.Tensor, y: gt.Tensor) => gt.reduceSum(gt.matmul(x, y)), {
      argnums: [0, 1],
    });
    const [ga, gb] = g(a, b);
    assertAllClose(ga, gt.matmul(dense(1, [6, 4]), b, { transposeB: true }));
    assertAllClose(gb, gt.matmul(a, dense(1, [6, 4]), { transposeA: true }));
  });
});

Deno.test("one-element operands are computed as scalars, with the dense results", () => {
  const xs = [2.5, -0, 3, NaN];
  const dense = (v: number, dtype: "float32" | "float64" | "int32") =>
    gt.reshape(gt.constant([v, 0], { dtype }), [2]);
  for (const dtype of ["float32", "float64"] as const) {
    for (const a of xs) {
      for (const b of xs) {
        const sa = gt.constant(a, { dtype }), sb = gt.constant([[b]], { dtype });
        for (const op of [gt.add, gt.subtract, gt.multiply, gt.divide, gt.pow, gt.maximum]) {
          const got = op(sa, sb), want = op(dense(a, dtype), dense(b, dtype));
          assert.deepEqual(got.shape, [1, 1]);
          assert.ok(Object.is(got.item(), want.data()[0]), `${op.name}(${a}, ${b}) ${dtype}`);
        }
        const lt: boolean[][] = gt.less(sa, sb).toArray();
        assert.equal(lt[0][0], a < b);
      }
      assert.ok(
        Object.is(gt.sin(gt.constant(a, { dtype })).item(), gt.sin(dense(a, dtype)).data()[0]),
      );
    }
  }
  assert.equal(gt.add(gt.constant(7, { dtype: "int32" }), 2147483647).item(), -2147483642);
  assert.equal(gt.divide(gt.constant(7, { dtype: "int32" }), 2).item(), 3.5);
});

Deno.test("tidy around transforms, accumulators and custom gradients", async (t) => {
  const x = gt.random.normal([N], { seed: 31 });
  const f = (v: gt.Tensor) => gt.reduceSum(gt.multiply(gt.exp(v), gt.sin(v)));

  await t.step("jvp, vjp and hvp results survive and match the untidied ones", () => {
    const dir = gt.random.normal([N], { seed: 32 });
    const [, want] = gt.jvp(f, [x], [dir]);
    const [, got] = gt.tidy(() => gt.jvp(f, [x], [dir]));
    assertAllClose(got, want);
    const [hv] = gt.tidy(() => gt.hvp(f, [x], [dir]));
    for (let i = 0; i < 3; i++) gt.tidy(() => gt.exp(big(33)));
    assertAllClose(hv, gt.hvp(f, [x], [dir])[0]);
  });

  await t.step("an accumulator made outside keeps what it saw inside", () => {
    const acc = new gt.ForwardAccumulator(x, gt.onesLike(x));
    const y = acc.record(() => gt.tidy(() => gt.reduceSum(gt.sin(x))));
    for (let i = 0; i < 3; i++) gt.tidy(() => gt.exp(big(34)));
    assertAllClose(acc.jvp(y)!, gt.reduceSum(gt.cos(x)), { rtol: 1e-5 });
  });

  await t.step("a custom gradient inside tidy", () => {
    const clip = gt.customGradient((v) => [gt.multiply(v, 2), (dy) => gt.minimum(dy, 1)]);
    const g = gt.tidy(() => gt.grad((v: gt.Tensor) => gt.reduceSum(clip(v)))(x));
    for (let i = 0; i < 3; i++) gt.tidy(() => gt.exp(big(35)));
    assertAllClose(g, gt.onesLike(x));
  });
});

Deno.test("a backward pass gives its intermediates back, with or without tidy", async (t) => {
  const f = (x: gt.Tensor) =>
    gt.reduceSum(gt.add(gt.multiply(gt.sin(x), gt.exp(x)), gt.multiply(x, x)));
  const x = gt.random.uniform([N], { minval: -2, maxval: 2, seed: 41 });
  // Closed form, in float64: eˣ(sin x + cos x) + 2x.
  const want = gt.add(
    gt.multiply(
      gt.exp(gt.cast(x, "float64")),
      gt.add(gt.sin(gt.cast(x, "float64")), gt.cos(gt.cast(x, "float64"))),
    ),
    gt.multiply(gt.cast(x, "float64"), 2),
  );
  // Ops that draw buffers of N floats from the pool, overwriting whatever they get.
  const churn = () => {
    for (let i = 0; i < 4; i++) gt.exp(big(42 + i)).data();
  };

  await t.step("outside tidy, the pool gets the pass's intermediates and gradients survive", () => {
    const before = poolStats().buffers;
    const g = gt.grad(f)(x);
    assert.ok(poolStats().buffers > before, "the backward pass released nothing");
    const copy = g.data();
    churn();
    assert.deepEqual(g.data(), copy, "a returned gradient was reused");
    assertAllClose(g, gt.cast(want, "float32"), { rtol: 1e-5, atol: 1e-5 });
  });

  await t.step("a loop without tidy reuses them: the pool does not grow", () => {
    const g = gt.grad(f);
    const first = g(x).data();
    const pooled = poolStats().buffers;
    for (let i = 0; i < 5; i++) assert.deepEqual(g(x).data(), first);
    assert.ok(poolStats().buffers <= pooled + 1, "later passes draw from the pool, not beside it");
  });

  await t.step("what the forward pass made, and the user holds, survives", () => {
    const tape = new gt.GradientTape();
    tape.watch(x);
    let s: gt.Tensor | undefined;
    const y = tape.record(() => {
      s = gt.sin(x);
      return gt.reduceSum(gt.multiply(s, s));
    });
    const sCopy = s!.data();
    const g = tape.gradient(y, x)!;
    churn();
    assert.deepEqual(s!.data(), sCopy);
    assertAllClose(g, gt.multiply(gt.sin(gt.multiply(x, 2)), 1), { rtol: 1e-5, atol: 1e-5 });
  });

  await t.step("a gradient that is the seed or an input's own cotangent survives", () => {
    const seed = gt.random.normal([N], { seed: 47 });
    const tape = new gt.GradientTape({ persistent: true });
    tape.watch(x);
    const y = tape.record(() => gt.add(gt.multiply(x, 3), x));
    const [gx, gy] = tape.gradient(y, [x, y], { outputGradients: seed }) as gt.Tensor[];
    churn();
    assertAllClose(gx, gt.multiply(seed, 4));
    assert.deepEqual(gy.data(), seed.data());
    // A persistent tape's recording is not the pass's: a second pass reads it as the first did.
    assertAllClose(tape.gradient(y, x)!, gt.fill([N], 4));
  });

  await t.step("a custom gradient may keep what it is given and what it makes", () => {
    const kept: gt.Tensor[] = [];
    const scaled = gt.customGradient((v) => [
      gt.multiply(v, 2),
      (dy) => {
        const dx = gt.multiply(dy, 2);
        kept.push(dy, gt.exp(dy), dx);
        return dx;
      },
    ]);
    const g = gt.grad((v: gt.Tensor) => gt.reduceSum(gt.sin(scaled(v))))(x);
    const copies = kept.map((k) => k.data());
    churn();
    kept.forEach((k, i) => assert.deepEqual(k.data(), copies[i], `kept tensor ${i} changed`));
    assertAllClose(g, gt.multiply(gt.cos(gt.multiply(x, 2)), 2), { rtol: 1e-5, atol: 1e-5 });
  });

  await t.step("a custom_jvp rule, transposed in the pass, may keep what it makes", () => {
    const kept: gt.Tensor[] = [];
    const f2 = gt.customJvp((v: gt.Tensor) => gt.square(v), ([v], [dv]) => {
      const t2 = gt.multiply(gt.multiply(v, 2), dv);
      kept.push(t2);
      return [gt.square(v), t2];
    });
    const g = gt.grad((v: gt.Tensor) => gt.reduceSum(f2(v)))(x);
    const copies = kept.map((k) => k.data());
    churn();
    kept.forEach((k, i) => assert.deepEqual(k.data(), copies[i], `kept tensor ${i} changed`));
    assertAllClose(g, gt.multiply(x, 2));
  });

  await t.step("second order: an outer tape keeps the inner pass's intermediates", () => {
    const hv = gt.hvp(f, [x], [gt.onesLike(x)])[0] as gt.Tensor;
    // d/dx of eˣ(sin x + cos x) + 2x = 2eˣ cos x + 2.
    const x64 = gt.cast(x, "float64");
    const exact = gt.add(gt.multiply(gt.multiply(gt.exp(x64), gt.cos(x64)), 2), 2);
    assertAllClose(hv, gt.cast(exact, "float32"), { rtol: 1e-4, atol: 1e-4 });
    const tape = new gt.GradientTape({ persistent: true });
    tape.watch(x);
    const dy = tape.record(() => {
      const inner = new gt.GradientTape();
      inner.watch(x);
      const y = inner.record(() => f(x));
      return gt.reduceSum(inner.gradient(y, x)!);
    });
    churn();
    assertAllClose(tape.gradient(dy, x)!, hv, { rtol: 1e-5, atol: 1e-5 });
  });
});
