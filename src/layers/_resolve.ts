/** Named activations and initializers, as Keras's string identifiers. Internal to layers. */
import { describeValue } from "../core/check.ts";
import type { Tensor } from "../core/tensor.ts";
import { add, divide, multiply } from "../ops/binary.ts";
import { exp, relu, sigmoid, softplus, tanh } from "../ops/unary.ts";
import {
  elu,
  gelu,
  leakyRelu,
  logSoftmax,
  relu6,
  selu,
  silu,
  softmax,
  softsign,
} from "../ops/nn.ts";
import * as init from "./initializers.ts";

/** A function of one tensor applied after a layer's transform. */
export type Activation = (x: Tensor) => Tensor;

const ACTIVATIONS: Record<string, Activation> = {
  linear: (x) => x,
  relu: (x) => relu(x),
  relu6: (x) => relu6(x),
  leaky_relu: (x) => leakyRelu(x),
  elu: (x) => elu(x),
  selu: (x) => selu(x),
  gelu: (x) => gelu(x),
  silu: (x) => silu(x),
  swish: (x) => silu(x),
  sigmoid: (x) => sigmoid(x),
  tanh: (x) => tanh(x),
  softmax: (x) => softmax(x),
  log_softmax: (x) => logSoftmax(x),
  softplus: (x) => softplus(x),
  softsign: (x) => softsign(x),
  exponential: (x) => exp(x),
  // Keras 3's piecewise-linear sigmoid relu6(x + 3) / 6, and x times it.
  hard_sigmoid: (x) => divide(relu6(add(x, 3)), 6),
  hard_silu: (x) => multiply(x, divide(relu6(add(x, 3)), 6)),
  hard_swish: (x) => multiply(x, divide(relu6(add(x, 3)), 6)),
  mish: (x) => multiply(x, tanh(softplus(x))),
};

// Keras spells names in snake case; the camel-case spelling of TypeScript is accepted too.
const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** The activation `id` names (or `id` itself); `undefined` and `null` are the identity. */
export function activationOf(op: string, id: unknown): Activation {
  if (id === undefined || id === null) return ACTIVATIONS.linear;
  if (typeof id === "function") return id as Activation;
  if (typeof id === "string" && Object.hasOwn(ACTIVATIONS, snake(id))) {
    return ACTIVATIONS[snake(id)];
  }
  throw new TypeError(
    `${op}: unknown activation ${describeValue(id)}: give a function or one of ` +
      Object.keys(ACTIVATIONS).map((k) => `"${k}"`).join(", "),
  );
}

const INITIALIZERS: Record<string, () => init.Initializer> = {
  glorot_uniform: () => init.glorotUniform(),
  glorot_normal: () => init.glorotNormal(),
  he_normal: () => init.heNormal(),
  he_uniform: () => init.heUniform(),
  lecun_normal: () => init.lecunNormal(),
  orthogonal: () => init.orthogonal(),
  zeros: () => init.zeros(),
  ones: () => init.ones(),
  random_normal: () => init.randomNormal(),
  random_uniform: () => init.randomUniform(),
  uniform: () => init.randomUniform(),
  truncated_normal: () => init.truncatedNormal(),
};

/** The initializer `id` names (or `id` itself), `fallback`'s when undefined. */
export function initializerOf(op: string, id: unknown, fallback: string): init.Initializer {
  if (id === undefined) id = fallback;
  if (typeof id === "function") return id as init.Initializer;
  if (typeof id === "string" && Object.hasOwn(INITIALIZERS, snake(id))) {
    return INITIALIZERS[snake(id)]();
  }
  throw new TypeError(
    `${op}: unknown initializer ${describeValue(id)}: give an initializer such as ` +
      `initializers.heNormal({ seed: 1 }) or one of ` +
      Object.keys(INITIALIZERS).map((k) => `"${k}"`).join(", "),
  );
}
