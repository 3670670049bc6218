/**
 * A program that used the kernel worker ends soon after its last statement has run: the worker,
 * which a Deno program waits for, exits once idle for 200 ms (it used to take half a second).
 */
import assert from "node:assert/strict";

const probe = new URL("./exit_probe.ts", import.meta.url).pathname;

Deno.test("a Deno program that used the kernel worker ends within about 200 ms of its last statement", async () => {
  const delays: number[] = [];
  // The fastest of three runs, so that a busy machine does not fail the test; with the worker's
  // old idle time every run took more than 500 ms.
  for (let run = 0; run < 3; run++) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", probe],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const ended = Date.now();
    const out = new TextDecoder().decode(stdout);
    assert.equal(
      code,
      0,
      `exit_probe.ts exited with ${code}:\n${out}${new TextDecoder().decode(stderr)}`,
    );
    const [, early, runs, last] =
      out.match(/^worker after one product: (\w+)\nthreaded runs: (\d+)\n(\d+)\n$/) ?? [];
    assert.equal(early, "false", `one product started the worker: ${out}`);
    assert.ok(Number(runs) > 0, `the worker shared no job: ${out}`);
    delays.push(ended - Number(last));
  }
  assert.ok(
    Math.min(...delays) < 400,
    `the program ended ${delays.join(", ")} ms after its last statement`,
  );
});
