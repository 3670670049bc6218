/**
 * The registry's table (tests/ops/_registry_rows.ts) through `vmap`: every case of every
 * primitive, on a batch of three different inputs per argument, with the mapped axis first, in
 * the middle and last (and arguments left unmapped), against stacking the unbatched results; its
 * derivatives to order 2 in both modes; and `vmap` of `grad` and `grad` of `vmap` against the
 * per-example gradients. The table is typed by the registry, so a primitive without a row does
 * not compile; each row is also checked to reach its primitive's batching rule.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { AxisSpec, Tensor, TensorLike } from "../../mod.ts";
import { type PrimitiveName, primitives, registry } from "../../src/ops/registry.ts";
import { bind, type Primitive } from "../../src/core/dispatch.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";
import { type Case, type Fn, rows } from "./_registry_rows.ts";

const B = 3;
// Example k of argument j is the case's input scaled by SCALES[(j + k) % B]: the examples differ,
// and scaling keeps every input in its op's domain (signs, so positivity for log and sqrt and
// the side of abs's and relu's kink) and away from ties (maximum's closest pair, 0.3 against
// 0.25, stays at least 0.02 apart however the two are scaled).
const SCALES = [1, 1.05, 0.95];
const f64 = (a: TensorLike) => gt.constant(a as number[], { dtype: "float64" });
const example = (a: TensorLike, j: number, k: number) => gt.multiply(f64(a), SCALES[(j + k) % B]);

type Place = "first" | "middle" | "last";

/** One way to map a case's arguments: which are mapped, and where each one's batch axis is. */
interface Mapping {
  label: string;
  mapped: boolean[];
  place: Place[];
}

// The inAxes entry for an example of rank r at `place`, and the axis it names in the batch.
const spec = (place: Place, r: number): number =>
  place === "first" ? 0 : place === "last" ? -1 : Math.ceil(r / 2);
const normal = (place: Place, r: number): number => {
  const a = spec(place, r);
  return a < 0 ? a + r + 1 : a;
};

/** All mapped with the axis first, in the middle, last, and mixed; then each argument alone. */
function mappings(n: number): Mapping[] {
  const all = new Array<boolean>(n).fill(true);
  const out: Mapping[] = (["first", "middle", "last"] as const).map((p) => ({
    label: `all mapped, axis ${p}`,
    mapped: all,
    place: new Array<Place>(n).fill(p),
  }));
  if (n === 1) return out;
  out.push({
    label: "all mapped, axes last and first alternately",
    mapped: all,
    place: all.map((_, j) => (j % 2 === 0 ? "last" : "first")),
  });
  for (let j = 0; j < n; j++) {
    for (const p of ["first", "last"] as const) {
      out.push({
        label: `argument ${j} alone mapped, axis ${p}, the others null`,
        mapped: all.map((_, i) => i === j),
        place: new Array<Place>(n).fill(p),
      });
    }
  }
  return out;
}

/** A case under one mapping: the batched arguments, inAxes, and each example's arguments. */
function batchOf(c: Case, m: Mapping) {
  const bases = c.args.map(f64);
  const perExample = Array.from(
    { length: B },
    (_, k) => c.args.map((a, j) => (m.mapped[j] ? example(a, j, k) : bases[j])),
  );
  const inAxes: AxisSpec[] = bases.map((x, j) => (m.mapped[j] ? spec(m.place[j], x.rank) : null));
  const axes = bases.map((x, j) => (m.mapped[j] ? normal(m.place[j], x.rank) : null));
  const batched = bases.map((x, j) =>
    axes[j] === null ? x : gt.stack(perExample.map((xs) => xs[j]), axes[j]!)
  );
  return { batched, inAxes, axes, perExample };
}

const close = { rtol: 1e-10, atol: 1e-12 };

// Counts the calls of `name`'s batching rule while `fn` runs.
function batchCalls(name: PrimitiveName, fn: () => void): number {
  const p = registry[name] as Primitive<never>;
  const rule = p.batch;
  let calls = 0;
  p.batch = (...args) => (calls++, rule(...args));
  try {
    fn();
  } finally {
    p.batch = rule;
  }
  return calls;
}

const sumOf = (f: Fn): Fn => (...xs) => gt.reduceSum(f(...xs));
const argnumsOf = (n: number) => Array.from({ length: n }, (_, i) => i);

