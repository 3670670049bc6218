/**
 * The WebAssembly kernels' common ground: one memory holding the operands (copied into its scratch
 * space for each call, or living there for good: a compiled program's buffers and constants, which
 * the kernels read and write in place), the modules instantiated on it (gemm.wat, math.wat), and,
 * where workers, shared memory and blocking waits are available (Deno; not a browser's main
 * thread, nor Node without a global Worker), a worker that claims chunks of a large job beside the
 * calling thread, started once large jobs have taken long enough alone (`SPAWN_AFTER_MS`), and
 * ending once idle for `IDLE_MS`. Where WebAssembly SIMD is unavailable,
 * `kernels()` is null and the callers run their TypeScript loops.
 */
import { gemmFusedWasm, gemmSharedFusedWasm, gemmSharedWasm, gemmWasm } from "./gemm_wasm.ts";
import { mathFusedWasm, mathSharedFusedWasm, mathSharedWasm, mathWasm } from "./math_wasm.ts";

/** gemm.wat's export: see the module for the arguments. */
export interface GemmExports {
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
  outer(a: number, b: number, c: number, m: number, n: number): void;
}

/** math.wat's exports: each returns 1 when some element needs the caller's own path. */
export interface MathExports {
  sincos(src: number, dst: number, n: number, cosine: number): number;
  exp(src: number, dst: number, n: number): number;
  sigmoid(src: number, dst: number, n: number): number;
  tanh(src: number, dst: number, n: number): number;
}

/** The instantiated kernels. */
export interface Kernels {
  memory: WebAssembly.Memory;
  gemm: GemmExports;
  math: MathExports;
  /** The compiled shared-memory modules (gemm, math), for the worker; null when single-threaded. */
  shared: [WebAssembly.Module, WebAssembly.Module] | null;
}

/** The jobs a worker runs; each reads its own parameters (see `step`). */
export const JOB = {
  gemmRows: 0,
  gemmCols: 1,
  sincos: 2,
  exp: 3,
  sigmoid: 4,
  tanh: 5,
  generated: 6,
} as const;

/**
 * A generated loop (vector.ts): `f(...pointers, n)` over the elements [i, e) of a job. Its job's
 * parameters are `[id, code, codeBytes, args, count]`: the module's bytes lie at `code` (the
 * worker compiles them on its first sight of `id`), and at `args` a mask of the pointers that
 * advance with the elements, a mask of those that advance by 8 bytes (float64) rather than 4,
 * then the `count` pointers.
 */
export type GeneratedLoop = (...args: number[]) => number;

const generated = new Map<number, GeneratedLoop>();

/** Makes the generated loop `f` the one that jobs with this id run on this thread. */
export function registerLoop(id: number, f: GeneratedLoop): void {
  generated.set(id, f);
}

// The arguments of a generated loop for the elements [i, e) (as the worker's copy below).
function loopArgs(words: Int32Array, p: ArrayLike<number>, i: number, e: number): number[] {
  const at = p[3] / 4, advancing = words[at], wide = words[at + 1], args: number[] = [];
  for (let j = 0; j < p[4]; j++) {
    const step = (advancing >> j) & 1 ? ((wide >> j) & 1 ? 8 : 4) : 0;
    args.push(words[at + 2 + j] + step * i);
  }
  // The count, and where the chunk starts in the whole output (where the rows begin).
  args.push(e - i, words[at + 2 + p[4]] + i);
  return args;
}

