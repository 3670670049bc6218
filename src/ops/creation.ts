/** Creation ops: tensors from values, and filled, identity and evenly spaced tensors. */
import { allocate, checkDType, checkInt32, type DType } from "../core/dtype.ts";
import { toTensor } from "../core/convert.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { currentValue, Variable } from "../core/variable.ts";
import { checkShape, checkSize, fmtShape, sizeOf } from "../core/shape.ts";
import { checkFinite, checkInteger, checkOptions, describeValue } from "../core/check.ts";
import { reshape } from "./_lax.ts";

/**
 * Options of `constant`.
 *
 * @example A float64 matrix from a flat list
 * ```ts
 * import { constant, type ConstantOptions } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const options: ConstantOptions = { dtype: "float64", shape: [2, 2] };
 * const t = constant([1, 2, 3, 4], options);
 * assert.equal(t.dtype, "float64");
 * assert.deepEqual(t.toArray(), [[1, 2], [3, 4]]);
 * ```
 */
export interface ConstantOptions {
  /** The dtype (default: the value's, `float32` for numbers). */
  dtype?: DType;
  /** A shape to fill with a scalar value, or to give a value with as many elements. */
  shape?: readonly number[];
}

/**
 * Makes a tensor from a number, boolean, nested array or typed array.
 *
 * @param value The values; nested arrays must not be ragged.
 * @param options `dtype`, and `shape` to fill with a scalar or reshape a value of that size.
 * @returns A new tensor.
 * @example From nested arrays
 * ```ts
 * import { constant } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const t = constant([[1, 2], [3, 4]], { dtype: "float64" });
 * assert.equal(t.dtype, "float64");
 * assert.deepEqual(t.toArray(), [[1, 2], [3, 4]]);
 * ```
 */
export function constant(value: TensorLike, options: ConstantOptions = {}): Tensor {
  checkOptions("constant", options, ["dtype", "shape"]);
  const { dtype, shape } = options;
  if (dtype !== undefined) checkDType("constant", dtype);
  if (shape !== undefined) checkShape("constant", shape);
  let t = toTensor(value, { dtype, op: "constant" });
  if (dtype !== undefined && t.dtype !== dtype) {
    throw new TypeError(
      `constant: the value is a ${t.dtype} tensor, not ${dtype}: use cast(value, "${dtype}")`,
    );
  }
  if (shape !== undefined) {
    if (t.size === 1 && sizeOf(shape) !== 1) return filled("constant", shape, t.item(), t.dtype);
    if (t.size !== sizeOf(shape)) {
      throw new Error(
        `constant: a value of shape ${fmtShape(t.shape)} (${t.size} elements) cannot have ` +
          `shape ${fmtShape(shape)} (${sizeOf(shape)} elements)`,
      );
    }
    t = reshape(t, shape);
  }
  return t;
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @param shape The shape.
 * @param value The value of every element: a number, or a boolean.
 * @param dtype The dtype (default `bool` for a boolean value, else `float32`); an `int32` value
 *   must be an integer in int32's range.
 * @returns A new tensor.
 * @example Sevens
 * ```ts
 * import { fill } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(fill([2], 7).toArray(), [7, 7]);
 * ```
 */
export function fill(
  shape: readonly number[],
  value: number | boolean,
  dtype?: DType,
): Tensor {
  return filled("fill", shape, value, dtype ?? (typeof value === "boolean" ? "bool" : "float32"));
}

function filled(
  op: string,
  shape: readonly number[],
  value: number | boolean,
  dtype: DType,
): Tensor {
  checkShape(op, shape);
  checkDType(op, dtype);
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new TypeError(`${op}: value must be a number or a boolean, not ${describeValue(value)}`);
  }
  let v = Number(value);
  if (dtype === "int32") checkInt32(op, [v]);
  // A bool element is 0 or 1, never another byte behind `true` (as `constant` converts them).
  else if (dtype === "bool") v = v ? 1 : 0;
  const data = allocate(dtype, sizeOf(shape));
  if (!Object.is(v, 0)) data.fill(v);
  return new Tensor(data, shape, dtype);
}

/**
 * A tensor of `shape` filled with zeros.
 *
 * @param shape The shape.
 * @param dtype The dtype (default `float32`).
 * @returns A new tensor.
 * @example A zero matrix
 * ```ts
 * import { zeros } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(zeros([2, 2]).toArray(), [[0, 0], [0, 0]]);
 * ```
 */
export function zeros(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return filled("zeros", shape, 0, dtype);
}

/**
 * A tensor of `shape` filled with ones.
 *
 * @param shape The shape.
 * @param dtype The dtype (default `float32`).
 * @returns A new tensor.
 * @example A row of ones
 * ```ts
 * import { ones } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(ones([3]).toArray(), [1, 1, 1]);
 * ```
 */
