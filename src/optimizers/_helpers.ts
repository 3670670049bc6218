/**
 * The optimizers' own helpers: checks of hyperparameters and of gradient pairs, and state
 * variables. Internal: not re-exported by `optimizers`.
 */
import { checkFinite, describeValue } from "../core/check.ts";
import { isFloat } from "../core/dtype.ts";
import { fmtShape, sameShape, sizeOf } from "../core/shape.ts";
import { dataOf, dataOrNull, lazyFill, Tensor, tracedStorage } from "../core/tensor.ts";
import { assignRefusal, currentValue, Variable } from "../core/variable.ts";

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
    // Checked here, with the others: found at its assignment, it would leave the variables
    // before it updated and those after it not.
    const refusal = assignRefusal(g);
    if (refusal !== undefined) {
      throw new TypeError(
        `${op}: pair ${i}: the gradient of variable '${v.name}' is ${refusal}, whose values no ` +
          `variable can take: apply gradients outside vmap (reduce per-example gradients over ` +
          `the batch first, e.g. with reduceMean)`,
      );
    }
    out.push([g, v]);
  }
  return out;
}

/**
 * A float64 variable of `shape` filled with `initial`, not watched by tapes (optimizers' state).
 * Its value is made here, whole: a variable made while `jit` traces takes it as it is.
 */
export function counter(shape: readonly number[] = [], initial = 0): Variable {
  const data = new Float64Array(sizeOf(shape));
  if (initial !== 0) data.fill(initial);
  return new Variable(new Tensor(data, shape, "float64"), { trainable: false });
}

/** The values of a state variable, read in eager mode. */
export function stateOf(v: Variable): Float64Array {
  return dataOf(currentValue(v)) as Float64Array;
}

/**
 * Makes the settings `names` of `obj` read-only, as TypeScript's `readonly` says they are: they
 * were checked at construction, and plain JavaScript could otherwise reassign them unchecked (a
 * `clipNorm` of -1 turned gradients around), or to no effect on a step already compiled. Arrays
 * among them are frozen too.
 */
export function fixSettings(obj: object, names: readonly string[]): void {
  for (const name of names) {
    const value = (obj as Record<string, unknown>)[name];
    if (Array.isArray(value)) Object.freeze(value);
    Object.defineProperty(obj, name, { writable: false });
  }
}
