/** Products: `matmul` (2-D and batched, with transposes folded into the kernel), `tensordot`, `einsum`. */
import { bind, type Primitive, withPaused } from "../core/dispatch.ts";
import { toTensors } from "../core/convert.ts";
import { lazyFill, Tensor, type TensorLike, uniformTensor } from "../core/tensor.ts";
import { matmulKernel, matmulShape } from "../core/kernels/matmul.ts";
import { allocate, convertData } from "../core/dtype.ts";
import { dtypesDiffer } from "../core/_dtypes_differ.ts";
import { add, broadcastTo, mul, reduceSum, reshape, sumTo, transpose } from "./_lax.ts";
import {
  broadcastShapes,
  checkSize,
  fmtList,
  fmtShape,
  normalizeAxis,
  sizeOf,
} from "../core/shape.ts";
import { broadcasting, lift } from "./_batch.ts";
import { checkBoolean, checkOptions, describeValue } from "../core/check.ts";

interface MatmulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * Options of `matmul`.
 *
 * @example x·wᵀ without a transpose
 * ```ts
 * import { matmul, type MatmulOptions } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const options: MatmulOptions = { transposeB: true };
 * assert.deepEqual(matmul([[1, 2]], [[3, 4]], options).toArray(), [[11]]);
 * ```
 */
export interface MatmulOptions {
  /** Use the transpose of `a`'s last two axes (default false). */
  transposeA?: boolean;
  /** Use the transpose of `b`'s last two axes (default false). */
  transposeB?: boolean;
}

// NOTE: with a uniform operand (the broadcast cotangent of a sum, as in ∇ sum(A·B)) the product
// is a sum of the other's rows or columns times the value: O(n²) rather than O(n³).
function uniformMatmul(
  [a, b]: readonly Tensor[],
  [ua, ub]: readonly (number | undefined)[],
  { transposeA: tA, transposeB: tB }: MatmulAttrs,
): Tensor | undefined {
  // Only a broadcast (not merely a 1×1 matrix) is worth the detour.
  if (a.rank !== 2 || b.rank !== 2 || (ua === undefined && ub === undefined)) return undefined;
  const { m, k, n } = matmulShape(a.shape, b.shape, tA, tB);
  if (ua !== undefined && ub !== undefined) {
    return uniformTensor(convertData([ua * ub * k], a.dtype)[0], [m, n], a.dtype);
  }
  // Every row is ua · (the column sums of op(B)); every column ub · (the row sums of op(A)).
  if (ua !== undefined) return broadcastTo(mul(ua, reduceSum(b, [tB ? 1 : 0], false)), [m, n]);
  return broadcastTo(mul(reshape(reduceSum(a, [tA ? 0 : 1], false), [m, 1]), ub!), [m, n]);
}

