/**
 * `jit`'s contract (API.md, "jit"): what makes a new trace (shapes, dtypes and static values,
 * never a new number), trees in and out, variables as inputs and assignments as outputs applied
 * when the call ends, the errors for reading a traced value, the retrace warning, what compiling
 * does (fusion, dead code, common subexpressions, a memory plan, captured constants), weak
 * scalars, composition with every transform, and `tidy`. Every value is checked against the same
 * function run eagerly, bit for bit unless noted.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { assertSame, assertSameTree } from "./_exact.ts";
import { assertAllClose } from "../../src/testing/mod.ts";
import { lazyFill } from "../../src/core/tensor.ts";
import { jobsPosted, wasmThreaded, workerHeld } from "../../src/core/kernels/wasm/runtime.ts";
import { readyWorker } from "../_helpers.ts";

const f32 = (v: gt.TensorLike, shape?: number[]) => gt.constant(v, { dtype: "float32", shape });
const f64 = (v: gt.TensorLike, shape?: number[]) => gt.constant(v, { dtype: "float64", shape });
/** Deterministic values of varying sign, `n` of them from `seed`. */
const values = (n: number, seed = 1) =>
  Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.7);

/** Counts the traces of `f`: its body runs once per trace, and never when a program runs. */
function counted<A extends unknown[], R>(f: (...args: A) => R): [(...args: A) => R, () => number] {
  let n = 0;
  return [(...args: A) => (n++, f(...args)), () => n];
}

/** The buffer line of a printed program: how many buffers serve how many intermediates. */
function buffersOf(program: string): { buffers: number; intermediates: number } {
  const m = program.match(/buffers: (\d+) for (\d+) intermediates/);
  assert.ok(m !== null, `no buffer line in:\n${program}`);
  return { buffers: Number(m[1]), intermediates: Number(m[2]) };
}

/** The equations of a printed program (the lines between `in (…)` and `out (…)`). */
function equations(program: string): string[] {
  const lines = program.split("\n");
  return lines.slice(1, lines.findIndex((l) => l.startsWith("out ("))).map((l) => l.trim());
}

/** The steps of a printed program (the lines between `steps:` and the views or buffers). */
function stepsOf(program: string): string[] {
  const after = program.split("\nsteps:\n")[1] ?? "";
  return after.split("\n").filter((l) => /^ {2}\S/.test(l)).filter((l) => !/shares its/.test(l))
    .map((l) => l.trim());
}

// ---------------------------------------------------------------------------------------------
// Signatures: what traces again, and what does not.

Deno.test("jit: a new number is a new input, not a new trace", () => {
  const [body, traces] = counted((x: Tensor, lr: number) => gt.subtract(x, gt.multiply(lr, x)));
  const step = gt.jit(body);
  const x = f32(values(5));
  for (const lr of [0.5, 0.25, -3, 1e-3, 0]) {
    assertSame(step(x, lr), body(x, lr), `lr ${lr}`);
  }
  // Five jitted calls and five eager ones: one trace among the jitted.
  assert.equal(traces(), 1 + 5);
});

Deno.test("jit: a new static value traces again, the same one does not", () => {
  const [body, traces] = counted((x: Tensor, n: number) => gt.pow(x, n));
  const power = gt.jit(body, { static: [1] });
  const x = f32([0.5, 2, 3]);
  const expected = [2, 3, 2, 3].map((n) => gt.pow(x, n));
  const before = traces();
  [2, 3, 2, 3].forEach((n, i) => assertSame(power(x, n), expected[i], `n ${n}`));
  assert.equal(traces() - before, 2);
  // The static value is baked into the program: it is no input.
  assert.match(power.program(x, 3).toString(), /^in \(a:f32\[3\]\)\n/);
});

Deno.test("jit: a new shape or dtype traces again; the same shape and dtype do not", () => {
  const [body, traces] = counted((x: Tensor) => gt.reduceSum(gt.square(gt.sin(x)), 0));
  const f = gt.jit(body);
  const inputs = [
    f32(values(3)),
    f32(values(3, 2)), // same signature: no trace
    f32(values(4)),
    f32(values(6), [2, 3]),
    f64(values(3)),
    f32(values(4, 3)), // seen: no trace
    f64(values(6), [2, 3]),
  ];
  const eager = inputs.map((x) => body(x));
  const before = traces();
  inputs.forEach((x, i) => assertSame(f(x), eager[i], `input ${i}`));
  assert.equal(traces() - before, 5);
});

Deno.test("jit: strings, booleans and null are static, by value", () => {
  const [body, traces] = counted(
    (x: Tensor, mode: string, flag: boolean, none: null) =>
      mode === "double" ? gt.multiply(x, flag ? 2 : 3) : none === null ? gt.negative(x) : x,
  );
  const f = gt.jit(body);
  const x = f32(values(4));
  const calls: [string, boolean][] = [["double", true], ["double", false], ["negate", true], [
    "double",
    true,
  ]];
  const expected = calls.map(([m, b]) => body(x, m, b, null));
  const before = traces();
  calls.forEach(([m, b], i) => assertSame(f(x, m, b, null), expected[i], `${m} ${b}`));
  assert.equal(traces() - before, 3);
});

Deno.test("jit: a static argument may hold a tensor, which the program captures", () => {
  const [body, traces] = counted((x: Tensor, w: Tensor) => gt.matmul(x, w));
  const f = gt.jit(body, { static: [1] });
  const x = f32(values(6), [2, 3]), w1 = f32(values(6, 4), [3, 2]), w2 = f32(values(6, 5), [3, 2]);
  const e1 = body(x, w1), e2 = body(x, w2);
  const before = traces();
  assertSame(f(x, w1), e1);
  assertSame(f(x, w2), e2);
  assertSame(f(x, w1), e1);
  assert.equal(traces() - before, 2);
  assert.match(f.program(x, w1).toString(), /^in \(a:f32\[2,3\]\)\n.*matmul.* a const:f32\[3,2\]/m);
});

Deno.test("jit: program() compiles for its arguments, and a call then reuses that program", () => {
  const [body, traces] = counted((x: Tensor) => gt.exp(gt.multiply(x, x)));
  const f = gt.jit(body);
  const x = f64(values(4));
  const p = f.program(x);
  assert.equal(traces(), 1);
  assert.equal(f.program(x), p, "the same CompiledProgram");
  assertSame(f(x), body(x));
  assert.equal(traces(), 2, "the call traced nothing (one trace, one eager call)");
});

// ---------------------------------------------------------------------------------------------
// Trees in and out.

Deno.test("jit: trees of arguments and results, with non-tensor leaves in the result", () => {
  type Params = { w: Tensor; b: Tensor; layers: [Tensor, { scale: number }] };
  const body = (p: Params, xs: Tensor[]) => {
    const h = gt.add(gt.matmul(xs[0], p.w), p.b);
    const y = gt.multiply(gt.tanh(gt.matmul(h, p.layers[0])), p.layers[1].scale);
    return {
      y,
      parts: [h, gt.reduceSum(xs[1])] as const,
      meta: { name: "mlp", layers: 2, ok: true, none: null },
      same: xs[1],
    };
  };
  const f = gt.jit(body);
  const p: Params = {
    w: f32(values(12), [3, 4]),
    b: f32(values(4, 2)),
    layers: [f32(values(8, 3), [4, 2]), { scale: 0.75 }],
  };
  const xs = [f32(values(6, 4), [2, 3]), f64(values(5, 5))];
  assertSameTree(f(p, xs), body(p, xs));
  // Once more with the program compiled, and a new number inside the tree.
  const q: Params = { ...p, layers: [p.layers[0], { scale: -2 }] };
  assertSameTree(f(q, xs), body(q, xs));
  // A returned argument is that tensor itself.
  assert.equal(f(p, xs).same, xs[1]);
});

Deno.test("jit: a function returning its input unchanged", () => {
  const x = f32(values(3));
  const identity = gt.jit((t: Tensor) => t);
  assert.equal(identity(x), x);
  assertSame(identity(x), x);
  const tree = gt.jit((a: Tensor, b: { c: Tensor }) => [b, a]);
  const c = f64([1, 2]);
  assertSameTree(tree(x, { c }), [{ c }, x]);
  // A number returned unchanged comes back as eager mode returns it.
  const n = gt.jit((v: number) => v);
  assertSameTree(n(2.5), ((v: number) => v)(2.5));
});

// ---------------------------------------------------------------------------------------------
// Variables.

