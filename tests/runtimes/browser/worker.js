// A dedicated worker of the test page: a float32 product large enough for the WebAssembly kernel
// to hand half its rows to a worker of its own, where the page is cross-origin isolated (shared
// memory) and this thread may block (Atomics.wait), as a browser's main thread may not.
// Loaded by URL, so that `deno check` does not look for dist/ (built by `deno task bundle`).
const gt = await import(new URL("../../../dist/gradtape.js", import.meta.url).href);

const PROBE = "/__probe/wasm_probe.js";

/** A float64 product of row-major m×k and k×n float32 arrays. */
function reference(a, b, m, k, n) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p];
      for (let j = 0; j < n; j++) out[i * n + j] += av * b[p * n + j];
    }
  }
  return Array.from(out);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run() {
  const [m, k, n] = [300, 280, 270];
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(0.37 * i));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(0.53 * i));
  const expected = reference(a, b, m, k, n);
  const c = gt.matmul(gt.constant(a, { shape: [m, k] }), gt.constant(b, { shape: [k, n] }));
  const checks = [{
    id: "worker_matmul",
    quantity: `float32 matmul ${m}×${k} · ${k}×${n} in a Web Worker`,
    computed: Array.from(c.data(), Number),
    expected,
    rtol: 1e-5,
    atol: 1e-4,
  }];

  // The same product through the probe's copy of the kernel, whose counter tells whether its
  // worker took a share: started here (a program starts it once large jobs have taken 100 ms
  // alone), it is ready soon after.
  let kernel = null;
  const probe = await import(PROBE).catch(() => null);
  if (probe !== null) {
    probe.startWorker();
    const before = probe.wasmThreadedRuns();
    let maxError = 0;
    for (let i = 0; i < 100 && probe.wasmThreadedRuns() === before; i++) {
      const [out] = probe.product(a, [m, k], b, [k, n], false, false, "float32");
      for (let j = 0; j < out.length; j++) {
        maxError = Math.max(maxError, Math.abs(out[j] - expected[j]) / (1 + Math.abs(expected[j])));
      }
      await sleep(20);
    }
    kernel = {
      available: probe.wasmAvailable(),
      threaded: probe.wasmThreaded(),
      threadedRuns: probe.wasmThreadedRuns() - before,
      maxError,
    };
  }
  return { checks, kernel, crossOriginIsolated: self.crossOriginIsolated === true };
}

run().then(
  (result) => self.postMessage({ result }),
  (e) => self.postMessage({ error: String(e?.stack ?? e) }),
);