/** The linear-algebra primitives, by name. */
export const productPrims = {
  // d(A·B) = dA·B + A·dB; reverse: Ā = Ḡ·Bᵀ, B̄ = Aᵀ·Ḡ (each with the transposes folded in)
  matmul: {
    name: "matmul",
    shape([a, b], { transposeA, transposeB }) {
      if (a.dtype === "bool") {
        throw new TypeError("matmul: no arithmetic on bool tensors: cast them first");
      }
      if (b.dtype !== a.dtype) {
        throw new TypeError(dtypesDiffer("matmul", a.dtype, b.dtype));
      }
      const as = a.shape, bs = b.shape, ra = as.length, rb = bs.length;
      if (ra < 2 || rb < 2) {
        throw new Error(
          `matmul: both operands need rank 2 or more, got ${fmtShape(as)} @ ${fmtShape(bs)}: ` +
            `reshape vectors to [1,n] or [n,1] first`,
        );
      }
      const m = transposeA ? as[ra - 1] : as[ra - 2];
      const k = transposeA ? as[ra - 2] : as[ra - 1];
      const kb = transposeB ? bs[rb - 1] : bs[rb - 2];
      const n = transposeB ? bs[rb - 2] : bs[rb - 1];
      if (k !== kb) {
        const t = (tr: boolean) => (tr ? " (transposed)" : "");
        throw new Error(
          `matmul: inner dimensions differ: ${fmtShape(as)}${t(transposeA)} @ ` +
            `${fmtShape(bs)}${t(transposeB)}`,
        );
      }
      if (ra === 2 && rb === 2) return { shape: [m, n], dtype: a.dtype };
      const batch = broadcastShapes("matmul", as.slice(0, -2), bs.slice(0, -2));
      return { shape: [...batch, m, n], dtype: a.dtype };
    },
    uniform: uniformMatmul,
    // NOTE: over an inner dimension of 1 each element is one product, which every path of the
    // kernel computes as multiply does; as a multiply it fuses with the ops around it.
    rewrite: ([a, b], { transposeA, transposeB }) => {
      if (a.rank !== 2 || b.rank !== 2 || (transposeA ? a.shape[0] : a.shape[1]) !== 1) {
        return undefined;
      }
      const column = transposeA ? reshape(a, [a.shape[1], 1]) : a;
      const row = transposeB ? reshape(b, [1, b.shape[0]]) : b;
      return mul(column, row);
    },
    // A row times a column (either transposed): smallMatmul's one sum, over both in order.
    dot: ([a, b], { transposeA, transposeB }) => {
      if (a.length !== 2 || b.length !== 2) return undefined;
      const m = transposeA ? a[1] : a[0], n = transposeB ? b[0] : b[1];
      return m === 1 && n === 1 ? a[0] * a[1] : undefined;
    },
    shortcut: (inputs, _, attrs) => {
      const fills = inputs.map(lazyFill);
      return fills.every((f) => f === undefined)
        ? undefined
        : withPaused(0, () => uniformMatmul(inputs, fills, attrs));
    },
    kernels: {
      cpu: ([a, b], out, { transposeA, transposeB }) =>
        matmulKernel(out.data, a.data, a.shape, b.data, b.shape, transposeA, transposeB, a.dtype),
    },
    jvp: ([ta, tb], [a, b], out, o) => {
      const l = ta && matmul(lift(ta, a, out), b, o);
      const r = tb && matmul(a, lift(tb, b, out), o);
      return l === null ? r : r === null ? l : add(l, r);
    },
    vjp: (g, [a, b], _, { transposeA: tA, transposeB: tB }, needs) => [
      needs[0]
        ? sumTo(
          tA
            ? matmul(b, g, { transposeA: tB, transposeB: true })
            : matmul(g, b, { transposeB: !tB }),
          a.shape,
        )
        : null,
      needs[1]
        ? sumTo(
          tB
            ? matmul(g, a, { transposeA: true, transposeB: tA })
            : matmul(a, g, { transposeA: !tA }),
          b.shape,
        )
        : null,
    ],
    // The product broadcasts over leading axes, as elementwise ops do.
    batch: broadcasting,
  } satisfies Primitive<MatmulAttrs>,
};

/**
 * Matrix product of the last two axes, batched over the leading ones (which broadcast). The
 * inner dimension is summed in blocks, as BLAS does (a float32 product of 2·10⁷ ones is 2·10⁷),
 * and an empty one gives zeros.
 *
 * @param a A tensor of rank ≥ 2, float32 or float64.
 * @param b A tensor of rank ≥ 2 and the same dtype.
 * @param options `transposeA` / `transposeB` to use either operand transposed, without copying.
 * @returns A tensor of shape `[...batch, m, n]`.
 * @example A 2×3 by 3×1 product
 * ```ts
 * import { matmul } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(matmul([[1, 2, 3], [4, 5, 6]], [[1], [0], [1]]).toArray(), [[4], [10]]);
 * ```
 */
export function matmul(a: TensorLike, b: TensorLike, options?: MatmulOptions): Tensor {
  const [ta, tb] = toTensors("matmul", [a, b]);
  checkOptions("matmul", options, MATMUL_OPTIONS);
  const transposeA = options?.transposeA ?? false, transposeB = options?.transposeB ?? false;
  checkBoolean("matmul", "transposeA", transposeA);
  checkBoolean("matmul", "transposeB", transposeB);
  return bind(productPrims.matmul, [ta, tb], { transposeA, transposeB });
}

const MATMUL_OPTIONS = ["transposeA", "transposeB"] as const;

