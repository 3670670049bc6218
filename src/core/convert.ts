/** Conversion of `TensorLike` values (numbers, nested arrays, typed arrays, variables) to tensors. */
import { checkInt32, convertData, type DType, dtypeOfArray, type TypedArray } from "./dtype.ts";
import { describeValue } from "./check.ts";
import { dtypesDiffer } from "./_dtypes_differ.ts";
import { keepTensor, Tensor, type TensorLike } from "./tensor.ts";
import type { Variable } from "./variable.ts";

/** Options of `toTensor`. */
export interface ToTensorOptions {
  /** The dtype for plain numbers and arrays (default: `float32`, or `bool` for booleans). */
  dtype?: DType;
  /** The op name for error messages. */
  op?: string;
}

// variable.ts imports this module, so it installs its class and read here rather than this
// module importing it back (an import cycle); no Variable exists before variable.ts has run.
let VariableClass: abstract new (...args: never[]) => Variable = class {} as never;
let readVariable: (v: Variable) => Tensor;

/** Lets `variable.ts` say what a variable is and how an op reads it (tapes see it). Internal. */
export function installVariable(
  cls: abstract new (...args: never[]) => Variable,
  read: (v: Variable) => Tensor,
): void {
  VariableClass = cls;
  readVariable = read;
}

let packTensors: ((op: string, items: readonly unknown[]) => Tensor) | undefined;

/** Lets `src/ops` say how an array of tensors becomes one tensor (a differentiable stack). */
export function installPacker(fn: (op: string, items: readonly unknown[]) => Tensor): void {
  packTensors = fn;
}

/** Converts `x` to a tensor: tensors pass through, variables are read, the rest are copied. */
export function toTensor(x: TensorLike, options: ToTensorOptions = {}): Tensor {
  if (x instanceof Tensor) return x;
  if (x instanceof VariableClass) return readVariable(x);
  const op = options.op ?? "constant";
  if (typeof x === "number" || typeof x === "boolean") {
    const dtype = options.dtype ?? (typeof x === "boolean" ? "bool" : "float32");
    if (dtype === "int32") checkInt32(op, [Number(x)]);
    return new Tensor(convertData([Number(x)], dtype), [], dtype);
  }
  const arrayDtype = dtypeOfArray(x);
  if (arrayDtype !== undefined) {
    const t = x as TypedArray;
    const dtype = options.dtype ?? arrayDtype;
    // Only floats can hold what int32 cannot; int32 and bool sources need no scan.
    if (dtype === "int32" && (arrayDtype === "float32" || arrayDtype === "float64")) {
      checkInt32(op, t);
    }
    return new Tensor(convertData(t, dtype), [t.length], dtype);
  }
  if (Array.isArray(x)) return fromNested(op, x, options.dtype);
  throw new TypeError(
    `${op}: cannot make a tensor from ${describeValue(x)}: ` +
      `pass a number, a boolean, a typed array, a nested array, a Tensor or a Variable`,
  );
}

function holdsTensor(x: unknown): boolean {
  if (x instanceof Tensor || x instanceof VariableClass) return true;
  return Array.isArray(x) && x.some(holdsTensor);
}

