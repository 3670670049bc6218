/** Helpers that turn a kernel and a derivative into a primitive, for the common shapes of op. */
import { broadcasting } from "./_batch.ts";
import { bind, type Primitive } from "../core/dispatch.ts";
import { type DType, isFloat, scratchScalar } from "../core/dtype.ts";
import { toTensor, toTensorPair } from "../core/convert.ts";
import { dataOf, Tensor, type TensorLike, uniformTensor, uniformValue } from "../core/tensor.ts";
import { broadcastShapes, sameShape } from "../core/shape.ts";
import { type BinaryLoop, mapBinary } from "../core/kernels/elementwise.ts";

/** Throws unless `x` has a floating dtype; `op` names the caller. */
export function requireFloat(op: string, x: Tensor): void {
  if (!isFloat(x.dtype)) {
    throw new TypeError(
      `${op}: expects a float32 or float64 tensor, got ${x.dtype}: cast it with cast(x, "float32")`,
    );
  }
}

/**
 * Throws if `x` is bool, which has no arithmetic; `op` names the public op, so a composite can
 * check up front rather than let an inner op's name reach the user.
 *
 * @example Refusing a bool tensor
 * ```ts
 * import assert from "node:assert/strict";
 * import { constant } from "@gradtape/gradtape";
 * import { requireNumeric } from "./_define.ts";
 * assert.throws(() => requireNumeric("square", constant([true])), /square: no arithmetic on bool/);
 * ```
 */
export function requireNumeric(op: string, x: Tensor): void {
  if (x.dtype === "bool") {
    throw new TypeError(
      `${op}: no arithmetic on bool tensors: cast them first, e.g. cast(x, "float32")`,
    );
  }
}

/** What a binary primitive needs; rules see the already broadcast output. */
export interface BinarySpec {
  loop: BinaryLoop;
  /** The output dtype when it is not the inputs' (comparisons give bool). */
  outDtype?: DType;
  jvp?: Primitive<void>["jvp"];
  vjp?: Primitive<void>["vjp"];
  /** Values `e` with `e op x = x` (left) or `x op e = x` (right) exactly, for every x. */
  identity?: { left?: number; right?: number };
}

/** A binary elementwise primitive with numpy broadcasting. */
export function binaryPrim(name: string, spec: BinarySpec): Primitive<void> {
  return {
    name,
    kernel(inputs) {
      const a = inputs[0], b = inputs[1];
      if (spec.outDtype === undefined && a.dtype === "bool") {
        throw new TypeError(
          `${name}: no arithmetic on bool tensors: cast them first, e.g. cast(x, "float32")`,
        );
      }
      const dtype = spec.outDtype ?? a.dtype;
      const ua = uniformValue(a), ub = uniformValue(b);
      if (ua !== undefined || ub !== undefined) {
        const out = uniformBinary(name, spec, a, ua, b, ub, dtype);
        if (out !== null) return out;
      }
      const [data, shape] = mapBinary(
        name,
        dataOf(a),
        a.shape,
        dataOf(b),
        b.shape,
        dtype,
        spec.loop,
      );
      return new Tensor(data, shape, dtype);
    },
    jvp: spec.jvp ?? null,
    vjp: spec.vjp ?? null,
    batch: broadcasting,
  };
}

const NO_SHAPE: readonly number[] = Object.freeze([]);

// NOTE: a uniform operand (a broadcast scalar, as the cotangent of every sum) is used as the
// scalar it is, never made dense; an identity (× 1) shares the other operand's data.
function uniformBinary(
  name: string,
  spec: BinarySpec,
  a: Tensor,
  ua: number | undefined,
  b: Tensor,
  ub: number | undefined,
  dtype: DType,
): Tensor | null {
  const shape = broadcastShapes(name, a.shape, b.shape);
  if (ua !== undefined && ub !== undefined) {
    // Scalars in, a scalar out: no array is made until someone reads the result's data.
    const out = scratchScalar(dtype, 0, 2);
    const sa = scratchScalar(a.dtype, ua, 0), sb = scratchScalar(b.dtype, ub, 1);
    spec.loop(out, 0, sa, 0, 0, sb, 0, 0, 1);
    return uniformTensor(out[0], shape, dtype);
  }
  const left = ua !== undefined;
  const other = left ? b : a;
  if (other.shape !== shape && !sameShape(other.shape, shape)) return null;
  const u = left ? ua : ub!;
  if (other.dtype === dtype && Object.is(u, left ? spec.identity?.left : spec.identity?.right)) {
    return new Tensor(dataOf(other), shape, dtype);
  }
  const [data] = left
    ? mapBinary(name, scratchScalar(a.dtype, u, 0), NO_SHAPE, dataOf(b), b.shape, dtype, spec.loop)
    : mapBinary(name, dataOf(a), a.shape, scratchScalar(b.dtype, u, 1), NO_SHAPE, dtype, spec.loop);
  return new Tensor(data, shape, dtype);
}

/** Wraps a binary primitive as a public op (plain numbers take the other operand's dtype). */
export function binaryOp(prim: Primitive<void>): (a: TensorLike, b: TensorLike) => Tensor {
  return (a, b) =>
    bind(
      prim,
      a instanceof Tensor && b instanceof Tensor && a.dtype === b.dtype
        ? [a, b]
        : toTensorPair(prim.name, a, b),
      undefined,
    );
}

/** Wraps a one-input primitive without attributes as a public op. */
export function unaryOp(prim: Primitive<void>): (x: TensorLike) => Tensor {
  return (x) => bind(prim, [x instanceof Tensor ? x : toTensor(x, { op: prim.name })], undefined);
}
