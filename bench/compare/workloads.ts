/**
 * The comparison's workloads W1–W7 (from the performance issue), W8 (from the vmap issue), W9 (from
 * the op-vocabulary issue) and W10 (the convolution issue's W8, a CNN's SGD step): their shared
 * inputs, made once
 * with gradtape's seeded `random` and handed as the same Float32Arrays to every library, and the
 * correctness check of each, against float64 references computed here in plain JavaScript
 * (closed forms where there are any), so that a wrong result is caught whichever library gives it.
 *
 * @module
 */
import * as gt from "../../mod.ts";

/** What each kind of workload returns from one run, read back into JavaScript. */
export interface Outputs {
  /** The derivative, as a number. */
  W1: number;
  /** The final `[w, b]`. */
  W2: number[];
  /** The final `[w3, w2, w1, b]`. */
  W3: number[];
  /** The step's loss. */
  W4: number;
  /** The product, row-major. */
  W5: ArrayLike<number>;
  /** `[dA, dB]`. */
  W5g: ArrayLike<number>[];
  /** The gradient. */
  W6: ArrayLike<number>;
  /** The Hessian, row-major. */
  W7: ArrayLike<number>;
  /** The per-example gradients `[dw1, db1, dw2, db2]`, each row-major with the batch first. */
  W8: ArrayLike<number>[];
  /** The negative log marginal likelihood and its gradient: `[nll, d/dlogℓ, d/dlogσf, d/dlogσn]`. */
  W9: number[];
  /** The step's loss. */
  W10: number;
}

/** A kind of workload. */
export type Kind = keyof Outputs;

/** A library's implementation of one workload, ready to run. */
export interface Prepared<T> {
  /** One timed unit of work, ending with the result read back into JavaScript. */
  run(): T;
  /** Frees what `prepare` allocated (tensors, variables, compiled functions). */
  dispose?(): void;
}

/** A library's factories, one per kind of workload it implements; `n` is W5's size. */
export type Impl = { [K in Kind]?: (data: Data, n: number) => Promise<Prepared<Outputs[K]>> };

/** The shared inputs. Every array is float32 and row-major. */
export interface Data {
  /** W2: x [100, 1] uniform in [-1, 1), y = 3x + 2 + 0.1·noise, and the initial w, b. */
  linear: { x: Float32Array; y: Float32Array; w: number; b: number };
  /** W3: x [50, 1] = linspace(-2, 2), the noisy cubic, and the initial w3, w2, w1, b. */
  poly: { x: Float32Array; y: Float32Array; init: number[] };
  /** W4: a batch x [128, 784], one-hot labels [128, 10], and the initial parameters. */
  mlp: {
    x: Float32Array;
    labels: Float32Array;
    w1: Float32Array;
    b1: Float32Array;
    w2: Float32Array;
    b2: Float32Array;
  };
  /** W5 and W5g: a pair of N×N standard-normal matrices for each N. */
  matmul: Map<number, { a: Float32Array; b: Float32Array }>;
  /** W6: 1,000,000 values uniform in [-2, 2). */
  sinExp: Float32Array;
  /** W7: x [100] and A [100, 100], standard normal. */
  hessian: { x: Float32Array; a: Float32Array };
  /**
   * W8: W4's first 64 examples and labels, and the parameters of a 784-128-10 MLP (the biases
   * small and nonzero, so that their gradients are checked through a broadcast add).
   */
  perExample: {
    x: Float32Array;
    labels: Float32Array;
    w1: Float32Array;
    b1: Float32Array;
    w2: Float32Array;
    b2: Float32Array;
  };
  /**
   * W9: a Gaussian process's data, x [n] uniform in [-3, 3) and noisy y [n, 1], the squared
   * distances (xᵢ − xⱼ)² [n, n], and the hyperparameters `[log ℓ, log σf, log σn]` [3].
   */
  gp: { x: Float32Array; y: Float32Array; d2: Float32Array; theta: Float32Array };
  /**
   * W10: a batch of images x [64, 28, 28, 1] (NHWC) uniform in [0, 1), one-hot labels [64, 10], and
   * the CNN's initial parameters (He-initialized filters and weights, small nonzero biases).
   */
  cnn: { x: Float32Array; labels: Float32Array } & CnnParams<Float32Array>;
}

/**
 * W10's parameters, row-major: the filters `f1` [5, 5, 1, 16] and `f2` [5, 5, 16, 32] (TensorFlow's
 * [height, width, in, out]) with their biases `b1` [16] and `b2` [32], and the dense layer's
 * weights `w3` [1568, 10] (rows in NHWC flattening order) and bias `b3` [10].
 */
export interface CnnParams<T extends ArrayLike<number>> {
  f1: T;
  b1: T;
  f2: T;
  b2: T;
  w3: T;
  b3: T;
}

/**
 * W9's Gaussian-process regression: `n` points, an RBF kernel
 * k(x, x') = σf² exp(−(x − x')² / 2ℓ²) plus σn² on the diagonal, at the hyperparameters `theta`
 * = [log ℓ, log σf, log σn].
 */
export const GP = { n: 256, theta: [Math.log(0.8), Math.log(1), Math.log(0.2)] };

