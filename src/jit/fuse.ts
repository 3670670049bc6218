/**
 * Fusion: a chain (or tree) of elementwise equations of one output shape whose intermediates
 * nothing else reads becomes one loop, generated from the members' scalar formulas, so the
 * intermediates never reach memory. Its inputs may broadcast to the output's shape. A group that
 * holds an op with a SIMD kernel (float32 sin, exp) is generated as WebAssembly SIMD from the
 * members' vector formulas instead, when all of them have one. Then loops over the same elements
 * merge into one pass, with the work on single values after them as its epilogue (`MergedLoop`);
 * a float32 one of up to 65,536 elements runs its loop as WebAssembly in float32 arithmetic.
 */
import type { Operand } from "../core/dispatch.ts";
import { allocateOwned, type DType, type TypedArray } from "../core/dtype.ts";
import { sameShape, sizeOf } from "../core/shape.ts";
import { lazyFill } from "../core/tensor.ts";
import { broadcastStrides, forEachPlane } from "../core/kernels/strided.ts";
import {
  canGenerate,
  compileFormulas,
  isTrailing,
  lengthCheck,
} from "../core/kernels/generated.ts";
import { partValue, scalarLoop, type ScalarPart } from "../core/kernels/wasm/scalar.ts";
import { SIMD_MIN } from "../core/kernels/wasm/math.ts";
import {
  float64Ops,
  MAX_INPUTS,
  V,
  vectorLoop,
  vectorLoops,
  type VNode,
} from "../core/kernels/wasm/vector.ts";
import { type Atom, type Eqn, isConst, type Program, type Var } from "./program.ts";

/** A fused loop: its output, its inputs (outside the group) and its members' names. */
export interface FusedGroup {
  readonly out: Var;
  readonly inputs: readonly Atom[];
  readonly names: readonly string[];
  /** Whether the loop is WebAssembly SIMD (else JavaScript). */
  readonly simd: boolean;
  /**
   * Whether `lines` round as the members' kernels do (not where a member's kernel is a SIMD
   * loop), so that a sum may take them as its prologue.
   */
  readonly exact: boolean;
  /** The members' statements (input k written `@k@`), and the local holding the result. */
  readonly lines: readonly string[];
  readonly result: string;
  /**
   * Where the loop walks its output flat, every input of its length or a single value: that
   * length, and whether the values are summed whole (one output element) rather than stored. Such
   * loops of one length may merge into one (see `mergeLoops`).
   */
  readonly flat?: { readonly n: number; readonly sum: boolean };
  /**
   * The value of one element as a node of the SIMD expression language, from its inputs' nodes,
   * where every member gives float32 and has a vector formula; else null.
   */
  readonly float32Node?: (args: readonly VNode[]) => VNode | null;
  /** The loop for operands of these shapes and dtypes (a compiled program fixes them). */
  readonly compile: (
    shape: readonly number[],
    inputs: readonly { shape: readonly number[]; dtype: DType }[],
  ) => (out: TypedArray, inputs: readonly Operand[]) => void;
}

// Ops whose kernel is a SIMD loop in this dtype run it, rather than a scalar loop in a fusion.
const fusible = (e: Eqn) =>
  e.prim.scalar !== undefined && e.prim.simd?.includes(e.out.dtype) !== true;

// NOTE: an op with a SIMD kernel joins a group only where the whole group can be a float32 SIMD
// loop: a scalar loop would run it slower than its kernel, and round it otherwise.
const simdOp = (e: Eqn) =>
  e.prim.simd?.includes(e.out.dtype) === true && sizeOf(e.out.shape) >= SIMD_MIN &&
  e.prim.vector !== undefined && vectorLoops();

const dtypeOf = (a: Atom) => isConst(a) ? a.value.dtype : a.dtype;

/**
 * The program's equations in order, with each fusible group in place of its members (at its
 * root's place: every member comes before the root, and so do their inputs). A group of one
 * stays an equation, run by its kernel, unless it can be a float32 SIMD loop (see `simdAlone`).
 * Then flat loops of one length are merged (see `MergedLoop`), and the items reordered where that
 * lets more of them merge.
 */
