/**
 * Random programs for the fuzz tests: plain data that fast-check generates, shrinks and prints,
 * and an interpreter that turns one into a function of tensors and into the JavaScript source
 * of that same function (which is what it runs, so the printed program is always the one that
 * was checked).
 *
 * A program never refers to a shape directly: each op names its operands by position among the
 * earlier nodes that fit (0 is the newest), and draws its other choices (axes, flags, sizes) as
 * digits of one integer, 0 picking the first option each time. So every program is valid
 * whatever fast-check's shrinker does to it, and the shrunk program is the simplest one left:
 * fewer ops, fewer and smaller inputs, operands taken from the newest node, first options.
 */
import fc from "fast-check";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";

/** A shape. */
export type Shape = readonly number[];

/** One input of a program. */
export interface InputSpec {
  /** Picks the input's shape from the program's base shape: leading axes dropped, axes set to 1. */
  shapeCode: number;
  /** Seeds the input's values, uniform in [-2, 2]. */
  seed: number;
}

/** One op of a program. */
export interface OpSpec {
  /** The op's name in the pool. */
  op: string;
  /** Its operands: 0 is the newest earlier node that fits, 1 the one before, and so on (wrapping). */
  refs: number[];
  /** The op's other choices, decoded as mixed-radix digits; 0 takes the first option of each. */
  code: number;
}

/** A random program: plain data, so that fast-check can shrink it and print it. */
export interface Program {
  /** The shape all inputs broadcast to: rank 0–3, dims 1–4. */
  shape: number[];
  /** One to three inputs. */
  inputs: InputSpec[];
  /** Two to six ops, each on earlier nodes; the last node is the output. */
  ops: OpSpec[];
}

/** The op's other choices, read one at a time (0 once the code is used up). */
export class Choices {
  #rest: number;
  constructor(code: number) {
    this.#rest = code;
  }
  /** A choice among `n` options, `0 … n-1`. */
  int(n: number): number {
    if (n <= 1) return 0;
    const c = this.#rest % n;
    this.#rest = Math.floor(this.#rest / n);
    return c;
  }
  /** A yes or no; no comes first. */
  bool(): boolean {
    return this.int(2) === 1;
  }
  /** One of `options`. */
  of<T>(options: readonly T[]): T {
    return options[this.int(options.length)];
  }
}

/** An op, as the interpreter plans it for its operands. */
export interface Planned {
  /** The call as a JavaScript expression of the operands' names (`gt` is the library). */
  expr: (...args: string[]) => string;
  /**
   * How far the operands are from a kink or jump of the op (relative, 0 … 1). Programs that come
   * closer than `MIN_MARGIN` are skipped: finite differences are meaningless across a kink.
   * Exact ties count as no margin where the op jumps there (`where`): values equal in exact
   * arithmetic but computed apart, such as `(x + s) - s` and `x`, tie at one point and part by
   * a rounding at the next, so a finite-difference step flips the branch. At a kink (`maximum`,
   * `reduceMax`, `abs`) they are harmless, as such values have the same derivatives.
   */
  margin?: (...xs: Tensor[]) => number;
}

/** An op of the pool. */
export interface OpDef {
  /** How many operands it takes. */
  arity: number;
  /** Whether a node of this shape may be operand `k`, given the operands chosen before it. */
  accept?: (k: number, shape: Shape, chosen: readonly Shape[]) => boolean;
  /** The op for operands of these shapes, or null where it does not apply. */
  plan: (shapes: readonly Shape[], c: Choices) => Planned | null;
  /** JavaScript that defines the helpers `expr` calls (a `customGradient` function, say). */
  prelude?: string;
}

/** The pool the programs draw their ops from, by name. */
export type Pool = Readonly<Record<string, OpDef>>;

/**
 * Largest tensor an op may produce (more is skipped, to keep the Jacobians cheap), unless the
 * program's base shape is larger (a long program, checked under jit only).
 */
export const MAX_SIZE = 96;
/** Largest rank an op may produce. */
export const MAX_RANK = 4;
/** The nearest a program may come to a kink (relative) before it is skipped. */
export const MIN_MARGIN = 1e-3;
/** The largest magnitude a value may reach before the program is skipped as badly scaled. */
export const MAX_VALUE = 100;
/**
 * The fastest a value may move along a random direction of the inputs (see `Plan.speed`)
 * before the program is skipped as badly scaled: central differences have a relative error of
 * about (ε·speed)² / 6 at each order, so sin of a value moving at 500 is out of their reach.
 */
export const MAX_SPEED = 50;

// ---------------------------------------------------------------------------------------------
// Shape helpers

function sizeOf(s: Shape): number {
  return s.reduce((n, d) => n * d, 1);
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Whether `a` and `b` broadcast together (numpy's rule). */
export function broadcastable(a: Shape, b: Shape): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i], y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** The shape `a` and `b` broadcast to. */
function broadcastShape(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])
  );
}