// The first bytes of memory are the control block shared with the worker; then the blocks that
// hold arrays for good (see `residentArray`); the kernels' scratch space starts past the last.
const CTL_WORDS = 32;
const FIRST_BLOCK = CTL_WORDS * 4;
const STATE = 0; // 0 starting, 1 idle, 2 job posted, 3 exited, POSTING while a job is written
const POSTING = 4;
const JOB_ID = 1;
const PARAMS = 2; // up to 12 words
const TOTAL = 14; // the job's extent, in the units its chunks count
const CHUNK = 15;
const NEXT = 16; // the first unit no thread has claimed yet
const FLAG = 17; // the OR of the kernels' return values, and FAILED
// A bit of FLAG no kernel returns: a kernel threw (trapped) on the worker.
const FAILED = 1 << 30;
const READY = 18; // the units whose operands are in place (see Stream)
const DONES = 19; // how many chunks the worker has finished in this job
const DONE = 20; // from here, a bit per chunk the worker has finished (the first DONE_BITS)
const DONE_BITS = 32 * 8;
const HOLD = 28; // 1 while a compiled program has shared jobs still to come (see holdWorker)
// NOTE: the memory's size in 64 KiB pages when the job was posted. V8 tells other threads that a
// shared memory grew by an interrupt, which the worker may not have taken yet when a job posted
// after the growth reaches it: it then reads the memory as it was, too short for what lies past
// its old end (W4 without tidy failed so under the profiler, every run, reading a new loop's
// module). `memory.grow(0)` brings its view, and its instances', up to date at once.
const PAGES = 29;
// NOTE: a worker with no job for this long exits, giving its thread back. A Web Worker holds a
// Deno program open while it lives (Deno 2.9 has no `unref` for one), so this is also how long
// after its last large job such a program can take to end: short enough to go unnoticed, long
// enough that a program's pauses between large jobs (making a batch, logging) rarely end it.
const IDLE_MS = 200;
// NOTE: starting a worker costs this thread 15–20 ms in Deno (on a quiet machine), more than a
// short program's large jobs take in all. As in renting skis before buying: a worker starts only
// once the jobs it would share have taken this long on this thread alone, so a short program
// never pays for one, and a long one pays at most about twice what the better choice in hindsight
// would have cost.
const SPAWN_AFTER_MS = 30;

let loaded: Kernels | null | undefined;

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

function instantiate(memory: WebAssembly.Memory, modules: WebAssembly.Module[]): Kernels {
  const [gemm, math] = modules.map((m) => new WebAssembly.Instance(m, { env: { memory } }).exports);
  return {
    memory,
    gemm: gemm as unknown as GemmExports,
    math: math as unknown as MathExports,
    shared: null,
  };
}

/** The kernels, instantiated on first use; null where WebAssembly SIMD is unavailable. */
export function kernels(): Kernels | null {
  if (loaded !== undefined) return loaded;
  try {
    if (canThread()) {
      const shared: [WebAssembly.Module, WebAssembly.Module] = [
        compile(gemmSharedFusedWasm, gemmSharedWasm),
        compile(mathSharedFusedWasm, mathSharedWasm),
      ];
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
      loaded = { ...instantiate(memory, shared), shared };
    } else {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
      loaded = instantiate(memory, [
        compile(gemmFusedWasm, gemmWasm),
        compile(mathFusedWasm, mathWasm),
      ]);
    }
  } catch {
    loaded = null;
  }
  return loaded;
}

/** Whether the WebAssembly kernels can run here. */
export function wasmAvailable(): boolean {
  return kernels() !== null;
}

/** Whether large jobs are shared with a worker thread here. */
export function wasmThreaded(): boolean {
  return kernels()?.shared != null;
}

// One chunk [i, e) of a job, on either thread: the worker's copy of this switch is in
// WORKER_SOURCE below, and the two must agree.
function step(k: Kernels, job: number, p: ArrayLike<number>, i: number, e: number): number {
  switch (job) {
    case JOB.gemmRows:
      k.gemm.gemm(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], i, e, 0, p[9]);
      return 0;
    case JOB.gemmCols:
      k.gemm.gemm(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], 0, p[8], i, e);
      return 0;
    case JOB.sincos:
      return k.math.sincos(p[0] + 4 * i, p[1] + 4 * i, e - i, p[2]);
    case JOB.exp:
      return k.math.exp(p[0] + 4 * i, p[1] + 4 * i, e - i);
    case JOB.sigmoid:
      return k.math.sigmoid(p[0] + 4 * i, p[1] + 4 * i, e - i);
    case JOB.tanh:
      return k.math.tanh(p[0] + 4 * i, p[1] + 4 * i, e - i);
    default:
      return generated.get(p[0])!(...loopArgs(new Int32Array(k.memory.buffer), p, i, e));
  }
}