/** (a) vmap's values equal the stacked results of f on each example, for outAxes 0 and -1. */
function checkValues(c: Case, m: Mapping): void {
  const { batched, inAxes, perExample } = batchOf(c, m);
  const ys = perExample.map((xs) => c.f(...xs));
  for (const outAxes of [0, -1]) {
    const y = gt.vmap(c.f, { inAxes, outAxes })(...batched);
    const expected = gt.stack(ys, outAxes < 0 ? ys[0].rank + 1 + outAxes : outAxes);
    assert.equal(y.dtype, expected.dtype, `outAxes ${outAxes}: dtype`);
    assertAllClose(y, expected, close);
  }
}

/** (b) The vmapped function's derivatives to order 2, forward and reverse. */
function checkDerivatives(c: Case, m: Mapping): void {
  const { batched, inAxes } = batchOf(c, m);
  checkGrads(gt.vmap(c.f, { inAxes }), batched, {
    order: 2,
    eps: c.eps,
    atol: c.atol,
    rtol: c.rtol,
  });
}

/** (c) vmap of grad gives the per-example gradients; grad of vmap gives them along each mapped
 * axis, and their sum for an unmapped argument. */
function checkGradCompositions(c: Case, m: Mapping): void {
  const { batched, inAxes, axes, perExample } = batchOf(c, m);
  const argnums = argnumsOf(c.args.length);
  const g = gt.grad(sumOf(c.f), { argnums }) as (...xs: Tensor[]) => Tensor[];
  const each = perExample.map((xs) => g(...xs));
  const tol = { rtol: c.rtol ?? 1e-10, atol: c.atol ?? 1e-12 };

  const inside = gt.vmap(g, { inAxes })(...batched);
  argnums.forEach((j) => {
    assertAllClose(inside[j], gt.stack(each.map((gs) => gs[j])), tol);
  });

  const outside = gt.grad(
    (...xs: Tensor[]) => gt.reduceSum(gt.vmap(c.f, { inAxes })(...xs)),
    { argnums },
  )(...batched) as Tensor[];
  argnums.forEach((j) => {
    const gj = each.map((gs) => gs[j]);
    const expected = axes[j] === null ? gt.addN(gj) : gt.stack(gj, axes[j]!);
    assertAllClose(outside[j], expected, tol);
  });
}

/** A row with no gradient keeps none through vmap, under a tape and an accumulator outside. */
function checkNoGradient(c: Case, m: Mapping): void {
  const { batched, inAxes } = batchOf(c, m);
  const vf = gt.vmap(c.f, { inAxes });
  const tape = new gt.GradientTape();
  const y = tape.record(() => {
    tape.watch(batched);
    return vf(...batched);
  });
  assert.deepEqual(tape.gradient(y, batched), batched.map(() => null));
  const acc = new gt.ForwardAccumulator(batched, batched.map((x) => gt.onesLike(x)));
  assert.equal(acc.jvp(acc.record(() => vf(...batched))), null);
}

Deno.test("registry through vmap: every primitive has exactly one row", () => {
  assert.deepEqual(Object.keys(rows).sort(), Object.keys(primitives).sort());
});

for (const [key, row] of Object.entries(rows)) {
  const name = key as PrimitiveName;
  const cases = "noGradient" in row ? [row.noGradient] : row.cases;
  const hasGradient = !("noGradient" in row);

  Deno.test(`${name}() under vmap equals the stacked unbatched results, the mapped axis anywhere`, async (t) => {
    for (const [i, c] of cases.entries()) {
      for (const m of mappings(c.args.length)) {
        await t.step(`case ${i}: ${m.label}`, () => {
          const calls = batchCalls(name, () => checkValues(c, m));
          assert.ok(calls > 0, `case ${i} does not reach the batching rule of ${name}`);
        });
      }
    }
  });

  if (!hasGradient) {
    Deno.test(`${name}() under vmap has no gradient in either mode`, async (t) => {
      for (const [i, c] of cases.entries()) {
        for (const m of mappings(c.args.length).slice(-2)) {
          await t.step(`case ${i}: ${m.label}`, () => checkNoGradient(c, m));
        }
      }
    });
    continue;
  }

  Deno.test(`${name}() under vmap has derivatives that match finite differences to order 2, forward and reverse`, async (t) => {
    for (const [i, c] of cases.entries()) {
      // The axes in the middle of every argument, and the last argument alone mapped, last.
      const ms = mappings(c.args.length);
      for (const m of [ms[1], ms[ms.length - 1]]) {
        await t.step(`case ${i}: ${m.label}`, () => checkDerivatives(c, m));
      }
    }
  });

  Deno.test(`${name}() under vmap of grad and grad of vmap gives the per-example gradients`, async (t) => {
    for (const [i, c] of cases.entries()) {
      for (const m of mappings(c.args.length)) {
        await t.step(`case ${i}: ${m.label}`, () => checkGradCompositions(c, m));
      }
    }
  });
}

