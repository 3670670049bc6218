/**
 * A synchronous decoder of raw deflate streams (RFC 1951), for the deflated members of `.npz`
 * files that `np.savez_compressed` writes.
 *
 * NOTE: the platform's `DecompressionStream("deflate-raw")` decodes these too, but only
 * asynchronously, and `fromNpz` is synchronous like the other readers. Codes of up to 9 bits
 * (most literals) are looked up in a table; longer ones are read a bit at a time, as zlib's
 * reference decoder "puff" reads them all.
 */

// deno-fmt-ignore
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
  163, 195, 227, 258,
];
// deno-fmt-ignore
const LENGTH_EXTRA = [
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
// deno-fmt-ignore
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
  3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
// deno-fmt-ignore
const DIST_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
  13,
];
// The order in which a dynamic block lists the code lengths of the code-length alphabet.
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAX_BITS = 15;
const FAST_BITS = 9;
const TRUNCATED = "inflate: the compressed data ends early: the file is truncated";

/**
 * A canonical Huffman code: how many codes of each length, and the symbols in code order; and
 * for the codes of up to FAST_BITS bits, a table indexed by the next FAST_BITS bits of the
 * stream that gives `symbol << 4 | length` (0 where a longer code starts).
 */
interface Huffman {
  counts: Int32Array;
  symbols: Int32Array;
  fast: Int32Array;
}

function huffman(lengths: ArrayLike<number>, what: string): Huffman {
  const counts = new Int32Array(MAX_BITS + 1);
  for (let i = 0; i < lengths.length; i++) counts[lengths[i]]++;
  counts[0] = 0;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = 2 * left - counts[len];
    if (left < 0) throw new Error(`inflate: the ${what} code is over-subscribed: corrupt data`);
  }
  const offsets = new Int32Array(MAX_BITS + 2);
  for (let len = 1; len <= MAX_BITS; len++) offsets[len + 1] = offsets[len] + counts[len];
  const symbols = new Int32Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    if (lengths[s] !== 0) symbols[offsets[lengths[s]]++] = s;
  }
  return { counts, symbols, fast: fastTable(counts, symbols) };
}

function fastTable(counts: Int32Array, symbols: Int32Array): Int32Array {
  const fast = new Int32Array(1 << FAST_BITS);
  let code = 0, index = 0;
  for (let len = 1; len <= FAST_BITS; len++) {
    for (let k = 0; k < counts[len]; k++, code++) {
      // Codes are packed from their most significant bit, the stream from its least.
      let rev = 0;
      for (let b = 0; b < len; b++) rev |= ((code >> b) & 1) << (len - 1 - b);
      const entry = (symbols[index++] << 4) | len;
      for (let j = rev; j < fast.length; j += 1 << len) fast[j] = entry;
    }
    code <<= 1;
  }
  return fast;
}

const FIXED_LIT = huffman(
  Array.from({ length: 288 }, (_, s) => s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8),
  "literal",
);
const FIXED_DIST = huffman(new Array(30).fill(5), "distance");

class Reader {
  pos = 0;
  bits = 0;
  count = 0;
  constructor(readonly src: Uint8Array) {}

  need(n: number): number {
    while (this.count < n) {
      if (this.pos >= this.src.length) {
        throw new Error(TRUNCATED);
      }
      this.bits |= this.src[this.pos++] << this.count;
      this.count += 8;
    }
    const v = this.bits & ((1 << n) - 1);
    this.bits >>>= n;
    this.count -= n;
    return v;
  }

