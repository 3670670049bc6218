/**
 * `jit`, as `jax.jit` and `tf.function`: the first call for each signature traces the function
 * into a program of primitives, which is simplified, fused and compiled (see compile.ts); later
 * calls with that signature run the compiled program.
 */
import { checkFunction, checkInteger, checkOptions, refuseAsync } from "../core/check.ts";
import { anyActive, withTransform } from "../core/dispatch.ts";
import {
  flattenTree,
  isLiteral,
  leafDef,
  leafPaths,
  named,
  type TreeDef,
  unflattenTree,
} from "../core/structure.ts";
import {
  canonicalShape,
  dataOf,
  keepTensor,
  Tensor,
  tensorOfShape,
  tracedStorage,
  uniformValue,
  viewTensor,
} from "../core/tensor.ts";
import { objectId } from "../core/identity.ts";
import { atomically, currentValue, replaceOwned, type Variable } from "../core/variable.ts";
import { fmtShape, sameShape, sizeOf } from "../core/shape.ts";
import { compile, type CompiledProgram, programOf, runProgram, type Value } from "./compile.ts";
import { type Atom, isConst, type Program, type Var } from "./program.ts";
import { withDrawsUndone } from "../ops/random.ts";
import { JitTrace, withStateTraced } from "./trace.ts";

/**
 * Options of `jit`.
 *
 * @example A static argument: each value of `n` compiles its own program
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, jit, type JitOptions, pow } from "@gradtape/gradtape";
 * const options: JitOptions = { static: [1] };
 * const power = jit((x, n: number) => pow(x, n), options);
 * assert.deepEqual(power(constant([2, 3]), 3).toArray(), [8, 27]);
 * ```
 */
export interface JitOptions {
  /** Arguments (by position) that are part of the signature by value, whatever they hold. */
  static?: readonly number[];
}

/**
 * A jitted function: called as the function, with `program(...args)` giving the program compiled
 * for those arguments.
 *
 * @example Printing a program
 * ```ts
 * import assert from "node:assert/strict";
 * import { add, constant, jit, multiply } from "@gradtape/gradtape";
 * const f = jit((x) => multiply(add(x, 1), x));
 * assert.match(f.program(constant([1, 2])).toString(), /fused\[add multiply\]/);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type Jitted<F extends (...args: any[]) => any> = F & {
  /** The program compiled for these arguments (compiled now if it was not yet). */
  program(...args: Parameters<F>): CompiledProgram;
};

// More retraces than this of one function print a warning, as tf.function's do.
const RETRACE_WARNING = 8;

interface Entry {
  compiled: CompiledProgram;
  // The variables the program reads (inputs after the arguments') and assigns (outputs after
  // the result's), in order.
  reads: Variable[];
  writes: Variable[];
  // The result's structure, and which of its leaves are tensors (the rest are constants).
  def: ReturnType<typeof flattenTree>["def"];
  results: unknown[];
  // The leaves of the arguments that are inputs of the program, by index.
  traced: number[];
  // The number leaves that met an int32 tensor, which each call checks as eager mode would.
  integral: number[];
  name: string;
  // Where each output's tensor comes from.
  sources: Source[];
  // For each write, whether its value is made by the call and held by nothing else.
  owned: boolean[];
  // Random draws, made again at each call (the first call has the trace's).
  draws: { first: Tensor | null; again: () => Tensor }[];
  // The program's outputs (and their shapes, as tensors hold them), and the array its inputs are
  // passed in (refilled by each call).
  outputs: readonly Atom[];
  shapes: readonly (readonly number[] | null)[];
  inputs: Value[];
  // Which inputs are of one element.
  ones: boolean[];
  // Where the result is one tensor, the output it is; else -1.
  lone: number;
}

/**
 * Compiles `f`: the first call for each signature traces `f` into a program of primitives
 * (tensor leaves by shape and dtype, numbers as scalars, strings and other literals by value,
 * variables and other objects by identity), simplifies, fuses and compiles it; later calls with
 * that signature run the program. A variable passed as an argument is part of the signature by
 * identity, not by shape, because what `f` keeps by variable (an optimizer's slots) differs from
 * one variable to the next: each new variable traces again. Variables read inside `f` are
 * inputs, and assignments are applied when the call ends (all together, or none if it throws).
 * Under another transform (a tape, `grad`, `vmap`, an outer `jit`) the call runs `f` as it is,
 * so those see every op.
 *
 * @param f The function: tensors (in trees), numbers and static values in; a tree of tensors out.
 * @param options `static`: arguments that are part of the signature by value.
 * @returns The jitted function.
 * @example A fused elementwise chain, compiled once and reused
 * ```ts
 * import assert from "node:assert/strict";
 * import { add, constant, jit, multiply, sin } from "@gradtape/gradtape";
 * const f = jit((x, y) => add(multiply(sin(x), y), 1));
 * const y = f(constant([0, Math.PI / 2]), constant([3, 4]));
 * assert.deepEqual(y.toArray(), [1, 5]);
 * ```
 */
