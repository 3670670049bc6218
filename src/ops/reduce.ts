/**
 * Reductions over axes: the primitives (`reduceSum`, `reduceMax`, `reduceMin`, `argMax` and
 * `argMin`); the composites of several families are in `reduce_composite.ts`.
 */
import { bind, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import {
  type Axis,
  type Tensor,
  type TensorLike,
  uniformTensor,
  uniformValue,
} from "../core/tensor.ts";
import { scratchScalar } from "../core/dtype.ts";
import { fmtShape, normalizeAxes, normalizeAxis, sizeOf } from "../core/shape.ts";
import { reduceKernel, type ReduceKind } from "../core/kernels/reduce.ts";
import { broadcastTo, cast, div, eq, mul, register, reshape } from "./_lax.ts";
import { shiftAxes, toFront } from "./_batch.ts";
import { checkBoolean } from "../core/check.ts";

interface ReduceAttrs {
  axes: readonly number[];
  keepDims: boolean;
}

// The shape rule of a reduction: numeric input, the reduced axes gone (or kept as 1).
function reduceShape(name: string): Primitive<ReduceAttrs>["shape"] {
  return ([x], { axes, keepDims }) => {
    if (x.dtype === "bool") {
      throw new TypeError(`${name}: expects a numeric tensor, got bool: cast it first`);
    }
    const shape: number[] = [];
    for (let i = 0; i < x.shape.length; i++) {
      if (!axes.includes(i)) shape.push(x.shape[i]);
      else if (keepDims) shape.push(1);
    }
    return { shape, dtype: x.dtype };
  };
}

// A uniform tensor reduces to a uniform one: its value summed `count` times, or itself.
function uniformReduce(kind: ReduceKind): Primitive<ReduceAttrs>["shortcut"] {
  return ([x], out, { axes }) => {
    const u = uniformValue(x);
    if (u === undefined || x.size === 0) return undefined;
    let count = 1;
    for (const a of axes) count *= x.shape[a];
    const v = kind === "sum" ? u * count : kind === "prod" ? u ** count : u;
    return uniformTensor(scratchScalar(x.dtype, v, 2)[0], out.shape, out.dtype);
  };
}

function reduction(kind: ReduceKind): Pick<Primitive<ReduceAttrs>, "shortcut" | "kernels"> {
  return {
    shortcut: uniformReduce(kind),
    kernels: {
      cpu: ([x], out, { axes }) => reduceKernel(out.data, x.data, x.shape, axes, kind, x.dtype),
    },
  };
}

/** `out` (or a cotangent of its shape) brought back to `x`'s shape. */
function expandBack(t: Tensor, x: Tensor, { axes }: ReduceAttrs): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return broadcastTo(reshape(t, kept), x.shape);
}

// Where x attains the extreme, divided among ties (as TensorFlow does).
function extremeWeights(x: Tensor, out: Tensor, attrs: ReduceAttrs): Tensor {
  const mask = cast(eq(x, expandBack(out, x, attrs)), x.dtype);
  const count = reduceSum(mask, attrs.axes, true);
  return div(mask, count);
}

function extremePrim(kind: "max" | "min", name: string): Primitive<ReduceAttrs> {
  return {
    name,
    shape: reduceShape(name),
    ...reduction(kind),
    // d max(x) = Σ w·dx, w the normalised indicator of the maxima
    jvp: ([t], [x], out, attrs) =>
      t &&
      reduceSum(
        mul(t, extremeWeights(x, out, attrs)),
        shiftAxes(attrs.axes, t, x),
        attrs.keepDims,
      ),
    vjp: (g, [x], out, attrs) => [mul(expandBack(g, x, attrs), extremeWeights(x, out, attrs))],
    batch: batchReduce,
  };
}

// The mapped axis goes in front, and the reduced axes move past it.
function batchReduce(
  self: Primitive<ReduceAttrs>,
  [x]: readonly Tensor[],
  [axis]: readonly (number | null)[],
  attrs: ReduceAttrs,
): readonly [Tensor, number | null] {
  const axes = attrs.axes.map((a) => a + 1);
  return [bind(self, [toFront(x, axis)], { axes, keepDims: attrs.keepDims }), 0];
}

interface ArgAttrs {
  axis: number;
  kind: "max" | "min";
}

