/**
 * Compiling a traced program: dead code and repeated subexpressions removed, chains of
 * elementwise ops fused into one loop each (generated from the primitives' scalar formulas), and
 * a memory plan that gives every intermediate a buffer of an arena living with the program,
 * reused once its last reader has run, within a call and across calls. Where the memory is shared
 * (threads), the arena's large float buffers and the program's large constants live in the
 * WebAssembly kernels' memory, which the kernels read and write in place. Where the runtime forbids
 * generating code, nothing is fused and each op runs its own kernel (the interpreted path), with
 * the same results.
 */
import type { Operand } from "../core/dispatch.ts";
import { allocateOwned, allocateUninit, type DType, type TypedArray } from "../core/dtype.ts";
import { canGenerate } from "../core/kernels/generated.ts";
import {
  addressOf,
  freeResident,
  holdWorker,
  jobsPosted,
  looseArray,
  residentArray,
  residentAvailable,
} from "../core/kernels/wasm/runtime.ts";
import { noteFresh } from "../core/memory.ts";
import { sizeOf } from "../core/shape.ts";
import { dataOf, lazyFill, type Tensor } from "../core/tensor.ts";
import { objectId } from "../core/identity.ts";
import { type Atom, type Eqn, isConst, Program, typeName, type Var } from "./program.ts";
import { type FusedGroup, fuseGroups, type MergedLoop } from "./fuse.ts";

/** The program with equations no output needs, and repeated ones, removed. */
export function simplify(p: Program): Program {
  return deadCode(commonSubexpressions(p));
}

function deadCode(p: Program): Program {
  const needed = new Set<number>();
  for (const o of p.outputs) if (!isConst(o)) needed.add(o.id);
  const kept: Eqn[] = [];
  for (let i = p.eqns.length - 1; i >= 0; i--) {
    const e = p.eqns[i];
    if (!needed.has(e.out.id)) continue;
    kept.push(e);
    for (const a of e.inputs) if (!isConst(a)) needed.add(a.id);
  }
  return new Program(p.inputs, kept.reverse(), p.outputs);
}

// Equations of one primitive on the same operands and attributes compute the same value; custom
// rules' attributes hold functions, and are never merged.
function commonSubexpressions(p: Program): Program {
  const seen = new Map<string, Var>();
  const renamed = new Map<number, Var>();
  const constIds = new Map<unknown, number>();
  const key = (a: Atom): string => {
    if (!isConst(a)) return `v${(renamed.get(a.id) ?? a).id}`;
    let id = constIds.get(a.value);
    if (id === undefined) constIds.set(a.value, id = constIds.size);
    return `c${id}`;
  };
  const rename = (a: Atom): Atom => isConst(a) ? a : renamed.get(a.id) ?? a;
  const eqns: Eqn[] = [];
  for (const e of p.eqns) {
    const inputs = e.inputs.map(rename);
    const attrs = plainKey(e.attrs);
    if (attrs !== undefined) {
      const k = `${e.prim.name}(${inputs.map(key).join(",")})${attrs}`;
      const same = seen.get(k);
      if (same !== undefined) {
        renamed.set(e.out.id, same);
        continue;
      }
      seen.set(k, e.out);
    }
    eqns.push({ ...e, inputs });
  }
  return new Program(p.inputs, eqns, p.outputs.map(rename));
}

// A key for attributes of plain data, or undefined where they hold functions or other objects
// (a custom rule's saved tensors: walked by hand, since JSON.stringify would call a tensor's
// toJSON, which reads its values, and a traced tensor has none).
function plainKey(attrs: unknown): string | undefined {
  const parts: string[] = [];
  const walk = (v: unknown): boolean => {
    if (typeof v === "number") {
      // Apart: NaN, ±Infinity and -0, which JSON writes as null or 0 (a pad value).
      parts.push(Object.is(v, -0) ? "-0" : String(v));
      return true;
    }
    if (v === null || v === undefined || typeof v === "boolean" || typeof v === "string") {
      parts.push(JSON.stringify(v) ?? "undefined");
      return true;
    }
    if (typeof v !== "object" || !isPlain(v)) return false;
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    parts.push(Array.isArray(v) ? "[" : "{");
    for (const [k, x] of entries) {
      parts.push(JSON.stringify(k), ":");
      if (!walk(x)) return false;
      parts.push(",");
    }
    parts.push(Array.isArray(v) ? "]" : "}");
    return true;
  };
  return walk(attrs) ? parts.join("") : undefined;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) || proto === Object.prototype || proto === null;
}