// NOTE: a thread waiting for the other spins this long (ms) before it sleeps: a sleeping thread
// takes tens of microseconds to wake on a VM (93 µs median for a round trip here), and a step's
// jobs come close together. Interleaved: W4 jitted 0.952 (the other order 1/1.040), W6 0.99
// (1/1.042), W4 eager 0.95 (1/1.006); W10 eager 1.00–1.02 slower, since a spinning worker takes
// cycles where the two threads share a core. Spinning a quarter as long gave W4 almost nothing.
const SPIN_MS = 0.2;
// While held (see holdWorker), the worker spins up to this long (ms) past its last job or wake:
// a bound for a program that stopped short of releasing it.
const HOLD_MS = 3;

// The worker: instantiate the shared modules on the shared memory, then claim chunks of posted
// jobs until idle for IDLE_MS, when it claims the exit (so a job posted meanwhile is never lost)
// and returns. `spawn` appends the line that calls it.
const WORKER_SOURCE = `
const run = ({ modules, memory, idleMs }) => {
  const [gemm, math] = modules.map((m) => new WebAssembly.Instance(m, { env: { memory } }).exports);
  const ctl = new Int32Array(memory.buffer, 0, ${CTL_WORDS});
  const loops = new Map();
  const loop = (p) => {
    let f = loops.get(p[0]);
    if (f === undefined) {
      const bytes = new Uint8Array(memory.buffer, p[1], p[2]).slice();
      f = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.f;
      loops.set(p[0], f);
    }
    return f;
  };
  const loopArgs = (words, p, i, e) => {
    const at = p[3] / 4, advancing = words[at], wide = words[at + 1], args = [];
    for (let j = 0; j < p[4]; j++) {
      const step = (advancing >> j) & 1 ? ((wide >> j) & 1 ? 8 : 4) : 0;
      args.push(words[at + 2 + j] + step * i);
    }
    args.push(e - i, words[at + 2 + p[4]] + i);
    return args;
  };
  const step = (job, p, i, e) => {
    switch (job) {
      case ${JOB.gemmRows}:
        gemm.gemm(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], i, e, 0, p[9]);
        return 0;
      case ${JOB.gemmCols}:
        gemm.gemm(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], 0, p[8], i, e);
        return 0;
      case ${JOB.sincos}:
        return math.sincos(p[0] + 4 * i, p[1] + 4 * i, e - i, p[2]);
      case ${JOB.exp}:
        return math.exp(p[0] + 4 * i, p[1] + 4 * i, e - i);
      case ${JOB.sigmoid}:
        return math.sigmoid(p[0] + 4 * i, p[1] + 4 * i, e - i);
      case ${JOB.tanh}:
        return math.tanh(p[0] + 4 * i, p[1] + 4 * i, e - i);
      default:
        return loop(p)(...loopArgs(new Int32Array(memory.buffer), p, i, e));
    }
  };
  Atomics.store(ctl, ${STATE}, 1);
  Atomics.notify(ctl, ${STATE});
  for (;;) {
    // Spins a moment before sleeping (see SPIN_MS), or while held (see holdWorker).
    const since = performance.now();
    for (let now = since; Atomics.load(ctl, ${STATE}) === 1; now = performance.now()) {
      const held = Atomics.load(ctl, ${HOLD}) === 1;
      if (now - since >= (held ? ${HOLD_MS} : ${SPIN_MS})) break;
    }
    const woke = Atomics.wait(ctl, ${STATE}, 1, idleMs);
    let state = Atomics.load(ctl, ${STATE});
    while (state === ${POSTING}) {
      Atomics.wait(ctl, ${STATE}, ${POSTING});
      state = Atomics.load(ctl, ${STATE});
    }
    if (state === 2) {
      if (memory.buffer.byteLength >>> 16 < ctl[${PAGES}]) memory.grow(0);
      const job = ctl[${JOB_ID}], p = ctl.slice(${PARAMS}, ${TOTAL});
      const total = ctl[${TOTAL}], chunk = ctl[${CHUNK}];
      let flag = 0;
      for (let i; (i = Atomics.add(ctl, ${NEXT}, chunk)) < total;) {
        const e = Math.min(i + chunk, total);
        for (let r; (r = Atomics.load(ctl, ${READY})) < e;) Atomics.wait(ctl, ${READY}, r);
        try {
          flag |= step(job, p, i, e);
        } catch {
          flag |= ${FAILED};
        }
        const c = (i / chunk) | 0;
        if (c < ${DONE_BITS}) Atomics.or(ctl, ${DONE} + (c >> 5), 1 << (c & 31));
        Atomics.add(ctl, ${DONES}, 1);
        Atomics.notify(ctl, ${DONES});
      }
      if (flag) Atomics.or(ctl, ${FLAG}, flag);
      Atomics.store(ctl, ${STATE}, 1);
      Atomics.notify(ctl, ${STATE});
    } else if (woke === "timed-out" && Atomics.compareExchange(ctl, ${STATE}, 1, 3) === 1) {
      return;
    }
  }
};
`;