export function ones(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return filled("ones", shape, 1, dtype);
}

function shapeAndDtype(op: string, x: TensorLike): [readonly number[], DType] {
  const t = x instanceof Variable ? currentValue(x) : toTensor(x, { op });
  return [t.shape, t.dtype];
}

/**
 * Zeros of `x`'s shape and dtype.
 *
 * @param x A tensor or anything convertible.
 * @returns A new tensor.
 * @example Zeros like a matrix
 * ```ts
 * import { zerosLike } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(zerosLike([[1, 2]]).toArray(), [[0, 0]]);
 * ```
 */
export function zerosLike(x: TensorLike): Tensor {
  const [shape, dtype] = shapeAndDtype("zerosLike", x);
  return filled("zerosLike", shape, 0, dtype);
}

/**
 * Ones of `x`'s shape and dtype.
 *
 * @param x A tensor or anything convertible.
 * @returns A new tensor.
 * @example Ones like a vector
 * ```ts
 * import { onesLike } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(onesLike([5, 6]).toArray(), [1, 1]);
 * ```
 */
export function onesLike(x: TensorLike): Tensor {
  const [shape, dtype] = shapeAndDtype("onesLike", x);
  return filled("onesLike", shape, 1, dtype);
}

/**
 * The `n × n` identity matrix.
 *
 * @param n The size, a non-negative integer.
 * @param dtype The dtype (default `float32`).
 * @returns A new tensor.
 * @example A 2×2 identity
 * ```ts
 * import { eye } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(eye(2).toArray(), [[1, 0], [0, 1]]);
 * ```
 */
export function eye(n: number, dtype: DType = "float32"): Tensor {
  checkInteger("eye", "n", n, 0);
  checkDType("eye", dtype);
  checkSize("eye", [n, n]);
  const data = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return new Tensor(data, [n, n], dtype);
}

/**
 * `num` evenly spaced float32 values from `start` to `stop`, both included.
 *
 * @param start The first value.
 * @param stop The last value.
 * @param num How many values, a non-negative integer.
 * @returns A 1-D tensor.
 * @example Five points on [0, 1]
 * ```ts
 * import { linspace } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
 * ```
 */
export function linspace(start: number, stop: number, num: number): Tensor {
  checkFinite("linspace", "start", start);
  checkFinite("linspace", "stop", stop);
  checkInteger("linspace", "num", num, 0);
  checkSize("linspace", [num]);
  const data = allocate("float32", num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return new Tensor(data, [num], "float32");
}

/**
 * Values from `start` up to (not including) `limit` in steps of `delta`; with one argument,
 * from 0 up to it. `int32` when all arguments are integers, else `float32`, as TensorFlow's.
 *
 * @param start The first value (or the limit, when it is the only argument).
 * @param limit The end, excluded.
 * @param delta The step (default 1; may be negative).
 * @param dtype The dtype, overriding the default: `float32`, `float64` or `int32` (whose values
 *   must all fit in int32).
 * @returns A 1-D tensor.
 * @example Counting
 * ```ts
 * import { range } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(range(5).toArray(), [0, 1, 2, 3, 4]);
 * assert.equal(range(5).dtype, "int32");
 * assert.deepEqual(range(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
 * assert.equal(range(1, 2, 0.25).dtype, "float32");
 * ```
 */
export function range(start: number, limit?: number, delta = 1, dtype?: DType): Tensor {
  if (limit === undefined) {
    checkFinite("range", "limit", start);
    [start, limit] = [0, start];
  } else {
    checkFinite("range", "start", start);
    checkFinite("range", "limit", limit);
  }
  checkFinite("range", "delta", delta);
  if (delta === 0) throw new RangeError("range: delta must not be 0");
  if (dtype !== undefined) {
    checkDType("range", dtype);
    if (dtype === "bool") {
      throw new TypeError(
        `range: dtype bool is not supported: use "float32", "float64" or "int32"`,
      );
    }
  }
  if ((limit - start) * delta < 0) {
    throw new RangeError(
      `range: cannot go from ${start} to ${limit} in steps of ${delta}: ` +
        `use a ${delta > 0 ? "negative" : "positive"} delta, or swap start and limit`,
    );
  }
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  checkSize("range", [n]);
  const dt = dtype ??
    ([start, limit, delta].every(Number.isInteger) ? "int32" : "float32");
  // The values run from start to the last one, so those two (and the step) bound them all.
  if (dt === "int32") checkInt32("range", [start, delta, start + Math.max(0, n - 1) * delta]);
  const data = allocate(dt, n);
  for (let i = 0; i < n; i++) data[i] = start + i * delta;
  return new Tensor(data, [n], dt);
}
