/** Optimizers with Keras's `applyGradients`: `SGD` (with momentum) and `Adam`. */
export { SGD } from "./sgd.ts";
export type { SGDOptions } from "./sgd.ts";
export { Adam } from "./adam.ts";
export type { AdamOptions } from "./adam.ts";
export type { GradientPair } from "./optimizer.ts";