let workerState: "none" | "started" = "none";
let threadedRuns = 0;
let posted = 0;
// The time shareable jobs have taken on this thread alone since no worker was running.
let aloneMs = 0;

/** How many jobs a worker has shared so far (for tests and benchmarks). */
export function wasmThreadedRuns(): number {
  return threadedRuns;
}

/** How many jobs this thread has offered the worker so far (whether or not it took part). */
export function jobsPosted(): number {
  return posted;
}

/**
 * Keeps the worker spinning between jobs, rather than sleeping, while `on` (and wakes it now if it
 * sleeps): for a compiled program whose calls share several jobs with a little work between them.
 * A sleeping worker can take half a millisecond to wake on a VM, and W4's step lost up to half of
 * the worker's share of its second product so; held, the worker takes part from its first chunk.
 */
export function holdWorker(on: boolean): void {
  const k = kernels();
  if (k === null || !workerRunning(k)) return;
  const ctl = control(k);
  if (!on) Atomics.store(ctl, HOLD, 0);
  else if (Atomics.exchange(ctl, HOLD, 1) === 0) Atomics.notify(ctl, STATE);
}

/** Whether the worker is held (see holdWorker), for tests. */
export function workerHeld(): boolean {
  const k = kernels();
  return k !== null && workerRunning(k) && Atomics.load(control(k), HOLD) === 1;
}

function control(k: Kernels): Int32Array {
  return new Int32Array(k.memory.buffer, 0, CTL_WORDS);
}

// Starts the worker as a Web Worker, where Bun can unreference it; Deno cannot (see IDLE_MS).
// NOTE: a Web Worker, not one of node:worker_threads, which Deno could unreference: creating that
// one cost this thread 70–120 ms (loading the module, then a worker with Node's globals), against
// 15–20 for a Web Worker, and W4's first eager steps paid it.
function spawn(init: { modules: unknown; memory: WebAssembly.Memory; idleMs: number }): void {
  const source = `${WORKER_SOURCE}self.onmessage = ({ data }) => { run(data); self.close(); };`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    const worker = new Worker(url, { type: "module" }) as Worker & { unref?(): void };
    worker.postMessage(init);
    worker.unref?.();
  } finally {
    URL.revokeObjectURL(url);
  }
}

function workerRunning(k: Kernels): boolean {
  return workerState === "started" && Atomics.load(control(k), STATE) !== 3;
}

/** Whether the kernels' worker has started and takes jobs (idle or busy), for tests. */
export function workerReady(): boolean {
  const k = kernels();
  if (k === null || !workerRunning(k)) return false;
  const state = Atomics.load(control(k), STATE);
  return state === 1 || state === 2 || state === POSTING;
}

/** Whether the kernels' worker is running (starting, idle or busy), for tests. */
export function workerStarted(): boolean {
  const k = kernels();
  return k !== null && workerRunning(k);
}

/**
 * Starts the kernels' worker now, rather than once large jobs have taken long enough alone (for
 * tests and benchmarks of the shared path). Returns whether there is one (where workers are
 * available).
 */
export function startWorker(): boolean {
  const k = kernels();
  if (k === null || k.shared === null) return false;
  ensureWorker(k);
  return k.shared !== null;
}

