/**
 * Elementwise kernels written by hand: one loop per op, driven row by row for broadcasting. The
 * reference the loops generated from scalar formulas (`generated.ts`) are tested against, and
 * what runs where a runtime forbids generating code.
 */
import type { TypedArray } from "../dtype.ts";
import { sameShape } from "../shape.ts";
import { broadcastStrides, forEachRow } from "./strided.ts";

/** A unary loop: `o[i] = f(a[i])` for `i < n`. */
export type UnaryLoop = (o: TypedArray, a: TypedArray, n: number) => void;

/** A binary row loop: `o[oi+i] = f(a[ai+i*sa], b[bi+i*sb])` for `i < n`. */
export type BinaryLoop = (
  o: TypedArray,
  oi: number,
  a: TypedArray,
  ai: number,
  sa: number,
  b: TypedArray,
  bi: number,
  sb: number,
  n: number,
) => void;

/**
 * Applies a binary loop into `out` (of `shape`), broadcasting `a` and `b` to it as numpy does;
 * their shapes were checked against it by the op's shape rule.
 */
export function mapBinary(
  out: TypedArray,
  shape: readonly number[],
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  loop: BinaryLoop,
): void {
  const n = out.length;
  if (sameShape(aShape, bShape)) loop(out, 0, a, 0, 1, b, 0, 1, n);
  else if (a.length === 1 && b.length === n) loop(out, 0, a, 0, 0, b, 0, 1, n);
  else if (b.length === 1 && a.length === n) loop(out, 0, a, 0, 1, b, 0, 0, n);
  else {
    const sa = broadcastStrides(aShape, shape);
    const sb = broadcastStrides(bShape, shape);
    forEachRow(shape, [sa, sb], (o, offs, len, inner) => {
      loop(out, o, a, offs[0], inner[0], b, offs[1], inner[1], len);
    });
  }
}

/** Unary loops, named by op. */
export const unaryLoops = {
  negative: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = -a[i];
  },
  abs: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.abs(a[i]);
  },
  sign: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = a[i] > 0 ? 1 : a[i] < 0 ? -1 : a[i];
  },
  sqrt: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sqrt(a[i]);
  },
  exp: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.exp(a[i]);
  },
  expm1: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.expm1(a[i]);
  },
  log: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log(a[i]);
  },
  log1p: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log1p(a[i]);
  },
  sin: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sin(a[i]);
  },
  cos: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.cos(a[i]);
  },
  tan: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.tan(a[i]);
  },
  tanh: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.tanh(a[i]);
  },
  sigmoid: (o, a, n) => {
    // NOTE: split by sign so exp never overflows: σ(x) = 1/(1+e⁻ˣ) = eˣ/(1+eˣ).
    for (let i = 0; i < n; i++) {
      const x = a[i];
      if (x >= 0) o[i] = 1 / (1 + Math.exp(-x));
      else {
        const e = Math.exp(x);
        o[i] = e / (1 + e);
      }
    }
  },
  softplus: (o, a, n) => {
    // NOTE: log(1+eˣ) = max(x,0) + log1p(e^-|x|), finite for any x.
    for (let i = 0; i < n; i++) {
      const x = a[i];
      o[i] = Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }
  },
  relu: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = a[i] > 0 ? a[i] : (a[i] !== a[i] ? a[i] : 0);
  },
  floor: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.floor(a[i]);
  },
  ceil: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.ceil(a[i]);
  },
  round: (o, a, n) => {
    // NOTE: TensorFlow rounds half to even (banker's rounding), unlike Math.round.
    for (let i = 0; i < n; i++) {
      const x = a[i];
      const r = Math.round(x);
      o[i] = Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    }
  },
  logicalNot: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = +!a[i];
  },
  identity: (o, a, n) => {
    for (let i = 0; i < n; i++) o[i] = a[i];
  },
} satisfies Record<string, UnaryLoop>;

