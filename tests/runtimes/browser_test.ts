/**
 * The bundle in a browser: runs `deno task bundle`, serves the test page (tests/runtimes/browser/)
 * on 127.0.0.1 at a free port, and has Playwright drive Debian's Chromium through it
 * (chromium_driver.ts, in a process of its own): every computed value must match its formula, the
 * WebAssembly kernel must run, and the page must render to a PNG.
 *
 * Skipped where /usr/bin/chromium is absent (CI installs it: `apt-get install chromium`). Set
 * GRADTAPE_SCREENSHOT=path.png to keep the screenshot.
 */
import assert from "node:assert/strict";
import { bundle, bundleProbe, CHROMIUM, root } from "./_build.ts";
import type { Report } from "./chromium_driver.ts";
import { passes } from "./tutorial_checks.js";

const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!hasChromium) {
  console.log(`browser_test: skipped: no ${CHROMIUM} (apt-get install chromium to run it)`);
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

/**
 * Serves the repository's tests/runtimes/ and dist/ folders, and the probe bundle at /__probe/,
 * on 127.0.0.1 at a free port. Every response makes the page cross-origin isolated, so that
 * shared memory exists and the kernel's worker can run inside a worker of the page.
 */
function serve(probeDir: string): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    let file: URL | string | null = null;
    if (path === "/__probe/wasm_probe.js") file = `${probeDir}/wasm_probe.js`;
    else if (
      !path.includes("..") && /^\/(tests\/runtimes|dist)\/[\w./-]+\.(html|js)$/.test(path)
    ) file = new URL(`.${path}`, root);
    const headers = {
      "cache-control": "no-store",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    };
    if (file === null) return new Response("not found", { status: 404, headers });
    try {
      const body = await Deno.readFile(file);
      const type = TYPES[path.slice(path.lastIndexOf("."))];
      return new Response(body, { headers: { ...headers, "content-type": type } });
    } catch {
      return new Response("not found", { status: 404, headers });
    }
  });
}

/** Runs chromium_driver.ts on `url` and returns what the page showed. */
async function drive(url: string, screenshot: string): Promise<Report> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tests/runtimes/chromium_driver.ts", url, screenshot],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const out = new TextDecoder().decode(stdout), err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `chromium_driver.ts exited with ${code}:\n${out}${err}`);
  return JSON.parse(out);
}

// Every check the page makes: the tutorial's, then the large product in a worker.
const IDS = [
  "square",
  "cubic",
  "two_vars",
  "second",
  "dL_dW",
  "dL_db",
  "jvp",
  "hessian",
  "matmul",
  "worker_matmul",
];

Deno.test({
  name: "the bundle passes the tutorial's gradient checks in Chromium",
  ignore: !hasChromium,
  async fn() {
    await bundle();
    const tmp = await Deno.makeTempDir({ prefix: "gradtape_browser_" });
    const server = serve(tmp);
    try {
      await bundleProbe(tmp);
      const url = `http://127.0.0.1:${server.addr.port}/tests/runtimes/browser/index.html`;
      const png = `${tmp}/page.png`;
      const report = await drive(url, png);
      const context = `Chromium ${report.browser}, status: ${report.status.text}\n${
        report.errors.join("\n")
      }`;

      assert.deepEqual(report.rows.map((r) => r.id), IDS, context);
      for (const r of report.rows) {
        // The test's own comparison, on the values the page computed, as well as the page's.
        assert.ok(
          passes(r),
          `${r.quantity}: computed ${r.computed.slice(0, 8)}, expected ${r.expected.slice(0, 8)}`,
        );
        assert.ok(r.ok, `the page marks ${r.quantity} as failed`);
      }
      assert.equal(report.status.kind, "pass", context);
      assert.deepEqual(report.errors, []);

      // The tensor's text is TensorFlow's layout, as console.log shows it in Deno and Node.
      assert.match(
        report.printed,
        /^Tensor\(\n\[\[10\.65 +12\.7 *\]\n[^]*\], shape=\[3,2\], dtype=float32\)$/,
      );

      // The WebAssembly kernel runs on the main thread (on one thread: it may not block there),
      // and in a worker of the cross-origin isolated page, which hands half of a large product to
      // a worker of its own.
      assert.equal(report.kernel.length, 2, JSON.stringify(report.kernel));
      const [main, worker] = report.kernel;
      assert.equal(main.available, "true", main.text);
      assert.equal(main.threaded, "false", main.text);
      assert.equal(worker.available, "true", worker.text);
      assert.equal(worker.threaded, "true", worker.text);
      assert.ok(Number(worker.threadedRuns) > 0, worker.text);
      assert.ok(Number(worker.maxError) < 1e-5, worker.text);

      // A screenshot of the whole page, as a PNG at least as wide as the window.
      const bytes = await Deno.readFile(png);
      assert.ok(bytes.length > 1000, `the screenshot has ${bytes.length} bytes`);
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      assert.ok(view.getUint32(16) >= 1000 && view.getUint32(20) >= 800, "the PNG's size");
      const keep = Deno.env.get("GRADTAPE_SCREENSHOT");
      if (keep) await Deno.copyFile(png, keep);
    } finally {
      await server.shutdown();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
