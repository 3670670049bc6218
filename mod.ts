/**
 * gradtape: automatic differentiation for TypeScript, with TensorFlow's `GradientTape` and
 * JAX's transforms, on two engines — dual-number forward mode and tape-based reverse mode — that
 * nest in any order, to any order of derivative. No runtime dependencies.
 *
 * ## Quick start
 *
 * ```ts
 * import * as gt from "@gradtape/gradtape";
 *
 * // Reverse mode, as TensorFlow: `tape.record(fn)` is the `with tf.GradientTape() as tape:` block.
 * const x = new gt.Variable(3.0, { name: "x" });
 * const tape = new gt.GradientTape();
 * const y = tape.record(() => x.square());
 * console.log(tape.gradient(y, x)); // Tensor(6, shape=[], dtype=float32)
 *
 * // Forward mode: the directional derivative along a tangent.
 * const acc = new gt.ForwardAccumulator(x, gt.constant(1));
 * console.log(acc.jvp(acc.record(() => gt.exp(x)))); // e³ ≈ 20.09
 *
 * // JAX-style transforms.
 * const f = (v: gt.Tensor) => gt.reduceSum(gt.pow(v, 3));
 * console.log(gt.grad(f)([1, 2]), gt.hessian(f)([1, 2])); // [3, 12] and [[6, 0], [0, 12]]
 * ```
 *
 * ## Where things are
 *
 * - Tensors and variables: {@linkcode Tensor}, {@linkcode Variable}, {@linkcode constant} and the
 *   creation ops, {@linkcode random}.
 * - Ops, named as TensorFlow's in camelCase (`tf.reduce_mean` → {@linkcode reduceMean}); each
 *   broadcasts like numpy and is differentiable in both modes to any order.
 * - Reverse mode: {@linkcode GradientTape} (`gradient`, `jacobian`, `batchJacobian`).
 * - Forward mode: {@linkcode ForwardAccumulator}.
 * - Transforms: {@linkcode grad}, {@linkcode valueAndGrad}, {@linkcode jvp}, {@linkcode vjp},
 *   {@linkcode jacfwd}, {@linkcode jacrev}, {@linkcode hessian}, {@linkcode hvp},
 *   {@linkcode customGradient}, {@linkcode customJvp}, {@linkcode stopGradient}, and
 *   {@linkcode vmap} (batching), with trees ({@linkcode tree}) in every one.
 * - Training: {@linkcode optimizers} (`SGD`, `Adam`, `AdamW`, `RMSprop`, … and `schedules`),
 *   {@linkcode Module} and {@linkcode layers} (Keras's), {@linkcode initializers},
 *   {@linkcode losses}; linear algebra in {@linkcode linalg}; saving in {@linkcode io} and
 *   {@linkcode Checkpoint}.
 * - Models: {@linkcode Module}, {@linkcode layers}, {@linkcode initializers}, {@linkcode losses}.
 * - Memory: {@linkcode tidy} releases what a step no longer needs, for its buffers to be reused;
 *   {@linkcode keep} exempts a tensor.
 * - Checking your own gradients: the `@gradtape/gradtape/testing` entry point
 *   (`assertAllClose`, `checkGrads`).
 *
 * A gradient of `null` means the source is not connected to the target: pass
 * `{ unconnectedGradients: "error" }` to `gradient` to be told why.
 *
 * @module
 */
export type { DType, TypedArray } from "./src/core/dtype.ts";
export { Tensor, TensorMethods } from "./src/core/tensor.ts";
export type { Axis, NestedArray, NestedArrayOf, TensorLike } from "./src/core/tensor.ts";
export { Variable } from "./src/core/variable.ts";
export { keep, tidy } from "./src/core/tidy.ts";
export type { VariableOptions } from "./src/core/variable.ts";
export type {
  MapLeaves,
  MapTree,
  Structure,
  TensorLiteral,
  Tree,
  TreeDef,
} from "./src/core/structure.ts";
/**
 * Helpers for trees, as `jax.tree`: `tree.map`, `tree.leaves`, `tree.flatten`,
 * `tree.unflatten` and `tree.structure`.
 *
 * @example Mapping over two trees at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { tree } from "@gradtape/gradtape";
 * const sum = tree.map((a: number, b: number) => a + b, { x: 1, y: [2, null] }, { x: 10, y: [20, null] });
 * assert.deepEqual(sum, { x: 11, y: [22, null] });
 * ```
 */
