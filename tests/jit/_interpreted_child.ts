/**
 * Jitted programs whose values interpreted_test.ts compares between this process and a child
 * where V8 forbids code generation (there nothing is fused: each op runs its kernel). Run as a
 * program, it prints them as JSON, with whether it could generate code and whether each
 * program's printed steps contain a fused loop.
 *
 * @module
 */
import * as gt from "../../mod.ts";
import { canGenerate } from "../../src/core/kernels/generated.ts";
import { encode, type Encoded } from "../ops/_elementwise_layouts.ts";

type T = gt.Tensor;

/** What one jitted program gave: its results' values (flattened, encoded) and shapes. */
export interface Outcome {
  values: Encoded[][];
  shapes: number[][];
  dtypes: string[];
  /** Whether the compiled program's steps contain a fused loop. */
  fused: boolean;
}

const seq = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.7);

function outcome(results: T[], programs: gt.CompiledProgram[]): Outcome {
  return {
    values: results.map((t) => Array.from(t.data(), (v) => encode(Number(v)))),
    shapes: results.map((t) => [...t.shape]),
    dtypes: results.map((t) => t.dtype),
    fused: programs.some((p) => /fused\[/.test(p.toString())),
  };
}

// h = x·w + b (x a row down w, b a column across it); where h > 0, tanh(h), else sigmoid(h)·x.
function chain(w: T, b: T, x: T): T {
  const h = gt.add(gt.multiply(x, w), b);
  return gt.where(gt.greater(h, 0), gt.tanh(h), gt.multiply(gt.sigmoid(h), x));
}

// A longer chain of float64 (or float32) ops, each fusible, with a scalar and a broadcast.
function smooth(a: T, b: T, s: number): T {
  const u = gt.divide(gt.subtract(gt.square(a), b), gt.add(gt.abs(b), 1));
  return gt.maximum(gt.multiply(gt.exp(gt.negative(gt.square(u))), s), gt.log1p(gt.abs(u)));
}

const loss = (w: T, b: T, x: T) => gt.reduceSum(gt.square(chain(w, b, x)));

/**
 * Every program's outcome, by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jitOutcomes } from "./_interpreted_child.ts";
 * const o = jitOutcomes();
 * assert.equal(o["float64 chain"].values[0].length, 5 * 7);
 * ```
 */
export function jitOutcomes(): Record<string, Outcome> {
  const out: Record<string, Outcome> = {};
  for (const dtype of ["float32", "float64"] as const) {
    const c = (v: number[], shape: number[]) => gt.constant(v, { dtype, shape });
    const w = c(seq(35, 1), [5, 7]), b = c(seq(5, 2), [5, 1]), x = c(seq(7, 3), [7]);

    const jc = gt.jit(chain);
    out[`${dtype} chain`] = outcome([jc(w, b, x), jc(w, b, gt.negative(x))], [jc.program(w, b, x)]);

    const js = gt.jit(smooth);
    out[`${dtype} smooth`] = outcome([js(w, x, 0.5), js(b, x, -1.25)], [
      js.program(w, x, 0.5),
      js.program(b, x, 0.5),
    ]);

    const g = gt.jit(gt.grad(loss, { argnums: [0, 1, 2] }));
    out[`${dtype} grad`] = outcome(g(w, b, x), [g.program(w, b, x)]);

    // A training step: a tape, its gradient, and assignSub, three times.
    const vw = new gt.Variable(w, { name: "w" }), vb = new gt.Variable(b, { name: "b" });
    const step = gt.jit((x: T, lr: number) => {
      const tape = new gt.GradientTape();
      const l = tape.record(() => loss(vw.value(), vb.value(), x));
      const [gw, gb] = tape.gradient(l, [vw, vb]);
      vw.assignSub(gt.multiply(gw!, lr));
      vb.assignSub(gt.multiply(gb!, lr));
      return l;
    });
    const losses = [0.05, 0.05, 0.02].map((lr) => step(x, lr));
    out[`${dtype} training step`] = outcome([...losses, vw.peek(), vb.peek()], [
      step.program(x, 0.05),
    ]);
  }
  // Integers and booleans through a fused chain, with int32 wrapping.
  const i = gt.constant([2147483647, -5, 7, 100000, 3, -2], { dtype: "int32", shape: [2, 3] });
  const k = gt.constant([2, 3, -7], { dtype: "int32" });
  const ints = gt.jit((a: T, b: T) =>
    gt.where(gt.logicalNot(gt.greater(a, b)), gt.multiply(a, b), gt.subtract(gt.add(a, 1), b))
  );
  out["int32 chain"] = outcome([ints(i, k)], [ints.program(i, k)]);
  return out;
}

if (import.meta.main) console.log(JSON.stringify({ canGenerate, outcomes: jitOutcomes() }));
