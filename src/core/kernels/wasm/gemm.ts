/**
 * float32 matmul through the WebAssembly SIMD kernel in gemm.wat: operands are packed into the
 * module's memory (transposes folded into the packing), multiplied, and the result copied out.
 * Where workers, shared memory and blocking waits are available (Deno; not a browser's main
 * thread, nor Node without a global Worker), a worker takes half the rows of large products.
 * Where WebAssembly SIMD is unavailable, `wasmGemm` returns false and the caller's loop runs.
 */
import { gemmFusedWasm, gemmSharedFusedWasm, gemmSharedWasm, gemmWasm } from "./gemm_wasm.ts";

interface GemmExports {
  gemm(
    a: number,
    b: number,
    c: number,
    ldc: number,
    k: number,
    lda: number,
    ldb: number,
    cols: number,
    i0: number,
    i1: number,
    j0: number,
    j1: number,
  ): void;
}

interface Kernel {
  memory: WebAssembly.Memory;
  exports: GemmExports;
  /** The compiled shared-memory module, for workers; null when single-threaded. */
  shared: WebAssembly.Module | null;
}

// The first bytes of memory are the control block shared with the worker; data starts after.
const CTL_WORDS = 16;
const DATA = CTL_WORDS * 4;
const STATE = 0; // 0 starting, 1 idle, 2 job posted, 3 exited
const PARAMS = 1; // 12 words: the gemm arguments but the ranges, mp, np, the chunk, byColumns
const NEXT = 13; // the first row (or column) no thread has claimed yet
// Row chunks per product: enough to even out the threads, few enough to keep B's blocks hot.
const CHUNKS = 8;
// Below this many multiply-adds a second thread costs more than it saves.
const THREAD_MIN_WORK = 1 << 22;
// A worker with no job for this long exits, so that it never keeps a program alive.
const IDLE_MS = 500;

let kernel: Kernel | null | undefined;

