/**
 * Finds import cycles among the modules under src/: prints each strongly connected component of
 * the import graph (with one concrete cycle through it) and exits 1 if there is any.
 * Run with `deno run --allow-read tools/import_cycles.ts [dir]`.
 *
 * Type-only imports (`import type …`, `export type … from`, and imports whose every name is
 * marked `type`) are not edges: they vanish at runtime, so they cannot make module evaluation
 * order matter. Dynamic `import()` is not an edge either, since it runs after loading.
 * @module
 */

/** One group of modules that import each other, directly or not. */
export interface ImportCycle {
  /** The modules of the group, as paths relative to the scanned directory, sorted. */
  modules: string[];
  /** One cycle through the group, first module repeated at the end (`a.ts → b.ts → a.ts`). */
  path: string[];
}

// `import … from "x"`, `import "x"`, `export … from "x"`; the name list may span lines.
const IMPORT = /^\s*(?:import|export)\s+(?:([^;'"]*?)\s*\bfrom\s*)?["']([^"']+)["']/gm;

// `import type …`, `export type …`, or a list whose every name is marked `type` (erased too,
// as deno.json does not set verbatimModuleSyntax).
function isTypeOnly(clause: string): boolean {
  if (/^type\b/.test(clause)) return true;
  const names = clause.match(/^\{([\s\S]*)\}$/)?.[1].split(",").map((n) => n.trim())
    .filter((n) => n !== "");
  return names !== undefined && names.length > 0 && names.every((n) => /^type\s/.test(n));
}

/**
 * The runtime (non-type) relative imports of one module's source.
 *
 * @example Type-only imports are no edges
 * ```ts
 * import assert from "node:assert/strict";
 * import { runtimeImports } from "./import_cycles.ts";
 * const source = `import type { A } from "./a.ts";\nimport { b } from "./b.ts";`;
 * assert.deepEqual(runtimeImports(source), ["./b.ts"]);
 * ```
 */
export function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  for (const [, clause = "", specifier] of source.matchAll(IMPORT)) {
    if (specifier.startsWith(".") && !isTypeOnly(clause)) specifiers.push(specifier);
  }
  return specifiers;
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

/**
 * The runtime import graph of every .ts under `root`: module → modules it imports, both as paths
 * relative to `root`.
 *
 * @example The graph of src/
 * ```ts
 * import assert from "node:assert/strict";
 * import { importGraph } from "./import_cycles.ts";
 * const graph = await importGraph(new URL("../src", import.meta.url).pathname);
 * assert.ok(graph.get("core/variable.ts")?.includes("core/tensor.ts"));
 * ```
 */
export async function importGraph(root: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for await (const file of walk(root)) {
    const from = file.slice(root.length + 1);
    const dir = from.includes("/") ? from.slice(0, from.lastIndexOf("/")) : "";
    const targets = runtimeImports(await Deno.readTextFile(file))
      .map((s) => normalize(`${dir}/${s}`))
      .filter((t) => !t.startsWith("..")); // Outside root cannot close a cycle inside it.
    graph.set(from, [...new Set(targets)].sort());
  }
  return graph;
}

/**
 * The import cycles of `graph`: its strongly connected components with more than one module.
 *
 * @example Two modules importing each other
 * ```ts
 * import assert from "node:assert/strict";
 * import { findCycles } from "./import_cycles.ts";
 * const graph = new Map([["a.ts", ["b.ts"]], ["b.ts", ["a.ts"]], ["c.ts", ["a.ts"]]]);
 * assert.deepEqual(findCycles(graph), [
 *   { modules: ["a.ts", "b.ts"], path: ["a.ts", "b.ts", "a.ts"] },
 * ]);
 * ```
 */
export function findCycles(graph: Map<string, string[]>): ImportCycle[] {
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components
    .map((modules) => ({ modules, path: cycleThrough(graph, new Set(modules), modules[0]) }))
    .sort((a, b) => a.modules[0].localeCompare(b.modules[0]));
}

// Shortest cycle from `start` back to itself inside one component (breadth-first).
function cycleThrough(graph: Map<string, string[]>, members: Set<string>, start: string) {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = previous.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

if (import.meta.main) {
  const root = (Deno.args[0] ?? new URL("../src", import.meta.url).pathname).replace(/\/$/, "");
  const cycles = findCycles(await importGraph(root));
  for (const { modules, path } of cycles) {
    console.log(`${modules.length} modules: ${modules.join(", ")}\n  e.g. ${path.join(" → ")}`);
  }
  console.log(cycles.length === 0 ? "No import cycles." : `${cycles.length} import cycle(s).`);
  Deno.exit(cycles.length === 0 ? 0 : 1);
}
