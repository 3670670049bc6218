/**
 * Special functions in float64: erf, erfc, lgamma and digamma (JavaScript's Math has none of
 * them), within 4 ulps of 40-digit references over their whole domains (measured: erf 1, erfc 3,
 * lgamma and digamma 3 for x > 0), except on the negative axis, where reflection makes the error
 * a few ulps of its terms rather than of the result: near lgamma's and digamma's zeros there
 * (two and one in each interval between negative integers) the relative error grows as the
 * result shrinks. The scalar formulas of their primitives call these by name (see
 * `formulaHelpers` in generated.ts), and so do the hand-written loops; float32 results are these
 * values rounded once by the store.
 *
 * The constants below are mathematical constants (ζ(k) - 1, the Taylor coefficients of ψ at its
 * positive root) evaluated to 60 digits, and polynomial fits of erfc's scaled form computed in
 * 40-digit arithmetic, rounded to float64.
 *
 * @module
 */

const TWO_OVER_SQRTPI_HI = 1.1283791670955126;
const INV_SQRTPI = 0.5641895835477563;
const EULER = 0.5772156649015329;
const HALF_LOG_2PI = 0.9189385332046728;
const LOG_PI = 1.1447298858494002;

// ζ(k) - 1 for k = 2, 3, …, 61.
const ZETA_M1 = [
  0.6449340668482264,
  0.2020569031595943,
  0.08232323371113819,
  0.03692775514336993,
  0.01734306198444914,
  0.008349277381922827,
  0.00407735619794434,
  0.0020083928260822143,
  0.0009945751278180853,
  0.0004941886041194645,
  0.0002460865533080483,
  0.00012271334757848915,
  6.124813505870483e-05,
  3.058823630702049e-05,
  1.528225940865187e-05,
  7.637197637899763e-06,
  3.81729326499984e-06,
  1.908212716553939e-06,
  9.539620338727962e-07,
  4.769329867878064e-07,
  2.38450502727733e-07,
  1.1921992596531106e-07,
  5.960818905125948e-08,
  2.980350351465228e-08,
  1.4901554828365043e-08,
  7.45071178983543e-09,
  3.725334024788457e-09,
  1.862659723513049e-09,
  9.313274324196682e-10,
  4.656629065033784e-10,
  2.3283118336765053e-10,
  1.164155017270052e-10,
  5.820772087902701e-11,
  2.9103850444971e-11,
  1.4551921891041985e-11,
  7.275959835057482e-12,
  3.637979547378651e-12,
  1.818989650307066e-12,
  9.094947840263888e-13,
  4.547473783042154e-13,
  2.2737368458246524e-13,
  1.136868407680228e-13,
  5.684341987627585e-14,
  2.842170976889302e-14,
  1.4210854828031608e-14,
  7.105427395210853e-15,
  3.552713691337114e-15,
  1.7763568435791204e-15,
  8.881784210930816e-16,
  4.440892103143813e-16,
  2.220446050798042e-16,
  1.1102230251410661e-16,
  5.551115124845481e-17,
  2.775557562136124e-17,
  1.3877787809725232e-17,
  6.938893904544153e-18,
  3.4694469521659225e-18,
  1.7347234760475765e-18,
  8.673617380119933e-19,
  4.336808690020651e-19,
];