export * as tree from "./src/core/tree.ts";
export {
  abs,
  add,
  addN,
  argMax,
  argMin,
  argsort,
  booleanMask,
  broadcastTo,
  cast,
  ceil,
  clipByGlobalNorm,
  clipByNorm,
  concat,
  constant,
  cos,
  cumprod,
  cumsum,
  cumulativeLogSumExp,
  divide,
  dropout,
  einsum,
  equal,
  exp,
  expandDims,
  expm1,
  eye,
  fill,
  floor,
  gather,
  gatherNd,
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
  meshgrid,
  minimum,
  moments,
  multiply,
  negative,
  norm,
  notEqual,
  oneHot,
  ones,
  onesLike,
  pad,
  pow,
  range,
  reduceAll,
  reduceAny,
  reduceEuclideanNorm,
  reduceLogSumExp,
  reduceMax,
  reduceMean,
  reduceMin,
  reduceProd,
  reduceStd,
  reduceSum,
  reduceVariance,
  relu,
  repeat,
  reshape,
  reverse,
  roll,
  round,
  rsqrt,
  scatterNd,
  sigmoid,
  sigmoidCrossEntropyWithLogits,
  sign,
  sin,
  slice,
  softmax,
  softmaxCrossEntropyWithLogits,
  softplus,
  sort,
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
  tensorScatterAdd,
  tensorScatterMax,
  tensorScatterMin,
  tensorScatterUpdate,
  tile,
  topK,
  transpose,
  unsortedSegmentMax,
  unsortedSegmentMean,
  unsortedSegmentMin,
  unsortedSegmentProd,
  unsortedSegmentSum,
  where,
  zeros,
  zerosLike,
} from "./src/ops/mod.ts";
export type {
  ConstantOptions,
  DropoutOptions,
  GatherNdOptions,
  GatherOptions,
  MatmulOptions,
  MeshgridOptions,
  MomentsOptions,
  NormOptions,
  OneHotOptions,
  ScanOptions,
  SortOptions,
  TopK,
  TopKOptions,
} from "./src/ops/mod.ts";
/**
 * Seeded random tensors: `random.normal`, `random.uniform`, `random.truncatedNormal`,
 * `random.categorical`, `random.shuffle` and `random.setSeed`. Under `jit` each call draws fresh
 * numbers, as eager mode does.
 *
 * @example Repeatable initial weights
 * ```ts
 * import { random } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * random.setSeed(0);
 * assert.deepEqual(random.normal([2, 2], { stddev: 0.1 }).shape, [2, 2]);
 * const w = random.truncatedNormal([1000], { stddev: 0.5, seed: 1 });
 * assert.ok(w.abs().max().item() <= 1); // never beyond two standard deviations
 * ```
 */
export * as random from "./src/ops/random.ts";
/**
 * Linear algebra on batches of matrices, as TensorFlow's `tf.linalg`: Cholesky, solves,
 * determinants and structural ops (`bandPart`, `diag`, `trace`…), each differentiable in both
 * modes to every order.
 *
 * @example Solving a linear system
 * ```ts
 * import { linalg } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(linalg.triangularSolve([[2, 0], [1, 1]], [[2], [3]]).toArray(), [[1], [2]]);
 * ```
 */
