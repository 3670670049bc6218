/** Linear algebra: `matmul` (2-D and batched, with transposes folded into the kernel). */
import { bind, type Primitive } from "../core/dispatch.ts";
import { toTensors } from "../core/convert.ts";
import { dataOf, Tensor, type TensorLike } from "../core/tensor.ts";
import { matmulKernel } from "../core/kernels/matmul.ts";
import { add } from "./binary.ts";
import { sumTo } from "./movement.ts";
import { requireFloat } from "./_define.ts";
import { lift } from "./_batch.ts";

interface MatmulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Options of `matmul`. */
export interface MatmulOptions {
  /** Use the transpose of `a`'s last two axes (default false). */
  transposeA?: boolean;
  /** Use the transpose of `b`'s last two axes (default false). */
  transposeB?: boolean;
}

/** The linear-algebra primitives, by name. */
export const linalgPrims = {
  // d(A·B) = dA·B + A·dB; reverse: Ā = Ḡ·Bᵀ, B̄ = Aᵀ·Ḡ (each with the transposes folded in)
  matmul: {
    name: "matmul",
    kernel([a, b], { transposeA, transposeB }) {
      requireFloat("matmul", a);
      const [data, shape] = matmulKernel(
        dataOf(a),
        a.shape,
        dataOf(b),
        b.shape,
        transposeA,
        transposeB,
        a.dtype,
      );
      return new Tensor(data, shape, a.dtype);
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
  } satisfies Primitive<MatmulAttrs>,
};

/**
 * Matrix product of the last two axes, batched over the leading ones (which broadcast).
 *
 * @param a A tensor of rank ≥ 2, float32 or float64.
 * @param b A tensor of rank ≥ 2 and the same dtype.
 * @param options `transposeA` / `transposeB` to use either operand transposed, without copying.
 * @returns A tensor of shape `[...batch, m, n]`.
 * @example A 2×3 by 3×1 product
 * ```ts
 * import { matmul } from "@gradtape/gradtape";
 * console.log(matmul([[1, 2, 3], [4, 5, 6]], [[1], [0], [1]]).toArray()); // [[4], [10]]
 * ```
 */
export function matmul(a: TensorLike, b: TensorLike, options: MatmulOptions = {}): Tensor {
  const [ta, tb] = toTensors("matmul", [a, b]);
  return bind(linalgPrims.matmul, [ta, tb], {
    transposeA: options.transposeA ?? false,
    transposeB: options.transposeB ?? false,
  });
}
