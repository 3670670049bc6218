/**
 * How an object that keeps its variables out of sight (in `#private` fields, or in a `WeakMap`
 * keyed by the variables it updates, as an optimizer's slots) shows them to checkpoints. This
 * file imports nothing, so that any part of the library can implement it.
 */
import type { Variable } from "../core/variable.ts";

/**
 * The method by which an object gives checkpoints its state: `Checkpoint` and `toSafetensors`
 * call `obj[checkpointState]()` instead of walking the object's own fields, and name what it
 * returns by its paths (`optimizer/iterations`). A `Map` keyed by variables names each entry
 * by the path of its key elsewhere in the checkpoint, as TensorFlow names an optimizer's slot
 * variables by the variable they belong to: `optimizer/m/model/dense/kernel`.
 *
 * @example An optimizer-like object with a step count and one slot per variable
 * ```ts
 * import assert from "node:assert/strict";
 * import { Checkpoint, io, Variable } from "@gradtape/gradtape";
 * class Momentum {
 *   #step = new Variable(0, { dtype: "int32", trainable: false });
 *   #velocity = new Map<Variable, Variable>();
 *   velocityOf(v: Variable): Variable {
 *     if (!this.#velocity.has(v)) this.#velocity.set(v, new Variable(0, { trainable: false }));
 *     return this.#velocity.get(v)!;
 *   }
 *   [io.checkpointState](): io.CheckpointState {
 *     return { step: this.#step, velocity: this.#velocity };
 *   }
 * }
 * const model = { w: new Variable(1) };
 * const opt = new Momentum();
 * opt.velocityOf(model.w).assign(0.5);
 * const saved = io.fromSafetensors(new Checkpoint({ model, opt }).save());
 * assert.deepEqual(Object.keys(saved).sort(), ["model/w", "opt/step", "opt/velocity/model/w"]);
 * ```
 */
export const checkpointState: unique symbol = Symbol.for("gradtape.checkpointState");

/**
 * What `[checkpointState]()` returns: variables in arrays, records and `Map`s, as deep as you
 * like. A `Map`'s keys are names (strings or numbers) or variables (see `checkpointState`).
 */
export type CheckpointState =
  | Variable
  | null
  | undefined
  | readonly CheckpointState[]
  | { readonly [key: string]: CheckpointState }
  | ReadonlyMap<Variable | string | number, CheckpointState>;

/** An object that gives checkpoints its state through `checkpointState`. */
export interface Checkpointable {
  /** The object's variables, to be saved and restored under its path. */
  [checkpointState](): CheckpointState;
}
