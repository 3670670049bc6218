/** The pairs that optimizers' `applyGradients` takes. */
import type { Tensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";

/**
 * A gradient and the variable it updates, as Keras's `apply_gradients` takes them; a `null`
 * gradient (a variable the loss does not depend on) leaves its variable alone.
 *
 * @example Pairs from a tape's gradients
 * ```ts
 * import assert from "node:assert/strict";
 * import { GradientTape, optimizers, Variable } from "@gradtape/gradtape";
 * const w = new Variable(2), b = new Variable(1);
 * const tape = new GradientTape();
 * const loss = tape.record(() => w.square());
 * const [gw, gb] = tape.gradient(loss, [w, b]);
 * const pairs: optimizers.GradientPair[] = [[gw, w], [gb, b]];
 * new optimizers.SGD({ learningRate: 0.25 }).applyGradients(pairs);
 * assert.equal(w.value().item(), 1); // 2 - 0.25·4
 * assert.equal(b.value().item(), 1); // b's gradient is null
 * ```
 */
export type GradientPair = readonly [Tensor | null, Variable];