/** Every shape of rank ≤ `maxRank` with `n` elements. */
function factorizations(n: number, maxRank: number): number[][] {
  const ofRank = (r: number, left: number): number[][] =>
    r === 0
      ? (left === 1 ? [[]] : [])
      : divisors(left).flatMap((d) => ofRank(r - 1, left / d).map((rest) => [d, ...rest]));
  return Array.from({ length: maxRank + 1 }, (_, r) => ofRank(r, n)).flat();
}

function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}

/** An axis, written as given or counted from the end. */
function anAxis(a: number, rank: number, c: Choices): number {
  return c.bool() ? a - rank : a;
}

const js = (v: unknown) => JSON.stringify(v);

// ---------------------------------------------------------------------------------------------
// Margins: the relative distance to the nearest kink or jump (see `Planned.margin`).

function dataOf(t: Tensor): Float64Array {
  return Float64Array.from(t.data() as ArrayLike<number>);
}

// The relative gap between a and b, exact ties left out unless `ties` (see `Planned.margin`).
function gap(a: Tensor, b: Tensor, ties: boolean): number {
  const d = dataOf(gt.subtract(a, b));
  const s = dataOf(gt.add(gt.abs(a), gt.abs(b)));
  let m = 1;
  d.forEach((v, i) => {
    if (v !== 0 || ties) m = Math.min(m, Math.abs(v) / (1 + s[i]));
  });
  return m;
}

function zeroMargin(x: Tensor, ties = false): number {
  let m = 1;
  for (const v of dataOf(x)) if (v !== 0 || ties) m = Math.min(m, Math.abs(v));
  return m;
}

/** A kink where a and b cross: exact ties are harmless. */
function gapMargin(a: Tensor, b: Tensor): number {
  return gap(a, b, false);
}

/** A jump where a and b cross: ties count, but for one node compared with itself. */
function jumpMargin(a: Tensor, b: Tensor): number {
  return a === b ? 1 : gap(a, b, true);
}

// The gap between the largest value and the next distinct one in each group reduced together.
function extremeMargin(x: Tensor, axes: number[] | undefined, kind: "max" | "min"): number {
  const y = kind === "max" ? x : gt.negative(x);
  const top = gt.reduceMax(y, axes, true);
  const rest = gt.where(gt.equal(y, top), -Infinity, y);
  const next = gt.reduceMax(rest, axes, true);
  const gap = dataOf(gt.subtract(top, next)), t = dataOf(top);
  let m = 1;
  gap.forEach((g, i) => {
    if (Number.isFinite(g)) m = Math.min(m, g / (1 + Math.abs(t[i])));
  });
  return m;
}

// ---------------------------------------------------------------------------------------------
// The ops

const sameAs = (k: number, s: Shape, chosen: readonly Shape[]) =>
  k === 0 || sameShape(s, chosen[0]);
const ranked = (min: number) => (k: number, s: Shape) => k > 0 || s.length >= min;

function unary(expr: (a: string) => string, margin?: (x: Tensor) => number): OpDef {
  return { arity: 1, plan: () => ({ expr, margin }) };
}

function binary(expr: (a: string, b: string) => string, margin?: Planned["margin"]): OpDef {
  return { arity: 2, plan: () => ({ expr, margin }) };
}

/** A scan of rank ≥ 1 inputs along a random axis, with random `exclusive` and `reverse`. */
function scan(name: string, exclusive = true): OpDef {
  return {
    arity: 1,
    accept: ranked(1),
    plan: ([s], c) => {
      const axis = anAxis(c.int(s.length), s.length, c);
      const options = js({ exclusive: exclusive && c.bool(), reverse: c.bool() });
      return { expr: (a) => `gt.${name}(${a}, ${js(axis)}, ${options})` };
    },
  };
}

/** Random axes for a reduction of rank `r`: all (omitted), a list, or one axis. */
function reductionAxes(r: number, c: Choices): { arg: string; axes: number[] | undefined } {
  const pick = c.int(2 ** r + 1);
  const keep = c.bool();
  if (pick === 0) return { arg: keep ? ", undefined, true" : "", axes: undefined };
  const mask = pick - 1;
  const axes = Array.from({ length: r }, (_, i) => i).filter((i) => mask & (1 << i));
  const written = axes.map((a) => anAxis(a, r, c));
  const arg = written.length === 1 && c.bool() ? js(written[0]) : js(written);
  return { arg: `, ${arg}${keep ? ", true" : c.bool() ? ", false" : ""}`, axes };
}

function reduction(fn: string, method?: string, kink?: "max" | "min"): OpDef {
  return {
    arity: 1,
    plan: ([s], c) => {
      const { arg, axes } = reductionAxes(s.length, c);
      const asMethod = method !== undefined && c.int(3) === 0;
      return {
        expr: (a) => asMethod ? `${a}.${method}(${arg.slice(2)})` : `gt.${fn}(${a}${arg})`,
        margin: kink && ((x) => extremeMargin(x, axes, kink)),
      };
    },
  };
}

