/**
 * A differential test against TensorFlow.js 4.22 (tfjs-core with its CPU backend), which is a
 * development dependency only: the library never imports it.
 *
 * One table, one row per op and variant: both libraries get the same seeded float32 inputs (made
 * with `gt.random` and handed to tfjs through `tf.tensor(data, shape)`), and the row compares the
 * values and the first-order gradients, tfjs's `tf.grads` of ⟨f(x), ȳ⟩ against a `GradientTape`
 * with `outputGradients: ȳ`, for one fixed random cotangent ȳ. Where tfjs's own gradient is missing
 * or wrong, the row carries a `tfjsGradient` marker: the test checks that tfjs still throws or
 * disagrees (so the note stays true) and checks gradtape against finite differences in float64
 * instead. A second table does the same for second derivatives of the ops whose tfjs rule reuses
 * the op's output (tfjs issue 3252), and the tests after it pin down each difference in semantics.
 *
 * The ops of issue #14 that tfjs-core 4.22 has are compared too (it lacks erfc, lgamma, digamma,
 * xlogy, gelu, silu, softsign, sort, argsort, roll, repeat, clipByNorm, clipByGlobalNorm,
 * cumulativeLogSumExp, tensorScatterAdd/Max/Min, the segment reductions other than the sum,
 * sparseSoftmaxCrossEntropyWithLogits (compared with the dense loss instead) and gt.linalg's other
 * functions). Where they disagree, gradtape follows TensorFlow's documentation, except where noted:
 * - tfjs's gradient is missing for cumprod, topK, gatherNd, scatterNd, tensorScatterUpdate, diag
 *   and qr (built of ops, one of them Greater); wrong for cumsum along any axis but the last (its
 *   rule transposes the result: a throw, or for a square matrix a silently transposed gradient);
 *   and throws for bandPart of a single matrix (Unpack's rule, for an axis of length 1).
 * - Second derivatives: tfjs's rules for elu (EluGrad), selu, leakyRelu, relu6 and clipByValue
 *   (masks from comparisons) have no gradient, so nested tf.grad throws.
 * - Kinks: relu6'(6) is 1 and selu'(0) is scale·alpha in tfjs, 0 and scale in TensorFlow.
 * - floorDiv of floats returns int32 in tfjs (it wraps past 2³¹ and gives 0 for x/0), and its
 *   gradient is division's (TensorFlow has none); int32 floorDiv and mod by 0 give 0 in tfjs, an
 *   error in TensorFlow and gradtape.
 * - cumsum and cumprod misread a negative axis in tfjs (a result with an undefined dimension).
 * - norm: tfjs takes only ord 1, 2, ±∞ for vectors (TensorFlow any p > 0, and not -∞), and no
 *   matrix 2-norm.
 * - oneHot is int32 by default in tfjs (float32 in TensorFlow), without an axis option.
 * - unsortedSegmentSum: tfjs silently drops ids ≥ numSegments (an error in TensorFlow's CPU kernel
 *   and in gradtape) and misreads ids of rank 2 (TensorFlow takes any prefix of data's shape).
 * - topK with sorted: false orders its result differently (TensorFlow leaves it unspecified).
 * - qr: r's diagonal is non-negative in gradtape, signed as Householder leaves it in tfjs, whose
 *   r also keeps rounding residue below the diagonal; the rows compare them with the signs fixed.
 * - erf: tfjs's approximation has an absolute error near 1e-7, so tiny arguments lose all
 *   relative accuracy (erf(1e-10) is off tenfold).
 * - meshgrid takes two vectors in tfjs, any number in gradtape (and numpy and TensorFlow).
 * tfjs's booleanMask is asynchronous (booleanMaskAsync), so it has a test of its own.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as gt from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

// ---------------------------------------------------------------------------------------------
// Setting tfjs up.
//
// tfjs-core's CommonJS entry point, the one Deno (and Node) load, registers no gradients and no
// chained methods (`x.reshape(…)`, which reduceProd's gradient calls): both live in ES-module
// files under its dist/ folder whose extensionless imports only a bundler resolves, and it is
// @tensorflow/tfjs's bundle that normally brings them in. Without them every `tf.grads` throws
// "gradient function not found for Sum". So we load tfjs's own dist/register_all_gradients.js and
// the chained-op registrations here, binding each of their imports to what tfjs-core exports. A
// few internal helpers of the convolution, pooling and resizing gradients are not exported; they
// become functions that throw, and no op here reaches them (the last test checks the list).

type Module = Record<string, unknown>;
const tfDist = new URL(".", import.meta.resolve("@tensorflow/tfjs-core"));
const loadedFromDisk = ["gradients/", "public/chained_ops/", "register_all_gradients.js"]
  .map((p) => new URL(p, tfDist).href);
const tfExports = [tf, tf.backend_util, tf.util, tf.slice_util] as unknown as Module[];
const notExported = new Set<string>();
const publicNames: Module = new Proxy({}, {
  get(_, name) {
    for (const m of tfExports) {
      if (typeof name === "string" && m[name] !== undefined) return m[name];
    }
    notExported.add(String(name));
    return () => {
      throw new Error(`tfjs-core does not export ${String(name)}`);
    };
  },
});
const tfModules = new Map<string, Module>();

function tfImport(spec: string, from: string): Module {
  const url = new URL(spec.endsWith(".js") ? spec : `${spec}.js`, from).href;
  if (loadedFromDisk.some((d) => url.startsWith(d))) return tfModule(url);
  const file = url.slice(tfDist.href.length);
  if (file === "util.js") return tf.util as unknown as Module;
  if (file === "engine.js") return { ENGINE: tf.engine() };
  if (file === "tensor.js") return { getGlobalTensorClass: () => tf.Tensor };
  return publicNames;
}

function tfModule(url: string): Module {
  const known = tfModules.get(url);
  if (known) return known;
  const names: string[] = [];
  const call = (spec: string) => `__import(${JSON.stringify(spec)})`;
  const body = Deno.readTextFileSync(new URL(url))
    .replace(/^\/\/# sourceMappingURL=.*$/m, "")
    .replace(
      /^import\s+\*\s+as\s+(\w+)\s+from\s+'([^']+)';/gm,
      (_, ns, s) => `const ${ns} = ${call(s)};`,
    )
    .replace(
      /^import\s+\{([^}]*)\}\s+from\s+'([^']+)';/gm,
      (_, list: string, s) => `const {${list.replace(/\bas\b/g, ":")}} = ${call(s)};`,
    )
    .replace(/^import\s+'([^']+)';/gm, (_, s) => `${call(s)};`)
    .replace(/^export (const|function) (\w+)/gm, (_, kw, name) => {
      names.push(name);
      return `${kw} ${name}`;
    });
  const mod: Module = {};
  tfModules.set(url, mod);
  const run = new Function("__import", `${body}\nreturn { ${names.join(", ")} };`);
  Object.assign(mod, run((spec: string) => tfImport(spec, url)));
  return mod;
}

tfModule(new URL("register_all_gradients.js", tfDist).href);
tfModule(new URL("public/chained_ops/register_all_chained_ops.js", tfDist).href);
// PROD silences the "install tfjs-node" banner; in 4.22 it changes nothing else.
tf.env().set("PROD", true);
await tf.setBackend("cpu");

// ---------------------------------------------------------------------------------------------
// The table.

type GtFn = (...xs: gt.Tensor[]) => gt.Tensor | gt.Tensor[];
type TfFn = (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/** What tfjs's gradient does, where it does not match. */
type Marker = "missing" | `missing: ${string}` | `wrong: ${string}`;

interface Input {
  shape: number[];
  /** Uniform in [lo, hi); standard normal when absent. */
  range?: [number, number];
  /** Fixed values instead of random ones, for edge cases. */
  values?: number[];
  /** Rescale each row along the last axis to sum to 1 (labels for the softmax cross-entropy). */
  distribution?: boolean;
}

/** Tolerances of a comparison (default rtol 1e-5, atol 1e-6: float32 after a few roundings). */
interface Tol {
  rtol?: number;
  atol?: number;
}

interface Row extends Tol {
  /** The gradtape op first, then the variant. */
  name: string;
  inputs: Input[];
  gt: GtFn;
  tf: TfFn;
  /** The inputs to differentiate (default all of them; `[]` for ops without a gradient). */
  diff?: number[];
  /** tfjs's gradient for inputs `args` (default all) is missing or wrong; it throws `throws`. */
  tfjsGradient?: { marker: Marker; args?: number[]; throws?: RegExp };
}

const N = (...shape: number[]): Input => ({ shape });
const U = (lo: number, hi: number, ...shape: number[]): Input => ({ shape, range: [lo, hi] });
const V = (values: number[], ...shape: number[]): Input => ({ shape, values });
const P = (...shape: number[]): Input => ({ shape, range: [0.05, 1], distribution: true });
const x23 = N(2, 3), x234 = N(2, 3, 4), pos23 = U(0.5, 2, 2, 3);

const i32 = (values: number[], shape = [values.length]) => ({
  gt: gt.constant(values, { dtype: "int32", shape }),
  tf: tf.tensor(values, shape, "int32"),
});
const bool = (values: boolean[], shape: number[]) => ({
  gt: gt.constant(values, { dtype: "bool", shape }),
  tf: tf.tensor(values, shape, "bool"),
});

function unary(
  name: string,
  gtOp: (x: gt.Tensor) => gt.Tensor | gt.Tensor[],
  tfOp: (x: tf.Tensor) => tf.Tensor | tf.Tensor[],
  input: Input = x23,
  extra: Partial<Row> = {},
): Row {
  return { name, inputs: [input], gt: (x) => gtOp(x), tf: (x) => tfOp(x), ...extra };
}

function binary(
  name: string,
  gtOp: (a: gt.Tensor, b: gt.Tensor) => gt.Tensor | gt.Tensor[],
  tfOp: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor | tf.Tensor[],
  a: Input,
  b: Input,
  extra: Partial<Row> = {},
): Row {
  return { name, inputs: [a, b], gt: (x, y) => gtOp(x, y), tf: (x, y) => tfOp(x, y), ...extra };
}

// Comparisons see rounded inputs, so that ties occur.
function compare(
  name: string,
  gtOp: (a: gt.Tensor, b: gt.Tensor) => gt.Tensor,
  tfOp: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
): Row {
  const a = U(-2, 2, 3, 4), b = U(-2, 2, 4);
  return binary(
    name,
    (x, y) => gtOp(gt.round(x), gt.round(y)),
    (x, y) => tfOp(tf.round(x), tf.round(y)),
    a,
    b,
    { diff: [] },
  );
}

const tfFloorDiv = (a: tf.Tensor, b: tf.Tensor) => tf.cast(tf.floorDiv(a, b), "float32");

const missing = (op: string): Row["tfjsGradient"] => ({
  marker: "missing",
  throws: new RegExp(`gradient function not found for ${op}\\b`),
});
const cumsumRule: Row["tfjsGradient"] = {
  marker: "wrong: Cumsum's rule transposes its result for an axis other than the last",
  throws: /Error in gradient for op Cumsum\. The gradient of input 'x' has shape/,
};

// QR is unique up to the signs of R's diagonal: both libraries' results are compared with that
// diagonal made positive (q's columns and r's rows flipped together). gradtape's is positive
// already; tfjs's has the signs of its Householder reflections. A tall q's extra columns (with
// fullMatrices) are left as they come: unique up to sign, they agree on the row's input.
function gtPositiveQr([q, r]: gt.Tensor[]): gt.Tensor[] {
  const s = gt.sign(gt.linalg.diagPart(r));
  const pad = (to: number) => {
    const extra = to - s.shape[s.rank - 1];
    return extra ? gt.concat([s, gt.ones([...s.shape.slice(0, -1), extra])], -1) : s;
  };
  const cols = pad(q.shape[q.rank - 1]), rows = pad(r.shape[r.rank - 2]);
  return [gt.multiply(q, gt.expandDims(cols, -2)), gt.multiply(r, gt.expandDims(rows, -1))];
}

function tfPositiveQr([q, r]: tf.Tensor[]): tf.Tensor[] {
  const [m, n] = r.shape.slice(-2), d = Math.min(m, n);
  const diagonal = tf.sum(tf.mul(r, tf.eye(m, n)), -1);
  const s = tf.sign(tf.slice(diagonal, Array(r.rank - 1).fill(0), [...r.shape.slice(0, -2), d]));
  const pad = (to: number) =>
    to > d ? tf.concat([s, tf.ones([...s.shape.slice(0, -1), to - d])], -1) : s;
  const cols = pad(q.shape[q.rank - 1]), rows = pad(m);
  return [tf.mul(q, tf.expandDims(cols, -2)), tf.mul(r, tf.expandDims(rows, -1))];
}

