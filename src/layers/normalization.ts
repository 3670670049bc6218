/** `BatchNormalization` and `LayerNormalization`, as Keras's. */
import {
  checkBoolean,
  checkFinite,
  checkInteger,
  checkOptions,
  describeValue,
} from "../core/check.ts";
import { fmtShape } from "../core/shape.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import { add, multiply } from "../ops/binary.ts";
import { batchNormalization } from "../ops/normalization.ts";
import { stopGradient } from "../ops/cast.ts";
import { reshape } from "../ops/movement.ts";
import { moments } from "../ops/reduce_composite.ts";
import type { Initializer } from "./initializers.ts";
import { initializerOf } from "./_resolve.ts";
import { type InitializerId, Layer, type LayerOptions } from "./layer.ts";

/** Options of `layers.BatchNormalization`. */
export interface BatchNormalizationOptions extends LayerOptions {
  /** The features' axis (default -1: channels last). */
  axis?: number;
  /** The moving statistics' decay (default 0.99). */
  momentum?: number;
  /** Added to the variance before its square root (default 1e-3). */
  epsilon?: number;
  /** Whether to add the learned offset `beta` (default true). */
  center?: boolean;
  /** Whether to multiply by the learned scale `gamma` (default true). */
  scale?: boolean;
  /** `beta`'s initializer (default zeros). */
  betaInitializer?: InitializerId;
  /** `gamma`'s initializer (default ones). */
  gammaInitializer?: InitializerId;
  /** The moving mean's initializer (default zeros). */
  movingMeanInitializer?: InitializerId;
  /** The moving variance's initializer (default ones). */
  movingVarianceInitializer?: InitializerId;
}

const NORM_OPTIONS = [
  "name",
  "dtype",
  "epsilon",
  "center",
  "scale",
  "betaInitializer",
  "gammaInitializer",
];

// An axis in `[-rank, rank)` made non-negative, or an error naming the layer.
function normalizeAxis(op: string, axis: number, rank: number, shape: readonly number[]): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(
      `${op}: axis ${axis} is out of range for an input of rank ${rank} (shape ${fmtShape(shape)})`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

// The shape that broadcasts parameters over `axes` of an input of `shape`.
function paramShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? d : 1));
}

// Keras's normalization by `batchNormalization`, with the parameters broadcast by `shape`.
function normalize(
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  epsilon: number,
  gamma: Variable | null,
  beta: Variable | null,
  shape: readonly number[],
): Tensor {
  const offset = beta === null ? null : reshape(beta, shape);
  return batchNormalization(
    x,
    mean,
    variance,
    offset,
    gamma === null ? null : reshape(gamma, shape),
    epsilon,
  );
}

/**
 * Batch normalization, as Keras's: in training, each feature (along `axis`) is normalized by
 * the batch's mean and (biased) variance over the other axes, and the moving statistics are
 * updated, `moving ← moving·momentum + batch·(1 − momentum)`; in inference (the default) the
 * moving statistics normalize instead. Then `·gamma + beta`, both learned. The moving mean and
 * variance are variables too, not trainable.
 *
 * @example One training step from the initial moving statistics
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const bn = new layers.BatchNormalization({ momentum: 0.5 });
 * const y = bn.apply([[1], [3]], { training: true }); // mean 2, variance 1
 * assertAllClose(y, [[-1 / Math.sqrt(1.001)], [1 / Math.sqrt(1.001)]]);
 * assertAllClose(bn.movingMean!.value(), [1]); // 0·0.5 + 2·0.5
 * assertAllClose(bn.movingVariance!.value(), [1]); // 1·0.5 + 1·0.5
 * ```
 */
