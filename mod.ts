/**
 * gradtape: automatic differentiation for TypeScript, with TensorFlow's `GradientTape` and
 * JAX's transforms, on dual-number forward mode and tape-based reverse mode.
 *
 * ```ts
 * import * as gt from "@gradtape/gradtape";
 *
 * const x = new gt.Variable(3.0, { name: "x" });
 * const tape = new gt.GradientTape();
 * const y = tape.record(() => x.square()); // Python: with tf.GradientTape() as tape: y = x ** 2
 * console.log(tape.gradient(y, x)); // Tensor(6, shape=[], dtype=float32)
 * ```
 *
 * @module
 */
export type { DType, TypedArray } from "./src/core/dtype.ts";
export { Tensor, TensorMethods } from "./src/core/tensor.ts";
export type { Axis, NestedArray, NestedArrayOf, TensorLike } from "./src/core/tensor.ts";
export { Variable } from "./src/core/variable.ts";
export type { VariableOptions } from "./src/core/variable.ts";
export type { MapLeaves, Structure } from "./src/core/structure.ts";
export {
  abs,
  add,
  addN,
  argMax,
  argMin,
  broadcastTo,
  cast,
  ceil,
  concat,
  constant,
  cos,
  divide,
  einsum,
  equal,
  exp,
  expandDims,
  expm1,
  eye,
  fill,
  floor,
  gather,
  greater,
  greaterEqual,
  l2Loss,
  less,
  lessEqual,
  linspace,
  log,
  log1p,
  logicalAnd,
  logicalNot,
  logicalOr,
  logSoftmax,
  matmul,
  maximum,
  minimum,
  multiply,
  negative,
  notEqual,
  ones,
  onesLike,
  pad,
  pow,
  range,
  reduceLogSumExp,
  reduceMax,
  reduceMean,
  reduceMin,
  reduceProd,
  reduceSum,
  relu,
  reshape,
  round,
  rsqrt,
  sigmoid,
  sigmoidCrossEntropyWithLogits,
  sign,
  sin,
  slice,
  softmax,
  softmaxCrossEntropyWithLogits,
  softplus,
  split,
  sqrt,
  square,
  squaredDifference,
  squeeze,
  stack,
  stopGradient,
  subtract,
  tan,
  tanh,
  tensordot,
  tile,
  transpose,
  where,
  zeros,
  zerosLike,
} from "./src/ops/mod.ts";
export type { ConstantOptions, MatmulOptions } from "./src/ops/mod.ts";
/**
 * Seeded random tensors: `random.normal`, `random.uniform` and `random.setSeed`.
 *
 * @example Repeatable initial weights
 * ```ts
 * import { random } from "@gradtape/gradtape";
 * random.setSeed(0);
 * console.log(random.normal([2, 2], { stddev: 0.1 }).shape); // [2, 2]
 * ```
 */
export * as random from "./src/ops/random.ts";
export { GradientTape } from "./src/tape/gradient_tape.ts";
export type {
  GradientOptions,
  Gradients,
  GradientTapeOptions,
  JacobianOptions,
  Sources,
  Targets,
  UnconnectedGradients,
} from "./src/tape/gradient_tape.ts";
export { ForwardAccumulator } from "./src/forward/accumulator.ts";
export type { JvpOptions, Primals, Tangents } from "./src/forward/accumulator.ts";
export {
  grad,
  hessian,
  hvp,
  jacfwd,
  jacrev,
  jvp,
  valueAndGrad,
  vjp,
} from "./src/transforms/functional.ts";
export type { ArgnumsOptions, TensorFn } from "./src/transforms/functional.ts";
export { customGradient } from "./src/transforms/custom_gradient.ts";
export type { CustomGradientResult, GradFn } from "./src/transforms/custom_gradient.ts";
/**
 * Optimizers with Keras's `applyGradients`: `optimizers.SGD` (with momentum) and
 * `optimizers.Adam`.
 *
 * @example Gradient descent with momentum
 * ```ts
 * import { optimizers } from "@gradtape/gradtape";
 * const opt = new optimizers.SGD({ learningRate: 0.01, momentum: 0.9 });
 * console.log(opt.momentum); // 0.9
 * ```
 */
export * as optimizers from "./src/optimizers/mod.ts";