/**
 * Sums products over the given axes of `a` and `b` (a composite of transpose, reshape and
 * matmul): `axes = k` contracts the last k axes of `a` with the first k of `b`; `[axesA, axesB]`
 * names them. The result has `a`'s free axes, then `b`'s.
 *
 * @param a The first tensor.
 * @param b The second tensor.
 * @param axes How many trailing/leading axes to contract, or the two lists of axes (a single
 *   axis may stand for a list of one, as in TensorFlow: `[1, 0]` is `[[1], [0]]`).
 * @returns The contracted tensor.
 * @example An outer product and an inner product
 * ```ts
 * import { tensordot } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(tensordot([1, 2], [3, 4], 0).toArray(), [[3, 4], [6, 8]]);
 * assert.equal(tensordot([1, 2], [3, 4], 1).item(), 11);
 * ```
 */
export function tensordot(
  a: TensorLike,
  b: TensorLike,
  axes: number | readonly [number | readonly number[], number | readonly number[]],
): Tensor {
  const [ta, tb] = toTensors("tensordot", [a, b]);
  let axA: number[], axB: number[];
  if (typeof axes === "number") {
    if (!Number.isInteger(axes) || axes < 0 || axes > ta.rank || axes > tb.rank) {
      throw new (Number.isInteger(axes) ? RangeError : TypeError)(
        `tensordot: cannot contract ${describeValue(axes)} axes of shapes ${fmtShape(ta.shape)} ` +
          `and ${fmtShape(tb.shape)}: give an integer in [0, ${Math.min(ta.rank, tb.rank)}]`,
      );
    }
    axA = Array.from({ length: axes }, (_, i) => ta.rank - axes + i);
    axB = Array.from({ length: axes }, (_, i) => i);
  } else {
    axA = contractedAxes(axes, 0, ta);
    axB = contractedAxes(axes, 1, tb);
  }
  if (axA.length !== axB.length) {
    throw new Error(
      `tensordot: axes ${fmtShape(axA)} of ${fmtShape(ta.shape)} and ${fmtShape(axB)} of ` +
        `${fmtShape(tb.shape)} are ${axA.length} and ${axB.length} axes: give as many for each`,
    );
  }
  const bad = axA.findIndex((x, i) => ta.shape[x] !== tb.shape[axB[i]]);
  if (bad >= 0) {
    throw new Error(
      `tensordot: axes ${fmtShape(axA)} of ${fmtShape(ta.shape)} and ${fmtShape(axB)} of ` +
        `${fmtShape(tb.shape)} differ in length: axis ${axA[bad]} has ` +
        `${ta.shape[axA[bad]]} elements and axis ${axB[bad]} has ${tb.shape[axB[bad]]}: ` +
        `contracted axes must match one to one`,
    );
  }
  const freeA = [...ta.shape.keys()].filter((i) => !axA.includes(i));
  const freeB = [...tb.shape.keys()].filter((i) => !axB.includes(i));
  const c = sizeOf(axA.map((i) => ta.shape[i]));
  const outA = freeA.map((i) => ta.shape[i]), outB = freeB.map((i) => tb.shape[i]);
  // Sizes, not -1: with an empty axis, -1 could be any length.
  const a2 = reshape(transpose(ta, [...freeA, ...axA]), [sizeOf(outA), c]);
  const b2 = reshape(transpose(tb, [...axB, ...freeB]), [c, sizeOf(outB)]);
  return reshape(matmul(a2, b2), [...outA, ...outB]);
}

// One side's contracted axes of a `[axesA, axesB]` pair, checked here so that no inner
// transpose reports them.
function contractedAxes(axes: unknown, side: 0 | 1, t: Tensor): number[] {
  const list = Array.isArray(axes) && axes.length === 2 ? axes[side] : undefined;
  const l = typeof list === "number" ? [list] : list;
  if (!Array.isArray(l)) {
    throw new TypeError(
      `tensordot: axes must be a number or a pair [axesA, axesB] of axis lists such as ` +
        `[[1], [0]], not ${describeValue(axes)}`,
    );
  }
  const out = l.map((x) => normalizeAxis("tensordot", x, t.rank));
  if (new Set(out).size !== out.length) {
    throw new Error(
      `tensordot: axes ${fmtList(l)} name an axis of shape ${fmtShape(t.shape)} twice: ` +
        `contract each axis once`,
    );
  }
  return out;
}

