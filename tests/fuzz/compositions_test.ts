/**
 * Property-based fuzzing of compositions: random small programs (2–6 ops over 1–3 float64
 * inputs of broadcast-compatible shapes) must have correct derivatives to order 2 in both modes
 * (`checkGrads`: forward against finite differences, reverse against them through
 * ⟨ȳ, J·t⟩ = ⟨Jᵀ·ȳ, t⟩, and every nesting of the two at order 2); `jacfwd` must agree with
 * `jacrev`, and `hessian` with reverse over reverse, to rounding. The programs and their
 * interpreter are in `programs.ts`; programs that come too near a kink, tie exactly where a
 * branch jumps, or are too badly scaled for finite differences, are skipped (and counted).
 *
 * Every program drawn (skipped ones too: the comparison needs no finite differences) also runs
 * under `jit`, in float64 and float32: its values, its first derivatives (`jit(grad(sum∘f))`), and
 * in float64 a third derivative by three nested reverse passes, must equal eager mode's
 * (`checkJit`): bit for bit, as a compiled program runs the same kernels,
 * or loops generated from the same scalar formulas with the same rounding, but for a rounding
 * where eager mode's shortcuts on uniform tensors round otherwise (`JIT_RTOL`; counted and
 * printed).
 *
 * CI runs a fixed seed for a few seconds; `deno task fuzz` runs for five minutes. Environment:
 * - `GRADTAPE_FUZZ_SECONDS`: the time budget (default 5).
 * - `GRADTAPE_FUZZ_SEED`: the seed (default 42).
 * - `GRADTAPE_FUZZ_PATH`: with the seed, replays the shrunk counterexample a failure reported.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";
import {
  inputValues,
  MAX_SPEED,
  MAX_VALUE,
  MIN_MARGIN,
  type OpDef,
  OPS,
  type Plan,
  planProgram,
  type Pool,
  type Program,
  programArbitrary,
  SIMD_OPS,
} from "./programs.ts";

/**
 * Finite differences in float64 with a step of 1e-5 are good to ~1e-9 relative on functions of
 * this scale, and forward and reverse Jacobians differ only by rounding: both tolerances leave
 * a wide margin for a correct implementation and none for a wrong rule.
 */
const GRAD_TOLERANCES = { eps: 1e-5, rtol: 1e-5, atol: 1e-6 };
/**
 * Where a composition curves fast (sin of a value that moves fast, say), the O(ε²) truncation
 * error of central differences can still reach 1e-5. A failure is therefore confirmed with a
 * ten times smaller step, which divides that error by a hundred: a wrong rule fails at both
 * steps, as its error does not depend on the step.
 */
const FINE_EPS = 1e-6;
/** Two exact computations of one derivative differ by rounding only. */
const JACOBIAN_RTOL = 1e-9;

interface Settings {
  seconds: number;
  seed: number;
  path: string | undefined;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: the defaults
  }
}

function settings(): Settings {
  const seconds = Number(env("GRADTAPE_FUZZ_SECONDS") ?? "5");
  const seed = Number(env("GRADTAPE_FUZZ_SEED") ?? "42");
  if (!(seconds > 0)) {
    throw new Error(`GRADTAPE_FUZZ_SECONDS must be a positive number of seconds, got ${seconds}`);
  }
  if (!Number.isInteger(seed)) {
    throw new Error(`GRADTAPE_FUZZ_SEED must be an integer, got ${seed}`);
  }
  return { seconds, seed, path: env("GRADTAPE_FUZZ_PATH") || undefined };
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of t.data()) m = Math.max(m, Math.abs(Number(v)));
  return m;
}

function assertExactlyClose(actual: Tensor, expected: Tensor, msg: string): void {
  const atol = JACOBIAN_RTOL * (1 + maxAbs(expected));
  assertAllClose(actual, expected, { rtol: JACOBIAN_RTOL, atol, msg });
}

/**
 * Forward and reverse Jacobians with respect to every input, element by element; and the
 * Hessian of a weighted sum of the output by `hessian` (all directions at once, forward over
 * reverse) against reverse over reverse (`jacrev` of `grad`).
 */
