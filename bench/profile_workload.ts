/**
 * Runs one workload of the comparison (bench/compare/workloads.ts) in a loop, for profiling one
 * implementation of gradtape's, eager or jitted; and summarizes a V8 CPU profile by self time.
 *
 * ```sh
 * deno run --allow-read --allow-env --cpu-prof --cpu-prof-dir=out/prof \
 *   bench/profile_workload.ts W5g jit 5     # workload, eager|untidy|jit, seconds (default 5) or first
 * deno run --allow-read bench/profile_workload.ts --summarize out/prof/CPU.<…>.cpuprofile [top]
 * ```
 *
 * The loop starts after a one-second warm-up (the first call, which traces and compiles, is in it)
 * and prints the mean time of a run; with `first` instead of a number of seconds, only the first
 * call is made and timed (prepare and one run, in this fresh process). The summary lists the
 * functions with the most self time in the loop (or the first call), with their share of its
 * samples (garbage collection included, as V8 names it).
 *
 * @module
 */
import { gradtapeMode } from "./compare/gradtape_jit.ts";
import { type Data, type Impl, makeData, type Prepared, WORKLOADS } from "./compare/workloads.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The `top` functions by self time of a `.cpuprofile`, one line each, counting only the samples
 * taken inside `timedLoop` (the warm-up and the timed loop: not making the inputs, nor the
 * checks). Code without a source (`new Function`: generated loops) is shown as such.
 */
export function summarize(profile: Profile, top = 25): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inLoop = new Map<number, boolean>();
  const looped = (id: number): boolean => {
    let known = inLoop.get(id);
    if (known === undefined) {
      const p = parent.get(id);
      known = byNode.get(id)!.callFrame.functionName === "timedLoop" ||
        (p !== undefined && looped(p));
      inLoop.set(id, known);
    }
    return known;
  };
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    if (!looped(id)) return;
    const dt = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = byNode.get(id)!.callFrame;
    const file = url.replace(/^.*\/(src|bench|node_modules)\//, "$1/");
    const name = functionName === "" ? "(anonymous)" : functionName;
    const key = file !== ""
      ? `${name} ${file}:${lineNumber + 1}`
      : url === "" && !name.startsWith("(") && !name.startsWith("op_")
      ? `${name} (generated code)`
      : name === "(anonymous)"
      ? "(anonymous, generated code)"
      : name;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [
    `${(total / 1e3).toFixed(0)} ms of samples in the loop`,
    ...[...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) =>
      `${(100 * us / total).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(6)} ms  ${k}`
    ),
  ];
}

async function main(args: string[]): Promise<void> {
  if (args[0] === "--summarize") {
    const profile = JSON.parse(await Deno.readTextFile(args[1])) as Profile;
    for (const line of summarize(profile, Number(args[2] ?? 25))) console.log(line);
    return;
  }
  const [id = "W6", mode = "jit", seconds = "5"] = args;
  const impl: Impl = gradtapeMode(mode);
  const w = WORKLOADS.find((w) => w.id.toLowerCase() === id.toLowerCase());
  if (w === undefined) throw new Error(`no workload ${id}: ${WORKLOADS.map((w) => w.id)}`);
  const factory = impl[w.kind] as
    | ((d: Data, n: number) => Promise<Prepared<unknown>>)
    | undefined;
  if (factory === undefined) throw new Error(`${mode} has no ${w.kind}`);
  const data = makeData();
  if (seconds === "first") {
    // The first call alone, in a fresh process: prepare and one run (for jit: trace, compile, run).
    const timedLoop = async () => {
      const t = performance.now();
      const prep = await factory(data, w.n);
      const out = prep.run();
      return [performance.now() - t, prep, out] as const;
    };
    const [ms, prep, out] = await timedLoop();
    const wrong = w.check([out, prep.run()], data);
    if (wrong !== null) throw new Error(`${w.id} ${mode}: wrong: ${wrong}`);
    console.log(`${w.id} ${mode}: first call (prepare and run) ${ms.toPrecision(3)} ms`);
    return;
  }
  const prep = await factory(data, w.n);
  const outs = [prep.run(), prep.run()];
  const wrong = w.check(outs, data);
  if (wrong !== null) throw new Error(`${w.id} ${mode}: wrong: ${wrong}`);
  const timedLoop = (s: number) => {
    const end = performance.now() + s * 1e3;
    let runs = 0;
    while (performance.now() < end) {
      prep.run();
      runs++;
    }
    return runs;
  };
  timedLoop(1);
  const start = performance.now();
  const runs = timedLoop(Number(seconds));
  const ms = (performance.now() - start) / runs;
  console.log(`${w.id} ${mode}: ${runs} runs, ${ms.toPrecision(3)} ms a run`);
}

if (import.meta.main) await main(Deno.args);
