/**
 * The comparison's workloads on TensorFlow.js 4.22, on one backend (`cpu` or `wasm`). Only its
 * functional ops are used: tfjs-core's package entry point does not install the chained methods
 * (`x.reshape(…)`).
 */
import type * as TF from "@tensorflow/tfjs-core";
import {
  CNN,
  type Data,
  HESSIAN_SIZE,
  type Impl,
  LINEAR,
  MATMUL_GRAD_SIZE,
  MLP,
  POLY,
} from "./workloads.ts";

/** tfjs's implementations on `backend`; each factory switches tfjs to it first. */
export function tfjsImpl(tf: typeof TF, backend: string): Impl {
  const use = async () => {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} is unavailable`);
  };
  const f32 = (t: TF.Tensor): Float32Array => t.dataSync() as Float32Array;
  /** Runs `fn` in a tidy scope and returns its plain-JavaScript result. */
  const tidy = <T>(fn: () => T): T => {
    let out: T | undefined;
    tf.tidy(() => {
      out = fn();
    });
    return out as T;
  };
  /** Sets `v` to `value` without keeping any other tensor alive. */
  const reset = (v: TF.Variable, value: Float32Array) =>
    tf.tidy(() => v.assign(tf.tensor(value, v.shape)));
  const dispose = (...ts: TF.Tensor[]) => () => ts.forEach((t) => t.dispose());

  return {
    W1: async () => {
      await use();
      const x = tf.scalar(2), c1 = tf.scalar(1), c2 = tf.scalar(2), c3 = tf.scalar(3);
      const g = tf.grad((x: TF.Tensor) =>
        tf.add(tf.add(tf.add(tf.mul(c3, tf.pow(x, c3)), tf.mul(c2, tf.square(x))), x), c1)
      );
      return { run: () => tidy(() => f32(g(x))[0]), dispose: dispose(x, c1, c2, c3) };
    },

    W2: async (d: Data) => {
      await use();
      const x = tf.tensor2d(d.linear.x.slice(), [LINEAR.samples, 1]);
      const y = tf.tensor2d(d.linear.y.slice(), [LINEAR.samples, 1]);
      const w = tf.variable(tf.zeros([1, 1])), b = tf.variable(tf.zeros([1]));
      const opt = tf.train.sgd(LINEAR.lr);
      const loss = () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as TF.Scalar;
      return {
        run: () => {
          reset(w, Float32Array.of(d.linear.w));
          reset(b, Float32Array.of(d.linear.b));
          for (let epoch = 0; epoch < LINEAR.epochs; epoch++) {
            const l = opt.minimize(loss, true, [w, b])!;
            l.dataSync();
            l.dispose();
          }
          return [f32(w)[0], f32(b)[0]];
        },
        dispose: () => {
          dispose(x, y, w, b)();
          opt.dispose();
        },
      };
    },

    W3: async (d: Data) => {
      await use();
      const x = tf.tensor2d(d.poly.x.slice(), [POLY.samples, 1]);
      const y = tf.tensor2d(d.poly.y.slice(), [POLY.samples, 1]);
      const l2 = tf.scalar(POLY.l2);
      const params = [[1, 1], [1, 1], [1, 1], [1]].map((s) => tf.variable(tf.zeros(s)));
      const [w3, w2, w1, b] = params;
      const opt = tf.train.sgd(POLY.lr);
      const loss = () => {
        const x2 = tf.square(x);
        const x3 = tf.mul(x2, x);
        const pred = tf.add(
          tf.add(tf.add(tf.matMul(x3, w3), tf.matMul(x2, w2)), tf.matMul(x, w1)),
          b,
        );
        const mse = tf.mean(tf.square(tf.sub(y, pred)));
        const penalty = tf.addN(params.map((p) => tf.sum(tf.square(p))));
        return tf.add(mse, tf.mul(l2, penalty)) as TF.Scalar;
      };
      return {
        run: () => {
          params.forEach((p, i) => reset(p, Float32Array.of(d.poly.init[i])));
          for (let epoch = 0; epoch < POLY.epochs; epoch++) {
            const l = opt.minimize(loss, true, params)!;
            l.dataSync();
            l.dispose();
          }
          return params.map((p) => f32(p)[0]);
        },
        dispose: () => {
          dispose(x, y, l2, ...params)();
          opt.dispose();
        },
      };
    },

    W4: async (d: Data) => {
      await use();
      const { batch, inputs, hidden, classes } = MLP;
      const x = tf.tensor2d(d.mlp.x.slice(), [batch, inputs]);
      const labels = tf.tensor2d(d.mlp.labels.slice(), [batch, classes]);
      const w1 = tf.variable(tf.tensor2d(d.mlp.w1.slice(), [inputs, hidden]));
      const b1 = tf.variable(tf.tensor1d(d.mlp.b1.slice()));
      const w2 = tf.variable(tf.tensor2d(d.mlp.w2.slice(), [hidden, classes]));
      const b2 = tf.variable(tf.tensor1d(d.mlp.b2.slice()));
      const opt = tf.train.sgd(MLP.lr);
      const loss = () => {
        const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const logits = tf.add(tf.matMul(h, w2), b2);
        return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as TF.Scalar;
      };
      return {
        run: () => {
          const l = opt.minimize(loss, true, [w1, b1, w2, b2])!;
          const v = f32(l)[0];
          l.dispose();
          return v;
        },
        dispose: () => {
          dispose(x, labels, w1, b1, w2, b2)();
          opt.dispose();
        },
      };
    },

    W5: async (d: Data, n: number) => {
      await use();
      const { a, b } = d.matmul.get(n)!;
      const ta = tf.tensor2d(a.slice(), [n, n]), tb = tf.tensor2d(b.slice(), [n, n]);
      return { run: () => tidy(() => f32(tf.matMul(ta, tb))), dispose: dispose(ta, tb) };
    },

    W5g: async (d: Data) => {
      await use();
      const n = MATMUL_GRAD_SIZE;
      const { a, b } = d.matmul.get(n)!;
      const ta = tf.tensor2d(a.slice(), [n, n]), tb = tf.tensor2d(b.slice(), [n, n]);
      const g = tf.grads((a: TF.Tensor, b: TF.Tensor) => tf.sum(tf.matMul(a, b)));
      return { run: () => tidy(() => g([ta, tb]).map(f32)), dispose: dispose(ta, tb) };
    },

    W6: async (d: Data) => {
      await use();
      const x = tf.tensor1d(d.sinExp.slice());
      const g = tf.grad((x: TF.Tensor) =>
        tf.sum(tf.add(tf.mul(tf.sin(x), tf.exp(x)), tf.mul(x, x)))
      );
      return { run: () => tidy(() => f32(g(x))), dispose: dispose(x) };
    },

    W7: async (d: Data) => {
      await use();
      const n = HESSIAN_SIZE;
      const x = tf.tensor1d(d.hessian.x.slice());
      const a = tf.tensor2d(d.hessian.a.slice(), [n, n]);
      const f = (x: TF.Tensor) =>
        tf.add(
          tf.sum(tf.pow(x, 4)),
          tf.sum(tf.mul(x, tf.reshape(tf.matMul(a, tf.reshape(x, [n, 1])), [n]))),
        );
      const g = tf.grad(f);
      // tfjs has no forward mode and no vmap: row i of the Hessian is ∇(∇f · eᵢ).
      const eye = tf.eye(n);
      const basis = tf.unstack(eye);
      eye.dispose();
      const rows = basis.map((e) => tf.grad((x: TF.Tensor) => tf.sum(tf.mul(g(x), e))));
      return {
        run: () =>
          tidy(() => {
            const h = new Float32Array(n * n);
            rows.forEach((row, i) => h.set(f32(row(x)), i * n));
            return h;
          }),
        dispose: dispose(x, a, ...basis),
      };
    },

    W10: async (d: Data) => {
      await use();
      const { batch, size, kernel: k, channels1: c1, channels2: c2, flat, classes } = CNN;
      const c = d.cnn;
      const x = tf.tensor4d(c.x.slice(), [batch, size, size, 1]);
      const labels = tf.tensor2d(c.labels.slice(), [batch, classes]);
      const f1 = tf.variable(tf.tensor4d(c.f1.slice(), [k, k, 1, c1]));
      const b1 = tf.variable(tf.tensor1d(c.b1.slice()));
      const f2 = tf.variable(tf.tensor4d(c.f2.slice(), [k, k, c1, c2]));
      const b2 = tf.variable(tf.tensor1d(c.b2.slice()));
      const w3 = tf.variable(tf.tensor2d(c.w3.slice(), [flat, classes]));
      const b3 = tf.variable(tf.tensor1d(c.b3.slice()));
      const params = [f1, b1, f2, b2, w3, b3];
      const opt = tf.train.sgd(CNN.lr);
      const block = (x: TF.Tensor4D, f: TF.Variable, b: TF.Variable): TF.Tensor4D =>
        tf.maxPool(tf.relu(tf.add(tf.conv2d(x, f as TF.Tensor4D, 1, "same"), b)), 2, 2, "valid");
      const loss = () => {
        const h = tf.reshape(block(block(x, f1, b1), f2, b2), [batch, flat]);
        const logits = tf.add(tf.matMul(h, w3), b3);
        return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as TF.Scalar;
      };
      return {
        run: () => {
          const l = opt.minimize(loss, true, params)!;
          const v = f32(l)[0];
          l.dispose();
          return v;
        },
        dispose: () => {
          dispose(x, labels, ...params)();
          opt.dispose();
        },
      };
    },
  };
}
