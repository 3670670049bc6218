/** Batched matrix multiplication with transposes folded into the index order. */
import { allocateF64, allocateUninit, type DType, type TypedArray } from "../dtype.ts";
import { broadcastShapes, sizeOf, stridesOf } from "../shape.ts";
import { broadcastStrides, forEachRow } from "./strided.ts";
import { wasmGemm, wasmOuter } from "./wasm/gemm.ts";
import { wasmAvailable } from "./wasm/runtime.ts";

const WASM_MIN_WORK = 4096;
// NOTE: a product with fewer outputs than this (a dot product, say) gains nothing from the
// WebAssembly kernel, which pads it to a 4×8 tile and copies both operands: the loop below, one
// float64 sum per output, is several times faster there (7× for a dot product of 2·10⁷ terms).
const WASM_MIN_OUTPUTS = 8;
const NO_BATCH: readonly number[] = Object.freeze([]);
// NOTE: an outer product (k = 1) this large goes through WebAssembly SIMD: 4× faster than the
// loop for each example's 784×128 weight gradient under vmap, copies in and out included.
const OUTER_MIN = 4096;

/** The dimensions of `a @ b` (rank ≥ 2 each, batch dimensions broadcast), checked already. */
export function matmulShape(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): { batch: readonly number[]; m: number; k: number; n: number } {
  // The operands were checked by matmul's shape rule (src/ops/products.ts).
  const ra = aShape.length, rb = bShape.length;
  const m = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const k = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const n = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  const batch = ra === 2 && rb === 2
    ? NO_BATCH
    : broadcastShapes("matmul", aShape.slice(0, -2), bShape.slice(0, -2));
  return { batch, m, k, n };
}

/**
 * `a @ b` into `out`, each optionally transposed in its last two axes. `reference` forces the
 * plain loop (rows accumulated in float64), which the fast kernels are tested against.
 */
export function matmulKernel(
  out: TypedArray,
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
  dtype: DType,
  reference = false,
): void {
  const { batch, m, k, n } = matmulShape(aShape, bShape, transposeA, transposeB);
  // Every path writes each element when k > 0; an empty inner dimension makes zeros.
  if (k === 0) {
    out.fill(0);
    return;
  }
  const useWasm = !reference && dtype === "float32" && m * n * k >= WASM_MIN_WORK &&
    m * n >= WASM_MIN_OUTPUTS && wasmAvailable();
  if (batch.length === 0 && !useWasm) {
    if (transposeB || m * n * k < ROWS_MIN_WORK) {
      smallMatmul(out, a, aShape, b, bShape, transposeA, transposeB, m, k, n);
    } else {
      const [ai, ap] = transposeA ? [1, aShape[1]] : [aShape[1], 1];
      rowsMatmul(out, a, 0, ai, ap, b, 0, bShape[1], 0, m, k, n);
    }
    return;
  }
  const ra = aShape.length, rb = bShape.length;
  // Element (i, p) of op(A) sits at i*ai + p*ap; element (p, j) of op(B) at p*bp + j*bj.
  const [ai, ap] = transposeA ? [1, aShape[ra - 1]] : [aShape[ra - 1], 1];
  const [bp, bj] = transposeB ? [1, bShape[rb - 1]] : [bShape[rb - 1], 1];
  const aBatch = broadcastStrides(aShape.slice(0, -2), batch).map((s) =>
    s * aShape[ra - 2] * aShape[ra - 1]
  );
  const bBatch = broadcastStrides(bShape.slice(0, -2), batch).map((s) =>
    s * bShape[rb - 2] * bShape[rb - 1]
  );
  const row = allocateF64(n);
  const useOuter = !reference && dtype === "float32" && m * n >= OUTER_MIN;
  // NOTE: the WebAssembly SIMD kernel pays for packing, so it takes over above a few
  // thousand multiply-adds; the loop below stays as the reference and the fallback.
  const one = (aOff: number, bOff: number, oOff: number): void => {
    // An outer product (k = 1, as each example's weight gradient under vmap) has no sum to
    // block: the gemm kernel's tiles would waste their lanes on it.
    if (k === 1) {
      if (useOuter && wasmOuter(a, aOff, ai, b, bOff, bj, out as Float32Array, oOff, m, n)) return;
      for (let i = 0, o = oOff; i < m; i++) {
        const av = a[aOff + i * ai];
        for (let j = 0, bi = bOff; j < n; j++, bi += bj) out[o++] = av * b[bi];
      }
      return;
    }
    if (useWasm) {
      wasmGemm(a, aOff, ai, ap, b, bOff, bp, bj, out as Float32Array, oOff, m, n, k);
      return;
    }
    if (bj === 1 && m * n * k >= ROWS_MIN_WORK) {
      rowsMatmul(out, a, aOff, ai, ap, b, bOff, bp, oOff, m, k, n);
      return;
    }
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = a[aOff + i * ai + p * ap];
        let bi = bOff + p * bp;
        for (let j = 0; j < n; j++, bi += bj) row[j] += av * b[bi];
      }
      // A loop, not out.set: most products that land here have narrow rows.
      const o = oOff + i * n;
      for (let j = 0; j < n; j++) out[o + j] = row[j];
    }
  };
  if (batch.length === 0) one(0, 0, 0);
  else if (
    !reference && dtype === "float32" &&
    sharedOperandGemm(
      a,
      aShape,
      b,
      bShape,
      transposeA,
      ai,
      ap,
      bp,
      bj,
      out as Float32Array,
      m,
      n,
      k,
    )
  ) {
    // done as one product
  } else {
    // Walk the batch dimensions as a shape whose elements are whole matrices.
    let o = 0;
    forEachRow(batch, [aBatch, bBatch], (_, offs, len, inner) => {
      for (let i = 0; i < len; i++, o += m * n) {
        one(offs[0] + i * inner[0], offs[1] + i * inner[1], o);
      }
    });
  }
}

