/** `customJvp`: a function with a forward rule of the user's own, as `jax.custom_jvp`. */
import { sameShapes } from "../ops/_batch.ts";
import { checkFunction, describeValue } from "../core/check.ts";
import { anyActive, bind, type Maybe, type Primitive } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import { noteUserCode } from "../core/memory.ts";
import { fmtShape, sameShape, sizeOf } from "../core/shape.ts";
import {
  flatten,
  flattenUpTo,
  type Structure,
  type TreeDef,
  unflatten,
} from "../core/structure.ts";
import {
  lazyFill,
  Tensor,
  type TensorLike,
  tracedStorage,
  uniformTensor,
  viewTensor,
} from "../core/tensor.ts";
import { stopGradient } from "../ops/cast.ts";
import { add } from "../ops/binary.ts";
import { fill, zerosLike } from "../ops/creation.ts";
import { reshape, split, stack } from "../ops/movement.ts";
import { GradientTape, refuseAsync } from "../tape/gradient_tape.ts";
import { vmap } from "./vmap.ts";

/**
 * The forward rule given to `customJvp`: from the primals (the arguments, as tensors) and one
 * tangent per primal (zeros where none flows), `[primalOut, tangentOut]`, each with the structure,
 * shapes and dtypes of `f`'s output. `tangentOut` must be linear in the tangents.
 *
 * @example The rule of sin(x)·y, written on its own
 * ```ts
 * import assert from "node:assert/strict";
 * import { add, cos, customJvp, jvp, multiply, sin } from "@gradtape/gradtape";
 * import type { CustomJvpRule, Tensor } from "@gradtape/gradtape";
 * const f = (x: Tensor, y: Tensor) => multiply(sin(x), y);
 * const rule: CustomJvpRule<Tensor> = ([x, y], [dx, dy]) => [
 *   f(x, y),
 *   add(multiply(multiply(cos(x), dx), y), multiply(sin(x), dy)), // linear in dx, dy
 * ];
 * const [, dz] = jvp(customJvp(f, rule), [0, 3], [1, 1]);
 * assert.equal(dz.item(), 3); // cos(0)·1·3 + sin(0)·1
 * ```
 */
export type CustomJvpRule<R> = (primals: Tensor[], tangents: Tensor[]) => readonly [R, R];

// One application of a custom-JVP function: what each of its output entries needs.
interface Call {
  rule: CustomJvpRule<unknown>;
  /** The structure of f's output, which the rule's results must have. */
  def: TreeDef;
  /** Its tensors and their paths, in `flatten`'s order. */
  outs: Tensor[];
  paths: string[];
}

interface Attrs {
  call: Call;
  /** Which of f's output tensors this entry gives. */
  index: number;
}

// NOTE: the inputs are the arguments, then f's output computed from copies of them that no
// transform knows: the transforms reach the output through this entry only, so both modes use
// the rule for the arguments, while whatever f read from its closure (a variable, a watched
// tensor) is differentiated through f's own ops, which the last input carries.
const customJvpPrim: Primitive<Attrs> = {
  name: "customJvp",
  // The output is f's output entry, the last input, as it is.
  shape: (inputs) => inputs[inputs.length - 1],
  shortcut: (inputs) => detach(inputs[inputs.length - 1]),
  kernels: { cpu: (inputs, out) => out.data.set(inputs[inputs.length - 1].data) },
  alias: -1,
  jvp: (ts, inputs, _, { call, index }) => {
    const n = inputs.length - 1;
    const closure = ts[n];
    const dxs = ts.slice(0, n);
    if (dxs.every((t) => t === null)) return closure;
    const dy = ruleTangent(call, index, inputs.slice(0, n), dxs);
    return closure === null ? dy : add(dy, closure);
  },
  vjp: (ct, inputs, _, { call, index }, needs) => {
    noteUserCode();
    const n = inputs.length - 1;
    const dxs = needs.some((need, i) => need && i < n)
      ? transposeRule(call, index, inputs.slice(0, n), ct, needs)
      : new Array<Maybe>(n).fill(null);
    return [...dxs, needs[n] ? ct : null];
  },
  // Under vmap, a transform outside the map runs the rule mapped over the batch.
  batch: (self, inputs, axes, { call, index }, size) =>
    sameShapes(self, inputs, axes, { call: batchedCall(call, size), index }, size),
};

