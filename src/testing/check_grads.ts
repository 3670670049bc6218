/**
 * `checkGrads`: derivatives in both modes, to any order, against central finite differences in
 * float64, as `jax.test_util.check_grads` does.
 */
import { toTensor } from "../core/convert.ts";
import { Generator } from "../core/random.ts";
import { dataOf, Tensor, type TensorLike } from "../core/tensor.ts";
import { add, multiply, subtract } from "../ops/binary.ts";
import { cast } from "../ops/cast.ts";
import { jvp, type TensorFn, vjp } from "../transforms/functional.ts";
import { assertAllClose, indexOf } from "./assert_all_close.ts";

/** A differentiation mode `checkGrads` can check. */
export type Mode = "fwd" | "rev";

/** Options of `checkGrads`. */
export interface CheckGradsOptions {
  /** The highest order of derivative to check (default 2). */
  order?: number;
  /** The modes to check at each order (default both); order 2 checks every nesting of them. */
  modes?: readonly Mode[];
  /** The finite-difference step (default 1e-5). */
  eps?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Seed of the random directions (default 0): the same seed checks the same directions. */
  seed?: number;
}

interface Ctx {
  eps: number;
  rtol: number;
  atol: number;
  modes: readonly Mode[];
  rng: Generator;
}

/**
 * Checks `f`'s derivatives at `args`: forward mode against central finite differences along
 * random directions, and reverse mode against them through ⟨ȳ, J·t⟩ = ⟨Jᵀ·ȳ, t⟩, then the same
 * for the derivative functions, up to `order`. Arguments are converted to float64, so `f` must
 * work in float64. Throws naming the argument, the mode, the order and the worst element.
 *
 * @param f The function of tensors to check; it returns a tensor.
 * @param args Where to check it, one value per argument.
 * @param options `order`, `modes`, `eps`, `rtol`, `atol` and `seed`.
 * @example Checking a function to second order
 * ```ts
 * import { multiply, sin } from "@gradtape/gradtape";
 * import { checkGrads } from "@gradtape/gradtape/testing";
 * checkGrads((x, y) => multiply(sin(x), y), [[0.5, 1], [2, 3]], { order: 2 });
 * ```
 */
export function checkGrads(
  f: TensorFn,
  args: readonly TensorLike[],
  options: CheckGradsOptions = {},
): void {
  const xs = args.map((a) => {
    const t = toTensor(a, { dtype: "float64", op: "checkGrads" });
    return t.dtype === "float64" ? t : cast(t, "float64");
  });
  const ctx: Ctx = {
    eps: options.eps ?? 1e-5,
    rtol: options.rtol ?? 1e-5,
    atol: options.atol ?? 1e-6,
    modes: options.modes ?? ["fwd", "rev"],
    rng: new Generator(options.seed ?? 0),
  };
  check(f, xs, options.order ?? 2, 1, "", ctx);
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
      const where = `checkGrads: argument ${i}, mode ${label}, order ${level}`;
      const v = randomLike(xs[i], ctx.rng);
      const numeric = numericJvp(f, xs, i, v, ctx.eps);
      if (mode === "fwd") {
        const [, jv] = jvp(only(f, xs, i), [xs[i]], [v]);
        assertAllClose(jv, numeric, {
          rtol: ctx.rtol,
          atol: ctx.atol,
          msg: `${where} (forward vs finite differences)`,
        });
        if (order > 1) {
          const g: TensorFn = (...zs: Tensor[]) => jvp(only(f, zs, i), [zs[i]], [v])[1];
          check(g, xs, order - 1, level + 1, label, ctx);
        }
      } else {
        const ybar = randomLike(numeric, ctx.rng);
        const [, back] = vjp(f, ...xs);
        const gi = back(ybar)[i];
        compareInner(f, xs, i, v, ybar, gi, numeric, where, ctx);
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

function randomLike(x: Tensor, rng: Generator): Tensor {
  const data = new Float64Array(x.size);
  for (let k = 0; k < data.length; k++) data[k] = rng.nextNormal();
  return new Tensor(data, x.shape, "float64");
}

// (f(x + εv) - f(x - εv)) / 2ε, moving argument i only.
function numericJvp(f: TensorFn, xs: readonly Tensor[], i: number, v: Tensor, eps: number): Tensor {
  const at = (s: number) => {
    const y = f(...xs.map((x, k) => (k === i ? add(x, multiply(v, s)) : x)));
    return toTensor(y, { op: "checkGrads" });
  };
  const hi = at(eps), lo = at(-eps);
  return multiply(cast(subtract(hi, lo), "float64"), 1 / (2 * eps));
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
  where: string,
  ctx: Ctx,
): void {
  const lhs = dot(gi, v), rhs = dot(ybar, numeric);
  const tol = ctx.atol + ctx.rtol * Math.max(lhs.scale, rhs.scale);
  if (Math.abs(lhs.value - rhs.value) <= tol) return;
  // Elementwise numerical gradient of ⟨ȳ, f⟩, to name the worst element.
  const x = xs[i];
  const worst = { k: -1, err: -1, got: 0, want: 0 };
  for (let k = 0; k < x.size; k++) {
    const e = new Float64Array(x.size);
    e[k] = 1;
    const want = dot(ybar, numericJvp(f, xs, i, new Tensor(e, x.shape, "float64"), ctx.eps)).value;
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
