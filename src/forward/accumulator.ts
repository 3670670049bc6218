/** `ForwardAccumulator`: TensorFlow's `tf.autodiff.ForwardAccumulator`, with `record(fn)`. */
import { checkFunction, checkOneOf, checkOptions, describeValue } from "../core/check.ts";
import { withTransform } from "../core/dispatch.ts";
import { isFloat } from "../core/dtype.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { flatten, leafName, type MapLeaves, type Structure, unflatten } from "../core/structure.ts";
import { Tensor, type TensorLike } from "../core/tensor.ts";
import { currentValue, Variable } from "../core/variable.ts";
import { toTensor } from "../core/convert.ts";
import { zerosLike } from "../ops/creation.ts";
import { ForwardEngine } from "./engine.ts";
import { refuseAsync, type UnconnectedGradients } from "../tape/gradient_tape.ts";

/** Options of `ForwardAccumulator.jvp`. */
export interface JvpOptions {
  /** `"none"` (default): `null` for a target with no tangent; `"zero"`: zeros; `"error"`: throw. */
  unconnectedGradients?: UnconnectedGradients;
}

/** The primals an accumulator takes: one tensor or variable, or an array of them. */
export type Primals = Tensor | Variable | readonly (Tensor | Variable)[];

/** Tangents matching `Primals`: one per primal, of its shape. */
export type Tangents = TensorLike | readonly TensorLike[];

/**
 * Forward-mode differentiation by dual numbers: every op run inside `record` carries the
 * directional derivative of its output along `tangents`.
 *
 * @example The directional derivative of x³ at 2 along 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, ForwardAccumulator } from "@gradtape/gradtape";
 * const x = constant(2);
 * const acc = new ForwardAccumulator(x, constant(1));
 * const y = acc.record(() => x.pow(3));
 * assert.equal(acc.jvp(y)?.item(), 12); // 3x²
 * ```
 */
export class ForwardAccumulator {
  #engine = new ForwardEngine();
  #recording = false;

  /**
   * Starts an accumulator whose primals have the given tangents.
   *
   * @param primals A tensor or variable, or an array of them.
   * @param tangents Of the same structure, each of its primal's shape and dtype.
   */
  constructor(primals: Primals, tangents: Tangents) {
    const [ps, ts] = checkTangents("ForwardAccumulator", primals, tangents);
    ps.forEach((p, i) => {
      if (p instanceof Variable) this.#engine.seedVariable(p, ts[i]);
      else this.#engine.seed(p, ts[i]);
    });
  }

  /**
   * Runs `fn` with tangents flowing through every op; returns what `fn` returns.
   *
   * @param fn The computation.
   * @returns `fn`'s result.
   * @example Recording
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, ForwardAccumulator, sin } from "@gradtape/gradtape";
   * const x = constant(0);
   * const acc = new ForwardAccumulator(x, constant(1));
   * const y = acc.record(() => sin(x));
   * assert.equal(acc.jvp(y)?.item(), 1); // cos(0)
   * ```
   */
  record<T>(fn: () => T): T {
    checkFunction("ForwardAccumulator.record", "fn", fn);
    if (this.#recording) return refuseAsync("ForwardAccumulator.record", fn());
    this.#recording = true;
    try {
      return refuseAsync("ForwardAccumulator.record", withTransform(this.#engine, fn));
    } finally {
      this.#recording = false;
    }
  }

  /**
   * The directional derivative of `target` along the tangents: a tensor of `target`'s shape,
   * or `null` when `target` does not depend on the primals. `target` may be an array or record;
   * the result has the same structure.
   *
   * @param target What to differentiate.
   * @param options `unconnectedGradients`.
   * @returns The tangents, shaped like `target`.
   * @example Two primals at once
   * ```ts
   * import assert from "node:assert/strict";
   * import { constant, ForwardAccumulator, multiply } from "@gradtape/gradtape";
   * const a = constant(2), b = constant(3);
   * const acc = new ForwardAccumulator([a, b], [constant(1), constant(0)]);
   * const y = acc.record(() => multiply(a, b));
   * assert.equal(acc.jvp(y)?.item(), 3); // ∂(ab)/∂a = b
   * ```
   */
  jvp<const S extends Structure<Tensor | Variable>>(
    target: S,
    options: JvpOptions = {},
  ): MapLeaves<S, Tensor | null> {
    const op = "ForwardAccumulator.jvp";
    checkOptions(op, options, ["unconnectedGradients"]);
    const mode = options.unconnectedGradients ?? "none";
    checkOneOf(op, "unconnectedGradients", mode, ["none", "zero", "error"]);
    const { leaves, paths, def } = flatten(target, op, "target");
    const out = leaves.map((leaf, i) => {
      const t = leaf instanceof Variable
        ? this.#engine.tangentOfVariable(leaf)
        : this.#engine.tangentOf(leaf);
      if (t !== null || mode === "none") return t;
      const value = leaf instanceof Variable ? currentValue(leaf) : leaf;
      if (mode === "zero") return zerosLike(value);
      throw new Error(
        `ForwardAccumulator.jvp: ${
          leafName(leaf, paths[i], "target")
        } has no tangent: it was not computed ` +
          `from the primals inside record, or the path was cut by an op with no gradient`,
      );
    });
    return unflatten(def, out) as MapLeaves<S, Tensor | null>;
  }
}

/**
 * Checks primals (a tensor or variable, or an array of them) and their tangents (one per primal,
 * of its shape and dtype), all before anything is seeded, so that a refused call leaves nothing
 * behind. Returns both as arrays, the tangents as tensors. Internal: `jvp` checks as itself.
 */
export function checkTangents(
  op: string,
  primals: unknown,
  tangents: unknown,
): [(Tensor | Variable)[], Tensor[]] {
  const multi = Array.isArray(primals);
  if (!multi && !(primals instanceof Tensor || primals instanceof Variable)) {
    throw new TypeError(
      `${op}: primals must be a Tensor or Variable, or an array of them, not ` +
        describeValue(primals),
    );
  }
  const ps = multi ? [...primals] : [primals];
  if (tangents === undefined) {
    throw new TypeError(`${op}: tangents are missing: give one tangent per primal, of its shape`);
  }
  if (multi && (!Array.isArray(tangents) || tangents.length !== ps.length)) {
    const got = Array.isArray(tangents) ? `${tangents.length} tangents` : "a single tangent";
    throw new Error(
      `${op}: ${ps.length} primals but ${got}: give an array with one tangent per primal`,
    );
  }
  const ts: readonly unknown[] = multi ? tangents as unknown[] : [tangents];
  const checked = ps.map((p, i) => {
    if (!(p instanceof Tensor || p instanceof Variable)) {
      throw new TypeError(`${op}: primal ${i} is ${describeValue(p)}, not a Tensor or Variable`);
    }
    if (!isFloat(p.dtype)) {
      throw new TypeError(
        `${op}: primal ${i} has dtype ${p.dtype}; only float32 and float64 carry tangents`,
      );
    }
    const t = toTensor(ts[i] as TensorLike, { dtype: p.dtype, op });
    if (!sameShape(t.shape, p.shape) || t.dtype !== p.dtype) {
      throw new Error(
        `${op}: tangent ${i} has shape ${fmtShape(t.shape)} and dtype ${t.dtype}, ` +
          `but its primal has shape ${fmtShape(p.shape)} and dtype ${p.dtype}: they must match`,
      );
    }
    return t;
  });
  return [ps, checked];
}
