/**
 * Runs every example of examples/ as its own process and checks what it prints against the values
 * the TensorFlow tutorial states, worked out here from their formulas, never pasted from output.
 */
import assert from "node:assert/strict";
import { assertAllClose } from "../src/testing/mod.ts";
import { setup as polynomialSetup } from "../examples/08_polynomial_regression_l2.ts";
import * as gt from "../mod.ts";
import { linearModel, train } from "../examples/15_jit_training.ts";
import { setup as gpSetup } from "../examples/16_gaussian_process.ts";
import {
  clipNorm,
  loss as perExampleLoss,
  setup as perExampleSetup,
} from "../examples/14_per_example_gradients.ts";

const root = new URL("../", import.meta.url);

interface Run {
  stdout: string;
  out: string;
}

/** The flags of examples that take long in full: CI runs their short versions. */
const shortRun: Record<string, string[]> = {
  "13_fashion_mnist_cnn.ts": ["--epochs", "1", "--train", "3000", "--test", "1000"],
};

/** Runs one example with `--out` pointing at a fresh folder. */
async function runExample(file: string, permissions: string[] = ["-A"]): Promise<Run> {
  const out = await Deno.makeTempDir({ prefix: "gradtape_examples_" });
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, `examples/${file}`, "--out", out, ...(shortRun[file] ?? [])],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `${file} exited with ${code}:\n${new TextDecoder().decode(stderr)}`);
  return { stdout: text, out };
}

// The examples, in the order run_all.ts runs them.
const files = [
  "01_basics.ts",
  "02_watching_constants_and_variables.ts",
  "03_persistent_tape.ts",
  "04_higher_order.ts",
  "05_gradients_of_tensors.ts",
  "06_training_linear_model.ts",
  "07_gotchas.ts",
  "08_polynomial_regression_l2.ts",
  "09_directional_derivatives.ts",
  "10_newton_rosenbrock.ts",
  "11_conjugate_gradient_hvp.ts",
  "12_polynomial_adam.ts",
  "13_fashion_mnist_cnn.ts",
  "14_per_example_gradients.ts",
  "15_jit_training.ts",
  "16_gaussian_process.ts",
] as const;

/**
 * A Gaussian process's negative log marginal likelihood and its gradient in θ = [log ℓ, log σf,
 * log σn], by Rasmussen and Williams' formulas (eq. 5.9): with K = k(x, x) + σn²I and α = K⁻¹y,
 * nll = ½yᵀα + ½ log det K + (n/2) log 2π and ∂nll/∂θ = ½ tr((K⁻¹ − ααᵀ) ∂K/∂θ), K⁻¹ and det K
 * by Gauss–Jordan elimination.
 */
function gpReference(x: number[], y: number[], theta: number[]): [number, number[]] {
  const n = x.length;
  const [l2, sf2, sn2] = theta.map((t) => Math.exp(2 * t));
  const k: number[][] = [], dl: number[][] = [];
  for (let i = 0; i < n; i++) {
    k.push([]);
    dl.push([]);
    for (let j = 0; j < n; j++) {
      const d2 = (x[i] - x[j]) ** 2, e = sf2 * Math.exp(-d2 / (2 * l2));
      k[i].push(e + (i === j ? sn2 : 0));
      dl[i].push(e * d2 / l2);
    }
  }
  const a = k.map((r) => [...r]);
  const inv = k.map((_, i) => k.map((_, j): number => (i === j ? 1 : 0)));
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    const p = a[c][c];
    logDet += Math.log(p);
    for (let j = 0; j < n; j++) {
      a[c][j] /= p;
      inv[c][j] /= p;
    }
    for (let r = 0; r < n; r++) {
      const f = a[r][c];
      if (r === c) continue;
      for (let j = 0; j < n; j++) {
        a[r][j] -= f * a[c][j];
        inv[r][j] -= f * inv[c][j];
      }
    }
  }
  const alpha = inv.map((row) => row.reduce((s, v, j) => s + v * y[j], 0));
  const fit = y.reduce((s, v, i) => s + v * alpha[i], 0);
  let gl = 0, gf = 0, gn = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = inv[i][j] - alpha[i] * alpha[j];
      gl += 0.5 * w * dl[j][i];
      gf += w * (k[j][i] - (i === j ? sn2 : 0));
    }
    gn += (inv[i][i] - alpha[i] ** 2) * sn2;
  }
  return [0.5 * fit + 0.5 * logDet + (n / 2) * Math.log(2 * Math.PI), [gl, gf, gn]];
}

/** The one line that starts with `prefix`, without the prefix. */
function lineAfter(stdout: string, prefix: string): string {
  const lines = stdout.split("\n").filter((l) => l.startsWith(prefix));
  assert.equal(lines.length, 1, `expected one line starting with ${JSON.stringify(prefix)}`);
  return lines[0].slice(prefix.length);
}

/** The number that makes up the rest of the one line that starts with `prefix` and a number. */
function numberAfter(stdout: string, prefix: string): number {
  const numbers = stdout.split("\n")
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length).trim())
    .filter((rest) => /^-?\d+(\.\d+)?$/.test(rest));
  assert.equal(numbers.length, 1, `expected one number after ${JSON.stringify(prefix)}`);
  return Number(numbers[0]);
}

/** The numbers of the `[a, b, …]` list on the one line that starts with `prefix`. */
function listAfter(stdout: string, prefix: string): number[] {
  const m = lineAfter(stdout, prefix).trim().match(/^\[(.*)\]$/);
  assert.ok(m !== null, `no list after ${JSON.stringify(prefix)}`);
  return m[1].split(",").map(Number);
}

/** The `count` rows of numbers printed on the lines after the one line that is `label`. */
function rowsAfter(stdout: string, label: string, count: number): number[][] {
  const lines = stdout.split("\n");
  const at = lines.flatMap((l, i) => l === label ? [i] : []);
  assert.equal(at.length, 1, `expected one line ${JSON.stringify(label)}`);
  return lines.slice(at[0] + 1, at[0] + 1 + count).map((l) => l.trim().split(/ +/).map(Number));
}