// One step of a compiled program: a kernel, or a fused loop (which may compute several values).
interface Step {
  readonly outs: readonly Var[];
  readonly inputs: readonly Atom[];
  /** Whether a uniform constant may come as its one value, shape [] (elementwise steps). */
  readonly single: boolean;
  /** The input whose values the output is, unchanged (see `Primitive.alias`). */
  readonly alias?: number;
  run(operands: readonly Operand[], outs: readonly Operand[]): void;
  readonly text: string;
  /** Whether it computes in the kernels' memory (a SIMD loop): outputs made there save a copy. */
  readonly simd?: boolean;
}

let build: (p: Program) => CompiledProgram;
let programField: (c: CompiledProgram) => Program;
let runOf: (c: CompiledProgram, inputs: readonly Value[]) => (Value | null)[];

/** An input's or output's values, or for one of a single element its value. */
export type Value = TypedArray | number;

/** Compiles a traced program. Internal (jit). */
export function compile(p: Program): CompiledProgram {
  return build(p);
}

/** The program `c` runs, after dead-code and common-subexpression elimination. Internal. */
export function programOf(c: CompiledProgram): Program {
  return programField(c);
}

/**
 * Runs `c` on the inputs' values (in its program's input order): each output's values, or null
 * for a constant output (the caller has its tensor), in an array the next run refills (the caller
 * empties it once read, so that the program holds no output). An input of one element may come
 * as its value, and an output of one element comes as its value, so that small programs (a
 * training step of a few scalar weights) make no arrays to hold them. Internal.
 */
export function runProgram(
  c: CompiledProgram,
  inputs: readonly Value[],
): (Value | null)[] {
  return runOf(c, inputs);
}

/**
 * A program compiled for one signature (see `jit`): `toString()` prints the traced program,
 * the steps it runs (kernels and fused loops) and the buffers they write.
 *
 * @example The program of a jitted function
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, jit, reduceSum, square } from "@gradtape/gradtape";
 * const p = jit((x) => reduceSum(square(x))).program(constant([1, 2, 3]));
 * assert.match(p.toString(), /reduceSum/);
 * ```
 */
export class CompiledProgram {
  static {
    build = (p) => new CompiledProgram(p);
    programField = (c) => c.#program;
    runOf = (c, inputs) => c.#run(inputs);
  }

  readonly #program: Program;
  readonly #steps: Step[];
  // Each step's arena buffer, or -1 for fresh memory (an output of the program).
  readonly #slotOf = new Map<number, number>();
  readonly #slotSizes: { dtype: DType; size: number }[] = [];
  #arena: TypedArray[] | null = null;
  // The buffers and constants that live in the kernels' memory, given back when the program is
  // collected (see `resident`).
  readonly #resident: (Float32Array | Float64Array)[] = [];
  readonly #outputs = new Set<number>();
  // Variables that share another's buffer (see #aliases), by id, with their root's id.
  readonly #aliasOf = new Map<number, number>();
  readonly #aliasText: string[] = [];
  // What a call runs, resolved once: registers hold the values (inputs first, then each step's
  // output); each step reads its operands' registers into operand records made once.
  readonly #runs: Run[];
  readonly #registers: (TypedArray | null)[];
  // Large float inputs' copies in the kernels' memory (see #stage); null for the others.
  readonly #stages: (Stage | null)[];
  // The operand records that hold the caller's large arrays during a call (inputs read, outputs
  // made), emptied after it. Small ones are left: they keep little alive, and emptying them would
  // cost a small program's call more.
  readonly #foreign: Slot[];
  readonly #outRegs: number[];
  // Arrays the program keeps for inputs that come as a value, and for outputs of one element,
  // which leave it as their value.
  readonly #inputOnes: (TypedArray | null)[];
  readonly #outputOnes = new Map<number, TypedArray>();
  readonly #readOut: boolean[];
  // What a call returns, refilled by the next.
  readonly #results: (Value | null)[];
  // The last step whose kernel offered the worker a job at the call before, or -1: until it has
  // run, the worker is held (see holdWorker), so that it takes part in each such job at once.
  // Only programs with arrays large enough for a shared job look (W2's calls took 2 % longer).
  #lastShared = -1;
  readonly #mayShare: boolean;

