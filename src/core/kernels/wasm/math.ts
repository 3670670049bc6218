/**
 * float32 sin, cos, exp, sigmoid and tanh through math.wat's SIMD kernels: the input is copied into the
 * kernels' memory, mapped four lanes at a time (by both threads when large), and copied out.
 * The TypeScript loops in fast_math.ts remain the reference and serve short arrays, engines
 * without WebAssembly SIMD, and (through Math's functions) the elements outside the kernels'
 * ranges.
 */
import type { TypedArray } from "../../dtype.ts";
import { cosF32, expF32, sigmoidF32, sinF32, tanhF32 } from "../fast_math.ts";
import { DATA, heap, JOB, type Kernels, kernels, runJob } from "./runtime.ts";

// Below this many elements the copies and the call cost more than the SIMD lanes save.
const SIMD_MIN = 256;
// From this many elements on the worker takes chunks too (a wake-up costs tens of µs).
const THREAD_MIN = 1 << 16;
const CHUNKS = 8;
// Longer arrays go through in blocks of this many elements, which bounds the memory (it never
// shrinks) at 8 MiB.
const BLOCK = 1 << 20;
// The kernels' ranges: |x| ≤ SINCOS_MAX for sin and cos, EXP_MIN ≤ x ≤ EXP_MAX for exp,
// |x| ≤ SIGMOID_MAX for sigmoid; tanh takes every x but NaN.
const SINCOS_MAX = 8192;
const EXP_MIN = -87, EXP_MAX = 88;
const SIGMOID_MAX = 87;

type Op = "sin" | "cos" | "exp" | "sigmoid" | "tanh";

const JOBS: Record<Op, number> = {
  sin: JOB.sincos,
  cos: JOB.sincos,
  exp: JOB.exp,
  sigmoid: JOB.sigmoid,
  tanh: JOB.tanh,
};

// Maps a[0, n) into o with the kernel; false when it cannot run here.
function simd(op: Op, o: TypedArray, a: TypedArray, n: number): boolean {
  if (n < SIMD_MIN || !(o instanceof Float32Array) || !(a instanceof Float32Array)) return false;
  const k = kernels();
  if (k === null) return false;
  for (let i = 0; i < n; i += BLOCK) {
    const e = Math.min(i + BLOCK, n);
    simdBlock(k, op, o.subarray(i, e), a.subarray(i, e), e - i);
  }
  return true;
}

function simdBlock(k: Kernels, op: Op, o: Float32Array, a: Float32Array, n: number): void {
  const n4 = (n + 3) & ~3;
  const mem = heap(k, 8 * n4);
  const src = DATA / 4, dst = src + n4;
  const chunk = Math.max(4, (Math.ceil(n4 / CHUNKS) + 3) & ~3);
  const outside = runJob(
    k,
    JOBS[op],
    [4 * src, 4 * dst, op === "cos" ? 1 : 0],
    n4,
    chunk,
    n >= THREAD_MIN,
    {
      fill(i, e) {
        const end = Math.min(e, n);
        mem.set(a.subarray(i, end), src + i);
        // The padding lanes are computed too; zeros keep them in range.
        if (end < e) mem.fill(0, src + end, src + e);
      },
      drain(i, e) {
        o.set(mem.subarray(dst + i, dst + Math.min(e, n)), i);
      },
    },
  );
  if (outside) mendOutside(op, o, a, n);
}

// The elements the kernels do not serve (NaN, infinities, and beyond the ranges) are rare; the
// TypeScript loops (Math's functions, for sin and cos) give them their float32 values.
function mendOutside(op: Op, o: Float32Array, a: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (op === "sin" || op === "cos") {
      if (!(Math.abs(x) <= SINCOS_MAX)) o[i] = op === "sin" ? Math.sin(x) : Math.cos(x);
    } else if (op === "exp") {
      if (!(x >= EXP_MIN && x <= EXP_MAX)) o[i] = Math.exp(x);
    } else if (op === "sigmoid") {
      if (!(Math.abs(x) <= SIGMOID_MAX)) sigmoidF32(o.subarray(i, i + 1), a.subarray(i, i + 1), 1);
    } else if (x !== x) o[i] = x;
  }
}

/** `o[i] = sin(a[i])` for float32 data, with SIMD where it pays. */
export function simdSin(o: TypedArray, a: TypedArray, n: number): void {
  if (!simd("sin", o, a, n)) sinF32(o, a, n);
}

/** `o[i] = cos(a[i])` for float32 data, with SIMD where it pays. */
export function simdCos(o: TypedArray, a: TypedArray, n: number): void {
  if (!simd("cos", o, a, n)) cosF32(o, a, n);
}

/** `o[i] = exp(a[i])` for float32 data, with SIMD where it pays. */
export function simdExp(o: TypedArray, a: TypedArray, n: number): void {
  if (!simd("exp", o, a, n)) expF32(o, a, n);
}

/** `o[i] = 1 / (1 + exp(-a[i]))` for float32 data, with SIMD where it pays. */
export function simdSigmoid(o: TypedArray, a: TypedArray, n: number): void {
  if (!simd("sigmoid", o, a, n)) sigmoidF32(o, a, n);
}

/** `o[i] = tanh(a[i])` for float32 data, with SIMD where it pays. */
export function simdTanh(o: TypedArray, a: TypedArray, n: number): void {
  if (!simd("tanh", o, a, n)) tanhF32(o, a, n);
}
