/**
 * The jit's SIMD loops (src/jit/fuse.ts, kernels/wasm/vector.ts): a group holding float32 sin,
 * cos or exp becomes one generated SIMD loop when every member has a vector formula, with eager
 * mode's values bit for bit, in range or not; otherwise those ops keep their own kernels.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { vectorLoops } from "../../src/core/kernels/wasm/vector.ts";
import { bind } from "../../src/core/dispatch.ts";
import { simdPrimitives } from "../_helpers.ts";
import { assertSame } from "./_exact.ts";

const available = vectorLoops();
const n = 5000;
const w6 = (x: gt.Tensor) =>
  gt.reduceSum(gt.add(gt.multiply(gt.sin(x), gt.exp(x)), gt.multiply(x, x)));

function steps(p: { toString(): string }): string[] {
  const text = p.toString();
  return text.slice(text.indexOf("steps:")).split("\n").slice(1).filter((l) => l.startsWith("  "));
}

Deno.test({
  name: "jit SIMD: W6's gradient is one SIMD loop, equal to eager mode bit for bit",
  ignore: !available,
  fn() {
    const x = gt.random.uniform([n], { minval: -2, maxval: 2, seed: 1 });
    const g = gt.grad(w6);
    const jitted = gt.jit(g);
    const s = steps(jitted.program(x));
    assert.equal(s.length, 1, s.join("\n"));
    assert.match(s[0], /fused\[.*sin.*exp.*cos.*addN\] \(SIMD\)/);
    assertSame(jitted(x), g(x));
    assertSame(jitted(x), g(x), "second call, from the compiled loop");
  },
});

Deno.test({
  name: "jit SIMD: values outside the loop's range take the kernels' way, with eager's values",
  ignore: !available,
  fn() {
    const g = gt.grad(w6);
    const jitted = gt.jit(g);
    const data = gt.random.uniform([n], { minval: -2, maxval: 2, seed: 2 }).data() as Float32Array;
    const x = gt.constant(data, { shape: [n] });
    assertSame(jitted(x), g(x), "in range");
    // sin past 8192, exp past 88, NaN and an infinity: the same compiled program.
    data.set([1e5, 89, -100, NaN, -Infinity], 100);
    const y = gt.constant(data, { shape: [n] });
    assertSame(jitted(y), g(y), "out of range");
  },
});

Deno.test({
  name: "jit SIMD: with a member that has no vector formula, sin and exp keep their kernels",
  ignore: !available,
  fn() {
    const f = (x: gt.Tensor) => gt.multiply(gt.sin(x), gt.log(gt.add(x, 3)));
    const x = gt.random.uniform([n], { minval: -2, maxval: 2, seed: 3 });
    const jitted = gt.jit(f);
    const s = steps(jitted.program(x));
    assert.ok(s.some((l) => /= sin ->/.test(l)), s.join("\n"));
    assert.ok(!s.some((l) => l.includes("(SIMD)")), s.join("\n"));
    assertSame(jitted(x), f(x));
  },
});

Deno.test({
  name: "jit SIMD: a row broadcast along the output, a single value and small arrays",
  ignore: !available,
  fn() {
    // A row broadcast down the rows, whose length is a multiple of 4: one SIMD loop reads it
    // along each row; of another length, not a SIMD loop (a lane would straddle two rows).
    const f = (a: gt.Tensor, b: gt.Tensor) => gt.exp(gt.multiply(a, b));
    const jf = gt.jit(f);
    const p = gt.random.uniform([100, 52], { seed: 4 }),
      row52 = gt.random.uniform([52], { seed: 5 });
    assert.match(
      steps(jf.program(p, row52)).join("\n"),
      /^ {2}f32\[100,52\] = fused\[multiply exp\] \(SIMD\)/,
    );
    assertSame(jf(p, row52), f(p, row52));
    const m = gt.random.uniform([100, 50], { seed: 4 }), row = gt.random.uniform([50], { seed: 5 });
    assert.ok(!jf.program(m, row).toString().includes("(SIMD)"));
    assertSame(jf(m, row), f(m, row));
    // A layer's bias and relu, one loop; a [1, 52] row is the same row.
    const layer = (a: gt.Tensor, b: gt.Tensor) => gt.relu(gt.add(a, b));
    const jl = gt.jit(layer);
    for (const b of [row52, gt.reshape(row52, [1, 52])]) {
      assert.match(steps(jl.program(p, b))[0], /fused\[add relu\] \(SIMD\)/);
      assertSame(jl(p, b), layer(p, b));
    }
    // A scalar: one value for every lane.
    const h = (a: gt.Tensor, s: gt.Tensor) => gt.cos(gt.multiply(a, s));
    const jh = gt.jit(h);
    const s = gt.constant(0.7);
    assert.ok(jh.program(m, s).toString().includes("(SIMD)"));
    assertSame(jh(m, s), h(m, s));
    // Below the SIMD kernels' size eager mode runs other loops, and so does the program.
    const small = gt.random.uniform([100], { seed: 6 });
    assert.ok(!jh.program(small, s).toString().includes("(SIMD)"));
    assertSame(jh(small, s), h(small, s));
  },
});

Deno.test({
  name: "jit SIMD: one elementwise op alone is a SIMD loop from 1,024 elements, bit for bit",
  ignore: !available,
  fn() {
    const prims = simdPrimitives();
    for (const name of ["relu", "add", "multiply", "maximum", "sqrt"]) {
      assert.ok(prims.some(([n]) => n === name), `${name} is among ${prims.map(([n]) => n)}`);
    }
    // Signs at random (a branch would mispredict), and the values where ops differ: zeros of
    // either sign, infinities, NaN, a subnormal.
    const data = gt.random.normal([2000], { seed: 11 }).data() as Float32Array;
    data.set([0, -0, Infinity, -Infinity, NaN, 1e-40, -3, 2.5]);
    const x = gt.constant(data, { shape: [2000] });
    const y = gt.constant(data.slice().reverse(), { shape: [2000] });
    for (const [name, prim, arity] of prims) {
      const f = (...xs: gt.Tensor[]) => bind(prim, xs, undefined as never);
      const args = [x, y].slice(0, arity);
      const s = steps(gt.jit(f).program(...args));
      assert.equal(s.length, 1, `${name}: ${s.join("\n")}`);
      assert.match(s[0], new RegExp(`fused\\[${name}\\] \\(SIMD\\)`), name);
      assertSame(gt.jit(f)(...args), f(...args), name);
      // Below 1,024 elements, its kernel.
      const small = args.map((a) => gt.slice(a, [0], [100]));
      assert.ok(!steps(gt.jit(f).program(...small))[0].includes("SIMD"), name);
      assertSame(gt.jit(f)(...small), f(...small), `${name}, small`);
    }
  },
});

Deno.test({
  name: "jit SIMD: a bias passed at every call, read in place from the second, on every call",
  ignore: !available,
  fn() {
    // The same bias array at each call is copied into the kernels' memory at the second, and the
    // loop then reads it there: its last input, a row in place.
    const b = gt.random.normal([1024], { seed: 21 });
    const dense = (h: gt.Tensor, b: gt.Tensor) => gt.add(h, b);
    const jitted = gt.jit(dense);
    for (let call = 0; call < 3; call++) {
      const h = gt.random.normal([100, 1024], { seed: 22 + call });
      assertSame(jitted(h, b), dense(h, b), `call ${call}`);
    }
  },
});

Deno.test({
  name: "jit: a value read twice inside one fused group is computed once, in the loop",
  fn() {
    const f = (x: gt.Tensor) => {
      const e = gt.add(gt.multiply(x, 2), 1);
      return gt.multiply(gt.subtract(e, x), e);
    };
    const x = gt.random.normal([300], { seed: 7 });
    const jf = gt.jit(f);
    const s = steps(jf.program(x));
    assert.equal(s.length, 1, s.join("\n"));
    assertSame(jf(x), f(x));
  },
});

// Random elementwise programs over arrays long enough for SIMD loops: jitted, their values and
// gradients equal eager mode's bit for bit.
const UNARY: Record<string, (x: gt.Tensor) => gt.Tensor> = {
  negative: gt.negative,
  abs: gt.abs,
  sqrt: (x) => gt.sqrt(gt.abs(x)),
  relu: gt.relu,
  sin: gt.sin,
  cos: gt.cos,
  exp: (x) => gt.exp(gt.minimum(x, 5)),
  sigmoid: gt.sigmoid,
  tanh: gt.tanh,
  log: (x) => gt.log(gt.add(gt.abs(x), 1)), // no vector formula: splits groups
  square: gt.square,
  // A bool inside a loop, from a cast: zero where x ≤ 0.
  positive: (x) => gt.cast(gt.cast(gt.maximum(x, 0), "bool"), x.dtype),
};
const BINARY: Record<string, (a: gt.Tensor, b: gt.Tensor) => gt.Tensor> = {
  add: gt.add,
  subtract: gt.subtract,
  multiply: gt.multiply,
  divide: (a, b) => gt.divide(a, gt.add(gt.abs(b), 0.5)),
  maximum: gt.maximum,
  minimum: gt.minimum,
  addN: (a, b) => {
    const t = gt.add(a, b); // of the broadcast shape, as addN's terms must be
    return gt.addN([t, gt.multiply(t, 0.5), t]);
  },
  where: (a, b) => gt.where(gt.greater(a, b), a, b), // no vector formula: splits groups
  // A bool inside a loop, from a comparison: a mask times a value.
  mask: (a, b) => gt.multiply(b, gt.cast(gt.lessEqual(a, b), a.dtype)),
};

function randomProgram(seed: number): (...xs: gt.Tensor[]) => gt.Tensor {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const steps = Array.from({ length: 3 + Math.floor(next() * 8) }, () => ({
    unary: next() < 0.5,
    op: next(),
    a: next(),
    b: next(),
  }));
  return (...xs) => {
    const nodes = [...xs];
    for (const s of steps) {
      const a = nodes[Math.floor(s.a * nodes.length)], b = nodes[Math.floor(s.b * nodes.length)];
      const names = Object.keys(s.unary ? UNARY : BINARY);
      const name = names[Math.floor(s.op * names.length)];
      nodes.push(s.unary ? UNARY[name](a) : BINARY[name](a, b));
    }
    // The last node, and another one read by it and by the output: not every value is private.
    return gt.add(nodes[nodes.length - 1], gt.multiply(nodes[nodes.length - 2], 0.25));
  };
}

Deno.test({
  name: "jit SIMD: random elementwise programs and their gradients, bit for bit",
  ignore: !available,
  fn() {
    let simd = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const f = randomProgram(seed);
      const rows = [300, 64, 1][seed % 3];
      // Every fourth program's y is a row, broadcast down x's rows.
      const x = gt.random.uniform([rows, 12], { minval: -3, maxval: 3, seed });
      const yShape = seed % 4 === 0 ? [12] : [rows, 12];
      const y = gt.random.uniform(yShape, { minval: -3, maxval: 3, seed: seed + 1000 });
      const s = gt.constant(seed % 2 === 0 ? 0.75 : -1.5);
      for (const dtype of ["float32", "float64"] as const) {
        const [a, b, c] = [x, y, s].map((t) => gt.cast(t, dtype));
        const where = `program ${seed} on [${rows}, 12] and [${yShape}], ${dtype}`;
        const jf = gt.jit(f);
        if (jf.program(a, b, c).toString().includes("(SIMD)")) simd++;
        assertSame(jf(a, b, c), f(a, b, c), `${where}: values`);
        const g = gt.grad((a: gt.Tensor, b: gt.Tensor) => gt.reduceSum(f(a, b, c)), {
          argnums: [0, 1],
        });
        const [ge, gj] = [g(a, b), gt.jit(g)(a, b)] as gt.Tensor[][];
        ge.forEach((e, i) => assertSame(gj[i], e, `${where}: gradient ${i}`));
      }
    }
    assert.ok(simd >= 20, `${simd} of 120 programs ran SIMD loops`);
  },
});

Deno.test({
  name: "jit SIMD: an optimizer's float64 update of float32 weights is a float64 SIMD loop",
  ignore: !available,
  fn() {
    const init = gt.random.normal([300, 20], { seed: 9 });
    const grad = gt.random.normal([300, 20], { seed: 10 });
    const run = (compile: boolean): [gt.Variable, string] => {
      const w = new gt.Variable(init);
      const opt = new gt.optimizers.Adam({ learningRate: 0.01 });
      const step = (g: gt.Tensor) => opt.applyGradients([[g, w]]);
      const f = compile ? gt.jit(step) : step;
      for (let i = 0; i < 3; i++) f(gt.multiply(grad, i + 1));
      return [w, compile ? gt.jit(step).program(grad).toString() : ""];
    };
    const [jw, text] = run(true), [ew] = run(false);
    assert.match(text, /fused\[cast .*cast\] \(SIMD\)/, text);
    assertSame(jw.value(), ew.value());
  },
});

Deno.test({
  name:
    "jit SIMD: comparisons inside a loop are lanes of 1 and 0, and a bool result leaves as bools",
  ignore: !available,
  fn() {
    const data = gt.random.normal([n], { seed: 4 }).data() as Float32Array;
    data.set([0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 0.5], 0);
    const h = gt.constant(data, { shape: [n] });
    const dy = gt.random.normal([n], { seed: 5 });
    // relu's gradient: the mask times the cotangent, each comparison in turn.
    for (const compare of [gt.greater, gt.greaterEqual, gt.less, gt.lessEqual, gt.equal]) {
      const f = (h: gt.Tensor, dy: gt.Tensor) => gt.multiply(dy, gt.cast(compare(h, 0), "float32"));
      const jitted = gt.jit(f);
      const s = steps(jitted.program(h, dy));
      assert.equal(s.length, 1, s.join("\n"));
      assert.match(s[0], /fused\[\w+ cast multiply\] \(SIMD\)/);
      assertSame(jitted(h, dy), f(h, dy), compare.name);
    }
    // A cast to bool in a loop is 1 wherever the value is not zero (NaN and 0.5 included).
    const nonzero = (h: gt.Tensor, dy: gt.Tensor) =>
      gt.multiply(dy, gt.cast(gt.cast(h, "bool"), "float32"));
    assert.match(steps(gt.jit(nonzero).program(h, dy))[0], /\(SIMD\)/);
    assertSame(gt.jit(nonzero)(h, dy), nonzero(h, dy), "cast to bool");
    // NaN differs from itself: notEqual's lanes are set where equal's are clear.
    const ne = (a: gt.Tensor, b: gt.Tensor) => gt.cast(gt.notEqual(gt.exp(a), b), "float32");
    assertSame(gt.jit(ne)(h, h), ne(h, h), "notEqual");
    // A comparison whose bools are the result is stored by its kernel, not by a float loop.
    const mask = (h: gt.Tensor) => gt.greater(gt.exp(h), 1);
    const jitted = gt.jit(mask);
    assert.ok(!jitted.program(h).toString().includes("(SIMD)"));
    const got = jitted(h);
    assert.equal(got.dtype, "bool");
    assertSame(got, mask(h));
  },
});
