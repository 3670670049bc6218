/**
 * Elementwise loops generated as WebAssembly SIMD: the jit's fused groups (src/jit/fuse.ts), even
 * those holding sin or exp, run as one pass over their inputs, four float32 lanes at a time or two
 * float64 ones. A primitive's `vector` facet writes its op as a node of the small expression
 * language below; `vectorLoop` turns a tree of them into a module (written here byte by byte: no
 * toolchain at run time) and runs it through the kernels' memory, sharing long arrays with their
 * worker.
 *
 * Results are the kernels' bit for bit: the arithmetic ops round as their loops do, `addN` sums in
 * float64 as its kernel does, and sin, cos, exp, sigmoid and tanh take math.wat's steps (with
 * relaxed fused multiply-adds exactly where its fused build has them, and only where the engine
 * has them). Where a lane falls outside the range those steps serve, the loop reports it, and the
 * caller runs the kernels instead.
 */
import {
  addressOf,
  endsResident,
  type GeneratedLoop,
  heap,
  JOB,
  kernels,
  registerLoop,
  runJob,
  scratchStart,
} from "./runtime.ts";

/** A value of the expression language: four float32 (or int32, or mask) lanes, or two float64. */
export interface VNode {
  readonly op: string;
  readonly args: readonly VNode[];
  /** A constant's value, an input's index or a shift's count. */
  readonly value?: number;
}

const node = (op: string, args: VNode[], value?: number): VNode => ({ op, args, value });

// Two-operand SIMD instructions and their opcodes (wasm's SIMD proposal, prefix 0xFD).
const BINARY = {
  add: 0xe4,
  sub: 0xe5,
  mul: 0xe6,
  div: 0xe7,
  min: 0xe8,
  max: 0xe9,
  eq: 0x41,
  lt: 0x43,
  gt: 0x44,
  le: 0x45,
  ge: 0x46,
  and: 0x4e,
  or: 0x50,
  xor: 0x51,
  iadd: 0xae,
  ieq: 0x37,
} as const;
const UNARY = { abs: 0xe0, neg: 0xe1, sqrt: 0xe3, nearest: 0x6a, not: 0x4d } as const;

type Binary = keyof typeof BINARY;
type Unary = keyof typeof UNARY;

// The float64 forms (f64x2) of the ops that have one; the bitwise ops are the same instructions.
const BINARY64: Partial<Record<Binary, number>> = {
  add: 0xf0,
  sub: 0xf1,
  mul: 0xf2,
  div: 0xf3,
  min: 0xf4,
  max: 0xf5,
  eq: 0x47,
  lt: 0x49,
  gt: 0x4a,
  le: 0x4b,
  ge: 0x4c,
  and: 0x4e,
  or: 0x50,
  xor: 0x51,
};
const UNARY64: Partial<Record<Unary, number>> = { abs: 0xec, neg: 0xed, sqrt: 0xef, not: 0x4d };
// Ops of either lane width that need no opcode table.
const COMMON = new Set(["input", "num", "select", "check", "sum", "round32"]);

/** The nodes of the formulas at `roots`, each once (a node used twice is computed once). */
export function distinctNodes(roots: readonly VNode[]): VNode[] {
  const seen = new Set<VNode>();
  const visit = (n: VNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    n.args.forEach(visit);
  };
  roots.forEach(visit);
  return [...seen];
}

/**
 * Whether every op of `root` exists on two float64 lanes (arithmetic, comparisons, bitwise ops,
 * sums and roundings to float32; not sin or exp, whose steps are float32's).
 */
export function float64Ops(root: VNode): boolean {
  const ok = (n: VNode): boolean =>
    (COMMON.has(n.op) || n.op in BINARY64 || n.op in UNARY64) && n.args.every(ok);
  return ok(root);
}

const bin = (op: Binary) => (a: VNode, b: VNode): VNode => node(op, [a, b]);
const un = (op: Unary) => (a: VNode): VNode => node(op, [a]);

/**
 * The expression language: float lanes (`add` … `sqrt`, as wasm's f32x4 or f64x2 ops), masks from
 * comparisons, bitwise ops, int32 lanes (`iadd`, `ieq`, `shl`), fused multiply-adds, a float64
 * sum (`addN`'s), roundings to float32, and math.wat's sin, cos, exp, sigmoid and tanh. Only some
 * exist on float64 lanes (see `float64Ops`).
 */
