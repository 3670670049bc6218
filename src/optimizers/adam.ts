/** Adam, as `keras.optimizers.Adam`. */
import { checkPairs, type GradientPair, Slots, update } from "./optimizer.ts";

/** Options of `Adam`. */
export interface AdamOptions {
  /** The step size (default 0.001). */
  learningRate?: number;
  /** Decay of the first-moment estimate (default 0.9). */
  beta1?: number;
  /** Decay of the second-moment estimate (default 0.999). */
  beta2?: number;
  /** Added to the denominator for stability (default 1e-7, as Keras). */
  epsilon?: number;
}

/**
 * Adam: moving averages of the gradient and its square, with Keras's bias correction folded
 * into the step: `w ← w - lr·√(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε)`.
 *
 * @example Minimising (w - 2)²
 * ```ts
 * import { GradientTape, optimizers, Variable } from "@gradtape/gradtape";
 * const w = new Variable(0);
 * const opt = new optimizers.Adam({ learningRate: 0.1 });
 * for (let i = 0; i < 200; i++) {
 *   const tape = new GradientTape();
 *   const loss = tape.record(() => w.sub(2).square());
 *   opt.applyGradients([[tape.gradient(loss, w), w]]);
 * }
 * console.log(w.value().item().toFixed(2)); // 2.00
 * ```
 */
export class Adam {
  /** The step size. */
  readonly learningRate: number;
  /** First-moment decay. */
  readonly beta1: number;
  /** Second-moment decay. */
  readonly beta2: number;
  /** Stability constant. */
  readonly epsilon: number;
  #moments = new Slots(2);
  #iterations = 0;

  /** A new optimizer. */
  constructor(options: AdamOptions = {}) {
    const { learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = options;
    if (!(learningRate > 0)) {
      throw new RangeError(`Adam: learningRate must be positive, got ${learningRate}`);
    }
    for (const [name, b] of [["beta1", beta1], ["beta2", beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`Adam: ${name} must be in [0, 1), got ${b}`);
    }
    if (!(epsilon >= 0)) throw new RangeError(`Adam: epsilon must be non-negative, got ${epsilon}`);
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  /** How many times `applyGradients` has run. */
  get iterations(): number {
    return this.#iterations;
  }

  /**
   * Updates each variable by its gradient; a `null` gradient leaves its variable (and its
   * moment estimates) alone.
   *
   * @param pairs `[gradient, variable]` pairs.
   * @example One step
   * ```ts
   * import { constant, optimizers, Variable } from "@gradtape/gradtape";
   * const w = new Variable(1);
   * new optimizers.Adam({ learningRate: 0.1 }).applyGradients([[constant(5), w]]);
   * console.log(w.value().item().toFixed(3)); // 0.900
   * ```
   */
  applyGradients(pairs: readonly GradientPair[]): void {
    checkPairs("Adam.applyGradients", pairs);
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = this;
    // Bias correction counts the optimizer's steps, as Keras does.
    const t = this.#iterations + 1;
    const alpha = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
    for (const [g, v] of pairs) {
      if (g === null) continue;
      const [m, s] = this.#moments.of(v);
      update(v, g, (w, gv, out) => {
        for (let i = 0; i < w.length; i++) {
          m[i] = b1 * m[i] + (1 - b1) * gv[i];
          s[i] = b2 * s[i] + (1 - b2) * gv[i] * gv[i];
          out[i] = w[i] - alpha * m[i] / (Math.sqrt(s[i]) + eps);
        }
      });
    }
    this.#iterations++;
  }
}
