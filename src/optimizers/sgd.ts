/** Stochastic gradient descent with optional momentum, as `keras.optimizers.SGD`. */
import { checkPairs, type GradientPair, Slots, update } from "./optimizer.ts";

/** Options of `SGD`. */
export interface SGDOptions {
  /** The step size. */
  learningRate: number;
  /** Momentum in [0, 1) (default 0: plain gradient descent). */
  momentum?: number;
}

/**
 * Gradient descent: `w ← w - lr·g`; with momentum `m`, a velocity `v ← m·v - lr·g`, `w ← w + v`
 * (Keras's update).
 *
 * @example One step
 * ```ts
 * import { GradientTape, optimizers, Variable } from "@gradtape/gradtape";
 * const w = new Variable(3);
 * const opt = new optimizers.SGD({ learningRate: 0.1 });
 * const tape = new GradientTape();
 * const loss = tape.record(() => w.square());
 * opt.applyGradients([[tape.gradient(loss, w), w]]);
 * console.log(w.value().item()); // 2.4000000953674316
 * ```
 */
export class SGD {
  /** The step size. */
  readonly learningRate: number;
  /** The momentum. */
  readonly momentum: number;
  #velocity = new Slots(1);
  #iterations = 0;

  /** A new optimizer. */
  constructor(options: SGDOptions) {
    const { learningRate, momentum = 0 } = options;
    if (!(learningRate > 0)) {
      throw new RangeError(`SGD: learningRate must be positive, got ${learningRate}`);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new RangeError(`SGD: momentum must be in [0, 1), got ${momentum}`);
    }
    this.learningRate = learningRate;
    this.momentum = momentum;
  }

  /** How many times `applyGradients` has run. */
  get iterations(): number {
    return this.#iterations;
  }

  /**
   * Updates each variable by its gradient; a `null` gradient leaves its variable alone.
   *
   * @param pairs `[gradient, variable]` pairs.
   * @example Skipping a null gradient
   * ```ts
   * import { constant, optimizers, Variable } from "@gradtape/gradtape";
   * const a = new Variable(1), b = new Variable(1);
   * new optimizers.SGD({ learningRate: 0.5 }).applyGradients([[constant(2), a], [null, b]]);
   * console.log(a.value().item(), b.value().item()); // 0 1
   * ```
   */
  applyGradients(pairs: readonly GradientPair[]): void {
    checkPairs("SGD.applyGradients", pairs);
    const lr = this.learningRate, m = this.momentum;
    for (const [g, v] of pairs) {
      if (g === null) continue;
      if (m === 0) {
        update(v, g, (w, gv, out) => {
          for (let i = 0; i < w.length; i++) out[i] = w[i] - lr * gv[i];
        });
        continue;
      }
      const [vel] = this.#velocity.of(v);
      update(v, g, (w, gv, out) => {
        for (let i = 0; i < w.length; i++) {
          vel[i] = m * vel[i] - lr * gv[i];
          out[i] = w[i] + vel[i];
        }
      });
    }
    this.#iterations++;
  }
}
