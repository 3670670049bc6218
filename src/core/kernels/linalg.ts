/**
 * Kernels of gt.linalg's primitives: triangular solves, Cholesky and LU factorizations of a batch
 * of matrices, each writing into the output it is given. A matrix that cannot be factored gives
 * NaN (Cholesky) or a zero pivot (LU), never an exception: eager mode's public ops turn these
 * into errors, and under jit and vmap they stay NaN, as in JAX.
 */
import { allocateF64, allocateUninit, type DType, type TypedArray } from "../dtype.ts";
import { choleskyBlocked, luBlocked, solveTriangularBlocked } from "./linalg_blocked.ts";
import { wasmAvailable } from "./wasm/runtime.ts";

// NOTE: float32 matrices from this size on take the recursive factorizations, whose work is
// matrix products through the WebAssembly kernel (where it is available); smaller ones, and
// float64 (whose products would be loops, slower there than the unblocked loop), take loops that
// sum in float64 and round once.
const BLOCKED_MIN = 96;

const blocked = (n: number, dtype: DType) =>
  n >= BLOCKED_MIN && dtype === "float32" && wasmAvailable();

/** What a triangular solve uses of its matrix (see `triangularSolveKernel`). */
export interface TriangularAttrs {
  /** The lower triangle holds the matrix (else the upper). */
  readonly lower: boolean;
  /** Solve with the transpose (the adjoint: the values are real). */
  readonly adjoint: boolean;
  /** The diagonal is taken as ones and never read (LU's L). */
  readonly unitDiagonal: boolean;
}

/**
 * `out = op(A)⁻¹ B` for each of `count` pairs, where A is n×n (only its triangle read) and B is
 * n×k, with op the transpose when `adjoint`. Summed in float64 and rounded once, except for
 * large float32 ones with many right-hand sides, solved recursively on the product kernel.
 */
export function triangularSolveKernel(
  out: TypedArray,
  a: TypedArray,
  rhs: TypedArray,
  count: number,
  n: number,
  k: number,
  { lower, adjoint, unitDiagonal }: TriangularAttrs,
  dtype: DType,
): void {
  // Many right-hand sides: the recursive solve, whose work is products.
  if (k >= 16 && blocked(n, dtype)) {
    const t = adjoint ? allocateUninit(dtype, n * n) : undefined;
    for (let b = 0; b < count; b++) {
      const aOff = b * n * n, bOff = b * n * k;
      const x = out.subarray(bOff, bOff + n * k);
      x.set(rhs.subarray(bOff, bOff + n * k));
      let w = a.subarray(aOff, aOff + n * n);
      if (t !== undefined) {
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = w[i * n + j];
        w = t;
      }
      solveTriangularBlocked(
        { w, ld: n },
        { w: x, ld: k },
        lower !== adjoint,
        unitDiagonal,
        0,
        n,
        k,
      );
    }
    return;
  }
  const work = allocateF64(n * k);
  // Element (i, j) of op(A) sits at i*si + j*sj.
  const [si, sj] = adjoint ? [1, n] : [n, 1];
  const forward = lower !== adjoint;
  for (let t = 0; t < count; t++) {
    const aOff = t * n * n, bOff = t * n * k;
    for (let i = 0; i < n * k; i++) work[i] = rhs[bOff + i];
    if (k === 1) {
      solveVector(work, a, aOff, n, si, sj, forward, unitDiagonal);
      for (let i = 0; i < n; i++) out[bOff + i] = work[i];
      continue;
    }
    for (let s = 0; s < n; s++) {
      const i = forward ? s : n - 1 - s;
      const row = i * k;
      const from = forward ? 0 : i + 1, to = forward ? i : n;
      for (let j = from; j < to; j++) {
        const c = a[aOff + i * si + j * sj];
        const src = j * k;
        for (let q = 0; q < k; q++) work[row + q] -= c * work[src + q];
      }
      if (!unitDiagonal) {
        const d = a[aOff + i * si + i * sj];
        for (let q = 0; q < k; q++) work[row + q] /= d;
      }
    }
    for (let i = 0; i < n * k; i++) out[bOff + i] = work[i];
  }
}

// One right-hand side: each unknown a dot product of a row of op(A) with those found.
function solveVector(
  x: Float64Array,
  a: TypedArray,
  off: number,
  n: number,
  si: number,
  sj: number,
  forward: boolean,
  unit: boolean,
): void {
  for (let s = 0; s < n; s++) {
    const i = forward ? s : n - 1 - s;
    const from = forward ? 0 : i + 1, to = forward ? i : n;
    let v = x[i];
    for (let j = from, at = off + i * si + from * sj; j < to; j++, at += sj) v -= a[at] * x[j];
    x[i] = unit ? v : v / a[off + i * si + i * sj];
  }
}

/**
 * The lower Cholesky factor of each of `count` n×n matrices, of which only the lower triangle is
 * read; the upper triangle of the output is zero. A matrix that is not positive definite gives a
 * matrix of NaN.
 */
