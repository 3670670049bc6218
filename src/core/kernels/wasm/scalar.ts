/**
 * A merged loop of float32 parts (src/jit/fuse.ts) as WebAssembly without SIMD: one element at a
 * time, in native float32 arithmetic. In JavaScript every float32 op of a fused loop is rounded by
 * `Math.fround`, which V8 does not turn into float32 arithmetic, and those roundings bound small
 * training steps (W2's six per element took 0.7 µs of a 100-element loop, 0.2 without them). Here
 * each op is one instruction with the same rounding, the sums run in float64 in the order of the
 * JavaScript loop, and each loop has a memory of its own, laid out once for its length.
 *
 * Only the ops whose scalar instruction has the semantics of their SIMD lane op (`V`'s add, sub,
 * mul, div, min, max, neg, abs, sqrt, constants, float64 sums and roundings) are written; a part
 * with any other op keeps the JavaScript loop.
 */
import { Bytes, distinctNodes, type VNode } from "./vector.ts";

/** A reference, in a part's node, to an earlier part's value. */
export function partValue(m: number): VNode {
  return { op: "part", args: [], value: m };
}

/** One part of the loop: its value at an element, where it goes, and how it is summed. */
export interface ScalarPart {
  /** The value, of loop inputs (`V.input(k)`) and earlier parts' values (`partValue`). */
  readonly node: VNode;
  /** The output array it is stored in, or -1. */
  readonly store: number;
  /**
   * Summed whole: in two float64 sums of alternate elements, or in one in order (then `node` is a
   * product, computed in float64 from its float32 factors).
   */
  readonly sum?: "alternate" | "ordered";
}

/**
 * The loop: `run(inputs, outputs, sums)` copies the array inputs (and the single values) in,
 * runs, and copies the stored outputs out; each sum's accumulators land in `sums` (two per
 * part, the second 0 for an ordered sum). Inputs at `fixed` indices are copied at the first run
 * only (a program's constants). Null where some part has an op this loop does not write, or
 * WebAssembly is missing.
 */
export type ScalarLoop = (
  inputs: readonly Float32Array[],
  outputs: readonly Float32Array[],
  sums: Float64Array,
) => void;

const OPS: Record<string, number> = {
  add: 0x92,
  sub: 0x93,
  mul: 0x94,
  div: 0x95,
  min: 0x96,
  max: 0x97,
  abs: 0x8b,
  neg: 0x8c,
  sqrt: 0x91,
};
const GET = 0x20, SET = 0x21, F32_LOAD = 0x2a, F32_STORE = 0x38, F64_STORE = 0x39;
const PROMOTE = 0xbb, DEMOTE = 0xb6, F64_ADD = 0xa0, F64_MUL = 0xa2;

// Whether a node's op is one a scalar loop writes.
const written = (n: VNode) =>
  n.op in OPS || ["input", "part", "num", "sum", "round32"].includes(n.op);

/**
 * The loop over `n` elements of `parts`, whose inputs are arrays of `n` float32 values or single
 * values (`single[k]`), `outputs` stored arrays; see `ScalarLoop`.
 */
