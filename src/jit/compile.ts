/**
 * Compiling a traced program: dead code and repeated subexpressions removed, chains of
 * elementwise ops fused into one loop each (generated from the primitives' scalar formulas), and
 * a memory plan that gives every intermediate a buffer of an arena living with the program,
 * reused once its last reader has run, within a call and across calls. Where the runtime forbids
 * generating code, nothing is fused and each op runs its own kernel (the interpreted path), with
 * the same results.
 */
import type { Operand } from "../core/dispatch.ts";
import { allocateUninit, type DType, type TypedArray } from "../core/dtype.ts";
import { canGenerate } from "../core/kernels/generated.ts";
import { sizeOf } from "../core/shape.ts";
import { dataOf, lazyFill } from "../core/tensor.ts";
import { type Atom, type Eqn, isConst, Program, typeName, type Var } from "./program.ts";
import { type FusedGroup, fuseGroups } from "./fuse.ts";

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

// A key for attributes of plain data, or undefined where they hold functions or objects.
function plainKey(attrs: unknown): string | undefined {
  let plain = true;
  const text = JSON.stringify(attrs ?? null, (_, v) => {
    if (typeof v === "function" || (typeof v === "object" && v !== null && !isPlain(v))) {
      plain = false;
    }
    return v;
  });
  return plain ? text : undefined;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) || proto === Object.prototype || proto === null;
}

// One step of a compiled program: a kernel, or a fused loop.
interface Step {
  readonly out: Var;
  readonly inputs: readonly Atom[];
  /** Whether a uniform constant may come as its one value, shape [] (elementwise steps). */
  readonly single: boolean;
  run(operands: readonly Operand[], out: Operand): void;
  readonly text: string;
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
  readonly #program: Program;
  readonly #steps: Step[];
  // Where each variable's value lives while a call runs: an input, an arena buffer, or fresh
  // memory (an output), by step.
  readonly #slotOf = new Map<number, number>();
  readonly #slotSizes: { dtype: DType; size: number }[] = [];
  #arena: TypedArray[] | null = null;
  readonly #consts = new Map<symbol, Map<Atom, Operand>>();
  readonly #outputs = new Set<number>();

  constructor(traced: Program) {
    const program = simplify(traced);
    this.#program = program;
    for (const o of program.outputs) if (!isConst(o)) this.#outputs.add(o.id);
    this.#steps = canGenerate ? fusedSteps(program, this.#outputs) : kernelSteps(program);
    this.#plan();
  }

  /** The program after dead-code and common-subexpression elimination, before fusion. */
  get program(): Program {
    return this.#program;
  }

  /**
   * Computes the outputs from the inputs' values (in the program's input order): each output's
   * values, or null for a constant output (the caller has its tensor). Internal.
   */
  run(inputs: readonly TypedArray[]): (TypedArray | null)[] {
    const regs = new Map<number, TypedArray>();
    this.#program.inputs.forEach((v, i) => regs.set(v.id, inputs[i]));
    const arena = this.#arena ??= this.#slotSizes.map(({ dtype, size }) => alloc(dtype, size));
    for (const step of this.#steps) {
      const slot = this.#slotOf.get(step.out.id);
      // Outputs from the allocator, which reuses what tidy released, as eager ops' do.
      const data = slot === undefined
        ? allocateUninit(step.out.dtype, sizeOf(step.out.shape))
        : arena[slot];
      regs.set(step.out.id, data);
      const operands = step.inputs.map((a) => this.#operand(a, regs, step.single));
      step.run(operands, { data, shape: step.out.shape, dtype: step.out.dtype });
    }
    return this.#program.outputs.map((o) => isConst(o) ? null : regs.get(o.id)!);
  }

  #operand(a: Atom, regs: Map<number, TypedArray>, single: boolean): Operand {
    if (!isConst(a)) return { data: regs.get(a.id)!, shape: a.shape, dtype: a.dtype };
    const t = a.value, fill = lazyFill(t);
    const key = single && fill !== undefined ? SINGLE : FULL;
    let byAtom = this.#consts.get(key);
    if (byAtom === undefined) this.#consts.set(key, byAtom = new Map());
    let c = byAtom.get(a);
    if (c === undefined) {
      // Copied: a constant captured from a tidy may be released after the trace.
      c = key === SINGLE
        ? { data: alloc(t.dtype, 1).fill(fill!), shape: [], dtype: t.dtype }
        : { data: dataOf(t).slice(), shape: t.shape, dtype: t.dtype };
      byAtom.set(a, c);
    }
    return c;
  }

