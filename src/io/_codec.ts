/**
 * Element codecs shared by the file formats: a tensor's values as little-endian bytes, and bytes
 * of any element type the formats name back to one of gradtape's dtypes (half floats and
 * bfloat16 widen to float32, small and 64-bit integers narrow to int32 when every value fits).
 */
import { describeValue } from "../core/check.ts";
import type { DType, TypedArray } from "../core/dtype.ts";
import { fmtShape, sizeOf } from "../core/shape.ts";
import { dataOf, Tensor } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";

/**
 * Element types on disk: IEEE floats of 2, 4, 8 bytes (`f2`, `f4`, `f8`), bfloat16, the two
 * 8-bit floats of safetensors, signed and unsigned integers, and one-byte booleans.
 */
export type Kind =
  | "f2"
  | "bf16"
  | "f4"
  | "f8"
  | "e4m3"
  | "e5m2"
  | "i1"
  | "i2"
  | "i4"
  | "i8"
  | "u1"
  | "u2"
  | "u4"
  | "u8"
  | "b1";

/** Bytes per element of each kind. */
export const ITEM_SIZE: Record<Kind, number> = {
  f2: 2,
  bf16: 2,
  f4: 4,
  f8: 8,
  e4m3: 1,
  e5m2: 1,
  i1: 1,
  i2: 2,
  i4: 4,
  i8: 8,
  u1: 1,
  u2: 2,
  u4: 4,
  u8: 8,
  b1: 1,
};

/** The kind each dtype is written as. */
export const KIND_OF: Record<DType, Kind> = {
  float32: "f4",
  float64: "f8",
  int32: "i4",
  bool: "b1",
};

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The tensor (or the variable's current value) that `x` holds, or undefined for other values. */
export function tensorOf(x: unknown): Tensor | undefined {
  if (x instanceof Tensor) return x;
  if (x instanceof Variable) return x.peek();
  return undefined;
}

/** The values of `t` as little-endian bytes of its dtype's kind (a copy). */
export function encode(t: Tensor): Uint8Array {
  const data = dataOf(t);
  const bytes = new Uint8Array(data.byteLength);
  if (t.dtype === "bool") {
    for (let i = 0; i < data.length; i++) bytes[i] = data[i] === 0 ? 0 : 1;
  } else if (HOST_LITTLE || data.BYTES_PER_ELEMENT === 1) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } else {
    const view = new DataView(bytes.buffer);
    const step = data.BYTES_PER_ELEMENT;
    for (let i = 0; i < data.length; i++) {
      if (t.dtype === "float32") view.setFloat32(i * step, data[i], true);
      else if (t.dtype === "float64") view.setFloat64(i * step, data[i], true);
      else view.setInt32(i * step, data[i], true);
    }
  }
  return bytes;
}

/** The dtype that values of `kind` are read as. */
export function dtypeOfKind(kind: Kind): DType {
  switch (kind) {
    case "f8":
      return "float64";
    case "f4":
    case "f2":
    case "bf16":
    case "e4m3":
    case "e5m2":
      return "float32";
    case "b1":
      return "bool";
    default:
      return "int32";
  }
}

/**
 * Reads the elements of `kind` in `bytes` as a typed array of `dtypeOfKind(kind)`. `what` names
 * the array in errors (`fromNpz: member 'x.npy'`), which refuse integers outside int32 rather
 * than wrap them.
 */
