/**
 * The bundle in Node: runs `deno task bundle`, then tests/runtimes/node_check.mjs under `node`
 * with a probe of the WebAssembly kernel, and expects every check to pass.
 */
import assert from "node:assert/strict";
import { bundle, bundleProbe, hasRealNode, root } from "./_build.ts";

const hasNode = hasRealNode();
if (!hasNode) {
  console.log("node_test: skipped: no `node` on PATH (install Node 20+ to run it)");
}

/** Runs node_check.mjs under `node` with `flags`, expecting every check to pass; returns stdout. */
async function nodeCheck(probe: string, flags: string[] = []): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("node", {
    args: [...flags, "tests/runtimes/node_check.mjs", "--probe", probe],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout), err = new TextDecoder().decode(stderr);
  const command = `node ${[...flags, "tests/runtimes/node_check.mjs"].join(" ")}`;
  assert.equal(code, 0, `${command} exited with ${code}:\n${out}${err}`);
  assert.match(out, /^node_check \(Node v\d+\.[\d.]+\): all \d+ checks passed$/m, command);
  return out;
}

Deno.test({
  name: "the bundle passes the tutorial's gradient checks in Node",
  ignore: !hasNode,
  async fn(t) {
    await bundle();
    const dir = await Deno.makeTempDir({ prefix: "gradtape_node_" });
    try {
      const probe = await bundleProbe(dir);
      await t.step("with the WebAssembly kernel", async () => {
        const out = await nodeCheck(probe);
        // Node 20 has WebAssembly SIMD but no global Worker: the kernel runs on one thread.
        assert.match(out, /^ok {3}WebAssembly matmul kernel: available/m);
        assert.match(out, /^Tensor\(6, shape=\[\], dtype=float32\)$/m, "console.log(tensor)");
      });
      await t.step("without WebAssembly (the JavaScript loop)", async () => {
        const out = await nodeCheck(probe, ["--noexpose-wasm"]);
        assert.match(out, /^ok {3}WebAssembly matmul kernel: unavailable/m);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
