/**
 * The convolutions against a direct float64 loop written here (no im2col, no matrix product), on
 * random shapes, strides, dilations, paddings and layouts; the transposed convolution as the
 * adjoint of the convolution; derivatives to order 2 in both modes; many directions at once
 * (jacfwd); the float32 WebAssembly path against the loop path; errors.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";
import { type ConvGeometry, convKernel } from "../../src/core/kernels/conv.ts";

// A small seeded generator (mulberry32), so every run checks the same cases.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

function randomTensor(shape: number[], r: () => number, dtype: "float32" | "float64" = "float64") {
  const data = new Float64Array(prod(shape));
  for (let i = 0; i < data.length; i++) data[i] = r() * 2 - 1;
  return gt.constant(data, { shape, dtype });
}

// Row-major strides of a shape.
function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, st = 1; i >= 0; i--) {
    s[i] = st;
    st *= shape[i];
  }
  return s;
}

// Calls f for every multi-index of `shape`, in row-major order.
function each(shape: readonly number[], f: (idx: number[]) => void): void {
  const n = prod(shape), idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(idx);
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
}

/**
 * The reference: channels-last input [N, ...S, C], filters [...K, C/G, O], explicit padding,
 * strides and filter dilations, G groups; each output summed directly over the taps that land
 * inside the input.
 */
function naiveConv(
  x: Tensor,
  w: Tensor,
  st: number[],
  pads: [number, number][],
  dil: number[],
  groups: number,
): { data: Float64Array; shape: number[] } {
  const d = st.length, xs = x.shape, ws = w.shape;
  const xv = x.data(), wv = w.data();
  const n = xs[0], c = xs[d + 1], k = ws.slice(0, d), cin = ws[d], o = ws[d + 1], og = o / groups;
  const y = xs.slice(1, d + 1).map((s, i) =>
    Math.floor((s + pads[i][0] + pads[i][1] - (k[i] - 1) * dil[i] - 1) / st[i]) + 1
  );
  const shape = [n, ...y, o];
  const out = new Float64Array(prod(shape));
  const xst = strides(xs), wst = strides(ws);
  let at = 0;
  each(shape, (idx) => {
    const b = idx[0], oc = idx[d + 1], grp = Math.floor(oc / og);
    let sum = 0;
    each(k, (kk) => {
      let off = b * xst[0];
      for (let i = 0; i < d; i++) {
        const p = idx[i + 1] * st[i] + kk[i] * dil[i] - pads[i][0];
        if (p < 0 || p >= xs[i + 1]) return;
        off += p * xst[i + 1];
      }
      let woff = oc;
      for (let i = 0; i < d; i++) woff += kk[i] * wst[i];
      for (let ci = 0; ci < cin; ci++) sum += xv[off + grp * cin + ci] * wv[woff + ci * wst[d]];
    });
    out[at++] = sum;
  });
  assert.equal(c, cin * groups);
  return { data: out, shape };
}

