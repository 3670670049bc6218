/** numpy's `.npy` format's reader and writer, for the public functions and `.npz`. */
import { describeValue } from "../core/check.ts";
import type { DType, TypedArray } from "../core/dtype.ts";
import type { Tensor } from "../core/tensor.ts";
import {
  checkFileShape,
  decode,
  dtypeOfKind,
  encode,
  ITEM_SIZE,
  type Kind,
  tensorFrom,
} from "./_codec.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR: Record<DType, string> = {
  float32: "<f4",
  float64: "<f8",
  int32: "<i4",
  bool: "|b1",
};

/** The `.npy` bytes of `t`. */
export function npyBytes(t: Tensor): Uint8Array {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(", ")})`;
  let header = `{'descr': '${DESCR[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Spaces then a newline, so that the values start at a multiple of 64 bytes.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, " ") + "\n";
  const data = encode(t);
  const out = new Uint8Array(total + data.length);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, total);
  return out;
}

/** The tensor in the `.npy` bytes `b`; `what` names the array in errors. */
export function readNpy(what: string, b: Uint8Array): Tensor {
  if (b.length < 10 || MAGIC.some((m, i) => b[i] !== m)) {
    throw new Error(`${what}: not a .npy file (it does not start with \\x93NUMPY)`);
  }
  const major = b[6];
  if (major < 1 || major > 3) {
    throw new Error(`${what}: .npy format version ${major}.${b[7]} is not one of 1.0, 2.0, 3.0`);
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerAt = major === 1 ? 10 : 12;
  const len = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerAt + len > b.length) {
    throw new Error(`${what}: the header runs past the end of the ${b.length} bytes`);
  }
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    b.subarray(headerAt, headerAt + len),
  );
  const { kind, little, fortran, shape } = parseHeader(what, text);
  const count = shape.reduce((a, d) => a * d, 1);
  const start = headerAt + len, end = start + count * ITEM_SIZE[kind];
  if (end > b.length) {
    throw new Error(
      `${what}: shape [${shape.join(",")}] needs ${end - start} bytes of values, the file has ` +
        `${b.length - start}: it is truncated`,
    );
  }
  let data = decode(b.subarray(start, end), kind, little, what);
  if (fortran && shape.length > 1) data = fromFortran(data, shape);
  return tensorFrom(what, data, shape, dtypeOfKind(kind));
}

interface Header {
  kind: Kind;
  little: boolean;
  fortran: boolean;
  shape: number[];
}

function parseHeader(what: string, text: string): Header {
  const descr = /['"]descr['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|(\[))/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (descr === null || fortran === null || shape === null) {
    throw new Error(
      `${what}: the header ${describeValue(text.trim())} lacks descr, ` +
        `fortran_order or shape`,
    );
  }
  if (descr[3] !== undefined) {
    throw new Error(
      `${what}: a structured array (descr is a list of fields) is not supported: save each ` +
        `field as an array of its own`,
    );
  }
  const dims = shape[1].split(",").map((s) => s.trim().replace(/L$/, "")).filter((s) => s !== "")
    .map(Number);
  return {
    ...parseDescr(what, descr[1] ?? descr[2]),
    fortran: fortran[1] === "True",
    shape: checkFileShape(what, dims),
  };
}

const NPY_KINDS: Record<string, Kind> = {
  f2: "f2",
  f4: "f4",
  f8: "f8",
  i1: "i1",
  i2: "i2",
  i4: "i4",
  i8: "i8",
  u1: "u1",
  u2: "u2",
  u4: "u4",
  u8: "u8",
  b1: "b1",
};

function parseDescr(what: string, descr: string): { kind: Kind; little: boolean } {
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  const code = m === null ? undefined : m[2] === "?" ? "b1" : m[2] + m[3];
  const kind = code === undefined ? undefined : NPY_KINDS[code];
  if (kind === undefined) {
    const why = m?.[2] === "c"
      ? "complex arrays are not supported: save the real and imaginary parts as two arrays"
      : m?.[2] === "f"
      ? "only float16, float32 and float64 are read"
      : "the readable dtypes are float16/32/64, int8/16/32/64, uint8/16/32/64 and bool";
    throw new Error(`${what}: dtype '${descr}' is not one gradtape reads: ${why}`);
  }
  return { kind, little: m![1] !== ">" };
}

// The values of a Fortran-order (column-major) array of `shape`, reordered into C order.
function fromFortran(data: TypedArray, shape: readonly number[]): TypedArray {
  const out = new (data.constructor as new (n: number) => TypedArray)(data.length);
  const rank = shape.length;
  const strides = new Array<number>(rank);
  strides[0] = 1;
  for (let k = 1; k < rank; k++) strides[k] = strides[k - 1] * shape[k - 1];
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < data.length; i++) {
    out[i] = data[src];
    for (let k = rank - 1; k >= 0; k--) {
      index[k]++;
      src += strides[k];
      if (index[k] < shape[k]) break;
      src -= strides[k] * shape[k];
      index[k] = 0;
    }
  }
  return out;
}
