/**
 * Tapes and accumulators nested in every order (DESIGN.md), against closed forms computed here
 * in float64: reverse over forward, forward over reverse, three levels deep, accumulators in
 * accumulators (no perturbation confusion), mixed partials, and `customGradient` under each.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";

const f64 = (v: gt.TensorLike) => gt.constant(v, { dtype: "float64" });
const tight = { rtol: 1e-10, atol: 1e-12 };

function present(g: gt.Tensor | null, what = "derivative"): gt.Tensor {
  assert.ok(g instanceof gt.Tensor, `expected a Tensor for the ${what}, got ${g}`);
  return g;
}

type Fn = (x: number) => number;
interface Elementwise {
  name: string;
  f: (x: gt.Tensor) => gt.Tensor;
  /** f', f'', f''' in float64. */
  d: [Fn, Fn, Fn];
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const elementwise: Elementwise[] = [
  {
    name: "exp",
    f: (x) => gt.exp(x),
    d: [Math.exp, Math.exp, Math.exp],
  },
  {
    name: "tanh",
    f: (x) => gt.tanh(x),
    d: [
      (x) => 1 - Math.tanh(x) ** 2,
      (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2),
      (x) => -2 * (1 - Math.tanh(x) ** 2) * (1 - 3 * Math.tanh(x) ** 2),
    ],
  },
  {
    name: "sigmoid",
    f: (x) => gt.sigmoid(x),
    d: [
      (x) => sig(x) * (1 - sig(x)),
      (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)),
      (x) => sig(x) * (1 - sig(x)) * (1 - 6 * sig(x) + 6 * sig(x) ** 2),
    ],
  },
  {
    name: "x⁴",
    f: (x) => x.pow(4),
    d: [(x) => 4 * x ** 3, (x) => 12 * x ** 2, (x) => 24 * x],
  },
  {
    name: "eˣ·sin x",
    f: (x) => x.exp().mul(x.sin()),
    d: [
      (x) => Math.exp(x) * (Math.sin(x) + Math.cos(x)),
      (x) => 2 * Math.exp(x) * Math.cos(x),
      (x) => 2 * Math.exp(x) * (Math.cos(x) - Math.sin(x)),
    ],
  },
];

const xs = [-1.1, -0.3, 0.4, 1.6];
const vs = [1, -2, 0.5, 3];

/** d(x)·v elementwise. */
const along = (d: Fn) => xs.map((x, i) => d(x) * vs[i]);

/** log Σ exp(x): its gradient is p = softmax(x), its Hessian diag(p) − p·pᵀ. */
function logSumExpHv(x: number[], v: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((t) => Math.exp(t - m));
  const z = e.reduce((s, t) => s + t, 0);
  const p = e.map((t) => t / z);
  const pv = p.reduce((s, t, i) => s + t * v[i], 0);
  return p.map((t, i) => t * v[i] - t * pv);
}

Deno.test("reverse over forward: a tape around an accumulator", async (t) => {
  for (const c of elementwise) {
    await t.step(`${c.name}: the gradient of the jvp is f''(x)·v`, () => {
      const x = f64(xs), v = f64(vs);
      const tape = new gt.GradientTape();
      const d = tape.record(() => {
        tape.watch(x);
        const acc = new gt.ForwardAccumulator(x, v);
        const y = acc.record(() => c.f(x));
        return present(acc.jvp(y), "jvp");
      });
      assertAllClose(d, along(c.d[0]), tight);
      assertAllClose(present(tape.gradient(d, x), "second derivative"), along(c.d[1]), tight);
    });
  }

  await t.step("the gradient of the jvp with respect to the tangent is f'(x)", () => {
    const x = f64(xs), v = f64(vs);
    const tape = new gt.GradientTape();
    const d = tape.record(() => {
      tape.watch([x, v]);
      const acc = new gt.ForwardAccumulator(x, v);
      return present(acc.jvp(acc.record(() => gt.tanh(x))));
    });
    const [gx, gv] = tape.gradient(d, [x, v]);
    assertAllClose(present(gx), along(elementwise[1].d[1]), tight);
    assertAllClose(present(gv), xs.map(elementwise[1].d[0]), tight);
  });

  await t.step("log-sum-exp: the gradient of the jvp is the Hessian-vector product", () => {
    const x = f64(xs), v = f64(vs);
    const tape = new gt.GradientTape();
    const d = tape.record(() => {
      tape.watch(x);
      const acc = new gt.ForwardAccumulator(x, v);
      return present(acc.jvp(acc.record(() => gt.reduceLogSumExp(x))));
    });
    assertAllClose(present(tape.gradient(d, x)), logSumExpHv(xs, vs), tight);
  });

  await t.step("with a variable as the primal, watched by the tape automatically", () => {
    const w = new gt.Variable(f64(xs), { name: "w" });
    const tape = new gt.GradientTape();
    const d = tape.record(() => {
      const acc = new gt.ForwardAccumulator(w, f64(vs));
      return present(acc.jvp(acc.record(() => gt.reduceSum(gt.exp(w).mul(gt.sin(w))))));
    });
    assertAllClose(present(tape.gradient(d, w)), along(elementwise[4].d[1]), tight);
  });
});

