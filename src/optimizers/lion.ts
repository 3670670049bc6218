/** Lion, as `keras.optimizers.Lion`. */
import type { Tensor } from "../core/tensor.ts";
import { add, multiply, subtract } from "../ops/binary.ts";
import { sign } from "../ops/unary.ts";
import { checkHyperparameter, fixSettings } from "./_helpers.ts";
import {
  Optimizer,
  type OptimizerOptions,
  type SlotSpec,
  type UpdateContext,
} from "./optimizer.ts";

/** Options of `Lion`. */
export interface LionOptions extends OptimizerOptions {
  /** The weight of the momentum in the step's direction, in (0, 1] (default 0.9). */
  beta1?: number;
  /** Decay of the momentum, in [0, 1] (default 0.99). */
  beta2?: number;
}

/**
 * Lion (Chen et al., evolved sign momentum): `w ← w - lr·sign(β₁·m + (1-β₁)·g)`, then
 * `m ← β₂·m + (1-β₂)·g`, as Keras's. Every element moves by exactly the learning rate, so Lion
 * wants a learning rate 3 to 10 times smaller than Adam's.
 *
 * @example Each element moves by the learning rate
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, optimizers, Variable } from "@gradtape/gradtape";
 * const w = new Variable([1, 1], { dtype: "float64" });
 * new optimizers.Lion({ learningRate: 0.25 }).applyGradients([[constant([3, -1e-3], { dtype: "float64" }), w]]);
 * assert.deepEqual(w.value().toArray(), [0.75, 1.25]);
 * ```
 */
export class Lion extends Optimizer {
  /** The momentum's weight in the direction. */
  readonly beta1: number;
  /** The momentum's decay. */
  readonly beta2: number;

  /**
   * A new optimizer.
   *
   * @param options `learningRate` (default 0.001), `beta1`, `beta2`, and the options of every
   *   optimizer.
   * @example Keras's defaults
   * ```ts
   * import assert from "node:assert/strict";
   * import { optimizers } from "@gradtape/gradtape";
   * const opt = new optimizers.Lion();
   * assert.deepEqual([opt.learningRate, opt.beta1, opt.beta2], [0.001, 0.9, 0.99]);
   * ```
   */
  constructor(options: LionOptions = {}) {
    const op = "Lion";
    super(op, options, ["beta1", "beta2"], 0.001);
    const { beta1 = 0.9, beta2 = 0.99 } = options;
    this.beta1 = checkHyperparameter(op, "beta1", beta1, "in [0, 1]");
    if (this.beta1 === 0) throw new RangeError(`${op}: beta1 must be in (0, 1], not 0`);
    this.beta2 = checkHyperparameter(op, "beta2", beta2, "in [0, 1]");
    fixSettings(this, ["beta1", "beta2"]);
  }

  /**
   * The momentum.
   *
   * @returns The slots.
   */
  protected slotSpecs(): SlotSpec[] {
    return [{ name: "momentum", initial: 0 }];
  }

  /**
   * Keras's Lion step.
   *
   * @param c The variable's gradient, value, learning rate and momentum.
   * @returns The new value.
   */
  protected updateStep(c: UpdateContext): Tensor {
    const { gradient: g, value: w, learningRate: lr, slots: [mv] } = c;
    const { beta1: b1, beta2: b2 } = this;
    const direction = sign(add(multiply(mv.value(), b1), multiply(g, 1 - b1)));
    mv.assign(add(multiply(mv.value(), b2), multiply(g, 1 - b2)));
    return subtract(w, multiply(lr, direction));
  }
}
