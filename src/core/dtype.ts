/**
 * The element types a tensor can hold.
 *
 * @example Choosing a dtype
 * ```ts
 * import { constant, type DType } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const dtype: DType = "float64";
 * assert.equal(constant([1, 2], { dtype }).dtype, "float64");
 * ```
 */
export type DType = "float32" | "float64" | "int32" | "bool";

/**
 * The typed array that backs a tensor of each dtype (`Uint8Array` for `bool`).
 *
 * @example The values of an int32 tensor
 * ```ts
 * import { constant, type TypedArray } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const data: TypedArray = constant([1, 2], { dtype: "int32" }).data();
 * assert.deepEqual(data, new Int32Array([1, 2]));
 * ```
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

import { noteFresh, takeBuffer } from "./memory.ts";
import { describeValue } from "./check.ts";
import { MAX_SIZE } from "./shape.ts";

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const;

// NOTE: a fresh ArrayBuffer is slow in some runtimes (about 1 µs in Deno even for 16 floats,
// against 30 ns for a view on an existing buffer), and small tensors are made by the million.
// So small arrays are carved, zeroed, from a shared slab that is never reused: a slab is freed
// once every view on it is garbage. Large arrays get their own buffer, from the pool of those
// that `tidy` scopes released when there is one of the size (see memory.ts).
const SLAB_BYTES = 1 << 16;
const SMALL_BYTES = 1 << 11;
let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** Whether an array of `n` elements of `dtype` gets a buffer of its own, which a pool can reuse. */
export function isPoolable(dtype: DType, n: number): boolean {
  return n * CTORS[dtype].BYTES_PER_ELEMENT > SMALL_BYTES;
}

/** Allocates a zeroed typed array for `n` elements of `dtype`. */
export function allocate(dtype: DType, n: number): TypedArray {
  return alloc(dtype, n, true);
}

/**
 * Allocates a typed array for `n` elements of `dtype` whose contents are arbitrary: for kernels
 * that write every element.
 */
export function allocateUninit(dtype: DType, n: number): TypedArray {
  return alloc(dtype, n, false);
}

/**
 * Allocates a typed array (contents arbitrary) that no `tidy` scope will recycle: for data made
 * after the fact, whose tensor may belong to a scope that ended.
 */
export function allocateOwned(dtype: DType, n: number): TypedArray {
  const C = CTORS[dtype];
  const bytes = n * C.BYTES_PER_ELEMENT;
  if (bytes <= SMALL_BYTES) return alloc(dtype, n, false);
  const pooled = takeBuffer(bytes);
  return pooled === undefined ? fresh(dtype, n) : new C(pooled);
}

/**
 * A copy of `src` over a buffer of its own, never part of a slab, that no `tidy` scope will
 * recycle: for arrays handed to the user, who may transfer the buffer. Large ones come from the
 * pool of released buffers, as fresh memory's first touch costs more than filling it; else the
 * copy is made by the constructor, which fills fresh memory once (for 4 MB, 0.62 ms, against
 * 0.96 for zeroed memory then set).
 */
export function copyExclusive(dtype: DType, src: TypedArray): TypedArray {
  const C = CTORS[dtype];
  const pooled = src.byteLength > SMALL_BYTES ? takeBuffer(src.byteLength) : undefined;
  if (pooled === undefined) {
    try {
      return new C(src);
    } catch (e) {
      if (e instanceof RangeError) throw new AllocationError(src.length, dtype);
      throw e;
    }
  }
  const copy = new C(pooled);
  copy.set(src);
  return copy;
}

/** A one-element array of `dtype` holding `v`, reused by every call: read it before the next. */
export function scratchScalar(dtype: DType, v: number, which: 0 | 1 | 2): TypedArray {
  const a = dtype === "float32"
    ? SCRATCH.float32[which]
    : dtype === "float64"
    ? SCRATCH.float64[which]
    : dtype === "int32"
    ? SCRATCH.int32[which]
    : SCRATCH.bool[which];
  a[0] = v;
  return a;
}

const SCRATCH = {
  float32: [new Float32Array(1), new Float32Array(1), new Float32Array(1)],
  float64: [new Float64Array(1), new Float64Array(1), new Float64Array(1)],
  int32: [new Int32Array(1), new Int32Array(1), new Int32Array(1)],
  bool: [new Uint8Array(1), new Uint8Array(1), new Uint8Array(1)],
} as const;

/**
 * A tensor too large to allocate, thrown by the allocators with the element count; `bind`
 * rethrows it naming the op and its inputs' shapes.
 *
 * @example Refused before any memory is touched
 * ```ts
 * import assert from "node:assert/strict";
 * import { AllocationError, allocate } from "./dtype.ts";
 * assert.throws(() => allocate("float32", 1e12), (e) => e instanceof AllocationError && e.size === 1e12);
 * ```
 */
