/**
 * The comparison's workloads on jax-js 0.1.25 (wasm device), eagerly or with each step under
 * `jit`. jax-js arrays are reference-counted: every op consumes its arguments, so an array used
 * again later is passed as `x.ref`. Its convolutions are NCHW with OIHW kernels (as `lax.conv`),
 * so W10 lays its parameters out so at the start, as a jax-js user would have them.
 */
import type * as JAX from "@jax-js/jax";
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

type Jax = typeof JAX;
type A = JAX.numpy.Array;
// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/** jax-js's implementations; with `jitted`, each unit of work is one compiled function. */
export function jaxImpl(jax: Jax, jitted: boolean): Impl {
  const np = jax.numpy;
  /** `jit(f)` in jit mode, `f` itself eagerly; `free` releases a compiled function. */
  const compile = <F extends AnyFn>(f: F): { fn: F; free: () => void } => {
    if (!jitted) return { fn: f, free: () => {} };
    const c = jax.jit(f);
    return { fn: c as unknown as F, free: () => c.dispose() };
  };
  const array = (data: Float32Array, shape: number[]): A => np.array(data.slice(), { shape });
  const f32 = (a: A): Float32Array => a.dataSync() as Float32Array;

  return {
    W1: () => {
      // Products rather than np.power, which jax-js builds from exp and log: ~10× slower here.
      const f = (x: A) =>
        x.ref.mul(x.ref).mul(x.ref).mul(3).add(x.ref.mul(x.ref).mul(2)).add(x).add(1);
      const g = compile(jax.grad(f));
      const x = array(Float32Array.of(2), []);
      return Promise.resolve({
        run: () => (g.fn(x.ref) as A).item(),
        dispose: () => {
          x.dispose();
          g.free();
        },
      });
    },

    W2: (d: Data) => {
      const x = array(d.linear.x, [LINEAR.samples, 1]);
      const y = array(d.linear.y, [LINEAR.samples, 1]);
      const loss = (w: A, b: A, x: A, y: A) => np.mean(np.square(np.matmul(x, w).add(b).sub(y)));
      const vg = jax.valueAndGrad(loss, { argnums: [0, 1] });
      const step = compile((w: A, b: A, x: A, y: A): A[] => {
        const [l, [gw, gb]] = vg(w.ref, b.ref, x, y) as unknown as [A, A[]];
        return [l, w.sub(gw.mul(LINEAR.lr)), b.sub(gb.mul(LINEAR.lr))];
      });
      return Promise.resolve({
        run: () => {
          let w = array(Float32Array.of(d.linear.w), [1, 1]);
          let b = array(Float32Array.of(d.linear.b), [1]);
          for (let epoch = 0; epoch < LINEAR.epochs; epoch++) {
            const [l, w1, b1] = step.fn(w, b, x.ref, y.ref);
            l.item();
            w = w1;
            b = b1;
          }
          return [w.item(), b.item()];
        },
        dispose: () => {
          x.dispose();
          y.dispose();
          step.free();
        },
      });
    },

    W3: (d: Data) => {
      const x = array(d.poly.x, [POLY.samples, 1]);
      const y = array(d.poly.y, [POLY.samples, 1]);
      const loss = (w3: A, w2: A, w1: A, b: A, x: A, y: A) => {
        const x2 = np.square(x.ref);
        const x3 = x2.ref.mul(x.ref);
        const pred = np.matmul(x3, w3.ref).add(np.matmul(x2, w2.ref)).add(np.matmul(x, w1.ref))
          .add(b.ref);
        const mse = np.mean(np.square(y.sub(pred)));
        const l2 = np.sum(np.square(w3)).add(np.sum(np.square(w2))).add(np.sum(np.square(w1)))
          .add(np.sum(np.square(b)));
        return mse.add(l2.mul(POLY.l2));
      };
      const vg = jax.valueAndGrad(loss, { argnums: [0, 1, 2, 3] });
      const step = compile((...args: A[]): A[] => {
        const [w3, w2, w1, b, x, y] = args;
        const [l, grads] = vg(w3.ref, w2.ref, w1.ref, b.ref, x, y) as unknown as [A, A[]];
        return [l, ...[w3, w2, w1, b].map((p, i) => p.sub(grads[i].mul(POLY.lr)))];
      });
      return Promise.resolve({
        run: () => {
          let params = d.poly.init.map((v, i) => array(Float32Array.of(v), i < 3 ? [1, 1] : [1]));
          for (let epoch = 0; epoch < POLY.epochs; epoch++) {
            const [l, ...next] = step.fn(...params, x.ref, y.ref);
            l.item();
            params = next;
          }
          return params.map((p) => p.item());
        },
        dispose: () => {
          x.dispose();
          y.dispose();
          step.free();
        },
      });
    },

    W4: (d: Data) => {
      const { batch, inputs, hidden, classes } = MLP;
      const x = array(d.mlp.x, [batch, inputs]);
      const labels = array(d.mlp.labels, [batch, classes]);
      let params = [
        array(d.mlp.w1, [inputs, hidden]),
        array(d.mlp.b1, [hidden]),
        array(d.mlp.w2, [hidden, classes]),
        array(d.mlp.b2, [classes]),
      ];
      const loss = (w1: A, b1: A, w2: A, b2: A, x: A, y: A) => {
        const h = jax.nn.relu(np.matmul(x, w1).add(b1));
        const logits = np.matmul(h, w2).add(b2);
        return np.mean(np.sum(y.mul(jax.nn.logSoftmax(logits, -1)), -1)).mul(-1);
      };
      const vg = jax.valueAndGrad(loss, { argnums: [0, 1, 2, 3] });
      const step = compile((...args: A[]): A[] => {
        const [w1, b1, w2, b2, x, y] = args;
        const [l, grads] = vg(w1.ref, b1.ref, w2.ref, b2.ref, x, y) as unknown as [A, A[]];
        return [l, ...[w1, b1, w2, b2].map((p, i) => p.sub(grads[i].mul(MLP.lr)))];
      });
      return Promise.resolve({
        run: () => {
          const [l, ...next] = step.fn(...params, x.ref, labels.ref);
          params = next;
          return l.item();
        },
        dispose: () => {
          [x, labels, ...params].forEach((a) => a.dispose());
          step.free();
        },
      });
    },

    W5: (d: Data, n: number) => {
      const { a, b } = d.matmul.get(n)!;
      const ja = array(a, [n, n]), jb = array(b, [n, n]);
      const mm = compile((a: A, b: A) => np.matmul(a, b));
      return Promise.resolve({
        run: () => f32(mm.fn(ja.ref, jb.ref)),
        dispose: () => {
          ja.dispose();
          jb.dispose();
          mm.free();
        },
      });
    },

    W5g: (d: Data) => {
      const n = MATMUL_GRAD_SIZE;
      const { a, b } = d.matmul.get(n)!;
      const ja = array(a, [n, n]), jb = array(b, [n, n]);
      const g = compile(
        jax.grad((a: A, b: A) => np.sum(np.matmul(a, b)), { argnums: [0, 1] }) as AnyFn,
      );
      return Promise.resolve({
        run: () => (g.fn(ja.ref, jb.ref) as A[]).map(f32),
        dispose: () => {
          ja.dispose();
          jb.dispose();
          g.free();
        },
      });
    },

    W6: (d: Data) => {
      const x = array(d.sinExp, [d.sinExp.length]);
      const f = (x: A) => np.sum(np.sin(x.ref).mul(np.exp(x.ref)).add(x.ref.mul(x)));
      const g = compile(jax.grad(f));
      return Promise.resolve({
        run: () => f32(g.fn(x.ref) as A),
        dispose: () => {
          x.dispose();
          g.free();
        },
      });
    },

    W7: (d: Data) => {
      const n = HESSIAN_SIZE;
      const x = array(d.hessian.x, [n]);
      const a = array(d.hessian.a, [n, n]);
      // x⁴ as (x²)²: np.power goes through exp and log (slower, and only accurate to ~5e-5).
      const f = (x: A) =>
        np.sum(np.square(np.square(x.ref))).add(np.sum(x.ref.mul(np.matmul(a.ref, x))));
      const h = compile(jax.hessian(f));
      return Promise.resolve({
        run: () => f32(h.fn(x.ref) as A),
        dispose: () => {
          x.dispose();
          a.dispose();
          h.free();
        },
      });
    },

    W8: (d: Data) => {
      const { batch, inputs, hidden, classes } = PER_EXAMPLE;
      const p = d.perExample;
      const params = {
        w1: array(p.w1, [inputs, hidden]),
        b1: array(p.b1, [hidden]),
        w2: array(p.w2, [hidden, classes]),
        b2: array(p.b2, [classes]),
      };
      const x = array(p.x, [batch, inputs]);
      const labels = array(p.labels, [batch, classes]);
      type P = typeof params;
      // One example's loss: x [784], y [10].
      const loss = (q: P, x: A, y: A) => {
        const h = jax.nn.relu(np.matmul(x, q.w1).add(q.b1));
        const logits = np.matmul(h, q.w2).add(q.b2);
        return np.sum(y.mul(jax.nn.logSoftmax(logits, -1))).mul(-1);
      };
      const g = compile(jax.vmap(jax.grad(loss), [null, 0, 0]) as AnyFn);
      const refs = (): P => ({
        w1: params.w1.ref,
        b1: params.b1.ref,
        w2: params.w2.ref,
        b2: params.b2.ref,
      });
      return Promise.resolve({
        run: () => {
          const r = g.fn(refs(), x.ref, labels.ref) as P;
          return [f32(r.w1), f32(r.b1), f32(r.w2), f32(r.b2)];
        },
        dispose: () => {
          [x, labels, ...Object.values(params)].forEach((a) => a.dispose());
          g.free();
        },
      });
    },

    W9: (d: Data) => {
      const { n } = GP;
      const y = array(d.gp.y, [n, 1]);
      const d2 = array(d.gp.d2, [n, n]);
      const theta = array(d.gp.theta, [3]);
      const eye = np.eye(n);
      const nll = (theta: A) => {
        const p = np.exp(theta.mul(2));
        const [l2, sf2, sn2] = np.split(p, 3);
        const k = np.exp(d2.ref.div(l2.mul(-2))).mul(sf2).add(eye.ref.mul(sn2));
        const l = jax.lax.linalg.cholesky(k);
        const z = jax.lax.linalg.triangularSolve(l.ref, y.ref, { leftSide: true, lower: true });
        return np.sum(np.square(z)).mul(0.5).add(np.sum(np.log(np.diagonal(l))))
          .add((n / 2) * Math.log(2 * Math.PI));
      };
      const g = compile(jax.valueAndGrad(nll) as AnyFn);
      return Promise.resolve({
        run: () => {
          const [value, grad] = g.fn(theta.ref) as [A, A];
          return [value.item() as number, ...f32(grad)];
        },
        dispose: () => {
          [y, d2, theta, eye].forEach((a) => a.dispose());
          g.free();
        },
      });
    },

    W10: (d: Data) => {
      const { batch, size, kernel: k, channels1: c1, channels2: c2, flat, classes } = CNN;
      const c = d.cnn;
      // One channel: the NHWC images are already NCHW.
      const x = array(c.x, [batch, 1, size, size]);
      const labels = array(c.labels, [batch, classes]);
      // The dense layer's rows from NHWC flattening order (pixel, channel) to NCHW's.
      const pixels = flat / c2;
      const w3 = new Float32Array(flat * classes);
      for (let ch = 0; ch < c2; ch++) {
        for (let px = 0; px < pixels; px++) {
          const from = (px * c2 + ch) * classes;
          w3.set(c.w3.subarray(from, from + classes), (ch * pixels + px) * classes);
        }
      }
      let params = [
        np.transpose(array(c.f1, [k, k, 1, c1]), [3, 2, 0, 1]),
        array(c.b1, [c1, 1, 1]),
        np.transpose(array(c.f2, [k, k, c1, c2]), [3, 2, 0, 1]),
        array(c.b2, [c2, 1, 1]),
        array(w3, [flat, classes]),
        array(c.b3, [classes]),
      ];
      const block = (x: A, f: A, b: A) =>
        jax.lax.reduceWindow(
          jax.nn.relu(jax.lax.conv(x, f, [1, 1], "SAME").add(b)),
          (w: A) => np.max(w),
          [2, 2],
          [2, 2],
        );
      const loss = (f1: A, b1: A, f2: A, b2: A, w3: A, b3: A, x: A, y: A) => {
        const h = np.reshape(block(block(x, f1, b1), f2, b2), [batch, flat]);
        const logits = np.matmul(h, w3).add(b3);
        return np.mean(np.sum(y.mul(jax.nn.logSoftmax(logits, -1)), -1)).mul(-1);
      };
      const vg = jax.valueAndGrad(loss, { argnums: [0, 1, 2, 3, 4, 5] });
      const step = compile((...args: A[]): A[] => {
        const [f1, b1, f2, b2, w3, b3, x, y] = args;
        const refs = [f1.ref, b1.ref, f2.ref, b2.ref, w3.ref, b3.ref] as const;
        const [l, grads] = vg(...refs, x, y) as unknown as [A, A[]];
        return [l, ...[f1, b1, f2, b2, w3, b3].map((p, i) => p.sub(grads[i].mul(CNN.lr)))];
      });
      return Promise.resolve({
        run: () => {
          const [l, ...next] = step.fn(...params, x.ref, labels.ref);
          params = next;
          return l.item();
        },
        dispose: () => {
          [x, labels, ...params].forEach((a) => a.dispose());
          step.free();
        },
      });
    },
  };
}
