/**
 * Printing: `toString()` in TensorFlow's layout (numpy-style rows), the same text through
 * Deno's and Node's inspect (so `console.log` shows it), and the Variable form.
 */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import * as gt from "../../mod.ts";

Deno.test("a scalar prints as Tensor(value, shape=[], dtype=...)", () => {
  assert.equal(gt.constant(6).toString(), "Tensor(6, shape=[], dtype=float32)");
  assert.equal(
    gt.constant(-2.5, { dtype: "float64" }).toString(),
    "Tensor(-2.5, shape=[], dtype=float64)",
  );
  assert.equal(
    gt.constant(3, { dtype: "int32" }).toString(),
    "Tensor(3, shape=[], dtype=int32)",
  );
  assert.equal(gt.constant(true).toString(), "Tensor(true, shape=[], dtype=bool)");
});

Deno.test("float32 values print as the shortest text that reads back the same", async (t) => {
  await t.step("0.1 is 0.1, not 0.10000000149", () => {
    assert.equal(gt.constant(0.1).toString(), "Tensor(0.1, shape=[], dtype=float32)");
  });
  await t.step("1/3 needs 8 digits in float32", () => {
    assert.equal(gt.constant(1 / 3).toString(), "Tensor(0.33333334, shape=[], dtype=float32)");
  });
  await t.step("each printed float32 value reads back as the stored one", () => {
    const values = [0.1, 0.7, 1 / 3, 2 / 3, Math.PI, 1e-7, 12345.678, -0.3];
    for (const v of values) {
      const text = gt.constant(v).toString().match(/^Tensor\((\S+), /)![1];
      assert.equal(Math.fround(Number(text)), Math.fround(v), `${v} printed as ${text}`);
      assert.ok(text.replace(/^-|\.|e.*$/g, "").length <= 9, `${text} is not the shortest`);
    }
  });
  await t.step("float64 values print in full", () => {
    assert.equal(
      gt.constant(1 / 3, { dtype: "float64" }).toString(),
      `Tensor(${String(1 / 3)}, shape=[], dtype=float64)`,
    );
  });
});

Deno.test("a vector prints on one line, space-separated and right-aligned", () => {
  assert.equal(gt.constant([1, 2, 3]).toString(), "Tensor([1 2 3], shape=[3], dtype=float32)");
  assert.equal(
    gt.constant([1, -20, 300], { dtype: "int32" }).toString(),
    "Tensor([  1 -20 300], shape=[3], dtype=int32)",
  );
  assert.equal(
    gt.constant([true, false]).toString(),
    "Tensor([ true false], shape=[2], dtype=bool)",
  );
  assert.equal(gt.zeros([0]).toString(), "Tensor([], shape=[0], dtype=float32)");
});

Deno.test("a matrix prints as numpy-style rows on lines of their own", () => {
  assert.equal(
    gt.constant([[1, 2], [3, 4]]).toString(),
    "Tensor(\n[[1 2]\n [3 4]], shape=[2,2], dtype=float32)",
  );
  assert.equal(
    gt.constant([[1, -2], [30, 4]]).toString(),
    "Tensor(\n[[ 1 -2]\n [30  4]], shape=[2,2], dtype=float32)",
  );
});

Deno.test("columns align on the decimal point, as numpy's", () => {
  // Integer parts padded on the left, fractions on the right (numpy: [  1.5  -20.25 300.  ]).
  assert.equal(
    gt.constant([1.5, -20.25, 300]).toString(),
    "Tensor([  1.5  -20.25 300   ], shape=[3], dtype=float32)",
  );
  assert.equal(
    gt.constant([[0.5, 10], [2.25, -1]], { dtype: "float64" }).toString(),
    "Tensor(\n[[ 0.5  10   ]\n [ 2.25 -1   ]], shape=[2,2], dtype=float64)",
  );
});

Deno.test("a matrix that fits on one line stays on the first line, as TensorFlow's", () => {
  assert.equal(
    gt.constant([[0.5, 0.25, 1]]).toString(),
    "Tensor([[0.5  0.25 1   ]], shape=[1,3], dtype=float32)",
  );
  assert.equal(gt.zeros([1, 1, 2]).toString(), "Tensor([[[0 0]]], shape=[1,1,2], dtype=float32)");
});

Deno.test("rank 3 separates the matrices with a blank line", () => {
  const x = gt.constant([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  assert.equal(
    x.toString(),
    "Tensor(\n[[[1 2]\n  [3 4]]\n\n [[5 6]\n  [7 8]]], shape=[2,2,2], dtype=float32)",
  );
});

Deno.test("large tensors are summarised with ... past 1000 elements", async (t) => {
  await t.step("a long vector shows three items at each end", () => {
    assert.equal(
      gt.range(2000).toString(),
      "Tensor([   0    1    2 ... 1997 1998 1999], shape=[2000], dtype=int32)",
    );
  });
  await t.step("a large matrix summarises both rows and columns", () => {
    const row = "[0 0 0 ... 0 0 0]";
    const expected = "Tensor(\n[" + [row, row, row, "...", row, row, row].join("\n ") +
      "], shape=[50,50], dtype=float32)";
    assert.equal(gt.zeros([50, 50]).toString(), expected);
  });
  await t.step("1000 elements are printed in full, 1001 are not", () => {
    const full = gt.range(1000).toString();
    assert.ok(!full.includes("..."));
    assert.ok(full.includes(" 500 ") && full.endsWith("999], shape=[1000], dtype=int32)"));
    assert.ok(gt.range(1001).toString().includes("..."));
  });
});

Deno.test("console.log prints a tensor as its toString()", async (t) => {
  const tensors = [
    gt.constant(6),
    gt.constant([0.1, 0.2]),
    gt.constant([[1, 2], [3, 4]], { dtype: "float64" }),
    gt.range(3000),
  ];
  await t.step("through Deno.inspect", () => {
    for (const x of tensors) assert.equal(Deno.inspect(x), x.toString());
  });
  await t.step("through node:util inspect", () => {
    for (const x of tensors) assert.equal(inspect(x), x.toString());
  });
  await t.step("inside an array, each tensor shows its toString()", () => {
    const x = gt.constant(6);
    assert.ok(Deno.inspect([x]).includes(x.toString()));
    assert.ok(inspect([x]).includes(x.toString()));
  });
});

Deno.test("a variable prints as Variable 'name' shape=... dtype=..., value=...", async (t) => {
  await t.step("a scalar", () => {
    const x = new gt.Variable(3, { name: "x" });
    assert.equal(x.toString(), "Variable 'x' shape=[] dtype=float32, value=3");
  });
  await t.step("a vector of float64", () => {
    const w = new gt.Variable([0.1, 0.2], { name: "w", dtype: "float64" });
    assert.equal(w.toString(), "Variable 'w' shape=[2] dtype=float64, value=[0.1 0.2]");
  });
  await t.step("a matrix starts its rows on a new line", () => {
    const m = new gt.Variable([[1, 2], [3, 4]], { name: "m" });
    assert.equal(m.toString(), "Variable 'm' shape=[2,2] dtype=float32, value=\n[[1 2]\n [3 4]]");
  });
  await t.step("after an assignment, the new value", () => {
    const x = new gt.Variable(3, { name: "x" });
    x.assign(0.1);
    assert.equal(x.toString(), "Variable 'x' shape=[] dtype=float32, value=0.1");
  });
  await t.step("console.log in Deno and Node prints the same", () => {
    const x = new gt.Variable([1, 2], { name: "v" });
    assert.equal(Deno.inspect(x), x.toString());
    assert.equal(inspect(x), x.toString());
  });
});

Deno.test("an empty tensor prints as [] with its shape, at once, whatever its other dimensions", async (t) => {
  // numpy and TensorFlow print these as [] too. Walking the rows of [1e6, 1e6, 0] once hung
  // (10¹² empty rows), and [3000, 3000, 0] built a 45 MB string.
  const cases: [number[], string][] = [
    [[1e6, 1e6, 0], "[1000000,1000000,0]"],
    [[1e6, 0], "[1000000,0]"],
    [[0], "[0]"],
    [[3, 0, 2], "[3,0,2]"],
    [[0, 5], "[0,5]"],
  ];
  for (const [shape, text] of cases) {
    await t.step(text, () => {
      const x = gt.zeros(shape);
      const expected = `Tensor([], shape=${text}, dtype=float32)`;
      assert.equal(x.toString(), expected);
      assert.equal(String(x), expected);
      assert.equal(Deno.inspect(x), expected);
      assert.equal(inspect(x), expected);
      const v = new gt.Variable(x, { name: "e" });
      assert.equal(v.toString(), `Variable 'e' shape=${text} dtype=float32, value=[]`);
      for (const shown of [x, v]) {
        const display = (shown as unknown as Record<symbol, () => Record<string, string>>)[
          Symbol.for("Jupyter.display")
        ]();
        assert.ok(display["text/html"].length < 400, display["text/html"]);
        assert.ok(display["text/html"].includes(`shape=${text}`));
      }
    });
  }
  await t.step("every dtype", () => {
    assert.equal(gt.zeros([2, 0], "int32").toString(), "Tensor([], shape=[2,0], dtype=int32)");
    assert.equal(gt.zeros([0, 2], "bool").toString(), "Tensor([], shape=[0,2], dtype=bool)");
  });
});

Deno.test("a tensor with no values shows its placeholder in HTML too, escaped", () => {
  let released: gt.Tensor | undefined;
  gt.tidy(() => {
    released = gt.constant([1, 2]).add(1);
    return gt.constant(0);
  });
  const html = (released as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ]()["text/html"];
  assert.equal(html, "<pre>Tensor(&lt;released by tidy>, shape=[2], dtype=float32)</pre>");
});

Deno.test("negative zero prints with its sign, as numpy and TensorFlow show it", () => {
  assert.equal(String(gt.constant(-0)), "Tensor(-0, shape=[], dtype=float32)");
  assert.match(String(gt.constant([-0, 0], { dtype: "float64" })), /\[-0 +0\]/);
});