// TensorFlow's SAME padding, as its documentation defines it.
function samePads(s: number[], k: number[], st: number[], dil: number[]): [number, number][] {
  return s.map((n, i) => {
    const out = Math.ceil(n / st[i]);
    const total = Math.max((out - 1) * st[i] + (k[i] - 1) * dil[i] + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
}

const toFirst = (t: Tensor) =>
  gt.transpose(t, [0, t.rank - 1, ...t.shape.slice(1, -1).map((_, i) => i + 1)]);
const toLast = (t: Tensor) => gt.transpose(t, [0, ...t.shape.slice(2).map((_, i) => i + 2), 1]);
const CONVS = { 1: gt.conv1d, 2: gt.conv2d, 3: gt.conv3d } as const;
const FIRST = { 1: "NCW", 2: "NCHW", 3: "NCDHW" } as const;

Deno.test("conv1d(), conv2d(), conv3d() equal a direct loop on random shapes, strides, dilations, paddings and layouts", () => {
  const r = rng(7);
  for (let trial = 0; trial < 60; trial++) {
    const d = (trial % 3) + 1 as 1 | 2 | 3;
    const groups = r() < 0.3 ? int(r, 2, 3) : 1;
    const cin = int(r, 1, 3), og = int(r, 1, 3), n = int(r, 1, 2);
    const k = Array.from({ length: d }, () => int(r, 1, 3));
    const st = Array.from({ length: d }, () => int(r, 1, 3));
    const dil = Array.from({ length: d }, () => (r() < 0.3 ? 2 : 1));
    const s = k.map((kk, i) => (kk - 1) * dil[i] + int(r, 1, d === 3 ? 3 : 6));
    const kind = int(r, 0, 2);
    const pads: [number, number][] = kind === 0
      ? s.map(() => [0, 0])
      : kind === 1
      ? samePads(s, k, st, dil)
      : s.map(() => [int(r, 0, 2), int(r, 0, 2)]);
    const padding = kind === 0 ? "VALID" : kind === 1 ? (r() < 0.5 ? "SAME" : "same") : pads;
    const x = randomTensor([n, ...s, cin * groups], r);
    const w = randomTensor([...k, cin, og * groups], r);
    const want = naiveConv(x, w, st, pads, dil, groups);
    const label = `trial ${trial}: d=${d} x=${x.shape} w=${w.shape} strides=${st} dil=${dil} ` +
      `padding=${JSON.stringify(padding)}`;
    const conv = CONVS[d];
    const got = conv(x, w, st, padding as "SAME", { dilations: dil });
    assert.deepEqual(got.shape, want.shape, label);
    assertAllClose(got, gt.constant(want.data, { shape: want.shape, dtype: "float64" }), {
      rtol: 1e-12,
      atol: 1e-12,
    });
    // Channels first, and the 4-length (d + 2) forms of strides and dilations.
    const ones = (v: number[]) => [1, 1, ...v];
    const first = conv(toFirst(x), w, ones(st), padding as "SAME", {
      dataFormat: FIRST[d] as never,
      dilations: ones(dil),
    });
    assertAllClose(toLast(first), got, { rtol: 1e-12, atol: 1e-12 });
    // float32 (the WebAssembly path where the product is large enough) within float32 rounding.
    const f32 = conv(gt.cast(x, "float32"), gt.cast(w, "float32"), st, padding as "SAME", {
      dilations: dil,
    });
    assert.equal(f32.dtype, "float32");
    assertAllClose(f32, got, { rtol: 1e-5, atol: 1e-5 });
  }
});

Deno.test("conv2d() of one example (rank 3) and of extra leading batch dimensions", () => {
  const r = rng(11);
  const x = randomTensor([2, 3, 5, 4, 2], r), w = randomTensor([2, 2, 2, 3], r);
  const whole = gt.conv2d(gt.reshape(x, [6, 5, 4, 2]), w, 1, "SAME");
  assertAllClose(gt.conv2d(x, w, 1, "SAME"), gt.reshape(whole, [2, 3, 5, 4, 3]));
  const one = gt.conv2d(
    gt.reshape(gt.slice(x, [0, 0, 0, 0, 0], [1, 1, -1, -1, -1]), [5, 4, 2]),
    w,
    1,
    "SAME",
  );
  assertAllClose(one, gt.reshape(gt.slice(whole, [0, 0, 0, 0], [1, -1, -1, -1]), [5, 4, 3]));
});

Deno.test("depthwiseConv2d() equals a direct loop: output channel c·multiplier + m is channel c by filter m", () => {
  const r = rng(3);
  for (let trial = 0; trial < 12; trial++) {
    const c = int(r, 1, 3), mult = int(r, 1, 3), st = [int(r, 1, 2), int(r, 1, 2)];
    const dil = [int(r, 1, 2), 1], k = [int(r, 1, 3), int(r, 1, 3)];
    const s = [int(r, 4, 7), int(r, 4, 7)];
    const same = trial % 2 === 0;
    const x = randomTensor([2, ...s, c], r), f = randomTensor([...k, c, mult], r);
    const pads = same ? samePads(s, k, st, dil) : [[0, 0], [0, 0]] as [number, number][];
    const got = gt.depthwiseConv2d(x, f, st, same ? "SAME" : "VALID", { dilations: dil });
    const xv = x.data(), fv = f.data();
    const [oh, ow] = [got.shape[1], got.shape[2]];
    const want = new Float64Array(2 * oh * ow * c * mult);
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          for (let ch = 0; ch < c; ch++) {
            for (let m = 0; m < mult; m++) {
              let sum = 0;
              for (let u = 0; u < k[0]; u++) {
                for (let v = 0; v < k[1]; v++) {
                  const p = i * st[0] + u * dil[0] - pads[0][0],
                    q = j * st[1] + v * dil[1] - pads[1][0];
                  if (p < 0 || q < 0 || p >= s[0] || q >= s[1]) continue;
                  sum += xv[((b * s[0] + p) * s[1] + q) * c + ch] *
                    fv[((u * k[1] + v) * c + ch) * mult + m];
                }
              }
              want[(((b * oh + i) * ow + j) * c + ch) * mult + m] = sum;
            }
          }
        }
      }
    }
    assertAllClose(got, gt.constant(want, { shape: got.shape, dtype: "float64" }), {
      rtol: 1e-12,
      atol: 1e-12,
    });
    const first = gt.depthwiseConv2d(toFirst(x), f, st, same ? "SAME" : "VALID", {
      dataFormat: "NCHW",
      dilations: dil,
    });
    assertAllClose(toLast(first), got, { rtol: 1e-12, atol: 1e-12 });
  }
});