// Starts a worker if none is running; it becomes usable (state 1) a little later.
function ensureWorker(k: Kernels): void {
  if (workerRunning(k)) return;
  aloneMs = 0;
  const ctl = control(k);
  Atomics.store(ctl, STATE, 0);
  Atomics.store(ctl, HOLD, 0);
  try {
    spawn({ modules: k.shared, memory: k.memory, idleMs: IDLE_MS });
    workerState = "started";
  } catch {
    k.shared = null; // no workers after all: stay single-threaded
  }
}

/**
 * Grows the memory to hold `bytes` of scratch space from `scratchStart()` and returns a view of
 * all of it (valid until the memory next grows).
 */
export function heap(k: Kernels, bytes: number): Float32Array {
  grow(k, scratchAt + bytes);
  return new Float32Array(k.memory.buffer);
}

function grow(k: Kernels, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
}

// The resident blocks' sizes by address, and where the scratch space starts: past the last block,
// 64-byte aligned. It moves only when a block is made or freed, never during a kernel's call.
const blocks = new Map<number, number>();
// Their addresses, in order.
const starts: number[] = [];
// Where each resident array ends (its block's spare bytes follow), by its address, and as a set.
const endOf = new Map<number, number>();
const ends = new Set<number>();
let scratchAt = FIRST_BLOCK;
// The buffers the kernels' memory has had: a shared memory's views outlive its growth, each
// on the buffer of its time.
const memories = new WeakSet<ArrayBufferLike>();
// NOTE: each array's block ends with this many spare bytes: a SIMD loop in place computes up to
// three padding lanes of float64 past the array's end.
const SPARE = 32;

/** The first byte of the kernels' scratch space (16-byte aligned), past every resident block. */
export function scratchStart(): number {
  return scratchAt;
}

/** Whether `residentArray` can give arrays here (the kernels' memory is shared). */
export function residentAvailable(): boolean {
  return kernels()?.memory.buffer instanceof SharedArrayBuffer;
}

/**
 * A float array of `length` elements that lives in the kernels' shared memory, so that kernels
 * read and write it in place rather than copying it in and out: for buffers that a compiled
 * program keeps for good. Null where the memory is not shared (its views would not survive its
 * growth). Give it back with `freeResident` once nothing can read it.
 */
export function residentArray(
  dtype: "float32" | "float64",
  length: number,
): Float32Array | Float64Array | null {
  const k = kernels();
  if (k === null || !residentAvailable()) return null;
  const size = dtype === "float64" ? 8 : 4;
  const bytes = Math.ceil((length * size + SPARE) / 64) * 64;
  // The first gap that fits, between blocks in address order, else past the last.
  let at = FIRST_BLOCK, i = 0;
  for (; i < starts.length && starts[i] - at < bytes; i++) at = starts[i] + blocks.get(starts[i])!;
  grow(k, at + bytes);
  blocks.set(at, bytes);
  starts.splice(i, 0, at);
  endOf.set(at, at + length * size);
  ends.add(at + length * size);
  scratchAt = Math.max(scratchAt, at + bytes);
  const buffer = k.memory.buffer;
  memories.add(buffer);
  return dtype === "float64"
    ? new Float64Array(buffer, at, length)
    : new Float32Array(buffer, at, length);
}

/** Gives a `residentArray`'s block back; nothing may read or write the array afterwards. */
export function freeResident(array: Float32Array | Float64Array): void {
  freeBlock(array.byteOffset);
}

/**
 * Gives a `looseArray`'s block back (a tidy scope released it), and returns true; false, and
 * nothing changed, for any other array.
 */
export function freeLoose(array: ArrayBufferView): boolean {
  if (!looseArrays?.unregister(array)) return false;
  looseBytes -= blocks.get(array.byteOffset)!;
  freeBlock(array.byteOffset);
  return true;
}

function freeBlock(at: number): void {
  const bytes = blocks.get(at);
  if (bytes === undefined) return;
  blocks.delete(at);
  starts.splice(starts.indexOf(at), 1);
  ends.delete(endOf.get(at)!);
  endOf.delete(at);
  const last = starts.at(-1);
  scratchAt = last === undefined ? FIRST_BLOCK : last + blocks.get(last)!;
}

