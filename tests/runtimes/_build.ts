/** Builds what the runtime tests load: the bundles of `deno task bundle`, and the kernel probe. */
import assert from "node:assert/strict";

/** The repository's root folder. */
export const root: URL = new URL("../../", import.meta.url);

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

const decoder = new TextDecoder();

async function deno(args: string[]): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(
    code,
    0,
    `deno ${args.join(" ")} exited with ${code}:\n${decoder.decode(stdout)}${
      decoder.decode(stderr)
    }`,
  );
}

/** Runs `deno task bundle`, which writes dist/gradtape.js. */
export async function bundle(): Promise<void> {
  await deno(["task", "bundle"]);
  for (const file of ["dist/gradtape.js"]) {
    assert.ok((await Deno.stat(new URL(file, root))).size > 0, `${file} is empty`);
  }
}

/** Bundles tests/runtimes/wasm_probe.ts to `dir`/wasm_probe.js and returns that path. */
export async function bundleProbe(dir: string): Promise<string> {
  const out = `${dir}/wasm_probe.js`;
  await deno([
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--format",
    "esm",
    "--output",
    out,
    "tests/runtimes/wasm_probe.ts",
  ]);
  return out;
}

/**
 * Whether `node` runs real Node. (Where PATH has no `node`, Deno puts a stand-in of its own on
 * the PATH of its subprocesses, which would run the Node check under Deno.)
 */
export function hasRealNode(): boolean {
  try {
    return new Deno.Command("node", {
      args: [
        "-e",
        "process.exit(typeof Deno === 'undefined' && typeof Bun === 'undefined' ? 0 : 1)",
      ],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}