export class BatchNormalization extends Layer {
  /** The learned scale `[features]`, once built (never, without `scale`). */
  gamma: Variable | null = null;
  /** The learned offset `[features]`, once built (never, without `center`). */
  beta: Variable | null = null;
  /** The moving mean `[features]`, once built (not trainable). */
  movingMean: Variable | null = null;
  /** The moving variance `[features]`, once built (not trainable). */
  movingVariance: Variable | null = null;
  #axis: number;
  #momentum: number;
  #epsilon: number;
  #center: boolean;
  #scale: boolean;
  #inits: Record<"beta" | "gamma" | "movingMean" | "movingVariance", Initializer>;
  #shape: number[] = [];
  #reduce: number[] = [];

  /** Makes a batch-normalization layer. */
  constructor(options: BatchNormalizationOptions = {}) {
    checkOptions("BatchNormalization", options, [
      ...NORM_OPTIONS,
      "axis",
      "momentum",
      "movingMeanInitializer",
      "movingVarianceInitializer",
    ]);
    const {
      axis = -1,
      momentum = 0.99,
      epsilon = 1e-3,
      center = true,
      scale = true,
      betaInitializer,
      gammaInitializer,
      movingMeanInitializer,
      movingVarianceInitializer,
      ...rest
    } = options;
    super(rest);
    const op = this.describe();
    checkInteger(op, "axis", axis);
    checkFinite(op, "momentum", momentum);
    checkFinite(op, "epsilon", epsilon);
    if (momentum < 0 || momentum > 1) {
      throw new RangeError(`${op}: momentum must be in [0, 1], not ${momentum}`);
    }
    if (!(epsilon > 0)) throw new RangeError(`${op}: epsilon must be positive, not ${epsilon}`);
    checkBoolean(op, "center", center);
    checkBoolean(op, "scale", scale);
    this.#axis = axis;
    this.#momentum = momentum;
    this.#epsilon = epsilon;
    this.#center = center;
    this.#scale = scale;
    this.#inits = {
      beta: initializerOf(op, betaInitializer, "zeros"),
      gamma: initializerOf(op, gammaInitializer, "ones"),
      movingMean: initializerOf(op, movingMeanInitializer, "zeros"),
      movingVariance: initializerOf(op, movingVarianceInitializer, "ones"),
    };
  }

  /** Makes the variables for the first input's shape. */
  protected override build(shape: readonly number[]): void {
    const axis = normalizeAxis(this.describe(), this.#axis, shape.length, shape);
    const n = shape[axis];
    const inits = this.#inits;
    if (this.#scale) this.gamma = this.addWeight("gamma", [n], inits.gamma);
    if (this.#center) this.beta = this.addWeight("beta", [n], inits.beta);
    this.movingMean = this.addWeight("moving_mean", [n], inits.movingMean, false);
    this.movingVariance = this.addWeight(
      "moving_variance",
      [n],
      inits.movingVariance,
      false,
    );
    this.#shape = paramShape(shape, [axis]);
    this.#reduce = shape.map((_, i) => i).filter((i) => i !== axis);
    this.setInputSpec({ rank: shape.length, axes: { [axis]: n } });
  }

  /** The layer's transform. */
  protected override call(x: Tensor, training: boolean): Tensor {
    const shape = this.#shape;
    const movingMean = this.movingMean!, movingVariance = this.movingVariance!;
    let mean: Tensor, variance: Tensor;
    // A frozen layer keeps its statistics, as Keras's does.
    if (training && this.trainable) {
      [mean, variance] = moments(x, this.#reduce, { keepDims: true });
      // The statistics are data for the moving averages, not a path for gradients.
      const m = this.#momentum;
      const update = (v: Variable, batch: Tensor) =>
        v.assign(add(multiply(v, m), multiply(reshape(stopGradient(batch), v.shape), 1 - m)));
      update(movingMean, mean);
      update(movingVariance, variance);
    } else {
      mean = reshape(movingMean, shape);
      variance = reshape(movingVariance, shape);
    }
    return normalize(x, mean, variance, this.#epsilon, this.gamma, this.beta, shape);
  }
}

/** Options of `layers.LayerNormalization`. */
export interface LayerNormalizationOptions extends LayerOptions {
  /** The axis or axes normalized over, per example (default -1). */
  axis?: number | readonly number[];
  /** Added to the variance before its square root (default 1e-3). */
  epsilon?: number;
  /** Whether to add the learned offset `beta` (default true). */
  center?: boolean;
  /** Whether to multiply by the learned scale `gamma` (default true). */
  scale?: boolean;
  /** `beta`'s initializer (default zeros). */
  betaInitializer?: InitializerId;
  /** `gamma`'s initializer (default ones). */
  gammaInitializer?: InitializerId;
}

/**
 * Layer normalization (Ba et al. 2016), as Keras's: each example is normalized by its own mean
 * and (biased) variance over `axis`, then `·gamma + beta`, learned per element of those axes.
 * The same in training and inference.
 *
 * @example
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const ln = new layers.LayerNormalization();
 * const s = 1 / Math.sqrt(1 + 1e-3); // mean 2, variance 1
 * assertAllClose(ln.apply([[1, 3], [1, 3]]), [[-s, s], [-s, s]]);
 * ```
 */
export class LayerNormalization extends Layer {
  /** The learned scale, of the normalized axes' shape, once built. */
  gamma: Variable | null = null;
  /** The learned offset, of the normalized axes' shape, once built. */
  beta: Variable | null = null;
  #axis: readonly number[];
  #epsilon: number;
  #center: boolean;
  #scale: boolean;
  #betaInit: InitializerId;
  #gammaInit: InitializerId;
  #axes: number[] = [];

  /** Makes a layer-normalization layer. */
  constructor(options: LayerNormalizationOptions = {}) {
    checkOptions("LayerNormalization", options, [...NORM_OPTIONS, "axis"]);
    const {
      axis = -1,
      epsilon = 1e-3,
      center = true,
      scale = true,
      betaInitializer,
      gammaInitializer,
      ...rest
    } = options;
    super(rest);
    const op = this.describe();
    const axes = typeof axis === "number" ? [axis] : axis;
    if (!Array.isArray(axes) || axes.length === 0) {
      throw new TypeError(
        `${op}: axis must be an integer or a non-empty array of them, not ${describeValue(axis)}`,
      );
    }
    for (const a of axes) checkInteger(op, "axis", a);
    checkFinite(op, "epsilon", epsilon);
    if (!(epsilon > 0)) throw new RangeError(`${op}: epsilon must be positive, not ${epsilon}`);
    checkBoolean(op, "center", center);
    checkBoolean(op, "scale", scale);
    this.#axis = axes;
    this.#epsilon = epsilon;
    this.#center = center;
    this.#scale = scale;
    this.#betaInit = initializerOf(op, betaInitializer, "zeros");
    this.#gammaInit = initializerOf(op, gammaInitializer, "ones");
  }

  /** Makes the variables for the first input's shape. */
  protected override build(shape: readonly number[]): void {
    const op = this.describe();
    const axes = [...new Set(this.#axis.map((a) => normalizeAxis(op, a, shape.length, shape)))]
      .sort((a, b) => a - b);
    const params = axes.map((a) => shape[a]);
    if (this.#scale) this.gamma = this.addWeight("gamma", params, this.#gammaInit);
    if (this.#center) this.beta = this.addWeight("beta", params, this.#betaInit);
    this.#axes = axes;
    const fixed: Record<number, number> = {};
    for (const a of axes) fixed[a] = shape[a];
    this.setInputSpec({ rank: shape.length, axes: fixed });
  }

  /** The layer's transform. */
  protected override call(x: Tensor): Tensor {
    const [mean, variance] = moments(x, this.#axes, { keepDims: true });
    // Broadcast shape from this input: only the normalized axes are fixed.
    const shape = paramShape(x.shape, this.#axes);
    return normalize(x, mean, variance, this.#epsilon, this.gamma, this.beta, shape);
  }
}
