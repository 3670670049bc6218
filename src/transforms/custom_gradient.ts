/** `customGradient`: a function with a reverse rule of the user's own, as `tf.custom_gradient`. */
import { checkFunction } from "../core/check.ts";
import { bind, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { dataOf, Tensor, type TensorLike } from "../core/tensor.ts";

/** The user's reverse rule: the upstream gradient to one gradient per input. */
export type GradFn = (dy: Tensor) => Tensor | readonly (Tensor | null)[];

/** What a function given to `customGradient` returns: its value and its reverse rule. */
export type CustomGradientResult = [Tensor, GradFn];

interface CustomAttrs {
  gradFn: GradFn;
  arity: number;
}

// NOTE: not TensorFlow's design (stop every tape, record one opaque entry): that hides the
// forward computation from a tape around an accumulator, and reverse over forward comes out
// null. Here the inputs and the forward output all feed one entry: tapes reach the output only
// through it (so they use the user's rule: the last input gets no cotangent), while
// accumulators take the forward computation's own tangent.
const customPrim: Primitive<CustomAttrs> = {
  name: "customGradient",
  kernel: (inputs) => {
    const y = inputs[inputs.length - 1];
    return new Tensor(dataOf(y), y.shape, y.dtype);
  },
  jvp: (ts) => ts[ts.length - 1],
  vjp: (g, inputs, _, { gradFn, arity }) => {
    const r = gradFn(g);
    const dxs = arity === 1 && r instanceof Tensor ? [r] : r;
    if (!Array.isArray(dxs) || dxs.length !== arity) {
      throw new Error(
        `customGradient: the gradient function must return ${
          arity === 1 ? "a tensor" : `an array of ${arity} gradients (Tensor or null)`
        }, one per input`,
      );
    }
    dxs.forEach((dx, i) => {
      const x = inputs[i];
      if (dx !== null && (!sameShape(dx.shape, x.shape) || dx.dtype !== x.dtype)) {
        throw new Error(
          `customGradient: the gradient function returned shape ${
            fmtShape(dx.shape)
          } (${dx.dtype}) ` +
            `for input ${i}, of shape ${fmtShape(x.shape)} (${x.dtype}): they must match`,
        );
      }
    });
    return [...dxs, null];
  },
};

let applications = 0;

/** How many times a custom-gradient function has run (lets `hessian` notice one). */
export function customGradientApplications(): number {
  return applications;
}

/**
 * Gives `f` a reverse rule of your own, as `tf.custom_gradient`: `f(...xs)` returns
 * `[y, (dy) => dxs]`, where `dxs` is a tensor when `f` takes one input and otherwise an array
 * with one `Tensor | null` per input. Forward mode (and so a tape around an accumulator)
 * differentiates `f`'s own computation instead.
 *
 * @param f The function and its rule.
 * @returns The function with the custom rule attached.
 * @example A clipped gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import { customGradient, GradientTape, constant, minimum, multiply } from "@gradtape/gradtape";
 * const clipped = customGradient((x) => [multiply(x, 10), (dy) => minimum(multiply(dy, 10), 1)]);
 * const x = constant(2);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const y = tape.record(() => clipped(x));
 * assert.equal(y.item(), 20);
 * assert.equal(tape.gradient(y, x)?.item(), 1); // the rule's min(10·dy, 1), not 10
 * ```
 */
export function customGradient(
  f: (...xs: Tensor[]) => CustomGradientResult,
): (...xs: TensorLike[]) => Tensor {
  checkFunction("customGradient", "f", f);
  return (...args) => {
    const xs = args.map((a) => toTensor(a, { op: "customGradient" }));
    const result = f(...xs);
    if (
      !Array.isArray(result) || !(result[0] instanceof Tensor) || typeof result[1] !== "function"
    ) {
      throw new TypeError("customGradient: f must return [y, gradFn], a Tensor and a function");
    }
    const [y, gradFn] = result;
    applications++;
    return bind(customPrim, [...xs, y], { gradFn, arity: xs.length });
  };
}
