/**
 * Seeded random tensors: `random.normal`, `random.uniform`, `random.truncatedNormal`,
 * `random.categorical`, `random.shuffle` and `random.setSeed`.
 */
import { allocate, checkDType, type DType, isFloat, type TypedArray } from "../core/dtype.ts";
import { checkFinite, checkInteger, checkOptions } from "../core/check.ts";
import { Generator } from "../core/random.ts";
import { checkShape, fmtShape, sizeOf } from "../core/shape.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { toTensor } from "../core/convert.ts";
import { add, subtract } from "./binary.ts";
import { cast, stopGradient } from "./cast.ts";
import { gather } from "./indexing.ts";
import { expandDims } from "./movement.ts";
import { argMax, reduceMax } from "./reduce.ts";
import { where } from "./compare.ts";
import { isFinite } from "./special.ts";

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

// The generator that unseeded draws take numbers from while `withStream` runs, else null (the
// global one).
let stream: Generator | null = null;
// While `withDrawsUndone` runs: each generator drawn from, with its state before the first draw.
let undoing: Map<Generator, Uint32Array> | null = null;

/**
 * Runs `fn` with its unseeded draws taken from `g` rather than the global generator: a seeded
 * layer's own stream (`layers.Dropout`), which under `jit` is drawn from again at every call, as
 * the global one is. Internal.
 */
export function withStream<T>(g: Generator, fn: () => T): T {
  const outer = stream;
  stream = g;
  try {
    return fn();
  } finally {
    stream = outer;
  }
}

// A tensor of `shape` that `fill` fills from the generator of unseeded draws now (the global
// one, or a stream), or from `seed`'s own.
function draw(
  op: string,
  shape: readonly number[],
  dtype: DType,
  seed: number | undefined,
  fill: (g: Generator, data: TypedArray) => void,
): Tensor {
  if (seed !== undefined) checkInteger(op, "seed", seed);
  const own = stream;
  const make = () => {
    const g = seed !== undefined ? new Generator(seed) : own ?? global;
    if (undoing !== null && !undoing.has(g)) undoing.set(g, g.snapshot());
    const data = allocate(dtype, sizeOf(shape));
    fill(g, data);
    return new Tensor(data, shape, dtype);
  };
  // A seeded draw gives the same numbers every time: a traced program may keep them.
  return drawHook === null || seed !== undefined ? make() : drawHook(make(), make);
}

// A float tensor of independent values, each `next(g)`.
function drawFloats(
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
  return draw(op, shape, dtype, seed, (g, data) => {
    for (let i = 0; i < data.length; i++) data[i] = next(g);
  });
}

/**
 * Runs `fn`, then puts the global generator, and every stream `fn` drew from, back as they were:
 * for `jit`'s `program()`, which traces without being a call, and must not move a seeded stream.
 * Internal.
 */
export function withDrawsUndone<T>(fn: () => T): T {
  const g = global, state = g.snapshot(), outer = undoing;
  const touched = undoing = new Map();
  try {
    return fn();
  } finally {
    undoing = outer;
    for (const [s, before] of touched) s.restore(before);
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
  checkFits("random.normal", dtype, { mean, stddev });
  return drawFloats("random.normal", shape, dtype, seed, (g) => mean + stddev * g.nextNormal());
}

// Parameters past float32's range would give draws of Infinity (or, for uniform's bound, of
// minval instead), silently.
function checkFits(op: string, dtype: DType, params: Record<string, number>): void {
  if (dtype !== "float32") return;
  for (const [name, v] of Object.entries(params)) {
    if (Math.abs(v) > F32_MAX) {
      throw new RangeError(
        `${op}: ${name} ${v} is beyond float32's range (±3.4e38): use dtype "float64"`,
      );
    }
  }
}

const F32_MAX = 3.4028234663852886e38;

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
  checkFits("random.uniform", dtype, { minval, maxval });
  return drawFloats("random.uniform", shape, dtype, seed, (g) => {
    const v = minval + (maxval - minval) * g.nextFloat();
    // Rounding to float32 can land on maxval; keep the bound excluded.
    return dtype === "float32" && Math.fround(v) >= maxval ? minval : v;
  });
}

/** Options of `random.truncatedNormal`. */
export interface TruncatedNormalOptions {
  /** The mean of the normal distribution before truncation (default 0). */
  mean?: number;
  /** Its standard deviation (default 1): values stay within 2 of them of the mean. */
  stddev?: number;
  /** `float32` (default) or `float64`. */
  dtype?: DType;
  /** An integer seed for this call alone: the same seed always gives the same numbers. */
  seed?: number;
}

/**
 * Normally distributed values with those more than 2 standard deviations from the mean drawn
 * again, as `tf.random.truncated_normal` (a common initializer: no outlying weight).
 *
 * @param shape The shape.
 * @param options `mean`, `stddev` (≥ 0), `dtype` and `seed` (an integer).
 * @returns A new tensor, every value within `mean ± 2·stddev`.
 * @example Weights that never stray beyond 2σ
 * ```ts
 * import { random } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = random.truncatedNormal([1000], { stddev: 0.1, seed: 3, dtype: "float64" });
 * assert.ok(w.data().every((v) => Math.abs(v) <= 0.2));
 * ```
 */