export function fuseGroups(p: Program, outputs: ReadonlySet<number>): Item[] {
  // Readers of each value (an op reading it twice, as x·x, is one reader).
  const uses = new Map<number, number>();
  for (const e of p.eqns) {
    for (const a of new Set(e.inputs)) if (!isConst(a)) count(uses, a.id);
  }
  for (const id of outputs) count(uses, id);
  // SIMD ops leave the groups that cannot be SIMD loops, and the groups are formed again.
  const joining = new Set(p.eqns.filter(simdOp));
  let members: Map<Eqn, Eqn[]>;
  for (;;) {
    members = groups(p, outputs, (e) => fusible(e) || joining.has(e));
    const before = joining.size;
    for (const g of members.values()) {
      if (g.some((e) => joining.has(e)) && lanesOf(g) !== "float32") {
        for (const e of g) joining.delete(e);
      }
    }
    if (joining.size === before) break;
  }
  const rootOf = new Map<Eqn, Eqn>();
  for (const [root, g] of members) for (const e of g) rootOf.set(e, root);
  const out: (Eqn | FusedGroup | null)[] = [];
  for (const e of p.eqns) {
    const root = rootOf.get(e);
    if (root === undefined) out.push(e);
    else if (root === e) {
      const group = members.get(e)!;
      const withSimdOps = group.some((m) => joining.has(m));
      if (group.length === 1) out.push(simdAlone(e) ? fuseSimd(group, true) : e);
      else if (withSimdOps || wide(group)) out.push(fuseSimd(group, !withSimdOps));
      else out.push(fuse(group));
    }
  }
  sumPrologues(out, uses, outputs);
  return mergeLoops(out.filter((item) => item !== null), outputs);
}

// Each group's members in program order, by root, walking back from the roots: an equation that
// may join joins its readers' group when they all are in one, it has that group's shape, and it
// is not an output of the program.
function groups(
  p: Program,
  outputs: ReadonlySet<number>,
  joins: (e: Eqn) => boolean,
): Map<Eqn, Eqn[]> {
  const readers = new Map<number, Eqn[]>();
  for (const e of p.eqns) {
    for (const a of e.inputs) {
      if (isConst(a)) continue;
      if (!readers.has(a.id)) readers.set(a.id, []);
      readers.get(a.id)!.push(e);
    }
  }
  const rootOf = new Map<Eqn, Eqn>();
  for (let i = p.eqns.length - 1; i >= 0; i--) {
    const e = p.eqns[i];
    if (!joins(e)) continue;
    const roots = new Set((readers.get(e.out.id) ?? []).map((r) => rootOf.get(r)));
    const [root] = roots;
    const joined = roots.size === 1 && root !== undefined && !outputs.has(e.out.id) &&
      sameShape(e.out.shape, root.out.shape);
    rootOf.set(e, joined ? root : e);
  }
  const members = new Map<Eqn, Eqn[]>();
  for (const e of p.eqns) {
    const root = rootOf.get(e);
    if (root === undefined) continue;
    if (!members.has(root)) members.set(root, []);
    members.get(root)!.push(e);
  }
  return members;
}

// NOTE: a float32 group of arithmetic ops runs faster as a SIMD loop than as a JavaScript one from
// about a thousand elements on (2.5x on a 7-op chain of 10,000, as fast on a 2-op one of 10⁶,
// where copies bound both), and rounds the same; below, the call and the copies cost more than
// they save. On two float64 lanes the loop gains less, and only while its arrays stay in the
// caches: W4's step, whose SGD update of 200,704 weights becomes one, runs about 10 % faster;
// Adam's update of 3.2 million ran slower, the copies in and out of the kernels' memory then
// costing more than the lanes save.
const WIDE_MIN = 1024;
const WIDE64_MAX = 1 << 18;
const wide = (group: readonly Eqn[]) => {
  const n = sizeOf(group[group.length - 1].out.shape);
  const lanes = n >= WIDE_MIN && vectorLoops() ? lanesOf(group) : null;
  return lanes === "float32" || (lanes === "float64" && n <= WIDE64_MAX);
};

// NOTE: one op alone, too, runs as a float32 SIMD loop rather than its kernel from WIDE_MIN
// elements on (not an op whose output shares its input's buffer, which runs nothing): W4's relu of
// 32,768 floats took 172 µs as a merged scalar loop (a branch on random signs), 33 as a SIMD loop
// (W4 jitted 0.955 of its time, interleaved). Ops with a SIMD kernel of their own keep it.
const simdAlone = (e: Eqn) =>
  fusible(e) && e.prim.alias === undefined && sizeOf(e.out.shape) >= WIDE_MIN &&
  vectorLoops() && lanesOf([e]) === "float32";

