/**
 * Testing helpers for gradtape users: `assertAllClose` for numeric comparison, and `checkGrads`
 * to check derivatives (your own `customGradient` rules included) in both modes, to any order,
 * against finite differences. Both throw on a mismatch, with a message naming the worst element.
 *
 * ```ts
 * import { exp, multiply } from "@gradtape/gradtape";
 * import { assertAllClose, checkGrads } from "@gradtape/gradtape/testing";
 *
 * assertAllClose(exp(0), 1);
 * checkGrads((x) => multiply(exp(x), x), [[0.1, 0.2]]);
 * ```
 *
 * @module
 */
export { assertAllClose } from "./assert_all_close.ts";
export type { AllCloseOptions } from "./assert_all_close.ts";
export { checkGrads } from "./check_grads.ts";
export type { CheckGradsOptions, Mode } from "./check_grads.ts";
