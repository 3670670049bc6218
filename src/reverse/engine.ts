/**
 * The reverse-mode engine: records the ops that touch watched tensors, then walks them backwards
 * calling each primitive's VJP rule through dispatch, so that an outer transform can record (and
 * differentiate) the backward pass itself. It never looks at which op it records.
 */
import { type Maybe, type Primitive, type Transform, withPaused } from "../core/dispatch.ts";
import { isFloat, isPoolable } from "../core/dtype.ts";
import { currentScope, noteRecording, type Scope } from "../core/memory.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { Dense } from "../core/storage.ts";
import { annotate, annotation, denseOf, storageOf, type Tensor } from "../core/tensor.ts";
import { releasing } from "../core/tidy.ts";
import { currentValue, type Variable } from "../core/variable.ts";
import { addN } from "../ops/binary.ts";

interface Entry {
  prim: Primitive;
  inputs: readonly Tensor[];
  out: Tensor;
  attrs: unknown;
  /** The slot of each input tracked when the op ran, else -1. */
  slots: number[];
  /** Which inputs have a slot: the rule's `needs`. */
  needs: boolean[];
  /** The output's slot. */
  slot: number;
}

/** Why a source got no gradient, for `unconnectedGradients: "error"`. */
export type Disconnection =
  | { kind: "not-watched" }
  | { kind: "unused" }
  | { kind: "cut"; op: string };

/** One tape's recording and backward pass. */
export class ReverseEngine implements Transform {
  paused = 0;
  readonly scope: Scope | null = currentScope();
  readonly watchAccessedVariables: boolean;
  #entries: Entry[] = [];
  // Each tracked tensor's slot: the backward pass keeps cotangents in an array by slot.
  #tracked = new Slots();
  // Ops with no gradient that consumed a tracked tensor, and what depends on their outputs;
  // made on the first cut only, as are the variables' records, to keep a plain tape cheap.
  #cuts: Entry[] | null = null;
  #cutFrom: Map<Tensor, string> | null = null;
  // Every variable read (or watched) while recording: whether tape.watch named it, and the
  // tensors read from it while watched (null when read but not watched).
  #vars: Map<Variable, { explicit: boolean; reads: Tensor[] | null }> | null = null;
  // Whether an op recorded an output large enough for its buffer to be reused (see backward).
  #large = false;

  constructor(watchAccessedVariables: boolean) {
    this.watchAccessedVariables = watchAccessedVariables;
  }

  /** Starts tracking `t` (a no-op for non-float tensors, which carry no gradient). */
  watch(t: Tensor): void {
    noteRecording(this.scope);
    if (isFloat(t.dtype)) this.#track(t);
  }

  #track(t: Tensor): void {
    if (!this.#tracked.has(t)) this.#tracked.add(t);
  }

  /** Watches `v`: its current value now, and every later read while recording. */
  watchVariable(v: Variable): void {
    noteRecording(this.scope);
    this.#varInfo(v).explicit = true;
    this.#noteRead(v, currentValue(v));
  }

  /** The variables watched so far, in the order first seen. */
  watchedVariables(): Variable[] {
    const out: Variable[] = [];
    for (const [v, info] of this.#vars ?? []) if (info.reads !== null) out.push(v);
    return out;
  }

  /** Whether `v` was read while this tape recorded, watched or not. */
  wasRead(v: Variable): boolean {
    return this.#vars?.has(v) ?? false;
  }

  /** The tensors read from `v` while watched. */
  readsOf(v: Variable): readonly Tensor[] {
    return this.#vars?.get(v)?.reads ?? [];
  }

  #varInfo(v: Variable): { explicit: boolean; reads: Tensor[] | null } {
    const vars = this.#vars ??= new Map();
    let info = vars.get(v);
    if (info === undefined) vars.set(v, info = { explicit: false, reads: null });
    return info;
  }