export class AllocationError extends RangeError {
  /** The number of elements asked for. */
  readonly size: number;
  /** Why they cannot be had: `at most 2147483647`, or `out of memory`. */
  readonly reason: string;
  /** Makes the error for `size` elements of `dtype`. */
  constructor(size: number, dtype: DType) {
    const reason = size > MAX_SIZE ? `at most ${MAX_SIZE}` : "out of memory";
    super(
      `a result of ${size.toExponential(3)} elements (${dtype}) is more than can be allocated ` +
        `(${reason})`,
    );
    this.size = size;
    this.reason = reason;
  }
}

// NOTE: slab views (the small tensors ops make by the million) never come here, so the check
// costs them nothing; the runtime's own failure ("Array buffer allocation failed") says
// neither what nor how much.
function fresh(dtype: DType, n: number): TypedArray {
  if (n > MAX_SIZE) throw new AllocationError(n, dtype);
  try {
    return new CTORS[dtype](n);
  } catch (e) {
    if (e instanceof RangeError && Number.isInteger(n) && n > 0) {
      throw new AllocationError(n, dtype);
    }
    throw e;
  }
}

function alloc(dtype: DType, n: number, zeroed: boolean): TypedArray {
  const C = CTORS[dtype];
  const bytes = n * C.BYTES_PER_ELEMENT;
  if (bytes > SMALL_BYTES) {
    const pooled = takeBuffer(bytes);
    let a: TypedArray;
    if (pooled === undefined) a = fresh(dtype, n);
    else {
      a = new C(pooled);
      if (zeroed) a.fill(0);
    }
    noteFresh(a);
    return a;
  }
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const a = new C(slab, used, n);
  used += (bytes + 7) & ~7;
  return a;
}

/** A zeroed float64 scratch or accumulator array, from the same slabs. */
export function allocateF64(n: number): Float64Array {
  return allocate("float64", n) as Float64Array;
}

/** Copies (and converts) `src` into a fresh typed array of `dtype`. */
export function convertData(src: ArrayLike<number>, dtype: DType): TypedArray {
  return convertInto(allocateUninit(dtype, src.length), src, dtype);
}

/** Copies `src` into `out` (as long), converting to `out`'s `dtype` as `cast` does. */
export function convertInto(out: TypedArray, src: ArrayLike<number>, dtype: DType): TypedArray {
  if (dtype === "bool") {
    // NaN is nonzero, so true, as in TensorFlow and numpy (`NaN ? 1 : 0` would give 0).
    for (let i = 0; i < src.length; i++) out[i] = +(src[i] !== 0);
  } else if (dtype === "int32") {
    // NOTE: truncation toward zero, as TensorFlow's cast from float to int.
    for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]);
  } else {
    out.set(src);
  }
  return out;
}

/** Whether `dtype` is a floating type, the only kind that carries gradients. */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/**
 * Checks that every one of `values` is an int32 exactly (an integer in int32's range), so that
 * nothing is wrapped or truncated on the way in; the error names `op` and the first bad value.
 *
 * @example A fraction, and a number past int32's range
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkInt32 } from "./dtype.ts";
 * checkInt32("fill", [-2147483648, 7]);
 * assert.throws(() => checkInt32("fill", [3.7]), /^RangeError: fill: cannot convert 3\.7 to int32/);
 * assert.throws(() => checkInt32("range", [2 ** 31]), /range: cannot convert 2147483648/);
 * ```
 */
export function checkInt32(op: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // `v | 0` is v itself exactly for the integers of int32's range (NaN and ±Infinity fail).
    if ((v | 0) !== v) {
      throw new RangeError(
        `${op}: cannot convert ${describeValue(v)} to int32 without changing it: int32 holds ` +
          `only integers from -2147483648 to 2147483647 (use float32 or float64 for other values)`,
      );
    }
  }
}

/**
 * Checks that `dtype` names one of the four dtypes, naming `op` and the bad name.
 *
 * @example A name every object has is still unknown
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDType } from "./dtype.ts";
 * checkDType("zeros", "float64");
 * assert.throws(
 *   () => checkDType("zeros", "toString"),
 *   { message: 'zeros: unknown dtype "toString": use "float32", "float64", "int32" or "bool"' },
 * );
 * ```
 */
export function checkDType(op: string, dtype: unknown): asserts dtype is DType {
  if (!isDType(dtype)) {
    throw new TypeError(
      // A dtype is a string anyway: "(a string)" would be noise.
      `${op}: unknown dtype ${describeValue(dtype).replace(/ \(a string\)$/, "")}: ` +
        `use "float32", "float64", "int32" or "bool"`,
    );
  }
}

/** Whether `value` names one of the four dtypes. */
export function isDType(value: unknown): value is DType {
  return typeof value === "string" && Object.hasOwn(CTORS, value);
}

/** The dtype whose typed array `data` is, or undefined. */
export function dtypeOfArray(data: unknown): DType | undefined {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint8Array) return "bool";
  return undefined;
}
