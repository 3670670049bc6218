/** `Layer`: a `Module` that builds its variables on its first call, as Keras's layers do. */
import { checkBoolean, checkOptions } from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import { type DType, isFloat } from "../core/dtype.ts";
import { fmtShape } from "../core/shape.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { atomically, Variable } from "../core/variable.ts";
import type { Initializer } from "./initializers.ts";
import { initializerOf } from "./_resolve.ts";
import { Module, type ModuleOptions } from "./module.ts";

/** Options of `layer.apply`. */
export interface ApplyOptions {
  /**
   * Whether the call is a training step (default false): `Dropout` drops only then, and
   * `BatchNormalization` normalizes by the batch's statistics and updates its moving ones.
   */
  training?: boolean;
}

/**
 * An activation: a function of a tensor, or a Keras name (`"relu"`, `"gelu"`, `"softmax"`,
 * `"sigmoid"`, `"tanh"`, `"elu"`, `"selu"`, `"silu"`/`"swish"`, `"linear"`, `"softplus"`,
 * `"softsign"`, `"relu6"`, `"leaky_relu"`, `"log_softmax"`, `"exponential"`, `"hard_sigmoid"`,
 * `"hard_silu"`/`"hard_swish"`, `"mish"`; camel case too).
 */
export type ActivationId = string | ((x: Tensor) => Tensor);

/**
 * An initializer, or a Keras name for one with default options (`"glorot_uniform"`,
 * `"he_normal"`, `"zeros"`, `"ones"`, `"orthogonal"`, `"uniform"`…; camel case too).
 */
export type InitializerId = Initializer | string;

/** Options every layer takes. */
export interface LayerOptions extends ModuleOptions {
  /** The dtype of the layer's variables (default: the first input's, when float; else float32). */
  dtype?: DType;
}

/** What a built layer accepts: a rank (or least rank) and fixed lengths on some axes. */
export interface InputSpec {
  /** The exact rank. */
  rank?: number;
  /** The least rank. */
  minRank?: number;
  /** Lengths fixed at build, by axis (negative from the end). */
  axes?: Record<number, number>;
}

// The undoing of each build inside the outermost `apply` running now, in order: a call refused
// anywhere inside it unbuilds every layer it built, a `Sequential`'s earlier sublayers included.
let builds: (() => void)[] | null = null;

function undoingBuilds<T>(fn: () => T): T {
  if (builds !== null) return fn();
  const mine: (() => void)[] = builds = [];
  try {
    return fn();
  } catch (e) {
    for (let i = mine.length - 1; i >= 0; i--) mine[i]();
    throw e;
  } finally {
    builds = null;
  }
}

/**
 * The base of every layer: a `Module` called as `layer.apply(x, { training })`. The first call
 * builds the variables from the input's shape (`build`), and later calls check that the input
 * still fits what was built. Layers take batches: under `vmap` a layer sees one example without
 * its batch axis, which `Dense` accepts but the layers of a fixed rank (normalization,
 * convolution, pooling) refuse. Set `trainable = false` to freeze a layer and every layer inside
 * it (see `Module.trainable`).
 *
 * @example A layer of one's own: a learned scale
 * ```ts
 * import { layers, type Tensor, type Variable } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * class Scale extends layers.Layer {
 *   scale: Variable | null = null;
 *   protected override build(shape: readonly number[]): void {
 *     this.scale = this.addWeight("scale", [shape[shape.length - 1]], "ones");
 *   }
 *   protected override call(x: Tensor): Tensor {
 *     return x.mul(this.scale!);
 *   }
 * }
 * const layer = new Scale();
 * assert.deepEqual(layer.apply([[1, 2]]).toArray(), [[1, 2]]);
 * assert.equal(layer.trainableVariables.length, 1);
 * ```
 */
export abstract class Layer extends Module {
  #built = false;
  #dtype: DType | undefined;
  #spec: InputSpec | undefined;

  /** Makes an unbuilt layer. */
  constructor(options: LayerOptions = {}) {
    const { dtype, ...rest } = options;
    super(rest);
    if (dtype !== undefined && !isFloat(dtype)) {
      throw new TypeError(
        `${this.constructor.name}: dtype must be float32 or float64, not ${dtype}`,
      );
    }
    this.#dtype = dtype;
  }

  /** Whether the first call has built the variables. */
  get built(): boolean {
    return this.#built;
  }

  /** The dtype of the variables (known once built, or when given). */
  get dtype(): DType | undefined {
    return this.#dtype;
  }