Deno.test("forward over reverse: an accumulator around a tape", async (t) => {
  for (const c of elementwise) {
    await t.step(`${c.name}: the jvp of the gradient is f''(x)·v`, () => {
      const x = f64(xs);
      const acc = new gt.ForwardAccumulator(x, f64(vs));
      const g = acc.record(() => {
        const tape = new gt.GradientTape();
        const y = tape.record(() => {
          tape.watch(x);
          return c.f(x);
        });
        return present(tape.gradient(y, x), "gradient");
      });
      assertAllClose(g, xs.map(c.d[0]), tight);
      assertAllClose(present(acc.jvp(g), "jvp of the gradient"), along(c.d[1]), tight);
    });
  }

  await t.step("log-sum-exp: the jvp of the gradient is the Hessian-vector product", () => {
    const x = f64(xs);
    const acc = new gt.ForwardAccumulator(x, f64(vs));
    const g = acc.record(() => {
      const tape = new gt.GradientTape();
      const y = tape.record(() => {
        tape.watch(x);
        return gt.reduceLogSumExp(x);
      });
      return present(tape.gradient(y, x));
    });
    assertAllClose(present(acc.jvp(g)), logSumExpHv(xs, vs), tight);
  });

  await t.step("a variable primal read inside the tape's recording", () => {
    const w = new gt.Variable(f64(xs), { name: "w" });
    const acc = new gt.ForwardAccumulator(w, f64(vs));
    const g = acc.record(() => {
      const tape = new gt.GradientTape();
      const y = tape.record(() => gt.reduceSum(gt.tanh(w)));
      return present(tape.gradient(y, w));
    });
    assertAllClose(present(acc.jvp(g)), along(elementwise[1].d[1]), tight);
  });

  await t.step("a persistent tape inside the accumulator, used twice", () => {
    const x = f64(xs);
    const acc = new gt.ForwardAccumulator(x, f64(vs));
    const [g1, g2] = acc.record(() => {
      const tape = new gt.GradientTape({ persistent: true });
      const [a, b] = tape.record(() => {
        tape.watch(x);
        return [gt.exp(x), x.pow(4)];
      });
      return [present(tape.gradient(a, x)), present(tape.gradient(b, x))];
    });
    assertAllClose(present(acc.jvp(g1)), along(Math.exp), tight);
    assertAllClose(present(acc.jvp(g2)), along((x) => 12 * x * x), tight);
  });
});

Deno.test("three levels: a tape around an accumulator around a tape", async (t) => {
  for (const c of elementwise) {
    await t.step(`${c.name}: the third derivative f'''(x)·v`, () => {
      const x = f64(xs);
      const outer = new gt.GradientTape();
      const hv = outer.record(() => {
        outer.watch(x);
        const acc = new gt.ForwardAccumulator(x, f64(vs));
        const g = acc.record(() => {
          const inner = new gt.GradientTape();
          const y = inner.record(() => {
            inner.watch(x);
            return c.f(x);
          });
          return present(inner.gradient(y, x), "gradient");
        });
        return present(acc.jvp(g), "jvp of the gradient");
      });
      assertAllClose(hv, along(c.d[1]), tight);
      assertAllClose(present(outer.gradient(hv, x), "third derivative"), along(c.d[2]), tight);
    });
  }

  await t.step("an accumulator around a tape around an accumulator: f'''(x)·u·v·w", () => {
    const u = [0.5, 1, -1, 2], w = [1, 1, 3, -0.5];
    const x = f64(xs);
    const c = elementwise[1]; // tanh
    const outer = new gt.ForwardAccumulator(x, f64(u));
    const g = outer.record(() => {
      const tape = new gt.GradientTape();
      const d = tape.record(() => {
        tape.watch(x);
        const inner = new gt.ForwardAccumulator(x, f64(w));
        return present(inner.jvp(inner.record(() => c.f(x))));
      });
      return present(tape.gradient(d, x)); // f''(x)·w
    });
    assertAllClose(present(outer.jvp(g)), xs.map((x0, i) => c.d[2](x0) * u[i] * w[i]), tight);
  });
});