Deno.test("jit: a variable read inside f is an input, read at every call", () => {
  const w = new gt.Variable(values(3), { name: "w" });
  const body = (x: Tensor) => gt.multiply(x, w);
  const f = gt.jit(body);
  const x = f32([1, -2, 3]);
  assertSame(f(x), body(x));
  w.assign(f32(values(3, 7)));
  assertSame(f(x), body(x), "after an assignment outside");
  w.assignSub(f32([1, 1, 1]));
  assertSame(f(x), body(x), "after an update outside");
  const p = f.program(x).toString();
  assert.match(p, /^in \(a:f32\[3\], b:f32\[3\]\)/, "the variable is the second input");
});

/** Two copies of the same variables, one for the jitted function and one for eager mode. */
function twins(init: Record<string, number[]>, dtype: gt.DType = "float32") {
  const make = () =>
    Object.fromEntries(
      Object.entries(init).map(([k, v]) => [k, new gt.Variable(v, { name: k, dtype })]),
    );
  return [make(), make()];
}

function assertSameVariables(a: Record<string, gt.Variable>, b: Record<string, gt.Variable>) {
  for (const k of Object.keys(b)) assertSame(a[k].peek(), b[k].peek(), `variable ${k}`);
}

Deno.test("jit: assign, assignAdd and assignSub inside f are applied when the call ends", () => {
  const [jv, ev] = twins({ a: [1, 2, 3], b: [0.5, -0.5, 2], c: [10, 20, 30] });
  const makeBody = (v: Record<string, gt.Variable>) => (x: Tensor) => {
    const before = v.a.value();
    v.a.assignAdd(x);
    v.a.assignAdd(x); // reads the value the first update left
    v.b.assign(gt.multiply(v.a, v.b));
    v.c.assignSub(gt.sin(v.b));
    return { before, a: v.a.value(), sum: gt.reduceSum(v.c) };
  };
  const f = gt.jit(makeBody(jv)), eager = makeBody(ev);
  const xs = [f32([0.25, -1, 3]), f32([1, 1, 1]), f32([-2, 0.5, 0])];
  for (const [i, x] of xs.entries()) {
    const before = jv.a.peek();
    const y = f(x), e = eager(x);
    assertSameTree(y, e, `call ${i}`);
    assertSameVariables(jv, ev);
    // The value read before the updates is the variable's value on entry.
    assertSame(y.before, before);
  }
});

Deno.test("jit: variables that swap values, read before either is assigned", () => {
  const [jv, ev] = twins({ a: [1, 2], b: [3, 4] });
  const makeBody = (v: Record<string, gt.Variable>) => () => {
    const a = v.a.value(), b = v.b.value();
    v.a.assign(b);
    v.b.assign(a);
    return gt.subtract(a, b);
  };
  const f = gt.jit(makeBody(jv)), eager = makeBody(ev);
  for (let i = 0; i < 3; i++) {
    assertSame(f(), eager());
    assertSameVariables(jv, ev);
  }
});

Deno.test("jit: a throw inside f leaves every variable unchanged", () => {
  const a = new gt.Variable([1, 2, 3]), b = new gt.Variable([4, 5, 6]);
  const f = gt.jit((x: Tensor, fail: boolean) => {
    a.assign(x);
    b.assignAdd(x);
    if (fail) throw new Error("planned failure");
    return gt.add(a, b);
  });
  const x = f32([7, 8, 9]);
  assert.throws(() => f(x, true), /planned failure/);
  assertSame(a.peek(), f32([1, 2, 3]));
  assertSame(b.peek(), f32([4, 5, 6]));
  // The same function without the throw applies both.
  assertSame(f(x, false), f32([7 + 11, 8 + 13, 9 + 15]));
  assertSame(a.peek(), x);
  assertSame(b.peek(), f32([11, 13, 15]));
  // An error while tracing a new signature (a bad shape) changes nothing either.
  assert.throws(() => f(f32([1, 2]), false), /shape/);
  assertSame(a.peek(), x);
  assertSame(b.peek(), f32([11, 13, 15]));
});

/** A small regression model: y = tanh(x·w + b)·v, mean squared error. */
function model(w: Tensor | gt.Variable, b: Tensor | gt.Variable, v: Tensor | gt.Variable) {
  return (x: Tensor, y: Tensor) => {
    const h = gt.tanh(gt.add(gt.matmul(x, w), b));
    return gt.reduceMean(gt.square(gt.subtract(gt.matmul(h, v), y)));
  };
}

const data = {
  x: f32(values(24, 11), [8, 3]),
  y: f32(values(8, 12), [8, 1]),
};
const init = { w: values(12, 13), b: values(4, 14), v: values(4, 15) };
const shapes: Record<string, number[]> = { w: [3, 4], b: [4], v: [4, 1] };

function modelVariables(dtype: gt.DType = "float32") {
  return Object.fromEntries(
    Object.entries(init).map((
      [k, v],
    ) => [k, new gt.Variable(gt.constant(v, { shape: shapes[k], dtype }), { name: k })]),
  ) as Record<"w" | "b" | "v", gt.Variable>;
}

Deno.test("jit: an SGD step with a GradientTape and assignSub matches eager mode over steps", () => {
  for (const dtype of ["float32", "float64"] as const) {
    const jv = modelVariables(dtype), ev = modelVariables(dtype);
    const makeStep = (p: typeof jv) => (x: Tensor, y: Tensor, lr: number) => {
      const tape = new gt.GradientTape();
      const loss = tape.record(() => model(p.w, p.b, p.v)(x, y));
      const grads = tape.gradient(loss, [p.w, p.b, p.v]);
      [p.w, p.b, p.v].forEach((vr, i) => vr.assignSub(gt.multiply(grads[i]!, lr)));
      return loss;
    };
    const [jitBody, traces] = counted(makeStep(jv));
    const step = gt.jit(jitBody), eager = makeStep(ev);
    const x = gt.cast(data.x, dtype), y = gt.cast(data.y, dtype);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const lr = i < 3 ? 0.5 : 0.25; // a new learning rate: no new trace
      const l = step(x, y, lr);
      assertSame(l, eager(x, y, lr), `${dtype} step ${i}: loss`);
      assertSameVariables(jv, ev);
      losses.push(l.item());
    }
    assert.equal(traces(), 1, `${dtype}: one trace`);
    assert.ok(losses[5] < losses[0], `${dtype}: the loss goes down: ${losses}`);
  }
});

Deno.test("jit: an optimizer's step (Adam, SGD with momentum) traced once matches eager mode over steps", () => {
  const optimizers = {
    adam: () => new gt.optimizers.Adam({ learningRate: 0.05 }),
    momentum: () => new gt.optimizers.SGD({ learningRate: 0.1, momentum: 0.9 }),
  };
  for (const [name, make] of Object.entries(optimizers)) {
    const jv = modelVariables(), ev = modelVariables();
    const jopt = make(), eopt = make();
    const makeStep = (p: typeof jv, opt: ReturnType<typeof make>) => (x: Tensor, y: Tensor) => {
      const tape = new gt.GradientTape();
      const loss = tape.record(() => model(p.w, p.b, p.v)(x, y));
      const vars = [p.w, p.b, p.v];
      const grads = tape.gradient(loss, vars);
      opt.applyGradients(vars.map((vr, i) => [grads[i]!, vr]));
      return loss;
    };
    // The optimizer's state (moments, velocity, step count) is made during the first trace.
    const [jitBody, traces] = counted(makeStep(jv, jopt));
    const step = gt.jit(jitBody), eager = makeStep(ev, eopt);
    for (let i = 0; i < 5; i++) {
      assertSame(step(data.x, data.y), eager(data.x, data.y), `${name} step ${i}: loss`);
      assertSameVariables(jv, ev);
    }
    assert.equal(traces(), 1, `${name}: one trace`);
    if (jopt instanceof gt.optimizers.Adam && eopt instanceof gt.optimizers.Adam) {
      assert.equal(jopt.iterations, eopt.iterations);
    }
  }
});

Deno.test("jit: an optimizer shared by jitted and eager steps, over two signatures, matches eager mode", () => {
  for (const kind of ["adam", "momentum"] as const) {
    const run = (modes: ("jit" | "eager")[]) => {
      const w = new gt.Variable(f32(values(6, 31), [3, 2]), { name: "w" });
      const opt = kind === "adam"
        ? new gt.optimizers.Adam({ learningRate: 0.1 })
        : new gt.optimizers.SGD({ learningRate: 0.1, momentum: 0.9 });
      const body = (x: Tensor) => {
        const tape = new gt.GradientTape();
        const l = tape.record(() => gt.reduceSum(gt.square(gt.matmul(x, w))));
        opt.applyGradients([[tape.gradient(l, w)!, w]]);
        return l;
      };
      const step = gt.jit(body);
      return modes.map((m, i) => {
        // Batches of one and two rows alternately: two signatures.
        const x = f32(values(3 * (1 + (i % 2)), 40 + i), [1 + (i % 2), 3]);
        return [(m === "jit" ? step : body)(x), w.peek()];
      });
    };
    const eager = run(["eager", "eager", "eager", "eager", "eager"]);
    assertSameTree(run(["jit", "jit", "eager", "jit", "eager"]), eager, `${kind}, jit first`);
    assertSameTree(run(["eager", "jit", "jit", "eager", "jit"]), eager, `${kind}, eager first`);
  }
});

