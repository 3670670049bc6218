/**
 * The module graph of src/: no import cycle beyond the documented ones, and every module can be
 * imported on its own (what a cycle breaks first, when a module's top level uses an import that
 * has not run yet).
 */
import assert from "node:assert/strict";
import { findCycles, importGraph, runtimeImports } from "../../tools/import_cycles.ts";

const SRC = new URL("../../src", import.meta.url).pathname;

// The cycles still to break, as modules (relative to src/) that import each other: none. The op
// families call each other's primitives through the leaf layer `ops/_lax.ts` (a table each
// family fills when it loads, and `bind` wrappers over it), never by importing one another, and
// composites of several families (`reduce_composite.ts`, `nn.ts`) sit above them. A new cycle
// fails the test; list one here only with the reason it cannot be broken yet.
const KNOWN_CYCLES: string[][] = [];

Deno.test("src/ has no import cycle beyond the documented ones", async () => {
  const cycles = findCycles(await importGraph(SRC));
  assert.deepEqual(cycles.map((c) => c.modules), KNOWN_CYCLES);
});

Deno.test("src/core has no import cycle", async () => {
  const cycles = findCycles(await importGraph(SRC));
  assert.deepEqual(cycles.filter((c) => c.modules.some((m) => m.startsWith("core/"))), []);
});

Deno.test("runtimeImports() skips type-only imports and keeps side-effect ones", () => {
  const source = [
    `import { a, type B } from "./a.ts";`,
    `import type { C } from "./c.ts";`,
    `import { type D, type E } from "./d.ts";`,
    `import {\n  f,\n  g,\n} from "./f.ts";`,
    `import "./side.ts";`,
    `export * from "./all.ts";`,
    `export type { H } from "./h.ts";`,
    `import assert from "node:assert/strict";`,
    ` * import { i } from "./in_a_doc_comment.ts";`,
    `const s = "./not_an_import.ts";`,
  ].join("\n");
  assert.deepEqual(runtimeImports(source), ["./a.ts", "./f.ts", "./side.ts", "./all.ts"]);
});

Deno.test("findCycles() reports a cycle with a path through it, and none in a tree", () => {
  const graph = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts", "d.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", []],
  ]);
  assert.deepEqual(findCycles(graph), [
    { modules: ["a.ts", "b.ts", "c.ts"], path: ["a.ts", "b.ts", "c.ts", "a.ts"] },
  ]);
  graph.set("c.ts", ["d.ts"]);
  assert.deepEqual(findCycles(graph), []);
});

Deno.test("every module of src/ can be imported on its own", async () => {
  const files = [...(await importGraph(SRC)).keys()].sort();
  assert.ok(files.includes("ops/binary.ts"));
  // A fresh process per module: within one, the first import would load the others.
  const failures: string[] = [];
  for (const file of files) {
    const url = new URL(`../../src/${file}`, import.meta.url).href;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", `await import(${JSON.stringify(url)});`],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) failures.push(`${file}: ${new TextDecoder().decode(stderr)}`);
  }
  assert.deepEqual(failures, []);
});

Deno.test("an op whose family was never loaded names the missing primitive and mod.ts", async () => {
  // unary.ts alone: rsqrt divides, and binary.ts (which registers divide) never loads.
  const url = new URL("../../src/ops/unary.ts", import.meta.url).href;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const { rsqrt } = await import(${JSON.stringify(url)});
      try { rsqrt(4); } catch (e) { console.log(String(e)); }`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(code, 0);
  assert.match(
    new TextDecoder().decode(stdout),
    /divide: the primitive is not loaded .*: import the library \(mod\.ts\)/,
  );
});