/** Hyperparameters of the training workloads (the tutorial's). */
export const LINEAR = { samples: 100, epochs: 100, lr: 0.1 };
export const POLY = { samples: 50, epochs: 200, lr: 0.01, l2: 0.001 };
export const MLP = { batch: 128, inputs: 784, hidden: 256, classes: 10, lr: 0.1 };
/**
 * W10, the convolution issue's W8: one SGD step of a CNN on `batch` images of `size`² pixels, one
 * channel: conv 5×5 1→16 SAME + relu + 2×2 max pool, conv 5×5 16→32 SAME + relu + 2×2 max pool,
 * dense 1568→10, softmax cross-entropy (the batch's mean).
 *
 * @example The dense layer's inputs: 7 × 7 pixels × 32 channels after two poolings
 * ```ts
 * import { CNN } from "./workloads.ts";
 * import assert from "node:assert/strict";
 * assert.equal((CNN.size / 4) ** 2 * CNN.channels2, CNN.flat);
 * ```
 */
export const CNN = {
  batch: 64,
  size: 28,
  kernel: 5,
  channels1: 16,
  channels2: 32,
  flat: 1568,
  classes: 10,
  lr: 0.01,
};
export const SIN_EXP_SIZE = 1_000_000;
export const HESSIAN_SIZE = 100;
export const MATMUL_SIZES = [128, 256, 512, 1024];
export const MATMUL_GRAD_SIZE = 512;
/**
 * W8's MLP: per-example gradients of a batch of `batch` examples.
 *
 * @example 101,770 parameters, so 64 × 101,770 gradients a run
 * ```ts
 * import { PER_EXAMPLE } from "./workloads.ts";
 * import assert from "node:assert/strict";
 * const { inputs, hidden, classes } = PER_EXAMPLE;
 * assert.equal(inputs * hidden + hidden + hidden * classes + classes, 101_770);
 * ```
 */
export const PER_EXAMPLE = { batch: 64, inputs: 784, hidden: 128, classes: 10 };

/**
 * The float32 tolerance of the elementwise checks (W5–W7): each value may differ from the float64
 * reference by this much of the sum of the magnitudes of the terms that make it. Summation order
 * alone stays near 1e-6, and the margin leaves room for approximate transcendental functions
 * (jax-js's `power` is accurate to about 5e-5) while a wrong kernel still misses by far.
 */
export const RTOL = 1e-4;

/** The display unit of a workload's value. */
export type Unit = "µs" | "ms" | "GFLOP/s";

/** One row of the comparison. */
export interface Workload {
  /** `W1` … `W10`, with `@N` for W5's sizes. */
  id: string;
  kind: Kind;
  /** W5's matrix size (0 elsewhere). */
  n: number;
  title: string;
  unit: Unit;
  /** Floating-point operations of one run, for GFLOP/s. */
  flops?: number;
  /** gradtape's goal from the issue, in `unit`. */
  goal?: { value: number; atLeast: boolean };
  /** `null` when the outputs of the first runs are right, else what is wrong. */
  check(outputs: readonly unknown[], data: Data): string | null;
}

const f32 = (t: gt.Tensor): Float32Array => t.data() as Float32Array;

/** Makes every input from fixed seeds: the same numbers on every run and machine. */
export function makeData(): Data {
  const uniform = (shape: number[], seed: number, minval = 0, maxval = 1) =>
    f32(gt.random.uniform(shape, { minval, maxval, seed }));
  const normal = (shape: number[], seed: number, stddev = 1) =>
    f32(gt.random.normal(shape, { stddev, seed }));

  const lx = uniform([LINEAR.samples], 1, -1, 1);
  const ln = normal([LINEAR.samples], 2);
  const ly = lx.map((x, i) => 3 * x + 2 + 0.1 * ln[i]);

  const px = f32(gt.linspace(-2, 2, POLY.samples));
  const pn = normal([POLY.samples], 4);
  const py = px.map((x, i) => 0.5 * x ** 3 - 2 * x ** 2 + x + 1 + 0.3 * pn[i]);

  const { batch, inputs, hidden, classes } = MLP;
  const cls = uniform([batch], 11);
  const labels = new Float32Array(batch * classes);
  cls.forEach((u, i) => labels[i * classes + Math.min(classes - 1, Math.floor(u * classes))] = 1);

  const matmul = new Map<number, { a: Float32Array; b: Float32Array }>();
  for (const n of MATMUL_SIZES) {
    matmul.set(n, { a: normal([n, n], 20 + n), b: normal([n, n], 40 + n) });
  }

  const mlpX = uniform([batch, inputs], 10);
  const pe = PER_EXAMPLE;
  const perExample = {
    x: mlpX.slice(0, pe.batch * pe.inputs),
    labels: labels.slice(0, pe.batch * pe.classes),
    w1: normal([pe.inputs, pe.hidden], 14, Math.sqrt(2 / pe.inputs)),
    b1: normal([pe.hidden], 15, 0.1),
    w2: normal([pe.hidden, pe.classes], 16, Math.sqrt(2 / pe.hidden)),
    b2: normal([pe.classes], 17, 0.1),
  };

  const gx = uniform([GP.n], 50, -3, 3);
  const gn = normal([GP.n], 51);
  const gy = gx.map((x, i) => Math.sin(x) + 0.3 * Math.cos(3 * x) + 0.2 * gn[i]);
  const d2 = new Float32Array(GP.n * GP.n).map((_, t) =>
    (gx[Math.floor(t / GP.n)] - gx[t % GP.n]) ** 2
  );

  const cb = CNN.batch, cc = CNN.classes, k2 = CNN.kernel ** 2;
  const cnnLabels = new Float32Array(cb * cc);
  uniform([cb], 61).forEach((u, i) => cnnLabels[i * cc + Math.min(cc - 1, Math.floor(u * cc))] = 1);
  const cnn = {
    x: uniform([cb, CNN.size, CNN.size, 1], 60),
    labels: cnnLabels,
    f1: normal([CNN.kernel, CNN.kernel, 1, CNN.channels1], 62, Math.sqrt(2 / k2)),
    b1: normal([CNN.channels1], 63, 0.01),
    f2: normal(
      [CNN.kernel, CNN.kernel, CNN.channels1, CNN.channels2],
      64,
      Math.sqrt(2 / (k2 * CNN.channels1)),
    ),
    b2: normal([CNN.channels2], 65, 0.01),
    w3: normal([CNN.flat, cc], 66, Math.sqrt(2 / CNN.flat)),
    b3: normal([cc], 67, 0.01),
  };

  return {
    linear: { x: lx, y: ly, w: normal([1], 3)[0], b: 0 },
    poly: { x: px, y: py, init: [...normal([3], 5, 0.1), 0] },
    mlp: {
      x: mlpX,
      labels,
      w1: normal([inputs, hidden], 12, Math.sqrt(2 / inputs)),
      b1: new Float32Array(hidden),
      w2: normal([hidden, classes], 13, Math.sqrt(2 / hidden)),
      b2: new Float32Array(classes),
    },
    matmul,
    sinExp: uniform([SIN_EXP_SIZE], 30, -2, 2),
    hessian: { x: normal([HESSIAN_SIZE], 31), a: normal([HESSIAN_SIZE, HESSIAN_SIZE], 32) },
    perExample,
    gp: { x: gx, y: gy, d2, theta: Float32Array.from(GP.theta) },
    cnn,
  };
}

