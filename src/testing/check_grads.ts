/**
 * `checkGrads`: derivatives in both modes, to any order, against central finite differences in
 * float64, as `jax.test_util.check_grads` does; in float32, with float32 tolerances, for functions
 * that compute in float32.
 */
import {
  checkFinite,
  checkInteger,
  checkOneOf,
  checkOptions,
  describeValue,
} from "../core/check.ts";
import { toTensor } from "../core/convert.ts";
import type { DType } from "../core/dtype.ts";
import { Generator } from "../core/random.ts";
import { flattenTree, leafPaths, type Tree, unflattenTree } from "../core/structure.ts";
import { dataOf, Tensor, type TensorLike } from "../core/tensor.ts";
import { add, multiply, subtract } from "../ops/binary.ts";
import { cast } from "../ops/cast.ts";
import { concat, reshape } from "../ops/movement.ts";
import { jvp, type TensorFn, type TreeFn, vjp } from "../transforms/functional.ts";
import { assertAllClose, indexOf } from "./assert_all_close.ts";

/** A differentiation mode `checkGrads` can check. */
export type Mode = "fwd" | "rev";

/** Options of `checkGrads`. */
export interface CheckGradsOptions {
  /** The highest order of derivative to check (default 2). */
  order?: number;
  /** The modes to check at each order (default both); order 2 checks every nesting of them. */
  modes?: readonly Mode[];
  /** The finite-difference step (default 1e-5; 1e-3 for a function checked in float32). */
  eps?: number;
  /** Relative tolerance (default 1e-5; 1e-2 for a function checked in float32). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6; 1e-2 for a function checked in float32). */
  atol?: number;
  /** Seed of the random directions (default 0): the same seed checks the same directions. */
  seed?: number;
}

const OPTIONS = ["order", "modes", "eps", "rtol", "atol", "seed"];

// JAX's defaults by dtype (jax.test_util: a tolerance of 1e-2 for float32), with a step for
// central differences that balances float32's rounding (ε/h) against truncation (h²).
const DEFAULTS = {
  float64: { eps: 1e-5, rtol: 1e-5, atol: 1e-6 },
  float32: { eps: 1e-3, rtol: 1e-2, atol: 1e-2 },
};

interface Ctx {
  eps: number;
  rtol: number;
  atol: number;
  modes: readonly Mode[];
  rng: Generator;
  /** " in float32" when the function is checked in float32, else "". */
  note: string;
  /** Each leaf of the arguments, as messages name it: `0`, or `1.w` in a tree. */
  names: string[];
}

