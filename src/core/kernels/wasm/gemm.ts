/**
 * float32 matmul through the WebAssembly SIMD kernel in gemm.wat: operands are packed into the
 * module's memory (transposes folded into the packing), multiplied, and the result copied out.
 * Falls back to `null` where WebAssembly SIMD is unavailable, and the caller uses its loop.
 */
import { gemmWasm } from "./gemm_wasm.ts";

interface GemmExports {
  memory: WebAssembly.Memory;
  gemm(
    a: number,
    b: number,
    c: number,
    np: number,
    ldc: number,
    k: number,
    i0: number,
    i1: number,
  ): void;
}

let exports: GemmExports | null | undefined;

function load(): GemmExports | null {
  if (exports !== undefined) return exports;
  try {
    const bytes = Uint8Array.from(atob(gemmWasm), (c) => c.charCodeAt(0));
    exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {})
      .exports as unknown as GemmExports;
  } catch {
    exports = null;
  }
  return exports;
}

/** Whether the WebAssembly kernel can run here. */
export function wasmGemmAvailable(): boolean {
  return load() !== null;
}

const ceil = (n: number, m: number) => Math.ceil(n / m) * m;

/**
 * `out[oOff…] = op(A) · op(B)` for one m×k by k×n product, where element (i, p) of op(A) is
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
  const mp = ceil(m, 4), np = ceil(n, 8);
  // NOTE: rows of C a multiple of 1 KiB apart alias in the cache; a little padding avoids it.
  const ldc = np % 256 === 0 ? np + 8 : np;
  const aBytes = mp * k * 4, bBytes = np * k * 4, cBytes = mp * ldc * 4;
  const need = aBytes + bBytes + cBytes;
  const have = w.memory.buffer.byteLength;
  if (need > have) w.memory.grow(Math.ceil((need - have) / 65536));
  const mem = new Float32Array(w.memory.buffer);
  const aPtr = 0, bPtr = aBytes, cPtr = aBytes + bBytes;
  packA(a, aOff, ai, ap, m, k, mem, aPtr / 4);
  packB(b, bOff, bp, bj, n, k, mem, bPtr / 4);
  mem.fill(0, cPtr / 4, cPtr / 4 + mp * ldc);
  w.gemm(aPtr, bPtr, cPtr, np, ldc, k, 0, mp);
  const c = cPtr / 4;
  for (let i = 0; i < m; i++) out.set(mem.subarray(c + i * ldc, c + i * ldc + n), oOff + i * n);
  return true;
}

// Panels of 4 rows, each stored [k][4]; rows past m are zero.
function packA(
  a: ArrayLike<number>,
  off: number,
  ai: number,
  ap: number,
  m: number,
  k: number,
  dst: Float32Array,
  at: number,
): void {
  for (let i0 = 0; i0 < m; i0 += 4) {
    const rows = Math.min(4, m - i0);
    for (let p = 0; p < k; p++) {
      const base = off + i0 * ai + p * ap;
      for (let r = 0; r < 4; r++) dst[at++] = r < rows ? a[base + r * ai] : 0;
    }
  }
}

// Panels of 8 columns, each stored [k][8]; columns past n are zero.
function packB(
  b: ArrayLike<number>,
  off: number,
  bp: number,
  bj: number,
  n: number,
  k: number,
  dst: Float32Array,
  at: number,
): void {
  for (let j0 = 0; j0 < n; j0 += 8) {
    const cols = Math.min(8, n - j0);
    for (let p = 0; p < k; p++) {
      const base = off + p * bp + j0 * bj;
      if (cols === 8 && bj === 1) {
        for (let c = 0; c < 8; c++) dst[at++] = b[base + c];
      } else {
        for (let c = 0; c < 8; c++) dst[at++] = c < cols ? b[base + c * bj] : 0;
      }
    }
  }
}
