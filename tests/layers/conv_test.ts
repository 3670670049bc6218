import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import { assertAllClose, checkGrads } from "../../src/testing/mod.ts";
import { f64, throwsWith } from "../_helpers.ts";

type N4 = number[][][][];

// A float64 array of shape `shape` from a seeded generator, as nested arrays.
function randomArray(shape: number[], seed: number): gt.NestedArray {
  return gt.random.normal(shape, { dtype: "float64", seed }).toArray() as gt.NestedArray;
}

// TensorFlow's SAME padding before, along one axis.
function padBefore(n: number, k: number, s: number, same: boolean): [number, number] {
  if (!same) return [Math.floor((n - k) / s) + 1, 0];
  const out = Math.ceil(n / s);
  const total = Math.max(0, (out - 1) * s + k - n);
  return [out, Math.floor(total / 2)];
}

// conv2d over NHWC by loops: out[n][i][j][o] = Σ x[n][i·s + di - pad][j·s + dj - pad][c]·w[di][dj][c][o],
// with `groups` groups of channels.
function conv2dLoop(x: N4, w: N4, stride: number, same: boolean, groups = 1): N4 {
  const [H, W, C] = [x[0].length, x[0][0].length, x[0][0][0].length];
  const [kh, kw, cin, O] = [w.length, w[0].length, w[0][0].length, w[0][0][0].length];
  const [oh, ph] = padBefore(H, kh, stride, same);
  const [ow, pw] = padBefore(W, kw, stride, same);
  const perGroup = O / groups;
  assert.equal(C, cin * groups);
  return x.map((img) =>
    Array.from(
      { length: oh },
      (_, i) =>
        Array.from({ length: ow }, (_, j) =>
          Array.from({ length: O }, (_, o) => {
            const g = Math.floor(o / perGroup);
            let s = 0;
            for (let di = 0; di < kh; di++) {
              for (let dj = 0; dj < kw; dj++) {
                const r = i * stride + di - ph, c = j * stride + dj - pw;
                if (r < 0 || r >= H || c < 0 || c >= W) continue;
                for (let k = 0; k < cin; k++) s += img[r][c][g * cin + k] * w[di][dj][k][o];
              }
            }
            return s;
          })),
    )
  );
}

const nchw = (t: gt.Tensor) => gt.transpose(t, [0, 3, 1, 2]);
const nhwc = (t: gt.Tensor) => gt.transpose(t, [0, 2, 3, 1]);

Deno.test("Conv2D() is conv2d by loops plus the bias, VALID and SAME, strided", () => {
  const x = randomArray([2, 5, 6, 3], 1) as N4;
  const w = randomArray([3, 2, 3, 4], 2) as N4;
  const b = [0.5, -1, 0, 2];
  for (const [padding, stride] of [["valid", 1], ["same", 2], ["SAME", 1]] as const) {
    const conv = new gt.layers.Conv2D(4, [3, 2], { strides: stride, padding });
    conv.apply(f64(x));
    assert.deepEqual(conv.kernel!.shape, [3, 2, 3, 4]);
    conv.kernel!.assign(w);
    conv.bias!.assign(b);
    const expected = conv2dLoop(x, w, stride, padding !== "valid").map((img) =>
      img.map((row) => row.map((px) => px.map((v, o) => v + b[o])))
    );
    assertAllClose(conv.apply(f64(x)), expected, { atol: 1e-12 });
  }
});

Deno.test("Conv2D() channels first gives the transposed result; activation applies last", () => {
  const x = f64(randomArray([1, 4, 4, 2], 3));
  const w = randomArray([2, 2, 2, 3], 4);
  const last = new gt.layers.Conv2D(3, 2, { activation: "relu" });
  const first = new gt.layers.Conv2D(3, 2, { activation: "relu", dataFormat: "channels_first" });
  last.apply(x);
  first.apply(nchw(x));
  for (const layer of [last, first]) {
    layer.kernel!.assign(w);
    layer.bias!.assign([1, -1, 0.25]);
  }
  const expected = conv2dLoop(x.toArray() as N4, w as N4, 1, false).map((img) =>
    img.map((row) => row.map((px) => px.map((v, o) => Math.max(v + [1, -1, 0.25][o], 0))))
  );
  assertAllClose(last.apply(x), expected, { atol: 1e-12 });
  assertAllClose(nhwc(first.apply(nchw(x))), expected, { atol: 1e-12 });
  const tf = new gt.layers.Conv2D(3, 2, { dataFormat: "NCHW" });
  assert.deepEqual(tf.apply(nchw(x)).shape, [1, 3, 3, 3]);
});