  // Buffers from last uses: a step's output takes a free buffer of its size and dtype, and its
  // inputs whose last reader it is free theirs afterwards (never before: a kernel must not write
  // what it reads). Outputs of the program get fresh memory each call, as they leave it.
  #plan(): void {
    const last = new Map<number, number>();
    this.#steps.forEach((s, i) => {
      for (const a of s.inputs) if (!isConst(a)) last.set(a.id, i);
    });
    const free = new Map<string, number[]>();
    this.#steps.forEach((s, i) => {
      if (!this.#outputs.has(s.out.id)) {
        const key = `${s.out.dtype}:${sizeOf(s.out.shape)}`;
        let slot = free.get(key)?.pop();
        if (slot === undefined) {
          slot = this.#slotSizes.length;
          this.#slotSizes.push({ dtype: s.out.dtype, size: sizeOf(s.out.shape) });
        }
        this.#slotOf.set(s.out.id, slot);
      }
      for (const a of new Set(s.inputs)) {
        if (isConst(a) || last.get(a.id) !== i) continue;
        const slot = this.#slotOf.get(a.id);
        if (slot === undefined) continue;
        const key = `${a.dtype}:${sizeOf(a.shape)}`;
        if (!free.has(key)) free.set(key, []);
        free.get(key)!.push(slot);
      }
    });
  }

  /** The program, its fused loops and its buffers. */
  toString(): string {
    const lines = [this.#program.toString(), "steps:"];
    for (const s of this.#steps) {
      const slot = this.#slotOf.get(s.out.id);
      const where = slot === undefined ? "fresh (an output)" : `buffer ${slot}`;
      lines.push(`  ${s.text} -> ${where}`);
    }
    const bytes = this.#slotSizes.reduce((n, { dtype, size }) => n + size * BYTES[dtype], 0);
    lines.push(
      `buffers: ${this.#slotSizes.length} for ${this.#steps.length - this.#outputs.size} ` +
        `intermediates (${bytes} bytes), reused across calls`,
    );
    return lines.join("\n");
  }
}

const SINGLE = Symbol("single"), FULL = Symbol("full");
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

function alloc(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    default:
      return new Uint8Array(n);
  }
}

function kernelSteps(p: Program): Step[] {
  return p.eqns.map((e) => kernelStep(e));
}

function kernelStep(e: Eqn): Step {
  return {
    out: e.out,
    inputs: e.inputs,
    // A uniform constant reaches an elementwise kernel as its one value (see `Kernel`).
    single: e.prim.scalar !== undefined && e.inputs.length > 1,
    run: (operands, out) => e.prim.kernels.cpu(operands, out, e.attrs),
    text: `${typeName(e.out)} = ${e.prim.name}`,
  };
}

function fusedSteps(p: Program, outputs: ReadonlySet<number>): Step[] {
  const groups = fuseGroups(p, outputs);
  const steps: Step[] = [];
  for (const item of groups) {
    if ("prim" in item) steps.push(kernelStep(item));
    else steps.push(fusedStep(item));
  }
  return steps;
}

function fusedStep(g: FusedGroup): Step {
  return {
    out: g.out,
    inputs: g.inputs,
    single: true,
    run: (operands, out) => g.loop(out.data, out.shape, operands),
    text: `${typeName(g.out)} = fused[${g.names.join(" ")}]`,
  };
}