const qrMissing: Row["tfjsGradient"] = {
  marker: "missing: tfjs's qr is built of ops, among them Greater, which has no gradient",
  throws: /gradient function not found for Greater/,
};

const cond23 = bool([true, false, false, true, true, false], [2, 3]);
const wrongBroadcast = (op: string): Row["tfjsGradient"] => ({
  marker: `wrong: ${op}'s rule does not sum the gradient back over broadcast axes`,
  throws: new RegExp(`Error in gradient for op ${op}\\. The gradient of input '[ab]' has shape`),
});
const einsumMissing: Row["tfjsGradient"] = {
  marker: "missing",
  throws: /gradient function not found for Einsum/,
};

function qrRow(name: string, input: Input): Row {
  return unary(
    name,
    (x) => gtPositiveQr(gt.linalg.qr(x)),
    (x) => tfPositiveQr(tf.linalg.qr(x)),
    input,
    { tfjsGradient: qrMissing },
  );
}

function einsumRow(eq: string, ...inputs: Input[]): Row {
  return {
    name: `einsum ${eq}`,
    inputs,
    gt: (...xs) => gt.einsum(eq, ...xs),
    tf: (...xs) => tf.einsum(eq, ...xs),
    tfjsGradient: einsumMissing,
  };
}

const rows: Row[] = [
  // Elementwise, one input.
  unary("negative", gt.negative, tf.neg),
  unary("abs", gt.abs, tf.abs), // away from 0: the gradient at 0 differs, see below
  unary("sign", gt.sign, tf.sign, x23, { diff: [] }),
  unary("square", gt.square, tf.square),
  unary("sqrt", gt.sqrt, tf.sqrt, pos23),
  unary("sqrt at 0", gt.sqrt, tf.sqrt, V([0, 0.25, 4], 3)), // the gradient is Infinity in both
  unary("rsqrt", gt.rsqrt, tf.rsqrt, pos23),
  unary("exp", gt.exp, tf.exp),
  unary("expm1", gt.expm1, tf.expm1),
  unary("log", gt.log, tf.log, pos23),
  unary("log1p", gt.log1p, tf.log1p, U(-0.5, 2, 2, 3)),
  unary("sin", gt.sin, tf.sin),
  unary("cos", gt.cos, tf.cos),
  unary("tan", gt.tan, tf.tan, U(-1.2, 1.2, 2, 3)),
  unary("tanh", gt.tanh, tf.tanh),
  unary("sigmoid", gt.sigmoid, tf.sigmoid),
  unary("relu", gt.relu, tf.relu),
  unary("relu at 0", gt.relu, tf.relu, V([0, -0, 1, -1], 4)), // relu'(0) = 0 in both
  unary("softplus", gt.softplus, tf.softplus, U(-30, 30, 3, 4)),
  unary("floor", gt.floor, tf.floor, U(-3, 3, 2, 3), { diff: [] }),
  unary("ceil", gt.ceil, tf.ceil, U(-3, 3, 2, 3), { diff: [] }),
  unary("round", gt.round, tf.round, U(-3, 3, 2, 3), { diff: [] }),
  unary("round half to even", gt.round, tf.round, V([0.5, 1.5, 2.5, -1.5, -2.5, 3.5], 6), {
    diff: [],
  }),

  // Elementwise, two inputs, with broadcasting.
  binary("add", gt.add, tf.add, x23, x23),
  binary("add (row)", gt.add, tf.add, x23, N(3)),
  binary("add (column and row)", gt.add, tf.add, N(2, 1), N(1, 3)),
  binary("add (scalar)", gt.add, tf.add, N(), x23),
  binary("subtract", gt.subtract, tf.sub, x23, N(2, 1)),
  binary("multiply", gt.multiply, tf.mul, x23, N(3)),
  binary("multiply (rank 3 and 2)", gt.multiply, tf.mul, N(4, 1, 3), N(2, 3)),
  binary("divide", gt.divide, tf.div, x23, U(0.5, 2, 2, 3)),
  binary("divide (broadcast)", gt.divide, tf.div, N(2, 1), U(0.5, 2, 3)),
  binary("pow", gt.pow, tf.pow, pos23, x23),
  binary("pow (broadcast)", gt.pow, tf.pow, pos23, N(3)),
  // 0², 0⁰, (-2)², 2^0.5: 0⁰'s base gradient is 0·0⁻¹ = NaN in both, and the exponent's gradient
  // is 0 wherever the base is not positive in both.
  // 0⁰ has its own test below: d(x⁰)/dx at 0 is 0 in gradtape, NaN in tfjs.
  binary("pow at 0 and below", gt.pow, tf.pow, V([0, 0, -2, 2], 4), V([2, 1, 2, 0.5], 4)),
  binary("maximum", gt.maximum, tf.maximum, x23, x23),
  binary("maximum (ties)", gt.maximum, tf.maximum, V([1, 2, 3], 3), V([1, 0, 3], 3)), // to a
  binary("maximum (broadcast)", gt.maximum, tf.maximum, x23, N(3), {
    tfjsGradient: wrongBroadcast("Maximum"),
  }),
  binary("minimum", gt.minimum, tf.minimum, x23, x23),
  binary("minimum (ties)", gt.minimum, tf.minimum, V([1, 2, 3], 3), V([1, 5, 3], 3)), // to a
  binary("minimum (broadcast)", gt.minimum, tf.minimum, N(2, 1), N(1, 3), {
    tfjsGradient: wrongBroadcast("Minimum"),
  }),
  binary("squaredDifference", gt.squaredDifference, tf.squaredDifference, x23, x23),
  binary("squaredDifference (broadcast)", gt.squaredDifference, tf.squaredDifference, x23, N(3), {
    tfjsGradient: wrongBroadcast("SquaredDifference"),
  }),
  compare("equal", gt.equal, tf.equal),
  compare("notEqual", gt.notEqual, tf.notEqual),
  compare("less", gt.less, tf.less),
  compare("lessEqual", gt.lessEqual, tf.lessEqual),
  compare("greater", gt.greater, tf.greater),
  compare("greaterEqual", gt.greaterEqual, tf.greaterEqual),
  compare(
    "logicalAnd",
    (a, b) => gt.logicalAnd(gt.greater(a, 0), gt.greater(b, 0)),
    (a, b) => tf.logicalAnd(tf.greater(a, 0), tf.greater(b, 0)),
  ),
  compare(
    "logicalOr",
    (a, b) => gt.logicalOr(gt.greater(a, 0), gt.greater(b, 0)),
    (a, b) => tf.logicalOr(tf.greater(a, 0), tf.greater(b, 0)),
  ),
  unary(
    "logicalNot",
    (a) => gt.logicalNot(gt.greater(a, 0)),
    (a) => tf.logicalNot(tf.greater(a, 0)),
    x23,
    { diff: [] },
  ),
  binary(
    "where",
    (a, b) => gt.where(cond23.gt, a, b),
    (a, b) => tf.where(cond23.tf, a, b),
    x23,
    x23,
  ),
  {
    name: "where (condition, a and b all broadcast)",
    inputs: [N(2, 1), N(1, 3), N(3)],
    gt: (c, a, b) => gt.where(gt.greater(c, 0), a, b),
    tf: (c, a, b) => tf.where(tf.greater(c, 0), a, b),
    diff: [1, 2],
  },
  {
    name: "addN",
    inputs: [x23, x23, x23],
    gt: (...xs) => gt.addN(xs),
    tf: (...xs) => tf.addN(xs),
  },
  unary(
    "cast to int32 (truncates)",
    (x) => gt.cast(x, "int32"),
    (x) => tf.cast(x, "int32"),
    U(-5, 5, 2, 3),
    { diff: [] },
  ),
  unary("cast float32 to float32", (x) => gt.cast(x, "float32"), (x) => tf.cast(x, "float32")),

  // Reductions.
  unary("reduceSum", (x) => gt.reduceSum(x), (x) => tf.sum(x), x234),
  unary("reduceSum (axis 1)", (x) => gt.reduceSum(x, 1), (x) => tf.sum(x, 1), x234),
  unary(
    "reduceSum (axes [0, 2], keepDims)",
    (x) => gt.reduceSum(x, [0, 2], true),
    (x) => tf.sum(x, [0, 2], true),
    x234,
  ),
  unary("reduceSum (axis -1)", (x) => gt.reduceSum(x, -1), (x) => tf.sum(x, -1), x234),
  unary("reduceMean", (x) => gt.reduceMean(x), (x) => tf.mean(x), x234),
  unary(
    "reduceMean (axes [0, 2])",
    (x) => gt.reduceMean(x, [0, 2]),
    (x) => tf.mean(x, [0, 2]),
    x234,
  ),
  unary(
    "reduceMean (axis -1, keepDims)",
    (x) => gt.reduceMean(x, -1, true),
    (x) => tf.mean(x, -1, true),
    x234,
  ),
  unary("reduceMax", (x) => gt.reduceMax(x), (x) => tf.max(x), x234),
  unary("reduceMax (axis 1)", (x) => gt.reduceMax(x, 1), (x) => tf.max(x, 1), x234),
  unary(
    "reduceMax (axes [0, 2], keepDims)",
    (x) => gt.reduceMax(x, [0, 2], true),
    (x) => tf.max(x, [0, 2], true),
    x234,
  ),
  unary("reduceMin", (x) => gt.reduceMin(x), (x) => tf.min(x), x234),
  unary(
    "reduceMin (axis -1, keepDims)",
    (x) => gt.reduceMin(x, -1, true),
    (x) => tf.min(x, -1, true),
    x234,
  ),
  unary("reduceMin (axes [1, 2])", (x) => gt.reduceMin(x, [1, 2]), (x) => tf.min(x, [1, 2]), x234),
  unary("reduceProd", (x) => gt.reduceProd(x), (x) => tf.prod(x), U(0.5, 1.5, 2, 3)),
  unary("reduceProd (axis 1)", (x) => gt.reduceProd(x, 1), (x) => tf.prod(x, 1), x234),
  unary(
    "reduceProd (axes [0, 2], keepDims)",
    (x) => gt.reduceProd(x, [0, 2], true),
    (x) => tf.prod(x, [0, 2], true),
    U(0.5, 1.5, 2, 3, 4),
  ),
  // One zero and two zeros in a row: the gradient is the product of the others, in both.
  unary(
    "reduceProd (zeros)",
    (x) => gt.reduceProd(x, 1),
    (x) => tf.prod(x, 1),
    V([1, 2, 3, 0, 2, 3, 0, 0, 3], 3, 3),
  ),
  unary("reduceLogSumExp", (x) => gt.reduceLogSumExp(x), (x) => tf.logSumExp(x), x234),
  unary(
    "reduceLogSumExp (axis -1, keepDims)",
    (x) => gt.reduceLogSumExp(x, -1, true),
    (x) => tf.logSumExp(x, -1, true),
    x234,
  ),
  unary(
    "reduceLogSumExp (axes [0, 2])",
    (x) => gt.reduceLogSumExp(x, [0, 2]),
    (x) => tf.logSumExp(x, [0, 2]),
    x234,
  ),
  unary(
    "reduceLogSumExp (large)",
    (x) => gt.reduceLogSumExp(x, 1),
    (x) => tf.logSumExp(x, 1),
    U(500, 1000, 2, 3),
  ),
  unary("argMax", (x) => gt.argMax(x), (x) => tf.argMax(x), x234, { diff: [] }),
  unary("argMax (axis -1)", (x) => gt.argMax(x, -1), (x) => tf.argMax(x, -1), x234, { diff: [] }),
  unary("argMin (axis 1)", (x) => gt.argMin(x, 1), (x) => tf.argMin(x, 1), x234, { diff: [] }),
  unary(
    "argMax (ties: the first)",
    (x) => gt.argMax(x, 1),
    (x) => tf.argMax(x, 1),
    V([3, 1, 3, 2, 2, 0], 2, 3),
    { diff: [] },
  ),
  unary(
    "argMin (ties: the first)",
    (x) => gt.argMin(x, 1),
    (x) => tf.argMin(x, 1),
    V([1, 1, 3, 2, 0, 0], 2, 3),
    { diff: [] },
  ),

  // Linear algebra.
  binary("matmul", gt.matmul, tf.matMul, x23, N(3, 4)),
  binary(
    "matmul (transposeA)",
    (a, b) => gt.matmul(a, b, { transposeA: true }),
    (a, b) => tf.matMul(a, b, true, false),
    N(3, 2),
    N(3, 4),
  ),
  binary(
    "matmul (transposeB)",
    (a, b) => gt.matmul(a, b, { transposeB: true }),
    (a, b) => tf.matMul(a, b, false, true),
    x23,
    N(4, 3),
  ),
  binary(
    "matmul (both transposed)",
    (a, b) => gt.matmul(a, b, { transposeA: true, transposeB: true }),
    (a, b) => tf.matMul(a, b, true, true),
    N(3, 2),
    N(4, 3),
  ),
  binary("matmul (batched)", gt.matmul, tf.matMul, N(2, 2, 3), N(2, 3, 4)),
  binary(
    "matmul (batched, transposeB)",
    (a, b) => gt.matmul(a, b, { transposeB: true }),
    (a, b) => tf.matMul(a, b, false, true),
    N(2, 2, 3),
    N(2, 4, 3),
  ),
  binary(
    "matmul (batched, transposeA, rank 4)",
    (a, b) => gt.matmul(a, b, { transposeA: true }),
    (a, b) => tf.matMul(a, b, true, false),
    N(2, 2, 3, 2),
    N(2, 2, 3, 4),
  ),
  binary("matmul (batch broadcast from a)", gt.matmul, tf.matMul, N(2, 2, 3), N(3, 4), {
    tfjsGradient: {
      marker: "wrong: BatchMatMul's rule does not sum the gradient back over broadcast batch axes",
      args: [1],
      throws: /Error in gradient for op BatchMatMul\. The gradient of input 'b' has shape '2,3,4'/,
    },
  }),
  binary("matmul (batch broadcast, size 1)", gt.matmul, tf.matMul, N(1, 2, 3), N(2, 3, 4), {
    tfjsGradient: {
      marker: "wrong: BatchMatMul's rule does not sum the gradient back over broadcast batch axes",
      args: [0],
      throws: /Error in gradient for op BatchMatMul\. The gradient of input 'a' has shape '2,2,3'/,
    },
  }),
  // tfjs has no tensordot; tf.dot is the same contraction for vectors and matrices.
  binary("tensordot (vs tf.dot)", (a, b) => gt.tensordot(a, b, 1), tf.dot, x23, N(3, 4)),
  binary("tensordot (vector, vs tf.dot)", (a, b) => gt.tensordot(a, b, 1), tf.dot, N(3), N(3, 4)),
  // Every einsum tfjs supports (two operands at most, an explicit output, no repeated index).
  einsumRow("ij,jk->ik", x23, N(3, 4)),
  einsumRow("bij,bjk->bik", N(2, 2, 3), N(2, 3, 4)),
  einsumRow("bij,bkj->bik", N(2, 2, 3), N(2, 4, 3)),
  einsumRow("i,i->", N(5), N(5)),
  einsumRow("i,j->ij", N(3), N(4)),
  einsumRow("ij,j->i", x23, N(3)),
  einsumRow("ij,ij->ij", x23, x23),
  einsumRow("ij,kj->ik", x23, N(4, 3)),
  einsumRow("ijk,ikl->jl", x234, N(2, 4, 5)),
  einsumRow("ij->ji", x23),
  einsumRow("ij->j", x23),
  einsumRow("ij->", x23),
  // Contractions whose operands and output the pairwise matmul must permute.
  einsumRow("ijk,jil->lk", x234, N(3, 2, 5)),
  einsumRow("ab,cd->dacb", x23, N(4, 2)),
  einsumRow("abc,c->ba", x234, N(4)),

  // Shapes.
  unary("reshape", (x) => gt.reshape(x, [4, -1]), (x) => tf.reshape(x, [4, -1]), x234),
  unary("transpose", (x) => gt.transpose(x), (x) => tf.transpose(x), x234),
  unary(
    "transpose (perm)",
    (x) => gt.transpose(x, [2, 0, 1]),
    (x) => tf.transpose(x, [2, 0, 1]),
    x234,
  ),
  unary("expandDims", (x) => gt.expandDims(x, 1), (x) => tf.expandDims(x, 1)),
  unary("expandDims (axis -1)", (x) => gt.expandDims(x, -1), (x) => tf.expandDims(x, -1)),
  unary("squeeze", (x) => gt.squeeze(x), (x) => tf.squeeze(x), N(2, 1, 3, 1)),
  unary("squeeze (axis -1)", (x) => gt.squeeze(x, -1), (x) => tf.squeeze(x, [-1]), N(2, 1, 3, 1)),
  unary(
    "squeeze (axes [1, 3])",
    (x) => gt.squeeze(x, [1, 3]),
    (x) => tf.squeeze(x, [1, 3]),
    N(2, 1, 3, 1),
  ),
  {
    name: "concat (axis 1)",
    inputs: [x23, N(2, 1), x23],
    gt: (...xs) => gt.concat(xs, 1),
    tf: (...xs) => tf.concat(xs, 1),
  },
  {
    name: "concat (axis 0)",
    inputs: [N(1, 3), x23],
    gt: (...xs) => gt.concat(xs, 0),
    tf: (...xs) => tf.concat(xs, 0),
  },
  {
    name: "concat (axis -1)",
    inputs: [N(2, 2, 1), N(2, 2, 3)],
    gt: (...xs) => gt.concat(xs, -1),
    tf: (...xs) => tf.concat(xs, -1),
  },
  {
    name: "stack",
    inputs: [x23, x23, x23],
    gt: (...xs) => gt.stack(xs),
    tf: (...xs) => tf.stack(xs),
  },
  {
    name: "stack (axis 2)",
    inputs: [x23, x23],
    gt: (...xs) => gt.stack(xs, 2),
    tf: (...xs) => tf.stack(xs, 2),
  },
  {
    name: "stack (axis -2)",
    inputs: [x23, x23],
    gt: (...xs) => gt.stack(xs, -2),
    tf: (...xs) => tf.stack(xs, -2),
  },
  unary("split (3 parts, axis -1)", (x) => gt.split(x, 3, -1), (x) => tf.split(x, 3, -1), N(2, 6)),
  unary(
    "split (sizes with -1, axis 1)",
    (x) => gt.split(x, [1, -1, 2], 1),
    (x) => tf.split(x, [1, -1, 2], 1),
    N(2, 6),
  ),
  unary("split (axis 0)", (x) => gt.split(x, 2), (x) => tf.split(x, 2), N(4, 3)),
  unary(
    "slice",
    (x) => gt.slice(x, [1, 0, 2], [1, -1, 2]),
    (x) => tf.slice(x, [1, 0, 2], [1, -1, 2]),
    x234,
  ),
  unary("pad", (x) => gt.pad(x, [[1, 0], [2, 1]], 0.5), (x) => tf.pad(x, [[1, 0], [2, 1]], 0.5)),
  unary(
    "pad (rank 3, zeros)",
    (x) => gt.pad(x, [[0, 1], [1, 1], [0, 2]]),
    (x) => tf.pad(x, [[0, 1], [1, 1], [0, 2]]),
    x234,
  ),
  // A repeated index accumulates the gradient in both.
  unary(
    "gather",
    (x) => gt.gather(x, i32([2, 0, 2]).gt),
    (x) => tf.gather(x, i32([2, 0, 2]).tf),
    N(3, 4),
  ),
  unary(
    "gather (axis 1, 2-D indices)",
    (x) => gt.gather(x, i32([1, 0, 1, 1], [2, 2]).gt, 1),
    (x) => tf.gather(x, i32([1, 0, 1, 1], [2, 2]).tf, 1),
    x234,
  ),
  unary(
    "gather (axis -1)",
    (x) => gt.gather(x, i32([3, 3, 0]).gt, -1),
    (x) => tf.gather(x, i32([3, 3, 0]).tf, -1),
    x234,
  ),
  unary("tile", (x) => gt.tile(x, [2, 1]), (x) => tf.tile(x, [2, 1])),
  unary("tile (rank 3)", (x) => gt.tile(x, [2, 1, 3]), (x) => tf.tile(x, [2, 1, 3]), N(1, 2, 2)),
  unary(
    "broadcastTo",
    (x) => gt.broadcastTo(x, [4, 2, 3]),
    (x) => tf.broadcastTo(x, [4, 2, 3]),
    N(2, 1),
  ),
  unary(
    "broadcastTo (rank up)",
    (x) => gt.broadcastTo(x, [2, 3]),
    (x) => tf.broadcastTo(x, [2, 3]),
    N(3),
  ),

  // Neural-network helpers. tfjs's softmax and logSoftmax take the last axis only (see below).
  unary("softmax", (x) => gt.softmax(x), (x) => tf.softmax(x), N(3, 5)),
  unary("softmax (rank 3)", (x) => gt.softmax(x, -1), (x) => tf.softmax(x, -1), x234),
  unary("softmax (large)", (x) => gt.softmax(x), (x) => tf.softmax(x), U(500, 1000, 2, 4)),
  unary("logSoftmax", (x) => gt.logSoftmax(x), (x) => tf.logSoftmax(x), N(3, 5)),
  unary("logSoftmax (rank 3)", (x) => gt.logSoftmax(x, 2), (x) => tf.logSoftmax(x, 2), x234),
  // tfjs has no public softmax_cross_entropy_with_logits; tf.losses.softmaxCrossEntropy with no
  // weights, no smoothing and Reduction.NONE returns its per-example quantity unreduced. Each row
  // of labels is a distribution, which tfjs's rule for the logits assumes (see below).
  binary(
    "softmaxCrossEntropyWithLogits (vs tf.losses, Reduction.NONE)",
    gt.softmaxCrossEntropyWithLogits,
    (z, x) => tf.losses.softmaxCrossEntropy(z, x, undefined, 0, tf.Reduction.NONE),
    P(3, 5),
    N(3, 5),
    {
      // ∂/∂labels of -Σ z·logSoftmax(x) is -logSoftmax(x); tfjs's custom gradient gives
      // z - softmax(x) there (the logits' rule with its sign flipped).
      tfjsGradient: {
        marker: "wrong: the labels get z - softmax(x), not -logSoftmax(x)",
        args: [0],
      },
    },
  ),
  // Likewise tf.losses.sigmoidCrossEntropy with Reduction.NONE is the elementwise
  // max(x, 0) - x·z + log1p(exp(-|x|)) (tfjs's sigmoidCrossEntropyWithLogits is not public).
  binary(
    "sigmoidCrossEntropyWithLogits (vs tf.losses, Reduction.NONE)",
    gt.sigmoidCrossEntropyWithLogits,
    (z, x) => tf.losses.sigmoidCrossEntropy(z, x, undefined, 0, tf.Reduction.NONE),
    U(0, 1, 3, 4),
    U(-40, 40, 3, 4),
  ),
  // At x = 0 tfjs's formula meets abs'(0) = -1 (see below), which happens to give the right
  // sigmoid(0) - z.
  binary(
    "sigmoidCrossEntropyWithLogits at logits 0",
    gt.sigmoidCrossEntropyWithLogits,
    (z, x) => tf.losses.sigmoidCrossEntropy(z, x, undefined, 0, tf.Reduction.NONE),
    V([1, 0, 0.25], 3),
    V([0, 0, 0], 3),
  ),

  // tfjs has no l2Loss: against its definition, Σx²/2.
  unary("l2Loss (vs tf.sum(x²)/2)", gt.l2Loss, (x) => tf.div(tf.sum(tf.square(x)), 2), x234),

  // Creation (values only).
  { name: "zeros", inputs: [], gt: () => gt.zeros([2, 3]), tf: () => tf.zeros([2, 3]), diff: [] },
  { name: "ones", inputs: [], gt: () => gt.ones([2, 3]), tf: () => tf.ones([2, 3]), diff: [] },
  {
    name: "fill",
    inputs: [],
    gt: () => gt.fill([2, 3], 0.3),
    tf: () => tf.fill([2, 3], 0.3),
    diff: [],
  },
  { name: "eye", inputs: [], gt: () => gt.eye(4), tf: () => tf.eye(4), diff: [] },
  {
    name: "linspace",
    inputs: [],
    gt: () => gt.linspace(-1, 2, 7),
    tf: () => tf.linspace(-1, 2, 7),
    diff: [],
  },
  {
    name: "range (float step)",
    inputs: [],
    gt: () => gt.range(0.5, 3, 0.25),
    tf: () => tf.range(0.5, 3, 0.25),
    diff: [],
  },
  unary("zerosLike", gt.zerosLike, tf.zerosLike, x23, { diff: [] }),
  unary("onesLike", gt.onesLike, tf.onesLike, x23, { diff: [] }),

  // ---- The ops of issue #14 that tfjs-core 4.22 has (the header lists those it lacks).

  // Elementwise, one input, inside each domain.
  unary("asin", gt.asin, tf.asin, U(-0.9, 0.9, 2, 3)),
  unary("acos", gt.acos, tf.acos, U(-0.9, 0.9, 2, 3)),
  unary("atan", gt.atan, tf.atan, U(-4, 4, 2, 3)),
  unary("sinh", gt.sinh, tf.sinh, U(-3, 3, 2, 3)),
  unary("cosh", gt.cosh, tf.cosh, U(-3, 3, 2, 3)),
  unary("asinh", gt.asinh, tf.asinh, U(-4, 4, 2, 3)),
  unary("acosh", gt.acosh, tf.acosh, U(1.1, 4, 2, 3)),
  unary("atanh", gt.atanh, tf.atanh, U(-0.9, 0.9, 2, 3)),
  unary("erf", gt.erf, tf.erf, U(-3, 3, 3, 4)),
  unary("reciprocal", gt.reciprocal, tf.reciprocal, U(0.5, 2, 2, 3)),
  unary("reciprocal (negative)", gt.reciprocal, tf.reciprocal, U(-2, -0.5, 2, 3)),
  unary("logSigmoid", gt.logSigmoid, tf.logSigmoid, U(-30, 30, 3, 4)),
  unary(
    "clipByValue",
    (x) => gt.clipByValue(x, -0.5, 0.7),
    (x) => tf.clipByValue(x, -0.5, 0.7),
    U(-2, 2, 3, 4),
  ),
  // At the bounds themselves the gradient passes in both (TensorFlow's rule: min ≤ x ≤ max).
  unary(
    "clipByValue (at the bounds)",
    (x) => gt.clipByValue(x, -0.5, 0.75),
    (x) => tf.clipByValue(x, -0.5, 0.75),
    V([-0.5, 0.75, -1, 1, 0], 5),
  ),
  unary("isNaN", gt.isNaN, tf.isNaN, V([NaN, Infinity, -Infinity, 0, -1, 2], 6), { diff: [] }),
  unary("isInf", gt.isInf, tf.isInf, V([NaN, Infinity, -Infinity, 0, -1, 2], 6), { diff: [] }),
  unary("isFinite", gt.isFinite, tf.isFinite, V([NaN, Infinity, -Infinity, 0, -1, 2], 6), {
    diff: [],
  }),

  // Elementwise, two inputs.
  binary("atan2", gt.atan2, tf.atan2, x23, x23),
  binary("atan2 (broadcast)", gt.atan2, tf.atan2, x23, N(3)),
  // Every sign pair: the quadrants, and ±0.
  binary(
    "atan2 (quadrants and zeros)",
    gt.atan2,
    tf.atan2,
    V([1, 1, -1, -1, 0, -0, 0, 0], 8),
    V([1, -1, 1, -1, 1, 1, -1, 2], 8),
  ),
  // tfjs's floorDiv of floats returns int32 (see below): its values are compared as float32.
  binary("floorDiv", gt.floorDiv, tfFloorDiv, U(-5, 5, 3, 4), U(0.5, 2, 3, 4), { diff: [] }),
  binary(
    "floorDiv (signs)",
    gt.floorDiv,
    tfFloorDiv,
    V([7, -7, 7, -7, 6, -6], 6),
    V([2, 2, -2, -2, 3, 3], 6),
    { diff: [] },
  ),
  {
    name: "floorDiv (int32)",
    inputs: [],
    gt: () => gt.floorDiv(i32([7, -7, 7, -7, 0]).gt, i32([2, 2, -2, -2, 3]).gt),
    tf: () => tf.floorDiv(i32([7, -7, 7, -7, 0]).tf, i32([2, 2, -2, -2, 3]).tf),
    diff: [],
  },
  binary("mod", gt.mod, tf.mod, U(-5, 5, 3, 4), U(0.5, 2, 3, 4)),
  binary("mod (negative divisor)", gt.mod, tf.mod, U(-5, 5, 3, 4), U(-2, -0.5, 4)),
  {
    name: "mod (int32)",
    inputs: [],
    gt: () => gt.mod(i32([7, -7, 7, -7, 0]).gt, i32([3, 3, -3, -3, 3]).gt),
    tf: () => tf.mod(i32([7, -7, 7, -7, 0]).tf, i32([3, 3, -3, -3, 3]).tf),
    diff: [],
  },

  // Activations.
  unary("elu", gt.elu, tf.elu, U(-3, 3, 3, 4)),
  unary("selu", gt.selu, tf.selu, U(-3, 3, 3, 4)),
  unary("leakyRelu", (x) => gt.leakyRelu(x), (x) => tf.leakyRelu(x), U(-3, 3, 3, 4)),
  unary("leakyRelu (alpha 0.1)", (x) => gt.leakyRelu(x, 0.1), (x) => tf.leakyRelu(x, 0.1)),
  unary("relu6", gt.relu6, tf.relu6, U(-3, 9, 3, 4)),
  // tfjs has no sparse cross-entropy: against the dense one with one-hot labels.
  unary(
    "sparseSoftmaxCrossEntropyWithLogits (vs tf.losses, one-hot labels)",
    (x) => gt.sparseSoftmaxCrossEntropyWithLogits(i32([2, 0, 4]).gt, x),
    (x) =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(i32([2, 0, 4]).tf, 5),
        x,
        undefined,
        0,
        tf.Reduction.NONE,
      ),
    N(3, 5),
  ),

  // Reductions.
  unary("reduceAny", (x) => gt.reduceAny(gt.greater(x, 1)), (x) => tf.any(tf.greater(x, 1)), x234, {
    diff: [],
  }),
  unary(
    "reduceAny (axis 1, keepDims)",
    (x) => gt.reduceAny(gt.greater(x, 1), 1, true),
    (x) => tf.any(tf.greater(x, 1), 1, true),
    x234,
    { diff: [] },
  ),
  unary(
    "reduceAll (axes [0, 2])",
    (x) => gt.reduceAll(gt.greater(x, -1), [0, 2]),
    (x) => tf.all(tf.greater(x, -1), [0, 2]),
    x234,
    { diff: [] },
  ),
  unary(
    "reduceEuclideanNorm (vs tf.euclideanNorm)",
    (x) => gt.reduceEuclideanNorm(x),
    (x) => tf.euclideanNorm(x),
    x234,
  ),
  unary(
    "reduceEuclideanNorm (axis -1, keepDims)",
    (x) => gt.reduceEuclideanNorm(x, -1, true),
    (x) => tf.euclideanNorm(x, -1, true),
    x234,
  ),
  unary("norm", (x) => gt.norm(x), (x) => tf.norm(x), x234),
  unary(
    "norm (ord 1, axis 1)",
    (x) => gt.norm(x, { ord: 1, axis: 1 }),
    (x) => tf.norm(x, 1, 1),
    x234,
  ),
  unary(
    "norm (ord ∞, axis -1)",
    (x) => gt.norm(x, { ord: Infinity, axis: -1 }),
    (x) => tf.norm(x, Infinity, -1),
    x234,
  ),
  unary(
    "norm (fro, axes [1, 2])",
    (x) => gt.norm(x, { ord: "fro", axis: [1, 2] }),
    (x) => tf.norm(x, "fro", [1, 2]),
    x234,
  ),
  unary(
    "norm (ord 1, matrix)",
    (x) => gt.norm(x, { ord: 1, axis: [0, 1] }),
    (x) => tf.norm(x, 1, [0, 1]),
    N(3, 4),
  ),
  unary(
    "norm (ord ∞, matrix)",
    (x) => gt.norm(x, { ord: Infinity, axis: [0, 1] }),
    (x) => tf.norm(x, Infinity, [0, 1]),
    N(3, 4),
  ),
  unary(
    "moments (axes [0, 2])",
    (x) => gt.moments(x, [0, 2]),
    (x) => {
      const m = tf.moments(x, [0, 2]);
      return [m.mean, m.variance];
    },
    x234,
  ),
  unary(
    "moments (axis -1, keepDims)",
    (x) => gt.moments(x, -1, { keepDims: true }),
    (x) => {
      const m = tf.moments(x, -1, true);
      return [m.mean, m.variance];
    },
    x234,
  ),

  // tfjs has no reduceVariance or reduceStd: against moments' variance and its square root.
  unary(
    "reduceVariance (vs tf.moments)",
    (x) => gt.reduceVariance(x, [0, 2]),
    (x) => tf.moments(x, [0, 2]).variance,
    x234,
  ),
  unary(
    "reduceStd (vs tf.moments)",
    (x) => gt.reduceStd(x, -1, true),
    (x) => tf.sqrt(tf.moments(x, -1, true).variance),
    x234,
  ),

  // Scans.
  unary("cumsum", (x) => gt.cumsum(x), (x) => tf.cumsum(x), x234, { tfjsGradient: cumsumRule }),
  // tfjs's cumsum and cumprod misread a negative axis (see below): it gets the positive one.
  unary("cumsum (axis -1)", (x) => gt.cumsum(x, -1), (x) => tf.cumsum(x, 2), x234),
  unary("cumsum (rank 1)", (x) => gt.cumsum(x), (x) => tf.cumsum(x), N(6)),
  unary(
    "cumsum (axis 1, exclusive)",
    (x) => gt.cumsum(x, 1, { exclusive: true }),
    (x) => tf.cumsum(x, 1, true),
    x234,
    { tfjsGradient: cumsumRule },
  ),
  unary(
    "cumsum (axis 2, reverse)",
    (x) => gt.cumsum(x, 2, { reverse: true }),
    (x) => tf.cumsum(x, 2, false, true),
    x234,
  ),
  unary(
    "cumsum (axis 2, exclusive and reverse)",
    (x) => gt.cumsum(x, 2, { exclusive: true, reverse: true }),
    (x) => tf.cumsum(x, 2, true, true),
    x234,
  ),
  unary("cumprod", (x) => gt.cumprod(x), (x) => tf.cumprod(x), U(0.5, 1.5, 3, 4), {
    tfjsGradient: missing("Cumprod"),
  }),
  unary(
    "cumprod (axis -1, exclusive)",
    (x) => gt.cumprod(x, -1, { exclusive: true }),
    (x) => tf.cumprod(x, 2, true),
    x234,
    { tfjsGradient: missing("Cumprod") },
  ),
  unary(
    "cumprod (axis 1, reverse)",
    (x) => gt.cumprod(x, 1, { reverse: true }),
    (x) => tf.cumprod(x, 1, false, true),
    x234,
    { tfjsGradient: missing("Cumprod") },
  ),

  // topK: the values carry the gradient; the indices are compared on their own.
  unary("topK values", (x) => gt.topK(x, 2).values, (x) => tf.topk(x, 2).values, x234, {
    tfjsGradient: missing("TopK"),
  }),
  unary("topK indices", (x) => gt.topK(x, 3).indices, (x) => tf.topk(x, 3).indices, x234, {
    diff: [],
  }),
  unary("topK (k = length)", (x) => gt.topK(x, 5).values, (x) => tf.topk(x, 5).values, N(3, 5), {
    tfjsGradient: missing("TopK"),
  }),
  // Ties: the lower index first in both, as TensorFlow documents; NaN counts as the largest.
  unary(
    "topK indices (ties and NaN)",
    (x) => gt.topK(x, 4).indices,
    (x) => tf.topk(x, 4).indices,
    V([1, 3, 3, 2, 3, 0, NaN, 2, 2, 5], 2, 5),
    { diff: [] },
  ),

  // Indexing and scattering.
  unary(
    "gather (batchDims 1)",
    (x) => gt.gather(x, i32([2, 0, 2, 1], [2, 2]).gt, { axis: 1, batchDims: 1 }),
    (x) => tf.gather(x, i32([2, 0, 2, 1], [2, 2]).tf, 1, 1),
    x234,
  ),
  unary(
    "gather (batchDims 1, axis 2)",
    (x) => gt.gather(x, i32([3, 3, 0, 1, 2, 1], [2, 3]).gt, { axis: 2, batchDims: 1 }),
    (x) => tf.gather(x, i32([3, 3, 0, 1, 2, 1], [2, 3]).tf, 2, 1),
    x234,
  ),
  unary(
    "gatherNd (full indices)",
    (x) => gt.gatherNd(x, i32([1, 2, 3, 0, 0, 1, 1, 2, 3], [3, 3]).gt),
    (x) => tf.gatherND(x, i32([1, 2, 3, 0, 0, 1, 1, 2, 3], [3, 3]).tf),
    x234,
    { tfjsGradient: missing("GatherNd") },
  ),
  unary(
    "gatherNd (slices)",
    (x) => gt.gatherNd(x, i32([1, 0, 0, 2], [2, 2]).gt),
    (x) => tf.gatherND(x, i32([1, 0, 0, 2], [2, 2]).tf),
    x234,
    { tfjsGradient: missing("GatherNd") },
  ),
  // Repeated indices add up, in both.
  unary(
    "scatterNd",
    (u) => gt.scatterNd(i32([1, 3, 1], [3, 1]).gt, u, [5, 2]),
    (u) => tf.scatterND(i32([1, 3, 1], [3, 1]).tf, u, [5, 2]),
    N(3, 2),
    { tfjsGradient: missing("ScatterNd") },
  ),
  unary(
    "scatterNd (elements)",
    (u) => gt.scatterNd(i32([0, 1, 2, 0, 0, 1], [3, 2]).gt, u, [3, 2]),
    (u) => tf.scatterND(i32([0, 1, 2, 0, 0, 1], [3, 2]).tf, u, [3, 2]),
    N(3),
    { tfjsGradient: missing("ScatterNd") },
  ),
  binary(
    "tensorScatterUpdate",
    (t, u) => gt.tensorScatterUpdate(t, i32([2, 0], [2, 1]).gt, u),
    (t, u) => tf.tensorScatterUpdate(t, i32([2, 0], [2, 1]).tf, u),
    N(4, 3),
    N(2, 3),
    { tfjsGradient: missing("TensorScatterUpdate") },
  ),
  unary(
    "oneHot (float32)",
    (x) => gt.add(x, gt.oneHot(i32([2, 0, 5]).gt, 4)),
    (x) => tf.add(x, tf.oneHot(i32([2, 0, 5]).tf, 4, 1, 0, "float32")),
    N(3, 4),
  ),
  {
    name: "oneHot (onValue, offValue, int32)",
    inputs: [],
    gt: () =>
      gt.oneHot(i32([1, 3, -1, 0], [2, 2]).gt, 3, { onValue: 5, offValue: -1, dtype: "int32" }),
    tf: () => tf.oneHot(i32([1, 3, -1, 0], [2, 2]).tf, 3, 5, -1),
    diff: [],
  },
  unary(
    "unsortedSegmentSum",
    (x) => gt.unsortedSegmentSum(x, i32([0, 2, 0, 3]).gt, 4),
    (x) => tf.unsortedSegmentSum(x, i32([0, 2, 0, 3]).tf as tf.Tensor1D, 4),
    N(4, 3),
  ),
  unary("reverse", (x) => gt.reverse(x, 0), (x) => tf.reverse(x, 0), x234),
  unary("reverse (axes [0, 2])", (x) => gt.reverse(x, [0, 2]), (x) => tf.reverse(x, [0, 2]), x234),
  unary("reverse (axis -1)", (x) => gt.reverse(x, -1), (x) => tf.reverse(x, -1), x234),
  binary("meshgrid", (a, b) => gt.meshgrid(a, b), (a, b) => tf.meshgrid(a, b), N(3), N(4)),
  binary(
    "meshgrid (indexing ij)",
    (a, b) => gt.meshgrid(a, b, { indexing: "ij" }),
    (a, b) => tf.meshgrid(a, b, { indexing: "ij" }),
    N(3),
    N(4),
  ),

  // Linear algebra.
  qrRow("linalg.qr", N(4, 3)),
  qrRow("linalg.qr (wide)", N(3, 4)),
  qrRow("linalg.qr (batched)", N(2, 3, 3)),
  // The extra columns of a tall q are any orthonormal completion: gradtape, as TensorFlow, gives
  // them no derivative.
  unary(
    "linalg.qr (fullMatrices, values)",
    (x) => gtPositiveQr(gt.linalg.qr(x, { fullMatrices: true })),
    (x) => tfPositiveQr(tf.linalg.qr(x, true)),
    N(4, 3),
    { diff: [] },
  ),
  unary(
    "linalg.bandPart",
    (x) => gt.linalg.bandPart(x, 1, 0),
    (x) => tf.linalg.bandPart(x, 1, 0),
    N(4, 5),
    {
      // bandPart unstacks its batch of matrices, here of one; the engine hands a one-output op's
      // rule a lone dy rather than a list, and Unpack's rule passes it to stack, which throws.
      tfjsGradient: {
        marker:
          "wrong: Unpack's rule throws for an axis of length 1, as bandPart of one matrix has",
        throws: /Argument tensors passed to stack must be a `Tensor\[\]`/,
      },
    },
  ),
  unary(
    "linalg.bandPart (-1 keeps all, batched)",
    (x) => gt.linalg.bandPart(x, -1, 1),
    (x) => tf.linalg.bandPart(x, -1, 1),
    x234,
  ),
  unary("linalg.diag (vs tf.diag)", (x) => gt.linalg.diag(x), (x) => tf.diag(x), N(4), {
    tfjsGradient: missing("Diag"),
  }),
];

