/**
 * The convolution's three passes on the workload: a 5×5 filter from 32 to 64 channels,
 * SAME, on a batch of 64 14×14 images (NHWC float32), 2·N·H·W·KH·KW·Cin·Cout = 1.28 GFLOP each
 * (goal: 30 GFLOP/s each, on both cores). The forward pass is `conv2d`; the input and filter
 * gradients are the primitive's reverse rule asked for one cotangent each, which is what a tape
 * runs. `deno bench` prints the time per call; GFLOP/s = 1.28 / milliseconds × 1000.
 */
import * as gt from "../mod.ts";
import { convPrims } from "../src/ops/conv.ts";

const N = 64, H = 14, W = 14, C = 32, O = 64, K = 5;
const GFLOP = (2 * N * H * W * K * K * C * O) / 1e9;

const x = gt.random.normal([N, H, W, C], { seed: 1 });
const w = gt.random.normal([K, K, C, O], { seed: 2 });
const g = gt.random.normal([N, H, W, O], { seed: 3 });
const attrs = {
  strides: [1, 1],
  padding: [[2, 2], [2, 2]] as [number, number][],
  lhsDilation: [1, 1],
  rhsDilation: [1, 1],
  groups: 1,
};
const vjp = convPrims.conv.vjp!;
const group = `conv 5×5 32→64 SAME, 64×14×14 float32 (${GFLOP.toFixed(2)} GFLOP each)`;

Deno.bench({
  name: "forward",
  group,
  baseline: true,
  fn: () => gt.tidy(() => void gt.conv2d(x, w, 1, "SAME").data()),
});
Deno.bench({
  name: "input gradient",
  group,
  fn: () => gt.tidy(() => void vjp(g, [x, w], g, attrs, [true, false])[0]!.data()),
});
Deno.bench({
  name: "filter gradient",
  group,
  fn: () => gt.tidy(() => void vjp(g, [x, w], g, attrs, [false, true])[1]!.data()),
});
