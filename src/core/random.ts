/**
 * A small seeded generator (xoshiro128**, seeded through splitmix32): integer arithmetic only,
 * so the same seed gives the same numbers in every runtime.
 */

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A stream of uniform random numbers. */
export class Generator {
  #s = new Uint32Array(4);

  /** Seeds the stream; any finite number is a seed. */
  constructor(seed: number) {
    // Both 32-bit halves of an integer seed count, so every safe integer is its own seed.
    const s = Math.trunc(seed);
    const lo = { s: s % 0x100000000 | 0 };
    const hi = { s: (Math.floor(s / 0x100000000) ^ 0x5bd1e995) | 0 };
    for (let i = 0; i < 4; i++) this.#s[i] = splitmix32(lo) ^ splitmix32(hi);
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
