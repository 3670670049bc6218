/** The comparison's report: the Markdown table and the SVG chart of speed ratios. */
import type { Unit } from "./workloads.ts";

/** One library's outcome on one workload. */
export type Cell =
  | {
    status: "ok";
    /** The value in the workload's unit. */
    value: number;
    /** Median seconds per run. */
    seconds: number;
    /** Seconds per run of each timed sample. */
    samples: number[];
    /** Runs per sample. */
    reps: number;
    /**
     * The first call, before the checks and the warm-up: seconds to make the workload ready
     * (`prepare`) and of its first run (which, for a compiling library, traces and compiles).
     */
    first?: { prepareSeconds: number; runSeconds: number };
  }
  | { status: "wrong" | "error" | "skipped"; message: string };

/** A workload's row. */
export interface Row {
  id: string;
  title: string;
  unit: Unit;
  goal?: { value: number; atLeast: boolean };
  cells: Record<string, Cell>;
}

/** A column. */
export interface Column {
  id: string;
  label: string;
}

/** Three significant digits, without exponents. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** How much faster gradtape is than `peer` (peer's time over gradtape's); null without both. */
export function speedRatio(row: Row, peer: string): number | null {
  const g = row.cells.gradtape, p = row.cells[peer];
  if (g?.status !== "ok" || p?.status !== "ok") return null;
  return p.seconds / g.seconds;
}

const ratioText = (r: number) => `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : fmt(r)}×`;

function cellText(row: Row, col: Column): string {
  const c = row.cells[col.id];
  if (c === undefined) return "—";
  if (c.status !== "ok") return c.status === "skipped" ? "—" : c.status;
  const value = fmt(c.value);
  const r = col.id === "gradtape" ? null : speedRatio(row, col.id);
  return r === null ? value : `${value} (${ratioText(r)})`;
}

function goalText(row: Row): string {
  if (row.goal === undefined) return "";
  const g = row.cells.gradtape;
  const target = `${row.goal.atLeast ? "≥" : "≤"} ${row.goal.value}`;
  if (g?.status !== "ok") return target;
  const met = row.goal.atLeast ? g.value >= row.goal.value : g.value <= row.goal.value;
  return `${target} ${met ? "met" : "not yet"}`;
}

/** The Markdown table: one row per workload, a column per library, and gradtape's goal. */
export function markdownTable(rows: readonly Row[], columns: readonly Column[]): string {
  const header = ["workload", "unit", ...columns.map((c) => c.label), "gradtape goal"];
  const body = rows.map((row) => [
    row.title,
    row.unit,
    ...columns.map((c) => cellText(row, c)),
    goalText(row),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => [...r[i]].length)));
  const line = (r: string[]) =>
    `| ${r.map((s, i) => s + " ".repeat(widths[i] - [...s].length)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...body.map(line)]
    .join("\n");
}

/**
 * Wraps prose at `width` columns as `deno fmt` does, so that the Markdown written stays
 * fmt-clean; a line that starts with `- ` continues indented by two spaces.
 */
export function wrap(text: string, width = 100): string {
  const indent = text.startsWith("- ") ? "  " : "";
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ").filter((w) => w !== "")) {
    const next = line === "" ? word : `${line} ${word}`;
    if ([...next].length > width && line !== "") {
      lines.push(line);
      line = indent + word;
    } else {
      line = next;
    }
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

/**
 * The first-call table: for each workload and column, `prepare` plus the first run in
 * milliseconds, and in parentheses that over the median run.
 */
export function firstRunTable(rows: readonly Row[], columns: readonly Column[]): string {
  const header = ["workload (first call, ms)", ...columns.map((c) => c.label)];
  const body = rows.map((row) => [
    row.id,
    ...columns.map((col) => {
      const c = row.cells[col.id];
      if (c === undefined || c.status !== "ok") return "—";
      if (c.first === undefined) return "—";
      const first = c.first.prepareSeconds + c.first.runSeconds;
      return `${fmt(first * 1e3)} (${ratioText(first / c.seconds)})`;
    }),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => [...r[i]].length)));
  const line = (r: string[]) =>
    `| ${r.map((s, i) => s + " ".repeat(widths[i] - [...s].length)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...body.map(line)]
    .join("\n");
}

