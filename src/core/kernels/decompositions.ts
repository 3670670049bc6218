/**
 * Kernels of the matrix decompositions (gt.linalg's qr, eigh, svd): Householder QR, cyclic
 * Jacobi for symmetric eigenproblems and one-sided (Hestenes) Jacobi for the SVD. Each works on
 * one matrix at a time in float64, whatever the tensor's dtype (float32 results are float64
 * results rounded once), into float64 arrays the caller gives (the ops pack them). Jacobi methods
 * are chosen for their accuracy (small eigenvalues and singular values to high relative
 * accuracy), not their speed: fine for the small and medium matrices of autodiff programs.
 */
import type { TypedArray } from "../dtype.ts";

const EPS = 2 ** -52;
const MAX_SWEEPS = 100;

// NOTE: every decomposition is computed on the matrix divided by its largest magnitude, so that
// squares and sums of squares can neither overflow nor underflow to zero.
function scaleOf(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m === 0 || !Number.isFinite(m) ? 1 : m;
}

function hasNonFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return true;
  return false;
}

/**
 * Flips the sign of column `j` of `v` (rows × cols, row-major, starting at `off`) when needed so
 * that its first component larger than half the typical magnitude of a unit vector's is
 * positive: a rule that, unlike "the largest component is positive", does not hinge on a tie
 * between equal components (`[1, -1]/√2`). Returns whether it flipped.
 */
function signOf(v: Float64Array, rows: number, cols: number, j: number): boolean {
  let norm = 0;
  for (let i = 0; i < rows; i++) norm += v[i * cols + j] * v[i * cols + j];
  const bar = 0.5 * Math.sqrt(norm / rows);
  for (let i = 0; i < rows; i++) {
    const x = v[i * cols + j];
    if (Math.abs(x) > bar) return x < 0;
  }
  return false;
}

function flipColumn(v: Float64Array, rows: number, cols: number, j: number): void {
  for (let i = 0; i < rows; i++) v[i * cols + j] = -v[i * cols + j];
}

/**
 * Symmetric eigendecomposition of `(a + aᵀ)/2` (`a` is n×n, row-major, overwritten) by cyclic
 * Jacobi rotations: eigenvalues ascending into `w`, eigenvectors as the columns of `v` (n×n,
 * row-major), each signed by `signOf`. A non-finite entry gives NaN everywhere.
 */
export function eighJacobi(a: Float64Array, n: number, w: Float64Array, v: Float64Array): void {
  if (hasNonFinite(a)) {
    w.fill(NaN);
    v.fill(NaN);
    return;
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (a[i * n + j] + a[j * n + i]);
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  const scale = scaleOf(a);
  for (let i = 0; i < a.length; i++) a[i] /= scale;
  const vs = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vs[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        // Negligible beside its diagonal: dropping it changes the eigenvalues below their ulp.
        if (Math.abs(apq) <= EPS * Math.sqrt(Math.abs(app * aqq))) {
          a[p * n + q] = a[q * n + p] = 0;
          continue;
        }
        const theta = (aqq - app) / (2 * apq);
        const t = Math.abs(theta) > 1e150
          ? 0.5 / theta
          : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        rotateColumns(a, n, n, p, q, c, s);
        rotateRows(a, n, p, q, c, s);
        a[p * n + q] = a[q * n + p] = 0;
        rotateColumns(vs, n, n, p, q, c, s);
        rotated = true;
      }
    }
    if (!rotated) break;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j]);
  for (let k = 0; k < n; k++) {
    const j = order[k];
    w[k] = a[j * n + j] * scale;
    for (let i = 0; i < n; i++) v[i * n + k] = vs[i * n + j];
  }
  for (let k = 0; k < n; k++) if (signOf(v, n, n, k)) flipColumn(v, n, n, k);
}

// x ← x·J on columns p and q of a rows × cols row-major matrix, J = [[c, s], [-s, c]].
function rotateColumns(
  x: Float64Array,
  rows: number,
  cols: number,
  p: number,
  q: number,
  c: number,
  s: number,
): void {
  for (let k = 0; k < rows; k++) {
    const xp = x[k * cols + p], xq = x[k * cols + q];
    x[k * cols + p] = c * xp - s * xq;
    x[k * cols + q] = s * xp + c * xq;
  }
}

// x ← Jᵀ·x on rows p and q of an n-column row-major matrix.
function rotateRows(x: Float64Array, n: number, p: number, q: number, c: number, s: number): void {
  for (let k = 0; k < n; k++) {
    const xp = x[p * n + k], xq = x[q * n + k];
    x[p * n + k] = c * xp - s * xq;
    x[q * n + k] = s * xp + c * xq;
  }
}