// `call` on a batch of `size` examples in front: the rule, written for one example, is mapped
// over them (so a rule with reductions or products stays per example), and its results carry
// the batch axis.
function batchedCall(call: Call, size: number): Call {
  return {
    ...call,
    rule: vmap(call.rule),
    outs: call.outs.map((y) => uniformTensor(0, [size, ...y.shape], y.dtype)),
  };
}

/**
 * Gives `f` a forward-mode rule of your own, as `jax.custom_jvp`: `rule(primals, tangents)`
 * returns `[primalOut, tangentOut]`. Forward mode (`ForwardAccumulator`, `jvp`, `jacfwd`) uses the
 * rule; reverse mode (`GradientTape`, `grad`, `vjp`, `jacrev`) uses its transpose, so a
 * numerically stable rule keeps both modes stable; derivatives of every order differentiate the
 * rule itself. Plain calls run `f` alone.
 *
 * `tangentOut` must be linear in `tangents` (the transpose is taken at zero tangents, so a
 * nonlinear rule such as clipping the tangent is seen by reverse mode as its slope at zero): that
 * is yours to keep, as in JAX. The rule gives the derivative with respect to the arguments; what
 * `f` reads from its closure (a variable, a tensor being differentiated) is differentiated through
 * `f`'s own ops. `f` returns a tensor, or an array or record of them; each argument is a tensor
 * or anything `constant` takes. `f` and the rule run more than once under transforms.
 *
 * @param f The function: tensors in, a tensor (or an array or record of them) out.
 * @param rule Its forward rule: primals and tangents in, `[primalOut, tangentOut]` out.
 * @returns The function with the rule attached.
 * @example A numerically stable log(1 + eˣ)
 * ```ts
 * import assert from "node:assert/strict";
 * import { add, customJvp, divide, exp, grad, jvp, log, multiply } from "@gradtape/gradtape";
 * import { subtract, type Tensor } from "@gradtape/gradtape";
 * const naive = (x: Tensor) => log(add(1, exp(x)));
 * const log1pexp = customJvp(naive, ([x], [t]) => [
 *   naive(x),
 *   multiply(subtract(1, divide(1, add(1, exp(x)))), t), // sigmoid(x)·t, finite for large x
 * ]);
 * assert.ok(Number.isNaN(grad(naive)(100).item())); // e¹⁰⁰ overflows float32: ∞/∞
 * assert.equal(grad(log1pexp)(100).item(), 1); // reverse mode: the rule's transpose
 * assert.equal(jvp(log1pexp, [100], [1])[1].item(), 1); // forward mode: the rule
 * ```
 */
export function customJvp<R extends Structure<Tensor>>(
  f: (...xs: Tensor[]) => R,
  rule: CustomJvpRule<NoInfer<R>>,
): (...args: TensorLike[]) => R {
  checkFunction("customJvp", "f", f);
  checkFunction("customJvp", "rule", rule);
  return (...args) => {
    const xs = args.map((a) => toTensor(a, { op: "customJvp" }));
    // With no transform to see it, the rule is not needed.
    if (!anyActive()) {
      const y = f(...xs);
      outputOf(y);
      return y;
    }
    const { def, outs, paths } = outputOf(f(...xs.map(detach)));
    const call: Call = { rule: rule as CustomJvpRule<unknown>, def, outs, paths };
    const ys = outs.map((y, index) => bind(customJvpPrim, [...xs, y], { call, index }));
    return unflatten(def, ys) as R;
  };
}

// What f returned, checked: a tensor, or an array or record of them.
function outputOf(out: unknown): { def: TreeDef; outs: Tensor[]; paths: string[] } {
  refuseAsync("customJvp", out, "f");
  const { leaves, paths, def } = flatten(out, "customJvp", "f's output");
  leaves.forEach((leaf, i) => {
    if (!(leaf instanceof Tensor)) {
      throw new TypeError(
        `customJvp: ${at("f's output", paths[i])} is a Variable; f must return tensors: ` +
          `return its value (v.value())`,
      );
    }
  });
  return { def, outs: leaves as Tensor[], paths };
}

