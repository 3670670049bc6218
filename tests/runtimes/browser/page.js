// The test page: runs the tutorial's checks on the bundled library, on the main thread and in a
// worker, and shows them as a table with a pass/fail status (tests/runtimes/browser_test.ts reads
// both). Served from the repository's root, so any static server there shows it too.
import { passes, runTutorialChecks, show } from "../tutorial_checks.js";

// Loaded by URL, so that `deno check` does not look for dist/ (built by `deno task bundle`).
const gt = await import(new URL("../../../dist/gradtape.js", import.meta.url).href);

// Served by browser_test.ts only: a bundle of tests/runtimes/wasm_probe.ts.
const PROBE = "/__probe/wasm_probe.js";

const status = document.getElementById("status");
const tbody = document.querySelector("#results tbody");
const kernelList = document.getElementById("kernel");

function setStatus(kind, text) {
  status.dataset.status = kind;
  status.textContent = text;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

/** Adds one check as a row; its exact values ride along in data attributes for the test. */
function addRow(c) {
  const ok = passes(c);
  const row = tbody.insertRow();
  row.className = ok ? "pass" : "fail";
  Object.assign(row.dataset, {
    id: c.id,
    computed: JSON.stringify(c.computed),
    expected: JSON.stringify(c.expected),
    rtol: String(c.rtol),
    atol: String(c.atol),
    ok: String(ok),
  });
  cell(row, c.quantity);
  cell(row, show(c.computed), "num");
  cell(row, show(c.expected), "num");
  const exact = c.rtol === 0 && c.atol === 0;
  cell(row, ok ? `✓ ${exact ? "exact" : "to float32 rounding"}` : "✗ mismatch", "result");
  return ok;
}

function addKernel(where, k) {
  const li = document.createElement("li");
  li.dataset.where = where;
  if (k === null) {
    li.textContent = `${where}: not probed (the page was not served by browser_test.ts)`;
  } else {
    Object.assign(li.dataset, {
      available: String(k.available),
      threaded: String(k.threaded),
      threadedRuns: String(k.threadedRuns ?? 0),
      maxError: String(k.maxError ?? 0),
    });
    const shared = k.threadedRuns
      ? ` (its worker took half the rows of a large product; largest relative error ${
        k.maxError.toExponential(1)
      })`
      : "";
    li.textContent = `${where}: ${k.available ? "available" : "unavailable (JavaScript loop)"}, ${
      k.threaded ? "shares large products with a worker" : "single-threaded"
    }${shared}`;
  }
  kernelList.append(li);
}

function inWorker() {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    const timer = setTimeout(() => reject(new Error("the worker did not answer in 60 s")), 60_000);
    worker.onmessage = ({ data }) => {
      clearTimeout(timer);
      worker.terminate();
      if (data.error) reject(new Error(`in the worker: ${data.error}`));
      else resolve(data.result);
    };
    worker.onerror = (e) => {
      clearTimeout(timer);
      reject(new Error(`the worker failed: ${e.message}`));
    };
  });
}

async function main() {
  const { checks, gradW } = runTutorialChecks(gt);
  document.getElementById("printed").textContent = String(gradW);
  let failed = checks.filter((c) => !addRow(c)).length;
  let total = checks.length;

  const probe = await import(PROBE).catch(() => null);
  addKernel(
    "main thread",
    probe && { available: probe.wasmAvailable(), threaded: probe.wasmThreaded() },
  );

  const worker = await inWorker();
  failed += worker.checks.filter((c) => !addRow(c)).length;
  total += worker.checks.length;
  addKernel(
    `Web Worker${worker.crossOriginIsolated ? " (cross-origin isolated)" : ""}`,
    worker.kernel,
  );

  setStatus(
    failed === 0 ? "pass" : "fail",
    failed === 0
      ? `PASS: all ${total} quantities match their formulas`
      : `FAIL: ${failed} of ${total} quantities differ from their formulas`,
  );
}

main().catch((e) => setStatus("fail", `FAIL: ${e?.stack ?? e}`));