function decode(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function canThread(): boolean {
  if (
    typeof SharedArrayBuffer === "undefined" || typeof Worker === "undefined" ||
    typeof Blob === "undefined" || typeof URL?.createObjectURL !== "function"
  ) return false;
  try {
    // Throws where this thread may not block (a browser's main thread).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

// The build with relaxed fused multiply-adds where the engine has them, else the plain one.
function compile(fused: string, plain: string): WebAssembly.Module {
  try {
    return new WebAssembly.Module(decode(fused) as BufferSource);
  } catch {
    return new WebAssembly.Module(decode(plain) as BufferSource);
  }
}

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    if (canThread()) {
      const shared = compile(gemmSharedFusedWasm, gemmSharedWasm);
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
      const instance = new WebAssembly.Instance(shared, { env: { memory } });
      kernel = { memory, exports: instance.exports as unknown as GemmExports, shared };
    } else {
      const instance = new WebAssembly.Instance(compile(gemmFusedWasm, gemmWasm), {});
      const memory = instance.exports.memory as WebAssembly.Memory;
      kernel = { memory, exports: instance.exports as unknown as GemmExports, shared: null };
    }
  } catch {
    kernel = null;
  }
  return kernel;
}

/** Whether the WebAssembly kernel can run here. */
export function wasmGemmAvailable(): boolean {
  return load() !== null;
}

/** Whether large products are split with a worker thread here. */
export function wasmGemmThreaded(): boolean {
  return load()?.shared != null;
}

// The worker: instantiate the shared module on the shared memory, then run posted halves
// until idle for IDLE_MS, when it claims the exit (so a job posted meanwhile is never lost).
const WORKER_SOURCE = `
self.onmessage = ({ data: { module, memory, idleMs } }) => {
  const { exports } = new WebAssembly.Instance(module, { env: { memory } });
  const ctl = new Int32Array(memory.buffer, 0, ${CTL_WORDS});
  Atomics.store(ctl, ${STATE}, 1);
  Atomics.notify(ctl, ${STATE});
  for (;;) {
    const woke = Atomics.wait(ctl, ${STATE}, 1, idleMs);
    const state = Atomics.load(ctl, ${STATE});
    if (state === 2) {
      const [a, b, c, ldc, k, lda, ldb, cols, mp, np, chunk, byColumns] =
        ctl.slice(${PARAMS}, ${NEXT});
      const total = byColumns ? np : mp;
      for (let i; (i = Atomics.add(ctl, ${NEXT}, chunk)) < total;) {
        const e = Math.min(i + chunk, total);
        if (byColumns) exports.gemm(a, b, c, ldc, k, lda, ldb, cols, 0, mp, i, e);
        else exports.gemm(a, b, c, ldc, k, lda, ldb, cols, i, e, 0, np);
      }
      Atomics.store(ctl, ${STATE}, 1);
      Atomics.notify(ctl, ${STATE});
    } else if (woke === "timed-out" && Atomics.compareExchange(ctl, ${STATE}, 1, 3) === 1) {
      self.close();
      return;
    }
  }
};
`;

let workerState: "none" | "started" = "none";
let threadedRuns = 0;

/** How many products a worker has shared so far (for tests and benchmarks). */
export function wasmGemmThreadedRuns(): number {
  return threadedRuns;
}

function control(k: Kernel): Int32Array {
  return new Int32Array(k.memory.buffer, 0, CTL_WORDS);
}

// Starts a worker if none is running; it becomes usable (state 1) a little later.
function ensureWorker(k: Kernel): void {
  const ctl = control(k);
  if (workerState === "started" && Atomics.load(ctl, STATE) !== 3) return;
  Atomics.store(ctl, STATE, 0);
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  try {
    const worker = new Worker(url, { type: "module" });
    worker.postMessage({ module: k.shared, memory: k.memory, idleMs: IDLE_MS });
    workerState = "started";
  } catch {
    k.shared = null; // no workers after all: stay single-threaded
  } finally {
    URL.revokeObjectURL(url);
  }
}

// Runs gemm over C's mp rows and np columns. When the worker is idle and ready, both threads
// claim chunks until none is left (a fixed half each left one thread waiting whenever the other
// core was busy). Chunks are of rows, or of columns when C is wider than tall: every chunk
// streams all of the other operand, and this way that is the smaller one.
function run(k: Kernel, args: GemmArgs, mp: number, np: number): void {
  const [a, b, c, ldc, kk, lda, ldb, cols] = args;
  const work = mp * np * kk;
  if (k.shared !== null && work >= THREAD_MIN_WORK && Math.max(mp, np) >= 16) {
    ensureWorker(k);
    const ctl = control(k);
    const byColumns = np > mp;
    const chunk = byColumns ? ceil(np / CHUNKS, 8) : ceil(mp / CHUNKS, 4);
    ctl.set([...args, mp, np, chunk, byColumns ? 1 : 0, 0], PARAMS);
    if (Atomics.compareExchange(ctl, STATE, 1, 2) === 1) {
      Atomics.notify(ctl, STATE);
      const total = byColumns ? np : mp;
      for (let i; (i = Atomics.add(ctl, NEXT, chunk)) < total;) {
        const e = Math.min(i + chunk, total);
        if (byColumns) k.exports.gemm(a, b, c, ldc, kk, lda, ldb, cols, 0, mp, i, e);
        else k.exports.gemm(a, b, c, ldc, kk, lda, ldb, cols, i, e, 0, np);
      }
      while (Atomics.load(ctl, STATE) === 2) Atomics.wait(ctl, STATE, 2);
      threadedRuns++;
      return;
    }
  }
  k.exports.gemm(a, b, c, ldc, kk, lda, ldb, cols, 0, mp, 0, np);
}

// a, b, c, ldc, k, lda, ldb, cols: the gemm arguments but the ranges.
type GemmArgs = [number, number, number, number, number, number, number, number];

const ceil = (n: number, m: number) => Math.ceil(n / m) * m;
// NOTE: rows a multiple of 1 KiB apart fall in the same few cache sets, and a block of them
// evicts itself; a row stride one cache line longer spreads them.
const padded = (n: number) => (n % 256 === 0 ? n + 16 : n);

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
  const w = load();
  if (w === null) return false;
  // The kernel writes C only while it runs over K; with no K the product is zero, as `out` is.
  if (k === 0) return true;
  const mp = ceil(m, 4), np = ceil(n, 8);
  const ldc = padded(np);
  // A is copied as it is laid out when it can be read in place (rows, or the transpose's rows);
  // its rows (or columns) past m, and B's columns past n, are zeros the kernel reads.
  const cols = ai === 1 && ap !== 1;
  const lda = cols ? padded(mp) : padded(k), ldb = padded(np);
  const aBytes = (cols ? k : mp) * lda * 4, bBytes = k * ldb * 4, cBytes = mp * ldc * 4;
  const need = DATA + aBytes + bBytes + cBytes;
  const have = w.memory.buffer.byteLength;
  if (need > have) w.memory.grow(Math.ceil((need - have) / 65536));
  const mem = new Float32Array(w.memory.buffer);
  const aPtr = DATA, bPtr = aPtr + aBytes, cPtr = bPtr + bBytes;
  if (cols) copyIn(a, aOff, ap, 1, k, m, mem, aPtr / 4, lda);
  else copyIn(a, aOff, ai, ap, m, k, mem, aPtr / 4, lda);
  if (m < mp && !cols) mem.fill(0, aPtr / 4 + m * lda, aPtr / 4 + mp * lda);
  copyIn(b, bOff, bp, bj, k, n, mem, bPtr / 4, ldb);
  run(w, [aPtr, bPtr, cPtr, ldc, k, lda, ldb, cols ? 1 : 0], mp, np);
  const c = cPtr / 4;
  for (let i = 0; i < m; i++) out.set(mem.subarray(c + i * ldc, c + i * ldc + n), oOff + i * n);
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
  if (cs === 1 && src instanceof Float32Array) {
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
  // A transposed operand: read down the source's columns, a cache line serving several rows.
  for (let r = 0; r < rows; r++) {
    let from = off + r * rs;
    const to = at + r * ld;
    for (let j = 0; j < cols; j++, from += cs) dst[to + j] = src[from];
    if (ld > cols) dst.fill(0, to + cols, to + ld);
  }
}
