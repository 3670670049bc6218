/**
 * Recursive (blocked) Cholesky and LU factorizations of one n×n matrix held row-major in place,
 * whose work is nearly all matrix products: float32 products go through the WebAssembly gemm
 * kernel (both cores for large ones), others through a loop. Every block operation here writes
 * only inside its block of the one matrix `w` (leading dimension `ld`).
 */
import type { TypedArray } from "../dtype.ts";
import { wasmGemm } from "./wasm/gemm.ts";

// Below this many columns, the loops of the unblocked algorithms.
const BASE = 32;
const LEAF = 16;
// Diagonal blocks of C −= A·Aᵀ up to this size are one product, computing their upper half too.
const SYRK_BASE = 128;
const leafL = new Float64Array(LEAF * LEAF), leafX = new Float64Array(LEAF);
// Products of fewer multiply-adds stay in the loop: the kernel's copies cost more.
const WASM_MIN = 1 << 15;

let scratch = new Float32Array(0);

/** A matrix block: `w` row-major with leading dimension `ld`. */
export interface Mat {
  readonly w: TypedArray;
  readonly ld: number;
}

/**
 * C −= A·op(B): C is m×n at (ci, cj) of `c`, A m×k at (ai, aj) of `a`, B k×n at (bi, bj) of
 * `b`, or n×k there when `transB` (then op(B) = Bᵀ).
 */
