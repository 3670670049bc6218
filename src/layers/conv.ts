/** Convolution layers as Keras's: `Conv1D`, `Conv2D`, `Conv3D`, `DepthwiseConv2D`, `Conv2DTranspose`. */
import { checkBoolean, checkInteger, checkOptions } from "../core/check.ts";
import { fmtShape } from "../core/shape.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import { add } from "../ops/binary.ts";
import {
  conv1d,
  conv2d,
  conv2dTranspose,
  conv3d,
  type ConvPadding,
  depthwiseConv2d,
} from "../ops/conv.ts";
import { reshape } from "../ops/movement.ts";
import { activationOf, initializerOf } from "./_resolve.ts";
import { channelsFirst, type DataFormat, paddingOf, perDimension, tfFormat } from "./_spatial.ts";
import type { Initializer } from "./initializers.ts";
import { type ActivationId, type InitializerId, Layer, type LayerOptions } from "./layer.ts";

export type { DataFormat } from "./_spatial.ts";

/** Options of the convolution layers (`Conv1D`, `Conv2D`, `Conv3D`). */
export interface ConvOptions extends LayerOptions {
  /** The step between outputs: a number or one per spatial dimension (default 1). */
  strides?: number | readonly number[];
  /** `"valid"` (default), `"same"`, either case; `Conv1D` also takes `"causal"`. */
  padding?: string;
  /** `"channels_last"` (default) or `"channels_first"` (TensorFlow's `"NHWC"`… too). */
  dataFormat?: DataFormat | string;
  /** The kernel's dilation: a number or one per spatial dimension (default 1). */
  dilationRate?: number | readonly number[];
  /** Convolves the channels in this many separate groups (default 1). */
  groups?: number;
  /** Applied after the bias (default none). */
  activation?: ActivationId;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** The kernel's initializer (default `glorotUniform`). */
  kernelInitializer?: InitializerId;
  /** The bias's initializer (default zeros). */
  biasInitializer?: InitializerId;
}

const CONV_OPTIONS = [
  "name",
  "dtype",
  "strides",
  "padding",
  "dataFormat",
  "dilationRate",
  "groups",
  "activation",
  "useBias",
  "kernelInitializer",
  "biasInitializer",
];

type ConvFn = (
  x: TensorLike,
  w: TensorLike,
  strides: number[],
  padding: ConvPadding,
  options: { dataFormat: never; dilations: number[] },
) => Tensor;

const CONV_FNS: Record<number, ConvFn> = {
  1: conv1d as unknown as ConvFn,
  2: conv2d as unknown as ConvFn,
  3: conv3d as unknown as ConvFn,
};

// What the convolution layers share: arguments, the build from the channels, the bias.
abstract class BaseConv extends Layer {
  /** The kernel `[...kernelSize, inChannels / groups, filters]`, once built. */
  kernel: Variable | null = null;
  /** The bias, once built (never, without `useBias`). */
  bias: Variable | null = null;
  #d: number;
  #strides: number[];
  #padding: "VALID" | "SAME" | "CAUSAL";
  #first: boolean;
  #dilations: number[];
  #activation: (x: Tensor) => Tensor;
  #useBias: boolean;
  #kernelInit: Initializer;
  #biasInit: Initializer;
  /** The kernel's spatial size. */
  readonly kernelSize: readonly number[];

  constructor(d: number, kernelSize: unknown, options: ConvOptions & { name?: string }) {
    const {
      strides = 1,
      padding = "valid",
      dataFormat,
      dilationRate = 1,
      activation,
      useBias = true,
      kernelInitializer,
      biasInitializer,
      name,
      dtype,
    } = options;
    super({ name, dtype });
    const op = this.describe();
    this.#d = d;
    this.kernelSize = perDimension(op, "kernelSize", kernelSize, d);
    this.#strides = perDimension(op, "strides", strides, d);
    this.#padding = paddingOf(op, padding, d === 1);
    this.#first = channelsFirst(op, dataFormat, d);
    this.#dilations = perDimension(op, "dilationRate", dilationRate, d);
    this.#activation = activationOf(op, activation);
    checkBoolean(op, "useBias", useBias);
    this.#useBias = useBias;
    this.#kernelInit = initializerOf(op, kernelInitializer, "glorot_uniform");
    this.#biasInit = initializerOf(op, biasInitializer, "zeros");
  }