// deno-lint-ignore no-explicit-any
export function jit<F extends (...args: any[]) => any>(
  f: F,
  options: JitOptions = {},
): Jitted<F> {
  checkFunction("jit", "f", f);
  checkOptions("jit", options, ["static"]);
  const statics = new Set(options.static ?? []);
  for (const i of statics) checkInteger("jit", "static", i);
  const name = f.name === "" ? "a function" : `'${f.name}'`;
  const cache = new Map<string, Entry>();
  let traces = 0, warned = false;
  let previous: { structure: string[]; keys: string[] } | null = null;

  // `inspect`: for program(), which is not a call: its trace moves no random stream, and the
  // first call draws its own numbers.
  const entryFor = (args: unknown[], inspect = false): [Entry, unknown[]] => {
    const { leaves, defs } = flattenArgs(args, statics);
    const structure = defs.map(String), keys = leaves.map(leafKey);
    // JSON, so that no static string can pass for another signature's separators.
    const key = JSON.stringify([structure, keys]);
    let entry = cache.get(key);
    if (entry === undefined) {
      traces++;
      if (traces > RETRACE_WARNING && !warned) {
        warned = true;
        console.warn(
          `jit: ${name} was traced ${traces} times, now for the signature ${key}: ` +
            `${retraceReason(previous, structure, keys)}. Each new shape, dtype, static value, ` +
            `or object passed as an argument traces and compiles again; pass tensors of fixed ` +
            `shapes, fewer static arguments, and objects (variables, layers) through the closure`,
        );
      }
      previous = { structure, keys };
      entry = inspect
        ? withDrawsUndone(() => trace(f, name, leaves, defs))
        : trace(f, name, leaves, defs);
      if (inspect) { for (const d of entry.draws) d.first = null; }
      cache.set(key, entry);
    }
    return [entry, leaves];
  };

  // The last signature of plain tensor arguments, checked without flattening or a key: a
  // training loop calls with one signature again and again.
  let last: { entry: Entry; args: readonly Tensor[] } | null = null;
  const sameAsLast = (args: readonly unknown[]): Entry | null => {
    if (last === null || args.length !== last.args.length) return null;
    for (let i = 0; i < args.length; i++) {
      const a = args[i], b = last.args[i];
      if (!(a instanceof Tensor) || a.dtype !== b.dtype || !sameShape(a.shape, b.shape)) {
        return null;
      }
    }
    return last.entry;
  };

  const jitted = (...args: unknown[]): unknown => {
    // Under another transform, every op must reach it: run f as it is.
    // Its assignments then happen one by one: a call that throws takes them back.
    if (anyActive()) return atomically(() => f(...(args as Parameters<F>)));
    const known = sameAsLast(args);
    if (known !== null) return run(known, args);
    const [entry, leaves] = entryFor(args);
    if (statics.size === 0 && args.every((a) => a instanceof Tensor)) {
      last = { entry, args: args as Tensor[] };
    }
    return run(entry, leaves);
  };
  jitted.program = (...args: unknown[]): CompiledProgram => entryFor(args, true)[0].compiled;
  return jitted as unknown as Jitted<F>;
}

// Where a result leaf that is a tensor comes from: the program's output `index`.
class Output {
  constructor(readonly index: number) {}
}

// A whole argument made static: part of the signature by identity or value.
class Static {
  constructor(readonly value: unknown) {}
}

// The leaves of each argument (a static one is one leaf), and each one's structure.
function flattenArgs(
  args: readonly unknown[],
  statics: ReadonlySet<number>,
): { leaves: unknown[]; defs: TreeDef[] } {
  const leaves: unknown[] = [], defs: TreeDef[] = [];
  args.forEach((a, i) => {
    const flat = statics.has(i)
      ? { leaves: [new Static(a)], def: leafDef() }
      : flattenTree(a, "jit");
    leaves.push(...flat.leaves);
    defs.push(flat.def);
  });
  return { leaves, defs };
}

function unflattenArgs(defs: readonly TreeDef[], leaves: readonly unknown[]): unknown[] {
  let at = 0;
  return defs.map((def) => unflattenTree(def, leaves.slice(at, at += def.numLeaves)));
}