// NOTE: where B's rows are contiguous, a large product runs row by row (i, then p, then j), so
// that B is read along its rows: the dot-product order reads B down its columns, a cache miss
// at every element once B outgrows the cache (a float64 product of 512² took 220 ms so, and 41
// this way). Four rows of A at a time read each row of B once for all four. Every element is
// still summed over p in order in float64, so the bits are the dot-product loop's.
const ROWS_MIN_WORK = 1 << 15;

function rowsMatmul(
  out: TypedArray,
  a: TypedArray,
  aOff: number,
  ai: number,
  ap: number,
  b: TypedArray,
  bOff: number,
  bp: number,
  oOff: number,
  m: number,
  k: number,
  n: number,
): void {
  const acc = allocateF64(4 * n);
  for (let i0 = 0; i0 < m; i0 += 4) {
    const rows = Math.min(4, m - i0);
    acc.fill(0);
    const a0 = aOff + i0 * ai;
    if (rows === 4) {
      for (let p = 0; p < k; p++) {
        const x = a0 + p * ap, bi = bOff + p * bp;
        const v0 = a[x], v1 = a[x + ai], v2 = a[x + 2 * ai], v3 = a[x + 3 * ai];
        for (let j = 0; j < n; j++) {
          const bv = b[bi + j];
          acc[j] += v0 * bv;
          acc[n + j] += v1 * bv;
          acc[2 * n + j] += v2 * bv;
          acc[3 * n + j] += v3 * bv;
        }
      }
    } else {
      for (let r = 0; r < rows; r++) {
        for (let p = 0; p < k; p++) {
          const v = a[a0 + r * ai + p * ap], bi = bOff + p * bp;
          for (let j = 0, o = r * n; j < n; j++) acc[o + j] += v * b[bi + j];
        }
      }
    }
    for (let r = 0, o = oOff + i0 * n; r < rows * n; r++) out[o + r] = acc[r];
  }
}

// One small 2-D product (the common case of small models), without the batch machinery: each
// element summed over p in order in float64, exactly as the batched loop does.
function smallMatmul(
  out: TypedArray,
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
  m: number,
  k: number,
  n: number,
): void {
  const ai = transposeA ? 1 : aShape[1], ap = transposeA ? aShape[1] : 1;
  const bp = transposeB ? 1 : bShape[1], bj = transposeB ? bShape[1] : 1;
  if (k === 1) {
    // An outer product (a column times a row, as a [n,1]·[1,1] layer).
    for (let i = 0; i < m; i++) {
      const av = a[i * ai];
      for (let j = 0; j < n; j++) out[i * n + j] = av * b[j * bj];
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, x = i * ai, y = j * bj; p < k; p++, x += ap, y += bp) s += a[x] * b[y];
      out[i * n + j] = s;
    }
  }
}