// ψ's positive root x₀ (as hi + lo) and ψ⁽ᵏ⁾(x₀)/k! for k = 1, 2, …, 55.
const ROOT_HI = 1.4616321449683622;
const ROOT_LO = 9.549995429965697e-17;
const PSI_AT_ROOT = [
  0.9676722454476212,
  -0.4427631689835921,
  0.258499760955651,
  -0.16394270544240652,
  0.10782405069126237,
  -0.07219956125645471,
  0.04880428816414311,
  -0.03316112647484736,
  0.022597648232218104,
  -0.01542476590494896,
  0.010538791616612175,
  -0.007204534386356869,
  0.004926781395729853,
  -0.003369801655439328,
  0.002305126326734928,
  -0.0015769367714301972,
  0.0010788252019162967,
  -0.0007380709389960052,
  0.000504953265834602,
  -0.0003454680251063077,
  0.00023635601564027053,
  -0.00016170622091974803,
  0.0001106337276874741,
  -7.569179582195066e-05,
  5.178575795222081e-05,
  -3.5430070947659604e-05,
  2.424006611860132e-05,
  -1.6584242271854135e-05,
  1.134638458466385e-05,
  -7.762817668462094e-06,
  5.3110609208898636e-06,
  -3.6336507898010456e-06,
  2.486022733129538e-06,
  -1.7008538854332607e-06,
  1.1636675363548843e-06,
  -7.96142543124197e-07,
  5.446941930669446e-07,
  -3.7266161283438227e-07,
  2.549626552021554e-07,
  -1.7443695117727745e-07,
  1.1934394829830244e-07,
  -8.165115189488409e-08,
  5.586299683532171e-08,
  -3.821960061917494e-08,
  2.6148576951961865e-08,
  -1.788998486491149e-08,
  1.2239731403233662e-08,
  -8.37401629767179e-09,
  5.729222859849993e-09,
  -3.9197433359423324e-09,
  2.681757752408109e-09,
  -1.8347692760029681e-09,
  1.25528798905961e-09,
  -8.588262056089889e-10,
  5.875802667349349e-10,
];

// Bernoulli numbers B₂, B₄, …, B₁₆ (the asymptotic series of lgamma and digamma).
const BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510];

// erf(x)/x for |x| ≤ 1/2 is a polynomial in x²: its Taylor coefficients 2/√π·(-1)ⁿ/(n!(2n + 1)),
// to n = 12 (the next term is below 2⁻⁵⁶ of the sum).
const ERF_TAYLOR = Array.from({ length: 13 }, (_, n) => {
  let f = 1;
  for (let k = 2; k <= n; k++) f *= k;
  return (n % 2 === 0 ? 1 : -1) * TWO_OVER_SQRTPI_HI / (f * (2 * n + 1));
});

function erfSmall(x: number): number {
  const z = x * x;
  let s = 0;
  for (let n = ERF_TAYLOR.length - 1; n >= 0; n--) s = s * z + ERF_TAYLOR[n];
  return x * s;
}

// NOTE: erfc's scaled form e^(x²)·erfc(x) is smooth and slowly varying, so on [1/2, 6) it is
// fitted by polynomials (Chebyshev fits in 40-digit arithmetic, degree 15 per interval, about the
// interval's middle, highest degree first), each within 10⁻¹⁷ of it relatively; erfc is that
// times e^(-x²). Below 1/2, 1 - erf(x) loses nothing; beyond 6, the continued fraction is short.
const ERFCX_FITS: readonly (readonly number[])[] = [
  // [0.5, 1.25), about 0.875
  [
    -8.178793859368783e-07,
    2.6756701916034212e-06,
    -8.055394169675349e-06,
    2.4813862578236507e-05,
    -7.415897873670597e-05,
    0.00021396106885577818,
    -0.0005950810820218508,
    0.0015904825816719737,
    -0.004069537665061771,
    0.009922776769590946,
    -0.022925811484455237,
    0.04982841533122216,
    -0.10091439212620511,
    0.18795692377318343,
    -0.3158338964908418,
    0.464311583202669,
  ],
  // [1.25, 2), about 1.625
  [
    -2.808822615234249e-08,
    1.0480899005126589e-07,
    -3.6624637349857933e-07,
    1.2997021824895985e-06,
    -4.4957391339043665e-06,
    1.5109489054524536e-05,
    -4.927914256683723e-05,
    0.0001556254870001464,
    -0.00047464757858038344,
    0.0013938042929702349,
    -0.003926198500437135,
    0.010561485441322148,
    -0.026977910093251917,
    0.06496207478418801,
    -0.14603023666418335,
    0.30226120936348594,
  ],
  // [2, 3), about 2.5
  [
    -9.299068690583155e-10,
    4.023499351874463e-09,
    -1.61506305224933e-08,
    6.705533370866154e-08,
    -2.729566325679601e-07,
    1.0852406768030674e-06,
    -4.214295494064897e-06,
    1.5961851018812493e-05,
    -5.886896472383184e-05,
    0.0002110198244195237,
    -0.0007335909371382576,
    0.002467036815697219,
    -0.008001569382101618,
    0.024937997086656956,
    -0.07434734678979467,
    0.2108063640611436,
  ],
  // [3, 4.5), about 3.75
  [
    -1.5338347648246135e-11,
    8.073636169365498e-11,
    -3.84500753433777e-10,
    1.9613540714268487e-09,
    -9.883661283522086e-09,
    4.886761410398906e-08,
    -2.3760025755981762e-07,
    1.1353248658357088e-06,
    -5.326672808875114e-06,
    2.451632548246757e-05,
    -0.0001105795749229126,
    0.00048822238208810493,
    -0.002107282870169147,
    0.008878755527325498,
    -0.03645625753272353,
    0.14558972127503853,
  ],
  // [4.5, 6), about 5.25
  [
    -2.56202253868298e-13,
    1.6602771579360074e-12,
    -1.0074975850572621e-11,
    6.389526778526229e-11,
    -4.0143981620720896e-10,
    2.4914163750832584e-09,
    -1.5287621723651087e-08,
    9.27169033848956e-08,
    -5.555581004835171e-07,
    3.287547681662256e-06,
    -1.920407867205492e-05,
    0.00011068405606892072,
    -0.0006291014910425437,
    0.0035241509401113995,
    -0.01944544467214865,
    0.1056127354688918,
  ],
];
const FIT_EDGES = [0.5, 1.25, 2, 3, 4.5, 6];

