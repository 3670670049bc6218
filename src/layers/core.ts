/** The core layers: `Dense`, `Dropout`, `Flatten`, `Embedding` and `Sequential`. */
import {
  checkBoolean,
  checkFinite,
  checkInteger,
  checkOptions,
  describeValue,
} from "../core/check.ts";
import type { DType } from "../core/dtype.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import { add } from "../ops/binary.ts";
import { cast } from "../ops/cast.ts";
import { Generator } from "../core/random.ts";
import { dropout } from "../ops/dropout.ts";
import { withStream } from "../ops/random.ts";
import { gather } from "../ops/indexing.ts";
import { reshape } from "../ops/movement.ts";
import { matmul } from "../ops/products.ts";
import { activationOf, initializerOf } from "./_resolve.ts";
import { type ActivationId, type InitializerId, Layer, type LayerOptions } from "./layer.ts";
import type { ModuleOptions } from "./module.ts";

const LAYER_OPTIONS = ["name", "dtype"];

/** Options of `layers.Dense`. */
export interface DenseOptions extends LayerOptions {
  /** Applied to `xW + b` (default none). */
  activation?: ActivationId;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** The kernel's initializer (default `glorotUniform`, as Keras's). */
  kernelInitializer?: InitializerId;
  /** The bias's initializer (default zeros). */
  biasInitializer?: InitializerId;
}

/**
 * A densely connected layer, as Keras's: `activation(x·kernel + bias)` along the input's last
 * axis, with a kernel `[inputDim, units]` built on the first call.
 *
 * @example Known weights, then a check by hand
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const dense = new layers.Dense(2, { activation: "relu" });
 * dense.apply([[0, 0, 0]]); // builds: kernel [3, 2], bias [2]
 * dense.kernel!.assign([[1, -1], [2, 0], [0, 1]]);
 * dense.bias!.assign([0.5, -10]);
 * assert.deepEqual(dense.apply([[1, 1, 1]]).toArray(), [[3.5, 0]]);
 * ```
 */
export class Dense extends Layer {
  /** The number of outputs. */
  readonly units: number;
  /** The kernel `[inputDim, units]`, once built. */
  kernel: Variable | null = null;
  /** The bias `[units]`, once built (never, without `useBias`). */
  bias: Variable | null = null;
  #activation: (x: Tensor) => Tensor;
  #useBias: boolean;
  #kernelInit: InitializerId;
  #biasInit: InitializerId;

  /** Makes a dense layer of `units` outputs. */
  constructor(units: number, options: DenseOptions = {}) {
    checkOptions("Dense", options, [
      ...LAYER_OPTIONS,
      "activation",
      "useBias",
      "kernelInitializer",
      "biasInitializer",
    ]);
    const { activation, useBias = true, kernelInitializer, biasInitializer, ...rest } = options;
    super(rest);
    checkInteger(this.describe(), "units", units, 1);
    checkBoolean(this.describe(), "useBias", useBias);
    this.units = units;
    this.#activation = activationOf(this.describe(), activation);
    this.#useBias = useBias;
    this.#kernelInit = initializerOf(this.describe(), kernelInitializer, "glorot_uniform");
    this.#biasInit = initializerOf(this.describe(), biasInitializer, "zeros");
  }