// The table's gather and scatterAdd cases close over their indices; here the indices are
// arguments, different for each example (integers, as only the float arguments are perturbed).

const x23 = [[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]];

interface IndexCase {
  name: PrimitiveName;
  label: string;
  /** f of a float tensor and int32 indices. */
  f: (x: Tensor, indices: Tensor) => Tensor;
  x: TensorLike;
  /** One example's indices per example. */
  indices: number[][] | number[][][];
}

const o24 = gt.constant([[0, 0.35, -0.5, 0.25], [0.45, -0.2, 0.15, 1.7]], { dtype: "float64" });
const u33 = gt.constant([[0.6, -0.4, 1.3], [0.2, 1.1, 0.9], [-1.5, 0.7, 0.5]], {
  dtype: "float64",
});
const t5 = gt.constant([0.5, -0.25, 1.5, 0.75, -2], { dtype: "float64" });
const scatter = (axis: number, size: number) => (g: Tensor, indices: Tensor) =>
  gt.sin(bind(primitives.scatterAdd, [g, indices], { axis, size }));

const indexCases: IndexCase[] = [
  {
    name: "gather",
    label: "along axis 1",
    f: (x, i) => gt.sin(gt.gather(x, i, 1)),
    x: x23,
    indices: [[2, 0, 2], [1, 1, 0], [0, 2, 1]],
  },
  {
    name: "gather",
    label: "along axis 0, indices of rank 2",
    f: (x, i) => gt.exp(gt.gather(x, i, 0)),
    x: x23,
    indices: [[[1, 0], [1, 1]], [[0, 0], [1, 0]], [[0, 1], [1, 1]]],
  },
  {
    name: "scatterAdd",
    label: "along axis 1",
    f: scatter(1, 4),
    x: x23,
    indices: [[2, 0, 2], [3, 1, 0], [0, 0, 0]],
  },
  {
    name: "scatterAdd",
    label: "along axis 0, indices of rank 2",
    f: scatter(0, 3),
    x: [[[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]], [[0.7, 0.1, -0.5], [0.2, 0.9, -1.1]]],
    indices: [[[2, 0], [2, 2]], [[1, 0], [0, 1]], [[0, 0], [0, 0]]],
  },
  {
    name: "scatter",
    label: "max along axis 1 into a constant operand",
    f: (u, i) => gt.sin(bind(primitives.scatter, [o24, i, u], { axis: 1, mode: "max" })),
    x: x23,
    indices: [[2, 0, 2], [3, 1, 0], [0, 0, 0]],
  },
  {
    name: "scatter",
    label: "product along axis 0 of constant updates into the operand",
    f: (o, i) => gt.sin(bind(primitives.scatter, [o, i, u33], { axis: 0, mode: "mul" })),
    x: x23,
    indices: [[1, 0, 1], [0, 0, 1], [1, 1, 1]],
  },
  {
    name: "scatter",
    label: "tensorScatterUpdate of the updates (the last of repeated tuples wins)",
    f: (u, i) => gt.sin(gt.tensorScatterUpdate(t5, i, u)),
    x: [0.3, -1.2, 0.8],
    indices: [[[1], [3], [1]], [[0], [4], [2]], [[2], [2], [2]]],
  },
  {
    name: "scatterAdd",
    label: "unsortedSegmentSum, negative ids dropped",
    f: (d, i) => gt.sin(gt.unsortedSegmentSum(d, i, 3)),
    x: [[0.3, -1.2], [1.5, 0.4], [-0.7, 2.1], [0.9, -0.1]],
    indices: [[0, 2, -1, 1], [2, 2, 0, -1], [-1, 0, 1, 1]],
  },
  {
    name: "gather",
    label: "batchDims 1 along axis 1",
    f: (x, i) => gt.exp(gt.gather(x, i, { axis: 1, batchDims: 1 })),
    x: x23,
    indices: [[[2, 0], [1, 1]], [[0, 0], [2, 1]], [[1, 2], [0, 2]]],
  },
  {
    name: "gather",
    label: "gatherNd of index pairs",
    f: (p, i) => gt.exp(gt.gatherNd(p, i)),
    x: x23,
    indices: [[[1, 2], [0, 0]], [[0, 1], [1, 1]], [[1, 0], [0, 2]]],
  },
];