interface Printed {
  values: number[];
  shape: number[];
}

const tensorPattern = /Tensor\(([^()]*?), shape=\[([\d,]*)\], dtype=float32\)/g;

/** The tensors printed in `text` (their `toString()` form), in order. */
function tensorsIn(text: string): Printed[] {
  return [...text.matchAll(tensorPattern)].map((m) => ({
    values: (m[1].match(/-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/g) ?? []).map(Number),
    shape: m[2] === "" ? [] : m[2].split(",").map(Number),
  }));
}

/** The first tensor printed after the line that starts with `prefix` (or on that line). */
function tensorAfter(stdout: string, prefix: string): Printed {
  lineAfter(stdout, prefix); // the label is there, once
  const start = stdout.split("\n").findIndex((l) => l.startsWith(prefix));
  const rest = stdout.split("\n").slice(start).join("\n");
  const first = tensorsIn(rest)[0];
  assert.ok(first !== undefined, `no tensor printed after ${JSON.stringify(prefix)}`);
  return first;
}

/** The scalar tensor printed on the line that starts with `prefix`. */
function scalarAfter(stdout: string, prefix: string): number {
  const [t, ...more] = tensorsIn(lineAfter(stdout, prefix));
  assert.ok(t !== undefined && more.length === 0, `expected one tensor after ${prefix}`);
  assert.deepEqual(t.shape, []);
  return t.values[0];
}

/** The scalars in a printed list like `[ Tensor(4, …), Tensor(6, …) ]`. */
function scalarsAfter(stdout: string, prefix: string): number[] {
  const ts = tensorsIn(lineAfter(stdout, prefix));
  for (const t of ts) assert.deepEqual(t.shape, []);
  return ts.map((t) => t.values[0]);
}

// Printed float32 values carry about 8 significant digits.
const f32 = { rtol: 1e-6, atol: 1e-7 };
// `.toFixed(4)` rounds to within 5e-5; a little more covers float32 arithmetic.
const fixed4 = { rtol: 0, atol: 6e-5 };
// float64 printed with `.toFixed(12)` or `.toFixed(10)`: rounding plus a little.
const fixed12 = { rtol: 0, atol: 1e-11 };
const fixed10 = { rtol: 0, atol: 1e-9 };
const fixed8 = { rtol: 0, atol: 1e-7 };

