/**
 * The safetensors format (Hugging Face's), which PyTorch, JAX and most model hubs read and
 * write: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
 * and byte range, then the raw little-endian values.
 */
import { checkOptions, describeValue } from "../core/check.ts";
import type { Tensor } from "../core/tensor.ts";
import { tensorOf } from "./_codec.ts";
import { namedLeaves } from "./_paths.ts";
import { readHeader, readSafetensors, writeSafetensors } from "./_safetensors.ts";

/** Options of `toSafetensors`. */
export interface ToSafetensorsOptions {
  /** Free-form text stored in the header's `__metadata__` (strings only, as the format says). */
  metadata?: Record<string, string>;
}

/**
 * The tensors and variables of `tree` in the safetensors format. Each is named by its path in
 * the tree, keys and indices joined by `/` (`{ dense: { kernel } }` gives `"dense/kernel"`), or
 * by the key given (`{ "dense/kernel": kernel }`); a module or other object is walked by its own
 * fields. Values are stored little-endian as `F32`, `F64`, `I32` and `BOOL`, in key order.
 *
 * @param tree A record or array of tensors and variables, nested as deep as you like, or a module.
 * @param options `metadata`: strings to store in the header.
 * @returns The file's bytes (write them with `writeFile(path, bytes)` from `node:fs/promises`).
 * @example A round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, io, Variable } from "@gradtape/gradtape";
 * const bytes = io.toSafetensors(
 *   { dense: { kernel: new Variable([[1, 2]]), bias: constant([0], { dtype: "float64" }) } },
 *   { metadata: { format: "pt" } },
 * );
 * const back = io.fromSafetensors(bytes);
 * assert.deepEqual(Object.keys(back), ["dense/bias", "dense/kernel"]);
 * assert.deepEqual(back["dense/kernel"].toArray(), [[1, 2]]);
 * assert.equal(back["dense/bias"].dtype, "float64");
 * assert.deepEqual(io.safetensorsMetadata(bytes), { format: "pt" });
 * ```
 */
export function toSafetensors(tree: unknown, options: ToSafetensorsOptions = {}): Uint8Array {
  const op = "toSafetensors";
  checkOptions(op, options, ["metadata"]);
  const metadata = checkMetadata(op, options?.metadata);
  if (tensorOf(tree) !== undefined || tree === null || typeof tree !== "object") {
    throw new TypeError(
      `${op}: takes a record of named tensors, such as { weight: w }, or a tree of them, ` +
        `not ${tensorOf(tree) ? "a lone tensor (it would have no name)" : describeValue(tree)}`,
    );
  }
  const named = namedLeaves(tree, { op, strict: true, variablesOnly: false });
  if (named.some((n) => n.path === "__metadata__")) {
    throw new Error(
      `${op}: the name '__metadata__' is the format's own header entry: give the tensor ` +
        `another name, and text in the metadata option`,
    );
  }
  return writeSafetensors(
    named.map(({ path, value }) => [path, value]),
    metadata,
  );
}

function checkMetadata(op: string, m: unknown): Record<string, string> | undefined {
  if (m === undefined) return undefined;
  if (m === null || typeof m !== "object" || Array.isArray(m)) {
    throw new TypeError(`${op}: metadata must be a record of strings, not ${describeValue(m)}`);
  }
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== "string") {
      throw new TypeError(
        `${op}: metadata.${k} is ${describeValue(v)}: the format stores strings only ` +
          `(JSON.stringify it, or String(value))`,
      );
    }
  }
  return { ...m } as Record<string, string>;
}

/**
 * The tensors of a safetensors file, by name. `F32`, `F64`, `I32` and `BOOL` are read as they
 * are; `F16`, `BF16` and the 8-bit floats widen to float32 (exactly); `I8`, `I16`, `U8`, `U16`
 * become int32, and `I64`, `U32`, `U64` too when every value fits (else an error).
 *
 * @param bytes The file's bytes (`await readFile(path)` from `node:fs/promises`).
 * @returns A record of tensors, in the header's order.
 * @example Reading what toSafetensors wrote
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, io } from "@gradtape/gradtape";
 * const bytes = io.toSafetensors({ w: constant([1.5, 2]), n: constant(3, { dtype: "int32" }) });
 * const { w, n } = io.fromSafetensors(bytes);
 * assert.deepEqual(w.toArray(), [1.5, 2]);
 * assert.equal(n.item(), 3);
 * ```
 */
export function fromSafetensors(bytes: Uint8Array | ArrayBuffer): Record<string, Tensor> {
  return readSafetensors("fromSafetensors", bytes);
}

/**
 * The `__metadata__` strings of a safetensors file (empty when it has none).
 *
 * @param bytes The file's bytes.
 * @returns The metadata record.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, io } from "@gradtape/gradtape";
 * const bytes = io.toSafetensors({ w: constant(1) }, { metadata: { step: "100" } });
 * assert.deepEqual(io.safetensorsMetadata(bytes), { step: "100" });
 * ```
 */
export function safetensorsMetadata(bytes: Uint8Array | ArrayBuffer): Record<string, string> {
  const op = "safetensorsMetadata";
  const m = readHeader(op, bytes).header.__metadata__;
  if (m === undefined) return {};
  if (m === null || typeof m !== "object" || Array.isArray(m)) {
    throw new Error(`${op}: __metadata__ is ${describeValue(m)}, not a record of strings`);
  }
  return { ...m } as Record<string, string>;
}