// The same values as `x`, in a tensor no transform has seen.
function detach(x: Tensor): Tensor {
  // A mapped value inside vmap has no data to copy: the map keeps it, no transform sees through.
  if (tracedStorage(x) !== undefined) return stopGradient(x);
  const v = lazyFill(x);
  return v === undefined ? viewTensor(x, x.shape, x.dtype) : uniformTensor(v, x.shape, x.dtype);
}

/** The rule's tangent for output `index`, from the inputs' tangents (`null`: zero). */
function ruleTangent(call: Call, index: number, xs: Tensor[], dxs: readonly Maybe[]): Tensor {
  const k = dxs.findIndex((t) => t !== null);
  const t0 = dxs[k]!;
  const lead = t0.shape.slice(0, t0.rank - xs[k].rank);
  if (lead.length === 0) {
    return runRule(call, xs, dxs.map((t, i) => t ?? zerosLike(xs[i])))[index];
  }
  // Tangents with leading directions (jacfwd, hessian): the rule is written for one direction,
  // and may not broadcast over more (a matmul, a reduction), so each direction runs alone.
  const y = call.outs[index];
  const m = sizeOf(lead);
  if (m === 0) return fill([...lead, ...y.shape], 0, y.dtype);
  const parts = dxs.map((t, i) => t === null ? null : split(reshape(t, [m, ...xs[i].shape]), m));
  const zeros = xs.map((x, i) => parts[i] === null ? zerosLike(x) : null);
  const dys: Tensor[] = [];
  for (let j = 0; j < m; j++) {
    const ts = xs.map((x, i) => parts[i] === null ? zeros[i]! : reshape(parts[i]![j], x.shape));
    dys.push(runRule(call, xs, ts)[index]);
  }
  return reshape(stack(dys), [...lead, ...y.shape]);
}

/**
 * The cotangents of the inputs for `needs`, given output `index`'s: the transpose of the rule's
 * linear map t ↦ tangentOut, as the gradient of ⟨ct, tangentOut(t)⟩ with respect to t. The map
 * is linear, so any point will do: zeros. The rule runs through dispatch, so an outer transform
 * differentiates this too (second order).
 */
function transposeRule(
  call: Call,
  index: number,
  xs: Tensor[],
  ct: Tensor,
  needs: readonly boolean[],
): Maybe[] {
  const ts = xs.map((x) => zerosLike(x));
  const watched = ts.filter((_, i) => needs[i]);
  const tape = new GradientTape();
  const dy = tape.record(() => {
    tape.watch(watched);
    return runRule(call, xs, ts)[index];
  });
  const gs = tape.gradient(dy, watched, { outputGradients: ct });
  let w = 0;
  return xs.map((_, i) => needs[i] ? gs[w++] : null);
}

/** Runs the rule and checks what it returns; gives the tangent output's tensors. */
function runRule(call: Call, xs: Tensor[], ts: Tensor[]): Tensor[] {
  const r: unknown = call.rule([...xs], ts);
  if (!Array.isArray(r) || r.length !== 2) {
    refuseAsync("customJvp", r, "the rule");
    throw new TypeError(
      `customJvp: the rule must return [primalOut, tangentOut], not ${describeValue(r)}`,
    );
  }
  checkLike(call, r[0], "primal output");
  return checkLike(call, r[1], "tangent output");
}

// The tensors of the rule's `what`, which must match f's output in structure, shapes and dtypes.
function checkLike(call: Call, v: unknown, what: string): Tensor[] {
  const name = `the rule's ${what}`;
  const parts = flattenUpTo(call.def, v, "customJvp", "f's output", name);
  return parts.map((t, i) => {
    const y = call.outs[i], p = call.paths[i];
    if (t instanceof Tensor && sameShape(t.shape, y.shape) && t.dtype === y.dtype) return t;
    const got = t instanceof Tensor
      ? `has shape ${fmtShape(t.shape)} (${t.dtype})`
      : `is ${describeValue(t)}`;
    throw new (t instanceof Tensor ? Error : TypeError)(
      `customJvp: ${at(name, p)} ${got}, but ${at("f's output", p)} has shape ` +
        `${fmtShape(y.shape)} (${y.dtype}): they must match`,
    );
  });
}

// `f's output[1]`, `f's output.a`, or just `f's output` at the top.
function at(what: string, path: string): string {
  return path === "" ? what : path.startsWith("[") ? `${what}${path}` : `${what}.${path}`;
}