/** Checks that `text` is well-formed XML with an `<svg>` root: tags balance, entities are known. */
function assertWellFormedSvg(text: string): void {
  const body = text.replace(/^<\?xml[^>]*\?>\s*/, "").replace(/<!--[\s\S]*?-->/g, "");
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  const stack: string[] = [];
  let roots = 0, last = 0;
  for (const m of body.matchAll(tag)) {
    const between = body.slice(last, m.index);
    assert.ok(!between.includes("<") && !between.includes(">"), `stray markup: ${between}`);
    assert.doesNotMatch(between, /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    } else {
      if (stack.length === 0) {
        roots++;
        assert.equal(name, "svg");
        assert.match(m[3], /xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      }
      if (!selfClosing) stack.push(name);
    }
  }
  assert.equal(body.slice(last).trim(), "", "text after the root element");
  assert.deepEqual(stack, [], "unclosed elements");
  assert.equal(roots, 1, "one root element");
}

/** Checks the figure written by an example: valid SVG, one plot per title, each with marks. */
async function assertFigure(
  run: Run,
  name: string,
  titles: string[],
  legendLabels: (string | RegExp)[],
): Promise<void> {
  const path = `${run.out}/${name}`;
  assert.match(run.stdout, new RegExp(`written to ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  const svg = await Deno.readTextFile(path);
  assertWellFormedSvg(svg);
  // vega gives each subplot of an hconcat a group named concat_<i>_group.
  const plots = [...svg.matchAll(/class="mark-group role-scope concat_(\d+)_group"/g)];
  assert.deepEqual(plots.map((m) => Number(m[1])), titles.map((_, i) => i), "number of plots");
  const texts = (role: string) =>
    [...svg.matchAll(new RegExp(`class="mark-text ${role}"[^>]*>[\\s\\S]*?</g>`, "g"))]
      .flatMap((m) => [...m[0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]));
  assert.deepEqual(texts("role-title-text"), titles);
  const labels = texts("role-legend-label");
  assert.equal(labels.length, legendLabels.length, `legend labels: ${labels.join(", ")}`);
  legendLabels.forEach((want, i) =>
    typeof want === "string" ? assert.equal(labels[i], want) : assert.match(labels[i], want)
  );
  // Every plot drew something: a mark with a non-empty path.
  for (let i = 0; i < titles.length; i++) {
    const start = svg.indexOf(`concat_${i}_group`);
    const end = i + 1 < titles.length ? svg.indexOf(`concat_${i + 1}_group`) : svg.length;
    assert.match(svg.slice(start, end), /role-mark[\s\S]*?<path[^>]* d="M/, `plot ${i} is empty`);
  }
}

/** Solves `a·x = b` by Gaussian elimination with partial pivoting (small, dense systems). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let k = 0; k < n; k++) {
    const p = m.slice(k).reduce(
      (best, row, i) => Math.abs(row[k]) > Math.abs(m[best][k]) ? k + i : best,
      k,
    );
    [m[k], m[p]] = [m[p], m[k]];
    for (let i = k + 1; i < n; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j <= n; j++) m[i][j] -= f * m[k][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = m[i][n];
    for (let j = i + 1; j < n; j++) s -= m[i][j] * x[j];
    x[i] = s / m[i][i];
  }
  return x;
}

/**
 * Example 08's problem in plain float64 numbers, an independent reference for 08 and 12: the
 * same data and starting point, the loss mean((y − Xθ)²) + λ|θ|² and its gradient written out by
 * hand, −(2/n)·Xᵀ(y − Xθ) + 2λθ, gradient descent on it, and its minimiser in closed form.
 */
function polynomialReference(learningRate: number, l2Weight: number) {
  const s = polynomialSetup();
  const xs = Array.from(s.xTrain.data());
  const ys = Array.from(s.yTrain.data());
  const n = xs.length;
  const X = xs.map((x) => [x ** 3, x ** 2, x, 1]);
  const theta0 = [s.w3, s.w2, s.w1, s.b].map((v) => v.value().item());
  /** [total, mse, l2] at θ. */
  const lossAt = (theta: number[]) => {
    const r = X.map((row, i) => ys[i] - row.reduce((acc, f, k) => acc + f * theta[k], 0));
    const mse = r.reduce((acc, v) => acc + v * v, 0) / n;
    const l2 = theta.reduce((acc, v) => acc + v * v, 0);
    return [mse + l2Weight * l2, mse, l2];
  };
  const descend = (
    steps: number,
    log?: (epoch: number, theta: number[], losses: number[]) => void,
  ) => {
    let theta = [...theta0];
    for (let epoch = 0; epoch < steps; epoch++) {
      const r = X.map((row, i) => ys[i] - row.reduce((acc, f, k) => acc + f * theta[k], 0));
      const grad = theta.map((v, k) =>
        (-2 / n) * X.reduce((acc, row, i) => acc + row[k] * r[i], 0) + 2 * l2Weight * v
      );
      const losses = lossAt(theta);
      theta = theta.map((v, k) => v - learningRate * grad[k]);
      log?.(epoch, theta, losses);
    }
    return theta;
  };
  // The minimiser: (XᵀX/n + λI)θ = Xᵀy/n.
  const A = [0, 1, 2, 3].map((j) =>
    [0, 1, 2, 3].map((k) =>
      X.reduce((acc, row) => acc + row[j] * row[k], 0) / n + (j === k ? l2Weight : 0)
    )
  );
  const rhs = [0, 1, 2, 3].map((j) => X.reduce((acc, row, i) => acc + row[j] * ys[i], 0) / n);
  return { theta0, lossAt, descend, optimum: solve(A, rhs) };
}

Deno.test("the examples print the values the tutorial states", async (t) => {
  // Every example starts at once, so the steps take as long as the slowest one. A failure is
  // reported by the step that awaits it, not as an unhandled rejection while another step runs.
  const runs = new Map(files.map((f) => {
    const run = runExample(f);
    run.catch(() => {});
    return [f, run];
  }));
  try {
    await t.step("01: x² at 3 and 3x³ + 2x² + x + 1 at 2", async () => {
      const { stdout } = await runs.get("01_basics.ts")!;
      assert.equal(scalarAfter(stdout, "Gradient dy/dx at x=3: "), 2 * 3);
      const x = 2;
      assert.equal(
        scalarAfter(stdout, "f(2) = 3(2)^3 + 2(2)^2 + 2 + 1 = "),
        3 * x ** 3 + 2 * x ** 2 + x + 1,
      );
      assert.equal(scalarAfter(stdout, "Gradient at x=2: "), 9 * x ** 2 + 4 * x + 1);
      assert.equal(numberAfter(stdout, "Expected (9*4 + 4*2 + 1): "), 9 * x ** 2 + 4 * x + 1);
    });

    await t.step("02: a watched constant, and x² + 3xy + y³ at (2, 3)", async () => {
      const { stdout } = await runs.get("02_watching_constants_and_variables.ts")!;
      assert.equal(scalarAfter(stdout, "Gradient of constant: "), 2 * 3);
      const [x, y] = [2, 3];
      assert.equal(
        scalarAfter(stdout, "f(2,3) = 2^2 + 3(2)(3) + 3^3 = "),
        x ** 2 + 3 * x * y + y ** 3,
      );
      assert.equal(scalarAfter(stdout, "Gradient with respect to x: "), 2 * x + 3 * y);
      assert.equal(scalarAfter(stdout, "Gradient with respect to y: "), 3 * x + 3 * y ** 2);
      const dict = lineAfter(stdout, "Gradients as dict: ");
      assert.match(dict, /^\{ x: Tensor\(.*\), y: Tensor\(.*\) \}$/);
      assert.deepEqual(scalarsAfter(stdout, "Gradients as dict: "), [
        2 * x + 3 * y,
        3 * x + 3 * y ** 2,
      ]);
    });

    await t.step("03: one persistent tape, three functions", async () => {
      const { stdout } = await runs.get("03_persistent_tape.ts")!;
      const [x, y] = [2, 3];
      assert.equal(scalarAfter(stdout, "Function 1: z1 = x^2 + y^2 = "), x ** 2 + y ** 2);
      assert.deepEqual(scalarsAfter(stdout, "Gradients of z1: "), [2 * x, 2 * y]);
      assert.equal(scalarAfter(stdout, "Function 2: z2 = xy = "), x * y);
      assert.deepEqual(scalarsAfter(stdout, "Gradients of z2: "), [y, x]);
      assertAllClose(
        scalarAfter(stdout, "Function 3: z3 = sin(x) + cos(y) = "),
        Math.sin(x) + Math.cos(y),
        f32,
      );
      assertAllClose(scalarsAfter(stdout, "Gradients of z3: "), [Math.cos(x), -Math.sin(y)], f32);
      assert.match(stdout, /^Persistent tape deleted to free memory$/m);
    });

    await t.step("04: second derivatives of x⁴ at 2 and of eˣ·sin x at 1", async () => {
      const { stdout } = await runs.get("04_higher_order.ts")!;
      const x = 2;
      assert.equal(scalarAfter(stdout, "Function: y = x^4 = "), x ** 4);
      assert.equal(scalarAfter(stdout, "First derivative: dy/dx = "), 4 * x ** 3);
      assert.equal(scalarAfter(stdout, "Second derivative: d²y/dx² = "), 12 * x ** 2);
      const e = Math.E;
      assertAllClose(
        numberAfter(stdout, "Complex function: y = e^x * sin(x) = "),
        e * Math.sin(1),
        fixed4,
      );
      assertAllClose(
        numberAfter(stdout, "First derivative: "),
        e * (Math.sin(1) + Math.cos(1)),
        fixed4,
      );
      assertAllClose(numberAfter(stdout, "Second derivative: "), 2 * e * Math.cos(1), fixed4);
    });

    await t.step("05: predictions, loss, dL/dW and dL/db of a linear layer", async () => {
      const { stdout } = await runs.get("05_gradients_of_tensors.ts")!;
      const x = [[1, 2, 3], [4, 5, 6]];
      const W = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]];
      const b = [0.1, 0.2];
      const targets = [[1, 0], [0, 1]];
      // P = xW + b; L = mean((P - T)²); dL/dP = 2(P - T)/4; dL/dW = xᵀ·dL/dP; dL/db = Σ_rows dL/dP
      const P = x.map((row) =>
        b.map((bj, j) => bj + row.reduce((s, xi, i) => s + xi * W[i][j], 0))
      );
      const diff = P.map((row, i) => row.map((p, j) => p - targets[i][j]));
      const loss = diff.flat().reduce((s, d) => s + d * d, 0) / 4;
      const dP = diff.map((row) => row.map((d) => (2 * d) / 4));
      const dW = W.map((_, i) =>
        b.map((_, j) => x.reduce((s, row, r) => s + row[i] * dP[r][j], 0))
      );
      const db = b.map((_, j) => dP.reduce((s, row) => s + row[j], 0));

      assert.equal(lineAfter(stdout, "Predictions shape: "), "[2,2]");
      const predictions = tensorAfter(stdout, "Predictions:");
      assert.deepEqual(predictions.shape, [2, 2]);
      assertAllClose(predictions.values, P.flat(), f32);
      assertAllClose(scalarAfter(stdout, "Loss: "), loss, f32);
      const gradW = tensorAfter(stdout, "Gradient of loss w.r.t. weights (dL/dW):");
      assert.deepEqual(gradW.shape, [3, 2]);
      assertAllClose(gradW.values, dW.flat(), f32);
      const gradB = tensorAfter(stdout, "Gradient of loss w.r.t. bias (dL/db):");
      assert.deepEqual(gradB.shape, [2]);
      assertAllClose(gradB.values, db, f32);
      const shapes = stdout.split("\n").filter((l) => l.startsWith("Shape: "));
      assert.deepEqual(shapes, ["Shape: [3,2]", "Shape: [2]"]);
    });

    await t.step("06: the linear model learns w ≈ 3 and b ≈ 2", async () => {
      const run = await runs.get("06_training_linear_model.ts")!;
      const m = lineAfter(run.stdout, "Final parameters: ").match(/^w=(-?[\d.]+), b=(-?[\d.]+)$/);
      assert.ok(m !== null, "final parameters line");
      const [w, b] = [Number(m[1]), Number(m[2])];
      assert.ok(Math.abs(w - 3) < 0.1, `w = ${w}, want 3 ± 0.1`);
      assert.ok(Math.abs(b - 2) < 0.1, `b = ${b}, want 2 ± 0.1`);
      const losses = [...run.stdout.matchAll(/^Epoch +\d+: Loss = ([\d.]+),/gm)].map((l) =>
        Number(l[1])
      );
      assert.equal(losses.length, 5, "progress every 20 of 100 epochs");
      losses.slice(1).forEach((l, i) => assert.ok(l <= losses[i], `loss went up: ${losses}`));
      await assertFigure(run, "06_training_linear_model.svg", [
        "Training Loss",
        "Linear Regression Result",
      ], [
        "Data",
        /^Learned: y = -?\d+\.\d\dx \+ -?\d+\.\d\d$/,
        "True: y = 3x + 2",
      ]);
    });

    await t.step("07: a used-up tape throws; outside work and int casts give null", async () => {
      const { stdout } = await runs.get("07_gotchas.ts")!;
      assert.equal(scalarAfter(stdout, "First gradient call: "), 2 * 2);
      // The tutorial says None; TensorFlow and gradtape refuse a second call on a used-up tape.
      assert.match(lineAfter(stdout, "Second gradient call threw: "), /persistent: true/);
      assert.equal(lineAfter(stdout, "Gradient when y=x^2 is outside tape: "), "null");
      assert.equal(scalarAfter(stdout, "Gradient when all operations inside tape: "), 2 * 3);
      assert.equal(lineAfter(stdout, "Gradient through type casting: "), "null");
      assert.equal(scalarAfter(stdout, "Gradient is valid: "), 2 * 1);
    });

    await t.step("08: polynomial regression with L2 matches plain gradient descent", async () => {
      const run = await runs.get("08_polynomial_regression_l2.ts")!;
      // The tutorial's settings, not read from the example.
      const [learningRate, epochs, l2Weight] = [0.01, 200, 0.001];
      const targets = [0.5, -2, 1, 1];

      const { descend, optimum } = polynomialReference(learningRate, l2Weight);
      const logged: { theta: number[]; losses: number[] }[] = [];
      const final = descend(epochs, (epoch, theta, losses) => {
        if (epoch % 50 === 0) logged.push({ theta, losses });
      });

      const num = String.raw`(-?[\d.]+)`;
      const progressLines = new RegExp(
        String.raw`^Epoch +(\d+): Total Loss = ${num}, MSE = ${num}, L2 = ${num}\n {2}` +
          String.raw`Coefficients: w3=${num}, w2=${num}, w1=${num}, b=${num}$`,
        "gm",
      );
      const progress = [...run.stdout.matchAll(progressLines)];
      assert.deepEqual(progress.map((p) => Number(p[1])), [0, 50, 100, 150]);
      progress.forEach((p, i) => {
        // Losses print with 4 decimals, coefficients with 3; float32 adds a little.
        assertAllClose(p.slice(2, 5).map(Number), logged[i].losses, { rtol: 1e-5, atol: 1e-4 });
        assertAllClose(p.slice(5, 9).map(Number), logged[i].theta, { rtol: 0, atol: 1e-3 });
      });
      const printed = ["w3 = ", "w2 = ", "w1 = ", "b  = "].map((label) => {
        const m = lineAfter(run.stdout, `  ${label}`).match(/^(-?[\d.]+) \(target: (-?[\d.]+)\)$/);
        assert.ok(m !== null, `final ${label}`);
        return [Number(m[1]), Number(m[2])];
      });
      assert.deepEqual(printed.map(([, target]) => target), targets);
      assertAllClose(printed.map(([value]) => value), final, { rtol: 0, atol: 1e-3 });

      // The minimiser of the same loss, in closed form. With noise of standard deviation 0.3 on 50
      // points, it lies within about 0.15 of the true coefficients.
      assertAllClose(optimum, targets, { rtol: 0, atol: 0.15 });
      // The example's note: 200 epochs stop short, about 2000 get there.
      assert.ok(
        Math.max(...final.map((v, k) => Math.abs(v - optimum[k]))) > 0.1,
        "200 epochs are enough",
      );
      assertAllClose(descend(2000), optimum, { rtol: 0, atol: 0.01 });

      await assertFigure(
        run,
        "08_polynomial_regression_l2.svg",
        ["Training Curves", "Polynomial Fit", "Residuals"],
        ["Total Loss", "MSE Loss", "L2 Loss (scaled)", "Data", "Fitted", "True"],
      );
    });

    await t.step("09: a directional derivative, a JVP, and jacfwd = jacrev", async () => {
      const { stdout } = await runs.get("09_directional_derivatives.ts")!;
      // f(x, y, z) = x²y + y·sin z + e^(xz) at (1, 2, 0.5), along u = (1, 2, 2)/3.
      const f = (x: number, y: number, z: number) => x * x * y + y * Math.sin(z) + Math.exp(x * z);
      const [x, y, z] = [1, 2, 0.5];
      const u = [1 / 3, 2 / 3, 2 / 3];
      const gradient = [
        2 * x * y + z * Math.exp(x * z),
        x * x + Math.sin(z),
        y * Math.cos(z) + x * Math.exp(x * z),
      ];
      const directional = gradient.reduce((acc, g, i) => acc + g * u[i], 0);
      // The closed form is itself checked against a central difference along u.
      const h = 1e-5;
      const along = (t: number) => f(x + t * u[0], y + t * u[1], z + t * u[2]);
      assertAllClose((along(h) - along(-h)) / (2 * h), directional, { rtol: 1e-9, atol: 0 });

      assertAllClose(numberAfter(stdout, "f(1, 2, 0.5) = "), f(x, y, z), fixed12);
      const sameDerivative = [
        "Directional derivative (ForwardAccumulator): ",
        "Gradient · u: ",
        "Sum of three one-variable JVPs: ",
        "Expected (closed form ∇f·u): ",
      ];
      for (const label of sameDerivative) {
        assertAllClose(numberAfter(stdout, label), directional, fixed12);
      }
      assertAllClose(listAfter(stdout, "Gradient from a GradientTape: "), gradient, fixed12);

      // F(r, θ, φ) = (r sinθ cosφ, r sinθ sinφ, r cosθ) at (2, π/3, π/4); its Jacobian's columns
      // are ∂F/∂r, ∂F/∂θ, ∂F/∂φ.
      const [r, th, ph] = [2, Math.PI / 3, Math.PI / 4];
      const v = [0.5, -1, 2];
      const [st, ct, sp, cp] = [Math.sin(th), Math.cos(th), Math.sin(ph), Math.cos(ph)];
      const J = [
        [st * cp, r * ct * cp, -r * st * sp],
        [st * sp, r * ct * sp, r * st * cp],
        [ct, -r * st, 0],
      ];
      const Jv = J.map((row) => row.reduce((acc, a, j) => acc + a * v[j], 0));
      assertAllClose(listAfter(stdout, "JVP (ForwardAccumulator): "), Jv, fixed12);
      assertAllClose(listAfter(stdout, "JVP (gt.jvp): "), Jv, fixed12);
      assert.equal(lineAfter(stdout, "Jacobian shapes: "), "jacfwd [3,3], jacrev [3,3]");
      for (const label of ["jacfwd:", "jacrev:"]) {
        assertAllClose(rowsAfter(stdout, label, 3), J, fixed12);
      }
    });

    await t.step("10: Newton's method reaches (1, 1) in a handful of steps", async () => {
      const { stdout } = await runs.get("10_newton_rosenbrock.ts")!;
      // f = (1 − x)² + 100(y − x²)²; its gradient and Hessian by hand.
      const f = ([x, y]: number[]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;
      const gradient = (
        [x, y]: number[],
      ) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)];
      const hessian = ([x, y]: number[]) => [
        [2 - 400 * (y - x * x) + 800 * x * x, -400 * x],
        [-400 * x, 200],
      ];
      const start = [-1.2, 1];
      assertAllClose(listAfter(stdout, "Gradient at the start: "), gradient(start), fixed10);
      assertAllClose(
        listAfter(stdout, "Hessian at the start (row by row): "),
        hessian(start).flat(),
        fixed10,
      );

      const rows = [
        ...stdout.matchAll(/^ +(\d+) +(-?\d+\.\d{12}) +(-?\d+\.\d{12}) +(\S+)( +\S+)?$/gm),
      ];
      assert.deepEqual(rows.map((m) => Number(m[1])), rows.map((_, k) => k), "iteration numbers");
      assert.ok(rows.length - 1 <= 10, `${rows.length - 1} Newton steps is more than a handful`);
      // The same iteration with the closed forms, solving H·Δ = −g by elimination.
      let p = start;
      for (const [k, m] of rows.entries()) {
        if (k > 0) {
          const step = solve(hessian(p), gradient(p).map((g) => -g));
          p = p.map((v, i) => v + step[i]);
          assertAllClose(Number(m[5]), Math.hypot(...step), { rtol: 0.06, atol: 1e-15 });
        }
        assertAllClose([Number(m[2]), Number(m[3])], p, { rtol: 0, atol: 1e-9 });
        assertAllClose(Number(m[4]), f(p), { rtol: 1e-6, atol: 1e-18 });
      }
      const final = lineAfter(stdout, "Final point: ").match(/^\((\S+), (\S+)\)$/);
      assert.ok(final !== null, "final point");
      const [x, y] = [Number(final[1]), Number(final[2])];
      assert.ok(Math.hypot(x - 1, y - 1) < 1e-6, `final point (${x}, ${y}) is not (1, 1)`);
      const finalF = Number(lineAfter(stdout, "Final f: "));
      assert.ok(finalF >= 0 && finalF < 1e-20, `final f = ${finalF}`);
    });

    await t.step("11: CG on Hessian-vector products solves H·p = −g", async () => {
      const { stdout } = await runs.get("11_conjugate_gradient_hvp.ts")!;
      // f(x) = Σ xᵢ² + ½ Σ (xᵢ₊₁ − xᵢ)² − bᵀx + Σ log(1 + xᵢ²)/10, bᵢ = sin(i + 1), at
      // x₀ᵢ = 2cos(0.3i). Its gradient and Hessian by hand: the chain's Laplacian L has degree
      // minus neighbours; log(1 + x²)/10 has derivatives x/(5(1 + x²)), (1 − x²)/(5(1 + x²)²).
      const problem = (n: number) => {
        const b = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
        const f = (x: number[]) =>
          x.reduce(
            (acc, v, i) =>
              acc + v * v + (i + 1 < n ? (x[i + 1] - v) ** 2 / 2 : 0) - b[i] * v +
              Math.log1p(v * v) / 10,
            0,
          );
        const gradient = (x: number[]) =>
          x.map((v, i) =>
            2 * v + (i > 0 ? v - x[i - 1] : 0) + (i + 1 < n ? v - x[i + 1] : 0) - b[i] +
            v / (5 * (1 + v * v))
          );
        const hessian = (x: number[]) =>
          x.map((v, i) =>
            x.map((_, j) =>
              i === j
                ? 2 + (i > 0 ? 1 : 0) + (i + 1 < n ? 1 : 0) + (1 - v * v) / (5 * (1 + v * v) ** 2)
                : Math.abs(i - j) === 1
                ? -1
                : 0
            )
          );
        const x0 = Array.from({ length: n }, (_, i) => 2 * Math.cos(0.3 * i));
        return { f, gradient, hessian, x0 };
      };
      const matVec = (a: number[][], v: number[]) =>
        a.map((row) => row.reduce((acc, aij, j) => acc + aij * v[j], 0));
      const norm = (v: number[]) => Math.hypot(...v);

      const { f, gradient, hessian, x0 } = problem(50);
      const g = gradient(x0), H = hessian(x0);
      const start = lineAfter(stdout, "At x₀ (x₀ᵢ = 2cos(0.3i)): ").match(
        /^f = (\S+), ‖g‖ = (\S+)$/,
      );
      assert.ok(start !== null, "f and ‖g‖ at x₀");
      assertAllClose([Number(start[1]), Number(start[2])], [f(x0), norm(g)], fixed12);

      // The residual norms: the test's own CG on the explicit H gives the same sequence.
      const residuals = [...stdout.matchAll(/^ {2}CG iteration +(\d+): ‖r‖ = (\S+)$/gm)];
      assert.deepEqual(residuals.map((m) => Number(m[1])), residuals.map((_, k) => k + 1));
      const printed = residuals.map((m) => Number(m[2]));
      const expected: number[] = [];
      {
        let p = x0.map(() => 0), r = g.map((v) => -v), d = [...r];
        let rr = r.reduce((acc, v) => acc + v * v, 0);
        while (Math.sqrt(rr) > 1e-10 * norm(g) && expected.length < 100) {
          const Hd = matVec(H, d);
          const alpha = rr / d.reduce((acc, v, i) => acc + v * Hd[i], 0);
          p = p.map((v, i) => v + alpha * d[i]);
          r = r.map((v, i) => v - alpha * Hd[i]);
          const next = r.reduce((acc, v) => acc + v * v, 0);
          d = r.map((v, i) => v + (next / rr) * d[i]);
          rr = next;
          expected.push(Math.sqrt(rr));
        }
      }
      assert.equal(printed.length, expected.length, "CG iterations");
      assert.ok(printed.length < 50, "CG needs fewer iterations than unknowns");
      assertAllClose(printed, expected, { rtol: 1e-5, atol: 0 });
      printed.slice(1).forEach((v, k) =>
        assert.ok(v < printed[k], `the residual went up at iteration ${k + 2}`)
      );
      assert.ok(
        printed.at(-1)! <= 1e-10 * norm(g) * (1 + 1e-6),
        "the residual is small at the end",
      );

      // The printed step solves H·p = −g, with H written out here, and matches elimination.
      const p = [...stdout.matchAll(/^ {2}p\[ *(\d+)\.\. *(\d+)\]: (.*)$/gm)].flatMap((m) =>
        m[3].trim().split(/ +/).map(Number)
      );
      assert.equal(p.length, 50, "the step's entries");
      const Hp = matVec(H, p);
      const mismatch = norm(Hp.map((v, i) => v + g[i]));
      assert.ok(mismatch <= 1.1e-10 * norm(g), `‖H·p + g‖ = ${mismatch}`);
      assertAllClose(p, solve(H, g.map((v) => -v)), { rtol: 0, atol: 1e-9 });

      // Newton-CG: the first step lands at x₀ + p; the last at the minimum, found here by Newton
      // with elimination.
      const steps = [...stdout.matchAll(/^ {2}Newton step (\d): f = (\S+), ‖∇f‖ = (\S+)$/gm)];
      assertAllClose(Number(steps[0][2]), f(x0.map((v, i) => v + p[i])), fixed12);
      let x = x0;
      for (let k = 0; k < 20 && norm(gradient(x)) > 1e-13; k++) {
        const step = solve(hessian(x), gradient(x).map((v) => -v));
        x = x.map((v, i) => v + step[i]);
      }
      assertAllClose(Number(steps.at(-1)![2]), f(x), fixed12);
      assert.ok(Number(steps.at(-1)![3]) < 1e-10, "Newton-CG ends at a zero gradient");

      // n = 6: the printed Hessian is the closed form, and both columns solve H·p = −g.
      const small = problem(6);
      const H6 = small.hessian(small.x0);
      assertAllClose(
        rowsAfter(stdout, "Small case, n = 6: the Hessian from gt.hessian:", 6),
        H6,
        { rtol: 0, atol: 5e-7 },
      );
      const columns = [...stdout.matchAll(/^ +(\d) +(-?\d+\.\d{12}) +(-?\d+\.\d{12})$/gm)];
      assert.deepEqual(columns.map((m) => Number(m[1])), [0, 1, 2, 3, 4, 5]);
      const p6 = solve(H6, small.gradient(small.x0).map((v) => -v));
      assertAllClose(columns.map((m) => Number(m[2])), p6, fixed12);
      assertAllClose(columns.map((m) => Number(m[3])), p6, fixed12);
    });

    await t.step("12: Adam reaches the least-squares coefficients in 200 epochs", async () => {
      const run = await runs.get("12_polynomial_adam.ts")!;
      const targets = [0.5, -2, 1, 1];
      // Example 08's loss, gradient descent at 08's learning rate, and the closed-form minimiser.
      const { theta0, lossAt, descend, optimum } = polynomialReference(0.01, 0.001);

      const num = String.raw`(-?[\d.]+)`;
      const progress = [
        ...run.stdout.matchAll(
          new RegExp(
            String.raw`^Epoch +(\d+): Loss = ${num}\n {2}` +
              String.raw`Coefficients: w3=${num}, w2=${num}, w1=${num}, b=${num}$`,
            "gm",
          ),
        ),
      ];
      assert.deepEqual(progress.map((p) => Number(p[1])), [0, 50, 100, 150]);
      // The first loss is at the starting point (float32, printed with 6 decimals).
      assertAllClose(Number(progress[0][2]), lossAt(theta0)[0], { rtol: 1e-5, atol: 1e-6 });
      const losses = progress.map((p) => Number(p[2]));
      losses.slice(1).forEach((l, i) => assert.ok(l < losses[i], `loss went up: ${losses}`));

      const printed = ["w3 = ", "w2 = ", "w1 = ", "b  = "].map((label) => {
        const m = lineAfter(run.stdout, `  ${label}`).match(/^(-?[\d.]+) \(target: (-?[\d.]+)\)$/);
        assert.ok(m !== null, `final ${label}`);
        return [Number(m[1]), Number(m[2])];
      });
      assert.deepEqual(printed.map(([, target]) => target), targets);
      // Three decimals printed; Adam at a constant learning rate settles within about 1e-3.
      assertAllClose(printed.map(([value]) => value), optimum, { rtol: 0, atol: 2e-3 });

      // The comparison run is example 08's plain gradient descent, which stops short.
      const descent = descend(200);
      const gd = lineAfter(run.stdout, "Plain gradient descent after 200 epochs (example 08): ")
        .split(", ").map(Number);
      assertAllClose(gd, descent, { rtol: 0, atol: 1e-3 });
      const final = lineAfter(run.stdout, "Final loss: ").match(
        /^Adam ([\d.]+), gradient descent ([\d.]+)$/,
      );
      assert.ok(final !== null, "final losses");
      assertAllClose(Number(final[1]), lossAt(optimum)[0], { rtol: 1e-5, atol: 1e-6 });
      assertAllClose(Number(final[2]), lossAt(descent)[0], { rtol: 1e-5, atol: 1e-6 });
      assert.ok(Number(final[1]) < Number(final[2]), "Adam ends below gradient descent");
      const gradNorm = lineAfter(run.stdout, "‖gradient‖ at Adam's final coefficients: ");
      assert.ok(Number(gradNorm.split(" ")[0]) < 1e-3, gradNorm);

      await assertFigure(
        run,
        "12_polynomial_adam.svg",
        ["Training Loss", "Polynomial Fit"],
        ["Adam", "Gradient descent", "Data", "Adam", "Gradient descent", "True"],
      );
    });

    await t.step(
      "13: a CNN learns Fashion-MNIST, and its checkpoint restores it exactly",
      async () => {
        const { stdout, out } = await runs.get("13_fashion_mnist_cnn.ts")!;
        assert.match(stdout, /^Fashion-MNIST: 3000 training and 1000 test images of 28×28/m);
        const epoch = stdout.match(
          /^Epoch 1: loss (\S+), train accuracy (\S+)%, test accuracy (\S+)%/m,
        );
        assert.ok(epoch !== null, stdout);
        const [loss, trainAcc, testAcc] = epoch.slice(1).map(Number);
        // Ten classes: chance is 10% and a loss of ln 10 ≈ 2.3; one short epoch already does far better.
        assert.ok(loss < 1.5 && trainAcc > 60 && testAcc > 60, epoch[0]);
        const restored = stdout.match(
          /^Test accuracy of the restored model: (\S+)% \(trained: (\S+)%\)/m,
        );
        assert.ok(restored !== null && restored[1] === restored[2], restored?.[0]);
        for (const name of ["13_fashion_mnist_cnn.svg", "13_fashion_mnist_cnn.safetensors"]) {
          assert.ok((await Deno.stat(`${out}/${name}`)).size > 0, name);
        }
      },
    );
    await t.step("14: per-example norms and clipping match single-example grads", async () => {
      const { stdout } = await runs.get("14_per_example_gradients.ts")!;
      // The reference: each example's gradient by grad alone, no vmap, and its norm.
      const { params, xs, ys } = perExampleSetup();
      const singles = [...Array(xs.shape[0]).keys()].map((i) =>
        gt.grad(perExampleLoss)(
          params,
          gt.slice(xs, [i, 0], [1, 10]).reshape([10]),
          gt.slice(ys, [i, 0], [1, 3]).reshape([3]),
        )
      );
      const leaves = singles.map((g) => gt.tree.leaves(g).flatMap((t) => Array.from(t.data())));
      const norms = leaves.map((v) => Math.hypot(...v));
      const scales = norms.map((n) => Math.min(1, clipNorm / n));
      // Printed with 6 decimals, from float32 sums.
      const printed = { rtol: 1e-5, atol: 6e-7 };
      assertAllClose(listAfter(stdout, "Per-example gradient norms: "), norms, printed);
      assertAllClose(listAfter(stdout, `Clipping at C = ${clipNorm}: scales `), scales, printed);
      assertAllClose(
        listAfter(stdout, "Clipped norms: "),
        norms.map((n) => Math.min(n, clipNorm)),
        printed,
      );
      assert.ok(scales.some((s) => s === 1) && scales.some((s) => s < 1), "some clipped, some not");
      const mean = leaves[0].map((_, j) =>
        leaves.reduce((s, v, i) => s + v[j] * scales[i], 0) / leaves.length
      );
      assertAllClose(
        numberAfter(stdout, "Norm of the mean clipped gradient: "),
        Math.hypot(...mean),
        printed,
      );
      for (const prefix of ["from the loop of single-example gradients: ", "batch gradient|: "]) {
        const line = stdout.split("\n").find((l) => l.includes(prefix));
        assert.ok(line !== undefined, prefix);
        assert.ok(Number(line.slice(line.indexOf(prefix) + prefix.length)) < 1e-6, line);
      }
    });
    await t.step("15: jitted training steps end where the op-by-op ones do", async () => {
      const { stdout } = await runs.get("15_jit_training.ts")!;
      const eager = stdout.split("\n").filter((l) => l.startsWith("  parameters op by op: "));
      const jitted = stdout.split("\n").filter((l) => l.startsWith("  parameters with jit: "));
      assert.equal(eager.length, 2);
      const values = (l: string) =>
        l.slice(l.indexOf("[") + 1, l.indexOf("]")).split(",").map(Number);
      eager.forEach((l, i) => assert.deepEqual(values(jitted[i]), values(l)));
      // The same steps in this process: the tutorial's data give w ≈ 3 and b ≈ 2.
      const model = linearModel();
      train(model.step, 100);
      const [w, b] = model.params.map((p) => p.value().item());
      assert.deepEqual(values(eager[0]), [w, b].map((v) => Number(v.toFixed(6))));
      assert.ok(Math.abs(w - 3) < 0.1 && Math.abs(b - 2) < 0.1, `w=${w}, b=${b}`);
      assert.match(stdout, /fused\[/);
      assert.match(stdout, /first call, which traces and compiles: \d+\.\d+ ms/);
    });
    await t.step(
      "16: the likelihood, its gradient and the Newton fit match float64 formulas",
      async () => {
        const { stdout, out } = await runs.get("16_gaussian_process.ts")!;
        const { x, y } = gpSetup();
        const xs = Array.from(x.data()), ys = Array.from(y.data());
        const start = [0, 0, Math.log(0.5)];
        const [nll0, grad0] = gpReference(xs, ys, start);
        assertAllClose(numberAfter(stdout, "NLL at the start: "), nll0, { rtol: 0, atol: 1e-10 });
        assertAllClose(listAfter(stdout, "Gradient at the start: "), grad0, fixed8);
        assertAllClose(listAfter(stdout, "Central differences:   "), grad0, {
          rtol: 0,
          atol: 1e-6,
        });
        // Newton's steps: the gradient norm falls quadratically to ~0, at the likelihood's minimum.
        const norms = [...stdout.matchAll(/^ +\d+ +-?\d+\.\d+ +(\S+)$/gm)].map((m) => Number(m[1]));
        assert.ok(norms.length >= 2 && norms.at(-1)! < 1e-10, `Newton's gradient norms ${norms}`);
        for (let i = 1; i < norms.length; i++) assert.ok(norms[i] < norms[i - 1] ** 1.5 * 10);
        const fitted = listAfter(stdout, "Fitted θ: ");
        const [nll, grad] = gpReference(xs, ys, fitted);
        assertAllClose(numberAfter(stdout, "NLL at the fit: "), nll, { rtol: 0, atol: 1e-9 });
        // θ is printed to 8 decimals, so the gradient there is zero to about that.
        assert.ok(Math.hypot(...grad) < 1e-5, `gradient ${grad} at the printed fit`);
        assert.ok((await Deno.stat(`${out}/16_gaussian_process.svg`)).size > 0);
      },
    );
  } finally {
    // Let every process finish and clean up, even after a failed step.
    for (const r of await Promise.allSettled(runs.values())) {
      if (r.status === "fulfilled") await Deno.remove(r.value.out, { recursive: true });
    }
  }
});

Deno.test("deno task demo runs every example with the task's permissions", async () => {
  // The same flags as the demo task in deno.json, so that a permission it lacks fails here.
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const [deno, sub, ...rest] = String(config.tasks.demo).split(/\s+/);
  assert.deepEqual([deno, sub, rest.at(-1)], ["deno", "run", "examples/run_all.ts"]);
  const run = await runExample("run_all.ts", rest.slice(0, -1));
  try {
    const headers = [...run.stdout.matchAll(/^=+ (\d\d) .+ =+$/gm)].map((m) => m[1]);
    assert.deepEqual(headers, files.map((f) => f.slice(0, 2)));
    const figures = [
      "06_training_linear_model.svg",
      "08_polynomial_regression_l2.svg",
      "12_polynomial_adam.svg",
      "13_fashion_mnist_cnn.svg",
      "16_gaussian_process.svg",
    ];
    for (const name of figures) {
      assert.ok((await Deno.stat(`${run.out}/${name}`)).size > 0, name);
    }
  } finally {
    await Deno.remove(run.out, { recursive: true });
  }
});
