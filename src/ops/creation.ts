/** Creation ops: tensors from values, and filled, identity and evenly spaced tensors. */
import { allocate, type DType, isDType } from "../core/dtype.ts";
import { toTensor } from "../core/convert.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { currentValue, Variable } from "../core/variable.ts";
import { checkShape, fmtShape, sizeOf } from "../core/shape.ts";
import { reshape } from "./movement.ts";

/** Options of `constant`. */
export interface ConstantOptions {
  /** The dtype (default: the value's, `float32` for numbers). */
  dtype?: DType;
  /** A shape to fill with a scalar value, or to give a value with as many elements. */
  shape?: readonly number[];
}

function checkDtype(op: string, dtype: DType | undefined): void {
  if (dtype !== undefined && !isDType(dtype)) {
    throw new TypeError(
      `${op}: unknown dtype ${JSON.stringify(dtype)}: use "float32", "float64", "int32" or "bool"`,
    );
  }
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
 * console.log(constant([[1, 2], [3, 4]], { dtype: "float64" }).toString());
 * ```
 */
export function constant(value: TensorLike, options: ConstantOptions = {}): Tensor {
  checkDtype("constant", options.dtype);
  let t = toTensor(value, { dtype: options.dtype, op: "constant" });
  if (options.dtype !== undefined && t.dtype !== options.dtype) {
    throw new TypeError(
      `constant: the value is a ${t.dtype} tensor, not ${options.dtype}: use cast(value, "${options.dtype}")`,
    );
  }
  if (options.shape !== undefined) {
    checkShape("constant", options.shape);
    if (t.size === 1 && sizeOf(options.shape) !== 1) return fill(options.shape, t.item(), t.dtype);
    if (t.size !== sizeOf(options.shape)) {
      throw new Error(
        `constant: a value of shape ${fmtShape(t.shape)} (${t.size} elements) cannot have ` +
          `shape ${fmtShape(options.shape)} (${sizeOf(options.shape)} elements)`,
      );
    }
    t = reshape(t, options.shape);
  }
  return t;
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @param shape The shape.
 * @param value The value of every element.
 * @param dtype The dtype (default `float32`).
 * @returns A new tensor.
 * @example Sevens
 * ```ts
 * import { fill } from "@gradtape/gradtape";
 * console.log(fill([2], 7).toArray()); // [7, 7]
 * ```
 */
export function fill(
  shape: readonly number[],
  value: number | boolean,
  dtype: DType = "float32",
): Tensor {
  return filled("fill", shape, value, dtype);
}

function filled(
  op: string,
  shape: readonly number[],
  value: number | boolean,
  dtype: DType,
): Tensor {
  checkShape(op, shape);
  checkDtype(op, dtype);
  const data = allocate(dtype, sizeOf(shape));
  data.fill(Number(value));
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
 * console.log(zeros([2, 2]).toArray()); // [[0, 0], [0, 0]]
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
 * console.log(ones([3]).toArray()); // [1, 1, 1]
 * ```
 */
export function ones(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return filled("ones", shape, 1, dtype);
}

function shapeAndDtype(x: TensorLike): [readonly number[], DType] {
  const t = x instanceof Variable ? currentValue(x) : toTensor(x, { op: "zerosLike" });
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
 * console.log(zerosLike([[1, 2]]).toArray()); // [[0, 0]]
 * ```
 */
export function zerosLike(x: TensorLike): Tensor {
  const [shape, dtype] = shapeAndDtype(x);
  return fill(shape, 0, dtype);
}

/**
 * Ones of `x`'s shape and dtype.
 *
 * @param x A tensor or anything convertible.
 * @returns A new tensor.
 * @example Ones like a vector
 * ```ts
 * import { onesLike } from "@gradtape/gradtape";
 * console.log(onesLike([5, 6]).toArray()); // [1, 1]
 * ```
 */
export function onesLike(x: TensorLike): Tensor {
  const [shape, dtype] = shapeAndDtype(x);
  return fill(shape, 1, dtype);
}

/**
 * The `n × n` identity matrix.
 *
 * @param n The size.
 * @param dtype The dtype (default `float32`).
 * @returns A new tensor.
 * @example A 2×2 identity
 * ```ts
 * import { eye } from "@gradtape/gradtape";
 * console.log(eye(2).toArray()); // [[1, 0], [0, 1]]
 * ```
 */
export function eye(n: number, dtype: DType = "float32"): Tensor {
  const t = zeros([n, n], dtype);
  const data = t.data();
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return new Tensor(data, [n, n], dtype);
}

/**
 * `num` evenly spaced float32 values from `start` to `stop`, both included.
 *
 * @param start The first value.
 * @param stop The last value.
 * @param num How many values.
 * @returns A 1-D tensor.
 * @example Five points on [0, 1]
 * ```ts
 * import { linspace } from "@gradtape/gradtape";
 * console.log(linspace(0, 1, 5).toArray()); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num < 0) {
    throw new RangeError(`linspace: num must be a non-negative integer, got ${num}`);
  }
  const data = new Float32Array(num);
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
 * @param dtype The dtype, overriding the default.
 * @returns A 1-D tensor.
 * @example Counting
 * ```ts
 * import { range } from "@gradtape/gradtape";
 * console.log(range(5).toArray(), range(1, 2, 0.25).dtype); // [0, 1, 2, 3, 4] float32
 * ```
 */
export function range(start: number, limit?: number, delta = 1, dtype?: DType): Tensor {
  if (limit === undefined) [start, limit] = [0, start];
  if (delta === 0) throw new RangeError("range: delta must not be 0");
  if ((limit - start) * delta < 0) {
    throw new RangeError(
      `range: cannot go from ${start} to ${limit} in steps of ${delta}: ` +
        `use a ${delta > 0 ? "negative" : "positive"} delta, or swap start and limit`,
    );
  }
  checkDtype("range", dtype);
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  const dt = dtype ??
    ([start, limit, delta].every(Number.isInteger) ? "int32" : "float32");
  const data = allocate(dt, n);
  for (let i = 0; i < n; i++) data[i] = start + i * delta;
  return new Tensor(data, [n], dt);
}
