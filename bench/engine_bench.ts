/**
 * Engine benchmarks: the per-op cost of the tapes and transforms on scalars, where kernels cost
 * nothing and the engine is all there is (W1 of the performance issue), and the tutorial's
 * linear-regression step (W2). Each group has a baseline, so that `deno bench` prints ratios.
 */
import * as gt from "../mod.ts";

// ---------------------------------------------------------------------------------------------
// W1: d/dx (3x³ + 2x² + x + 1) at x = 2 (= 45), read back as a number

{
  const x = new gt.Variable(2);
  const c = gt.constant(2);
  const poly = (x: gt.Tensor | gt.Variable) => x.pow(3).mul(3).add(x.square().mul(2)).add(x).add(1);
  const dpoly = gt.grad(poly);
  Deno.bench({
    name: "GradientTape.gradient (W1)",
    group: "W1 scalar polynomial",
    baseline: true,
    fn: () => {
      const tape = new gt.GradientTape();
      const y = tape.record(() => poly(x));
      tape.gradient(y, x)!.item();
    },
  });
  Deno.bench({
    name: "grad(f)(2)",
    group: "W1 scalar polynomial",
    fn: () => {
      dpoly(c).item();
    },
  });
  Deno.bench({
    name: "ForwardAccumulator jvp",
    group: "W1 scalar polynomial",
    fn: () => {
      const acc = new gt.ForwardAccumulator(c, gt.constant(1));
      acc.jvp(acc.record(() => poly(c)))!.item();
    },
  });
  Deno.bench({
    name: "forward only, no tape",
    group: "W1 scalar polynomial",
    fn: () => {
      poly(x).item();
    },
  });
}

// ---------------------------------------------------------------------------------------------
// A 10-op scalar chain: forward only, recorded on a tape, and recorded then differentiated

{
  const x = new gt.Variable(0.7);
  const chain = (x: gt.Variable) =>
    x.square().add(1).log().sin().mul(x).add(0.5).tanh().mul(3).sub(x).cos();
  Deno.bench({
    name: "forward only",
    group: "10-op scalar chain",
    baseline: true,
    fn: () => {
      chain(x);
    },
  });
  Deno.bench({
    name: "recorded on a tape",
    group: "10-op scalar chain",
    fn: () => {
      const tape = new gt.GradientTape();
      tape.record(() => chain(x));
    },
  });
  Deno.bench({
    name: "recorded, then gradient",
    group: "10-op scalar chain",
    fn: () => {
      const tape = new gt.GradientTape();
      const y = tape.record(() => chain(x));
      tape.gradient(y, x);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Second derivative of x·sin(x) + x⁴ at 1.5, three ways

{
  const x = new gt.Variable(1.5);
  const c = gt.constant(1.5);
  const f = (x: gt.Tensor | gt.Variable) => x.mul(x.sin()).add(x.pow(4));
  const d2 = gt.grad(gt.grad(f));
  Deno.bench({
    name: "nested GradientTapes",
    group: "second derivative",
    baseline: true,
    fn: () => {
      const outer = new gt.GradientTape();
      const dy = outer.record(() => {
        const inner = new gt.GradientTape();
        const y = inner.record(() => f(x));
        return inner.gradient(y, x)!;
      });
      outer.gradient(dy, x)!.item();
    },
  });
  Deno.bench({
    name: "grad(grad(f))",
    group: "second derivative",
    fn: () => {
      d2(c).item();
    },
  });
  Deno.bench({
    name: "forward over reverse (ForwardAccumulator around a tape)",
    group: "second derivative",
    fn: () => {
      const acc = new gt.ForwardAccumulator(x, gt.constant(1));
      const dy = acc.record(() => {
        const tape = new gt.GradientTape();
        const y = tape.record(() => f(x));
        return tape.gradient(y, x)!;
      });
      acc.jvp(dy)!.item();
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The tutorial's linear regression (W2): 100 samples, y = 3x + 2 + noise, w [1, 1], b [1]

{
  const n = 100, lr = 0.1;
  const xs = gt.random.uniform([n, 1], { minval: -1, maxval: 1, seed: 1 });
  const ys = gt.multiply(3, xs).add(2).add(gt.multiply(0.1, gt.random.normal([n, 1], { seed: 2 })));
  const w0 = gt.random.normal([1, 1], { seed: 3 }), b0 = gt.zeros([1]);
  const w = new gt.Variable(w0), b = new gt.Variable(b0);
  const epoch = () => {
    const tape = new gt.GradientTape();
    const loss = tape.record(() => gt.reduceMean(gt.square(gt.matmul(xs, w).add(b).sub(ys))));
    const [gw, gb] = tape.gradient(loss, [w, b]);
    w.assignSub(gt.multiply(lr, gw!));
    b.assignSub(gt.multiply(lr, gb!));
    return loss.item();
  };
  Deno.bench({
    name: "one epoch",
    group: "linear regression",
    baseline: true,
    fn: () => {
      epoch();
    },
  });
  Deno.bench({
    name: "100 epochs from the initial parameters (W2)",
    group: "linear regression",
    fn: () => {
      w.assign(w0);
      b.assign(b0);
      for (let i = 0; i < 100; i++) epoch();
    },
  });
}
