/**
 * `Variable`: construction options, reading, the assign family (and that a refused assignment
 * changes nothing), snapshots taken by recordings, and the method forms.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { DType } from "../../mod.ts";
import { assertAllClose } from "../../src/testing/mod.ts";

Deno.test("new Variable: defaults and options", async (t) => {
  await t.step("defaults: name 'Variable', trainable, float32 for numbers", () => {
    const v = new gt.Variable(1.5);
    assert.equal(v.name, "Variable");
    assert.equal(v.trainable, true);
    assert.equal(v.dtype, "float32");
    assert.deepEqual(v.shape, []);
    assert.equal(v.value().item(), 1.5);
  });
  await t.step("name and trainable are kept", () => {
    const v = new gt.Variable([1, 2], { name: "bias", trainable: false });
    assert.equal(v.name, "bias");
    assert.equal(v.trainable, false);
    assert.deepEqual(v.shape, [2]);
  });
  await t.step("dtype converts the initial value", () => {
    const d = new gt.Variable(0.1, { dtype: "float64" });
    assert.equal(d.dtype, "float64");
    assert.equal(d.value().item(), 0.1);
    const i = new gt.Variable([2, -2], { dtype: "int32" });
    assert.equal(i.dtype, "int32");
    assert.deepEqual(i.value().toArray(), [2, -2]);
    assert.throws(() => new gt.Variable([2.9], { dtype: "int32" }), /cannot convert 2\.9 to int32/);
  });
  await t.step("a tensor's dtype and shape carry over", () => {
    const v = new gt.Variable(gt.zeros([2, 3], "float64"));
    assert.equal(v.dtype, "float64");
    assert.deepEqual(v.shape, [2, 3]);
    assert.equal(v.rank, 2);
    assert.equal(v.size, 6);
  });
  await t.step("booleans make a bool variable", () => {
    assert.equal(new gt.Variable([true]).dtype, "bool");
  });
  await t.step("an unknown dtype is an error naming it", () => {
    assert.throws(() => new gt.Variable(1, { dtype: "float16" as DType }), /float16/);
  });
});

Deno.test("value() returns the current value as a Tensor", () => {
  const v = new gt.Variable([[1, 2], [3, 4]]);
  const t = v.value();
  assert.ok(t instanceof gt.Tensor);
  assert.deepEqual(t.shape, [2, 2]);
  assert.deepEqual(t.toArray(), [[1, 2], [3, 4]]);
});

Deno.test("a value read earlier does not change when the variable is assigned", () => {
  const v = new gt.Variable([1, 2]);
  const before = v.value();
  v.assign([5, 6]);
  v.assignAdd([1, 1]);
  assert.deepEqual(before.toArray(), [1, 2]);
  assert.deepEqual(v.value().toArray(), [6, 7]);
});

Deno.test("assign, assignAdd and assignSub update the value and return the variable", async (t) => {
  await t.step("assign", () => {
    const v = new gt.Variable([1, 2, 3]);
    assert.equal(v.assign([4, 5, 6]), v);
    assert.deepEqual(v.value().toArray(), [4, 5, 6]);
  });
  await t.step("assignAdd", () => {
    const v = new gt.Variable([1, 2, 3]);
    assert.equal(v.assignAdd([10, 20, 30]), v);
    assert.deepEqual(v.value().toArray(), [11, 22, 33]);
  });
  await t.step("assignSub", () => {
    const v = new gt.Variable([1, 2, 3]);
    assert.equal(v.assignSub([0.5, 0.5, 0.5]), v);
    assertAllClose(v.value(), [0.5, 1.5, 2.5]);
  });
  await t.step("they chain", () => {
    const v = new gt.Variable(1);
    v.assign(10).assignAdd(5).assignSub(3);
    assert.equal(v.value().item(), 12);
  });
  await t.step("assign accepts a tensor or another variable", () => {
    const v = new gt.Variable([0, 0]);
    v.assign(gt.constant([1, 2]));
    assert.deepEqual(v.value().toArray(), [1, 2]);
    v.assign(new gt.Variable([3, 4]));
    assert.deepEqual(v.value().toArray(), [3, 4]);
  });
  await t.step("plain numbers take the variable's dtype (float64 keeps its precision)", () => {
    const v = new gt.Variable(0, { dtype: "float64" });
    v.assign(0.1);
    assert.equal(v.dtype, "float64");
    assert.equal(v.value().item(), 0.1);
    v.assignAdd(0.2);
    assert.equal(v.value().item(), 0.1 + 0.2);
  });
  await t.step("float32 arithmetic rounds to float32", () => {
    const v = new gt.Variable(0.1);
    v.assignAdd(0.2);
    assert.equal(v.value().item(), Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });
  await t.step("int32 variables stay int32", () => {
    const v = new gt.Variable([1, 2], { dtype: "int32" });
    v.assignAdd([3, -5]);
    assert.equal(v.value().dtype, "int32");
    assert.deepEqual(v.value().toArray(), [4, -3]);
  });
});

Deno.test("a shape mismatch in assign is an error naming both shapes, and changes nothing", async (t) => {
  const calls = ["assign", "assignAdd", "assignSub"] as const;
  for (const call of calls) {
    await t.step(call, () => {
      const v = new gt.Variable([[1, 2, 3]], { name: "w" });
      assert.throws(
        () => v[call]([1, 2, 3]),
        (e: Error) =>
          e.message.includes(call) && e.message.includes("'w'") &&
          e.message.includes("[1,3]") && e.message.includes("[3]"),
      );
      assert.deepEqual(v.shape, [1, 3]);
      assert.deepEqual(v.value().toArray(), [[1, 2, 3]]);
    });
  }
  await t.step("a scalar is not broadcast into a vector variable", () => {
    const v = new gt.Variable([1, 2], { name: "v" });
    assert.throws(
      () => v.assign(0),
      (e: Error) => /\[2\]/.test(e.message) && /\[\]/.test(e.message),
    );
    assert.deepEqual(v.value().toArray(), [1, 2]);
  });
});

Deno.test("a dtype mismatch in assign is an error naming both dtypes, and changes nothing", async (t) => {
  const calls = ["assign", "assignAdd", "assignSub"] as const;
  for (const call of calls) {
    await t.step(call, () => {
      const v = new gt.Variable([1, 2], { name: "w" });
      assert.throws(
        () => v[call](gt.constant([1, 2], { dtype: "float64" })),
        (e: Error) =>
          e.message.includes(call) && e.message.includes("float32") &&
          e.message.includes("float64"),
      );
      assert.equal(v.dtype, "float32");
      assert.deepEqual(v.value().toArray(), [1, 2]);
    });
  }
});

Deno.test("reading a variable inside a recording takes a snapshot", async (t) => {
  await t.step("assigning after the recording changes neither value nor gradient", () => {
    const x = new gt.Variable(3, { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => x.mul(x));
    x.assign(10);
    assert.equal(y.item(), 9);
    const g = tape.gradient(y, x);
    assert.ok(g !== null);
    assert.equal(g.item(), 6);
  });
  await t.step("assigning inside the recording after the read", () => {
    const x = new gt.Variable(3, { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      const sq = x.square();
      x.assign(10);
      return sq;
    });
    assert.equal(y.item(), 9);
    assert.equal(tape.gradient(y, x)?.item(), 6);
    assert.equal(x.value().item(), 10);
  });
  await t.step("a later read sees the new value, an earlier one keeps the old", () => {
    const x = new gt.Variable(2, { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => {
      const a = x.value(); // 2
      x.assignAdd(1);
      const b = x.value(); // 3
      return gt.multiply(a, gt.multiply(b, b)); // a·b² = 18
    });
    assert.equal(y.item(), 18);
    // Both reads are of x: dy/dx = b² + 2ab = 9 + 12.
    assert.equal(tape.gradient(y, x)?.item(), 21);
  });
  await t.step("a persistent tape gives the same gradient after several assignments", () => {
    const w = new gt.Variable([1, 2], { name: "w" });
    const tape = new gt.GradientTape({ persistent: true });
    const loss = tape.record(() => gt.reduceSum(gt.square(w)));
    const first = tape.gradient(loss, w)!.toArray();
    w.assignSub([5, 5]);
    w.assign([100, 100]);
    assert.deepEqual(tape.gradient(loss, w)!.toArray(), first);
    assert.deepEqual(first, [2, 4]);
    tape.dispose();
  });
});

Deno.test("variable method forms agree with the functions", async (t) => {
  const v = new gt.Variable([[1, 2], [3, 4]], { name: "v" });
  const x = v.value();
  const pairs: [string, gt.Tensor, gt.Tensor][] = [
    ["add", v.add(2), gt.add(x, 2)],
    ["sub", v.sub([1, 1]), gt.subtract(x, [1, 1])],
    ["mul", v.mul(v), gt.multiply(x, x)],
    ["div", v.div(4), gt.divide(x, 4)],
    ["pow", v.pow(3), gt.pow(x, 3)],
    ["neg", v.neg(), gt.negative(x)],
    ["square", v.square(), gt.square(x)],
    ["sqrt", v.sqrt(), gt.sqrt(x)],
    ["exp", v.exp(), gt.exp(x)],
    ["log", v.log(), gt.log(x)],
    ["sin", v.sin(), gt.sin(x)],
    ["cos", v.cos(), gt.cos(x)],
    ["tanh", v.tanh(), gt.tanh(x)],
    ["abs", v.abs(), gt.abs(x)],
    ["matmul", v.matmul(v), gt.matmul(x, x)],
    ["sum", v.sum(0), gt.reduceSum(x, 0)],
    ["mean", v.mean(1, true), gt.reduceMean(x, 1, true)],
    ["max", v.max(), gt.reduceMax(x)],
    ["reshape", v.reshape([4]), gt.reshape(x, [4])],
    ["transpose", v.transpose(), gt.transpose(x)],
    ["cast", v.cast("int32"), gt.cast(x, "int32")],
  ];
  for (const [name, method, fn] of pairs) {
    await t.step(name, () => {
      assert.deepEqual(method.shape, fn.shape);
      assert.equal(method.dtype, fn.dtype);
      assert.deepEqual(method.toArray(), fn.toArray());
    });
  }
  await t.step("the values are the variable's", () => {
    assert.deepEqual(v.add(2).toArray(), [[3, 4], [5, 6]]);
    assert.deepEqual(v.sum(0).toArray(), [4, 6]);
  });
});

Deno.test("a variable's shape is fixed and frozen", () => {
  const v = new gt.Variable([1, 2, 3]);
  assert.ok(Object.isFrozen(v.shape));
  assert.throws(() => (v.shape as number[]).push(4), TypeError);
  assert.deepEqual(v.shape, [3]);
});

Deno.test("assignAdd and assignSub of a bool variable are errors that change nothing", () => {
  // Adding to the byte behind `true` stored 2 (and subtracting, 255); TensorFlow refuses both.
  const flag = new gt.Variable([true, false], { name: "flag" });
  for (const call of ["assignAdd", "assignSub"] as const) {
    assert.throws(
      () => flag[call]([true, true]),
      (e: Error) =>
        e instanceof TypeError &&
        e.message.startsWith(`${call}: variable 'flag' is bool`) &&
        e.message.includes("only assign"),
    );
    assert.deepEqual(Array.from(flag.value().data()), [1, 0]);
  }
  flag.assign([false, true]);
  assert.deepEqual(flag.value().toArray(), [false, true]);
});

Deno.test("a plain number updates a scalar variable only: nothing is broadcast", async (t) => {
  for (const call of ["assign", "assignAdd", "assignSub"] as const) {
    await t.step(call, () => {
      const s = new gt.Variable(1, { name: "s" });
      s[call](2);
      assert.equal(s.value().item(), call === "assign" ? 2 : call === "assignAdd" ? 3 : -1);
      const v = new gt.Variable([1, 2], { name: "v" });
      assert.throws(
        () => v[call](1),
        (e: Error) => e.message.startsWith(`${call}: variable 'v' has shape [2]`),
      );
      assert.deepEqual(v.value().toArray(), [1, 2]);
    });
  }
});

Deno.test("a value int32 cannot hold is refused by an int32 variable, which stays as it was", async (t) => {
  const cases: [string, gt.TensorLike][] = [
    ["1.5", [1, 1.5]],
    ["3000000000", new Float64Array([1, 3e9])],
    ["2.5", new Float32Array([2.5, 1])],
    ["2147483648", [2 ** 31, 0]],
  ];
  for (const call of ["assign", "assignAdd", "assignSub"] as const) {
    for (const [bad, value] of cases) {
      await t.step(`${call}(${bad})`, () => {
        const v = new gt.Variable([7, 8], { name: "count", dtype: "int32" });
        assert.throws(
          () => v[call](value),
          (e: Error) =>
            e instanceof RangeError && e.message.includes(`cannot convert ${bad} to int32`),
        );
        assert.deepEqual(v.value().toArray(), [7, 8]);
        assert.equal(v.dtype, "int32");
      });
    }
  }
});

Deno.test("new Variable refuses initial values int32 cannot hold, from any source", () => {
  const sources: [string, gt.TensorLike][] = [
    ["2147483648", 2 ** 31],
    ["-2147483649", [-(2 ** 31) - 1]],
    ["3000000000", new Float64Array([3e9])],
    ["1.5", new Float32Array([1.5])],
    ["0.5", gt.constant([0.5], { dtype: "float64" })],
    ["3000000000", gt.constant([3e9], { dtype: "float64" })],
  ];
  for (const [bad, initial] of sources) {
    assert.throws(
      () => new gt.Variable(initial, { dtype: "int32" }),
      (e: Error) => e.message.startsWith(`Variable: cannot convert ${bad} to int32`),
      bad,
    );
  }
  // What int32 holds exactly still converts, from a float tensor too.
  const v = new gt.Variable(gt.constant([-(2 ** 31), 2 ** 31 - 1], { dtype: "float64" }), {
    dtype: "int32",
  });
  assert.deepEqual(v.value().toArray(), [-(2 ** 31), 2 ** 31 - 1]);
});

Deno.test("new Variable checks its options, as plain JavaScript may pass anything", async (t) => {
  const make = (options: unknown) => () => new gt.Variable(1, options as gt.VariableOptions);
  await t.step("a misspelt option is an error listing the accepted ones", () => {
    assert.throws(
      make({ trainabel: false }),
      (e: Error) =>
        e.message.startsWith("Variable: unknown option 'trainabel' (did you mean 'trainable'?)") &&
        e.message.includes("'name', 'trainable', 'dtype'"),
    );
  });
  await t.step("options that are not an object", () => {
    assert.throws(make(null), /^TypeError: Variable: options must be an object.*not null/);
    assert.throws(make("x"), /Variable: options must be an object.*"x"/);
  });
  await t.step('trainable must be a boolean ("no" is truthy)', () => {
    assert.throws(
      make({ trainable: "no" }),
      /^TypeError: Variable: trainable must be true or false, not "no"/,
    );
    assert.throws(make({ trainable: 0 }), /Variable: trainable must be true or false, not 0/);
  });
  await t.step("name must be a string", () => {
    assert.throws(make({ name: 5 }), /^TypeError: Variable: name must be a string, not 5/);
  });
  await t.step("dtype must be one of the four, even a name every object has", () => {
    for (const dtype of ["toString", "__proto__", "constructor"]) {
      assert.throws(
        make({ dtype }),
        (e: Error) =>
          e.message ===
            `Variable: unknown dtype "${dtype}": use "float32", "float64", "int32" or "bool"`,
      );
    }
  });
});

Deno.test("a Variable reads out as a tensor does: item(), toArray(), data() and JSON", () => {
  const v = new gt.Variable([[1, 2], [3, 4]], { dtype: "float64" });
  assert.deepEqual(v.toArray(), [[1, 2], [3, 4]]);
  const data = v.data();
  v.assign([[5, 6], [7, 8]]);
  assert.deepEqual(data, new Float64Array([1, 2, 3, 4]), "data() is a copy");
  assert.equal(JSON.stringify(v), "[[5,6],[7,8]]");
  assert.equal(JSON.stringify({ x: gt.constant([true, false]) }), '{"x":[true,false]}');
  assert.equal(new gt.Variable(2.5).item(), 2.5);
  assert.throws(() => v.item(), /item: the tensor has shape \[2,2\]/);
});

Deno.test("a variable refuses a value mapped by vmap, and keeps its own", () => {
  const v = new gt.Variable([0, 0], { name: "v" });
  assert.throws(
    () => gt.vmap((x: gt.Tensor) => v.assign(x).value())(gt.ones([3, 2])),
    /^TypeError: assign: variable 'v' cannot hold a tensor batched by vmap/,
  );
  assert.throws(
    () => gt.vmap((x: gt.Tensor) => v.assignAdd(x).value())(gt.ones([3, 2])),
    /^TypeError: assignAdd: variable 'v' cannot hold a tensor batched by vmap/,
  );
  assert.deepEqual(v.toArray(), [0, 0]);
});

Deno.test("a released tensor is refused by assign, inside a tidy or outside, and changes nothing", () => {
  const v = new gt.Variable([1, 2]);
  let released: gt.Tensor | undefined;
  gt.tidy(() => {
    released = gt.constant([3, 4]).mul(2);
  });
  assert.throws(() => v.assign(released!), /released when the tidy\(\) that made it ended/);
  assert.deepEqual(v.value().toArray(), [1, 2]);
  gt.tidy(() => {
    assert.throws(() => v.assign(released!), /released/);
  });
  assert.deepEqual(v.value().toArray(), [1, 2]);
});
