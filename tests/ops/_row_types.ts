/**
 * The types of the registry's table of cases and the helpers its rows share; the rows themselves
 * are in `_registry_rows.ts` and, for each newer family of ops, in `rows/`.
 */
import type { Tensor, TensorLike } from "../../mod.ts";

/**
 * A function under test: tensors in, one tensor out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as gt from "../../mod.ts";
 * import type { Fn } from "./_row_types.ts";
 * const f: Fn = (a, b) => gt.add(a, b);
 * assert.equal(f(gt.constant(1), gt.constant(2)).item(), 3);
 * ```
 */
export type Fn = (...xs: Tensor[]) => Tensor;

/**
 * One case of a row: a function and inputs that exercise the row's primitive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rows } from "./_registry_rows.ts";
 * const c = "cases" in rows.log ? rows.log.cases[0] : rows.log.noGradient;
 * assert.equal(c.args.length, 1);
 * ```
 */
export interface Case {
  /** The function under test, of float tensors. */
  f: Fn;
  /** Inputs inside the op's domain: positive for log, away from ties for max, from kinks for abs. */
  args: TensorLike[];
  /** Finite-difference step and tolerances, where the default ones do not fit. */
  eps?: number;
  atol?: number;
  rtol?: number;
}

/**
 * A row: the cases that exercise a primitive, or `"no gradient"` with one case that uses it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rows } from "./_registry_rows.ts";
 * assert.ok("noGradient" in rows.sign && "cases" in rows.sin);
 * ```
 */
export type Row = { cases: Case[] } | { noGradient: Case };

export const x23 = [[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]];
export const pos23 = [[0.3, 1.2, 0.8], [1.5, 0.4, 2.1]];
export const unary = (f: (x: Tensor) => Tensor, args: TensorLike = x23): Row => ({
  cases: [{ f, args: [args] }],
});
export const noGrad = (f: Fn, ...args: TensorLike[]): Row => ({ noGradient: { f, args } });
export const cond = [[true, false, true], [false, false, true]];
