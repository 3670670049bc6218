/** Adamax, as `keras.optimizers.Adamax`. */
import type { Tensor } from "../core/tensor.ts";
import { add, divide, maximum, multiply, pow, subtract } from "../ops/binary.ts";
import { abs } from "../ops/unary.ts";
import { checkHyperparameter, fixSettings } from "./_helpers.ts";
import {
  Optimizer,
  type OptimizerOptions,
  type SlotSpec,
  type UpdateContext,
} from "./optimizer.ts";

/** Options of `Adamax`. */
export interface AdamaxOptions extends OptimizerOptions {
  /** Decay of the first-moment estimate, in [0, 1) (default 0.9). */
  beta1?: number;
  /** Decay of the infinity norm, in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to the denominator for stability (default 1e-7). */
  epsilon?: number;
}

/**
 * Adamax, Adam with the infinity norm: `m ← m + (g - m)(1-β₁)`, `u ← max(β₂·u, |g|)`,
 * `w ← w - lr·m / ((1-β₁ᵗ)(u + ε))`, as Keras's.
 *
 * @example The first step moves by the learning rate
 * ```ts
 * import { constant, optimizers, Variable } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const w = new Variable(1, { dtype: "float64" });
 * new optimizers.Adamax({ learningRate: 0.1 }).applyGradients([[constant(-5, { dtype: "float64" }), w]]);
 * assertAllClose(w.value(), 1.1);
 * ```
 */
export class Adamax extends Optimizer {
  /** First-moment decay. */
  readonly beta1: number;
  /** Infinity-norm decay. */
  readonly beta2: number;
  /** Stability constant. */
  readonly epsilon: number;

  /**
   * A new optimizer.
   *
   * @param options `learningRate` (default 0.001), `beta1`, `beta2`, `epsilon`, and the options
   *   of every optimizer.
   * @example Keras's defaults
   * ```ts
   * import assert from "node:assert/strict";
   * import { optimizers } from "@gradtape/gradtape";
   * const opt = new optimizers.Adamax();
   * assert.deepEqual([opt.learningRate, opt.beta1, opt.beta2, opt.epsilon], [0.001, 0.9, 0.999, 1e-7]);
   * ```
   */
  constructor(options: AdamaxOptions = {}) {
    const op = "Adamax";
    super(op, options, ["beta1", "beta2", "epsilon"], 0.001);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = options;
    this.beta1 = checkHyperparameter(op, "beta1", beta1, "in [0, 1)");
    this.beta2 = checkHyperparameter(op, "beta2", beta2, "in [0, 1)");
    this.epsilon = checkHyperparameter(op, "epsilon", epsilon, "non-negative");
    fixSettings(this, ["beta1", "beta2", "epsilon"]);
  }

  /**
   * The first moment and the infinity norm.
   *
   * @returns The slots.
   */
  protected slotSpecs(): SlotSpec[] {
    return [{ name: "m", initial: 0 }, { name: "u", initial: 0 }];
  }

  /**
   * Keras's Adamax step.
   *
   * @param c The variable's gradient, value, learning rate, step and slots.
   * @returns The new value.
   */
  protected updateStep(c: UpdateContext): Tensor {
    const { gradient: g, value: w, learningRate: lr, step: t, slots: [mv, uv] } = c;
    const m = add(mv.value(), multiply(subtract(g, mv.value()), 1 - this.beta1));
    const u = maximum(multiply(this.beta2, uv.value()), abs(g));
    mv.assign(m);
    uv.assign(u);
    const denominator = multiply(subtract(1, pow(this.beta1, t)), add(u, this.epsilon));
    return subtract(w, divide(multiply(lr, m), denominator));
  }
}