// erfc(x) for 1/2 ≤ x < 6.
function erfcFitted(x: number): number {
  let k = 0;
  while (x >= FIT_EDGES[k + 1]) k++;
  const c = ERFCX_FITS[k], t = x - (FIT_EDGES[k] + FIT_EDGES[k + 1]) / 2;
  let p = 0;
  for (let i = 0; i < c.length; i++) p = p * t + c[i];
  return expMinusSquare(x) * p;
}

const SPLIT = 134217729; // 2^27 + 1

// e^(-x²), with x² split so that its rounding is not magnified by the exponential (x = 26 would
// lose 9 bits): x = h + l with h of 26 bits, so h² is exact.
function expMinusSquare(x: number): number {
  const t = SPLIT * x;
  const h = t - (t - x), l = x - h;
  return Math.exp(-h * h) * Math.exp(-l * (x + h));
}

// erfc(x) for x ≥ 6: e^(-x²)/√π over Laplace's continued fraction x + (1/2)/(x + 1/(x + …)),
// evaluated from the bottom up (stable), with as many terms as it needs at x (21 at x = 6).
function erfcFraction(x: number): number {
  if (x > 27.3) return 0;
  let f = x;
  for (let n = Math.ceil(16 + 170 / (x * x)); n >= 1; n--) f = x + (n / 2) / f;
  return expMinusSquare(x) * INV_SQRTPI / f;
}

/**
 * The error function `erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`, in float64.
 *
 * @param x Any number.
 * @returns `erf(x)`, in [-1, 1].
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { erf } from "./special.ts";
 * assert.equal(erf(0), 0);
 * assert.ok(Math.abs(erf(1) - 0.8427007929497149) < 2e-16);
 * ```
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a <= 0.5) return erfSmall(x);
  if (a !== a) return x;
  const r = 1 - (a < 6 ? erfcFitted(a) : erfcFraction(a));
  return x < 0 ? -r : r;
}

/**
 * The complementary error function `erfc(x) = 1 - erf(x)`, in float64, accurate in its tail
 * (down to erfc(26.5) ≈ 2·10⁻³⁰⁷ and the subnormals beyond).
 *
 * @param x Any number.
 * @returns `erfc(x)`, in [0, 2].
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { erfc } from "./special.ts";
 * assert.equal(erfc(0), 1);
 * assert.ok(Math.abs(erfc(10) / 2.088487583762545e-45 - 1) < 1e-15);
 * ```
 */
export function erfc(x: number): number {
  const a = Math.abs(x);
  if (a <= 0.5) return 1 - erfSmall(x);
  if (a !== a) return x;
  const tail = a < 6 ? erfcFitted(a) : erfcFraction(a);
  return x < 0 ? 2 - tail : tail;
}

// sin(πx), accurate near the integers (where Math.sin(Math.PI * x) is not): x reduced exactly to
// [-1, 1], then to [0, 1/2] by symmetry.
function sinPi(x: number): number {
  let r = x - 2 * Math.round(x / 2);
  let sign = 1;
  if (r < 0) {
    r = -r;
    sign = -1;
  }
  if (r > 0.5) r = 1 - r;
  return sign * (r <= 0.25 ? Math.sin(Math.PI * r) : Math.cos(Math.PI * (0.5 - r)));
}

