/** Stochastic gradient descent with optional momentum, as `keras.optimizers.SGD`. */
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
import { add, multiply, subtract } from "../ops/binary.ts";
import { cast } from "../ops/cast.ts";

/** Options of `SGD`. */
export interface SGDOptions {
  /** The step size (required; Keras's default is 0.01). */
  learningRate: number;
  /** Momentum in [0, 1] (default 0: plain gradient descent). */
  momentum?: number;
}

const OPTIONS = ["learningRate", "momentum"];

/**
 * Gradient descent: `w ← w - lr·g`; with momentum `m`, a velocity `v ← m·v - lr·g`, `w ← w + v`
 * (Keras's update).
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
export class SGD {
  /** The step size. */
  readonly learningRate: number;
  /** The momentum. */
  readonly momentum: number;
  #velocity = new Slots(1);
  #iterations = counter();

  /**
   * A new optimizer.
   *
   * @param options `learningRate` (required) and `momentum`.
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
    checkOptions("SGD", options, OPTIONS);
    if (options?.learningRate === undefined) {
      throw new TypeError(
        "SGD: learningRate is required: new optimizers.SGD({ learningRate: 0.01 })",
      );
    }
    const { learningRate, momentum = 0 } = options;
    this.learningRate = checkHyperparameter("SGD", "learningRate", learningRate, "non-negative");
    this.momentum = checkHyperparameter("SGD", "momentum", momentum, "in [0, 1]");
  }

  /** How many times `applyGradients` has run. */
  get iterations(): number {
    return stateOf(this.#iterations)[0];
  }

  /**
   * Updates each variable by its gradient; a `null` gradient leaves its variable alone. Every
   * pair is checked first: a refused call changes no variable and no state.
   *
   * @param pairs `[gradient, variable]` pairs.
   * @example Skipping a null gradient
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, optimizers, Variable } from "@gradtape/gradtape";
   * const a = new Variable(1), b = new Variable(1);
   * new optimizers.SGD({ learningRate: 0.5 }).applyGradients([[constant(2), a], [null, b]]);
   * assert.equal(a.value().item(), 0);
   * assert.equal(b.value().item(), 1);
   * ```
   */
  applyGradients(pairs: readonly GradientPair[]): void {
    const checked = checkPairs("SGD.applyGradients", pairs);
    if (tracing(checked)) this.#traced(checked);
    else this.#eager(checked);
    this.#iterations.assignAdd(1);
  }

  #eager(pairs: readonly [Tensor, Variable][]): void {
    const lr = this.learningRate, m = this.momentum;
    for (const [g, v] of pairs) {
      if (m === 0) {
        update(v, g, (w, gv, out) => {
          for (let i = 0; i < w.length; i++) out[i] = w[i] - lr * gv[i];
        });
        continue;
      }
      const vel = stateOf(this.#velocity.of(v)[0]);
      update(v, g, (w, gv, out) => {
        for (let i = 0; i < w.length; i++) {
          vel[i] = m * vel[i] - lr * gv[i];
          out[i] = w[i] + vel[i];
        }
      });
    }
  }

  // Inside jit: the same update in ops, in float64 as the loops compute it.
  #traced(pairs: readonly [Tensor, Variable][]): void {
    const lr = this.learningRate, m = this.momentum;
    for (const [g, v] of pairs) {
      const g64 = cast(g, "float64"), w64 = cast(v.value(), "float64");
      if (m === 0) {
        v.assign(cast(subtract(w64, multiply(lr, g64)), v.dtype));
        continue;
      }
      const [velocity] = this.#velocity.of(v);
      const vel = subtract(multiply(m, velocity.value()), multiply(lr, g64));
      velocity.assign(vel);
      v.assign(cast(add(w64, vel), v.dtype));
    }
  }
}