// ---------------------------------------------------------------------------------------------
// Running a row.

const list = <T>(y: T | T[]): T[] => (Array.isArray(y) ? y : [y]);

/** The seeded float32 inputs of row `k`. */
function inputsOf(row: Row, k: number): Float32Array[] {
  return row.inputs.map((inp, i) => {
    if (inp.values) return Float32Array.from(inp.values);
    const seed = 100 * k + i;
    let t = inp.range
      ? gt.random.uniform(inp.shape, { minval: inp.range[0], maxval: inp.range[1], seed })
      : gt.random.normal(inp.shape, { seed });
    if (inp.distribution) t = gt.divide(t, gt.reduceSum(t, -1, true));
    return t.data() as Float32Array;
  });
}

function gtInputs(row: Row, data: Float32Array[]): gt.Tensor[] {
  return data.map((d, i) => gt.constant(d, { dtype: "float32", shape: row.inputs[i].shape }));
}

function tfInputs(row: Row, data: Float32Array[]): tf.Tensor[] {
  return data.map((d, i) => tf.tensor(d, row.inputs[i].shape, "float32"));
}

/** A tensor of either library as a float64 gradtape tensor of the same shape and values. */
function f64(t: gt.Tensor | tf.Tensor): gt.Tensor {
  const data = t instanceof gt.Tensor ? t.data() : t.dataSync();
  return gt.constant(Float64Array.from(data as ArrayLike<number>), {
    dtype: "float64",
    shape: [...t.shape],
  });
}