/** An axis argument for softmax-like ops: omitted (the last), or any axis. */
function classAxis(r: number, c: Choices): string {
  const pick = c.int(r + 1);
  return pick === 0 ? "" : `, ${anAxis(pick - 1, r, c)}`;
}

function matmulFlags(a: Shape, b: Shape): [boolean, boolean][] {
  const out: [boolean, boolean][] = [];
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const ka = tA ? a[a.length - 2] : a[a.length - 1];
      const kb = tB ? b[b.length - 1] : b[b.length - 2];
      if (ka === kb && broadcastable(a.slice(0, -2), b.slice(0, -2))) out.push([tA, tB]);
    }
  }
  return out;
}

type TensordotAxes = number | [number[], number[]];

function tensordotOptions(a: Shape, b: Shape): TensordotAxes[] {
  const out: TensordotAxes[] = [0];
  for (let k = 1; k <= Math.min(a.length, b.length); k++) {
    if (sameShape(a.slice(a.length - k), b.slice(0, k))) out.push(k);
  }
  const pairs: [number, number][] = [];
  a.forEach((d, i) => b.forEach((e, j) => d === e && pairs.push([i, j])));
  for (const [i, j] of pairs) out.push([[i], [j]]);
  for (const [i, j] of pairs) {
    for (const [k, l] of pairs) if (k > i && l !== j) out.push([[i, k], [j, l]]);
  }
  return out;
}

const LETTERS = "ijklmnopqr";

/** A random einsum equation over operands of these shapes (each letter once per operand). */
function einsumEquation(shapes: readonly Shape[], c: Choices): string {
  const subs: string[] = [];
  const dims = new Map<string, number>();
  let fresh = 0;
  for (const s of shapes) {
    let sub = "";
    for (const d of s) {
      // Reuse a letter of an earlier operand with the same length, or take a new one.
      const reusable = [...dims].filter(([ch, n]) => n === d && !sub.includes(ch)).map(([ch]) =>
        ch
      );
      const pick = c.int(reusable.length + 1);
      const ch = pick < reusable.length ? reusable[pick] : LETTERS[fresh++];
      dims.set(ch, d);
      sub += ch;
    }
    subs.push(sub);
  }
  const lhs = subs.join(",");
  if (c.int(4) === 0) return lhs; // implicit output: the letters that appear once, sorted
  const letters = [...dims.keys()].filter(() => c.bool());
  const perms = permutations(letters.length);
  const out = c.of(perms).map((i) => letters[i]).join("");
  return `${lhs}->${out}`;
}

/**
 * The op pool: every differentiable op of the library but `cast` (float32 values are too coarse
 * for the finite differences) and `stopGradient` (which finite differences cannot see), on
 * inputs inside its domain; some through their method forms, and two `customGradient`
 * functions with correct rules.
 */
