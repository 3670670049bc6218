/**
 * Keras's layers: `Dense`, `Dropout`, `Flatten`, `Embedding`, `BatchNormalization`,
 * `LayerNormalization`, `Conv1D`/`Conv2D`/`Conv3D`, `DepthwiseConv2D`, `Conv2DTranspose`, the pooling layers
 * (`MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D`… in 1 to 3 dimensions) and
 * `Sequential`, each a `Module` built on its first call from the input's shape and called as
 * `layer.apply(x, { training })`; `Layer` to write one's own.
 *
 * @module
 */
// `export *` rather than named re-exports: `deno doc` lists the members of a namespace
// (`export * as layers` in mod.ts) only from star re-exports and local declarations.
export * from "./layer.ts";
export * from "./core.ts";
export * from "./normalization.ts";
export * from "./conv.ts";
export * from "./pooling.ts";
