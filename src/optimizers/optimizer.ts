/**
 * What the optimizers share: checking their hyperparameters and gradient/variable pairs, and
 * per-variable state.
 */
import { checkFinite, describeValue } from "../core/check.ts";
import { allocateUninit, isFloat, type TypedArray } from "../core/dtype.ts";
import { fmtShape, sameShape, sizeOf } from "../core/shape.ts";
import { dataOf, dataOrNull, lazyFill, Tensor, tracedStorage } from "../core/tensor.ts";
import { currentValue, replaceOwned, Variable } from "../core/variable.ts";

const RANGES = {
  "non-negative": (x: number) => x >= 0,
  "in [0, 1]": (x: number) => x >= 0 && x <= 1,
  "in [0, 1)": (x: number) => x >= 0 && x < 1,
};

/** Checks that hyperparameter `name` of `op` is a finite number in `range`, and returns it. */
export function checkHyperparameter(
  op: string,
  name: string,
  v: unknown,
  range: keyof typeof RANGES,
): number {
  checkFinite(op, name, v);
  if (!RANGES[range](v)) throw new RangeError(`${op}: ${name} must be ${range}, not ${v}`);
  return v;
}

const FORM = "applyGradients([[gradW, w], [gradB, b]])";

/**
 * Checks every pair before any variable changes, so a refused call leaves every variable, every
 * slot and the step count as they were. Returns the pairs whose gradient is not `null`.
 */
export function checkPairs(op: string, pairs: unknown): [Tensor, Variable][] {
  if (!Array.isArray(pairs)) {
    throw new TypeError(
      `${op}: takes an array of [gradient, variable] pairs, as ${FORM}, ` +
        `not ${describeValue(pairs)}`,
    );
  }
  // Keras's `apply_gradients(zip(grads, vars))` written as one pair without its array.
  if (
    pairs.length === 2 && (pairs[0] === null || pairs[0] instanceof Tensor) &&
    pairs[1] instanceof Variable
  ) {
    throw new TypeError(
      `${op}: takes an array of [gradient, variable] pairs, not one pair: ` +
        `write applyGradients([[gradient, variable]])`,
    );
  }
  const out: [Tensor, Variable][] = [];
  for (let i = 0; i < pairs.length; i++) {
    const pair: unknown = pairs[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError(
        `${op}: pair ${i} is ${describeValue(pair)}, not a [gradient, variable] array: ` +
          `it takes an array of pairs, as ${FORM}`,
      );
    }
    const [g, v] = pair;
    if (g instanceof Variable && v instanceof Tensor) {
      throw new TypeError(
        `${op}: pair ${i} is [variable, gradient]: write each pair as [gradient, variable], ` +
          `as Keras's apply_gradients takes them`,
      );
    }
    if (!(v instanceof Variable)) {
      throw new TypeError(
        `${op}: pair ${i}: the second element must be a Variable, not ${describeValue(v)}: ` +
          `an optimizer updates variables (new Variable(initial))`,
      );
    }
    if (g === null) continue;
    if (!(g instanceof Tensor)) {
      throw new TypeError(
        `${op}: pair ${i}: the gradient of variable '${v.name}' must be a Tensor or null, ` +
          `not ${describeValue(g)}`,
      );
    }
    // A tensor that a tidy() released has neither data nor a fill value (nor is it traced).
    if (dataOrNull(g) === null && lazyFill(g) === undefined && tracedStorage(g) === undefined) {
      throw new Error(
        `${op}: pair ${i}: the gradient of variable '${v.name}' was released when the tidy() ` +
          `that made it ended: apply it inside that tidy, or keep(gradient) it`,
      );
    }
    if (!isFloat(v.dtype)) {
      throw new TypeError(
        `${op}: pair ${i}: variable '${v.name}' has dtype ${v.dtype}, not a float type`,
      );
    }
    if (!sameShape(g.shape, v.shape) || g.dtype !== v.dtype) {
      throw new Error(
        `${op}: pair ${i}: the gradient has shape ${fmtShape(g.shape)} and dtype ${g.dtype}, but ` +
          `variable '${v.name}' has shape ${fmtShape(v.shape)} and dtype ${v.dtype}`,
      );
    }
    out.push([g, v]);
  }
  return out;
}

/**
 * An optimizer's state for each variable: float64 variables of its shape (not watched by tapes),
 * made on first use. State in variables is what lets `jit` compile a training step: a jitted
 * call reads them as inputs and assigns them as outputs.
 */
export class Slots {
  #slots = new WeakMap<Variable, Variable[]>();
  readonly #count: number;

  constructor(count: number) {
    this.#count = count;
  }

  /** The slots of `v`. */
  of(v: Variable): Variable[] {
    let s = this.#slots.get(v);
    if (s === undefined) {
      s = Array.from({ length: this.#count }, () => counter(v.shape));
      this.#slots.set(v, s);
    }
    return s;
  }
}

/** A float64 variable of zeros of `shape`, not watched by tapes (optimizers' state). */
export function counter(shape: readonly number[] = []): Variable {
  return new Variable(new Tensor(new Float64Array(sizeOf(shape)), shape, "float64"), {
    trainable: false,
  });
}

/** The values of a state variable, to update in place in eager mode (it is never shared). */
export function stateOf(v: Variable): Float64Array {
  return dataOf(currentValue(v)) as Float64Array;
}

/**
 * Whether the update runs inside `jit`'s trace, where gradients or variables have no values:
 * then the optimizers update with ops (which the trace records) rather than loops.
 */
export function tracing(pairs: readonly [Tensor, Variable][]): boolean {
  return pairs.some(([g, v]) =>
    tracedStorage(g) !== undefined || tracedStorage(currentValue(v)) !== undefined
  );
}

/**
 * Gives `v` a new value computed by `step(w, g, out)` from its current values `w` and the
 * gradient's `g`, written into `out` (of the variable's dtype): no float64 copies of the
 * operands, since a model's weights are large.
 */
export function update(
  v: Variable,
  g: Tensor,
  step: (w: TypedArray, g: TypedArray, out: TypedArray) => void,
): void {
  const cur = currentValue(v);
  const out = allocateUninit(cur.dtype, cur.size);
  step(dataOf(cur), dataOf(g), out);
  replaceOwned(v, new Tensor(out, cur.shape, cur.dtype));
}