// cos(πx), reduced the same way.
function cosPi(x: number): number {
  let r = Math.abs(x - 2 * Math.round(x / 2));
  let sign = 1;
  if (r > 0.5) {
    r = 1 - r;
    sign = -1;
  }
  return sign * (r <= 0.25 ? Math.cos(Math.PI * r) : Math.sin(Math.PI * (0.5 - r)));
}

// log Γ(1 + z) for |z| ≤ 1/2: -γz + Σₖ (-1)ᵏ ζ(k) zᵏ / k, by Horner from the small end.
function lgamma1p(z: number): number {
  let s = 0;
  // Terms fall as 2⁻ᵏ/k: by k = 56 below 10⁻¹⁸ of the result.
  for (let k = 56; k >= 2; k--) s = s * -z + (1 + ZETA_M1[k - 2]) / k;
  // + 0: log Γ(1) is +0, not the -0 of 0·(-γ).
  return z * (-EULER + z * s) + 0;
}

// log Γ(2 + z) for |z| ≤ 1/2: (1 - γ)z + Σₖ (-1)ᵏ (ζ(k) - 1) zᵏ / k.
function lgamma2p(z: number): number {
  let s = 0;
  // Terms fall as 4⁻ᵏ/k (ζ(k) - 1 is about 2⁻ᵏ).
  for (let k = 32; k >= 2; k--) s = s * -z + ZETA_M1[k - 2] / k;
  return z * (1 - EULER + z * s) + 0;
}

// log Γ(x) for x ≥ 10: Stirling's series.
function lgammaStirling(x: number): number {
  const r = 1 / x, r2 = r * r;
  let s = 0;
  for (let k = BERNOULLI.length; k >= 1; k--) {
    s = s * r2 + BERNOULLI[k - 1] / (2 * k * (2 * k - 1));
  }
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + s * r;
}

function lgammaPositive(x: number): number {
  if (x < 0.5) return lgamma1p(x) - Math.log(x);
  if (x <= 1.5) return lgamma1p(x - 1);
  if (x <= 2.5) return lgamma2p(x - 2);
  if (x >= 10) return x === Infinity ? x : lgammaStirling(x);
  // Down to (1.5, 2.5]: log Γ(x) = log Γ(x - n) + log((x - 1)(x - 2)…(x - n)).
  let p = 1, y = x;
  while (y > 2.5) {
    y -= 1;
    p *= y;
  }
  return lgamma2p(y - 2) + Math.log(p);
}

/**
 * `log |Γ(x)|`, in float64; `+Infinity` at the poles (0 and the negative integers) and at
 * ±Infinity. Below 1/2 by reflection: `log |Γ(x)| = log(π / |sin πx|) - log |Γ(1 - x)|`.
 *
 * @param x Any number.
 * @returns `log |Γ(x)|`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lgamma } from "./special.ts";
 * assert.equal(lgamma(1), 0);
 * assert.ok(Math.abs(lgamma(0.5) - Math.log(Math.sqrt(Math.PI))) < 2e-16);
 * ```
 */
export function lgamma(x: number): number {
  if (x >= 0.5) return lgammaPositive(x);
  if (x !== x) return x;
  if (x === -Infinity) return Infinity;
  if (x === Math.floor(x)) return Infinity;
  if (x > 0) return lgammaPositive(x);
  // Reflection; for x below -2⁵² every float is an integer, handled above.
  const s = Math.abs(sinPi(x));
  return LOG_PI - Math.log(s) - lgammaPositive(1 - x);
}

// ψ(x) for x ≥ 10: log x - 1/(2x) - Σ B₂ₖ / (2k x²ᵏ).
function digammaAsymptotic(x: number): number {
  const r2 = 1 / (x * x);
  let s = 0;
  for (let k = BERNOULLI.length; k >= 1; k--) s = s * r2 + BERNOULLI[k - 1] / (2 * k);
  return Math.log(x) - 0.5 / x - s * r2;
}

