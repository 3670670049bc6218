/**
 * Pooling layers as Keras's: `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D`, and the global
 * ones, `GlobalAveragePooling1D/2D/3D` and `GlobalMaxPooling1D/2D/3D`.
 */
import { checkBoolean, checkOptions } from "../core/check.ts";
import { type DType, isFloat } from "../core/dtype.ts";
import { fmtShape } from "../core/shape.ts";
import type { Tensor } from "../core/tensor.ts";
import { avgPool, maxPool, type PoolDataFormat } from "../ops/pool.ts";
import { reduceMax } from "../ops/reduce.ts";
import { reduceMean } from "../ops/reduce_composite.ts";
import { channelsFirst, type DataFormat, paddingOf, perDimension, tfFormat } from "./_spatial.ts";
import { Layer } from "./layer.ts";
import type { ModuleOptions } from "./module.ts";

/** Options of the pooling layers (`MaxPooling2D`, `AveragePooling2D`…). */
export interface PoolingOptions extends ModuleOptions {
  /** The step between windows: a number or one per spatial dimension (default: `poolSize`). */
  strides?: number | readonly number[];
  /** `"valid"` (default) or `"same"`, either case. */
  padding?: string;
  /** `"channels_last"` (default) or `"channels_first"` (TensorFlow's `"NHWC"`… too). */
  dataFormat?: DataFormat | string;
}

/** Options of the global pooling layers. */
export interface GlobalPoolingOptions extends ModuleOptions {
  /** `"channels_last"` (default) or `"channels_first"` (TensorFlow's `"NHWC"`… too). */
  dataFormat?: DataFormat | string;
  /** Whether to keep the spatial axes, of length 1 (default false). */
  keepDims?: boolean;
}

// Checks that the input has a batch, `d` spatial axes and channels.
function checkRank(op: string, shape: readonly number[], d: number, first: boolean): void {
  if (shape.length !== d + 2) {
    throw new RangeError(
      `${op}: expected an input of rank ${d + 2} (${tfFormat(d, first)}), got shape ` +
        fmtShape(shape),
    );
  }
}

// Windowed pooling over `d` spatial dimensions.
abstract class Pooling extends Layer {
  /** The window's size, per spatial dimension. */
  readonly poolSize: readonly number[];
  /** The step between windows, per spatial dimension. */
  readonly strides: readonly number[];
  #d: number;
  #padding: "VALID" | "SAME";
  #first: boolean;
  #pool: typeof maxPool;

  constructor(
    cls: string,
    d: number,
    pool: typeof maxPool,
    poolSize: unknown,
    options: PoolingOptions,
  ) {
    checkOptions(cls, options, ["name", "strides", "padding", "dataFormat"]);
    const { strides, padding = "valid", dataFormat, name } = options;
    super({ name });
    const op = this.describe();
    this.#d = d;
    this.poolSize = perDimension(op, "poolSize", poolSize, d);
    this.strides = strides === undefined ? this.poolSize : perDimension(op, "strides", strides, d);
    this.#padding = paddingOf(op, padding) as "VALID" | "SAME";
    this.#first = channelsFirst(op, dataFormat, d);
    this.#pool = pool;
  }

  /** Any float input dtype is taken as it is (the layer has no variables to fix one). */
  protected override inputDType(): DType | undefined {
    return undefined;
  }

