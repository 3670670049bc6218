/**
 * The one dispatch point every op goes through, and the stack of active transforms.
 *
 * Rules (see DESIGN.md): each transform gets a level when it starts recording (its place in the
 * stack); dispatch visits active transforms outermost first; while a transform runs its own
 * rule, it and every transform above it are paused.
 */
import type { VNode } from "./kernels/wasm/vector.ts";
import { dataOf, lazyFill, Tensor, tracedStorage } from "./tensor.ts";
import type { Variable } from "./variable.ts";
import { noteRecording, type Scope } from "./memory.ts";
import { allocateUninit, AllocationError, type DType, type TypedArray } from "./dtype.ts";
import { fmtShape, sizeOf } from "./shape.ts";

/** A tangent or cotangent that may be absent: `null` means zero, or "no gradient". */
export type Maybe = Tensor | null;

/** What a shape rule sees of a value: its shape and dtype (JAX's abstract value). */
export interface Aval {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A kernel's view of an input or output: its values, dense, with their shape and dtype. */
export interface Operand {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * Computes an op into `out.data`, allocated by the caller for the shape rule's result, with
 * arbitrary contents (every element must be written), from the inputs' values; already checked
 * by the shape rule. Never allocates its output, never dispatches. An elementwise kernel of several
 * inputs (a primitive with a scalar formula) also takes any input as shape `[]`: one value,
 * broadcast.
 */
export type Kernel<A> = (inputs: readonly Operand[], out: Operand, attrs: A) => void;

/**
 * One primitive, whole: its shape rule, kernels, derivative rules (written in differentiable
 * ops), batching rule, and for elementwise ops its scalar formula.
 */
export interface Primitive<A = unknown> {
  readonly name: string;
  /**
   * Shape rule: the output's shape and dtype from the inputs' and the attributes, with the op's
   * checks of them (and their messages) in this one place. All a tracer needs; the eager path
   * uses it to name an output too large to allocate.
   */
  shape(inputs: readonly Aval[], attrs: A): Aval;
  /**
   * For elementwise primitives only: the scalar formula, a JavaScript expression of the inputs'
   * expressions for an output of `dtype` (for exp, `([x]) => "Math.exp(" + x + ")"`), from which
   * loops are generated, and chains of ops fused into one.
   */
  readonly scalar?: (args: readonly string[], dtype: DType) => string;
  /**
   * For elementwise primitives: the dtypes whose kernel is a SIMD loop, faster than any loop
   * generated from the scalar formula (float32 exp and sin), which a compiler therefore keeps out
   * of fused loops in those dtypes.
   */
  readonly simd?: readonly DType[];
  /**
   * For elementwise primitives: the op on SIMD lanes for an output of `dtype`, in the expression
   * language of generated loops (`V` in kernels/wasm/vector.ts), rounding exactly as the kernel
   * does, so that a compiler can fuse even the ops with SIMD kernels into one pass. A bool output
   * is float32 lanes of 1.0 and 0.0, which a loop computes and reads but never stores.
   */
  readonly vector?: (args: readonly VNode[], dtype: DType) => VNode;
  /**
   * For binary elementwise primitives: values `e` with `e op x = x` (left) or `x op e = x`
   * (right) exactly, for every x (1 for multiply, 0 for add on the right), so that a compiler
   * drops such an op where the other operand already has the output's shape and dtype.
   */
  readonly identity?: { readonly left?: number; readonly right?: number };
  /**
   * For primitives whose output is one input's values unchanged, in order (reshape,
   * stopGradient, custom rules' outputs): that input's index (negative counts from the end), so
   * that a compiler lets the two share a buffer.
   */
  readonly alias?: number;
  /**
   * For sums over axes: the axes, from the attributes. The kernel sums in float64 as
   * `reduceKernel` does (kernels/reduce.ts), and a compiler may compute the sum in a loop of its
   * own, in that order, with the elementwise chain that feeds it as its prologue.
   */
  readonly sums?: (attrs: A) => readonly number[];
  /**
   * For products: where, for operands of these shapes, the op is one dot product of two vectors
   * (each operand's values in order), its terms summed in float64 in order as the kernel sums
   * them, their length; else undefined. A compiler may then compute it in a loop of its own, with
   * the elementwise chains that make its operands.
   */
  readonly dot?: (shapes: readonly (readonly number[])[], attrs: A) => number | undefined;
  /**
   * The kernels, by backend: each writes the output into memory its caller allocated, so eager
   * mode, a compiled program's memory plan or another device each allocate as they see fit.
   * `cpu` (typed arrays and WebAssembly) is the one backend so far.
   */
  readonly kernels: { readonly cpu: Kernel<A> };
  /**
   * Eager mode's shortcut where the inputs' storage allows one: a view sharing an input's values
   * (reshape, stopGradient), a uniform result of uniform inputs (a tape's scalars), a product
   * with a broadcast scalar. Returns undefined to let the kernel run. It agrees with the kernel;
   * a compiler, which sees no storage, ignores it.
   */
  shortcut?(inputs: readonly Tensor[], out: Aval, attrs: A): Tensor | undefined;
  /**
   * The op, written in other ops, where some inputs are uniform (`fills[i]` is input i's one
   * value, or undefined): cheaper than the kernel (a product with a broadcast scalar is a sum of
   * rows). Returns undefined where it has no such form. Eager mode uses it with every transform
   * paused, and `jit` records its ops in place of the op's.
   */
  uniform?(
    inputs: readonly Tensor[],
    fills: readonly (number | undefined)[],
    attrs: A,
  ): Tensor | undefined;
  /**
   * The op written in other primitives where, for these operands, that is cheaper and gives the
   * same values bit for bit (a product over an inner dimension of 1 is a broadcast multiply), or
   * undefined. `jit` records those ops in the op's place, where they can fuse with their
   * neighbours; eager mode runs the kernel.
   */
  rewrite?(inputs: readonly Tensor[], attrs: A): Tensor | undefined;
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
  /**
   * Batching rule: the op on inputs of which some carry a mapped (batch) axis, given the inputs'
   * full values and the position of that axis in each (`null`: not mapped), for a batch of
   * `size`. Returns the output's full value and its mapped axis (`null`: the same for every
   * example). Written in ops (through `bind`, to this primitive `self` or others), never as a
   * loop over the batch.
   */
  batch(
    self: Primitive<A>,
    inputs: readonly Tensor[],
    axes: readonly (number | null)[],
    attrs: A,
    size: number,
  ): readonly [Tensor, number | null];
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
  /**
   * For transforms that take ops over (vmap; later jit): the output of an op one of whose inputs
   * this transform owns (a tensor whose traced storage names it), computed its own way. It runs
   * with itself and every transform above it paused, so the ops it binds go to those below.
   */
  apply?(prim: Primitive, inputs: readonly Tensor[], attrs: unknown): Tensor;
}

const stack: Transform[] = [];
// How many transforms on the stack take ops over: while none do, no input needs a look.
let takers = 0;

/**
 * Applies `prim` to `inputs`. As JAX decides it, the transform at the highest level among those
 * that own an input computes the output its own way (vmap's batching rule); with none, the
 * kernel does. Then every active transform above that level sees the op, outermost first.
 */
export function bind<A>(prim: Primitive<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  let out: Tensor;
  let from = 0;
  const owner = takers === 0 ? -1 : ownerLevel(prim, inputs);
  if (owner >= 0) {
    const t = stack[owner];
    out = withPaused(owner, () => t.apply!(prim as Primitive, inputs, attrs));
    from = owner + 1;
  } else {
    const aval = prim.shape(inputs, attrs);
    out = (prim.shortcut === undefined ? undefined : prim.shortcut(inputs, aval, attrs)) ??
      compute(prim, inputs, aval, attrs);
  }
  for (let i = from; i < stack.length; i++) {
    const t = stack[i];
    if (t.paused === 0) {
      t.process(prim as Primitive, inputs, out, attrs);
      noteRecording(t.scope);
    }
  }
  return out;
}

// The level of the highest transform that owns one of `inputs`, or -1.
function ownerLevel(prim: Primitive<never>, inputs: readonly Tensor[]): number {
  let level = -1;
  for (let i = 0; i < inputs.length; i++) {
    const traced = tracedStorage(inputs[i]);
    if (traced === undefined) continue;
    const at = stack.lastIndexOf(traced.owner as Transform);
    if (at < 0 || stack[at].paused > 0) {
      throw new Error(
        `${prim.name}: an input is a tensor ${traced.kind} that outlived its transform ` +
          `(kept in a closure or a variable): return it from the mapped function instead`,
      );
    }
    if (at > level) level = at;
  }
  return level;
}

// Eager mode's way to run a kernel: fresh memory (or a buffer `tidy` released) for the output.
function compute<A>(prim: Primitive<A>, inputs: readonly Tensor[], out: Aval, attrs: A): Tensor {
  let data: TypedArray;
  try {
    data = allocateUninit(out.dtype, sizeOf(out.shape));
  } catch (e) {
    throw e instanceof AllocationError ? tooLarge(prim, inputs, out, attrs, e) : e;
  }
  const elementwise = prim.scalar !== undefined && inputs.length > 1;
  const operands = new Array<Operand>(inputs.length);
  for (let i = 0; i < inputs.length; i++) operands[i] = operandOf(inputs[i], elementwise);
  prim.kernels.cpu(operands, { data, shape: out.shape, dtype: out.dtype }, attrs);
  return new Tensor(data, out.shape, out.dtype);
}

// NOTE: a uniform input (the broadcast cotangent of every sum) reaches an elementwise kernel as
// the one value it is, never made dense.
function operandOf(t: Tensor, elementwise: boolean): Operand {
  if (elementwise) {
    const u = lazyFill(t);
    if (u !== undefined) return { data: oneValue(t.dtype, u), shape: NO_SHAPE, dtype: t.dtype };
  }
  return { data: dataOf(t), shape: t.shape, dtype: t.dtype };
}

const NO_SHAPE: readonly number[] = Object.freeze([]);

function oneValue(dtype: DType, v: number): TypedArray {
  const a = allocateUninit(dtype, 1);
  a[0] = v;
  return a;
}

// The allocator knows only the element count; the op and its inputs are known here.
function tooLarge<A>(
  prim: Primitive<A>,
  inputs: readonly Tensor[],
  out: Aval,
  attrs: A,
  e: AllocationError,
): RangeError {
  const shapes = inputs.map((t) => fmtShape(t.shape));
  return new RangeError(
    `${prim.describe?.(attrs) ?? prim.name}: a result of shape ${fmtShape(out.shape)} ` +
      `(${e.size.toExponential(3)} elements, ${out.dtype}) is more than can be allocated ` +
      `(${e.reason}), from inputs of shape ${shapes.join(" and ")}: use smaller inputs`,
    { cause: e },
  );
}

/** Tells the active transforms that `variable` was read as `value`. */
export function notifyVariableRead(variable: Variable, value: Tensor): void {
  for (let i = 0; i < readLogs.length; i++) {
    if (!readLogs[i].has(variable)) readLogs[i].set(variable, value);
  }
  for (let i = 0; i < stack.length; i++) {
    const t = stack[i];
    if (t.paused === 0) {
      t.onVariableRead(variable, value);
      noteRecording(t.scope);
    }
  }
}

// The logs of `withReadsLogged` calls running now, innermost last.
const readLogs: Map<Variable, Tensor>[] = [];

/**
 * Runs `fn` and returns its result with every variable it read, each with the first value read
 * (what a custom gradient's function read, whose gradients its rule must give). Internal.
 */
export function withReadsLogged<T>(fn: () => T): [T, Map<Variable, Tensor>] {
  const log = new Map<Variable, Tensor>();
  readLogs.push(log);
  try {
    return [fn(), log];
  } finally {
    readLogs.pop();
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
  if (t.apply !== undefined) takers++;
  try {
    return fn();
  } finally {
    removeTransform(t);
  }
}

/** Takes `t` off the stack early (a tape that stops recording inside its own `record`). */
export function removeTransform(t: Transform): void {
  const i = stack.lastIndexOf(t);
  if (i < 0) return;
  if (i === stack.length - 1) stack.pop();
  else stack.splice(i, 1);
  if (t.apply !== undefined) takers--;
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
