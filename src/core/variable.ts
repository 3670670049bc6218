/** `Variable`: a named, mutable holder of a tensor, watched by tapes when read. */
import {
  allocateUninit,
  checkDType,
  checkInt32,
  convertData,
  type DType,
  isFloat,
  type TypedArray,
} from "./dtype.ts";
import { checkBoolean, checkOptions, describeValue } from "./check.ts";
import { notifyVariableRead } from "./dispatch.ts";
import { currentScope, scopes } from "./memory.ts";
import { formatHtml, formatValues } from "./format.ts";
import {
  dataOf,
  denseOf,
  keepTensor,
  lazyFill,
  type NestedArrayOf,
  Tensor,
  type TensorLike,
  TensorMethods,
  tracedStorage,
  uniformTensor,
  viewTensor,
} from "./tensor.ts";
import { fmtShape } from "./shape.ts";
import { installVariable, toTensor } from "./convert.ts";

/**
 * Options of `new Variable`.
 *
 * @example A named float64 variable that tapes do not watch
 * ```ts
 * import { Variable, type VariableOptions } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const options: VariableOptions = { name: "scale", trainable: false, dtype: "float64" };
 * const v = new Variable(2, options);
 * assert.equal(v.name, "scale");
 * assert.equal(v.trainable, false);
 * assert.equal(v.dtype, "float64");
 * ```
 */
export interface VariableOptions {
  /** The name shown in printouts and error messages (default `"Variable"`). */
  name?: string;
  /** Whether tapes watch it when it is read while they record (default `true`). */
  trainable?: boolean;
  /** The dtype to convert the initial value to. */
  dtype?: DType;
}

/**
 * Takes over reading and assigning variables: `jit`, while it traces, reads each variable as an
 * input of the program and records assignments as its outputs. Internal.
 */
export interface VariableHook {
  /** The tensor standing for `v`'s value now. */
  read(v: Variable): Tensor;
  /** Records `v = value` (`sign` 0), `v += value` (1) or `v -= value` (-1), checked already. */
  assign(v: Variable, value: Tensor, sign: 0 | 1 | -1): void;
  /**
   * The values of a traced `t` at this call, for a variable made inside the function, where the
   * trace can compute them now (they depend on no argument or variable); else undefined.
   */
  concrete(t: Tensor): Tensor | undefined;
  /** Whether `t` is a value of this transform, which an assignment may record. */
  owns(t: Tensor): boolean;
}

let hook: VariableHook | null = null;

/** Installs `h` (null: none) and returns the one it replaces. Internal (jit). */
export function setVariableHook(h: VariableHook | null): VariableHook | null {
  const old = hook;
  hook = h;
  return old;
}

let internals: {
  read(v: Variable): Tensor;
  current(v: Variable): Tensor;
  replace(v: Variable, t: Tensor): void;
  restore(v: Variable, old: Tensor): void;
};

// The journals of the `atomically` calls running now, innermost last: each variable assigned
// inside, with its value before the first assignment.
const journals: Map<Variable, Tensor>[] = [];

/**
 * Runs `fn`; if it throws, every variable it assigned gets its value back, so that a refused call
 * changes nothing: for work that assigns variables one at a time (a jitted function run op by op
 * under another transform, an optimizer's step under a transform, a layer's call). Internal.
 */
export function atomically<T>(fn: () => T): T {
  const journal = new Map<Variable, Tensor>();
  journals.push(journal);
  try {
    return fn();
  } catch (e) {
    for (const [v, old] of journal) internals.restore(v, old);
    throw e;
  } finally {
    journals.pop();
  }
}

/**
 * A mutable tensor-valued holder, as `tf.Variable`. Reading it in an op while a tape records
 * takes a snapshot: later assignments change neither the recorded values nor the gradient.
 *
 * @example Training a variable by hand
 * ```ts
 * import { GradientTape, Variable } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const w = new Variable(3, { name: "w" });
 * const tape = new GradientTape();
 * const loss = tape.record(() => w.square());
 * w.assignSub(tape.gradient(loss, w)!.mul(0.1));
 * assertAllClose(w.value(), 2.4); // 3 - 0.1·6, in float32
 * ```
 */
