/**
 * The one dispatch point every op goes through, and the stack of active transforms.
 *
 * Rules (see DESIGN.md): each transform gets a level when it starts recording (its place in the
 * stack); dispatch visits active transforms outermost first; while a transform runs its own
 * rule, it and every transform above it are paused.
 */
import type { Tensor } from "./tensor.ts";
import type { Variable } from "./variable.ts";
import { noteRecording, type Scope } from "./memory.ts";
import { AllocationError } from "./dtype.ts";
import { fmtShape } from "./shape.ts";

/** A tangent or cotangent that may be absent: `null` means zero, or "no gradient". */
export type Maybe = Tensor | null;

/** One primitive: its kernel and its two derivative rules, written in differentiable ops. */
export interface Primitive<A = unknown> {
  readonly name: string;
  /** Computes the output from the inputs' values; never dispatches. */
  kernel(inputs: readonly Tensor[], attrs: A): Tensor;
  /** Forward rule: the output's tangent from the inputs' tangents (`null` = zero). `null`: no gradient. */
  readonly jvp:
    | ((tangents: readonly Maybe[], inputs: readonly Tensor[], out: Tensor, attrs: A) => Maybe)
    | null;
  /** Reverse rule: each input's cotangent from the output's (`null` = zero). `null`: no gradient. */
  readonly vjp:
    | ((
      ct: Tensor,
      inputs: readonly Tensor[],
      out: Tensor,
      attrs: A,
      needs: readonly boolean[],
    ) => readonly Maybe[])
    | null;
  /** Describes one application for messages, e.g. `cast (to int32)`. */
  describe?(attrs: A): string;
}

/** What the engines implement to see ops as they run. */
export interface Transform {
  /** How many `pause` calls are in force on this transform. */
  paused: number;
  /** The `tidy` scope it was made in (null: none): it may save tensors of the scopes inside. */
  readonly scope: Scope | null;
  /** Sees one op after its output is computed. */
  process(prim: Primitive, inputs: readonly Tensor[], out: Tensor, attrs: unknown): void;
  /** Sees a variable being read inside an op, with the tensor that stands for its value. */
  onVariableRead(variable: Variable, value: Tensor): void;
}

const stack: Transform[] = [];

/** Applies `prim` to `inputs`: computes, then lets every active transform see it, outermost first. */
export function bind<A>(prim: Primitive<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  let out: Tensor;
  try {
    out = prim.kernel(inputs, attrs);
  } catch (e) {
    throw e instanceof AllocationError ? tooLarge(prim, inputs, attrs, e) : e;
  }
  for (let i = 0; i < stack.length; i++) {
    const t = stack[i];
    if (t.paused === 0) {
      t.process(prim as Primitive, inputs, out, attrs);
      noteRecording(t.scope);
    }
  }
  return out;
}

// The allocator knows only the element count; the op and its inputs are known here.
function tooLarge<A>(
  prim: Primitive<A>,
  inputs: readonly Tensor[],
  attrs: A,
  e: AllocationError,
): RangeError {
  const shapes = inputs.map((t) => fmtShape(t.shape));
  return new RangeError(
    `${prim.describe?.(attrs) ?? prim.name}: ${e.message}, from inputs of shape ` +
      `${shapes.join(" and ")}: use smaller inputs`,
    { cause: e },
  );
}

/** Tells the active transforms that `variable` was read as `value`. */
export function notifyVariableRead(variable: Variable, value: Tensor): void {
  for (let i = 0; i < stack.length; i++) {
    const t = stack[i];
    if (t.paused === 0) {
      t.onVariableRead(variable, value);
      noteRecording(t.scope);
    }
  }
}

/** Whether any transform is active (lets callers skip work nobody will see). */
export function anyActive(): boolean {
  for (let i = 0; i < stack.length; i++) if (stack[i].paused === 0) return true;
  return false;
}

/** The level of `t` while it records, or -1. */
export function levelOf(t: Transform): number {
  return stack.indexOf(t);
}

/** Runs `fn` with `t` recording at the top of the stack. */
export function withTransform<T>(t: Transform, fn: () => T): T {
  stack.push(t);
  try {
    return fn();
  } finally {
    removeTransform(t);
  }
}

/** Takes `t` off the stack early (a tape that stops recording inside its own `record`). */
export function removeTransform(t: Transform): void {
  if (stack[stack.length - 1] === t) stack.pop();
  else {
    const i = stack.lastIndexOf(t);
    if (i >= 0) stack.splice(i, 1);
  }
}

/** Runs `fn` with the transforms at `level` and above paused; those below stay active. */
export function withPaused<T>(level: number, fn: () => T): T {
  if (level < 0 || level >= stack.length) return fn();
  const paused = stack.slice(level);
  for (const t of paused) t.paused++;
  try {
    return fn();
  } finally {
    for (const t of paused) t.paused--;
  }
}

/** Runs `fn` with `t` alone paused (a tape's `stopRecording`). */
export function withOnlyPaused<T>(t: Transform, fn: () => T): T {
  t.paused++;
  try {
    return fn();
  } finally {
    t.paused--;
  }
}
