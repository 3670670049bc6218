/** Seeded random tensors: `random.normal`, `random.uniform` and `random.setSeed`. */
import { allocate, checkDType, type DType, isFloat } from "../core/dtype.ts";
import { checkFinite, checkInteger, checkOptions } from "../core/check.ts";
import { Generator } from "../core/random.ts";
import { checkShape, sizeOf } from "../core/shape.ts";
import { Tensor } from "../core/tensor.ts";

let global = new Generator(Date.now() ^ (Math.random() * 0x100000000));

/**
 * Seeds the global generator, so that the random ops that follow give the same numbers on
 * every run and runtime.
 *
 * @param seed An integer: each safe integer (up to 2^53 in size) gives its own stream.
 * @example Repeatable draws
 * ```ts
 * import { random } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * random.setSeed(42);
 * const a = random.normal([3]).toArray();
 * random.setSeed(42);
 * assert.deepEqual(random.normal([3]).toArray(), a);
 * ```
 */
export function setSeed(seed: number): void {
  checkInteger("random.setSeed", "seed", seed);
  global = new Generator(seed);
}

/** Options of `random.normal`. */
export interface NormalOptions {
  /** The mean (default 0). */
  mean?: number;
  /** The standard deviation (default 1). */
  stddev?: number;
  /** `float32` (default) or `float64`. */
  dtype?: DType;
  /** An integer seed for this call alone: the same seed always gives the same numbers. */
  seed?: number;
}

/** Options of `random.uniform`. */
export interface UniformOptions {
  /** The lower bound, included (default 0). */
  minval?: number;
  /** The upper bound, excluded (default 1). */
  maxval?: number;
  /** `float32` (default) or `float64`. */
  dtype?: DType;
  /** An integer seed for this call alone: the same seed always gives the same numbers. */
  seed?: number;
}

function draw(
  op: string,
  shape: readonly number[],
  dtype: DType,
  seed: number | undefined,
  next: (g: Generator) => number,
): Tensor {
  checkDType(op, dtype);
  if (!isFloat(dtype)) {
    throw new TypeError(`${op}: dtype must be float32 or float64, not ${dtype}`);
  }
  if (seed !== undefined) checkInteger(op, "seed", seed);
  const make = () => {
    const g = seed === undefined ? global : new Generator(seed);
    const data = allocate(dtype, sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = next(g);
    return new Tensor(data, shape, dtype);
  };
  // A seeded draw gives the same numbers every time: a traced program may keep them.
  return drawHook === null || seed !== undefined ? make() : drawHook(make(), make);
}

/**
 * Runs `fn`, then puts the global generator back as it was: for `jit`'s `program()`, which traces
 * without being a call, and must not move a seeded stream. Internal.
 */
export function withDrawsUndone<T>(fn: () => T): T {
  const g = global, state = g.snapshot();
  try {
    return fn();
  } finally {
    global = g;
    g.restore(state);
  }
}

/**
 * Takes over draws from the global generator: `jit`, while it traces, makes each an input of
 * the program, drawn again (by `again`) at every call. Internal.
 */
export type DrawHook = (drawn: Tensor, again: () => Tensor) => Tensor;

let drawHook: DrawHook | null = null;

/** Installs `h` (null: none) and returns the one it replaces. Internal (jit). */
export function setDrawHook(h: DrawHook | null): DrawHook | null {
  const old = drawHook;
  drawHook = h;
  return old;
}

/**
 * Normally distributed values.
 *
 * @param shape The shape.
 * @param options `mean`, `stddev` (≥ 0), `dtype` and `seed` (an integer).
 * @returns A new tensor.
 * @example Small initial weights
 * ```ts
 * import { random } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = random.normal([3, 2], { stddev: 0.1, seed: 7 });
 * assert.deepEqual(w.shape, [3, 2]);
 * ```
 */
export function normal(shape: readonly number[], options: NormalOptions = {}): Tensor {
  checkShape("random.normal", shape);
  checkOptions("random.normal", options, ["mean", "stddev", "dtype", "seed"]);
  const { mean = 0, stddev = 1, dtype = "float32", seed } = options;
  checkFinite("random.normal", "mean", mean);
  checkFinite("random.normal", "stddev", stddev);
  if (stddev < 0) {
    throw new RangeError(`random.normal: stddev must be ≥ 0, not ${stddev}`);
  }
  return draw("random.normal", shape, dtype, seed, (g) => mean + stddev * g.nextNormal());
}

/**
 * Uniformly distributed values in `[minval, maxval)`.
 *
 * @param shape The shape.
 * @param options `minval` < `maxval`, `dtype` and `seed` (an integer).
 * @returns A new tensor.
 * @example Points in [-1, 1)
 * ```ts
 * import { random } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = random.uniform([100, 1], { minval: -1, maxval: 1, seed: 1 });
 * assert.deepEqual(x.shape, [100, 1]);
 * ```
 */
export function uniform(shape: readonly number[], options: UniformOptions = {}): Tensor {
  checkShape("random.uniform", shape);
  checkOptions("random.uniform", options, ["minval", "maxval", "dtype", "seed"]);
  const { minval = 0, maxval = 1, dtype = "float32", seed } = options;
  checkFinite("random.uniform", "minval", minval);
  checkFinite("random.uniform", "maxval", maxval);
  if (!(maxval > minval)) {
    throw new RangeError(
      `random.uniform: maxval (${maxval}) must be greater than minval (${minval})`,
    );
  }
  return draw("random.uniform", shape, dtype, seed, (g) => {
    const v = minval + (maxval - minval) * g.nextFloat();
    // Rounding to float32 can land on maxval; keep the bound excluded.
    return dtype === "float32" && Math.fround(v) >= maxval ? minval : v;
  });
}
