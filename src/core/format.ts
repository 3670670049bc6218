/** TensorFlow-style text for tensors: `Tensor(6, shape=[], dtype=float32)` and numpy-style rows. */
import type { DType, TypedArray } from "./dtype.ts";
import { fmtShape } from "./shape.ts";

/** Above this many elements a printout shows only the first and last few of each axis. */
const SUMMARIZE_OVER = 1000;
const EDGE_ITEMS = 3;

/** The shortest decimal text that reads back as the same value in `dtype`. */
export function formatNumber(v: number, dtype: DType): string {
  if (dtype === "bool") return v ? "true" : "false";
  // String(-0) is "0"; numpy and TensorFlow show the sign.
  if (Object.is(v, -0)) return "-0";
  if (dtype !== "float32" || !Number.isFinite(v)) return String(v);
  // NOTE: float32 values widened to float64 print with float64 noise (0.1 → 0.10000000149…);
  // the shortest text that rounds back to the same float32 is what numpy and TensorFlow show.
  for (let p = 1; p < 10; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** Nested-bracket rows, as numpy prints arrays, summarised with `...` when large. */
export function formatValues(
  data: TypedArray,
  shape: readonly number[],
  dtype: DType,
): string {
  if (shape.length === 0) return formatNumber(data[0], dtype);
  // Empty at any rank prints as numpy and TensorFlow print it, with the shape beside; walking
  // its rows would take time (and text) in its other dimensions, 10¹² of them for [1e6, 1e6, 0].
  if (data.length === 0) return "[]";
  const summarize = data.length > SUMMARIZE_OVER;
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const shown = (n: number): number[] =>
    summarize && n > 2 * EDGE_ITEMS
      ? [
        ...Array.from({ length: EDGE_ITEMS }, (_, i) => i),
        -1,
        ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i),
      ]
      : Array.from({ length: n }, (_, i) => i);
  // Columns line up on the decimal point, as numpy's do: integer parts padded on the left,
  // fractions on the right.
  let intWidth = 0, fracWidth = 0;
  const texts = new Map<number, string>();
  const collect = (axis: number, offset: number): void => {
    for (const i of shown(shape[axis])) {
      if (i < 0) continue;
      const off = offset + i * strides[axis];
      if (axis === shape.length - 1) {
        const t = formatNumber(data[off], dtype);
        texts.set(off, t);
        const [int, frac] = splitPoint(t);
        intWidth = Math.max(intWidth, int.length);
        fracWidth = Math.max(fracWidth, frac.length);
      } else collect(axis + 1, off);
    }
  };
  collect(0, 0);
  const cell = (t: string): string => {
    const [int, frac] = splitPoint(t);
    return int.padStart(intWidth) + frac.padEnd(fracWidth);
  };
  const render = (axis: number, offset: number, indent: string): string => {
    const parts: string[] = [];
    for (const i of shown(shape[axis])) {
      if (i < 0) {
        parts.push("...");
        continue;
      }
      const off = offset + i * strides[axis];
      parts.push(
        axis === shape.length - 1 ? cell(texts.get(off)!) : render(axis + 1, off, indent + " "),
      );
    }
    if (axis === shape.length - 1) return wrapRow(parts, indent);
    const gap = "\n".repeat(shape.length - 1 - axis) + indent + " ";
    return `[${parts.join(gap)}]`;
  };
  return render(0, 0, "");
}

// Rows wrap at numpy's line width, continuing under the first element.
const LINE_WIDTH = 75;

function wrapRow(parts: readonly string[], indent: string): string {
  let out = "[", line = indent.length + 1;
  parts.forEach((p, i) => {
    if (i > 0) {
      if (line + 1 + p.length > LINE_WIDTH) {
        out += "\n" + indent + " ";
        line = indent.length + 1;
      } else {
        out += " ";
        line += 1;
      }
    }
    out += p;
    line += p.length;
  });
  return out + "]";
}

function splitPoint(t: string): [string, string] {
  const i = t.search(/[.e]/);
  return i < 0 ? [t, ""] : [t.slice(0, i), t.slice(i)];
}

/** The whole `Tensor(...)` text. */
export function formatTensor(
  data: TypedArray,
  shape: readonly number[],
  dtype: DType,
): string {
  const body = formatValues(data, shape, dtype);
  // A printout over several lines starts on its own line, as TensorFlow's does.
  const sep = body.includes("\n") ? "\n" : "";
  return `Tensor(${sep}${body}, shape=${fmtShape(shape)}, dtype=${dtype})`;
}

/** `t` with `&` and `<` escaped, for HTML. Internal. */
export const escapeHtml = (t: string): string => t.replace(/&/g, "&amp;").replace(/</g, "&lt;");
const escape = escapeHtml;

/**
 * A small HTML view for notebooks: a scalar or vector as one row, a matrix as a table, higher
 * ranks (and large tensors) as the text printout in a <pre>; with a caption of shape and dtype.
 */
export function formatHtml(
  data: TypedArray,
  shape: readonly number[],
  dtype: DType,
  title: string,
): string {
  const caption =
    `<caption style="caption-side:bottom;text-align:left;font-size:smaller;white-space:nowrap">` +
    `${escape(title)} shape=${fmtShape(shape)} dtype=${dtype}</caption>`;
  const rows = shape.length === 0 ? 1 : shape.length === 1 ? 1 : shape[0];
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
  if (shape.length > 2 || rows * cols > 400 || data.length === 0) {
    return `<figure style="margin:0"><pre>${escape(formatValues(data, shape, dtype))}</pre>` +
      `<figcaption style="font-size:smaller">${escape(title)} shape=${fmtShape(shape)} ` +
      `dtype=${dtype}</figcaption></figure>`;
  }
  let body = "";
  for (let r = 0; r < rows; r++) {
    body += "<tr>";
    for (let c = 0; c < cols; c++) {
      body += `<td style="text-align:right;font-family:monospace">${
        formatNumber(data[r * cols + c], dtype)
      }</td>`;
    }
    body += "</tr>";
  }
  return `<table>${caption}${body}</table>`;
}