// ---------------------------------------------------------------------------------------------
// Reading traced values.

Deno.test("jit: reading a traced value throws an error that says what to do", () => {
  const x = f32([1, -2, 3]);
  const reads: [string, (t: Tensor) => unknown][] = [
    ["item()", (t) => gt.reduceSum(t).item()],
    ["data()", (t) => t.data()],
    ["toArray()", (t) => t.toArray()],
    ["a branch on a value", (t) => gt.greater(gt.reduceSum(t), 0).item() ? t : gt.negative(t)],
  ];
  for (const [what, read] of reads) {
    let message = "";
    try {
      gt.jit((t: Tensor) => read(t))(x);
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, /^jit:/, `${what}: ${message}`);
    assert.match(message, /return the tensor/, `${what}: ${message}`);
    assert.match(message, /static/, `${what}: ${message}`);
  }
  // The same functions run eagerly.
  assert.equal(gt.reduceSum(x).item(), 2);
});

Deno.test("jit: a function in the result is refused, and a traced tensor kept past its trace says so", () => {
  const x = f32([1, 2]);
  assert.throws(
    () => gt.jit((x: Tensor) => () => x.mul(2))(x),
    /jit: the result of the jitted function is a function: .*return the tensors it needs/,
  );
  const f = (x: Tensor) => gt.reduceSum(gt.square(x));
  assert.throws(
    () =>
      gt.jit(function pullback(x: Tensor) {
        return gt.vjp(f, x);
      })(x),
    /jit: the result\[1\] of the jitted function 'pullback' is a function/,
  );
  let kept: Tensor | undefined;
  const g = gt.jit((x: Tensor) => (kept = gt.multiply(x, 2)));
  assertSame(g(x), f32([2, 4]));
  assert.throws(() => kept!.data(), /outlived the trace .*return the tensor from the function/);
  assert.throws(() => gt.add(kept!, 1), /outlived the trace/);
});

Deno.test("jit: an op option that needs a number argument's value says to make it static", () => {
  const x = f32([1, -2]);
  const uses: [string, (x: Tensor, a: number) => unknown][] = [
    ["leakyRelu: alpha", (x, a) => gt.leakyRelu(x, a)],
    ["fill: value", (_, a) => gt.fill([2], a)],
    ["random.normal: stddev", (_, a) => gt.random.normal([2], { stddev: a, seed: 3 })],
  ];
  for (const [what, use] of uses) {
    assert.throws(
      () => gt.jit(use)(x, 0.5),
      new RegExp(`${what} .*a number traced by jit .*static: \\[its index\\]`),
      what,
    );
    // Made static, the op gets the value, as eagerly.
    assertSameTree(gt.jit(use, { static: [1] })(x, 0.5), use(x, 0.5), what);
  }
});

// ---------------------------------------------------------------------------------------------
// The retrace warning.

Deno.test("jit: more than 8 traces of one function print one warning, naming it", () => {
  const warnings: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  try {
    const f = gt.jit(function manyShapes(x: Tensor) {
      return gt.add(x, 1);
    });
    for (let n = 1; n <= 8; n++) f(gt.zeros([n]));
    // Calls with shapes already seen trace nothing.
    for (let n = 1; n <= 8; n++) f(gt.zeros([n]));
    assert.equal(warnings.length, 0, "a warning before the ninth trace");
    f(gt.zeros([9]));
    assert.equal(warnings.length, 1, "no warning at the ninth trace");
    for (let n = 10; n <= 20; n++) f(gt.zeros([n]));
    assert.equal(warnings.length, 1, "more than one warning");
    const text = warnings[0].map(String).join(" ");
    assert.match(text, /manyShapes/);
    assert.match(text, /9 times/);
    // The reason: what differs from the signature traced before.
    assert.match(text, /argument leaf 0 is a tensor of float32\[9\], not float32\[8\]/);
    // Objects are part of the signature by identity: a new variable each call traces again.
    const h = gt.jit(function norm(v: gt.Variable) {
      return gt.reduceSum(gt.square(v));
    });
    for (let i = 0; i < 9; i++) h(new gt.Variable([i, 1]));
    assert.equal(warnings.length, 2);
    assert.match(warnings[1].map(String).join(" "), /argument leaf 0 is an object not seen before/);
    // Another function has its own count.
    const g = gt.jit((x: Tensor) => gt.add(x, 2));
    for (let n = 1; n <= 8; n++) g(gt.zeros([n]));
    assert.equal(warnings.length, 2);
  } finally {
    console.warn = warn;
  }
});

// ---------------------------------------------------------------------------------------------
// What compiling does, as program().toString() shows it.

Deno.test("jit: an elementwise chain is fused into one loop", () => {
  const body = (x: Tensor, y: Tensor) => gt.multiply(gt.add(x, 1), y);
  const f = gt.jit(body);
  for (const dtype of ["float32", "float64"] as const) {
    // y broadcasts: a row down x.
    const x = gt.constant(values(12), { dtype, shape: [4, 3] });
    const y = gt.constant(values(3, 2), { dtype });
    const p = f.program(x, y).toString();
    assert.match(p, /fused\[add multiply\]/, p);
    assert.equal(p.split("\nsteps:\n")[1].split("\n").filter((l) => /^ {2}\S/.test(l)).length, 1);
    assertSame(f(x, y), body(x, y), dtype);
  }
  // A longer chain with every input broadcasting differently, against eager mode.
  const chain = (a: Tensor, b: Tensor, c: Tensor) =>
    gt.where(
      gt.greater(a, b),
      gt.divide(gt.subtract(gt.multiply(a, b), c), gt.add(gt.square(c), 1)),
      gt.maximum(gt.negative(a), gt.multiply(c, 0.5)),
    );
  const jc = gt.jit(chain);
  for (const dtype of ["float32", "float64"] as const) {
    const a = gt.constant(values(60, 3), { dtype, shape: [3, 4, 5] });
    const b = gt.constant(values(5, 4), { dtype, shape: [5] });
    const c = gt.constant(values(4, 5), { dtype, shape: [4, 1] });
    const p = jc.program(a, b, c).toString();
    assert.match(p, /fused\[[a-z ]*where\]/, p);
    assertSame(jc(a, b, c), chain(a, b, c), dtype);
  }
});

Deno.test("jit: float32 exp, sin, cos, tanh and sigmoid keep their SIMD kernels; float64 fuses them", () => {
  const body = (x: Tensor) => gt.sigmoid(gt.tanh(gt.cos(gt.sin(gt.exp(gt.multiply(x, 0.5))))));
  const f = gt.jit(body);
  const x32 = f32(values(103)), x64 = f64(values(103));
  const p32 = f.program(x32).toString(), p64 = f.program(x64).toString();
  for (const op of ["exp", "sin", "cos", "tanh", "sigmoid"]) {
    assert.match(p32, new RegExp(`f32\\[103\\] = ${op} ->`), p32);
  }
  assert.match(p64, /fused\[multiply exp sin cos tanh sigmoid\]/, p64);
  assertSame(f(x32), body(x32));
  assertSame(f(x64), body(x64));
});

Deno.test("jit: dead code is removed", () => {
  const f = gt.jit((x: Tensor) => {
    gt.exp(x); // unused
    const unusedChain = gt.log(gt.square(x));
    void unusedChain;
    return gt.add(x, 1);
  });
  const p = f.program(f32([1, 2])).toString();
  assert.deepEqual(equations(p).map((e) => e.split(" = ")[1].split(" ")[0]), ["add"], p);
  assert.doesNotMatch(p, /exp|log|square/);
});

Deno.test("jit: common subexpressions are merged", () => {
  const body = (x: Tensor, y: Tensor) => {
    const a = gt.multiply(gt.add(x, y), 2);
    const b = gt.multiply(gt.add(x, y), 2);
    return gt.add(gt.sin(a), gt.cos(b));
  };
  const f = gt.jit(body);
  const x = f64(values(4)), y = f64(values(4, 2));
  const p = f.program(x, y).toString();
  const ops = equations(p).map((e) => e.split(" = ")[1].split(" ")[0]);
  assert.deepEqual(ops.sort(), ["add", "add", "cos", "multiply", "sin"], p);
  assertSame(f(x, y), body(x, y));
});

