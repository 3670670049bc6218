/**
 * Fusion: a chain (or tree) of elementwise equations of one output shape whose intermediates
 * nothing else reads becomes one loop, generated from the members' scalar formulas, so the
 * intermediates never reach memory. Its inputs may broadcast to the output's shape.
 */
import type { Operand } from "../core/dispatch.ts";
import type { DType, TypedArray } from "../core/dtype.ts";
import { sameShape, sizeOf } from "../core/shape.ts";
import { broadcastStrides, forEachRow } from "../core/kernels/strided.ts";
import { type Atom, type Eqn, isConst, type Program, type Var } from "./program.ts";

/** A fused loop: its output, its inputs (outside the group) and its members' names. */
export interface FusedGroup {
  readonly out: Var;
  readonly inputs: readonly Atom[];
  readonly names: readonly string[];
  /** The loop for operands of these shapes and dtypes (a compiled program fixes them). */
  readonly compile: (
    shape: readonly number[],
    inputs: readonly { shape: readonly number[]; dtype: DType }[],
  ) => (out: TypedArray, inputs: readonly Operand[]) => void;
}

// Ops whose kernel is a SIMD loop in this dtype run it, rather than a scalar loop in a fusion.
const fusible = (e: Eqn) =>
  e.prim.scalar !== undefined && e.prim.simd?.includes(e.out.dtype) !== true;

/**
 * The program's equations in order, with each fusible group in place of its members (at its
 * root's place: every member comes before the root, and so do their inputs). A group of one
 * stays an equation, run by its kernel.
 */
export function fuseGroups(p: Program, outputs: ReadonlySet<number>): (Eqn | FusedGroup)[] {
  const uses = new Map<number, number>();
  for (const e of p.eqns) for (const a of e.inputs) if (!isConst(a)) count(uses, a.id);
  for (const id of outputs) count(uses, id);
  const producer = new Map<number, Eqn>();
  for (const e of p.eqns) producer.set(e.out.id, e);
  // Which group root each fused equation belongs to, walking back from the roots.
  const rootOf = new Map<Eqn, Eqn>();
  for (let i = p.eqns.length - 1; i >= 0; i--) {
    const e = p.eqns[i];
    if (!fusible(e)) continue;
    const root = rootOf.get(e) ?? e;
    rootOf.set(e, root);
    for (const a of e.inputs) {
      if (isConst(a)) continue;
      const q = producer.get(a.id);
      if (
        q !== undefined && fusible(q) && uses.get(a.id) === 1 && !outputs.has(a.id) &&
        sameShape(q.out.shape, root.out.shape)
      ) rootOf.set(q, root);
    }
  }
  const members = new Map<Eqn, Eqn[]>();
  for (const e of p.eqns) {
    const root = rootOf.get(e);
    if (root === undefined) continue;
    if (!members.has(root)) members.set(root, []);
    members.get(root)!.push(e);
  }
  const out: (Eqn | FusedGroup)[] = [];
  for (const e of p.eqns) {
    const root = rootOf.get(e);
    if (root === undefined) out.push(e);
    else if (root === e) {
      const group = members.get(e)!;
      out.push(group.length === 1 ? e : fuse(group));
    }
  }
  return out;
}

function count(m: Map<number, number>, id: number): void {
  m.set(id, (m.get(id) ?? 0) + 1);
}

// The loop of one group: members in order, each bound to a local; the last is the output.
function fuse(group: readonly Eqn[]): FusedGroup {
  const inside = new Map<number, number>();
  group.forEach((e, j) => inside.set(e.out.id, j));
  const inputs: Atom[] = [];
  const index = new Map<Atom | number, number>();
  const arg = (a: Atom): number => {
    const k = isConst(a) ? a : a.id;
    let i = index.get(k);
    if (i === undefined) {
      index.set(k, i = inputs.length);
      inputs.push(a);
    }
    return i;
  };
  // Statements over placeholders: input k is `@k@`, replaced by the layout's element access.
  const lines = group.map((e, j) => {
    const args = e.inputs.map((a) => {
      const m = isConst(a) ? undefined : inside.get(a.id);
      return m === undefined ? `@${arg(a)}@` : `t${m}`;
    });
    const value = e.prim.scalar!(args, e.out.dtype);
    // Rounded as eager mode's store would round it, so fused and eager agree exactly.
    return `const t${j} = ${e.out.dtype === "float32" ? `Math.fround(${value})` : value};`;
  });
  const last = group.length - 1;
  const root = group[last];
  return {
    out: root.out,
    inputs,
    names: group.map((e) => e.prim.name),
    compile: fusedLoop(lines, `t${last}`),
  };
}

// A loop for the operands' shapes and dtypes, which a compiled program fixes: every input of the
// output's size or a single value (flat), or any broadcast, walked row by row with strides.
function fusedLoop(lines: readonly string[], result: string): FusedGroup["compile"] {
  return (shape, inputs) => {
    const n = sizeOf(shape);
    const sizes = inputs.map((x) => sizeOf(x.shape));
    if (sizes.every((len) => len === n || len === 1)) {
      const singles = sizes.map((len) => len === 1 && n !== 1);
      const loop = flatLoop(lines, result, singles);
      return (out, operands) => loop(out, operands, n);
    }
    const loop = stridedLoop(lines, result, inputs.length);
    const strides = inputs.map((x) => broadcastStrides(x.shape, shape));
    return (out, operands) => {
      const datas = operands.map((x) => x.data);
      forEachRow(shape, strides, (o, offs, len, inner) => loop(out, o, datas, offs, inner, len));
    };
  };
}

type Loop = (...args: unknown[]) => void;

function flatLoop(lines: readonly string[], result: string, singles: readonly boolean[]): Loop {
  const load = singles.map((s, i) =>
    s ? `const s${i} = xs[${i}].data[0];` : `const x${i} = xs[${i}].data;`
  ).join(" ");
  const body = lines.map((l) => l.replace(/@(\d+)@/g, (_, i) => singles[+i] ? `s${i}` : `x${i}[i]`))
    .join(" ");
  return new Function(
    "o",
    "xs",
    "n",
    `"use strict"; ${load} for (let i = 0; i < n; i++) { ${body} o[i] = ${result}; }`,
  ) as Loop;
}

function stridedLoop(lines: readonly string[], result: string, k: number): Loop {
  const load = Array.from(
    { length: k },
    (_, i) => `const x${i} = xs[${i}]; let i${i} = offs[${i}]; const d${i} = inner[${i}];`,
  ).join(" ");
  const steps = Array.from({ length: k }, (_, i) => `i${i} += d${i};`).join(" ");
  const body = lines.map((l) => l.replace(/@(\d+)@/g, (_, i) => `x${i}[i${i}]`)).join(" ");
  return new Function(
    "o",
    "oi",
    "xs",
    "offs",
    "inner",
    "n",
    `"use strict"; ${load} for (let j = 0; j < n; j++) { ${body} o[oi + j] = ${result}; ${steps} }`,
  ) as Loop;
}
