/**
 * Where a compiled program's arrays live: its SIMD loops' results in the kernels' memory (written
 * there in place, and read there in place when they come back as inputs), given back by the tidy
 * that releases them or once they are collected, and bounded outside tidy.
 */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";
import type { Tensor } from "../../mod.ts";
import { dataOf } from "../../src/core/tensor.ts";
import { currentValue } from "../../src/core/variable.ts";
import {
  addressOf,
  looseResidentBytes,
  residentBytes,
} from "../../src/core/kernels/wasm/runtime.ts";
import { assertSame } from "./_exact.ts";

const resident = (t: Tensor) => addressOf(dataOf(t)) >= 0;
const body = (x: Tensor) => gt.add(gt.multiply(gt.sin(x), gt.exp(x)), gt.multiply(x, x));

Deno.test("jit: a SIMD loop's result lives in the kernels' memory until the tidy around it ends", () => {
  const f = gt.jit(body);
  const x = gt.random.normal([4096], { seed: 1 });
  const before = looseResidentBytes();
  let dropped: Tensor | undefined;
  const kept = gt.tidy(() => {
    dropped = f(x);
    assert.ok(resident(dropped));
    assert.ok(looseResidentBytes() > before);
    return f(gt.multiply(x, 2));
  });
  assert.throws(() => dropped!.data(), /released/);
  assert.ok(resident(kept));
  // The released block serves later results; the kept one is untouched by them.
  for (let i = 0; i < 3; i++) gt.tidy(() => f(gt.multiply(x, i)));
  assertSame(kept, body(gt.multiply(x, 2)));
  assert.match(f.program(x).toString(), /\(SIMD\) -> fresh \(an output, in the kernels' memory\)/);
  // Results of JavaScript kernels stay in ordinary memory (copying from shared memory costs more).
  const g = gt.jit((t: Tensor) => gt.broadcastTo(gt.reshape(gt.reduceSum(t), [1]), [4096]));
  assert.ok(!resident(g(x)));
  assert.match(g.program(x).toString(), /broadcastTo -> fresh \(an output\)$/m);
});

Deno.test("jit: a training step gives its variables' old values back to the tidy around it", () => {
  const w = new gt.Variable(gt.random.normal([64, 64], { seed: 2 }));
  const eager = new gt.Variable(w.peek());
  const update = (v: gt.Variable) => v.assign(gt.add(v, gt.multiply(gt.sin(v), 0.5)));
  const step = gt.jit(() => void update(w));
  const run = () => {
    gt.tidy(() => step());
    update(eager);
  };
  run();
  const steady = looseResidentBytes();
  for (let i = 0; i < 5; i++) {
    run();
    assert.equal(looseResidentBytes(), steady, `step ${i}: the old value went back`);
    assert.ok(resident(currentValue(w))); // (peek() would expose it: then it stays)
  }
  assertSame(w.peek(), eager.peek());
  // A value the user holds is never given back: it stays as it was while the steps go on.
  const held = w.value(), copy = held.data();
  run();
  run();
  assert.equal(looseResidentBytes(), steady + copy.byteLength + 64, "held, and one value current");
  assert.deepEqual(held.data(), copy);
  assertSame(w.peek(), eager.peek());
});

Deno.test("jit: an input passed again as the same array is copied into the kernels' memory once", () => {
  const f = gt.jit((x: Tensor) => [x, body(x)]);
  const x = gt.random.normal([4096], { seed: 4 }), y = gt.random.normal([4096], { seed: 5 });
  gt.tidy(() => void f(y));
  // The program's own blocks (results returned from a tidy are loose ones, until collected).
  const own = () => residentBytes() - looseResidentBytes();
  const before = own();
  for (const [i, t] of [x, x, y, x, x, x, y, y, x].entries()) {
    const [same, value] = gt.tidy(() => f(t));
    assert.equal(same, t, `call ${i}: the argument itself comes back`);
    assertSame(value, body(t));
  }
  // One copy, refilled when a new array comes twice in a row.
  assert.equal(own(), before + 4096 * 4 + 64);
  // An input returned as an output is no intermediate.
  assert.match(f.program(x).toString(), /buffers: 0 for 0 intermediates/);
});

Deno.test("jit: outside tidy, results in the kernels' memory are bounded, later ones in ordinary memory", () => {
  const f = gt.jit(body);
  const x = gt.random.normal([1 << 20], { seed: 3 });
  // 4 MiB each, all held: past the bound (64 MiB), results go to ordinary memory.
  const results = Array.from({ length: 24 }, () => f(x));
  assert.ok(resident(results[0]));
  assert.ok(!resident(results[23]));
  assert.ok(looseResidentBytes() <= 64 << 20);
  const expected = body(x).data();
  for (const r of results) assert.deepEqual(r.data(), expected);
});

Deno.test("jit: results held outside tidy go back to the kernels' memory once collected", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", "--allow-read", "_collected_child.ts"],
    cwd: new URL(".", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const { whileHeld, afterCollection, sums } = JSON.parse(new TextDecoder().decode(stdout));
  assert.ok(whileHeld >= 4 * 4096 * 4, `held: ${whileHeld} bytes`);
  assert.equal(afterCollection, 0);
  // Each result was right while held (x = i everywhere: sin(i)·eⁱ + i per element).
  sums.forEach((s: number, i: number) => {
    const v = Math.fround(Math.fround(Math.sin(i) * Math.exp(i)) + i);
    assert.ok(Math.abs(s - 4096 * v) <= 1e-4 * Math.abs(4096 * v) + 1e-3, `result ${i}: ${s}`);
  });
});

Deno.test("jit: a synchronous loop outside tidy keeps no variable's old values alive", () => {
  // Each call assigns a new 256 KiB value and reads it back at the next: 1,200 calls make 300 MiB.
  // A WeakRef to the last input kept every one of them alive until the loop yielded.
  const w = new gt.Variable(gt.zeros([512, 128]));
  const g = gt.ones([512, 128]);
  const step = gt.jit(() => void w.assignSub(g.mul(1e-3)));
  const before = Deno.memoryUsage().external;
  for (let i = 0; i < 1200; i++) step();
  const grown = Deno.memoryUsage().external - before;
  assert.ok(grown < 150 * 2 ** 20, `external memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
  const w00 = gt.slice(w, [0, 0], [1, 1]).item();
  assert.ok(Math.abs(w00 + 1.2) < 1e-4, `w[0][0] = ${w00}, not 1,200 steps of -0.001`);
});
