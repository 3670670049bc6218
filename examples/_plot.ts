/**
 * Shared plotting for the examples: the few matplotlib figures of the tutorial, rendered to SVG
 * with vega-lite and vega, headless. Only the examples use this; the library never imports vega.
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** How a series is drawn, after matplotlib's `'r-'`, `'g--'`, `scatter` and `axhline`. */
export type SeriesKind = "line" | "dashed" | "points" | "hline";

/** One named series of a panel. */
export interface Series {
  /** The legend label; panels whose series have no names get no legend. */
  name?: string;
  kind: SeriesKind;
  /** A CSS colour. */
  color: string;
  /** The x values (ignored for `hline`). */
  x?: ArrayLike<number>;
  /** The y values, or for `hline` one value. */
  y: ArrayLike<number>;
}

/** One subplot. */
export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

/** The `--out DIR` flag every plotting example takes (default `./out`). */
export function outDir(args: readonly string[]): string {
  const { values } = parseArgs({
    args: [...args],
    options: { out: { type: "string", default: "./out" } },
    // run_all.ts passes the same arguments to every example, so unknown flags are not an error.
    strict: false,
  });
  return typeof values.out === "string" ? values.out : "./out";
}

// vega-lite exports only its top-level spec type; the parts used here are carved out of it.
type HConcatSpec = Extract<TopLevelSpec, { hconcat: unknown }>;
type LayerSpec = Extract<HConcatSpec["hconcat"][number], { layer: unknown }>;
type LayerPart = LayerSpec["layer"][number];
type Legend = { domain: string[]; range: string[] };

function layer(s: Series, legend: Legend | undefined, titles: [string, string] | null): LayerPart {
  // Axis titles go on one layer only; the other layers share its scales.
  const axis = (title: string | undefined) =>
    titles === null ? {} : { title, scale: { zero: false } };
  if (s.kind === "hline") {
    return {
      data: { values: [{ y: s.y[0] }] },
      mark: { type: "rule", color: s.color, strokeDash: [6, 4] },
      encoding: { y: { field: "y", type: "quantitative", ...axis(titles?.[1]) } },
    };
  }
  const xs = s.x ?? [];
  const values = Array.from({ length: s.y.length }, (_, i) => ({ x: xs[i], y: s.y[i] }));
  // A named series takes its colour through the legend's scale, so that the legend shows it.
  const color = s.name === undefined || legend === undefined
    ? { value: s.color }
    : { datum: s.name, type: "nominal" as const, scale: legend, legend: { title: null } };
  return {
    data: { values },
    mark: s.kind === "points"
      ? { type: "point", filled: true, opacity: 0.5, size: 30 }
      : { type: "line", strokeWidth: 2, strokeDash: s.kind === "dashed" ? [6, 4] : [] },
    encoding: {
      x: { field: "x", type: "quantitative", ...axis(titles?.[0]) },
      y: { field: "y", type: "quantitative", ...axis(titles?.[1]) },
      color,
    },
  };
}

function panelSpec(p: Panel): LayerSpec {
  const named = p.series.flatMap((s) => s.name === undefined ? [] : [s]);
  const legend = named.length === 0
    ? undefined
    : { domain: named.map((s) => s.name!), range: named.map((s) => s.color) };
  const titled = Math.max(0, p.series.findIndex((s) => s.kind !== "hline"));
  return {
    title: p.title,
    width: 320,
    height: 240,
    layer: p.series.map((s, i) => layer(s, legend, i === titled ? [p.xLabel, p.yLabel] : null)),
  };
}

/** Renders the panels side by side, as `plt.subplot(1, n, i)` does, and returns the SVG text. */
export async function renderFigure(panels: readonly Panel[]): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    hconcat: panels.map(panelSpec),
    // Each subplot has its own axes and legend, as in matplotlib.
    resolve: { scale: { x: "independent", y: "independent", color: "independent" } },
    config: { background: "white", legend: { orient: "bottom", labelLimit: 0 } },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders the panels into `dir/name`, creating `dir` if needed, and returns the file's path. */
export async function writeFigure(
  dir: string,
  name: string,
  panels: readonly Panel[],
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, await renderFigure(panels));
  return path;
}
