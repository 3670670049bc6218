/**
 * Kernel benchmarks: matmul by size and with transposes, elementwise unary and binary ops by size
 * and broadcasting pattern, relu and its mask, and reductions over each axis. Each group has a
 * baseline, so that `deno bench` prints the others as ratios to it. Each call runs in `gt.tidy`, as
 * a training step would, so that its buffers are reused: on this VM a fresh 4 MB array costs more
 * in page faults than most kernels that fill it.
 */
import * as gt from "../mod.ts";

const normal = (shape: number[], seed: number) => gt.random.normal(shape, { seed });

// ---------------------------------------------------------------------------------------------
// matmul

for (const n of [64, 128, 256, 512]) {
  const a = normal([n, n], n), b = normal([n, n], n + 1);
  Deno.bench({
    name: `matmul ${n}×${n}`,
    group: "matmul N×N",
    baseline: n === 256,
    fn: () => {
      gt.tidy(() => {
        gt.matmul(a, b);
      });
    },
  });
}

{
  const n = 256;
  const a = normal([n, n], 1), b = normal([n, n], 2);
  for (
    const [name, options] of [
      ["a·b", {}],
      ["aᵀ·b", { transposeA: true }],
      ["a·bᵀ", { transposeB: true }],
      ["aᵀ·bᵀ", { transposeA: true, transposeB: true }],
    ] as const
  ) {
    Deno.bench({
      name: `matmul 256, ${name}`,
      group: "matmul 256×256 transposes",
      baseline: name === "a·b",
      fn: () => {
        gt.tidy(() => {
          gt.matmul(a, b, options);
        });
      },
    });
  }
}

// The three products of an MLP step with a 784-256 layer and a batch of 128 (W4 of
// bench/compare): x·W, xᵀ·g for W's gradient, g·Wᵀ for x's.
{
  const x = normal([128, 784], 3), w = normal([784, 256], 4), g = normal([128, 256], 5);
  const products: [string, () => gt.Tensor][] = [
    ["x·W 128×784×256", () => gt.matmul(x, w)],
    ["xᵀ·g 784×128×256", () => gt.matmul(x, g, { transposeA: true })],
    ["g·Wᵀ 128×256×784", () => gt.matmul(g, w, { transposeB: true })],
  ];
  for (const [name, product] of products) {
    Deno.bench({
      name: `matmul ${name}`,
      group: "matmul of an MLP step",
      baseline: name.startsWith("x·W"),
      fn: () => {
        gt.tidy(() => {
          product();
        });
      },
    });
  }
}

// A long inner dimension (summed in chunks of 4096, each in blocks of 64) against as many
// multiply-adds with a short one.
{
  const long = [normal([16, 65536], 6), normal([65536, 16], 7)] as const;
  const short = [normal([64, 4096], 8), normal([4096, 64], 9)] as const;
  Deno.bench({
    name: "matmul 16×65536×16",
    group: "matmul, 2²⁴ multiply-adds",
    fn: () => {
      gt.tidy(() => {
        gt.matmul(...long);
      });
    },
  });
  Deno.bench({
    name: "matmul 64×4096×64",
    group: "matmul, 2²⁴ multiply-adds",
    baseline: true,
    fn: () => {
      gt.tidy(() => {
        gt.matmul(...short);
      });
    },
  });
}

// ---------------------------------------------------------------------------------------------
// elementwise

/** Each size with the 2-D shape its broadcasting variants use. */
const SIZES: [label: string, rows: number, cols: number][] = [
  ["1e3", 10, 100],
  ["1e5", 100, 1000],
  ["1e6", 1000, 1000],
];

for (const [label, rows, cols] of SIZES) {
  const x = gt.random.uniform([rows, cols], { minval: -2, maxval: 2, seed: rows });
  const ops = [["exp", gt.exp], ["sin", gt.sin], ["cos", gt.cos], ["tanh", gt.tanh]] as const;
  for (const [name, op] of ops) {
    Deno.bench({
      name: `${name}, ${label} elements`,
      group: `unary, ${label} elements`,
      baseline: name === "exp",
      fn: () => {
        gt.tidy(() => {
          op(x);
        });
      },
    });
  }
}

for (const [label, rows, cols] of SIZES) {
  const x = normal([rows, cols], rows + 7);
  const others: [string, gt.Tensor][] = [
    ["same shape", normal([rows, cols], 3)],
    [`row [${cols}]`, normal([cols], 4)],
    [`column [${rows}, 1]`, normal([rows, 1], 5)],
    ["scalar", gt.constant(1.5)],
  ];
  for (const [name, op] of [["add", gt.add], ["multiply", gt.multiply]] as const) {
    for (const [variant, y] of others) {
      Deno.bench({
        name: `${name} [${rows}, ${cols}] with ${variant}`,
        group: `${name}, ${label} elements`,
        baseline: variant === "same shape",
        fn: () => {
          gt.tidy(() => {
            op(x, y);
          });
        },
      });
    }
  }
}

// Four terms in one pass (how the tape sums an input's cotangents) against chained adds.
{
  const [a, b, c, d] = [21, 22, 23, 24].map((seed) => normal([1000, 1000], seed));
  Deno.bench({
    name: "addN of 4 [1000, 1000]",
    group: "sum of 4 [1000, 1000]",
    baseline: true,
    fn: () => {
      gt.tidy(() => {
        gt.addN([a, b, c, d]);
      });
    },
  });
  Deno.bench({
    name: "3 chained adds [1000, 1000]",
    group: "sum of 4 [1000, 1000]",
    fn: () => {
      gt.tidy(() => {
        gt.add(gt.add(gt.add(a, b), c), d);
      });
    },
  });
}

// A layer's activation and its gradient's mask, on random signs. Each runs from one call site, as
// in a loop over one op, where V8 once inlined such a loop into its caller's Maglev code and ran
// it there 8× slower than in its own (see `lengthCheck` in kernels/generated.ts).
{
  const h = normal([128, 256], 25);
  const ops: [string, () => unknown][] = [
    ["relu", () => gt.relu(h)],
    ["greater(h, 0)", () => gt.greater(h, 0)],
    ["cast(greater(h, 0))", () => gt.cast(gt.greater(h, 0), "float32")],
  ];
  for (const [name, op] of ops) {
    Deno.bench({
      name: `${name} [128, 256]`,
      group: "relu and its mask [128, 256]",
      baseline: name === "relu",
      fn: () => {
        gt.tidy(op);
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// reductions

{
  const x = normal([1000, 1000], 11);
  for (const [name, op] of [["reduceSum", gt.reduceSum], ["reduceMax", gt.reduceMax]] as const) {
    for (const [variant, axis] of [["axis 0", 0], ["axis 1", 1], ["all", undefined]] as const) {
      Deno.bench({
        name: `${name} [1000, 1000], ${variant}`,
        group: `${name} [1000, 1000]`,
        baseline: variant === "axis 0",
        fn: () => {
          gt.tidy(() => {
            op(x, axis);
          });
        },
      });
    }
  }
}
