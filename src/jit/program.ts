/**
 * A traced program (JAX's jaxpr): inputs, equations of primitives in order, and outputs, each a
 * variable (a value known only when the program runs) or a constant (a concrete tensor captured
 * while tracing).
 */
import type { Primitive } from "../core/dispatch.ts";
import type { DType } from "../core/dtype.ts";
import { fmtShape } from "../core/shape.ts";
import { dataOf, lazyFill, type Tensor } from "../core/tensor.ts";

/** A value known only when the program runs. */
export interface Var {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A concrete tensor captured while tracing. */
export interface Const {
  readonly value: Tensor;
  /** How the program prints it, decided while tracing (the tensor may be released later). */
  readonly text: string;
}

/** A constant of the program: `t`, as captured while tracing. */
export function constOf(t: Tensor): Const {
  return { value: t, text: constText(t) };
}

/** An equation's operand or a program's output. */
export type Atom = Var | Const;

/** One primitive applied to atoms, giving `out`. */
export interface Eqn {
  readonly prim: Primitive;
  readonly inputs: readonly Atom[];
  readonly attrs: unknown;
  readonly out: Var;
}

/** Whether `a` is a constant. */
export function isConst(a: Atom): a is Const {
  return "value" in a;
}

/**
 * A program of primitives. `toString()` prints it as JAX's `make_jaxpr` does: one equation per
 * line, with its output's shape and dtype.
 *
 * @example Printing a small program
 * ```ts
 * import assert from "node:assert/strict";
 * import { Program } from "./program.ts";
 * const x = { id: 0, shape: [3], dtype: "float32" } as const;
 * assert.match(new Program([x], [], [x]).toString(), /in \(a:f32\[3\]\)/);
 * ```
 */
export class Program {
  constructor(
    readonly inputs: readonly Var[],
    readonly eqns: readonly Eqn[],
    readonly outputs: readonly Atom[],
  ) {}

  /** The program as text. */
  toString(): string {
    const names = new Map<number, string>();
    const name = (v: Var) => {
      let n = names.get(v.id);
      if (n === undefined) names.set(v.id, n = varName(names.size));
      return n;
    };
    const typed = (v: Var) => `${name(v)}:${typeName(v)}`;
    const atom = (a: Atom) => isConst(a) ? a.text : name(a);
    const lines = [`in (${this.inputs.map(typed).join(", ")})`];
    for (const e of this.eqns) {
      lines.push(
        `  ${typed(e.out)} = ${e.prim.name}${attrsText(e.attrs)} ${e.inputs.map(atom).join(" ")}`,
      );
    }
    lines.push(`out (${this.outputs.map(atom).join(", ")})`);
    return lines.join("\n");
  }
}

const SHORT: Record<DType, string> = { float32: "f32", float64: "f64", int32: "i32", bool: "bool" };

/** `f32[3,4]`: a variable's dtype and shape, as programs print them. */
export function typeName(v: { shape: readonly number[]; dtype: DType }): string {
  return `${SHORT[v.dtype]}${fmtShape(v.shape)}`;
}

// a, b, …, z, ba, bb, …
function varName(i: number): string {
  let s = "";
  do {
    s = String.fromCharCode(97 + (i % 26)) + s;
    i = Math.floor(i / 26);
  } while (i > 0);
  return s;
}

function constText(t: Tensor): string {
  const fill = lazyFill(t);
  if (fill !== undefined) return `${fill}:${typeName(t)}`;
  return t.size === 1 ? `${dataOf(t)[0]}:${SHORT[t.dtype]}` : `const:${typeName(t)}`;
}

// Attributes as `[k=v …]`, functions (custom rules) shown by name only.
function attrsText(attrs: unknown): string {
  if (attrs === undefined || attrs === null || typeof attrs !== "object") return "";
  const parts = Object.entries(attrs as Record<string, unknown>).map(([k, v]) =>
    `${k}=${typeof v === "function" ? "fn" : typeof v === "object" ? JSON.stringify(v) : v}`
  );
  return parts.length === 0 ? "" : `[${parts.join(" ")}]`;
}
