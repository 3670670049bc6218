/** Arguments shared by the convolution and pooling layers, checked as Keras's. Internal. */
import { checkOneOf, describeValue } from "../core/check.ts";

/** Where the channels are: Keras's `"channels_last"` (default) or `"channels_first"`. */
export type DataFormat = "channels_last" | "channels_first";

const FORMATS: Record<number, readonly [string, string]> = {
  1: ["NWC", "NCW"],
  2: ["NHWC", "NCHW"],
  3: ["NDHWC", "NCDHW"],
};

/** Whether `format` (Keras's name, or TensorFlow's `"NHWC"`…) puts the channels first. */
export function channelsFirst(op: string, format: unknown, d: number): boolean {
  if (format === undefined) return false;
  const [last, first] = FORMATS[d];
  if (format === last || format === first) return format === first;
  checkOneOf(op, "dataFormat", format, ["channels_last", "channels_first", last, first]);
  return format === "channels_first";
}

/** TensorFlow's name of the layout, for the ops. */
export function tfFormat(d: number, first: boolean): string {
  return FORMATS[d][first ? 1 : 0];
}

/** A positive integer for every one of `d` dimensions, from a number or a list of `d`. */
export function perDimension(op: string, what: string, v: unknown, d: number): number[] {
  const list = typeof v === "number" ? new Array<number>(d).fill(v) : v;
  if (
    !Array.isArray(list) || list.length !== d ||
    !list.every((n) => Number.isInteger(n) && n >= 1)
  ) {
    throw new TypeError(
      `${op}: ${what} must be a positive integer or a list of ${d} of them, not ` +
        describeValue(v),
    );
  }
  return [...list];
}

/** `"valid"` or `"same"` (either case), and `"causal"` where allowed. */
export function paddingOf(op: string, v: unknown, causal = false): "VALID" | "SAME" | "CAUSAL" {
  const p = typeof v === "string" ? v.toUpperCase() : v;
  if (p === "VALID" || p === "SAME" || (causal && p === "CAUSAL")) return p;
  throw new TypeError(
    `${op}: padding must be "valid" or "same"${causal ? ' or "causal"' : ""} (either case), ` +
      `not ${describeValue(v)}`,
  );
}