  process(prim: Primitive, inputs: readonly Tensor[], out: Tensor, attrs: unknown): void {
    const tracked = this.#tracked;
    let first = -1;
    for (let i = 0; i < inputs.length; i++) {
      if (tracked.has(inputs[i])) {
        first = i;
        break;
      }
    }
    if (first < 0) {
      if (this.#cutFrom !== null) this.#followCut(this.#cutFrom, inputs, out);
      return;
    }
    const slots: number[] = [], needs: boolean[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const s = i < first ? -1 : tracked.get(inputs[i]);
      slots.push(s);
      needs.push(s >= 0);
    }
    const entry = { prim, inputs, out, attrs, slots, needs, slot: tracked.size };
    if (prim.vjp === null || !isFloat(out.dtype)) {
      (this.#cuts ??= []).push(entry);
      (this.#cutFrom ??= new Map()).set(
        out,
        prim.describe ? prim.describe(attrs as never) : prim.name,
      );
      return;
    }
    this.#entries.push(entry);
    tracked.add(out);
    if (!this.#large && out.rank > 0) this.#large = isPoolable(out.dtype, out.size);
  }

  #followCut(cutFrom: Map<Tensor, string>, inputs: readonly Tensor[], out: Tensor): void {
    for (const x of inputs) {
      const op = cutFrom.get(x);
      if (op !== undefined) {
        cutFrom.set(out, op);
        return;
      }
    }
  }

  onVariableRead(v: Variable, value: Tensor): void {
    const info = this.#varInfo(v);
    if (info.explicit || (this.watchAccessedVariables && v.trainable)) this.#noteRead(v, value);
  }

  #noteRead(v: Variable, value: Tensor): void {
    const info = this.#varInfo(v);
    const reads = info.reads ??= [];
    if (!isFloat(value.dtype)) return;
    // Saved beyond the innermost tidy: the variable must not give this value up for reuse.
    if (this.scope !== currentScope()) denseOf(value).shared = true;
    this.#track(value);
    if (!reads.includes(value)) reads.push(value);
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
    const tracked = this.#tracked;
    // Cotangents by slot; the seeds of targets that were never tracked stay to one side.
    const grads: Cotangent[] = new Array(tracked.size);
    const untracked = new Map<Tensor, Tensor>();
    for (const [t, g] of seeds) {
      const s = tracked.get(t);
      if (s < 0) untracked.set(t, g);
      else grads[s] = g;
    }
    const kept: boolean[] = [];
    for (const t of keep) {
      const s = tracked.get(t);
      if (s >= 0) kept[s] = true;
    }
    const out = new Map<Tensor, Tensor>();
    const run = () => {
      this.#walk(grads, kept);
      for (const t of keep) {
        const s = tracked.get(t);
        const g = s < 0 ? untracked.get(t) : settle(grads, s);
        if (g !== undefined) out.set(t, g);
      }
      return out;
    };
    const pass = () => (pauseLevel < 0 ? run() : withPaused(pauseLevel, run));
    if (!this.#large) return pass();
    // Nobody can reach the intermediates of a pass but through the cotangents it returns (unless
    // a transform records it or user code runs in it, and then `releasing` keeps them all): their
    // large buffers go back to the pool as it ends, and the next pass, a training loop's next
    // step, reuses them rather than faulting in fresh memory, with or without `tidy`.
    return releasing(pass, (grads) => grads.values());
  }

  #walk(grads: Cotangent[], kept: readonly boolean[]): void {
    const entries = this.#entries;
    const tracked = this.#tracked;
    // A snapshot of the count: a persistent tape recording its own pass appends to the same list.
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      const g = settle(grads, e.slot);
      if (g === undefined) continue;
      if (kept[e.slot] !== true) grads[e.slot] = undefined;
      const { inputs, slots, needs } = e;
      // An input watched only after the op ran still gets its gradient, as in TensorFlow.
      for (let j = 0; j < slots.length; j++) {
        if (slots[j] < 0) needs[j] = (slots[j] = tracked.get(inputs[j])) >= 0;
      }
      const dxs = e.prim.vjp!(g, inputs, e.out, e.attrs as never, needs);
      for (let j = 0; j < inputs.length; j++) {
        const dx = dxs[j];
        if (!needs[j] || dx === null || dx === undefined) continue;
        checkCotangent(e.prim.name, j, inputs[j], dx);
        accumulate(grads, slots[j], dx);
      }
    }
  }