export const V = {
  /** Input `k` of the loop: its element, or its one value for every element. */
  input: (k: number): VNode => node("input", [], k),
  /** A constant in every lane (float32, or float64 in a float64 loop). */
  num: (c: number): VNode => node("num", [], c),
  /** An int32 constant in every lane. */
  i32: (c: number): VNode => node("i32", [], c),
  add: bin("add"),
  sub: bin("sub"),
  mul: bin("mul"),
  div: bin("div"),
  min: bin("min"),
  max: bin("max"),
  eq: bin("eq"),
  lt: bin("lt"),
  gt: bin("gt"),
  le: bin("le"),
  ge: bin("ge"),
  and: bin("and"),
  or: bin("or"),
  xor: bin("xor"),
  iadd: bin("iadd"),
  ieq: bin("ieq"),
  abs: un("abs"),
  neg: un("neg"),
  sqrt: un("sqrt"),
  nearest: un("nearest"),
  not: un("not"),
  /** int32 lanes shifted left by `count` bits. */
  shl: (a: VNode, count: number): VNode => node("shl", [a], count),
  /** Lanes of `a` where `mask` is set, else of `b`. */
  select: (mask: VNode, a: VNode, b: VNode): VNode => node("select", [a, b, mask]),
  /** c + a·b, fused where the engine fuses it (as math.wat's fused build). */
  madd: (a: VNode, b: VNode, c: VNode): VNode => node("madd", [a, b, c]),
  /** c − a·b, likewise. */
  nmadd: (a: VNode, b: VNode, c: VNode): VNode => node("nmadd", [a, b, c]),
  /** The terms added in order in float64 (on float32 lanes then rounded once, as addN's kernel). */
  sum: (terms: readonly VNode[]): VNode => node("sum", [...terms]),
  /** The lanes rounded to float32 (in a float32 loop, they are already). */
  round32: (a: VNode): VNode => node("round32", [a]),
  /** `x`, after noting that the loop's result is wrong wherever `inside` is not set. */
  check: (x: VNode, inside: VNode): VNode => node("check", [x, inside]),
  sin: (x: VNode): VNode => sincos(x, false),
  cos: (x: VNode): VNode => sincos(x, true),
  exp: (x: VNode): VNode => exp(x),
  sigmoid: (x: VNode): VNode => sigmoid(x),
  tanh: (x: VNode): VNode => tanh(x),
};

// An integral float plus MAGIC holds the integer in its low mantissa bits (below 2²² in size):
// those bits less MAGIC_BITS are it as an int32 (as math.wat's, for its reason).
const MAGIC = 12582912, MAGIC_BITS = 0x4b400000;

// math.wat's sincos, for |x| ≤ 8192 (see there): |x| = j·π/2 + r, then ±sin r or ±cos r by the
// quadrant.
function sincos(x: VNode, cosine: boolean): VNode {
  const ax = V.abs(x);
  const j = V.nearest(V.mul(ax, V.num(0.6366197723675814)));
  let r = V.nmadd(j, V.num(1.5703125), ax);
  r = V.nmadd(j, V.num(4.837512969970703e-4), r);
  r = V.nmadd(j, V.num(7.549533620476723e-8), r);
  r = V.nmadd(j, V.num(2.5633441515945190e-12), r);
  const q = V.iadd(V.add(j, V.num(MAGIC)), V.i32((cosine ? 1 : 0) - MAGIC_BITS));
  const z = V.mul(r, r);
  let s = V.madd(z, V.num(2.7557319223985893e-6), V.num(-0.0001984126984126984));
  s = V.madd(z, s, V.num(0.008333333333333333));
  s = V.madd(z, s, V.num(-0.16666666666666666));
  s = V.add(r, V.mul(s, V.mul(r, z)));
  let c = V.madd(z, V.num(-2.755731922398589e-7), V.num(2.48015873015873e-5));
  c = V.madd(z, c, V.num(-0.001388888888888889));
  c = V.madd(z, c, V.num(0.041666666666666664));
  c = V.madd(z, c, V.num(-0.5));
  c = V.madd(z, c, V.num(1));
  const ones = V.i32(1);
  c = V.select(V.ieq(V.and(q, ones), ones), c, s);
  // The quadrant's sign, and for sin x's own (cos is even).
  let sign = V.shl(V.and(q, V.i32(2)), 30);
  if (!cosine) sign = V.xor(sign, V.and(x, V.i32(-0x80000000)));
  // NaN fails the comparison too.
  return V.check(V.xor(c, sign), V.le(ax, V.num(8192)));
}

