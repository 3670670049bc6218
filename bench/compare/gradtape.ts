/**
 * The comparison's workloads on gradtape, written as a user of its public API would: the unit of
 * work that repeats is one function (W2 and W3 a training step, called per epoch with the loss
 * read after each), run as it is here and compiled by `jit` in gradtape_jit.ts.
 */
import * as gt from "../../mod.ts";
import {
  CNN,
  type Data,
  GP,
  HESSIAN_SIZE,
  type Impl,
  LINEAR,
  MATMUL_GRAD_SIZE,
  MLP,
  PER_EXAMPLE,
  POLY,
} from "./workloads.ts";

const tensor = (data: Float32Array, shape: number[]): gt.Tensor =>
  gt.constant(data.slice(), { shape });

/** What turns the unit of work that repeats into what runs: itself, or `gt.jit` of it. */
// deno-lint-ignore no-explicit-any
export type Compile = <F extends (...args: any[]) => any>(f: F) => F;

/**
 * gradtape's implementations, the unit of work that repeats (a gradient function, a training step)
 * passed through `compile`. W4–W10 run each step in `gt.tidy` (unless `options.tidy` is false), as
 * the TensorFlow.js ones do in `tf.tidy`, so that large buffers are reused rather than fresh memory
 * faulted in every step; on scalars and 100-element tensors (W1–W3) there is nothing to reuse.
 */
