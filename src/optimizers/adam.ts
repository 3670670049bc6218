/** Adam and AdamW, as `keras.optimizers.Adam` and `keras.optimizers.AdamW`. */
import { checkBoolean } from "../core/check.ts";
import type { Tensor } from "../core/tensor.ts";
import { add, divide, maximum, multiply, pow, subtract } from "../ops/binary.ts";
import { sqrt, square } from "../ops/unary.ts";
import { checkHyperparameter, fixSettings } from "./_helpers.ts";
import {
  Optimizer,
  type OptimizerOptions,
  type SlotSpec,
  type UpdateContext,
} from "./optimizer.ts";

/** Options of `Adam`. */
export interface AdamOptions extends OptimizerOptions {
  /** Decay of the first-moment estimate, in [0, 1) (default 0.9). */
  beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to the denominator for stability (default 1e-7, as Keras). */
  epsilon?: number;
  /** AMSGrad: divide by the largest second-moment estimate so far (default false). */
  amsgrad?: boolean;
}

const OPTIONS = ["beta1", "beta2", "epsilon", "amsgrad"];

// The name AdamW's constructor gives the one it extends, for errors.
let subclassName: string | undefined;

/**
 * Adam: moving averages of the gradient and its square, with Keras's bias correction folded
 * into the step: `m ← m + (g - m)(1-β₁)`, `v ← v + (g² - v)(1-β₂)`,
 * `w ← w - lr·√(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε)` (with `amsgrad`, `v` is the largest so far).
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
export class Adam extends Optimizer {
  /** First-moment decay. */
  readonly beta1: number;
  /** Second-moment decay. */
  readonly beta2: number;
  /** Stability constant. */
  readonly epsilon: number;
  /** Whether this is AMSGrad. */
  readonly amsgrad: boolean;

  /**
   * A new optimizer.
   *
   * @param options `learningRate`, `beta1`, `beta2`, `epsilon`, `amsgrad`, and the options of
   *   every optimizer (`weightDecay`, `clipNorm`, `clipValue`, `globalClipNorm`), each optional.
   * @example Keras's defaults
   * ```ts
   * import assert from "node:assert/strict";
   * import { optimizers } from "@gradtape/gradtape";
   * const opt = new optimizers.Adam();
   * assert.deepEqual([opt.learningRate, opt.beta1, opt.beta2, opt.epsilon], [0.001, 0.9, 0.999, 1e-7]);
   * ```
   */
  constructor(options: AdamOptions = {}) {
    const op = subclassName ?? "Adam";
    subclassName = undefined;
    super(op, options, OPTIONS, 0.001);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, amsgrad = false } = options ?? {};
    this.beta1 = checkHyperparameter(op, "beta1", beta1, "in [0, 1)");
    this.beta2 = checkHyperparameter(op, "beta2", beta2, "in [0, 1)");
    this.epsilon = checkHyperparameter(op, "epsilon", epsilon, "non-negative");
    checkBoolean(op, "amsgrad", amsgrad);
    this.amsgrad = amsgrad;
    fixSettings(this, ["beta1", "beta2", "epsilon", "amsgrad"]);
  }

  /**
   * The moment estimates (and AMSGrad's largest second moment).
   *
   * @returns The slots.
   */
  protected slotSpecs(): SlotSpec[] {
    const slots = [{ name: "momentum", initial: 0 }, { name: "velocity", initial: 0 }];
    return this.amsgrad ? [...slots, { name: "velocityHat", initial: 0 }] : slots;
  }

  /**
   * Keras's Adam step.
   *
   * @param c The variable's gradient, value, learning rate, step and moments.
   * @returns The new value.
   */
  protected updateStep(c: UpdateContext): Tensor {
    const { gradient: g, value: w, learningRate: lr, step: t, slots } = c;
    const { beta1: b1, beta2: b2 } = this;
    const alpha = divide(
      multiply(lr, sqrt(subtract(1, pow(b2, t)))),
      subtract(1, pow(b1, t)),
    );
    const [mv, vv, vHat] = slots;
    const m = add(mv.value(), multiply(subtract(g, mv.value()), 1 - b1));
    let v = add(vv.value(), multiply(subtract(square(g), vv.value()), 1 - b2));
    mv.assign(m);
    vv.assign(v);
    if (this.amsgrad) {
      v = maximum(vHat.value(), v);
      vHat.assign(v);
    }
    return subtract(w, divide(multiply(m, alpha), add(sqrt(v), this.epsilon)));
  }
}

/** Options of `AdamW`: Adam's, with `weightDecay` 0.004 by default. */
export type AdamWOptions = AdamOptions;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): each step first takes
 * `lr · weightDecay` of each variable away, then takes Adam's step; `weightDecay` is 0.004
 * unless given, as Keras's.
 *
 * @example Weight decay alone shrinks a weight with a zero gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, optimizers, Variable } from "@gradtape/gradtape";
 * const w = new Variable(2, { dtype: "float64" });
 * const opt = new optimizers.AdamW({ learningRate: 0.1, weightDecay: 0.5 });
 * opt.applyGradients([[constant(0, { dtype: "float64" }), w]]);
 * assert.equal(w.item(), 1.9); // 2 - 2·0.5·0.1
 * ```
 */
export class AdamW extends Adam {
  /**
   * A new optimizer.
   *
   * @param options Adam's options, `weightDecay` (default 0.004) among them.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { optimizers } from "@gradtape/gradtape";
   * assert.equal(new optimizers.AdamW().weightDecay, 0.004);
   * ```
   */
  constructor(options: AdamWOptions = {}) {
    subclassName = "AdamW";
    const given = options !== null && typeof options === "object" ? options : undefined;
    super(given === undefined ? options : { ...given, weightDecay: given.weightDecay ?? 0.004 });
  }
}