/**
 * Checks `f`'s derivatives at `args`: forward mode against central finite differences along
 * random directions, and reverse mode against them through ⟨ȳ, J·t⟩ = ⟨Jᵀ·ȳ, t⟩, then the same
 * for the derivative functions, up to `order`. Throws naming the argument, the mode, the order
 * and the worst element.
 *
 * The arguments are converted to float64. A function that computes in float32 (its closures
 * hold float32 tensors, so float64 arguments meet float32 data, or it returns float32) is
 * checked as it is, at float32 arguments, with float32 defaults for `eps`, `rtol` and `atol`, as
 * JAX picks tolerances by dtype.
 *
 * @param f The function of tensors to check; it returns a tensor, or a tree of them (checked as
 *   one flat vector of all their elements).
 * @param args Where to check it, one value per argument; each may be a tree (an array or record
 * of tensors), whose every leaf is checked.
 * @param options `order`, `modes`, `eps`, `rtol`, `atol` and `seed`.
 * @example Checking a function to second order
 * ```ts
 * import { multiply, sin } from "@gradtape/gradtape";
 * import { checkGrads } from "@gradtape/gradtape/testing";
 * // Returns quietly when every derivative agrees with finite differences, else throws.
 * checkGrads((x, y) => multiply(sin(x), y), [[0.5, 1], [2, 3]], { order: 2 });
 * ```
 * @example Arguments that are trees: a failure names the leaf by its path
 * ```ts
 * import assert from "node:assert/strict";
 * import { add, customGradient, matmul, multiply, type Tensor, tanh } from "@gradtape/gradtape";
 * import { checkGrads } from "@gradtape/gradtape/testing";
 * type Params = { w: Tensor; b: Tensor };
 * const layer = (p: Params, x: Tensor) => tanh(add(matmul(x, p.w), p.b));
 * checkGrads(layer, [{ w: [[0.5], [-0.3]], b: [0.1] }, [[1, 2]]]);
 * // The rule doubles the gradient of the bias.
 * const twice = customGradient((b) => [multiply(b, 1), (dy) => multiply(dy, 2)]);
 * const wrong = (p: Params, x: Tensor) => layer({ w: p.w, b: twice(p.b) }, x);
 * assert.throws(
 *   () => checkGrads(wrong, [{ w: [[0.5], [-0.3]], b: [0.1] }, [[1, 2]]], { modes: ["rev"] }),
 *   /^Error: checkGrads: argument 0\.b, mode rev, order 1 \(reverse vs finite differences\)/,
 * );
 * ```
 * @example A wrong gradient rule is caught, also in a function that computes in float32
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant, customGradient, multiply, sin } from "@gradtape/gradtape";
 * import { checkGrads } from "@gradtape/gradtape/testing";
 * const w = constant([2, 3]); // float32
 * // The rule forgets the factor 2 of d(x²) = 2x·dx.
 * const square = customGradient((x) => [multiply(x, x), (dy) => multiply(dy, x)]);
 * checkGrads((x) => multiply(sin(x), w), [[0.5, 1]]);
 * assert.throws(
 *   () => checkGrads((x) => multiply(square(x), w), [[0.5, 1]], { modes: ["rev"] }),
 *   /checkGrads: argument 0, mode rev, order 1 in float32 \(reverse vs finite differences\)/,
 * );
 * ```
 */
export function checkGrads(
  f: TreeFn,
  args: readonly Tree<TensorLike>[],
  options: CheckGradsOptions = {},
): void {
  const op = "checkGrads";
  checkOptions(op, options, OPTIONS);
  if (typeof f !== "function") {
    throw new TypeError(`${op}: f must be a function of tensors, not ${describeValue(f)}`);
  }
  if (!Array.isArray(args)) {
    throw new TypeError(
      `${op}: args must be an array with one value per argument of f, not ${describeValue(args)}`,
    );
  }
  const { order = 2, modes = ["fwd", "rev"], seed = 0 } = options;
  checkInteger(op, "order", order, 1);
  if (!Array.isArray(modes) || modes.length === 0) {
    throw new TypeError(
      `${op}: modes must be a non-empty array of "fwd" and "rev", not ${describeValue(modes)}`,
    );
  }
  for (const m of modes) checkOneOf(op, "each of modes", m, ["fwd", "rev"]);
  checkInteger(op, "seed", seed);
  for (const name of ["eps", "rtol", "atol"] as const) {
    const v = options[name];
    if (v === undefined) continue;
    checkFinite(op, name, v);
    if (v < 0 || (name === "eps" && v === 0)) {
      throw new RangeError(
        `${op}: ${name} must be ${name === "eps" ? "positive" : "zero or positive"}, not ${v}`,
      );
    }
  }
  // f as a function of the leaves of its arguments (each argument flattened alone, as the
  // arguments' array may itself read as a tensor literal).
  const trees = args.map((a) => flattenTree(a, op));
  const leaves = trees.flatMap((t) => t.leaves);
  const names = trees.flatMap(({ def }, i) =>
    leafPaths(def).map((p) => p === "" || p.startsWith("[") ? `${i}${p}` : `${i}.${p}`)
  );
  // A tree of outputs (as jax's check_grads takes) is checked as one flat vector of them all.
  const g: TensorFn = (...ls: Tensor[]) => {
    let k = 0;
    const y = f(...trees.map(({ def }) => unflattenTree(def, ls.slice(k, k += def.numLeaves))));
    return y instanceof Tensor ? y : flatOutput(op, y);
  };
  const xs64 = leaves.map((a) => {
    const t = toTensor(a as TensorLike, { dtype: "float64", op });
    return t.dtype === "float64" ? t : cast(t, "float64");
  });
  const dtype = computesIn(g, xs64);
  const xs = dtype === "float64" ? xs64 : xs64.map((x) => cast(x, dtype));
  const defaults = DEFAULTS[dtype];
  const ctx: Ctx = {
    eps: options.eps ?? defaults.eps,
    rtol: options.rtol ?? defaults.rtol,
    atol: options.atol ?? defaults.atol,
    modes,
    rng: new Generator(seed),
    note: dtype === "float64" ? "" : ` in ${dtype}`,
    names,
  };
  check(g, xs, order, 1, "", ctx);
}

