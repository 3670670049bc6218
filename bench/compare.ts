/**
 * The comparison benchmark of the performance issue: workloads W1–W7, the vmap issue's W8
 * (per-example gradients) and the op-vocabulary issue's W9 (a Gaussian process's likelihood
 * gradient through a Cholesky factor) and W10 (the convolution issue's W8: one SGD step of a small
 * CNN, conv2d + relu + maxPool twice and a dense layer), on gradtape (eager, and with each unit of
 * work under `gt.jit`), TensorFlow.js 4.22 (cpu and wasm backends; no W8, tfjs having no vmap, and
 * no W9, tfjs having no Cholesky; W10 errs on wasm, which has no `Conv2DBackpropFilter` kernel)
 * and jax-js 0.1.25 (wasm,
 * eager and under `jit`), all fed the same seeded float32 inputs. Every library's first two results
 * of each workload are checked against float64 references (closed forms where there are any): a
 * wrong result is reported, not timed. Then each is warmed up, and timed in samples of enough runs
 * to last ≥ 20 ms; the table shows the median sample. A peer that fails to load, or fails a
 * workload, is reported and skipped.
 *
 * For the libraries that compile (gradtape jit, jax-js jit), a second table gives each workload's
 * first call: its `prepare` and first run, which trace and compile, timed before the checks and the
 * warm-up. It is measured in the same process as everything before it, not in a fresh one: code
 * that earlier columns ran (gradtape's kernels, under eager gradtape) is already compiled by V8.
 *
 * Run: `deno task bench:compare [--only W1,W5] [--libs gradtape,jax-jit] [--runs N] [--out DIR]`
 * (progress goes to stderr; the table to stdout; `latest.json`, `latest.md` and `latest.svg` to
 * DIR, `bench/results` by default). Not part of CI: the whole run takes a few minutes.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gradtape } from "./compare/gradtape.ts";
import { gradtapeJit } from "./compare/gradtape_jit.ts";
import { jaxImpl } from "./compare/jax.ts";
import {
  type Cell,
  type Column,
  failureNotes,
  firstRunLegend,
  firstRunTable,
  markdownTable,
  ratioChart,
  type Row,
  wrap,
} from "./compare/report.ts";
import { loadTfjs } from "./compare/tfjs_loader.ts";
import { tfjsImpl } from "./compare/tfjs.ts";
import { type Data, type Impl, makeData, type Prepared, WORKLOADS } from "./compare/workloads.ts";

/** A library under comparison: how to load it, and what it is. */
interface Library extends Column {
  load(): Promise<Impl>;
  /** Whether its first call of a workload traces and compiles (shown in the first-call table). */
  compiles?: boolean;
}

let tfjs: ReturnType<typeof loadTfjs> | undefined;
const tfjsBackend = async (backend: string): Promise<Impl> => {
  tfjs ??= loadTfjs();
  const { tf, backends, failures } = await tfjs;
  if (!backends.includes(backend)) throw new Error(failures[backend] ?? "not registered");
  return tfjsImpl(tf, backend);
};

let jax: Promise<typeof import("@jax-js/jax")> | undefined;
const jaxWasm = async (jitted: boolean): Promise<Impl> => {
  jax ??= (async () => {
    const m = await import("@jax-js/jax");
    const devices = await m.init("wasm");
    if (!devices.includes("wasm")) throw new Error(`jax-js: no wasm device (got ${devices})`);
    m.defaultDevice("wasm");
    return m;
  })();
  return jaxImpl(await jax, jitted);
};

const LIBRARIES: readonly Library[] = [
  { id: "gradtape", label: "gradtape", load: () => Promise.resolve(gradtape) },
  {
    id: "gradtape-jit",
    label: "gradtape jit",
    load: () => Promise.resolve(gradtapeJit),
    compiles: true,
  },
  { id: "tfjs-cpu", label: "tfjs cpu", load: () => tfjsBackend("cpu") },
  { id: "tfjs-wasm", label: "tfjs wasm", load: () => tfjsBackend("wasm") },
  { id: "jax-eager", label: "jax-js wasm", load: () => jaxWasm(false) },
  { id: "jax-jit", label: "jax-js jit", load: () => jaxWasm(true), compiles: true },
];