/**
 * Einstein summation, as numpy's `einsum`: any number of operands, e.g. `"ij,jk->ik"` (matmul),
 * `"bij,bjk->bik"` (batched), `"i,i->"` (dot), `"ij->ji"`, `"ii->i"` (a diagonal), `"ii->"` (a
 * trace), `"...ij,...jk->...ik"` (`...` stands for the same leading axes in every operand, which
 * broadcast). Without `->` the output is `...` then the letters that appear once, in alphabetical
 * order (capitals first). The axes `...` stands for broadcast as numpy's (a length 1 against any);
 * a letter has one length everywhere.
 *
 * A composite: diagonals are taken with a mask, indices that nothing else needs are summed
 * first, then operands are contracted two at a time, each time the pair whose result is smallest
 * (opt_einsum's greedy order), each contraction one (batched) matmul.
 *
 * @param equation The subscripts: letters, `...`, commas between operands, optionally `->` and
 *   the output's subscripts.
 * @param operands The tensors, one per comma-separated term, of one dtype.
 * @returns The result.
 * @example A matrix product, a trace and a chain of three
 * ```ts
 * import { einsum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(einsum("ij,jk->ik", [[1, 2]], [[3], [4]]).toArray(), [[11]]);
 * assert.equal(einsum("ii", [[1, 2], [3, 4]]).item(), 5);
 * assert.equal(einsum("i,ij,j", [1, 2], [[1, 0], [0, 1]], [3, 4]).item(), 11);
 * ```
 */
export function einsum(equation: string, ...operands: TensorLike[]): Tensor {
  if (typeof equation !== "string") {
    throw new TypeError(
      `einsum: the equation must be a string such as "ij,jk->ik", not ${describeValue(equation)}`,
    );
  }
  const spec = parseEinsum(equation, operands.length);
  const ts = toTensors("einsum", operands);
  if (ts.length > 0 && ts[0].dtype === "bool") {
    throw new TypeError(`einsum: "${equation}": no arithmetic on bool tensors: cast them first`);
  }
  const { terms, out, sizes } = labelAxes(equation, spec, ts);
  checkSize(`einsum: "${equation}"`, out.map((l) => sizes.get(l)!));
  let list: Term[] = terms.map((labels, k) => ({ t: ts[k], labels }));
  list = list.map((term, k) => {
    const others = new Set([...out, ...list.filter((_, j) => j !== k).flatMap((o) => o.labels)]);
    return sumUnneeded(squeezeBroadcast(diagonals(term), sizes), others);
  });
  while (list.length > 1) {
    const [i, j] = greedyPair(list, out, sizes);
    const rest = list.filter((_, k) => k !== i && k !== j);
    const keep = new Set([...out, ...rest.flatMap((o) => o.labels)]);
    list = [...rest, contractPair(list[i], list[j], keep, sizes)];
  }
  const last = sumUnneeded(list[0], new Set(out));
  // An output index whose every operand broadcast it (length 1) is a new axis of length 1.
  const missing = out.filter((l) => !last.labels.includes(l));
  const labels = [...last.labels, ...missing];
  const t = reshape(last.t, labels.map((l) => sizes.get(l)!));
  return transpose(t, out.map((l) => labels.indexOf(l)));
}

// An operand of einsum and the index of each of its axes (a letter, or `.k` for `...`'s k-th).
interface Term {
  t: Tensor;
  labels: string[];
}

// One term of the equation: its letters, and where `...` stands among them (-1: nowhere).
interface Subscripts {
  letters: string[];
  ellipsis: number;
}

function parseEinsum(
  equation: string,
  n: number,
): { inputs: Subscripts[]; output: Subscripts | undefined } {
  const eq = equation.replace(/\s+/g, "");
  const sides = eq.split("->");
  if (sides.length > 2) {
    throw new Error(`einsum: "${equation}" has more than one "->"`);
  }
  const terms = sides[0].split(",");
  if (n === 0) {
    throw new Error(`einsum: "${equation}" was given no operand: give at least one tensor`);
  }
  if (terms.length !== n) {
    throw new Error(
      `einsum: "${equation}" names ${terms.length} operand${terms.length === 1 ? "" : "s"} ` +
        `but ${n} ${n === 1 ? "was" : "were"} given`,
    );
  }
  const inputs = terms.map((s) => parseTerm(equation, s));
  const output = sides.length === 2 ? parseTerm(equation, sides[1]) : undefined;
  if (output !== undefined) {
    const twice = output.letters.find((l, i) => output.letters.indexOf(l) !== i);
    if (twice !== undefined) {
      throw new Error(
        `einsum: output subscripts "${sides[1]}" must be distinct letters: "${equation}" ` +
          `repeats ${twice} (for a diagonal, repeat it on the input side, as in "ii->i")`,
      );
    }
    const known = new Set(inputs.flatMap((s) => s.letters));
    const unknown = output.letters.find((l) => !known.has(l));
    if (unknown !== undefined) {
      throw new Error(
        `einsum: "${equation}": output index ${unknown} appears in no operand's subscripts`,
      );
    }
  }
  return { inputs, output };
}