export function decode(
  bytes: Uint8Array,
  kind: Kind,
  littleEndian: boolean,
  what: string,
): TypedArray {
  const size = ITEM_SIZE[kind];
  const n = bytes.length / size;
  if (littleEndian === HOST_LITTLE && (kind === "f4" || kind === "f8" || kind === "i4")) {
    // A copy at offset 0 of a fresh buffer is aligned for any view.
    const own = bytes.slice().buffer;
    if (kind === "f4") return new Float32Array(own, 0, n);
    return kind === "f8" ? new Float64Array(own, 0, n) : new Int32Array(own, 0, n);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = littleEndian;
  switch (kind) {
    case "f4":
      return fill(new Float32Array(n), (i) => view.getFloat32(4 * i, le));
    case "f8":
      return fill(new Float64Array(n), (i) => view.getFloat64(8 * i, le));
    case "f2":
      return fill(new Float32Array(n), (i) => halfToNumber(view.getUint16(2 * i, le)));
    case "bf16":
      return fill(new Float32Array(n), (i) => bfloat16ToNumber(view.getUint16(2 * i, le)));
    case "e4m3":
      return fill(new Float32Array(n), (i) => e4m3ToNumber(bytes[i]));
    case "e5m2":
      return fill(new Float32Array(n), (i) => halfToNumber(bytes[i] << 8));
    case "i1":
      return fill(new Int32Array(n), (i) => view.getInt8(i));
    case "u1":
      return fill(new Int32Array(n), (i) => bytes[i]);
    case "i2":
      return fill(new Int32Array(n), (i) => view.getInt16(2 * i, le));
    case "u2":
      return fill(new Int32Array(n), (i) => view.getUint16(2 * i, le));
    case "i4":
      return fill(new Int32Array(n), (i) => view.getInt32(4 * i, le));
    case "u4":
      return narrow(n, what, (i) => view.getUint32(4 * i, le));
    case "i8":
    case "u8":
      return narrow(n, what, (i) => {
        const big = kind === "i8" ? view.getBigInt64(8 * i, le) : view.getBigUint64(8 * i, le);
        return big >= -0x80000000n && big <= 0x7fffffffn ? Number(big) : big;
      });
    case "b1":
      return fill(new Uint8Array(n), (i) => bytes[i] === 0 ? 0 : 1);
  }
}

function fill<A extends TypedArray>(out: A, at: (i: number) => number): A {
  for (let i = 0; i < out.length; i++) out[i] = at(i);
  return out;
}

// Integers that are not int32's: refused, with the first that does not fit, rather than wrapped.
function narrow(n: number, what: string, at: (i: number) => number | bigint): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = at(i);
    if (typeof v === "bigint" || v > 0x7fffffff || v < -0x80000000) {
      throw new RangeError(
        `${what}: integers outside int32, the first ${v} at flat index ${i}: gradtape's ` +
          `integer dtype is int32: convert the array to int32 (or to float64) before saving it`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** The value of an IEEE half-precision float given by its 16 bits. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The value of a bfloat16 given by its 16 bits: the top half of a float32. */
export function bfloat16ToNumber(b: number): number {
  U32[0] = b << 16;
  return F32[0];
}

/** The value of an 8-bit float E4M3 (the "fn" variant: no infinities, NaN at S.1111.111). */
export function e4m3ToNumber(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const frac = b & 0x7;
  if (exp === 0xf && frac === 0x7) return NaN;
  if (exp === 0) return sign * frac * 2 ** -9;
  return sign * (1 + frac / 8) * 2 ** (exp - 7);
}

/** Checks a shape read from a file: non-negative integers whose product is `count`, if given. */
export function checkFileShape(what: string, shape: unknown): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw new Error(`${what}: the shape ${describeValue(shape)} is not a list of sizes`);
  }
  return shape;
}

/** A tensor of `shape` over `data`, after checking that they agree. */
export function tensorFrom(
  what: string,
  data: TypedArray,
  shape: number[],
  dtype: DType,
): Tensor {
  if (data.length !== sizeOf(shape)) {
    throw new Error(
      `${what}: ${data.length} values for shape ${fmtShape(shape)} (${sizeOf(shape)} elements)`,
    );
  }
  return new Tensor(data, shape, dtype);
}

/** `bytes` as a Uint8Array (an ArrayBuffer is taken too), or a clear error. */
export function checkBytes(op: string, bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new TypeError(
    `${op}: takes the file's bytes as a Uint8Array (await readFile(path) from node:fs/promises, or ` +
      `new Uint8Array(await response.arrayBuffer())), not ${describeValue(bytes)}`,
  );
}

/**
 * Sets `record[key]` as an own property: a name read from a file may be `__proto__`, which an
 * assignment would take as the record's prototype.
 */
export function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
