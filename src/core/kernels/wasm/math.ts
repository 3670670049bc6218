/**
 * float32 sin, cos, exp, sigmoid and tanh through math.wat's SIMD kernels: the input is streamed
 * into the kernels' memory, mapped four lanes at a time (by both threads when long), and
 * streamed out. The TypeScript loops in fast_math.ts remain the reference, and serve short arrays,
 * engines without WebAssembly SIMD, and the rare elements outside a kernel's range.
 */
import type { TypedArray } from "../../dtype.ts";
import type { UnaryLoop } from "../elementwise.ts";
import { cosF32, expF32, sigmoidF32, sinF32, tanhF32 } from "../fast_math.ts";
import {
  addressOf,
  endsResident,
  heap,
  JOB,
  type Kernels,
  kernels,
  runJob,
  scratchStart,
} from "./runtime.ts";

// Below this many elements the copies and the call cost more than the SIMD lanes save (and the
// jit fuses these ops only from this many on: see src/jit/fuse.ts).
export const SIMD_MIN = 256;
// From this many elements on the worker takes chunks too (a wake-up costs tens of µs).
const THREAD_MIN = 1 << 16;
const CHUNKS = 8;
// Longer arrays go through in blocks of this many elements, which bounds the memory (it never
// shrinks) at 8 MiB.
const BLOCK = 1 << 20;

/** One kernel: its job, its last parameter, the range it serves (as math.wat), and its fallback. */
interface MathOp {
  job: number;
  cosine: 0 | 1;
  serves: (x: number) => boolean;
  loop: UnaryLoop;
}

const sincosRange = (x: number) => Math.abs(x) <= 8192;
const SIN: MathOp = { job: JOB.sincos, cosine: 0, serves: sincosRange, loop: sinF32 };
const COS: MathOp = { job: JOB.sincos, cosine: 1, serves: sincosRange, loop: cosF32 };
const EXP: MathOp = { job: JOB.exp, cosine: 0, serves: (x) => x >= -87 && x <= 88, loop: expF32 };
const SIGMOID: MathOp = {
  job: JOB.sigmoid,
  cosine: 0,
  serves: (x) => Math.abs(x) <= 87,
  loop: sigmoidF32,
};
const TANH: MathOp = { job: JOB.tanh, cosine: 0, serves: (x) => x === x, loop: tanhF32 };

// Maps a[0, n) into o with the kernel where it runs, else with the TypeScript loop.
function map(op: MathOp, o: TypedArray, a: TypedArray, n: number): void {
  const k = n >= SIMD_MIN ? kernels() : null;
  if (k === null || !(o instanceof Float32Array) || !(a instanceof Float32Array)) {
    op.loop(o, a, n);
    return;
  }
  for (let i = 0; i < n; i += BLOCK) {
    const e = Math.min(i + BLOCK, n);
    mapBlock(k, op, o.subarray(i, e), a.subarray(i, e), e - i);
  }
}

function mapBlock(k: Kernels, op: MathOp, o: Float32Array, a: Float32Array, n: number): void {
  const n4 = (n + 3) & ~3;
  // Arrays in the kernels' memory (a compiled program's buffers) are read and written in place; an
  // output's padding lanes must then fall in its block's spare bytes (see runtime.ts), and an
  // input's are zeroed there when they do.
  const aHere = addressOf(a), oHere = n4 === n || endsResident(o, n) ? addressOf(o) : -1;
  const mem = heap(k, (aHere < 0 ? 4 * n4 : 0) + (oHere < 0 ? 4 * n4 : 0));
  const src = (aHere < 0 ? scratchStart() : aHere) / 4;
  const dst = oHere < 0 ? (aHere < 0 ? src + n4 : scratchStart() / 4) : oHere / 4;
  if (aHere >= 0 && endsResident(a, n)) mem.fill(0, src + n, src + n4);
  const chunk = Math.max(4, (Math.ceil(n4 / CHUNKS) + 3) & ~3);
  const outside = runJob(k, op.job, [4 * src, 4 * dst, op.cosine], n4, chunk, n >= THREAD_MIN, {
    fill(i, e) {
      if (aHere >= 0) return;
      const end = Math.min(e, n);
      mem.set(a.subarray(i, end), src + i);
      // The padding lanes are computed too; zeros keep them in range.
      if (end < e) mem.fill(0, src + end, src + e);
    },
    drain(i, e) {
      if (oHere < 0) o.set(mem.subarray(dst + i, dst + Math.min(e, n)), i);
    },
  });
  // The elements the kernel does not serve (NaN, infinities, beyond its range) are rare.
  if (outside) {
    for (let i = 0; i < n; i++) {
      if (!op.serves(a[i])) op.loop(o.subarray(i, i + 1), a.subarray(i, i + 1), 1);
    }
  }
}

/** `o[i] = sin(a[i])` for float32 data, with SIMD where it pays. */
export const simdSin: UnaryLoop = (o, a, n) => map(SIN, o, a, n);

/** `o[i] = cos(a[i])` for float32 data, with SIMD where it pays. */
export const simdCos: UnaryLoop = (o, a, n) => map(COS, o, a, n);

/** `o[i] = exp(a[i])` for float32 data, with SIMD where it pays. */
export const simdExp: UnaryLoop = (o, a, n) => map(EXP, o, a, n);

/** `o[i] = 1 / (1 + exp(-a[i]))` for float32 data, with SIMD where it pays. */
export const simdSigmoid: UnaryLoop = (o, a, n) => map(SIGMOID, o, a, n);

/** `o[i] = tanh(a[i])` for float32 data, with SIMD where it pays. */
export const simdTanh: UnaryLoop = (o, a, n) => map(TANH, o, a, n);
