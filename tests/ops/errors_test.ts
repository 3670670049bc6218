/**
 * Argument errors of the ops, as plain-JavaScript callers meet them: each names the public op
 * and the bad value and says what to do, rather than a raw TypeError from inside the library, a
 * message naming an inner op, or a silently wrong result.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { throwsWith } from "../_helpers.ts";

// deno-lint-ignore no-explicit-any
const js = gt as any; // the ops as an untyped caller sees them
const x = gt.constant([[1, 2, 3], [4, 5, 6]]);
const i32 = gt.constant([[1, 2], [3, 4]], { dtype: "int32" });
const bool = gt.constant([true, false]);

type Row = [
  call: string,
  fn: () => unknown,
  cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  message: RegExp,
];

function runTable(rows: Row[]) {
  return async (t: Deno.TestContext) => {
    for (const [call, fn, cls, message] of rows) {
      await t.step(call, () => void throwsWith(fn, cls, message));
    }
  };
}

Deno.test(
  "reductions and argMax/argMin refuse an axis that is not an integer, naming it",
  runTable([
    [
      'reduceSum(x, "1")',
      () => js.reduceSum(x, "1"),
      TypeError,
      /^reduceSum: axis must be an integer or an array of integers, not "1" \(a string\)$/,
    ],
    ["reduceSum(x, 1.5)", () => js.reduceSum(x, 1.5), TypeError, /^reduceSum: axis .* not 1\.5$/],
    [
      'reduceSum(x, [0, "1"])',
      () => js.reduceSum(x, [0, "1"]),
      TypeError,
      /^reduceSum: axis must be an integer, not "1" \(a string\)$/,
    ],
    ["reduceSum(x, {})", () => js.reduceSum(x, {}), TypeError, /^reduceSum: axis .*an object$/],
    ['reduceMax(x, "0")', () => js.reduceMax(x, "0"), TypeError, /^reduceMax: axis .*"0"/],
    ['reduceMin(x, "0")', () => js.reduceMin(x, "0"), TypeError, /^reduceMin: axis .*"0"/],
    ['reduceMean(x, "1")', () => js.reduceMean(x, "1"), TypeError, /^reduceMean: axis .*"1"/],
    ['reduceProd(x, "1")', () => js.reduceProd(x, "1"), TypeError, /^reduceProd: axis .*"1"/],
    [
      'reduceLogSumExp(x, "1")',
      () => js.reduceLogSumExp(x, "1"),
      TypeError,
      /^reduceLogSumExp: axis .*"1"/,
    ],
    [
      'argMax(x, "1") says the axis must be an integer, not that 1 is out of range',
      () => js.argMax(x, "1"),
      TypeError,
      /^argMax: axis must be an integer, not "1" \(a string\)$/,
    ],
    ["argMin(x, null)", () => js.argMin(x, null), TypeError, /^argMin: axis .* not null$/],
    ["argMax(x, 5) is out of range", () => gt.argMax(x, 5), RangeError, /^argMax: axis 5 .*rank 2/],
    ['softmax(x, "1")', () => js.softmax(x, "1"), TypeError, /^softmax: axis .*"1"/],
    ['squeeze(x, "0")', () => js.squeeze(x, "0"), TypeError, /^squeeze: axis .*"0"/],
  ]),
);

Deno.test(
  "reductions refuse a keepDims that is not a boolean",
  runTable([
    [
      'reduceSum(x, 0, "yes")',
      () => js.reduceSum(x, 0, "yes"),
      TypeError,
      /^reduceSum: keepDims must be true or false, not "yes" \(a string\)$/,
    ],
    ["reduceMax(x, 0, 1)", () => js.reduceMax(x, 0, 1), TypeError, /^reduceMax: keepDims .*1$/],
    ["reduceMean(x, 0, 1)", () => js.reduceMean(x, 0, 1), TypeError, /^reduceMean: keepDims/],
    ["reduceProd(x, 0, 1)", () => js.reduceProd(x, 0, 1), TypeError, /^reduceProd: keepDims/],
    [
      "reduceLogSumExp(x, 0, 1)",
      () => js.reduceLogSumExp(x, 0, 1),
      TypeError,
      /^reduceLogSumExp: keepDims/,
    ],
  ]),
);

Deno.test(
  "shape ops refuse arguments of the wrong form, naming the op and the value",
  runTable([
    [
      'transpose(x, "01")',
      () => js.transpose(x, "01"),
      TypeError,
      /^transpose: perm must be an array of axes such as \[1, 0\], not "01" \(a string\)$/,
    ],
    [
      "transpose(x, [1, -1]) is not a permutation",
      () => gt.transpose(x, [1, -1]),
      Error,
      /^transpose: perm \[1,-1\] is not a permutation of the 2 axes .*\[2,3\]: it must list/,
    ],
    [
      'transpose(x, [0, "1"])',
      () => js.transpose(x, [0, "1"]),
      TypeError,
      /^transpose: perm \[0, "1"\] is not a permutation/,
    ],
    [
      "split(x, 4, 1) does not divide",
      () => gt.split(x, 4, 1),
      Error,
      /^split: axis 1 of shape \[2,3\] has length 3, which does not divide into 4 equal parts$/,
    ],
    [
      "split(x, [1, 1], 1) does not add up",
      () => gt.split(x, [1, 1], 1),
      Error,
      /^split: sizes \[1,1\] do not add up to 3/,
    ],
    [
      "split(x, [1.5, 1.5], 1)",
      () => gt.split(x, [1.5, 1.5], 1),
      TypeError,
      /^split: sizes \[1\.5,1\.5\] must be non-negative integers/,
    ],
    [
      "split(x, [-1, -1], 1)",
      () => gt.split(x, [-1, -1], 1),
      Error,
      /^split: only one size may be -1, got \[-1,-1\]$/,
    ],
    ["split(x, 0, 1)", () => gt.split(x, 0, 1), RangeError, /^split: the number of parts .*not 0/],
    [
      'split(x, "3", 1)',
      () => js.split(x, "3", 1),
      TypeError,
      /^split: numOrSizeSplits must be .* not "3" \(a string\)$/,
    ],
    [
      'slice(x, "0", "1")',
      () => js.slice(x, "0", "1"),
      TypeError,
      /^slice: begin and size must be arrays of integers, .*not "0" \(a string\) and "1"/,
    ],
    [
      'slice(x, [0, "1"], [1, 1])',
      () => js.slice(x, [0, "1"], [1, 1]),
      TypeError,
      /^slice: begin \[0, "1"\] and size \[1,1\] must hold integers.*got "1" \(a string\)$/,
    ],
    [
      "slice(x, [0, 2], [1, 2]) runs past the end",
      () => gt.slice(x, [0, 2], [1, 2]),
      RangeError,
      /^slice: axis 1 of shape \[2,3\] has length 3, but the block runs from 2 for 2 elements/,
    ],
    [
      "slice(x, [0, 0], [1, -2])",
      () => gt.slice(x, [0, 0], [1, -2]),
      RangeError,
      /^slice: .*size \[1,-2\] .*got -2$/,
    ],
    ['tile(x, "22")', () => js.tile(x, "22"), TypeError, /^tile: multiples "22" \(a string\)/],
    ["tile(x, [2, 1.5])", () => gt.tile(x, [2, 1.5]), Error, /^tile: multiples \[2,1\.5\] must/],
    [
      'broadcastTo(x, "23")',
      () => js.broadcastTo(x, "23"),
      TypeError,
      /^broadcastTo: shape must be an array .*not "23" \(a string\)$/,
    ],
    [
      "broadcastTo(x, [3])",
      () => gt.broadcastTo(x, [3]),
      Error,
      /^broadcastTo: cannot broadcast \[2,3\] to \[3\]: /,
    ],
    [
      "concat(x, 0) with a tensor for the list",
      () => js.concat(x, 0),
      TypeError,
      /^concat: expects an array of tensors, not an object of type Tensor$/,
    ],
    [
      "concat([], 0)",
      () => gt.concat([], 0),
      Error,
      /^concat: needs at least one tensor, got an empty array$/,
    ],
    [
      "concat([x, [1, 2]], 0) of different ranks",
      () => gt.concat([x, [1, 2]], 0),
      Error,
      /^concat: ranks differ: \[2,3\] and \[2\]: every tensor needs rank 2$/,
    ],
    [
      "concat([x, [[1, 2]]], 0) of different shapes",
      () => gt.concat([x, [[1, 2]]], 0),
      Error,
      /^concat: shapes \[2,3\] and \[1,2\] differ outside axis 0$/,
    ],
    [
      'concat([x, x], "0")',
      () => js.concat([x, x], "0"),
      TypeError,
      /^concat: axis must be an integer, not "0" \(a string\)$/,
    ],
    ["addN(5)", () => js.addN(5), TypeError, /^addN: expects an array of tensors, not 5$/],
    ["addN([])", () => gt.addN([]), Error, /^addN: needs at least one tensor, got an empty array$/],
    [
      "addN([x, [1, 2]])",
      () => gt.addN([x, [1, 2]]),
      Error,
      /^addN: shapes differ: \[2,3\] and \[2\]/,
    ],
    ["stack(5)", () => js.stack(5), TypeError, /^stack: expects an array of tensors, not 5$/],
    ["stack([])", () => gt.stack([]), Error, /^stack: needs at least one tensor, got an empty/],
    [
      'stack([x, x], "0")',
      () => js.stack([x, x], "0"),
      TypeError,
      /^stack: axis must be an integer, not "0"/,
    ],
    [
      'expandDims(x, "0")',
      () => js.expandDims(x, "0"),
      TypeError,
      /^expandDims: axis must be an integer, not "0" \(a string\)$/,
    ],
    [
      "expandDims(x) without an axis",
      () => js.expandDims(x),
      TypeError,
      /^expandDims: axis must be an integer, not undefined$/,
    ],
    [
      "reshape(x, 6)",
      () => js.reshape(x, 6),
      TypeError,
      /^reshape: shape must be an array of non-negative integers such as \[2, 3\], not 6$/,
    ],
    [
      'reshape(x, [2, "3"])',
      () => js.reshape(x, [2, "3"]),
      TypeError,
      /^reshape: shape \[2, "3"\] is not valid: .*or -1 \(once\) to infer it$/,
    ],
    [
      "reshape(x, [0, -1])",
      () => gt.reshape(x, [0, -1]),
      Error,
      /^reshape: cannot infer the -1 in \[0,-1\]/,
    ],
    [
      "pad(x, 5)",
      () => js.pad(x, 5),
      TypeError,
      /^pad: paddings must be an array of \[before, after\] pairs, one per axis, not 5$/,
    ],
    [
      "pad(x, [1, 1]) without pairs",
      () => js.pad(x, [1, 1]),
      TypeError,
      /^pad: each padding must be a \[before, after\] pair .*got 1$/,
    ],
    [
      "pad(x, [[1, 1], [-1, 0]]) with a negative padding",
      () => gt.pad(x, [[1, 1], [-1, 0]]),
      RangeError,
      /^pad: each padding .*non-negative integers, got \[-1,0\]$/,
    ],
    [
      'pad(x, [[0, 0], [0, 0]], "a")',
      () => js.pad(x, [[0, 0], [0, 0]], "a"),
      TypeError,
      /^pad: constantValue "a" \(a string\) does not fit a float32 tensor/,
    ],
    [
      "pad(int32, [[1, 0], [0, 0]], 1.5)",
      () => gt.pad(i32, [[1, 0], [0, 0]], 1.5),
      TypeError,
      /^pad: constantValue 1\.5 does not fit a int32 tensor: use an integer$/,
    ],
  ]),
);

Deno.test(
  "gather names non-integer indices and suggests int32, never float32",
  runTable([
    [
      "gather(x, [1.5])",
      () => gt.gather(x, [1.5]),
      TypeError,
      /^gather: indices must be integers, got 1\.5: pass whole numbers, or an int32 tensor$/,
    ],
    [
      "gather(x, float32 tensor)",
      () => gt.gather(x, gt.constant([1])),
      TypeError,
      /^gather: indices must be int32, got float32: cast them with cast\(i, "int32"\)$/,
    ],
    [
      'gather(x, [0], "1")',
      () => js.gather(x, [0], "1"),
      TypeError,
      /^gather: axis must be an integer, not "1"/,
    ],
    ["gather(x, [5])", () => gt.gather(x, [5]), RangeError, /^gather: index 5 is out of range/],
  ]),
);

Deno.test("gather still takes plain integer indices, large ones exactly", () => {
  assert.deepEqual(gt.gather(x, [1, 0]).toArray(), [[4, 5, 6], [1, 2, 3]]);
  const wide = gt.reshape(gt.range(0, 2 ** 24 + 2), [1, -1]);
  assert.deepEqual(gt.gather(wide, [2 ** 24 + 1], 1).shape, [1, 1]);
});

Deno.test(
  "einsum and tensordot check their own arguments, so no inner transpose is named",
  runTable([
    [
      "einsum(5)",
      () => js.einsum(5, x),
      TypeError,
      /^einsum: the equation must be a string such as "ij,jk->ik", not 5$/,
    ],
    [
      'einsum("ij->ii")',
      () => gt.einsum("ij->ii", x),
      Error,
      /^einsum: output subscripts "ii" must be distinct letters/,
    ],
    [
      'einsum("ij->j->i")',
      () => gt.einsum("ij->j->i", x),
      Error,
      /^einsum: "ij->j->i" has more than one "->"$/,
    ],
    [
      'einsum("i,i,i->") of two operands',
      () => gt.einsum("i,i,i->", [1], [1]),
      Error,
      /^einsum: "i,i,i->" names 3 operands but 2 were given$/,
    ],
    [
      'einsum("i,i->") of one operand',
      () => gt.einsum("i,i->", [1]),
      Error,
      /^einsum: "i,i->" names 2 operands but 1 was given$/,
    ],
    [
      'einsum("ij") of two operands',
      () => gt.einsum("ij", x, x),
      Error,
      /^einsum: "ij" names 1 operand but 2 were given$/,
    ],
    [
      'tensordot(x, x, "1")',
      () => js.tensordot(x, x, "1"),
      TypeError,
      /^tensordot: axes must be a number or a pair \[axesA, axesB\] .*not "1" \(a string\)$/,
    ],
    [
      "tensordot(x, x) without axes",
      () => js.tensordot(x, x),
      TypeError,
      /^tensordot: axes must be .*not undefined$/,
    ],
    [
      "tensordot(x, x, [[1]])",
      () => js.tensordot(x, x, [[1]]),
      TypeError,
      /^tensordot: axes must be .*not an array of length 1$/,
    ],
    [
      "tensordot(x, x, [[0, 0], [0, 1]]) repeats an axis",
      () => gt.tensordot(x, x, [[0, 0], [0, 1]]),
      Error,
      /^tensordot: axes \[0,0\] name an axis of shape \[2,3\] twice/,
    ],
    [
      "tensordot(x, x, [[0, 1], [0]]) of unequal counts",
      () => gt.tensordot(x, x, [[0, 1], [0]]),
      Error,
      /^tensordot: axes \[0,1\] of \[2,3\] and \[0\] of \[2,3\] are 2 and 1 axes/,
    ],
    [
      "tensordot(x, x, [[1], [0]]) of unequal lengths",
      () => gt.tensordot(x, x, [[1], [0]]),
      Error,
      /^tensordot: .*axis 1 has 3 elements and axis 0 has 2/,
    ],
    [
      "tensordot(x, x, 1.5)",
      () => gt.tensordot(x, x, 1.5),
      TypeError,
      /^tensordot: cannot contract 1\.5 axes .*: give an integer in \[0, 2\]$/,
    ],
  ]),
);

Deno.test("tensordot takes a pair of single axes, as TensorFlow does", () => {
  const b = [[1, 0], [0, 1], [1, 1]];
  assert.deepEqual(gt.tensordot(x, b, [1, 0]).toArray(), gt.tensordot(x, b, 1).toArray());
});

Deno.test(
  "composites given int32 or bool name themselves and say to cast to float32",
  runTable([
    [
      "softmax(int32)",
      () => gt.softmax(i32),
      TypeError,
      /^softmax: expects a float32 or float64 tensor, got int32: cast it with cast\(x, "float32"\)$/,
    ],
    ["softmax(bool)", () => gt.softmax(bool), TypeError, /^softmax: .*got bool/],
    ["logSoftmax(int32)", () => gt.logSoftmax(i32), TypeError, /^logSoftmax: .*got int32/],
    [
      "reduceLogSumExp(int32)",
      () => gt.reduceLogSumExp(i32),
      TypeError,
      /^reduceLogSumExp: .*got int32/,
    ],
    [
      "reduceMean(bool)",
      () => gt.reduceMean(bool),
      TypeError,
      /^reduceMean: no arithmetic on bool/,
    ],
    [
      "reduceProd(bool)",
      () => gt.reduceProd(bool),
      TypeError,
      /^reduceProd: no arithmetic on bool/,
    ],
    ["l2Loss(int32)", () => gt.l2Loss(i32), TypeError, /^l2Loss: .*got int32: cast it/],
    ["rsqrt(int32)", () => gt.rsqrt(i32), TypeError, /^rsqrt: .*got int32/],
    ["square(bool)", () => gt.square(bool), TypeError, /^square: no arithmetic on bool/],
    [
      "squaredDifference(bool, bool)",
      () => gt.squaredDifference(bool, bool),
      TypeError,
      /^squaredDifference: no arithmetic on bool/,
    ],
    [
      "squaredDifference of shapes that do not broadcast",
      () => gt.squaredDifference(x, [1, 2]),
      Error,
      /^squaredDifference: shapes \[2,3\] and \[2\] cannot be broadcast/,
    ],
    [
      "sigmoidCrossEntropyWithLogits of shapes that do not broadcast",
      () => gt.sigmoidCrossEntropyWithLogits([1, 0], x),
      Error,
      /^sigmoidCrossEntropyWithLogits: shapes \[2\] and \[2,3\] cannot be broadcast/,
    ],
    [
      "softmaxCrossEntropyWithLogits(labels, int32 logits)",
      () => gt.softmaxCrossEntropyWithLogits([[1, 0], [0, 1]], i32),
      TypeError,
      /^softmaxCrossEntropyWithLogits: logits must be float32 or float64, got int32: cast them/,
    ],
    [
      "sigmoidCrossEntropyWithLogits(labels, int32 logits)",
      () => gt.sigmoidCrossEntropyWithLogits([[1, 0], [0, 1]], i32),
      TypeError,
      /^sigmoidCrossEntropyWithLogits: logits must be float32 or float64, got int32/,
    ],
  ]),
);

Deno.test("int labels of the cross-entropies ask for float labels, never a cast to int32", () => {
  const labels = gt.constant([[0, 1], [1, 0]], { dtype: "int32" });
  const logits = gt.constant([[0.5, 1], [2, 0]]);
  const soft = throwsWith(
    () => gt.softmaxCrossEntropyWithLogits(labels, logits),
    TypeError,
    /^softmaxCrossEntropyWithLogits: labels must be probabilities .*of the logits' dtype, not int32: pass one-hot float labels/,
  );
  const sig = throwsWith(
    () => gt.sigmoidCrossEntropyWithLogits(labels, logits),
    TypeError,
    /^sigmoidCrossEntropyWithLogits: labels must be probabilities in \[0, 1\] .*not int32: pass float labels/,
  );
  for (const m of [soft, sig]) assert.doesNotMatch(m, /"int32"/);
});

Deno.test(
  "matmul refuses a misspelt option, listing the accepted names",
  runTable([
    [
      "matmul(a, b, { tranposeB: true })",
      () => js.matmul(x, x, { tranposeB: true }),
      TypeError,
      /^matmul: unknown option 'tranposeB' \(did you mean 'transposeB'\?\): the accepted options are 'transposeA', 'transposeB'$/,
    ],
    [
      "matmul(a, b, 5)",
      () => js.matmul(x, x, 5),
      TypeError,
      /^matmul: options must be an object such as \{ transposeA: … \}, not 5$/,
    ],
    [
      'matmul(a, b, { transposeA: "yes" })',
      () => js.matmul(x, x, { transposeA: "yes" }),
      TypeError,
      /^matmul: transposeA must be true or false, not "yes" \(a string\)$/,
    ],
  ]),
);

Deno.test("matmul still takes its options, and none", () => {
  assert.deepEqual(gt.matmul(x, x, { transposeB: true }).toArray(), [[14, 32], [32, 77]]);
  assert.deepEqual(gt.matmul(x, [[1], [1], [1]], {}).toArray(), [[6], [15]]);
  assert.deepEqual(gt.matmul(x, [[1], [1], [1]], undefined).toArray(), [[6], [15]]);
});

Deno.test(
  "dtypes differ: the hint casts the integer or bool operand to the float dtype, in every op",
  runTable([
    [
      "matmul(int32, float32)",
      () => gt.matmul(i32, gt.constant([[1], [2]])),
      TypeError,
      /^matmul: dtypes differ: int32 and float32: cast the int32 one with cast\(x, "float32"\) first$/,
    ],
    [
      "matmul(float64, int32)",
      () => gt.matmul(gt.constant([[1, 2]], { dtype: "float64" }), i32),
      TypeError,
      /^matmul: dtypes differ: float64 and int32: cast the int32 one with cast\(x, "float64"\) first$/,
    ],
    [
      "add(int32, float32)",
      () => gt.add(i32, gt.constant([[1, 2], [3, 4]])),
      TypeError,
      /^add: dtypes differ: int32 and float32: cast the int32 one with cast\(x, "float32"\) first$/,
    ],
    [
      "multiply(float32, bool)",
      () => gt.multiply(gt.constant([1, 2]), bool),
      TypeError,
      /^multiply: dtypes differ: float32 and bool: cast the bool one with cast\(x, "float32"\) first$/,
    ],
    [
      "add(bool, int32)",
      () => gt.add(bool, gt.constant([1, 2], { dtype: "int32" })),
      TypeError,
      /^add: dtypes differ: bool and int32: cast the bool one with cast\(x, "int32"\) first$/,
    ],
    [
      "concat([int32, float32])",
      () => gt.concat([i32, gt.constant([[1, 2]])], 0),
      TypeError,
      /^concat: dtypes differ: int32 and float32: cast the int32 one with cast\(x, "float32"\) first$/,
    ],
    [
      "where(c, int32, float32)",
      () => gt.where(gt.constant([[true, false], [true, true]]), i32, gt.zeros([2, 2])),
      TypeError,
      /^where: dtypes differ: int32 and float32: cast the int32 one with cast\(x, "float32"\) first$/,
    ],
    [
      "add(float32, float64): either way may be meant",
      () => gt.add(gt.constant([1]), gt.constant([1], { dtype: "float64" })),
      TypeError,
      /^add: dtypes differ: float32 and float64: cast one with cast\(x, "float32"\) first$/,
    ],
  ]),
);