function close(actual: gt.Tensor | tf.Tensor, expected: gt.Tensor | tf.Tensor, tol: Tol, msg = "") {
  assertAllClose(f64(actual), f64(expected), {
    rtol: tol.rtol ?? 1e-5,
    atol: tol.atol ?? 1e-6,
    msg,
  });
}

function isClose(a: gt.Tensor | tf.Tensor, b: gt.Tensor | tf.Tensor, tol: Tol): boolean {
  try {
    close(a, b, tol);
    return true;
  } catch {
    return false;
  }
}

/** One fixed random cotangent per output, in both libraries. */
function cotangents(outs: gt.Tensor[], k: number): { gt: gt.Tensor[]; tf: tf.Tensor[] } {
  const g = outs.map((y, i) => gt.random.normal(y.shape, { seed: 100 * k + 50 + i }));
  return { gt: g, tf: g.map((c) => tf.tensor(c.data() as Float32Array, [...c.shape], "float32")) };
}

function gtGradients(row: Row, xs: gt.Tensor[], cts: gt.Tensor[], args: number[]) {
  const tape = new gt.GradientTape();
  const ys = tape.record(() => {
    tape.watch(xs);
    return list(row.gt(...xs));
  });
  return tape.gradient(ys, args.map((i) => xs[i]), { outputGradients: cts });
}

