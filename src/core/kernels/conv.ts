/**
 * The general convolution's kernel (src/ops/conv.ts): input `[N, ...S, C]`, filter
 * `[...K, C/G, O]`, output `[N, ...Y, O]`, with strides, padding (negative pads crop), input
 * ("lhs") dilation, filter ("rhs") dilation and G feature groups.
 *
 * As a matrix product per group: each output position's receptive field is one row of a matrix A
 * (im2col), its columns ordered as the filter's rows `(k, c)`, so that `out = A · W`. In float32
 * the rows are written straight into the WebAssembly kernels' memory, chunk by chunk, while the
 * worker multiplies the chunks already written (runtime.ts's `Stream`). Elsewhere (float64, small
 * products, thin groups) a loop sums each output in float64, reading the input in place.
 */
import { allocateF64, type DType, type TypedArray } from "../dtype.ts";
import { heap, JOB, kernels, runJob, scratchStart, type Stream } from "./wasm/runtime.ts";

/** The layout and attributes of one convolution, checked by the shape rule. */
export interface ConvGeometry {
  /** Batch size. */
  n: number;
  /** Input spatial sizes. */
  s: readonly number[];
  /** Input channels (all groups). */
  c: number;
  /** Filter spatial sizes. */
  k: readonly number[];
  /** Output channels (all groups). */
  o: number;
  /** Output spatial sizes. */
  y: readonly number[];
  groups: number;
  strides: readonly number[];
  /** Padding before each spatial dimension (negative: cropped). */
  lo: readonly number[];
  lhsDilation: readonly number[];
  rhsDilation: readonly number[];
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const ceil = (n: number, m: number) => Math.ceil(n / m) * m;
// As wasm/gemm.ts: rows a multiple of 1 KiB apart fall in the same cache sets.
const padded = (n: number) => (n % 256 === 0 ? n + 16 : n);

// Below this many multiply-adds the loop is as fast as copying into WebAssembly memory.
const WASM_MIN_WORK = 4096;
// Longer inner dimensions are multiplied in chunks summed in float64, as wasm/gemm.ts does.
const K_CHUNK = 4096;
// Below this many multiply-adds a second thread costs more than it saves (as wasm/gemm.ts).
const THREAD_MIN_WORK = 1 << 22;
// Rows of A per chunk of a job: small enough that the worker starts soon after the first is
// written, large enough that each chunk streams B's blocks well; and at least CHUNKS chunks, so
// that the two threads end together.
const CHUNK_ROWS = 256;
const CHUNKS = 16;
// The most floats of A held in WebAssembly memory at a time (64 MiB): larger products go in
// blocks of rows.
const A_MAX = 1 << 24;

/**
 * For each spatial dimension, the input index that output position `o` meets at filter tap `k`
 * (`table[o * K + k]`), or -1 where it falls in the padding or between dilated inputs.
 */
function tapTables(g: ConvGeometry): Int32Array[] {
  return g.s.map((size, i) => {
    const K = g.k[i], Y = g.y[i], a = g.lhsDilation[i];
    const t = new Int32Array(Y * K);
    for (let o = 0; o < Y; o++) {
      for (let k = 0; k < K; k++) {
        const q = o * g.strides[i] + k * g.rhsDilation[i] - g.lo[i];
        t[o * K + k] = q >= 0 && q % a === 0 && q / a < size ? q / a : -1;
      }
    }
    return t;
  });
}

/**
 * Which rows of the im2col matrix a job holds, and which taps (columns) they need: all of them,
 * or, with a dilated input, one residue class of output positions and the taps that land on
 * input values (not on the zeros between them) for that class.
 */
interface Part {
  /** The global rows (`(n, o…)` in order) of the part's rows, or null: all rows, in order. */
  rows: Int32Array | null;
  count: number;
  /** Per spatial dimension, the filter taps the part's columns hold, ascending. */
  taps: readonly number[][];
}

/**
 * Writes rows [m0, m1) of `part` of group `grp`'s im2col matrix to `dst` (row m0 at `at`, rows
 * `ld` apart), the columns of the part's taps [t0, t1) only (counted in its tap order): row
 * `(n, o…)` holds, for each tap `k…` in order, the `C/G` input channels of the group at the
 * input position that tap meets (zeros in the padding). Copies runs of taps that are adjacent in
 * the input as one.
 */
function fillRows(
  dst: TypedArray,
  at: number,
  ld: number,
  x: TypedArray,
  xAt: number,
  g: ConvGeometry,
  taps: Int32Array[],
  grp: number,
  part: Part,
  m0: number,
  m1: number,
  t0: number,
  t1: number,
): void {
  const d = g.s.length, ci = g.c / g.groups, sel = part.taps;
  // Strides of x in elements, per spatial dimension and for the batch.
  const xs = new Array<number>(d);
  let step = g.c;
  for (let i = d - 1; i >= 0; i--) {
    xs[i] = step;
    step *= g.s[i];
  }
  const batchStride = step;
  const pos = new Array<number>(d).fill(0); // output position of the row
  const kk = new Array<number>(d).fill(0); // index into sel[i] of the tap
  const mode = x === dst ? WITHIN : dst.constructor === x.constructor ? SET : LOOP;
  const last = d - 1, kLast = g.k[last], lastTaps = taps[last], lastStride = xs[last];
  const lastSel = sel[last], nLast = lastSel.length;
  for (let m = m0; m < m1; m++) {
    let rem = part.rows === null ? m : part.rows[m];
    for (let i = d - 1; i >= 0; i--) {
      pos[i] = rem % g.y[i];
      rem = Math.floor(rem / g.y[i]);
    }
    let o = at + (m - m0) * ld;
    const base = xAt + rem * batchStride + grp * ci;
    for (let i = d - 1, t = t0; i >= 0; i--) {
      kk[i] = t % sel[i].length;
      t = Math.floor(t / sel[i].length);
    }
    // A pending run: `len` elements from x at `src` (or zeros where src < 0) to dst at `runAt`.
    let src = -2, len = 0, runAt = o;
    // The taps in groups along the last dimension: the other dimensions' offset once per group.
    for (let t = t0; t < t1;) {
      let outer = base;
      for (let i = 0; i < last; i++) {
        const q = taps[i][pos[i] * g.k[i] + sel[i][kk[i]]];
        if (q < 0) {
          outer = -1;
          break;
        }
        outer += q * xs[i];
      }
      const k0 = kk[last], k1 = Math.min(nLast, k0 + t1 - t), row = pos[last] * kLast;
      for (let k = k0; k < k1; k++) {
        const q = lastTaps[row + lastSel[k]];
        const off = outer < 0 || q < 0 ? -1 : outer + q * lastStride;
        if (len > 0 && (off < 0 ? src < 0 : src >= 0 && off === src + len)) {
          len += ci;
        } else {
          if (len > 0) flush(dst, runAt, x, src, len, mode);
          src = off;
          len = ci;
          runAt = o;
        }
        o += ci;
      }
      t += k1 - k0;
      kk[last] = 0;
      for (let i = last - 1; i >= 0; i--) {
        if (++kk[i] < sel[i].length) break;
        kk[i] = 0;
      }
    }
    if (len > 0) flush(dst, runAt, x, src, len, mode);
  }
}

// NOTE: an input dilated by a (a transposed convolution, the input gradient of a strided one)
// is mostly zeros: only taps with o·s + k·r - lo ≡ 0 (mod a) meet a value, and which ones depends
// on o only through o mod a/gcd(s, a). So the output positions split into classes, each a product
// with the taps that meet values only: a^d times less work than the im2col of the zeros.
function parts(g: ConvGeometry): Part[] {
  const d = g.s.length, rows = g.n * prod(g.y);
  if (g.lhsDilation.every((a) => a === 1)) {
    return [{
      rows: null,
      count: rows,
      taps: g.k.map((k) => Array.from({ length: k }, (_, i) => i)),
    }];
  }
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const period = g.lhsDilation.map((a, i) => a / gcd(g.strides[i] % a, a));
  const out: Part[] = [];
  const cls = new Array<number>(d).fill(0);
  for (let c = 0; c < prod(period); c++) {
    for (let i = d - 1, r = c; i >= 0; i--) {
      cls[i] = r % period[i];
      r = Math.floor(r / period[i]);
    }
    const a = g.lhsDilation;
    const taps = g.k.map((k, i) =>
      Array.from({ length: k }, (_, t) => t).filter((t) =>
        (((cls[i] * g.strides[i] + t * g.rhsDilation[i] - g.lo[i]) % a[i]) + a[i]) % a[i] === 0
      )
    );
    const ys = g.y.map((y, i) =>
      Array.from({ length: y }, (_, o) => o).filter((o) => o % period[i] === cls[i])
    );
    const count = g.n * prod(ys.map((l) => l.length));
    if (count === 0) continue;
    const list = new Int32Array(count), idx = new Array<number>(d).fill(0);
    for (let m = 0; m < count; m++) {
      let rem = m;
      for (let i = d - 1; i >= 0; i--) {
        idx[i] = ys[i][rem % ys[i].length];
        rem = Math.floor(rem / ys[i].length);
      }
      let global = rem;
      for (let i = 0; i < d; i++) global = global * g.y[i] + idx[i];
      list[m] = global;
    }
    out.push({ rows: list, count, taps });
  }
  return out;
}

// How a run is copied: within one array (x already in WebAssembly memory), by `set` between
// arrays of one type, or element by element.
const WITHIN = 0, SET = 1, LOOP = 2;

function flush(
  dst: TypedArray,
  at: number,
  x: TypedArray,
  src: number,
  len: number,
  mode: number,
): void {
  if (src < 0) {
    dst.fill(0, at, at + len);
  } else if (mode === WITHIN) {
    dst.copyWithin(at, src, src + len);
  } else if (mode === SET && len >= 32) {
    dst.set(x.subarray(src, src + len), at);
  } else {
    for (let j = 0; j < len; j++) dst[at + j] = x[src + j];
  }
}

/**
 * The convolution of `x` by `w` into `out` (every element written). `reference` forces the loop
 * path, which the WebAssembly path is tested against; `aMax` bounds the floats of the im2col
 * matrix held at a time (tests make it small, to check the blocks of rows).
 */
export function convKernel(
  out: TypedArray,
  x: TypedArray,
  w: TypedArray,
  g: ConvGeometry,
  dtype: DType,
  reference = false,
  aMax: number = A_MAX,
): void {
  const rows = g.n * prod(g.y), og = g.o / g.groups, kc = prod(g.k) * (g.c / g.groups);
  if (rows === 0 || og === 0) return;
  if (kc === 0) {
    out.fill(0);
    return;
  }
  // NOTE: thin groups (depthwise convolutions, their gradients) waste most of the gemm kernel's
  // 4×8 tiles and pay a job per group: the direct loop is far faster there (a depthwise 3×3 on
  // 64×28×28×64: 1.2 s as 64 products).
  const thin = g.groups > 1 && (og < 8 || kc / prod(g.k) < 8);
  if (
    !reference && !thin && dtype === "float32" && rows * kc * og >= WASM_MIN_WORK &&
    wasmConv(out as Float32Array, x, w, g, tapTables(g), rows, og, aMax)
  ) return;
  directConv(out, x, w, g);
}

// Each output position's channels summed in float64 over the taps that land in the input, read
// where they are (no im2col): each tap meets the input pixel's channels and the filter's rows in
// order, and the sums of all groups lie side by side.
function directConv(out: TypedArray, x: TypedArray, w: TypedArray, g: ConvGeometry): void {
  const d = g.s.length, G = g.groups, ci = g.c / G, og = g.o / G, O = g.o;
  const taps = tapTables(g), ntaps = prod(g.k), rows = g.n * prod(g.y);
  const xs = new Array<number>(d);
  let step = g.c;
  for (let i = d - 1; i >= 0; i--) {
    xs[i] = step;
    step *= g.s[i];
  }
  const pos = new Array<number>(d).fill(0), kk = new Array<number>(d).fill(0);
  const acc = allocateF64(O);
  for (let m = 0, n = 0; m < rows; m++) {
    acc.fill(0);
    kk.fill(0);
    for (let t = 0; t < ntaps; t++) {
      let off = n * step;
      for (let i = 0; i < d; i++) {
        const q = taps[i][pos[i] * g.k[i] + kk[i]];
        if (q < 0) {
          off = -1;
          break;
        }
        off += q * xs[i];
      }
      for (let i = d - 1; i >= 0; i--) {
        if (++kk[i] < g.k[i]) break;
        kk[i] = 0;
      }
      if (off < 0) continue;
      const wt = t * ci * O;
      // One channel in and out per group (depthwise): one loop along the channels.
      if (ci === 1 && og === 1) {
        for (let c = 0; c < G; c++) acc[c] += x[off + c] * w[wt + c];
        continue;
      }
      if (og === 1) {
        for (let grp = 0; grp < G; grp++) {
          let sum = 0;
          for (let c = 0, xi = off + grp * ci, wi = wt + grp; c < ci; c++, wi += O) {
            sum += x[xi + c] * w[wi];
          }
          acc[grp] += sum;
        }
        continue;
      }
      for (let grp = 0; grp < G; grp++) {
        for (let c = 0, xi = off + grp * ci, a = grp * og; c < ci; c++) {
          const xv = x[xi + c];
          for (let j = 0, wi = wt + c * O + a; j < og; j++) acc[a + j] += xv * w[wi + j];
        }
      }
    }
    for (let j = 0, o = m * O; j < O; j++) out[o + j] = acc[j];
    for (let i = d - 1; i >= 0; i--) {
      if (++pos[i] < g.y[i]) break;
      pos[i] = 0;
      if (i === 0) n++;
    }
  }
}

// Per group, part of the rows, block of them and chunk of the part's columns (with the matching
// rows of B, the group's columns of the filter), one job: its rows of A written into WebAssembly
// memory as the job runs, its rows of C copied out (or summed, over several chunks) as they
// finish. Returns false without the kernels.
function wasmConv(
  out: Float32Array,
  x: TypedArray,
  w: TypedArray,
  g: ConvGeometry,
  taps: Int32Array[],
  rows: number,
  og: number,
  aMax: number,
): boolean {
  const k = kernels();
  if (k === null) return false;
  const ci = g.c / g.groups, all = parts(g);
  const ntaps = Math.max(...all.map((p) => prod(p.taps.map((t) => t.length))));
  // NOTE: a long inner dimension (a filter's gradient sums over every output position of every
  // example) goes in chunks of whole taps, at most K_CHUNK columns, whose products are summed in
  // float64, as wasm/gemm.ts does: the float32 blocks add up at most 32 partial sums each.
  const per = ntaps * ci > K_CHUNK ? Math.max(1, Math.floor(K_CHUNK / ci)) : Math.max(1, ntaps);
  // A's row stride, padded (padded() adds at most 16), and the rows of A held at a time.
  const lda = per * ci + 16;
  const block = Math.max(4, Math.min(ceil(rows, 4), Math.floor(aMax / lda / 4) * 4));
  const np = ceil(og, 8), ldb = padded(np), ldc = padded(np);
  const xBytes = ceil(x.length, 4) * 4;
  const aBytes = block * lda * 4, bBytes = per * ci * ldb * 4, cBytes = block * ldc * 4;
  const mem = heap(k, xBytes + aBytes + bBytes + cBytes);
  // NOTE: x goes into WebAssembly memory first, so that A's runs are copied by copyWithin: a
  // subarray per run, for `set`, costs more than the copy of a run of a few hundred values.
  const at = scratchStart(),
    x0 = at / 4,
    aPtr = at + xBytes,
    bPtr = aPtr + aBytes,
    cPtr = bPtr + bBytes;
  const a0 = aPtr / 4, b0 = bPtr / 4, c0 = cPtr / 4;
  mem.set(x, x0);
  const sum = per < ntaps ? allocateF64(block * og) : null;
  // The rows of B for the part's taps [t0, t1) (in its tap order).
  const copyB = (grp: number, sel: readonly number[][], t0: number, t1: number) => {
    const kk = new Array<number>(sel.length);
    for (let t = t0, p = 0; t < t1; t++) {
      for (let i = sel.length - 1, r = t; i >= 0; i--) {
        kk[i] = sel[i][r % sel[i].length];
        r = Math.floor(r / sel[i].length);
      }
      let tap = 0;
      for (let i = 0; i < sel.length; i++) tap = tap * g.k[i] + kk[i];
      for (let c = 0; c < ci; c++, p++) {
        const from = (tap * ci + c) * g.o + grp * og, to = b0 + p * ldb;
        for (let j = 0; j < og; j++) mem[to + j] = w[from + j];
        for (let j = og; j < ldb; j++) mem[to + j] = 0;
      }
    }
  };
  for (let grp = 0; grp < g.groups; grp++) {
    for (const part of all) {
      const nt = prod(part.taps.map((t) => t.length));
      const global = (m: number) => (part.rows === null ? m : part.rows[m]);
      if (nt === 0) {
        // No tap meets a value: these outputs are zeros.
        for (let m = 0; m < part.count; m++) {
          out.fill(0, global(m) * g.o + grp * og, global(m) * g.o + (grp + 1) * og);
        }
        continue;
      }
      const chunks = Math.ceil(nt / per);
      if (chunks === 1) copyB(grp, part.taps, 0, nt);
      for (let r0 = 0; r0 < part.count; r0 += block) {
        const r1 = Math.min(part.count, r0 + block), mp = ceil(r1 - r0, 4);
        const chunk = Math.min(CHUNK_ROWS, ceil(Math.ceil(mp / CHUNKS), 4));
        sum?.fill(0);
        for (let t0 = 0; t0 < nt; t0 += per) {
          const t1 = Math.min(nt, t0 + per), kn = (t1 - t0) * ci, ld = padded(kn);
          const lastChunk = t1 === nt;
          if (chunks > 1) copyB(grp, part.taps, t0, t1);
          if (r0 + mp > r1) mem.fill(0, a0 + (r1 - r0) * ld, a0 + mp * ld);
          const stream: Stream = {
            fill(i, e) {
              const m0 = r0 + i, m1 = Math.min(r0 + e, r1);
              if (m0 < m1) {
                fillRows(mem, a0 + i * ld, ld, mem, x0, g, taps, grp, part, m0, m1, t0, t1);
              }
            },
            drain(i, e) {
              for (let m = r0 + i, end = Math.min(r0 + e, r1); m < end; m++) {
                const from = c0 + (m - r0) * ldc, to = global(m) * g.o + grp * og;
                if (chunks === 1) {
                  for (let j = 0; j < og; j++) out[to + j] = mem[from + j];
                  continue;
                }
                const at = (m - r0) * og;
                for (let j = 0; j < og; j++) sum![at + j] += mem[from + j];
                if (lastChunk) { for (let j = 0; j < og; j++) out[to + j] = sum![at + j]; }
              }
            },
          };
          const params = [aPtr, bPtr, cPtr, ldc, kn, ld, ldb, 0, mp, np];
          runJob(k, JOB.gemmRows, params, mp, chunk, mp * np * kn >= THREAD_MIN_WORK, stream);
        }
      }
    }
  }
  return true;
}
