/** Optimizers with Keras's `applyGradients`: `SGD` (with momentum) and `Adam`. */
// `export *` rather than named re-exports: `deno doc` lists the members of a namespace
// (`export * as optimizers` in mod.ts) only from star re-exports and local declarations.
export * from "./sgd.ts";
export * from "./adam.ts";
export * from "./gradient_pair.ts";
