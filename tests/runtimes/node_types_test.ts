/**
 * The bundle's types for Node users: a TypeScript file that imports dist/gradtape.js compiles
 * with TypeScript's own `tsc` (strict, `module: nodenext`) against dist/gradtape.d.ts, type
 * errors in such a file are reported (so the types are seen, not `any`), and the compiled
 * JavaScript runs under `node`.
 */
import assert from "node:assert/strict";
import { bundle, hasRealNode, root } from "./_build.ts";

// The compiler that writes the declarations (deno.json's "typescript"), as a command.
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
const TSC = `${config.imports.typescript}/tsc`;

const hasNode = hasRealNode();
if (!hasNode) {
  console.log("node_types_test: skipped: no `node` on PATH (install Node 20+ to run it)");
}

// What a user writes. ES2022's lib has no `console` (Node's own types declare it): keeping to
// that lib shows the declarations need nothing more.
const MAIN = `import * as gt from "./dist/gradtape.js";
declare const console: { log(...data: unknown[]): void };

const x: gt.Tensor = gt.constant([1, 2]);
const g = gt.grad((v: gt.Tensor) => gt.reduceSum(v.square()))(x);
const w = new gt.Variable(3, { name: "w" });
const tape = new gt.GradientTape({ persistent: true });
const y = tape.record(() => w.square());
const dw: gt.Tensor | null = tape.gradient(y, w);
const [da, db] = tape.gradient(y, [w, x]);
const opt = new gt.optimizers.SGD({ learningRate: 0.1 });
opt.applyGradients([[dw, w]]);
gt.testing.assertAllClose(g, [2, 4]);
console.log(String(g));
console.log(String(dw), da === null, db === null, w.value().item());
`;

// Each line is a type error that tsc must report, at the line and column given.
const WRONG = `import * as gt from "./dist/gradtape.js";
const n: number = gt.constant([1, 2]);
const tape = new gt.GradientTape({ persistent: true });
const [a] = tape.gradient(gt.constant(1), [gt.constant(2)]);
const s: string = a;
gt.testing.assertAllClose(gt.constant(1));
`;
const EXPECTED_ERRORS = [
  "wrong.ts(2,7): error TS2322: Type 'Tensor' is not assignable to type 'number'.",
  "wrong.ts(5,7): error TS2322: Type 'Tensor | null' is not assignable to type 'string'.",
  "wrong.ts(6,12): error TS2554: Expected 2-3 arguments, but got 1.",
];

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: "es2022",
    module: "nodenext",
    lib: ["es2022"],
    types: [],
  },
  files: ["main.ts", "wrong.ts"],
};

const decoder = new TextDecoder();

async function run(command: string, args: string[], cwd: string) {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code, out: decoder.decode(stdout), err: decoder.decode(stderr) };
}

async function exists(file: string): Promise<boolean> {
  try {
    await Deno.stat(new URL(file, root));
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

Deno.test({
  name: "a TypeScript file compiles against dist/gradtape.d.ts with tsc and runs in Node",
  ignore: !hasNode,
  async fn() {
    // CI bundles before testing; a checkout without dist/ builds it here.
    if (!(await exists("dist/gradtape.d.ts")) || !(await exists("dist/gradtape.js"))) {
      await bundle();
    }
    const dir = await Deno.makeTempDir({ prefix: "gradtape_types_" });
    try {
      // The user's project: the bundle's files copied in, as a Node user would.
      const dist = `${dir}/dist`;
      await Deno.mkdir(dist);
      for (const file of ["gradtape.js", "gradtape.d.ts", "package.json"]) {
        await Deno.copyFile(new URL(`dist/${file}`, root), `${dist}/${file}`);
      }
      await copyDir(new URL("dist/types/", root), `${dist}/types`);
      await Deno.writeTextFile(`${dir}/package.json`, `{ "type": "module" }\n`);
      await Deno.writeTextFile(`${dir}/tsconfig.json`, JSON.stringify(TSCONFIG));
      await Deno.writeTextFile(`${dir}/main.ts`, MAIN);
      await Deno.writeTextFile(`${dir}/wrong.ts`, WRONG);

      const tsc = await run(Deno.execPath(), ["run", "-A", TSC, "-p", "."], dir);
      const errors = tsc.out.split("\n").filter((l) => /error TS\d+/.test(l));
      assert.deepEqual(errors, EXPECTED_ERRORS, `tsc printed:\n${tsc.out}${tsc.err}`);
      assert.notEqual(tsc.code, 0, "tsc reported errors, so it must exit with non-zero status");

      // tsc emits despite wrong.ts's errors; main.js is the compiled user file.
      const node = await run("node", ["main.js"], dir);
      assert.equal(node.code, 0, `node main.js exited with ${node.code}:\n${node.out}${node.err}`);
      assert.equal(
        node.out,
        "Tensor([2 4], shape=[2], dtype=float32)\n" +
          "Tensor(6, shape=[], dtype=float32) false true 2.4000000953674316\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function copyDir(from: URL, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyDir(new URL(`${entry.name}/`, from), `${to}/${entry.name}`);
    else await Deno.copyFile(new URL(entry.name, from), `${to}/${entry.name}`);
  }
}
