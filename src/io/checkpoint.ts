/** `Checkpoint`: every variable reachable from a model, an optimizer and more, saved, restored. */
import { describeValue } from "../core/check.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { Tensor } from "../core/tensor.ts";
import type { Variable } from "../core/variable.ts";
import { type Named, namedLeaves } from "./_paths.ts";
import { readSafetensors, writeSafetensors } from "./_safetensors.ts";

/**
 * What a checkpoint holds, by name: modules, optimizers, variables, and arrays and records of
 * them. The names start the keys (`model/dense/kernel`).
 */
export type CheckpointObjects = Record<string, object>;

const MAX_LISTED = 20;

/**
 * Saves and restores every variable reachable from the objects it is given, as
 * `tf.train.Checkpoint`: a module's own fields (its layers, their kernels and biases), arrays
 * (by index) and records, and what an object such as an optimizer gives through
 * `io.checkpointState`. Each variable is named by its path of field names from the
 * checkpoint's arguments, `model/conv1/kernel`, so two models built the same way share their
 * names. A variable reached twice (a layer given beside the model that holds it, a variable
 * shared by two arguments) is saved once, under the first path that reaches it in the order of
 * the arguments and their fields, so a restore names it alike. The bytes are a safetensors file,
 * which other tools read too.
 *
 * The library does no file I/O, so that it runs in every runtime: with `node:fs/promises` (Node,
 * Deno, Bun), `await writeFile(path, ckpt.save())`, then `ckpt.restore(await readFile(path))`.
 *
 * @example Saving a model and restoring it into another built the same way
 * ```ts
 * import assert from "node:assert/strict";
 * import { Checkpoint, Variable } from "@gradtape/gradtape";
 * class Affine {
 *   w = new Variable([[1, 2], [3, 4]]);
 *   b = new Variable([0.5, -0.5]);
 * }
 * const trained = new Affine();
 * trained.w.assign([[5, 6], [7, 8]]);
 * const bytes = new Checkpoint({ model: trained }).save();
 *
 * const fresh = new Affine();
 * new Checkpoint({ model: fresh }).restore(bytes);
 * assert.deepEqual(fresh.w.toArray(), [[5, 6], [7, 8]]);
 *
 * // A model of another shape is refused, and keeps its values.
 * const other = { model: { w: new Variable([1, 2]), b: new Variable([0, 0]) } };
 * assert.throws(
 *   () => new Checkpoint(other).restore(bytes),
 *   /model\/w: shape \[2,2\] in the checkpoint, \[2\] here/,
 * );
 * assert.deepEqual(other.model.w.toArray(), [1, 2]);
 * ```
 */
export class Checkpoint {
  readonly #objects: CheckpointObjects;

  /**
   * A checkpoint of `objects`, walked anew at each `save` and `restore` (so layers built in
   * between are included).
   *
   * @param objects Named modules, optimizers, variables, and arrays and records of them:
   * `{ model, optimizer }`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Checkpoint, io, Variable } from "@gradtape/gradtape";
   * const ckpt = new Checkpoint({ weights: [new Variable(1), new Variable(2)] });
   * assert.deepEqual(Object.keys(io.fromSafetensors(ckpt.save())), ["weights/0", "weights/1"]);
   * ```
   */
  constructor(objects: CheckpointObjects) {
    const op = "Checkpoint";
    if (objects === null || typeof objects !== "object" || Array.isArray(objects)) {
      throw new TypeError(
        `${op}: takes a record of named objects, such as new Checkpoint({ model, optimizer }), ` +
          `not ${describeValue(objects)}`,
      );
    }
    for (const [name, value] of Object.entries(objects)) {
      if (value instanceof Tensor) {
        throw new TypeError(
          `${op}: ${name} is a Tensor, which cannot be restored into (tensors are immutable): ` +
            `hold it in a Variable`,
        );
      }
      if (value === null || typeof value !== "object") {
        throw new TypeError(
          `${op}: ${name} is ${describeValue(value)}: give modules, optimizers, variables, or ` +
            `arrays and records of them`,
        );
      }
    }
    this.#objects = { ...objects };
  }