  /**
   * Calls the layer on `x`, building it first if this is the first call.
   *
   * @param x The input (a batch: its first axis is the batch's).
   * @param options `training` (default false).
   * @returns The output.
   */
  apply(x: TensorLike, options: ApplyOptions = {}): Tensor {
    const op = this.describe();
    checkOptions(op, options, ["training"]);
    const { training = false } = options;
    checkBoolean(op, "training", training);
    const t = x instanceof Tensor ? x : toTensor(x, { op, dtype: this.inputDType() });
    // Before the build, so that a refused first input leaves the layer unbuilt.
    this.#checkDType(t);
    // A call refused inside (a sublayer of a `Sequential` refusing the input) changes nothing:
    // the layers it built are unbuilt, so that the model can be fixed (`add`) and called again,
    // and the variables it assigned (a BatchNormalization's moving statistics) go back.
    return atomically(() =>
      undoingBuilds(() => {
        if (this.#built) this.#checkInput(t);
        else builds!.push(this.#build(t));
        return this.call(t, training);
      })
    );
  }

  /** `Dense 'dense'`: how errors name the layer. */
  protected describe(): string {
    return `${this.constructor.name} '${this.name}'`;
  }

  /** The dtype `layer` converts plain-array inputs to: for containers, their first layer's. */
  protected static inputDTypeOf(layer: Layer): DType | undefined {
    return layer.inputDType();
  }

  /**
   * The dtype plain-array inputs are converted to (the variables' by default). A layer that keeps
   * this default computes in its float dtype and refuses int32 and bool inputs; layers that take
   * integers (as `Embedding`, which returns `"int32"`) or any dtype as it is (as `Flatten`,
   * which returns `undefined`) override it.
   */
  protected inputDType(): DType | undefined {
    return this.#dtype;
  }

  /**
   * Makes the variables for inputs of `shape` and `dtype`; called once, by the first `apply`.
   * Layers without variables need not override it.
   */
  protected build(_shape: readonly number[], _dtype: DType): void {}

  /** The layer's transform of a checked input. */
  protected abstract call(x: Tensor, training: boolean): Tensor;

  /** Sets what later inputs must fit (checked by `apply` after the build). */
  protected setInputSpec(spec: InputSpec): void {
    this.#spec = spec;
  }

  /**
   * A variable named `layer/name`, initialized by `init` in the layer's dtype.
   *
   * @param name The variable's name in the layer.
   * @param shape Its shape.
   * @param init An initializer, or its name.
   * @param trainable Whether optimizers update it (default true).
   * @returns The variable.
   */
  protected addWeight(
    name: string,
    shape: readonly number[],
    init: InitializerId,
    trainable = true,
  ): Variable {
    const make = initializerOf(this.describe(), init, "zeros");
    const dtype = this.#dtype ?? "float32";
    return new Variable(make(shape, dtype), { name: `${this.name}/${name}`, trainable, dtype });
  }

  // The build, undone if it fails (a refused first input leaves the layer as it was); returns
  // what undoes it.
  #build(t: Tensor): () => void {
    const dtype = this.#dtype, spec = this.#spec, fields = { ...this };
    const undo = () => {
      this.#dtype = dtype;
      this.#spec = spec;
      this.#built = false;
      // Fields the build added (a subclass's undeclared `this.kernel`) go too.
      for (const k of Object.keys(this)) {
        if (!(k in fields)) delete (this as Record<string, unknown>)[k];
      }
      Object.assign(this, fields);
    };
    this.#dtype ??= isFloat(t.dtype) ? t.dtype : "float32";
    try {
      this.build(t.shape, t.dtype);
    } catch (e) {
      undo();
      throw e;
    }
    this.#built = true;
    return undo;
  }

  // An int32 or bool input to a layer that computes in a float dtype: refused here, where the
  // error can name the layer, rather than by the first op that mixes it with a float variable.
  #checkDType(t: Tensor): void {
    if (isFloat(t.dtype)) return;
    const want = this.inputDType();
    const keepsDefault = this.inputDType === Layer.prototype.inputDType;
    const computes = want === undefined ? (keepsDefault ? "float32" : undefined) : want;
    if (computes === undefined || !isFloat(computes)) return;
    throw new TypeError(
      `${this.describe()}: the input is ${t.dtype} but the layer computes in ${computes}: ` +
        `cast the input with cast(x, "${computes}")`,
    );
  }

  // Input checks after the build: rank, fixed lengths, and the dtype of float inputs.
  #checkInput(t: Tensor): void {
    const op = this.describe();
    const spec = this.#spec;
    const want = this.inputDType();
    if (want !== undefined && isFloat(want) && isFloat(t.dtype) && t.dtype !== want) {
      throw new TypeError(
        `${op}: the input is ${t.dtype} but the layer was built in ${want}: ` +
          `cast the input with cast(x, "${want}")`,
      );
    }
    if (spec === undefined) return;
    if (spec.rank !== undefined && t.rank !== spec.rank) {
      throw new RangeError(
        `${op}: expected an input of rank ${spec.rank}, got shape ${fmtShape(t.shape)}`,
      );
    }
    if (spec.minRank !== undefined && t.rank < spec.minRank) {
      throw new RangeError(
        `${op}: expected an input of rank ${spec.minRank} or more, got shape ${fmtShape(t.shape)}`,
      );
    }
    for (const [key, length] of Object.entries(spec.axes ?? {})) {
      const axis = Number(key) < 0 ? t.rank + Number(key) : Number(key);
      if (t.shape[axis] !== length) {
        throw new RangeError(
          `${op}: axis ${key} of the input has length ${t.shape[axis]}, but the layer was built ` +
            `for ${length}: got shape ${fmtShape(t.shape)}`,
        );
      }
    }
  }
}
