/** Adam, as `keras.optimizers.Adam`. */
import { checkOptions } from "../core/check.ts";
import type { GradientPair } from "./gradient_pair.ts";
import {
  checkHyperparameter,
  checkPairs,
  counter,
  Slots,
  stateOf,
  tracing,
  update,
} from "./optimizer.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import { add, divide, multiply, pow, subtract } from "../ops/binary.ts";
import { cast } from "../ops/cast.ts";
import { sqrt } from "../ops/unary.ts";

/** Options of `Adam`. */
export interface AdamOptions {
  /** The step size (default 0.001). */
  learningRate?: number;
  /** Decay of the first-moment estimate, in [0, 1) (default 0.9). */
  beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to the denominator for stability (default 1e-7, as Keras). */
  epsilon?: number;
}

const OPTIONS = ["learningRate", "beta1", "beta2", "epsilon"];

/**
 * Adam: moving averages of the gradient and its square, with Keras's bias correction folded
 * into the step: `w ← w - lr·√(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε)`.
 *
 * @example Minimising (w - 2)²
 * ```ts
 * import { GradientTape, optimizers, Variable } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const w = new Variable(0);
 * const opt = new optimizers.Adam({ learningRate: 0.1 });
 * for (let i = 0; i < 200; i++) {
 *   const tape = new GradientTape();
 *   const loss = tape.record(() => w.sub(2).square());
 *   opt.applyGradients([[tape.gradient(loss, w), w]]);
 * }
 * assertAllClose(w.value(), 2, { atol: 5e-3 });
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
  #iterations = counter();

  /**
   * A new optimizer.
   *
   * @param options `learningRate`, `beta1`, `beta2` and `epsilon`, each optional.
   * @example Keras's defaults
   * ```ts
   * import assert from "node:assert/strict";
   * import { optimizers } from "@gradtape/gradtape";
   * const opt = new optimizers.Adam();
   * assert.deepEqual([opt.learningRate, opt.beta1, opt.beta2, opt.epsilon], [0.001, 0.9, 0.999, 1e-7]);
   * ```
   */
  constructor(options: AdamOptions = {}) {
    checkOptions("Adam", options, OPTIONS);
    const { learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = options;
    this.learningRate = checkHyperparameter("Adam", "learningRate", learningRate, "non-negative");
    this.beta1 = checkHyperparameter("Adam", "beta1", beta1, "in [0, 1)");
    this.beta2 = checkHyperparameter("Adam", "beta2", beta2, "in [0, 1)");
    this.epsilon = checkHyperparameter("Adam", "epsilon", epsilon, "non-negative");
  }

  /** How many times `applyGradients` has run. */
  get iterations(): number {
    return stateOf(this.#iterations)[0];
  }

  /**
   * Updates each variable by its gradient; a `null` gradient leaves its variable (and its
   * moment estimates) alone. Every pair is checked first: a refused call changes no variable,
   * no moment estimate and not `iterations`.
   *
   * @param pairs `[gradient, variable]` pairs.
   * @example One step: the first moves each weight by about the learning rate
   * ```ts
   * import { constant, optimizers, Variable } from "@gradtape/gradtape";
   * import { assertAllClose } from "@gradtape/gradtape/testing";
   * const w = new Variable(1);
   * new optimizers.Adam({ learningRate: 0.1 }).applyGradients([[constant(5), w]]);
   * assertAllClose(w.value(), 0.9);
   * ```
   */
  applyGradients(pairs: readonly GradientPair[]): void {
    const checked = checkPairs("Adam.applyGradients", pairs);
    if (tracing(checked)) this.#traced(checked);
    else this.#eager(checked);
    this.#iterations.assignAdd(1);
  }

  #eager(pairs: readonly [Tensor, Variable][]): void {
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = this;
    // Bias correction counts the optimizer's steps, as Keras does.
    const t = this.iterations + 1;
    const alpha = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
    for (const [g, v] of pairs) {
      const [m, s] = this.#moments.of(v).map(stateOf);
      update(v, g, (w, gv, out) => {
        for (let i = 0; i < w.length; i++) {
          m[i] = b1 * m[i] + (1 - b1) * gv[i];
          s[i] = b2 * s[i] + (1 - b2) * gv[i] * gv[i];
          out[i] = w[i] - alpha * m[i] / (Math.sqrt(s[i]) + eps);
        }
      });
    }
  }

  // Inside jit: the same update in ops, in float64 as the loops compute it, with the step count
  // read from its variable.
  #traced(pairs: readonly [Tensor, Variable][]): void {
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = this;
    const t = add(this.#iterations.value(), 1);
    const alpha = divide(
      multiply(lr, sqrt(subtract(1, pow(b2, t)))),
      subtract(1, pow(b1, t)),
    );
    for (const [g, v] of pairs) {
      const [mv, sv] = this.#moments.of(v);
      const g64 = cast(g, "float64");
      const m = add(multiply(b1, mv.value()), multiply(1 - b1, g64));
      const s = add(multiply(b2, sv.value()), multiply(multiply(1 - b2, g64), g64));
      const step = divide(multiply(alpha, m), add(sqrt(s), eps));
      mv.assign(m);
      sv.assign(s);
      v.assign(cast(subtract(cast(v.value(), "float64"), step), v.dtype));
    }
  }
}
