/** The immutable `Tensor`, and the method forms it shares with `Variable`. */
import { allocateOwned, copyExclusive, type DType, type TypedArray } from "./dtype.ts";
import { escapeHtml, formatHtml, formatTensor } from "./format.ts";
import { scopes } from "./memory.ts";
import { copyShape, fmtShape, sizeOf } from "./shape.ts";
import { Dense, type Storage, type Traced } from "./storage.ts";
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
let bareData: (t: Tensor) => TypedArray | null;
let storageField: (t: Tensor) => Storage | number | null;
let storageOfTensor: (t: Tensor) => Storage;
let markIn: (t: Tensor, owner: object) => number;
let claimMark: (t: Tensor, owner: object, value: number) => boolean;

export type { Traced } from "./storage.ts";
const SCALAR_SHAPE: readonly number[] = Object.freeze([]);

// NOTE: shapes are frozen, and those of rank 1 and 2 interned: tensors of one shape share one
// array, so comparing shapes is mostly comparing references, and no tensor pays for a copy and
// a freeze. The table stops growing at a limit (a program with endlessly new shapes).
const INTERN_LIMIT = 4096;
const rank1 = new Map<number, readonly number[]>();
const rank2 = new Map<number, Map<number, readonly number[]>>();
let interned = 0;

/**
 * `shape` as a tensor holds it: frozen, and for ranks 1 and 2 one array per shape. Internal: for
 * `tensorOfShape`'s callers, which make many tensors of one shape.
 */
