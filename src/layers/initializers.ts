/**
 * Weight initializers with Keras's names, defaults and formulas: each call such as
 * `glorotUniform({ seed })` returns an {@linkcode Initializer}, a function of a shape and a dtype
 * that makes the starting value of a variable.
 *
 * @module
 */
import { checkFinite, checkOptions, describeValue } from "../core/check.ts";
import { type DType, isFloat } from "../core/dtype.ts";
import { checkShape, fmtShape, sizeOf } from "../core/shape.ts";
import type { Tensor } from "../core/tensor.ts";
import { multiply } from "../ops/binary.ts";
import { fill } from "../ops/creation.ts";
import { reshape, transpose } from "../ops/movement.ts";
import { normal, truncatedNormal as drawTruncated, uniform } from "../ops/random.ts";
import { sign } from "../ops/unary.ts";
import { diagPart, qr } from "../ops/linalg/mod.ts";

/**
 * A function that makes an initial value of `shape` and `dtype` (default `float32`).
 *
 * @example Calling an initializer by hand
 * ```ts
 * import { initializers, type Initializer } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const init: Initializer = initializers.constant(0.5);
 * assert.deepEqual(init([2]).toArray(), [0.5, 0.5]);
 * ```
 */
export type Initializer = (shape: readonly number[], dtype?: DType) => Tensor;

/** Options of the random initializers without parameters of their own (`glorotUniform`…). */
export interface SeedOptions {
  /** An integer seed: the initializer then gives the same values at every call. */
  seed?: number;
}

/** Options of `initializers.orthogonal`. */
export interface OrthogonalOptions {
  /** The factor the orthogonal matrix is multiplied by (default 1). */
  gain?: number;
  /** An integer seed: the initializer then gives the same values at every call. */
  seed?: number;
}

/** Options of `initializers.randomNormal` and `initializers.truncatedNormal`. */
export interface RandomNormalOptions {
  /** The mean (default 0). */
  mean?: number;
  /** The standard deviation (default 0.05, as Keras's). */
  stddev?: number;
  /** An integer seed: the initializer then gives the same values at every call. */
  seed?: number;
}

/** Options of `initializers.randomUniform`. */
export interface RandomUniformOptions {
  /** The lower bound (default -0.05, as Keras's). */
  minval?: number;
  /** The upper bound, excluded (default 0.05). */
  maxval?: number;
  /** An integer seed: the initializer then gives the same values at every call. */
  seed?: number;
}

// The fans of a weight shape, as Keras computes them: a kernel `[...receptive, in, out]`.
function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = sizeOf(shape.slice(0, -2));
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

function checkCall(op: string, shape: readonly number[], dtype: DType): void {
  checkShape(op, shape);
  if (typeof dtype !== "string" || !isFloat(dtype)) {
    throw new TypeError(
      `${op}: initial values are float32 or float64, not ${describeValue(dtype)}`,
    );
  }
}

type Mode = "fanIn" | "fanOut" | "fanAvg";
type Distribution = "truncatedNormal" | "uniform";

// Keras's variance scaling: variance `scale / n` with n the fan `mode` names.
function varianceScaling(
  op: string,
  scale: number,
  mode: Mode,
  distribution: Distribution,
  options: SeedOptions,
): Initializer {
  checkOptions(op, options, ["seed"]);
  const { seed } = options;
  return (shape, dtype = "float32") => {
    checkCall(op, shape, dtype);
    const [fanIn, fanOut] = fans(shape);
    const n = Math.max(
      1,
      mode === "fanIn" ? fanIn : mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2,
    );
    const variance = scale / n;
    if (distribution === "uniform") {
      const limit = Math.sqrt(3 * variance);
      return uniform(shape, { minval: -limit, maxval: limit, dtype, seed });
    }
    // NOTE: 0.8796… is the standard deviation of a unit normal truncated to [-2, 2]: dividing by
    // it makes the truncated draws' variance `scale / n`, as Keras does.
    const stddev = Math.sqrt(variance) / 0.87962566103423978;
    return drawTruncated(shape, { stddev, dtype, seed });
  };
}

