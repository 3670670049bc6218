/** Reduction kernels: sum, product, max and min over any set of axes. */
import { allocateF64, type DType, type TypedArray } from "../dtype.ts";
import { sizeOf, stridesOf } from "../shape.ts";
import { forEachRow } from "./strided.ts";

/** The reductions that have a kernel. */
export type ReduceKind = "sum" | "prod" | "max" | "min";

const INIT: Record<ReduceKind, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };
// int32 has no infinities: the max or min of nothing is its limit, as in TensorFlow.
const INT32_INIT: Record<ReduceKind, number> = { ...INIT, max: -(2 ** 31), min: 2 ** 31 - 1 };

type RowLoop = (
  acc: Float64Array,
  ai: number,
  sa: number,
  x: TypedArray,
  xi: number,
  n: number,
) => void;

// NOTE: a row that reduces to one slot (sa = 0) keeps its total in a local: a store to the same
// slot every iteration waits on the previous one, four times slower.
const LOOPS: Record<ReduceKind, RowLoop> = {
  sum: (acc, ai, sa, x, xi, n) => {
    if (sa === 0) {
      let s0 = 0, s1 = 0;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        s0 += x[xi + i];
        s1 += x[xi + i + 1];
      }
      if (i < n) s0 += x[xi + i];
      acc[ai] += s0 + s1;
      return;
    }
    for (let i = 0; i < n; i++, ai += sa) acc[ai] += x[xi + i];
  },
  prod: (acc, ai, sa, x, xi, n) => {
    for (let i = 0; i < n; i++, ai += sa) acc[ai] *= x[xi + i];
  },
  max: (acc, ai, sa, x, xi, n) => {
    if (sa === 0) {
      let m = acc[ai];
      for (let i = 0; i < n; i++) {
        const v = x[xi + i];
        if (v > m || v !== v) m = v;
      }
      acc[ai] = m;
      return;
    }
    for (let i = 0; i < n; i++, ai += sa) {
      const v = x[xi + i];
      if (v > acc[ai] || v !== v) acc[ai] = v;
    }
  },
  min: (acc, ai, sa, x, xi, n) => {
    if (sa === 0) {
      let m = acc[ai];
      for (let i = 0; i < n; i++) {
        const v = x[xi + i];
        if (v < m || v !== v) m = v;
      }
      acc[ai] = m;
      return;
    }
    for (let i = 0; i < n; i++, ai += sa) {
      const v = x[xi + i];
      if (v < acc[ai] || v !== v) acc[ai] = v;
    }
  },
};

function isBlock(axes: readonly number[]): boolean {
  return axes.length > 0 && axes[axes.length - 1] - axes[0] === axes.length - 1;
}

/**
 * Reduces `x` of `shape` over the sorted, distinct `axes` into `out` (one element per kept
 * position); accumulates in float64 whatever the dtype, so a float32 sum of 2·10⁷ ones is 2·10⁷,
 * as a pairwise sum gives, not the 2²⁴ that a float32 total stops at.
 */
export function reduceKernel(
  out: TypedArray,
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  kind: ReduceKind,
  dtype: DType,
): void {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = allocateF64(sizeOf(kept)).fill((dtype === "int32" ? INT32_INIT : INIT)[kind]);
  if (x.length > 0 && isBlock(axes)) {
    // The reduced axes are adjacent: x is [outer, reduced, inner] with no gaps.
    let outer = 1, reduced = 1, inner = 1;
    for (let i = 0; i < shape.length; i++) {
      if (i < axes[0]) outer *= shape[i];
      else if (i <= axes[axes.length - 1]) reduced *= shape[i];
      else inner *= shape[i];
    }
    const loop = LOOPS[kind];
    for (let o = 0; o < outer; o++) {
      // One slot per inner position, each summing `reduced` elements `inner` apart; as rows of
      // `inner` elements when that is longer.
      const base = o * reduced * inner;
      if (inner === 1) loop(acc, o, 0, x, base, reduced);
      else for (let r = 0; r < reduced; r++) loop(acc, o * inner, 1, x, base + r * inner, inner);
    }
  } else if (x.length > 0) {
    const ks = stridesOf(kept);
    const outStrides = shape.map((_, i) => (axes.includes(i) ? 0 : ks[i]));
    const loop = LOOPS[kind];
    forEachRow(shape, [outStrides], (xi, offs, n, inner) => loop(acc, offs[0], inner[0], x, xi, n));
  }
  // A typed array's store converts as the op's dtype does (int32 wraps).
  out.set(acc);
}