// math.wat's exp, for -87 ≤ x ≤ 88: x = k·ln 2 + r, eˣ = 2ᵏ·eʳ.
function exp(x: VNode): VNode {
  const k = V.nearest(V.mul(x, V.num(1.4426950408889634)));
  let r = V.nmadd(k, V.num(0.693359375), x);
  r = V.nmadd(k, V.num(-2.1219444005469057e-4), r);
  let p = V.madd(r, V.num(1.984126984126984e-4), V.num(0.001388888888888889));
  for (const c of [0.008333333333333333, 0.041666666666666664, 0.16666666666666666, 0.5, 1, 1]) {
    p = V.madd(r, p, V.num(c));
  }
  const y = V.mul(p, V.shl(V.iadd(V.add(k, V.num(MAGIC)), V.i32(127 - MAGIC_BITS)), 23));
  return V.check(y, V.and(V.ge(x, V.num(-87)), V.le(x, V.num(88))));
}

// math.wat's sigmoid, for |x| ≤ 87: from e = e^-|x|, 1/(1 + e) for x ≥ 0 and e/(1 + e) below.
function sigmoid(x: VNode): VNode {
  // exp's range check on -|x| is sigmoid's own: |x| ≤ 87.
  const e = exp(V.neg(V.abs(x)));
  const d = V.add(V.num(1), e);
  return V.select(V.ge(x, V.num(0)), V.div(V.num(1), d), V.div(e, d));
}

// math.wat's tanh, for every x but NaN: an odd polynomial below |x| = 0.9, 1 − 2/(e^2|x| + 1)
// beyond (|x| clamped at 10), and x's sign put back.
function tanh(x: VNode): VNode {
  const ax = V.abs(x), z = V.mul(ax, ax);
  let q = V.madd(z, V.num(-0.00045546155888587236), V.num(0.002582672517746687));
  for (
    const c of [
      -0.008264550007879734,
      0.021663546562194824,
      -0.05392930284142494,
      0.13332977890968323,
      -0.33333322405815125,
    ]
  ) q = V.madd(z, q, V.num(c));
  q = V.madd(V.mul(ax, z), q, ax);
  // exp's check flags NaN only here (its argument is in [0, 20] otherwise), as tanh's does.
  let e = exp(V.mul(V.num(2), V.min(ax, V.num(10))));
  e = V.sub(V.num(1), V.div(V.num(2), V.add(e, V.num(1))));
  return V.xor(V.select(V.lt(ax, V.num(0.9)), q, e), V.and(x, V.i32(-0x80000000)));
}

// ---------------------------------------------------------------------------------------------
// Writing the module.

/** Bytes of a module, written in order. */
export class Bytes {
  readonly out: number[] = [];
  u8(...b: number[]): this {
    this.out.push(...b);
    return this;
  }
  uleb(n: number): this {
    do {
      const b = n & 0x7f;
      n >>>= 7;
      this.out.push(n === 0 ? b : b | 0x80);
    } while (n !== 0);
    return this;
  }
  sleb(n: number): this {
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
      this.out.push(done ? b : b | 0x80);
      if (done) return this;
    }
  }
  f32(x: number): this {
    return this.u8(...new Uint8Array(new Float32Array([x]).buffer));
  }
  f64(x: number): this {
    return this.u8(...new Uint8Array(new Float64Array([x]).buffer));
  }
  name(s: string): this {
    return this.uleb(s.length).u8(...Array.from(s, (c) => c.charCodeAt(0)));
  }
  section(id: number, body: Bytes): this {
    return this.u8(id).uleb(body.out.length).u8(...body.out);
  }
  simd(op: number): this {
    return this.u8(0xfd).uleb(op);
  }
}

const I32 = 0x7f, V128 = 0x7b;
const GET = 0x20, SET = 0x21;

/**
 * How each input reaches the loop: an array of the output's length, one value, or a row repeated
 * along the output (element i reads the row's element i mod its length: a bias added to each row
 * of a matrix).
 */
export type InputKind = "array" | "single" | "row";

/** One input of a loop: how it comes, its dtype, and a row's length (a multiple of 4). */
export interface LoopInput {
  readonly kind: InputKind;
  readonly dtype: "float32" | "float64";
  readonly period?: number;
}

