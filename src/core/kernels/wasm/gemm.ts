/**
 * float32 matmul through the WebAssembly SIMD kernel in gemm.wat: operands are copied into the
 * kernels' memory (transposes folded into the copies), multiplied, and the result copied out.
 * Large products are shared with the worker (see runtime.ts). Where WebAssembly SIMD is
 * unavailable, `wasmGemm` returns false and the caller's loop runs.
 */
import { addressOf, heap, JOB, kernels, runJob, scratchStart } from "./runtime.ts";

// Chunks per product: enough that the threads finish close together (16 rather than 8: W4's step
// about 3 % faster), few enough to keep the streamed operand's blocks hot.
const CHUNKS = 16;
// Below this many multiply-adds a second thread costs more than it saves.
const THREAD_MIN_WORK = 1 << 22;

// NOTE: a longer inner dimension is multiplied in chunks of this many steps whose products are
// summed in float64: the kernel's float32 blocks then add up at most 32 partial sums (so a
// float32 sum of 2·10⁷ ones is 2·10⁷, within 1·10⁻⁶ of float64 at any length), and the
// operands' copies in the kernels' memory stay small however long K is.
const K_CHUNK = 4096;

const ceil = (n: number, m: number) => Math.ceil(n / m) * m;
// NOTE: rows a multiple of 1 KiB apart fall in the same few cache sets, and a block of them
// evicts itself; a row stride one cache line longer spreads them.
const padded = (n: number) => (n % 256 === 0 ? n + 16 : n);
// NOTE: an operand read in place keeps its row stride. Rows a multiple of 4 KiB apart put a block's
// rows in one cache set even of L2: W5@1024's B read in place took 1.13× its time copied. At 1 KiB
// apart L2 still holds the block, and skipping the copy wins (W4's weights: its step 0.97×).
const oneSet = (ld: number) => ld % 1024 === 0;

/**
 * `out[oOff…] = op(A) · op(B)` for one m×k by k×n product (`out` arrives zeroed), where element (i, p) of op(A) is
 * `a[aOff + i*ai + p*ap]` and element (p, j) of op(B) is `b[bOff + p*bp + j*bj]`.
 * Returns false when the kernel is unavailable.
 */
export function wasmGemm(
  a: ArrayLike<number>,
  aOff: number,
  ai: number,
  ap: number,
  b: ArrayLike<number>,
  bOff: number,
  bp: number,
  bj: number,
  out: Float32Array,
  oOff: number,
  m: number,
  n: number,
  k: number,
): boolean {
  const w = kernels();
  if (w === null) return false;
  // The kernel writes C only while it runs over K; with no K the product is zero, as `out` is.
  if (k === 0) return true;
  if (k > K_CHUNK) {
    const part = new Float32Array(m * n), sum = new Float64Array(m * n);
    for (let p = 0; p < k; p += K_CHUNK) {
      const kc = Math.min(K_CHUNK, k - p);
      wasmGemm(a, aOff + p * ap, ai, ap, b, bOff + p * bp, bp, bj, part, 0, m, n, kc);
      for (let i = 0; i < part.length; i++) sum[i] += part[i];
    }
    out.set(sum, oOff);
    return true;
  }
  const mp = ceil(m, 4), np = ceil(n, 8);
  // Operands that live in the kernels' memory (a compiled program's buffers) are read in place
  // where the kernel can read their layout well, and C is written in place when its tiles fit it
  // exactly; the rest goes through the scratch space. Reading in place, the kernel may read a few
  // values past the matrix, into the rows or columns it discards (see residentArray's SPARE).
  const cols = ai === 1 && ap !== 1;
  const aHere = addressOf(a), bHere = addressOf(b), cHere = addressOf(out);
  const aInPlace = aHere >= 0 && (cols ? !oneSet(ap) : ap === 1 && m === mp);
  const bInPlace = bHere >= 0 && bj === 1 && !oneSet(bp);
  const cInPlace = cHere >= 0 && m === mp && n === np;
  const ldc = cInPlace ? n : padded(np);
  // A is copied as it is laid out when it can be read in place (rows, or the transpose's rows);
  // its rows (or columns) past m, and B's columns past n, are zeros the kernel reads.
  const lda = aInPlace ? (cols ? ap : ai) : cols ? padded(mp) : padded(k);
  const ldb = bInPlace ? bp : padded(np);
  const aBytes = aInPlace ? 0 : (cols ? k : mp) * lda * 4, bBytes = bInPlace ? 0 : k * ldb * 4;
  const mem = heap(w, aBytes + bBytes + (cInPlace ? 0 : mp * ldc * 4));
  const scratch = scratchStart();
  const aPtr = aInPlace ? aHere + aOff * 4 : scratch,
    bPtr = bInPlace ? bHere + bOff * 4 : scratch + aBytes;
  const cPtr = cInPlace ? cHere + oOff * 4 : scratch + aBytes + bBytes;
  // Chunks are of rows, or of columns when C is wider than tall: every chunk streams all of the
  // other operand, and this way that is the smaller one. A row chunk's rows of A go in, and its
  // rows of C come out, while the other thread works on its own chunks.
  const byColumns = np > mp, rowsOfA = !aInPlace && !cols && !byColumns;
  if (!aInPlace) {
    if (cols) copyIn(a, aOff, ap, 1, k, m, mem, aPtr / 4, lda);
    else if (!rowsOfA) copyIn(a, aOff, ai, ap, m, k, mem, aPtr / 4, lda);
    if (m < mp && !cols) mem.fill(0, aPtr / 4 + m * lda, aPtr / 4 + mp * lda);
  }
  if (!bInPlace) copyIn(b, bOff, bp, bj, k, n, mem, bPtr / 4, ldb);
  const stream = {
    fill(i: number, e: number) {
      const rows = Math.min(e, m) - i;
      if (rowsOfA && rows > 0) {
        copyIn(a, aOff + i * ai, ai, ap, rows, k, mem, aPtr / 4 + i * lda, lda);
      }
    },
    drain(i: number, e: number) {
      if (cInPlace) return;
      if (byColumns) copyOut(mem, cPtr / 4 + i, ldc, m, Math.min(e, n) - i, out, oOff + i, n);
      else copyOut(mem, cPtr / 4 + i * ldc, ldc, Math.min(e, m) - i, n, out, oOff + i * n, n);
    },
  };
  runJob(
    w,
    byColumns ? JOB.gemmCols : JOB.gemmRows,
    [aPtr, bPtr, cPtr, ldc, k, lda, ldb, cols ? 1 : 0, mp, np],
    byColumns ? np : mp,
    byColumns ? ceil(np / CHUNKS, 8) : ceil(mp / CHUNKS, 4),
    mp * np * k >= THREAD_MIN_WORK && Math.max(mp, np) >= 16,
    stream,
  );
  return true;
}

