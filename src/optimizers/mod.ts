/**
 * Optimizers with Keras's `applyGradients` and `minimize`: `SGD` (with momentum and Nesterov's),
 * `Adam` (and AMSGrad), `AdamW`, `RMSprop`, `Adagrad`, `Adamax`, `Nadam` and `Lion`, their base
 * class `Optimizer`, and learning-rate `schedules`.
 */
// `export *` rather than named re-exports: `deno doc` lists the members of a namespace
// (`export * as optimizers` in mod.ts) only from star re-exports and local declarations.
export * from "./optimizer.ts";
export * from "./sgd.ts";
export * from "./adam.ts";
export * from "./rmsprop.ts";
export * from "./adagrad.ts";
export * from "./adamax.ts";
export * from "./nadam.ts";
export * from "./lion.ts";
export * from "./gradient_pair.ts";
export * as schedules from "./schedules.ts";