function flatOutput(op: string, y: unknown): Tensor {
  const { leaves, def } = flattenTree(y, op);
  const paths = leafPaths(def);
  const parts = leaves.map((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new TypeError(
        `${op}: f's output ${paths[i] || ""} is ${describeValue(t)}: f must return a tensor, or ` +
          `an array or record of tensors`,
      );
    }
    return reshape(t, [t.size]);
  });
  return parts.length === 1 ? parts[0] : concat(parts, 0);
}

// float32 when f cannot take float64 arguments because it mixes them with its own float32 data
// (a float32 variable, a layer built in float32), or gives float32 back; else float64.
function computesIn(f: TensorFn, xs: readonly Tensor[]): "float32" | "float64" {
  let y: unknown;
  try {
    y = f(...xs);
  } catch (e) {
    if (
      e instanceof TypeError &&
      /dtypes differ: float(64 and float32|32 and float64)|is float64 but the layer was built in float32/
        .test(e.message)
    ) {
      return "float32";
    }
    throw e;
  }
  return (y as { dtype?: DType })?.dtype === "float32" ? "float32" : "float64";
}

function check(
  f: TensorFn,
  xs: Tensor[],
  order: number,
  level: number,
  inner: string,
  ctx: Ctx,
): void {
  for (const mode of ctx.modes) {
    const label = inner ? `${mode} over ${inner}` : mode;
    for (let i = 0; i < xs.length; i++) {
      const where = `checkGrads: argument ${
        ctx.names[i]
      }, mode ${label}, order ${level}${ctx.note}`;
      const { numeric, dir: v, noise } = numericJvp(f, xs, i, randomLike(xs[i], ctx.rng), ctx.eps);
      if (mode === "fwd") {
        const [, jv] = jvp(only(f, xs, i), [xs[i]], [v]);
        let worst = 0;
        for (const n of noise) worst = Math.max(worst, n);
        assertAllClose(jv, numeric, {
          rtol: ctx.rtol,
          // The message shows the atol given unless f's rounding is worth widening it.
          atol: worst > ctx.atol / 100 ? ctx.atol + worst : ctx.atol,
          msg: `${where} (forward vs finite differences)`,
        });
        if (order > 1) {
          const g: TensorFn = (...zs: Tensor[]) => jvp(only(f, zs, i), [zs[i]], [v])[1];
          check(g, xs, order - 1, level + 1, label, ctx);
        }
      } else {
        const [y, back] = vjp(f, ...xs);
        const ybar = randomLike(y, ctx.rng);
        const gi = back(ybar)[i];
        compareInner(f, xs, i, v, ybar, gi, numeric, noise, where, ctx);
        if (order > 1) {
          const h: TensorFn = (...zs: Tensor[]) => vjp(f, ...zs)[1](ybar)[i];
          check(h, xs, order - 1, level + 1, label, ctx);
        }
      }
    }
  }
}

// f as a function of its i-th argument alone.
function only(f: TensorFn, xs: readonly Tensor[], i: number): TensorFn {
  return (xi: Tensor) => f(...xs.map((x, k) => (k === i ? xi : x)));
}

// A tensor of x's shape and (float) dtype.
function like(x: Tensor, data: Float64Array): Tensor {
  return x.dtype === "float32"
    ? new Tensor(Float32Array.from(data), x.shape, "float32")
    : new Tensor(data, x.shape, "float64");
}