Deno.test("Conv2D() in groups convolves each group of channels on its own", () => {
  const x = randomArray([1, 3, 3, 4], 5) as N4;
  const w = randomArray([2, 2, 2, 6], 6) as N4;
  const conv = new gt.layers.Conv2D(6, 2, { groups: 2, useBias: false });
  conv.apply(f64(x));
  assert.deepEqual(conv.kernel!.shape, [2, 2, 2, 6]);
  conv.kernel!.assign(w);
  assertAllClose(conv.apply(f64(x)), conv2dLoop(x, w, 1, false, 2), { atol: 1e-12 });
  throwsWith(() => new gt.layers.Conv2D(5, 2, { groups: 2 }), RangeError, /multiple of groups/);
  throwsWith(
    () => new gt.layers.Conv2D(6, 2, { groups: 3 }).apply(gt.zeros([1, 3, 3, 4])),
    RangeError,
    /the input's 4 channels must be a multiple of groups \(3\)/,
  );
});

Deno.test("Conv1D() with causal padding sees only the past; dilation spaces the taps", () => {
  const x = [[[1], [2], [4], [8], [16]]];
  const conv = new gt.layers.Conv1D(1, 2, {
    padding: "causal",
    dilationRate: 2,
    useBias: false,
    kernelInitializer: gt.initializers.constant(1),
  });
  // y[t] = x[t - 2] + x[t], with zeros before the start.
  assert.deepEqual(conv.apply(x).toArray(), [[[1], [2], [5], [10], [20]]]);
  const valid = new gt.layers.Conv1D(2, 3, { kernelInitializer: "ones", biasInitializer: "ones" });
  assert.deepEqual(valid.apply(x).toArray(), [[[8, 8], [15, 15], [29, 29]]]);
  throwsWith(
    () => new gt.layers.Conv2D(1, 2, { padding: "causal" }),
    TypeError,
    /padding must be "valid" or "same" \(either case\), not "causal"/,
  );
});

Deno.test("Conv3D() matches a sum over each block with a kernel of ones", () => {
  const conv = new gt.layers.Conv3D(1, 2, { strides: 2, kernelInitializer: "ones" });
  const x = gt.reshape(gt.range(0, 64, 1, "float32"), [1, 4, 4, 4, 1]);
  const y = conv.apply(x).reshape([8]).data();
  // Block (a, b, c) sums indices 16(2a + i) + 4(2b + j) + (2c + k) over i, j, k in {0, 1}.
  const expected: number[] = [];
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < 2; c++) {
        let s = 0;
        for (let i = 0; i < 2; i++) {
          for (let j = 0; j < 2; j++) {
            for (let k = 0; k < 2; k++) s += 16 * (2 * a + i) + 4 * (2 * b + j) + 2 * c + k;
          }
        }
        expected.push(s);
      }
    }
  }
  assert.deepEqual([...y], expected);
});

Deno.test("DepthwiseConv2D() convolves each channel by its own filters, channel c·m + k", () => {
  const x = randomArray([1, 4, 4, 2], 7) as N4;
  const w = randomArray([2, 2, 2, 3], 8) as N4; // [kh, kw, channels, multiplier]
  const conv = new gt.layers.DepthwiseConv2D(2, { depthMultiplier: 3, padding: "same" });
  conv.apply(f64(x));
  assert.deepEqual(conv.bias!.shape, [6]);
  conv.kernel!.assign(w);
  const b = [1, 2, 3, 4, 5, 6];
  conv.bias!.assign(b);
  // Channel c alone, convolved by filters w[:, :, c, :].
  const perChannel = [0, 1].map((c) =>
    conv2dLoop(
      x.map((img) => img.map((row) => row.map((px) => [px[c]]))),
      w.map((r) => r.map((col) => [col[c]])),
      1,
      true,
    )
  );
  const expected = perChannel[0].map((img, n) =>
    img.map((row, i) =>
      row.map((_, j) =>
        Array.from({ length: 6 }, (_, o) => perChannel[Math.floor(o / 3)][n][i][j][o % 3] + b[o])
      )
    )
  );
  assertAllClose(conv.apply(f64(x)), expected, { atol: 1e-12 });
});