// The lanes of a group's SIMD loop, or null where it cannot be one. Every member has a vector
// formula, and its inputs from outside (at most MAX_INPUTS) are of the output's size, single
// values or rows (see `rowLength`). On float32 lanes every value is float32; on float64 lanes
// every member gives float64 (float32 inputs are read as float64), but the last may give float32
// where its formula rounds to it (a cast), and every op has a float64 form (not sin or exp).
function lanesOf(group: readonly Eqn[]): "float32" | "float64" | null {
  const root = group[group.length - 1], n = sizeOf(root.out.shape);
  const inside = new Set(group.map((e) => e.out.id));
  const outside = new Set<unknown>();
  let f32 = true, f64 = true;
  for (const e of group) {
    if (e.prim.vector === undefined) return null;
    for (const a of e.inputs) {
      if (!isConst(a) && inside.has(a.id)) continue;
      if (![n, 1].includes(sizeOf(shapeOf(a))) && rowLength(a, root.out.shape) === 0) return null;
      if (!["float32", "float64"].includes(dtypeOf(a))) return null;
      outside.add(isConst(a) ? a : a.id);
    }
    // A bool inside the loop is float32 lanes of 1.0 and 0.0 (see `Primitive.vector`).
    const lanes32 = (d: string) => d === "float32" || (d === "bool" && e !== root);
    f32 &&= lanes32(e.out.dtype) && e.inputs.every((a) => lanes32(dtypeOf(a)));
    const formula = vectorOf(e, e.inputs.map((_, i) => V.input(i)));
    f64 &&= float64Ops(formula) &&
      (e.out.dtype === "float64" || (e === root && formula.op === "round32"));
  }
  if (outside.size > MAX_INPUTS) return null;
  return f32 ? "float32" : f64 ? "float64" : null;
}

const vectorOf = (e: Eqn, args: readonly VNode[]) => e.prim.vector!(args, e.out.dtype);

// An input that is the output's trailing dimensions (a bias of a matrix's rows), repeated along it
// in a SIMD loop: its length, a multiple of 4 (a lane's four elements then never straddle the end
// of a row), or 0 where it is not such a row.
function rowLength(a: Atom, shape: readonly number[]): number {
  const len = sizeOf(shapeOf(a));
  return len % 4 === 0 && len < sizeOf(shape) && isTrailing(shapeOf(a), shape) ? len : 0;
}

// How a SIMD loop reads an input for an output of n elements (see `lanesOf`).
function loopInput(x: { shape: readonly number[]; dtype: DType }, shape: readonly number[]) {
  const len = sizeOf(x.shape), dtype = x.dtype as "float32" | "float64";
  if (len === sizeOf(shape)) return { kind: "array", dtype } as const;
  return len === 1
    ? { kind: "single", dtype } as const
    : { kind: "row", dtype, period: len } as const;
}

// A sum whose input is made by a fused chain (or one fusible op) that nothing else reads takes
// that chain as its prologue: the chain's values are summed as they are computed, and never
// stored. Only for sums over adjacent axes of inputs that do not broadcast, the common case; such
// a sum of a float input that no chain makes is a generated loop too, reading it as it is.
function sumPrologues(
  items: (Eqn | FusedGroup | null)[],
  uses: ReadonlyMap<number, number>,
  outputs: ReadonlySet<number>,
): void {
  const at = new Map<number, number>();
  items.forEach((item, i) => at.set(item!.out.id, i));
  items.forEach((item, i) => {
    if (item === null || !("prim" in item) || item.prim.sums === undefined) return;
    const x = item.inputs[0];
    const axes = item.prim.sums(item.attrs as never);
    if (isConst(x) || !adjacent(axes)) return;
    const only = uses.get(x.id) === 1 && !outputs.has(x.id);
    const chain = only ? prologue(items, at.get(x.id)) : null;
    if (chain !== null) {
      items[at.get(x.id)!] = null;
      items[i] = sumOf(chain, item.out, x.shape, axes);
    } else if (FLOATS.has(x.dtype) && x.dtype === item.out.dtype) {
      // Without a prologue the loop still beats the kernel on small sums, which have no
      // accumulator to allocate and no axes to sort out each call.
      items[i] = sumOf(identity(x), item.out, x.shape, axes);
    }
  });
}

const FLOATS = new Set<DType>(["float32", "float64"]);

// The chain that makes a sum's input (item j, which nothing else reads), if the sum may take it:
// it rounds as its kernels do, and its inputs do not broadcast.
function prologue(
  items: readonly (Eqn | FusedGroup | null)[],
  j: number | undefined,
): FusedGroup | null {
  if (j === undefined) return null;
  const source = items[j]!;
  const chain = "prim" in source ? (fusible(source) ? fuse([source]) : null) : source;
  const n = sizeOf(source.out.shape);
  return chain !== null && chain.exact &&
      chain.inputs.every((a) => [n, 1].includes(sizeOf(shapeOf(a))))
    ? chain
    : null;
}

// A chain of no ops: the sum reads its input as it is (sumOf uses its lines, not its loop).
function identity(x: Var): FusedGroup {
  const lines = ["const t0 = @0@;"];
  return {
    out: x,
    inputs: [x],
    names: [],
    simd: false,
    exact: true,
    lines,
    result: "t0",
    float32Node: ([x]) => x,
    compile: fusedLoop(lines, "t0"),
  };
}