export function scalarLoop(
  parts: readonly ScalarPart[],
  single: readonly boolean[],
  fixed: readonly boolean[],
  outputs: number,
  n: number,
): ScalarLoop | null {
  // Each node once: a value used twice is one node (a chain of doublings is no tree of 2ⁿ).
  const nodes = distinctNodes(parts.map((p) => p.node));
  if (typeof WebAssembly === "undefined" || !nodes.every(written)) return null;
  // The memory: each array input, each output, the single values, then the sums (float64).
  const at: number[] = [];
  let end = 0;
  single.forEach((s, k) => {
    if (!s) at[k] = end, end += 4 * n;
  });
  const outAt = Array.from({ length: outputs }, () => (end += 4 * n) - 4 * n);
  single.forEach((s, k) => {
    if (s) at[k] = end, end += 4;
  });
  const sumsAt = (end + 7) & ~7;
  end = sumsAt + 16 * parts.length;
  const code = new Bytes();
  // Locals: 0 the element's byte offset, then each part's value (f32) and two sums (f64), then
  // the shared nodes' values (f32).
  const value = (m: number) => 1 + m,
    sum = (m: number, second: boolean) => 1 + parts.length + 2 * m + (second ? 1 : 0);
  // A node a part's value uses more than once (a shared subexpression: the x of x + x) has a local
  // of its own, set where it is first computed for an element and read after.
  const shared = new Map<VNode, number>();
  for (const p of parts) {
    const seen = new Set<VNode>();
    const walk = (n: VNode): void => {
      if (n.args.length === 0) return;
      if (seen.has(n)) {
        if (!shared.has(n)) shared.set(n, 1 + 3 * parts.length + shared.size);
        return;
      }
      seen.add(n);
      n.args.forEach(walk);
    };
    walk(p.node);
  }
  // A node's value at the element whose offset is local 0, plus `shift` bytes; `done` holds the
  // shared nodes already computed for this element.
  const emit = (node: VNode, shift: number, done: Set<VNode>): void => {
    const local = shared.get(node);
    if (local !== undefined && done.has(node)) {
      code.u8(GET).uleb(local);
      return;
    }
    const k = node.value!;
    switch (node.op) {
      case "input":
        code.u8(single[k] ? 0x41 : GET, 0).u8(F32_LOAD, 2).uleb(at[k] + (single[k] ? 0 : shift));
        return;
      case "part":
        code.u8(GET).uleb(value(k));
        return;
      case "num":
        code.u8(0x43).f32(k);
        return;
      case "round32":
        emit(node.args[0], shift, done);
        break;
      case "sum":
        node.args.forEach((t, i) => {
          emit(t, shift, done);
          code.u8(PROMOTE);
          if (i > 0) code.u8(F64_ADD);
        });
        code.u8(DEMOTE);
        break;
      default:
        for (const a of node.args) emit(a, shift, done);
        code.u8(OPS[node.op]);
    }
    if (local !== undefined) {
      code.u8(0x22).uleb(local); // local.tee
      done.add(node);
    }
  };
  const element = (shift: number, second: boolean) => {
    parts.forEach((p, m) => {
      if (p.sum === "ordered") {
        // acc + x·y, the product in float64 of the float32 factors.
        code.u8(GET).uleb(sum(m, false));
        const done = new Set<VNode>();
        for (const a of p.node.args) emit(a, shift, done), code.u8(PROMOTE);
        code.u8(F64_MUL, F64_ADD, SET).uleb(sum(m, false));
        return;
      }
      emit(p.node, shift, new Set());
      code.u8(SET).uleb(value(m));
      if (p.store >= 0) {
        code.u8(GET, 0, GET).uleb(value(m)).u8(F32_STORE, 2).uleb(outAt[p.store] + shift);
      }
      if (p.sum === "alternate") {
        const s = sum(m, second);
        code.u8(GET).uleb(s).u8(GET).uleb(value(m)).u8(PROMOTE, F64_ADD, SET).uleb(s);
      }
    });
  };
  // block; loop; exit once offset ≥ 4(n − 1) (no pair left); a pair; offset += 8; again.
  code.u8(0x02, 0x40, 0x03, 0x40);
  code.u8(GET, 0, 0x41).sleb(4 * (n - 1)).u8(0x4e, 0x0d, 1); // i32.ge_s; br_if 1
  element(0, false);
  element(4, true);
  code.u8(GET, 0, 0x41, 8, 0x6a, SET, 0, 0x0c, 0, 0x0b, 0x0b);
  if (n % 2 === 1) element(0, false);
  parts.forEach((_, m) => {
    for (const second of [false, true]) {
      code.u8(0x41, 0, GET).uleb(sum(m, second)).u8(F64_STORE, 3).uleb(
        sumsAt + 16 * m + (second ? 8 : 0),
      );
    }
  });
  code.u8(0x0b);
  const body = new Bytes().uleb(4).uleb(1).u8(0x7f).uleb(parts.length).u8(0x7d);
  body.uleb(2 * parts.length).u8(0x7c).uleb(shared.size).u8(0x7d).u8(...code.out);
  const m = new Bytes().u8(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  m.section(1, new Bytes().uleb(1).u8(0x60, 0, 0));
  m.section(3, new Bytes().uleb(1).uleb(0));
  m.section(5, new Bytes().uleb(1).u8(0x00).uleb(Math.max(1, Math.ceil(end / 65536))));
  m.section(7, new Bytes().uleb(2).name("f").u8(0x00).uleb(0).name("m").u8(0x02).uleb(0));
  m.section(10, new Bytes().uleb(1).uleb(body.out.length).u8(...body.out));
  let f: () => void, memory: WebAssembly.Memory;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(m.out)));
    f = instance.exports.f as () => void;
    memory = instance.exports.m as WebAssembly.Memory;
  } catch {
    return null;
  }
  const mem = new Float32Array(memory.buffer), acc = new Float64Array(memory.buffer);
  // NOTE: what a call copies is listed once, as plain loops over it: walking every input of a
  // small loop with forEach cost as much as the roundings the loop saves.
  const read = new Set(nodes.flatMap((node) => node.op === "input" ? [node.value!] : []));
  const values = [...read].filter((k) => single[k]);
  const arrays = [...read].filter((k) => !single[k] && !fixed[k]);
  const once = [...read].filter((k) => !single[k] && fixed[k]);
  const sums0 = sumsAt >> 3;
  let first = true;
  return (inputs, outs, sums) => {
    for (let j = 0; j < values.length; j++) mem[at[values[j]] >> 2] = inputs[values[j]][0];
    for (let j = 0; j < arrays.length; j++) mem.set(inputs[arrays[j]], at[arrays[j]] >> 2);
    if (first) { for (const k of once) mem.set(inputs[k], at[k] >> 2); }
    first = false;
    f();
    for (let j = 0; j < outputs; j++) {
      outs[j].set(mem.subarray(outAt[j] >> 2, (outAt[j] >> 2) + n));
    }
    for (let i = 0; i < sums.length; i++) sums[i] = acc[sums0 + i];
  };
}