  /**
   * The values of every variable reachable from the checkpoint's objects, as safetensors bytes.
   *
   * @returns The bytes to write to a file.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Checkpoint, io, Variable } from "@gradtape/gradtape";
   * const model = { dense: { kernel: new Variable([[1]]), bias: new Variable([0]) } };
   * const saved = io.fromSafetensors(new Checkpoint({ model }).save());
   * assert.deepEqual(Object.keys(saved), ["model/dense/bias", "model/dense/kernel"]);
   * ```
   */
  save(): Uint8Array {
    const op = "Checkpoint.save";
    const { named, reached } = this.#walk(op);
    // An object shared with an earlier argument is saved under that one's name, and is not empty.
    const empty = Object.keys(this.#objects).filter((k) => !reached.has(k));
    if (empty.length > 0) {
      throw new Error(
        `${op}: ${empty.join(", ")} ${empty.length > 1 ? "hold" : "holds"} no variables to ` +
          `save: a model whose layers build their variables on their first call must be ` +
          `called once first; an object that keeps its state in private fields must give it ` +
          `through io.checkpointState`,
      );
    }
    return writeSafetensors(named.map(({ path, value }) => [path, value]));
  }

  /**
   * Gives every variable reachable from the checkpoint's objects its value in `bytes`. Every
   * name, shape and dtype is checked first: on any difference nothing changes, and the error
   * lists the differences.
   *
   * @param bytes What `save` returned (a safetensors file).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Checkpoint, Variable } from "@gradtape/gradtape";
   * const v = new Variable([1, 2]);
   * const ckpt = new Checkpoint({ v });
   * const bytes = ckpt.save();
   * v.assign([3, 4]);
   * ckpt.restore(bytes);
   * assert.deepEqual(v.toArray(), [1, 2]);
   * ```
   */
  restore(bytes: Uint8Array | ArrayBuffer): void {
    const op = "Checkpoint.restore";
    const saved = readSafetensors(op, bytes);
    const { named: target, reached } = this.#walk(op);
    const problems = differences(saved, target, Object.keys(this.#objects), reached);
    if (problems.length > 0) {
      const shown = problems.slice(0, MAX_LISTED);
      if (problems.length > MAX_LISTED) shown.push(`… and ${problems.length - MAX_LISTED} more`);
      throw new Error(
        `${op}: the checkpoint does not match the objects, so nothing was restored:\n  ` +
          shown.join("\n  "),
      );
    }
    for (const { path, value } of target) (value as Variable).assign(saved[path]);
  }

  // The variables, each once, under the first path that reaches it in the arguments' order (so
  // that save and restore name a shared one alike), and the arguments that reach any.
  #walk(op: string): { named: Named[]; reached: Set<string> } {
    const reached = new Set<string>();
    const named = namedLeaves(this.#objects, { op, strict: false, variablesOnly: true, reached });
    return { named, reached };
  }
}

function under(path: string, name: string): boolean {
  return path === name || path.startsWith(name + "/");
}

// What differs between the saved tensors and the target's variables, one line each.
function differences(
  saved: Record<string, Tensor>,
  target: readonly Named[],
  names: readonly string[],
  reached: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  const have = new Set(target.map((n) => n.path));
  for (const { path, value } of target) {
    const t = saved[path];
    if (t === undefined) out.push(`${path}: here, not in the checkpoint`);
    else if (!sameShape(t.shape, value.shape)) {
      out.push(
        `${path}: shape ${fmtShape(t.shape)} in the checkpoint, ${fmtShape(value.shape)} here`,
      );
    } else if (t.dtype !== value.dtype) {
      out.push(`${path}: dtype ${t.dtype} in the checkpoint, ${value.dtype} here`);
    }
  }
  const missing = Object.keys(saved).filter((p) => !have.has(p));
  // An object with none of its variables yet: most likely a model not called yet.
  for (const name of names) {
    const ours = missing.filter((p) => under(p, name));
    if (ours.length > 0 && !reached.has(name)) {
      out.push(
        `${name}: the checkpoint has ${ours.length} variable${ours.length > 1 ? "s" : ""} for ` +
          `it and it has none yet: if its layers build their variables on their first call, ` +
          `call it once first (model.apply(x)), then restore`,
      );
      for (const p of ours) missing.splice(missing.indexOf(p), 1);
    }
  }
  for (const p of missing) out.push(`${p}: in the checkpoint, not here`);
  // First, so that a long list cut short still shows it.
  if (missing.length > 0) {
    out.unshift(
      "(a variable missing here may belong to a layer not built yet: call the model once " +
        "first; or to an optimizer's slot not made yet: call " +
        "optimizer.build(model.trainableVariables) first; or the checkpoint is of another model)",
    );
  }
  return out;
}