// ψ(x) for 1 ≤ x ≤ 2: Taylor's series about the root x₀, so that values near it keep their
// relative accuracy.
function digammaNearRoot(x: number): number {
  const h = (x - ROOT_HI) - ROOT_LO;
  let s = 0;
  // Terms fall as (|h|/x₀)ᵏ ≤ 0.37ᵏ on [1, 2]: by k = 44 below 10⁻¹⁹.
  for (let k = 44; k >= 1; k--) s = s * h + PSI_AT_ROOT[k - 1];
  return s * h;
}

function digammaPositive(x: number): number {
  if (x < 1) return digammaPositive(x + 1) - 1 / x;
  if (x <= 2) return digammaNearRoot(x);
  if (x >= 10) return x === Infinity ? x : digammaAsymptotic(x);
  // Down to (1, 2]: ψ(x) = ψ(x - n) + Σ 1/(x - k), every term positive.
  let s = 0, y = x;
  while (y > 2) {
    y -= 1;
    s += 1 / y;
  }
  return digammaNearRoot(y) + s;
}

/**
 * The digamma function `ψ(x) = Γ'(x)/Γ(x)`, in float64; ∓Infinity at ±0, NaN at the negative
 * integers (poles where its sign is undefined) and at -Infinity. Below 1/2 by reflection:
 * `ψ(x) = ψ(1 - x) - π / tan(πx)`.
 *
 * @param x Any number.
 * @returns `ψ(x)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { digamma } from "./special.ts";
 * assert.equal(digamma(1), -0.5772156649015329);
 * ```
 */
export function digamma(x: number): number {
  if (x >= 0.5) return digammaPositive(x);
  if (x !== x || x === -Infinity) return NaN;
  // At ±0 the pole's side is known (scipy's convention); at the negative integers it is not.
  if (x === 0) return Object.is(x, -0) ? Infinity : -Infinity;
  if (x === Math.floor(x)) return NaN;
  if (x > 0) return digammaPositive(x);
  return digammaPositive(1 - x) - Math.PI * cosPi(x) / sinPi(x);
}

// n! for the polygamma functions' orders (exact to 22!).
function factorial(n: number): number {
  let f = 1;
  for (let k = 2; k <= n; k++) f *= k;
  return f;
}

// The Hurwitz zeta function ζ(s, x) = Σₖ (x + k)⁻ˢ for an integer s ≥ 2: terms summed until
// x + k ≥ 16 + s, then the Euler–Maclaurin tail.
function hurwitz(s: number, x: number): number {
  let sum = 0, y = x;
  const start = 16 + s;
  while (y < start) {
    sum += Math.pow(y, -s);
    y += 1;
  }
  let tail = 0, rising = s, power = Math.pow(y, -s - 1), twoJFactorial = 2;
  for (let j = 1; j <= BERNOULLI.length; j++) {
    tail += BERNOULLI[j - 1] / twoJFactorial * rising * power;
    rising *= (s + 2 * j - 1) * (s + 2 * j);
    power /= y * y;
    twoJFactorial *= (2 * j + 1) * (2 * j + 2);
  }
  return sum + Math.pow(y, 1 - s) / (s - 1) + Math.pow(y, -s) / 2 + tail;
}

/**
 * The polygamma function `ψ⁽ⁿ⁾(x)`, the n-th derivative of digamma, in float64, for an integer
 * `n ≥ 0` (0 is digamma): `(-1)ⁿ⁺¹ n! ζ(n + 1, x)` for n ≥ 1. At the poles (0 and the negative
 * integers) +Infinity for odd n and NaN for even n (whose sign flips there); NaN below -10⁶,
 * where the recurrence to large x would take too long.
 *
 * @param n The order, an integer ≥ 0.
 * @param x Any number.
 * @returns `ψ⁽ⁿ⁾(x)`.
 * @example ψ'(1) = π²/6
 * ```ts
 * import assert from "node:assert/strict";
 * import { polygamma } from "./special.ts";
 * assert.ok(Math.abs(polygamma(1, 1) - Math.PI ** 2 / 6) < 1e-15);
 * ```
 */
export function polygamma(n: number, x: number): number {
  if (n === 0) return digamma(x);
  if (x !== x || x === -Infinity || x < -1e6) return NaN;
  if (x === Infinity) return 0;
  if (x <= 0 && x === Math.floor(x)) return n % 2 === 1 ? Infinity : NaN;
  const z = hurwitz(n + 1, x);
  return (n % 2 === 1 ? 1 : -1) * factorial(n) * z;
}