export class Variable extends TensorMethods {
  #value: Tensor;
  // Whether the variable made its value itself (by an update), so that no one else holds it
  // unless it was handed out: only such a value may be given up to a `tidy` for reuse.
  #owned = false;
  // Whether the value may be held outside the scopes: handed out by value() or peek(), or read
  // outside any tidy (then anything may have saved it, a persistent tape among them).
  #exposed = false;
  readonly #name: string;
  readonly #trainable: boolean;

  /** Makes a variable holding `initial`, converted to `dtype` when given. */
  constructor(initial: TensorLike, options: VariableOptions = {}) {
    super();
    checkOptions("Variable", options, ["name", "trainable", "dtype"]);
    const { name = "Variable", trainable = true, dtype } = options;
    if (typeof name !== "string") {
      throw new TypeError(`Variable: name must be a string, not ${describeValue(name)}`);
    }
    checkBoolean("Variable", "trainable", trainable);
    if (dtype !== undefined) checkDType("Variable", dtype);
    let value = concreteInitial(name, toTensor(initial, { dtype, op: "Variable" }));
    if (dtype !== undefined && value.dtype !== dtype) {
      // A tensor of another dtype is converted, but never into values int32 cannot hold.
      if (dtype === "int32" && isFloat(value.dtype)) checkInt32("Variable", dataOf(value));
      value = new Tensor(convertData(dataOf(value), dtype), value.shape, dtype);
    }
    this.#value = value = detached(value);
    if (scopes.length > 0) keepTensor(value);
    this.#name = name;
    this.#trainable = trainable;
  }

  /** The name given at construction. */
  get name(): string {
    return this.#name;
  }
  /** Whether tapes watch it automatically. */
  get trainable(): boolean {
    return this.#trainable;
  }
  /** The shape of its value (fixed for its lifetime). */
  get shape(): readonly number[] {
    return this.#value.shape;
  }
  /** The dtype of its value (fixed for its lifetime). */
  get dtype(): DType {
    return this.#value.dtype;
  }

  /**
   * The current value, as an immutable tensor; the active tapes see the read.
   *
   * @returns The value now (later assignments do not change it).
   * @example A snapshot
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * const v = new Variable(1);
   * const before = v.value();
   * v.assign(2);
   * assert.equal(before.item(), 1);
   * assert.equal(v.value().item(), 2);
   * ```
   */
  value(): Tensor {
    const v = hook === null ? this.#value : hook.read(this);
    notifyVariableRead(this, v);
    this.#exposed = true;
    return v;
  }

  /**
   * The current value without telling any tape (for printing and optimizers' bookkeeping).
   *
   * @returns The value now.
   * @example Reading without recording
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(new Variable([1, 2]).peek().toArray(), [1, 2]);
   * ```
   */
  peek(): Tensor {
    this.#exposed = true;
    return this.#value;
  }

  /**
   * The single value of a one-element variable (TensorFlow's `.numpy()` for a scalar).
   *
   * @returns The current value as a JS number.
   * @example Reading a scalar variable
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(new Variable(2.5).item(), 2.5);
   * ```
   */
  item(): number {
    return this.#value.item();
  }

  /**
   * The current value as nested arrays (a number for a scalar).
   *
   * @returns Nested arrays in the variable's shape.
   * @example A matrix variable as arrays
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(new Variable([[1, 2], [3, 4]]).toArray(), [[1, 2], [3, 4]]);
   * ```
   */
  toArray<T extends NestedArrayOf<number | boolean> = NestedArrayOf<number | boolean>>(): T {
    return this.#value.toArray<T>();
  }

  /**
   * A fresh copy of the current value, as a typed array of the variable's dtype.
   *
   * @returns A typed array that later assignments do not change.
   * @example The raw values
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * const v = new Variable([1, 2], { dtype: "float64" });
   * const data = v.data();
   * v.assign([3, 4]);
   * assert.deepEqual(data, new Float64Array([1, 2]));
   * ```
   */
  data(): TypedArray {
    return this.#value.data();
  }

  /**
   * What `JSON.stringify` writes: the current value as nested arrays, never `{}`.
   *
   * @returns The same as `toArray()`.
   * @example A variable in JSON
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(JSON.stringify({ w: new Variable([1, 2]) }), '{"w":[1,2]}');
   * ```
   */
  toJSON(): NestedArrayOf<number | boolean> {
    return this.#value.toArray();
  }