// What differs from the signature traced before: the first argument leaf whose key changed.
function retraceReason(
  before: { structure: string[]; keys: string[] } | null,
  structure: readonly string[],
  keys: readonly string[],
): string {
  if (before === null) return "the first trace";
  if (JSON.stringify(before.structure) !== JSON.stringify(structure)) {
    return "the arguments' structure changed";
  }
  const i = keys.findIndex((k, j) => k !== before.keys[j]);
  const k = keys[i] ?? "";
  return k.startsWith("#")
    ? `argument leaf ${i} is an object not seen before (a variable, a layer or a function is ` +
      `part of the signature by identity)`
    : k.startsWith("T")
    ? `argument leaf ${i} is a tensor of ${k.slice(1)}, not ${before.keys[i]?.slice(1)}`
    : `argument leaf ${i} changed from ${before.keys[i]} to ${k}`;
}

// How a leaf enters the signature: tensors by shape and dtype, numbers as scalars, variables
// and other objects and functions by identity, anything else (strings, arrays of numbers) by value.
function leafKey(leaf: unknown): string {
  if (leaf instanceof Tensor) return `T${leaf.dtype}${fmtShape(leaf.shape)}`;
  if (typeof leaf === "number") return "N";
  const v = leaf instanceof Static ? leaf.value : leaf;
  if (isLiteral(v)) return `L${JSON.stringify(v)}`;
  if (typeof v === "object" && v !== null || typeof v === "function") return `#${objectId(v)}`;
  return `${typeof v}:${String(v)}`;
}

function trace(
  f: (...args: never[]) => unknown,
  name: string,
  leaves: readonly unknown[],
  defs: readonly TreeDef[],
): Entry {
  const t = new JitTrace(name);
  const traced: number[] = [];
  const args = leaves.map((leaf, i) => {
    if (leaf instanceof Tensor) {
      const s = tracedStorage(leaf);
      if (s !== undefined) {
        throw new TypeError(`jit: argument leaf ${i} of ${name} is a tensor ${s.kind}`);
      }
      traced.push(i);
      return t.input(leaf.shape, leaf.dtype);
    }
    if (typeof leaf === "number") {
      // float64, so no precision is lost before it meets its partner's dtype (see trace.ts).
      traced.push(i);
      return t.input([], "float64", true);
    }
    return leaf instanceof Static ? leaf.value : leaf;
  });
  const result = withTransform(
    t,
    () =>
      withStateTraced(
        t,
        () => refuseAsync("jit", f(...(unflattenArgs(defs, args) as never[]))),
      ),
  );
  t.done = true;
  const out = flattenTree(result, "jit");
  const paths = leafPaths(out.def);
  out.leaves.forEach((l, k) => {
    // As jax.jit's: a function made while tracing holds the trace's values, unknown after it.
    if (typeof l === "function") {
      throw new TypeError(
        `jit: ${named("the result", paths[k])} of the jitted ${
          name === "a function" ? "function" : `function ${name}`
        } is a function: a jitted function returns tensors and plain values, and a function ` +
          `made while tracing holds values known only inside the program: return the tensors ` +
          `it needs, or jit that function itself`,
      );
    }
  });
  const outputs: Tensor[] = [];
  const results = out.leaves.map((l) => {
    if (!(l instanceof Tensor)) return l;
    outputs.push(l);
    return new Output(outputs.length - 1);
  });
  // A constant result is returned by every call: no tidy around the first may release it.
  for (const o of outputs) if (tracedStorage(o) === undefined) keepTensor(o);
  const writes = [...t.assigned.keys()];
  for (const v of writes) outputs.push(t.assigned.get(v)!);
  const compiled = compile(t.program(outputs));
  const srcs = sources(programOf(compiled), traced, t.variables.size);
  const firstWrite = outputs.length - writes.length;
  // Outputs that a result or another output also holds: a variable must not own those.
  const held = new Set<number>();
  for (const r of results) if (r instanceof Output) held.add(r.index);
  for (const src of srcs) {
    if (typeof src === "object" && "kind" in src && src.kind === "same") held.add(src.index);
  }
  return {
    compiled,
    reads: [...t.variables.keys()],
    writes,
    def: out.def,
    results,
    traced,
    integral: traced.filter((_, k) => t.integral.has(t.inputs[k])),
    name,
    sources: srcs,
    owned: writes.map((_, i) => srcs[firstWrite + i] === NEW && !held.has(firstWrite + i)),
    draws: t.draws.map((d) => ({ first: d.drawn, again: d.again })),
    outputs: programOf(compiled).outputs,
    shapes: programOf(compiled).outputs.map((o) => isConst(o) ? null : canonicalShape(o.shape)),
    inputs: new Array(programOf(compiled).inputs.length).fill(0),
    ones: programOf(compiled).inputs.map((v) => sizeOf(v.shape) === 1),
    lone: out.def === leafDef() && results[0] instanceof Output ? results[0].index : -1,
  };
}

