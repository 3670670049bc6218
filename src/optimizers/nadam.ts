/** Nadam, as `keras.optimizers.Nadam`. */
import type { Tensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import { add, divide, multiply, pow, subtract } from "../ops/binary.ts";
import { sqrt, square } from "../ops/unary.ts";
import { checkHyperparameter, fixSettings } from "./_helpers.ts";
import {
  Optimizer,
  type OptimizerOptions,
  type SlotSpec,
  type UpdateContext,
} from "./optimizer.ts";

/** Options of `Nadam`. */
export interface NadamOptions extends OptimizerOptions {
  /** Decay of the first-moment estimate, in [0, 1) (default 0.9). */
  beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to the denominator for stability (default 1e-7). */
  epsilon?: number;
}

// Dozat's momentum schedule: μₜ = β₁(1 - ½·0.96ᵗ).
function mu(beta1: number, t: Tensor | number): Tensor {
  return multiply(beta1, subtract(1, multiply(0.5, pow(0.96, t))));
}

/**
 * Nadam, Adam with Nesterov momentum (Dozat): with `μₜ = β₁(1 - ½·0.96ᵗ)` and `Πₜ` their
 * product so far, `m̂ = μₜ₊₁·m/(1 - Πₜ·μₜ₊₁) + (1-μₜ)·g/(1 - Πₜ)`, `v̂ = v/(1-β₂ᵗ)` and
 * `w ← w - lr·m̂/(√v̂ + ε)`, as Keras's.
 *
 * @example Minimising (w - 2)²
 * ```ts
 * import { optimizers, Variable } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const w = new Variable(0);
 * const opt = new optimizers.Nadam({ learningRate: 0.1 });
 * for (let i = 0; i < 300; i++) opt.minimize(() => w.sub(2).square(), [w]);
 * assertAllClose(w.value(), 2, { atol: 1e-2 });
 * ```
 */
export class Nadam extends Optimizer {
  /** First-moment decay. */
  readonly beta1: number;
  /** Second-moment decay. */
  readonly beta2: number;
  /** Stability constant. */
  readonly epsilon: number;
  // Π μᵢ over the steps so far.
  #uProduct: Variable;

  /**
   * A new optimizer.
   *
   * @param options `learningRate` (default 0.001), `beta1`, `beta2`, `epsilon`, and the options
   *   of every optimizer.
   * @example Keras's defaults
   * ```ts
   * import assert from "node:assert/strict";
   * import { optimizers } from "@gradtape/gradtape";
   * const opt = new optimizers.Nadam();
   * assert.deepEqual([opt.learningRate, opt.beta1, opt.beta2, opt.epsilon], [0.001, 0.9, 0.999, 1e-7]);
   * ```
   */
  constructor(options: NadamOptions = {}) {
    const op = "Nadam";
    super(op, options, ["beta1", "beta2", "epsilon"], 0.001);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = options;
    this.beta1 = checkHyperparameter(op, "beta1", beta1, "in [0, 1)");
    this.beta2 = checkHyperparameter(op, "beta2", beta2, "in [0, 1)");
    this.epsilon = checkHyperparameter(op, "epsilon", epsilon, "non-negative");
    this.#uProduct = this.addStateVariable("uProduct", 1);
    fixSettings(this, ["beta1", "beta2", "epsilon"]);
  }

  /**
   * The moment estimates.
   *
   * @returns The slots.
   */
  protected slotSpecs(): SlotSpec[] {
    return [{ name: "momentum", initial: 0 }, { name: "velocity", initial: 0 }];
  }

  /**
   * Multiplies the running product by this step's `μₜ`, once per step.
   *
   * @param step The step's number, from 1.
   */
  protected override beforeUpdates(step: Tensor): void {
    this.#uProduct.assign(multiply(this.#uProduct.value(), mu(this.beta1, step)));
  }

  /**
   * Keras's Nadam step.
   *
   * @param c The variable's gradient, value, learning rate, step and moments.
   * @returns The new value.
   */
  protected updateStep(c: UpdateContext): Tensor {
    const { gradient: g, value: w, learningRate: lr, step: t, slots: [mv, vv] } = c;
    const { beta1: b1, beta2: b2 } = this;
    const uT = mu(b1, t), uNext = mu(b1, add(t, 1));
    const product = this.#uProduct.value(), productNext = multiply(product, uNext);
    const m = add(mv.value(), multiply(subtract(g, mv.value()), 1 - b1));
    const v = add(vv.value(), multiply(subtract(square(g), vv.value()), 1 - b2));
    mv.assign(m);
    vv.assign(v);
    const mHat = add(
      divide(multiply(uNext, m), subtract(1, productNext)),
      divide(multiply(subtract(1, uT), g), subtract(1, product)),
    );
    const vHat = divide(v, subtract(1, pow(b2, t)));
    return subtract(w, divide(multiply(mHat, lr), add(sqrt(vHat), this.epsilon)));
  }
}