/**
 * The function `f(pointer per input..., out, n, start) → bad` computing `root` over n elements (a
 * multiple of 4) of each array, for these inputs (a single input's pointer is to its one value, a
 * row's to its first element, and `start` is the first element's index in the whole output, where
 * the rows begin): a module importing `memory`. A float32 loop takes four lanes at a time; a
 * float64 one two, its float32 inputs read as float64 and its float32 output rounded on the way
 * out.
 */
function writeModule(
  root: VNode,
  inputs: readonly LoopInput[],
  out: "float32" | "float64",
  shared: boolean,
  relaxed: boolean,
): Uint8Array {
  const wide = out === "float64" || inputs.some((x) => x.dtype === "float64");
  const lanes = wide ? 2 : 4;
  // NOTE: a loop on float64 lanes takes four elements a step too, as two halves of two, each
  // with locals of its own: the loop's overhead is then paid once per four elements, and a
  // float32 array's two halves are two 8-byte loads (W4's SGD update of 200,704 floats, in
  // float64, took 1.6 times what it takes now).
  const halves = wide ? 2 : 1;
  let half = 0;
  const params = [...inputs.map(() => I32), I32, I32, I32];
  const outParam = inputs.length, countParam = inputs.length + 1, startParam = inputs.length + 2;
  // The element index, its byte offsets in float32 and float64 arrays, each row's byte offset in
  // it, and the report.
  const rows = inputs.flatMap((x, k) => (x.kind === "row" ? [k] : []));
  const iLocal = params.length, off4 = iLocal + 1, off8 = iLocal + 2;
  const rowLocal = (k: number) => off8 + 1 + rows.indexOf(k);
  // The lanes every check so far found inside (see V.check), all set at the start.
  const goodLocal = off8 + 1 + rows.length;
  // Each node's local, in an order where arguments come first; nodes that read no array or row
  // are computed once, before the loop. Equal nodes (the same op on the same arguments: sin x and
  // cos x share their reduction) are computed once.
  const order: VNode[] = [];
  const local = new Map<VNode, number>();
  const varies = new Map<VNode, boolean>();
  const byKey = new Map<string, VNode>();
  const visit = (n: VNode): VNode => {
    if (local.has(n)) return n;
    const args = n.args.map(visit);
    const key = `${n.op} ${n.value} ${args.map((a) => local.get(a)).join(" ")}`;
    const same = byKey.get(key);
    if (same !== undefined) {
      local.set(n, local.get(same)!);
      varies.set(n, varies.get(same)!);
      return same;
    }
    const v = (n.op === "input" && inputs[n.value!].kind !== "single") ||
      args.some((a) => varies.get(a));
    const canonical = { op: n.op, args, value: n.value };
    byKey.set(key, canonical);
    for (const m of [n, canonical]) {
      varies.set(m, v);
      local.set(m, goodLocal + 1 + order.length);
    }
    order.push(canonical);
    return canonical;
  };
  root = visit(root);
  const code = new Bytes();
  // A node's local in this half: the second half's are after the first's, but values that do
  // not vary along the loop are computed once.
  const slot = (n: VNode) => local.get(n)! + (half === 1 && varies.get(n) ? order.length : 0);
  const get = (n: VNode) => code.u8(GET).uleb(slot(n));
  const table: Record<string, number | undefined> = wide
    ? { ...BINARY64, ...UNARY64 }
    : { ...BINARY, ...UNARY };
  const op = (name: string) => {
    const opcode = table[name];
    if (opcode === undefined) throw new Error(`vector: no ${name} on ${lanes} lanes`);
    return code.simd(opcode);
  };
  const emit = (n: VNode) => {
    const [a, b, c] = n.args;
    switch (n.op) {
      case "input": {
        const k = n.value!, { kind, dtype } = inputs[k];
        // Where this lane's elements are: an array's at the element's offset, a row's at its own.
        const at = kind === "row" ? rowLocal(k) : dtype === "float64" ? off8 : off4;
        if (kind === "single") {
          code.u8(GET).uleb(k);
          if (dtype === "float64") code.u8(0x2b).uleb(3).uleb(0).simd(0x14); // f64.load; splat
          else if (wide) code.u8(0x2a).uleb(2).uleb(0).u8(0xbb).simd(0x14); // promoted
          else code.u8(0x2a).uleb(2).uleb(0).simd(0x13); // f32.load; splat
        } else if (dtype === "float64") {
          code.u8(GET).uleb(k).u8(GET).uleb(at).u8(0x6a).simd(0x00).uleb(4).uleb(16 * half);
        } else if (wide) {
          // Two float32 values, promoted: v128.load64_zero; f64x2.promote_low_f32x4
          code.u8(GET).uleb(k).u8(GET).uleb(at).u8(0x6a).simd(0x5d).uleb(3).uleb(8 * half);
          code.simd(0x5f);
        } else {
          code.u8(GET).uleb(k).u8(GET).uleb(at).u8(0x6a).simd(0x00).uleb(4).uleb(0);
        }
        break;
      }
      case "num":
        if (wide) code.u8(0x44).f64(n.value!).simd(0x14);
        else code.u8(0x43).f32(n.value!).simd(0x13);
        break;
      case "i32":
        code.u8(0x41).sleb(n.value!).simd(0x11);
        break;
      case "shl":
        get(a).u8(0x41).sleb(n.value!).simd(0xab);
        break;
      case "select":
        get(a);
        get(b);
        get(c).simd(0x52);
        break;
      case "madd":
      case "nmadd":
        if (relaxed && !wide) {
          get(a);
          get(b);
          get(c).simd(n.op === "madd" ? 0x105 : 0x106);
        } else {
          get(c);
          get(a);
          get(b);
          op("mul");
          op(n.op === "madd" ? "add" : "sub");
        }
        break;
      case "check":
        // A mask checked once per half (sin x and cos x check the same one).
        if (!checked.has(slot(b))) {
          checked.add(slot(b));
          code.u8(GET).uleb(goodLocal);
          get(b).simd(BINARY.and).u8(SET).uleb(goodLocal);
        }
        get(a);
        break;
      case "sum":
        if (!wide) sum(n.args);
        else {
          get(n.args[0]);
          for (const t of n.args.slice(1)) {
            get(t);
            op("add");
          }
        }
        break;
      case "round32":
        get(a);
        if (wide) code.simd(0x5e).simd(0x5f); // demote, promote
        break;
      default:
        n.args.forEach(get);
        op(n.op);
    }
    code.u8(SET).uleb(slot(n));
  };
  // Each half of the lanes promoted to float64, summed in order, rounded, and put back together.
  const sum = (terms: readonly VNode[]) => {
    const HIGH = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
    for (const high of [false, true]) {
      terms.forEach((t, i) => {
        get(t);
        if (high) get(t).simd(0x0d).u8(...HIGH);
        code.simd(0x5f); // f64x2.promote_low_f32x4
        if (i > 0) code.simd(0xf0); // f64x2.add
      });
      code.simd(0x5e); // f32x4.demote_f64x2_zero
    }
    // The low lanes of each: [lo0, lo1, hi0, hi1].
    code.simd(0x0d).u8(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  };
  const checked = new Set<number>();
  code.u8(0x41).sleb(-1).simd(0x11).u8(SET).uleb(goodLocal); // i32x4.splat(-1)
  for (const n of order) if (!varies.get(n)) emit(n);
  // Each row's offset at the start: (start mod its length) · its element's size.
  const bytesOf = (k: number) => (inputs[k].dtype === "float64" ? 8 : 4);
  for (const k of rows) {
    code.u8(GET).uleb(startParam).u8(0x41).sleb(inputs[k].period!).u8(0x70); // i32.rem_u
    code.u8(0x41).sleb(bytesOf(k)).u8(0x6c, SET).uleb(rowLocal(k)); // i32.mul
  }
  // block; loop; if i ≥ n break; the offsets; …; store; i += 4; rows on; continue; end; end
  code.u8(0x02, 0x40, 0x03, 0x40);
  code.u8(GET).uleb(iLocal).u8(GET).uleb(countParam).u8(0x4f, 0x0d, 1); // i32.ge_u; br_if 1
  code.u8(GET).uleb(iLocal).u8(0x41, 2, 0x74, SET).uleb(off4); // i << 2
  code.u8(GET).uleb(iLocal).u8(0x41, 3, 0x74, SET).uleb(off8); // i << 3
  for (half = 0; half < halves; half++) {
    checked.clear();
    for (const n of order) if (varies.get(n)) emit(n);
    if (out === "float64") {
      code.u8(GET).uleb(outParam).u8(GET).uleb(off8).u8(0x6a);
      get(root).simd(0x0b).uleb(4).uleb(16 * half); // v128.store
    } else if (wide) {
      code.u8(GET).uleb(outParam).u8(GET).uleb(off4).u8(0x6a);
      get(root).simd(0x5e).simd(0x5b).uleb(3).uleb(8 * half).u8(0); // demote; v128.store64_lane 0
    } else {
      code.u8(GET).uleb(outParam).u8(GET).uleb(off4).u8(0x6a);
      get(root).simd(0x0b).uleb(4).uleb(0); // v128.store
    }
  }
  code.u8(GET).uleb(iLocal).u8(0x41).sleb(lanes * halves).u8(0x6a).u8(SET).uleb(iLocal);
  for (const k of rows) {
    // r += 4 · size; r = r ≠ the row's bytes ? r : 0 (select)
    const r = rowLocal(k);
    code.u8(GET).uleb(r).u8(0x41).sleb(lanes * halves * bytesOf(k)).u8(0x6a, SET).uleb(r);
    code.u8(GET).uleb(r).u8(0x41, 0, GET).uleb(r).u8(0x41).sleb(inputs[k].period! * bytesOf(k));
    code.u8(0x47, 0x1b, SET).uleb(r); // i32.ne; select
  }
  code.u8(0x0c, 0, 0x0b, 0x0b); // br 0; end; end
  code.u8(GET).uleb(goodLocal).simd(0xa3).u8(0x45); // i32x4.all_true; i32.eqz
  code.u8(0x0b);

  const vectors = 1 + order.length * halves;
  const body = new Bytes().uleb(2).uleb(3 + rows.length).u8(I32).uleb(vectors).u8(V128);
  body.u8(...code.out);
  const m = new Bytes().u8(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  m.section(1, new Bytes().uleb(1).u8(0x60).uleb(params.length).u8(...params).uleb(1).u8(I32));
  const limits = shared ? [0x03, 1, ...new Bytes().uleb(65536).out] : [0x00, 1];
  m.section(2, new Bytes().uleb(1).name("env").name("memory").u8(0x02, ...limits));
  m.section(3, new Bytes().uleb(1).uleb(0));
  m.section(7, new Bytes().uleb(1).name("f").u8(0x00).uleb(0));
  m.section(10, new Bytes().uleb(1).uleb(body.out.length).u8(...body.out));
  return new Uint8Array(m.out);
}

interface Layout {
  len: number;
  /** The arrays read and written in place (a bit each, the output's last), and where scratch began. */
  inPlace: number;
  base: number;
  len4: number;
  /** Each input's place in scratch (arrays in place have theirs per call). */
  at: number[];
  outAt: number;
  argsAt: number;
  codeAt: number;
}

const F32_ARRAY: LoopInput = { kind: "array", dtype: "float32" };

// The engine's relaxed SIMD, probed once: a module with one relaxed multiply-add.
let relaxedHere: boolean | undefined;
function relaxed(): boolean {
  return relaxedHere ??= probe(true);
}

function probe(withRelaxed: boolean): boolean {
  try {
    const x = V.input(0);
    const bytes = writeModule(V.madd(x, x, x), [F32_ARRAY], "float32", false, withRelaxed);
    return WebAssembly.validate(bytes as BufferSource);
  } catch {
    return false;
  }
}

/** Whether generated loops can run here (WebAssembly SIMD, and code generation allowed). */
export function vectorLoops(): boolean {
  return vectorHere ??= kernels() !== null && probe(false);
}
let vectorHere: boolean | undefined;

// The most elements of each array held in memory at a time (4 MiB of float32); longer arrays go in
// blocks.
const BLOCK = 1 << 20;
// The worker takes chunks of a loop from this many elements on, and once the elements times the
// nodes of its formula (a measure of its work per element: exp has 35, sin 53) reach SHARE_WORK:
// an exp loop from 30,000 elements (math.ts's exp kernel from 65,536), an SGD update (6 nodes)
// from 175,000. A cheap loop shared sooner lost more to the worker's waking (90 µs or more on a
// VM) than it gained: relu times a cotangent, 32,768 elements of 5 nodes, took 230–238 µs jitted
// when shared and 85 µs alone (W4's step is unchanged, 0.98–1.01).
const THREAD_MIN = 1 << 14;
const SHARE_WORK = 1 << 20;
// NOTE: 16 chunks rather than 8: the threads finish closer together, and this one copies out the
// other's results as they come (W6 jitted about 3 % faster than with 8, interleaved).
const CHUNKS = 16;
// Up to this many elements an array is copied in or out by a loop: `set` into shared memory costs
// 35–50 ns at any length up to 100, a loop 4 ns for one element and 13 ns for eight.
const SHORT = 16;

/** The most inputs a generated loop takes (a bit each in a mask, with the output's). */
export const MAX_INPUTS = 30;

// Each distinct module once, by its bytes: programs retraced for new shapes, and groups alike in
// many programs, reuse its instance and its id (the worker's copy too), so neither thread holds
// more modules than there are distinct loops.
const modules = new Map<string, { id: number; f: GeneratedLoop }>();

/** A generated loop: writes `out` from `inputs` (see `vectorLoop`). */
export type VectorLoop = (
  out: Float32Array | Float64Array,
  inputs: readonly (Float32Array | Float64Array)[],
  n: number,
) => boolean;

/**
 * A loop computing `root` over arrays of `n` elements into an `out` array of that dtype: `run(out,
 * inputs, n)` writes `out` and returns false if some lane fell outside the range its steps serve
 * (`out` is then partly written, and the caller recomputes it another way). An input of kind
 * "single" is read as its first value. A loop with a float64 input or output runs on float64
 * lanes (`float64Ops` must hold for `root`). Long arrays are shared with the kernels' worker, as
 * their jobs are. Null where generated loops cannot run.
 */
export function vectorLoop(
  root: VNode,
  inputs: readonly LoopInput[],
  outDtype: "float32" | "float64" = "float32",
): VectorLoop | null {
  const k = vectorLoops() ? kernels() : null;
  if (k === null || inputs.length > MAX_INPUTS) return null;
  const code = writeModule(root, inputs, outDtype, k.shared !== null, relaxed());
  const work = distinctNodes([root]).length;
  const { id, f } = moduleOf(k.memory, code);
  const size = (dtype: string) => (dtype === "float64" ? 8 : 4);
  const arrays = inputs.flatMap((x, i) => (x.kind === "array" ? [i] : []));
  const singles = inputs.flatMap((x, i) => (x.kind === "single" ? [i] : []));
  const rows = inputs.flatMap((x, i) => (x.kind === "row" ? [i] : []));
  // The pointers that advance with the elements (the arrays' and the output's), and of those the
  // ones to float64 values.
  const bit = (i: number) => 1 << i, last = inputs.length;
  const advancing = arrays.reduce((m, i) => m | bit(i), bit(last));
  const wide = arrays.reduce(
    (m, i) => (inputs[i].dtype === "float64" ? m | bit(i) : m),
    outDtype === "float64" ? bit(last) : 0,
  );
  // One block's layout in scratch: the arrays not in place, the output unless in place, single
  // values (8 bytes each), rows not in place, then, for the worker, the pointers, where the block
  // starts and the module's bytes. A compiled program calls with one length and the same buffers
  // again and again, so the last layout is kept, and views of the memory until it grows.
  let layout: Layout | null = null;
  const layoutOf = (len: number, inPlace: number): Layout => {
    const base = scratchStart();
    if (layout?.len === len && layout.inPlace === inPlace && layout.base === base) return layout;
    const len4 = (len + 3) & ~3;
    const at: number[] = [];
    let end = base;
    for (const i of arrays) {
      if (!(inPlace & bit(i))) at[i] = end, end += len4 * size(inputs[i].dtype);
    }
    const outAt = end;
    if (!(inPlace & bit(last))) end += len4 * size(outDtype);
    for (const i of singles) at[i] = end, end += 8;
    for (const i of rows) {
      if (!(inPlace & bit(i))) at[i] = end, end += inputs[i].period! * size(inputs[i].dtype);
    }
    const argsAt = end, codeAt = argsAt + 4 * (inputs.length + 4);
    heap(k, codeAt + code.length - base);
    return layout = { len, inPlace, base, len4, at, outAt, argsAt, codeAt };
  };
  let views: { buffer: ArrayBufferLike; f32: Float32Array; f64: Float64Array } | null = null;
  const viewsOf = () => {
    const buffer = k.memory.buffer;
    if (views?.buffer !== buffer) {
      views = { buffer, f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
    }
    return views;
  };
  const block = (
    out: Float32Array | Float64Array,
    xs: readonly ArrayLike<number>[],
    i0: number,
    i1: number,
  ) => {
    const len = i1 - i0, padding = ((len + 3) & ~3) > len;
    // Arrays in the kernels' memory (a compiled program's buffers) are read and written where they
    // are. Padding lanes past an array's end fall in its block's spare bytes; elsewhere an input's
    // are whatever follows (at worst out of range: the caller's path then runs), and an output's
    // would overwrite what follows, so such an output goes through scratch.
    let inPlace = 0;
    for (const j of arrays) if (addressOf(xs[j]) >= 0) inPlace |= bit(j);
    for (const j of rows) if (addressOf(xs[j]) >= 0) inPlace |= bit(j);
    if (addressOf(out) >= 0 && (!padding || endsResident(out, i1))) inPlace |= bit(last);
    const { len4, at, outAt, argsAt, codeAt } = layoutOf(len, inPlace);
    const { f32, f64 } = viewsOf();
    const view = (dtype: string) => (dtype === "float64" ? f64 : f32);
    const args = [...at];
    for (const j of arrays) {
      if (!(inPlace & bit(j))) continue;
      const x = xs[j] as Float32Array, bytes = size(inputs[j].dtype);
      args[j] = addressOf(x) + i0 * bytes;
      // Its padding lanes repeat its last element, as scratch's do (see fill).
      if (padding && endsResident(x, i1)) {
        view(inputs[j].dtype).fill(x[i1 - 1], args[j] / bytes + len, args[j] / bytes + len4);
      }
    }
    for (const i of rows) {
      if (inPlace & bit(i)) args[i] = addressOf(xs[i]);
      else view(inputs[i].dtype).set(xs[i] as Float32Array, at[i] / size(inputs[i].dtype));
    }
    args.push(inPlace & bit(last) ? addressOf(out) + i0 * size(outDtype) : outAt);
    for (const i of singles) view(inputs[i].dtype)[at[i] / size(inputs[i].dtype)] = xs[i][0];
    const fill = (i: number, e: number) => {
      const stop = Math.min(e, len);
      for (const j of arrays) {
        if (inPlace & bit(j)) continue;
        const mem = view(inputs[j].dtype), x = xs[j] as Float32Array;
        const base = at[j] / size(inputs[j].dtype);
        if (stop - i <= SHORT) {
          for (let q = i; q < stop; q++) mem[base + q] = x[i0 + q];
        } else mem.set(x.subarray(i0 + i, i0 + stop), base + i);
        // Padding lanes repeat the last element, so that they fall in range where it does.
        for (let q = Math.max(i, len); q < e; q++) mem[base + q] = x[i1 - 1];
      }
    };
    const drain = (i: number, e: number) => {
      if (inPlace & bit(last)) return;
      const stop = Math.min(e, len), base = outAt / size(outDtype), mem = view(outDtype);
      if (stop - i <= SHORT) {
        for (let q = i; q < stop; q++) out[i0 + q] = mem[base + q];
      } else if (i < stop) out.set(mem.subarray(base + i, base + stop), i0 + i);
    };
    if (len < THREAD_MIN || len * work < SHARE_WORK) {
      fill(0, len4);
      if (f(...args, len4, i0) !== 0) return false;
      drain(0, len4);
      return true;
    }
    new Int32Array(f32.buffer, argsAt, inputs.length + 4).set([advancing, wide, ...args, i0]);
    new Uint8Array(f32.buffer).set(code, codeAt);
    const chunk = Math.max(4, (Math.ceil(len4 / CHUNKS) + 3) & ~3);
    const params = [id, codeAt, code.length, argsAt, inputs.length + 1];
    return runJob(k, JOB.generated, params, len4, chunk, true, { fill, drain }) === 0;
  };
  return (out, xs, n) => {
    for (let i = 0; i < n; i += BLOCK) {
      if (!block(out, xs, i, Math.min(n, i + BLOCK))) return false;
    }
    return true;
  };
}

/** How many distinct generated modules this thread holds (for tests). */
export function generatedModules(): number {
  return modules.size;
}

function moduleOf(memory: WebAssembly.Memory, code: Uint8Array): { id: number; f: GeneratedLoop } {
  let key = "";
  for (let i = 0; i < code.length; i += 8192) {
    key += String.fromCharCode(...code.subarray(i, i + 8192));
  }
  let known = modules.get(key);
  if (known === undefined) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(code as BufferSource), {
      env: { memory },
    });
    known = { id: modules.size, f: instance.exports.f as GeneratedLoop };
    registerLoop(known.id, known.f);
    modules.set(key, known);
  }
  return known;
}
