/**
 * Second half of `deno task bundle`: the type declarations of `dist/gradtape.js`, for Node and
 * browser users who compile with TypeScript's own `tsc`.
 *
 * TypeScript emits one `.d.ts` per source file into `dist/types/`, and `dist/gradtape.d.ts`
 * re-exports the bundle's entry from there; `tsc` finds it beside `dist/gradtape.js`, so
 * `import * as gt from "./dist/gradtape.js"` is typed. `dist/package.json` marks the folder's
 * files as ES modules, as Node and `tsc --module nodenext` need to know.
 *
 *   deno run --allow-read --allow-write --allow-env tools/bundle/declarations.ts
 *
 * @module
 */
import ts from "typescript";

const root = new URL("../../", import.meta.url);
const path = (relative: string) => decodeURIComponent(new URL(relative, root).pathname);
const dist = path("dist/");
const types = `${dist}types/`;

const options: ts.CompilerOptions = {
  declaration: true,
  emitDeclarationOnly: true,
  // The sources import each other as "./x.ts", as Deno and JSR want.
  allowImportingTsExtensions: true,
  rewriteRelativeImportExtensions: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts", "lib.dom.d.ts"],
  strict: true,
  skipLibCheck: true,
  rootDir: path("."),
  outDir: types,
  newLine: ts.NewLineKind.LineFeed,
};

await Deno.remove(types, { recursive: true }).catch((e) => {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
});
const program = ts.createProgram([path("tools/bundle/gradtape.ts")], options);
const result = program.emit();
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
if (diagnostics.length > 0 || result.emitSkipped) {
  console.error(ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => path("."),
    getNewLine: () => "\n",
  }));
  console.error("declarations: TypeScript reported the errors above; no declarations written");
  Deno.exit(1);
}

// rewriteRelativeImportExtensions rewrites only the emitted JavaScript; the declarations keep
// "./x.ts", which tsc refuses outside allowImportingTsExtensions. Their ".d.ts" answers to ".js".
let files = 0;
for await (const file of walk(types)) {
  const text = await Deno.readTextFile(file);
  const fixed = text.replace(/(from\s+|import\()(["'])(\.{1,2}\/[^"']*)\.ts\2/g, "$1$2$3.js$2");
  if (fixed !== text) await Deno.writeTextFile(file, fixed);
  files++;
}
// GradientTape has [Symbol.dispose], which ES2022's lib does not declare: without the reference,
// a project without Node's types or lib "esnext" would fail on it.
await Deno.writeTextFile(
  `${dist}gradtape.d.ts`,
  `/// <reference lib="esnext.disposable" />\n` +
    `// Types of gradtape.js (deno task bundle); the declarations themselves are in ./types/.\n` +
    `export * from "./types/tools/bundle/gradtape.js";\n`,
);
await Deno.writeTextFile(`${dist}package.json`, `{ "type": "module" }\n`);
console.log(`declarations: dist/gradtape.d.ts and ${files} files in dist/types/`);

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const full = `${dir}${entry.name}`;
    if (entry.isDirectory) yield* walk(`${full}/`);
    else if (entry.name.endsWith(".d.ts")) yield full;
  }
}