export const OPS: Pool = {
  // Elementwise, one input. Domains are kept by construction: exp of a bounded value, log and
  // square roots of 1 + x², tan of a value in (-1, 1).
  sin: unary((a) => `gt.sin(${a})`),
  cos: unary((a) => `gt.cos(${a})`),
  tanh: unary((a) => `gt.tanh(${a})`),
  sigmoid: unary((a) => `gt.sigmoid(${a})`),
  softplus: unary((a) => `gt.softplus(${a})`),
  negative: unary((a) => `gt.negative(${a})`),
  square: unary((a) => `gt.square(${a})`),
  exp: unary((a) => `gt.exp(gt.sin(${a}))`),
  expm1: unary((a) => `gt.expm1(gt.tanh(${a}))`),
  log: unary((a) => `gt.log(gt.add(1, gt.square(${a})))`),
  log1p: unary((a) => `gt.log1p(gt.square(${a}))`),
  sqrt: unary((a) => `gt.sqrt(gt.add(1, gt.square(${a})))`),
  rsqrt: unary((a) => `gt.rsqrt(gt.add(1, gt.square(${a})))`),
  tan: unary((a) => `gt.tan(gt.tanh(${a}))`),
  powConst: {
    arity: 1,
    plan: (_, c) => {
      const k = c.of([2, 3, -1]);
      // x⁻¹ only of something away from 0.
      return {
        expr: (a) => k === -1 ? `gt.pow(gt.add(1, gt.square(${a})), -1)` : `gt.pow(${a}, ${k})`,
      };
    },
  },
  abs: unary((a) => `gt.abs(${a})`, zeroMargin),
  relu: unary((a) => `gt.relu(${a})`, zeroMargin),
  methods: {
    arity: 1,
    plan: (_, c) => {
      const m = c.of(["neg()", "square()", "sin()", "cos()", "tanh()", "sigmoid()", "exp()"]);
      return { expr: (a) => m === "exp()" ? `${a}.tanh().exp()` : `${a}.${m}` };
    },
  },
  l2Loss: unary((a) => `gt.l2Loss(${a})`),
  softAbs: {
    // A customGradient function with a correct rule: its reverse mode uses the rule (to second
    // order, through the rule's own ops), its forward mode the forward computation.
    arity: 1,
    prelude: `const softAbs = gt.customGradient((x) => {
  const s = gt.sqrt(gt.add(1, gt.square(x)));
  return [s, (dy) => gt.multiply(dy, gt.divide(x, s))];
});`,
    plan: () => ({ expr: (a) => `softAbs(${a})` }),
  },
  softHypot: {
    arity: 2,
    accept: sameAs,
    prelude: `const softHypot = gt.customGradient((a, b) => {
  const s = gt.sqrt(gt.add(1, gt.add(gt.square(a), gt.square(b))));
  return [s, (dy) => [gt.multiply(dy, gt.divide(a, s)), gt.multiply(dy, gt.divide(b, s))]];
});`,
    plan: () => ({ expr: (a, b) => `softHypot(${a}, ${b})` }),
  },

  // The op-vocabulary issue's elementwise ops and activations, each inside its domain.
  asin: unary((a) => `gt.asin(gt.multiply(0.9, gt.tanh(${a})))`),
  acos: unary((a) => `gt.acos(gt.multiply(0.9, gt.tanh(${a})))`),
  atan: unary((a) => `gt.atan(${a})`),
  sinh: unary((a) => `gt.sinh(gt.tanh(${a}))`),
  cosh: unary((a) => `gt.cosh(gt.tanh(${a}))`),
  asinh: unary((a) => `gt.asinh(${a})`),
  acosh: unary((a) => `gt.acosh(gt.add(1.5, gt.square(${a})))`),
  atanh: unary((a) => `gt.atanh(gt.multiply(0.9, gt.tanh(${a})))`),
  erf: unary((a) => `gt.erf(${a})`),
  erfc: unary((a) => `gt.erfc(${a})`),
  lgamma: unary((a) => `gt.lgamma(gt.add(0.5, gt.square(${a})))`),
  digamma: unary((a) => `gt.digamma(gt.add(0.5, gt.square(${a})))`),
  reciprocal: unary((a) => `gt.reciprocal(gt.add(1, gt.square(${a})))`),
  logSigmoid: unary((a) => `gt.logSigmoid(${a})`),
  softsign: unary((a) => `gt.softsign(${a})`),
  gelu: unary((a) => `gt.gelu(${a})`),
  geluTanh: unary((a) => `gt.gelu(${a}, { approximate: true })`),
  silu: unary((a) => `gt.silu(${a})`),
  elu: unary((a) => `gt.elu(${a})`, zeroMargin),
  selu: unary((a) => `gt.selu(${a})`, zeroMargin),
  leakyRelu: unary((a) => `gt.leakyRelu(${a})`, zeroMargin),
  atan2: binary((a, b) => `gt.atan2(${a}, gt.add(1, gt.square(${b})))`),
  xlogy: binary((a, b) => `gt.xlogy(${a}, gt.add(1, gt.square(${b})))`),

  // Elementwise, two inputs, broadcasting.
  add: binary((a, b) => `gt.add(${a}, ${b})`),
  subtract: binary((a, b) => `gt.subtract(${a}, ${b})`),
  multiply: binary((a, b) => `gt.multiply(${a}, ${b})`),
  divide: binary((a, b) => `gt.divide(${a}, gt.add(1, gt.square(${b})))`),
  pow: binary((a, b) => `gt.pow(gt.add(1, gt.square(${a})), gt.tanh(${b}))`),
  maximum: binary((a, b) => `gt.maximum(${a}, ${b})`, gapMargin),
  minimum: binary((a, b) => `gt.minimum(${a}, ${b})`, gapMargin),
  squaredDifference: binary((a, b) => `gt.squaredDifference(${a}, ${b})`),
  where: binary((a, b) => `gt.where(gt.greater(${a}, ${b}), gt.sin(${a}), ${b})`, jumpMargin),
  where3: {
    // Condition, and both branches, of three shapes that broadcast together.
    arity: 3,
    accept: (k, s, chosen) =>
      k === 0 || broadcastable(k === 1 ? chosen[0] : broadcastShape(chosen[0], chosen[1]), s),
    plan: () => ({
      expr: (c, a, b) => `gt.where(gt.greater(${c}, 0.25), ${a}, gt.cos(${b}))`,
      margin: (c) => zeroMargin(gt.subtract(c, 0.25), true),
    }),
  },
  // Masks of 1 and 0 (relu's gradient's kind) through bools: a comparison, and a cast to bool of
  // a value with exact zeros (relu's), each cast back to a's dtype.
  mask: binary(
    (a, b) => `gt.multiply(${a}, gt.cast(gt.greater(${b}, 0), ${a}.dtype))`,
    (_, b) => zeroMargin(b, true),
  ),
  nonzero: binary(
    (a, b) => `gt.multiply(${a}, gt.cast(gt.cast(gt.relu(${b}), "bool"), ${a}.dtype))`,
    (_, b) => zeroMargin(b, true),
  ),
  sigmoidCrossEntropy: binary((a, b) => `gt.sigmoidCrossEntropyWithLogits(${a}, ${b})`),
  binaryMethods: {
    arity: 2,
    plan: (_, c) => {
      const m = c.of(["add", "sub", "mul"]);
      return { expr: (a, b) => `${a}.${m}(${b})` };
    },
  },
  scalar: {
    arity: 1,
    plan: (_, c) => {
      const [fn, k] = [c.of(["add", "subtract", "multiply"]), c.of([0.5, -1.5, 2])];
      const left = c.bool();
      return { expr: (a) => left ? `gt.${fn}(${k}, ${a})` : `gt.${fn}(${a}, ${k})` };
    },
  },
  addN: {
    arity: 3,
    accept: sameAs,
    plan: (_, c) => {
      const n = 2 + c.int(2);
      return { expr: (...xs) => `gt.addN([${xs.slice(0, n).join(", ")}])` };
    },
  },

  // Reductions, over random axes, with and without keepDims.
  reduceSum: reduction("reduceSum", "sum"),
  reduceMean: reduction("reduceMean", "mean"),
  reduceMax: reduction("reduceMax", "max", "max"),
  reduceMin: reduction("reduceMin", "min", "min"),
  reduceProd: reduction("reduceProd"),
  reduceLogSumExp: reduction("reduceLogSumExp"),
  // Scans along a random axis, either direction, inclusive or exclusive.
  cumsum: scan("cumsum"),
  cumprod: scan("cumprod"),
  // Not exclusive: its first element is log 0 = -Infinity.
  cumulativeLogSumExp: scan("cumulativeLogSumExp", false),

  // Neural-network helpers.
  softmax: {
    arity: 1,
    accept: ranked(1),
    plan: ([s], c) => {
      const axis = classAxis(s.length, c);
      return { expr: (a) => `gt.softmax(${a}${axis})` };
    },
  },
  logSoftmax: {
    arity: 1,
    accept: ranked(1),
    plan: ([s], c) => {
      const axis = classAxis(s.length, c);
      return { expr: (a) => `gt.logSoftmax(${a}${axis})` };
    },
  },
  softmaxCrossEntropy: {
    arity: 2,
    accept: (k, s, chosen) => k === 0 ? s.length >= 1 : sameShape(s, chosen[0]),
    plan: ([s], c) => {
      const axis = classAxis(s.length, c);
      // Labels first, as TensorFlow's: here the second operand, through a softmax so that they
      // are a distribution (any labels would do for the derivatives).
      return {
        expr: (a, b) => `gt.softmaxCrossEntropyWithLogits(gt.softmax(${b}${axis}), ${a}${axis})`,
      };
    },
  },

  // Shape.
  reshape: {
    arity: 1,
    plan: ([s], c) => {
      const target: (number | -1)[] = [...c.of(factorizations(sizeOf(s), MAX_RANK))];
      if (target.length > 0 && c.bool()) target[c.int(target.length)] = -1;
      const asMethod = c.int(3) === 0;
      return {
        expr: (a) => asMethod ? `${a}.reshape(${js(target)})` : `gt.reshape(${a}, ${js(target)})`,
      };
    },
  },
  transpose: {
    arity: 1,
    plan: ([s], c) => {
      const perms = permutations(s.length);
      const pick = c.int(perms.length + 1);
      const arg = pick === 0 ? "" : `, ${js(perms[pick - 1])}`;
      const asMethod = c.int(3) === 0;
      return {
        expr: (a) => asMethod ? `${a}.transpose(${arg.slice(2)})` : `gt.transpose(${a}${arg})`,
      };
    },
  },
  expandDims: {
    arity: 1,
    plan: ([s], c) => {
      const axis = c.int(2 * s.length + 2) - (s.length + 1);
      return { expr: (a) => `gt.expandDims(${a}, ${axis})` };
    },
  },
  squeeze: {
    arity: 1,
    plan: ([s], c) => {
      const ones = s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      const options = ["", ...ones.map((i) => `, ${anAxis(i, s.length, c)}`)];
      if (ones.length > 1) options.push(`, ${js(ones)}`);
      const arg = c.of(options);
      return { expr: (a) => `gt.squeeze(${a}${arg})` };
    },
  },
  broadcastTo: {
    arity: 1,
    plan: ([s], c) => {
      const lead = Array.from({ length: c.int(2) }, () => 1 + c.int(3));
      const target = [...lead, ...s.map((d) => (d === 1 ? 1 + c.int(3) : d))];
      return { expr: (a) => `gt.broadcastTo(${a}, ${js(target)})` };
    },
  },
  slice: {
    arity: 1,
    plan: ([s], c) => {
      const begin: number[] = [], size: number[] = [];
      for (const d of s) {
        const b = c.int(d), n = 1 + c.int(d - b);
        begin.push(b);
        size.push(b + n === d && c.bool() ? -1 : n);
      }
      return { expr: (a) => `gt.slice(${a}, ${js(begin)}, ${js(size)})` };
    },
  },
  pad: {
    arity: 1,
    plan: ([s], c) => {
      const paddings = s.map(() => [c.int(2), c.int(2)]);
      const value = c.of(["", ", 0.5", ", -1"]);
      return { expr: (a) => `gt.pad(${a}, ${js(paddings)}${value})` };
    },
  },
  concat: {
    arity: 2,
    accept: (k, s, chosen) => {
      if (k === 0) return s.length >= 1;
      const a = chosen[0];
      return s.length === a.length && s.filter((d, i) => d !== a[i]).length <= 1;
    },
    plan: ([a, b], c) => {
      const differ = a.findIndex((d, i) => d !== b[i]);
      const axis = anAxis(differ >= 0 ? differ : c.int(a.length), a.length, c);
      const three = c.bool();
      return {
        expr: (x, y) => `gt.concat([${three ? `${x}, ${y}, ${x}` : `${x}, ${y}`}], ${axis})`,
      };
    },
  },
  stack: {
    arity: 2,
    accept: sameAs,
    plan: ([a], c) => {
      const axis = c.int(2 * a.length + 2) - (a.length + 1);
      const arg = axis === 0 && c.bool() ? "" : `, ${axis}`;
      return { expr: (x, y) => `gt.stack([${x}, ${y}]${arg})` };
    },
  },
  split: {
    arity: 1,
    accept: ranked(1),
    plan: ([s], c) => {
      const axis = c.int(s.length), d = s[axis];
      let how: string, pieces: number;
      if (c.bool()) {
        const sizes: number[] = [];
        const k = 1 + c.int(Math.min(d, 3));
        let left = d;
        for (let i = 0; i < k - 1; i++) {
          const n = 1 + c.int(left - (k - 1 - i));
          sizes.push(n);
          left -= n;
        }
        sizes.push(left);
        if (c.bool()) sizes[c.int(k)] = -1;
        how = js(sizes);
        pieces = k;
      } else {
        pieces = c.of(divisors(d));
        how = `${pieces}`;
      }
      const which = c.int(pieces);
      const arg = axis === 0 && c.bool() ? "" : `, ${anAxis(axis, s.length, c)}`;
      return { expr: (a) => `gt.split(${a}, ${how}${arg})[${which}]` };
    },
  },
  tile: {
    arity: 1,
    plan: ([s], c) => {
      const multiples = s.map(() => 1 + c.int(2));
      return { expr: (a) => `gt.tile(${a}, ${js(multiples)})` };
    },
  },
  gather: {
    arity: 1,
    accept: ranked(1),
    plan: ([s], c) => {
      const axis = c.int(s.length), n = s[axis];
      const cols = 1 + c.int(3);
      const row = () => Array.from({ length: cols }, () => c.int(n));
      const indices = c.int(3) === 0 ? [row(), row()] : row();
      const arg = axis === 0 && c.bool() ? "" : `, ${anAxis(axis, s.length, c)}`;
      return { expr: (a) => `gt.gather(${a}, ${js(indices)}${arg})` };
    },
  },

  // Linear algebra.
  matmul: {
    arity: 2,
    accept: (k, s, chosen) => s.length >= 2 && (k === 0 || matmulFlags(chosen[0], s).length > 0),
    plan: ([a, b], c) => {
      const [tA, tB] = c.of(matmulFlags(a, b));
      const opts = [tA && "transposeA: true", tB && "transposeB: true"].filter(Boolean);
      const asMethod = opts.length === 0 && c.int(3) === 0;
      const arg = opts.length ? `, { ${opts.join(", ")} }` : "";
      return { expr: (x, y) => asMethod ? `${x}.matmul(${y})` : `gt.matmul(${x}, ${y}${arg})` };
    },
  },
  tensordot: {
    arity: 2,
    accept: () => true,
    plan: ([a, b], c) => {
      const axes = c.of(tensordotOptions(a, b));
      return { expr: (x, y) => `gt.tensordot(${x}, ${y}, ${js(axes)})` };
    },
  },
  einsum: {
    arity: 2,
    accept: () => true,
    plan: (shapes, c) => {
      const eq = einsumEquation(shapes, c);
      return { expr: (x, y) => `gt.einsum(${js(eq)}, ${x}, ${y})` };
    },
  },
  einsumUnary: {
    arity: 1,
    plan: (shapes, c) => {
      const eq = einsumEquation(shapes, c);
      return { expr: (x) => `gt.einsum(${js(eq)}, ${x})` };
    },
  },
};