function compareJacobians(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[]): void {
  const argnums = xs.map((_, i) => i);
  const fwd = gt.jacfwd(f, { argnums })(...xs);
  const rev = gt.jacrev(f, { argnums })(...xs);
  fwd.forEach((j, i) => assertExactlyClose(j, rev[i], `jacfwd vs jacrev, argument ${i}`));
  const y = f(...xs);
  const w = gt.constant(inputValues(1, 0, y.size), { dtype: "float64", shape: y.shape });
  const s = (...zs: Tensor[]) => gt.reduceSum(gt.multiply(f(...zs), w));
  for (const i of argnums) {
    const h = gt.hessian(s, { argnums: i })(...xs);
    const hh = gt.jacrev(gt.grad(s, { argnums: i }), { argnums: i })(...xs);
    assertExactlyClose(h, hh, `hessian vs jacrev of grad, argument ${i}`);
  }
}

/**
 * The checks every program must pass; on failure, the message ends with the program. Returns
 * whether the finite differences needed the finer step.
 */
export function checkPlan(plan: Plan): boolean {
  let fine = false;
  try {
    try {
      checkGrads(plan.f, plan.inputs, { order: 2, ...GRAD_TOLERANCES });
    } catch (coarse) {
      try {
        checkGrads(plan.f, plan.inputs, { order: 2, ...GRAD_TOLERANCES, eps: FINE_EPS });
      } catch (e) {
        throw new Error(
          `${e instanceof Error ? e.message : e}\n(with a step of ${FINE_EPS}; with ` +
            `${GRAD_TOLERANCES.eps}: ${coarse instanceof Error ? coarse.message : coarse})`,
          { cause: e },
        );
      }
      fine = true;
    }
    compareJacobians(plan.f, plan.inputs);
  } catch (e) {
    const args = plan.inputs.map((_, i) => `x${i}`).join(", ");
    const { rtol, atol } = GRAD_TOLERANCES;
    throw new Error(
      `${e instanceof Error ? e.message : e}\n\nThe program (gt is the library, checkGrads ` +
        `from its testing module):\n\n${plan.source}\n` +
        `checkGrads(f, [${args}], { order: 2, eps: ${FINE_EPS}, rtol: ${rtol}, atol: ${atol} });\n`,
      { cause: e },
    );
  }
  return fine;
}

/**
 * How far jitted results may be from eager ones. Bit for bit, but for eager mode's shortcuts on
 * uniform tensors, which a compiled program cannot see (its inputs have no storage yet): the sum
 * of a broadcast value is that value times the count in eager mode, and an actual sum in a
 * program; the two differ by a rounding (about 1 program in 700). Relative to the largest
 * magnitude, as `assertExactlyClose`.
 */
const JIT_RTOL = { float64: 1e-12, float32: 1e-5 };

// The long-array property's time budget: its programs compile SIMD loops and run 10³–10⁴
// elements, so it checks fewer of them than the main one in the same time. Half are drawn from
// the ops that fuse into SIMD loops, on inputs of the whole base shape: 125–186 of 264–430
// programs ran SIMD loops in 5 s (seeds 1–3), against 8–49 of about 2,000 over all ops, and a
// wrong vector formula (cast to bool keeping the value) fails every seed.
const LONG_SECONDS = 5;

