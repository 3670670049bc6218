/**
 * numpy's `.npy` format: a magic string, a version, a Python-literal header (`descr`,
 * `fortran_order`, `shape`), then the raw values.
 */
import { toTensor } from "../core/convert.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { checkBytes, tensorOf } from "./_codec.ts";
import { npyBytes, readNpy } from "./_npy.ts";

/**
 * `x` in numpy's `.npy` format (version 1.0, C order, little-endian `<f4`, `<f8`, `<i4` or
 * `|b1`), as `np.save` writes it.
 *
 * @param x A tensor or variable (or anything `constant` takes).
 * @returns The file's bytes; `np.load` reads them.
 * @example A round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, io } from "@gradtape/gradtape";
 * const bytes = io.toNpy(constant([[1, 2, 3]], { dtype: "float64" }));
 * assert.equal(bytes.length % 64, 24 % 64); // a 64-byte header, then 3 × 8 bytes
 * const back = io.fromNpy(bytes);
 * assert.deepEqual(back.shape, [1, 3]);
 * assert.equal(back.dtype, "float64");
 * assert.deepEqual(back.toArray(), [[1, 2, 3]]);
 * ```
 */
export function toNpy(x: TensorLike): Uint8Array {
  const t = tensorOf(x) ?? toTensor(x, { op: "toNpy" });
  return npyBytes(t);
}

/**
 * The array in a `.npy` file, as `np.load` reads it: any byte order, C or Fortran order, 0-d
 * and empty arrays. `float32`, `float64`, `int32` and `bool` are read as they are; `float16`
 * widens to float32; `int8`, `int16`, `uint8`, `uint16` become int32, and `int64`, `uint32`,
 * `uint64` too when every value fits (numpy's default integer is int64), else an error. Complex,
 * string, object and structured arrays are refused.
 *
 * @param bytes The file's bytes.
 * @returns The array as a tensor.
 * @example An int64 array from numpy becomes int32
 * ```ts
 * import assert from "node:assert/strict";
 * import { io } from "@gradtape/gradtape";
 * // What np.save(f, np.array([7, -2])) writes: a 10-byte preamble, a 118-byte header, int64s.
 * const header = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }".padEnd(117);
 * const head = new TextEncoder().encode("?NUMPY\x01\x00??" + header + "\n");
 * head[0] = 0x93;
 * new DataView(head.buffer).setUint16(8, 118, true);
 * const data = new Uint8Array(new BigInt64Array([7n, -2n]).buffer);
 * const t = io.fromNpy(new Uint8Array([...head, ...data]));
 * assert.equal(t.dtype, "int32");
 * assert.deepEqual(t.toArray(), [7, -2]);
 * ```
 */
export function fromNpy(bytes: Uint8Array | ArrayBuffer): Tensor {
  return readNpy("fromNpy", checkBytes("fromNpy", bytes));
}