Deno.test("Conv layers check the input's rank and channels against the build", () => {
  const conv = new gt.layers.Conv2D(2, 3);
  throwsWith(
    () => conv.apply(gt.zeros([4, 4, 3])),
    RangeError,
    /Conv2D '.*': expected an input of rank 4 \(NHWC\), got shape \[4,4,3\]/,
  );
  conv.apply(gt.zeros([1, 4, 4, 3]));
  throwsWith(
    () => conv.apply(gt.zeros([1, 4, 4, 2])),
    RangeError,
    /axis 3 of the input has length 2, but the layer was built for 3/,
  );
  // Another spatial size is fine, as in Keras.
  assert.deepEqual(conv.apply(gt.zeros([2, 6, 5, 3])).shape, [2, 4, 3, 2]);
  throwsWith(
    () => new gt.layers.Conv2D(2, [3]),
    TypeError,
    /kernelSize must be a positive integer or a list of 2/,
  );
  throwsWith(
    () => new gt.layers.Conv2D(2, 3, { dataFormat: "channels_middle" }),
    TypeError,
    /dataFormat must be one of "channels_last", "channels_first", "NHWC", "NCHW"/,
  );
  throwsWith(
    () => new gt.layers.Conv2D(2, 3, { stride: 2 } as never),
    TypeError,
    /did you mean 'strides'/,
  );
});

// Pooling over NHWC by loops, VALID.
function poolLoop(x: N4, k: number, s: number, f: (v: number[]) => number): N4 {
  const [H, W] = [x[0].length, x[0][0].length];
  const oh = Math.floor((H - k) / s) + 1, ow = Math.floor((W - k) / s) + 1;
  return x.map((img) =>
    Array.from(
      { length: oh },
      (_, i) =>
        Array.from({ length: ow }, (_, j) =>
          img[0][0].map((_, c) => {
            const window: number[] = [];
            for (let di = 0; di < k; di++) {
              for (let dj = 0; dj < k; dj++) window.push(img[i * s + di][j * s + dj][c]);
            }
            return f(window);
          })),
    )
  );
}

const max = (v: number[]) => Math.max(...v);
const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

Deno.test("MaxPooling2D() and AveragePooling2D(): windows of poolSize, strides defaulting to it", () => {
  const x = randomArray([2, 6, 6, 3], 9) as N4;
  assertAllClose(new gt.layers.MaxPooling2D().apply(f64(x)), poolLoop(x, 2, 2, max));
  assertAllClose(new gt.layers.AveragePooling2D(3).apply(f64(x)), poolLoop(x, 3, 3, avg), {
    atol: 1e-12,
  });
  assertAllClose(
    new gt.layers.MaxPooling2D(3, { strides: 1 }).apply(f64(x)),
    poolLoop(x, 3, 1, max),
  );
  const same = new gt.layers.MaxPooling2D(2, { padding: "same" }).apply(
    f64(randomArray([1, 5, 5, 1], 1)),
  );
  assert.deepEqual(same.shape, [1, 3, 3, 1]);
  const first = new gt.layers.AveragePooling2D(2, { dataFormat: "channels_first" });
  assertAllClose(nhwc(first.apply(nchw(f64(x)))), poolLoop(x, 2, 2, avg), { atol: 1e-12 });
  throwsWith(
    () => new gt.layers.MaxPooling2D().apply(gt.zeros([4, 4])),
    RangeError,
    /MaxPooling2D '.*': expected an input of rank 4 \(NHWC\), got shape \[4,4\]/,
  );
  throwsWith(
    () => new gt.layers.MaxPooling2D(2, { padding: "full" }),
    TypeError,
    /padding must be/,
  );
});

Deno.test("GlobalAveragePooling2D() and GlobalMaxPooling2D(): over every position, per channel", () => {
  const x = randomArray([2, 3, 4, 5], 10) as N4;
  const over = (f: (v: number[]) => number) =>
    x.map((img) => img[0][0].map((_, c) => f(img.flatMap((row) => row.map((px) => px[c])))));
  assertAllClose(new gt.layers.GlobalAveragePooling2D().apply(f64(x)), over(avg), { atol: 1e-12 });
  assertAllClose(new gt.layers.GlobalMaxPooling2D().apply(f64(x)), over(max));
  const kept = new gt.layers.GlobalAveragePooling2D({ keepDims: true }).apply(f64(x));
  assert.deepEqual(kept.shape, [2, 1, 1, 5]);
  const first = new gt.layers.GlobalAveragePooling2D({ dataFormat: "channels_first" });
  assertAllClose(first.apply(nchw(f64(x))), over(avg), { atol: 1e-12 });
});

// Central differences on every weight, the reference for the tape's gradients.
function finiteDifferences(loss: () => number, vars: gt.Variable[], h = 1e-6): number[][] {
  return vars.map((v) => {
    const base = v.data();
    return [...base].map((_, i) => {
      const at = (delta: number) => {
        const d = new Float64Array(base);
        d[i] += delta;
        v.assign(gt.reshape(f64(d), v.shape));
        return loss();
      };
      const g = (at(h) - at(-h)) / (2 * h);
      v.assign(gt.reshape(f64(base), v.shape));
      return g;
    });
  });
}