// ---------------------------------------------------------------------------------------------
// float64 references

/** Full-batch gradient descent on y ≈ w·x + b in float64, reading the loss as the tutorial does. */
export function referenceLinear(d: Data): number[] {
  const { x, y } = d.linear;
  let w = d.linear.w, b = d.linear.b;
  const n = x.length;
  for (let epoch = 0; epoch < LINEAR.epochs; epoch++) {
    let gw = 0, gb = 0;
    for (let i = 0; i < n; i++) {
      const r = w * x[i] + b - y[i];
      gw += (2 / n) * r * x[i];
      gb += (2 / n) * r;
    }
    w -= LINEAR.lr * gw;
    b -= LINEAR.lr * gb;
  }
  return [w, b];
}

/** Gradient descent on the cubic with the L2 penalty, in float64. */
export function referencePoly(d: Data): number[] {
  const { x, y } = d.poly;
  const p = [...d.poly.init]; // w3, w2, w1, b
  const n = x.length;
  for (let epoch = 0; epoch < POLY.epochs; epoch++) {
    const g = p.map((v) => 2 * POLY.l2 * v);
    for (let i = 0; i < n; i++) {
      const f = [x[i] ** 3, x[i] ** 2, x[i], 1];
      const r = p[0] * f[0] + p[1] * f[1] + p[2] * f[2] + p[3] - y[i];
      for (let k = 0; k < 4; k++) g[k] += (2 / n) * r * f[k];
    }
    for (let k = 0; k < 4; k++) p[k] -= POLY.lr * g[k];
  }
  return p;
}

/** The MLP's losses at its first two SGD steps, in float64. */
export function referenceMlp(d: Data): number[] {
  const { batch: B, inputs: I, hidden: H, classes: C, lr } = MLP;
  const { x, labels } = d.mlp;
  const w1 = Float64Array.from(d.mlp.w1), b1 = Float64Array.from(d.mlp.b1);
  const w2 = Float64Array.from(d.mlp.w2), b2 = Float64Array.from(d.mlp.b2);
  const losses: number[] = [];
  for (let step = 0; step < 2; step++) {
    const z1 = new Float64Array(B * H);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < H; j++) z1[i * H + j] = b1[j];
      for (let k = 0; k < I; k++) {
        const xv = x[i * I + k];
        if (xv === 0) continue;
        for (let j = 0; j < H; j++) z1[i * H + j] += xv * w1[k * H + j];
      }
    }
    const h = z1.map((v) => Math.max(v, 0));
    const dLogits = new Float64Array(B * C);
    let loss = 0;
    for (let i = 0; i < B; i++) {
      const logits = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        let s = b2[c];
        for (let j = 0; j < H; j++) s += h[i * H + j] * w2[j * C + c];
        logits[c] = s;
      }
      const m = Math.max(...logits);
      const lse = m + Math.log(logits.reduce((s, v) => s + Math.exp(v - m), 0));
      for (let c = 0; c < C; c++) {
        loss -= labels[i * C + c] * (logits[c] - lse) / B;
        dLogits[i * C + c] = (Math.exp(logits[c] - lse) - labels[i * C + c]) / B;
      }
    }
    losses.push(loss);
    const dz1 = new Float64Array(B * H);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < H; j++) {
        if (z1[i * H + j] <= 0) continue;
        let s = 0;
        for (let c = 0; c < C; c++) s += dLogits[i * C + c] * w2[j * C + c];
        dz1[i * H + j] = s;
      }
    }
    for (let j = 0; j < H; j++) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let i = 0; i < B; i++) s += h[i * H + j] * dLogits[i * C + c];
        w2[j * C + c] -= lr * s;
      }
    }
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < B; i++) s += dLogits[i * C + c];
      b2[c] -= lr * s;
    }
    const gw1 = new Float64Array(I * H);
    for (let i = 0; i < B; i++) {
      for (let k = 0; k < I; k++) {
        const xv = x[i * I + k];
        if (xv === 0) continue;
        for (let j = 0; j < H; j++) gw1[k * H + j] += xv * dz1[i * H + j];
      }
    }
    for (let t = 0; t < I * H; t++) w1[t] -= lr * gw1[t];
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let i = 0; i < B; i++) s += dz1[i * H + j];
      b1[j] -= lr * s;
    }
  }
  return losses;
}