Deno.test("jit: a product over an inner dimension of 1 is recorded as a multiply, bit for bit", () => {
  // A column times a row, each operand as it is or transposed; -1·0 keeps its sign.
  const col = f32([-1, 2, 3]).reshape([3, 1]), row = f32([0, 0.5, -4, 7]).reshape([1, 4]);
  const cases: [Tensor, Tensor, gt.MatmulOptions][] = [
    [col, row, {}],
    [col.reshape([1, 3]), row, { transposeA: true }],
    [col, row.reshape([4, 1]), { transposeB: true }],
    [col.reshape([1, 3]), row.reshape([4, 1]), { transposeA: true, transposeB: true }],
  ];
  for (const [a, b, options] of cases) {
    const body = (a: Tensor, b: Tensor) => gt.add(gt.matmul(a, b, options), 1);
    const f = gt.jit(body);
    const p = f.program(a, b).toString();
    assert.doesNotMatch(p, /matmul/, p);
    assertSame(f(a, b), body(a, b), JSON.stringify(options));
    assertSame(
      gt.jit((a: Tensor, b: Tensor) => gt.matmul(a, b, options))(a, b),
      gt.matmul(a, b, options),
    );
  }
  // A true inner dimension stays a product.
  assert.match(
    gt.jit((a: Tensor) => gt.matmul(a, a, { transposeA: true })).program(col).toString(),
    /matmul/,
  );
});

Deno.test("jit: intermediates share buffers, planned from last uses and reused across calls", () => {
  // In float32 each of these ops runs its SIMD kernel: four intermediates, a buffer for each
  // pair that never live at once.
  const body = (x: Tensor) => gt.tanh(gt.cos(gt.sin(gt.exp(gt.sin(x)))));
  const f = gt.jit(body);
  const x = f32(values(64));
  const p = f.program(x).toString();
  const { buffers, intermediates } = buffersOf(p);
  assert.equal(intermediates, 4, p);
  assert.equal(buffers, 2, p);
  assert.match(p, /buffer 0[\s\S]*buffer 1[\s\S]*buffer 0[\s\S]*buffer 1/, p);
  // The arena lives with the program: every call reuses it, and the results stay right.
  const results = [x, f32(values(64, 2)), f32(values(64, 3))].map((xi) => [f(xi), body(xi)]);
  for (const [i, [y, e]] of results.entries()) assertSame(y, e, `call ${i}`);
  // A value read late keeps its buffer until its last use.
  const late = (x: Tensor) => {
    const a = gt.exp(x);
    const b = gt.sin(a);
    const c = gt.cos(b);
    return gt.add(gt.tanh(c), a);
  };
  const g = gt.jit(late);
  const pl = g.program(x).toString();
  assert.equal(buffersOf(pl).buffers, 3, pl);
  assertSame(g(x), late(x));
});

Deno.test("jit: a tensor from the closure is captured as a constant", () => {
  const w = f32(values(6, 9), [3, 2]);
  const body = (x: Tensor) => gt.matmul(x, w);
  const f = gt.jit(body);
  const x = f32(values(6), [2, 3]);
  const p = f.program(x).toString();
  assert.match(p, /= matmul\[.*\] a const:f32\[3,2\]/, p);
  assert.match(p, /^in \(a:f32\[2,3\]\)/, p);
  assertSame(f(x), body(x));
  // What depends on constants only is computed while tracing (folded): no exp in the program.
  const folded = (x: Tensor) => gt.add(x, gt.exp(w));
  const g = gt.jit(folded);
  const xt = gt.transpose(x);
  const pg = g.program(xt).toString();
  assert.doesNotMatch(pg, /exp/, pg);
  assert.match(pg, /= add a const:f32\[3,2\]/, pg);
  assertSame(g(xt), folded(xt));
});

// ---------------------------------------------------------------------------------------------
// Weak scalars.

Deno.test("jit: a number takes its partner's dtype, as in eager mode", () => {
  const body = (x: Tensor, lr: number) => gt.multiply(x, lr);
  const f = gt.jit(body);
  const x64 = f64([1, -3, 0.1]);
  for (const lr of [0.5, -2, 0.25]) {
    const y = f(x64, lr);
    assert.equal(y.dtype, "float64");
    assertSame(y, body(x64, lr), `lr ${lr}`);
  }
  const x32 = f32([1, -3, 0.1]);
  for (const lr of [0.5, 0.1, 1 / 3]) assertSame(f(x32, lr), body(x32, lr), `float32, lr ${lr}`);
  // Both sides numbers: float32, as eager mode's.
  const both = (a: number, b: number) => gt.add(a, b);
  assertSame(gt.jit(both)(3, 4.5), both(3, 4.5));
  // A number on the left, and in a longer expression.
  const left = (x: Tensor, s: number) => gt.subtract(s, gt.multiply(s, gt.square(x)));
  assertSame(gt.jit(left)(x64, 0.75), left(x64, 0.75));
  // A number met only by plain numbers is float32 too, so what eager mode refuses is refused.
  const scaled = (n: number) => gt.multiply(n, 2);
  assertSame(gt.jit(scaled)(0.1), scaled(0.1));
  const mixed = (n: number) => gt.add(gt.multiply(n, 3), x64);
  assert.throws(() => mixed(0.1), /add: dtypes differ: float32 and float64/);
  assert.throws(() => gt.jit(mixed)(0.1), /add: dtypes differ: float32 and float64/);
});

Deno.test("jit: a number that meets an int32 tensor is checked at every call, as eager mode converts it", () => {
  const a = gt.constant([1, 2], { dtype: "int32" });
  const v = new gt.Variable(a);
  const body = (a: Tensor, n: number) => {
    v.assignAdd(gt.add(a, n));
    return gt.multiply(a, n);
  };
  const f = gt.jit(body);
  assertSame(f(a, 3), gt.multiply(a, 3));
  assertSame(v.peek(), gt.constant([5, 7], { dtype: "int32" }));
  for (const n of [2.5, 0.5, 3e9, -(2 ** 31) - 1]) {
    assert.throws(() => body(a, n), RangeError, `eager mode refuses ${n}`);
    assert.throws(() => f(a, n), /jit: 'body' was given .* cannot be converted to int32/);
    assertSame(v.peek(), gt.constant([5, 7], { dtype: "int32" }), `${n} changed nothing`);
  }
  assertSame(f(a, -(2 ** 31) + 2), gt.multiply(a, -(2 ** 31) + 2));
});

// A number argument keeps its float64 precision until it meets its partner's dtype, as eager
// mode converts the number straight to that dtype (0.1 stays 0.1 beside float64, 2^24 + 1 exact
// beside int32).
Deno.test({
  name: "jit: a number with a float64 or int32 partner keeps the precision it has in eager mode",
  fn() {
    const body = (x: Tensor, lr: number) => gt.multiply(x, lr);
    const f = gt.jit(body);
    const x64 = f64([1, 3]);
    assertSame(f(x64, 0.1), body(x64, 0.1), "0.1"); // jit: 0.10000000149011612
    assertSame(f(x64, 1e40), body(x64, 1e40), "1e40"); // jit: Infinity
    const add = (x: Tensor, n: number) => gt.add(x, n);
    const i32 = gt.constant([1], { dtype: "int32" });
    assertSame(gt.jit(add)(i32, 16777217), add(i32, 16777217), "int32"); // jit: 16777217
  },
});

// JavaScript arithmetic on a number argument (traced as a tensor) throws the jit: error, where it
// would otherwise be NaN.
Deno.test({
  name: "jit: JavaScript arithmetic on a traced number throws a jit: error rather than NaN",
  fn() {
    const body = (x: Tensor, lr: number) => gt.multiply(x, lr * 2);
    const x = f32([1, 2]);
    let result: Tensor | undefined, message = "";
    try {
      result = gt.jit(body)(x, 3);
    } catch (e) {
      message = (e as Error).message;
    }
    if (result !== undefined) assertSame(result, body(x, 3)); // jit: [NaN, NaN]
    else assert.match(message, /^jit:.*static/);
  },
});

// ---------------------------------------------------------------------------------------------
// Composition with the other transforms: under one, a jitted call runs f as it is.

const loss = (x: Tensor, w: Tensor) =>
  gt.reduceSum(gt.multiply(gt.sin(gt.multiply(x, w)), gt.exp(gt.multiply(x, 0.5))));
const xc = f64(values(4, 21)), wc = f64(values(4, 22));
const xs3 = f64(values(12, 23), [3, 4]);

Deno.test("jit: grad(jit(f)), and grad of that, equal eager mode", () => {
  const jl = gt.jit(loss);
  const argnums = [0, 1] as const;
  assertSameTree(gt.grad(jl, { argnums })(xc, wc), gt.grad(loss, { argnums })(xc, wc));
  const second = (f: typeof loss) =>
    gt.grad((x: Tensor, w: Tensor) => gt.reduceSum(gt.grad(f)(x, w)), { argnums });
  assertSameTree(second(jl)(xc, wc), second(loss)(xc, wc));
});