/**
 * Thin SVD of a tall matrix `b` (m×n, m ≥ n, stored by columns: `b[j*m + i]`, overwritten) by
 * one-sided Jacobi: singular values descending into `s` (n), left vectors into `u` (m×n,
 * row-major), right vectors into `v` (n×n, row-major). Columns of `u` for a zero singular value
 * complete the others to an orthonormal set.
 */
function svdTall(
  b: Float64Array,
  m: number,
  n: number,
  s: Float64Array,
  u: Float64Array,
  v: Float64Array,
): void {
  const vc = new Float64Array(n * n); // by columns, as b
  for (let i = 0; i < n; i++) vc[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = b[p * m + i], y = b[q * m + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.abs(zeta) > 1e150
          ? 0.5 / zeta
          : (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), sn = c * t;
        rotatePair(b, m, p, q, c, sn);
        rotatePair(vc, n, p, q, c, sn);
        rotated = true;
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let t = 0;
    for (let i = 0; i < m; i++) t += b[j * m + i] * b[j * m + i];
    norms[j] = Math.sqrt(t);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => norms[j] - norms[i]);
  const missing: number[] = [];
  for (let k = 0; k < n; k++) {
    const j = order[k];
    s[k] = norms[j];
    for (let i = 0; i < n; i++) v[i * n + k] = vc[j * n + i];
    if (norms[j] === 0) {
      missing.push(k);
      for (let i = 0; i < m; i++) u[i * n + k] = 0;
    } else {
      for (let i = 0; i < m; i++) u[i * n + k] = b[j * m + i] / norms[j];
    }
  }
  complete(u, m, n, missing);
}

// Columns p and q of a matrix stored by columns of length `len`, rotated by [[c, s], [-s, c]].
function rotatePair(
  x: Float64Array,
  len: number,
  p: number,
  q: number,
  c: number,
  s: number,
): void {
  for (let i = 0; i < len; i++) {
    const xp = x[p * len + i], xq = x[q * len + i];
    x[p * len + i] = c * xp - s * xq;
    x[q * len + i] = s * xp + c * xq;
  }
}

/**
 * Fills columns `missing` of `u` (rows × cols, row-major; the other columns orthonormal) with
 * unit vectors orthogonal to every other column: for each, the standard basis vector with the
 * largest part outside the columns so far, orthogonalized twice (Gram–Schmidt).
 */
function complete(u: Float64Array, rows: number, cols: number, missing: readonly number[]): void {
  const done = new Array<boolean>(cols).fill(true);
  for (const k of missing) done[k] = false;
  const x = new Float64Array(rows);
  for (const k of missing) {
    let best = -1, bestNorm = -1;
    for (let e = 0; e < rows; e++) {
      x.fill(0);
      x[e] = 1;
      const r = orthogonalize(x, u, rows, cols, done);
      if (r > bestNorm + 1e-12) {
        best = e;
        bestNorm = r;
      }
    }
    x.fill(0);
    x[best] = 1;
    const r = orthogonalize(x, u, rows, cols, done);
    for (let i = 0; i < rows; i++) u[i * cols + k] = x[i] / r;
    done[k] = true;
  }
}

// x minus its projection on the columns marked done (twice, for orthogonality); returns |x|.
function orthogonalize(
  x: Float64Array,
  u: Float64Array,
  rows: number,
  cols: number,
  done: readonly boolean[],
): number {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < cols; j++) {
      if (!done[j]) continue;
      let d = 0;
      for (let i = 0; i < rows; i++) d += u[i * cols + j] * x[i];
      for (let i = 0; i < rows; i++) x[i] -= d * u[i * cols + j];
    }
  }
  let t = 0;
  for (let i = 0; i < rows; i++) t += x[i] * x[i];
  return Math.sqrt(t);
}

/**
 * SVD of `a` (m×n, row-major): singular values descending into `s` (k = min(m, n)), `u` (m×cu,
 * row-major) and `v` (n×cv), where `cu`, `cv` are k for the thin decomposition or m and n for
 * the full one (the extra columns complete an orthonormal basis). Each pair (uⱼ, vⱼ) is signed
 * so that uⱼ follows `signOf`. A non-finite entry gives NaN everywhere.
 */
