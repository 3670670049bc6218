/**
 * einsum against a nested-loop reference written here: random equations of 1 to 4 operands with
 * repeated indices, `...` (broadcast), implicit and explicit outputs; derivatives by checkGrads
 * at order 2 in both modes (float64); and the errors, which name the equation.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** An equation as its parts: each operand's axes by label (`"."` + k for `...`'s k-th). */
interface Spec {
  equation: string;
  shapes: number[][];
  inputs: string[][];
  output: string[];
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * The definition: for every value of every label, out[output labels] += Π operand[its labels],
 * an operand's axis of length 1 reading index 0 (broadcast).
 */
function naiveEinsum(spec: Spec, data: number[][], sizes: Map<string, number>): number[] {
  const labels = [...sizes.keys()];
  const value = new Map<string, number>();
  const out = new Array(prod(spec.output.map((l) => sizes.get(l)!))).fill(0);
  const flat = (ls: string[], shape: readonly number[]) =>
    ls.reduce((acc, l, i) => acc * shape[i] + (shape[i] === 1 ? 0 : value.get(l)!), 0);
  const visit = (i: number): void => {
    if (i === labels.length) {
      let p = 1;
      spec.inputs.forEach((ls, k) => (p *= data[k][flat(ls, spec.shapes[k])]));
      out[flat(spec.output, spec.output.map((l) => sizes.get(l)!))] += p;
      return;
    }
    for (let v = 0; v < sizes.get(labels[i])!; v++) {
      value.set(labels[i], v);
      visit(i + 1);
    }
  };
  visit(0);
  return out;
}

/** A random equation: letters of random lengths, repeats, `...` with broadcast axes. */
function randomSpec(rand: () => number): { spec: Spec; sizes: Map<string, number> } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const pool = ["a", "b", "c", "d", "B", "e"].slice(0, 2 + Math.floor(rand() * 5));
  const sizes = new Map<string, number>(pool.map((l) => [l, 1 + Math.floor(rand() * 3)]));
  const rank = pick([0, 0, 1, 2]);
  const dots = Array.from({ length: rank }, (_, k) => `.${k}`);
  dots.forEach((l) => sizes.set(l, 2 + Math.floor(rand() * 2)));
  const n = 1 + Math.floor(rand() * 4);
  const spec: Spec = { equation: "", shapes: [], inputs: [], output: [] };
  const terms: string[] = [];
  for (let k = 0; k < n; k++) {
    const letters = Array.from({ length: Math.floor(rand() * 4) }, () => pick(pool));
    const e = rank > 0 && rand() < 0.7 ? Math.floor(rand() * (rank + 1)) : -1;
    const at = e < 0 ? 0 : Math.floor(rand() * (letters.length + 1));
    const mine = e < 0 ? [] : dots.slice(rank - e);
    const labels = [...letters.slice(0, at), ...mine, ...letters.slice(at)];
    spec.inputs.push(labels);
    // Some of `...`'s axes have length 1 in some operands: they broadcast.
    spec.shapes.push(labels.map((l) => (l.startsWith(".") && rand() < 0.3 ? 1 : sizes.get(l)!)));
    terms.push(
      e < 0 ? letters.join("") : `${letters.slice(0, at).join("")}...${letters.slice(at).join("")}`,
    );
  }
  const used = spec.inputs.flat();
  const hasDots = spec.inputs.some((_, k) => terms[k].includes("..."));
  if (rand() < 0.4) {
    // Implicit: `...`, then the letters that appear once, in code-point order.
    const letters = used.filter((l) => !l.startsWith("."));
    const once = [...new Set(letters)].filter((l) => letters.filter((m) => m === l).length === 1);
    spec.output = [...(hasDots ? dots : []), ...once.sort()];
    spec.equation = terms.join(",");
  } else {
    const distinct = [...new Set(used.filter((l) => !l.startsWith(".")))];
    const chosen = distinct.filter(() => rand() < 0.5).sort(() => rand() - 0.5);
    const at = Math.floor(rand() * (chosen.length + 1));
    const withDots = hasDots || rand() < 0.2;
    spec.output = withDots
      ? [...chosen.slice(0, at), ...(hasDots ? dots : []), ...chosen.slice(at)]
      : chosen;
    const outTerm = withDots
      ? `${chosen.slice(0, at).join("")}...${chosen.slice(at).join("")}`
      : chosen.join("");
    spec.equation = `${terms.join(",")}->${outTerm}`;
  }
  // The output's `...` axes take their broadcast length; those no operand has are left out.
  for (const l of dots) {
    if (!used.includes(l)) {
      sizes.delete(l);
      spec.output = spec.output.filter((m) => m !== l);
    }
  }
  for (const l of dots) {
    if (!sizes.has(l)) continue;
    const longest = Math.max(
      ...spec.inputs.flatMap((ls, k) => ls.flatMap((m, i) => (m === l ? [spec.shapes[k][i]] : []))),
    );
    sizes.set(l, longest);
  }
  for (const l of pool) if (!used.includes(l)) sizes.delete(l);
  return { spec, sizes };
}

