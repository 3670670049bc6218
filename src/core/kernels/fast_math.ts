/**
 * float32 versions of Math.sin, Math.cos and Math.exp: range reduction and short polynomials in
 * float64, accurate to well under a float32 ulp, several times faster than the Math functions
 * (about 23 ns for Math.sin here). float64 tensors keep the Math functions.
 */
import type { TypedArray } from "../dtype.ts";

// π/2 split in two (Cody–Waite), so k·π/32 is subtracted without losing r's low bits: the high
// part has 33 significant bits, so k times it is exact for the k below REDUCE_LIMIT.
const PIO32_HI = 1.5707963267341256 / 16;
const PIO32_LO = 6.077100506506192e-11 / 16;
const INV_PIO32 = 32 / Math.PI;
// NOTE: Math.round costs ~10 ns here (it is not inlined); adding and subtracting 1.5·2⁵²
// rounds a double to the nearest integer in two additions.
const ROUND = 6755399441055744;
// Past this the two-part reduction loses bits; the Math functions take over.
const REDUCE_LIMIT = 1e5;

// sin and cos of jπ/32, with the zeros at multiples of π/2 exact.
const SIN_T = Float64Array.from(
  { length: 64 },
  (_, j) => j % 32 === 0 ? 0 : Math.sin(j * Math.PI / 32),
);
const COS_T = Float64Array.from(
  { length: 64 },
  (_, j) => (j + 16) % 32 === 0 ? 0 : Math.cos(j * Math.PI / 32),
);

// sin(x + turn·π/32) for |x| < REDUCE_LIMIT: x = kπ/32 + r with |r| ≤ π/64, and
// sin(jπ/32 + r) = sin(jπ/32)·cos r + cos(jπ/32)·sin r from the tables (j = k + turn); the short
// polynomials err by under 1e-12 there. cos is the same with a quarter turn (16).
function sinIn(x: number, turn: number): number {
  const k = (x * INV_PIO32 + ROUND) - ROUND;
  const r = (x - k * PIO32_HI) - k * PIO32_LO;
  const j = ((k | 0) + turn) & 63;
  const z = r * r;
  const s = r + r * z * (-1 / 6 + z * (1 / 120 - z * (1 / 5040)));
  const c = 1 + z * (-0.5 + z * (1 / 24 - z * (1 / 720)));
  return SIN_T[j] * c + COS_T[j] * s;
}

/** `o[i] = sin(a[i])` for float32 data. */
export function sinF32(o: TypedArray, a: TypedArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = a[i];
    // ±0 keeps its sign through Math.sin.
    o[i] = Math.abs(x) < REDUCE_LIMIT && x !== 0 ? sinIn(x, 0) : Math.sin(x);
  }
}

/** `o[i] = cos(a[i])` for float32 data. */
export function cosF32(o: TypedArray, a: TypedArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = a[i];
    o[i] = Math.abs(x) < REDUCE_LIMIT ? sinIn(x, 16) : Math.cos(x);
  }
}

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
// Beyond these float32's exp overflows to Infinity or underflows to 0.
const EXP_MAX = 88.8;
const EXP_MIN = -104;
// x = (32m + j)·ln2/32 + r, |r| ≤ ln2/64: eˣ = 2^m · 2^(j/32) · eʳ, the powers from tables.
const EXP_K = 32 * Math.LOG2E;
const LN2_32_HI = LN2_HI / 32;
const LN2_32_LO = LN2_LO / 32;
const EXP2_J = Float64Array.from({ length: 32 }, (_, j) => 2 ** (j / 32));
const POW2_BIAS = 160;
const POW2 = Float64Array.from({ length: 2 * POW2_BIAS }, (_, i) => 2 ** (i - POW2_BIAS));

// eˣ for x in (EXP_MIN, EXP_MAX), in float64: small enough for V8 to inline into the loops.
function expIn(x: number): number {
  const k = (x * EXP_K + ROUND) - ROUND;
  const r = (x - k * LN2_32_HI) - k * LN2_32_LO;
  const ki = k | 0;
  // eʳ to r⁵: the first omitted term is below 3e-15.
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  return p * EXP2_J[ki & 31] * POW2[(ki >> 5) + POW2_BIAS];
}

/** `o[i] = exp(a[i])` for float32 data. */
export function expF32(o: TypedArray, a: TypedArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = a[i];
    o[i] = x < EXP_MAX && x > EXP_MIN ? expIn(x) : Math.exp(x);
  }
}

// tanh's series to x⁹ on |x| < 1/16 (first omitted term below 1e-14 of the value), where
// 1 - 2/(e²ˣ + 1) would cancel; from |x| = 10 on, float32's tanh is ±1.
const T3 = -1 / 3, T5 = 2 / 15, T7 = -17 / 315, T9 = 62 / 2835;

/** `o[i] = tanh(a[i])` for float32 data (Math.tanh costs about 20 ns here). */
export function tanhF32(o: TypedArray, a: TypedArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = a[i], ax = Math.abs(x);
    if (ax < 0.0625) {
      const z = x * x;
      // x·(1 + …) rather than x + x·(…), which would turn -0 into +0.
      o[i] = x * (1 + z * (T3 + z * (T5 + z * (T7 + z * T9))));
    } else if (ax < 10) {
      // (e²ˣ - 1)/(e²ˣ + 1) holds its sign without a branch, which random signs mispredict.
      const e = expIn(2 * x);
      o[i] = (e - 1) / (e + 1);
    } else o[i] = x > 0 ? 1 : x < 0 ? -1 : x;
  }
}

/** `o[i] = 1 / (1 + exp(-a[i]))` for float32 data, from e^-|x| so that exp never overflows. */
export function sigmoidF32(o: TypedArray, a: TypedArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (!(x < -EXP_MIN && x > EXP_MIN)) {
      o[i] = x > 0 ? 1 : x < 0 ? 0 : x;
      continue;
    }
    const e = expIn(-Math.abs(x));
    // σ(x) = 1/(1 + e) for x ≥ 0, e/(1 + e) below: the numerator picked arithmetically, as a
    // branch on random signs mispredicts.
    const up = +(x >= 0);
    o[i] = (e + up * (1 - e)) / (1 + e);
  }
}
