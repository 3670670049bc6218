/**
 * Saving and loading, as files' bytes (the library does no file I/O itself, so it runs in
 * browsers too): safetensors (`toSafetensors`, `fromSafetensors`), numpy's `.npy` and `.npz`
 * (`toNpy`, `fromNpy`, `toNpz`, `fromNpz`), and `Checkpoint` for a model and its optimizer.
 *
 * @module
 */
// `export *` rather than named re-exports: `deno doc` lists the members of a namespace
// (`export * as io` in mod.ts) only from star re-exports and local declarations.
export * from "./safetensors.ts";
export * from "./npy.ts";
export * from "./npz.ts";
export * from "./checkpoint.ts";
export * from "./state.ts";