/**
 * The ops of `OPS` that fuse into SIMD loops (elementwise, with vector formulas), masks through
 * bools among them: the long-array property draws half its programs from these alone, on inputs
 * of the whole base shape, so that many of those run SIMD loops (of programs over all of `OPS`,
 * about 2 % do).
 */
export const SIMD_OPS: Pool = Object.fromEntries(
  [
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "negative",
    "square",
    "exp",
    "abs",
    "relu",
    "add",
    "subtract",
    "multiply",
    "divide",
    "maximum",
    "minimum",
    "squaredDifference",
    "where",
    "mask",
    "nonzero",
  ].map((name) => [name, OPS[name]]),
);

// ---------------------------------------------------------------------------------------------
// Generation

/**
 * Programs over the ops of `pool` (the first op is the one the shrinker prefers). With `long`,
 * the base shape's last axis is 257–1,028 long (a small dim times 257), so that elementwise
 * chains reach the lengths where fused loops become SIMD loops (1,024 elements and more); with
 * `whole` too, every input has the base shape (shape code 0), so that no chain runs on a small
 * input alone.
 */
export function programArbitrary(pool: Pool, long = false, whole = false): fc.Arbitrary<Program> {
  const shapeCode = whole ? fc.constant(0) : fc.maxSafeNat();
  const dims = fc.array(fc.noBias(fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 3 });
  return fc.record({
    shape: long ? dims.map((d) => [...d.slice(0, -1), d[d.length - 1] * 257]) : fc.oneof(
      { withCrossShrink: true },
      { arbitrary: fc.constant<number[]>([]), weight: 1 },
      { arbitrary: dims, weight: 4 },
    ),
    inputs: fc.array(fc.record({ shapeCode, seed: fc.nat() }), {
      minLength: 1,
      maxLength: 3,
    }),
    ops: fc.array(
      fc.record({
        op: fc.constantFrom(...Object.keys(pool)),
        // Mostly the newest node first, so that most ops feed the output.
        refs: fc.tuple(
          fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, fc.nat({ max: 8 })),
          fc.nat({ max: 8 }),
          fc.nat({ max: 8 }),
        ),
        code: fc.maxSafeNat(),
      }),
      { minLength: 1, maxLength: 6 },
      // Two at least, but filtered rather than `minLength: 2`: fast-check shrinks an array by
      // dropping a prefix, or a prefix of the tail behind the kept head, and with a minimum of
      // 2 it could not take [a, b, c] down to [a, c].
    ).filter((ops) => ops.length >= 2),
  });
}