const adjacent = (axes: readonly number[]) =>
  axes.length > 0 && axes[axes.length - 1] - axes[0] === axes.length - 1;

const shapeOf = (a: Atom) => isConst(a) ? a.value.shape : a.shape;

function sumOf(chain: FusedGroup, out: Var, shape: readonly number[], axes: readonly number[]) {
  let outer = 1, reduced = 1, inner = 1;
  shape.forEach((d, i) => {
    if (i < axes[0]) outer *= d;
    else if (i <= axes[axes.length - 1]) reduced *= d;
    else inner *= d;
  });
  const group: FusedGroup = {
    out,
    inputs: chain.inputs,
    names: [...chain.names, "reduceSum"],
    simd: false,
    exact: true,
    lines: chain.lines,
    result: chain.result,
    flat: outer === 1 && inner === 1 ? { n: reduced, sum: true } : undefined,
    float32Node: chain.float32Node,
    compile: (_, inputs) => {
      const singles = inputs.map((x) => sizeOf(x.shape) === 1 && outer * reduced * inner !== 1);
      const loop = sumLoop(chain.lines, chain.result, singles);
      return (o, operands) => loop(o, operands, outer, reduced, inner);
    },
  };
  return group;
}

// reduceKernel's order exactly (kernels/reduce.ts): along a row, two float64 sums of alternate
// elements, added at the end; down columns, one float64 sum per column, row after row.
function sumLoop(lines: readonly string[], result: string, singles: readonly boolean[]): Loop {
  const load = loads(singles);
  const at = (index: string) => statements(lines, (k) => singles[k] ? `s${k}` : `x${k}[${index}]`);
  return compileFormulas(
    `function (o, xs, outer, reduced, inner) { ${load}
    if (inner === 1) {
      for (let q = 0; q < outer; q++) {
        let a0 = 0, a1 = 0, i = q * reduced;
        const end = i + reduced;
        for (; i + 1 < end; i += 2) {
          { ${at("i")} a0 += ${result}; }
          { ${at("i + 1")} a1 += ${result}; }
        }
        if (i < end) { ${at("i")} a0 += ${result}; }
        o[q] = 0 + (a0 + a1);
      }
      return;
    }
    const acc = new Float64Array(inner);
    for (let q = 0; q < outer; q++) {
      acc.fill(0);
      for (let r = 0; r < reduced; r++) {
        const base = (q * reduced + r) * inner;
        for (let j = 0; j < inner; j++) { ${at("base + j")} acc[j] += ${result}; }
      }
      for (let j = 0; j < inner; j++) o[q * inner + j] = acc[j];
    }
  }`,
  ) as Loop;
}

function count(m: Map<number, number>, id: number): void {
  m.set(id, (m.get(id) ?? 0) + 1);
}

// A loop's inputs from outside, each once (a variable by id, a constant by identity): `arg(a)`
// is a's index, appended at its first sight.
function inputList(): { inputs: Atom[]; arg: (a: Atom) => number } {
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
  return { inputs, arg };
}

// The loop of one group: members in order, each bound to a local; the last is the output.
function fuse(group: readonly Eqn[]): FusedGroup {
  const inside = new Map<number, number>();
  group.forEach((e, j) => inside.set(e.out.id, j));
  const { inputs, arg } = inputList();
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
  const n = sizeOf(root.out.shape);
  return {
    out: root.out,
    inputs,
    names: group.map((e) => e.prim.name),
    simd: false,
    exact: true,
    lines,
    result: `t${last}`,
    flat: inputs.every((a) => [n, 1].includes(sizeOf(shapeOf(a)))) ? { n, sum: false } : undefined,
    float32Node: (args) => {
      const nodes = new Map<number, VNode>();
      for (const e of group) {
        if (e.prim.vector === undefined || e.out.dtype !== "float32") return null;
        const ins = e.inputs.map((a) => (!isConst(a) && nodes.get(a.id)) || args[arg(a)]);
        nodes.set(e.out.id, e.prim.vector(ins, e.out.dtype));
      }
      return nodes.get(root.out.id)!;
    },
    compile: fusedLoop(lines, `t${last}`),
  };
}

