/** The safetensors format's reader and writer, for the public functions and `Checkpoint`. */
import { describeValue } from "../core/check.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import {
  checkBytes,
  checkFileShape,
  decode,
  dtypeOfKind,
  encode,
  ITEM_SIZE,
  type Kind,
  setEntry,
  tensorFrom,
  tensorOf,
} from "./_codec.ts";

const FROM_KIND: Partial<Record<string, Kind>> = {
  F64: "f8",
  F32: "f4",
  F16: "f2",
  BF16: "bf16",
  F8_E4M3: "e4m3",
  F8_E5M2: "e5m2",
  I64: "i8",
  I32: "i4",
  I16: "i2",
  I8: "i1",
  U64: "u8",
  U32: "u4",
  U16: "u2",
  U8: "u1",
  BOOL: "b1",
};

const TO_NAME = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" } as const;

/** The safetensors bytes of `entries` (name, value), written in name order. */
export function writeSafetensors(
  entries: readonly [string, Tensor | Variable][],
  metadata?: Record<string, string>,
): Uint8Array {
  const sorted = [...entries].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, value] of sorted) {
    const t = tensorOf(value)!;
    const blob = encode(t);
    header[name] = {
      dtype: TO_NAME[t.dtype],
      shape: [...t.shape],
      data_offsets: [offset, offset + blob.length],
    };
    blobs.push(blob);
    offset += blob.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Padded with spaces to a multiple of 8, so that the values are aligned in the file.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** `fromSafetensors` for `op`, which its errors name. */
export function readSafetensors(op: string, bytes: unknown): Record<string, Tensor> {
  const { header, data } = readHeader(op, bytes);
  const out: Record<string, Tensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    setEntry(out, name, readEntry(`${op}: tensor '${name}'`, entry, data));
  }
  return out;
}

export function readHeader(
  op: string,
  bytes: unknown,
): { header: Record<string, unknown>; data: Uint8Array } {
  const b = checkBytes(op, bytes);
  if (b.length < 8) {
    throw new Error(`${op}: ${b.length} bytes is too short for a safetensors file (8 at least)`);
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(b.length - 8)) {
    throw new Error(
      `${op}: the header length ${n} runs past the end of the ${b.length} bytes: ` +
        `not a safetensors file, or a truncated one`,
    );
  }
  const len = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(8, 8 + len)));
  } catch (e) {
    throw new Error(
      `${op}: the header is not valid JSON (${(e as Error).message}): not a safetensors file`,
    );
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new Error(`${op}: the header is ${describeValue(header)}, not a JSON object`);
  }
  return { header: header as Record<string, unknown>, data: b.subarray(8 + len) };
}

function readEntry(what: string, entry: unknown, data: Uint8Array): Tensor {
  if (entry === null || typeof entry !== "object") {
    throw new Error(`${what}: its header entry is ${describeValue(entry)}, not an object`);
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  const kind = typeof dtype === "string" ? FROM_KIND[dtype] : undefined;
  if (kind === undefined) {
    throw new Error(
      `${what}: dtype ${describeValue(dtype)} is not one gradtape reads: the readable dtypes ` +
        `are ${Object.keys(FROM_KIND).join(", ")}`,
    );
  }
  const dims = checkFileShape(what, shape);
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
  ) {
    throw new Error(`${what}: data_offsets ${describeValue(offsets)} is not [begin, end]`);
  }
  const [begin, end] = offsets as number[];
  const count = dims.reduce((a, d) => a * d, 1);
  if (end - begin !== count * ITEM_SIZE[kind]) {
    throw new Error(
      `${what}: its ${end - begin} bytes do not hold shape [${dims.join(",")}] of ${dtype} ` +
        `(${count * ITEM_SIZE[kind]} bytes)`,
    );
  }
  if (end > data.length) {
    throw new Error(
      `${what}: its bytes [${begin}, ${end}) run past the end of the data (${data.length} ` +
        `bytes): the file is truncated`,
    );
  }
  const values = decode(data.subarray(begin, end), kind, true, what);
  return tensorFrom(what, values, dims, dtypeOfKind(kind));
}
