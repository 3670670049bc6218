/**
 * The registry's table of cases: for every primitive, the functions and inputs that exercise it
 * (shared by registry_test.ts, which checks derivatives, and registry_vmap_test.ts, which runs
 * the same cases through vmap). Typed by the registry, so a primitive without a row does not
 * compile.
 */
import * as gt from "../../mod.ts";
import { type PrimitiveName, primitives } from "../../src/ops/registry.ts";
import { bind, type Primitive, type Transform, withTransform } from "../../src/core/dispatch.ts";
import type { Tensor } from "../../mod.ts";
import { cond, noGrad, pos23, type Row, unary, x23 } from "./_row_types.ts";
import { specialRows } from "./rows/special.ts";
import { scanRows } from "./rows/scan.ts";
import { indexingRows } from "./rows/indexing.ts";
import { decompositionRows, linalgRows } from "./rows/linalg.ts";
import { moreRows } from "./rows/more.ts";
import { convRows } from "./rows/conv.ts";
import { poolRows } from "./rows/pool.ts";

export type { Case, Fn, Row } from "./_row_types.ts";

/**
 * Every primitive's row, keyed by its name: a primitive without one does not compile.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { primitives } from "../../src/ops/registry.ts";
 * import { rows } from "./_registry_rows.ts";
 * assert.deepEqual(Object.keys(rows).sort(), Object.keys(primitives).sort());
 * ```
 */
export const rows: Record<PrimitiveName, Row> = {
  ...specialRows,
  ...scanRows,
  ...indexingRows,
  ...linalgRows,
  ...decompositionRows,
  ...moreRows,
  ...convRows,
  ...poolRows,
  negative: unary(gt.negative),
  abs: unary(gt.abs),
  sign: noGrad((x) => gt.sign(x), x23),
  sqrt: unary(gt.sqrt, pos23),
  exp: unary(gt.exp),
  expm1: unary(gt.expm1),
  log: unary(gt.log, pos23),
  log1p: unary(gt.log1p, [[-0.5, 0.2, 3]]),
  sin: unary(gt.sin),
  cos: unary(gt.cos),
  tan: unary(gt.tan, [[0.3, -0.7, 1.1]]),
  tanh: unary(gt.tanh),
  sigmoid: unary(gt.sigmoid),
  softplus: unary(gt.softplus),
  relu: unary(gt.relu),
  floor: noGrad((x) => gt.floor(x), x23),
  ceil: noGrad((x) => gt.ceil(x), x23),
  round: noGrad((x) => gt.round(x), x23),
  add: {
    cases: [
      { f: gt.add, args: [x23, x23] },
      { f: gt.add, args: [x23, [0.5, -1, 2]] }, // broadcast a row
      { f: gt.add, args: [[[1], [2]], 3] }, // column and scalar
    ],
  },
  addN: {
    cases: [
      { f: (a, b, c) => gt.addN([a, b, c]), args: [x23, pos23, x23] },
      { f: (a, b) => gt.addN([a, b, gt.multiply(a, b)]), args: [x23, pos23] },
    ],
  },
  subtract: {
    cases: [{ f: gt.subtract, args: [x23, [[0.5], [-1]]] }, { f: gt.subtract, args: [2, x23] }],
  },
  multiply: {
    cases: [{ f: gt.multiply, args: [x23, pos23] }, { f: gt.multiply, args: [x23, [2, -1, 0.5]] }],
  },
  divide: {
    cases: [{ f: gt.divide, args: [x23, pos23] }, { f: gt.divide, args: [[1.5], pos23] }],
  },
  pow: {
    cases: [
      { f: gt.pow, args: [pos23, [[2, 0.5, -1.5], [3, 1.2, 0.7]]] },
      { f: gt.pow, args: [pos23, 3] },
    ],
  },
  maximum: {
    cases: [{ f: gt.maximum, args: [x23, [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]] }, {
      f: gt.maximum,
      args: [x23, 0.25],
    }],
  },
  minimum: {
    cases: [{ f: gt.minimum, args: [x23, [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]] }, {
      f: gt.minimum,
      args: [x23, 0.25],
    }],
  },
  equal: noGrad((a, b) => gt.cast(gt.equal(a, b), a.dtype), x23, x23),
  notEqual: noGrad((a, b) => gt.cast(gt.notEqual(a, b), a.dtype), x23, pos23),
  less: noGrad((a, b) => gt.cast(gt.less(a, b), a.dtype), x23, pos23),
  lessEqual: noGrad((a, b) => gt.cast(gt.lessEqual(a, b), a.dtype), x23, pos23),
  greater: noGrad((a, b) => gt.cast(gt.greater(a, b), a.dtype), x23, pos23),
  greaterEqual: noGrad((a, b) => gt.cast(gt.greaterEqual(a, b), a.dtype), x23, pos23),
  logicalAnd: noGrad(
    (a, b) => gt.cast(gt.logicalAnd(gt.greater(a, 0), gt.greater(b, 0)), a.dtype),
    x23,
    pos23,
  ),
  logicalOr: noGrad(
    (a, b) => gt.cast(gt.logicalOr(gt.greater(a, 0), gt.greater(b, 0)), a.dtype),
    x23,
    pos23,
  ),
  logicalNot: noGrad((a) => gt.cast(gt.logicalNot(gt.greater(a, 0)), a.dtype), x23),
  where: {
    cases: [
      { f: (a, b) => gt.where(cond, a, b), args: [x23, pos23] },
      { f: (a, b) => gt.where(cond, a, b), args: [[1, 2, 3], 0.5] }, // broadcast both branches
    ],
  },
  reduceSum: {
    cases: [
      { f: (x) => gt.reduceSum(x), args: [x23] },
      { f: (x) => gt.reduceSum(x, 1), args: [x23] },
      { f: (x) => gt.reduceSum(x, [0], true), args: [x23] },
    ],
  },
  reduceMax: {
    cases: [{ f: (x) => gt.reduceMax(x, -1), args: [x23] }, {
      f: (x) => gt.reduceMax(x),
      args: [x23],
    }],
  },
  reduceMin: {
    cases: [{ f: (x) => gt.reduceMin(x, 0, true), args: [x23] }, {
      f: (x) => gt.reduceMin(x),
      args: [x23],
    }],
  },
  reshape: unary((x) => gt.reshape(gt.sin(x), [3, -1])),
  transpose: {
    cases: [
      { f: (x) => gt.transpose(gt.sin(x)), args: [x23] },
      {
        f: (x) => gt.transpose(gt.exp(x), [2, 0, 1]),
        args: [[[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6], [0.7, 0.8]]]],
      },
    ],
  },
  broadcastTo: unary((x) =>
    gt.multiply(
      gt.broadcastTo(x, [4, 2, 3]),
      gt.range(24, undefined, 1, x.dtype).reshape([4, 2, 3]),
    )
  ),
  slice: unary((x) => gt.sin(gt.slice(x, [0, 1], [2, -1]))),
  pad: unary((x) => gt.exp(gt.pad(x, [[1, 0], [2, 1]], 0.5))),
  concat: {
    cases: [{ f: (a, b) => gt.sin(gt.concat([a, b, a], 1)), args: [x23, [[1], [2]]] }],
  },
  matmul: {
    cases: [
      { f: (a, b) => gt.matmul(a, b), args: [x23, [[0.5, 1], [-1, 2], [0.3, 0.2]]] },
      { f: (a, b) => gt.matmul(a, b, { transposeA: true }), args: [x23, pos23] },
      { f: (a, b) => gt.matmul(a, b, { transposeB: true }), args: [x23, pos23] },
      {
        f: (a, b) => gt.matmul(a, b, { transposeA: true, transposeB: true }),
        args: [x23, [[1, 2], [3, 4], [5, 6]]],
      },
      // Batched, with the batch dimension broadcast from b.
      { f: (a, b) => gt.matmul(a, b), args: [[x23, pos23], [[0.5, 1], [-1, 2], [0.3, 0.2]]] },
    ],
  },
  cast: {
    // float64 → float32 → float64: the values lose float32 precision, so a larger step.
    cases: [{
      f: (x) => gt.cast(gt.cast(x, "float32"), "float64"),
      args: [x23],
      eps: 1e-2,
      atol: 1e-4,
    }],
  },
  stopGradient: noGrad((x) => gt.stopGradient(x), x23),
  argExtreme: noGrad((x) => gt.cast(gt.argMax(x, 1), x.dtype), x23),
  gather: {
    cases: [
      { f: (x) => gt.sin(gt.gather(x, [2, 0, 2], 1)), args: [x23] }, // a repeated index accumulates
      { f: (x) => gt.exp(gt.gather(x, [[1, 0], [1, 1]])), args: [x23] },
    ],
  },
  scatterAdd: {
    // Not public: it is gather's adjoint, reached here directly.
    cases: [{
      f: (g) =>
        gt.sin(
          bind(primitives.scatterAdd, [g, gt.constant([2, 0, 2], { dtype: "int32" })], {
            axis: 1,
            size: 4,
          }),
        ),
      args: [x23],
    }],
  },
};