// The group as one SIMD loop (see lanesOf), whose results are the members' kernels' bit for bit.
// Where a lane falls outside what the loop's sin or exp serve, the members' kernels run one after
// another instead (they have their own ways for such lanes).
function fuseSimd(group: readonly Eqn[], exact: boolean): FusedGroup {
  const scalar = fuse(group);
  const slot = (a: Atom) =>
    scalar.inputs.findIndex((b) => isConst(a) ? a === b : !isConst(b) && b.id === a.id);
  const nodes = new Map<number, VNode>();
  for (const e of group) {
    const args = e.inputs.map((a) => (!isConst(a) && nodes.get(a.id)) || V.input(slot(a)));
    nodes.set(e.out.id, vectorOf(e, args));
  }
  const root = nodes.get(scalar.out.id)!;
  return {
    ...scalar,
    simd: true,
    exact,
    flat: undefined,
    compile: (shape, inputs) => {
      const n = sizeOf(shape);
      const loop = vectorLoop(
        root,
        inputs.map((x) => loopInput(x, shape)),
        scalar.out.dtype as "float32" | "float64",
      )!;
      const kernels = memberKernels(group, slot);
      return (out, operands) => {
        const data = operands.map((x) => x.data as Float32Array | Float64Array);
        if (!loop(out as Float32Array | Float64Array, data, n)) kernels(out, operands);
      };
    },
  };
}

// The group's members run by their kernels, into buffers of their own (made at the first such
// call) and the last into `out`.
function memberKernels(group: readonly Eqn[], slot: (a: Atom) => number) {
  let temps: Operand[] | undefined;
  return (out: TypedArray, operands: readonly Operand[]) => {
    temps ??= group.map((e) => ({
      data: allocateOwned(e.out.dtype, sizeOf(e.out.shape)),
      shape: e.out.shape,
      dtype: e.out.dtype,
    }));
    const values = new Map<number, Operand>();
    group.forEach((e, j) => {
      const last = j === group.length - 1;
      const o = last ? { ...temps![j], data: out } : temps![j];
      const ins = e.inputs.map((a) => (!isConst(a) && values.get(a.id)) || operands[slot(a)]);
      e.prim.kernels.cpu(ins, o, e.attrs);
      values.set(e.out.id, o);
    });
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
      forEachPlane(shape, strides, (o, at, rows, len, outer, inner) => {
        loop(out, o, rows, len, datas, at, outer, inner);
      });
    };
  };
}

type Loop = (...args: unknown[]) => void;

// The flat loops' reads of their inputs: a single value hoisted into `s<k>`, else the array `x<k>`.
function loads(singles: readonly boolean[]): string {
  return singles.map((s, k) =>
    s ? `const s${k} = xs[${k}].data[0];` : `const x${k} = xs[${k}].data;`
  )
    .join(" ");
}

// The members' statements with input k (written `@k@`) read as `read(k)`.
function statements(lines: readonly string[], read: (k: number) => string): string {
  return lines.map((l) => l.replace(/@(\d+)@/g, (_, k) => read(+k))).join(" ");
}

function flatLoop(lines: readonly string[], result: string, singles: readonly boolean[]): Loop {
  const load = loads(singles);
  const body = statements(lines, (k) => singles[k] ? `s${k}` : `x${k}[i]`);
  const arrays = singles.flatMap((s, k) => (s ? [] : [`x${k}.length`]));
  const check = lengthCheck("fused loop", [
    ["n", "o.length"],
    ...arrays.map((a) => ["n", a] as const),
  ]);
  return compileFormulas(
    `function (o, xs, n) { ${load} ${check} ` +
      `for (let i = 0; i < n; i++) { ${body} o[i] = ${result}; } }`,
  ) as Loop;
}

// A plane of `rows` rows of n (see forEachPlane): input k from its offset, stepping e<k> between
// rows and d<k> along one.
function stridedLoop(lines: readonly string[], result: string, k: number): Loop {
  const load = Array.from(
    { length: k },
    (_, i) => `const x${i} = xs[${i}], a${i} = at[${i}], e${i} = outer[${i}], d${i} = inner[${i}];`,
  ).join(" ");
  const starts = Array.from({ length: k }, (_, i) => `let i${i} = a${i} + r * e${i};`).join(" ");
  const steps = Array.from({ length: k }, (_, i) => `i${i} += d${i};`).join(" ");
  const body = statements(lines, (k) => `x${k}[i${k}]`);
  const check = lengthCheck("fused loop", [["oi + rows * n", "o.length"]]);
  return compileFormulas(
    `function (o, oi, rows, n, xs, at, outer, inner) { ${load} ${check} ` +
      `for (let r = 0, oj = oi; r < rows; r++) { ${starts} for (let j = 0; j < n; j++, oj++) { ` +
      `${body} o[oj] = ${result}; ${steps} } } }`,
  ) as Loop;
}

/**
 * Flat loops of one length merged into one pass (horizontal fusion): each part's values are
 * computed once per element, a part that reads another's values takes them as they are computed,
 * and only values read after the loop are stored. Its outputs are those stored values, and each
 * summing part's sum.
 */
