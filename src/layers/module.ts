/** `Module`, as `tf.Module`: a container that finds its variables by walking its own fields. */
import { checkBoolean, checkOptions, describeValue } from "../core/check.ts";
import { Tensor } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";

/** Options of `new Module`. */
export interface ModuleOptions {
  /** The name (default: the class's name in snake case, numbered when taken: `dense_1`). */
  name?: string;
}

const taken = new Map<string, number>();

// Keras 3's `to_snake_case` (keras/src/utils/naming.py), regex for regex: what is not a word
// character goes, then `Conv2D` → `conv2d`, `MaxPooling2D` → `max_pooling2d`,
// `Conv2DTranspose` → `conv2d_transpose`; numbered when taken: `dense`, `dense_1`…
function defaultName(cls: string): string {
  const base = cls.replace(/[^\p{L}\p{N}_]+/gu, "").replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  const n = taken.get(base) ?? 0;
  taken.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

// Only plain records are walked: class instances other than modules (tensors, maps, the user's
// own objects) are not containers of variables.
function isRecord(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// Every variable and submodule reachable from `root`'s fields, depth first in field order, and
// the variables held inside a frozen module (`trainable` false: Keras's way to freeze a layer).
// A submodule unfrozen inside a frozen one stays frozen here, as Keras's `trainable_weights`.
function walk(root: Module): { variables: Variable[]; modules: Module[]; frozen: Set<Variable> } {
  const variables: Variable[] = [];
  const modules: Module[] = [];
  const frozen = new Set<Variable>();
  const seen = new Set<object>([root]);
  const visit = (v: unknown, inFrozen: boolean): void => {
    if (v === null || typeof v !== "object" || v instanceof Tensor || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Variable) {
      variables.push(v);
      if (inFrozen) frozen.add(v);
    } else if (v instanceof Module) {
      modules.push(v);
      visitFields(v, inFrozen);
    } else if (Array.isArray(v)) v.forEach((e) => visit(e, inFrozen));
    else if (isRecord(v)) Object.values(v).forEach((e) => visit(e, inFrozen));
    // A Map of layers is JavaScript's dict of them, which tf.Module tracks too (and a checkpoint
    // names their variables by key).
    else if (v instanceof Map) { for (const e of v.values()) visit(e, inFrozen); }
  };
  const visitFields = (m: Module, inFrozen: boolean): void => {
    const fields = m as unknown as Record<string, unknown>;
    const frozenHere = inFrozen || fields.trainable === false;
    for (const key of Object.keys(m)) visit(fields[key], frozenHere);
  };
  visitFields(root, false);
  return { variables, modules, frozen };
}

/**
 * A container of variables and other modules, as `tf.Module`: `variables` and
 * `trainableVariables` collect every `Variable` held in its fields, in arrays, plain records and
 * `Map`s in them, and in submodules, each once (a variable shared by two fields counts once), in the
 * order of the fields (depth first). Subclasses just assign fields.
 *
 * @example A model of two variables and a submodule
 * ```ts
 * import { Module, Variable } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * class Affine extends Module {
 *   w = new Variable([[1, 2]], { name: "w" });
 *   b = new Variable([0], { name: "b" });
 * }
 * class Model extends Module {
 *   layers = [new Affine(), new Affine()];
 *   step = new Variable(0, { name: "step", trainable: false });
 * }
 * const model = new Model();
 * assert.equal(model.variables.length, 5);
 * assert.deepEqual(model.trainableVariables.map((v) => v.name), ["w", "b", "w", "b"]);
 * assert.equal(model.submodules.length, 2);
 * ```
 */
export class Module {
  /** The module's name. */
  readonly name: string;
  #trainable = true;

  /** Makes a module named `options.name` or after its class. */
  constructor(options: ModuleOptions = {}) {
    checkOptions(new.target.name, options, ["name"]);
    const { name } = options;
    if (name !== undefined && typeof name !== "string") {
      throw new TypeError(`${new.target.name}: name must be a string, not ${describeValue(name)}`);
    }
    this.name = name ?? defaultName(new.target.name);
  }

  /**
   * Whether optimizers should update the module's variables (default true), as Keras's
   * `Layer.trainable`. Setting it sets it on every submodule too, as Keras's setter does on its
   * sublayers: `model.trainable = false` freezes the whole model (its variables leave
   * `trainableVariables`, and its `BatchNormalization` layers run in inference mode even when
   * called with `training: true`), and `model.trainable = true` unfreezes every one of them.
   *
   * @example Freezing a model freezes its layers
   * ```ts
   * import { layers, zeros } from "@gradtape/gradtape";
   * import assert from "node:assert/strict";
   * const bn = new layers.BatchNormalization();
   * const model = new layers.Sequential([new layers.Dense(2), bn]);
   * model.apply(zeros([1, 3]));
   * model.trainable = false;
   * assert.equal(bn.trainable, false);
   * assert.deepEqual(model.trainableVariables, []);
   * model.trainable = true;
   * assert.equal(bn.trainable, true);
   * assert.equal(model.trainableVariables.length, 4);
   * ```
   */
  get trainable(): boolean {
    return this.#trainable;
  }

  set trainable(value: boolean) {
    checkBoolean(`${this.constructor.name} '${this.name}'`, "trainable", value);
    for (const m of [this, ...walk(this).modules]) m.#trainable = value;
  }

  /** Every variable the module holds, trainable or not, each once, in field order. */
  get variables(): Variable[] {
    return walk(this).variables;
  }

  /**
   * The variables whose `trainable` is true, outside modules frozen by `trainable = false`: what
   * an optimizer updates.
   */
  get trainableVariables(): Variable[] {
    const { variables, frozen } = walk(this);
    return variables.filter((v) => v.trainable && !frozen.has(v));
  }

  /**
   * The others: variables whose `trainable` is false (such as moving statistics), and those of
   * modules frozen by `trainable = false`.
   */
  get nonTrainableVariables(): Variable[] {
    const { variables, frozen } = walk(this);
    return variables.filter((v) => !v.trainable || frozen.has(v));
  }

  /** Every module reachable from this one's fields (not itself), each once, depth first. */
  get submodules(): Module[] {
    return walk(this).modules;
  }
}