Deno.test("accumulators inside accumulators", async (t) => {
  await t.step("no perturbation confusion: d/dx [x · d/dy (x + y)] = 1", () => {
    const x = f64(2);
    const outer = new gt.ForwardAccumulator(x, f64(1));
    const z = outer.record(() => {
      const y = f64(1);
      const inner = new gt.ForwardAccumulator(y, f64(1));
      const s = inner.record(() => x.add(y));
      const ds = present(inner.jvp(s)); // d/dy (x + y) = 1, whatever x is
      assertAllClose(ds, 1);
      return x.mul(ds);
    });
    // Confusing the two perturbations would give 2.
    assertAllClose(present(outer.jvp(z)), 1);
  });

  await t.step("no perturbation confusion: d/dx [x · d/dy (x·y)] = 2x", () => {
    const x = f64(3);
    const outer = new gt.ForwardAccumulator(x, f64(1));
    const z = outer.record(() => {
      const y = f64(5);
      const inner = new gt.ForwardAccumulator(y, f64(1));
      const p = inner.record(() => x.mul(y));
      return x.mul(present(inner.jvp(p))); // x · x
    });
    assertAllClose(present(outer.jvp(z)), 6);
  });

  await t.step("the inner accumulator does not see the outer one's tangent", () => {
    const x = f64(3);
    const outer = new gt.ForwardAccumulator(x, f64(1));
    outer.record(() => {
      const y = f64(5);
      const inner = new gt.ForwardAccumulator(y, f64(1));
      const q = inner.record(() => x.square()); // depends on x only
      assert.equal(inner.jvp(q), null);
      assertAllClose(present(outer.jvp(q)), 6);
    });
  });

  for (const c of elementwise) {
    await t.step(`${c.name}: forward over forward on one primal gives f''(x)·u·w`, () => {
      const u = [0.5, 1, -1, 2], w = [1, 1, 3, -0.5];
      const x = f64(xs);
      const outer = new gt.ForwardAccumulator(x, f64(u));
      const d = outer.record(() => {
        const inner = new gt.ForwardAccumulator(x, f64(w));
        return present(inner.jvp(inner.record(() => c.f(x))));
      });
      assertAllClose(d, xs.map((x0, i) => c.d[0](x0) * w[i]), tight);
      assertAllClose(
        present(outer.jvp(d)),
        xs.map((x0, i) => c.d[1](x0) * u[i] * w[i]),
        tight,
      );
    });
  }

  await t.step("three accumulators deep: f'''(x) for tanh", () => {
    const x = f64(xs);
    const a1 = new gt.ForwardAccumulator(x, f64(vs));
    const d2 = a1.record(() => {
      const a2 = new gt.ForwardAccumulator(x, f64(vs));
      const d1 = a2.record(() => {
        const a3 = new gt.ForwardAccumulator(x, f64(vs));
        return present(a3.jvp(a3.record(() => gt.tanh(x))));
      });
      return present(a2.jvp(d1));
    });
    const tanh3 = elementwise[1].d[2];
    assertAllClose(present(a1.jvp(d2)), xs.map((x0, i) => tanh3(x0) * vs[i] ** 3), tight);
  });
});

