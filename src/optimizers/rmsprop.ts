/** RMSprop, as `keras.optimizers.RMSprop`. */
import { checkBoolean } from "../core/check.ts";
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

/** Options of `RMSprop`. */
export interface RMSpropOptions extends OptimizerOptions {
  /** Decay of the moving average of squared gradients, in [0, 1) (default 0.9). */
  rho?: number;
  /** Momentum in [0, 1] (default 0). */
  momentum?: number;
  /** Added under the square root for stability (default 1e-7). */
  epsilon?: number;
  /** Divide by the gradient's estimated variance rather than its second moment (default false). */
  centered?: boolean;
}

/**
 * RMSprop: `v ← ρ·v + (1-ρ)·g²` and the step `lr·g / √(v + ε)` (centered:
 * `lr·g / √(v - ḡ² + ε)` with `ḡ ← ρ·ḡ + (1-ρ)·g`), taken directly or, with momentum `μ`,
 * through `m ← μ·m + step`, as Keras's.
 *
 * @example One step: about lr / √(1-ρ) against the gradient's sign
 * ```ts
 * import { constant, optimizers, Variable } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const w = new Variable(1, { dtype: "float64" });
 * new optimizers.RMSprop({ learningRate: 0.01 }).applyGradients([[constant(4, { dtype: "float64" }), w]]);
 * assertAllClose(w.value(), 1 - 0.01 / Math.sqrt(0.1), { rtol: 1e-6 });
 * ```
 */
export class RMSprop extends Optimizer {
  /** Decay of the average of squares. */
  readonly rho: number;
  /** The momentum. */
  readonly momentum: number;
  /** Stability constant. */
  readonly epsilon: number;
  /** Whether the second moment is centered. */
  readonly centered: boolean;

  /**
   * A new optimizer.
   *
   * @param options `learningRate` (default 0.001), `rho`, `momentum`, `epsilon`, `centered`, and
   *   the options of every optimizer.
   * @example Keras's defaults
   * ```ts
   * import assert from "node:assert/strict";
   * import { optimizers } from "@gradtape/gradtape";
   * const opt = new optimizers.RMSprop();
   * assert.deepEqual([opt.learningRate, opt.rho, opt.momentum, opt.epsilon], [0.001, 0.9, 0, 1e-7]);
   * ```
   */
  constructor(options: RMSpropOptions = {}) {
    const op = "RMSprop";
    super(op, options, ["rho", "momentum", "epsilon", "centered"], 0.001);
    const { rho = 0.9, momentum = 0, epsilon = 1e-7, centered = false } = options;
    this.rho = checkHyperparameter(op, "rho", rho, "in [0, 1)");
    this.momentum = checkHyperparameter(op, "momentum", momentum, "in [0, 1]");
    this.epsilon = checkHyperparameter(op, "epsilon", epsilon, "non-negative");
    checkBoolean(op, "centered", centered);
    this.centered = centered;
    fixSettings(this, ["rho", "momentum", "epsilon", "centered"]);
  }

  /**
   * The average of squares, and the momentum and average gradient when used.
   *
   * @returns The slots.
   */
  protected slotSpecs(): SlotSpec[] {
    const slots = [{ name: "velocity", initial: 0 }];
    if (this.momentum > 0) slots.push({ name: "momentum", initial: 0 });
    if (this.centered) slots.push({ name: "averageGradient", initial: 0 });
    return slots;
  }

  /**
   * Keras's RMSprop step.
   *
   * @param c The variable's gradient, value, learning rate and slots.
   * @returns The new value.
   */
  protected updateStep(c: UpdateContext): Tensor {
    const { gradient: g, value: w, learningRate: lr, slots } = c;
    const { rho, epsilon } = this;
    const [vv] = slots;
    const v = add(multiply(rho, vv.value()), multiply(1 - rho, square(g)));
    vv.assign(v);
    let denominator = add(v, epsilon);
    if (this.centered) {
      const av = slots[slots.length - 1];
      const avg = add(multiply(rho, av.value()), multiply(1 - rho, g));
      av.assign(avg);
      denominator = add(subtract(v, square(avg)), epsilon);
    }
    const increment = divide(multiply(lr, g), sqrt(denominator));
    if (this.momentum === 0) return subtract(w, increment);
    const mv = slots[1];
    const m = add(multiply(this.momentum, mv.value()), increment);
    mv.assign(m);
    return subtract(w, m);
  }
}