export function choleskyKernel(
  out: TypedArray,
  a: TypedArray,
  count: number,
  n: number,
  dtype: DType,
): void {
  if (blocked(n, dtype)) {
    choleskyLarge(out, a, count, n, dtype);
    return;
  }
  const work = allocateF64(n * n);
  for (let t = 0; t < count; t++) {
    const off = t * n * n;
    const ok = choleskyInPlace(work, a, off, n) < 0;
    for (let i = 0; i < n * n; i++) out[off + i] = ok ? work[i] : NaN;
  }
}

function choleskyLarge(out: TypedArray, a: TypedArray, count: number, n: number, dtype: DType) {
  const w = allocateUninit(dtype, n * n);
  for (let t = 0; t < count; t++) {
    const off = t * n * n;
    w.set(a.subarray(off, off + n * n));
    if (choleskyBlocked({ w, ld: n }, 0, n) >= 0) {
      out.fill(NaN, off, off + n * n);
      continue;
    }
    for (let i = 0; i < n; i++) {
      const r = off + i * n;
      out.set(w.subarray(i * n, i * n + i + 1), r);
      out.fill(0, r + i + 1, r + n);
    }
  }
}

/**
 * Factors the n×n matrix at `a[off…]` (lower triangle) into `l` (row-major, zeros above):
 * returns -1, or the 0-based index of the first leading minor that is not positive.
 */
export function choleskyInPlace(
  l: Float64Array,
  a: ArrayLike<number>,
  off: number,
  n: number,
): number {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[off + ri + j];
      for (let p = 0; p < j; p++) s -= l[ri + p] * l[rj + p];
      if (j < i) l[ri + j] = s / l[rj + j];
      else if (s > 0) l[ri + i] = Math.sqrt(s);
      else return i;
    }
    for (let j = i + 1; j < n; j++) l[ri + j] = 0;
  }
  return -1;
}

/**
 * LU factorization with partial pivoting of each of `count` n×n matrices, packed n×(n+2): the
 * first n columns hold L below the diagonal (its unit diagonal implied) and U on and above it;
 * column n holds the permutation (row i of P·A is row `perm[i]` of A), column n+1 the sign each
 * row exchange contributes (−1 where one happened at that step, else 1). A singular matrix gives
 * a zero pivot, and the factorization goes on as LAPACK's does.
 */
export function luKernel(
  out: TypedArray,
  a: TypedArray,
  count: number,
  n: number,
  dtype: DType,
): void {
  if (blocked(n, dtype)) {
    luLarge(out, a, count, n, dtype);
    return;
  }
  const w = n + 2;
  const lu = allocateF64(n * n);
  const perm = new Int32Array(n);
  for (let t = 0; t < count; t++) {
    const aOff = t * n * n, oOff = t * n * w;
    for (let i = 0; i < n * n; i++) lu[i] = a[aOff + i];
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let j = 0; j < n; j++) {
      let p = j, best = Math.abs(lu[j * n + j]);
      for (let i = j + 1; i < n; i++) {
        const v = Math.abs(lu[i * n + j]);
        // NaN never wins a comparison: take it, so that NaN input gives NaN out.
        if (v > best || (v !== v && best === best)) [p, best] = [i, v];
      }
      out[oOff + j * w + n + 1] = p === j ? 1 : -1;
      if (p !== j) {
        swapRows(lu, n, p, j);
        [perm[p], perm[j]] = [perm[j], perm[p]];
      }
      const d = lu[j * n + j];
      // A zero pivot leaves its column below as it is (all zero already), as LAPACK does.
      if (d === 0) continue;
      for (let i = j + 1; i < n; i++) {
        const ri = i * n;
        const f = (lu[ri + j] /= d);
        const rj = j * n;
        for (let q = j + 1; q < n; q++) lu[ri + q] -= f * lu[rj + q];
      }
    }
    for (let i = 0; i < n; i++) {
      const o = oOff + i * w;
      for (let q = 0; q < n; q++) out[o + q] = lu[i * n + q];
      out[o + n] = perm[i];
    }
  }
}

function swapRows(x: Float64Array, n: number, p: number, j: number): void {
  const rp = p * n, rj = j * n;
  for (let q = 0; q < n; q++) {
    const v = x[rp + q];
    x[rp + q] = x[rj + q];
    x[rj + q] = v;
  }
}

function luLarge(out: TypedArray, a: TypedArray, count: number, n: number, dtype: DType): void {
  const w = allocateUninit(dtype, n * n);
  const perm = new Int32Array(n), signs = new Int8Array(n);
  for (let t = 0; t < count; t++) {
    const aOff = t * n * n, oOff = t * n * (n + 2);
    w.set(a.subarray(aOff, aOff + n * n));
    for (let i = 0; i < n; i++) perm[i] = i;
    luBlocked({ w, ld: n }, 0, n, n, perm, signs);
    for (let i = 0; i < n; i++) {
      const o = oOff + i * (n + 2);
      out.set(w.subarray(i * n, i * n + n), o);
      out[o + n] = perm[i];
      out[o + n + 1] = signs[i];
    }
  }
}
