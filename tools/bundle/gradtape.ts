/**
 * Entry point of `deno task bundle` for `dist/gradtape.js`: the package's main entry, unchanged.
 *
 * The two entries are bundled together with code splitting: `dist/gradtape.js` and
 * `dist/testing.js` both import one shared `dist/chunk-*.js` that holds the library's core, so a
 * tensor made through either is of the one `Tensor` class the other checks for (two standalone
 * bundles would each carry a copy, and `checkGrads` would reject the other's tensors). Copy or
 * serve the files of `dist/` together.
 *
 * @module
 */
export * from "../../mod.ts";