Deno.test("jit: jit(grad(f)) and jit of second derivatives equal eager mode", () => {
  const g = gt.grad(loss, { argnums: [0, 1] });
  assertSameTree(gt.jit(g)(xc, wc), g(xc, wc));
  const hess = gt.hessian(loss);
  assertSameTree(gt.jit(hess)(xc, wc), hess(xc, wc));
  const jvpOfGrad = (x: Tensor, w: Tensor) =>
    gt.jvp((z: Tensor) => gt.grad(loss)(z, w), [x], [gt.onesLike(x)]);
  assertSameTree(gt.jit(jvpOfGrad)(xc, wc), jvpOfGrad(xc, wc));
  const valueAndGrad = gt.valueAndGrad(loss);
  assertSameTree(gt.jit(valueAndGrad)(xc, wc), valueAndGrad(xc, wc));
});

Deno.test("jit: third derivatives by reverse mode equal their closed forms and eager mode", () => {
  // The all-ones seeds make x·1 at every order, which the trace records as no equation: the tapes
  // above it must still see an op with an output of its own.
  const x = f64(0.5), xs = f64([0.5]), one = f64([1]);
  const cases: [(x: Tensor) => Tensor, (x: number) => number][] = [
    [(x) => x.mul(x).mul(x).mul(x), (x) => 24 * x],
    [(x) => x.mul(gt.exp(x)), (x) => (3 + x) * Math.exp(x)],
    [(x) => x.mul(gt.sin(x)), (x) => -3 * Math.sin(x) - x * Math.cos(x)],
  ];
  for (const [f, third] of cases) {
    const g3 = gt.grad(gt.grad(gt.grad(f)));
    assertAllClose(gt.jit(g3)(x), third(0.5), { rtol: 1e-12 });
    assertSame(gt.jit(g3)(x), g3(x));
    // The same through tapes nested inside the program, and through vjp with a cotangent of ones.
    const taped = (x: Tensor) => {
      const t1 = new gt.GradientTape(), t2 = new gt.GradientTape(), t3 = new gt.GradientTape();
      t1.watch(x), t2.watch(x), t3.watch(x);
      const d2 = t1.record(() => {
        const d1 = t2.record(() => t3.gradient(t3.record(() => f(x)), x)!);
        return t2.gradient(d1, x)!;
      });
      return t1.gradient(d2, x)!;
    };
    assertAllClose(gt.jit(taped)(x), third(0.5), { rtol: 1e-12 });
    const pull = (h: (x: Tensor) => Tensor) => (x: Tensor) => gt.vjp(h, x)[1](one)[0] as Tensor;
    const v3 = pull(pull(pull(f)));
    assertAllClose(gt.jit(v3)(xs), [third(0.5)], { rtol: 1e-12 });
  }
});

Deno.test("jit: gradients through customJvp and customGradient functions, to second order, equal eager mode", () => {
  // The custom rules' saved tensors are traced values inside their ops' attributes: merging
  // common subexpressions must not read them.
  const sinJvp = gt.customJvp(
    (x: Tensor) => gt.sin(x),
    ([x]: Tensor[], [t]: Tensor[]) => [gt.sin(x), gt.multiply(gt.cos(x), t)] as [Tensor, Tensor],
  );
  const cube = gt.customGradient((x: Tensor) => [
    gt.pow(x, 3),
    (g: Tensor) => gt.multiply(g, gt.multiply(3, gt.square(x))),
  ]);
  for (const f of [sinJvp, cube]) {
    const g = gt.grad((x: Tensor) => gt.reduceSum(f(x)));
    const gg = gt.grad((x: Tensor) => gt.reduceSum(g(x)));
    const x = gt.constant([0.5, -1.25, 2], { dtype: "float64" });
    assertSameTree(gt.jit(g)(x), g(x));
    assertSameTree(gt.jit(gg)(x), gg(x));
  }
});

Deno.test("jit: vmap(jit(f)) and jit(vmap(f)) equal eager mode, and vmap of grad inside jit", () => {
  const perRow = (x: Tensor, w: Tensor) => loss(x, w);
  const vm = gt.vmap(perRow, { inAxes: [0, null] });
  assertSameTree(gt.vmap(gt.jit(perRow), { inAxes: [0, null] })(xs3, wc), vm(xs3, wc));
  assertSameTree(gt.jit(vm)(xs3, wc), vm(xs3, wc));
  const perExampleGrads = gt.vmap(gt.grad(perRow, { argnums: 1 }), { inAxes: [0, null] });
  assertSameTree(gt.jit(perExampleGrads)(xs3, wc), perExampleGrads(xs3, wc));
  // Order 2: grad of jit of vmap.
  const total = (x: Tensor, w: Tensor) => gt.reduceSum(gt.jit(vm)(x, w));
  const eagerTotal = (x: Tensor, w: Tensor) => gt.reduceSum(vm(x, w));
  assertSameTree(
    gt.grad(total, { argnums: 1 })(xs3, wc),
    gt.grad(eagerTotal, { argnums: 1 })(xs3, wc),
  );
});

Deno.test("jit: jit(jit(f)) equals jit(f) and eager mode", () => {
  const inner = gt.jit(loss);
  const outer = gt.jit((x: Tensor, w: Tensor) => gt.multiply(inner(x, w), 2));
  assertSame(outer(xc, wc), gt.multiply(loss(xc, wc), 2));
  // The inner function is traced into the outer program: its ops appear there.
  assert.match(outer.program(xc, wc).toString(), /sin/);
  assertSame(gt.jit(gt.jit(loss))(xc, wc), loss(xc, wc));
});

Deno.test("jit: a GradientTape recording a jitted call gives eager mode's gradients", () => {
  const jl = gt.jit(loss);
  const w = new gt.Variable(wc, { name: "w" });
  const grads = (f: typeof loss) => {
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      tape.watch(xc);
      return f(xc, w.value());
    });
    return tape.gradient(y, [xc, w]);
  };
  assertSameTree(grads(jl), grads(loss));
  // A persistent tape over a jitted call, second order.
  const second = (f: typeof loss) => {
    const outer = new gt.GradientTape();
    const g = outer.record(() => {
      const inner = new gt.GradientTape();
      const y = inner.record(() => f(xc, w.value()));
      return inner.gradient(y, w)!;
    });
    return outer.gradient(gt.reduceSum(g), w);
  };
  assertSameTree(second(jl), second(loss));
  // And a forward accumulator.
  const acc = (f: typeof loss) => {
    const a = new gt.ForwardAccumulator(xc, gt.onesLike(xc));
    return a.jvp(a.record(() => f(xc, wc)));
  };
  assertSameTree(acc(jl), acc(loss));
});

Deno.test("jit: jacfwd, jacrev and hessian of a jitted function equal eager mode", () => {
  const jl = gt.jit(loss);
  const vec = (x: Tensor, w: Tensor) => gt.multiply(gt.tanh(x), gt.square(w));
  const jv = gt.jit(vec);
  const argnums = [0, 1] as const;
  assertSameTree(gt.jacfwd(jv, { argnums })(xc, wc), gt.jacfwd(vec, { argnums })(xc, wc));
  assertSameTree(gt.jacrev(jv, { argnums })(xc, wc), gt.jacrev(vec, { argnums })(xc, wc));
  for (const i of argnums) {
    const h = { argnums: i };
    assertSameTree(gt.hessian(jl, h)(xc, wc), gt.hessian(loss, h)(xc, wc), `hessian ${i}`);
  }
  assertSameTree(gt.jit(gt.jacfwd(vec))(xc, wc), gt.jacfwd(vec)(xc, wc));
});

// ---------------------------------------------------------------------------------------------
// tidy.

Deno.test("jit: inside tidy, a jitted call's results are released like eager results", () => {
  const N = 4096; // above the slab cut-off, so that buffers are pooled
  const x = gt.random.normal([N], { seed: 5 });
  const body = (t: Tensor) => [gt.exp(gt.multiply(t, 0.5)), gt.sin(t)] as const;
  const f = gt.jit(body);
  f(x); // traced outside the tidy
  let dropped: Tensor | undefined, droppedEager: Tensor | undefined;
  const kept = gt.tidy(() => {
    const [a, b] = f(x);
    dropped = b;
    droppedEager = body(x)[1];
    return a;
  });
  assert.throws(() => dropped!.data(), /released/);
  assert.throws(() => droppedEager!.data(), /released/);
  // Released memory is reused by later calls, without changing the kept result.
  for (let i = 0; i < 3; i++) gt.tidy(() => f(gt.multiply(x, i)));
  assertSame(kept, body(x)[0]);
  // The first trace inside a tidy, the result returned from it.
  const g = gt.jit((t: Tensor) => gt.add(gt.square(t), 1));
  const y = gt.tidy(() => g(x));
  for (let i = 0; i < 3; i++) gt.tidy(() => g(gt.multiply(x, i)));
  assertSame(y, gt.add(gt.square(x), 1));
  assertSame(g(x), gt.add(gt.square(x), 1));
});