const MIN_SAMPLE_SECONDS = 0.02;
// NOTE: two seconds, not less: large workloads reach their steady state only after a second or so
// here, when the allocator starts reusing the memory of results read back and dropped instead of
// mapping fresh pages (a 1024² product runs at 44 ms, then 32; W6 at 22 ms for about a second,
// then 10). With one second, some runs timed the first phase.
const WARMUP_SECONDS = 2;
/** Past this much timing, a cell stops at `MIN_SAMPLES` samples. */
const CELL_BUDGET_SECONDS = 15;
const MIN_SAMPLES = 3;

const now = () => performance.now() / 1000;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const message = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * Checks the first two runs, warms up, and times the median run; `prepareSeconds` is how long
 * making `prep` took, kept with the first run's time.
 */
function measure(
  prep: Prepared<unknown>,
  check: (outs: unknown[]) => string | null,
  runs: number,
  prepareSeconds: number,
): Cell {
  const outs: unknown[] = [];
  const start = now();
  outs.push(prep.run());
  const first = { prepareSeconds, runSeconds: now() - start };
  outs.push(prep.run());
  const wrong = check(outs);
  if (wrong !== null) return { status: "wrong", message: wrong };
  // Warm-up, for the JIT compilers: the checked runs, then batches of doubling size until a batch
  // lasts a sample's minimum and the warm-up its time; the last batch's size is the sample's.
  let reps = 1;
  for (;;) {
    const t = now();
    for (let r = 0; r < reps; r++) prep.run();
    const took = now() - t;
    if (took >= MIN_SAMPLE_SECONDS && now() - start >= WARMUP_SECONDS) break;
    if (took > 2 * CELL_BUDGET_SECONDS / runs) break;
    if (took < MIN_SAMPLE_SECONDS) reps *= 2;
  }
  const samples: number[] = [];
  const timing = now();
  while (samples.length < runs) {
    const t = now();
    for (let r = 0; r < reps; r++) prep.run();
    samples.push((now() - t) / reps);
    if (samples.length >= MIN_SAMPLES && now() - timing > CELL_BUDGET_SECONDS) break;
  }
  const seconds = median(samples);
  return { status: "ok", value: 0, seconds, samples, reps, first };
}

async function gitCommit(): Promise<string> {
  try {
    const head = (await readFile(new URL("../.git/HEAD", import.meta.url), "utf8")).trim();
    if (!head.startsWith("ref: ")) return head;
    const ref = head.slice(5);
    try {
      return (await readFile(new URL(`../.git/${ref}`, import.meta.url), "utf8")).trim();
    } catch {
      const packed = await readFile(new URL("../.git/packed-refs", import.meta.url), "utf8");
      return packed.split("\n").find((l) => l.endsWith(` ${ref}`))?.split(" ")[0] ?? "unknown";
    }
  } catch {
    return "unknown";
  }
}