export * as linalg from "./src/ops/linalg/mod.ts";
export type { PinvOptions, QrOptions, SvdOptions } from "./src/ops/linalg/mod.ts";
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
export type {
  ArgnumsOptions,
  ArgOf,
  AuxFn,
  AuxOf,
  GradOptions,
  GradsOf,
  GradsOfAll,
  HessianOf,
  JacobianOf,
  TensorFn,
  TreeFn,
} from "./src/transforms/functional.ts";
export { customGradient } from "./src/transforms/custom_gradient.ts";
export { vectorizedMap, vmap } from "./src/transforms/vmap.ts";
export type { AxisSpec, VmapOptions } from "./src/transforms/vmap.ts";
export { jit } from "./src/jit/jit.ts";
export type { JitOptions, Jitted } from "./src/jit/jit.ts";
export type { CompiledProgram } from "./src/jit/compile.ts";
export type {
  CustomGradientResult,
  GradFn,
  InputGradients,
} from "./src/transforms/custom_gradient.ts";
export { customJvp } from "./src/transforms/custom_jvp.ts";
export type { CustomJvpRule } from "./src/transforms/custom_jvp.ts";
/**
 * Optimizers with Keras's options, defaults and update formulas: `SGD` (momentum, `nesterov`),
 * `Adam` (`amsgrad`), `AdamW` (decoupled weight decay), `RMSprop`, `Adagrad`, `Adamax`, `Nadam`
 * and `Lion`, all subclasses of `Optimizer`. Every one takes `clipNorm`, `clipValue` or
 * `globalClipNorm`, `weightDecay`, and a `learningRate` that is a number, a schedule from
 * `optimizers.schedules` (`ExponentialDecay`, `InverseTimeDecay`, `PiecewiseConstantDecay`,
 * `CosineDecay`, `PolynomialDecay`) or a function of the step count, and that can be changed
 * between steps. `applyGradients` takes `[gradient, variable]` pairs and checks all of them
 * before it changes anything; `minimize(loss, varList)` records the loss on a tape and applies
 * its gradients; `iterations` counts the steps. The state (slots, `iterations`, the learning
 * rate) is held in variables, so a training step compiles under `jit`.
 *
 * @example A training step with momentum
 * ```ts
 * import assert from "node:assert/strict";
 * import { GradientTape, optimizers, Variable } from "@gradtape/gradtape";
 * const w = new Variable(1, { dtype: "float64" });
 * const opt = new optimizers.SGD({ learningRate: 0.1, momentum: 0.9 });
 * for (let step = 0; step < 2; step++) {
 *   const tape = new GradientTape();
 *   const loss = tape.record(() => w.square()); // gradient 2w
 *   opt.applyGradients([[tape.gradient(loss, w), w]]);
 * }
 * // Velocity -0.2, w = 0.8; then velocity 0.9·(-0.2) - 0.1·1.6 = -0.34, w = 0.46.
 * assert.ok(Math.abs(w.value().item() - 0.46) < 1e-12);
 * assert.equal(opt.iterations, 2);
 * ```
 * @example A jitted step with AdamW, a cosine schedule and clipping
 * ```ts
 * import assert from "node:assert/strict";
 * import { jit, optimizers, reduceSum, square, subtract, Variable } from "@gradtape/gradtape";
 * const w = new Variable([3, -3]);
 * const opt = new optimizers.AdamW({
 *   learningRate: new optimizers.schedules.CosineDecay(0.1, 200),
 *   globalClipNorm: 1,
 * });
 * const step = jit(() => opt.minimize(() => reduceSum(square(subtract(w, 1))), [w]));
 * for (let i = 0; i < 200; i++) step();
 * assert.equal(opt.iterations, 200);
 * assert.ok(w.value().data().every((x) => Math.abs(x - 1) < 0.01));
 * ```
 */
export * as optimizers from "./src/optimizers/mod.ts";
export { Module } from "./src/layers/module.ts";
export type { ModuleOptions } from "./src/layers/module.ts";
/**
 * Keras's layers, each a {@linkcode Module} that builds its variables on its first call from the
 * input's shape and is called as `layer.apply(x, { training })`: `Dense`, `Dropout`, `Flatten`,
 * `Embedding`, `BatchNormalization`, `LayerNormalization`, `Conv1D`, `Conv2D`, `Conv3D`,
 * `DepthwiseConv2D`, `Conv2DTranspose`, `MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D` (and their
 * 1-D and 3-D kin), `Sequential`, and `Layer` to write one's own.
 *
 * @example A model, a loss and a training step
 * ```ts
 * import { GradientTape, layers, losses, optimizers, random } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * random.setSeed(0);
 * const model = new layers.Sequential([
 *   new layers.Dense(16, { activation: "relu" }),
 *   new layers.Dense(1),
 * ]);
 * const x = random.normal([32, 4]), y = x.sum(1, true);
 * const opt = new optimizers.Adam({ learningRate: 0.01 });
 * const step = () => {
 *   const tape = new GradientTape();
 *   const loss = tape.record(() => losses.meanSquaredError(y, model.apply(x, { training: true })));
 *   const vars = model.trainableVariables;
 *   opt.applyGradients(tape.gradient(loss, vars).map((g, i) => [g, vars[i]]));
 *   return loss.item();
 * };
 * const first = step();
 * for (let i = 0; i < 50; i++) step();
 * assert.ok(step() < first);
 * ```
 */
