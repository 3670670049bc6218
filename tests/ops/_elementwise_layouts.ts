/**
 * Every elementwise primitive run through `bind` on every accepted dtype (and attribute) with its
 * operands in each layout the kernels tell apart: all dense, one a uniform scalar, a row or a
 * column broadcast; the results encoded losslessly as JSON, so that two processes (one of which
 * cannot generate code, and so runs the hand-written loops) can compare them bit for bit.
 *
 * @module
 */
import { type PrimitiveName, registry } from "../../src/ops/registry.ts";
import { bind } from "../../src/core/dispatch.ts";
import type { DType } from "../../src/core/dtype.ts";
import { dataOf, type Tensor, uniformTensor } from "../../src/core/tensor.ts";
import {
  columns,
  dense,
  edges,
  type Elementwise,
  elementwise,
  inputDtypes,
  random,
  rng,
} from "./_elementwise_cases.ts";

/**
 * A number as JSON keeps it exactly: -0, NaN and ±Infinity as strings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Encoded } from "./_elementwise_layouts.ts";
 * const v: Encoded[] = [1.5, "-0", "NaN"];
 * assert.equal(JSON.stringify(v), '[1.5,"-0","NaN"]');
 * ```
 */
export type Encoded = number | string;

/**
 * `v` as an `Encoded` value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "./_elementwise_layouts.ts";
 * assert.deepEqual([0, -0, NaN, -Infinity, 0.1].map(encode), [0, "-0", "NaN", "-Infinity", 0.1]);
 * ```
 */
export function encode(v: number): Encoded {
  return Object.is(v, -0) ? "-0" : Number.isFinite(v) ? v : String(v);
}

/**
 * An input of a case: its values in row-major order, or for a uniform tensor its one value.
 *
 * @example A scalar broadcast as a uniform tensor
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Input } from "./_elementwise_layouts.ts";
 * const x: Input = { values: [2], shape: [], dtype: "int32", uniform: true };
 * assert.equal(x.values.length, 1);
 * ```
 */
export interface Input {
  /** The values, row-major; a uniform tensor's one value. */
  values: number[];
  /** The shape. */
  shape: number[];
  /** The dtype, in which `values` are already stored. */
  dtype: DType;
  /** Whether the input is a uniform tensor (`uniformTensor`), not a dense one. */
  uniform: boolean;
}

/**
 * One application of an elementwise primitive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { casesOf } from "./_elementwise_layouts.ts";
 * const c = casesOf("add").find((c) => c.label === "int32, operand 0 row [11]")!;
 * assert.deepEqual(c.inputs.map((x) => x.shape), [[11], [6, 11]]);
 * ```
 */
export interface Case {
  /** The primitive. */
  op: PrimitiveName;
  /** The inputs' dtype, the attribute and the layout, e.g. `int32, operand 0 row [11]`. */
  label: string;
  /** The attribute (cast's target dtype), or undefined. */
  attr: unknown;
  /** The inputs. */
  inputs: Input[];
}

/**
 * The output of one case, encoded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { casesOf, run } from "./_elementwise_layouts.ts";
 * const r = run(casesOf("less")[0]);
 * assert.equal(r.dtype, "bool");
 * ```
 */
export interface Result {
  /** The case's label. */
  label: string;
  /** The output's dtype. */
  dtype: DType;
  /** The output's shape. */
  shape: number[];
  /** The output's values, row-major. */
  values: Encoded[];
}

// The broadcast layouts' matrices: both sides above 1 and different, so that no axis can be
// mistaken for the other.
const ROWS = 6, COLS = 11;

/**
 * The cases of the elementwise primitive `op`, for every dtype it accepts and every attribute.
 *
 * @example Two layouts of a unary op: dense, and a uniform input per edge value
 * ```ts
 * import assert from "node:assert/strict";
 * import { casesOf } from "./_elementwise_layouts.ts";
 * const labels = casesOf("sqrt").map((c) => c.label);
 * assert.ok(labels.includes("float32, dense [532]") && labels.includes("float64, uniform -0"));
 * ```
 */
export function casesOf(op: PrimitiveName): Case[] {
  const spec = elementwise.find(([name]) => name === op)?.[1];
  if (spec === undefined) throw new Error(`${op} is not elementwise`);
  const out: Case[] = [];
  for (const attr of spec.attrs ?? [undefined]) {
    for (const dtype of spec.accepts) {
      const at = attr === undefined ? dtype : `${dtype} to ${JSON.stringify(attr)}`;
      for (const [layout, inputs] of layouts(op, spec, dtype)) {
        out.push({ op, label: `${at}, ${layout}`, attr, inputs });
      }
    }
  }
  return out;
}

type Layout = [string, Input[]];

function layouts(op: PrimitiveName, { arity }: Elementwise, dtype: DType): Layout[] {
  const dtypes = inputDtypes(op, arity, dtype);
  const pools = dtypes.map((d, k) => pool(op, d, k === arity - 1, 13 + k));
  const out: Layout[] = [denseLayout(op, arity, dtype)];
  if (arity === 1) {
    for (const v of edgeValues(pools[0], dtype)) {
      out.push([`uniform ${encode(v)}`, [{ values: [v], shape: [4], dtype, uniform: true }]]);
    }
    return out;
  }
  out.push(...uniformLayouts(op, dtypes, pools));
  // addN does not broadcast.
  if (op !== "addN") out.push(...broadcastLayouts(dtypes, pools));
  return out;
}

