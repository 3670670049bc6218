/**
 * A small seeded generator (xoshiro128**, seeded through splitmix32): integer arithmetic only,
 * so the same seed gives the same numbers in every runtime.
 */

// murmur3's finalizer: a one-to-one mixing of 32 bits, with mix(0) = 0.
function mix(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A stream of uniform random numbers. */
export class Generator {
  #s = new Uint32Array(4);

  /** Seeds the stream: each safe integer gives its own. */
  constructor(seed: number) {
    const lo = seed | 0; // the low 32 bits (ToInt32 wraps), of negative seeds too
    const hi = Math.floor(seed / 0x100000000) | 0;
    // NOTE: (lo, hi) → (a, b) is one-to-one (a gives lo back, then b gives hi), so distinct
    // seeds give distinct states; b depends on both halves, as xoshiro's first output reads
    // s[1] alone; and c ≠ 0 when a = b = 0, so the state is never all zeros (a dead stream).
    const a = mix(lo ^ 0x9e3779b9);
    const b = mix(hi ^ a ^ 0x7f4a7c15);
    const c = mix(a ^ b ^ 0x6a09e667);
    const d = mix(b ^ c ^ 0xbb67ae85);
    this.#s.set([a, b, c, d]);
  }

  /** The state now, for `restore`. */
  snapshot(): Uint32Array {
    return this.#s.slice();
  }

  /** Puts the stream back where `snapshot` found it. */
  restore(state: Uint32Array): void {
    this.#s.set(state);
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform float64 in [0, 1), with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal deviate (Box–Muller). */
  nextNormal(): number {
    const u = 1 - this.nextFloat(); // (0, 1], so log(u) is finite
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