/**
 * W8's per-example gradients in float64: for each example alone, the gradient of its softmax
 * cross-entropy loss (not divided by the batch size) with respect to w1, b1, w2 and b2, each
 * flattened with the batch first, as `[dw1, db1, dw2, db2]`.
 *
 * @example Each example's logit gradient, softmax minus its one-hot label, sums to zero
 * ```ts
 * import { makeData, PER_EXAMPLE, referencePerExample } from "./workloads.ts";
 * import assert from "node:assert/strict";
 * const [, , , db2] = referencePerExample(makeData());
 * const c = PER_EXAMPLE.classes;
 * for (let n = 0; n < PER_EXAMPLE.batch; n++) {
 *   assert.ok(Math.abs(db2.slice(n * c, (n + 1) * c).reduce((s, v) => s + v)) < 1e-12);
 * }
 * ```
 */
export function referencePerExample(d: Data): Float64Array[] {
  const { batch: B, inputs: I, hidden: H, classes: C } = PER_EXAMPLE;
  const { x, labels, w1, b1, w2, b2 } = d.perExample;
  const dw1 = new Float64Array(B * I * H), db1 = new Float64Array(B * H);
  const dw2 = new Float64Array(B * H * C), db2 = new Float64Array(B * C);
  const z = new Float64Array(H), h = new Float64Array(H), logits = new Float64Array(C);
  for (let n = 0; n < B; n++) {
    for (let j = 0; j < H; j++) z[j] = b1[j];
    for (let k = 0; k < I; k++) {
      const xv = x[n * I + k];
      for (let j = 0; j < H; j++) z[j] += xv * w1[k * H + j];
    }
    for (let j = 0; j < H; j++) h[j] = Math.max(z[j], 0);
    for (let c = 0; c < C; c++) {
      let s = b2[c];
      for (let j = 0; j < H; j++) s += h[j] * w2[j * C + c];
      logits[c] = s;
    }
    const m = Math.max(...logits);
    const lse = m + Math.log(logits.reduce((s, v) => s + Math.exp(v - m), 0));
    for (let c = 0; c < C; c++) {
      db2[n * C + c] = Math.exp(logits[c] - lse) - labels[n * C + c];
    }
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) {
        dw2[(n * H + j) * C + c] = h[j] * db2[n * C + c];
        s += db2[n * C + c] * w2[j * C + c];
      }
      db1[n * H + j] = z[j] > 0 ? s : 0;
    }
    for (let k = 0; k < I; k++) {
      const xv = x[n * I + k];
      for (let j = 0; j < H; j++) dw1[(n * I + k) * H + j] = xv * db1[n * H + j];
    }
  }
  return [dw1, db1, dw2, db2];
}

/**
 * W9's negative log marginal likelihood and its gradient in float64, by the textbook formulas
 * (Rasmussen & Williams, eq. 5.9): with K = LLᵀ and α = K⁻¹y,
 * nll = ½yᵀα + Σ log Lᵢᵢ + (n/2) log 2π and ∂nll/∂θ = ½ tr((K⁻¹ − ααᵀ) ∂K/∂θ).
 *
 * @example The gradient of log σn agrees with a central difference of the likelihood
 * ```ts
 * import { makeData, referenceGp } from "./workloads.ts";
 * import assert from "node:assert/strict";
 * const d = makeData();
 * const at = (t: number) =>
 *   referenceGp({ ...d, gp: { ...d.gp, theta: Float32Array.of(d.gp.theta[0], d.gp.theta[1], t) } });
 * const t = d.gp.theta[2], h = 2 ** -12; // exact steps in float32
 * const fd = (at(t + h)[0] - at(t - h)[0]) / (2 * h);
 * assert.ok(Math.abs(fd - referenceGp(d)[3]) < 1e-4 * Math.max(1, Math.abs(fd)));
 * ```
 */
