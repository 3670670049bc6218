/** What the optimizers share: checking gradient/variable pairs and per-variable state. */
import { allocateUninit, isFloat, type TypedArray } from "../core/dtype.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { dataOf, Tensor } from "../core/tensor.ts";
import { currentValue, replaceOwned, type Variable } from "../core/variable.ts";

/** A gradient and the variable it updates, as Keras's `apply_gradients` takes them. */
export type GradientPair = readonly [Tensor | null, Variable];

/** Checks every pair before any variable changes, so a bad pair leaves all of them as they were. */
export function checkPairs(op: string, pairs: readonly GradientPair[]): void {
  pairs.forEach(([g, v], i) => {
    if (g === null) return;
    if (!(g instanceof Tensor)) {
      throw new TypeError(`${op}: pair ${i}: the gradient is not a Tensor`);
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
  });
}

/** Float64 slots of a variable's size, one set per variable, made on first use. */
export class Slots {
  #slots = new WeakMap<Variable, Float64Array[]>();
  readonly #count: number;

  constructor(count: number) {
    this.#count = count;
  }

  /** The slots of `v`. */
  of(v: Variable): Float64Array[] {
    let s = this.#slots.get(v);
    if (s === undefined) {
      s = Array.from({ length: this.#count }, () => new Float64Array(v.size));
      this.#slots.set(v, s);
    }
    return s;
  }
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