/**
 * Keras's default kernel initializer (Glorot, Bengio 2010): uniform in `[-limit, limit]` with
 * `limit = √(6 / (fanIn + fanOut))`. For a kernel `[...receptive, in, out]` the fans are `in` and
 * `out` times the receptive field's size.
 *
 * @param options `seed`.
 * @returns The initializer.
 * @example Bounded by the limit
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = initializers.glorotUniform({ seed: 1 })([20, 30]);
 * assert.ok(w.abs().max().item() <= Math.sqrt(6 / 50));
 * ```
 */
export function glorotUniform(options: SeedOptions = {}): Initializer {
  return varianceScaling("initializers.glorotUniform", 1, "fanAvg", "uniform", options);
}

/**
 * Glorot's normal initializer, as Keras's: a normal truncated at two standard deviations whose
 * variance is `2 / (fanIn + fanOut)`.
 *
 * @param options `seed`.
 * @returns The initializer.
 * @example A 100 × 100 kernel
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = initializers.glorotNormal({ seed: 1 })([100, 100]);
 * assert.ok(Math.abs(w.square().mean().item() - 0.01) < 0.001);
 * ```
 */
export function glorotNormal(options: SeedOptions = {}): Initializer {
  return varianceScaling("initializers.glorotNormal", 1, "fanAvg", "truncatedNormal", options);
}

/**
 * He's normal initializer (He et al. 2015), for ReLU networks: a truncated normal of variance
 * `2 / fanIn`, as Keras's.
 *
 * @param options `seed`.
 * @returns The initializer.
 * @example
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = initializers.heNormal({ seed: 1 })([200, 100]);
 * assert.ok(Math.abs(w.square().mean().item() - 0.01) < 0.001);
 * ```
 */
export function heNormal(options: SeedOptions = {}): Initializer {
  return varianceScaling("initializers.heNormal", 2, "fanIn", "truncatedNormal", options);
}

/**
 * He's uniform initializer: uniform in `[-limit, limit]` with `limit = √(6 / fanIn)`.
 *
 * @param options `seed`.
 * @returns The initializer.
 * @example
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = initializers.heUniform({ seed: 1 })([24, 10]);
 * assert.ok(w.abs().max().item() <= 0.5);
 * ```
 */
export function heUniform(options: SeedOptions = {}): Initializer {
  return varianceScaling("initializers.heUniform", 2, "fanIn", "uniform", options);
}

/**
 * LeCun's normal initializer, for SELU networks: a truncated normal of variance `1 / fanIn`.
 *
 * @param options `seed`.
 * @returns The initializer.
 * @example
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = initializers.lecunNormal({ seed: 1 })([100, 100]);
 * assert.ok(Math.abs(w.square().mean().item() - 0.01) < 0.001);
 * ```
 */
export function lecunNormal(options: SeedOptions = {}): Initializer {
  return varianceScaling("initializers.lecunNormal", 1, "fanIn", "truncatedNormal", options);
}

/**
 * A random orthogonal matrix (Saxe et al. 2014), as Keras's: the `Q` of the QR decomposition of
 * a normal matrix, its columns' signs fixed by `R`'s diagonal so that it is uniformly
 * distributed. A shape `[...rest, n]` is flattened to `[prod(rest), n]`: orthonormal columns
 * when it has more rows, orthonormal rows otherwise; times `gain`.
 *
 * @param options `gain` (default 1) and `seed`.
 * @returns The initializer (for shapes of rank 2 or more).
 * @example Orthonormal columns: QᵀQ = I
 * ```ts
 * import { eye, initializers, matmul } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const q = initializers.orthogonal({ seed: 1 })([5, 3], "float64");
 * assertAllClose(matmul(q, q, { transposeA: true }), eye(3, "float64"), { atol: 1e-12 });
 * ```
 */