Deno.test("mixed third derivatives agree in every nesting order", async (t) => {
  // f(x, y) = x²y³ + sin(xy)
  const x0 = 0.7, y0 = -1.3;
  const f = (x: gt.Tensor, y: gt.Tensor) => x.square().mul(y.pow(3)).add(gt.sin(x.mul(y)));
  const fxyy = 12 * x0 * y0 - 2 * x0 * Math.sin(x0 * y0) - x0 * x0 * y0 * Math.cos(x0 * y0);
  const fxxy = 6 * y0 * y0 - 2 * y0 * Math.sin(x0 * y0) - x0 * y0 * y0 * Math.cos(x0 * y0);

  await t.step("∂x ∂y ∂y by tape(x) ∘ accumulator(y) ∘ tape(y)", () => {
    const x = f64(x0), y = f64(y0);
    const outer = new gt.GradientTape();
    const d = outer.record(() => {
      outer.watch(x);
      const acc = new gt.ForwardAccumulator(y, f64(1));
      const gy = acc.record(() => {
        const inner = new gt.GradientTape();
        const z = inner.record(() => {
          inner.watch(y);
          return f(x, y);
        });
        return present(inner.gradient(z, y));
      });
      return present(acc.jvp(gy));
    });
    assertAllClose(d, 6 * x0 * x0 * y0 - x0 * x0 * Math.sin(x0 * y0), tight);
    assertAllClose(present(outer.gradient(d, x)), fxyy, tight);
  });

  await t.step("∂x ∂y ∂y by accumulator(x) ∘ tape(y) ∘ tape(y)", () => {
    const x = f64(x0), y = f64(y0);
    const acc = new gt.ForwardAccumulator(x, f64(1));
    const d = acc.record(() => {
      const t2 = new gt.GradientTape();
      const gy = t2.record(() => {
        t2.watch(y);
        const t1 = new gt.GradientTape();
        const z = t1.record(() => {
          t1.watch(y);
          return f(x, y);
        });
        return present(t1.gradient(z, y));
      });
      return present(t2.gradient(gy, y));
    });
    assertAllClose(present(acc.jvp(d)), fxyy, tight);
  });

  await t.step("∂x ∂y ∂y by accumulator(y) ∘ accumulator(y) ∘ tape(x)", () => {
    const x = f64(x0), y = f64(y0);
    const a1 = new gt.ForwardAccumulator(y, f64(1));
    const d = a1.record(() => {
      const a2 = new gt.ForwardAccumulator(y, f64(1));
      const gx = a2.record(() => {
        const tape = new gt.GradientTape();
        const z = tape.record(() => {
          tape.watch(x);
          return f(x, y);
        });
        return present(tape.gradient(z, x));
      });
      return present(a2.jvp(gx));
    });
    assertAllClose(present(a1.jvp(d)), fxyy, tight);
  });

  await t.step("∂x ∂x ∂y by tape(y) ∘ tape(x) ∘ accumulator(x)", () => {
    const x = f64(x0), y = f64(y0);
    const t2 = new gt.GradientTape();
    const d = t2.record(() => {
      t2.watch(y);
      const t1 = new gt.GradientTape();
      const dx = t1.record(() => {
        t1.watch(x);
        const acc = new gt.ForwardAccumulator(x, f64(1));
        return present(acc.jvp(acc.record(() => f(x, y))));
      });
      return present(t1.gradient(dx, x));
    });
    assertAllClose(present(t2.gradient(d, y)), fxxy, tight);
  });

  await t.step(
    "∂x ∂x ∂y by one persistent tape differentiating itself, around an accumulator",
    () => {
      const x = f64(x0), y = f64(y0);
      const tape = new gt.GradientTape({ persistent: true });
      const d = tape.record(() => {
        tape.watch([x, y]);
        const acc = new gt.ForwardAccumulator(y, f64(1));
        const dy = present(acc.jvp(acc.record(() => f(x, y)))); // ∂y f
        return present(tape.gradient(dy, x)); // ∂x ∂y f, recorded by the same tape
      });
      assertAllClose(present(tape.gradient(d, x)), fxxy, tight);
    },
  );
});

