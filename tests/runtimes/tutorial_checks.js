/**
 * The tutorial's gradient checks in plain JavaScript, shared by the Node script (node_check.mjs)
 * and the browser page (browser/page.js). Each check runs the bundled library, passed in as `gt`,
 * and pairs what it computed with the value the tutorial's formula gives, worked out here in
 * float64 arithmetic.
 *
 * @module
 */

/**
 * One line of the results: a quantity, what the library computed and what the formula gives.
 *
 * @typedef {object} Check
 * @property {string} id short name, stable for tests
 * @property {string} quantity what is computed, as a reader would say it
 * @property {number[]} computed the library's values, flattened
 * @property {number[]} expected the formula's values, flattened
 * @property {number} rtol relative tolerance (0 with atol 0: exactly equal)
 * @property {number} atol absolute tolerance
 */

/**
 * Whether every computed value is within `atol + rtol·|expected|` of the expected one.
 *
 * @param {{ computed: number[], expected: number[], rtol: number, atol: number }} c
 * @returns {boolean}
 */
export function passes(c) {
  if (c.computed.length !== c.expected.length) return false;
  return c.computed.every((v, i) =>
    Number.isFinite(v) && Math.abs(v - c.expected[i]) <= c.atol + c.rtol * Math.abs(c.expected[i])
  );
}

/**
 * Short text for a list of numbers: all of them when there are few, else the first four.
 *
 * @param {number[]} values
 * @returns {string}
 */
export function show(values) {
  const fmt = (v) => String(Number(v.toPrecision(7)));
  if (values.length <= 8) return values.map(fmt).join(", ");
  return `${values.slice(0, 4).map(fmt).join(", ")}, … (${values.length} values)`;
}

/** Values exactly representable in float32 are compared exactly; the rest to float32 precision. */
const EXACT = { rtol: 0, atol: 0 };
const FLOAT32 = { rtol: 1e-5, atol: 1e-6 };

/**
 * Runs the checks against the bundled library.
 *
 * @param {any} gt the module namespace of dist/gradtape.js
 * @returns {{ checks: Check[], gradW: any }} the checks, and the 3×2 gradient dL/dW (a tensor)
 *   for the runtimes' printing checks
 */