/** The shape of an input: the base shape with leading axes dropped and some axes set to 1. */
export function inputShape(base: Shape, shapeCode: number): number[] {
  const c = new Choices(shapeCode);
  const kept = base.slice(c.int(3) === 2 ? c.int(base.length + 1) : 0);
  return kept.map((d) => (c.int(3) === 2 ? 1 : d));
}

/**
 * Values uniform in [-2, 2] (mulberry32), the same for the same seed and input; inputs that
 * share a seed still get unrelated values, so two inputs never tie exactly.
 */
export function inputValues(seed: number, input: number, n: number): number[] {
  // A 32-bit hash of (seed, input) as the starting state.
  let s = Math.imul((seed >>> 0) ^ Math.imul(input + 1, 0x9e3779b9), 0x85ebca6b);
  s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35);
  s = (s ^ (s >>> 16)) >>> 0;
  return Array.from({ length: n }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return -2 + 4 * u;
  });
}

// ---------------------------------------------------------------------------------------------
// Interpretation

/** A program made concrete: its inputs, its source, and the function it computes. */
export interface Plan {
  /** The input tensors (float64). */
  inputs: Tensor[];
  /** The ops that applied, as `const vK = …;` lines. */
  lines: string[];
  /** The names, in the pool, of the ops that applied. */
  ops: string[];
  /** The function of the inputs, compiled from `source`. */
  f: (...xs: Tensor[]) => Tensor;
  /** The program as JavaScript (`gt` is the library): helpers, inputs, then `const f = …`. */
  source: string;
  /** The nearest any op came to a kink, relative (1 when none has one). */
  margin: number;
  /** The largest magnitude of any value the program computed. */
  largest: number;
  /**
   * How fast the fastest value moves when the inputs move along a random direction (entries
   * uniform in [-2, 2]): the largest |Δv|/h, by a finite difference of the program alone.
   */
  speed: number;
}