Deno.test("einsum matches the nested-loop definition on 300 random equations", () => {
  const rand = lcg(14);
  let repeated = 0, ellipsis = 0, many = 0;
  for (let trial = 0; trial < 300; trial++) {
    const { spec, sizes } = randomSpec(rand);
    const data = spec.shapes.map((s) => Array.from({ length: prod(s) }, () => rand() * 2 - 1));
    const xs = data.map((d, k) => gt.reshape(gt.constant(d, { dtype: "float64" }), spec.shapes[k]));
    const expected = naiveEinsum(spec, data, sizes);
    const got = gt.einsum(spec.equation, ...xs);
    const shape = spec.output.map((l) => sizes.get(l)!);
    assert.deepEqual(got.shape, shape, `${spec.equation} on ${JSON.stringify(spec.shapes)}`);
    assertAllClose(got, gt.reshape(gt.constant(expected, { dtype: "float64" }), shape), {
      rtol: 1e-12,
      atol: 1e-12,
      msg: `${spec.equation} on ${JSON.stringify(spec.shapes)}`,
    });
    if (spec.inputs.some((ls) => new Set(ls).size < ls.length)) repeated++;
    if (spec.equation.includes("...")) ellipsis++;
    if (spec.inputs.length >= 3) many++;
  }
  // The generator covers what it claims to.
  assert.ok(repeated > 30 && ellipsis > 30 && many > 60, `${repeated} ${ellipsis} ${many}`);
});