  /** Checks the first input's rank, and fixes it for later ones. */
  protected override build(shape: readonly number[]): void {
    checkRank(this.describe(), shape, this.#d, this.#first);
    this.setInputSpec({ rank: shape.length });
  }

  /** The pooling. */
  protected override call(x: Tensor): Tensor {
    // The windowed pools compute in floats: refused here, naming the layer, not by the op.
    if (!isFloat(x.dtype)) {
      throw new TypeError(
        `${this.describe()}: the input is ${x.dtype} but the layer computes in a float dtype: ` +
          `cast the input with cast(x, "float32")`,
      );
    }
    const dataFormat = tfFormat(this.#d, this.#first) as PoolDataFormat;
    return this.#pool(x, this.poolSize, this.strides, this.#padding, { dataFormat });
  }
}

/**
 * The maximum of each window, as Keras's `MaxPooling1D`, over `[batch, steps, channels]`.
 *
 * @example
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.MaxPooling1D().apply([[[1], [3], [2], [0]]]).toArray(), [[[3], [2]]]);
 * ```
 */
export class MaxPooling1D extends Pooling {
  /** Makes a layer of windows of `poolSize` (default 2). */
  constructor(poolSize: number | readonly number[] = 2, options: PoolingOptions = {}) {
    super("MaxPooling1D", 1, maxPool, poolSize, options);
  }
}

/**
 * The maximum of each window, as Keras's `MaxPooling2D`: windows of `poolSize` (default 2×2)
 * every `strides` (default: `poolSize`) over `[batch, height, width, channels]`.
 *
 * @example 2×2 windows of a 4×4 image
 * ```ts
 * import { layers, range, reshape } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = reshape(range(0, 16, 1, "float32"), [1, 4, 4, 1]);
 * const y = new layers.MaxPooling2D().apply(x);
 * assert.deepEqual(y.reshape([2, 2]).toArray(), [[5, 7], [13, 15]]);
 * ```
 */
export class MaxPooling2D extends Pooling {
  /** Makes a layer of windows of `poolSize` (default 2). */
  constructor(poolSize: number | readonly number[] = 2, options: PoolingOptions = {}) {
    super("MaxPooling2D", 2, maxPool, poolSize, options);
  }
}

/**
 * The maximum of each window, as Keras's `MaxPooling3D`.
 *
 * @example
 * ```ts
 * import { layers, zeros } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.MaxPooling3D().apply(zeros([1, 4, 4, 4, 2])).shape, [1, 2, 2, 2, 2]);
 * ```
 */
export class MaxPooling3D extends Pooling {
  /** Makes a layer of windows of `poolSize` (default 2). */
  constructor(poolSize: number | readonly number[] = 2, options: PoolingOptions = {}) {
    super("MaxPooling3D", 3, maxPool, poolSize, options);
  }
}

/**
 * The mean of each window, as Keras's `AveragePooling1D`.
 *
 * @example
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.AveragePooling1D().apply([[[1], [3], [2], [0]]]).toArray(), [[[2], [1]]]);
 * ```
 */
export class AveragePooling1D extends Pooling {
  /** Makes a layer of windows of `poolSize` (default 2). */
  constructor(poolSize: number | readonly number[] = 2, options: PoolingOptions = {}) {
    super("AveragePooling1D", 1, avgPool, poolSize, options);
  }
}

/**
 * The mean of each window, as Keras's `AveragePooling2D`; with `"same"` padding a window at the
 * border averages its positions inside the input only.
 *
 * @example
 * ```ts
 * import { layers, range, reshape } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = reshape(range(0, 16, 1, "float32"), [1, 4, 4, 1]);
 * const y = new layers.AveragePooling2D(2).apply(x);
 * assert.deepEqual(y.reshape([2, 2]).toArray(), [[2.5, 4.5], [10.5, 12.5]]);
 * ```
 */
export class AveragePooling2D extends Pooling {
  /** Makes a layer of windows of `poolSize` (default 2). */
  constructor(poolSize: number | readonly number[] = 2, options: PoolingOptions = {}) {
    super("AveragePooling2D", 2, avgPool, poolSize, options);
  }
}

/**
 * The mean of each window, as Keras's `AveragePooling3D`.
 *
 * @example
 * ```ts
 * import { layers, ones } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.AveragePooling3D().apply(ones([1, 2, 2, 2, 1])).toArray(), [[[[[1]]]]]);
 * ```
 */
export class AveragePooling3D extends Pooling {
  /** Makes a layer of windows of `poolSize` (default 2). */
  constructor(poolSize: number | readonly number[] = 2, options: PoolingOptions = {}) {
    super("AveragePooling3D", 3, avgPool, poolSize, options);
  }
}

// The mean or maximum over every spatial position.
abstract class GlobalPooling extends Layer {
  #d: number;
  #first: boolean;
  #keepDims: boolean;
  #reduce: typeof reduceMean;

  constructor(cls: string, d: number, reduce: typeof reduceMean, options: GlobalPoolingOptions) {
    checkOptions(cls, options, ["name", "dataFormat", "keepDims"]);
    const { dataFormat, keepDims = false, name } = options;
    super({ name });
    this.#d = d;
    this.#first = channelsFirst(this.describe(), dataFormat, d);
    checkBoolean(this.describe(), "keepDims", keepDims);
    this.#keepDims = keepDims;
    this.#reduce = reduce;
  }

  /** Any input dtype is taken as it is. */
  protected override inputDType(): DType | undefined {
    return undefined;
  }

  /** Checks the first input's rank, and fixes it for later ones. */
  protected override build(shape: readonly number[]): void {
    checkRank(this.describe(), shape, this.#d, this.#first);
    this.setInputSpec({ rank: shape.length });
  }

  /** The reduction over the spatial axes. */
  protected override call(x: Tensor): Tensor {
    const start = this.#first ? 2 : 1;
    const axes = Array.from({ length: this.#d }, (_, i) => start + i);
    return this.#reduce(x, axes, this.#keepDims);
  }
}

/**
 * The mean over the steps, as Keras's `GlobalAveragePooling1D`: `[batch, steps, channels]` →
 * `[batch, channels]`.
 *
 * @example
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.GlobalAveragePooling1D().apply([[[1, 10], [3, 30]]]).toArray(), [[2, 20]]);
 * ```
 */
export class GlobalAveragePooling1D extends GlobalPooling {
  /** Makes the layer. */
  constructor(options: GlobalPoolingOptions = {}) {
    super("GlobalAveragePooling1D", 1, reduceMean, options);
  }
}

/**
 * The mean over height and width, as Keras's `GlobalAveragePooling2D`:
 * `[batch, height, width, channels]` → `[batch, channels]` (or `[batch, 1, 1, channels]` with
 * `keepDims`).
 *
 * @example
 * ```ts
 * import { layers, range, reshape } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = reshape(range(0, 8, 1, "float32"), [1, 2, 2, 2]); // channel 0: 0 2 4 6
 * assert.deepEqual(new layers.GlobalAveragePooling2D().apply(x).toArray(), [[3, 4]]);
 * ```
 */
export class GlobalAveragePooling2D extends GlobalPooling {
  /** Makes the layer. */
  constructor(options: GlobalPoolingOptions = {}) {
    super("GlobalAveragePooling2D", 2, reduceMean, options);
  }
}

/**
 * The mean over the three spatial axes, as Keras's `GlobalAveragePooling3D`.
 *
 * @example
 * ```ts
 * import { layers, ones } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.GlobalAveragePooling3D().apply(ones([2, 2, 2, 2, 3])).shape, [2, 3]);
 * ```
 */
export class GlobalAveragePooling3D extends GlobalPooling {
  /** Makes the layer. */
  constructor(options: GlobalPoolingOptions = {}) {
    super("GlobalAveragePooling3D", 3, reduceMean, options);
  }
}

/**
 * The maximum over the steps, as Keras's `GlobalMaxPooling1D`.
 *
 * @example
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.GlobalMaxPooling1D().apply([[[1, 30], [3, 10]]]).toArray(), [[3, 30]]);
 * ```
 */
export class GlobalMaxPooling1D extends GlobalPooling {
  /** Makes the layer. */
  constructor(options: GlobalPoolingOptions = {}) {
    super("GlobalMaxPooling1D", 1, reduceMax, options);
  }
}

/**
 * The maximum over height and width, as Keras's `GlobalMaxPooling2D`.
 *
 * @example
 * ```ts
 * import { layers, range, reshape } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const x = reshape(range(0, 8, 1, "float32"), [1, 2, 2, 2]);
 * assert.deepEqual(new layers.GlobalMaxPooling2D().apply(x).toArray(), [[6, 7]]);
 * ```
 */
export class GlobalMaxPooling2D extends GlobalPooling {
  /** Makes the layer. */
  constructor(options: GlobalPoolingOptions = {}) {
    super("GlobalMaxPooling2D", 2, reduceMax, options);
  }
}

/**
 * The maximum over the three spatial axes, as Keras's `GlobalMaxPooling3D`.
 *
 * @example
 * ```ts
 * import { layers, ones } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.GlobalMaxPooling3D().apply(ones([2, 2, 2, 2, 3])).shape, [2, 3]);
 * ```
 */
export class GlobalMaxPooling3D extends GlobalPooling {
  /** Makes the layer. */
  constructor(options: GlobalPoolingOptions = {}) {
    super("GlobalMaxPooling3D", 3, reduceMax, options);
  }
}