// A constant result (computed while tracing) is returned by every call: a tidy around the first
// call must not release it.
Deno.test({
  name: "jit: a constant result stays valid after the tidy in which f was traced",
  fn() {
    const c = f32([1, 2]);
    const body = (x: Tensor) => [gt.add(x, 1), gt.multiply(c, 2)];
    const f = gt.jit(body);
    gt.tidy(() => void f(f32([5, 6])));
    const [, doubled] = f(f32([5, 6])); // doubled.data() throws: released by tidy
    assertSame(doubled, gt.multiply(c, 2));
  },
});

// ---------------------------------------------------------------------------------------------
// Variables as arguments, random numbers, static values, attributes.

// A variable argument enters the signature by identity: each call reads and assigns its own.
Deno.test({
  name: "jit: a variable passed as an argument is the one read and assigned at each call",
  fn() {
    const double = gt.jit((v: gt.Variable) => gt.multiply(v, 2));
    assertSame(double(new gt.Variable([1, 2])), f32([2, 4]));
    assertSame(double(new gt.Variable([3, 4])), f32([6, 8])); // jit: [2, 4]
    const inc = gt.jit((v: gt.Variable) => void v.assignAdd(f32([1, 1])));
    const a = new gt.Variable([0, 0]), b = new gt.Variable([10, 10]);
    inc(a);
    inc(b);
    assertSame(a.peek(), f32([1, 1])); // jit: [2, 2]
    assertSame(b.peek(), f32([11, 11])); // jit: [10, 10]
  },
});

Deno.test("jit: random ops inside f draw fresh numbers at every call, as eager mode does", () => {
  const x = f32([0, 0, 0]);
  const bodies: [string, (x: Tensor) => unknown][] = [
    ["a draw added to x", (x) => gt.add(x, gt.random.normal([3]))],
    ["an unused draw, then one used", (x) => {
      gt.random.uniform([2]);
      return gt.multiply(x, gt.random.uniform([3], { minval: -1, maxval: 1 }));
    }],
    ["draws returned as they are, float64", () => [
      gt.random.normal([2], { dtype: "float64" }),
      gt.random.uniform([2, 2]),
    ]],
    [
      "a seeded draw: the same numbers every call",
      (x) => gt.add(x, gt.random.normal([3], { seed: 3 })),
    ],
  ];
  for (const [what, body] of bodies) {
    gt.random.setSeed(7);
    const eager = [body(x), gt.random.normal([2]), body(x), body(x)];
    gt.random.setSeed(7);
    const f = gt.jit(body);
    const jitted = [f(x), gt.random.normal([2]), f(x), f(x)];
    assertSameTree(jitted, eager, what);
  }
});

Deno.test("jit: a seeded Dropout layer draws a new mask at every call, the eager sequence", () => {
  const x = gt.ones([16]);
  const eager = new gt.layers.Dropout(0.5, { seed: 5 });
  const want = [1, 2, 3].map(() => eager.apply(x, { training: true }));
  assert.notDeepEqual(want[0].toArray(), want[1].toArray());
  const layer = new gt.layers.Dropout(0.5, { seed: 5 });
  const f = gt.jit((t: Tensor) => layer.apply(t, { training: true }));
  // Printing the program traces without calling: the layer's stream does not move.
  assert.match(f.program(x).toString(), /in \(/);
  assertSameTree([f(x), f(x), f(x)], want);
});

Deno.test("jit: a variable made inside the first call from random draws holds real values", async (t) => {
  const x = f32([[1, 2, 3], [4, 5, 6]]);
  // Made on the first call only, as a layer builds; draws after it move the stream as eagerly.
  const model = () => {
    let w: gt.Variable | undefined;
    return (x: Tensor) => {
      w ??= new gt.Variable(gt.multiply(gt.random.normal([3, 2]), 0.1));
      return gt.add(gt.matmul(x, w), gt.random.uniform([2]));
    };
  };
  await t.step("its values, and every later draw, are eager mode's", () => {
    gt.random.setSeed(11);
    const eager = model();
    const want = [eager(x), eager(x), eager(x)];
    gt.random.setSeed(11);
    const f = gt.jit(model());
    assertSameTree([f(x), f(x), f(x)], want);
  });
  await t.step("a layer built on its first call inside jit", () => {
    gt.random.setSeed(12);
    const eager = new gt.layers.Dense(2);
    const want = eager.apply(x);
    gt.random.setSeed(12);
    const dense = new gt.layers.Dense(2);
    const f = gt.jit((x: Tensor) => dense.apply(x));
    assertSame(f(x), want);
    assertSame(dense.kernel!.peek(), eager.kernel!.peek());
    assertSame(dense.apply(x), want); // usable outside jit afterwards
  });
  await t.step("an initial value that depends on an argument is refused, naming what to do", () => {
    const f = gt.jit((x: Tensor) => new gt.Variable(gt.multiply(x, 2), { name: "w" }).value());
    assert.throws(
      () => f(x),
      /Variable: the initial value of 'w' is a tensor traced by jit .*make the variable outside/,
    );
  });
});

// program() traces without being a call: it moves no random stream, so printing a program
// leaves a seeded run's numbers as they were.
Deno.test({
  name: "jit: program() does not change the numbers of a seeded run",
  fn() {
    const body = (x: Tensor) => gt.add(x, gt.random.normal([3]));
    const x = f32([0, 0, 0]);
    gt.random.setSeed(7);
    const eager = [gt.random.normal([3]), body(x)];
    gt.random.setSeed(7);
    const f = gt.jit(body);
    f.program(x); // traces, and draws nothing
    const jitted = [gt.random.normal([3]), f(x)];
    assertSameTree(jitted, eager);
  },
});

// Static strings enter the signature without ambiguity: commas in them cannot fake a boundary.
Deno.test({
  name: "jit: different static strings never share a program",
  fn() {
    const body = (x: Tensor, p: string, _q: string) => p === "a" ? gt.add(x, 1) : gt.add(x, 2);
    const f = gt.jit(body);
    const x = f32([0]);
    assertSame(f(x, "a,Sstring:b", "c"), body(x, "a,Sstring:b", "c"));
    assertSame(f(x, "a", "b,Sstring:c"), body(x, "a", "b,Sstring:c")); // jit: [2]
  },
});

// Attributes that differ only by Infinity, -Infinity or NaN are different equations.
Deno.test({
  name: "jit: equations whose attributes differ only by a non-finite number are not merged",
  fn() {
    const body = (x: Tensor) => [
      gt.pad(x, [[1, 1]], Infinity),
      gt.pad(x, [[1, 1]], -Infinity),
      gt.pad(x, [[1, 1]], NaN),
    ];
    const x = f32([1, 2]);
    // jit: [Infinity, 1, 2, Infinity] three times
    assertSameTree(gt.jit(body)(x), body(x));
  },
});

// addN adds its terms in order, uniform ones included, in eager mode as in a fused loop.
Deno.test({
  name: "jit: addN with a broadcast term gives eager mode's value bit for bit",
  fn() {
    const body = (a: Tensor, s: Tensor) => gt.addN([gt.broadcastTo(s, [2]), a, a]);
    const a = f64([-0.045424439909786805, 0]), s = f64(6.500196721556316);
    // jit: 6.409347841736743 ((s + a) + a); eager: 6.409347841736742 ((a + a) + s)
    assertSame(gt.jit(body)(a, s), body(a, s));
  },
});

// Numbers are traced as scalars and booleans and arrays of numbers keyed by value, whatever the
// other arguments: equal calls share one program.
Deno.test({
  name: "jit: numbers, booleans and arrays of numbers as arguments do not retrace on equal calls",
  fn() {
    const [sum, sumTraces] = counted((a: number, b: number) => gt.add(a, b));
    const jsum = gt.jit(sum);
    for (const a of [1, 2, 3]) assertSame(jsum(a, 0.5), gt.add(a, 0.5));
    assert.equal(sumTraces(), 1, "numbers alone"); // jit: 3

    const [flags, flagTraces] = counted((a: boolean, b: boolean) => gt.constant(a && b ? 1 : 0));
    const jflags = gt.jit(flags);
    for (let i = 0; i < 3; i++) jflags(true, false);
    assert.equal(flagTraces(), 1, "booleans alone"); // jit: 3

    const [reshape, reshapeTraces] = counted((x: Tensor, shape: number[]) => gt.reshape(x, shape));
    const jreshape = gt.jit(reshape, { static: [1] });
    const x = f32([1, 2, 3, 4, 5, 6]);
    for (let i = 0; i < 3; i++) assertSame(jreshape(x, [3, 2]), gt.reshape(x, [3, 2]));
    assert.equal(reshapeTraces(), 1, "a static shape"); // jit: 3
  },
});

Deno.test("jit: a program traced inside a tidy prints after the tidy released its constants", () => {
  const count = new gt.Variable(0, { dtype: "float64" });
  const f = gt.jit(() => {
    count.assignAdd(1);
    return count.value();
  });
  gt.tidy(() => void f());
  assert.equal(f().item(), 2);
  assert.match(f.program().toString(), /add a 1:f64/);
});

Deno.test("jit: ops with a constant identity operand (x·1, x - 0, x + -0) leave no equation", () => {
  const x = gt.constant([1, -2, 3]);
  // x + 0 is not x where x is -0, so only -0 is add's identity.
  const f = gt.jit((v: Tensor) => gt.subtract(gt.add(gt.multiply(gt.multiply(v, 1), v), -0), 0));
  assertSame(f(x), gt.multiply(x, x));
  const text = f.program(x).toString();
  assert.doesNotMatch(text, /add|subtract/);
  assert.equal(text.match(/ = multiply a a/g)?.length, 1, text);
  // Not where the other operand would have to broadcast: the shape rule still rules.
  const g = gt.jit((v: Tensor) => gt.multiply(v, gt.ones([2, 3])));
  assertSame(g(x), gt.multiply(x, gt.ones([2, 3])));
});

Deno.test("jit: a reshape inside a program runs no kernel and shares its input's buffer", () => {
  const x = gt.random.normal([4, 3], { seed: 3 });
  const body = (v: Tensor) =>
    gt.reduceSum(gt.multiply(gt.reshape(gt.exp(v), [12]), gt.range(0, 12, 1, "float32")));
  const f = gt.jit(body);
  assertSame(f(x), body(x));
  assertSame(f(x), body(x));
  assert.match(f.program(x).toString(), /reshape -> shares its input's buffer/);
  // A reshape that is an output is copied out, as outputs leave the program.
  const g = gt.jit((v: Tensor) => gt.reshape(gt.exp(v), [12]));
  assertSame(g(x), gt.reshape(gt.exp(x), [12]));
});

Deno.test("jit: a product with a uniform constant records the op's cheaper form, not a product", () => {
  const a = gt.random.normal([5, 4], { seed: 8 }), b = gt.random.normal([4, 3], { seed: 9 });
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const x = ta ? gt.transpose(a) : a, y = tb ? gt.transpose(b) : b;
    const options = { transposeA: ta, transposeB: tb };
    // ∇ sum(op(A)·op(B)): both cotangent products have the ones cotangent as an operand.
    const g = gt.grad((p: Tensor, q: Tensor) => gt.reduceSum(gt.matmul(p, q, options)), {
      argnums: [0, 1],
    });
    const jg = gt.jit(g);
    assertSameTree(jg(x, y), g(x, y));
    assert.doesNotMatch(jg.program(x, y).toString(), /matmul/, `transposes ${ta} ${tb}`);
  }
});

Deno.test("jit: a sum takes the elementwise chain that feeds it as its prologue, in eager mode's order", () => {
  const x = gt.random.normal([37, 5, 3], { seed: 1 }),
    y = gt.random.normal([37, 5, 3], { seed: 2 });
  const cases: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ["all axes", (a, b) => gt.reduceSum(gt.square(gt.subtract(a, b)))],
    ["the last axis", (a, b) => gt.reduceSum(gt.multiply(gt.add(a, 1), b), [2])],
    ["the first axis", (a, b) => gt.reduceSum(gt.multiply(a, b), [0])],
    ["a mean (a sum, then a division)", (a, b) => gt.reduceMean(gt.square(gt.subtract(a, b)))],
    [
      "float64",
      (a, b) => gt.reduceSum(gt.multiply(gt.cast(a, "float64"), gt.cast(b, "float64")), [1, 2]),
    ],
  ];
  for (const [what, f] of cases) {
    const jf = gt.jit(f);
    assertSame(jf(x, y), f(x, y));
    assert.match(jf.program(x, y).toString(), /fused\[[a-z ]*reduceSum[\] ]/, what);
  }
  // A chain that something else also reads is computed once, stored, and summed in the same pass.
  const both = gt.jit((a: Tensor) => {
    const d = gt.multiply(a, 3);
    return [gt.reduceSum(d), d];
  });
  assertSameTree(both(x), [gt.reduceSum(gt.multiply(x, 3)), gt.multiply(x, 3)]);
  const text = both.program(x).toString();
  assert.match(
    text,
    /\n {2}f32\[37,5,3\], f32\[\] = fused\[multiply \| reduceSum\]( \(wasm\))? -> fresh/,
  );
  assert.equal(stepsOf(text).length, 1, text);
});