/**
 * One op as `bind` ran it: the primitive, its inputs, output and attributes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as gt from "../../mod.ts";
 * import { type Bound, recordBinds } from "./_registry_rows.ts";
 * const [b]: Bound[] = recordBinds(() => gt.exp([0]));
 * assert.equal(b.prim.name, "exp");
 * ```
 */
export interface Bound {
  prim: Primitive;
  inputs: readonly Tensor[];
  out: Tensor;
  attrs: unknown;
}

/**
 * Every op bound while `fn` runs, seen by a transform that only watches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as gt from "../../mod.ts";
 * import { recordBinds } from "./_registry_rows.ts";
 * assert.deepEqual(recordBinds(() => gt.sin(gt.exp([0]))).map((b) => b.prim.name), ["exp", "sin"]);
 * ```
 */
export function recordBinds(fn: () => unknown): Bound[] {
  const seen: Bound[] = [];
  const watcher: Transform = {
    paused: 0,
    scope: null,
    process: (prim, inputs, out, attrs) => seen.push({ prim, inputs, out, attrs }),
    onVariableRead() {},
  };
  withTransform(watcher, fn);
  return seen;
}

/**
 * The ops bound by every case of every row, in float64 and float32, forward and (for rows with
 * a gradient) backward, each batch named by its row, case and dtype.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { everyCaseBinds } from "./_registry_rows.ts";
 * const names = new Set(everyCaseBinds().flatMap(({ binds }) => binds.map((b) => b.prim.name)));
 * assert.ok(names.has("exp") && names.has("matmul"));
 * ```
 */
export function everyCaseBinds(): { where: string; binds: Bound[] }[] {
  const out: { where: string; binds: Bound[] }[] = [];
  for (const [name, row] of Object.entries(rows)) {
    const cases = "cases" in row ? row.cases : [row.noGradient];
    for (const dtype of ["float64", "float32"] as const) {
      cases.forEach((c, i) => {
        const args = c.args.map((a) =>
          a instanceof gt.Tensor ? a : gt.constant(a as number[], { dtype })
        );
        const binds = recordBinds(() => {
          c.f(...args);
          if ("cases" in row) gt.grad((...xs: Tensor[]) => gt.reduceSum(c.f(...xs)))(...args);
        });
        out.push({ where: `${name} case ${i} (${dtype})`, binds });
      });
    }
  }
  return out;
}