export function gradtapeWith(compile: Compile, options: { tidy?: boolean } = {}): Impl {
  const scoped: <T>(fn: () => T) => T = options.tidy === false ? (fn) => fn() : gt.tidy;
  return {
    W1: () => {
      const x = new gt.Variable(2);
      const gradient = compile(() => {
        const tape = new gt.GradientTape();
        const y = tape.record(() => x.pow(3).mul(3).add(x.square().mul(2)).add(x).add(1));
        return tape.gradient(y, x)!;
      });
      return Promise.resolve({ run: () => gradient().item() });
    },

    W2: (d: Data) => {
      const x = tensor(d.linear.x, [LINEAR.samples, 1]);
      const y = tensor(d.linear.y, [LINEAR.samples, 1]);
      const w0 = gt.constant(d.linear.w, { shape: [1, 1] });
      const b0 = gt.constant(d.linear.b, { shape: [1] });
      const w = new gt.Variable(w0), b = new gt.Variable(b0);
      const step = compile(() => {
        const tape = new gt.GradientTape();
        const loss = tape.record(() => gt.reduceMean(gt.square(gt.matmul(x, w).add(b).sub(y))));
        const [gw, gb] = tape.gradient(loss, [w, b]);
        w.assignSub(gt.multiply(LINEAR.lr, gw!));
        b.assignSub(gt.multiply(LINEAR.lr, gb!));
        return loss;
      });
      return Promise.resolve({
        run: () => {
          w.assign(w0);
          b.assign(b0);
          for (let epoch = 0; epoch < LINEAR.epochs; epoch++) step().item();
          return [w.value().item(), b.value().item()];
        },
      });
    },

    W3: (d: Data) => {
      const x = tensor(d.poly.x, [POLY.samples, 1]);
      const y = tensor(d.poly.y, [POLY.samples, 1]);
      const inits = d.poly.init.map((v, i) => gt.constant(v, { shape: i < 3 ? [1, 1] : [1] }));
      const params = inits.map((t) => new gt.Variable(t));
      const [w3, w2, w1, b] = params;
      const step = compile(() => {
        const tape = new gt.GradientTape();
        const loss = tape.record(() => {
          const x2 = gt.square(x);
          const x3 = gt.multiply(x2, x);
          const pred = gt.matmul(x3, w3).add(gt.matmul(x2, w2)).add(gt.matmul(x, w1)).add(b);
          const mse = gt.reduceMean(gt.square(y.sub(pred)));
          const l2 = gt.addN(params.map((p) => gt.reduceSum(gt.square(p))));
          return mse.add(gt.multiply(POLY.l2, l2));
        });
        const grads = tape.gradient(loss, params);
        params.forEach((p, i) => p.assignSub(gt.multiply(POLY.lr, grads[i]!)));
        return loss;
      });
      return Promise.resolve({
        run: () => {
          params.forEach((p, i) => p.assign(inits[i]));
          for (let epoch = 0; epoch < POLY.epochs; epoch++) step().item();
          return params.map((p) => p.value().item());
        },
      });
    },

    W4: (d: Data) => {
      const { batch, inputs, hidden, classes } = MLP;
      const x = tensor(d.mlp.x, [batch, inputs]);
      const labels = tensor(d.mlp.labels, [batch, classes]);
      const w1 = new gt.Variable(tensor(d.mlp.w1, [inputs, hidden]));
      const b1 = new gt.Variable(tensor(d.mlp.b1, [hidden]));
      const w2 = new gt.Variable(tensor(d.mlp.w2, [hidden, classes]));
      const b2 = new gt.Variable(tensor(d.mlp.b2, [classes]));
      const params = [w1, b1, w2, b2];
      const opt = new gt.optimizers.SGD({ learningRate: MLP.lr });
      const step = compile(() => {
        const tape = new gt.GradientTape();
        const loss = tape.record(() => {
          const h = gt.relu(gt.matmul(x, w1).add(b1));
          const logits = gt.matmul(h, w2).add(b2);
          return gt.reduceMean(gt.softmaxCrossEntropyWithLogits(labels, logits));
        });
        const grads = tape.gradient(loss, params);
        opt.applyGradients(params.map((p, i) => [grads[i], p] as const));
        return loss;
      });
      return Promise.resolve({ run: () => scoped(() => step().item()) });
    },

    W5: (d: Data, n: number) => {
      const { a, b } = d.matmul.get(n)!;
      const ta = tensor(a, [n, n]), tb = tensor(b, [n, n]);
      const product = compile((a: gt.Tensor, b: gt.Tensor) => gt.matmul(a, b));
      return Promise.resolve({ run: () => scoped(() => product(ta, tb).data()) });
    },

    W5g: (d: Data) => {
      const n = MATMUL_GRAD_SIZE;
      const { a, b } = d.matmul.get(n)!;
      const ta = tensor(a, [n, n]), tb = tensor(b, [n, n]);
      const g = compile(
        gt.grad((a: gt.Tensor, b: gt.Tensor) => gt.reduceSum(gt.matmul(a, b)), { argnums: [0, 1] }),
      );
      return Promise.resolve({ run: () => scoped(() => g(ta, tb).map((t) => t.data())) });
    },

    W6: (d: Data) => {
      const x = tensor(d.sinExp, [d.sinExp.length]);
      const g = compile(
        gt.grad((x: gt.Tensor) =>
          gt.reduceSum(gt.add(gt.multiply(gt.sin(x), gt.exp(x)), gt.multiply(x, x)))
        ),
      );
      return Promise.resolve({ run: () => scoped(() => g(x).data()) });
    },

    W7: (d: Data) => {
      const n = HESSIAN_SIZE;
      const x = tensor(d.hessian.x, [n]);
      const a = tensor(d.hessian.a, [n, n]);
      const f = (x: gt.Tensor) =>
        gt.add(
          gt.reduceSum(gt.pow(x, 4)),
          gt.reduceSum(gt.multiply(x, gt.matmul(a, x.reshape([n, 1])).reshape([n]))),
        );
      const h = compile(gt.hessian(f));
      return Promise.resolve({ run: () => scoped(() => h(x).data()) });
    },

    W8: (d: Data) => {
      const { batch, inputs, hidden, classes } = PER_EXAMPLE;
      const p = d.perExample;
      const params = {
        w1: tensor(p.w1, [inputs, hidden]),
        b1: tensor(p.b1, [hidden]),
        w2: tensor(p.w2, [hidden, classes]),
        b2: tensor(p.b2, [classes]),
      };
      const x = tensor(p.x, [batch, inputs]);
      const labels = tensor(p.labels, [batch, classes]);
      // One example's loss, written for one example: x [784], y [10].
      const loss = (q: typeof params, x: gt.Tensor, y: gt.Tensor) => {
        const h = gt.relu(gt.matmul(x.reshape([1, inputs]), q.w1).add(q.b1));
        const logits = gt.matmul(h, q.w2).add(q.b2);
        return gt.reduceSum(gt.softmaxCrossEntropyWithLogits(y.reshape([1, classes]), logits));
      };
      const perExample = compile(gt.vmap(gt.grad(loss), { inAxes: [null, 0, 0] }));
      return Promise.resolve({
        run: () =>
          scoped(() => {
            const g = perExample(params, x, labels) as unknown as typeof params;
            return [g.w1.data(), g.b1.data(), g.w2.data(), g.b2.data()];
          }),
      });
    },

    W9: (d: Data) => {
      const { n } = GP;
      const y = tensor(d.gp.y, [n, 1]);
      const d2 = tensor(d.gp.d2, [n, n]);
      const theta = tensor(d.gp.theta, [3]);
      const eye = gt.eye(n);
      // The negative log marginal likelihood of y under K = σf² exp(−d²/2ℓ²) + σn²I.
      const nll = (theta: gt.Tensor) => {
        const [l2, sf2, sn2] = gt.split(gt.exp(gt.multiply(2, theta)), 3);
        const k = gt.add(
          gt.multiply(sf2, gt.exp(gt.divide(d2, gt.multiply(-2, l2)))),
          gt.multiply(sn2, eye),
        );
        const l = gt.linalg.cholesky(k);
        const z = gt.linalg.triangularSolve(l, y, { lower: true });
        return gt.addN([
          gt.multiply(0.5, gt.reduceSum(gt.square(z))),
          gt.reduceSum(gt.log(gt.linalg.diagPart(l))),
          gt.constant((n / 2) * Math.log(2 * Math.PI)),
        ]);
      };
      const step = compile(gt.valueAndGrad(nll));
      return Promise.resolve({
        run: () =>
          scoped(() => {
            const [value, g] = step(theta);
            return [value.item(), ...g.data()];
          }),
      });
    },

    W10: (d: Data) => {
      const { batch, size, kernel: k, channels1: c1, channels2: c2, flat, classes } = CNN;
      const c = d.cnn;
      const x = tensor(c.x, [batch, size, size, 1]);
      const labels = tensor(c.labels, [batch, classes]);
      const f1 = new gt.Variable(tensor(c.f1, [k, k, 1, c1]));
      const b1 = new gt.Variable(tensor(c.b1, [c1]));
      const f2 = new gt.Variable(tensor(c.f2, [k, k, c1, c2]));
      const b2 = new gt.Variable(tensor(c.b2, [c2]));
      const w3 = new gt.Variable(tensor(c.w3, [flat, classes]));
      const b3 = new gt.Variable(tensor(c.b3, [classes]));
      const params = [f1, b1, f2, b2, w3, b3];
      const opt = new gt.optimizers.SGD({ learningRate: CNN.lr });
      const block = (x: gt.Tensor, f: gt.Variable, b: gt.Variable) =>
        gt.maxPool(gt.relu(gt.conv2d(x, f, 1, "SAME").add(b)), 2, 2, "VALID");
      const step = compile(() => {
        const tape = new gt.GradientTape();
        const loss = tape.record(() => {
          const h = block(block(x, f1, b1), f2, b2).reshape([batch, flat]);
          const logits = gt.matmul(h, w3).add(b3);
          return gt.reduceMean(gt.softmaxCrossEntropyWithLogits(labels, logits));
        });
        const grads = tape.gradient(loss, params);
        opt.applyGradients(params.map((p, i) => [grads[i], p] as const));
        return loss;
      });
      return Promise.resolve({ run: () => scoped(() => step().item()) });
    },
  };
}

/** gradtape's implementations, op by op. */
export const gradtape: Impl = gradtapeWith((f) => f);

/**
 * gradtape eager without `tidy`, as a user who never heard of it writes each step: what the
 * library reuses on its own (a finished backward pass's intermediates).
 */
export const gradtapeUntidy: Impl = gradtapeWith((f) => f, { tidy: false });