  static {
    internals = {
      read: (v) => {
        const t = hook === null ? v.#value : hook.read(v);
        notifyVariableRead(v, t);
        // Read outside any tidy, the value may be saved by anything (a persistent tape).
        if (scopes.length === 0) v.#exposed = true;
        return t;
      },
      current: (v) => hook === null ? v.#value : hook.read(v),
      replace: (v, t) => v.#replace(t, true),
      restore: (v, old) => {
        // A tidy may have been given it as the value given up: it must outlive that tidy now.
        if (scopes.length > 0) keepTensor(old);
        v.#value = old;
        v.#owned = false;
        v.#exposed = true;
      },
    };
  }

  // Gives up the old value to the innermost tidy when the variable alone held it.
  #replace(t: Tensor, owned: boolean): void {
    const old = this.#value;
    for (let i = 0; i < journals.length; i++) {
      if (!journals[i].has(this)) journals[i].set(this, old);
    }
    // Outside any scope there is nothing to keep and no one to give the old value to, so no
    // storage object to make (a jitted training step's writes land here); reading the values
    // still refuses a released tensor before anything changes (a uniform one, which has its
    // value, cannot be released, and is not made dense for nothing).
    const scope = currentScope();
    if (scope === null) {
      if (lazyFill(t) === undefined) dataOf(t);
    } else {
      const storage = denseOf(t), oldStorage = denseOf(old);
      // Made in a scope, the value must outlive it.
      storage.kept = true;
      if (
        this.#owned && !this.#exposed && oldStorage !== storage &&
        oldStorage.data !== storage.data && !oldStorage.shared
      ) {
        oldStorage.kept = false;
        scope.storages.push(oldStorage);
        scope.fresh.add(oldStorage.data!);
      }
    }
    this.#value = t;
    this.#owned = owned;
    this.#exposed = false;
  }

  /**
   * Replaces the value with `v`, which must have the same shape and dtype (a refused value leaves
   * the variable as it was).
   *
   * @param v The new value.
   * @returns This variable.
   * @example Assigning
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(new Variable([1, 2]).assign([3, 4]).value().toArray(), [3, 4]);
   * ```
   */
  assign(v: TensorLike): this {
    const t = this.#checked("assign", v);
    if (hook !== null) hook.assign(this, t, 0);
    else this.#replace(detached(t), false);
    return this;
  }
  /**
   * Adds `v` to the value. `v` must have the variable's shape and dtype (nothing broadcasts), so
   * a plain number serves only a scalar variable; a bool variable takes only `assign`. A refused
   * value leaves the variable as it was.
   *
   * @param v The increment.
   * @returns This variable.
   * @example Incrementing
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(new Variable(1).assignAdd(2).value().item(), 3);
   * ```
   */
  assignAdd(v: TensorLike): this {
    return this.#update("assignAdd", v, 1);
  }
  /**
   * Subtracts `v` from the value: a gradient step. `v` must have the variable's shape and dtype
   * (nothing broadcasts), so a plain number serves only a scalar variable; a bool variable takes
   * only `assign`. A refused value leaves the variable as it was.
   *
   * @param v The decrement.
   * @returns This variable.
   * @example A gradient step
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(new Variable(1).assignSub(0.25).value().item(), 0.75);
   * ```
   */
  assignSub(v: TensorLike): this {
    return this.#update("assignSub", v, -1);
  }

  #update(op: string, v: TensorLike, sign: 1 | -1): this {
    if (this.dtype === "bool") {
      // Adding to a byte would store 2 (or 255) behind a `true`; TensorFlow refuses it too.
      throw new TypeError(
        `${op}: variable '${this.#name}' is bool, and bool variables support only assign: ` +
          `assign the new value, e.g. v.assign(logicalOr(v, x))`,
      );
    }
    if (hook !== null) {
      hook.assign(this, this.#checked(op, v), sign);
      return this;
    }
    const d = dataOf(this.#checked(op, v));
    const cur = dataOf(this.#value);
    const next = allocateUninit(this.dtype, cur.length);
    for (let i = 0; i < next.length; i++) next[i] = cur[i] + sign * d[i];
    this.#replace(new Tensor(next, this.#value.shape, this.#value.dtype), true);
    return this;
  }

  // Converts and checks `v` without touching the variable, so a refused update changes nothing.
  #checked(op: string, v: TensorLike): Tensor {
    const t = v instanceof Tensor
      ? v
      : toTensor(v, { dtype: this.dtype, op: `${this.#name}.${op}` });
    if (t.dtype !== this.dtype) {
      throw new TypeError(
        `${op}: variable '${this.#name}' has dtype ${this.dtype} but the value has dtype ` +
          `${t.dtype}: cast the value first`,
      );
    }
    const traced = tracedStorage(t);
    if (traced !== undefined && hook === null) {
      throw new TypeError(
        `${op}: variable '${this.#name}' cannot hold a tensor ${traced.kind}, which stands for ` +
          `values not known here: return the value from the function and assign it outside`,
      );
    }
    const same = t.shape.length === this.shape.length &&
      t.shape.every((d, i) => d === this.shape[i]);
    if (!same) {
      throw new Error(
        `${op}: variable '${this.#name}' has shape ${fmtShape(this.shape)} but the value has ` +
          `shape ${fmtShape(t.shape)}: a variable's shape cannot change`,
      );
    }
    return t;
  }

  /**
   * The printout: `Variable 'x' shape=[] dtype=float32, value=3`.
   *
   * @returns The text `console.log` prints.
   * @example Printing
   * ```ts
   * import { Variable } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * const x = new Variable(3, { name: "x" });
   * console.log(x.toString());
   * assert.equal(x.toString(), "Variable 'x' shape=[] dtype=float32, value=3");
   * ```
   */
  override toString(): string {
    const v = this.#value;
    const body = formatValues(dataOf(v), v.shape, v.dtype);
    const sep = body.includes("\n") ? "\n" : "";
    return `Variable '${this.#name}' shape=${
      fmtShape(v.shape)
    } dtype=${v.dtype}, value=${sep}${body}`;
  }
  /** Deno's Jupyter kernel shows a variable as a small HTML table. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    const v = this.#value;
    return {
      "text/plain": this.toString(),
      "text/html": formatHtml(dataOf(v), v.shape, v.dtype, `Variable '${this.#name}'`),
    };
  }
}

/**
 * Why no variable can be assigned `t` now, or undefined where one can: a tensor of a transform
 * (batched by `vmap`, or traced by a `jit` that is not the one recording assignments) stands for
 * values no variable can hold. For checks made before anything changes (an optimizer's pairs).
 * Internal.
 */
export function assignRefusal(t: Tensor): string | undefined {
  const traced = tracedStorage(t);
  if (traced === undefined || (hook !== null && hook.owns(t))) return undefined;
  return `a tensor ${traced.kind}`;
}

/**
 * A new tensor over `t`'s values, which no tape or accumulator has seen: a variable's value starts
 * no gradient path back to what it was given, as TensorFlow's assignment and variable creation
 * are not differentiable (the variable itself is what gradients reach). Internal (variables, and
 * jit's trace).
 */
export function detached(t: Tensor): Tensor {
  const fill = lazyFill(t);
  return fill !== undefined
    ? uniformTensor(fill, t.shape, t.dtype)
    : viewTensor(t, t.shape, t.dtype);
}

// A variable made inside a traced function holds real values from the start, as `tf.Variable`'s
// lifted initializer does: a value drawn at random or computed from constants is computed now.
function concreteInitial(name: string, t: Tensor): Tensor {
  const traced = tracedStorage(t);
  if (traced === undefined) return t;
  const value = hook?.concrete(t);
  if (value !== undefined) return value;
  throw new TypeError(
    `Variable: the initial value of '${name}' is a tensor ${traced.kind} (shape ` +
      `${fmtShape(t.shape)}, ${t.dtype}) that depends on the function's arguments or on other ` +
      `variables, whose values are not known when the variable is made: make the variable ` +
      `outside the function, or from values that do not depend on them (zeros, an initializer), ` +
      `and assign it inside`,
  );
}

/** Reads `v` in an op: the active tapes see the read. Internal. */
export function readVariable(v: Variable): Tensor {
  return internals.read(v);
}
installVariable(Variable, readVariable);

/** The value of `v`, read by the library for bookkeeping (no tape sees it). Internal. */
export function currentValue(v: Variable): Tensor {
  return internals.current(v);
}

/** Replaces the value of `v` with `t`, which the caller made and holds nowhere else. Internal. */
export function replaceOwned(v: Variable, t: Tensor): void {
  internals.replace(v, t);
}
