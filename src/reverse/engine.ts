/**
 * The reverse-mode engine: records the ops that touch watched tensors, then walks them backwards
 * calling each primitive's VJP rule through dispatch, so that an outer transform can record (and
 * differentiate) the backward pass itself. It never looks at which op it records.
 */
import { type Maybe, type Primitive, type Transform, withPaused } from "../core/dispatch.ts";
import { isFloat } from "../core/dtype.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import { add } from "../ops/binary.ts";

interface Entry {
  prim: Primitive;
  inputs: readonly Tensor[];
  out: Tensor;
  attrs: unknown;
}

/** Why a source got no gradient, for `unconnectedGradients: "error"`. */
export type Disconnection =
  | { kind: "not-watched" }
  | { kind: "unused" }
  | { kind: "cut"; op: string };

/** One tape's recording and backward pass. */
export class ReverseEngine implements Transform {
  paused = 0;
  readonly watchAccessedVariables: boolean;
  #entries: Entry[] = [];
  #tracked = new Set<Tensor>();
  // Ops with no gradient that consumed a tracked tensor, and what depends on their outputs.
  #cuts: Entry[] = [];
  #cutFrom = new Map<Tensor, string>();
  #explicitVars = new Set<Variable>();
  #watchedVars = new Set<Variable>();
  #reads = new Map<Variable, Tensor[]>();
  // Every variable read while recording, watched or not, to explain a missing gradient.
  #seen = new WeakSet<Variable>();

  constructor(watchAccessedVariables: boolean) {
    this.watchAccessedVariables = watchAccessedVariables;
  }

  /** Starts tracking `t` (a no-op for non-float tensors, which carry no gradient). */
  watch(t: Tensor): void {
    if (isFloat(t.dtype)) this.#tracked.add(t);
  }

  /** Watches `v`: its current value now, and every later read while recording. */
  watchVariable(v: Variable): void {
    this.#explicitVars.add(v);
    this.#noteRead(v, v.peek());
  }

  /** The variables watched so far, in the order first watched. */
  watchedVariables(): Variable[] {
    return [...this.#watchedVars];
  }

  /** Whether `t` is watched directly or computed from a watched tensor. */
  isTracked(t: Tensor): boolean {
    return this.#tracked.has(t);
  }

  /** Whether `v` was read while this tape recorded, watched or not. */
  wasRead(v: Variable): boolean {
    return this.#seen.has(v);
  }

  /** The tensors read from `v` while watched. */
  readsOf(v: Variable): readonly Tensor[] {
    return this.#reads.get(v) ?? [];
  }

  process(prim: Primitive, inputs: readonly Tensor[], out: Tensor, attrs: unknown): void {
    const tracked = this.#tracked;
    let touched = false;
    for (let i = 0; i < inputs.length; i++) {
      if (tracked.has(inputs[i])) {
        touched = true;
        break;
      }
    }
    if (!touched) {
      if (this.#cutFrom.size > 0) this.#followCut(inputs, out);
      return;
    }
    const entry = { prim, inputs, out, attrs };
    if (prim.vjp === null || !isFloat(out.dtype)) {
      this.#cuts.push(entry);
      this.#cutFrom.set(out, prim.describe ? prim.describe(attrs as never) : prim.name);
      return;
    }
    this.#entries.push(entry);
    tracked.add(out);
  }

  #followCut(inputs: readonly Tensor[], out: Tensor): void {
    for (const x of inputs) {
      const op = this.#cutFrom.get(x);
      if (op !== undefined) {
        this.#cutFrom.set(out, op);
        return;
      }
    }
  }

  onVariableRead(v: Variable, value: Tensor): void {
    this.#seen.add(v);
    if (this.#explicitVars.has(v) || (this.watchAccessedVariables && v.trainable)) {
      this.#noteRead(v, value);
    }
  }

  #noteRead(v: Variable, value: Tensor): void {
    this.#watchedVars.add(v);
    if (!isFloat(value.dtype)) return;
    this.#tracked.add(value);
    const reads = this.#reads.get(v);
    if (reads === undefined) this.#reads.set(v, [value]);
    else if (!reads.includes(value)) reads.push(value);
  }

  /**
   * Runs the backward pass from `seeds` (cotangents of the targets), with the transforms from
   * `pauseLevel` up paused. Returns the cotangent of every tracked tensor reached.
   */
  backward(
    seeds: Map<Tensor, Tensor>,
    keep: ReadonlySet<Tensor>,
    pauseLevel: number,
  ): Map<Tensor, Tensor> {
    const grads = new Map(seeds);
    const entries = this.#entries;
    // A snapshot of the count: a persistent tape recording its own pass appends to the same list.
    const n = entries.length;
    withPaused(pauseLevel, () => {
      for (let i = n - 1; i >= 0; i--) {
        const e = entries[i];
        const g = grads.get(e.out);
        if (g === undefined) continue;
        if (!keep.has(e.out)) grads.delete(e.out);
        const needs = e.inputs.map((x) => this.#tracked.has(x));
        const dxs = e.prim.vjp!(g, e.inputs, e.out, e.attrs as never, needs);
        for (let j = 0; j < e.inputs.length; j++) {
          const dx = dxs[j];
          if (!needs[j] || dx === null || dx === undefined) continue;
          const x = e.inputs[j];
          checkCotangent(e.prim.name, j, x, dx);
          const prev = grads.get(x);
          grads.set(x, prev === undefined ? dx : add(prev, dx));
        }
      }
    });
    return grads;
  }

  /** Why `source` (a tracked tensor, or one never watched) got no gradient from `targets`. */
  explain(sources: readonly Tensor[], targets: readonly Tensor[]): Disconnection {
    if (!sources.some((s) => this.#tracked.has(s))) return { kind: "not-watched" };
    for (const t of targets) {
      const op = this.#cutFrom.get(t);
      if (op !== undefined && this.#reachesCut(sources)) return { kind: "cut", op };
    }
    return { kind: "unused" };
  }

  #reachesCut(sources: readonly Tensor[]): boolean {
    const reached = new Set(sources);
    for (const e of this.#entries) if (e.inputs.some((x) => reached.has(x))) reached.add(e.out);
    return this.#cuts.some((c) => c.inputs.some((x) => reached.has(x)));
  }

  /** Drops everything recorded, keeping the settings. */
  clear(): void {
    this.#entries = [];
    this.#tracked = new Set();
    this.#cuts = [];
    this.#cutFrom = new Map();
    this.#explicitVars = new Set();
    this.#watchedVars = new Set();
    this.#reads = new Map();
    this.#seen = new WeakSet();
  }
}

function checkCotangent(op: string, j: number, x: Tensor, dx: Maybe): void {
  if (dx === null) return;
  if (!sameShape(dx.shape, x.shape) || dx.dtype !== x.dtype) {
    throw new Error(
      `gradtape internal error: the gradient rule of ${op} gave input ${j} a cotangent of shape ` +
        `${fmtShape(dx.shape)} and dtype ${dx.dtype}, but the input has shape ${
          fmtShape(x.shape)
        } ` +
        `and dtype ${x.dtype}; please report this`,
    );
  }
}