/**
 * float32-only copies of unary loops on the hot path of training (activations): the generic
 * ones see every dtype, and V8 compiles them for all.
 */
export const f32UnaryLoops = {
  relu: (o, a, n) => {
    // NOTE: branch-free on the sign (a branch on random signs mispredicts half the time, and V8
    // compiles Math.max and x > 0 ? x : 0 to branches): the bits are kept or cleared by a mask
    // from the comparison. NaN, which fails it, is the one case the (never taken) branch serves.
    const ai = new Int32Array(a.buffer, a.byteOffset, n);
    const oi = new Int32Array(o.buffer, o.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const x = a[i];
      oi[i] = x !== x ? ai[i] : ai[i] & -(x > 0);
    }
  },
} satisfies Record<string, UnaryLoop>;

/** Binary loops, named by op. */
export const binaryLoops = {
  add: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = a[ai] + b[bi];
  },
  subtract: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = a[ai] - b[bi];
  },
  multiply: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = a[ai] * b[bi];
  },
  divide: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = a[ai] / b[bi];
  },
  pow: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = Math.pow(a[ai], b[bi]);
  },
  maximum: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = Math.max(a[ai], b[bi]);
  },
  minimum: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = Math.min(a[ai], b[bi]);
  },
  // NOTE: comparisons and logic as `+(…)` and bitwise ops, never `c ? 1 : 0`, which V8 compiles
  // to a branch: on random signs (relu's gradient, a mask) it mispredicts half the time, and the
  // loop took 2.3× as long (32,768 floats: 271 µs against 120). Bools are stored as 0 and 1.
  equal: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = +(a[ai] === b[bi]);
  },
  notEqual: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = +(a[ai] !== b[bi]);
  },
  less: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = +(a[ai] < b[bi]);
  },
  lessEqual: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = +(a[ai] <= b[bi]);
  },
  greater: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = +(a[ai] > b[bi]);
  },
  greaterEqual: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = +(a[ai] >= b[bi]);
  },
  logicalAnd: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = a[ai] & b[bi];
  },
  logicalOr: (o, oi, a, ai, sa, b, bi, sb, n) => {
    for (let i = 0; i < n; i++, ai += sa, bi += sb) o[oi + i] = a[ai] | b[bi];
  },
} satisfies Record<string, BinaryLoop>;

/** `where(cond, a, b)` into `out` (of `shape`), with all three broadcast to it. */
export function selectKernel(
  out: TypedArray,
  shape: readonly number[],
  c: TypedArray,
  cShape: readonly number[],
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
): void {
  const sc = broadcastStrides(cShape, shape);
  const sa = broadcastStrides(aShape, shape);
  const sb = broadcastStrides(bShape, shape);
  forEachRow(shape, [sc, sa, sb], (o, offs, n, inner) => {
    const [dc, da, db] = inner;
    let ci = offs[0], ai = offs[1], bi = offs[2];
    for (let i = 0; i < n; i++, ci += dc, ai += da, bi += db) {
      out[o + i] = c[ci] ? a[ai] : b[bi];
    }
  });
}

/**
 * `o = terms[0] + terms[1] + …` over `n` elements, where a term is an array or a number (a
 * uniform tensor's value): added in order in float64 and rounded (or wrapped, for int32) once by
 * the store, as addN's scalar formula writes it. The reference of the loops generated from it.
 */
export function sumKernel(o: TypedArray, terms: readonly (TypedArray | number)[], n: number): void {
  const acc = new Float64Array(n);
  terms.forEach((t, k) => {
    if (typeof t === "number") {
      if (k === 0) acc.fill(t);
      else for (let i = 0; i < n; i++) acc[i] += t;
    } else if (k === 0) { for (let i = 0; i < n; i++) acc[i] = t[i]; }
    else for (let i = 0; i < n; i++) acc[i] += t[i];
  });
  for (let i = 0; i < n; i++) o[i] = acc[i];
}