function parseTerm(equation: string, s: string): Subscripts {
  const parts = s.split("...");
  const bad = parts.join("").match(/[^a-zA-Z]/);
  if (parts.length > 2 || bad !== null) {
    const what = bad !== null ? `the character "${bad[0]}"` : `"..." more than once`;
    throw new Error(
      `einsum: "${equation}": the term "${s}" has ${what}: subscripts are letters a-z, A-Z and ` +
        `at most one "..."`,
    );
  }
  return { letters: [...parts.join("")], ellipsis: parts.length === 2 ? parts[0].length : -1 };
}

// Each operand's labels, one per axis, the output's, and each label's length (broadcast).
function labelAxes(
  equation: string,
  { inputs, output }: { inputs: Subscripts[]; output: Subscripts | undefined },
  ts: readonly Tensor[],
): { terms: string[][]; out: string[]; sizes: Map<string, number> } {
  const extra = inputs.map((s, k) => {
    const e = ts[k].rank - s.letters.length;
    if (s.ellipsis < 0 ? e !== 0 : e < 0) {
      throw new Error(
        `einsum: "${equation}": operand ${k} has shape ${fmtShape(ts[k].shape)} (rank ` +
          `${ts[k].rank}) but its subscripts name ${s.letters.length} ax` +
          `${s.letters.length === 1 ? "is" : "es"}${s.ellipsis < 0 ? "" : " and ..."}: ` +
          `give one letter per axis, or "..." for the rest`,
      );
    }
    return e;
  });
  const rank = Math.max(0, ...extra);
  const dots = (e: number) => Array.from({ length: e }, (_, j) => `.${rank - e + j}`);
  const terms = inputs.map(({ letters, ellipsis }, k) =>
    ellipsis < 0
      ? letters
      : [...letters.slice(0, ellipsis), ...dots(extra[k]), ...letters.slice(ellipsis)]
  );
  let out: string[];
  if (output === undefined) {
    const all = terms.flat().filter((l) => !l.startsWith("."));
    const once = [...new Set(all)].filter((l) => all.indexOf(l) === all.lastIndexOf(l));
    out = [...dots(rank), ...once.sort()];
  } else if (output.ellipsis < 0) {
    if (rank > 0) {
      throw new Error(
        `einsum: "${equation}": "..." stands for ${rank} ax${rank === 1 ? "is" : "es"} in the ` +
          `operands but the output has no "...": add it to the output`,
      );
    }
    out = output.letters;
  } else {
    const { letters, ellipsis } = output;
    out = [...letters.slice(0, ellipsis), ...dots(rank), ...letters.slice(ellipsis)];
  }
  const sizes = new Map<string, number>();
  terms.forEach((labels, k) =>
    labels.forEach((l, axis) => {
      const d = ts[k].shape[axis], was = sizes.get(l);
      if (labels.indexOf(l) < axis && d !== ts[k].shape[labels.indexOf(l)]) {
        throw new Error(
          `einsum: "${equation}": index ${l} repeats in operand ${k} of shape ` +
            `${fmtShape(ts[k].shape)} over axes of different lengths: a repeated index takes ` +
            `a diagonal of a square block`,
        );
      }
      if (was === undefined || was === d) {
        sizes.set(l, d);
      } else if (!l.startsWith(".")) {
        const where = `operand ${k} of shape ${fmtShape(ts[k].shape)}`;
        throw new Error(
          `einsum: index ${l} has length ${was} in one place and ${d} in another, in ` +
            `"${equation}" (${where}): an index has one length`,
        );
      } else if (was !== 1 && d !== 1) {
        throw new Error(
          `einsum: "${equation}": the axes that "..." stands for do not broadcast: one has length ` +
            `${was} in one operand and ${d} in operand ${k} (shape ${fmtShape(ts[k].shape)})`,
        );
      }
      if (was === 1) sizes.set(l, d);
    })
  );
  return { terms, out, sizes };
}