// NOTE: resident arrays handed to tensors (a compiled program's outputs), rather than kept by a
// program, go back when a tidy scope releases them (`freeLoose`) or once they are collected.
// The collector does not count them as memory (their views are small objects, and collects weak
// targets only in its full collections), so a loop outside tidy would grow the memory, which
// never shrinks, without bound: past LOOSE_BYTES outstanding, outputs go to ordinary memory.
const LOOSE_BYTES = 64 << 20;
let looseBytes = 0;
const looseArrays = typeof FinalizationRegistry === "undefined"
  ? undefined
  : new FinalizationRegistry<number>((at) => {
    looseBytes -= blocks.get(at) ?? 0;
    freeBlock(at);
  });

/**
 * A `residentArray` for a tensor to hold (a compiled program's output): given back by
 * `freeLoose` when a tidy scope releases it, or once it is collected. Null where resident
 * arrays are unavailable, or while those outstanding take `LOOSE_BYTES` already.
 */
export function looseArray(
  dtype: "float32" | "float64",
  length: number,
): Float32Array | Float64Array | null {
  if (looseArrays === undefined || looseBytes + length * 8 > LOOSE_BYTES) return null;
  const array = residentArray(dtype, length);
  if (array === null) return null;
  looseBytes += blocks.get(array.byteOffset)!;
  looseArrays.register(array, array.byteOffset, array);
  return array;
}

/** The bytes of all resident blocks (for tests). */
export function residentBytes(): number {
  let bytes = 0;
  for (const b of blocks.values()) bytes += b;
  return bytes;
}

/** The bytes of loose resident arrays not yet given back (for tests). */
export function looseResidentBytes(): number {
  return looseBytes;
}

/**
 * Whether element `i` of `array` lies just past the end of a resident array: the spare bytes there
 * are free to write.
 */
export function endsResident(array: Float32Array | Float64Array, i: number): boolean {
  const at = addressOf(array);
  return at >= 0 && ends.has(at + i * array.BYTES_PER_ELEMENT);
}

/** The byte address of `array[0]` in the kernels' memory, or -1 when it lives elsewhere. */
export function addressOf(array: ArrayLike<number>): number {
  return ArrayBuffer.isView(array) && memories.has(array.buffer) ? array.byteOffset : -1;
}

/**
 * How a job's operands get in and its results out, chunk by chunk, so that copies overlap the
 * other thread's work: `fill(i, e)` runs before units [i, e) are computed, in order; `drain(i, e)`
 * after, on this thread, for this thread's chunks and the worker's alike, as they finish.
 */
export interface Stream {
  fill(i: number, e: number): void;
  drain(i: number, e: number): void;
}

const WHOLE: Stream = { fill() {}, drain() {} };

/**
 * Runs `job` over [0, total) with `params`, returning the OR of the kernel's results. With
 * `share` set and the worker idle and ready, both threads claim chunks until none is left (a
 * fixed half each left one thread waiting whenever the other core was busy); else this thread
 * runs it in one call. Without a `stream`, the operands are in place already.
 */