Deno.test("einsum: numpy's documented cases", () => {
  const a = gt.reshape(gt.range(0, 25, 1, "float64"), [5, 5]);
  const b = gt.range(0, 5, 1, "float64");
  const c = gt.reshape(gt.range(0, 6, 1, "float64"), [2, 3]);
  assert.equal(gt.einsum("ii", a).item(), 60);
  assert.equal(gt.einsum("ii->", a).item(), 60);
  assert.deepEqual(gt.einsum("ii->i", a).toArray(), [0, 6, 12, 18, 24]);
  assert.deepEqual(gt.einsum("ij->i", a).toArray(), [10, 35, 60, 85, 110]);
  assert.deepEqual(gt.einsum("...j->...", a).toArray(), [10, 35, 60, 85, 110]);
  assert.deepEqual(gt.einsum("ji", c).toArray(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(gt.einsum("ij,j", a, b).toArray(), [30, 80, 130, 180, 230]);
  assert.deepEqual(gt.einsum("...j,j", a, b).toArray(), [30, 80, 130, 180, 230]);
  assert.equal(gt.einsum("i,i", b, b).item(), 30);
  assert.deepEqual(gt.einsum(",ij", 3, c).toArray(), [[0, 3, 6], [9, 12, 15]]);
  assert.deepEqual(gt.einsum("i,j", [0, 1], [0, 1, 2]).toArray(), [[0, 0, 0], [0, 1, 2]]);
  // Implicit order is by code point: capitals come first.
  assert.deepEqual(gt.einsum("bA,aB", gt.zeros([2, 3]), gt.zeros([4, 2])).shape, [3, 2, 4, 2]);
  // `...` broadcasts [5,1] against [4].
  const x = gt.ones([5, 1, 2, 3]), y = gt.ones([4, 3, 2]);
  assert.deepEqual(gt.einsum("...ij,...jk", x, y).shape, [5, 4, 2, 2]);
  const xy = gt.einsum("...ij,...jk->...ik", x, y);
  assert.deepEqual(xy.shape, [5, 4, 2, 2]);
  assert.ok(Array.from(xy.data()).every((v) => v === 3));
});

Deno.test("einsum: empty axes, scalars and float32", () => {
  assert.deepEqual(gt.einsum("ij,jk->ik", gt.zeros([2, 0]), gt.zeros([0, 3])).toArray(), [
    [0, 0, 0],
    [0, 0, 0],
  ]);
  assert.deepEqual(gt.einsum("ij,jk->ik", gt.zeros([0, 2]), gt.zeros([2, 3])).shape, [0, 3]);
  assert.equal(gt.einsum("->", 4).item(), 4);
  assert.equal(gt.einsum(",", 4, 5).item(), 20);
  const r = gt.einsum("ij,jk,kl->il", gt.ones([2, 3]), gt.ones([3, 4]), gt.ones([4, 5]));
  assert.equal(r.dtype, "float32");
  assert.deepEqual(r.toArray(), Array.from({ length: 2 }, () => new Array(5).fill(12)));
});

Deno.test("einsum contracts pairs that share an index first, not left to right", () => {
  // Left to right, "i,j" would come first: an outer product of 10¹⁰ elements.
  const n = 100000;
  const a = gt.fill([n], 0.5, "float64"), b = gt.fill([n], 2, "float64");
  assert.equal(gt.einsum("i,j,i,j->", a, b, b, a).item(), n * n);
  assert.equal(gt.einsum("i,j,ij->", [1, 2], [3, 4], [[1, 0], [0, 1]]).item(), 11);
});

const r3 = [[0.3, -1.2, 0.8], [1.5, -0.4, 2.1], [0.7, 0.2, -0.9]];
const v3 = [0.5, -1, 2];
const b223 = [[[0.3, -1.2, 0.8], [1.5, -0.4, 2.1]], [[0.2, 0.9, -0.6], [1.1, -0.7, 0.4]]];

Deno.test("einsum: derivatives of order 2, both modes, in float64", async (t) => {
  const cases: [string, gt.TensorLike[]][] = [
    ["ij,jk->ik", [r3, r3]],
    ["ii->i", [r3]],
    ["ii", [r3]],
    ["i,ij,j", [v3, r3, v3]],
    ["ij,jk,kl,li->", [r3, r3, r3, r3]],
    ["...ij,...j->...i", [b223, v3]],
    ["bij,bkj->bik", [b223, b223]],
    ["ij,ij,ij->i", [r3, r3, r3]],
  ];
  for (const [eq, args] of cases) {
    await t.step(eq, () => {
      const xs = args.map((a) => gt.constant(a as number[], { dtype: "float64" }));
      checkGrads((...ts: gt.Tensor[]) => gt.einsum(eq, ...ts), xs, { order: 2 });
    });
  }
});

Deno.test("einsum under vmap and jit agrees with eager", () => {
  const rand = lcg(3);
  const x = gt.reshape(gt.constant(Array.from({ length: 24 }, rand), { dtype: "float64" }), [
    2,
    3,
    4,
  ]);
  const y = gt.reshape(gt.constant(Array.from({ length: 12 }, rand), { dtype: "float64" }), [4, 3]);
  const f = (a: gt.Tensor) => gt.einsum("ij,jk,il->kl", a, y, a);
  const mapped = gt.vmap(f)(x);
  const stacked = gt.stack([0, 1].map((i) => f(gt.gather(x, [i]).reshape([3, 4]))));
  assertAllClose(mapped, stacked, { rtol: 1e-12, atol: 1e-12 });
  const g = (a: gt.Tensor) => gt.einsum("...ii->...i", a);
  const sq = gt.reshape(gt.range(0, 18, 1, "float64"), [2, 3, 3]);
  assertAllClose(gt.jit(g)(sq), [[0, 4, 8], [9, 13, 17]]);
  assertAllClose(gt.vmap(g)(sq), [[0, 4, 8], [9, 13, 17]]);
});

Deno.test("einsum's errors name the equation and what is wrong", () => {
  const x = gt.ones([2, 3]);
  const cases: [() => unknown, RegExp][] = [
    [() => gt.einsum("ij", x, x), /^einsum: "ij" names 1 operand but 2 were given$/],
    [() => gt.einsum("ij,jk->ik"), /^einsum: "ij,jk->ik" was given no operand/],
    [() => gt.einsum("i-j", x), /^einsum: "i-j": the term "i-j" has the character "-"/],
    [() => gt.einsum("i1", x), /^einsum: "i1": the term "i1" has the character "1"/],
    [() => gt.einsum("......", x), /^einsum: "......": the term "......" has "..." more than once/],
    [() => gt.einsum("i..j", x), /the character "\."/],
    [
      () => gt.einsum("ijk", x),
      /^einsum: "ijk": operand 0 has shape \[2,3\] \(rank 2\) but its subscripts name 3 axes/,
    ],
    [
      () => gt.einsum("i", x),
      /^einsum: "i": operand 0 has shape \[2,3\] \(rank 2\) but its subscripts name 1 axis/,
    ],
    [() => gt.einsum("ijk...", x), /name 3 axes and \.\.\./],
    [
      () => gt.einsum("ij->ii", x),
      /^einsum: output subscripts "ii" must be distinct letters: "ij->ii" repeats i/,
    ],
    [
      () => gt.einsum("ij->k", x),
      /^einsum: "ij->k": output index k appears in no operand's subscripts/,
    ],
    [
      () => gt.einsum("...j->j", x),
      /^einsum: "\.\.\.j->j": "\.\.\." stands for 1 axis in the operands but the output has no "\.\.\."/,
    ],
    [
      () => gt.einsum("ii", x),
      /^einsum: "ii": index i repeats in operand 0 of shape \[2,3\] over axes of different lengths/,
    ],
    [
      () => gt.einsum("ij,ij", x, gt.ones([2, 2])),
      /^einsum: index j has length 3 in one place and 2 in another, in "ij,ij" \(operand 1 of shape \[2,2\]\)/,
    ],
    [
      () => gt.einsum("...,...", gt.ones([2]), gt.ones([3])),
      /^einsum: "\.\.\.,\.\.\.": the axes that "\.\.\." stands for do not broadcast: one has length 2 in one operand and 3 in operand 1/,
    ],
    [() => gt.einsum("i->i->i", [1]), /^einsum: "i->i->i" has more than one "->"$/],
    [
      () => gt.einsum("ij,jk", x, gt.ones([3, 2], "float64")),
      /^einsum: dtypes differ: float32 and float64/,
    ],
    [() => gt.einsum("i", gt.constant([true])), /^einsum: "i": no arithmetic on bool tensors/],
    [
      () => gt.einsum("i,j,k->ijk", gt.ones([2000]), gt.ones([2000]), gt.ones([2000])),
      /^einsum: "i,j,k->ijk": a tensor of shape \[2000,2000,2000\] has 8\.000e\+9 elements/,
    ],
  ];
  for (const [f, re] of cases) {
    assert.throws(f, (e: Error) => {
      assert.match(e.message, re);
      return true;
    });
  }
});