export interface MergedLoop {
  readonly outs: readonly Var[];
  readonly inputs: readonly Atom[];
  /** Each part's members' names. */
  readonly parts: readonly (readonly string[])[];
  /** Whether its loop is WebAssembly (float32 arithmetic), else JavaScript. */
  readonly wasm: boolean;
  /** The loop for operands of these shapes (a compiled program fixes them). */
  readonly compile: (
    inputs: readonly { shape: readonly number[] }[],
  ) => (outs: readonly Operand[], inputs: readonly Operand[]) => void;
}

/** A step of a fused program: an equation run by its kernel, or a generated loop. */
export type Item = Eqn | FusedGroup | MergedLoop;

/** The values an item of `fuseGroups`' result computes. */
export function outsOf(item: Item): readonly Var[] {
  return "outs" in item ? item.outs : [item.out];
}

// NOTE: a bound on a merged loop's parts keeps its function small enough for V8 to optimize.
const MAX_PARTS = 32;

// One part of a merged loop: its statements for one element, of `n`, whose values are stored,
// or summed whole (reduceKernel's two alternating sums, or one sum in order: a dot product).
interface Part {
  readonly out: Var;
  readonly inputs: readonly Atom[];
  readonly names: readonly string[];
  readonly lines: readonly string[];
  readonly result: string;
  readonly n: number;
  readonly sum?: "alternate" | "ordered";
  /** See `FusedGroup.float32Node` (for an ordered sum: the product). */
  readonly float32Node?: (args: readonly VNode[]) => VNode | null;
}

// The part an item can be: a flat loop, a lone fusible op (its kernel is such a loop), a product
// that is one dot product, or a view of one value (a reshape of a sum, which costs nothing to
// copy, and otherwise keeps what reads it out of an epilogue).
function partOf(item: Item): Part | null {
  if ("outs" in item) return null;
  if ("prim" in item && item.prim.alias !== undefined && sizeOf(item.out.shape) === 1) {
    const inputs = [item.inputs.at(item.prim.alias)!];
    return {
      ...item,
      inputs,
      names: [item.prim.name],
      lines: ["const t0 = @0@;"],
      result: "t0",
      n: 1,
      float32Node: ([x]: readonly VNode[]) => x,
    };
  }
  if ("prim" in item && item.prim.dot !== undefined) {
    const n = item.prim.dot(item.inputs.map(shapeOf), item.attrs as never);
    if (n === undefined) return null;
    // Each term in float64, as the kernel computes it.
    const lines = ["const t0 = @0@ * @1@;"];
    return {
      ...item,
      names: [item.prim.name],
      lines,
      result: "t0",
      n,
      sum: "ordered",
      float32Node: ([x, y]) => V.mul(x, y),
    };
  }
  const g = "prim" in item ? (fusible(item) ? fuse([item]) : null) : item;
  if (g?.flat === undefined) return null;
  return { ...g, n: g.flat.n, sum: g.flat.sum ? "alternate" : undefined };
}

// Merges flat loops of one length, from the first that has not led a merge yet (longer loops
// first, so that the parts of one element join them as epilogues), until none is left.
function mergeLoops(items: Item[], outputs: ReadonlySet<number>): Item[] {
  const parts = new Map<Item, Part | null>();
  const part = (x: Item): Part | null => {
    if (!parts.has(x)) parts.set(x, partOf(x));
    return parts.get(x)!;
  };
  // NOTE: a program of thousands of loops of as many lengths must not cost a scan of the rest
  // for each: a loop with no later part of its length, nor of one element, is passed over, and
  // a scan resumes where the last one started (a merge moves nothing before its start).
  let last = lastParts(items, part);
  const tried = new Set<Item>();
  for (const long of [true, false]) {
    for (let from = 0;;) {
      let start = from;
      while (
        start < items.length &&
        (tried.has(items[start]) || part(items[start]) === null ||
          (long && part(items[start])!.n === 1))
      ) start++;
      if (start === items.length) break;
      tried.add(items[start]);
      from = start;
      const n = part(items[start])!.n;
      if (last.get(n) === start && (n === 1 || (last.get(1) ?? -1) < start)) continue;
      const merged = mergeFrom(items, start, part, outputs);
      if (merged !== items) last = lastParts(items = merged, part);
    }
  }
  return items;
}

// For each length, the position of the last part of that length.
function lastParts(items: readonly Item[], part: (x: Item) => Part | null): Map<number, number> {
  const last = new Map<number, number>();
  items.forEach((x, i) => {
    const p = part(x);
    if (p !== null) last.set(p.n, i);
  });
  return last;
}