export function referenceGp(d: Data): number[] {
  const { y, d2, theta } = d.gp;
  const n = y.length;
  const l2 = Math.exp(2 * theta[0]), sf2 = Math.exp(2 * theta[1]), sn2 = Math.exp(2 * theta[2]);
  const k = new Float64Array(n * n), dl = new Float64Array(n * n);
  for (let t = 0; t < n * n; t++) {
    const e = sf2 * Math.exp(-d2[t] / (2 * l2));
    k[t] = e + (t % (n + 1) === 0 ? sn2 : 0);
    dl[t] = e * d2[t] / l2; // ∂K/∂log ℓ
  }
  // K⁻¹ by Gauss–Jordan on [K | I] (K is positive definite: no pivoting needed).
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * (n + 1)] = 1;
  const a = Float64Array.from(k);
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    const p = a[c * n + c];
    logDet += Math.log(p);
    for (let j = 0; j < n; j++) {
      a[c * n + j] /= p;
      inv[c * n + j] /= p;
    }
    for (let r = 0; r < n; r++) {
      const f = a[r * n + c];
      if (r === c || f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] -= f * a[c * n + j];
        inv[r * n + j] -= f * inv[c * n + j];
      }
    }
  }
  const alpha = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) alpha[i] += inv[i * n + j] * y[j];
  let fit = 0;
  for (let i = 0; i < n; i++) fit += y[i] * alpha[i];
  // ∂K/∂log σf = 2(K − σn²I), ∂K/∂log σn = 2σn²I.
  let gl = 0, gf = 0, gn = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = inv[i * n + j] - alpha[i] * alpha[j];
      gl += 0.5 * w * dl[j * n + i];
      gf += w * (k[j * n + i] - (i === j ? sn2 : 0));
    }
    gn += (inv[i * n + i] - alpha[i] * alpha[i]) * sn2;
  }
  return [0.5 * fit + 0.5 * logDet + (n / 2) * Math.log(2 * Math.PI), gl, gf, gn];
}

/**
 * The 2-D convolution of `x` [n, s, s, c] by `f` [k, k, c, o] with SAME padding and stride 1, plus
 * `b` [o], in float64, NHWC as TensorFlow's.
 */
function convSame(
  x: ArrayLike<number>,
  f: ArrayLike<number>,
  b: ArrayLike<number>,
  [n, s, c, o, k]: number[],
): Float64Array {
  const out = new Float64Array(n * s * s * o);
  const pad = (k - 1) / 2;
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < s; i++) {
      for (let j = 0; j < s; j++) {
        const at = ((img * s + i) * s + j) * o;
        for (let q = 0; q < o; q++) out[at + q] = b[q];
        for (let di = 0; di < k; di++) {
          const y = i + di - pad;
          if (y < 0 || y >= s) continue;
          for (let dj = 0; dj < k; dj++) {
            const xx = j + dj - pad;
            if (xx < 0 || xx >= s) continue;
            const xin = ((img * s + y) * s + xx) * c, fin = (di * k + dj) * c * o;
            for (let ch = 0; ch < c; ch++) {
              const v = x[xin + ch], fo = fin + ch * o;
              for (let q = 0; q < o; q++) out[at + q] += v * f[fo + q];
            }
          }
        }
      }
    }
  }
  return out;
}

/** `convSame`'s gradients with respect to its filters, bias and (`withDx`) input, given `dz`. */
function convSameBackward(
  x: ArrayLike<number>,
  f: ArrayLike<number>,
  dz: Float64Array,
  [n, s, c, o, k]: number[],
  withDx: boolean,
): { df: Float64Array; db: Float64Array; dx: Float64Array | null } {
  const df = new Float64Array(k * k * c * o), db = new Float64Array(o);
  const dx = withDx ? new Float64Array(n * s * s * c) : null;
  const pad = (k - 1) / 2;
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < s; i++) {
      for (let j = 0; j < s; j++) {
        const at = ((img * s + i) * s + j) * o;
        for (let q = 0; q < o; q++) db[q] += dz[at + q];
        for (let di = 0; di < k; di++) {
          const y = i + di - pad;
          if (y < 0 || y >= s) continue;
          for (let dj = 0; dj < k; dj++) {
            const xx = j + dj - pad;
            if (xx < 0 || xx >= s) continue;
            const xin = ((img * s + y) * s + xx) * c, fin = (di * k + dj) * c * o;
            for (let ch = 0; ch < c; ch++) {
              const v = x[xin + ch], fo = fin + ch * o;
              let g = 0;
              for (let q = 0; q < o; q++) {
                df[fo + q] += v * dz[at + q];
                g += f[fo + q] * dz[at + q];
              }
              if (dx !== null) dx[xin + ch] += g;
            }
          }
        }
      }
    }
  }
  return { df, db, dx };
}

/**
 * relu then the 2×2 max pool with stride 2 of `z` [n, s, s, c]: the pooled values and, for each, the
 * index in `z` of its window's (first) maximum, where its gradient goes.
 */
function reluPool(z: Float64Array, [n, s, c]: number[]): { out: Float64Array; arg: Int32Array } {
  const h = s / 2;
  const out = new Float64Array(n * h * h * c), arg = new Int32Array(n * h * h * c);
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < h; j++) {
        for (let ch = 0; ch < c; ch++) {
          const t = ((img * h + i) * h + j) * c + ch;
          let best = -Infinity, where = -1;
          for (let di = 0; di < 2; di++) {
            for (let dj = 0; dj < 2; dj++) {
              const u = ((img * s + 2 * i + di) * s + 2 * j + dj) * c + ch;
              const v = Math.max(z[u], 0);
              if (v > best) [best, where] = [v, u];
            }
          }
          out[t] = best;
          arg[t] = where;
        }
      }
    }
  }
  return { out, arg };
}

/** The gradient with respect to `z` of `reluPool`, given the pooled values' gradient `dp`. */
function reluPoolBackward(z: Float64Array, arg: Int32Array, dp: Float64Array): Float64Array {
  const dz = new Float64Array(z.length);
  for (let t = 0; t < dp.length; t++) if (z[arg[t]] > 0) dz[arg[t]] += dp[t];
  return dz;
}