function randomLike(x: Tensor, rng: Generator): Tensor {
  const data = new Float64Array(x.size);
  for (let k = 0; k < data.length; k++) data[k] = rng.nextNormal();
  return like(x, data);
}

// (f(x + εv) - f(x - εv)) / 2ε, moving argument i only; the direction of the step it took (x ± εv
// rounds to x's dtype, and in float32 that rounding, up to ulp(x)/ε = 5e-4 at x = 8, would
// otherwise pass for an error in the derivative); and, per output element, how far f's own
// rounding can move the quotient (a few ulps of f over 2ε: 4 at f = 6·10⁴ in float32).
function numericJvp(
  f: TensorFn,
  xs: readonly Tensor[],
  i: number,
  v: Tensor,
  eps: number,
): { numeric: Tensor; dir: Tensor; noise: Float64Array } {
  const hi = add(xs[i], multiply(v, eps)), lo = add(xs[i], multiply(v, -eps));
  const at = (xi: Tensor) =>
    toTensor(f(...xs.map((x, k) => (k === i ? xi : x))), { op: "checkGrads" });
  const fHi = at(hi), fLo = at(lo);
  const a = dataOf(fHi), b = dataOf(fLo);
  const ulps = 4 * (fHi.dtype === "float32" ? 2 ** -24 : 2 ** -53) / (2 * eps);
  const noise = new Float64Array(a.length);
  for (let j = 0; j < a.length; j++) {
    const n = ulps * (Math.abs(a[j]) + Math.abs(b[j]));
    noise[j] = Number.isFinite(n) ? n : 0; // a NaN or infinite f fails the comparison itself
  }
  const centred = (p: Tensor, q: Tensor) =>
    multiply(subtract(cast(p, "float64"), cast(q, "float64")), 1 / (2 * eps));
  return { numeric: centred(fHi, fLo), dir: cast(centred(hi, lo), xs[i].dtype), noise };
}

function dot(a: Tensor, b: Tensor): { value: number; scale: number } {
  const ad = dataOf(a), bd = dataOf(b);
  let value = 0, scale = 0;
  for (let k = 0; k < ad.length; k++) {
    value += ad[k] * bd[k];
    scale += Math.abs(ad[k] * bd[k]);
  }
  return { value, scale };
}

// ⟨Jᵀȳ, v⟩ against ⟨ȳ, J·v⟩ (by finite differences); on failure, finds the worst element of Jᵀȳ.
function compareInner(
  f: TensorFn,
  xs: readonly Tensor[],
  i: number,
  v: Tensor,
  ybar: Tensor,
  gi: Tensor,
  numeric: Tensor,
  noise: Float64Array,
  where: string,
  ctx: Ctx,
): void {
  const lhs = dot(gi, v), rhs = dot(ybar, numeric), yd = dataOf(ybar);
  let tol = ctx.atol + ctx.rtol * Math.max(lhs.scale, rhs.scale);
  for (let j = 0; j < noise.length; j++) tol += Math.abs(yd[j]) * noise[j];
  if (Math.abs(lhs.value - rhs.value) <= tol) return;
  // Elementwise numerical gradient of ⟨ȳ, f⟩, to name the worst element.
  const x = xs[i];
  const worst = { k: -1, err: -1, got: 0, want: 0 };
  for (let k = 0; k < x.size; k++) {
    const e = new Float64Array(x.size);
    e[k] = 1;
    const { numeric: column, dir } = numericJvp(f, xs, i, like(x, e), ctx.eps);
    const want = dot(ybar, column).value / dataOf(dir)[k];
    const got = dataOf(gi)[k];
    const err = Math.abs(got - want);
    if (err > worst.err || Number.isNaN(err)) Object.assign(worst, { k, err, got, want });
  }
  throw new Error(
    `${where} (reverse vs finite differences): ⟨Jᵀ·ȳ, t⟩ = ${lhs.value} but ⟨ȳ, J·t⟩ = ` +
      `${rhs.value}; the worst element of the gradient is at ${indexOf(worst.k, x.shape)}: ` +
      `reverse mode gives ${worst.got}, finite differences ${worst.want}`,
  );
}