  /** The channels axis of an input of rank d + 2. */
  protected channelAxis(): number {
    return this.#first ? 1 : this.#d + 1;
  }

  /** Checks the rank and returns the input's channels. */
  protected channelsOf(shape: readonly number[]): number {
    const d = this.#d;
    if (shape.length !== d + 2) {
      throw new RangeError(
        `${this.describe()}: expected an input of rank ${d + 2} ` +
          `(${tfFormat(d, this.#first)}), got shape ${fmtShape(shape)}`,
      );
    }
    return shape[this.channelAxis()];
  }

  /** Makes the kernel and bias, and fixes the rank and channels of later inputs. */
  protected buildWeights(
    shape: readonly number[],
    kernelIn: number,
    kernelOut: number,
    outChannels: number,
  ): void {
    const kernelShape = [...this.kernelSize, kernelIn, kernelOut];
    this.kernel = this.addWeight("kernel", kernelShape, this.#kernelInit);
    if (this.#useBias) this.bias = this.addWeight("bias", [outChannels], this.#biasInit);
    const axis = this.channelAxis();
    this.setInputSpec({ rank: shape.length, axes: { [axis]: shape[axis] } });
  }

  /** The padding for the op: Keras's `"causal"` pads `(k - 1)·dilation` before only. */
  protected opPadding(): ConvPadding {
    if (this.#padding !== "CAUSAL") return this.#padding;
    return [[(this.kernelSize[0] - 1) * this.#dilations[0], 0]];
  }

  /** Strides, layout and dilations, for the op. */
  protected opArgs(): { strides: number[]; dataFormat: never; dilations: number[] } {
    return {
      strides: this.#strides,
      dataFormat: tfFormat(this.#d, this.#first) as never,
      dilations: this.#dilations,
    };
  }

  /** Adds the bias along the channels and applies the activation. */
  protected finish(y: Tensor): Tensor {
    if (this.bias !== null) {
      const n = this.bias.shape[0];
      const b = this.#first
        ? reshape(this.bias, [n, ...new Array<number>(this.#d).fill(1)])
        : this.bias;
      y = add(y, b);
    }
    return this.#activation(y);
  }
}

// Conv1D, Conv2D and Conv3D: one class of `d` spatial dimensions.
abstract class ConvND extends BaseConv {
  /** The number of output channels. */
  readonly filters: number;
  #groups: number;
  #d: number;

  constructor(d: number, filters: number, kernelSize: unknown, options: ConvOptions) {
    checkOptions(`Conv${d}D`, options, CONV_OPTIONS);
    super(d, kernelSize, options);
    const op = this.describe();
    checkInteger(op, "filters", filters, 1);
    const { groups = 1 } = options;
    checkInteger(op, "groups", groups, 1);
    if (filters % groups !== 0) {
      throw new RangeError(`${op}: filters (${filters}) must be a multiple of groups (${groups})`);
    }
    this.filters = filters;
    this.#groups = groups;
    this.#d = d;
  }

  /** Makes the variables for the first input's shape. */
  protected override build(shape: readonly number[]): void {
    const c = this.channelsOf(shape);
    if (c % this.#groups !== 0) {
      throw new RangeError(
        `${this.describe()}: the input's ${c} channels must be a multiple of groups ` +
          `(${this.#groups}): got shape ${fmtShape(shape)}`,
      );
    }
    this.buildWeights(shape, c / this.#groups, this.filters, this.filters);
  }

  /** The layer's transform. */
  protected override call(x: Tensor): Tensor {
    const { strides, ...options } = this.opArgs();
    const y = CONV_FNS[this.#d](x, this.kernel!, strides, this.opPadding(), options);
    return this.finish(y);
  }
}

/**
 * A 1-D convolution layer, as Keras's `Conv1D`: `activation(conv1d(x, kernel) + bias)` over
 * `[batch, steps, channels]`, with a kernel `[kernelSize, channels / groups, filters]`.
 * `padding: "causal"` pads before only, so output `t` sees inputs up to `t`.
 *
 * @example A causal moving sum
 * ```ts
 * import { layers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const conv = new layers.Conv1D(1, 2, { padding: "causal", kernelInitializer: "ones", useBias: false });
 * assert.deepEqual(conv.apply([[[1], [2], [4]]]).toArray(), [[[1], [3], [6]]]);
 * ```
 */
export class Conv1D extends ConvND {
  /** Makes a layer of `filters` outputs and kernels `kernelSize` wide. */
  constructor(filters: number, kernelSize: number | readonly number[], options: ConvOptions = {}) {
    super(1, filters, kernelSize, options);
  }
}

/**
 * A 2-D convolution layer, as Keras's `Conv2D`: `activation(conv2d(x, kernel) + bias)` over
 * `[batch, height, width, channels]` (or channels first), with a kernel
 * `[kh, kw, channels / groups, filters]` built on the first call.
 *
 * @example Shapes with SAME padding and stride 2
 * ```ts
 * import { layers, zeros } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const conv = new layers.Conv2D(8, 3, { strides: 2, padding: "same", activation: "relu" });
 * assert.deepEqual(conv.apply(zeros([2, 9, 9, 3])).shape, [2, 5, 5, 8]);
 * assert.deepEqual(conv.kernel!.shape, [3, 3, 3, 8]);
 * ```
 */
export class Conv2D extends ConvND {
  /** Makes a layer of `filters` outputs and kernels of `kernelSize`. */
  constructor(filters: number, kernelSize: number | readonly number[], options: ConvOptions = {}) {
    super(2, filters, kernelSize, options);
  }
}

/**
 * A 3-D convolution layer, as Keras's `Conv3D`, over `[batch, depth, height, width, channels]`
 * (or channels first).
 *
 * @example
 * ```ts
 * import { layers, zeros } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new layers.Conv3D(4, 2).apply(zeros([1, 3, 3, 3, 2])).shape, [1, 2, 2, 2, 4]);
 * ```
 */
export class Conv3D extends ConvND {
  /** Makes a layer of `filters` outputs and kernels of `kernelSize`. */
  constructor(filters: number, kernelSize: number | readonly number[], options: ConvOptions = {}) {
    super(3, filters, kernelSize, options);
  }
}

/** Options of `layers.DepthwiseConv2D`. */
export interface DepthwiseConv2DOptions extends Omit<ConvOptions, "groups" | "kernelInitializer"> {
  /** The filters per input channel (default 1). */
  depthMultiplier?: number;
  /** The kernel's initializer (default `glorotUniform`). */
  depthwiseInitializer?: InitializerId;
}

/**
 * A depthwise 2-D convolution layer, as Keras's `DepthwiseConv2D`: each input channel convolved
 * on its own by `depthMultiplier` filters, a kernel `[kh, kw, channels, depthMultiplier]`;
 * output channel `c·depthMultiplier + m` is channel `c` by filter `m`.
 *
 * @example
 * ```ts
 * import { layers, zeros } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const conv = new layers.DepthwiseConv2D(3, { depthMultiplier: 2, padding: "same" });
 * assert.deepEqual(conv.apply(zeros([1, 5, 5, 4])).shape, [1, 5, 5, 8]);
 * assert.deepEqual(conv.kernel!.shape, [3, 3, 4, 2]);
 * ```
 */
export class DepthwiseConv2D extends BaseConv {
  /** The filters per input channel. */
  readonly depthMultiplier: number;

  /** Makes a layer of kernels of `kernelSize`. */
  constructor(kernelSize: number | readonly number[], options: DepthwiseConv2DOptions = {}) {
    const accepted = CONV_OPTIONS.filter((o) => o !== "groups" && o !== "kernelInitializer");
    checkOptions("DepthwiseConv2D", options, [
      ...accepted,
      "depthMultiplier",
      "depthwiseInitializer",
    ]);
    const { depthMultiplier = 1, depthwiseInitializer, ...rest } = options;
    super(2, kernelSize, { ...rest, kernelInitializer: depthwiseInitializer });
    checkInteger(this.describe(), "depthMultiplier", depthMultiplier, 1);
    this.depthMultiplier = depthMultiplier;
  }

  /** Makes the variables for the first input's shape. */
  protected override build(shape: readonly number[]): void {
    const c = this.channelsOf(shape);
    this.buildWeights(shape, c, this.depthMultiplier, c * this.depthMultiplier);
  }

  /** The layer's transform. */
  protected override call(x: Tensor): Tensor {
    const { strides, ...options } = this.opArgs();
    const padding = this.opPadding() as "SAME" | "VALID";
    return this.finish(depthwiseConv2d(x, this.kernel!, strides, padding, options as never));
  }
}

/** Options of `layers.Conv2DTranspose`. */
export type Conv2DTransposeOptions = Omit<ConvOptions, "groups">;

/**
 * A transposed 2-D convolution layer, as Keras's `Conv2DTranspose`: the gradient of a
 * convolution with respect to its input, which upsamples by `strides`. The kernel is
 * `[kh, kw, filters, channels]` (outputs before inputs, as TensorFlow's); the output's spatial
 * size is `n·stride` with `"same"` padding and `n·stride + max(k - stride, 0)` with `"valid"`
 * (k the dilated kernel's size), as Keras computes it.
 *
 * @example Upsampling by 2
 * ```ts
 * import { layers, zeros } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const up = new layers.Conv2DTranspose(4, 3, { strides: 2, padding: "same" });
 * assert.deepEqual(up.apply(zeros([1, 5, 5, 8])).shape, [1, 10, 10, 4]);
 * assert.deepEqual(up.kernel!.shape, [3, 3, 4, 8]);
 * ```
 */
export class Conv2DTranspose extends BaseConv {
  /** The number of output channels. */
  readonly filters: number;

  /** Makes a layer of `filters` outputs and kernels of `kernelSize`. */
  constructor(
    filters: number,
    kernelSize: number | readonly number[],
    options: Conv2DTransposeOptions = {},
  ) {
    checkOptions("Conv2DTranspose", options, CONV_OPTIONS.filter((o) => o !== "groups"));
    super(2, kernelSize, options);
    checkInteger(this.describe(), "filters", filters, 1);
    this.filters = filters;
  }

  /** Makes the kernel `[kh, kw, filters, channels]` and the bias. */
  protected override build(shape: readonly number[]): void {
    const c = this.channelsOf(shape);
    this.buildWeights(shape, this.filters, c, this.filters);
  }

  /** The transposed convolution. */
  protected override call(x: Tensor): Tensor {
    const { strides, dataFormat, dilations } = this.opArgs();
    const padding = this.opPadding() as "SAME" | "VALID";
    const first = this.channelAxis() === 1;
    const spatial = (first ? x.shape.slice(2) : x.shape.slice(1, 3)).map((n, i) => {
      const k = (this.kernelSize[i] - 1) * dilations[i] + 1;
      return n * strides[i] + (padding === "SAME" ? 0 : Math.max(k - strides[i], 0));
    });
    const out = first
      ? [x.shape[0], this.filters, ...spatial]
      : [x.shape[0], ...spatial, this.filters];
    const y = conv2dTranspose(x, this.kernel!, out, strides, padding, { dataFormat, dilations });
    return this.finish(y);
  }
}
