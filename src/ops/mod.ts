/** Every public op, and the method forms of `Tensor` and `Variable` wired to them. */
import { installMethodOps } from "../core/tensor.ts";
import { add, divide, maximum, minimum, multiply, pow, subtract } from "./binary.ts";
import { cast } from "./cast.ts";
import { matmul } from "./products.ts";
import { reshape, stack, transpose } from "./movement.ts";
import { installPacker } from "../core/convert.ts";
import type { Tensor, TensorLike } from "../core/tensor.ts";
import { reduceMax, reduceMin, reduceSum } from "./reduce.ts";
import { reduceMean } from "./reduce_composite.ts";
import { abs, cos, exp, log, negative, relu, sigmoid, sin, sqrt, square, tanh } from "./unary.ts";

export * from "./binary.ts";
export * from "./cast.ts";
export * from "./clip.ts";
export * from "./compare.ts";
export * from "./conv.ts";
export * from "./creation.ts";
export * from "./dropout.ts";
export * from "./indexing.ts";
export * from "./scatter.ts";
export * from "./segment.ts";
export * from "./reorder.ts";
export * from "./nn.ts";
export * from "./products.ts";
export * from "./movement.ts";
export * from "./reduce.ts";
export * from "./reduce_composite.ts";
export * from "./scan.ts";
export * from "./sort.ts";
export * from "./special.ts";
export * from "./unary.ts";
export * from "./pool.ts";
export * from "./normalization.ts";

installMethodOps({
  add,
  subtract,
  multiply,
  divide,
  pow,
  maximum,
  minimum,
  negative,
  square,
  sqrt,
  exp,
  log,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  abs,
  matmul: (a, b) => matmul(a, b),
  reduceSum,
  reduceMean,
  reduceMax,
  reduceMin,
  reshape,
  transpose,
  cast,
});

// Nested arrays that hold tensors become a (differentiable) stack, as in TensorFlow.
const pack = (op: string, items: readonly unknown[]): Tensor => {
  try {
    return stack(items.map((it) => (Array.isArray(it) ? pack(op, it) : it as TensorLike)));
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith("stack: ")) throw e;
    throw new (e.constructor as ErrorConstructor)(
      `${op}: the nested arrays and tensors do not stack: ${e.message.slice(7)}`,
    );
  }
};
installPacker(pack);
