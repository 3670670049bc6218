/**
 * The forward-mode engine: dual numbers. Each live value it knows carries a tangent, and every
 * op pushes tangents through its primitive's JVP rule as it runs: no tape, no second pass. The
 * rule runs through dispatch with this engine and the ones above it paused, so outer transforms
 * see (and differentiate) the tangent computation while this one never differentiates its own.
 */
import {
  levelOf,
  type Maybe,
  type Primitive,
  type Transform,
  withPaused,
} from "../core/dispatch.ts";
import { isFloat } from "../core/dtype.ts";
import { currentScope, noteRecording, type Scope } from "../core/memory.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import type { Tensor } from "../core/tensor.ts";
import { currentValue, type Variable } from "../core/variable.ts";

/** One accumulator's tangents. */
export class ForwardEngine implements Transform {
  paused = 0;
  readonly scope: Scope | null = currentScope();
  /**
   * Leading dimensions every tangent carries before its primal's shape: `[n]` pushes n
   * directions through one pass (the rules are written for any leading dimensions).
   */
  readonly batch: readonly number[];
  #tangents = new Map<Tensor, Tensor>();
  #variableTangents = new Map<Variable, Tensor>();

  constructor(batch: readonly number[] = []) {
    this.batch = batch;
  }

  /** Gives `t` the tangent `dt`. */
  seed(t: Tensor, dt: Tensor): void {
    noteRecording(this.scope);
    this.#tangents.set(t, dt);
  }

  /** Gives every read of `v` the tangent `dt`. */
  seedVariable(v: Variable, dt: Tensor): void {
    noteRecording(this.scope);
    this.#variableTangents.set(v, dt);
    this.#tangents.set(currentValue(v), dt);
  }

  /** The tangent of `t`, or null when it has none (zero). */
  tangentOf(t: Tensor): Maybe {
    return this.#tangents.get(t) ?? null;
  }

  /** The tangent of `v`'s reads, or null. */
  tangentOfVariable(v: Variable): Maybe {
    return this.#variableTangents.get(v) ?? null;
  }

  process(prim: Primitive, inputs: readonly Tensor[], out: Tensor, attrs: unknown): void {
    if (prim.jvp === null || !isFloat(out.dtype)) return;
    const tangents = this.#tangents;
    let any = false;
    const ts = inputs.map((x) => {
      const t = tangents.get(x);
      if (t === undefined) return null;
      any = true;
      return t;
    });
    if (!any) return;
    const jvp = prim.jvp;
    const dt = withPaused(levelOf(this), () => jvp(ts, inputs, out, attrs as never));
    if (dt === null) return;
    if (!sameShape(dt.shape, [...this.batch, ...out.shape]) || dt.dtype !== out.dtype) {
      throw new Error(
        `gradtape internal error: the forward rule of ${prim.name} gave a tangent of shape ` +
          `${fmtShape(dt.shape)} and dtype ${dt.dtype} for an output of shape ` +
          `${fmtShape(out.shape)} and dtype ${out.dtype} (batch ${
            fmtShape(this.batch)
          }); please report this`,
      );
    }
    tangents.set(out, dt);
  }

  onVariableRead(v: Variable, value: Tensor): void {
    const dt = this.#variableTangents.get(v);
    if (dt !== undefined) this.#tangents.set(value, dt);
  }

  /** Forgets every tangent. */
  clear(): void {
    this.#tangents = new Map();
    this.#variableTangents = new Map();
  }
}