const dot = (a: Tensor, b: Tensor) => gt.reduceSum(gt.multiply(a, b)).item();

Deno.test("conv2dTranspose() is the adjoint of conv2d(): ⟨conv(z), y⟩ = ⟨z, convT(y)⟩, and equals a direct scatter loop", () => {
  const r = rng(5);
  for (let trial = 0; trial < 16; trial++) {
    const st = [int(r, 1, 3), int(r, 1, 3)], k = [int(r, 1, 4), int(r, 1, 3)];
    const dil = trial % 4 === 3 ? [2, 1] : [1, 1];
    const s = [int(r, 5, 9), int(r, 4, 8)], cout = int(r, 1, 3), cin = int(r, 1, 3);
    const padding = trial % 2 === 0 ? "SAME" : "VALID";
    const z = randomTensor([2, ...s, cout], r), w = randomTensor([...k, cout, cin], r);
    const cz = gt.conv2d(z, w, st, padding, { dilations: dil });
    const y = randomTensor([...cz.shape], r);
    const t = gt.conv2dTranspose(y, w, z.shape, st, padding, { dilations: dil });
    assert.deepEqual(t.shape, z.shape);
    const lhs = dot(cz, y), rhs = dot(z, t);
    assert.ok(
      Math.abs(lhs - rhs) <= 1e-12 * (1 + Math.abs(lhs)),
      `trial ${trial}: ${lhs} vs ${rhs}`,
    );
    // Each input value scattered through the filter into the output it came from.
    const pads = padding === "SAME" ? samePads(s, k, st, dil) : [[0, 0], [0, 0]];
    const yv = y.data(), wv = w.data(), [, oh, ow] = y.shape;
    const want = new Float64Array(z.size);
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          for (let u = 0; u < k[0]; u++) {
            for (let v = 0; v < k[1]; v++) {
              const p = i * st[0] + u * dil[0] - pads[0][0],
                q = j * st[1] + v * dil[1] - pads[1][0];
              if (p < 0 || q < 0 || p >= s[0] || q >= s[1]) continue;
              for (let co = 0; co < cout; co++) {
                for (let ci = 0; ci < cin; ci++) {
                  want[((b * s[0] + p) * s[1] + q) * cout + co] +=
                    yv[((b * oh + i) * ow + j) * cin + ci] *
                    wv[((u * k[1] + v) * cout + co) * cin + ci];
                }
              }
            }
          }
        }
      }
    }
    assertAllClose(t, gt.constant(want, { shape: z.shape, dtype: "float64" }), {
      rtol: 1e-12,
      atol: 1e-12,
    });
    // Channels first, and the spatial-only output shape.
    const tf = gt.conv2dTranspose(toFirst(y), w, [2, cout, ...s], st, padding, {
      dataFormat: "NCHW",
      dilations: dil,
    });
    assertAllClose(toLast(tf), t, { rtol: 1e-12, atol: 1e-12 });
    assertAllClose(gt.conv2dTranspose(y, w, s, st, padding, { dilations: dil }), t);
  }
});