Deno.test("jit: a float sum with no chain to take is a loop too, in eager mode's order", () => {
  const x = gt.random.normal([37, 5, 3], { seed: 3 });
  const cases: [string, (a: Tensor) => Tensor, RegExp][] = [
    ["of an input, all axes", (a) => gt.reduceSum(a), /fused\[reduceSum\]/],
    ["of an input, the middle axis", (a) => gt.reduceSum(a, [1], true), /fused/],
    ["of an input, float64", (a) => gt.reduceSum(gt.cast(a, "float64"), [0, 1]), /fused/],
    ["of an empty axis", (a) => gt.reduceSum(gt.slice(a, [0, 0, 0], [-1, 0, -1]), [1]), /fused/],
    ["of a value read twice", (a) => {
      const d = gt.exp(a);
      return gt.add(gt.reduceSum(d, [2]), gt.reduceMax(d, [2]));
    }, /fused\[reduceSum\]/],
    // Axes that are not adjacent, and int32 sums, keep the reduction's kernel.
    ["over axes 0 and 2", (a) => gt.reduceSum(a, [0, 2]), /= reduceSum -> /],
  ];
  for (const [what, f, pattern] of cases) {
    const jf = gt.jit(f);
    assertSame(jf(x), f(x));
    assert.match(jf.program(x).toString(), pattern, what);
  }
  const ints = gt.cast(gt.multiply(x, 100), "int32");
  const intSum = gt.jit((a: Tensor) => gt.reduceSum(a, [2]));
  assertSame(intSum(ints), gt.reduceSum(ints, [2]));
  assert.match(intSum.program(ints).toString(), /= reduceSum -> /);
});

Deno.test("jit: loops over one length merge into one pass, and what only it reads is never stored", () => {
  // A linear regression's training step: the residual, the loss's sum, the gradient's chain, its
  // sum and its product with x walk the same 101 elements (odd: the pairs leave one over).
  for (const dtype of ["float32", "float64"] as const) {
    const x = gt.random.normal([101, 1], { seed: 4, dtype });
    const y = gt.random.normal([101, 1], { seed: 5, dtype });
    const make = () => ({
      w: new gt.Variable(gt.constant([[0.3]], { dtype })),
      b: new gt.Variable(gt.constant([-0.2], { dtype })),
    });
    const body = (v: { w: gt.Variable; b: gt.Variable }) => () => {
      const tape = new gt.GradientTape();
      const loss = tape.record(() => gt.reduceMean(gt.square(gt.matmul(x, v.w).add(v.b).sub(y))));
      const [gw, gb] = tape.gradient(loss, [v.w, v.b]);
      v.w.assignSub(gt.multiply(0.1, gw!));
      v.b.assignSub(gt.multiply(0.1, gb!));
      return loss;
    };
    const jv = make(), ev = make();
    const step = gt.jit(body(jv)), eager = body(ev);
    for (let i = 0; i < 3; i++) {
      assertSame(step(), eager(), `${dtype} step ${i}`);
      assertSameVariables(jv, ev);
    }
    // One function: the loop, then (its epilogue) the loss and the updates from its sums.
    const p = step.program().toString();
    const steps = stepsOf(p);
    assert.equal(steps.length, 1, p);
    assert.match(
      steps[0],
      /= fused\[multiply add subtract \| .*reduceSum \| .*\| matmul \| multiply subtract \| multiply subtract\]/,
      p,
    );
    // The 101 residuals and gradient terms stay in the loop: it gives single values only.
    assert.doesNotMatch(steps[0], /\[101,1\]/, p);
  }
});