function gemmSub(
  c: Mat,
  ci: number,
  cj: number,
  a: Mat,
  ai: number,
  aj: number,
  b: Mat,
  bi: number,
  bj: number,
  transB: boolean,
  m: number,
  n: number,
  k: number,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  const cw = c.w, aw = a.w, bw = b.w, lc = c.ld, la = a.ld, lb = b.ld;
  if (
    cw instanceof Float32Array && aw instanceof Float32Array && bw instanceof Float32Array &&
    m * n * k >= WASM_MIN
  ) {
    if (scratch.length < m * n) scratch = new Float32Array(m * n);
    const [bp, bq] = transB ? [1, lb] : [lb, 1];
    if (wasmGemm(aw, ai * la + aj, la, 1, bw, bi * lb + bj, bp, bq, scratch, 0, m, n, k)) {
      for (let i = 0; i < m; i++) {
        const o = (ci + i) * lc + cj, t = i * n;
        for (let j = 0; j < n; j++) cw[o + j] -= scratch[t + j];
      }
      return;
    }
  }
  if (transB) {
    for (let i = 0; i < m; i++) {
      const x = (ai + i) * la + aj, o = (ci + i) * lc + cj;
      for (let j = 0; j < n; j++) {
        const y = (bi + j) * lb + bj;
        let s = 0;
        for (let p = 0; p < k; p++) s += aw[x + p] * bw[y + p];
        cw[o + j] -= s;
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const x = (ai + i) * la + aj, o = (ci + i) * lc + cj;
    for (let p = 0; p < k; p++) {
      const v = aw[x + p];
      const y = (bi + p) * lb + bj;
      for (let j = 0; j < n; j++) cw[o + j] -= v * bw[y + j];
    }
  }
}

/**
 * Cholesky in place of the n×n block at (o, o), its lower triangle read and written (the upper
 * one left as it was); returns -1, or the 0-based index (within the block) of the first leading
 * minor that is not positive.
 */
export function choleskyBlocked(mat: Mat, o: number, n: number): number {
  if (n <= BASE) return choleskyBase(mat, o, n);
  const n1 = half(n), n2 = n - n1;
  const bad = choleskyBlocked(mat, o, n1);
  if (bad >= 0) return bad;
  // A21 ← A21·L11⁻ᵀ; A22 ← A22 − A21·A21ᵀ; then A22's factor.
  solveRightLowerT(mat, o, o + n1, o, n2, n1);
  syrkSub(mat, o + n1, o, n2, n1);
  const rest = choleskyBlocked(mat, o + n1, n2);
  return rest < 0 ? -1 : n1 + rest;
}

// Split sizes a multiple of 16 where possible, to keep the kernel's tiles full.
function half(n: number): number {
  const h = Math.floor(n / 2);
  return h >= 32 ? h - (h % 16) : h;
}

function choleskyBase({ w, ld }: Mat, o: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const ri = (o + i) * ld + o;
    for (let j = 0; j <= i; j++) {
      const rj = (o + j) * ld + o;
      let s = w[ri + j];
      for (let p = 0; p < j; p++) s -= w[ri + p] * w[rj + p];
      if (j < i) w[ri + j] = s / w[rj + j];
      else if (s > 0) w[ri + i] = Math.sqrt(s);
      else return i;
    }
  }
  return -1;
}

// C −= A·Aᵀ on the lower triangle of the n×n block C at (c0, c0), A n×k at (c0, a0).
function syrkSub(mat: Mat, c0: number, a0: number, n: number, k: number): void {
  if (n <= SYRK_BASE) {
    gemmSub(mat, c0, c0, mat, c0, a0, mat, c0, a0, true, n, n, k);
    return;
  }
  const n1 = half(n), n2 = n - n1;
  syrkSub(mat, c0, a0, n1, k);
  gemmSub(mat, c0 + n1, c0, mat, c0 + n1, a0, mat, c0, a0, true, n2, n1, k);
  syrkSub(mat, c0 + n1, a0, n2, k);
}

// X·Lᵀ = B for X in place of B (m×n at (r0, c0)), L lower n×n at (l0, l0).
function solveRightLowerT(
  mat: Mat,
  l0: number,
  r0: number,
  c0: number,
  m: number,
  n: number,
): void {
  if (n <= LEAF) {
    const { w, ld } = mat;
    // NOTE: L's block and each row of X in small float64 arrays, X's row rounded once: the
    // 1024 Cholesky's leaves took 5.8 of its 22-25 ms reading the float32 matrix in place.
    for (let j = 0; j < n; j++) {
      for (let p = 0; p <= j; p++) leafL[j * LEAF + p] = w[(l0 + j) * ld + l0 + p];
    }
    for (let i = 0; i < m; i++) {
      const x = (r0 + i) * ld + c0;
      for (let j = 0; j < n; j++) {
        const l = j * LEAF;
        let s = w[x + j];
        for (let p = 0; p < j; p++) s -= leafX[p] * leafL[l + p];
        leafX[j] = s / leafL[l + j];
      }
      for (let j = 0; j < n; j++) w[x + j] = leafX[j];
    }
    return;
  }
  const n1 = half(n), n2 = n - n1;
  solveRightLowerT(mat, l0, r0, c0, m, n1);
  gemmSub(mat, r0, c0 + n1, mat, r0, c0, mat, l0 + n1, l0, true, m, n2, n1);
  solveRightLowerT(mat, l0 + n1, r0, c0 + n1, m, n2);
}

/**
 * LU with partial pivoting in place of the m×n panel at (o, o) (m ≥ n), row exchanges applied
 * to whole rows of the matrix (all `ld` columns), recorded in `perm` and `signs` (see luKernel).
 */
export function luBlocked(
  mat: Mat,
  o: number,
  m: number,
  n: number,
  perm: Int32Array,
  signs: Int8Array,
): void {
  if (n <= BASE / 2) {
    luBase(mat, o, m, n, perm, signs);
    return;
  }
  const n1 = half(n), n2 = n - n1;
  luBlocked(mat, o, m, n1, perm, signs);
  // A12 ← L11⁻¹·A12; A22 ← A22 − A21·A12; then A22's factors.
  solveLeftUnitLower(mat, o, o + n1, n1, n2);
  gemmSub(mat, o + n1, o + n1, mat, o + n1, o, mat, o, o + n1, false, m - n1, n2, n1);
  luBlocked(mat, o + n1, m - n1, n2, perm, signs);
}

function luBase(
  { w, ld }: Mat,
  o: number,
  m: number,
  n: number,
  perm: Int32Array,
  signs: Int8Array,
): void {
  for (let j = 0; j < n; j++) {
    const col = o + j;
    let p = col, best = Math.abs(w[col * ld + col]);
    for (let i = col + 1; i < o + m; i++) {
      const v = Math.abs(w[i * ld + col]);
      // NaN never wins a comparison: take it, so that NaN input gives NaN out.
      if (v > best || (v !== v && best === best)) [p, best] = [i, v];
    }
    signs[col] = p === col ? 1 : -1;
    if (p !== col) {
      const rp = p * ld, rc = col * ld;
      for (let q = 0; q < ld; q++) {
        const v = w[rp + q];
        w[rp + q] = w[rc + q];
        w[rc + q] = v;
      }
      [perm[p], perm[col]] = [perm[col], perm[p]];
    }
    const d = w[col * ld + col];
    // A zero pivot leaves its column below as it is (all zero already), as LAPACK does.
    if (d === 0) continue;
    const rc = col * ld;
    for (let i = col + 1; i < o + m; i++) {
      const ri = i * ld;
      const f = (w[ri + col] /= d);
      for (let q = col + 1; q < o + n; q++) w[ri + q] -= f * w[rc + q];
    }
  }
}

// L·X = B for X in place of B (n×k at (l0, c0)), L unit lower n×n at (l0, l0).
function solveLeftUnitLower(mat: Mat, l0: number, c0: number, n: number, k: number): void {
  if (n <= LEAF) {
    const { w, ld } = mat;
    for (let i = 1; i < n; i++) {
      const x = (l0 + i) * ld + c0, l = (l0 + i) * ld + l0;
      for (let p = 0; p < i; p++) {
        const v = w[l + p];
        const y = (l0 + p) * ld + c0;
        for (let j = 0; j < k; j++) w[x + j] -= v * w[y + j];
      }
    }
    return;
  }
  const n1 = half(n), n2 = n - n1;
  solveLeftUnitLower(mat, l0, c0, n1, k);
  gemmSub(mat, l0 + n1, c0, mat, l0 + n1, l0, mat, l0, c0, false, n2, k, n1);
  solveLeftUnitLower(mat, l0 + n1, c0, n2, k);
}

/**
 * T·X = B for X in place of B, on rows [o, o + n): T's n×n diagonal block at (o, o) of `t`,
 * lower or upper (its diagonal taken as ones with `unit`), B n×k at (o, 0) of `x`.
 */
export function solveTriangularBlocked(
  t: Mat,
  x: Mat,
  lower: boolean,
  unit: boolean,
  o: number,
  n: number,
  k: number,
): void {
  if (n <= BASE) {
    solveTriangularBase(t, x, lower, unit, o, n, k);
    return;
  }
  const n1 = half(n), n2 = n - n1;
  if (lower) {
    solveTriangularBlocked(t, x, lower, unit, o, n1, k);
    gemmSub(x, o + n1, 0, t, o + n1, o, x, o, 0, false, n2, k, n1);
    solveTriangularBlocked(t, x, lower, unit, o + n1, n2, k);
  } else {
    solveTriangularBlocked(t, x, lower, unit, o + n1, n2, k);
    gemmSub(x, o, 0, t, o, o + n1, x, o + n1, 0, false, n1, k, n2);
    solveTriangularBlocked(t, x, lower, unit, o, n1, k);
  }
}

function solveTriangularBase(
  { w: tw, ld: lt }: Mat,
  { w: xw, ld: lx }: Mat,
  lower: boolean,
  unit: boolean,
  o: number,
  n: number,
  k: number,
): void {
  for (let s = 0; s < n; s++) {
    const i = o + (lower ? s : n - 1 - s);
    const row = i * lx, ti = i * lt;
    const from = lower ? o : i + 1, to = lower ? i : o + n;
    for (let j = from; j < to; j++) {
      const c = tw[ti + j];
      const src = j * lx;
      for (let q = 0; q < k; q++) xw[row + q] -= c * xw[src + q];
    }
    if (!unit) {
      const d = tw[ti + i];
      for (let q = 0; q < k; q++) xw[row + q] /= d;
    }
  }
}
