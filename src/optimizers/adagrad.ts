/** Adagrad, as `keras.optimizers.Adagrad`. */
import type { Tensor } from "../core/tensor.ts";
import { add, divide, multiply, subtract } from "../ops/binary.ts";
import { sqrt, square } from "../ops/unary.ts";
import { checkHyperparameter, fixSettings } from "./_helpers.ts";
import {
  Optimizer,
  type OptimizerOptions,
  type SlotSpec,
  type UpdateContext,
} from "./optimizer.ts";

/** Options of `Adagrad`. */
export interface AdagradOptions extends OptimizerOptions {
  /** The accumulators' starting value (default 0.1). */
  initialAccumulatorValue?: number;
  /** Added under the square root for stability (default 1e-7). */
  epsilon?: number;
}

/**
 * Adagrad: each element's step shrinks with the sum of its squared gradients,
 * `a ← a + g²`, `w ← w - lr·g / √(a + ε)`, as Keras's.
 *
 * @example One step
 * ```ts
 * import { constant, optimizers, Variable } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const w = new Variable(1, { dtype: "float64" });
 * const opt = new optimizers.Adagrad({ learningRate: 0.1, initialAccumulatorValue: 0, epsilon: 0 });
 * opt.applyGradients([[constant(3, { dtype: "float64" }), w]]);
 * assertAllClose(w.value(), 0.9); // 1 - 0.1·3/√9
 * ```
 */
export class Adagrad extends Optimizer {
  /** The accumulators' starting value. */
  readonly initialAccumulatorValue: number;
  /** Stability constant. */
  readonly epsilon: number;

  /**
   * A new optimizer.
   *
   * @param options `learningRate` (default 0.001), `initialAccumulatorValue`, `epsilon`, and the
   *   options of every optimizer.
   * @example Keras's defaults
   * ```ts
   * import assert from "node:assert/strict";
   * import { optimizers } from "@gradtape/gradtape";
   * const opt = new optimizers.Adagrad();
   * assert.deepEqual([opt.learningRate, opt.initialAccumulatorValue, opt.epsilon], [0.001, 0.1, 1e-7]);
   * ```
   */
  constructor(options: AdagradOptions = {}) {
    const op = "Adagrad";
    super(op, options, ["initialAccumulatorValue", "epsilon"], 0.001);
    const { initialAccumulatorValue = 0.1, epsilon = 1e-7 } = options;
    this.initialAccumulatorValue = checkHyperparameter(
      op,
      "initialAccumulatorValue",
      initialAccumulatorValue,
      "non-negative",
    );
    this.epsilon = checkHyperparameter(op, "epsilon", epsilon, "non-negative");
    fixSettings(this, ["initialAccumulatorValue", "epsilon"]);
  }

  /**
   * The sum of squared gradients.
   *
   * @returns The slots.
   */
  protected slotSpecs(): SlotSpec[] {
    return [{ name: "accumulator", initial: this.initialAccumulatorValue }];
  }

  /**
   * Keras's Adagrad step.
   *
   * @param c The variable's gradient, value, learning rate and accumulator.
   * @returns The new value.
   */
  protected updateStep(c: UpdateContext): Tensor {
    const { gradient: g, value: w, learningRate: lr, slots: [av] } = c;
    const a = add(av.value(), square(g));
    av.assign(a);
    return subtract(w, divide(multiply(lr, g), sqrt(add(a, this.epsilon))));
  }
}