export function canonicalShape(shape: readonly number[]): readonly number[] {
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

// Set only while `uniformTensor`, `tracedTensor` or `viewTensor` runs the constructor.
let pendingStorage: Storage | number | undefined;
// Set only while `tensorOfShape` runs the constructor: the shape is canonical already, and the
// data fills it.
let shapeKnown = false;

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
  // The storage (see storage.ts). A tensor whose values no scope tracks, no flag marks and no
  // other tensor shares holds them bare, without a storage object: its array in `#data` (null
  // while uniform and not yet needed), and for a uniform tensor its value in `#storage`. Most
  // tensors made outside `tidy` (a tape's scalars) then cost no allocation beyond the array, and
  // reading them one field. The `Dense` storage is made the first time it is needed
  // (`storageOf`), and `#data` is null from then on.
  #data: TypedArray | null;
  #storage: Storage | number | null;
  // One number a transform may attach to the tensor (see `annotation`): a field, where a map
  // lookup per op input would cost the reverse engine several times as much.
  #markOwner: object | undefined = undefined;
  #mark = -1;
  readonly #shape: readonly number[];
  readonly #dtype: DType;

  static {
    readData = (t) => t.#data ?? t.#readStorage();
    bareData = (t) => t.#data;
    storageField = (t) => t.#storage;
    storageOfTensor = (t) => {
      const s = t.#storage;
      if (s !== null && typeof s !== "number") return s;
      const dense = new Dense(t.#data, s ?? undefined);
      t.#storage = dense;
      t.#data = null;
      return dense;
    };
    markIn = (t, owner) => (t.#markOwner === owner ? t.#mark : -1);
    claimMark = (t, owner, value) => {
      if (t.#markOwner !== undefined) return false;
      t.#markOwner = owner;
      t.#mark = value;
      return true;
    };
  }

  /**
   * Wraps `data` (not copied: the caller gives up ownership) as a tensor of `shape` and `dtype`.
   * Most code wants `constant` instead.
   */
  constructor(data: TypedArray, shape: readonly number[], dtype: DType) {
    super();
    if (pendingStorage !== undefined) {
      this.#data = null;
      this.#storage = pendingStorage;
    } else if (!shapeKnown && data.length !== sizeOf(shape)) {
      throw new Error(
        `Tensor: ${data.length} values do not fill shape ${fmtShape(shape)} ` +
          `(${sizeOf(shape)} elements)`,
      );
    } else if (scopes.length > 0) {
      // A scope tracks the storage, to release it when it ends.
      const s = new Dense(data, undefined);
      this.#data = null;
      this.#storage = s;
      scopes[scopes.length - 1].storages.push(s);
    } else {
      this.#data = data;
      this.#storage = null;
    }
    this.#shape = shapeKnown ? shape : canonicalShape(shape);
    this.#dtype = dtype;
  }

  #readStorage(): TypedArray {
    const s = this.#storage;
    if (typeof s === "number") {
      return this.#data = allocateOwned(this.#dtype, sizeOf(this.#shape)).fill(s);
    }
    return (s instanceof Dense ? s.data : null) ?? this.#materialize();
  }

  #materialize(): TypedArray {
    const s = this.#storage as Storage;
    if (!(s instanceof Dense)) throw new Error(s.readError());
    if (s.fill === undefined) this.#released();
    const data = allocateOwned(this.#dtype, sizeOf(this.#shape)).fill(s.fill);
    s.data = data;
    return data;
  }

  #released(): never {
    throw new Error(
      `gradtape: this tensor (shape ${fmtShape(this.#shape)}, ${this.#dtype}) was released when ` +
        `the tidy() that made it ended, and its memory reused: return it from the tidy callback, ` +
        `or keep(tensor) it, to use it afterwards`,
    );
  }

  // Why the values cannot be printed (traced, or released), else undefined.
  #noValues(): string | undefined {
    const s = this.#storage;
    if (s === null || typeof s === "number") return undefined;
    if (!(s instanceof Dense)) return s.kind;
    return s.released ? "released by tidy" : undefined;
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
    let data = this.#data;
    if (data === null) {
      const s = this.#storage;
      if (typeof s === "number" && sizeOf(this.#shape) === 1) return s;
      if (
        s instanceof Dense && s.data === null && s.fill !== undefined && sizeOf(this.#shape) === 1
      ) {
        return s.fill;
      }
      data = this.#readStorage();
    }
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
    const data = readData(this);
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
    return copyExclusive(this.#dtype, readData(this));
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
    const what = this.#noValues();
    if (what !== undefined) {
      return `Tensor(<${what}>, shape=${fmtShape(this.#shape)}, dtype=${this.#dtype})`;
    }
    return formatTensor(readData(this), this.#shape, this.#dtype);
  }

  /**
   * What JavaScript sees of a tensor in a string (its printout) and in arithmetic (NaN: read
   * values with `item()`). Arithmetic on a tensor without values throws instead: a number
   * argument of a jitted function is one, and `lr * 2` would silently be NaN.
   */
  [Symbol.toPrimitive](hint: string): string | number {
    if (hint === "string") return this.toString();
    const s = this.#storage;
    if (s !== null && typeof s !== "number" && !(s instanceof Dense)) {
      throw new Error(s.readError());
    }
    return hint === "number" ? NaN : this.toString();
  }

  /** Deno's Jupyter kernel shows a tensor as a small HTML table. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return {
      "text/plain": this.toString(),
      "text/html": this.#noValues() !== undefined
        ? `<pre>${escapeHtml(this.toString())}</pre>`
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

/**
 * The storage of `t`: dense values, or a value a transform owns; a tensor that held its bare
 * array gets its `Dense` storage now. Internal.
 */
export function storageOf(t: Tensor): Storage {
  return storageOfTensor(t);
}

/**
 * The dense storage of `t`, its data made if it was uniform; throws as reading the values does
 * when they were released or `t` is traced. Internal (`tidy`, `keep`, variables, engines).
 */
export function denseOf(t: Tensor): Dense {
  readData(t);
  return storageOfTensor(t) as Dense;
}

/**
 * Marks `t`'s values as never to be released by a `tidy` scope (`keep`, a variable's value, a
 * cache); throws as reading them does when they cannot be read. A tensor that still holds its
 * bare array was made outside every scope and shares its values with no tensor a scope tracks,
 * so no scope can release it: it is left as it is, without a storage object. Internal.
 */
export function keepTensor(t: Tensor): void {
  readData(t);
  const s = storageField(t);
  if (s instanceof Dense) s.kept = true;
}

/** The backing array of `t`, or null if released (or traced, or uniform not yet made). */
export function dataOrNull(t: Tensor): TypedArray | null {
  const d = bareData(t);
  if (d !== null) return d;
  const s = storageField(t);
  return s instanceof Dense ? s.data : null;
}

/**
 * A tensor of `shape` and `dtype` over the same values as `x` (a reshape, a cast to its own
 * dtype), sharing its storage, so that `tidy` and `keep` treat the two as one. Internal.
 */
export function viewTensor(x: Tensor, shape: readonly number[], dtype: DType): Tensor {
  const data = readData(x);
  const s = storageOfTensor(x) as Dense;
  // A view of a uniform tensor is dense, as if made from its data.
  if (s.fill !== undefined) return new Tensor(data, shape, dtype);
  pendingStorage = s;
  try {
    return new Tensor(EMPTY, shape, dtype);
  } finally {
    pendingStorage = undefined;
  }
}

/**
 * A tensor of `shape` whose every element is `value`, stored as the value alone until someone
 * reads its data: ops that know what a uniform operand does (multiplying by one, a matmul with a
 * broadcast scalar) skip the work. Internal.
 */
export function uniformTensor(value: number, shape: readonly number[], dtype: DType): Tensor {
  // Bare outside the scopes; a scope tracks a storage, to release it when it ends.
  const s = scopes.length > 0 ? new Dense(null, value) : value;
  pendingStorage = s;
  try {
    return new Tensor(EMPTY, shape, dtype);
  } finally {
    pendingStorage = undefined;
    if (typeof s !== "number") scopes[scopes.length - 1].storages.push(s);
  }
}

const EMPTY = new Float32Array(0);

/**
 * A tensor of `values` (an array that fills `shape`, or one value for every element, as
 * `uniformTensor`), where `shape` is in canonical form already (`canonicalShape`), which the
 * constructor then neither checks nor looks up. Internal (a jitted call's outputs).
 */
export function tensorOfShape(
  values: TypedArray | number,
  shape: readonly number[],
  dtype: DType,
): Tensor {
  shapeKnown = true;
  try {
    return typeof values === "number"
      ? uniformTensor(values, shape, dtype)
      : new Tensor(values, shape, dtype);
  } finally {
    shapeKnown = false;
  }
}

/**
 * The value of every element of `t` when it is uniform (made by `uniformTensor`) or has one
 * element, else undefined: ops compute such operands as the scalar they are. Internal.
 */
export function uniformValue(t: Tensor): number | undefined {
  const s = storageField(t);
  let d: TypedArray | null;
  if (s === null) d = bareData(t)!;
  else if (typeof s === "number") return s;
  else if (s instanceof Dense) {
    if (s.fill !== undefined) return s.fill;
    d = s.data;
    if (d === null) return undefined;
  } else return undefined;
  return d.length === 1 ? d[0] : undefined;
}

/** The value of a tensor made by `uniformTensor` (made dense since or not), else undefined. */
export function lazyFill(t: Tensor): number | undefined {
  const s = storageField(t);
  if (typeof s === "number") return s;
  return s instanceof Dense ? s.fill : undefined;
}

/**
 * A tensor of `shape` and `dtype` without values, owned by a transform (`traced.owner`): reading
 * its values throws `traced.readError()`. Internal (vmap, jit).
 */
export function tracedTensor(traced: Traced, shape: readonly number[], dtype: DType): Tensor {
  pendingStorage = traced;
  try {
    return new Tensor(EMPTY, shape, dtype);
  } finally {
    pendingStorage = undefined;
  }
}

/** The storage of a tensor made by `tracedTensor`, else undefined. Internal (dispatch). */
export function tracedStorage(t: Tensor): Traced | undefined {
  const s = storageField(t);
  return s === null || typeof s === "number" || s instanceof Dense ? undefined : s;
}

/**
 * The number `owner` attached to `t` with `annotate`, else -1. Each tensor holds one annotation,
 * for the first owner to claim it: a transform that keeps per-tensor bookkeeping (the reverse
 * engine numbers the tensors a recording tracks) reads it with a field lookup, and keeps its own
 * map for the tensors another owner claimed first. Internal.
 */
export function annotation(t: Tensor, owner: object): number {
  return markIn(t, owner);
}

/** Attaches `value` to `t` for `owner` unless another owner has; false then. Internal. */
export function annotate(t: Tensor, owner: object, value: number): boolean {
  return claimMark(t, owner, value);
}