export function orthogonal(options: OrthogonalOptions = {}): Initializer {
  const op = "initializers.orthogonal";
  checkOptions(op, options, ["gain", "seed"]);
  const { gain = 1, seed } = options;
  checkFinite(op, "gain", gain);
  return (shape, dtype = "float32") => {
    checkCall(op, shape, dtype);
    if (shape.length < 2) {
      throw new RangeError(
        `${op}: the shape must have rank 2 or more to be a matrix, not ${fmtShape(shape)}`,
      );
    }
    const cols = shape[shape.length - 1];
    const rows = sizeOf(shape) / Math.max(cols, 1);
    const tall = rows >= cols;
    const a = normal(tall ? [rows, cols] : [cols, rows], { dtype, seed });
    const [q, r] = qr(a);
    // Signs of R's diagonal: a Q independent of the decomposition's sign convention.
    let m = multiply(q, sign(diagPart(r)));
    if (!tall) m = transpose(m);
    return reshape(multiply(m, gain), shape);
  };
}

function constantInit(op: string, value: number): Initializer {
  return (shape, dtype = "float32") => {
    checkCall(op, shape, dtype);
    return fill(shape, value, dtype);
  };
}

/**
 * All zeros (Keras's default for biases).
 *
 * @returns The initializer.
 * @example
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(initializers.zeros()([2]).toArray(), [0, 0]);
 * ```
 */
export function zeros(): Initializer {
  return constantInit("initializers.zeros", 0);
}

/**
 * All ones.
 *
 * @returns The initializer.
 * @example
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(initializers.ones()([2]).toArray(), [1, 1]);
 * ```
 */
export function ones(): Initializer {
  return constantInit("initializers.ones", 1);
}

/**
 * Every element `value`.
 *
 * @param value A finite number.
 * @returns The initializer.
 * @example
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(initializers.constant(3)([2], "float64").toArray(), [3, 3]);
 * ```
 */
export function constant(value: number): Initializer {
  checkFinite("initializers.constant", "value", value);
  return constantInit("initializers.constant", value);
}

/**
 * Normally distributed values, `mean` 0 and `stddev` 0.05 by default as Keras's.
 *
 * @param options `mean`, `stddev` and `seed`.
 * @returns The initializer.
 * @example
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = initializers.randomNormal({ mean: 1, stddev: 0.1, seed: 3 })([1000]);
 * assert.ok(Math.abs(w.mean().item() - 1) < 0.02);
 * ```
 */
export function randomNormal(options: RandomNormalOptions = {}): Initializer {
  const op = "initializers.randomNormal";
  checkOptions(op, options, ["mean", "stddev", "seed"]);
  const { mean = 0, stddev = 0.05, seed } = options;
  return (shape, dtype = "float32") => {
    checkCall(op, shape, dtype);
    return normal(shape, { mean, stddev, dtype, seed });
  };
}

/**
 * Uniformly distributed values in `[minval, maxval)`, `[-0.05, 0.05)` by default as Keras's.
 *
 * @param options `minval`, `maxval` and `seed`.
 * @returns The initializer.
 * @example
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = initializers.randomUniform({ seed: 3 })([1000]);
 * assert.ok(w.abs().max().item() <= 0.05);
 * ```
 */
export function randomUniform(options: RandomUniformOptions = {}): Initializer {
  const op = "initializers.randomUniform";
  checkOptions(op, options, ["minval", "maxval", "seed"]);
  const { minval = -0.05, maxval = 0.05, seed } = options;
  return (shape, dtype = "float32") => {
    checkCall(op, shape, dtype);
    return uniform(shape, { minval, maxval, dtype, seed });
  };
}

/**
 * Normally distributed values redrawn beyond two standard deviations of the mean, `mean` 0 and
 * `stddev` 0.05 by default as Keras's.
 *
 * @param options `mean`, `stddev` and `seed`.
 * @returns The initializer.
 * @example Nothing beyond 2σ
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const w = initializers.truncatedNormal({ stddev: 1, seed: 3 })([1000]);
 * assert.ok(w.abs().max().item() <= 2);
 * ```
 */
export function truncatedNormal(options: RandomNormalOptions = {}): Initializer {
  const op = "initializers.truncatedNormal";
  checkOptions(op, options, ["mean", "stddev", "seed"]);
  const { mean = 0, stddev = 0.05, seed } = options;
  return (shape, dtype = "float32") => {
    checkCall(op, shape, dtype);
    return drawTruncated(shape, { mean, stddev, dtype, seed });
  };
}