  /** Why `source` (a tracked tensor, or one never watched) got no gradient from `targets`. */
  explain(sources: readonly Tensor[], targets: readonly Tensor[]): Disconnection {
    if (!sources.some((s) => this.#tracked.has(s))) return { kind: "not-watched" };
    for (const t of targets) {
      const op = this.#cutFrom?.get(t);
      if (op !== undefined && this.#reachesCut(sources)) return { kind: "cut", op };
    }
    return { kind: "unused" };
  }

  #reachesCut(sources: readonly Tensor[]): boolean {
    const reached = new Set(sources);
    for (const e of this.#entries) if (e.inputs.some((x) => reached.has(x))) reached.add(e.out);
    return (this.#cuts ?? []).some((c) => c.inputs.some((x) => reached.has(x)));
  }

  /**
   * Exempts every tensor the recording holds from the `tidy` scopes open now, so that a backward
   * pass can run after they close (a `vjp` function that outlives the scope that made it), with
   * the `extra` tensors it needs besides.
   */
  retain(extra: readonly Tensor[] = []): void {
    for (const t of extra) retainTensor(t);
    for (const e of this.#entries) {
      for (const x of e.inputs) retainTensor(x);
      retainTensor(e.out);
    }
  }

  /** Drops everything recorded, keeping the settings. */
  clear(): void {
    this.#entries = [];
    this.#tracked = new Slots();
    this.#cuts = null;
    this.#cutFrom = null;
    this.#vars = null;
    this.#large = false;
  }
}

// Kept from the scopes, and never given up for reuse by a variable whose value it was.
function retainTensor(t: Tensor): void {
  const s = storageOf(t);
  if (!(s instanceof Dense) || s.data === null) return;
  s.kept = true;
  s.shared = true;
}

/** The tracked tensors of one recording, numbered in the order first seen. */
class Slots {
  size = 0;
  // Names this recording in the tensors' annotation (see `annotation` in tensor.ts); a tensor
  // another recording claimed first goes in `others` (nested tapes over the same values).
  readonly #id = {};
  #others: Map<Tensor, number> | null = null;

  get(t: Tensor): number {
    const s = annotation(t, this.#id);
    return s >= 0 ? s : this.#others?.get(t) ?? -1;
  }

  has(t: Tensor): boolean {
    return this.get(t) >= 0;
  }

  /** Gives `t` the next slot (it must not have one yet). */
  add(t: Tensor): void {
    const slot = this.size++;
    if (!annotate(t, this.#id, slot)) (this.#others ??= new Map()).set(t, slot);
  }
}

/**
 * A slot's cotangent: none yet, one, or the several a tensor feeding several ops gets, waiting to
 * be summed by one `addN` when the tensor's cotangent is read (all have arrived by then: its
 * entry comes before its consumers'). One pass over each, where chained adds would make and
 * read back a partial sum per extra consumer; TensorFlow's AddN does the same.
 */
type Cotangent = Tensor | Tensor[] | undefined;

function accumulate(grads: Cotangent[], slot: number, dx: Tensor): void {
  const prev = grads[slot];
  if (prev === undefined) grads[slot] = dx;
  else if (Array.isArray(prev)) prev.push(dx);
  else grads[slot] = [prev, dx];
}

/** The slot's cotangent, its contributions summed (the sum stays in the slot). */
function settle(grads: Cotangent[], slot: number): Tensor | undefined {
  const g = grads[slot];
  if (!Array.isArray(g)) return g;
  return grads[slot] = addN(g);
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
