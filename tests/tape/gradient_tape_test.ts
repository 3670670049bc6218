/**
 * Behavioural tests of the `GradientTape` facade, line by line against the GradientTape section
 * of the API contract, as a TensorFlow user relies on it. Expected values are closed forms
 * computed here in float64.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { f64, present, throwsWith } from "../_helpers.ts";

Deno.test("GradientTape.record", async (t) => {
  await t.step("returns exactly what fn returns, whatever its type", () => {
    const tape = new gt.GradientTape();
    const x = f64(2);
    const y = tape.record(() => x.mul(3));
    assert.ok(y instanceof gt.Tensor);
    assertAllClose(y, 6);
    const obj = { a: 1 };
    assert.equal(tape.record(() => obj), obj);
    assert.equal(tape.record(() => 42), 42);
    assert.equal(tape.record(() => undefined), undefined);
    const pair = tape.record(() => [x.add(1), "label"] as const);
    assertAllClose(pair[0], 3);
    assert.equal(pair[1], "label");
  });

  await t.step("may be called several times: the recordings add up on one tape", () => {
    const x = f64(1.5);
    const tape = new gt.GradientTape();
    const a = tape.record(() => {
      tape.watch(x);
      return x.mul(x);
    });
    const b = tape.record(() => a.mul(x)); // x³ through two separate recordings
    assertAllClose(present(tape.gradient(b, x)), 3 * 1.5 ** 2);
  });

  await t.step("only records inside record: ops run between calls are not seen", () => {
    const x = f64(2);
    const tape = new gt.GradientTape({ persistent: true });
    const a = tape.record(() => {
      tape.watch(x);
      return x.square();
    });
    const outside = a.mul(x); // not recorded
    const b = tape.record(() => outside.add(a));
    // b = x·(x², recorded) + x², but the outside product is a constant to the tape: db/dx = 2x.
    assertAllClose(present(tape.gradient(b, x)), 2 * 2);
    assert.equal(tape.gradient(outside, x), null);
  });

  await t.step("may be re-entered while it records", () => {
    const x = f64(3);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      const inner = tape.record(() => x.square());
      return inner.mul(x);
    });
    assertAllClose(present(tape.gradient(y, x)), 3 * 9);
  });

  await t.step("tapes nest: the outer tape sees the inner recording and its gradient call", () => {
    const x = f64(0.7);
    const outer = new gt.GradientTape({ persistent: true });
    const inner = new gt.GradientTape();
    let y!: gt.Tensor;
    const dy = outer.record(() => {
      outer.watch(x);
      y = inner.record(() => {
        inner.watch(x);
        return x.sin().mul(x);
      });
      return present(inner.gradient(y, x));
    });
    const x0 = 0.7;
    assertAllClose(dy, Math.cos(x0) * x0 + Math.sin(x0));
    // The outer tape recorded the computation of y inside the inner recording...
    assertAllClose(present(outer.gradient(y, x)), Math.cos(x0) * x0 + Math.sin(x0));
    // ...and the inner tape's backward pass.
    assertAllClose(present(outer.gradient(dy, x)), -Math.sin(x0) * x0 + 2 * Math.cos(x0));
  });

  await t.step("a throwing fn: the error propagates, what ran before stays recorded", () => {
    const x = f64(2);
    const tape = new gt.GradientTape({ persistent: true });
    let y!: gt.Tensor;
    assert.throws(
      () =>
        tape.record(() => {
          tape.watch(x);
          y = x.pow(3);
          throw new Error("boom");
        }),
      /boom/,
    );
    const z = x.square(); // after the failed record: not recorded
    assertAllClose(present(tape.gradient(y, x)), 12);
    assert.equal(tape.gradient(z, x), null);
  });

  await t.step("an async fn is refused with a TypeError saying it must be synchronous", () => {
    const x = f64(2);
    const tape = new gt.GradientTape();
    throwsWith(
      () =>
        tape.record(async () => {
          tape.watch(x);
          await Promise.resolve();
          return x.square();
        }),
      TypeError,
      /synchronous/,
    );
  });

  await t.step("a fn returning a Promise is refused with the same TypeError", () => {
    const tape = new gt.GradientTape();
    throwsWith(() => tape.record(() => Promise.resolve(f64(1))), TypeError, /synchronous/);
  });

  await t.step(
    "an async fn that rejects is refused, and its rejection does not go unhandled",
    async () => {
      const tape = new gt.GradientTape();
      throwsWith(
        () =>
          tape.record(async () => {
            await Promise.resolve();
            throw new Error("x");
          }),
        TypeError,
        /^GradientTape\.record: fn returned a Promise, but recording must be synchronous/,
      );
      throwsWith(
        () => tape.record(() => Promise.reject(new Error("y"))),
        TypeError,
        /synchronous/,
      );
      // Deno's test sanitizer fails the test if either rejection is left unhandled.
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  );

  await t.step("record() and stopRecording() refuse a non-function, naming it", () => {
    const tape = new gt.GradientTape();
    throwsWith(
      () => tape.record(5 as unknown as () => void),
      TypeError,
      /^GradientTape\.record: fn must be a function, not 5$/,
    );
    throwsWith(
      () => tape.stopRecording("f" as unknown as () => void),
      TypeError,
      /^GradientTape\.stopRecording: fn must be a function, not "f" \(a string\)$/,
    );
  });

  await t.step("a refused async fn leaves the tape not recording", () => {
    const x = f64(2);
    const tape = new gt.GradientTape({ persistent: true });
    assert.throws(() => tape.record(() => Promise.resolve(tape.watch(x))), TypeError);
    const y = x.square(); // after the refused call, outside any record
    assert.equal(tape.gradient(y, x), null);
  });
});

Deno.test("GradientTape options and arguments from plain JavaScript", async (t) => {
  type AnyOptions = gt.GradientTapeOptions & gt.GradientOptions;
  await t.step('the constructor refuses a non-boolean persistent: { persistent: "no" }', () => {
    throwsWith(
      () => new gt.GradientTape({ persistent: "no" } as unknown as gt.GradientTapeOptions),
      TypeError,
      /^GradientTape: persistent must be true or false, not "no" \(a string\)$/,
    );
    throwsWith(
      () => new gt.GradientTape({ watchAccessedVariables: 0 } as unknown as AnyOptions),
      TypeError,
      /^GradientTape: watchAccessedVariables must be true or false, not 0$/,
    );
  });

  await t.step("misspelt option names are refused, listing the accepted ones", () => {
    throwsWith(
      () => new gt.GradientTape({ persistant: true } as AnyOptions),
      TypeError,
      /^GradientTape: unknown option 'persistant' \(did you mean 'persistent'\?\): the accepted options are 'persistent', 'watchAccessedVariables'$/,
    );
    throwsWith(
      () => new gt.GradientTape({ watchAccessedVariable: false } as AnyOptions),
      TypeError,
      /unknown option 'watchAccessedVariable' \(did you mean 'watchAccessedVariables'\?\)/,
    );
    const x = f64([1, 2]);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return x.square();
    });
    throwsWith(
      () => tape.gradient(y, x, { outputGradient: f64([1, 1]) } as AnyOptions),
      TypeError,
      /^GradientTape\.gradient: unknown option 'outputGradient' \(did you mean 'outputGradients'\?\): the accepted options are 'outputGradients', 'unconnectedGradients'$/,
    );
    // The refused call changed nothing: the tape is not used up.
    assertAllClose(present(tape.gradient(y, x)), [2, 4]);
  });

  await t.step("a non-object options argument is refused", () => {
    throwsWith(
      () => new gt.GradientTape(null as unknown as gt.GradientTapeOptions),
      TypeError,
      /^GradientTape: options must be an object such as \{ persistent: … \}, not null$/,
    );
    throwsWith(
      () => new gt.GradientTape(true as unknown as gt.GradientTapeOptions),
      TypeError,
      /^GradientTape: options must be an object .*, not true$/,
    );
    const tape = new gt.GradientTape();
    throwsWith(
      () => tape.gradient(f64(1), f64(1), "zero" as unknown as gt.GradientOptions),
      TypeError,
      /^GradientTape\.gradient: options must be an object/,
    );
  });

  await t.step("watch() and gradient() name a bad target or source and its value", () => {
    const x = f64(2);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(x);
      return x.square();
    });
    throwsWith(
      () => tape.watch(5 as unknown as gt.Tensor),
      TypeError,
      /^GradientTape\.watch: x is 5; expected a Tensor or Variable, or an array or record of them$/,
    );
    throwsWith(
      () => tape.gradient(5 as unknown as gt.Tensor, x),
      TypeError,
      /^GradientTape\.gradient: target is 5; expected a Tensor or Variable/,
    );
    throwsWith(
      () => tape.gradient(y, 5 as unknown as gt.Tensor),
      TypeError,
      /^GradientTape\.gradient: sources is 5; expected a Tensor or Variable/,
    );
    throwsWith(
      () => tape.gradient(y, { w: [x, "b"] } as unknown as gt.Tensor),
      TypeError,
      /^GradientTape\.gradient: sources\.w\[1\] is "b" \(a string\)/,
    );
    assertAllClose(present(tape.gradient(y, x)), 4);
  });
});

Deno.test("GradientTape watching", async (t) => {
  await t.step("trainable variables read while recording are watched automatically", () => {
    const w = new gt.Variable(f64(1.25), { name: "w" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => w.mul(w).mul(w));
    assertAllClose(present(tape.gradient(y, w)), 3 * 1.25 ** 2);
  });

  await t.step("variables read through value() are watched as well", () => {
    const w = new gt.Variable(f64([1, 2]), { name: "w" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => gt.reduceSum(gt.exp(w.value())));
    assertAllClose(present(tape.gradient(y, w)), [Math.exp(1), Math.exp(2)]);
  });

  await t.step("with watchAccessedVariables: false, reads are not watched", () => {
    const w = new gt.Variable(f64(2), { name: "w" });
    const tape = new gt.GradientTape({ watchAccessedVariables: false, persistent: true });
    const y = tape.record(() => w.square());
    assert.equal(tape.gradient(y, w), null);
    assert.deepEqual(tape.watchedVariables(), []);
  });

  await t.step("with watchAccessedVariables: false, watch(v) still watches v", () => {
    const w = new gt.Variable(f64(2), { name: "w" });
    const u = new gt.Variable(f64(5), { name: "u" });
    const tape = new gt.GradientTape({ watchAccessedVariables: false });
    const y = tape.record(() => {
      tape.watch(w);
      return w.square().mul(u);
    });
    const [gw, gu] = tape.gradient(y, [w, u]);
    assertAllClose(present(gw), 2 * 2 * 5);
    assert.equal(gu, null);
  });

  await t.step("non-trainable variables are not watched unless asked", () => {
    const frozen = new gt.Variable(f64(3), { name: "frozen", trainable: false });
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => frozen.square());
    assert.equal(tape.gradient(y, frozen), null);

    const tape2 = new gt.GradientTape();
    const y2 = tape2.record(() => {
      tape2.watch(frozen);
      return frozen.square();
    });
    assertAllClose(present(tape2.gradient(y2, frozen)), 6);
  });

  await t.step("watch() accepts a tensor", () => {
    const x = f64([1, -2]);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return gt.reduceSum(x.pow(3));
    });
    assertAllClose(present(tape.gradient(y, x)), [3, 12]);
  });

  await t.step("a tensor used without watch() gets no gradient", () => {
    const x = f64(2);
    const tape = new gt.GradientTape();
    const y = tape.record(() => x.square());
    assert.equal(tape.gradient(y, x), null);
  });

  await t.step("watch() accepts nested arrays and records of tensors and variables", () => {
    const a = f64(2), b = f64(3), c = f64(5);
    const v = new gt.Variable(f64(7), { name: "v", trainable: false });
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch({ pair: [a, b], more: { c, v } });
      return a.mul(b).mul(c).mul(v);
    });
    const g = tape.gradient(y, { a, b, c, v });
    assertAllClose(present(g.a), 3 * 5 * 7);
    assertAllClose(present(g.b), 2 * 5 * 7);
    assertAllClose(present(g.c), 2 * 3 * 7);
    assertAllClose(present(g.v), 2 * 3 * 5);
  });

  await t.step("watchedVariables() lists the watched variables in the order first watched", () => {
    const a = new gt.Variable(1, { name: "a" });
    const b = new gt.Variable(2, { name: "b" });
    const c = new gt.Variable(3, { name: "c", trainable: false });
    const d = new gt.Variable(4, { name: "d" });
    const tape = new gt.GradientTape();
    tape.record(() => {
      b.add(1);
      a.mul(b);
      c.add(a); // not trainable: not watched
      tape.watch(d);
      b.square(); // already listed
    });
    assert.deepEqual(tape.watchedVariables().map((v) => v.name), ["b", "a", "d"]);
  });

  await t.step("watchedVariables() still answers after a non-persistent tape is used up", () => {
    const a = new gt.Variable(f64(1), { name: "a" });
    const b = new gt.Variable(f64(2), { name: "b" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => a.mul(b));
    tape.gradient(y, a);
    assert.deepEqual(tape.watchedVariables(), [a, b]);
    tape.reset();
    assert.deepEqual(tape.watchedVariables(), []);
  });

  await t.step("a variable assigned after being read keeps its recorded value and gradient", () => {
    const v = new gt.Variable(f64(3), { name: "v" });
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      const y = v.mul(v);
      v.assign(f64(10)); // inside the recording, after the read
      return y;
    });
    v.assign(f64(-7)); // and after the recording
    assertAllClose(y, 9);
    assertAllClose(present(tape.gradient(y, v)), 2 * 3);
  });

  await t.step("reads before and after an assignment each contribute at their own value", () => {
    const v = new gt.Variable(f64(3), { name: "v" });
    const tape = new gt.GradientTape();
    const z = tape.record(() => {
      const y = v.square(); // at 3
      v.assign(f64(10));
      return y.add(v.square()); // at 10
    });
    assertAllClose(z, 109);
    assertAllClose(present(tape.gradient(z, v)), 2 * 3 + 2 * 10);
  });
});

Deno.test("GradientTape.gradient sources and targets", async (t) => {
  await t.step("a single source gives a single Tensor of its shape", () => {
    const x = f64([[1, 2, 3], [4, 5, 6]]);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return gt.reduceSum(gt.sin(x));
    });
    const g: gt.Tensor | null = tape.gradient(y, x);
    const gx = present(g);
    assert.deepEqual(gx.shape, [2, 3]);
    assert.equal(gx.dtype, "float64");
    assertAllClose(gx, [[1, 2, 3], [4, 5, 6]].map((r) => r.map(Math.cos)));
  });

  await t.step("a tensor feeding several ops gets the sum of their cotangents", () => {
    // x feeds five ops, and y three; the contributions are summed (by one addN each) before
    // they flow on, to first and second order.
    const xs = [0.3, -1.2, 2.5];
    const x = f64(xs);
    const outer = new gt.GradientTape();
    const [g, dx2] = outer.record(() => {
      outer.watch(x);
      const tape = new gt.GradientTape();
      const z = tape.record(() => {
        tape.watch(x);
        const y = gt.multiply(x, x);
        const terms = [gt.sin(x), gt.multiply(x, 3), gt.exp(x), gt.multiply(y, x), y, gt.sin(y)];
        return gt.reduceSum(gt.addN(terms));
      });
      const g = present(tape.gradient(z, x));
      return [g, gt.reduceSum(g)];
    });
    // z = Σ sin x + 3x + eˣ + x³ + x² + sin x²
    const d1 = (v: number) =>
      Math.cos(v) + 3 + Math.exp(v) + 3 * v * v + 2 * v + 2 * v * Math.cos(v * v);
    const d2 = (v: number) =>
      -Math.sin(v) + Math.exp(v) + 6 * v + 2 + 2 * Math.cos(v * v) -
      4 * v * v * Math.sin(v * v);
    assertAllClose(g, xs.map(d1));
    assertAllClose(present(outer.gradient(dx2, x)), xs.map(d2));
  });

  await t.step("a variable source gives a Tensor of the variable's shape and dtype", () => {
    const w = new gt.Variable([[1, 2], [3, 4]], { name: "w" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => w.square().sum());
    const g = present(tape.gradient(y, w));
    assert.deepEqual(g.shape, [2, 2]);
    assert.equal(g.dtype, "float32");
    assertAllClose(g, [[2, 4], [6, 8]]);
  });

  await t.step("an array of sources gives a tuple in the same order", () => {
    const a = new gt.Variable(f64(2), { name: "a" });
    const b = new gt.Variable(f64(-3), { name: "b" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => a.square().mul(b));
    // Typed as a tuple: this assignment only type-checks if the result is one.
    const g: [gt.Tensor | null, gt.Tensor | null] = tape.gradient(y, [a, b]);
    assert.equal(g.length, 2);
    assertAllClose(present(g[0]), 2 * 2 * -3);
    assertAllClose(present(g[1]), 4);
  });

  await t.step("a nested record of sources gives a record with the same keys", () => {
    const w = new gt.Variable(f64([[1, 2], [3, 4]]), { name: "w" });
    const b = new gt.Variable(f64([0.5, -0.5]), { name: "b" });
    const s = f64(2);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(s);
      // y = s · Σ (x·W + b)² for x = [1, 1]
      const h = gt.matmul(f64([[1, 1]]), w).add(b);
      return gt.reduceSum(h.square()).mul(s);
    });
    const g: {
      layer: { w: gt.Tensor | null; b: gt.Tensor | null };
      extra: [gt.Tensor | null];
    } = tape.gradient(y, { layer: { w, b }, extra: [s] });
    assert.deepEqual(Object.keys(g), ["layer", "extra"]);
    assert.deepEqual(Object.keys(g.layer), ["w", "b"]);
    // h = [1+3+0.5, 2+4-0.5] = [4.5, 5.5]; dy/dh = 2·s·h; dy/dW[i][j] = x_i · dy/dh_j.
    const h = [4.5, 5.5];
    const dh = h.map((v) => 2 * 2 * v);
    assertAllClose(present(g.layer.w), [dh, dh]);
    assertAllClose(present(g.layer.b), dh);
    assertAllClose(present(g.extra[0]), h[0] ** 2 + h[1] ** 2);
  });

  await t.step("an intermediate tensor computed while recording can be a source", () => {
    const x = f64([1, 2]);
    const tape = new gt.GradientTape({ persistent: true });
    let h!: gt.Tensor;
    const y = tape.record(() => {
      tape.watch(x);
      h = x.square();
      return gt.reduceSum(h.sin());
    });
    assertAllClose(present(tape.gradient(y, h)), [Math.cos(1), Math.cos(4)], { rtol: 1e-12 });
    const [gx, gh] = tape.gradient(y, [x, h]);
    assertAllClose(present(gx), [2 * Math.cos(1), 4 * Math.cos(4)], { rtol: 1e-12 });
    assertAllClose(present(gh), [Math.cos(1), Math.cos(4)], { rtol: 1e-12 });
  });

  await t.step("a watched source is its own target: the gradient is ones", () => {
    const x = f64([[1, 2, 3]]);
    const tape = new gt.GradientTape();
    tape.record(() => tape.watch(x));
    assertAllClose(present(tape.gradient(x, x)), [[1, 1, 1]]);
  });

  await t.step("a list of targets gives the sum of their gradients", () => {
    const x = new gt.Variable(f64(0.3), { name: "x" });
    const tape = new gt.GradientTape();
    const [y1, y2] = tape.record(() => [x.square(), x.sin()]);
    assertAllClose(present(tape.gradient([y1, y2], x)), 2 * 0.3 + Math.cos(0.3));
  });

  await t.step("the same target listed twice counts twice", () => {
    const x = new gt.Variable(f64(1.5), { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => x.square());
    assertAllClose(present(tape.gradient([y, y], x)), 2 * 2 * 1.5);
  });

  await t.step("a non-scalar target gives the gradient of its sum", () => {
    const xs = [[0.1, 0.2], [0.3, 0.4]];
    const x = f64(xs);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return x.exp().mul(x); // shape [2, 2]
    });
    assertAllClose(
      present(tape.gradient(y, x)),
      xs.map((r) => r.map((v) => Math.exp(v) * (1 + v))),
    );
  });

  await t.step("outputGradients weights a non-scalar target (its dot product)", () => {
    const xs = [1, 2, 3];
    const w = [0.5, -1, 2];
    const x = f64(xs);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return x.pow(3);
    });
    const g = tape.gradient(y, x, { outputGradients: f64(w) });
    assertAllClose(present(g), xs.map((v, i) => 3 * v * v * w[i]));
  });

  await t.step("outputGradients for a list of targets: one per target, null meaning ones", () => {
    const x = f64([1, 2]);
    const tape = new gt.GradientTape();
    const [y1, y2] = tape.record(() => {
      tape.watch(x);
      return [x.square(), x.mul(3)];
    });
    const g = tape.gradient([y1, y2], x, { outputGradients: [f64([10, 100]), null] });
    assertAllClose(present(g), [2 * 1 * 10 + 3, 2 * 2 * 100 + 3]);
  });

  await t.step(
    'a source whose dtype is not floating: null, "zero" gives zeros of its dtype, "error" says why',
    () => {
      const n = gt.constant([1, 2], { dtype: "int32" });
      const x = f64(2);
      const tape = new gt.GradientTape({ persistent: true });
      const y = tape.record(() => {
        tape.watch([n, x]);
        return gt.cast(n, "float64").mul(x).sum();
      });
      const [gn, gx] = tape.gradient(y, [n, x]);
      assert.equal(gn, null);
      assertAllClose(present(gx), 3);
      const [zn] = tape.gradient(y, [n, x], { unconnectedGradients: "zero" });
      assert.equal(present(zn).dtype, "int32");
      assert.deepEqual(present(zn).toArray(), [0, 0]);
      throwsWith(
        () => tape.gradient(y, { count: n, x }, { unconnectedGradients: "error" }),
        Error,
        /^GradientTape\.gradient: source count has dtype int32, which cannot carry a gradient/,
      );
    },
  );

  await t.step('an int32 variable: null, "zero" gives int32 zeros, "error" names it', () => {
    const k = new gt.Variable(gt.constant(3, { dtype: "int32" }), { name: "k" });
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => gt.cast(k.value(), "float32").square());
    assert.equal(tape.gradient(y, k), null);
    const z = present(tape.gradient(y, k, { unconnectedGradients: "zero" }));
    assert.equal(z.dtype, "int32");
    assert.equal(z.item(), 0);
    throwsWith(
      () => tape.gradient(y, k, { unconnectedGradients: "error" }),
      Error,
      /variable 'k' has dtype int32, which cannot carry a gradient/,
    );
  });

  await t.step('a bool source with "zero" gets bool zeros (false)', () => {
    const b = gt.constant([true, false]);
    const tape = new gt.GradientTape();
    tape.watch(b);
    const y = tape.record(() => gt.cast(b, "float32").sum());
    const z = present(tape.gradient(y, b, { unconnectedGradients: "zero" }));
    assert.equal(z.dtype, "bool");
    assert.deepEqual(z.toArray(), [false, false]);
  });
});

Deno.test("GradientTape.gradient: a target that is also a source", async (t) => {
  await t.step("a variable never read gets ones; a source not connected still gets null", () => {
    const v0 = new gt.Variable(f64([1, 2]), { name: "v0" });
    const v1 = new gt.Variable(f64(3), { name: "v1" });
    const tape = new gt.GradientTape();
    tape.record(() => v1.mul(2));
    const [g0, g1] = tape.gradient(v0, [v0, v1]);
    assertAllClose(present(g0), [1, 1]);
    assert.equal(g0?.dtype, "float64");
    assert.equal(g1, null);
  });

  await t.step("a variable never read, on a tape that recorded nothing", () => {
    const v = new gt.Variable(f64([[1, 2, 3]]), { name: "v" });
    const tape = new gt.GradientTape();
    assertAllClose(present(tape.gradient(v, v)), [[1, 1, 1]]);
  });

  await t.step("a watched tensor never used, and a tensor never watched, get ones", () => {
    const x = f64([1, 2]);
    const u = f64(5);
    const tape = new gt.GradientTape({ persistent: true });
    tape.record(() => tape.watch(x));
    assertAllClose(present(tape.gradient(x, x)), [1, 1]);
    assertAllClose(present(tape.gradient(u, u)), 1);
  });

  await t.step("read inside record: ones plus what flows back from the other targets", () => {
    const v = new gt.Variable(f64(3), { name: "v" });
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => v.square());
    assertAllClose(present(tape.gradient([v, y], v)), 1 + 2 * 3);
    assertAllClose(present(tape.gradient(v, v)), 1);
    assertAllClose(present(tape.gradient({ a: v, b: [v] }, v)), 2);
  });

  await t.step("outputGradients seeds a target that is a source", () => {
    const v = new gt.Variable(f64([1, 2]), { name: "v" });
    const tape = new gt.GradientTape();
    assertAllClose(present(tape.gradient(v, v, { outputGradients: f64([3, 4]) })), [3, 4]);
  });

  await t.step("jacobian of a variable never read with respect to itself is the identity", () => {
    const v = new gt.Variable(f64([1, 2]), { name: "v" });
    const tape = new gt.GradientTape();
    assertAllClose(present(tape.jacobian(v, v)), [[1, 0], [0, 1]]);
  });
});

Deno.test("GradientTape.gradient with structured targets", async (t) => {
  const setup = () => {
    const x = f64([1, 2]);
    const tape = new gt.GradientTape({ persistent: true });
    const [y0, y1] = tape.record(() => {
      tape.watch(x);
      return [x.square(), x.mul(3)];
    });
    return { x, tape, y0, y1 };
  };

  await t.step("a record of targets gives the sum of their gradients", () => {
    const { x, tape, y0, y1 } = setup();
    assertAllClose(present(tape.gradient({ y0, y1 }, x)), [2 * 1 + 3, 2 * 2 + 3]);
  });

  await t.step("targets nested as arrays of records, as deep as you like", () => {
    const { x, tape, y0, y1 } = setup();
    assertAllClose(present(tape.gradient([{ a: y0 }, { b: [y1, { c: y1 }] }], x)), [8, 10]);
    assertAllClose(present(tape.gradient({}, x, { unconnectedGradients: "zero" })), [0, 0]);
  });

  await t.step("outputGradients has the target's structure, null meaning ones", () => {
    const { x, tape, y0, y1 } = setup();
    const g = tape.gradient({ y0, rest: [y1] }, x, {
      outputGradients: { y0: f64([10, 100]), rest: [null] },
    });
    assertAllClose(present(g), [2 * 1 * 10 + 3, 2 * 2 * 100 + 3]);
  });

  await t.step("outputGradients of another structure is refused, naming both", () => {
    const { x, tape, y0, y1 } = setup();
    throwsWith(
      () => tape.gradient({ y0, y1 }, x, { outputGradients: { y0: f64([1, 1]) } }),
      TypeError,
      /^GradientTape\.gradient: outputGradients is an object with keys 'y0', but target is a record with keys 'y0', 'y1'/,
    );
    throwsWith(
      () => tape.gradient([y0, y1], x, { outputGradients: [f64([1, 1])] }),
      TypeError,
      /outputGradients is an array of length 1, but target is an array of length 2/,
    );
    throwsWith(
      () => tape.gradient({ y0, y1 }, x, { outputGradients: { y0: f64([1]), y1: null } }),
      Error,
      /output gradient for target y0 has shape \[1\].*its target has shape \[2\]/,
    );
    // The tape is unchanged by the refused calls.
    assertAllClose(present(tape.gradient([y0, y1], x)), [5, 7]);
  });

  await t.step("one target with a one-element list of output gradients, as TensorFlow", () => {
    const { x, tape, y0 } = setup();
    assertAllClose(present(tape.gradient(y0, x, { outputGradients: [f64([1, 2])] })), [2, 8]);
  });

  await t.step("a bad leaf in a structured target is named by its path", () => {
    const { x, tape, y0 } = setup();
    throwsWith(
      () => tape.gradient({ y0, more: [y0, 7] } as unknown as gt.Tensor, x),
      TypeError,
      /^GradientTape\.gradient: target\.more\[1\] is 7; expected a Tensor or Variable/,
    );
  });
});

Deno.test("GradientTape.gradient unconnectedGradients", async (t) => {
  const setup = () => {
    const x = f64([1, 2]);
    const unused = f64([[3, 4, 5]]);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch([x, unused]);
      return gt.reduceSum(x.square());
    });
    return { x, unused, tape, y };
  };

  await t.step('"none" (the default) gives null for an unconnected source', () => {
    const { x, unused, tape, y } = setup();
    const [gx, gu] = tape.gradient(y, [x, unused]);
    assertAllClose(present(gx), [2, 4]);
    assert.equal(gu, null);
    assert.equal(tape.gradient(y, unused, { unconnectedGradients: "none" }), null);
  });

  await t.step('"zero" gives zeros of the source\'s shape and dtype', () => {
    const { unused, tape, y } = setup();
    const g = present(tape.gradient(y, unused, { unconnectedGradients: "zero" }));
    assert.deepEqual(g.shape, [1, 3]);
    assert.equal(g.dtype, "float64");
    assertAllClose(g, [[0, 0, 0]]);
  });

  await t.step('"zero" gives zeros for a variable that was never read', () => {
    const v = new gt.Variable([1, 2, 3], { name: "v" });
    const { tape, y } = setup();
    const g = present(tape.gradient(y, v, { unconnectedGradients: "zero" }));
    assert.deepEqual(g.shape, [3]);
    assertAllClose(g, [0, 0, 0]);
  });

  await t.step('"error" on a connected source returns the gradient', () => {
    const { x, tape, y } = setup();
    assertAllClose(present(tape.gradient(y, x, { unconnectedGradients: "error" })), [2, 4]);
  });

  await t.step('"error": a tensor never watched — names it and says so', () => {
    const c = f64(3);
    const tape = new gt.GradientTape();
    const y = tape.record(() => c.square());
    throwsWith(
      () => tape.gradient(y, { myConst: c }, { unconnectedGradients: "error" }),
      Error,
      /myConst/,
      /never watched|not watched/,
    );
  });

  await t.step('"error": a variable never read — names it and says so', () => {
    const other = new gt.Variable(1, { name: "other" });
    const w = new gt.Variable(2, { name: "weights" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => other.square());
    throwsWith(
      () => tape.gradient(y, w, { unconnectedGradients: "error" }),
      Error,
      /'weights'/,
      /never (read|watched)|not watched/,
    );
  });

  await t.step('"error": watched but not used — names it and says so', () => {
    const { unused, tape, y } = setup();
    throwsWith(
      () => tape.gradient(y, { bias: unused }, { unconnectedGradients: "error" }),
      Error,
      /bias/,
      /watched but not used|not used/,
    );
  });

  await t.step(
    '"error": a variable read but never used for the target — says it was not used',
    () => {
      const a = new gt.Variable(1, { name: "a" });
      const b = new gt.Variable(2, { name: "b" });
      const tape = new gt.GradientTape();
      const y = tape.record(() => {
        b.add(1); // read, so watched, but this result is dropped
        return a.square();
      });
      throwsWith(
        () => tape.gradient(y, b, { unconnectedGradients: "error" }),
        Error,
        /'b'/,
        /not used/,
      );
    },
  );

  await t.step('"error": the path cut by cast (to int32) — names the op', () => {
    const x = f64(2.5);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return gt.cast(gt.cast(x, "int32"), "float64").mul(2).add(1);
    });
    assertAllClose(y, 5);
    throwsWith(
      () => tape.gradient(y, { scale: x }, { unconnectedGradients: "error" }),
      Error,
      /scale/,
      /cast \(to int32\)/,
      /cut|no gradient/,
    );
  });

  await t.step('"error": the path cut by stopGradient — names it', () => {
    const v = new gt.Variable(f64(4), { name: "theta" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => gt.stopGradient(v.square()).add(1));
    throwsWith(
      () => tape.gradient(y, v, { unconnectedGradients: "error" }),
      Error,
      /'theta'/,
      /stopGradient/,
    );
  });

  await t.step(
    '"error": a variable read with watchAccessedVariables: false — says it was not watched, not "never read"',
    () => {
      const w = new gt.Variable(2, { name: "w" });
      const tape = new gt.GradientTape({ watchAccessedVariables: false });
      const y = tape.record(() => w.square());
      const msg = throwsWith(
        () => tape.gradient(y, w, { unconnectedGradients: "error" }),
        Error,
        /'w'/,
        /not watched \(the tape has watchAccessedVariables: false\)/,
      );
      assert.doesNotMatch(msg, /never read/);
    },
  );

  await t.step(
    '"error": a non-trainable variable read while recording — says it was not watched',
    () => {
      const w = new gt.Variable(2, { name: "frozen", trainable: false });
      const tape = new gt.GradientTape();
      const y = tape.record(() => w.square());
      const msg = throwsWith(
        () => tape.gradient(y, w, { unconnectedGradients: "error" }),
        Error,
        /'frozen'/,
        /not watched \(it is not trainable\): call tape\.watch\(v\) inside record/,
      );
      assert.doesNotMatch(msg, /never read/);
    },
  );

  await t.step("an unknown unconnectedGradients value is refused and changes nothing", () => {
    const x = f64(3);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return x.square();
    });
    throwsWith(
      () =>
        tape.gradient(y, x, {
          unconnectedGradients: "zeros" as unknown as gt.UnconnectedGradients,
        }),
      TypeError,
      /^GradientTape\.gradient: unconnectedGradients must be one of "none", "zero", "error", not "zeros"/,
    );
    assertAllClose(present(tape.gradient(y, x)), 6);
  });
});

Deno.test("GradientTape persistence", async (t) => {
  await t.step(
    "a second gradient call on a non-persistent tape says used up and persistent: true",
    () => {
      const x = new gt.Variable(2, { name: "x" });
      const tape = new gt.GradientTape();
      const y = tape.record(() => x.square());
      assertAllClose(present(tape.gradient(y, x)), 4);
      throwsWith(() => tape.gradient(y, x), Error, /used up/, /persistent: true/);
    },
  );

  await t.step(
    "a jacobian call after a gradient call on a non-persistent tape is refused too",
    () => {
      const x = new gt.Variable([1, 2], { name: "x" });
      const tape = new gt.GradientTape();
      const y = tape.record(() => x.square());
      tape.gradient(y, x);
      throwsWith(() => tape.jacobian(y, x), Error, /used up/, /persistent: true/);
    },
  );

  await t.step("a gradient call after a jacobian call on a non-persistent tape is refused", () => {
    const x = new gt.Variable([1, 2], { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => x.square());
    tape.jacobian(y, x);
    throwsWith(() => tape.gradient(y, x), Error, /used up/, /persistent: true/);
  });

  await t.step("a persistent tape allows many calls, each with the right values", () => {
    const x = new gt.Variable(f64(0.5), { name: "x" });
    const tape = new gt.GradientTape({ persistent: true });
    const [y, z] = tape.record(() => [x.pow(3), x.exp()]);
    for (let i = 0; i < 3; i++) {
      assertAllClose(present(tape.gradient(y, x)), 3 * 0.25);
      assertAllClose(present(tape.gradient(z, x)), Math.exp(0.5));
      assertAllClose(present(tape.jacobian(y, x)), 3 * 0.25);
    }
    assert.equal(tape.persistent, true);
  });

  await t.step("a bad call (outputGradients of the wrong shape) throws and changes nothing", () => {
    const x = f64([1, 2, 3]);
    for (const persistent of [true, false]) {
      const tape = new gt.GradientTape({ persistent });
      const y = tape.record(() => {
        tape.watch(x);
        return x.square();
      });
      throwsWith(
        () => tape.gradient(y, x, { outputGradients: f64([1, 2]) }),
        Error,
        /\[2\]/,
        /\[3\]/,
      );
      throwsWith(
        () => tape.gradient(y, x, { outputGradients: [f64([1, 1, 1]), f64([1, 1, 1])] }),
        Error,
        /^GradientTape\.gradient: 2 output gradients for 1 target/,
      );
      // The tape is still usable for a correct call, persistent or not.
      assertAllClose(present(tape.gradient(y, x, { outputGradients: f64([1, 0, 2]) })), [2, 0, 12]);
    }
  });

  await t.step("a bad source structure throws and leaves the tape usable", () => {
    const x = f64(2);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return x.square();
    });
    throwsWith(() => tape.gradient(y, [x, 3 as unknown as gt.Tensor]), TypeError, /\[1\]/);
    assertAllClose(present(tape.gradient(y, x)), 4);
  });
});

Deno.test("GradientTape.jacobian", async (t) => {
  await t.step("elementwise: shape [...target, ...source], diagonal of f'(x)", () => {
    const xs = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]];
    const x = f64(xs);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return gt.tanh(x);
    });
    const j = present(tape.jacobian(y, x));
    assert.deepEqual(j.shape, [2, 3, 2, 3]);
    const expected = xs.map((r, i) =>
      r.map((_, k) =>
        xs.map((r2, a) => r2.map((v, b) => (i === a && k === b ? 1 - Math.tanh(v) ** 2 : 0)))
      )
    );
    assertAllClose(j, expected);
  });

  await t.step("a matrix-vector product: the Jacobian is the matrix", () => {
    const A = [[1, 2], [3, 4], [5, 6]];
    const x = new gt.Variable(f64([[0.5], [-1]]), { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => gt.matmul(f64(A), x)); // [3, 1]
    const j = present(tape.jacobian(y, x));
    assert.deepEqual(j.shape, [3, 1, 2, 1]);
    assertAllClose(j, A.map((row) => [row.map((v) => [v])]));
  });

  await t.step("a scalar target: the Jacobian has the source's shape (the gradient)", () => {
    const xs = [1, 2, 3];
    const x = f64(xs);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return gt.reduceSum(x.pow(3));
    });
    const j = present(tape.jacobian(y, x));
    assert.deepEqual(j.shape, [3]);
    assertAllClose(j, xs.map((v) => 3 * v * v));
  });

  await t.step("a record of sources: one Jacobian per source with its own shape", () => {
    const a = f64([1, 2]);
    const b = new gt.Variable(f64([[3, 4, 5]]), { name: "b" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(a);
      // y[i] = a[i]² · Σb  (shape [2])
      return a.square().mul(b.sum());
    });
    const j = tape.jacobian(y, { a, b });
    const ja = present(j.a), jb = present(j.b);
    assert.deepEqual(ja.shape, [2, 2]);
    assert.deepEqual(jb.shape, [2, 1, 3]);
    assertAllClose(ja, [[2 * 1 * 12, 0], [0, 2 * 2 * 12]]);
    assertAllClose(jb, [[[1, 1, 1]], [[4, 4, 4]]]);
  });

  await t.step(
    "unconnected sources: null by default, zeros of the Jacobian's shape on request",
    () => {
      const x = f64([1, 2]);
      const u = f64([[1, 2, 3]]);
      const tape = new gt.GradientTape({ persistent: true });
      const y = tape.record(() => {
        tape.watch([x, u]);
        return x.mul(2);
      });
      assert.equal(tape.jacobian(y, u), null);
      const z = present(tape.jacobian(y, u, { unconnectedGradients: "zero" }));
      assert.deepEqual(z.shape, [2, 1, 3]);
      assertAllClose(z, [[[0, 0, 0]], [[0, 0, 0]]]);
      assert.throws(() => tape.jacobian(y, { u }, { unconnectedGradients: "error" }), /u/);
    },
  );

  await t.step("jacobian and batchJacobian errors name the method that was called", () => {
    const x = f64([[1, 2]]);
    const u = f64([[1, 2]]);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch([x, u]);
      return x.mul(2);
    });
    throwsWith(
      () => tape.jacobian(y, u, { unconnectedGradients: "error" }),
      Error,
      /^GradientTape\.jacobian: the source is not connected to the target/,
    );
    throwsWith(
      () => tape.batchJacobian(y, u, { unconnectedGradients: "error" }),
      Error,
      /^GradientTape\.batchJacobian: the source is not connected to the target/,
    );
  });

  await t.step("a zero-size target gives an empty Jacobian of shape [...target, ...source]", () => {
    const x = f64([1, 2]);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(x);
      return gt.slice(gt.reshape(x.mul(2), [2, 1]), [0, 0], [2, 0]); // shape [2, 0]
    });
    for (const mode of ["none", "zero", "error"] as const) {
      const j = present(tape.jacobian(y, x, { unconnectedGradients: mode }));
      assert.deepEqual(j.shape, [2, 0, 2]);
      assert.equal(j.dtype, "float64");
    }
  });

  await t.step("a zero-size source gives an empty Jacobian, connected or not", () => {
    const x = f64([1, 2]);
    const e = gt.zeros([0, 3], "float64");
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch([x, e]);
      return x.square();
    });
    const j = present(tape.jacobian(y, e, { unconnectedGradients: "error" }));
    assert.deepEqual(j.shape, [2, 0, 3]);
    const { e: je } = tape.jacobian(y, { e });
    assert.deepEqual(present(je).shape, [2, 0, 3]);
  });

  await t.step("bad arguments from plain JavaScript are refused, naming the op and value", () => {
    const x = f64([1, 2]);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(x);
      return x.square();
    });
    throwsWith(
      () => tape.jacobian(3 as unknown as gt.Tensor, x),
      TypeError,
      /^GradientTape\.jacobian: target must be a Tensor or Variable, not 3$/,
    );
    throwsWith(
      () => tape.jacobian(y, 5 as unknown as gt.Tensor),
      TypeError,
      /^GradientTape\.jacobian: sources is 5; expected a Tensor or Variable/,
    );
    throwsWith(
      () => tape.jacobian(y, x, { unconnectedGradient: "zero" } as gt.JacobianOptions),
      TypeError,
      /^GradientTape\.jacobian: unknown option 'unconnectedGradient' \(did you mean 'unconnectedGradients'\?\)/,
    );
    throwsWith(
      () => tape.jacobian(y, x, { unconnectedGradients: "zeros" as gt.UnconnectedGradients }),
      TypeError,
      /unconnectedGradients must be one of "none", "zero", "error", not "zeros"/,
    );
    assertAllClose(present(tape.jacobian(y, x)), [[2, 0], [0, 4]]);
  });
});

Deno.test("GradientTape.batchJacobian", async (t) => {
  await t.step("per-example Jacobians of tanh(x·W): shape [b, t, s] and closed-form values", () => {
    const xs = [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]; // [3, 2]
    const W = [[1, 0.5, -1, 2], [0.25, -0.75, 1.5, 0]]; // [2, 4]
    const x = f64(xs);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return gt.tanh(gt.matmul(x, f64(W))); // [3, 4]
    });
    const j = present(tape.batchJacobian(y, x));
    assert.deepEqual(j.shape, [3, 4, 2]);
    const expected = xs.map((row) =>
      [0, 1, 2, 3].map((i) => {
        const pre = row[0] * W[0][i] + row[1] * W[1][i];
        const d = 1 - Math.tanh(pre) ** 2;
        return [0, 1].map((k) => d * W[k][i]);
      })
    );
    assertAllClose(j, expected);
  });

  await t.step("rank-3 batches: shape [b, ...t, ...s]", () => {
    const xs = [[[1, 2, 3], [4, 5, 6]], [[-1, -2, -3], [0.5, 0.25, 2]]]; // [2, 2, 3]
    const v = new gt.Variable(f64(xs), { name: "v" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => gt.reduceSum(v.square(), 2)); // [2, 2]
    const j = present(tape.batchJacobian(y, v));
    assert.deepEqual(j.shape, [2, 2, 2, 3]);
    // y[b][i] = Σ_k v[b][i][k]²: ∂y[b][i]/∂v[b][a][k] = 2·v[b][a][k]·δ(i,a).
    const expected = xs.map((rows) =>
      rows.map((_, i) => rows.map((r, a) => r.map((e) => (a === i ? 2 * e : 0))))
    );
    assertAllClose(j, expected);
  });

  await t.step("a mismatched batch dimension is refused with both shapes", () => {
    const x = f64([[1, 2], [3, 4]]);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return gt.reshape(x, [4]).mul(2);
    });
    throwsWith(() => tape.batchJacobian(y, x), Error, /\[4\]/, /\[2,\s?2\]/);
  });

  await t.step("a zero-size batch or row gives an empty result of shape [b, ...t, ...s]", () => {
    const x = f64([[1, 2], [3, 4]]);
    const none = gt.zeros([0, 3], "float64");
    const tape = new gt.GradientTape({ persistent: true });
    const [y, empty, z] = tape.record(() => {
      tape.watch([x, none]);
      return [gt.slice(x, [0, 0], [2, 0]), none.mul(2), gt.reshape(x.sum(), [1, 1]).mul(none)];
    });
    const j = present(tape.batchJacobian(y, x, { unconnectedGradients: "error" }));
    assert.deepEqual(j.shape, [2, 0, 2]);
    assert.deepEqual(present(tape.batchJacobian(empty, none)).shape, [0, 3, 3]);
    assert.deepEqual(present(tape.batchJacobian(z, none)).shape, [0, 3, 3]);
  });

  await t.step("bad arguments from plain JavaScript are refused, naming the op and value", () => {
    const x = f64([[1, 2]]);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(x);
      return x.square();
    });
    throwsWith(
      () => tape.batchJacobian(y, 5 as unknown as gt.Tensor),
      TypeError,
      /^GradientTape\.batchJacobian: source must be a Tensor or Variable, not 5$/,
    );
    throwsWith(
      () => tape.batchJacobian(null as unknown as gt.Tensor, x),
      TypeError,
      /^GradientTape\.batchJacobian: target must be a Tensor or Variable, not null$/,
    );
    throwsWith(
      () => tape.batchJacobian(y, x, { unconnected: "zero" } as gt.JacobianOptions),
      TypeError,
      /^GradientTape\.batchJacobian: unknown option 'unconnected'.*'unconnectedGradients'/,
    );
    assert.deepEqual(present(tape.batchJacobian(y, x)).shape, [1, 2, 2]);
  });
});

Deno.test("GradientTape.stopRecording, reset, dispose", async (t) => {
  await t.step("stopRecording runs fn unrecorded and returns its value", () => {
    const x = new gt.Variable(f64(2), { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      const c = tape.stopRecording(() => x.mul(3)); // a constant 6 to the tape
      return x.mul(c);
    });
    assertAllClose(y, 12);
    assertAllClose(present(tape.gradient(y, x)), 6);
  });

  await t.step("stopRecording stops this tape only: an outer tape keeps recording", () => {
    const x = f64([1, 2]);
    const outer = new gt.GradientTape({ persistent: true });
    const inner = new gt.GradientTape({ persistent: true });
    let y!: gt.Tensor;
    outer.record(() => {
      outer.watch(x);
      inner.record(() => {
        inner.watch(x);
        y = inner.stopRecording(() => x.square());
      });
    });
    assert.equal(inner.gradient(y, x), null);
    assertAllClose(present(outer.gradient(y, x)), [2, 4]);
  });

  await t.step(
    "stopRecording leaves a tape and an accumulator nested inside this one recording",
    () => {
      const x = f64(1.5);
      const outer = new gt.GradientTape({ persistent: true });
      const inner = new gt.GradientTape({ persistent: true });
      const acc = new gt.ForwardAccumulator(x, f64(1));
      let y!: gt.Tensor;
      outer.record(() => {
        outer.watch(x);
        inner.record(() => {
          inner.watch(x);
          acc.record(() => {
            y = outer.stopRecording(() => x.pow(3));
          });
        });
      });
      assert.equal(outer.gradient(y, x), null);
      assertAllClose(present(inner.gradient(y, x)), 3 * 1.5 ** 2);
      assertAllClose(present(acc.jvp(y)), 3 * 1.5 ** 2);
    },
  );

  await t.step("variables read only inside stopRecording are not watched", () => {
    const a = new gt.Variable(1, { name: "a" });
    const b = new gt.Variable(2, { name: "b" });
    const tape = new gt.GradientTape();
    tape.record(() => {
      tape.stopRecording(() => b.square());
      a.square();
    });
    assert.deepEqual(tape.watchedVariables().map((v) => v.name), ["a"]);
  });

  await t.step("recording resumes after stopRecording, even when fn throws", () => {
    const x = new gt.Variable(f64(2), { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      assert.throws(() =>
        tape.stopRecording(() => {
          throw new Error("boom");
        }), /boom/);
      return x.pow(3);
    });
    assertAllClose(present(tape.gradient(y, x)), 12);
  });

  await t.step("reset inside record forgets what came before and keeps recording", () => {
    const x = new gt.Variable(f64(1.5), { name: "x" });
    const tape = new gt.GradientTape({ persistent: true });
    let before!: gt.Tensor;
    const after = tape.record(() => {
      before = x.square();
      tape.reset();
      return x.pow(3);
    });
    assert.equal(tape.gradient(before, x), null);
    assertAllClose(present(tape.gradient(after, x)), 3 * 1.5 ** 2);
  });

  await t.step("reset forgets watched variables and tensors", () => {
    const a = new gt.Variable(f64(1), { name: "a" });
    const c = f64(2);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(c);
      return a.mul(c);
    });
    tape.reset();
    assert.deepEqual(tape.watchedVariables(), []);
    assert.equal(tape.gradient(y, c), null);
  });

  await t.step("reset makes a used-up tape usable again", () => {
    const x = new gt.Variable(f64(2), { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => x.square());
    tape.gradient(y, x);
    tape.reset();
    const z = tape.record(() => x.pow(3));
    assertAllClose(present(tape.gradient(z, x)), 12);
  });

  await t.step("a disposed tape throws a clear error on every use", () => {
    const x = new gt.Variable(2, { name: "x" });
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => x.square());
    tape.dispose();
    const uses: (() => unknown)[] = [
      () => tape.gradient(y, x),
      () => tape.jacobian(y, x),
      () => tape.batchJacobian(y, x),
      () => tape.record(() => x.square()),
      () => tape.watch(x),
      () => tape.watchedVariables(),
      () => tape.stopRecording(() => 1),
      () => tape.reset(),
    ];
    for (const use of uses) throwsWith(use, Error, /disposed/);
  });

  await t.step("`using` disposes of the tape at the end of the block", () => {
    const x = new gt.Variable(f64(3), { name: "x" });
    let escaped: gt.GradientTape | undefined;
    let y!: gt.Tensor;
    {
      using tape = new gt.GradientTape({ persistent: true });
      y = tape.record(() => x.square());
      assertAllClose(present(tape.gradient(y, x)), 6);
      escaped = tape;
    }
    throwsWith(() => escaped!.gradient(y, x), Error, /disposed/);
  });

  await t.step("Symbol.dispose is dispose", () => {
    const tape = new gt.GradientTape();
    tape[Symbol.dispose]();
    throwsWith(() => tape.record(() => 1), Error, /disposed/);
  });
});

Deno.test("batchJacobian on a non-persistent tape explains a cut path before releasing", () => {
  const x = f64([[1, 2], [3, 4]]);
  const tape = new gt.GradientTape();
  tape.watch(x);
  const y = tape.record(() => gt.cast(gt.cast(x, "int32"), "float64"));
  throwsWith(
    () => tape.batchJacobian(y, x, { unconnectedGradients: "error" }),
    Error,
    /^GradientTape\.batchJacobian: .*cut by cast \(to int32\)/,
  );
});

Deno.test("assignment and variable creation cut the gradient path, as in TensorFlow", async (t) => {
  await t.step("a value assigned is not differentiated back to what made it", () => {
    const v = new gt.Variable(f64(1)), src = new gt.Variable(f64(5));
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      v.assign(src.mul(2));
      return v.mul(3);
    });
    const [dv, dsrc] = tape.gradient(y, [v, src]);
    assertAllClose(dv!, 3);
    assert.equal(dsrc, null);
    // The same assignment made in an earlier record of the same tape.
    const a = new gt.Variable(f64(3)), b = new gt.Variable(f64(0));
    tape.record(() => void b.assign(a.square()));
    const z = tape.record(() => b.mul(1));
    assert.equal(tape.gradient(z, a), null);
    assertAllClose(tape.gradient(z, b)!, 1);
  });
  await t.step("assign agrees with assignAdd, which always cut it", () => {
    const x = new gt.Variable(f64(2));
    for (const update of ["assign", "assignAdd"] as const) {
      const v = new gt.Variable(f64(0));
      const tape = new gt.GradientTape();
      const y = tape.record(() => {
        v[update](x.mul(2));
        return v.mul(1);
      });
      assert.equal(tape.gradient(y, x), null, update);
    }
  });
  await t.step("a variable made from a recorded value starts a path of its own", () => {
    const x = new gt.Variable(f64(3));
    const tape = new gt.GradientTape({ persistent: true });
    let v: gt.Variable | undefined;
    const y = tape.record(() => {
      v = new gt.Variable(x.mul(2));
      return v.mul(x);
    });
    assertAllClose(tape.gradient(y, x)!, 6); // through the read of x alone, not through v
    assertAllClose(tape.gradient(y, v!)!, 3);
  });
  await t.step("forward mode and jit cut it too", () => {
    const p = new gt.Variable(f64(2)), q = new gt.Variable(f64(0));
    const acc = new gt.ForwardAccumulator(p, f64(1));
    const out = acc.record(() => {
      q.assign(p.mul(3));
      return q.mul(1);
    });
    assert.equal(acc.jvp(out), null);
    const a = new gt.Variable(f64(3)), b = new gt.Variable(f64(0));
    const f = gt.jit(() => {
      const tape = new gt.GradientTape();
      const z = tape.record(() => {
        b.assign(a.square());
        return b.mul(2);
      });
      return tape.gradient(z, [a, b], { unconnectedGradients: "zero" });
    });
    const [da, db] = f() as gt.Tensor[];
    assertAllClose(da, 0);
    assertAllClose(db, 2);
  });
});

Deno.test("a missing target, sources or watched value is refused, and the tape stays usable", () => {
  const x = f64([1, 2]);
  const tape = new gt.GradientTape();
  // deno-lint-ignore no-explicit-any
  const loose = tape as any;
  assert.throws(() => loose.watch(undefined), /GradientTape\.watch: x is undefined/);
  tape.watch(x);
  const y = tape.record(() => x.mul(x).sum());
  assert.throws(() => loose.gradient(y), /GradientTape\.gradient: sources is undefined/);
  assert.throws(() => loose.gradient(undefined, x), /target is undefined/);
  assert.throws(() => loose.gradient(y, null), /sources is null/);
  assertAllClose(tape.gradient(y, x)!, [2, 4]);
  const acc = new gt.ForwardAccumulator(x, f64([1, 0]));
  const z = acc.record(() => x.mul(x));
  // deno-lint-ignore no-explicit-any
  assert.throws(() => (acc as any).jvp(undefined), /ForwardAccumulator\.jvp: target is undefined/);
  assertAllClose(acc.jvp(z)!, [2, 0]);
});