Deno.test("conv2dTranspose() with strides 2 is the gradient of conv2d() with respect to its input", () => {
  const r = rng(9);
  const x = randomTensor([1, 7, 6, 2], r), w = randomTensor([3, 3, 2, 4], r);
  const y = randomTensor([1, 4, 3, 4], r);
  const [gx] = gt.vjp((a: Tensor) => gt.conv2d(a, w, 2, "SAME"), x)[1](y) as Tensor[];
  assertAllClose(gt.conv2dTranspose(y, w, [1, 7, 6, 2], 2, "SAME"), gx);
});

Deno.test("convolutions: derivatives to order 2 in both modes match finite differences (float64)", () => {
  const r = rng(13);
  const cases: [string, (x: Tensor, w: Tensor) => Tensor, number[], number[]][] = [
    ["conv1d NCW strided", (x, w) => gt.conv1d(x, w, 2, "SAME", { dataFormat: "NCW" }), [2, 2, 7], [
      3,
      2,
      2,
    ]],
    [
      "conv2d dilated, explicit padding",
      (x, w) => gt.tanh(gt.conv2d(x, w, 1, [[1, 0], [2, 1]], { dilations: 2 })),
      [1, 4, 4, 2],
      [2, 2, 2, 2],
    ],
    ["conv2d NCHW grouped", (x, w) => gt.conv2d(x, w, [1, 2], "VALID", { dataFormat: "NCHW" }), [
      1,
      4,
      3,
      5,
    ], [2, 2, 2, 4]],
    ["conv3d", (x, w) => gt.sin(gt.conv3d(x, w, [1, 2, 1], "SAME")), [1, 3, 3, 2, 2], [
      2,
      2,
      2,
      2,
      1,
    ]],
    ["depthwiseConv2d", (x, w) => gt.depthwiseConv2d(x, w, 2, "SAME"), [1, 5, 4, 2], [3, 2, 2, 2]],
    ["conv2dTranspose", (x, w) => gt.conv2dTranspose(x, w, [1, 6, 5, 2], [2, 2], "SAME"), [
      1,
      3,
      3,
      3,
    ], [3, 2, 2, 3]],
  ];
  for (const [label, f, xs, ws] of cases) {
    try {
      checkGrads(f, [randomTensor(xs, r), randomTensor(ws, r)], { order: 2 });
    } catch (e) {
      throw new Error(`${label}: ${(e as Error).message}`);
    }
  }
});

Deno.test("conv2d() Jacobians: many directions at once (jacfwd) agree with reverse mode (jacrev)", () => {
  const r = rng(17);
  const x = randomTensor([2, 4, 3, 2], r), w = randomTensor([2, 2, 1, 4], r);
  const f = (a: Tensor, b: Tensor) => gt.conv2d(a, b, [2, 1], "SAME");
  const fwd = gt.jacfwd(f, { argnums: [0, 1] })(x, w) as Tensor[];
  const rev = gt.jacrev(f, { argnums: [0, 1] })(x, w) as Tensor[];
  assertAllClose(fwd[0], rev[0], { rtol: 1e-12, atol: 1e-12 });
  assertAllClose(fwd[1], rev[1], { rtol: 1e-12, atol: 1e-12 });
  const h = gt.hessian((a: Tensor) => gt.reduceSum(gt.square(gt.conv2d(a, w, 1, "VALID"))))(x);
  assert.deepEqual(h.shape, [...x.shape, ...x.shape]);
});

Deno.test("conv2d() under vmap of the filters alone and of both: per-example results", () => {
  const r = rng(19);
  const x = randomTensor([3, 1, 5, 4, 4], r), w = randomTensor([3, 2, 2, 2, 4], r);
  const f = (a: Tensor, b: Tensor) => gt.conv2d(a, b, 1, "SAME");
  const example = (t: Tensor, b: number) => gt.squeeze(gt.gather(t, [b]), 0);
  // Both mapped, in two groups (the input's 4 channels against filters that take 2).
  const both = gt.vmap(f)(x, w);
  const x0 = example(x, 0);
  const filters = gt.vmap((b: Tensor) => f(x0, b))(w);
  for (let b = 0; b < 3; b++) {
    assertAllClose(example(both, b), f(example(x, b), example(w, b)), { rtol: 1e-12, atol: 1e-12 });
    assertAllClose(example(filters, b), f(x0, example(w, b)), { rtol: 1e-12, atol: 1e-12 });
  }
});

