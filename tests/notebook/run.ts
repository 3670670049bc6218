/**
 * `deno task notebook [--update]`: executes examples/gradient_tape.ipynb headless on Deno's
 * Jupyter kernel, through `jupyter nbconvert --execute`, into out/notebook/, then checks it with
 * check_notebook.ts: every cell ran without an error, tensors came out as tables, both figures
 * were drawn, the tutorial's numbers are right, and the outputs stored in the notebook (what
 * readers see without running it) match the fresh run. With `--update`, the fresh outputs replace
 * the stored ones instead (after the other checks pass).
 *
 * Needs `jupyter nbconvert` (Debian and Ubuntu: `apt-get install jupyter-nbconvert`; elsewhere
 * `pip install nbconvert`) and this Deno's kernel registered (`deno jupyter --install --force`).
 * No Python kernel is involved: Deno's kernel is the `deno` binary itself.
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkCommittedOutputs,
  checkNotebook,
  type Notebook,
  readNotebook,
  report,
  summary,
} from "./check_notebook.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const notebookPath = join(root, "examples", "gradient_tape.ipynb");
const configPath = join(root, "tests", "notebook", "nbconvert_config.py");
const outPath = join(root, "out", "notebook", "gradient_tape.ipynb");

/** Seconds one cell may take before nbconvert gives up on it, and the whole run. */
const cellTimeout = 120;
const runTimeout = 600;

const decoder = new TextDecoder();

/** Runs a command to completion and returns its exit code and output, or null if not found. */
async function capture(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string } | null> {
  try {
    const { code, stdout, stderr } = await new Deno.Command(cmd, { args }).output();
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Stops with a message. */
function fail(message: string): never {
  console.error(`error: ${message}`);
  Deno.exit(1);
}

/**
 * Finds the kernelspec named `deno` where Jupyter looks first, and checks that it runs this
 * Deno, so that the notebook is tested with the Deno that runs everything else.
 */
async function checkKernel(): Promise<void> {
  const paths = await capture("jupyter", ["--paths", "--json"]);
  if (paths === null) {
    fail(
      "`jupyter` is not on PATH: install nbconvert (Debian/Ubuntu: apt-get install " +
        "jupyter-nbconvert; elsewhere: pip install nbconvert)",
    );
  }
  const dataDirs: string[] = JSON.parse(paths.stdout).data ?? [];
  const register =
    `register this Deno's kernel with \`${Deno.execPath()} jupyter --install --force\``;
  for (const dir of dataDirs) {
    let spec: { argv?: string[] };
    try {
      spec = JSON.parse(await Deno.readTextFile(join(dir, "kernels", "deno", "kernel.json")));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    const exe = spec.argv?.[0] ?? "";
    const version = await capture(exe, ["--version"]);
    const found = /^deno (\S+)/.exec(version?.stdout ?? "")?.[1];
    if (found !== Deno.version.deno) {
      fail(
        `the Jupyter kernel "deno" (${join(dir, "kernels", "deno")}) runs ${exe}, which is ` +
          `${found === undefined ? "not a working deno" : `deno ${found}`}, not this deno ` +
          `${Deno.version.deno}: ${register}`,
      );
    }
    console.log(`kernel: deno ${found} (${exe}), from ${join(dir, "kernels", "deno")}`);
    return;
  }
  fail(`no Jupyter kernel named "deno" in ${dataDirs.join(", ")}: ${register}`);
}

/** Executes the notebook into `outPath` with nbconvert; returns the seconds it took. */
async function execute(): Promise<number> {
  await mkdir(dirname(outPath), { recursive: true });
  const args = [
    "nbconvert",
    // Works around Deno's kernel sending some outputs after a cell's idle (see the file).
    "--config",
    configPath,
    "--to",
    "notebook",
    "--execute",
    // Run every cell even after an error, so that check_notebook.ts reports all of them.
    "--allow-errors",
    "--ExecutePreprocessor.kernel_name=deno",
    `--ExecutePreprocessor.timeout=${cellTimeout}`,
    "--output",
    outPath,
    notebookPath,
  ];
  console.log(`$ jupyter ${args.join(" ")}`);
  const start = performance.now();
  const child = new Deno.Command("jupyter", {
    args,
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
    signal: AbortSignal.timeout(runTimeout * 1000),
  }).spawn();
  const { code, signal } = await child.status;
  const seconds = (performance.now() - start) / 1000;
  if (signal !== null) fail(`nbconvert did not finish within ${runTimeout} s and was stopped`);
  if (code !== 0) fail(`nbconvert exited with ${code} after ${seconds.toFixed(1)} s`);
  return seconds;
}

/**
 * `nb` with every cell's source ending in a newline. Deno 2.9.6's `deno fmt --check` reports a
 * notebook cell without one as unformatted (with an empty diff) unless its cache says otherwise,
 * while `deno fmt` itself writes cells without one: stored this way, the notebook passes both.
 */
function withFinalNewlines(nb: Notebook): Notebook {
  return {
    ...nb,
    cells: nb.cells.map((cell) => {
      const lines = Array.isArray(cell.source) ? [...cell.source] : [cell.source];
      if (lines.length > 0 && !lines[lines.length - 1].endsWith("\n")) {
        lines[lines.length - 1] += "\n";
      }
      return { ...cell, source: lines };
    }),
  };
}

/** The executed notebook as it is stored: without nbclient's timestamps, which change each run. */
function forStorage(nb: Notebook): Notebook {
  return withFinalNewlines({
    ...nb,
    cells: nb.cells.map((cell) => {
      const { execution: _, ...metadata } = cell.metadata ?? {};
      return { ...cell, metadata };
    }),
  });
}

/** Writes `nb` to `path` as nbformat does (one-space indent). */
async function writeNotebook(path: string, nb: Notebook): Promise<void> {
  await writeFile(path, JSON.stringify(nb, null, 1) + "\n");
}

async function main(args: readonly string[]): Promise<void> {
  const update = args.includes("--update");
  await checkKernel();
  const seconds = await execute();
  console.log(`executed in ${seconds.toFixed(1)} s`);

  const executed = await readNotebook(outPath);
  console.log(`${outPath}: ${summary(executed)}`);
  const results = checkNotebook(executed);
  const passed = results.every((r) => r.error === undefined);
  if (!update) {
    results.push(...checkCommittedOutputs(await readNotebook(notebookPath), executed));
  }
  const ok = report(results);
  if (update && passed) {
    await writeNotebook(notebookPath, forStorage(executed));
    const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", notebookPath] })
      .output();
    if (!fmt.success) fail(`deno fmt failed on ${notebookPath}: ${decoder.decode(fmt.stderr)}`);
    // deno fmt drops the final newline of the cells it reformats; put it back.
    await writeNotebook(notebookPath, withFinalNewlines(await readNotebook(notebookPath)));
    console.log(`updated the stored outputs of ${notebookPath}`);
  } else if (update) {
    console.log(`left ${notebookPath} as it was, since a check failed`);
  }
  if (!ok) Deno.exit(1);
}

if (import.meta.main) await main(Deno.args);