// The loop at `start` with each later part of its length that reads none of its sums merged into
// it, and each part of one element as its epilogue, run after the loop (where its sums are
// known), where there are any: items that read what it computes go after it, the others before.
function mergeFrom(
  items: readonly Item[],
  start: number,
  part: (x: Item) => Part | null,
  outputs: ReadonlySet<number>,
): Item[] {
  const n = part(items[start])!.n;
  const members = [items[start]];
  const values = new Set<number>(), sums = new Set<number>(), epilogue = new Set<number>();
  const late = new Set<number>();
  const join = (p: Part) => (p.n === 1 ? epilogue : p.sum ? sums : values).add(p.out.id);
  join(part(items[start])!);
  const before = items.slice(0, start), after: Item[] = [];
  for (const x of items.slice(start + 1)) {
    const reads = x.inputs.flatMap((a) => isConst(a) ? [] : [a.id]);
    const p = members.length < MAX_PARTS ? part(x) : null;
    const joins = p !== null && !reads.some((id) => late.has(id)) &&
      (p.n === 1 || (p.n === n && !reads.some((id) => sums.has(id) || epilogue.has(id))));
    if (joins) {
      members.push(x);
      join(p);
    } else if (
      reads.some((id) => values.has(id) || sums.has(id) || epilogue.has(id) || late.has(id))
    ) {
      after.push(x);
      for (const v of outsOf(x)) late.add(v.id);
    } else before.push(x);
  }
  if (members.length === 1) return items as Item[];
  const readLater = new Set(outputs);
  for (const x of [...before, ...after]) {
    for (const a of x.inputs) if (!isConst(a)) readLater.add(a.id);
  }
  return [...before, merge(members.map((x) => part(x)!), readLater), ...after];
}

function merge(parts: readonly Part[], readLater: ReadonlySet<number>): MergedLoop {
  const { inputs, arg } = inputList();
  // Each part's inputs: another part's value (its local `r<m>`), a sum made before it (read as
  // stored, in an epilogue), or an input of the loop.
  const local = new Map<number, number>(), summed = new Map<number, number>();
  const outs: Var[] = [];
  const plans = parts.map((p, m) => {
    const reads = p.inputs.map((a): Read =>
      isConst(a)
        ? { input: arg(a) }
        : local.has(a.id)
        ? { local: local.get(a.id)! }
        : summed.has(a.id)
        ? { sum: summed.get(a.id)! }
        : { input: arg(a) }
    );
    const stored = p.sum !== undefined || readLater.has(p.out.id);
    const out = stored ? outs.push(p.out) - 1 : -1;
    if (p.sum === undefined) local.set(p.out.id, m);
    else summed.set(p.out.id, out);
    // A part of one element runs after the loop (all of them, where the loop is of one).
    return { p, reads, out, epilogue: p.n === 1, m };
  });
  const n = parts[0].n;
  // An input comes as one value where it has one, or is a uniform constant (see compile.ts).
  const single = (a: Atom) =>
    n !== 1 && (sizeOf(shapeOf(a)) === 1 || (isConst(a) && lazyFill(a.value) !== undefined));
  const loop = plans.filter((plan) => !plan.epilogue);
  const wasm = float32Loop(loop, inputs, inputs.map(single), n);
  return {
    outs,
    inputs,
    parts: parts.map((p) => p.names),
    wasm: wasm !== null,
    compile: (shapes) => {
      const singles = shapes.map((x) => sizeOf(x.shape) === 1 && n !== 1);
      // The WebAssembly loop was laid out for the inputs as planned (they always come so); were
      // one to come otherwise, the JavaScript loop, which reads them as they come, runs instead.
      const asm = singles.every((s, k) => s === single(inputs[k])) ? wasm : null;
      const result = ({ p, out, m }: Plan) =>
        `o${out}[0] = ${p.sum === "alternate" ? `0 + (a${m} + b${m})` : `a${m}`};`;
      // A part's statements for the element at `i`; `second` on the second of each pair of
      // elements, where an alternating sum adds into its other accumulator.
      const code = (plan: Plan, i: string, second: boolean) => {
        const { p, reads, out, m } = plan;
        const read = (k: number) => {
          const r = reads[k];
          if ("local" in r) return `r${r.local}`;
          if ("sum" in r) return `o${r.sum}[0]`;
          return singles[r.input] ? `s${r.input}` : `x${r.input}[${i}]`;
        };
        const value = `{ ${statements(p.lines, read)} r${m} = ${p.result}; }`;
        if (p.sum === undefined) return out < 0 ? value : `${value} o${out}[${i}] = r${m};`;
        const add = `${value} ${second && p.sum === "alternate" ? "b" : "a"}${m} += r${m};`;
        return plan.epilogue ? `${add} ${result(plan)}` : add;
      };
      const element = (i: string, second: boolean) =>
        loop.map((plan) => code(plan, i, second)).join(" ");
      const locals = plans.map(({ m }) => `r${m} = 0`);
      const sums = plans.flatMap(({ p, m }) =>
        p.sum === "alternate" ? [`a${m} = 0`, `b${m} = 0`] : p.sum ? [`a${m} = 0`] : []
      );
      const views = outs.map((_, k) => `const o${k} = os[${k}].data;`).join(" ");
      // The WebAssembly loop leaves each sum's two accumulators in `acc`.
      const fromWasm = loop.map(({ p, m }, j) =>
        p.sum === "alternate"
          ? `a${m} = acc[${2 * j}]; b${m} = acc[${2 * j + 1}];`
          : p.sum
          ? `a${m} = acc[${2 * j}];`
          : ""
      ).join(" ");
      const main = asm !== null
        ? `w(os, xs); ${fromWasm}`
        : loop.length === 0
        ? ""
        : `for (; i + 1 < n; i += 2) { ${element("i", false)} ${element("i + 1", true)} }
          if (i < n) { ${element("i", false)} }`;
      // Each alternating sum in reduceKernel's order (see sumLoop), each ordered one in order.
      const source = `function (os, xs, n, w, acc) { ${loads(singles)} ${views}
        let ${[...locals, ...sums, "i = 0"].join(", ")};
        ${main}
        ${loop.filter((plan) => plan.p.sum !== undefined).map(result).join(" ")}
        ${plans.filter((plan) => plan.epilogue).map((plan) => code(plan, "0", false)).join(" ")}
      }`;
      const run = compileFormulas(source) as Loop;
      return (os, operands) => run(os, operands, n, asm?.run, asm?.acc);
    },
  };
}