// An index repeated within an operand keeps the diagonal: the operand times a mask that is 1
// where those axes' indices agree, summed over all but the first of them.
function diagonals(term: Term): Term {
  let { t, labels } = term;
  for (const l of new Set(labels)) {
    const axes = labels.flatMap((m, i) => (m === l ? [i] : []));
    if (axes.length < 2) continue;
    const n = t.shape[axes[0]], k = axes.length;
    const shape = labels.map((m) => (m === l ? n : 1));
    const mask = allocate(t.dtype, n ** k);
    const step = (n ** k - 1) / Math.max(1, n - 1); // 1 + n + … + n^(k-1)
    for (let i = 0; i < n; i++) mask[i * step] = 1;
    t = reduceSum(mul(t, new Tensor(mask, shape, t.dtype)), axes.slice(1), false);
    labels = labels.filter((m, i) => m !== l || i === axes[0]);
  }
  return { t, labels };
}

// An axis of length 1 where the index is longer elsewhere broadcasts: the operand does not
// depend on that index, so the axis goes.
function squeezeBroadcast({ t, labels }: Term, sizes: Map<string, number>): Term {
  const keep = labels.map((l, i) => t.shape[i] === sizes.get(l));
  if (keep.every(Boolean)) return { t, labels };
  return {
    t: reshape(t, t.shape.filter((_, i) => keep[i])),
    labels: labels.filter((_, i) => keep[i]),
  };
}

// Sums over the operand's indices that neither the output nor another operand needs.
function sumUnneeded({ t, labels }: Term, needed: Set<string>): Term {
  const axes = labels.flatMap((l, i) => (needed.has(l) ? [] : [i]));
  return { t: reduceSum(t, axes, false), labels: labels.filter((l) => needed.has(l)) };
}

// The pair to contract next: among pairs that share an index, the one whose result is smallest
// against its operands (opt_einsum's greedy cost); with none sharing, the two smallest.
function greedyPair(list: Term[], out: string[], sizes: Map<string, number>): [number, number] {
  const size = (labels: Iterable<string>) => {
    let s = 1;
    for (const l of labels) s *= sizes.get(l)!;
    return s;
  };
  let best: [number, number] = [0, 1], bestCost = Infinity, bestShares = false;
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i].labels, b = list[j].labels;
      const shares = a.some((l) => b.includes(l));
      if (bestShares && !shares) continue;
      const keep = new Set([
        ...out,
        ...list.flatMap((o, k) => (k === i || k === j ? [] : o.labels)),
      ]);
      const result = new Set([...a, ...b].filter((l) => keep.has(l)));
      const cost = shares ? size(result) - size(a) - size(b) : size(a) * size(b);
      if ((shares && !bestShares) || cost < bestCost) {
        best = [i, j];
        bestCost = cost;
        bestShares = shares;
      }
    }
  }
  return best;
}

// A ⊗ B summed over their shared indices that `keep` does not need, as one matmul: A to
// [batch, free A, shared], B to [batch, shared, free B].
function contractPair(a: Term, b: Term, keep: Set<string>, sizes: Map<string, number>): Term {
  const inB = new Set(b.labels), inA = new Set(a.labels);
  const A = sumUnneeded(a, new Set([...keep, ...inB]));
  const B = sumUnneeded(b, new Set([...keep, ...inA]));
  const batch = A.labels.filter((l) => inB.has(l) && keep.has(l));
  const shared = A.labels.filter((l) => inB.has(l) && !keep.has(l));
  const fa = A.labels.filter((l) => !inB.has(l));
  const fb = B.labels.filter((l) => !inA.has(l));
  const len = (ls: string[]) => sizeOf(ls.map((l) => sizes.get(l)!));
  const lead = batch.length > 0 ? [len(batch)] : [];
  const at = transpose(A.t, [...batch, ...fa, ...shared].map((l) => A.labels.indexOf(l)));
  const bt = transpose(B.t, [...batch, ...shared, ...fb].map((l) => B.labels.indexOf(l)));
  const product = matmul(
    reshape(at, [...lead, len(fa), len(shared)]),
    reshape(bt, [...lead, len(shared), len(fb)]),
  );
  const labels = [...batch, ...fa, ...fb];
  return { t: reshape(product, labels.map((l) => sizes.get(l)!)), labels };
}
