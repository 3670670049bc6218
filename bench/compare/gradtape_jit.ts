/**
 * The comparison's workloads on gradtape under `jit`, written as a user of its public API would:
 * the unit of work that repeats is one jitted function, traced and compiled on its first call
 * (which `prepare` does not make: the first run pays for it), and the rest is as in gradtape.ts.
 * W2 and W3 jit one training step (tape, gradient, `assignSub` on the variables) and still read
 * the loss after every epoch, as the eager version and the tutorial do; W4 jits one training step
 * with `optimizers.SGD`, as the eager version takes it (an optimizer keeps its state in variables,
 * so `applyGradients` traces).
 */
import * as gt from "../../mod.ts";
import type { Impl } from "./workloads.ts";
import { gradtape, gradtapeUntidy, gradtapeWith } from "./gradtape.ts";

/** gradtape's implementations under `jit`. */
export const gradtapeJit: Impl = gradtapeWith(gt.jit);

/** gradtape's implementations for a benchmark's mode: `eager`, `untidy` (no `tidy`) or `jit`. */
export function gradtapeMode(mode: string): Impl {
  if (mode === "jit") return gradtapeJit;
  if (mode === "untidy") return gradtapeUntidy;
  if (mode === "eager") return gradtape;
  throw new Error(`no mode ${mode}: eager, untidy or jit`);
}
