/**
 * Loading TensorFlow.js (tfjs-core 4.22 with its cpu and wasm backends) into Deno for the
 * comparison benchmark, with its gradients. TensorFlow.js is a development dependency of the
 * benchmarks only: nothing under src/ or mod.ts imports it.
 *
 * tfjs-core's package entry point (`dist/tf-core.node.js`) registers no gradient functions, so
 * `tf.grad` fails there with "gradient function not found". The gradients ship as ES modules under
 * `dist/gradients/` with extension-less relative imports, which Deno's module loader refuses. This
 * module reads `dist/register_all_gradients.js` and the gradient files it names, turns each one's
 * `import` lines into lookups, and runs it: a gradient file's own relative imports load the same
 * way, and every other name (kernel names, public ops, `backend_util`, `util`, the engine) is taken
 * from tfjs-core's public exports. A name that tfjs-core does not export, imported from one of its
 * `dist/ops/` files (the convolution and pooling gradients' `maxPoolGrad`, `conv2DBackpropFilter`,
 * `conv2DBackpropInput`), is taken from that file, loaded the same way; `convertToTensor`, which
 * those call on the tensors they are given, passes a tensor through. Any other missing name becomes
 * a function that throws when called.
 *
 * @module
 */
import type * as TF from "@tensorflow/tfjs-core";

type Module = Record<string, unknown>;

/** What `loadTfjs` gives: the tfjs-core namespace and the helpers of the wasm backend. */
export interface Tfjs {
  tf: typeof TF;
  /** The backends that registered and initialised: a subset of `["cpu", "wasm"]`. */
  backends: string[];
  /** Why a backend did not load, by name. */
  failures: Record<string, string>;
}

function makeLoader(tf: typeof TF, dist: URL): (file: URL) => Module {
  const cache = new Map<string, Module>();
  const sources = [tf, tf.backend_util, tf.util, tf.broadcast_util, tf.slice_util] as unknown[];
  // Only the gradients' calls reach it, with tensors.
  const convertToTensor = (x: unknown) =>
    x instanceof tf.Tensor ? x : tf.tensor(x as TF.TensorLike);
  /** tfjs-core's public names, else those of `file` (one of its ops), else a thrower. */
  const namesOf = (file: URL | null): Module =>
    new Proxy({}, {
      get(_, name) {
        if (typeof name !== "string") return undefined;
        for (const m of sources as Module[]) {
          if (m !== undefined && m[name] !== undefined) return m[name];
        }
        if (name === "convertToTensor") return convertToTensor;
        const own = file === null ? undefined : load(file)[name];
        if (own !== undefined) return own;
        return () => {
          throw new Error(`tfjs-core does not export ${name}`);
        };
      },
    });
  const publicNames = namesOf(null);

  const resolve = (spec: string, from: URL): Module => {
    const url = new URL(spec.endsWith(".js") ? spec : `${spec}.js`, from);
    const rel = url.href.slice(dist.href.length);
    if (rel.startsWith("gradients/")) return load(url);
    if (rel === "util.js") return tf.util as unknown as Module;
    if (rel === "engine.js") return { ENGINE: tf.engine() };
    return rel.startsWith("ops/") ? namesOf(url) : publicNames;
  };

  const load = (file: URL): Module => {
    const known = cache.get(file.href);
    if (known !== undefined) return known;
    const exported: string[] = [];
    const req = (spec: string) => `__require(${JSON.stringify(spec)})`;
    const source = Deno.readTextFileSync(file)
      .replace(/^\/\/# sourceMappingURL=.*$/gm, "")
      .replace(
        /^import \* as (\w+) from '([^']+)';/gm,
        (_, ns, spec) => `const ${ns} = ${req(spec)};`,
      )
      .replace(
        /^import \{([^}]*)\} from '([^']+)';/gm,
        (_, names: string, spec) => `const {${names.replace(/\bas\b/g, ":")}} = ${req(spec)};`,
      )
      .replace(/^import '([^']+)';/gm, (_, spec) => `${req(spec)};`)
      .replace(/^export (const|function) (\w+)/gm, (_, kind, name) => {
        exported.push(name);
        return `${kind} ${name}`;
      });
    const module: Module = {};
    cache.set(file.href, module);
    const body = `${source}\nreturn { ${exported.join(", ")} };`;
    const run = new Function("__require", body) as (r: (s: string) => Module) => Module;
    Object.assign(module, run((spec) => resolve(spec, file)));
    return module;
  };
  return load;
}

/**
 * Imports tfjs-core, registers its gradients, and registers and initialises the cpu and wasm
 * backends (the wasm binaries come from the installed `@tensorflow/tfjs-backend-wasm` package).
 * Throws only if tfjs-core itself does not load; a backend that fails is listed in `failures`.
 */
export async function loadTfjs(): Promise<Tfjs> {
  const tf = await import("@tensorflow/tfjs-core");
  const dist = new URL(".", import.meta.resolve("@tensorflow/tfjs-core"));
  makeLoader(tf, dist)(new URL("register_all_gradients.js", dist));
  // Production mode skips tfjs's debug checks and silences its "install tfjs-node" banner.
  tf.enableProdMode();

  const backends: string[] = [];
  const failures: Record<string, string> = {};
  try {
    await import("@tensorflow/tfjs-backend-cpu");
    if (!(await tf.setBackend("cpu"))) throw new Error("setBackend('cpu') returned false");
    backends.push("cpu");
  } catch (e) {
    failures.cpu = String(e);
  }
  try {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // The node build of the backend reads its .wasm files from disk with this prefix.
    const entry = new URL(".", import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
    wasm.setWasmPaths(decodeURIComponent(entry.pathname));
    if (!(await tf.setBackend("wasm"))) throw new Error("setBackend('wasm') returned false");
    backends.push("wasm");
  } catch (e) {
    failures.wasm = String(e);
  }
  return { tf, backends, failures };
}