const argPrim: Primitive<ArgAttrs> = {
  name: "argExtreme",
  shape([x], { axis, kind }) {
    const op = kind === "max" ? "argMax" : "argMin";
    if (x.dtype === "bool") {
      throw new TypeError(
        `${op}: expects a numeric tensor, got bool: cast it first, e.g. cast(x, "int32")`,
      );
    }
    if (x.shape[axis] === 0) {
      throw new Error(`${op}: axis ${axis} of shape ${fmtShape(x.shape)} is empty`);
    }
    const shape: number[] = [];
    for (let i = 0; i < x.shape.length; i++) if (i !== axis) shape.push(x.shape[i]);
    return { shape, dtype: "int32" };
  },
  kernels: {
    cpu([x], { data: out }, { axis, kind }) {
      const outer = sizeOf(x.shape.slice(0, axis)), n = x.shape[axis];
      const inner = sizeOf(x.shape.slice(axis + 1));
      const src = x.data;
      const better = kind === "max"
        ? (a: number, b: number) => a > b
        : (a: number, b: number) => a < b;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let best = 0, bv = src[o * n * inner + i];
          for (let j = 1; j < n && bv === bv; j++) {
            const v = src[(o * n + j) * inner + i];
            // NaN wins, as in numpy; otherwise the first extreme wins ties.
            if (better(v, bv) || v !== v) {
              best = j;
              bv = v;
            }
          }
          out[o * inner + i] = best;
        }
      }
    },
  },
  jvp: null,
  vjp: null,
  batch: (self, [x], [axis], attrs) => [
    bind(self, [toFront(x, axis)], { axis: attrs.axis + 1, kind: attrs.kind }),
    0,
  ],
};

/** The reduction primitives, by name. */
export const reducePrims = {
  // Linear: d Σx = Σ dx; its reverse broadcasts the cotangent back.
  reduceSum: {
    name: "reduceSum",
    shape: reduceShape("reduceSum"),
    ...reduction("sum"),
    sums: ({ axes }) => axes,
    jvp: ([t], [x], __, { axes, keepDims }) => t && reduceSum(t, shiftAxes(axes, t, x), keepDims),
    vjp: (g, [x], _, attrs) => [expandBack(g, x, attrs)],
    batch: batchReduce,
  } satisfies Primitive<ReduceAttrs>,
  reduceMax: extremePrim("max", "reduceMax"),
  reduceMin: extremePrim("min", "reduceMin"),
  argExtreme: argPrim,
};
register(reducePrims);

function reduceWith(
  prim: Primitive<ReduceAttrs>,
  x: TensorLike,
  axis: Axis | undefined,
  keepDims: boolean,
): Tensor {
  const t = toTensor(x, { op: prim.name });
  const axes = normalizeAxes(prim.name, axis, t.rank);
  checkBoolean(prim.name, "keepDims", keepDims);
  if (axes.length === 0) return t;
  return bind(prim, [t], { axes, keepDims });
}

/**
 * Sums over `axis` (one axis, several, or all when omitted; negative axes count from the end).
 *
 * @param x The input.
 * @param axis The axes to reduce.
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns The sums.
 * @example Column sums
 * ```ts
 * import { reduceSum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reduceSum([[1, 2], [3, 4]], 0).toArray(), [4, 6]);
 * ```
 */
export function reduceSum(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  return reduceWith(reducePrims.reduceSum, x, axis, keepDims);
}

/**
 * Maximum over `axis`; the gradient is shared equally among tied maxima.
 *
 * @param x The input.
 * @param axis The axes to reduce (all when omitted).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns The maxima (over an empty axis, -Infinity, or -2147483648 for int32, as in
 *   TensorFlow).
 * @example Row maxima
 * ```ts
 * import { reduceMax } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reduceMax([[1, 5], [7, 2]], -1).toArray(), [5, 7]);
 * ```
 */
export function reduceMax(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  return reduceWith(reducePrims.reduceMax, x, axis, keepDims);
}

/**
 * Minimum over `axis`; the gradient is shared equally among tied minima.
 *
 * @param x The input.
 * @param axis The axes to reduce (all when omitted).
 * @param keepDims Keep reduced axes as length 1 (default false).
 * @returns The minima (over an empty axis, Infinity, or 2147483647 for int32, as in TensorFlow).
 * @example Row minima
 * ```ts
 * import { reduceMin } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reduceMin([[1, 5], [7, 2]], 1).toArray(), [1, 2]);
 * ```
 */
export function reduceMin(x: TensorLike, axis?: Axis, keepDims = false): Tensor {
  return reduceWith(reducePrims.reduceMin, x, axis, keepDims);
}

function argExtreme(op: string, x: TensorLike, axis: number, kind: "max" | "min"): Tensor {
  const t = toTensor(x, { op });
  return bind(argPrim, [t], { axis: normalizeAxis(op, axis, t.rank), kind });
}

/**
 * The index of the largest value along `axis` (int32; the first one at ties). No gradient.
 *
 * @param x The input.
 * @param axis The axis (default 0).
 * @returns Indices, of `x`'s shape without `axis`.
 * @example Predicted classes
 * ```ts
 * import { argMax } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(argMax([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], 1).toArray(), [1, 0]);
 * ```
 */
export function argMax(x: TensorLike, axis = 0): Tensor {
  return argExtreme("argMax", x, axis, "max");
}

/**
 * The index of the smallest value along `axis` (int32; the first one at ties). No gradient.
 *
 * @param x The input.
 * @param axis The axis (default 0).
 * @returns Indices, of `x`'s shape without `axis`.
 * @example Column minima
 * ```ts
 * import { argMin } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(argMin([[3, 1], [2, 4]]).toArray(), [1, 0]);
 * ```
 */
export function argMin(x: TensorLike, axis = 0): Tensor {
  return argExtreme("argMin", x, axis, "min");
}
