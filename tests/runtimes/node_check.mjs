// The bundled library in Node: the tutorial's gradients, printing, and the WebAssembly kernel.
//
//   deno task bundle && node tests/runtimes/node_check.mjs [--probe path/to/wasm_probe.js]
//
// --probe takes a bundle of tests/runtimes/wasm_probe.ts (tests/runtimes/node_test.ts makes one)
// to tell whether the WebAssembly matmul kernel runs here. Exits 1 on any mismatch, 2 when the
// bundle is missing; the last line says how many checks passed.
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import util from "node:util";
import { passes, runTutorialChecks, show } from "./tutorial_checks.js";

if (typeof globalThis.Deno !== "undefined" || typeof globalThis.Bun !== "undefined") {
  console.error(
    "node_check: this is not Node (Deno and Bun run Node scripts too): run it with node",
  );
  process.exit(2);
}

const bundleUrl = new URL("../../dist/gradtape.js", import.meta.url);
if (!existsSync(fileURLToPath(bundleUrl))) {
  console.error(
    `node_check: ${fileURLToPath(bundleUrl)} is missing: run \`deno task bundle\` first`,
  );
  process.exit(2);
}
const gt = await import(bundleUrl.href);
const { testing } = gt;

let passed = 0;
const failures = [];
/** Prints one check's line and counts it. */
function report(name, ok, detail) {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  if (ok) passed++;
  else failures.push(name);
}

// The tutorial's gradients.
const { checks, gradW } = runTutorialChecks(gt);
for (const c of checks) {
  report(c.quantity, passes(c), `computed [${show(c.computed)}], expected [${show(c.expected)}]`);
}

// console.log formats with util.inspect, which calls the nodejs.util.inspect.custom hook: the
// text is TensorFlow's layout, not the object's fields.
{
  const x = new gt.Variable(3.0, { name: "x" });
  const tape = new gt.GradientTape();
  const y = tape.record(() => x.square());
  const g = tape.gradient(y, x);
  console.log(g);
  console.log(x);
  console.log(gradW);
  const text = (name, got, want) =>
    report(name, got === want, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  text("console.log of a gradient", util.format(g), "Tensor(6, shape=[], dtype=float32)");
  text("console.log of a variable", util.format(x), "Variable 'x' shape=[] dtype=float32, value=3");
  const layout =
    /^Tensor\(\n\[\[[^\]]+\]\n \[[^\]]+\]\n \[[^\]]+\]\], shape=\[3,2\], dtype=float32\)$/;
  const shown = util.format(gradW);
  report(
    "console.log of the 3×2 dL/dW",
    layout.test(shown) && shown === gradW.toString(),
    JSON.stringify(shown),
  );
}

// The testing helpers come in the same module, so they take its tensors.
{
  let error = null;
  try {
    testing.checkGrads((x, y) => gt.multiply(gt.sin(x), y), [[0.5, 1], [2, 3]], { order: 2 });
    testing.assertAllClose(gt.square(gt.constant([1, 2])), [1, 4]);
  } catch (e) {
    error = e;
  }
  report(
    "gt.testing on tensors of the same bundle",
    error === null,
    error === null ? "checkGrads (order 2) and assertAllClose pass" : String(error?.message),
  );
}

// float32 sin, cos and exp of a long array (WebAssembly SIMD where it runs, else the JavaScript
// loops) against Math's, in float32 ulps of the reference.
{
  const xs = Float32Array.from({ length: 5000 }, (_, i) => (i - 2500) / 300);
  let worst = 0;
  for (const [op, ref] of [[gt.sin, Math.sin], [gt.cos, Math.cos], [gt.exp, Math.exp]]) {
    const got = op(gt.constant(xs)).data();
    for (let i = 0; i < xs.length; i++) {
      const want = ref(xs[i]);
      const ulp = want === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
      worst = Math.max(worst, Math.abs(got[i] - want) / ulp);
    }
  }
  report("float32 sin, cos, exp of 5,000 elements", worst <= 3, `worst ${worst.toFixed(2)} ulps`);
}

// The WebAssembly matmul kernel, through the probe when given one.
const probeAt = process.argv.indexOf("--probe");
if (probeAt !== -1) {
  const probe = await import(pathToFileURL(process.argv[probeAt + 1]).href);
  const available = probe.wasmAvailable();
  const threaded = probe.wasmThreaded();
  // The kernel runs wherever WebAssembly does; without it (node --noexpose-wasm) the checks above
  // went through the JavaScript loop it falls back to.
  const hasWasm = typeof WebAssembly === "object";
  report(
    "WebAssembly matmul kernel",
    available === hasWasm,
    `${available ? "available" : "unavailable (the JavaScript loop runs)"}, ${
      threaded ? "with a worker thread" : "single-threaded"
    }${hasWasm ? "" : " (this Node has no WebAssembly)"}`,
  );
} else {
  console.log("(WebAssembly matmul kernel not probed: pass --probe path/to/wasm_probe.js)");
}

const total = passed + failures.length;
if (failures.length > 0) {
  console.error(
    `node_check (Node ${process.version}): ${failures.length} of ${total} checks FAILED:`,
  );
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`node_check (Node ${process.version}): all ${total} checks passed`);