function fromNested(op: string, x: readonly unknown[], dtype: DType | undefined): Tensor {
  const shape: number[] = [];
  for (let level: unknown = x; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const values: number[] = [];
  let sawBool = false;
  let sawNumber = false;
  let sawTensor = false;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) {
        throw new Error(
          `${op}: ragged nested array: element ${path} is an array, but its siblings are not; ` +
            `every row must have the same length`,
        );
      }
      if (typeof v === "number") sawNumber = true;
      else if (typeof v === "boolean") sawBool = true;
      else if (v instanceof Tensor || v instanceof VariableClass) sawTensor = true;
      else {
        throw new TypeError(
          `${op}: element ${path} is ${describeValue(v)}: expected a number or a boolean`,
        );
      }
      values.push(Number(v));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const len = Array.isArray(v) ? `has length ${v.length}` : "is not an array";
      throw new Error(
        `${op}: ragged nested array: element ${path} ${len}, but ${shape[depth]} was expected ` +
          `from the first row; every row must have the same length`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  try {
    walk(x, 0, "");
  } catch (e) {
    // Tensors beside arrays (`[[1, 2], t]`) look ragged to the walk, which expects numbers at
    // one depth; stacking checks their shapes instead.
    if (!holdsTensor(x)) throw e;
    sawTensor = true;
  }
  if (sawTensor) {
    if (packTensors === undefined) throw new Error(`${op}: cannot pack tensors here`);
    return packTensors(op, x);
  }
  const dt = dtype ?? (sawBool && !sawNumber ? "bool" : "float32");
  if (dt === "int32") checkInt32(op, values);
  return new Tensor(convertData(values, dt), shape, dt);
}

// Plain numbers met by ops (the 3 in 3·x, the 1 in a rule's y - 1) recur constantly; tensors
// are immutable, so each (value, dtype) becomes one shared scalar. Only op arguments use it:
// `constant` and `toTensor` always make a fresh tensor, which a tape may watch.
const SCALAR_CACHE_LIMIT = 256;
const scalars = new Map<string, Map<number, Tensor>>();

function opScalar(v: number, dtype: DType, op: string): Tensor {
  let byValue = scalars.get(dtype);
  if (byValue === undefined) scalars.set(dtype, byValue = new Map());
  let t = byValue.get(v);
  if (t === undefined || Object.is(v, -0)) {
    t = toTensor(v, { dtype, op });
    if (byValue.size < SCALAR_CACHE_LIMIT && !Object.is(v, -0)) {
      byValue.set(v, t);
      keepTensor(t);
    }
  }
  return t;
}

function argToTensor(x: TensorLike, dtype: DType | undefined, op: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number" && dtype !== undefined && dtype !== "int32") {
    return opScalar(x, dtype, op);
  }
  return toTensor(x, { dtype, op });
}

/** `toTensors(op, [a, b])` for the two operands of a binary op, without the general loops. */
export function toTensorPair(op: string, a: TensorLike, b: TensorLike): Tensor[] {
  const ta = a instanceof Tensor ? a : a instanceof VariableClass ? readVariable(a) : null;
  if (ta === null || isWeakScalar(ta)) return toTensors(op, [ta ?? a, b]);
  const tb = b instanceof Tensor
    ? b
    : b instanceof VariableClass
    ? readVariable(b)
    : argToTensor(b, ta.dtype, op);
  if (tb.dtype !== ta.dtype) return toTensors(op, [ta, tb]);
  return [ta, tb];
}

/** What `jit` registers: its traced JavaScript numbers (weak scalars) and their cast. Internal. */
export interface WeakScalars {
  is(t: Tensor): boolean;
  cast(t: Tensor, dtype: DType): Tensor;
}

let weak: WeakScalars | undefined;

/** Registers `jit`'s weak scalars, which take their partner's dtype as numbers do. Internal. */
export function registerWeakScalars(w: WeakScalars): void {
  weak = w;
}

// Whether `t` is a number traced by jit. Such a number is a float64 scalar, which is asked first:
// binary ops with a tensor and a number call this at every op (W1's tape: 4 % of its time).
function isWeakScalar(t: Tensor): boolean {
  return t.dtype === "float64" && t.rank === 0 && weak !== undefined && weak.is(t);
}

// A number traced by jit takes the dtype of the first other tensor, as the number would have.
function castWeak(out: Tensor[]): void {
  const strong = out.find((t) => !weak!.is(t));
  if (strong === undefined) return;
  for (let i = 0; i < out.length; i++) {
    if (out[i].dtype !== strong.dtype && weak!.is(out[i])) {
      out[i] = weak!.cast(out[i], strong.dtype);
    }
  }
}

/**
 * Converts several op arguments at once: plain numbers and arrays take the dtype of the first
 * tensor or variable among them (as in TensorFlow), then every dtype must agree.
 */
export function toTensors(op: string, xs: readonly TensorLike[]): Tensor[] {
  let dtype: DType | undefined;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    // A number traced by jit is a number still: it gives no dtype to the others.
    if ((x instanceof Tensor && !isWeakScalar(x)) || x instanceof VariableClass) {
      dtype = x.dtype;
      break;
    }
  }
  const out = new Array<Tensor>(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = argToTensor(xs[i], dtype, op);
  if (weak !== undefined) castWeak(out);
  for (let i = 1; i < out.length; i++) {
    if (out[i].dtype !== out[0].dtype) {
      throw new TypeError(dtypesDiffer(op, out[0].dtype, out[i].dtype));
    }
  }
  return out;
}
