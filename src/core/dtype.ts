/** The element types a tensor can hold. */
export type DType = "float32" | "float64" | "int32" | "bool";

/** The typed array that backs a tensor of each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

import { noteFresh, takeBuffer } from "./memory.ts";

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
  return pooled === undefined ? new C(n) : new C(pooled);
}

/**
 * A typed array (contents arbitrary) over a buffer of its own, never part of a slab, that no
 * `tidy` scope will recycle: for arrays handed to the user, who may transfer the buffer. Large
 * ones come from the pool of released buffers, as fresh memory's first touch costs more than
 * filling it.
 */
export function allocateExclusive(dtype: DType, n: number): TypedArray {
  const C = CTORS[dtype];
  const bytes = n * C.BYTES_PER_ELEMENT;
  const pooled = bytes > SMALL_BYTES ? takeBuffer(bytes) : undefined;
  return pooled === undefined ? new C(n) : new C(pooled);
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

function alloc(dtype: DType, n: number, zeroed: boolean): TypedArray {
  const C = CTORS[dtype];
  const bytes = n * C.BYTES_PER_ELEMENT;
  if (bytes > SMALL_BYTES) {
    const pooled = takeBuffer(bytes);
    let a: TypedArray;
    if (pooled === undefined) a = new C(n);
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
  const out = allocateUninit(dtype, src.length);
  if (dtype === "bool") {
    for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
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