export * as layers from "./src/layers/mod.ts";
/**
 * Weight initializers with Keras's names and formulas (`glorotUniform`, `heNormal`,
 * `orthogonal`, …): each returns an {@linkcode Initializer}, a function of a shape and a dtype.
 *
 * @example A seeded He-normal kernel
 * ```ts
 * import { initializers } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const init = initializers.heNormal({ seed: 7 });
 * assert.deepEqual(init([3, 4]).toArray(), init([3, 4]).toArray());
 * ```
 */
export * as initializers from "./src/layers/initializers.ts";
export type { Initializer } from "./src/layers/initializers.ts";
/**
 * Losses with Keras's names and formulas, averaged over the batch: `meanSquaredError`,
 * `meanAbsoluteError`, `huber`, `binaryCrossentropy`, `categoricalCrossentropy`,
 * `sparseCategoricalCrossentropy`.
 *
 * @example
 * ```ts
 * import { losses } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.equal(losses.meanSquaredError([1, 2], [1, 4]).item(), 2);
 * ```
 */
export * as losses from "./src/layers/losses.ts";
export {
  acos,
  acosh,
  asin,
  asinh,
  atan,
  atan2,
  atanh,
  clipByValue,
  cosh,
  digamma,
  elu,
  erf,
  erfc,
  floorDiv,
  gelu,
  isFinite,
  isInf,
  isNaN,
  leakyRelu,
  lgamma,
  logSigmoid,
  mod,
  reciprocal,
  relu6,
  selu,
  silu,
  sinh,
  softsign,
  sparseSoftmaxCrossEntropyWithLogits,
  swish,
  xlogy,
} from "./src/ops/mod.ts";
export type { GeluOptions } from "./src/ops/mod.ts";
export { conv1d, conv2d, conv2dTranspose, conv3d, depthwiseConv2d } from "./src/ops/mod.ts";
export type {
  Conv1DOptions,
  Conv2DOptions,
  Conv2DTransposeOptions,
  Conv3DOptions,
  ConvPadding,
} from "./src/ops/mod.ts";
export { avgPool, batchNormalization, maxPool } from "./src/ops/mod.ts";
export type { PoolDataFormat, PoolOptions, PoolPadding } from "./src/ops/mod.ts";
/**
 * Saving and loading, as bytes (the library does no file I/O, so it runs in browsers too):
 * safetensors (`io.toSafetensors`, `io.fromSafetensors`), numpy's `.npy` and `.npz`
 * (`io.toNpy`, `io.fromNpy`, `io.toNpz`, `io.fromNpz`), and `io.Checkpoint`.
 *
 * @example Weights to safetensors and back
 * ```ts
 * import assert from "node:assert/strict";
 * import { io, Variable } from "@gradtape/gradtape";
 * const params = { dense: { kernel: new Variable([[1, 2]]), bias: new Variable([0.5]) } };
 * const bytes = io.toSafetensors(params); // await Deno.writeFile("model.safetensors", bytes)
 * const back = io.fromSafetensors(bytes);
 * assert.deepEqual(back["dense/kernel"].toArray(), [[1, 2]]);
 * ```
 */
export * as io from "./src/io/mod.ts";
export { Checkpoint } from "./src/io/checkpoint.ts";
export type { CheckpointObjects } from "./src/io/checkpoint.ts";
