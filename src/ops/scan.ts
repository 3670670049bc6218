/**
 * Scans along one axis, in linear time: `cumsum`, `cumprod` and `cumulativeLogSumExp`. Their
 * primitives are scans whose derivative rules are scans again (the reverse of a running sum is a
 * running sum the other way), so every order of derivative stays linear.
 */
import { type Aval, bind, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { allocate } from "../core/dtype.ts";
import { fmtShape, normalizeAxis, sameShape, sizeOf } from "../core/shape.ts";
import { checkBoolean, checkOptions } from "../core/check.ts";
import {
  around,
  cumsumKernel,
  linearScanKernel,
  logSumExpScanKernel,
  shiftKernel,
} from "../core/kernels/scan.ts";
import { add, broadcastTo, eq, exp, mul, register, sub, where } from "./_lax.ts";
import { allMapped, lead } from "./_batch.ts";
import { requireFloat, requireNumeric, requireSameDtype } from "./_define.ts";

interface ScanAttrs {
  axis: number;
  /** Scan from the end of the axis. */
  reverse: boolean;
}

interface ShiftAttrs {
  axis: number;
  /** Towards the start of the axis (else towards the end). */
  back: boolean;
  /** The value of the position left empty. */
  fill: number;
}

// The axis of an example's `axis` in a batch whose mapped axis is `mapped`.
function inBatch(axis: number, mapped: number): number {
  return axis >= mapped ? axis + 1 : axis;
}

// A scan of one input keeps the mapped axis where it is and scans the example's axis.
function batchOne<A extends { axis: number }>(
  self: Primitive<A>,
  [x]: readonly Tensor[],
  [mapped]: readonly (number | null)[],
  attrs: A,
): readonly [Tensor, number | null] {
  return [bind(self, [x], { ...attrs, axis: inBatch(attrs.axis, mapped!) }), mapped];
}

function numericShape(name: string): Primitive<ScanAttrs>["shape"] {
  return ([x]) => {
    requireNumeric(name, x);
    return x;
  };
}

// Linear: d cumsum(x) = cumsum(dx); its transpose is the running sum the other way.
const cumsumPrim: Primitive<ScanAttrs> = {
  name: "cumsum",
  shape: numericShape("cumsum"),
  kernels: {
    cpu: ([x], out, { axis, reverse }) => cumsumKernel(out.data, x.data, x.shape, axis, reverse),
  },
  jvp: ([t], [x], _, attrs) =>
    t && bind(cumsumPrim, [t], { ...attrs, axis: attrs.axis + lead(t, x).length }),
  vjp: (g, _, __, { axis, reverse }) => [bind(cumsumPrim, [g], { axis, reverse: !reverse })],
  batch: batchOne,
};

// NOTE: a primitive, not a move made of slices and pads: exclusive scans and the scans' rules
// shift by one place, and this keeps the family's rules within the family.
// Affine: d shift(x) = shift(dx) with an empty place of 0; its transpose shifts the other way.
const shiftPrim: Primitive<ShiftAttrs> = {
  name: "shift",
  shape: ([x]) => x,
  kernels: {
    cpu: ([x], out, { axis, back, fill }) =>
      shiftKernel(out.data, x.data, x.shape, axis, back, fill),
  },
  jvp: ([t], [x], _, attrs) =>
    t && bind(shiftPrim, [t], { ...attrs, axis: attrs.axis + lead(t, x).length, fill: 0 }),
  vjp: (g, _, __, { axis, back }) => [bind(shiftPrim, [g], { axis, back: !back, fill: 0 })],
  batch: batchOne,
};

function shift(x: Tensor, axis: number, back: boolean, fill = 0): Tensor {
  return bind(shiftPrim, [x], { axis, back, fill });
}

// h shifted so that each position holds the scan's previous value (0 at the first position).
function previous(h: Tensor, { axis, reverse }: ScanAttrs, fill = 0): Tensor {
  return shift(h, axis, reverse, fill);
}

// The scan's transpose, which runs the other way: Sᵢ = gᵢ + aᵢ₊₁·Sᵢ₊₁ (for a forward scan).
function transposed(a: Tensor, g: Tensor, { axis, reverse }: ScanAttrs): Tensor {
  return bind(linearScanPrim, [shift(a, axis, !reverse), g], { axis, reverse: !reverse });
}

// NOTE: a primitive for cumprod's derivatives: a running product's gradient divided by x is
// wrong where x is 0, and the recurrence below differentiates in linear recurrences, exactly.
// hⱼ = aⱼ·hⱼ₋₁ + bⱼ, from h = b at the first position (whose a is not read). Linear in b for
// fixed a: d h = L(a, da·h₋₁ + db), and the transpose of L(a, ·) is L the other way.
const linearScanPrim: Primitive<ScanAttrs> = {
  name: "linearScan",
  shape([a, b]) {
    requireNumeric("linearScan", a);
    requireSameDtype("linearScan", a, b);
    if (!sameShape(a.shape, b.shape)) {
      throw new Error(
        `linearScan: coefficients of shape ${fmtShape(a.shape)} and terms of shape ` +
          `${fmtShape(b.shape)} differ: give both one shape`,
      );
    }
    return b;
  },
  kernels: {
    cpu: ([a, b], out, { axis, reverse }) =>
      linearScanKernel(out.data, a.data, b.data, b.shape, axis, reverse),
  },
  jvp([ta, tb], [a, b], h, attrs) {
    let c: Tensor | null = ta && mul(ta, previous(h, attrs));
    if (tb !== null) c = c === null ? tb : add(c, tb);
    if (c === null) return null;
    const l = c.rank - b.rank;
    return bind(linearScanPrim, [broadcastTo(a, c.shape), c], { ...attrs, axis: attrs.axis + l });
  },
  vjp(g, [a], h, attrs, needs) {
    const s = transposed(a, g, attrs);
    return [needs[0] ? mul(s, previous(h, attrs)) : null, s];
  },
  batch: (self, xs, axes, attrs, size) => [
    bind(self, allMapped(xs, axes, size), { ...attrs, axis: attrs.axis + 1 }),
    0,
  ],
};

// NOTE: a primitive for stability: the running maximum keeps every partial sum finite, where
// log(cumsum(exp(x - max))) underflows to -Infinity before the maximum is reached.
// d yⱼ = Σ_{i≤j} e^{xᵢ-yⱼ} dxᵢ: the recurrence d yⱼ = e^{yⱼ₋₁-yⱼ}·d yⱼ₋₁ + e^{xⱼ-yⱼ}·dxⱼ, whose
// coefficients are at most 1.
const logSumExpScanPrim: Primitive<ScanAttrs> = {
  name: "cumulativeLogSumExp",
  shape([x]) {
    requireFloat("cumulativeLogSumExp", x);
    return x;
  },
  kernels: {
    cpu: ([x], out, { axis, reverse }) =>
      logSumExpScanKernel(out.data, x.data, x.shape, axis, reverse),
  },
  jvp([t], [x], y, attrs) {
    if (t === null) return null;
    const a = decay(y, attrs), c = mul(t, weights(x, y));
    const l = t.rank - x.rank;
    return bind(linearScanPrim, [broadcastTo(a, c.shape), c], { ...attrs, axis: attrs.axis + l });
  },
  vjp: (g, [x], y, attrs) => [mul(weights(x, y), transposed(decay(y, attrs), g, attrs))],
  batch: batchOne,
};

// e^{yⱼ₋₁-yⱼ}, 0 at the first position and after -Infinity (a masked entry), not NaN.
function decay(y: Tensor, attrs: ScanAttrs): Tensor {
  const before = previous(y, attrs, -Infinity);
  return where(eq(before, -Infinity), 0, exp(sub(before, y)));
}

// e^{xⱼ-yⱼ}: each entry's share of the sum, 0 for an entry of -Infinity (not NaN).
function weights(x: Tensor, y: Tensor): Tensor {
  return where(eq(x, -Infinity), 0, exp(sub(x, y)));
}

/** The scan primitives, by name. */
export const scanPrims = {
  cumsum: cumsumPrim,
  cumulativeLogSumExp: logSumExpScanPrim,
  linearScan: linearScanPrim,
  shift: shiftPrim,
};
register(scanPrims);

/** Options of `cumsum`, `cumprod` and `cumulativeLogSumExp`. */
export interface ScanOptions {
  /** Leave each position's own value out: the first result is the identity (default false). */
  exclusive?: boolean;
  /** Scan from the end of the axis to its start (default false). */
  reverse?: boolean;
}

// The checked input and the scan's attributes; `finish` makes a scan's result exclusive where
// asked, by shifting it one place (`empty` is the first value), so that no rule sees the empty
// place's identity as an input (-Infinity, for the log-sum-exp).
function scanInput(
  op: string,
  x: TensorLike,
  axis: number,
  options: ScanOptions,
  empty: number,
): { t: Tensor; attrs: ScanAttrs; finish: (y: Tensor) => Tensor } {
  const t = toTensor(x, { op });
  checkOptions(op, options, ["exclusive", "reverse"]);
  const { exclusive = false, reverse = false } = options;
  checkBoolean(op, "exclusive", exclusive);
  checkBoolean(op, "reverse", reverse);
  if (t.rank === 0) {
    throw new RangeError(`${op}: expects a tensor of rank ≥ 1, got a scalar: reshape it first`);
  }
  requireNumeric(op, t);
  const attrs = { axis: normalizeAxis(op, axis, t.rank), reverse };
  return { t, attrs, finish: (y) => (exclusive ? previous(y, attrs, empty) : y) };
}

/**
 * Running sums along `axis`, in one pass: `y[j] = x[0] + … + x[j]`, or with `exclusive`
 * `x[0] + … + x[j-1]`, and with `reverse` from the end of the axis.
 *
 * @param x The input (float32, float64 or int32).
 * @param axis The axis to scan (default 0; negative counts from the end).
 * @param options `exclusive` and `reverse` (both default false).
 * @returns The running sums, of `x`'s shape.
 * @example Running totals, forward and reversed
 * ```ts
 * import { cumsum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(cumsum([1, 2, 3, 4]).toArray(), [1, 3, 6, 10]);
 * assert.deepEqual(cumsum([1, 2, 3, 4], 0, { exclusive: true }).toArray(), [0, 1, 3, 6]);
 * assert.deepEqual(cumsum([[1, 2], [3, 4]], 1, { reverse: true }).toArray(), [[3, 2], [7, 4]]);
 * ```
 */
export function cumsum(x: TensorLike, axis = 0, options: ScanOptions = {}): Tensor {
  const { t, attrs, finish } = scanInput("cumsum", x, axis, options, 0);
  return finish(bind(cumsumPrim, [t], attrs));
}

/**
 * Running products along `axis`: `y[j] = x[0] · … · x[j]` (`exclusive` and `reverse` as in
 * `cumsum`), in linear time. The gradient is exact where inputs are 0: it is computed as running
 * products of the other inputs, never by dividing by `x`.
 *
 * @param x The input (float32, float64 or int32).
 * @param axis The axis to scan (default 0; negative counts from the end).
 * @param options `exclusive` and `reverse` (both default false).
 * @returns The running products, of `x`'s shape.
 * @example Running products, and a gradient through a zero
 * ```ts
 * import { constant, cumprod, grad, reduceSum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(cumprod([1, 2, 3, 4]).toArray(), [1, 2, 6, 24]);
 * assert.deepEqual(cumprod([1, 2, 3, 4], 0, { exclusive: true }).toArray(), [1, 1, 2, 6]);
 * // d/dx Σ cumprod([2, 0, 3]) = [1 + 0 + 0, 2 + 2·3, 0]
 * const g = grad((x) => reduceSum(cumprod(x)))(constant([2, 0, 3]));
 * assert.deepEqual(g.toArray(), [1, 8, 0]);
 * ```
 */
export function cumprod(x: TensorLike, axis = 0, options: ScanOptions = {}): Tensor {
  const { t, attrs, finish } = scanInput("cumprod", x, axis, options, 1);
  // The running product before each place: hⱼ = xⱼ₋₁·hⱼ₋₁ from h = 1.
  const before = bind(linearScanPrim, [previous(t, attrs), firstOnes(t, attrs)], attrs);
  return options.exclusive ? before : finish(mul(t, before));
}

// A constant of t's shape and dtype: 1 at the scan's first position, 0 elsewhere.
function firstOnes(t: Aval, { axis, reverse }: ScanAttrs): Tensor {
  const data = allocate(t.dtype, sizeOf(t.shape));
  const [outer, n, inner] = around(t.shape, axis);
  if (n > 0) {
    const at = reverse ? (n - 1) * inner : 0;
    for (let o = 0; o < outer; o++) data.fill(1, o * n * inner + at, o * n * inner + at + inner);
  }
  return new Tensor(data, t.shape, t.dtype);
}

/**
 * Running `log(exp(x[0]) + … + exp(x[j]))` along `axis` (`exclusive` and `reverse` as in
 * `cumsum`; the exclusive first value is `-Infinity`), computed stably: finite for inputs of any
 * size, and its derivatives too.
 *
 * @param x The input, float32 or float64.
 * @param axis The axis to scan (default 0; negative counts from the end).
 * @param options `exclusive` and `reverse` (both default false).
 * @returns The running log-sum-exps, of `x`'s shape.
 * @example Large inputs stay finite
 * ```ts
 * import { cumulativeLogSumExp } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * assertAllClose(cumulativeLogSumExp([1000, 1000, -1000]), [1000, 1000 + Math.LN2, 1000 + Math.LN2]);
 * ```
 */
export function cumulativeLogSumExp(x: TensorLike, axis = 0, options: ScanOptions = {}): Tensor {
  const t = toTensor(x, { op: "cumulativeLogSumExp" });
  requireFloat("cumulativeLogSumExp", t);
  const { attrs, finish } = scanInput("cumulativeLogSumExp", t, axis, options, -Infinity);
  return finish(bind(logSumExpScanPrim, [t], attrs));
}
