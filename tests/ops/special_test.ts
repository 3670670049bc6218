/**
 * The special functions (erf, erfc, lgamma, digamma) against references computed independently:
 * erf and erfc from their Taylor series summed in exact integer arithmetic (BigInt, 700 digits,
 * so that erfc = 1 - erf keeps its digits far in the tail); lgamma and digamma against values
 * tabulated with mpmath at 40 digits, closed forms (lgamma(1/2) = log √π, ψ(1) = -γ, ψ(n) = -γ +
 * Hₙ₋₁, ψ(1/4) = -γ - π/2 - 3 log 2, Γ(n + 1/2) from factorials), and identities (reflection,
 * duplication, recurrence); derivatives (lgamma' = ψ, ψ' = ψ₁) against finite differences; and the
 * public ops in float32 as the float64 values rounded once.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { digamma, erf, erfc, lgamma, polygamma } from "../../src/core/kernels/special.ts";

/** Distance in float64 ulps of `want`. */
function ulps(got: number, want: number): number {
  if (Object.is(got, want) || (got !== got && want !== want)) return 0;
  if (want === 0) return got === 0 ? 0 : Infinity;
  const ulp = Math.max(2 ** (Math.floor(Math.log2(Math.abs(want))) - 52), 5e-324);
  return Math.abs(got - want) / ulp;
}

function assertUlps(got: number, want: number, max: number, what: string): void {
  const d = ulps(got, want);
  assert.ok(d <= max, `${what}: got ${got}, want ${want}: ${d} ulps (at most ${max})`);
}

// ---------------------------------------------------------------------------------------------
// Exact references for erf and erfc: fixed point with D decimal digits, in BigInt.

const D = 700n;
const ONE = 10n ** D;

// atan(1/k)·ONE by its series (for Machin's formula).
function atanInv(k: bigint): bigint {
  let sum = 0n, term = ONE / k, n = 1n, sign = 1n;
  const k2 = k * k;
  while (term !== 0n) {
    sum += sign * (term / n);
    term /= k2;
    n += 2n;
    sign = -sign;
  }
  return sum;
}