export function runJob(
  k: Kernels,
  job: number,
  params: number[],
  total: number,
  chunk: number,
  share: boolean,
  stream: Stream = WHOLE,
): number {
  if (share && k.shared !== null && !workerRunning(k)) {
    const start = performance.now();
    const flag = runAlone(k, job, params, total, stream);
    aloneMs += performance.now() - start;
    if (aloneMs >= SPAWN_AFTER_MS) ensureWorker(k);
    return flag;
  }
  const ctl = control(k);
  // The job's fields are written only once the worker is idle and cannot read them mid-change:
  // a worker still finishing an earlier job (see below) has this one run here alone.
  if (!share || k.shared === null || Atomics.compareExchange(ctl, STATE, 1, POSTING) !== 1) {
    return runAlone(k, job, params, total, stream);
  }
  ctl.set(params, PARAMS);
  posted++;
  ctl[JOB_ID] = job;
  ctl[TOTAL] = total;
  ctl[CHUNK] = chunk;
  ctl[NEXT] = 0;
  ctl[FLAG] = 0;
  ctl[READY] = stream === WHOLE ? total : 0;
  ctl[DONES] = 0;
  ctl[PAGES] = k.memory.buffer.byteLength >>> 16;
  ctl.fill(0, DONE, DONE + DONE_BITS / 32);
  Atomics.store(ctl, STATE, 2);
  Atomics.notify(ctl, STATE);
  const chunks = Math.ceil(total / chunk), drained = new Uint8Array(chunks);
  let flag = 0, mine = 0;
  try {
    // The worker wakes while the operands go in, and starts on the first chunk filled.
    for (let i = 0; i < total && stream !== WHOLE; i += chunk) {
      const e = Math.min(i + chunk, total);
      stream.fill(i, e);
      Atomics.store(ctl, READY, e);
      Atomics.notify(ctl, READY);
    }
    for (let i; (i = Atomics.add(ctl, NEXT, chunk)) < total; mine++) {
      const e = Math.min(i + chunk, total);
      flag |= step(k, job, params, i, e);
      stream.drain(i, e);
      drained[i / chunk] = 1;
    }
  } catch (e) {
    abandon(ctl, total);
    throw e;
  }
  // NOTE: on a VM, a sleeping worker can take 200 µs or more to wake (its virtual CPU halted); if
  // this thread took every chunk meanwhile, the job is done, and the worker, once awake, finds
  // nothing left and goes idle again. (In one slow phase of this VM, W4's step posted three jobs,
  // this thread took every chunk of each and then waited 180–210 µs for the worker to wake: 0.6 ms
  // of a 6.9 ms step.)
  if (mine === chunks) return flag;
  if (stream !== WHOLE) drainWorkers(ctl, stream, drained, chunk, total);
  while (Atomics.load(ctl, STATE) === 2) awaitChange(ctl, STATE, 2);
  if (ctl[FLAG] & FAILED) {
    const name = Object.keys(JOB).find((n) => JOB[n as keyof typeof JOB] === job);
    throw new Error(
      `${name} (a WebAssembly kernel): trapped on the kernels' worker thread; this is a bug ` +
        "in gradtape: please report it with the program that ran into it",
    );
  }
  for (let c = 0; c < chunks && stream !== WHOLE; c++) {
    if (!drained[c]) stream.drain(c * chunk, Math.min((c + 1) * chunk, total));
  }
  threadedRuns++;
  return flag | ctl[FLAG];
}

// Drains the worker's chunks as it finishes them, rather than all once it is done: the last copies
// then overlap its last chunks. Returns once it has finished every chunk this thread did not take.
function drainWorkers(
  ctl: Int32Array,
  stream: Stream,
  drained: Uint8Array,
  chunk: number,
  total: number,
): void {
  const theirs = drained.length - drained.reduce((n, d) => n + d, 0);
  for (let seen = 0, done; seen < theirs;) {
    while ((done = Atomics.load(ctl, DONES)) === seen) awaitChange(ctl, DONES, seen);
    seen = done;
    for (let c = 0; c < Math.min(drained.length, DONE_BITS); c++) {
      if (!drained[c] && (Atomics.load(ctl, DONE + (c >> 5)) >>> (c & 31)) & 1) {
        stream.drain(c * chunk, Math.min((c + 1) * chunk, total));
        drained[c] = 1;
      }
    }
  }
}

// After this thread failed mid-job: no chunk is claimed from now on, the worker stops waiting for
// operands, and this returns once it has left the job, so that it writes nothing into the scratch
// space that the next job uses.
function abandon(ctl: Int32Array, total: number): void {
  Atomics.store(ctl, NEXT, total);
  Atomics.store(ctl, READY, total);
  Atomics.notify(ctl, READY);
  while (Atomics.load(ctl, STATE) === 2) awaitChange(ctl, STATE, 2);
}

// Returns once ctl[at] may no longer be `value`: spinning first, then asleep.
function awaitChange(ctl: Int32Array, at: number, value: number): void {
  const until = performance.now() + SPIN_MS;
  while (Atomics.load(ctl, at) === value) {
    if (performance.now() > until) {
      Atomics.wait(ctl, at, value);
      return;
    }
  }
}

function runAlone(
  k: Kernels,
  job: number,
  params: ArrayLike<number>,
  total: number,
  stream: Stream,
): number {
  stream.fill(0, total);
  const flag = step(k, job, params, 0, total);
  stream.drain(0, total);
  return flag;
}