for (const c of indexCases) {
  const xs = Array.from({ length: B }, (_, k) => example(c.x, 0, k));
  const idxs = c.indices.map((i) => gt.constant(i, { dtype: "int32" }));
  const each = xs.map((x, k) => c.f(x, idxs[k]));
  const sumF = (x: Tensor, i: Tensor) => gt.reduceSum(c.f(x, i));
  const grads = xs.map((x, k) => gt.grad(sumF)(x, idxs[k]));
  for (const [xPlace, xMapped] of [["first", true], ["last", true], ["first", false]] as const) {
    for (const iPlace of ["first", "last"] as const) {
      const r = xs[0].rank, ri = idxs[0].rank;
      const x = xMapped ? gt.stack(xs, normal(xPlace, r)) : f64(c.x);
      const idx = gt.stack(idxs, normal(iPlace, ri));
      const inAxes = [xMapped ? spec(xPlace, r) : null, spec(iPlace, ri)];
      const label = `${c.label}: x ${xMapped ? `mapped, axis ${xPlace}` : "null"}, ` +
        `indices mapped, axis ${iPlace}`;
      const ys = xMapped ? each : xs.map((_, k) => c.f(f64(c.x), idxs[k]));

      Deno.test(`${c.name}() under vmap with mapped indices (${label}) equals the stacked results`, () => {
        const calls = batchCalls(c.name, () => {
          for (const outAxes of [0, -1]) {
            const y = gt.vmap(c.f, { inAxes, outAxes })(x, idx);
            assertAllClose(y, gt.stack(ys, outAxes < 0 ? ys[0].rank : 0), close);
          }
        });
        assert.ok(calls > 0, `the case does not reach the batching rule of ${c.name}`);
      });
      Deno.test(`${c.name}() under vmap with mapped indices (${label}) has derivatives that match finite differences to order 2`, () => {
        checkGrads((x: Tensor) => gt.vmap(c.f, { inAxes })(x, idx), [x], { order: 2 });
      });
      Deno.test(`${c.name}() under vmap with mapped indices (${label}): vmap of grad and grad of vmap give the per-example gradients`, () => {
        const gs = xMapped ? grads : xs.map((_, k) => gt.grad(sumF)(f64(c.x), idxs[k]));
        const inside = gt.vmap(gt.grad(sumF), { inAxes })(x, idx);
        assertAllClose(inside, gt.stack(gs), close);
        const outside = gt.grad((x: Tensor) => gt.reduceSum(gt.vmap(c.f, { inAxes })(x, idx)))(x);
        const expected = xMapped ? gt.stack(gs, normal(xPlace, r)) : gt.addN(gs);
        assertAllClose(outside, expected, close);
      });
    }
  }
}

// customGradient and customJvp are primitives outside the registry, one per use.

const xs3 = [[0.3, -1.2, 0.8, 1.5], [-0.4, 2.1, 0.6, -0.9], [1.1, 0.2, -0.7, 0.5]];
const w4 = [0.5, -1.5, 2, 0.25];

// x·sin(x), with its true derivative as the rule (which reads x from its closure).
const xSinX = gt.customGradient((x: Tensor) => [
  gt.multiply(x, gt.sin(x)),
  (dy: Tensor) => gt.multiply(dy, gt.add(gt.sin(x), gt.multiply(x, gt.cos(x)))),
]);
// x·w, a rule for both arguments.
const scaled = gt.customGradient((x: Tensor, w: Tensor) => [
  gt.multiply(x, w),
  (dy: Tensor) => [gt.multiply(dy, w), gt.multiply(dy, x)],
]);
// 3x + 1, whose rule needs only dy.
const affine = gt.customGradient((x: Tensor) => [
  gt.add(gt.multiply(x, 3), 1),
  (dy: Tensor) => gt.multiply(dy, 3),
]);
// JAX's numerically stable log(1 + eˣ).
const naive = (x: Tensor) => gt.log(gt.add(1, gt.exp(x)));
const log1pexp = gt.customJvp(naive, ([x], [t]) => [
  naive(x),
  gt.multiply(gt.subtract(1, gt.divide(1, gt.add(1, gt.exp(x)))), t),
]);
// sin(x)·w, with its rule for both arguments.
const sinTimes = gt.customJvp(
  (x: Tensor, w: Tensor) => gt.multiply(gt.sin(x), w),
  ([x, w], [dx, dw]) => [
    gt.multiply(gt.sin(x), w),
    gt.add(gt.multiply(gt.multiply(gt.cos(x), dx), w), gt.multiply(gt.sin(x), dw)),
  ],
);
// x·w summed: a rule with a reduction, which must stay per example under the map.
const dot = (x: Tensor, w: Tensor) => gt.reduceSum(gt.multiply(x, w));
const dotJvp = gt.customJvp(dot, ([x, w], [dx, dw]) => [dot(x, w), gt.add(dot(dx, w), dot(x, dw))]);