Deno.test("conv kernel: the float32 WebAssembly path equals the direct loop, grouped, with a long inner dimension, and in blocks of rows", () => {
  const r = rng(23);
  const geometries: ConvGeometry[] = [
    // Two groups of 8 channels in and 10 out, a strided and an input-dilated dimension.
    {
      n: 3,
      s: [9, 11],
      c: 16,
      k: [3, 2],
      o: 20,
      y: [4, 20],
      groups: 2,
      strides: [2, 1],
      lo: [1, 0],
      lhsDilation: [1, 2],
      rhsDilation: [1, 1],
    },
    // 5·5·200 = 5000 taps: past the 4096-step chunks summed in float64.
    {
      n: 2,
      s: [6, 6],
      c: 200,
      k: [5, 5],
      o: 9,
      y: [2, 2],
      groups: 1,
      strides: [1, 1],
      lo: [0, 0],
      lhsDilation: [1, 1],
      rhsDilation: [1, 1],
    },
    // Inputs dilated by 2 and 3 (transposed convolutions), negative padding (cropping), strides
    // that share a factor with the dilation: output positions in residue classes, some of which
    // meet no input value at all with a 1-wide filter.
    {
      n: 2,
      s: [7, 6],
      c: 9,
      k: [3, 1],
      o: 11,
      y: [14, 9],
      groups: 1,
      strides: [1, 2],
      lo: [2, -1],
      lhsDilation: [2, 3],
      rhsDilation: [1, 1],
    },
    // An input dilated by 2 with a long inner dimension (chunks of taps within each class).
    {
      n: 1,
      s: [4, 4],
      c: 1000,
      k: [4, 3],
      o: 9,
      y: [6, 6],
      groups: 1,
      strides: [1, 1],
      lo: [1, 1],
      lhsDilation: [2, 2],
      rhsDilation: [1, 2],
    },
    // Four groups of 8 channels, a dilated filter; and thin groups (the direct loop both ways).
    {
      n: 40,
      s: [12],
      c: 32,
      k: [3],
      o: 32,
      y: [12],
      groups: 4,
      strides: [1],
      lo: [2],
      lhsDilation: [1],
      rhsDilation: [2],
    },
    {
      n: 40,
      s: [12],
      c: 16,
      k: [3],
      o: 12,
      y: [12],
      groups: 4,
      strides: [1],
      lo: [2],
      lhsDilation: [1],
      rhsDilation: [2],
    },
  ];
  for (const g of geometries) {
    const xs = [g.n, ...g.s, g.c], ws = [...g.k, g.c / g.groups, g.o], ys = [g.n, ...g.y, g.o];
    const x = randomTensor(xs, r, "float32").data() as Float32Array;
    const w = randomTensor(ws, r, "float32").data() as Float32Array;
    const fast = new Float32Array(prod(ys)).fill(NaN), slow = new Float32Array(prod(ys)).fill(NaN);
    convKernel(fast, x, w, g, "float32");
    convKernel(slow, x, w, g, "float32", true);
    // In blocks of rows: at most 3000 floats of the im2col matrix at a time.
    const blocks = new Float32Array(prod(ys)).fill(NaN);
    convKernel(blocks, x, w, g, "float32", false, 3000);
    assert.deepEqual(blocks, fast);
    const scale = Math.max(...slow.map(Math.abs));
    for (let i = 0; i < fast.length; i++) {
      assert.ok(
        Math.abs(fast[i] - slow[i]) <= 1e-5 * scale,
        `element ${i}: ${fast[i]} vs ${slow[i]}`,
      );
    }
  }
});