Deno.test("customGradient under each mode", async (t) => {
  // A deliberately different rule, so the tests can tell which derivative was used:
  // the value is x³, but the reverse rule says d/dx = cos x.
  const cube = gt.customGradient((x) => [x.pow(3), (dy) => dy.mul(gt.cos(x))]);
  const ps = [-0.8, 0.2, 1.4];
  const ts = [1, -2, 0.5];

  await t.step("plain reverse uses the custom rule", () => {
    const x = f64(ps);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return cube(x);
    });
    assertAllClose(y, ps.map((p) => p ** 3), tight);
    assertAllClose(present(tape.gradient(y, x)), ps.map(Math.cos), tight);
  });

  await t.step("plain reverse through a chain: the custom rule times the outer derivative", () => {
    const x = f64(ps);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return gt.exp(cube(x.mul(2)));
    });
    // d/dx exp(c(2x)) = exp((2x)³) · cos(2x) · 2 under the custom rule
    const expected = ps.map((p) => Math.exp((2 * p) ** 3) * Math.cos(2 * p) * 2);
    assertAllClose(present(tape.gradient(y, x)), expected, tight);
  });

  await t.step("plain forward differentiates the forward computation", () => {
    const x = f64(ps);
    const acc = new gt.ForwardAccumulator(x, f64(ts));
    const y = acc.record(() => cube(x));
    assertAllClose(present(acc.jvp(y)), ps.map((p, i) => 3 * p * p * ts[i]), tight);
  });

  await t.step("reverse over forward: the tape differentiates the forward computation", () => {
    const x = f64(ps);
    const tape = new gt.GradientTape();
    const d = tape.record(() => {
      tape.watch(x);
      const acc = new gt.ForwardAccumulator(x, f64(ts));
      return present(acc.jvp(acc.record(() => cube(x))));
    });
    assertAllClose(d, ps.map((p, i) => 3 * p * p * ts[i]), tight);
    assertAllClose(present(tape.gradient(d, x)), ps.map((p, i) => 6 * p * ts[i]), tight);
  });

  await t.step("forward over reverse: the accumulator differentiates the custom rule", () => {
    const x = f64(ps);
    const acc = new gt.ForwardAccumulator(x, f64(ts));
    const g = acc.record(() => {
      const tape = new gt.GradientTape();
      const y = tape.record(() => {
        tape.watch(x);
        return cube(x);
      });
      return present(tape.gradient(y, x));
    });
    assertAllClose(g, ps.map(Math.cos), tight);
    assertAllClose(present(acc.jvp(g)), ps.map((p, i) => -Math.sin(p) * ts[i]), tight);
  });

  await t.step("reverse over reverse: the outer tape differentiates the custom rule", () => {
    const x = f64(ps);
    const outer = new gt.GradientTape();
    const g = outer.record(() => {
      outer.watch(x);
      const inner = new gt.GradientTape();
      const y = inner.record(() => {
        inner.watch(x);
        return cube(x);
      });
      return present(inner.gradient(y, x));
    });
    assertAllClose(present(outer.gradient(g, x)), ps.map((p) => -Math.sin(p)), tight);
  });

  await t.step("several inputs: one gradient (or null) per input", () => {
    // value a·b, rule: 2·dy for a, nothing for b
    const f = gt.customGradient((a, b) => [a.mul(b), (dy) => [dy.mul(2), null]]);
    const a = f64([1, 2]), b = f64([3, 4]);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch([a, b]);
      return f(a, b);
    });
    assertAllClose(y, [3, 8]);
    const [ga, gb] = tape.gradient(y, [a, b]);
    assertAllClose(present(ga), [2, 2]);
    assert.equal(gb, null);
    const [, gbz] = tape.gradient(y, [a, b], { unconnectedGradients: "zero" });
    assertAllClose(present(gbz), [0, 0]);
    // Forward mode ignores the rule: d(a·b) = ta·b + a·tb.
    const acc = new gt.ForwardAccumulator([a, b], [f64([1, 0]), f64([0, 1])]);
    const z = acc.record(() => f(a, b));
    assertAllClose(present(acc.jvp(z)), [1 * 3, 2 * 1]);
  });

  await t.step("a stable softplus with its own rule stays finite where the naive one fails", () => {
    // log(1 + eˣ) computed as max(x, 0) + log(1 + e^(−|x|)), with the rule dy·σ(x).
    const softplus = gt.customGradient((x) => [
      gt.maximum(x, 0).add(gt.log(gt.exp(gt.abs(x).neg()).add(1))),
      (dy) => dy.mul(gt.sigmoid(x)),
    ]);
    const big = [-800, -1, 0, 3, 800];
    const x = f64(big);
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(x);
      return softplus(x);
    });
    const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    assertAllClose(y, big.map(sp), tight);
    assertAllClose(present(tape.gradient(y, x)), big.map(sig), tight);
  });
});