export function svdJacobi(
  a: Float64Array,
  m: number,
  n: number,
  full: boolean,
  s: Float64Array,
  u: Float64Array,
  v: Float64Array,
): void {
  const k = Math.min(m, n);
  const cu = full ? m : k, cv = full ? n : k;
  if (hasNonFinite(a)) {
    s.fill(NaN);
    u.fill(NaN);
    v.fill(NaN);
    return;
  }
  const scale = scaleOf(a);
  // The tall one of a and aᵀ, stored by columns (aᵀ by columns is a by rows).
  const tall = m >= n;
  const rows = tall ? m : n;
  const b = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) b[tall ? j * m + i : i * n + j] = a[i * n + j] / scale;
  }
  const left = new Float64Array(rows * k), right = new Float64Array(k * k);
  svdTall(b, rows, k, s, left, right);
  for (let j = 0; j < k; j++) s[j] *= scale;
  // a = left·S·rightᵀ when tall, else aᵀ = left·S·rightᵀ, so u = right and v = left.
  const [uk, vk] = tall ? [left, right] : [right, left];
  place(uk, m, k, u, cu);
  place(vk, n, k, v, cv);
  if (cu > k) complete(u, m, cu, range(k, cu));
  if (cv > k) complete(v, n, cv, range(k, cv));
  for (let j = 0; j < k; j++) {
    if (signOf(u, m, cu, j)) {
      flipColumn(u, m, cu, j);
      flipColumn(v, n, cv, j);
    }
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

// The rows × k matrix `x` into the first k columns of the rows × cols matrix `out`.
function place(x: Float64Array, rows: number, k: number, out: Float64Array, cols: number): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < k; j++) out[i * cols + j] = x[i * k + j];
    for (let j = k; j < cols; j++) out[i * cols + j] = 0;
  }
}

/**
 * Householder QR of `a` (m×n, row-major, overwritten): `q` (m×cq, row-major) with orthonormal
 * columns and `r` (cq×n, upper triangular), cq = min(m, n) for the thin decomposition or m for
 * the full one. Signs are chosen so that R's diagonal is non-negative (the decomposition of a
 * full-rank matrix is then unique). A non-finite entry gives NaN everywhere.
 */
export function qrHouseholder(
  a: Float64Array,
  m: number,
  n: number,
  full: boolean,
  q: Float64Array,
  r: Float64Array,
): void {
  const k = Math.min(m, n), cq = full ? m : k;
  if (hasNonFinite(a)) {
    q.fill(NaN);
    r.fill(NaN);
    return;
  }
  const scale = scaleOf(a);
  for (let i = 0; i < a.length; i++) a[i] /= scale;
  const tau = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let below = 0;
    for (let i = j + 1; i < m; i++) below += a[i * n + j] * a[i * n + j];
    if (below === 0) continue; // already upper triangular here: H = I
    const alpha = a[j * n + j];
    const norm = Math.sqrt(alpha * alpha + below);
    const beta = alpha >= 0 ? -norm : norm;
    // The reflector I - τ·w·wᵀ with w = (1, x₁/(α-β), ...), stored below the diagonal.
    const d = alpha - beta;
    for (let i = j + 1; i < m; i++) a[i * n + j] /= d;
    tau[j] = (beta - alpha) / beta;
    a[j * n + j] = beta;
    for (let c = j + 1; c < n; c++) {
      let dot = a[j * n + c];
      for (let i = j + 1; i < m; i++) dot += a[i * n + j] * a[i * n + c];
      dot *= tau[j];
      a[j * n + c] -= dot;
      for (let i = j + 1; i < m; i++) a[i * n + c] -= dot * a[i * n + j];
    }
  }
  // Q = H₀·H₁·…·H_{k-1}·I[:, :cq], applied from the last reflector back.
  q.fill(0);
  for (let i = 0; i < Math.min(m, cq); i++) q[i * cq + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    if (tau[j] === 0) continue;
    for (let c = 0; c < cq; c++) {
      let dot = q[j * cq + c];
      for (let i = j + 1; i < m; i++) dot += a[i * n + j] * q[i * cq + c];
      dot *= tau[j];
      q[j * cq + c] -= dot;
      for (let i = j + 1; i < m; i++) q[i * cq + c] -= dot * a[i * n + j];
    }
  }
  for (let i = 0; i < cq; i++) {
    for (let c = 0; c < n; c++) r[i * n + c] = i < m && c >= i ? a[i * n + c] * scale : 0;
  }
  for (let j = 0; j < k; j++) {
    if (r[j * n + j] >= 0) continue;
    for (let c = j; c < n; c++) r[j * n + c] = -r[j * n + c];
    flipColumn(q, m, cq, j);
  }
}

/** A matrix of `rows` × `cols` from `data` at `offset` (row-major), as float64. */
export function readMatrix(
  data: TypedArray,
  offset: number,
  rows: number,
  cols: number,
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = data[offset + i];
  return out;
}
