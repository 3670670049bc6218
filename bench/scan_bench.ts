/**
 * Sorting and scans: `sort` of 10⁶ float32 against `Float32Array.prototype.sort` (the goal: within
 * 1.5× of it), argsort and topK beside it; `cumsum` of 10⁶ and 10⁷ float32 against a copy of the
 * same array (memory speed: 4 bytes read and 4 written per element), along the last axis and the
 * first. Each call runs in `gt.tidy`, so that its buffers are reused.
 */
import * as gt from "../mod.ts";

const N = 1_000_000;
const x = gt.random.uniform([N], { minval: -1, maxval: 1, seed: 1 });
const values = x.data() as Float32Array;
const copy = new Float32Array(N);

Deno.bench({
  name: "Float32Array.prototype.sort, 10⁶",
  group: "sort 10⁶ float32",
  baseline: true,
  fn: () => {
    copy.set(values);
    copy.sort();
  },
});

Deno.bench({
  name: "gt.sort, 10⁶",
  group: "sort 10⁶ float32",
  fn: () => {
    gt.tidy(() => {
      gt.sort(x);
    });
  },
});

Deno.bench({
  name: "gt.argsort, 10⁶",
  group: "sort 10⁶ float32",
  fn: () => {
    gt.tidy(() => {
      gt.argsort(x);
    });
  },
});

Deno.bench({
  name: "gt.topK, k = 10, 1000 rows of 1000",
  group: "sort 10⁶ float32",
  fn: () => {
    gt.tidy(() => {
      gt.topK(gt.reshape(x, [1000, 1000]), 10);
    });
  },
});

for (const n of [N, 10 * N]) {
  const big = n === N ? x : gt.random.uniform([n], { seed: 2 });
  const src = big.data() as Float32Array, dst = new Float32Array(n);
  const label = n === N ? "10⁶" : "10⁷";
  Deno.bench({
    name: `copy ${label} float32 (memory speed)`,
    group: `cumsum ${label} float32`,
    baseline: true,
    fn: () => {
      dst.set(src);
    },
  });
  Deno.bench({
    name: `gt.cumsum ${label}, one row`,
    group: `cumsum ${label} float32`,
    fn: () => {
      gt.tidy(() => {
        gt.cumsum(big);
      });
    },
  });
  Deno.bench({
    name: `gt.cumsum ${label}, along the first axis of [1000, ${n / 1000}]`,
    group: `cumsum ${label} float32`,
    fn: () => {
      gt.tidy(() => {
        gt.cumsum(gt.reshape(big, [1000, n / 1000]), 0);
      });
    },
  });
}