export function runTutorialChecks(gt) {
  /** @type {Check[]} */
  const checks = [];
  const flat = (t) => Array.from(t.data(), Number);
  const add = (id, quantity, computed, expected, tol) =>
    checks.push({ id, quantity, computed, expected, ...tol });

  // d(x²)/dx = 2x at x = 3.
  {
    const x = new gt.Variable(3.0, { name: "x" });
    const tape = new gt.GradientTape();
    const y = tape.record(() => x.square());
    add("square", "d(x²)/dx at x = 3", flat(tape.gradient(y, x)), [2 * 3], EXACT);
  }

  // d(3x³ + 2x² + x + 1)/dx = 9x² + 4x + 1 at x = 2.
  {
    const x = new gt.Variable(2.0);
    const tape = new gt.GradientTape();
    const y = tape.record(() =>
      gt.multiply(3, x.pow(3)).add(gt.multiply(2, x.pow(2))).add(x).add(1)
    );
    const d = 9 * 2 ** 2 + 4 * 2 + 1;
    add("cubic", "d(3x³ + 2x² + x + 1)/dx at x = 2", flat(tape.gradient(y, x)), [d], EXACT);
  }

  // ∂(x² + 3xy + y³)/∂x = 2x + 3y and ∂/∂y = 3x + 3y² at (2, 3).
  {
    const x = new gt.Variable(2.0), y = new gt.Variable(3.0);
    const tape = new gt.GradientTape();
    const z = tape.record(() => x.pow(2).add(gt.multiply(3, x).mul(y)).add(y.pow(3)));
    const [dx, dy] = tape.gradient(z, [x, y]);
    add(
      "two_vars",
      "[∂/∂x, ∂/∂y] of x² + 3xy + y³ at (2, 3)",
      [...flat(dx), ...flat(dy)],
      [2 * 2 + 3 * 3, 3 * 2 + 3 * 3 ** 2],
      EXACT,
    );
  }

  // d²(x⁴)/dx² = 12x² at x = 2, by a tape around a tape.
  {
    const x = new gt.Variable(2.0);
    const outer = new gt.GradientTape();
    const dy = outer.record(() => {
      const inner = new gt.GradientTape();
      const y = inner.record(() => x.pow(4));
      return inner.gradient(y, x);
    });
    add("second", "d²(x⁴)/dx² at x = 2 (nested tapes)", flat(outer.gradient(dy, x)), [
      12 * 2 ** 2,
    ], EXACT);
  }

  // A linear layer P = xW + b with the mean squared error L = mean((P − T)²) over its n entries:
  // dL/dP = 2(P − T)/n, dL/dW = xᵀ·dL/dP, dL/db = the column sums of dL/dP.
  let gradW;
  {
    const xs = [[1, 2, 3], [4, 5, 6]];
    const ws = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]];
    const bs = [0.1, 0.2];
    const ts = [[1, 0], [0, 1]];
    const x = gt.constant(xs);
    const W = new gt.Variable(ws);
    const b = new gt.Variable(bs);
    const tape = new gt.GradientTape();
    const loss = tape.record(() => {
      const predictions = gt.matmul(x, W).add(b);
      return gt.reduceMean(gt.square(predictions.sub(gt.constant(ts))));
    });
    const [dLdW, gradB] = tape.gradient(loss, [W, b]);
    gradW = dLdW;

    // The same in float64, from the formulas (the inputs rounded to float32 as the tensors hold
    // them).
    const f = Math.fround;
    const n = 2 * 2;
    const dP = xs.map((row, i) =>
      [0, 1].map((j) => {
        let p = f(bs[j]);
        for (let k = 0; k < 3; k++) p += f(row[k]) * f(ws[k][j]);
        return (2 * (p - ts[i][j])) / n;
      })
    );
    const dW = [0, 1, 2].flatMap((k) =>
      [0, 1].map((j) => xs[0][k] * dP[0][j] + xs[1][k] * dP[1][j])
    );
    const db = [0, 1].map((j) => dP[0][j] + dP[1][j]);
    add("dL_dW", "dL/dW of a linear layer's mean squared error", flat(gradW), dW, FLOAT32);
    add("dL_db", "dL/db of a linear layer's mean squared error", flat(gradB), db, FLOAT32);
  }

  // Forward mode: the derivative of eˣ at 2 along the tangent 1 is e².
  {
    const x = new gt.Variable(2.0);
    const acc = new gt.ForwardAccumulator(x, gt.constant(1));
    const y = acc.record(() => gt.exp(x));
    add("jvp", "jvp of eˣ at x = 2 along 1 (ForwardAccumulator)", flat(acc.jvp(y)), [
      Math.exp(2),
    ], FLOAT32);
  }

  // The Hessian of Σ vᵢ³ is diag(6vᵢ).
  {
    const h = gt.hessian((v) => gt.reduceSum(gt.pow(v, 3)))([1, 2]);
    add("hessian", "hessian of Σ vᵢ³ at v = [1, 2]", flat(h), [6 * 1, 0, 0, 6 * 2], EXACT);
  }

  // A float32 product large enough for the WebAssembly kernel, against a float64 loop.
  {
    const [m, k, n] = [40, 48, 32];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(0.37 * i));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(0.53 * i));
    const c = gt.matmul(gt.constant(a, { shape: [m, k] }), gt.constant(b, { shape: [k, n] }));
    const expected = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        expected.push(s);
      }
    }
    add("matmul", `float32 matmul ${m}×${k} · ${k}×${n}`, flat(c), expected, {
      rtol: 1e-5,
      atol: 1e-5,
    });
  }

  return { checks, gradW };
}