/** Transposes `x` of `shape` by `perm` into `out`, row-major. */
export function transposeKernel(
  out: TypedArray,
  x: TypedArray,
  shape: readonly number[],
  perm: readonly number[],
): void {
  const strides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  const srcStrides = perm.map((p) => strides[p]);
  const r = perm.length;
  // The output axis that walks the input's last (contiguous) axis.
  const across = perm.indexOf(r - 1);
  if (
    across !== r - 1 && srcStrides[r - 1] >= FAR && outShape[across] >= TILE &&
    outShape[r - 1] >= TILE
  ) {
    tiledTranspose(out, x, outShape, srcStrides, across);
    return;
  }
  forEachRow(outShape, [srcStrides], (o, offs, n, inner) => {
    const s = inner[0];
    let si = offs[0];
    // NOTE: a long contiguous row is a block copy (memcpy speed) rather than a loop of reads.
    if (s === 1 && n >= 64) out.set(x.subarray(si, si + n), o);
    else for (let i = 0; i < n; i++, si += s) out[o + i] = x[si];
  });
}

const TILE = 16;
// A stride (in elements) past which reading along it leaves the cache lines behind: below it, a
// whole tile's worth of rows stays in the first-level cache without tiling.
const FAR = 1024;

// NOTE: where the output's last axis strides through the input (a column read as a row), reading
// it element by element misses the cache at every element; in TILE×TILE tiles of that axis and
// the one that reads the input contiguously, each tile's lines are read once.
function tiledTranspose(
  out: TypedArray,
  x: TypedArray,
  outShape: readonly number[],
  src: readonly number[],
  across: number,
): void {
  const r = outShape.length;
  const outStrides = stridesOf(outShape);
  const rows = outShape[across], cols = outShape[r - 1];
  const oRow = outStrides[across], sCol = src[r - 1];
  const others = outShape.map((_, d) => d).filter((d) => d !== across && d !== r - 1);
  const idx = others.map(() => 0);
  let count = 1;
  for (const d of others) count *= outShape[d];
  let sBase = 0, oBase = 0;
  for (let c = 0; c < count; c++) {
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const i1 = Math.min(i0 + TILE, rows);
      for (let j0 = 0; j0 < cols; j0 += TILE) {
        const j1 = Math.min(j0 + TILE, cols);
        for (let i = i0; i < i1; i++) {
          let si = sBase + i + j0 * sCol, oi = oBase + i * oRow + j0;
          for (let j = j0; j < j1; j++, si += sCol) out[oi++] = x[si];
        }
      }
    }
    // Odometer over the other axes.
    for (let k = others.length - 1; k >= 0; k--) {
      const d = others[k];
      idx[k]++;
      sBase += src[d];
      oBase += outStrides[d];
      if (idx[k] < outShape[d]) break;
      sBase -= src[d] * outShape[d];
      oBase -= outStrides[d] * outShape[d];
      idx[k] = 0;
    }
  }
}

// NOTE: a batch where one operand is the same matrix for every batch (batched tangents meeting
// a weight matrix, as in jacfwd and hessian) is one large product rather than many small ones:
// shared B stacks A's rows; shared A lays B's batches side by side as columns. Many small
// products would repack the shared operand each time and waste the SIMD lanes on thin matrices.
function sharedOperandGemm(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  transposeA: boolean,
  ai: number,
  ap: number,
  bp: number,
  bj: number,
  out: Float32Array,
  m: number,
  n: number,
  k: number,
): boolean {
  const aCount = sizeOf(aShape.slice(0, -2)), bCount = sizeOf(bShape.slice(0, -2));
  const count = Math.max(aCount, bCount);
  if (count * m * n * k < WASM_MIN_WORK || !wasmAvailable()) return false;
  if (bCount === 1 && aCount === count && !transposeA) {
    return wasmGemm(a, 0, ai, ap, b, 0, bp, bj, out, 0, count * m, n, k);
  }
  if (aCount !== 1 || bCount !== count) return false;
  const width = count * n, size = k * n;
  const cat = allocateUninit("float32", k * width) as Float32Array;
  for (let t = 0; t < count; t++) {
    for (let p = 0; p < k; p++) {
      const from = t * size + p * bp, to = p * width + t * n;
      for (let j = 0; j < n; j++) cat[to + j] = b[from + j * bj];
    }
  }
  const wide = allocateUninit("float32", m * width) as Float32Array;
  if (!wasmGemm(a, 0, ai, ap, cat, 0, width, 1, wide, 0, m, width, k)) return false;
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < m; i++) {
      const from = i * width + t * n, to = (t * m + i) * n;
      for (let j = 0; j < n; j++) out[to + j] = wide[from + j];
    }
  }
  return true;
}
