/** Stochastic gradient descent with optional (Nesterov) momentum, as `keras.optimizers.SGD`. */
import { checkBoolean } from "../core/check.ts";
import type { Tensor } from "../core/tensor.ts";
import { add, multiply, subtract } from "../ops/binary.ts";
import { negative } from "../ops/unary.ts";
import { checkHyperparameter, fixSettings } from "./_helpers.ts";
import {
  type LearningRate,
  Optimizer,
  type OptimizerOptions,
  type SlotSpec,
  type UpdateContext,
} from "./optimizer.ts";

/** Options of `SGD`. */
export interface SGDOptions extends OptimizerOptions {
  /** The step size (required; Keras's default is 0.01). */
  learningRate: LearningRate;
  /** Momentum in [0, 1] (default 0: plain gradient descent). */
  momentum?: number;
  /** Nesterov momentum: step along the velocity updated once more (default false). */
  nesterov?: boolean;
}

/**
 * Gradient descent: `w ← w - lr·g`; with momentum `μ`, a velocity `m ← μ·m - lr·g` and
 * `w ← w + m`, or with `nesterov` `w ← w + μ·m - lr·g` (Keras's update).
 *
 * @example One step on (w)², from w = 3
 * ```ts
 * import assert from "node:assert/strict";
 * import { GradientTape, optimizers, Variable } from "@gradtape/gradtape";
 * const w = new Variable(3);
 * const opt = new optimizers.SGD({ learningRate: 0.1 });
 * const tape = new GradientTape();
 * const loss = tape.record(() => w.square());
 * opt.applyGradients([[tape.gradient(loss, w), w]]);
 * assert.equal(w.value().item(), Math.fround(2.4)); // 3 - 0.1·6, in float32
 * assert.equal(opt.iterations, 1);
 * ```
 */
export class SGD extends Optimizer {
  /** The momentum. */
  readonly momentum: number;
  /** Whether the momentum is Nesterov's. */
  readonly nesterov: boolean;

  /**
   * A new optimizer.
   *
   * @param options `learningRate` (required), `momentum`, `nesterov`, and the options of every
   *   optimizer (`weightDecay`, `clipNorm`, `clipValue`, `globalClipNorm`).
   * @example With momentum
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, optimizers, Variable } from "@gradtape/gradtape";
   * const w = new Variable(1, { dtype: "float64" });
   * const opt = new optimizers.SGD({ learningRate: 0.1, momentum: 0.5 });
   * const g = constant(1, { dtype: "float64" });
   * opt.applyGradients([[g, w]]); // velocity -0.1
   * opt.applyGradients([[g, w]]); // velocity 0.5·(-0.1) - 0.1 = -0.15
   * assert.equal(w.value().item(), 0.75); // 1 - 0.1 - 0.15
   * ```
   */
  constructor(options: SGDOptions) {
    super("SGD", options, ["momentum", "nesterov"], undefined);
    const { momentum = 0, nesterov = false } = options;
    this.momentum = checkHyperparameter("SGD", "momentum", momentum, "in [0, 1]");
    checkBoolean("SGD", "nesterov", nesterov);
    this.nesterov = nesterov;
    fixSettings(this, ["momentum", "nesterov"]);
  }

  /**
   * A velocity per variable when there is momentum.
   *
   * @returns The slots.
   */
  protected slotSpecs(): SlotSpec[] {
    return this.momentum === 0 ? [] : [{ name: "momentum", initial: 0 }];
  }

  /**
   * Keras's SGD step.
   *
   * @param c The variable's gradient, value, learning rate and velocity.
   * @returns The new value.
   */
  protected updateStep(c: UpdateContext): Tensor {
    const { gradient: g, value: w, learningRate: lr } = c;
    if (this.momentum === 0) return subtract(w, multiply(g, lr));
    const [m] = c.slots;
    const descent = multiply(negative(g), lr);
    const velocity = add(descent, multiply(m.value(), this.momentum));
    m.assign(velocity);
    return this.nesterov
      ? add(w, add(descent, multiply(velocity, this.momentum)))
      : add(w, velocity);
  }
}
