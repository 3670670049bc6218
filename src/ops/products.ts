/** Products: `matmul` (2-D and batched, with transposes folded into the kernel), `tensordot`, `einsum`. */
import { bind, type Primitive, withPaused } from "../core/dispatch.ts";
import { toTensors } from "../core/convert.ts";
import { lazyFill, type Tensor, type TensorLike, uniformTensor } from "../core/tensor.ts";
import { matmulKernel, matmulShape } from "../core/kernels/matmul.ts";
import { convertData } from "../core/dtype.ts";
import { add, broadcastTo, mul, reduceSum, reshape, sumTo, transpose } from "./_lax.ts";
import { broadcastShapes, fmtList, fmtShape, normalizeAxis, sizeOf } from "../core/shape.ts";
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
        throw new TypeError(
          `matmul: dtypes differ: ${a.dtype} and ${b.dtype}: cast one with cast(x, "${a.dtype}") first`,
        );
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
 * Einstein summation over one or two operands, e.g. `"ij,jk->ik"` (matmul), `"bij,bjk->bik"`
 * (batched), `"i,i->"` (dot), `"ij->ji"`, `"ij->j"`; without `->` the output is the indices that
 * appear once, in alphabetical order. A composite of transpose, reduceSum and matmul.
 *
 * @param equation The subscripts, as numpy's and TensorFlow's.
 * @param operands One or two tensors.
 * @returns The result.
 * @example A matrix product
 * ```ts
 * import { einsum } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * assert.deepEqual(einsum("ij,jk->ik", [[1, 2]], [[3], [4]]).toArray(), [[11]]);
 * ```
 */
export function einsum(equation: string, ...operands: TensorLike[]): Tensor {
  if (typeof equation !== "string") {
    throw new TypeError(
      `einsum: the equation must be a string such as "ij,jk->ik", not ${describeValue(equation)}`,
    );
  }
  const eq = equation.replace(/\s+/g, "");
  const sides = eq.split("->");
  if (sides.length > 2) throw new Error(`einsum: "${equation}" has more than one "->"`);
  const [lhs, rhs] = sides;
  const subs = lhs.split(",");
  const n = operands.length;
  if (subs.length !== n) {
    throw new Error(
      `einsum: "${equation}" names ${subs.length} operand${subs.length === 1 ? "" : "s"} but ` +
        `${n} ${n === 1 ? "was" : "were"} given`,
    );
  }
  if (n > 2) {
    throw new Error(`einsum: "${equation}" has ${n} operands: only one or two are supported`);
  }
  if (rhs !== undefined && (!/^[a-zA-Z]*$/.test(rhs) || new Set(rhs).size !== rhs.length)) {
    throw new Error(
      `einsum: output subscripts "${rhs}" must be distinct letters (repeated indices and ... ` +
        `are not supported)`,
    );
  }
  const ts = toTensors("einsum", operands);
  const dims = new Map<string, number>();
  subs.forEach((s, k) => {
    if (!/^[a-zA-Z]*$/.test(s) || new Set(s).size !== s.length || s.length !== ts[k].rank) {
      throw new Error(
        `einsum: subscripts "${s}" do not fit operand ${k} of shape ${fmtShape(ts[k].shape)}: ` +
          `give one distinct letter per axis (repeated indices and ... are not supported)`,
      );
    }
    [...s].forEach((ch, i) => {
      const d = ts[k].shape[i];
      if (dims.has(ch) && dims.get(ch) !== d) {
        throw new Error(
          `einsum: index ${ch} has length ${dims.get(ch)} in one place and ${d} in another`,
        );
      }
      dims.set(ch, d);
    });
  });
  const counts = [...subs.join("")].reduce(
    (m, ch) => m.set(ch, (m.get(ch) ?? 0) + 1),
    new Map<string, number>(),
  );
  const out = rhs ?? [...counts.keys()].filter((ch) => counts.get(ch) === 1).sort().join("");
  for (const ch of out) {
    if (!dims.has(ch)) throw new Error(`einsum: output index ${ch} appears in no operand`);
  }
  // Sum away the indices that appear in one operand only and not in the output.
  const reduced = subs.map((s, k) => {
    const other = subs[1 - k] ?? "";
    const gone = [...s].filter((ch) => !out.includes(ch) && !other.includes(ch));
    const keep = [...s].filter((ch) => !gone.includes(ch)).join("");
    const axes = gone.map((ch) => s.indexOf(ch)).sort((x, y) => x - y);
    const t = gone.length ? reduceSum(ts[k], axes, false) : ts[k];
    return { s: keep, t };
  });
  if (reduced.length === 1) {
    const { s, t } = reduced[0];
    return transpose(t, [...out].map((ch) => s.indexOf(ch)));
  }
  const [A, B] = reduced;
  const batch = [...out].filter((ch) => A.s.includes(ch) && B.s.includes(ch));
  const contract = [...A.s].filter((ch) => B.s.includes(ch) && !out.includes(ch));
  const fa = [...A.s].filter((ch) => !B.s.includes(ch));
  const fb = [...B.s].filter((ch) => !A.s.includes(ch));
  const size = (chs: string[]) => sizeOf(chs.map((ch) => dims.get(ch)!));
  const a3 = reshape(transpose(A.t, [...batch, ...fa, ...contract].map((ch) => A.s.indexOf(ch))), [
    size(batch),
    size(fa),
    size(contract),
  ]);
  const b3 = reshape(transpose(B.t, [...batch, ...contract, ...fb].map((ch) => B.s.indexOf(ch))), [
    size(batch),
    size(contract),
    size(fb),
  ]);
  const order = [...batch, ...fa, ...fb];
  const r = reshape(matmul(a3, b3), order.map((ch) => dims.get(ch)!));
  return transpose(r, [...out].map((ch) => order.indexOf(ch)));
}