  private constructor(traced: Program) {
    const program = simplify(traced);
    this.#program = program;
    this.#mayShare = program.eqns.some((e) =>
      [...e.inputs, e.out].some((a) => !isConst(a) && sizeOf(a.shape) >= SHARED_MIN)
    );
    for (const o of program.outputs) if (!isConst(o)) this.#outputs.add(o.id);
    this.#steps = canGenerate ? fusedSteps(program, this.#outputs) : kernelSteps(program);
    this.#aliases();
    this.#plan();
    const reg = new Map<number, number>();
    program.inputs.forEach((v, i) => reg.set(v.id, i));
    for (const s of this.#steps) for (const v of s.outs) reg.set(v.id, reg.size);
    for (const [id, root] of this.#aliasOf) reg.set(id, reg.get(root)!);
    this.#registers = new Array(reg.size).fill(null);
    this.#inputOnes = program.inputs.map((v) =>
      sizeOf(v.shape) === 1 ? allocateOwned(v.dtype, 1) : null
    );
    for (const o of program.outputs) {
      if (!isConst(o) && sizeOf(o.shape) === 1) {
        this.#outputOnes.set(o.id, allocateOwned(o.dtype, 1));
      }
    }
    this.#readOut = program.outputs.map((o) => !isConst(o) && sizeOf(o.shape) === 1);
    const copies = new Map<Tensor, TypedArray>();
    this.#results = program.outputs.map(() => null);
    this.#runs = this.#steps.map((s) => ({
      step: s,
      reads: s.inputs.map((a) => isConst(a) ? -1 : reg.get(a.id)!),
      operands: s.inputs.map((a) =>
        isConst(a) ? constOperand(a.value, s.single, copies, this.#resident) : record(a)
      ),
      outs: s.outs.map(record),
      registers: s.outs.map((v) => reg.get(v.id)!),
      slots: s.outs.map((v) => this.#slotOf.get(v.id) ?? -1),
      own: s.outs.map((v) => this.#outputOnes.get(v.id) ?? null),
      sizes: s.outs.map((v) => sizeOf(v.shape)),
    }));
    this.#outRegs = program.outputs.map((o) => isConst(o) ? -1 : reg.get(o.id)!);
    this.#stages = program.inputs.map(({ dtype, shape }) =>
      canReside(dtype, sizeOf(shape))
        ? { dtype, size: sizeOf(shape), last: 0, copy: null, filled: false }
        : null
    );
    const large = (x: Operand) => sizeOf(x.shape) >= RESIDENT_MIN;
    const inputCount = program.inputs.length;
    this.#foreign = this.#runs.flatMap((r) => [
      ...r.operands.filter((x, i) => large(x) && r.reads[i] >= 0 && r.reads[i] < inputCount),
      ...r.outs.filter((x, k) => large(x) && r.slots[k] < 0),
    ]) as Slot[];
    freeing?.register(this, this.#resident);
  }

  #run(inputs: readonly Value[]): (Value | null)[] {
    const regs = this.#registers;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      if (typeof x !== "number") regs[i] = this.#stages[i] === null ? x : this.#stage(i, x);
      else {
        const one = this.#inputOnes[i]!;
        one[0] = x;
        regs[i] = one;
      }
    }
    // The arena is the program's for good: no tidy scope may recycle it.
    const arena = this.#arena ??= this.#slotSizes.map(({ dtype, size }) =>
      resident(dtype, size, this.#resident) ?? allocateOwned(dtype, size)
    );
    const runs = this.#runs, hold = this.#lastShared, look = this.#mayShare;
    let lastShared = -1, posted = look ? jobsPosted() : 0;
    if (hold >= 0) holdWorker(true);
    try {
      for (let r = 0; r < runs.length; r++) {
        const { step, reads, operands, outs, registers, slots, own, sizes } = runs[r];
        for (let i = 0; i < reads.length; i++) {
          if (reads[i] >= 0) (operands[i] as Slot).data = regs[reads[i]]!;
        }
        for (let k = 0; k < outs.length; k++) {
          const data = own[k] ??
            (slots[k] < 0 ? output(outs[k].dtype, sizes[k], step.simd === true) : arena[slots[k]]);
          regs[registers[k]] = outs[k].data = data;
        }
        step.run(operands, outs);
        if (look && jobsPosted() !== posted) lastShared = r, posted = jobsPosted();
        if (r === hold) holdWorker(false);
      }
    } finally {
      if (hold >= 0) holdWorker(false);
    }
    this.#lastShared = lastShared;
    const results = this.#results, outRegs = this.#outRegs, readOut = this.#readOut;
    for (let j = 0; j < outRegs.length; j++) {
      const k = outRegs[j];
      results[j] = k < 0
        ? null
        : readOut[j]
        ? regs[k]![0]
        : k < inputs.length
        ? inputs[k]
        : regs[k];
    }
    // The inputs and outputs are the caller's: the program keeps no reference to them. (A loop:
    // fill() is a builtin call, which costs more than the loop on a program this small.)
    for (let k = 0; k < regs.length; k++) regs[k] = null;
    const foreign = this.#foreign;
    for (let k = 0; k < foreign.length; k++) foreign[k].data = EMPTY;
    return results;
  }

  // NOTE: an input that comes as the same array as in the call before (a data set passed at every
  // call, W6's x) is copied into the kernels' memory once, and the kernels read that copy in place
  // from then on, rather than copying it in at every call (W6 jitted 0.93–0.94× of its time). A tensor's
  // array never changes, so the same array holds the same values. An input seen once is read
  // where it is: copied up front, a batch that changes at every call would lose the overlap of
  // its copy with the worker's chunks.
  #stage(i: number, x: TypedArray): TypedArray {
    const s = this.#stages[i]!;
    // NOTE: told apart by a number per array, not by a WeakRef to the last one: a WeakRef keeps
    // its target alive until the current job ends, so a synchronous training loop, whose weights
    // come as a new array at every call, kept every one of them (256 KiB a step, past 1 GB).
    const id = objectId(x);
    if (s.last !== id) {
      s.last = id;
      s.filled = false;
      return x;
    }
    if (!s.filled && addressOf(x) < 0) {
      s.copy ??= resident(s.dtype, s.size, this.#resident);
      if (s.copy === null) {
        this.#stages[i] = null;
        return x;
      }
      s.copy.set(x);
      s.filled = true;
    }
    return s.filled ? s.copy! : x;
  }

  // A step whose output is an input's values unchanged (a reshape) runs no kernel: its output
  // lives where that input does. Outputs of the program are copied, as they leave it.
  #aliases(): void {
    const kept: Step[] = [];
    for (const s of this.#steps) {
      const from = s.alias === undefined ? undefined : s.inputs.at(s.alias);
      const [out] = s.outs;
      if (from === undefined || isConst(from) || this.#outputs.has(out.id)) kept.push(s);
      else {
        this.#aliasOf.set(out.id, this.#aliasOf.get(from.id) ?? from.id);
        this.#aliasText.push(`  ${s.text} -> shares its input's buffer`);
      }
    }
    this.#steps.splice(0, this.#steps.length, ...kept);
  }

  // Buffers from last uses: a step's output takes a free buffer of its size and dtype, and its
  // inputs whose last reader it is free theirs afterwards (never before: a kernel must not write
  // what it reads). Outputs of the program get fresh memory each call, as they leave it.
  #plan(): void {
    // An alias's readers read its root's buffer.
    const root = (id: number) => this.#aliasOf.get(id) ?? id;
    const last = new Map<number, number>();
    this.#steps.forEach((s, i) => {
      for (const a of s.inputs) if (!isConst(a)) last.set(root(a.id), i);
    });
    const free = new Map<string, number[]>();
    this.#steps.forEach((s, i) => {
      for (const out of s.outs) {
        if (this.#outputs.has(out.id)) continue;
        const key = `${out.dtype}:${sizeOf(out.shape)}`;
        let slot = free.get(key)?.pop();
        if (slot === undefined) {
          slot = this.#slotSizes.length;
          this.#slotSizes.push({ dtype: out.dtype, size: sizeOf(out.shape) });
        }
        this.#slotOf.set(out.id, slot);
      }
      const roots = new Set(s.inputs.flatMap((a) => isConst(a) ? [] : [root(a.id)]));
      for (const id of roots) {
        if (last.get(id) !== i) continue;
        const slot = this.#slotOf.get(id);
        if (slot === undefined) continue;
        const { dtype, size } = this.#slotSizes[slot];
        const key = `${dtype}:${size}`;
        if (!free.has(key)) free.set(key, []);
        free.get(key)!.push(slot);
      }
    });
  }

  /** The program, its fused loops and its buffers. */
  toString(): string {
    const lines = [this.#program.toString(), "steps:"];
    for (const s of this.#steps) {
      const where = s.outs.map((v) => {
        const slot = this.#slotOf.get(v.id);
        if (slot !== undefined) return `buffer ${slot}`;
        if (this.#outputOnes.has(v.id)) return "read out (an output of one element)";
        return s.simd && canReside(v.dtype, sizeOf(v.shape)) && residentAvailable()
          ? "fresh (an output, in the kernels' memory)"
          : "fresh (an output)";
      });
      lines.push(`  ${s.text} -> ${where.join(", ")}`);
    }
    if (this.#aliasText.length > 0) lines.push("no kernel (views):", ...this.#aliasText);
    const bytes = this.#slotSizes.reduce((n, { dtype, size }) => n + size * BYTES[dtype], 0);
    const values = this.#steps.reduce(
      (n, s) => n + s.outs.filter((v) => !this.#outputs.has(v.id)).length,
      0,
    );
    lines.push(
      `buffers: ${this.#slotSizes.length} for ${values} ` +
        `intermediates (${bytes} bytes), reused across calls`,
    );
    return lines.join("\n");
  }
}

// A large float input's copy in the kernels' memory: of the array numbered `last` (at its second
// call in a row, once `filled`).
interface Stage {
  readonly dtype: DType;
  readonly size: number;
  last: number;
  copy: Float32Array | Float64Array | null;
  filled: boolean;
}

interface Slot {
  data: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

interface Run {
  readonly step: Step;
  readonly reads: readonly number[];
  readonly operands: readonly Operand[];
  readonly outs: readonly Slot[];
  readonly registers: readonly number[];
  readonly slots: readonly number[];
  readonly own: readonly (TypedArray | null)[];
  readonly sizes: readonly number[];
}

const EMPTY = new Float32Array(0);
const record = (v: Var): Slot => ({ data: EMPTY, shape: v.shape, dtype: v.dtype });

// A constant's values, copied now (a tensor captured inside a tidy may be released later), once
// for all the steps that read it; a uniform one as its one value for elementwise steps, which
// broadcast it.
function constOperand(
  t: Tensor,
  single: boolean,
  copies: Map<Tensor, TypedArray>,
  kept: (Float32Array | Float64Array)[],
): Operand {
  const fill = lazyFill(t);
  if (single && fill !== undefined) {
    return { data: allocateOwned(t.dtype, 1).fill(fill), shape: [], dtype: t.dtype };
  }
  let data = copies.get(t);
  if (data === undefined) {
    const values = dataOf(t), here = resident(t.dtype, values.length, kept);
    copies.set(t, data = here === null ? values.slice() : (here.set(values), here));
  }
  return { data, shape: t.shape, dtype: t.dtype };
}

// NOTE: a buffer or constant of this many elements or more lives in the kernels' memory, where the
// WebAssembly kernels read and write it in place rather than copying it in and out (W4's step took
// 0.92× of its time); smaller ones stay where JavaScript loops, which serve them, keep them.
const RESIDENT_MIN = 1024;
// No kernel offers the worker a job without an operand of this many elements (vector.ts's loops
// share from 2¹⁴, gemm.ts's products from 2²² multiply-adds, which take one of 2¹⁴ or more).
const SHARED_MIN = 1 << 14;

const canReside = (dtype: DType, size: number): dtype is "float32" | "float64" =>
  size >= RESIDENT_MIN && (dtype === "float32" || dtype === "float64");

// A float array for the program to keep in the kernels' memory (noted in `kept`, to be given back
// with the program), or null where it stays in ordinary memory.
function resident(
  dtype: DType,
  size: number,
  kept: (Float32Array | Float64Array)[],
): Float32Array | Float64Array | null {
  if (!canReside(dtype, size)) return null;
  const array = residentArray(dtype, size);
  if (array !== null) kept.push(array);
  return array;
}

// An output's array. A SIMD loop's goes where it can in the kernels' memory: the loop writes it in
// place, the next call reads it in place when it comes back as an input (a training step's
// weights), and the innermost tidy gives it back when it releases it. Others come from the
// allocator, which reuses what tidy released, as eager ops' arrays do: an array in shared memory
// costs more to copy from (1.45× for `data()` of 4 MB), which a JavaScript kernel's output would
// pay for nothing.
function output(dtype: DType, size: number, simd: boolean): TypedArray {
  if (!simd || !canReside(dtype, size)) {
    return allocateUninit(dtype, size);
  }
  const array = looseArray(dtype, size);
  if (array === null) return allocateUninit(dtype, size);
  noteFresh(array);
  return array;
}

// Gives a collected program's resident arrays back. (Where FinalizationRegistry is missing they
// stay: programs are few, each jitted function's handful.)
const freeing = typeof FinalizationRegistry === "undefined"
  ? undefined
  : new FinalizationRegistry<(Float32Array | Float64Array)[]>((arrays) => {
    for (const a of arrays) freeResident(a);
  });

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

function kernelSteps(p: Program): Step[] {
  return p.eqns.map((e) => kernelStep(e));
}

function kernelStep(e: Eqn): Step {
  return {
    outs: [e.out],
    inputs: e.inputs,
    // A uniform constant reaches an elementwise kernel as its one value (see `Kernel`).
    single: e.prim.scalar !== undefined && e.inputs.length > 1,
    alias: e.prim.alias,
    run: (operands, [out]) => e.prim.kernels.cpu(operands, out, e.attrs),
    text: `${typeName(e.out)} = ${e.prim.name}`,
  };
}

function fusedSteps(p: Program, outputs: ReadonlySet<number>): Step[] {
  const groups = fuseGroups(p, outputs);
  const steps: Step[] = [];
  for (const item of groups) {
    if ("prim" in item) steps.push(kernelStep(item));
    else if ("outs" in item) steps.push(mergedStep(item));
    else steps.push(fusedStep(item));
  }
  return steps;
}

function fusedStep(g: FusedGroup): Step {
  let loop: ((out: TypedArray, inputs: readonly Operand[]) => void) | undefined;
  return {
    outs: [g.out],
    inputs: g.inputs,
    single: true,
    // Compiled at the first call, for the operands' shapes and dtypes, which never change.
    run: (operands, [out]) => (loop ??= g.compile(out.shape, operands))(out.data, operands),
    text: `${typeName(g.out)} = fused[${g.names.join(" ")}]${g.simd ? " (SIMD)" : ""}`,
    simd: g.simd,
  };
}

function mergedStep(m: MergedLoop): Step {
  let loop: ((outs: readonly Operand[], inputs: readonly Operand[]) => void) | undefined;
  return {
    outs: m.outs,
    inputs: m.inputs,
    single: true,
    run: (operands, outs) => (loop ??= m.compile(operands))(outs, operands),
    text: `${m.outs.map(typeName).join(", ")} = fused[${
      m.parts.map((p) => p.join(" ")).join(" | ")
    }]${m.wasm ? " (wasm)" : ""}`,
  };
}