Deno.test("A small convolutional network: weight gradients match finite differences (float64)", () => {
  gt.random.setSeed(21);
  const model = new gt.layers.Sequential([
    new gt.layers.Conv2D(3, 2, { activation: "tanh", padding: "same" }),
    new gt.layers.MaxPooling2D(),
    new gt.layers.DepthwiseConv2D(2, { activation: "gelu" }),
    new gt.layers.GlobalAveragePooling2D(),
    new gt.layers.Dense(2),
  ]);
  const x = gt.random.normal([2, 4, 4, 2], { dtype: "float64", seed: 5 });
  const labels = gt.constant([0, 1], { dtype: "int32" });
  const loss = () =>
    gt.losses.sparseCategoricalCrossentropy(labels, model.apply(x), { fromLogits: true });
  loss();
  const vars = model.trainableVariables;
  assert.equal(vars.length, 6);
  const tape = new gt.GradientTape();
  const value = tape.record(loss);
  const grads = tape.gradient(value, vars);
  const expected = finiteDifferences(() => loss().item(), vars);
  grads.forEach((g, i) => {
    assertAllClose(gt.reshape(g!, [-1]), expected[i], { rtol: 1e-6, atol: 1e-8 });
  });
  // And in the input, to order 2 in both modes.
  checkGrads((t: gt.Tensor) => model.apply(t), [x], { order: 2 });
});

// The transposed convolution by loops: each input pixel scatters x·w into a window of the output.
function conv2dTransposeLoop(x: N4, w: N4, stride: number, same: boolean): N4 {
  const [H, W, C] = [x[0].length, x[0][0].length, x[0][0][0].length];
  const [kh, kw, O] = [w.length, w[0].length, w[0][0].length];
  const size = (n: number, k: number) => same ? n * stride : n * stride + Math.max(k - stride, 0);
  const [oh, ow] = [size(H, kh), size(W, kw)];
  // The padding of the forward convolution from [oh, ow] back to [H, W].
  const before = (n: number, out: number, k: number) =>
    same ? Math.floor(Math.max(0, (n - 1) * stride + k - out) / 2) : 0;
  const [ph, pw] = [before(H, oh, kh), before(W, ow, kw)];
  return x.map((img) => {
    const y = Array.from(
      { length: oh },
      () => Array.from({ length: ow }, () => new Array(O).fill(0)),
    );
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        for (let di = 0; di < kh; di++) {
          for (let dj = 0; dj < kw; dj++) {
            const r = i * stride + di - ph, c = j * stride + dj - pw;
            if (r < 0 || r >= oh || c < 0 || c >= ow) continue;
            for (let o = 0; o < O; o++) {
              for (let k = 0; k < C; k++) y[r][c][o] += img[i][j][k] * w[di][dj][o][k];
            }
          }
        }
      }
    }
    return y;
  });
}

Deno.test("Conv2DTranspose() scatters each pixel through the kernel, Keras's output sizes", () => {
  const x = randomArray([2, 3, 4, 2], 11) as N4;
  for (
    const [padding, stride, k] of [["valid", 2, 3], ["same", 2, 3], ["valid", 3, 2], [
      "same",
      1,
      2,
    ]] as const
  ) {
    const w = randomArray([k, k, 3, 2], 12) as N4;
    const layer = new gt.layers.Conv2DTranspose(3, k, { strides: stride, padding });
    layer.apply(f64(x));
    assert.deepEqual(layer.kernel!.shape, [k, k, 3, 2]);
    layer.kernel!.assign(w);
    layer.bias!.assign([1, 2, 3]);
    const expected = conv2dTransposeLoop(x, w, stride, padding === "same").map((img) =>
      img.map((row) => row.map((px) => px.map((v, o) => v + [1, 2, 3][o])))
    );
    const y = layer.apply(f64(x));
    assert.deepEqual(
      y.shape,
      [2, expected[0].length, expected[0][0].length, 3],
      `${padding} ${stride}`,
    );
    assertAllClose(y, expected, { atol: 1e-12 });
    const first = new gt.layers.Conv2DTranspose(3, k, {
      strides: stride,
      padding,
      dataFormat: "channels_first",
    });
    first.apply(nchw(f64(x)));
    first.kernel!.assign(w);
    first.bias!.assign([1, 2, 3]);
    assertAllClose(nhwc(first.apply(nchw(f64(x)))), expected, { atol: 1e-12 });
  }
});