  decode(h: Huffman): number {
    while (this.count <= 24 && this.pos < this.src.length) {
      this.bits |= this.src[this.pos++] << this.count;
      this.count += 8;
    }
    const e = h.fast[this.bits & ((1 << FAST_BITS) - 1)];
    if (e !== 0 && (e & 15) <= this.count) {
      this.bits >>>= e & 15;
      this.count -= e & 15;
      return e >> 4;
    }
    let code = 0, first = 0, index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= this.need(1);
      const count = h.counts[len];
      if (code - first < count) return h.symbols[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new Error("inflate: a code that the block's Huffman table lacks: corrupt data");
  }
}

/** A byte buffer that grows by doubling, or has the exact size given. */
class Output {
  buf: Uint8Array;
  n = 0;
  constructor(readonly expected: number | undefined) {
    this.buf = new Uint8Array(expected ?? 1 << 16);
  }

  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    if (this.expected !== undefined) {
      throw new Error(
        `inflate: the data decompresses to more than the ${this.expected} bytes recorded for it`,
      );
    }
    const next = new Uint8Array(Math.max(2 * this.buf.length, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
}

/**
 * Decompresses a raw deflate stream (no zlib or gzip wrapper).
 *
 * @param src The compressed bytes.
 * @param expected The decompressed size, when known (a zip entry records it): checked.
 * @returns The decompressed bytes.
 */
export function inflateRaw(src: Uint8Array, expected?: number): Uint8Array {
  const r = new Reader(src);
  const out = new Output(expected);
  let last = 0;
  while (last === 0) {
    last = r.need(1);
    const type = r.need(2);
    if (type === 0) stored(r, out);
    else if (type === 1) codes(r, out, FIXED_LIT, FIXED_DIST);
    else if (type === 2) dynamic(r, out);
    else throw new Error("inflate: block type 3 is reserved: corrupt data");
  }
  if (expected !== undefined && out.n !== expected) {
    throw new Error(
      `inflate: the data decompresses to ${out.n} bytes, not the ${expected} recorded`,
    );
  }
  return out.buf.length === out.n ? out.buf : out.buf.slice(0, out.n);
}

function stored(r: Reader, out: Output): void {
  // The block starts at the next byte boundary; whole bytes read ahead go back to the source.
  r.pos -= (r.count - (r.count & 7)) >> 3;
  r.bits = 0;
  r.count = 0;
  const s = r.src, p = r.pos;
  if (p + 4 > s.length) throw new Error(TRUNCATED);
  const len = s[p] | (s[p + 1] << 8), nlen = s[p + 2] | (s[p + 3] << 8);
  if (len !== (~nlen & 0xffff)) {
    throw new Error("inflate: a stored block's length does not match its complement");
  }
  if (p + 4 + len > s.length) throw new Error(TRUNCATED);
  out.room(len);
  out.buf.set(s.subarray(p + 4, p + 4 + len), out.n);
  out.n += len;
  r.pos = p + 4 + len;
}

function dynamic(r: Reader, out: Output): void {
  const nlen = r.need(5) + 257, ndist = r.need(5) + 1, ncode = r.need(4) + 4;
  if (nlen > 286 || ndist > 30) throw new Error("inflate: too many codes in a dynamic block");
  const clens = new Uint8Array(19);
  for (let i = 0; i < ncode; i++) clens[CLEN_ORDER[i]] = r.need(3);
  const clen = huffman(clens, "code-length");
  const lengths = new Uint8Array(nlen + ndist);
  for (let i = 0; i < nlen + ndist;) {
    const sym = r.decode(clen);
    if (sym < 16) {
      lengths[i++] = sym;
      continue;
    }
    let value = 0, repeat: number;
    if (sym === 16) {
      if (i === 0) throw new Error("inflate: a repeat with no length before it: corrupt data");
      value = lengths[i - 1];
      repeat = 3 + r.need(2);
    } else repeat = sym === 17 ? 3 + r.need(3) : 11 + r.need(7);
    if (i + repeat > nlen + ndist) throw new Error("inflate: code lengths overrun: corrupt data");
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengths[256] === 0) throw new Error("inflate: a block without an end code: corrupt data");
  codes(
    r,
    out,
    huffman(lengths.subarray(0, nlen), "literal"),
    huffman(lengths.subarray(nlen), "distance"),
  );
}

function codes(r: Reader, out: Output, lit: Huffman, dist: Huffman): void {
  for (;;) {
    const sym = r.decode(lit);
    if (sym < 256) {
      if (out.n === out.buf.length) out.room(1);
      out.buf[out.n++] = sym;
    } else if (sym === 256) {
      return;
    } else {
      const l = sym - 257;
      if (l >= 29) throw new Error(`inflate: length code ${sym} is invalid: corrupt data`);
      const len = LENGTH_BASE[l] + r.need(LENGTH_EXTRA[l]);
      const d = r.decode(dist);
      if (d >= 30) throw new Error(`inflate: distance code ${d} is invalid: corrupt data`);
      const back = DIST_BASE[d] + r.need(DIST_EXTRA[d]);
      if (back > out.n) {
        throw new Error("inflate: a match reaches before the start of the data: corrupt data");
      }
      out.room(len);
      const buf = out.buf;
      // Byte by byte: a match may overlap the bytes it is copying (a run).
      for (let i = 0, at = out.n; i < len; i++, at++) buf[at] = buf[at - back];
      out.n += len;
    }
  }
}