// All inputs dense: every pair of edge values, then random values.
function denseLayout(op: PrimitiveName, arity: number, dtype: DType): Layout {
  const dtypes = inputDtypes(op, arity, dtype);
  const cols = columns(dtype, arity, op === "pow", 7);
  if (op === "where") cols[0] = random("bool", cols[1].length, rng(11), false);
  const n = cols[0].length;
  const inputs = cols.map((values, k) => plain(values, [n], dtypes[k]));
  return [`dense [${n}]`, inputs];
}

// The values an input draws from: edge values, then random ones (pow's int32 exponents, the
// last input, in [0, 64)).
function pool(op: PrimitiveName, dtype: DType, last: boolean, seed: number): number[] {
  return columns(dtype, 1, op === "pow" && last, seed)[0];
}

// The edge values at the head of a pool.
function edgeValues(pool: number[], dtype: DType): number[] {
  return pool.slice(0, edges(dtype).length);
}

// Each input in turn a uniform scalar (for addN, which does not broadcast, uniform of the
// others' shape), against the others dense: edge values and some random ones.
function uniformLayouts(op: PrimitiveName, dtypes: DType[], pools: number[][]): Layout[] {
  const out: Layout[] = [];
  const others = pools.map((p, k) => p.slice(0, edgeValues(p, dtypes[k]).length + 16));
  const n = Math.max(...others.map((o) => o.length));
  for (let k = 0; k < dtypes.length; k++) {
    for (const v of edgeValues(pools[k], dtypes[k])) {
      const inputs = dtypes.map((d, j) =>
        j === k
          ? { values: [v], shape: op === "addN" ? [n] : [], dtype: d, uniform: true }
          : plain(cycle(others[j], n), [n], d)
      );
      out.push([`operand ${k} uniform ${encode(v)}`, inputs]);
    }
  }
  return out;
}

// Each input in turn broadcast against the others: a row ([m] or [1, m]) down a matrix, a
// column ([r, 1]) across one, and a column against rows ([r, 1] against [1, m]).
function broadcastLayouts(dtypes: DType[], pools: number[][]): Layout[] {
  const next = rng(17);
  const shapes: [string, number[], number[]][] = [
    [`row [${COLS}]`, [COLS], [ROWS, COLS]],
    [`row [1, ${COLS}]`, [1, COLS], [ROWS, COLS]],
    [`column [${ROWS}, 1] against [${ROWS}, ${COLS}]`, [ROWS, 1], [ROWS, COLS]],
    [`column [${ROWS}, 1] against [1, ${COLS}]`, [ROWS, 1], [1, COLS]],
  ];
  const out: Layout[] = [];
  for (let k = 0; k < dtypes.length; k++) {
    for (const [name, one, rest] of shapes) {
      const inputs = dtypes.map((d, j) => {
        const shape = j === k ? one : rest;
        return plain(sample(pools[j], size(shape), next), shape, d);
      });
      out.push([`operand ${k} ${name}`, inputs]);
    }
  }
  return out;
}

function plain(values: number[], shape: number[], dtype: DType): Input {
  return { values, shape, dtype, uniform: false };
}

function cycle(values: number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => values[i % values.length]);
}

function sample(pool: number[], n: number, next: () => number): number[] {
  return Array.from({ length: n }, () => pool[Math.floor(next() * pool.length)]);
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Runs a case through `bind` (eager mode: the primitive's shortcut, or its cpu kernel).
 *
 * @example Dense int32 addition wraps
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Input, run } from "./_elementwise_layouts.ts";
 * const x: Input = { values: [2 ** 31 - 1, -0], shape: [2], dtype: "int32", uniform: false };
 * const r = run({ op: "add", label: "", attr: undefined, inputs: [x, { ...x, values: [1, 0] }] });
 * assert.deepEqual(r.values, [-(2 ** 31), 0]);
 * ```
 */
export function run(c: Case): Result {
  const out = bind(registry[c.op], c.inputs.map(tensor), c.attr as never);
  const values = Array.from(dataOf(out), encode);
  return { label: c.label, dtype: out.dtype, shape: [...out.shape], values };
}

function tensor({ values, shape, dtype, uniform }: Input): Tensor {
  return uniform ? uniformTensor(values[0], shape, dtype) : dense(values, dtype, shape);
}

/**
 * The results of every case of every elementwise primitive, by primitive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelResults } from "./_elementwise_layouts.ts";
 * const r = kernelResults();
 * const neg = r.negative.find((x) => x.label === "int32, uniform -2147483648")!;
 * assert.deepEqual(neg.values, [-(2 ** 31), -(2 ** 31), -(2 ** 31), -(2 ** 31)]);
 * ```
 */
export function kernelResults(): Record<string, Result[]> {
  return Object.fromEntries(elementwise.map(([op]) => [op, casesOf(op).map(run)]));
}

/**
 * The inputs of a case at element `i` of an output of `shape`, broadcast as numpy does.
 *
 * @example A row broadcast down a matrix
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Case, inputsAt } from "./_elementwise_layouts.ts";
 * const c: Case = { op: "add", label: "", attr: undefined, inputs: [
 *   { values: [1, 2, 3, 4], shape: [2, 2], dtype: "float64", uniform: false },
 *   { values: [10, 20], shape: [2], dtype: "float64", uniform: false },
 * ] };
 * assert.deepEqual(inputsAt(c, [2, 2], 3), [4, 20]);
 * ```
 */
export function inputsAt(c: Case, shape: readonly number[], i: number): number[] {
  return c.inputs.map(({ values, shape: own, uniform }) => {
    if (uniform) return values[0];
    let at = 0, rest = i, stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const index = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      const k = d - (shape.length - own.length);
      if (k < 0) continue;
      if (own[k] !== 1) at += index * stride;
      stride *= own[k];
    }
    return values[at];
  });
}
