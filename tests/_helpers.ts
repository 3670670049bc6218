/** Small assertions the behavioural tests share. */
import assert from "node:assert/strict";
import * as gt from "../mod.ts";
import { startWorker, workerReady } from "../src/core/kernels/wasm/runtime.ts";
import type { Aval, Primitive } from "../src/core/dispatch.ts";
import { registry } from "../src/ops/registry.ts";

/** A float64 tensor, for comparisons against closed forms. */
export const f64 = (v: gt.TensorLike): gt.Tensor => gt.constant(v, { dtype: "float64" });

/** Asserts that `g` is a tensor (not null) and returns it, for the comparisons that follow. */
export function present(g: gt.Tensor | null, what = "gradient"): gt.Tensor {
  assert.ok(g instanceof gt.Tensor, `expected a Tensor for the ${what}, got ${g}`);
  return g;
}

/** Asserts that `fn` throws an instance of `cls` whose message matches every pattern. */
export function throwsWith(
  fn: () => unknown,
  cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  ...patterns: RegExp[]
): string {
  let caught: unknown = undefined;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, "expected an error, but nothing was thrown");
  assert.ok(caught instanceof cls, `expected a ${cls.name}, got ${caught}`);
  const message = (caught as Error).message;
  for (const p of patterns) assert.match(message, p);
  return message;
}

/**
 * Runs the script at `url` in a child process where V8 refuses to compile code from strings (as
 * a page whose Content-Security-Policy lacks `unsafe-eval`), and parses the JSON it prints.
 *
 * @example
 * ```ts ignore
 * const child = await runWithoutCodegen(new URL("./_codegen_child.ts", import.meta.url));
 * ```
 */
export async function runWithoutCodegen(url: URL): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--disallow-code-generation-from-strings",
      "--allow-read",
      url.pathname,
    ],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `${url.pathname} exited with ${code}:\n${err}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** Starts the kernels' worker and returns once it takes jobs (it starts in tens of milliseconds). */
export async function readyWorker(): Promise<void> {
  startWorker();
  for (let i = 0; i < 250 && !workerReady(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(workerReady(), "the kernels' worker started within 5 s");
}

/**
 * Every elementwise primitive with a vector formula (but no SIMD kernel of its own, and not a view
 * of its input), of one or two float32 inputs and a float32 output, with its arity: found in the
 * registry, so that a new one is tested too.
 */
export function simdPrimitives(): [string, Primitive<never>, number][] {
  const f32: Aval = { shape: [4], dtype: "float32" };
  const arityOf = (p: Primitive<never>) =>
    [1, 2].find((k) => {
      try {
        return p.shape(Array(k).fill(f32), undefined as never).dtype === "float32";
      } catch {
        return false;
      }
    });
  return Object.entries(registry).flatMap(([name, p]) => {
    const loop = p.vector !== undefined && !p.simd?.includes("float32") && p.alias === undefined;
    const k = loop ? arityOf(p) : undefined;
    return k === undefined ? [] : [[name, p, k] as [string, Primitive<never>, number]];
  });
}
