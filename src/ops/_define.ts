/** Helpers that turn a kernel and a derivative into a primitive, for the common shapes of op. */
import { broadcasting } from "./_batch.ts";
import { type Aval, bind, type Kernel, type Operand, type Primitive } from "../core/dispatch.ts";
import { canGenerate, elementwiseLoops, isTrailing } from "../core/kernels/generated.ts";
import {
  type LoopInput,
  V,
  type VectorLoop,
  vectorLoop,
  vectorLoops,
  type VNode,
} from "../core/kernels/wasm/vector.ts";
import { type DType, isFloat, scratchScalar } from "../core/dtype.ts";
import { dtypesDiffer } from "../core/_dtypes_differ.ts";
import { toTensor, toTensorPair } from "../core/convert.ts";
import {
  Tensor,
  type TensorLike,
  uniformTensor,
  uniformValue,
  viewTensor,
} from "../core/tensor.ts";
import { broadcastShapes, sameShape } from "../core/shape.ts";
import { type BinaryLoop, mapBinary } from "../core/kernels/elementwise.ts";

/** Throws unless `x` (a tensor, or a shape rule's input) has a floating dtype; `op` names it. */
export function requireFloat(op: string, x: Aval): void {
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
export function requireNumeric(op: string, x: Aval): void {
  if (x.dtype === "bool") {
    throw new TypeError(
      `${op}: no arithmetic on bool tensors: cast them first, e.g. cast(x, "float32")`,
    );
  }
}

/**
 * Throws unless `a` and `b` (tensors, or a shape rule's inputs) have one dtype; `op` names the
 * caller. The message is the one `toTensors` gives when converting arguments.
 *
 * @example Refusing float32 against float64
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireSameDtype } from "./_define.ts";
 * const a = { shape: [2], dtype: "float32" } as const, b = { shape: [2], dtype: "float64" } as const;
 * requireSameDtype("add", a, a);
 * assert.throws(() => requireSameDtype("add", a, b), /add: dtypes differ: float32 and float64/);
 * ```
 */
export function requireSameDtype(op: string, a: Aval, b: Aval): void {
  if (a.dtype !== b.dtype) {
    throw new TypeError(dtypesDiffer(op, a.dtype, b.dtype));
  }
}

/**
 * A scalar formula (see `Primitive.scalar`): a JavaScript expression of the inputs' expressions
 * for an output of `dtype`. Each argument is a primary expression (a name, an element read such
 * as `x[i]`, a call, or a parenthesized expression), and so is the result, so formulas nest.
 * For an int32 output the result is already an int32 (wrapped with `| 0` where it could leave
 * the range), for a bool output 0 or 1, as the kernel's store would make them.
 *
 * @example A loop generated from add's formula
 * ```ts
 * import assert from "node:assert/strict";
 * import { primitives } from "../ops/registry.ts";
 * const body = primitives.add.scalar!(["a[i]", "b[i]"], "int32");
 * assert.equal(body, "((a[i] + b[i]) | 0)");
 * const loop = new Function("a", "b", "o", `for (let i = 0; i < o.length; i++) o[i] = ${body};`);
 * const o = new Float64Array(2);
 * loop([1, 2 ** 31 - 1], [2, 1], o);
 * assert.deepEqual([...o], [3, -(2 ** 31)]);
 * ```
 */
export type ScalarFormula = (args: readonly string[], dtype: DType) => string;

/**
 * An elementwise primitive's cpu kernel: loops generated from its scalar formula (one per layout
 * and dtypes, see `generated.ts`), or `reference`, the hand-written loop, where the runtime
 * forbids generating code.
 *
 * @example Generated from the formula, agreeing with the reference
 * ```ts
 * import assert from "node:assert/strict";
 * import { elementwiseKernel } from "./_define.ts";
 * const reference = () => assert.fail("not used where code can be generated");
 * const kernel = elementwiseKernel("square", ([x]) => `(${x} * ${x})`, 1, reference);
 * const out = new Float32Array(3);
 * const x = { data: new Float32Array([1, 2, 3]), shape: [3], dtype: "float32" } as const;
 * kernel([x], { data: out, shape: [3], dtype: "float32" }, undefined);
 * assert.deepEqual([...out], [1, 4, 9]);
 * ```
 */
export function elementwiseKernel<A>(
  name: string,
  formula: ScalarFormula,
  arity: number,
  reference: Kernel<A>,
  vector?: Primitive<void>["vector"],
): Kernel<A> {
  if (!canGenerate) return reference;
  const loops = elementwiseLoops(name, arity, (dtype) => (args) => formula(args, dtype));
  const simd = vector === undefined ? null : vectorKernel(vector, arity);
  return (inputs, out) => {
    if (simd === null || !simd(inputs, out)) loops.run(out.data, out.shape, out.dtype, inputs);
  };
}

// NOTE: a float32 op of 1,024 to 131,072 elements runs its vector formula as a generated SIMD loop
// (the jit's, copying its operands through the kernels' memory), which rounds as its JavaScript
// loop does: relu of 32,768 floats took 120–160 µs as the branch-free JavaScript loop and 60–70
// as a SIMD loop with its copies, add 83–142 against 50–94, divide 102–141 against 56–57. The
// loops alone: add 0.92 of the JavaScript loop's time at 1,024 elements, 0.45–0.53 from 4,096 to
// 65,536, 0.94 at 262,144 and 1.21 at 2²⁰, where the copies' memory traffic (three times the
// loop's) outweighs the lanes (W6 eager took 1.26× its time).
const EAGER_SIMD_MIN = 1024;
const EAGER_SIMD_MAX = 1 << 17;

/**
 * The float32 kernel of an elementwise op as a SIMD loop of its vector formula: runs it and
 * returns true where it applies (float32 operands of 1,024 to 131,072 elements, each of the
 * output's length, a single value or a row repeated along it), else returns false.
 */
export function vectorKernel(
  vector: (args: readonly VNode[], dtype: DType) => VNode,
  arity: number,
): (inputs: readonly Operand[], out: Operand) => boolean {
  const loops = new Map<string, VectorLoop | null>();
  const args = Array.from({ length: arity }, (_, k) => V.input(k));
  return (inputs, out) => {
    const n = out.data.length;
    if (out.dtype !== "float32" || n < EAGER_SIMD_MIN || n > EAGER_SIMD_MAX) return false;
    if (!vectorLoops()) return false;
    const kinds: LoopInput[] = [];
    for (const x of inputs) {
      const len = x.data.length;
      if (x.dtype !== "float32") return false;
      if (len === n) kinds.push(ARRAY32);
      else if (len === 1) kinds.push(SINGLE32);
      else if (len % 4 === 0 && isTrailing(x.shape, out.shape)) {
        kinds.push({ kind: "row", dtype: "float32", period: len });
      } else return false;
    }
    const key = kinds.map((k) => k.period ?? k.kind).join(" ");
    let loop = loops.get(key);
    if (loop === undefined) loops.set(key, loop = vectorLoop(vector(args, "float32"), kinds));
    return loop !== null &&
      loop(out.data as Float32Array, inputs.map((x) => x.data as Float32Array), n);
  };
}

const ARRAY32: LoopInput = { kind: "array", dtype: "float32" };
const SINGLE32: LoopInput = { kind: "single", dtype: "float32" };

/** What a binary primitive needs; rules see the already broadcast output. */
export interface BinarySpec {
  loop: BinaryLoop;
  /** The scalar formula, agreeing with `loop` (see `ScalarFormula`). */
  scalar: ScalarFormula;
  /** The output dtype when it is not the inputs' (comparisons give bool). */
  outDtype?: DType;
  jvp?: Primitive<void>["jvp"];
  vjp?: Primitive<void>["vjp"];
  /** Values `e` with `e op x = x` (left) or `x op e = x` (right) exactly, for every x. */
  identity?: { left?: number; right?: number };
  /** The op on float32 lanes, as the float32 kernel rounds it (see `Primitive.vector`). */
  vector?: Primitive<void>["vector"];
}

/**
 * The shape rule of an elementwise op of two inputs with numpy broadcasting: one dtype for both
 * (`bool` refused when `arithmetic`), the broadcast shape, and `outDtype` or the inputs' dtype.
 * Returns an input itself when the output has its shape and dtype (nothing is allocated).
 *
 * @example Broadcasting a row against a matrix, and refusing bool arithmetic
 * ```ts
 * import assert from "node:assert/strict";
 * import { binaryShape } from "./_define.ts";
 * const m = { shape: [2, 3], dtype: "float32" } as const;
 * assert.equal(binaryShape("add", m, { shape: [3], dtype: "float32" }, true, undefined), m);
 * assert.deepEqual(binaryShape("less", m, m, false, "bool"), { shape: [2, 3], dtype: "bool" });
 * const b = { shape: [], dtype: "bool" } as const;
 * assert.throws(() => binaryShape("add", b, b, true, undefined), /add: no arithmetic on bool/);
 * ```
 */
export function binaryShape(
  name: string,
  a: Aval,
  b: Aval,
  arithmetic: boolean,
  outDtype: DType | undefined,
): Aval {
  if (arithmetic && a.dtype === "bool") {
    throw new TypeError(
      `${name}: no arithmetic on bool tensors: cast them first, e.g. cast(x, "float32")`,
    );
  }
  requireSameDtype(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const dtype = outDtype ?? a.dtype;
  if (dtype === a.dtype) {
    if (shape === a.shape) return a;
    if (shape === b.shape) return b;
  }
  return { shape, dtype };
}

/** A binary elementwise primitive with numpy broadcasting. */
export function binaryPrim(name: string, spec: BinarySpec): Primitive<void> {
  const arithmetic = spec.outDtype === undefined;
  const outDtype = spec.outDtype;
  return {
    name,
    shape: (inputs) => binaryShape(name, inputs[0], inputs[1], arithmetic, outDtype),
    scalar: spec.scalar,
    identity: spec.identity,
    vector: spec.vector,
    shortcut: (inputs, out) => uniformBinary(spec, inputs[0], inputs[1], out),
    kernels: {
      cpu: elementwiseKernel(
        name,
        spec.scalar,
        2,
        ([a, b], out) =>
          mapBinary(out.data, out.shape, a.data, a.shape, b.data, b.shape, spec.loop),
        spec.vector,
      ),
    },
    jvp: spec.jvp ?? null,
    vjp: spec.vjp ?? null,
    batch: broadcasting,
  };
}

// NOTE: scalars in give a scalar out, and an identity (× 1) shares the other operand's values:
// neither allocates (a tape's scalar steps, the ones of every sum's cotangent).
function uniformBinary(spec: BinarySpec, a: Tensor, b: Tensor, out: Aval): Tensor | undefined {
  const ua = uniformValue(a), ub = uniformValue(b);
  if (ua === undefined && ub === undefined) return undefined;
  const { shape, dtype } = out;
  if (ua !== undefined && ub !== undefined) {
    const o = scratchScalar(dtype, 0, 2);
    spec.loop(o, 0, scratchScalar(a.dtype, ua, 0), 0, 0, scratchScalar(b.dtype, ub, 1), 0, 0, 1);
    return uniformTensor(o[0], shape, dtype);
  }
  const left = ua !== undefined;
  const other = left ? b : a;
  if (other.dtype !== dtype || (other.shape !== shape && !sameShape(other.shape, shape))) {
    return undefined;
  }
  const identity = left ? spec.identity?.left : spec.identity?.right;
  return Object.is(left ? ua : ub, identity) ? viewTensor(other, shape, dtype) : undefined;
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
