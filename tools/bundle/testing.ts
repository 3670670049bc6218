/**
 * Entry point of `deno task bundle` for `dist/testing.js`: the `./testing` entry, unchanged. It
 * shares its chunk with `dist/gradtape.js` (see gradtape.ts beside this file).
 *
 * @module
 */
export * from "../../src/testing/mod.ts";
