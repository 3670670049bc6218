/**
 * numpy's `.npz` format: a zip archive with one `.npy` member per array, stored (`np.savez`) or
 * deflated (`np.savez_compressed`).
 */
import { describeValue } from "../core/check.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import { checkBytes, setEntry, tensorOf } from "./_codec.ts";
import { npyBytes, readNpy } from "./_npy.ts";
import { unzip, zipStored } from "./_zip.ts";

/**
 * The arrays of `arrays` in numpy's `.npz` format, as `np.savez(file, **arrays)` writes it:
 * each a `name.npy` member, stored without compression.
 *
 * @param arrays A record of tensors or variables; the keys name them.
 * @returns The file's bytes; `np.load` reads them.
 * @example A round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, io } from "@gradtape/gradtape";
 * const bytes = io.toNpz({ x: constant([1, 2]), mask: constant([true, false]) });
 * const { x, mask } = io.fromNpz(bytes);
 * assert.deepEqual(x.toArray(), [1, 2]);
 * assert.deepEqual(mask.toArray(), [true, false]);
 * ```
 */
export function toNpz(arrays: Record<string, Tensor | Variable>): Uint8Array {
  const op = "toNpz";
  if (arrays === null || typeof arrays !== "object" || Array.isArray(arrays)) {
    throw new TypeError(
      `${op}: takes a record of named arrays, such as { x, y }, not ${describeValue(arrays)}`,
    );
  }
  const members: [string, Uint8Array][] = Object.entries(arrays).map(([name, v]) => {
    const t = tensorOf(v);
    if (t === undefined) {
      throw new TypeError(`${op}: arrays.${name} is ${describeValue(v)}, not a tensor or variable`);
    }
    return [`${name}.npy`, npyBytes(t)];
  });
  return zipStored(op, members);
}

/**
 * The arrays of an `.npz` file by name, as `np.load` gives them: members stored (`np.savez`)
 * or deflated (`np.savez_compressed`) are read, zip64 records included, each checked against
 * its CRC-32; each `name.npy` member becomes the tensor `name` (see `fromNpy` for the dtypes),
 * and members that are not `.npy` arrays are skipped.
 *
 * @param bytes The file's bytes.
 * @returns A record of tensors, in the archive's order.
 * @example Reading what toNpz wrote
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, io } from "@gradtape/gradtape";
 * const { w } = io.fromNpz(io.toNpz({ w: constant([[1], [2]], { dtype: "int32" }) }));
 * assert.equal(w.dtype, "int32");
 * assert.deepEqual(w.toArray(), [[1], [2]]);
 * ```
 */
export function fromNpz(bytes: Uint8Array | ArrayBuffer): Record<string, Tensor> {
  const op = "fromNpz";
  const out: Record<string, Tensor> = {};
  for (const { name, data } of unzip(op, checkBytes(op, bytes))) {
    const npy = name.endsWith(".npy");
    if (!npy && data[0] !== 0x93) continue; // a folder, or a file that is not an array
    const key = npy ? name.slice(0, -4) : name;
    setEntry(out, key, readNpy(`${op}: member '${name}'`, data));
  }
  return out;
}