/**
 * W10's CNN in float64: the mean softmax cross-entropy of images `x` [n, 28, 28, 1] (NHWC) with
 * one-hot `labels` [n, 10] under the parameters `p`, and its gradient with respect to each
 * parameter, by hand-written backward passes.
 *
 * @example Each parameter's gradient agrees with a central difference of the loss (on 4 images)
 * ```ts
 * import { CNN, cnnLossAndGrads, makeData } from "./workloads.ts";
 * import assert from "node:assert/strict";
 * const d = makeData().cnn;
 * const x = d.x.slice(0, 4 * CNN.size ** 2), labels = d.labels.slice(0, 4 * CNN.classes);
 * const p = {
 *   f1: Float64Array.from(d.f1), b1: Float64Array.from(d.b1), f2: Float64Array.from(d.f2),
 *   b2: Float64Array.from(d.b2), w3: Float64Array.from(d.w3), b3: Float64Array.from(d.b3),
 * };
 * const { grads } = cnnLossAndGrads(p, x, labels);
 * const picks = [["f1", 7], ["b1", 3], ["f2", 2001], ["b2", 5], ["w3", 1013], ["b3", 2]] as const;
 * for (const [name, i] of picks) {
 *   const lossAt = (h: number) => {
 *     const q = { ...p, [name]: p[name].slice() };
 *     q[name][i] += h;
 *     return cnnLossAndGrads(q, x, labels).loss;
 *   };
 *   const h = 1e-5, fd = (lossAt(h) - lossAt(-h)) / (2 * h);
 *   assert.ok(Math.abs(fd) > 1e-6, `${name}[${i}]: a zero gradient checks nothing`);
 *   assert.ok(Math.abs(fd - grads[name][i]) < 1e-6 * Math.abs(fd), `${name}[${i}]`);
 * }
 * ```
 */
export function cnnLossAndGrads(
  p: CnnParams<ArrayLike<number>>,
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
): { loss: number; grads: CnnParams<Float64Array> } {
  const { size: s, kernel: k, channels1: c1, channels2: c2, flat: F, classes: C } = CNN;
  const n = labels.length / C;
  const dims1 = [n, s, 1, c1, k], dims2 = [n, s / 2, c1, c2, k];
  const z1 = convSame(x, p.f1, p.b1, dims1);
  const p1 = reluPool(z1, [n, s, c1]);
  const z2 = convSame(p1.out, p.f2, p.b2, dims2);
  const p2 = reluPool(z2, [n, s / 2, c2]);
  const h = p2.out; // [n, 1568], NHWC-flattened
  let loss = 0;
  const dLogits = new Float64Array(n * C), logits = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      let sum = p.b3[c];
      for (let j = 0; j < F; j++) sum += h[i * F + j] * p.w3[j * C + c];
      logits[c] = sum;
    }
    const m = Math.max(...logits);
    const lse = m + Math.log(logits.reduce((sum, v) => sum + Math.exp(v - m), 0));
    for (let c = 0; c < C; c++) {
      loss -= labels[i * C + c] * (logits[c] - lse) / n;
      dLogits[i * C + c] = (Math.exp(logits[c] - lse) - labels[i * C + c]) / n;
    }
  }
  const w3 = new Float64Array(F * C), b3 = new Float64Array(C), dh = new Float64Array(n * F);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < F; j++) {
      let g = 0;
      for (let c = 0; c < C; c++) {
        w3[j * C + c] += h[i * F + j] * dLogits[i * C + c];
        g += p.w3[j * C + c] * dLogits[i * C + c];
      }
      dh[i * F + j] = g;
    }
    for (let c = 0; c < C; c++) b3[c] += dLogits[i * C + c];
  }
  const back2 = convSameBackward(p1.out, p.f2, reluPoolBackward(z2, p2.arg, dh), dims2, true);
  const back1 = convSameBackward(x, p.f1, reluPoolBackward(z1, p1.arg, back2.dx!), dims1, false);
  return {
    loss,
    grads: { f1: back1.df, b1: back1.db, f2: back2.df, b2: back2.db, w3, b3 },
  };
}

/** W10's losses at its first two SGD steps from the shared parameters, in float64. */
export function referenceCnn(d: Data): number[] {
  const { x, labels } = d.cnn;
  const names = ["f1", "b1", "f2", "b2", "w3", "b3"] as const;
  const c = d.cnn, copy = (a: Float32Array) => Float64Array.from(a);
  const p: CnnParams<Float64Array> = {
    f1: copy(c.f1),
    b1: copy(c.b1),
    f2: copy(c.f2),
    b2: copy(c.b2),
    w3: copy(c.w3),
    b3: copy(c.b3),
  };
  const losses: number[] = [];
  for (let step = 0; step < 2; step++) {
    const { loss, grads } = cnnLossAndGrads(p, x, labels);
    losses.push(loss);
    for (const k of names) grads[k].forEach((g, i) => p[k][i] -= CNN.lr * g);
  }
  return losses;
}

// ---------------------------------------------------------------------------------------------
// checks

/** `null` if every `got[i]` is within `tol(i)` of `want(i)`; else the first miss, described. */
function compareAll(
  what: string,
  got: ArrayLike<number>,
  size: number,
  want: (i: number) => number,
  tol: (i: number) => number,
): string | null {
  if (got === undefined || got === null || got.length !== size) {
    return `${what}: expected ${size} values, got ${got?.length}`;
  }
  for (let i = 0; i < size; i++) {
    const w = want(i);
    // Written so that NaN fails.
    if (!(Math.abs(got[i] - w) <= tol(i))) return `${what}[${i}] = ${got[i]}, expected ${w}`;
  }
  return null;
}