/** The legend of the first-call table whose columns are `labels`. */
export function firstRunLegend(labels: readonly string[]): string {
  const eager = labels.includes("gradtape");
  return "First call: making the workload ready plus its first run, which for a jitted function " +
    "traces and compiles it, timed once, before the checks and the warm-up (one sample: noisy); " +
    "in parentheses, that over the median run of the main table. Measured in the same process " +
    "as the columns run before it, not in a fresh process: V8 has already compiled the code they " +
    "share" +
    (eager && labels.includes("gradtape jit")
      ? " (gradtape jit runs gradtape's kernels after eager gradtape did)"
      : "") +
    (labels.includes("jax-js jit") ? ", and jax-js has loaded its wasm module" : "") +
    ", so a fresh process's first call costs more." +
    (eager
      ? " gradtape (eager) compiles nothing: its column is there for reference, and, as the " +
        "first column run, it also pays for V8 compiling gradtape's code."
      : "");
}

/** The notes under the table: failures, in one line each. */
export function failureNotes(rows: readonly Row[], columns: readonly Column[]): string[] {
  const notes: string[] = [];
  for (const row of rows) {
    for (const col of columns) {
      const c = row.cells[col.id];
      if (c !== undefined && (c.status === "wrong" || c.status === "error")) {
        notes.push(`${row.id} ${col.label}: ${c.status}: ${c.message.split("\n")[0]}`);
      }
    }
  }
  return notes;
}

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * A horizontal bar chart of gradtape's speed ratio to each peer, one group of bars per workload,
 * on a log scale centred on 1× (bars to the right: gradtape faster).
 */
export function ratioChart(rows: readonly Row[], peers: readonly Column[], title: string): string {
  const colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
  const ratios = rows.map((row) => peers.map((p) => speedRatio(row, p.id)));
  const logs = ratios.flat().flatMap((r) => (r === null ? [] : [Math.log10(r)]));
  const span = Math.max(1, Math.ceil(Math.max(0, ...logs.map(Math.abs))));
  const bar = 9, gap = 10, labelW = 330, plotW = 520, top = 60, left = labelW + 10;
  const groupH = peers.length * bar + gap;
  const height = top + rows.length * groupH + 40;
  const width = left + plotW + 30;
  const xOf = (lg: number) => left + ((lg + span) / (2 * span)) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${escape(title)}</text>`,
  ];
  peers.forEach((p, i) => {
    const x = left + i * 130;
    out.push(
      `<rect x="${x}" y="28" width="10" height="10" fill="${colors[i % colors.length]}"/>`,
      `<text x="${x + 14}" y="37">${escape(p.label)}</text>`,
    );
  });
  for (let e = -span; e <= span; e++) {
    const x = xOf(e);
    const label = e >= 0 ? `${10 ** e}×` : `1/${10 ** -e}×`;
    out.push(
      `<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${height - 34}" stroke="${
        e === 0 ? "#333" : "#ddd"
      }"/>`,
      `<text x="${x}" y="${height - 20}" text-anchor="middle" fill="#555">${label}</text>`,
    );
  }
  out.push(
    `<text x="${left + plotW / 2}" y="${height - 4}" text-anchor="middle" fill="#555">` +
      `gradtape's speed ÷ peer's (right of 1×: gradtape faster)</text>`,
  );
  rows.forEach((row, r) => {
    const y0 = top + r * groupH;
    out.push(
      `<text x="${labelW}" y="${y0 + (peers.length * bar) / 2 + 4}" text-anchor="end">${
        escape(row.title)
      }</text>`,
    );
    peers.forEach((p, i) => {
      const ratio = ratios[r][i];
      const y = y0 + i * bar;
      if (ratio === null) return;
      const x0 = xOf(0), x1 = xOf(Math.max(-span, Math.min(span, Math.log10(ratio))));
      out.push(
        `<rect x="${Math.min(x0, x1)}" y="${y}" width="${Math.max(1, Math.abs(x1 - x0))}" ` +
          `height="${bar - 1}" fill="${colors[i % colors.length]}">` +
          `<title>${escape(`${row.id} vs ${p.label}: ${ratioText(ratio)}`)}</title></rect>`,
      );
    });
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
