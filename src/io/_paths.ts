/**
 * Names for the tensors and variables reachable from a value: the path of field names, array
 * indices and record keys that leads to each, joined by `/` (`model/layers/0/kernel`). The one
 * walker behind `toSafetensors` and `Checkpoint`.
 */
import { describeValue } from "../core/check.ts";
import { Tensor } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";
import { checkpointState } from "./state.ts";

/** A tensor or variable and its name. */
export interface Named {
  path: string;
  value: Tensor | Variable;
}

/** How `namedLeaves` walks. */
export interface WalkOptions {
  /** The caller, for errors. */
  op: string;
  /** Whether values that hold no tensors are errors in arrays and records (else skipped). */
  strict: boolean;
  /** Whether only variables are collected (tensors are skipped). */
  variablesOnly: boolean;
  /**
   * Filled with the root's own keys from which something collected is reachable, including what
   * is named under an earlier key (a shared object is named once, at its first path).
   */
  reached?: Set<string>;
}

const MAX_DEPTH = 200;

// Objects whose fields are not state: walked into, they would only give noise or hang.
function opaque(x: object): boolean {
  return ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Promise ||
    x instanceof Date || x instanceof RegExp || x instanceof Set || x instanceof WeakMap ||
    x instanceof WeakSet || typeof x === "function";
}

function isPlain(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * The tensors and variables reachable from `root`, each under its path from the root. Arrays,
 * plain records, `Map`s and class instances (a module's own fields, or what its
 * `[checkpointState]()` returns) are walked; each object is walked once, at the first path that
 * reaches it, and with `variablesOnly` each variable is taken once (`reached` tells which of the
 * root's keys reach one all the same). Inside class instances, fields that hold no tensors
 * (numbers, functions, names) are skipped; with `strict`, in the arrays and records of `root`
 * they are errors.
 */
export function namedLeaves(root: object, opts: WalkOptions): Named[] {
  const out: Named[] = [];
  const seen = new Set<object>();
  // Whether each object walked reaches something collected: an object met again (under a later
  // path) is not walked again, but still reaches what it reached the first time.
  const reaches = new Map<object, boolean>();
  const pathOf = new Map<Variable, string>();
  const slots: { owner: string; key: Variable; value: unknown; strict: boolean }[] = [];

  // Returns whether `x` reaches something collected (here or at an earlier path).
  const walk = (x: unknown, path: string, strict: boolean, depth: number): boolean => {
    if (x === null || x === undefined) return false;
    if (x instanceof Tensor || x instanceof Variable) {
      // A checkpoint restores a shared variable once; a file may hold a tensor twice.
      if (opts.variablesOnly && seen.has(x)) return true;
      seen.add(x);
      if (x instanceof Variable) {
        if (!pathOf.has(x)) pathOf.set(x, path);
      } else if (opts.variablesOnly) return false;
      out.push({ path, value: x });
      return true;
    }
    if (typeof x !== "object" || opaque(x)) {
      if (strict) {
        throw new TypeError(
          `${opts.op}: ${path} is ${describeValue(x)}, not a tensor: give tensors or variables ` +
            `in arrays and records (constant(value) makes a tensor)`,
        );
      }
      return false;
    }
    // An object still being walked (a cycle) counts for nothing here: its walk counts it.
    if (seen.has(x)) return reaches.get(x) ?? false;
    seen.add(x);
    if (depth > MAX_DEPTH) {
      throw new RangeError(`${opts.op}: ${path} is nested more than ${MAX_DEPTH} levels deep`);
    }
    const child = (k: string | number) => join(path, String(k));
    const state = (x as { [checkpointState]?: unknown })[checkpointState];
    let found = false;
    const visit = (c: unknown, p: string, st: boolean) => {
      if (walk(c, p, st, depth + 1)) found = true;
    };
    if (typeof state === "function") {
      visit(state.call(x), path, false);
    } else if (Array.isArray(x)) {
      x.forEach((c, i) => visit(c, child(i), strict));
    } else if (x instanceof Map) {
      for (const [k, v] of x) {
        if (k instanceof Variable) {
          slots.push({ owner: path, key: k, value: v, strict });
          // Walked last (below); a slot that holds a value is state all the same.
          if (v !== null && v !== undefined) found = true;
        } else if (typeof k === "string" || typeof k === "number") {
          visit(v, child(k), strict);
        } else if (strict) {
          throw new TypeError(
            `${opts.op}: ${path} is a Map with the key ${describeValue(k)}: name entries by ` +
              `strings, numbers or variables`,
          );
        }
      }
    } else {
      const inside = strict && isPlain(x);
      for (const k of Object.keys(x)) {
        const found1 = walk((x as Record<string, unknown>)[k], child(k), inside, depth + 1);
        if (found1) found = true;
        if (found1 && depth === 0) opts.reached?.add(k);
      }
    }
    reaches.set(x, found);
    return found;
  };

  walk(root, "", opts.strict, 0);
  // Slots last, so that their keys' paths are known wherever in the tree the keys are.
  for (let i = 0; i < slots.length; i++) {
    const { owner, key, value, strict } = slots[i];
    const keyPath = pathOf.get(key);
    if (keyPath === undefined) {
      throw new Error(
        `${opts.op}: ${owner} holds state for variable '${key.name}' (shape ` +
          `[${key.shape.join(",")}]), which nothing else given reaches, so it has no name: give ` +
          `what holds that variable too, e.g. new Checkpoint({ model, optimizer })`,
      );
    }
    walk(value, join(owner, keyPath), strict, 1);
  }
  checkUnique(out, opts.op);
  return out;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}/${key}`;
}

function checkUnique(named: readonly Named[], op: string): void {
  const paths = new Set<string>();
  for (const { path } of named) {
    if (paths.has(path)) {
      throw new Error(
        `${op}: two entries are named '${path}' (a key with '/' in it is the same name as the ` +
          `nested keys it spells): rename one`,
      );
    }
    paths.add(path);
  }
}