const close = (what: string, got: number[], want: number[], rtol: number): string | null =>
  compareAll(what, got, want.length, (i) => want[i], (i) => rtol * Math.max(1, Math.abs(want[i])));

function memo<T>(f: (d: Data) => T): (d: Data) => T {
  const cache = new WeakMap<Data, T>();
  return (d) => {
    if (!cache.has(d)) cache.set(d, f(d));
    return cache.get(d)!;
  };
}

const linearRef = memo(referenceLinear);
const polyRef = memo(referencePoly);
const mlpRef = memo(referenceMlp);
const perExampleRef = memo(referencePerExample);
const gpRef = memo(referenceGp);
const cnnRef = memo(referenceCnn);

/** Row sums of B and column sums of A (and their absolute versions), for W5 and W5g. */
const sums = memo((d: Data) => {
  const out = new Map<number, { colA: Float64Array; rowB: Float64Array; rowAbsB: Float64Array }>();
  for (const [n, { a, b }] of d.matmul) {
    const colA = new Float64Array(n), rowB = new Float64Array(n), rowAbsB = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        colA[k] += a[i * n + k];
        rowB[i] += b[i * n + k];
        rowAbsB[i] += Math.abs(b[i * n + k]);
      }
    }
    out.set(n, { colA, rowB, rowAbsB });
  }
  return out;
});

function checkMatmul(n: number, c: ArrayLike<number>, d: Data): string | null {
  const { a, b } = d.matmul.get(n)!;
  if (c?.length !== n * n) return `product: expected ${n * n} values, got ${c?.length}`;
  // Checksum: Σ(A·B) = Σₖ (Σᵢ aᵢₖ)(Σⱼ bₖⱼ), exactly, in O(N²).
  const { colA, rowB } = sums(d).get(n)!;
  let want = 0, got = 0, scale = 0;
  for (let k = 0; k < n; k++) want += colA[k] * rowB[k];
  for (let i = 0; i < n * n; i++) {
    got += c[i];
    scale += Math.abs(c[i]);
  }
  if (!(Math.abs(got - want) <= RTOL * scale + 1e-3)) {
    return `checksum Σ(A·B) = ${got}, expected ${want}`;
  }
  // And 64 entries in float64.
  for (let s = 0; s < 64; s++) {
    const i = (s * 7919) % n, j = (s * 104729 + 13) % n;
    let w = 0, mag = 0;
    for (let k = 0; k < n; k++) {
      w += a[i * n + k] * b[k * n + j];
      mag += Math.abs(a[i * n + k] * b[k * n + j]);
    }
    if (!(Math.abs(c[i * n + j] - w) <= RTOL * mag + 1e-6)) {
      return `C[${i}, ${j}] = ${c[i * n + j]}, expected ${w}`;
    }
  }
  return null;
}

function checkMatmulGrad(out: ArrayLike<number>[], d: Data): string | null {
  const n = MATMUL_GRAD_SIZE;
  const { a } = d.matmul.get(n)!;
  const { colA, rowB, rowAbsB } = sums(d).get(n)!;
  if (!Array.isArray(out) || out.length !== 2) return "expected [dA, dB]";
  const colAbsA = new Float64Array(n);
  for (let i = 0; i < n * n; i++) colAbsA[i % n] += Math.abs(a[i]);
  // d/dA Σ(A·B) = 1·Bᵀ: dA[i, k] = Σⱼ B[k, j]; d/dB: dB[k, j] = Σᵢ A[i, k].
  return compareAll("dA", out[0], n * n, (i) => rowB[i % n], (i) => RTOL * rowAbsB[i % n] + 1e-6) ??
    compareAll(
      "dB",
      out[1],
      n * n,
      (i) => colA[Math.floor(i / n)],
      (i) => RTOL * colAbsA[Math.floor(i / n)] + 1e-6,
    );
}

function checkSinExp(g: ArrayLike<number>, d: Data): string | null {
  const x = d.sinExp;
  // d/dx (sin x · eˣ + x²) = eˣ(cos x + sin x) + 2x
  return compareAll(
    "gradient",
    g,
    x.length,
    (i) => Math.exp(x[i]) * (Math.cos(x[i]) + Math.sin(x[i])) + 2 * x[i],
    (i) =>
      RTOL *
        (Math.exp(x[i]) * (Math.abs(Math.cos(x[i])) + Math.abs(Math.sin(x[i]))) +
          2 * Math.abs(x[i])) + 1e-6,
  );
}

function checkHessian(h: ArrayLike<number>, d: Data): string | null {
  const n = HESSIAN_SIZE;
  const { x, a } = d.hessian;
  // ∇²(Σx⁴ + x·Ax) = diag(12x²) + A + Aᵀ
  const want = (t: number) => {
    const i = Math.floor(t / n), j = t % n;
    return (i === j ? 12 * x[i] ** 2 : 0) + a[i * n + j] + a[j * n + i];
  };
  const tol = (t: number) => {
    const i = Math.floor(t / n), j = t % n;
    return RTOL *
        ((i === j ? 12 * x[i] ** 2 : 0) + Math.abs(a[i * n + j]) + Math.abs(a[j * n + i])) +
      1e-5;
  };
  return compareAll("Hessian", h, n * n, want, tol);
}