  /** Makes the variables for the first input's shape. */
  protected override build(shape: readonly number[]): void {
    if (shape.length < 1) {
      throw new RangeError(`${this.describe()}: the input must have rank 1 or more, got a scalar`);
    }
    const inputDim = shape[shape.length - 1];
    this.kernel = this.addWeight("kernel", [inputDim, this.units], this.#kernelInit);
    if (this.#useBias) this.bias = this.addWeight("bias", [this.units], this.#biasInit);
    this.setInputSpec({ minRank: 1, axes: { [-1]: inputDim } });
  }

  /** The layer's transform. */
  protected override call(x: Tensor): Tensor {
    const kernel = this.kernel!;
    const inputDim = kernel.shape[0];
    // Any leading axes are a batch: flattened for one matmul, then restored.
    const lead = x.shape.slice(0, -1);
    const rows = lead.reduce((a, b) => a * b, 1);
    let y = lead.length === 1 ? matmul(x, kernel) : reshape(
      matmul(reshape(x, [rows, inputDim]), kernel),
      [...lead, this.units],
    );
    if (this.bias !== null) y = add(y, this.bias);
    return this.#activation(y);
  }
}

/** Options of `layers.Dropout`. */
export interface DropoutLayerOptions extends ModuleOptions {
  /** The mask's shape, broadcast to the input's (as `dropout`'s `noiseShape`). */
  noiseShape?: readonly (number | null)[];
  /**
   * An integer seed: the layer then draws its masks from a stream of its own, so the masks of
   * successive training calls are repeatable, and the same jitted or not. Unseeded layers draw
   * from the global generator, repeatable by `random.setSeed`.
   */
  seed?: number;
}

/**
 * Dropout, as Keras's layer: in training, each element is zeroed with probability `rate` and
 * the others scaled by `1 / (1 - rate)`; in inference (the default) it is the identity.
 *
 * @example Identity unless training
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const drop = new layers.Dropout(0.5, { seed: 1 });
 * assert.deepEqual(drop.apply([1, 1, 1, 1]).toArray(), [1, 1, 1, 1]);
 * assert.ok(drop.apply([1, 1, 1, 1], { training: true }).data().every((v) => v === 0 || v === 2));
 * ```
 */
export class Dropout extends Layer {
  /** The probability of dropping each element. */
  readonly rate: number;
  #noiseShape: readonly (number | null)[] | undefined;
  // The seeded layer's own stream: a fixed seed per call would give one mask forever, and a seed
  // counted in JavaScript would be fixed at its trace under jit; draws from a stream are made
  // again at each call of a compiled program.
  #stream: Generator | null;

  /** Makes a dropout layer of `rate` in `[0, 1)`. */
  constructor(rate: number, options: DropoutLayerOptions = {}) {
    checkOptions("Dropout", options, ["name", "noiseShape", "seed"]);
    const { noiseShape, seed, ...rest } = options;
    super(rest);
    checkFinite(this.describe(), "rate", rate);
    if (rate < 0 || rate >= 1) {
      throw new RangeError(
        `${this.describe()}: rate must be in [0, 1), not ${rate}: it is the probability of dropping`,
      );
    }
    if (seed !== undefined) checkInteger(this.describe(), "seed", seed);
    this.rate = rate;
    this.#noiseShape = noiseShape;
    this.#stream = seed === undefined ? null : new Generator(seed);
  }

  /** The dtype plain-array inputs are converted to. */
  protected override inputDType(): DType | undefined {
    return undefined;
  }

  /** The layer's transform. */
  protected override call(x: Tensor, training: boolean): Tensor {
    if (!training || this.rate === 0) return x;
    const drop = () => dropout(x, this.rate, { noiseShape: this.#noiseShape });
    return this.#stream === null ? drop() : withStream(this.#stream, drop);
  }
}

/**
 * Flattens every axis but the batch's: `[batch, ...rest]` → `[batch, prod(rest)]`, as Keras's
 * (a batch of scalars becomes `[batch, 1]`).
 *
 * @example
 * ```ts
 * import { layers, zeros } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.Flatten().apply(zeros([2, 3, 4])).shape, [2, 12]);
 * ```
 */
export class Flatten extends Layer {
  /** Makes a flattening layer. */
  constructor(options: ModuleOptions = {}) {
    checkOptions("Flatten", options, ["name"]);
    super(options);
  }

  /** The dtype plain-array inputs are converted to. */
  protected override inputDType(): DType | undefined {
    return undefined;
  }

  /** Makes the variables for the first input's shape. */
  protected override build(shape: readonly number[]): void {
    if (shape.length < 1) {
      throw new RangeError(`${this.describe()}: the input must be a batch (rank 1 or more)`);
    }
    this.setInputSpec({ minRank: 1 });
  }

  /** The layer's transform. */
  protected override call(x: Tensor): Tensor {
    let rest = 1;
    for (const d of x.shape.slice(1)) rest *= d;
    return reshape(x, [x.shape[0], rest]);
  }
}

/** Options of `layers.Embedding`. */
export interface EmbeddingOptions extends LayerOptions {
  /** The table's initializer (default uniform in [-0.05, 0.05), as Keras's). */
  embeddingsInitializer?: InitializerId;
}

/**
 * A lookup table, as Keras's `Embedding`: integer indices in `[0, inputDim)` become rows of a
 * trainable table `[inputDim, outputDim]`, so `[batch, n]` → `[batch, n, outputDim]`. Float
 * inputs are cast to int32, as Keras does; indices out of range are an error.
 *
 * @example
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const embed = new layers.Embedding(10, 4);
 * assert.deepEqual(embed.apply([[1, 2, 3]]).shape, [1, 3, 4]);
 * embed.embeddings!.assign(embed.embeddings!.value().mul(0).add(1));
 * assert.deepEqual(embed.apply([0]).toArray(), [[1, 1, 1, 1]]);
 * ```
 */
export class Embedding extends Layer {
  /** The number of indices (the vocabulary's size). */
  readonly inputDim: number;
  /** The length of each vector. */
  readonly outputDim: number;
  /** The table `[inputDim, outputDim]`, once built. */
  embeddings: Variable | null = null;
  #init: InitializerId;

  /** Makes a table of `inputDim` vectors of length `outputDim`. */
  constructor(inputDim: number, outputDim: number, options: EmbeddingOptions = {}) {
    checkOptions("Embedding", options, [...LAYER_OPTIONS, "embeddingsInitializer"]);
    const { embeddingsInitializer, ...rest } = options;
    super(rest);
    checkInteger(this.describe(), "inputDim", inputDim, 1);
    checkInteger(this.describe(), "outputDim", outputDim, 1);
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.#init = initializerOf(this.describe(), embeddingsInitializer, "uniform");
  }

  /** The dtype plain-array inputs are converted to. */
  protected override inputDType(): DType | undefined {
    return "int32";
  }

  /** Makes the variables for the first input's shape. */
  protected override build(): void {
    this.embeddings = this.addWeight("embeddings", [this.inputDim, this.outputDim], this.#init);
  }

  /** The layer's transform. */
  protected override call(x: Tensor): Tensor {
    if (x.dtype === "bool") {
      throw new TypeError(`${this.describe()}: indices must be integers, not bool`);
    }
    return gather(this.embeddings!, x.dtype === "int32" ? x : cast(x, "int32"));
  }
}

/**
 * Layers applied one after another, as Keras's `Sequential`: `training` goes to every one.
 * Its variables are its layers', in order.
 *
 * @example A small classifier
 * ```ts
 * import { layers, random } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const model = new layers.Sequential([
 *   new layers.Dense(8, { activation: "relu" }),
 *   new layers.Dropout(0.2),
 *   new layers.Dense(3, { activation: "softmax" }),
 * ]);
 * const probs = model.apply(random.normal([4, 5], { seed: 1 }));
 * assert.deepEqual(probs.shape, [4, 3]);
 * assert.equal(model.trainableVariables.length, 4); // two kernels, two biases
 * ```
 */
export class Sequential extends Layer {
  /** The layers, in the order they are applied. */
  readonly layers: Layer[];

  /** Makes a model of `layers` (more may be added by `add` until the first call). */
  constructor(layers: readonly Layer[] = [], options: ModuleOptions = {}) {
    checkOptions("Sequential", options, ["name"]);
    super(options);
    if (!Array.isArray(layers)) {
      throw new TypeError(
        `${this.describe()}: layers must be an array, not ${describeValue(layers)}`,
      );
    }
    this.layers = [];
    for (const layer of layers) this.add(layer);
  }

  /**
   * Appends `layer`.
   *
   * @param layer A layer.
   * @returns This model.
   */
  add(layer: Layer): this {
    if (!(layer instanceof Layer)) {
      throw new TypeError(`${this.describe()}: expected a layer, got ${describeValue(layer)}`);
    }
    if (this.built) {
      throw new Error(`${this.describe()}: cannot add a layer after the model has been called`);
    }
    this.layers.push(layer);
    return this;
  }

  /** Plain arrays are converted as the first layer converts them. */
  protected override inputDType(): DType | undefined {
    return this.layers.length === 0 ? undefined : Layer.inputDTypeOf(this.layers[0]);
  }

  /** The layer's transform. */
  protected override call(x: Tensor, training: boolean): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.apply(y, { training });
    return y;
  }
}