// Copies the rows × cols matrix whose (r, j) element is src[off + r*rs + j*cs] to dst at `at`,
// row-major with a row stride of ld ≥ cols, zeros past cols.
function copyIn(
  src: ArrayLike<number>,
  off: number,
  rs: number,
  cs: number,
  rows: number,
  cols: number,
  dst: Float32Array,
  at: number,
  ld: number,
): void {
  if (cs === 1 && src instanceof Float32Array && cols >= SET_MIN) {
    if (rs === cols && ld === cols) {
      dst.set(src.subarray(off, off + rows * cols), at);
      return;
    }
    for (let r = 0; r < rows; r++) {
      const from = off + r * rs, to = at + r * ld;
      dst.set(src.subarray(from, from + cols), to);
      if (ld > cols) dst.fill(0, to + cols, to + ld);
    }
    return;
  }
  // Short rows, and transposed operands (read down the source's columns, a cache line serving
  // several rows), element by element.
  for (let r = 0; r < rows; r++) {
    let from = off + r * rs;
    const to = at + r * ld;
    for (let j = 0; j < cols; j++, from += cs) dst[to + j] = src[from];
    for (let j = cols; j < ld; j++) dst[to + j] = 0;
  }
}

// Rows shorter than this are copied element by element: a subarray per row costs more.
const SET_MIN = 64;

// The m × n block of C at c (rows ldc apart in mem) to out at oOff, rows ldo apart.
function copyOut(
  mem: Float32Array,
  c: number,
  ldc: number,
  m: number,
  n: number,
  out: Float32Array,
  oOff: number,
  ldo: number,
): void {
  if (n <= 0) return;
  if (n >= SET_MIN) {
    for (let i = 0; i < m; i++) out.set(mem.subarray(c + i * ldc, c + i * ldc + n), oOff + i * ldo);
    return;
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0, from = c + i * ldc, o = oOff + i * ldo; j < n; j++) out[o++] = mem[from + j];
  }
}

/**
 * `out[oOff…] = op(A) · op(B)` for an m×1 by 1×n product (k = 1: an outer product, as each
 * example's weight gradient under vmap), where element i of op(A) is `a[aOff + i*ai]` and
 * element j of op(B) is `b[bOff + j*bj]`. Returns false when the kernel is unavailable.
 */
export function wasmOuter(
  a: ArrayLike<number>,
  aOff: number,
  ai: number,
  b: ArrayLike<number>,
  bOff: number,
  bj: number,
  out: Float32Array,
  oOff: number,
  m: number,
  n: number,
): boolean {
  const w = kernels();
  if (w === null) return false;
  const np = ceil(n, 4);
  // C is written in place when it lives in the kernels' memory and its rows need no padding.
  const cHere = np === n ? addressOf(out) : -1;
  const aBytes = ceil(m, 4) * 4, bBytes = np * 4;
  const mem = heap(w, aBytes + bBytes + (cHere < 0 ? m * np * 4 : 0));
  const aPtr = scratchStart(), bPtr = aPtr + aBytes;
  const cPtr = cHere < 0 ? bPtr + bBytes : cHere + oOff * 4;
  copyIn(a, aOff, ai, ai, 1, m, mem, aPtr / 4, m);
  copyIn(b, bOff, bj, bj, 1, n, mem, bPtr / 4, np);
  w.gemm.outer(aPtr, bPtr, cPtr, m, np);
  if (cHere >= 0) return true;
  // NOTE: one copy of the whole block when its rows are packed: a copy per row costs several
  // times more, and the block is most of the work.
  if (np === n) out.set(mem.subarray(cPtr / 4, cPtr / 4 + m * n), oOff);
  else copyOut(mem, cPtr / 4, np, m, n, out, oOff, n);
  return true;
}