interface Custom {
  name: string;
  f: Fn;
  args: TensorLike[];
}

// A customGradient rule that reads the mapped arguments from its closure is run by a tape
// outside the map (grad of vmap) after the map has ended: the entry re-enters the map for it.
const customs: Custom[] = [
  { name: "customGradient of x·sin(x)", f: xSinX as Fn, args: [xs3] },
  { name: "customGradient of x·w", f: scaled as Fn, args: [xs3, w4] },
  { name: "customGradient of 3x + 1", f: affine as Fn, args: [xs3] },
  { name: "customJvp of log1pexp", f: log1pexp as Fn, args: [xs3] },
  { name: "customJvp of sin(x)·w", f: sinTimes as Fn, args: [xs3, w4] },
  { name: "customJvp of sum(x·w)", f: dotJvp as Fn, args: [xs3, w4] },
];

for (const c of customs) {
  // The examples are the rows of the first argument; the second (a row of weights) is the same
  // for every example, or mapped too (columns of its transpose against rows of weights).
  const configs: { label: string; inAxes: AxisSpec[]; batched: Tensor[] }[] = [{
    label: "axis 0",
    inAxes: c.args.map((_, j) => (j === 0 ? 0 : null)),
    batched: c.args.map(f64),
  }];
  if (c.args.length === 2) {
    const ws = [w4, w4.map((v) => v * 1.05), w4.map((v) => -v)];
    configs.push({
      label: "both mapped, axes 1 and 0",
      inAxes: [1, 0],
      batched: [gt.transpose(f64(xs3)), f64(ws)],
    });
  }
  for (const { label, inAxes, batched } of configs) {
    const perExample = Array.from(
      { length: B },
      (_, k) =>
        batched.map((x, j) =>
          inAxes[j] === null ? x : gt.gather(x, [k], inAxes[j] as number).reshape([-1])
        ),
    );
    const argnums = argnumsOf(c.args.length);
    const g = gt.grad(sumOf(c.f), { argnums }) as (...xs: Tensor[]) => Tensor[];
    const each = () => perExample.map((xs) => g(...xs));

    Deno.test(`${c.name} under vmap (${label}) equals the stacked unbatched results`, () => {
      const ys = perExample.map((xs) => c.f(...xs));
      for (const outAxes of [0, -1]) {
        const y = gt.vmap(c.f, { inAxes, outAxes })(...batched);
        assertAllClose(y, gt.stack(ys, outAxes < 0 ? ys[0].rank : 0), close);
      }
    });
    Deno.test(`${c.name} under vmap (${label}) of grad gives the per-example gradients`, () => {
      const inside = gt.vmap(g, { inAxes })(...batched), gs = each();
      argnums.forEach((j) => assertAllClose(inside[j], gt.stack(gs.map((g) => g[j])), close));
    });
    Deno.test(`${c.name} under grad of vmap (${label}) gives the per-example gradients`, () => {
      const outside = gt.grad(
        (...xs: Tensor[]) => gt.reduceSum(gt.vmap(c.f, { inAxes })(...xs)),
        { argnums },
      )(...batched) as Tensor[];
      const gs = each();
      argnums.forEach((j) => {
        const gj = gs.map((g) => g[j]);
        const a = inAxes[j];
        assertAllClose(outside[j], a === null ? gt.addN(gj) : gt.stack(gj, a as number), close);
      });
    });
    Deno.test(`${c.name} under vmap (${label}) has derivatives that match finite differences`, () => {
      // A customGradient rule is for reverse mode; customJvp's for both, to every order.
      const options = c.name.startsWith("customGradient")
        ? { order: 1, modes: ["rev" as const] }
        : { order: 2 };
      checkGrads(gt.vmap(c.f, { inAxes }), batched, options);
    });
  }
}
