/**
 * The one message for operands whose dtypes differ, so that every op gives the same advice.
 * Internal: it imports only a type, so that any part of the library can use it.
 */
import type { DType } from "./dtype.ts";

// Which way a cast loses nothing a user meant: bool → int32 → a float dtype.
const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 2 };

/**
 * `add: dtypes differ: int32 and float32: cast the int32 one with cast(x, "float32") first`:
 * where one operand is a float and the other an integer or bool (or one int32 and the other
 * bool), the hint casts the narrower one to the wider dtype; between float32 and float64 either
 * way may be meant, so it names the first operand's.
 *
 * @example Advice for an int32 operand of a float op
 * ```ts
 * import assert from "node:assert/strict";
 * import { dtypesDiffer } from "./_dtypes_differ.ts";
 * assert.equal(
 *   dtypesDiffer("matmul", "int32", "float32"),
 *   'matmul: dtypes differ: int32 and float32: cast the int32 one with cast(x, "float32") first',
 * );
 * assert.match(dtypesDiffer("add", "float64", "float32"), /cast one with cast\(x, "float64"\)/);
 * ```
 */
export function dtypesDiffer(op: string, a: DType, b: DType): string {
  const head = `${op}: dtypes differ: ${a} and ${b}`;
  if (RANK[a] === RANK[b]) return `${head}: cast one with cast(x, "${a}") first`;
  const [low, high] = RANK[a] < RANK[b] ? [a, b] : [b, a];
  return `${head}: cast the ${low} one with cast(x, "${high}") first`;
}
