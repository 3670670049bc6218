/** `tidy` and `keep`: opt-in reuse of the memory of tensors a computation no longer needs. */
import { checkFunction } from "./check.ts";
import { anyActive } from "./dispatch.ts";
import type { TypedArray } from "./dtype.ts";
import { giveArray, type Scope, scopes } from "./memory.ts";
import { Dense } from "./storage.ts";
import { keepTensor, storageOf, Tensor } from "./tensor.ts";

/**
 * Runs `fn` and then releases every tensor it made that its result does not contain, as
 * TensorFlow.js's `tf.tidy`: their large buffers go back to a pool that later ops draw from,
 * which saves the cost of fresh memory (page faults) in loops over large tensors. Variables keep
 * their values, and the values they gave up in `fn` (by `assignSub`, or an optimizer step) are
 * released too, unless you still hold them through `value()` or `peek()`.
 *
 * A released tensor throws when read; return a tensor from `fn` (in an array or record, as deep
 * as you like) or `keep` it to use it afterwards. Nothing is released while a tape or accumulator
 * made outside `fn` recorded inside it, since it may still need the values. `fn` must be
 * synchronous. Without `tidy`, tensors are garbage-collected as usual, but for what a backward pass
 * over large tensors makes itself, which it gives back as it ends: nothing else can reach it.
 *
 * @param fn The computation.
 * @returns What `fn` returned.
 * @example A training step that reuses its memory
 * ```ts
 * import { GradientTape, reduceSum, square, tidy, Variable } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = new Variable([1, 2, 3]);
 * const losses: number[] = [];
 * for (let step = 0; step < 3; step++) {
 *   const loss = tidy(() => {
 *     const tape = new GradientTape();
 *     const loss = tape.record(() => reduceSum(square(w)));
 *     w.assignSub(tape.gradient(loss, w)!.mul(0.25));
 *     return loss.item();
 *   });
 *   losses.push(loss);
 * }
 * assert.deepEqual(losses, [14, 3.5, 0.875]);
 * ```
 */
export function tidy<T>(fn: () => T): T {
  checkFunction("tidy", "fn", fn);
  return within({ storages: [], fresh: new Set(), tainted: false }, fn, (result) => {
    if (result instanceof Promise) {
      throw new TypeError("tidy: fn returned a Promise; tidy takes a synchronous function only");
    }
    return returnedStorages(result);
  });
}

/**
 * Runs `fn` in a scope of the library's own and releases what it made, but for the tensors that
 * `survivors(result)` lists (and what `keep`, a transform recording, or user code running inside
 * may still need): for a backward pass, whose intermediates nobody else can reach, so that a loop
 * without `tidy` reuses their buffers too. Internal (the reverse engine).
 */
export function releasing<T>(fn: () => T, survivors: (result: T) => Iterable<Tensor>): T {
  const scope: Scope = { storages: [], fresh: new Set(), tainted: false, implicit: true };
  return within(scope, fn, (result) => {
    const out = new Set<Dense>();
    for (const t of survivors(result)) addStorage(out, t);
    return out;
  });
}

// Runs `fn` with `scope` open, then closes it keeping the storages `survivors` gives; when `fn`
// or `survivors` throws, nothing it made survives.
function within<T>(scope: Scope, fn: () => T, survivors: (result: T) => Set<Dense>): T {
  scopes.push(scope);
  let result: T, kept: Set<Dense>;
  try {
    result = fn();
    kept = survivors(result);
  } catch (e) {
    close(scope, new Set());
    throw e;
  }
  close(scope, kept);
  return result;
}

/**
 * Exempts `t` from every `tidy`: it stays readable after the scope that made it ends.
 *
 * @param t The tensor to keep.
 * @returns `t`.
 * @example Keeping an intermediate
 * ```ts
 * import { constant, keep, tidy } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * let half: ReturnType<typeof constant> | undefined;
 * const total = tidy(() => {
 *   half = keep(constant([1, 2]).mul(0.5));
 *   return half.sum();
 * });
 * assert.deepEqual(half!.toArray(), [0.5, 1]);
 * assert.equal(total.item(), 1.5);
 * ```
 */
export function keep(t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`keep: expects a Tensor, got ${typeof t}`);
  keepTensor(t);
  return t;
}

function close(scope: Scope, returned: ReadonlySet<Dense>): void {
  scopes.pop();
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  // A transform still recording, or one from outside that recorded here, may need any of these.
  if (scope.tainted || anyActive()) {
    if (parent !== null) handOver(scope, parent, () => true, () => true);
    return;
  }
  const survives = (s: Dense) => returned.has(s) || s.kept;
  // The arrays that surviving storages hold: the scope's buffers that are not to be pooled.
  const held = new Set<TypedArray>();
  for (const s of returned) if (s.data !== null) held.add(s.data);
  for (const s of scope.storages) {
    const d = s.data;
    if (d === null) continue;
    if (survives(s)) held.add(d);
    else s.release();
  }
  const holds = (d: TypedArray) => held.has(d);
  for (const d of scope.fresh) if (!holds(d)) giveArray(d);
  if (parent !== null) handOver(scope, parent, survives, holds);
}

/** Survivors become the parent scope's, to release when it ends. */
function handOver(
  scope: Scope,
  parent: Scope,
  survives: (s: Dense) => boolean,
  holds: (d: TypedArray) => boolean,
): void {
  for (const s of scope.storages) if (s.data !== null && survives(s)) parent.storages.push(s);
  for (const d of scope.fresh) if (holds(d)) parent.fresh.add(d);
}

/** The storages behind every tensor in `result`, a tensor or arrays and records of them. */
function returnedStorages(result: unknown): Set<Dense> {
  const out = new Set<Dense>();
  const walk = (x: unknown): void => {
    if (x instanceof Tensor) addStorage(out, x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
      for (const v of Object.values(x)) walk(v);
    }
  };
  walk(result);
  return out;
}

function addStorage(out: Set<Dense>, t: Tensor): void {
  const s = storageOf(t);
  if (s instanceof Dense && s.data !== null) out.add(s);
}