Deno.test("jit: a merged loop stores the values read after it, and what reads its sums runs after", () => {
  const shapes = [[7, 5], [3, 1], [1, 1], [0, 1]];
  const cases: [string, (a: Tensor, b: Tensor) => Tensor[], number][] = [
    // [what, f, steps]
    ["independent loops of one length", (a, b) => [
      gt.reduceSum(gt.square(a)),
      gt.reduceSum(b),
      gt.multiply(gt.subtract(a, b), 2),
    ], 1],
    ["a value read after the loop, and a reader of a sum", (a, b) => {
      const d = gt.add(gt.multiply(a, b), 1);
      const s = gt.reduceSum(d);
      return [gt.subtract(d, s), s];
    }, 2],
    ["a dot product of two chains, and float64", (a, b) => {
      const u = gt.multiply(gt.cast(gt.reshape(a, [-1, 1]), "float64"), 2);
      const v = gt.add(gt.cast(gt.reshape(b, [-1, 1]), "float64"), 1);
      return [gt.matmul(u, v, { transposeA: true }), gt.reduceSum(gt.multiply(u, v))];
    }, 1],
    ["an epilogue of single values made from the sums, and a sum of one of them", (a, b) => {
      const s = gt.reduceSum(gt.multiply(a, b));
      const m = gt.reshape(gt.reduceSum(a), [1]);
      const w = gt.multiply(s, 2);
      const t = gt.reduceSum(gt.add(m, w));
      return [w, gt.subtract(t, 1)];
    }, 1],
    ["int32 values beside a float sum", (a, b) => {
      const i = gt.cast(gt.multiply(a, 100), "int32");
      return [gt.multiply(i, 3), gt.reduceSum(gt.multiply(b, b))];
    }, 1],
  ];
  for (const shape of shapes) {
    const a = gt.random.normal(shape, { seed: 6 }), b = gt.random.normal(shape, { seed: 7 });
    for (const [what, f, count] of cases) {
      const jf = gt.jit(f);
      assertSameTree(jf(a, b), f(a, b));
      const p = jf.program(a, b).toString();
      // Over one element every part is the epilogue of an empty loop, even a sum's reader.
      const n = shape[0] * shape[1];
      assert.equal(stepsOf(p).length, n === 1 ? 1 : count, `${what} [${shape}]: ${p}`);
      assert.match(p, / \| /, `${what} [${shape}]: ${p}`);
    }
  }
});

Deno.test("jit: a merged loop has at most 32 parts; the rest merge into another", () => {
  const x = gt.random.normal([20], { seed: 8 });
  const f = (a: Tensor) =>
    Array.from({ length: 40 }, (_, k) => gt.reduceSum(gt.multiply(a, k + 1)));
  const jf = gt.jit(f);
  assertSameTree(jf(x), f(x));
  const steps = stepsOf(jf.program(x).toString());
  assert.deepEqual(steps.map((s) => s.split(" | ").length), [32, 8]);
});

Deno.test("jit: an output of one element leaves as its value, and keeps it when the program runs again", () => {
  const make = () => new gt.Variable(f32([[0.5]]));
  const body = (w: gt.Variable) => (x: Tensor, s: number) => {
    w.assign(gt.multiply(w, x));
    return [gt.reduceSum(gt.multiply(x, s)), gt.add(x, 1), gt.multiply(gt.cast(x, "int32"), 2)];
  };
  const jw = make(), ew = make();
  const f = gt.jit(body(jw)), eager = body(ew);
  const first = f(f32([[2]]), 3);
  const kept = first.map((t) => t.item());
  // Each is a tensor of its value alone: no array is made for it until one is read.
  for (const t of first) assert.notEqual(lazyFill(t), undefined);
  assert.notEqual(lazyFill(jw.peek()), undefined);
  assertSameTree(first, eager(f32([[2]]), 3));
  const second = f(f32([[-5]]), 7);
  assertSameTree(second, eager(f32([[-5]]), 7));
  assertSame(jw.peek(), ew.peek());
  assert.deepEqual(first.map((t) => t.item()), kept, "the first call's results are unchanged");
  assert.match(f.program(f32([[2]]), 3).toString(), /read out \(an output of one element\)/);
});

Deno.test("jit: a merged float32 loop runs as WebAssembly, with JavaScript's values bit for bit", () => {
  // Values that find the corners: NaN, infinities, signed zeros, subnormals, overflow to
  // infinity, and a sum whose two halves cancel.
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3e38, -3e38, 1e-40, 1, -1];
  const n = 67;
  const a = gt.constant(Array.from({ length: n }, (_, i) => specials[i % specials.length] ?? 0));
  const b = gt.constant(values(n, 3).map((v) => v * 1e20));
  const f = (x: Tensor, y: Tensor) => {
    const d = gt.subtract(gt.multiply(x, y), gt.divide(y, 3));
    const m = gt.maximum(gt.minimum(d, y), gt.negative(gt.abs(x)));
    return [
      gt.reduceSum(gt.multiply(d, d)),
      gt.reduceSum(gt.addN([m, d, x])),
      gt.matmul(gt.reshape(m, [1, -1]), gt.reshape(gt.sqrt(gt.abs(y)), [-1, 1])),
      gt.multiply(m, 2),
    ];
  };
  const jf = gt.jit(f);
  assertSameTree(jf(a, b), f(a, b));
  assertSameTree(jf(b, a), f(b, a));
  const p = jf.program(a, b).toString();
  assert.match(p, /fused\[.*\] \(wasm\)/, p);
  // float64, and loops too short to pay for the copies, stay JavaScript.
  const a64 = gt.cast(a, "float64"), b64 = gt.cast(b, "float64");
  assertSameTree(jf(a64, b64), f(a64, b64));
  assert.doesNotMatch(jf.program(a64, b64).toString(), /\(wasm\)/);
  // A value used twice at each of 40 steps is computed once per step, not 2⁴⁰ times.
  const doublings = (x: Tensor) => {
    for (let i = 0; i < 40; i++) x = gt.multiply(gt.add(x, x), 0.75);
    return [x, gt.reduceSum(x)];
  };
  const jd = gt.jit(doublings);
  assertSameTree(jd(b), doublings(b));
  assert.match(jd.program(b).toString(), /\(wasm\)/);
  const short = [gt.slice(a, [0], [8]), gt.slice(b, [0], [8])] as const;
  const js = gt.jit((x: Tensor, y: Tensor) => f(x, y).slice(0, 2));
  assertSameTree(js(...short), f(...short).slice(0, 2));
  assert.doesNotMatch(js.program(...short).toString(), /\(wasm\)/);
});

Deno.test({
  name: "jit: a program whose calls share jobs with the worker releases it after each call",
  ignore: !wasmThreaded(),
  async fn() {
    const a = gt.random.normal([320, 300], { seed: 1 }),
      b = gt.random.normal([300, 300], { seed: 2 });
    // Two large products with a small step between them: the worker is held from the call's start
    // until the second has run (the call before tells which steps shared).
    const f = (a: Tensor, b: Tensor) => gt.matmul(gt.relu(gt.matmul(a, b)), b);
    const jitted = gt.jit(f);
    const expected = f(a, b);
    assertSame(jitted(a, b), expected); // traced and compiled before the worker's idle time runs
    await readyWorker();
    const posted = jobsPosted();
    for (let call = 0; call < 3; call++) {
      assertSame(jitted(a, b), expected);
      assert.equal(workerHeld(), false, `call ${call} released the worker`);
    }
    // (A job finds the worker still busy with the one before at times, and runs here alone.)
    assert.ok(jobsPosted() >= posted + 2, "the calls offered the worker their products");
  },
});

Deno.test("jit: a call that throws under another transform takes back the assignments it made", () => {
  const v = new gt.Variable(f64(2));
  const f = gt.jit((x: Tensor, refuse: boolean) => {
    v.assign(x);
    if (refuse) throw new Error("refused");
    return x.mul(v);
  });
  const x = f64(100);
  const under: [string, (run: () => unknown) => unknown][] = [
    ["nothing", (run) => run()],
    ["a tape", (run) => new gt.GradientTape().record(run)],
    ["grad", (run) => gt.grad((z: Tensor) => (run(), z))(x)],
    ["vmap", (run) => gt.vmap((z: Tensor) => (run(), z))(f64([1, 2]))],
    ["an accumulator", (run) => new gt.ForwardAccumulator(x, f64(1)).record(run)],
  ];
  for (const [name, around] of under) {
    assert.throws(() => around(() => f(x, true)), /refused/, name);
    assert.equal(v.peek().item(), 2, `under ${name}, the assignment stayed`);
  }
  // A call that does not throw keeps its assignment, under a tape as alone.
  new gt.GradientTape().record(() => f(x, false));
  assert.equal(v.peek().item(), 100);
});