export function truncatedNormal(
  shape: readonly number[],
  options: TruncatedNormalOptions = {},
): Tensor {
  const op = "random.truncatedNormal";
  checkShape(op, shape);
  checkOptions(op, options, ["mean", "stddev", "dtype", "seed"]);
  const { mean = 0, stddev = 1, dtype = "float32", seed } = options;
  checkFinite(op, "mean", mean);
  checkFinite(op, "stddev", stddev);
  if (stddev < 0) throw new RangeError(`${op}: stddev must be ≥ 0, not ${stddev}`);
  return drawFloats(op, shape, dtype, seed, (g) => {
    // 95% of draws are kept: about 1.05 draws a value.
    let z = g.nextNormal();
    while (Math.abs(z) > 2) z = g.nextNormal();
    return mean + stddev * z;
  });
}

/** Options of `random.categorical`. */
export interface CategoricalOptions {
  /** An integer seed for this call alone: the same seed always gives the same numbers. */
  seed?: number;
}

/**
 * Draws class indices from the categorical distributions `softmax(logits)`, one per row, as
 * `tf.random.categorical`: a class with logit `-Infinity` is never drawn. No gradient. Under
 * `vmap` every example gets the same noise (a draw does not depend on the mapped axis), so equal
 * logits give equal samples.
 *
 * @param logits Unnormalized log-probabilities `[batch, classes]`, float32 or float64.
 * @param numSamples How many draws each row gets.
 * @param options `seed` (an integer).
 * @returns An int32 tensor `[batch, numSamples]` of indices in `[0, classes)`.
 * @example A coin that always lands on its side 1
 * ```ts
 * import { random } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const s = random.categorical([[-Infinity, 0], [0, 0]], 5, { seed: 1 });
 * assert.equal(s.dtype, "int32");
 * assert.deepEqual(Array.from(s.data().subarray(0, 5)), [1, 1, 1, 1, 1]);
 * ```
 */
export function categorical(
  logits: TensorLike,
  numSamples: number,
  options: CategoricalOptions = {},
): Tensor {
  const op = "random.categorical";
  const x = toTensor(logits, { op });
  checkOptions(op, options, ["seed"]);
  checkInteger(op, "numSamples", numSamples, 0);
  if (!isFloat(x.dtype)) {
    throw new TypeError(
      `${op}: logits must be float32 or float64, not ${x.dtype}: cast them with ` +
        `cast(logits, "float32")`,
    );
  }
  if (x.rank !== 2 || x.shape[1] === 0) {
    throw new Error(
      `${op}: logits must have shape [batch, classes] with at least one class, not ` +
        `${fmtShape(x.shape)}`,
    );
  }
  const [batch, classes] = x.shape;
  // NOTE: the Gumbel-max trick, argmax(logits + G) with G = -log(-log U), draws from
  // softmax(logits) with ops alone, so it runs as it is on logits traced by jit or mapped by
  // vmap (a draw in JavaScript from the logits' values could not). Its noise is float64.
  const gumbel = draw(op, [batch, numSamples, classes], "float64", options.seed, (g, data) => {
    for (let i = 0; i < data.length; i++) {
      let u = g.nextFloat();
      while (u === 0) u = g.nextFloat();
      data[i] = -Math.log(-Math.log(u));
    }
  });
  // Each row shifted so that its largest logit is 0: the noise, of order 1, is then added where
  // float64 still holds it (two logits of 1e20 had it rounded away, and gave class 0 always).
  const z = cast(stopGradient(x), "float64"), top = reduceMax(z, 1, true);
  const shifted = subtract(z, where(isFinite(top), top, 0));
  return argMax(add(expandDims(shifted, 1), gumbel), 2);
}

/** Options of `random.shuffle`. */
export interface ShuffleOptions {
  /** An integer seed for this call alone: the same seed always gives the same order. */
  seed?: number;
}

/**
 * `x` with its slices along axis 0 in a random order, as `tf.random.shuffle` (each of the
 * `n!` orders equally likely). Differentiable: the gradient goes back to the slices' places.
 * Under `vmap` every example is put in the same order.
 *
 * @param x The tensor (a scalar comes back as it is).
 * @param options `seed` (an integer).
 * @returns A tensor of `x`'s shape and dtype.
 * @example Shuffled rows
 * ```ts
 * import { random } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const rows = random.shuffle([[1, 1], [2, 2], [3, 3]], { seed: 5 }).toArray() as number[][];
 * assert.deepEqual(rows.map((r) => r[0]).sort(), [1, 2, 3]);
 * ```
 */
export function shuffle(x: TensorLike, options: ShuffleOptions = {}): Tensor {
  const op = "random.shuffle";
  const t = toTensor(x, { op });
  checkOptions(op, options, ["seed"]);
  if (options.seed !== undefined) checkInteger(op, "seed", options.seed);
  if (t.rank === 0) return t;
  const order = draw(op, [t.shape[0]], "int32", options.seed, (g, data) => {
    // Fisher–Yates: each position takes one of the values not yet placed.
    for (let i = 0; i < data.length; i++) data[i] = i;
    for (let i = data.length - 1; i > 0; i--) {
      const j = Math.floor(g.nextFloat() * (i + 1));
      const v = data[i];
      data[i] = data[j];
      data[j] = v;
    }
  });
  return gather(t, order, 0);
}
