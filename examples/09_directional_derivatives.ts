/**
 * Forward mode: the directional derivative of a function of several variables, taken in one pass
 * with all the variables as primals at once; a Jacobian-vector product of a vector function; and
 * the same Jacobian by `jacfwd` and by `jacrev`.
 *
 * Run: `deno run examples/09_directional_derivatives.ts`
 *
 * @module
 */
import * as gt from "../mod.ts";

const float64 = { dtype: "float64" } as const;

/** Prints a 3×3 matrix given as a flat list, one row a line, under `label`. */
function printMatrix(label: string, values: ArrayLike<number>): void {
  console.log(label);
  for (let i = 0; i < 3; i++) {
    const row = Array.from({ length: 3 }, (_, j) => values[3 * i + j].toFixed(12).padStart(16));
    console.log(`  ${row.join(" ")}`);
  }
}

/** Runs the example. */
export function main(): void {
  // --- 1. A directional derivative with several primals at once -------------------------------
  //
  // f(x, y, z) = x²y + y·sin z + e^(xz) at (1, 2, 0.5), along the unit vector u = (1, 2, 2)/3.
  // A ForwardAccumulator carries a tangent next to every primal: give it all three variables and
  // their three tangents, and every op inside the recording pushes the combined tangent forward,
  // so jvp(f) is the directional derivative ∂f/∂x·u_x + ∂f/∂y·u_y + ∂f/∂z·u_z in one pass. (This
  // is what TensorFlow users ask for in tensorflow#40074: one accumulator for all of a model's
  // variables, not one pass per variable. TensorFlow and gradtape both take lists.)
  const [x0, y0, z0] = [1, 2, 0.5];
  const u = [1 / 3, 2 / 3, 2 / 3];
  const x = new gt.Variable(x0, { name: "x", ...float64 });
  const y = new gt.Variable(y0, { name: "y", ...float64 });
  const z = new gt.Variable(z0, { name: "z", ...float64 });
  const f = () => x.square().mul(y).add(y.mul(gt.sin(z))).add(gt.exp(x.mul(z)));

  console.log("f(x, y, z) = x²y + y·sin z + e^(xz) at (1, 2, 0.5), along u = (1, 2, 2)/3");
  const acc = new gt.ForwardAccumulator([x, y, z], u);
  const value = acc.record(f);
  const forward = acc.jvp(value)!.item();

  // Reverse mode gets there another way: the whole gradient from a tape, then its dot product
  // with u. One backward pass gives every partial derivative; forward mode gives one direction
  // per pass, which is cheaper when there are few directions and many outputs.
  const tape = new gt.GradientTape();
  const again = tape.record(f);
  const gradient = tape.gradient(again, [x, y, z]).map((g) => g!.item());
  const reverse = gradient.reduce((sum, g, i) => sum + g * u[i], 0);

  // By hand: ∇f = (2xy + z·e^(xz), x² + sin z, y·cos z + x·e^(xz)).
  const e = Math.exp(x0 * z0);
  const closedGradient = [2 * x0 * y0 + z0 * e, x0 ** 2 + Math.sin(z0), y0 * Math.cos(z0) + x0 * e];
  const closed = closedGradient.reduce((sum, g, i) => sum + g * u[i], 0);

  console.log(`f(1, 2, 0.5) = ${value.item().toFixed(12)}`);
  console.log(`Expected (2 + 2 sin 0.5 + e^0.5): ${(2 + 2 * Math.sin(0.5) + e).toFixed(12)}`);
  console.log(`Directional derivative (ForwardAccumulator): ${forward.toFixed(12)}`);
  console.log(`Gradient from a GradientTape: [${gradient.map((g) => g.toFixed(12)).join(", ")}]`);
  console.log(`Gradient · u: ${reverse.toFixed(12)}`);
  console.log(`Expected (closed form ∇f·u): ${closed.toFixed(12)}`);

  // The JVP is linear in the tangents, so one accumulator per variable (three passes), each
  // with a single primal, gives the same sum. That is the loop the single accumulator saves.
  const onePerVariable = [x, y, z].map((variable, i) => {
    const single = new gt.ForwardAccumulator(variable, u[i]);
    return single.jvp(single.record(f))!.item();
  });
  const summed = onePerVariable.reduce((a, b) => a + b, 0);
  console.log(`Sum of three one-variable JVPs: ${summed.toFixed(12)}`);
  console.log();

  // --- 2. A Jacobian-vector product of a vector function --------------------------------------
  //
  // Spherical to Cartesian coordinates, F(r, θ, φ) = (r sinθ cosφ, r sinθ sinφ, r cosθ), at
  // (2, π/3, π/4). Its JVP along v is J·v, how fast the point moves when (r, θ, φ) moves along v:
  // one forward pass, never forming J.
  const spherical = (q: gt.Tensor): gt.Tensor => {
    const [r, theta, phi] = gt.split(q, 3);
    const rho = r.mul(gt.sin(theta));
    return gt.concat([rho.mul(gt.cos(phi)), rho.mul(gt.sin(phi)), r.mul(gt.cos(theta))], 0);
  };
  const [r0, t0, p0] = [2, Math.PI / 3, Math.PI / 4];
  const q = gt.constant([r0, t0, p0], float64);
  const v = [0.5, -1, 2];

  console.log(
    "F(r, θ, φ) = (r sinθ cosφ, r sinθ sinφ, r cosθ) at (2, π/3, π/4), along v = (0.5, -1, 2)",
  );
  const accF = new gt.ForwardAccumulator(q, v);
  const point = accF.record(() => spherical(q));
  const jvp = accF.jvp(point)!;
  // gt.jvp is the same computation as a function transform.
  const [, jvpFn] = gt.jvp(spherical, [q], [v]);

  // ∂F/∂r, ∂F/∂θ and ∂F/∂φ are the columns of the Jacobian.
  const [st, ct, sp, cp] = [Math.sin(t0), Math.cos(t0), Math.sin(p0), Math.cos(p0)];
  const J = [
    [st * cp, r0 * ct * cp, -r0 * st * sp],
    [st * sp, r0 * ct * sp, r0 * st * cp],
    [ct, -r0 * st, 0],
  ];
  const Jv = J.map((row) => row.reduce((sum, a, j) => sum + a * v[j], 0));
  const show = (xs: ArrayLike<number>) => `[${Array.from(xs, (n) => n.toFixed(12)).join(", ")}]`;
  console.log(`JVP (ForwardAccumulator): ${show(jvp.data())}`);
  console.log(`JVP (gt.jvp):             ${show(jvpFn.data())}`);
  console.log(`Expected (closed-form J·v): ${show(Jv)}`);
  console.log();

  // --- 3. The whole Jacobian, forward and reverse ---------------------------------------------
  //
  // jacfwd pushes one tangent per input (here the three unit vectors, in one batched pass) and
  // gets J a column at a time; jacrev pulls one cotangent per output back and gets it a row at a
  // time. Same matrix; jacfwd is the cheaper one when inputs are fewer than outputs, jacrev when
  // outputs are fewer (a loss has one output, which is why training uses reverse mode).
  const jf = gt.jacfwd(spherical)(q);
  const jr = gt.jacrev(spherical)(q);
  console.log(
    `Jacobian shapes: jacfwd ${JSON.stringify(jf.shape)}, jacrev ${JSON.stringify(jr.shape)}`,
  );
  printMatrix("jacfwd:", jf.data());
  printMatrix("jacrev:", jr.data());
  printMatrix("Expected (closed form):", J.flat());
  const jfData = jf.data(), jrData = jr.data();
  const worst = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Math.max(...Array.from(a, (n, i) => Math.abs(n - b[i])));
  console.log(`Largest |jacfwd - jacrev|: ${worst(jfData, jrData).toExponential(2)}`);
  console.log(`Largest |jacfwd - closed form|: ${worst(jfData, J.flat()).toExponential(2)}`);
}

if (import.meta.main) main();