function isqrt(v: bigint): bigint {
  // Newton's iteration from above: 2^⌈bits/2⌉ ≥ √v.
  let x = 1n << BigInt((v.toString(2).length >> 1) + 1);
  for (;;) {
    const y = (x + v / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

const PI = 16n * atanInv(5n) - 4n * atanInv(239n);
const SQRT_PI = isqrt(PI * ONE);

// x (a float64) as a fixed-point value, exactly up to the last digit.
function fixed(x: number): bigint {
  let m = x, e = 0;
  while (!Number.isInteger(m)) {
    m *= 2;
    e++;
  }
  return (BigInt(m) * ONE) / (1n << BigInt(e));
}

// erf(x)·ONE = 2/√π Σ (-1)ⁿ x²ⁿ⁺¹/(n!(2n + 1)).
function erfFixed(x: number): bigint {
  const X = fixed(x), X2 = (X * X) / ONE;
  let p = X, sum = X;
  for (let n = 1n;; n++) {
    p = -(p * X2) / ONE / n;
    const t = p / (2n * n + 1n);
    if (t === 0n && p === 0n) break;
    sum += t;
  }
  return (2n * sum * ONE) / SQRT_PI;
}

// The float64 nearest v/ONE (v > 0).
function toNumber(v: bigint): number {
  if (v === 0n) return 0;
  const sign = v < 0n ? -1 : 1;
  if (v < 0n) v = -v;
  // Scale to 64 significant bits and let Number round the integer.
  const shift = 64 - (v.toString(2).length - ONE.toString(2).length);
  const q = shift >= 0 ? (v << BigInt(shift)) / ONE : v / (ONE << BigInt(-shift));
  // In two steps, so that 2^-shift itself does not underflow below the subnormals.
  return sign * Number(q) * 2 ** -(shift >> 1) * 2 ** -(shift - (shift >> 1));
}

const ERF_POINTS = [
  1e-300,
  1e-20,
  1e-8,
  0.001,
  0.1,
  0.25,
  0.4999,
  0.5,
  0.75,
  0.9,
  1,
  1.25,
  1.5,
  1.75,
  1.999,
  2,
  2.001,
  2.25,
  2.5,
  3,
  3.5,
  4,
  4.5,
  5,
  5.5,
  5.9,
  6,
  7.5,
  10,
  12.25,
  15,
  20,
  24,
  26,
  26.5,
  26.6,
];

Deno.test("erf matches its exact series to 2 ulps, everywhere", () => {
  for (const x of ERF_POINTS) {
    if (x > 6.5) continue;
    const want = toNumber(erfFixed(x));
    assertUlps(erf(x), want, 2, `erf(${x})`);
    assertUlps(erf(-x), -want, 2, `erf(${-x})`);
  }
  assert.equal(erf(Infinity), 1);
  assert.equal(erf(-Infinity), -1);
  assert.ok(Number.isNaN(erf(NaN)));
  assert.ok(Object.is(erf(-0), -0));
});

Deno.test("erfc matches 1 - erf in exact arithmetic to 4 ulps, into the tail", () => {
  for (const x of ERF_POINTS) {
    const want = toNumber(ONE - erfFixed(x));
    assertUlps(erfc(x), want, want < 2 ** -1022 ? 1 : 4, `erfc(${x})`);
    assertUlps(erfc(-x), toNumber(ONE + erfFixed(x)), 2, `erfc(${-x})`);
  }
  assert.equal(erfc(Infinity), 0);
  assert.equal(erfc(-Infinity), 2);
  assert.equal(erfc(30), 0);
  assert.ok(Number.isNaN(erfc(NaN)));
});

Deno.test("erf and erfc: tabulated values (Abramowitz and Stegun, table 7.1)", () => {
  // erf(x) to 15 decimals, as tabulated.
  const table: [number, number][] = [
    [0.5, 0.520499877813047],
    [1, 0.842700792949715],
    [1.5, 0.966105146475311],
    [2, 0.995322265018953],
  ];
  for (const [x, want] of table) {
    assert.ok(Math.abs(erf(x) - want) <= 5e-16, `erf(${x})`);
    assert.ok(Math.abs(erfc(x) - (1 - want)) <= 5e-16, `erfc(${x})`);
  }
});

// Tabulated with mpmath (40 digits), rounded to float64.
const LGAMMA: [number, number][] = [
  [1e-300, 690.7755278982137],
  [1e-10, 23.025850929882736],
  [0.1, 2.252712651734206],
  [0.3, 1.0957979948180756],
  [0.5, 0.5723649429247001],
  [0.9, 0.06637623973474295],
  [0.99, 0.005854806764709781],
  [1, 0.0],
  [1.0001, -5.771334222047127e-05],
  [1.25, -0.09827183642181316],
  [1.4616321449683622, -0.12148629053584961],
  [1.5, -0.12078223763524522],
  [1.9999, -4.227520877215346e-05],
  [2, 0.0],
  [2.0001, 4.2281658112919945e-05],
  [2.5, 0.2846828704729192],
  [3.7, 1.428072326665388],
  [9.99, 12.779315214350193],
  [10, 12.801827480081469],
  [10.01, 12.824350262448247],
  [55.5, 166.32150615984037],
  [170.6, 704.5180371279987],
  [1000.0, 5905.220423209181],
  [100000.0, 1051287.7089736569],
  [10000000000.0, 220258509288.81058],
  [1e+50, 1.1412925464970229e+52],
  [1e+300, 6.897755278982137e+302],
  [2e+305, 1.4039632010874878e+308],
  [-1e-10, 23.025850929998178],
  [-0.1, 2.3689613327287886],
  [-0.5, 1.2655121234846454],
  [-1.5, 0.860047015376481],
  [-2.5, -0.056243716497674054],
  [-3.3, -0.8243558050174264],
  [-10.7, -15.416789096416636],
  [-100.25, -363.4009232278215],
  [-99999.5, -1051292.3207052536],
];
// Tabulated with mpmath (40 digits), rounded to float64.
const DIGAMMA: [number, number][] = [
  [1e-300, -9.999999999999999e+299],
  [1e-10, -10000000000.577215],
  [0.1, -10.423754940411076],
  [0.3, -3.502524222200133],
  [0.5, -1.9635100260214235],
  [0.9, -0.7549269499470513],
  [1, -0.5772156649015329],
  [1.25, -0.22745353337626542],
  [1.46, -0.0015805619870834522],
  [1.4616321449683622, -9.241265521729427e-17],
  [1.47, 0.008066489011364869],
  [1.5, 0.03648997397857652],
  [2, 0.42278433509846713],
  [2.5, 0.7031566406452432],
  [3.7, 1.1671535393615113],
  [9.99, 2.250700372831201],
  [10, 2.251752589066721],
  [10.01, 2.2528037003181356],
  [55.5, 4.0073469585404435],
  [1000.0, 6.907255195648812],
  [100000.0, 11.512920464961896],
  [10000000000.0, 23.025850929890456],
  [1e+50, 115.12925464970229],
  [1e+300, 690.7755278982137],
  [-1e-10, 9999999999.422785],
  [-0.1, 9.245073050052948],
  [-0.5, 0.03648997397857652],
  [-0.9, -9.312643829299969],
  [-1.5, 0.7031566406452432],
  [-2.5, 1.103156640645243],
  [-3.3, 3.620353460592126],
  [-10.7, 0.13374481244706443],
  [-100.25, 7.754238959208646],
];

Deno.test("lgamma matches tabulated values: 4 ulps for x > 0, 4 ulps of max(|value|, 1) below", () => {
  for (const [x, want] of LGAMMA) {
    if (want === 0) assert.equal(lgamma(x), 0, `lgamma(${x})`);
    else if (x > 0) assertUlps(lgamma(x), want, 4, `lgamma(${x})`);
    else {
      // Near its roots on the negative axis the reflection's terms cancel.
      const err = Math.abs(lgamma(x) - want);
      assert.ok(err <= 4 * 2 ** -52 * Math.max(Math.abs(want), 1), `lgamma(${x}): ${err}`);
    }
  }
});

Deno.test("digamma matches tabulated values: 4 ulps for x > 0, 4 ulps of max(|value|, 1) below", () => {
  for (const [x, want] of DIGAMMA) {
    if (x > 0) assertUlps(digamma(x), want, 4, `digamma(${x})`);
    else {
      const err = Math.abs(digamma(x) - want);
      assert.ok(err <= 4 * 2 ** -52 * Math.max(Math.abs(want), 1), `digamma(${x}): ${err}`);
    }
  }
});

// log(v) for an exact rational p/q of BigInts, to within an ulp: the top 64 bits of each.
function logRatio(p: bigint, q: bigint): number {
  const bits = (v: bigint) => v.toString(2).length;
  const top = (v: bigint) => {
    const s = bits(v) - 64;
    return s > 0 ? [Number(v >> BigInt(s)), s] : [Number(v), 0];
  };
  const [a, sa] = top(p), [b, sb] = top(q);
  return Math.log(a / b) + (sa - sb) * Math.LN2;
}

function factorial(n: number): bigint {
  let f = 1n;
  for (let k = 2n; k <= BigInt(n); k++) f *= k;
  return f;
}

Deno.test("lgamma: closed forms at integers and half-integers, positive and negative", () => {
  const logSqrtPi = 0.5723649429247001; // log √π
  assert.equal(lgamma(1), 0);
  assert.equal(lgamma(2), 0);
  assertUlps(lgamma(0.5), logSqrtPi, 1, "lgamma(1/2)");
  for (const n of [3, 4, 7, 12, 20, 30, 50, 100, 171]) {
    // Γ(n) = (n - 1)!
    assertUlps(lgamma(n), logRatio(factorial(n - 1), 1n), 3, `lgamma(${n})`);
  }
  for (const n of [1, 2, 5, 10, 40]) {
    // Γ(n + 1/2) = (2n)! √π / (4ⁿ n!), and Γ(1/2 - n) = (-4)ⁿ n! √π / (2n)!
    const r = logRatio(factorial(2 * n), 4n ** BigInt(n) * factorial(n));
    assertUlps(lgamma(n + 0.5), r + logSqrtPi, 4, `lgamma(${n + 0.5})`);
    assertUlps(lgamma(0.5 - n), logSqrtPi - r, 4, `lgamma(${0.5 - n})`);
  }
  // Γ(1/4) and Γ(1/3), tabulated.
  assertUlps(lgamma(0.25), Math.log(3.6256099082219083), 3, "lgamma(1/4)");
  assertUlps(lgamma(1 / 3), Math.log(2.678938534707748), 3, "lgamma(1/3)");
  for (const x of [0, -0, -1, -2, -1e6, -(2 ** 60), Infinity, -Infinity]) {
    assert.equal(lgamma(x), Infinity, `lgamma(${x})`);
  }
  assert.ok(Number.isNaN(lgamma(NaN)));
});

Deno.test("lgamma: recurrence, duplication and reflection over a range of x", () => {
  const logSqrtPi = 0.5723649429247001;
  for (let i = 0; i < 400; i++) {
    const x = 0.05 + i * 0.0731;
    // log Γ(x + 1) = log Γ(x) + log x
    const a = lgamma(x + 1), b = lgamma(x) + Math.log(x);
    assert.ok(Math.abs(a - b) <= 8e-16 * Math.max(1, Math.abs(lgamma(x)), Math.abs(a)), `x=${x}`);
    // Legendre: log Γ(2x) = log Γ(x) + log Γ(x + 1/2) + (2x - 1) log 2 - log √π
    const d = lgamma(x) + lgamma(x + 0.5) + (2 * x - 1) * Math.LN2 - logSqrtPi;
    const scale = Math.max(1, Math.abs(lgamma(x)), Math.abs(lgamma(x + 0.5)), lgamma(2 * x), 2 * x);
    assert.ok(Math.abs(lgamma(2 * x) - d) <= 8e-16 * scale, `duplication at x=${x}`);
    // Reflection: log|Γ(-x)| + log Γ(1 + x) = log(π / |sin πx|), away from the integers.
    if (Math.abs(x - Math.round(x)) > 0.01) {
      const r = Math.log(Math.PI / Math.abs(Math.sin(Math.PI * (x - Math.round(x)))));
      const s = Math.max(1, Math.abs(lgamma(1 + x)), Math.abs(r));
      assert.ok(Math.abs(lgamma(-x) + lgamma(1 + x) - r) <= 1e-14 * s, `reflection at ${x}`);
    }
  }
});

Deno.test("digamma: closed forms", () => {
  const gamma = 0.5772156649015329;
  assert.equal(digamma(1), -gamma);
  assertUlps(digamma(0.5), -gamma - 2 * Math.LN2, 2, "ψ(1/2)");
  assertUlps(digamma(0.25), -gamma - Math.PI / 2 - 3 * Math.LN2, 2, "ψ(1/4)");
  assertUlps(digamma(0.75), -gamma + Math.PI / 2 - 3 * Math.LN2, 4, "ψ(3/4)");
  assertUlps(
    digamma(1 / 3),
    -gamma - Math.PI / (2 * Math.sqrt(3)) - 1.5 * Math.log(3),
    2,
    "ψ(1/3)",
  );
  // ψ(n) = -γ + Hₙ₋₁, the harmonic number summed exactly as a fraction.
  let p = 0n, q = 1n;
  for (let n = 2; n <= 40; n++) {
    p = p * BigInt(n - 1) + q;
    q *= BigInt(n - 1);
    const h = Number((p * 10n ** 30n) / q) / 1e30;
    assertUlps(digamma(n), h - gamma, 3, `ψ(${n})`);
  }
  for (const x of [-1, -7, -Infinity, NaN]) assert.ok(Number.isNaN(digamma(x)), `ψ(${x})`);
  assert.equal(digamma(0), -Infinity);
  assert.equal(digamma(-0), Infinity);
  assert.equal(digamma(Infinity), Infinity);
});

Deno.test("digamma: reflection and recurrence over a range of x", () => {
  for (let i = 0; i < 400; i++) {
    const x = 0.013 + i * 0.0577;
    // ψ(x + 1) = ψ(x) + 1/x
    const scale = Math.max(1, Math.abs(digamma(x)), 1 / x);
    assert.ok(Math.abs(digamma(x + 1) - digamma(x) - 1 / x) <= 8e-16 * scale, `x=${x}`);
    // ψ(1 - x) - ψ(x) = π cot πx, away from the integers
    if (Math.abs(x - Math.round(x)) > 0.01) {
      // cot has period 1: reduced exactly first, as Math.PI·x near an integer would lose digits.
      const cot = Math.PI / Math.tan(Math.PI * (x - Math.round(x)));
      const s = Math.max(1, Math.abs(cot), Math.abs(digamma(x)), Math.abs(digamma(1 - x)));
      assert.ok(Math.abs(digamma(1 - x) - digamma(x) - cot) <= 1e-14 * s, `reflection at ${x}`);
    }
  }
});

Deno.test("polygamma: ψ₁(1) = π²/6, ψ₂(1) = -2ζ(3), ψ₁(1/2) = π²/2, and the derivative of ψ", () => {
  assertUlps(polygamma(1, 1), Math.PI ** 2 / 6, 2, "ψ₁(1)");
  assertUlps(polygamma(2, 1), -2 * 1.2020569031595942, 2, "ψ₂(1)");
  assertUlps(polygamma(1, 0.5), Math.PI ** 2 / 2, 2, "ψ₁(1/2)");
  // π⁴/15 in float64 is itself a few roundings off.
  assertUlps(polygamma(3, 1), Math.PI ** 4 / 15, 4, "ψ₃(1)");
  for (const x of [-2.3, -0.4, 0.2, 1.7, 6.1, 40]) {
    const h = 1e-5 * Math.max(1, Math.abs(x));
    const fd = (digamma(x + h) - digamma(x - h)) / (2 * h);
    assert.ok(Math.abs(polygamma(1, x) - fd) <= 1e-8 * Math.abs(fd), `ψ₁(${x})`);
    const fd2 = (polygamma(1, x + h) - polygamma(1, x - h)) / (2 * h);
    assert.ok(Math.abs(polygamma(2, x) - fd2) <= 1e-7 * Math.abs(fd2), `ψ₂(${x})`);
  }
  assert.equal(polygamma(1, 0), Infinity);
  assert.ok(Number.isNaN(polygamma(2, -3)));
  assert.equal(polygamma(1, Infinity), 0);
});

Deno.test("the public ops: float64 the kernels' values, float32 those values rounded once", () => {
  const xs = [-3.7, -0.5, 0.1, 0.5, 1, 2.5, 4, 9.5, 30];
  const ops = [
    [gt.erf, erf],
    [gt.erfc, erfc],
    [gt.lgamma, lgamma],
    [gt.digamma, digamma],
  ] as const;
  for (const [op, f] of ops) {
    const want = xs.map(f);
    assert.deepEqual(op(gt.constant(xs, { dtype: "float64" })).toArray(), want);
    const x32 = xs.map(Math.fround);
    assert.deepEqual(op(gt.constant(xs)).toArray(), x32.map((x) => Math.fround(f(x))));
  }
});

Deno.test("the derivatives of the special functions, against their closed forms", () => {
  const x = gt.constant([-2.5, -0.3, 0.7, 1.5, 3], { dtype: "float64" });
  const d = (f: (t: gt.Tensor) => gt.Tensor) => gt.grad((t: gt.Tensor) => gt.reduceSum(f(t)))(x);
  const v = x.toArray() as number[];
  const dErf = v.map((t) => 2 / Math.sqrt(Math.PI) * Math.exp(-t * t));
  const close = (got: gt.Tensor, want: number[], what: string) =>
    (got.toArray() as number[]).forEach((g, i) => assertUlps(g, want[i], 2, `${what}(${v[i]})`));
  close(d(gt.lgamma), v.map(digamma), "lgamma'");
  close(d(gt.erf), dErf, "erf'");
  close(d(gt.erfc), dErf.map((g) => -g), "erfc'");
  close(d(gt.digamma), v.map((t) => polygamma(1, t)), "digamma'");
});

Deno.test("under jit, formulas that call the special functions fuse, and into a sum's loop", () => {
  const x = gt.constant([0.3, 1.7, -2.5, 4, 9.25, 0.05], { dtype: "float64" });
  const chain = (t: gt.Tensor) => gt.add(gt.erfc(gt.multiply(t, 3)), gt.lgamma(gt.abs(t)));
  const fused = gt.jit(chain);
  assert.deepEqual(fused(x).toArray(), chain(x).toArray());
  assert.match(fused.program(x).toString(), /fused\[.*erfc.*lgamma/);
  const total = (t: gt.Tensor) => gt.reduceSum(gt.digamma(gt.add(gt.abs(t), 0.5)));
  const summed = gt.jit(total);
  assert.equal(summed(x).item(), total(x).item());
  assert.match(summed.program(x).toString(), /fused\[.*digamma.*reduceSum/);
});
