/** `customGradient`: a function with a reverse rule of the user's own, as `tf.custom_gradient`. */
import { allMapped } from "../ops/_batch.ts";
import { batchedCallback } from "./vmap.ts";
import { checkFunction, describeValue } from "../core/check.ts";
import { bind, type Primitive, withReadsLogged } from "../core/dispatch.ts";
import { isFloat } from "../core/dtype.ts";
import { toTensor } from "../core/convert.ts";
import { noteUserCode } from "../core/memory.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import {
  flattenTree,
  leafDef,
  leafPaths,
  type MapTree,
  named,
  type Structure,
  type TreeDef,
  unflattenTree,
} from "../core/structure.ts";
import { Tensor, type TensorLike, viewTensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import { concat, reshape, slice } from "../ops/movement.ts";

/** The gradients a rule gives for the inputs: a tensor for one input, else one per input. */
export type InputGradients = Tensor | readonly (Tensor | null)[];

/**
 * The user's reverse rule: the upstream gradient (a tree like `y` when `y` is one) to one
 * gradient per input. Where `f` read trainable variables, the rule gets them as `variables` and
 * returns `[inputGradients, variableGradients]`, one per variable, as `tf.custom_gradient`'s.
 */
// deno-lint-ignore no-explicit-any
export type GradFn<DY = any> = (
  dy: DY,
  variables: readonly Variable[],
) => InputGradients | readonly [InputGradients, readonly (Tensor | null)[]];

/**
 * What a function given to `customGradient` returns: its value (a tensor, or an array or record
 * of them) and its reverse rule.
 */
export type CustomGradientResult<Y extends Structure<Tensor> = Tensor> = readonly [
  Y,
  GradFn<MapTree<Y, Tensor>>,
];

interface CustomAttrs {
  gradFn: (dy: Tensor) => InputGradients;
  arity: number;
}

// NOTE: not TensorFlow's design (stop every tape, record one opaque entry): that hides the
// forward computation from a tape around an accumulator, and reverse over forward comes out
// null. Here the inputs and the forward output all feed one entry: tapes reach the output only
// through it (so they use the user's rule: the last input gets no cotangent), while
// accumulators take the forward computation's own tangent.
const customPrim: Primitive<CustomAttrs> = {
  name: "customGradient",
  // The output is the forward result, the last input, as it is.
  shape: (inputs) => inputs[inputs.length - 1],
  shortcut: (inputs) => {
    const y = inputs[inputs.length - 1];
    return viewTensor(y, y.shape, y.dtype);
  },
  kernels: { cpu: (inputs, out) => out.data.set(inputs[inputs.length - 1].data) },
  alias: -1,
  jvp: (ts) => ts[ts.length - 1],
  vjp: (g, inputs, _, { gradFn, arity }) => {
    noteUserCode();
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
  // Under vmap a tape outside the map gets an entry for the whole batch, whose rule runs the
  // user's per-example rule mapped (re-entering the map, as the rule closes over its tensors).
  batch: (self, xs, axes, { gradFn, arity }, size) => [
    bind(self, allMapped(xs, axes, size), { gradFn: batchedCallback(gradFn), arity }),
    0,
  ],
};

let applications = 0;

/** How many times a custom-gradient function has run (lets `hessian` notice one). */
export function customGradientApplications(): number {
  return applications;
}

/**
 * Gives `f` a reverse rule of your own, as `tf.custom_gradient`: `f(...xs)` returns
 * `[y, (dy) => dxs]`, where `dxs` is a tensor when `f` takes one input and otherwise an array
 * with one `Tensor | null` per input. `y` may be a tree (an array or record of tensors, nested):
 * then `dy` is a tree of its structure, zeros where no gradient reached an output, and all of
 * `y`'s tensors must share one dtype. Forward mode (and so a tape around an accumulator)
 * differentiates `f`'s own computation instead. Where `f` reads trainable variables (a layer's
 * weights), the rule must give their gradients too, as `tf.custom_gradient`'s: it is called as
 * `(dy, variables)` and returns `[dxs, dvs]`, one gradient (or null) per variable in `dvs`; a
 * rule that does not take `variables` is refused, rather than the variables silently getting no
 * gradient.
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
 * @example A record of outputs
 * ```ts
 * import assert from "node:assert/strict";
 * import { customGradient, grad, type Tensor } from "@gradtape/gradtape";
 * const both = customGradient((x: Tensor) => [
 *   { double: x.mul(2), square: x.square() },
 *   (dy: { double: Tensor; square: Tensor }) => dy.double.mul(2).add(dy.square.mul(x).mul(2)),
 * ]);
 * const g = grad((x: Tensor) => { const y = both(x); return y.double.add(y.square); })(3);
 * assert.equal(g.item(), 8); // 2 + 2x
 * ```
 * @example A variable read inside: the rule gives its gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, customGradient, GradientTape, type Tensor, Variable } from "@gradtape/gradtape";
 * const w = new Variable(3);
 * const scale = customGradient((x: Tensor) => [
 *   x.mul(w),
 *   (dy: Tensor, _variables) => [dy.mul(w), [dy.mul(x)]] as const,
 * ]);
 * const x = constant(2);
 * const tape = new GradientTape();
 * tape.watch(x);
 * const y = tape.record(() => scale(x));
 * const [dx, dw] = tape.gradient(y, [x, w]) as Tensor[];
 * assert.deepEqual([dx.item(), dw.item()], [3, 2]);
 * ```
 */
export function customGradient<Y extends Structure<Tensor> = Tensor>(
  f: (...xs: Tensor[]) => CustomGradientResult<Y>,
): (...xs: TensorLike[]) => Y {
  const op = "customGradient";
  checkFunction(op, "f", f);
  return (...args) => {
    const xs = args.map((a) => toTensor(a, { op }));
    const [result, reads] = withReadsLogged((): unknown => f(...xs));
    if (!Array.isArray(result) || result.length !== 2 || typeof result[1] !== "function") {
      throw new TypeError(
        `${op}: f must return [y, gradFn], y a Tensor (or an array or record of them) and ` +
          `gradFn a function, not ${describeValue(result)}`,
      );
    }
    const [y, rule] = result as [unknown, GradFn];
    // As tf.custom_gradient: the trainable variables f read take gradients from the rule too,
    // as inputs after xs.
    const variables = [...reads.keys()].filter((v) => v.trainable && isFloat(v.dtype));
    if (variables.length > 0 && rule.length < 2) {
      throw new TypeError(
        `${op}: f read the variable${variables.length > 1 ? "s" : ""} ${
          variables.map((v) => `'${v.name}'`).join(", ")
        }, whose gradients the rule must give: write it as (dy, variables) => [dxs, dvs], with ` +
          `one gradient (or null) per variable in dvs, as tf.custom_gradient's`,
      );
    }
    const inputs = [...xs, ...variables.map((v) => reads.get(v)!)];
    const gradFn = variables.length === 0
      ? (dy: unknown) => rule(dy, variables) as InputGradients
      : (dy: unknown) => flatGradients(op, rule(dy, variables), xs.length, variables.length);
    applications++;
    if (y instanceof Tensor) {
      return bind(customPrim, [...inputs, y], { gradFn, arity: inputs.length }) as Y;
    }
    return treeOutput(op, inputs, y, gradFn) as Y;
  };
}

// The rule's `[dxs, dvs]`, where f read variables, as one gradient per input of the entry.
function flatGradients(op: string, r: unknown, nx: number, nv: number): (Tensor | null)[] {
  const pair = Array.isArray(r) && r.length === 2 ? r : null;
  const dxs = pair === null ? null : nx === 1 && pair[0] instanceof Tensor ? [pair[0]] : pair[0];
  const dvs = pair?.[1];
  if (!Array.isArray(dxs) || dxs.length !== nx || !Array.isArray(dvs) || dvs.length !== nv) {
    throw new Error(
      `${op}: f read ${nv} variable${nv > 1 ? "s" : ""}, so the gradient function must return ` +
        `[dxs, dvs]: dxs ${nx === 1 ? "a tensor" : `an array of ${nx} gradients`} for the ` +
        `inputs, and dvs an array of ${nv} (Tensor or null), one per variable; got ` +
        `${describeValue(r)}`,
    );
  }
  return [...dxs, ...dvs];
}

// NOTE: a tree of outputs is packed into one flat tensor, so that one entry takes all of `dy`
// at once; its leaves are slices of it, through which both modes flow as through any op.
function treeOutput(
  op: string,
  xs: Tensor[],
  y: unknown,
  gradFn: (dy: unknown) => InputGradients,
): unknown {
  const { leaves, def } = flattenTree(y, op);
  const ys = checkOutputs(op, leaves, def);
  if (ys.length === 0) return y;
  const flat = ys.length === 1
    ? reshape(ys[0], [ys[0].size])
    : concat(ys.map((t) => reshape(t, [t.size])), 0);
  const unpack = (packed: Tensor): Tensor[] => {
    let at = 0;
    return ys.map((t) => {
      const part = slice(packed, [at], [t.size]);
      at += t.size;
      return reshape(part, t.shape);
    });
  };
  const packedGradFn = (g: Tensor) => gradFn(unflattenTree(def, unpack(g)));
  const packed = bind(customPrim, [...xs, flat], { gradFn: packedGradFn, arity: xs.length });
  return unflattenTree(def, unpack(packed));
}

function checkOutputs(op: string, leaves: unknown[], def: TreeDef): Tensor[] {
  leaves.forEach((leaf, k) => {
    if (!(leaf instanceof Tensor)) {
      const where = def === leafDef() ? "y" : named("y", leafPaths(def)[k]);
      throw new TypeError(
        `${op}: ${where} is ${describeValue(leaf)}; f must return [y, gradFn], y a Tensor or an ` +
          `array or record of them`,
      );
    }
  });
  const ys = leaves as Tensor[];
  const other = ys.find((t) => t.dtype !== ys[0].dtype);
  if (other !== undefined) {
    throw new TypeError(
      `${op}: y holds tensors of dtypes ${ys[0].dtype} and ${other.dtype}: the outputs of one ` +
        `custom-gradient function must share one dtype (cast them to one)`,
    );
  }
  return ys;
}