function compile<T = Tensor>(
  gtModule: typeof gt,
  preludes: readonly string[],
  params: readonly string[],
  body: string,
): (...xs: Tensor[]) => T {
  const make = new Function(
    "gt",
    `${preludes.join("\n")}\nreturn (${params}) => {\n${body}\n};`,
  ) as (m: typeof gt) => (...xs: Tensor[]) => T;
  return make(gtModule);
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of dataOf(t)) m = Math.max(m, Math.abs(v));
  return m;
}

function inputLine(name: string, t: Tensor): string {
  return `const ${name} = gt.constant(${js(Array.from(dataOf(t)))}, { dtype: "float64", shape: ${
    js(t.shape)
  } });`;
}

/**
 * Plans `program` over `pool`: evaluates it once at its inputs, op by op, fixing each op's
 * operands and choices from the shapes it meets (and dropping ops that do not apply or would
 * make too large a tensor), then compiles the whole into one function. Throws, with the program
 * so far, when an op fails.
 */
export function planProgram(program: Program, pool: Pool): Plan {
  const inputs = program.inputs.map(({ shapeCode, seed }, i) => {
    const shape = inputShape(program.shape, shapeCode);
    return gt.constant(inputValues(seed, i, sizeOf(shape)), { dtype: "float64", shape });
  });
  const params = inputs.map((_, i) => `x${i}`);
  const names = [...params];
  const values: Tensor[] = [...inputs];
  const lines: string[] = [];
  const ops: string[] = [];
  const preludes: string[] = [];
  let margin = 1, largest = Math.max(0, ...inputs.map(maxAbs));
  // A long program's elementwise results are as long as its base shape (see programArbitrary).
  const maxSize = Math.max(MAX_SIZE, sizeOf(program.shape));
  const sourceOf = (body: string[], out: string) =>
    [
      ...preludes,
      ...inputs.map((t, i) => inputLine(params[i], t)),
      `const f = (${params.join(", ")}) => {`,
      ...body.map((l) => `  ${l}`),
      `  return ${out};`,
      `};`,
    ].join("\n");
  for (const spec of program.ops) {
    const def = pool[spec.op];
    if (def === undefined) throw new Error(`fuzz: no op ${spec.op} in the pool`);
    const chosen: number[] = [];
    for (let k = 0; k < def.arity; k++) {
      const shapes = chosen.map((n) => values[n].shape);
      const accept = def.accept ??
        ((k: number, s: Shape, ch: readonly Shape[]) => k === 0 || broadcastable(ch[0], s));
      const fits = values.map((_, n) => values.length - 1 - n).filter((n) =>
        accept(k, values[n].shape, shapes)
      );
      if (fits.length === 0) break;
      chosen.push(fits[(spec.refs[k] ?? 0) % fits.length]);
    }
    if (chosen.length < def.arity) continue;
    const planned = def.plan(chosen.map((n) => values[n].shape), new Choices(spec.code));
    if (planned === null) continue;
    const name = `v${lines.length}`;
    const expr = planned.expr(...chosen.map((n) => names[n]));
    const line = `const ${name} = ${expr};`;
    const withPrelude = def.prelude && !preludes.includes(def.prelude)
      ? [...preludes, def.prelude]
      : preludes;
    const args = chosen.map((n) => values[n]);
    let y: Tensor;
    try {
      const distinct = [...new Set(chosen)];
      y = compile(gt, withPrelude, distinct.map((n) => names[n]), `return ${expr};`)(
        ...distinct.map((n) => values[n]),
      );
    } catch (e) {
      throw new Error(
        `fuzz: the program fails at \`${line}\` on operands of shapes ${
          chosen.map((n) => js(values[n].shape)).join(", ")
        }: ${e instanceof Error ? e.message : e}\n\n${sourceOf([...lines, line], name)}`,
        { cause: e },
      );
    }
    if (y.rank > MAX_RANK || y.size > maxSize || y.size === 0) continue;
    if (planned.margin) margin = Math.min(margin, planned.margin(...args));
    largest = Math.max(largest, maxAbs(y));
    if (withPrelude !== preludes) preludes.push(def.prelude!);
    lines.push(line);
    ops.push(spec.op);
    names.push(name);
    values.push(y);
  }
  const out = names[names.length - 1];
  // Every node, at the inputs and a small step h away along a random direction.
  const nodes = compile<Tensor[]>(
    gt,
    preludes,
    params,
    [...lines, `return [${names.slice(params.length)}];`].join("\n"),
  );
  const h = 1e-7;
  const step = (x: Tensor, i: number) =>
    gt.constant(inputValues(0x5eed, i, x.size).map((v) => h * v), {
      dtype: "float64",
      shape: x.shape,
    });
  const at = nodes(...inputs), near = nodes(...inputs.map((x, i) => gt.add(x, step(x, i))));
  const speed = Math.max(0, ...at.map((y, k) => maxAbs(gt.subtract(near[k], y)) / h));
  return {
    inputs,
    lines,
    ops,
    f: compile(gt, preludes, params, [...lines, `return ${out};`].join("\n")),
    source: sourceOf(lines, out),
    margin,
    largest,
    speed,
  };
}