// NOTE: between these lengths a merged float32 loop runs as WebAssembly (kernels/wasm/scalar.ts):
// below, the copies in and out and the call cost about what the roundings do; above, the arrays
// would make its memory large, and loops that long are SIMD groups or memory-bound anyway.
const WASM_MIN = 16;
const WASM_MAX = 1 << 16;

// The main loop's parts as a WebAssembly loop in float32 arithmetic, where every part gives
// float32 from float32 inputs, by ops such a loop writes, and the length is one where it pays;
// else null. `run(os, xs)` computes the stored values into their outputs and each sum's
// accumulators into `acc` (two for each part, in order).
function float32Loop(
  loop: readonly Plan[],
  inputs: readonly Atom[],
  singles: readonly boolean[],
  n: number,
): { run: (os: readonly Operand[], xs: readonly Operand[]) => void; acc: Float64Array } | null {
  if (loop.length === 0 || n < WASM_MIN || n > WASM_MAX || !canGenerate) return null;
  const at = new Map(loop.map((plan, j) => [plan.m, j]));
  const stores: number[] = [];
  const parts: ScalarPart[] = [];
  for (const { p, reads, out } of loop) {
    if (p.out.dtype !== "float32" || p.inputs.some((a) => dtypeOf(a) !== "float32")) return null;
    const args = reads.map((r) =>
      "local" in r ? partValue(at.get(r.local)!) : "input" in r ? V.input(r.input) : null
    );
    if (args.includes(null)) return null;
    const node = p.float32Node?.(args as VNode[]) ?? null;
    if (node === null) return null;
    const store = p.sum === undefined && out >= 0 ? stores.push(out) - 1 : -1;
    parts.push({ node, store, sum: p.sum });
  }
  const f = scalarLoop(parts, singles, inputs.map(isConst), stores.length, n);
  if (f === null) return null;
  const acc = new Float64Array(2 * parts.length);
  const ins: Float32Array[] = [], stored: Float32Array[] = [];
  return {
    acc,
    run: (os, xs) => {
      for (let k = 0; k < xs.length; k++) ins[k] = xs[k].data as Float32Array;
      for (let j = 0; j < stores.length; j++) stored[j] = os[stores[j]].data as Float32Array;
      f(ins, stored, acc);
      // The arrays are the program's and the caller's: the loop keeps none.
      for (let k = 0; k < ins.length; k++) ins[k] = EMPTY32;
      for (let j = 0; j < stored.length; j++) stored[j] = EMPTY32;
    },
  };
}

const EMPTY32 = new Float32Array(0);

type Read = { local: number } | { sum: number } | { input: number };

interface Plan {
  readonly p: Part;
  readonly reads: readonly Read[];
  readonly out: number;
  readonly epilogue: boolean;
  readonly m: number;
}
