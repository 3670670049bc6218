/**
 * gt.linalg's factorizations on large matrices: cholesky and solve of 1024×1024 float32 (goals:
 * 15 GFLOP/s each, counting n³/3 and 2n³/3 flops), and float64 beside them. `deno bench` prints
 * the time per call; GFLOP/s = flops / time.
 */
import * as gt from "../mod.ts";

const N = 1024;

function spd(n: number, dtype: gt.DType): gt.Tensor {
  gt.random.setSeed(1);
  const m = gt.random.normal([n, n], { dtype: "float64" });
  const a = gt.add(gt.divide(gt.matmul(m, m, { transposeB: true }), n), gt.eye(n, "float64"));
  return gt.cast(a, dtype);
}

function general(n: number, dtype: gt.DType): gt.Tensor {
  gt.random.setSeed(2);
  return gt.cast(gt.random.normal([n, n], { dtype: "float64" }), dtype);
}

for (const dtype of ["float32", "float64"] as const) {
  const a = spd(N, dtype), g = general(N, dtype);
  const b = gt.cast(gt.ones([N, 1]), dtype), bn = general(N, dtype);
  Deno.bench({
    name: `cholesky ${N}×${N} ${dtype} (${(N ** 3 / 3 / 1e9).toFixed(2)} GFLOP)`,
    group: `factorizations ${dtype}`,
    fn: () => gt.tidy(() => void gt.linalg.cholesky(a).data()),
  });
  Deno.bench({
    name: `solve ${N}×${N}, one right-hand side, ${dtype} (${
      (2 * N ** 3 / 3 / 1e9).toFixed(2)
    } GFLOP)`,
    group: `factorizations ${dtype}`,
    fn: () => gt.tidy(() => void gt.linalg.solve(g, b).data()),
  });
  Deno.bench({
    name: `solve ${N}×${N}, ${N} right-hand sides, ${dtype} (${
      (8 * N ** 3 / 3 / 1e9).toFixed(2)
    } GFLOP)`,
    group: `factorizations ${dtype}`,
    fn: () => gt.tidy(() => void gt.linalg.solve(g, bn).data()),
  });
}