function run(entry: Entry, leaves: readonly unknown[]): unknown {
  // NOTE: a training step of a few scalars costs about a microsecond a call, so the call makes
  // as few objects as it can (the inputs' array is the entry's, refilled each call), and empties
  // arrays by loops: fill(), a builtin call, made W1's call 20 % slower.
  const { inputs, ones, traced, reads, draws, sources, outputs, shapes } = entry;
  for (let j = 0; j < entry.integral.length; j++) checkIntegral(entry, leaves, entry.integral[j]);
  let at = 0;
  for (let j = 0; j < traced.length; j++) {
    const leaf = leaves[traced[j]];
    inputs[at] = typeof leaf === "number" ? leaf : valueOf(leaf as Tensor, ones[at]);
    at++;
  }
  // Read for the program alone, which keeps no reference to them: a value the variable gives up
  // when the call assigns it (a training step's weights) goes back to the innermost tidy.
  for (let j = 0; j < reads.length; j++, at++) {
    inputs[at] = valueOf(currentValue(reads[j]), ones[at]);
  }
  // The first call uses the numbers drawn while tracing, as eager mode would have drawn them.
  for (const d of draws) inputs[at++] = dataOf(d.first ?? d.again());
  for (const d of draws) d.first = null;
  const values = runProgram(entry.compiled, inputs);
  // The program's inputs are the caller's: the entry keeps no reference to them.
  for (let j = 0; j < at; j++) inputs[j] = 0;
  const tensors: (Tensor | number)[] = [];
  for (let k = 0; k < sources.length; k++) {
    const from = sources[k], o = outputs[k] as Var, v = values[k]!;
    tensors.push(
      from === NEW
        // One value comes out as a tensor of it alone, with no array until someone reads one.
        ? tensorOfShape(v, shapes[k]!, o.dtype)
        : from instanceof Tensor
        ? from
        : from.kind === "arg"
        // An argument returned as it is: the tensor, or the number, as eager mode returns it.
        ? leaves[from.index] as Tensor | number
        : from.kind === "read"
        ? reads[from.index].peek()
        : viewTensor(tensors[from.index] as Tensor, o.shape, o.dtype),
    );
  }
  // The outputs are the caller's now: the program's array of them keeps no reference either.
  for (let k = 0; k < values.length; k++) values[k] = null;
  const n = tensors.length - entry.writes.length;
  for (let i = 0; i < entry.writes.length; i++) {
    const v = entry.writes[i], t = tensors[n + i];
    // Checked when traced; a value made now that nothing else holds goes in without a copy.
    if (entry.owned[i]) replaceOwned(v, t as Tensor);
    else v.assign(t);
  }
  if (entry.lone >= 0) return tensors[entry.lone];
  return unflattenTree(
    entry.def,
    entry.results.map((r) => r instanceof Output ? tensors[r.index] : r),
  );
}

function checkIntegral(entry: Entry, leaves: readonly unknown[], i: number): void {
  const n = leaves[i] as number;
  if (Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return;
  throw new RangeError(
    `jit: ${entry.name} was given ${n} (argument leaf ${i}), which meets an int32 tensor and ` +
      `cannot be converted to int32 without changing it: int32 holds only integers from ` +
      `-2147483648 to 2147483647 (pass an integer, or use float32 or float64)`,
  );
}

// A tensor's values as the program takes them: a single one (`one`) as its value (read without
// making an array, where the tensor holds it alone), else its array.
function valueOf(t: Tensor, one: boolean): Value {
  return (one ? uniformValue(t) : undefined) ?? dataOf(t);
}

// Where an output's tensor comes from: computed now, a constant, an argument, a variable's
// value read, or an earlier output with the same values.
type Source = typeof NEW | Tensor | { kind: "arg" | "read" | "same"; index: number };
const NEW = 0;

// (A random draw returned as it is counts as computed now: its values are the call's own.)
function sources(program: Program, traced: readonly number[], reads: number): Source[] {
  const first = new Map<number, number>();
  return program.outputs.map((o, k) => {
    if (isConst(o)) return o.value;
    const at = program.inputs.indexOf(o);
    if (at >= 0 && at < traced.length) return { kind: "arg", index: traced[at] };
    if (at >= 0 && at < traced.length + reads) return { kind: "read", index: at - traced.length };
    const seen = first.get(o.id);
    if (seen !== undefined) return { kind: "same", index: seen };
    first.set(o.id, k);
    return NEW;
  });
}