Deno.test("convolutions: bad input gets an error naming the op and the shapes", () => {
  const x = gt.ones([1, 5, 5, 3]), w = gt.ones([3, 3, 3, 8]);
  assert.throws(
    () => gt.conv2d(x, gt.ones([3, 3, 2, 8]), 1, "SAME"),
    /conv2d: input channels differ: the input \[1,5,5,3\] has 3 and the filters \[3,3,2,8\] take 2/,
  );
  assert.throws(
    () => gt.conv2d(x, gt.ones([7, 3, 3, 8]), 1, "VALID"),
    /conv2d: the filters \[7,3,3,8\] reach over 7 positions in spatial dimension 0, more than the 5 of the padded input \[1,5,5,3\]/,
  );
  assert.throws(
    () => gt.conv2d(x, gt.ones([3, 3, 3]), 1, "SAME"),
    /conv2d: the filters \[3,3,3\] have rank 3: give rank 4/,
  );
  assert.throws(
    () => gt.conv2d(gt.ones([5, 3]), w, 1, "SAME"),
    /conv2d: the input \[5,3\] has rank 2: give rank 4 \(NHWC\)/,
  );
  assert.throws(
    () => gt.conv2d(x, w, 1, "FULL" as "SAME"),
    /conv2d: padding must be "SAME", "VALID" or 2 \[before, after\] pairs/,
  );
  assert.throws(() => gt.conv2d(x, w, 1, [[1, 1]]), /conv2d: padding must be/);
  assert.throws(
    () => gt.conv2d(x, w, 1, [[1, -1], [0, 0]]),
    /conv2d: padding must be .*\[1, -1\] is not such a pair/,
  );
  assert.throws(
    () => gt.conv2d(x, w, 1, [[1, 1], [1, 1], [0, 0], [0, 0]]),
    /the batch and channel pairs must be \[0, 0\]/,
  );
  assert.throws(
    () => gt.conv2d(x, w, 0, "SAME"),
    /conv2d: strides must be a positive integer or a list of 2/,
  );
  assert.throws(
    () => gt.conv2d(x, w, [2, 2, 2, 2], "SAME"),
    /conv2d: strides .*the batch and channel entries must be 1/,
  );
  assert.throws(
    () => gt.conv2d(x, w, 1, "SAME", { dilations: [1.5, 1] }),
    /conv2d: dilations must be/,
  );
  assert.throws(
    () => gt.conv2d(x, w, 1, "SAME", { dataFormat: "NWC" as "NHWC" }),
    /conv2d: dataFormat must be "NHWC" or "NCHW", not "NWC"/,
  );
  assert.throws(
    () => gt.conv2d(x, w, 1, "SAME", { dilation: 2 } as never),
    /conv2d: unknown option 'dilation' \(did you mean 'dilations'\?\)/,
  );
  assert.throws(
    () => gt.conv2d(x, gt.ones([3, 3, 3, 8], "float64"), 1, "SAME"),
    /conv2d: dtypes differ: float32 and float64/,
  );
  assert.throws(
    () => gt.conv2d(gt.ones([1, 5, 5, 3], "int32"), gt.ones([3, 3, 3, 8], "int32"), 1, "SAME"),
    /conv2d: expects a float32 or float64 tensor, got int32/,
  );
  assert.throws(
    () => gt.conv1d(gt.ones([1, 5, 4]), gt.ones([3, 3, 8]), 1, "SAME"),
    /conv1d: input channels differ/,
  );
  assert.throws(
    () => gt.conv3d(gt.ones([1, 2, 2, 2, 1]), gt.ones([3, 3, 3, 1, 1]), 1, "VALID"),
    /conv3d: the filters \[3,3,3,1,1\] reach over 3 positions/,
  );
  assert.throws(
    () => gt.depthwiseConv2d(x, gt.ones([3, 3, 2, 2]), 1, "SAME"),
    /depthwiseConv2d: input channels differ: the input has 3 and the filter \[3,3,2,2\] takes 2/,
  );
  assert.throws(
    () => gt.conv2dTranspose(gt.ones([1, 3, 3, 8]), w, [1, 9, 9, 3], 2, "SAME"),
    /conv2dTranspose: the output shape \[1,9,9,3\] does not convolve back to the input: .* gives \[1,5,5,8\]/,
  );
  assert.throws(
    () => gt.conv2dTranspose(gt.ones([1, 3, 3, 8]), w, [1, 6, 6, 4], 2, "SAME"),
    /conv2dTranspose: the output shape \[1,6,6,4\] needs batch 1 \(the input's\) and 3 channels/,
  );
  assert.throws(
    () => gt.conv2dTranspose(gt.ones([1, 3, 3, 8]), w, [6, 6.5], 2, "SAME"),
    /conv2dTranspose: outputShape must be/,
  );
});
