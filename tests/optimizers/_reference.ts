/**
 * Keras's optimizer updates written element by element in float64, from the documented
 * algorithms (keras/src/optimizers: each `update_step`, and the base optimizer's clipping and
 * weight decay), as references for the tests.
 */

/** One optimizer's state for one variable, and its step on one element. */
export interface RefOptimizer {
  /** The slots' initial values. */
  slots: number[];
  /** Called once per step before the variables (Nadam's product). */
  before?: (t: number) => void;
  /** The new value of one element; `s` holds its slots and is updated in place. */
  step: (w: number, g: number, lr: number, t: number, s: number[]) => number;
}

export interface RefOptions {
  /** The learning rate at each step (0-based, as the optimizer's `iterations`). */
  lr: (step: number) => number;
  weightDecay?: number;
  clipNorm?: number;
  clipValue?: number;
  globalClipNorm?: number;
}

/** Runs `opt` on `weights` (one number array per variable) over `grads[step][variable]`. */
export function runReference(
  opt: RefOptimizer,
  weights: number[][],
  grads: number[][][],
  o: RefOptions,
): number[][] {
  const w = weights.map((x) => [...x]);
  const state = w.map((x) => x.map(() => [...opt.slots]));
  grads.forEach((raw, step) => {
    const lr = o.lr(step), t = step + 1;
    const gs = clip(raw, o);
    opt.before?.(t);
    w.forEach((x, j) => {
      for (let i = 0; i < x.length; i++) {
        if (o.weightDecay !== undefined) x[i] = x[i] - x[i] * o.weightDecay * lr;
        x[i] = opt.step(x[i], gs[j][i], lr, t, state[j][i]);
      }
    });
  });
  return w;
}

const sumSquares = (g: number[]) => g.reduce((s, x) => s + x * x, 0);

function clip(grads: number[][], o: RefOptions): number[][] {
  if (o.clipNorm !== undefined) {
    const c = o.clipNorm;
    return grads.map((g) => {
      const n = Math.sqrt(sumSquares(g));
      return g.map((x) => x * c / Math.max(n, c));
    });
  }
  if (o.globalClipNorm !== undefined) {
    const c = o.globalClipNorm;
    const n = Math.sqrt(grads.reduce((s, g) => s + sumSquares(g), 0));
    const scale = c * Math.min(1 / n, 1 / c);
    return grads.map((g) => g.map((x) => x * scale));
  }
  if (o.clipValue !== undefined) {
    const c = o.clipValue;
    return grads.map((g) => g.map((x) => Math.min(Math.max(x, -c), c)));
  }
  return grads;
}

export function sgd(momentum = 0, nesterov = false): RefOptimizer {
  return {
    slots: [0],
    step: (w, g, lr, _t, s) => {
      if (momentum === 0) return w - g * lr;
      s[0] = -g * lr + s[0] * momentum;
      return nesterov ? w + (-g * lr + s[0] * momentum) : w + s[0];
    },
  };
}

export function adam(b1 = 0.9, b2 = 0.999, eps = 1e-7, amsgrad = false): RefOptimizer {
  return {
    slots: [0, 0, 0],
    step: (w, g, lr, t, s) => {
      const alpha = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
      s[0] += (g - s[0]) * (1 - b1);
      s[1] += (g * g - s[1]) * (1 - b2);
      let v = s[1];
      if (amsgrad) v = s[2] = Math.max(s[2], s[1]);
      return w - s[0] * alpha / (Math.sqrt(v) + eps);
    },
  };
}

export function rmsprop(rho = 0.9, momentum = 0, eps = 1e-7, centered = false): RefOptimizer {
  return {
    slots: [0, 0, 0],
    step: (w, g, lr, _t, s) => {
      s[0] = rho * s[0] + (1 - rho) * g * g;
      let denominator = s[0] + eps;
      if (centered) {
        s[2] = rho * s[2] + (1 - rho) * g;
        denominator = s[0] - s[2] * s[2] + eps;
      }
      const increment = lr * g / Math.sqrt(denominator);
      if (momentum === 0) return w - increment;
      s[1] = momentum * s[1] + increment;
      return w - s[1];
    },
  };
}

export function adagrad(initial = 0.1, eps = 1e-7): RefOptimizer {
  return {
    slots: [initial],
    step: (w, g, lr, _t, s) => {
      s[0] += g * g;
      return w - lr * g / Math.sqrt(s[0] + eps);
    },
  };
}

export function adamax(b1 = 0.9, b2 = 0.999, eps = 1e-7): RefOptimizer {
  return {
    slots: [0, 0],
    step: (w, g, lr, t, s) => {
      s[0] += (g - s[0]) * (1 - b1);
      s[1] = Math.max(b2 * s[1], Math.abs(g));
      return w - lr * s[0] / ((1 - b1 ** t) * (s[1] + eps));
    },
  };
}

/** Nadam as in Dozat's report: μₜ = β₁(1 - ½·0.96ᵗ), with the product of the μ's so far. */
export function nadam(b1 = 0.9, b2 = 0.999, eps = 1e-7): RefOptimizer {
  const mu = (t: number) => b1 * (1 - 0.5 * 0.96 ** t);
  let product = 1;
  return {
    slots: [0, 0],
    before: (t) => {
      product *= mu(t);
    },
    step: (w, g, lr, t, s) => {
      s[0] += (g - s[0]) * (1 - b1);
      s[1] += (g * g - s[1]) * (1 - b2);
      const mHat = mu(t + 1) * s[0] / (1 - product * mu(t + 1)) + (1 - mu(t)) * g / (1 - product);
      const vHat = s[1] / (1 - b2 ** t);
      return w - mHat * lr / (Math.sqrt(vHat) + eps);
    },
  };
}

export function lion(b1 = 0.9, b2 = 0.99): RefOptimizer {
  return {
    slots: [0],
    step: (w, g, lr, _t, s) => {
      const out = w - lr * Math.sign(s[0] * b1 + g * (1 - b1));
      s[0] = s[0] * b2 + g * (1 - b2);
      return out;
    },
  };
}