function checkPerExample(out: ArrayLike<number>[], d: Data): string | null {
  const names = ["dw1", "db1", "dw2", "db2"];
  if (!Array.isArray(out) || out.length !== 4) return "expected [dw1, db1, dw2, db2]";
  const want = perExampleRef(d);
  const B = PER_EXAMPLE.batch;
  for (let p = 0; p < 4; p++) {
    // Each value within RTOL of the largest of its example's gradient of that parameter: the
    // values are sums of few terms (a product for dw1 and dw2), so float32 stays far inside.
    const per = want[p].length / B;
    const scale = new Float64Array(B);
    want[p].forEach((v, i) =>
      scale[Math.floor(i / per)] = Math.max(scale[Math.floor(i / per)], Math.abs(v))
    );
    const why = compareAll(
      names[p],
      out[p],
      want[p].length,
      (i) => want[p][i],
      (i) => RTOL * scale[Math.floor(i / per)] + 1e-7,
    );
    if (why !== null) return why;
  }
  return null;
}

/** Applies `one` to each output and reports the first failure. */
const each =
  (one: (out: unknown, d: Data) => string | null) => (outs: readonly unknown[], d: Data) => {
    for (const [i, out] of outs.entries()) {
      const why = one(out, d);
      if (why !== null) return outs.length > 1 ? `run ${i + 1}: ${why}` : why;
    }
    return null;
  };

/** The rows of the comparison, in order. */
export const WORKLOADS: readonly Workload[] = [
  {
    id: "W1",
    kind: "W1",
    n: 0,
    title: "W1 tape overhead: d/dx (3x³ + 2x² + x + 1) at 2",
    unit: "µs",
    goal: { value: 3, atLeast: false },
    check: each((v) => (Math.abs((v as number) - 45) <= 1e-4 ? null : `got ${v}, expected 45`)),
  },
  {
    id: "W2",
    kind: "W2",
    n: 0,
    title: "W2 linear regression, 100 epochs",
    unit: "ms",
    goal: { value: 1, atLeast: false },
    check: each((v, d) => close("[w, b]", v as number[], linearRef(d), 1e-3)),
  },
  {
    id: "W3",
    kind: "W3",
    n: 0,
    title: "W3 polynomial regression + L2, 200 epochs",
    unit: "ms",
    goal: { value: 4, atLeast: false },
    check: each((v, d) => close("[w3, w2, w1, b]", v as number[], polyRef(d), 1e-3)),
  },
  {
    id: "W4",
    kind: "W4",
    n: 0,
    title: "W4 MLP 784-256-10 SGD step, batch 128",
    unit: "ms",
    goal: { value: 3, atLeast: false },
    // The first two steps start from the shared initial parameters: their losses check the
    // forward pass and, through the second, the update.
    check: (outs, d) => close("losses of steps 1 and 2", outs as number[], mlpRef(d), 1e-4),
  },
  ...MATMUL_SIZES.map((n): Workload => ({
    id: `W5@${n}`,
    kind: "W5",
    n,
    title: `W5 matmul ${n}×${n}`,
    unit: "GFLOP/s",
    flops: 2 * n ** 3,
    goal: n === 1024 ? { value: 60, atLeast: true } : undefined,
    check: each((c, d) => checkMatmul(n, c as ArrayLike<number>, d)),
  })),
  {
    id: "W5g",
    kind: "W5g",
    n: 0,
    title: "W5g ∇ sum(A·B) w.r.t. A and B, 512×512",
    unit: "ms",
    goal: { value: 8, atLeast: false },
    check: each((v, d) => checkMatmulGrad(v as ArrayLike<number>[], d)),
  },
  {
    id: "W6",
    kind: "W6",
    n: 0,
    title: "W6 ∇ sum(sin x·eˣ + x·x), 10⁶ elements",
    unit: "ms",
    goal: { value: 10, atLeast: false },
    check: each((v, d) => checkSinExp(v as ArrayLike<number>, d)),
  },
  {
    id: "W7",
    kind: "W7",
    n: 0,
    title: "W7 Hessian of Σx⁴ + x·Ax, n = 100",
    unit: "ms",
    goal: { value: 1.3, atLeast: false },
    check: each((v, d) => checkHessian(v as ArrayLike<number>, d)),
  },
  {
    id: "W8",
    kind: "W8",
    n: 0,
    title: "W8 per-example gradients vmap(grad), MLP 784-128-10, batch 64",
    unit: "ms",
    check: each((v, d) => checkPerExample(v as ArrayLike<number>[], d)),
  },
  {
    id: "W9",
    kind: "W9",
    n: 0,
    title: "W9 ∇ Gaussian-process −log marginal likelihood, n = 256 (Cholesky)",
    unit: "ms",
    // float32 Cholesky of a kernel matrix with condition number ~10⁴ loses about four digits.
    check: each((v, d) => close("[nll, ∇nll]", v as number[], gpRef(d), 2e-2)),
  },
  {
    id: "W10",
    kind: "W10",
    n: 0,
    title: "W10 CNN SGD step, 64 images 28×28×1 (the conv issue's W8)",
    unit: "ms",
    // The goal is relative (2× faster than the fastest peer), which `goal` cannot say.
    // As W4: the losses of the first two steps check the forward pass and the update.
    check: (outs, d) => close("losses of steps 1 and 2", outs as number[], cnnRef(d), 1e-4),
  },
];