/** The CPU's model name, or "unknown" without `--allow-sys=cpus`. */
function cpuModel(): string {
  try {
    return cpus()[0]?.model ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The 1, 5 and 15-minute load averages, or "unknown" without `--allow-sys=loadavg`. */
function loadAverage(): string {
  try {
    return loadavg().map((l) => l.toFixed(2)).join(" ");
  } catch {
    return "unknown";
  }
}

/**
 * The CPU time of all cores so far that the VM wanted (busy, or waiting for its host), and the part
 * of it the hypervisor gave to other guests (Linux), in ticks.
 */
interface CpuTicks {
  readonly wanted: number;
  readonly stolen: number;
}

// NOTE: this VM's speed changes 3× from hour to hour (matmul at 42–47 GFLOP/s on one thread in its
// fast phases, 11–14 in its slow ones). In one slow phase /proc/stat's steal time (ticks the
// hypervisor gave to other guests while this one wanted to run) was 40 % of the time the VM
// wanted; other slow phases show none (the host's cores are shared some other way). The report
// gives the share, so that a table is read with what is known of its machine's phase.
async function cpuTicks(): Promise<CpuTicks | null> {
  try {
    // Deno reads /proc only with every permission; `cat` needs just --allow-run=cat.
    const { stdout } = await new Deno.Command("cat", { args: ["/proc/stat"] }).output();
    const line = new TextDecoder().decode(stdout).split("\n")[0];
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is counted in user already)
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return { wanted: user + nice + system + irq + softirq + steal, stolen: steal };
  } catch {
    return null;
  }
}

/** The share of the CPU time wanted between two readings that the hypervisor took, or null. */
function stolenShare(before: CpuTicks | null, after: CpuTicks | null): number | null {
  if (before === null || after === null) return null;
  const wanted = after.wanted - before.wanted;
  return wanted > 0 && Number.isFinite(wanted) ? (after.stolen - before.stolen) / wanted : null;
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      only: { type: "string" },
      libs: { type: "string" },
      runs: { type: "string", default: "7" },
      out: { type: "string", default: fileURLToPath(new URL("results", import.meta.url)) },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "deno task bench:compare [--only W1,W5,...] [--libs gradtape,gradtape-jit,tfjs-cpu," +
        "tfjs-wasm,jax-eager,jax-jit] [--runs N (default 7)] [--out DIR (default bench/results)]",
    );
    return;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer`);
  const split = (s: string | undefined) => s?.split(",").map((x) => x.trim()).filter(Boolean);
  const only = split(values.only)?.map((o) => o.toLowerCase());
  const workloads = WORKLOADS.filter((w) => {
    const id = w.id.toLowerCase();
    return only === undefined || only.some((o) => id === o || id.startsWith(`${o}@`));
  });
  if (workloads.length === 0) throw new Error(`--only ${values.only}: no such workload`);
  const libIds = split(values.libs);
  const unknown = libIds?.filter((id) => !LIBRARIES.some((l) => l.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`--libs: unknown ${unknown.join(", ")}`);
  const libraries = LIBRARIES.filter((l) => libIds === undefined || libIds.includes(l.id));

  // On a terminal, one progress line redrawn in place (done, total, time left); elsewhere (CI, a
  // pipe, a file) plain lines, one per result.
  const live = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const started = now();
  const total = libraries.length * workloads.length;
  let done = 0;
  const log = (s: string) => {
    if (live) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
    console.error(s);
  };
  const progress = (s: string) => {
    if (!live) return log(s);
    const left = done === 0
      ? ""
      : `, ~${((now() - started) / done * (total - done)).toFixed(0)} s left`;
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K[${done}/${total}${left}] ${s}`));
  };
  const loadBefore = loadAverage();
  const ticksBefore = await cpuTicks();
  log(`load average ${loadBefore}; making the shared inputs…`);
  const data: Data = makeData();
  const rows: Row[] = workloads.map((w) => ({
    id: w.id,
    title: w.title,
    unit: w.unit,
    goal: w.goal,
    cells: {},
  }));
  const loaded: Record<string, { status: "loaded" | "failed"; error?: string }> = {};

  for (const lib of libraries) {
    let impl: Impl;
    try {
      log(`${lib.label}: loading…`);
      impl = await lib.load();
      loaded[lib.id] = { status: "loaded" };
    } catch (e) {
      loaded[lib.id] = { status: "failed", error: message(e) };
      log(`${lib.label}: failed to load, skipped: ${message(e)}`);
      for (const row of rows) row.cells[lib.id] = { status: "skipped", message: "did not load" };
      continue;
    }
    for (const [i, w] of workloads.entries()) {
      const row = rows[i];
      const factory = impl[w.kind] as
        | ((d: Data, n: number) => Promise<Prepared<unknown>>)
        | undefined;
      if (factory === undefined) {
        row.cells[lib.id] = { status: "skipped", message: "not implemented" };
        continue;
      }
      const t0 = now();
      let prep: Prepared<unknown> | undefined;
      let cell: Cell;
      try {
        prep = await factory(data, w.n);
        cell = measure(prep, (outs) => w.check(outs, data), runs, now() - t0);
        if (cell.status === "ok") {
          const s = cell.seconds;
          cell.value = w.unit === "µs" ? s * 1e6 : w.unit === "ms" ? s * 1e3 : w.flops! / s / 1e9;
        }
      } catch (e) {
        cell = { status: "error", message: message(e) };
      }
      try {
        prep?.dispose?.();
      } catch (e) {
        log(`  (${lib.label} ${w.id}: dispose failed: ${message(e)})`);
      }
      row.cells[lib.id] = cell;
      const first = cell.status === "ok" && lib.compiles && cell.first !== undefined
        ? `; first call ${
          ((cell.first.prepareSeconds + cell.first.runSeconds) * 1e3).toFixed(1)
        } ms`
        : "";
      const what = cell.status === "ok"
        ? `${cell.value.toPrecision(3)} ${w.unit} (median of ${cell.samples.length} × ` +
          `${cell.reps}${first})`
        : `${cell.status.toUpperCase()}: ${cell.message}`;
      done++;
      progress(`${lib.label} ${w.id}: ${what} [${(now() - t0).toFixed(1)} s]`);
    }
  }

  if (live) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
  const columns: Column[] = libraries.map(({ id, label }) => ({ id, label }));
  const peers = columns.filter((c) => c.id !== "gradtape");
  const table = markdownTable(rows, columns);
  const notes = failureNotes(rows, columns);
  const legend = "In each peer's column, (r×) is gradtape's speed relative to that peer: the " +
    "peer's time over gradtape's (above 1×, gradtape is faster). Times are medians; GFLOP/s = " +
    "2N³ / median time.";
  // The first-call table: the compiling libraries, with eager gradtape's first call for reference.
  const firstColumns = columns.filter((c) =>
    c.id === "gradtape" || libraries.find((l) => l.id === c.id)?.compiles
  );
  const showFirst = firstColumns.some((c) => c.id !== "gradtape");
  const firstTable = showFirst ? firstRunTable(rows, firstColumns) : "";
  const firstLegend = firstRunLegend(firstColumns.map((c) => c.label));
  console.log(table);
  console.log(`\n${legend}`);
  for (const n of notes) console.log(`- ${n}`);
  if (showFirst) console.log(`\n${firstTable}\n\n${firstLegend}`);

  const commit = await gitCommit();
  const machine = {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpu: cpuModel(),
    cores: navigator.hardwareConcurrency,
    // Other processes on the machine skew the numbers: the 1, 5 and 15-minute load averages.
    loadAverage: { before: loadBefore, after: loadAverage() },
    // The share of the CPU time the run wanted that the hypervisor took (steal time), or null.
    stolen: stolenShare(ticksBefore, await cpuTicks()),
  };
  const outDir = values.out!;
  await mkdir(outDir, { recursive: true });
  const date = new Date().toISOString();
  const json = {
    date,
    gradtapeCommit: commit,
    machine,
    settings: {
      runs,
      minSampleSeconds: MIN_SAMPLE_SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      cellBudgetSeconds: CELL_BUDGET_SECONDS,
    },
    libraries: libraries.map((l) => ({ id: l.id, label: l.label, ...loaded[l.id] })),
    workloads: rows,
  };
  const busy = Number(loadBefore.split(" ")[0]) >= machine.cores;
  if (busy) log(`note: the machine was busy (load average ${loadBefore}): expect noisy numbers`);
  const md = [
    wrap(
      `Measured ${date.slice(0, 10)} at gradtape ${commit.slice(0, 7)}; Deno ${machine.deno}, ` +
        `${machine.cpu}, ${machine.cores} cores; load average ${loadBefore} at the start` +
        (busy ? " (other processes were running: the numbers are noisy)" : "") +
        (machine.stolen === null
          ? "."
          : `; the VM waited for its host (steal time) ${(100 * machine.stolen).toFixed(0)} % ` +
            "of the CPU time it wanted during the run."),
    ),
    "",
    table,
    "",
    wrap(legend),
    ...(notes.length > 0 ? ["", ...notes.map((n) => wrap(`- ${n}`))] : []),
    ...(showFirst ? ["", firstTable, "", wrap(firstLegend)] : []),
    "",
  ].join("\n");
  await writeFile(join(outDir, "latest.json"), JSON.stringify(json, null, 2) + "\n");
  await writeFile(join(outDir, "latest.md"), md);
  await writeFile(
    join(outDir, "latest.svg"),
    ratioChart(rows, peers, `gradtape vs peers, ${date.slice(0, 10)} (${commit.slice(0, 7)})`),
  );
  log(`wrote ${join(outDir, "latest.json")}, latest.md and latest.svg`);
}

if (import.meta.main) await main(Deno.args);