/** Whether two tensors are the same bit for bit (NaN equal to NaN). */
function identical(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return false;
  const x = a.data(), y = b.data();
  for (let i = 0; i < y.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

/** `actual` equals `expected` bit for bit, or within `JIT_RTOL`; returns whether exactly. */
function assertJitClose(actual: Tensor, expected: Tensor, msg: string): boolean {
  if (identical(actual, expected)) return true;
  assert.equal(actual.dtype, expected.dtype, `${msg}: dtype`);
  const dtype = expected.dtype as "float32" | "float64";
  const rtol = JIT_RTOL[dtype];
  assertAllClose(actual, expected, { rtol, atol: rtol * (1 + maxAbs(expected)), msg });
  return false;
}

/**
 * The program under `jit` against eager mode, in float64 and float32 (the inputs cast): values,
 * and first derivatives with respect to every input, bit for bit or within `JIT_RTOL`. Returns
 * whether all were exact; on failure, the message ends with the program.
 */
export function checkJit(plan: Plan): boolean {
  const argnums = plan.inputs.map((_, i) => i);
  let exact = true;
  for (const dtype of ["float64", "float32"] as const) {
    const xs = plan.inputs.map((x) => gt.cast(x, dtype));
    try {
      const expected = plan.f(...xs);
      const jitted = gt.jit(plan.f);
      exact = assertJitClose(jitted(...xs), expected, `${dtype} values under jit`) && exact;
      // Again, through the compiled program and its reused buffers; then with the large inputs
      // read from the program's own copies of them, made at the second call.
      exact = assertJitClose(jitted(...xs), expected, `${dtype} values, second call`) && exact;
      exact = assertJitClose(jitted(...xs), expected, `${dtype} values, third call`) && exact;
      const g = gt.grad((...zs: Tensor[]) => gt.reduceSum(plan.f(...zs)), { argnums });
      const ge = g(...xs) as Tensor[], gj = gt.jit(g)(...xs) as Tensor[];
      assert.equal(gj.length, ge.length);
      ge.forEach((e, i) => {
        exact = assertJitClose(gj[i], e, `${dtype} derivative ${i} under jit`) && exact;
      });
      if (dtype === "float64") {
        // Third order by nested reverse passes: every pass seeds with ones, which the trace
        // records as x·1 (third derivatives were once wrong under jit alone).
        const third = thirdDerivative(plan.f);
        exact = assertJitClose(gt.jit(third)(...xs), third(...xs), "third derivative") && exact;
      }
    } catch (e) {
      const args = plan.inputs.map((_, i) => `gt.cast(x${i}, "${dtype}")`).join(", ");
      throw new Error(
        `${e instanceof Error ? e.message : e}\n\nThe program (gt is the library):\n\n` +
          `${plan.source}\ngt.jit(f)(${args}); // against f(${args}), and their grad\n`,
        { cause: e },
      );
    }
  }
  return exact;
}

// d³/dx₀³ of sum∘f along all-ones directions, as a function of every input.
function thirdDerivative(f: Plan["f"]): (...xs: Tensor[]) => Tensor {
  const d = (h: (x0: Tensor, rest: Tensor[]) => Tensor) => (x0: Tensor, rest: Tensor[]) =>
    gt.reduceSum(gt.grad((z: Tensor) => h(z, rest))(x0));
  const second = d(d((x0, rest) => gt.reduceSum(f(x0, ...rest))));
  return (...xs) => gt.grad((z: Tensor) => second(z, xs.slice(1)))(xs[0]);
}

/** How many programs a property checked, and how many it skipped. */
interface Tally {
  checked: number;
  skipped: number;
  /** Checked, but only at the finer finite-difference step. */
  fine: number;
  /** Checked under jit against eager mode (skipped programs included). */
  jitted?: number;
  /** Of those, the ones not equal bit for bit (within `JIT_RTOL`). */
  inexact?: number;
}

/** The property over programs drawn from `pool`. */
function programProperty(pool: Pool, tally: Tally): fc.IPropertyWithHooks<[Program]> {
  return fc.property(programArbitrary(pool), (program) => {
    const plan = planProgram(program, pool);
    if (!checkJit(plan)) tally.inexact = (tally.inexact ?? 0) + 1;
    tally.jitted = (tally.jitted ?? 0) + 1;
    // Too near a kink for finite differences, or badly scaled: draw another.
    if (plan.margin < MIN_MARGIN || plan.largest > MAX_VALUE || plan.speed > MAX_SPEED) {
      tally.skipped++;
      fc.pre(false);
    }
    if (checkPlan(plan)) tally.fine++;
    tally.checked++;
  });
}

Deno.test("fuzz: random programs have right derivatives to order 2, forward and reverse", () => {
  const { seconds, seed, path } = settings();
  const tally: Tally = { checked: 0, skipped: 0, fine: 0, jitted: 0, inexact: 0 };
  const start = performance.now();
  try {
    fc.assert(programProperty(OPS, tally), {
      seed,
      path,
      // A path replays one program; otherwise the time budget ends the run.
      numRuns: path === undefined ? Number.MAX_SAFE_INTEGER : 1,
      endOnFailure: path !== undefined,
      plugins: [fc.interruptAfterTimeLimit(seconds * 1000)],
      includeErrorInReport: true,
    });
  } catch (e) {
    throw new Error(
      `${e instanceof Error ? e.message : e}\n\nTo run it again: GRADTAPE_FUZZ_SEED=${seed} ` +
        `GRADTAPE_FUZZ_SECONDS=${seconds} deno test --allow-read --allow-env tests/fuzz/ (or ` +
        `add GRADTAPE_FUZZ_PATH=<the path above> to replay the shrunk program alone)`,
    );
  }
  const elapsed = (performance.now() - start) / 1000;
  console.log(
    `fuzz: ${tally.checked} random programs checked (seed ${seed}, ${elapsed.toFixed(1)} s); ` +
      `${tally.skipped} skipped as too near a kink or badly scaled, ${tally.fine} needed the ` +
      `finer step; ${tally.jitted} run under jit against eager mode (${tally.inexact} equal ` +
      `within ${JIT_RTOL.float64} (float64), ${JIT_RTOL.float32} (float32) but not bit for bit)`,
  );
  assert.ok(tally.checked > 0, "no program was checked in the time budget");
  assert.ok(tally.jitted! >= tally.checked, "programs checked without jit");
});

// ---------------------------------------------------------------------------------------------
// The fuzzer itself: it covers the pool, prints what it runs, and shrinks a failure.

Deno.test("fuzz: random programs on long arrays (SIMD loops) agree under jit", () => {
  const { seed } = settings();
  const tally = { programs: 0, inexact: 0, simd: 0 };
  const start = performance.now();
  fc.assert(
    fc.property(
      fc.oneof(programArbitrary(OPS, true), programArbitrary(SIMD_OPS, true, true)),
      (program) => {
        const plan = planProgram(program, OPS);
        if (!checkJit(plan)) tally.inexact++;
        const xs = plan.inputs.map((x) => gt.cast(x, "float32"));
        const text = gt.jit(plan.f).program(...xs).toString();
        if (text.includes("(SIMD)")) tally.simd++;
        tally.programs++;
      },
    ),
    {
      seed,
      numRuns: Number.MAX_SAFE_INTEGER,
      plugins: [fc.interruptAfterTimeLimit(LONG_SECONDS * 1000)],
      includeErrorInReport: true,
    },
  );
  const elapsed = (performance.now() - start) / 1000;
  console.log(
    `fuzz: ${tally.programs} programs on long arrays under jit (seed ${seed}, ` +
      `${elapsed.toFixed(1)} s), ${tally.simd} with SIMD loops, ${tally.inexact} not bit for bit`,
  );
  assert.ok(tally.simd > 0, "no program ran a SIMD loop");
});

Deno.test("fuzz: every op of the pool applies in some program", () => {
  const seen = new Set<string>();
  for (const program of fc.sample(programArbitrary(OPS), { seed: 1, numRuns: 400 })) {
    for (const op of planProgram(program, OPS).ops) seen.add(op);
  }
  assert.deepEqual(Object.keys(OPS).filter((op) => !seen.has(op)), []);
});

Deno.test("fuzz: a program's printed source computes exactly what was checked", () => {
  for (const program of fc.sample(programArbitrary(OPS), { seed: 2, numRuns: 100 })) {
    const plan = planProgram(program, OPS);
    const args = plan.inputs.map((_, i) => `x${i}`);
    const run = new Function("gt", `${plan.source}\nreturn f(${args});`) as (
      m: typeof gt,
    ) => Tensor;
    const y = plan.f(...plan.inputs);
    assert.deepEqual(run(gt).data(), y.data(), plan.source);
  }
});

/** `sin` with a reverse rule that has a typo: sin where cos belongs. */
const buggySin: OpDef = {
  arity: 1,
  prelude:
    `const buggySin = gt.customGradient((x) => [gt.sin(x), (dy) => gt.multiply(dy, gt.sin(x))]);`,
  plan: () => ({ expr: (a) => `buggySin(${a})` }),
};

Deno.test("fuzz: a planted wrong rule is found and shrinks to a small program, with its seed", () => {
  const pool: Pool = { ...OPS, buggySin };
  const seed = 7;
  const tally: Tally = { checked: 0, skipped: 0, fine: 0 };
  const details = fc.check(programProperty(pool, tally), {
    seed,
    numRuns: 1000,
    includeErrorInReport: true,
  });
  assert.ok(details.failed, "the planted bug was not found");
  assert.ok(details.counterexample !== null);
  const [program] = details.counterexample;
  const plan = planProgram(program, pool);
  // Shrunk: the bug and at most one other op, one input, a scalar or a small vector.
  assert.ok(plan.lines.length <= 2, `not shrunk:\n${plan.source}`);
  assert.ok(plan.ops.includes("buggySin"), plan.source);
  assert.equal(program.inputs.length, 1, plan.source);
  assert.ok(plan.inputs[0].size <= 2, plan.source);
  // The report names the seed and the path to replay, and prints the program.
  const message = fc.defaultReportMessage(details) ?? "";
  assert.ok(message.includes(`seed: ${seed}`), message);
  assert.ok(message.includes(`path: "${details.counterexamplePath}"`), message);
  assert.ok(message.includes(plan.source), message);
  assert.match(message, /checkGrads: argument 0, mode (rev|fwd over rev|rev over \w+)/);
  // The seed and path replay it alone.
  const replay = { checked: 0, skipped: 0, fine: 0 };
  assert.throws(
    () =>
      fc.assert(programProperty(pool, replay), {
        seed,
        path: details.counterexamplePath!,
        endOnFailure: true,
        includeErrorInReport: true,
      }),
    (e: Error) => e.message.includes(plan.source),
  );
  // And the printed program fails on its own, with the library alone.
  const run = new Function(
    "gt",
    "checkGrads",
    `${plan.source}\ncheckGrads(f, [x0], { order: 2 });`,
  ) as (m: typeof gt, c: typeof checkGrads) => void;
  assert.throws(() => run(gt, checkGrads), /reverse vs finite differences/);
});

Deno.test("fuzz: a where whose operands tie exactly by rounding alone is skipped", () => {
  // What seed 20261202 reported as a failure after 118,844 programs (shrunk): v3 = (x2 + s) - s
  // ties x2 exactly at the inputs, but a finite-difference step reaches points where the
  // rounding parts them, and the branch flips from x2 to sin(v3).
  const found = (whereRefs: number[]): Program => ({
    shape: [2],
    inputs: [{ shapeCode: 0, seed: 0 }, { shapeCode: 0, seed: 0 }, {
      shapeCode: 0,
      seed: 849739927,
    }],
    ops: [
      { op: "tile", refs: [0, 0, 0], code: 0 },
      { op: "reduceSum", refs: [0, 0, 0], code: 0 },
      { op: "add", refs: [6, 0, 0], code: 0 },
      { op: "subtract", refs: [0, 1, 0], code: 0 },
      { op: "where", refs: whereRefs, code: 0 },
    ],
  });
  const plan = planProgram(found([0, 3, 0]), OPS);
  assert.match(plan.source, /v3 = gt\.subtract\(v2, v1\);\n.*gt\.where\(gt\.greater\(v3, v0\)/);
  assert.deepEqual(plan.f(...plan.inputs).data(), plan.inputs[2].data(), "the operands tie");
  assert.throws(() => checkPlan(plan), /vs finite differences/);
  assert.ok(plan.margin < MIN_MARGIN, `margin ${plan.margin}: the program is not skipped`);
  // One node compared with itself ties everywhere, so finite differences see no jump: kept.
  const same = planProgram(found([0, 0, 0]), OPS);
  assert.match(same.source, /gt\.where\(gt\.greater\(v3, v3\), gt\.sin\(v3\), v3\)/);
  assert.equal(same.margin, 1);
  checkPlan(same);
});

/** An op that reads JavaScript state: a jitted program keeps the value its trace saw. */
const stateful: OpDef = {
  arity: 1,
  prelude: `let calls = 0;\nconst stateful = (x) => gt.add(x, calls++);`,
  plan: () => ({ expr: (a) => `stateful(${a})` }),
};

Deno.test("fuzz: a program that differs under jit fails checkJit, which prints it", () => {
  const pool: Pool = { stateful, sin: OPS.sin };
  const plan = planProgram({
    shape: [3],
    inputs: [{ shapeCode: 0, seed: 5 }],
    ops: [{ op: "sin", refs: [0, 0, 0], code: 0 }, { op: "stateful", refs: [0, 0, 0], code: 0 }],
  }, pool);
  assert.deepEqual(plan.ops, ["sin", "stateful"]);
  assert.throws(
    () => checkJit(plan),
    (e: Error) =>
      /float64 values under jit/.test(e.message) && e.message.includes(plan.source) &&
      e.message.includes('gt.jit(f)(gt.cast(x0, "float64"))'),
  );
  // Without the state, the same program agrees bit for bit.
  const clean = planProgram({
    shape: [3],
    inputs: [{ shapeCode: 0, seed: 5 }],
    ops: [{ op: "sin", refs: [0, 0, 0], code: 0 }, { op: "scalar", refs: [0, 0, 0], code: 0 }],
  }, OPS);
  assert.equal(checkJit(clean), true);
});
