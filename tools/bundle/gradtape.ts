/**
 * Entry point of `deno task bundle`: `dist/gradtape.js`, one self-contained ES module with the
 * package's main entry and, as the `testing` namespace, its `./testing` entry. One file rather
 * than two: two bundles would each carry a copy of the core, and `checkGrads` from one would
 * reject the other's tensors.
 *
 * @module
 */
export * from "../../mod.ts";
export * as testing from "../../src/testing/mod.ts";