/** tfjs's gradient of Σᵢ ⟨yᵢ, ȳᵢ⟩ with respect to the inputs `args`, the others held fixed. */
function tfGradients(row: Row, xs: tf.Tensor[], cts: tf.Tensor[], args: number[]): tf.Tensor[] {
  const f = (...chosen: tf.Tensor[]) => {
    const all = xs.slice();
    args.forEach((a, j) => (all[a] = chosen[j]));
    return tf.addN(list(row.tf(...all)).map((y, i) => tf.sum(tf.mul(y, cts[i]))));
  };
  return tf.grads(f)(args.map((a) => xs[a]));
}

for (const [k, row] of rows.entries()) {
  Deno.test(`tfjs: ${row.name}`, async (t) => {
    const data = inputsOf(row, k);
    const xs = gtInputs(row, data), txs = tfInputs(row, data);
    const ys = list(row.gt(...xs));
    const tys = list(row.tf(...txs));

    await t.step("values", () => {
      assert.equal(ys.length, tys.length, "number of outputs");
      ys.forEach((y, i) => {
        assert.deepEqual([...y.shape], tys[i].shape, `output ${i}: shape`);
        assert.equal(y.dtype, tys[i].dtype, `output ${i}: dtype`);
        close(y, tys[i], row, `output ${i}`);
      });
    });

    const diff = row.diff ?? row.inputs.map((_, i) => i);
    if (diff.length === 0) return;
    const cts = cotangents(ys, k);
    const grads = gtGradients(row, xs, cts.gt, diff);
    const marked = row.tfjsGradient?.args ?? (row.tfjsGradient ? diff : []);
    const agreed = diff.filter((i) => !marked.includes(i));

    await t.step("gradients", () => {
      const tgrads = agreed.length ? tfGradients(row, txs, cts.tf, agreed) : [];
      agreed.forEach((a, j) => {
        const g = grads[diff.indexOf(a)];
        assert.ok(g, `gradtape has a gradient for input ${a}`);
        close(g, tgrads[j], row, `gradient of input ${a}`);
      });
    });

    const note = row.tfjsGradient;
    if (!note) return;
    await t.step(`tfjs's gradient: ${note.marker}`, () => {
      if (note.throws) {
        assert.throws(() => tfGradients(row, txs, cts.tf, marked), note.throws);
      } else if (note.marker === "missing") {
        assert.throws(() => tfGradients(row, txs, cts.tf, marked), /gradient function not found/);
      } else {
        const tgrads = tfGradients(row, txs, cts.tf, marked);
        const differs = marked.some((a, j) => !isClose(grads[diff.indexOf(a)]!, tgrads[j], row));
        assert.ok(differs, "tfjs's gradient now agrees: drop the marker");
      }
    });
    await t.step("gradtape's gradient matches finite differences in float64", () => {
      // Several outputs are checked through ⟨y, ȳ⟩ with the row's cotangents.
      const ct64 = cts.gt.map((c) => gt.cast(c, "float64"));
      const f = (...zs: gt.Tensor[]) => {
        const out = row.gt(...zs);
        if (!Array.isArray(out)) return out;
        return gt.addN(out.map((y, i) => gt.reduceSum(gt.multiply(y, ct64[i]))));
      };
      checkGrads(f, xs.map((x) => gt.cast(x, "float64")), { order: 1 });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Second derivatives (tfjs issue 3252, still so in 4.22): a rule that multiplies by the op's saved
// output (exp, tanh, sigmoid, softmax, logSoftmax, and pow's rule for its exponent) is not
// differentiated through that output by an enclosing tf.grad, so that term is silently dropped;
// with no other path from x, tf.grad throws. Each row compares ∇ₓ⟨∇ₓ⟨f(x), c⟩, w⟩ (the Hessian
// times w) for f(x) = op(x)·x, from nested gradients in both libraries; the rows without a marker
// agree. A second failure: where tfjs's first-order rule is built on an op that has no gradient
// of its own (EluGrad, or a comparison computing a mask: selu, leakyRelu, relu6, clipByValue),
// the outer tf.grad throws rather than treating the mask as a constant.

interface SecondRow {
  name: string;
  input: Input;
  gt: (x: gt.Tensor) => gt.Tensor;
  tf: (x: tf.Tensor) => tf.Tensor;
  tfjs?: { marker: Marker; throws?: RegExp };
}

const dropsSavedOutput = (op: string): SecondRow["tfjs"] => ({
  marker: `wrong: ${op}'s rule reuses its output, whose dependence on x the outer tf.grad misses`,
});
const timesX = (
  name: string,
  gtOp: (x: gt.Tensor) => gt.Tensor,
  tfOp: (x: tf.Tensor) => tf.Tensor,
  input: Input = x23,
  tfjs?: SecondRow["tfjs"],
): SecondRow => ({
  name: `${name}(x)·x`,
  input,
  gt: (x) => gt.multiply(gtOp(x), x),
  tf: (x) => tf.mul(tfOp(x), x),
  tfjs,
});
const base23 = [1.5, 0.7, 2, 1.2, 0.4, 3];
// A rule built on an op that has no gradient in tfjs makes tf.grad of it throw, even where that
// op only computes a mask.
const noGradient = (op: string, why: string): SecondRow["tfjs"] => ({
  marker: `wrong: ${why}, and tfjs has no gradient for ${op}, so the outer tf.grad throws`,
  throws: new RegExp(`gradient function not found for ${op}\\b`),
});

const secondRows: SecondRow[] = [
  timesX("exp", gt.exp, tf.exp, x23, dropsSavedOutput("Exp")),
  timesX("tanh", gt.tanh, tf.tanh, x23, dropsSavedOutput("Tanh")),
  timesX("sigmoid", gt.sigmoid, tf.sigmoid, x23, dropsSavedOutput("Sigmoid")),
  timesX("softmax", (x) => gt.softmax(x), (x) => tf.softmax(x), x23, dropsSavedOutput("Softmax")),
  // tfjs's logSoftmax is a custom gradient that saves its output and takes exp of it.
  timesX(
    "logSoftmax",
    (x) => gt.logSoftmax(x),
    (x) => tf.logSoftmax(x),
    x23,
    dropsSavedOutput("logSoftmax"),
  ),
  timesX(
    "pow(b, ·)",
    (x) => gt.pow(gt.constant(base23, { dtype: x.dtype, shape: [2, 3] }), x),
    (x) => tf.pow(tf.tensor(base23, [2, 3]), x),
    x23,
    dropsSavedOutput("Pow"),
  ),
  {
    name: "exp(x)",
    input: x23,
    gt: gt.exp,
    tf: tf.exp,
    tfjs: {
      marker: "wrong: with exp's saved output as the only path, tf.grad finds none and throws",
      throws: /Cannot compute gradient of y=f\(x\) with respect to x/,
    },
  },
  // Controls: rules written in terms of the input.
  timesX("sin", gt.sin, tf.sin),
  timesX("softplus", gt.softplus, tf.softplus),
  timesX("sqrt", gt.sqrt, tf.sqrt, pos23),
  // The new ops.
  timesX("asin", gt.asin, tf.asin, U(-0.9, 0.9, 2, 3)),
  timesX("acos", gt.acos, tf.acos, U(-0.9, 0.9, 2, 3)),
  timesX("atan", gt.atan, tf.atan),
  timesX("sinh", gt.sinh, tf.sinh),
  timesX("cosh", gt.cosh, tf.cosh),
  timesX("asinh", gt.asinh, tf.asinh),
  timesX("acosh", gt.acosh, tf.acosh, U(1.1, 4, 2, 3)),
  timesX("atanh", gt.atanh, tf.atanh, U(-0.9, 0.9, 2, 3)),
  timesX("erf", gt.erf, tf.erf),
  timesX("reciprocal", gt.reciprocal, tf.reciprocal, pos23),
  timesX("logSigmoid", gt.logSigmoid, tf.logSigmoid),
  timesX(
    "elu",
    gt.elu,
    tf.elu,
    U(-3, 3, 2, 3),
    noGradient("EluGrad", "elu's rule is a kernel of its own, EluGrad"),
  ),
  timesX(
    "selu",
    gt.selu,
    tf.selu,
    U(-3, 3, 2, 3),
    noGradient("Greater", "selu's rule selects with x > 0"),
  ),
  timesX(
    "leakyRelu",
    (x) => gt.leakyRelu(x),
    (x) => tf.leakyRelu(x),
    U(-3, 3, 2, 3),
    noGradient("Greater", "leakyRelu's rule selects with x > 0"),
  ),
  timesX(
    "relu6",
    gt.relu6,
    tf.relu6,
    U(-3, 9, 2, 3),
    noGradient("LessEqual", "relu6's rule masks with x ≤ 6"),
  ),
  timesX(
    "clipByValue",
    (x) => gt.clipByValue(x, -0.5, 0.7),
    (x) => tf.clipByValue(x, -0.5, 0.7),
    x23,
    noGradient("LogicalAnd", "clipByValue's rule masks with min ≤ x ≤ max"),
  ),
  timesX(
    "atan2(·, b)",
    (x) => gt.atan2(x, gt.constant(base23, { dtype: x.dtype, shape: [2, 3] })),
    (x) => tf.atan2(x, tf.tensor(base23, [2, 3])),
  ),
  timesX(
    "atan2(b, ·)",
    (x) => gt.atan2(gt.constant(base23, { dtype: x.dtype, shape: [2, 3] }), x),
    (x) => tf.atan2(tf.tensor(base23, [2, 3]), x),
  ),
  timesX(
    "mod(·, b)",
    (x) => gt.mod(x, gt.constant(base23, { dtype: x.dtype, shape: [2, 3] })),
    (x) => tf.mod(x, tf.tensor(base23, [2, 3])),
    U(0.1, 5, 2, 3),
  ),
  timesX(
    "reduceEuclideanNorm",
    (x) => gt.reduceEuclideanNorm(x, -1, true),
    (x) => tf.euclideanNorm(x, -1, true),
  ),
  timesX(
    "norm (ord 1)",
    (x) => gt.norm(x, { ord: 1, axis: -1, keepDims: true }),
    (x) => tf.norm(x, 1, -1, true),
  ),
  timesX(
    "moments' variance",
    (x) => gt.moments(x, -1, { keepDims: true })[1],
    (x) => tf.moments(x, -1, true).variance,
  ),
  timesX("cumsum (last axis)", (x) => gt.cumsum(x, 1), (x) => tf.cumsum(x, 1)),
  timesX(
    "unsortedSegmentSum",
    (x) => gt.reshape(gt.unsortedSegmentSum(x, i32([1, 0]).gt, 2), [2, 3]),
    (x) => tf.reshape(tf.unsortedSegmentSum(x, i32([1, 0]).tf as tf.Tensor1D, 2), [2, 3]),
  ),
  timesX("reverse", (x) => gt.reverse(x, 1), (x) => tf.reverse(x, 1)),
];

function gtHessianTimes(f: (x: gt.Tensor) => gt.Tensor, x: gt.Tensor, c: gt.Tensor, w: gt.Tensor) {
  const outer = new gt.GradientTape();
  const s = outer.record(() => {
    outer.watch(x);
    const inner = new gt.GradientTape();
    const y = inner.record(() => {
      inner.watch(x);
      return f(x);
    });
    return gt.reduceSum(gt.multiply(inner.gradient(y, x, { outputGradients: c })!, w));
  });
  return outer.gradient(s, x)!;
}

function tfHessianTimes(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, c: tf.Tensor, w: tf.Tensor) {
  const inner = tf.grad((y: tf.Tensor) => tf.sum(tf.mul(f(y), c)));
  return tf.grad((z: tf.Tensor) => tf.sum(tf.mul(inner(z), w)))(x);
}

// Second derivatives in float32 go through more rounding: a looser tolerance.
const second: Tol = { rtol: 1e-4, atol: 1e-5 };

for (const [k, row] of secondRows.entries()) {
  Deno.test(`tfjs, second derivative: ${row.name}`, async (t) => {
    const asRow: Row = { name: row.name, inputs: [row.input], gt: row.gt, tf: row.tf };
    const [data] = inputsOf(asRow, 1000 + k);
    const [x] = gtInputs(asRow, [data]), [tx] = tfInputs(asRow, [data]);
    const shape = [...x.shape];
    const c = gt.random.normal(shape, { seed: 5000 + k }),
      w = gt.random.normal(shape, { seed: 6000 + k });
    const tc = tf.tensor(c.data() as Float32Array, shape),
      tw = tf.tensor(w.data() as Float32Array, shape);
    const h = gtHessianTimes(row.gt, x, c, w);

    if (!row.tfjs) {
      await t.step("Hessian times a vector", () => {
        close(h, tfHessianTimes(row.tf, tx, tc, tw), second, "H·w");
      });
      return;
    }
    const note = row.tfjs;
    await t.step(`tfjs: ${note.marker}`, () => {
      if (note.throws) {
        assert.throws(() => tfHessianTimes(row.tf, tx, tc, tw), note.throws);
      } else {
        const th = tfHessianTimes(row.tf, tx, tc, tw);
        assert.ok(!isClose(h, th, second), "tfjs's second derivative now agrees: drop the marker");
      }
    });
    await t.step("gradtape's second derivatives match finite differences in float64", () => {
      checkGrads(row.gt, [gt.cast(x, "float64")], { order: 2 });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Differences in semantics, one test each; each asserts both sides so that the note stays true.

const tfGrad = (f: (x: tf.Tensor) => tf.Tensor, x: number[]) =>
  Array.from(tf.grad((z: tf.Tensor) => tf.sum(f(z)))(tf.tensor(x)).dataSync());
const gtGrad = (f: (x: gt.Tensor) => gt.Tensor, x: number[]) =>
  gt.grad((z: gt.Tensor) => gt.reduceSum(f(z)))(gt.constant(x)).toArray();

Deno.test("tfjs differs: reduceMax/reduceMin ties each get all the gradient in tfjs", () => {
  // gradtape follows TensorFlow: the gradient is shared equally among the tied extremes, so that it
  // adds up to the incoming gradient. tfjs gives each tie all of it.
  assert.deepEqual(tfGrad((x) => tf.max(x), [1, 3, 3]), [0, 1, 1]);
  assert.deepEqual(gtGrad((x) => gt.reduceMax(x), [1, 3, 3]), [0, 0.5, 0.5]);
  assert.deepEqual(tfGrad((x) => tf.min(x), [1, 1, 3]), [1, 1, 0]);
  assert.deepEqual(gtGrad((x) => gt.reduceMin(x), [1, 1, 3]), [0.5, 0.5, 0]);
});

Deno.test("tfjs differs: abs'(0) is -1 in tfjs, 0 in gradtape", () => {
  // tfjs's rule is dy·step(x, -1), which is -1 at 0; gradtape (and TensorFlow) use sign(x).
  assert.deepEqual(tfGrad(tf.abs, [0, 2, -2]), [-1, 1, -1]);
  assert.deepEqual(gtGrad(gt.abs, [0, 2, -2]), [0, 1, -1]);
});

Deno.test("tfjs differs: d(x⁰)/dx at 0 is NaN in tfjs, 0 in gradtape", () => {
  // tfjs's rule y·xʸ⁻¹ is 0·∞ there; gradtape gives the limit 0, as JAX and PyTorch do, so that
  // every derivative of an integer power is finite at 0.
  assert.deepEqual(tfGrad((x) => tf.pow(x, tf.scalar(0)), [0, 2]), [NaN, 0]);
  assert.deepEqual(gtGrad((x) => gt.pow(x, 0), [0, 2]), [0, 0]);
});

Deno.test("tfjs differs: ops without a gradient give zeros in tfjs, null in gradtape", () => {
  // tfjs registers rules returning zeros for sign, floor, ceil, round and argMax; gradtape cuts the
  // path, so the tape gives null, or zeros with unconnectedGradients: "zero".
  const x = [0.3, -1.7, 2.5];
  const cases: [(x: gt.Tensor) => gt.Tensor, (x: tf.Tensor) => tf.Tensor][] = [
    [gt.sign, tf.sign],
    [gt.floor, tf.floor],
    [gt.ceil, tf.ceil],
    [gt.round, tf.round],
    [(z) => gt.cast(gt.argMax(z), "float32"), (z) => tf.cast(tf.argMax(z), "float32")],
  ];
  for (const [g, f] of cases) {
    assert.deepEqual(tfGrad(f, x), [0, 0, 0]);
    const xs = gt.constant(x);
    const tape = new gt.GradientTape({ persistent: true });
    const y = tape.record(() => {
      tape.watch(xs);
      return gt.reduceSum(g(xs));
    });
    assert.equal(tape.gradient(y, xs), null);
    assert.deepEqual(tape.gradient(y, xs, { unconnectedGradients: "zero" })?.toArray(), [0, 0, 0]);
  }
});

Deno.test("tfjs differs: round(-0.5) is +0 in tfjs, -0 in gradtape", () => {
  // Both round half to even; tfjs builds the result from floor(x) + 1 and loses the sign of zero,
  // gradtape keeps it as numpy's rint does.
  assert.ok(Object.is(tf.round(tf.tensor([-0.5])).dataSync()[0], 0));
  assert.ok(Object.is(gt.round([-0.5]).data()[0], -0));
  assert.deepEqual(Array.from(tf.round(tf.tensor([-0.4])).dataSync()), [-0]);
});

Deno.test("tfjs differs: sign(NaN) is 0 in tfjs, NaN in gradtape", () => {
  assert.deepEqual(Array.from(tf.sign(tf.tensor([NaN, -3])).dataSync()), [0, -1]);
  assert.deepEqual(Array.from(gt.sign([NaN, -3]).data()), [NaN, -1]);
});

Deno.test("tfjs differs: argMax/argMin skip NaN in tfjs unless it comes first", () => {
  // gradtape follows numpy: a NaN is the extreme. tfjs compares with > and <, which NaN never
  // satisfies, so a NaN is picked only when it is the first element.
  assert.equal(tf.argMax(tf.tensor([1, NaN, 3])).dataSync()[0], 2);
  assert.equal(tf.argMax(tf.tensor([NaN, 1, 3])).dataSync()[0], 0);
  assert.equal(tf.argMin(tf.tensor([1, NaN, 0])).dataSync()[0], 2);
  assert.equal(gt.argMax([1, NaN, 3]).item(), 1);
  assert.equal(gt.argMax([NaN, 1, 3]).item(), 0);
  assert.equal(gt.argMin([1, NaN, 0]).item(), 1);
  // The reductions themselves agree: NaN propagates in both.
  assert.ok(Number.isNaN(tf.max(tf.tensor([1, NaN, 3])).dataSync()[0]));
  assert.ok(Number.isNaN(gt.reduceMax([1, NaN, 3]).item()));
});

Deno.test("tfjs differs: reduceLogSumExp of infinities is NaN in tfjs", () => {
  // tfjs subtracts the maximum unconditionally, and ∞ - ∞ is NaN; gradtape shifts by 0 when the
  // maximum is infinite, giving -∞ for all -∞ (an empty sum's log) and ∞ with a +∞.
  assert.ok(Number.isNaN(tf.logSumExp(tf.tensor([-Infinity, -Infinity])).dataSync()[0]));
  assert.ok(Number.isNaN(tf.logSumExp(tf.tensor([Infinity, 1])).dataSync()[0]));
  assert.equal(gt.reduceLogSumExp([-Infinity, -Infinity]).item(), -Infinity);
  assert.equal(gt.reduceLogSumExp([Infinity, 1]).item(), Infinity);
  // One -∞ among finite values is fine in both.
  const tv = tf.logSumExp(tf.tensor([-Infinity, 0])).dataSync()[0];
  assert.equal(tv, 0);
  assert.equal(gt.reduceLogSumExp([-Infinity, 0]).item(), 0);
});

Deno.test("tfjs differs: softmax and logSoftmax take the last axis only in tfjs", () => {
  const x = [[1, 2, 3], [4, 5, 7]];
  assert.throws(() => tf.softmax(tf.tensor(x), 0), /non-last dimension is not yet supported/);
  assert.throws(() => tf.logSoftmax(tf.tensor(x), 0), /non-last dimension is not yet supported/);
  // gradtape's axis 0 is tfjs's last axis of the transpose.
  const xt = tf.transpose(tf.tensor(x));
  close(gt.softmax(x, 0), tf.transpose(tf.softmax(xt)), {}, "softmax axis 0");
  close(gt.logSoftmax(x, 0), tf.transpose(tf.logSoftmax(xt)), {}, "logSoftmax axis 0");
});

Deno.test("tfjs differs: range of integers is float32 in tfjs, int32 in gradtape", () => {
  // gradtape follows TensorFlow: int32 when start, limit and delta are all integers.
  assert.equal(tf.range(0, 5).dtype, "float32");
  assert.equal(gt.range(0, 5).dtype, "int32");
  assert.deepEqual(Array.from(tf.range(0, 5).dataSync()), gt.range(0, 5).toArray());
});

Deno.test("tfjs differs: einsum without '->' and with a repeated index", () => {
  // gradtape takes numpy's implicit output (the indices seen once, in order); tfjs needs an arrow.
  assert.throws(() => tf.einsum("ij,jk", tf.ones([2, 3]), tf.ones([3, 4])), /without an arrow/);
  assert.deepEqual(gt.einsum("ij,jk", gt.ones([2, 3]), gt.ones([3, 4])).shape, [2, 4]);
  // A repeated index (a diagonal or trace): tfjs refuses it, gradtape takes it as numpy does.
  assert.throws(() => tf.einsum("ii->i", tf.ones([2, 2])), /duplicate axes/);
  assert.deepEqual(gt.einsum("ii->i", [[1, 2], [3, 4]]).toArray(), [1, 4]);
});

Deno.test("tfjs differs: einsum summing an index of one operand beside a contraction", () => {
  // "bij,bjk->kb" sums i (first operand only) and j (shared): each entry is 2·3 ones = 6. tfjs
  // 4.22 returns the wrong shape, and throws for "bij,bjk->bk".
  const a = [2, 2, 3], b = [2, 3, 4];
  assert.deepEqual(tf.einsum("bij,bjk->kb", tf.ones(a), tf.ones(b)).shape, [4, 2, 3]);
  assert.throws(() => tf.einsum("bij,bjk->bk", tf.ones(a), tf.ones(b)), /could not be broadcast/);
  const r = gt.einsum("bij,bjk->kb", gt.ones(a), gt.ones(b));
  assert.deepEqual(r.toArray(), [[6, 6], [6, 6], [6, 6], [6, 6]]);
  assert.deepEqual(gt.einsum("bij,bjk->bk", gt.ones(a), gt.ones(b)).shape, [2, 4]);
});

Deno.test("tfjs agrees: shape and index errors are errors in both", () => {
  const pairs: [() => unknown, () => unknown, RegExp][] = [
    [
      () => tf.add(tf.ones([2, 3]), tf.ones([2])),
      () => gt.add(gt.ones([2, 3]), gt.ones([2])),
      /add: shapes \[2,3\] and \[2\]/,
    ],
    [
      () => tf.matMul(tf.ones([2, 3]), tf.ones([2, 2])),
      () => gt.matmul(gt.ones([2, 3]), gt.ones([2, 2])),
      /matmul: inner dimensions differ: \[2,3\] @ \[2,2\]/,
    ],
    [
      () => tf.gather(tf.ones([3]), tf.tensor([3], [1], "int32")),
      () => gt.gather(gt.ones([3]), i32([3]).gt),
      /gather: index 3 is out of range/,
    ],
    [
      () => tf.gather(tf.ones([3]), tf.tensor([-1], [1], "int32")),
      () => gt.gather(gt.ones([3]), i32([-1]).gt),
      /gather: index -1 is out of range/,
    ],
    [() => tf.squeeze(tf.ones([2, 1]), [0]), () => gt.squeeze(gt.ones([2, 1]), 0), /squeeze/],
    [
      () => tf.gatherND(tf.ones([3]), tf.tensor([[5]], [1, 1], "int32")),
      () => gt.gatherNd(gt.ones([3]), i32([5], [1, 1]).gt),
      /gatherNd: index 5 is out of range for axis 0 of shape \[3\]/,
    ],
    [
      () => tf.scatterND(tf.tensor([[5]], [1, 1], "int32"), tf.ones([1]), [3]),
      () => gt.scatterNd(i32([5], [1, 1]).gt, gt.ones([1]), [3]),
      /scatterNd: index 5 is out of range for axis 0 of shape \[3\]/,
    ],
    [
      () => tf.gather(tf.ones([2, 3]), tf.tensor([3, 0], [2, 1], "int32"), 1, 1),
      () => gt.gather(gt.ones([2, 3]), i32([3, 0], [2, 1]).gt, { axis: 1, batchDims: 1 }),
      /gather: index 3 is out of range/,
    ],
    [
      () => tf.reshape(tf.ones([2, 3]), [4, -1]),
      () => gt.reshape(gt.ones([2, 3]), [4, -1]),
      /reshape/,
    ],
  ];
  for (const [tfCall, gtCall, gtMessage] of pairs) {
    assert.throws(tfCall);
    assert.throws(gtCall, gtMessage);
  }
});

Deno.test("tfjs differs: softmax cross-entropy with labels that do not sum to 1", () => {
  // tfjs's rule for the logits is softmax(x) - z, which is the gradient only when each row of z
  // sums to 1; gradtape differentiates the value both return, -Σ z·logSoftmax(x), whose gradient
  // is softmax(x)·Σz - z.
  const z = [[0.5, 1, 0.25]], x = [[0.3, -1, 2]];
  const tg = tf.grad((l: tf.Tensor) =>
    tf.sum(tf.losses.softmaxCrossEntropy(tf.tensor(z), l, undefined, 0, tf.Reduction.NONE))
  )(tf.tensor(x));
  const g = gt.grad((l: gt.Tensor) => gt.reduceSum(gt.softmaxCrossEntropyWithLogits(z, l)))(
    gt.constant(x),
  );
  const p = gt.softmax(x);
  close(tg, gt.subtract(p, z), {}, "tfjs: softmax(x) - z");
  close(g, gt.subtract(gt.multiply(p, 1.75), z), {}, "gradtape: softmax(x)·Σz - z");
});

// ---- The ops of issue #14.

const i32s = (x: number[]) => tf.tensor(x, [x.length], "int32");
const gti32 = (x: number[]) => gt.constant(x, { dtype: "int32" });

Deno.test("tfjs differs: floorDiv of floats is int32 in tfjs, float in gradtape", () => {
  // TensorFlow's floordiv keeps the dtype: floor(a / b), so a quotient past int32 stays exact and
  // a division by zero gives ±∞. tfjs casts the result to int32: it wraps, and x / 0 becomes 0.
  const a = [1e10, 7.5, -5, 7], b = [1, 0, 0, 2];
  const t = tf.floorDiv(tf.tensor(a), tf.tensor(b));
  assert.equal(t.dtype, "int32");
  assert.deepEqual(Array.from(t.dataSync()), [1410065408, 0, 0, 3]);
  const g = gt.floorDiv(a, b);
  assert.equal(g.dtype, "float32");
  assert.deepEqual(g.toArray(), [1e10, Infinity, -Infinity, 3]);
});

Deno.test("tfjs differs: floorDiv has division's gradient in tfjs, none in gradtape", () => {
  // floor(a / b) is piecewise constant: TensorFlow registers no gradient for FloorDiv, and gradtape
  // cuts the path. tfjs's rule is division's, dy / b.
  assert.deepEqual(tfGrad((x) => tf.floorDiv(x, tf.tensor([2, 4])), [3, 5]), [0.5, 0.25]);
  const x = gt.constant([3, 5]);
  const tape = new gt.GradientTape();
  const y = tape.record(() => {
    tape.watch(x);
    return gt.reduceSum(gt.floorDiv(x, [2, 4]));
  });
  assert.equal(tape.gradient(y, x), null);
});

Deno.test("tfjs differs: int32 floorDiv and mod by zero give 0 in tfjs, an error in gradtape", () => {
  // TensorFlow raises "Integer division by zero" on the CPU; gradtape does the same, naming the op.
  const [a, b] = [[5, -5], [0, 0]];
  assert.deepEqual(Array.from(tf.floorDiv(i32s(a), i32s(b)).dataSync()), [0, 0]);
  assert.deepEqual(Array.from(tf.mod(i32s(a), i32s(b)).dataSync()), [0, 0]);
  assert.throws(() => gt.floorDiv(gti32(a), gti32(b)), /floorDiv: integer division by zero/);
  assert.throws(() => gt.mod(gti32(a), gti32(b)), /mod: integer division by zero/);
  // Floats agree: mod by 0 is NaN in both.
  assert.ok(Number.isNaN(tf.mod(tf.tensor([5]), tf.tensor([0])).dataSync()[0]));
  assert.ok(Number.isNaN(gt.mod([5], [0]).item()));
});

Deno.test("tfjs differs: cumsum and cumprod misread a negative axis in tfjs", () => {
  // TensorFlow takes axis in [-rank, rank). tfjs 4.22 builds a permutation from the raw axis and
  // returns a tensor of the wrong shape (with an undefined dimension) rather than throwing.
  const x = [[1, 2], [3, 4]];
  for (const op of [tf.cumsum, tf.cumprod]) {
    const t = op(tf.tensor(x), -1);
    assert.deepEqual(t.shape, [undefined, 2]);
  }
  assert.deepEqual(gt.cumsum(x, -1).toArray(), [[1, 3], [3, 7]]);
  assert.deepEqual(gt.cumprod(x, -1).toArray(), [[1, 2], [3, 12]]);
});

Deno.test("tfjs differs: cumsum's gradient along a non-last axis is transposed in tfjs", () => {
  // The reverse scan of dy is the gradient; tfjs's rule then applies the permutation that would
  // bring the axis last, although nothing was permuted. For a square matrix it is silently wrong
  // (for other shapes the engine throws, as the rows above check).
  const dy = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
  const tg = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.cumsum(x, 0), tf.tensor(dy))))(
    tf.zeros([3, 3]),
  );
  // ∂/∂x[i][j] of Σ cumsum(x)·dy is Σ_{k ≥ i} dy[k][j], a reverse cumsum down the columns.
  const expected = [[12, 15, 18], [11, 13, 15], [7, 8, 9]];
  assert.deepEqual(tg.arraySync(), expected[0].map((_, j) => expected.map((row) => row[j])));
  const g = gt.grad((x: gt.Tensor) => gt.reduceSum(gt.multiply(gt.cumsum(x, 0), dy)))(
    gt.zeros([3, 3]),
  );
  assert.deepEqual(g.toArray(), expected);
});

Deno.test("tfjs differs: norm takes only ord 1, 2 and ±∞ for vectors in tfjs", () => {
  // TensorFlow's tf.norm takes any positive p for vectors; tfjs refuses it.
  const x = [3, -4, 1];
  assert.throws(() => tf.norm(tf.tensor(x), 3), /invalid ord value: 3/);
  assertAllClose(gt.norm(x, { ord: 3 }), Math.cbrt(27 + 64 + 1), { rtol: 1e-6 });
  assert.throws(() => tf.norm(tf.tensor(x), 0.5), /invalid ord value: 0.5/);
  assertAllClose(gt.norm(x, { ord: 0.5 }), (Math.sqrt(3) + 2 + 1) ** 2, { rtol: 1e-6 });
  // tfjs also takes -∞ (the smallest |x|), which TensorFlow does not list and gradtape refuses.
  assert.equal(tf.norm(tf.tensor(x), -Infinity).dataSync()[0], 1);
  assert.throws(() => gt.norm(x, { ord: -Infinity }), /norm: ord -Infinity is not a vector norm/);
});

Deno.test("tfjs differs: the matrix 2-norm", () => {
  // The spectral norm, the largest singular value (5 here); tfjs refuses ord 2 for matrices.
  const m = [[3, 0], [0, -5]];
  assert.throws(() => tf.norm(tf.tensor(m), 2, [0, 1]));
  assertAllClose(gt.norm(m, { ord: 2, axis: [0, 1] }), 5, { rtol: 1e-6 });
});

Deno.test("tfjs differs: oneHot is int32 by default in tfjs, float32 in gradtape", () => {
  // TensorFlow's one_hot defaults to float32. tfjs also has no axis option.
  const t = tf.oneHot(i32s([1, 0]), 2);
  assert.equal(t.dtype, "int32");
  const g = gt.oneHot([1, 0], 2);
  assert.equal(g.dtype, "float32");
  assert.deepEqual(g.toArray(), t.arraySync());
  assert.deepEqual(gt.oneHot([1, 0], 2, { axis: 0 }).toArray(), [[0, 1], [1, 0]]);
});

Deno.test("tfjs differs: unsortedSegmentSum with ids out of range or of rank 2", () => {
  // As TensorFlow: a negative id drops its row in both. An id ≥ numSegments is an error in
  // TensorFlow (on the CPU) and in gradtape; tfjs drops it silently.
  const data = [1, 2, 3];
  const t = tf.unsortedSegmentSum(tf.tensor(data), i32s([0, -1, 5]) as tf.Tensor1D, 2);
  assert.deepEqual(Array.from(t.dataSync()), [1, 0]);
  assert.deepEqual(gt.unsortedSegmentSum(data, gti32([0, -1, 1]), 2).toArray(), [1, 3]);
  assert.throws(
    () => gt.unsortedSegmentSum(data, gti32([0, -1, 5]), 2),
    /unsortedSegmentSum: index 5 is out of range for numSegments 2/,
  );
  // TensorFlow's segment ids may have any shape that prefixes data's; tfjs assumes a vector.
  const x = [[1, 2], [3, 4]], ids = [[1, 0], [1, 1]];
  // tfjs does not check, and returns a [2, 2] tensor that is no segment sum.
  const ids2 = tf.tensor(ids, [2, 2], "int32") as unknown as tf.Tensor1D;
  assert.deepEqual(tf.unsortedSegmentSum(tf.tensor(x), ids2, 2).arraySync(), [[0, 2], [4, 4]]);
  const g = gt.unsortedSegmentSum(x, gt.constant(ids, { dtype: "int32" }), 2);
  assert.deepEqual(g.toArray(), [2, 8]);
});

Deno.test("tfjs differs: topK with sorted: false", () => {
  // TensorFlow leaves the order unspecified then; gradtape keeps the entries in index order, tfjs
  // in the order its selection leaves them. The same entries either way.
  const x = [1, 3, 3, 2, 3];
  assert.deepEqual(Array.from(tf.topk(tf.tensor(x), 3, false).indices.dataSync()), [4, 1, 2]);
  assert.deepEqual(gt.topK(x, 3, { sorted: false }).indices.toArray(), [1, 2, 4]);
});

Deno.test("tfjs differs: qr's signs, and tfjs's r is not exactly triangular", () => {
  // QR is unique only up to the signs of r's diagonal. gradtape makes it non-negative (so that
  // the factorization is continuous, and differentiable); tfjs keeps its Householder signs, and
  // its r holds rounding residue below the diagonal where TensorFlow's r has zeros.
  const a = [[1, 2, 0], [3, -1, 2], [-2, 0, 1], [0.5, 1, -1]];
  const [tq, tr] = tf.linalg.qr(tf.tensor(a));
  const [q, r] = gt.linalg.qr(a);
  const td = [0, 1, 2].map((i) => (tr.arraySync() as number[][])[i][i]);
  assert.ok(td.some((d) => d < 0));
  assert.ok(Array.from(gt.linalg.diagPart(r).data()).every((d) => d >= 0));
  const below = [[1, 0], [2, 0], [2, 1]].map(([i, j]) => (tr.arraySync() as number[][])[i][j]);
  assert.ok(below.some((v) => v !== 0));
  assert.ok(below.every((v) => Math.abs(v) < 1e-6));
  assert.deepEqual([[1, 0], [2, 0], [2, 1]].map(([i, j]) => (r.toArray() as number[][])[i][j]), [
    0,
    0,
    0,
  ]);
  // Both reconstruct a.
  close(gt.matmul(q, r), gt.constant(a), { atol: 1e-5 }, "gradtape q·r");
  close(tf.matMul(tq, tr), gt.constant(a), { atol: 1e-5 }, "tfjs q·r");
});

Deno.test("tfjs differs: meshgrid takes two vectors in tfjs, any number in gradtape", () => {
  // numpy and TensorFlow take any number of inputs; tfjs's meshgrid(x, y) ignores a third.
  const [x, y, z] = [[1, 2], [3, 4, 5], [6, 7, 8, 9]];
  const call = tf.meshgrid as unknown as (...a: unknown[]) => tf.Tensor[];
  assert.equal(call(tf.tensor(x), tf.tensor(y), tf.tensor(z)).length, 2);
  const grids = gt.meshgrid(x, y, z);
  assert.deepEqual(grids.map((g) => g.shape), [[3, 2, 4], [3, 2, 4], [3, 2, 4]]);
});

Deno.test("tfjs agrees: booleanMask (tfjs's booleanMaskAsync)", async () => {
  // tfjs's is asynchronous (it reads the mask's values to size its result), so it is no row.
  const x = gt.random.normal([3, 2, 4], { seed: 77 });
  const mask = [[true, false], [false, false], [true, true]];
  const t = await tf.booleanMaskAsync(
    tf.tensor(x.data() as Float32Array, [3, 2, 4]),
    tf.tensor2d(mask, [3, 2], "bool"),
  );
  close(gt.booleanMask(x, mask), t, {}, "booleanMask");
  // With an axis: tfjs's third argument; gradtape masks the leading axes, so transpose first.
  const m1 = [true, false, true, true];
  const t1 = await tf.booleanMaskAsync(
    tf.tensor(x.data() as Float32Array, [3, 2, 4]),
    tf.tensor1d(m1, "bool"),
    2,
  );
  const g1 = gt.transpose(gt.booleanMask(gt.transpose(x, [2, 0, 1]), m1), [1, 2, 0]);
  close(g1, t1, {}, "booleanMask on axis 2");
});

Deno.test("tfjs differs: relu6'(6) is 1 and selu'(0) is scale·alpha in tfjs", () => {
  // TensorFlow's Relu6Grad passes the gradient where 0 < x < 6, and SeluGrad takes the left
  // branch only for x < 0; gradtape follows both. tfjs masks relu6 with x ≤ 6 and takes selu's
  // left branch unless x > 0.
  const at = [0, 6, -0.5, 0.75];
  assert.deepEqual(tfGrad(tf.relu6, at), [0, 1, 0, 1]);
  assert.deepEqual(gtGrad(gt.relu6, at), [0, 0, 0, 1]);
  const scale = 1.0507009873554805, alpha = 1.6732632423543772;
  assertAllClose(tfGrad(tf.selu, [0]), [scale * alpha], { rtol: 1e-6 });
  assertAllClose(gtGrad(gt.selu, [0]), [scale], { rtol: 1e-6 });
});

Deno.test("tfjs agrees: the other kinks of the new ops", () => {
  // elu'(0) = 1, leakyRelu'(0) = alpha, and clipByValue passes the gradient at its bounds, in
  // TensorFlow and in both. (The kinks of norm's ord 1 and ∞ inherit abs'(0) and the reduceMax
  // ties above.)
  const at = [0, 6, -0.5, 0.75];
  assert.deepEqual(tfGrad(tf.elu, at), gtGrad(gt.elu, at));
  assert.deepEqual(gtGrad(gt.elu, [0]), [1]);
  assert.deepEqual(tfGrad((x) => tf.leakyRelu(x), at), gtGrad((x) => gt.leakyRelu(x), at));
  assert.deepEqual(gtGrad((x) => gt.leakyRelu(x), [0]), [Math.fround(0.2)]);
  const clip = (x: gt.Tensor) => gt.clipByValue(x, -0.5, 0.75);
  assert.deepEqual(tfGrad((x) => tf.clipByValue(x, -0.5, 0.75), at), gtGrad(clip, at));
  assert.deepEqual(gtGrad(clip, at), [1, 0, 1, 1]);
  assert.deepEqual(tfGrad((x) => tf.norm(x, 1), [0, 2]), [-1, 1]);
  assert.deepEqual(gtGrad((x) => gt.norm(x, { ord: 1 }), [0, 2]), [0, 1]);
});

Deno.test("tfjs differs: erf near 0 is accurate to 1e-7 absolutely in tfjs, not relatively", () => {
  // tfjs evaluates a rational approximation with an absolute error near 1e-7, which is all of the
  // value for tiny x; erf(x) = 2x/√π·(1 - x²/3 + …), so erf(1e-10) is 1.1283792e-10.
  const x = 1e-10, expected = (2 * x) / Math.sqrt(Math.PI);
  const t = tf.erf(tf.tensor([x])).dataSync()[0];
  assert.ok(Math.abs(t - expected) / expected > 5, `tfjs's erf(1e-10) is ${t}`);
  assertAllClose(gt.erf([x]), [expected], { rtol: 1e-6 });
});

Deno.test("tfjs setup: only convolution, pooling and resizing helpers are missing", () => {
  // The names tfjs's gradient files import that tfjs-core does not export: all of them belong to
  // ops that are not compared here.
  assert.deepEqual([...notExported].sort(), [
    "avgPool3dGrad",
    "avgPoolGrad",
    "conv2DBackpropFilter",
    "conv2DBackpropInput",
    "conv3DBackpropFilter",
    "conv3DBackpropInput",
    "depthwiseConv2dNativeBackpropFilter",
    "depthwiseConv2dNativeBackpropInput",
    "localResponseNormalizationBackprop",
    "maxPool3dGrad",
    "maxPoolGrad",
    "resizeBilinear",
    "resizeNearestNeighbor",
  ]);
});
