/** Nested structures of tensors (arrays and records, as deep as you like), flattened and rebuilt. */
import { describeValue } from "./check.ts";
import { Tensor } from "./tensor.ts";
import { Variable } from "./variable.ts";

/**
 * A tensor or variable, or an array or record of them, nested as deep as you like.
 *
 * @example Gradients for a record of parameters
 * ```ts
 * import { GradientTape, type Structure, Variable } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const params = { w: new Variable(2), b: [new Variable(1)] } satisfies Structure;
 * const tape = new GradientTape();
 * const loss = tape.record(() => params.w.mul(params.b[0]));
 * const grads = tape.gradient(loss, params);
 * assert.equal(grads.w!.item(), 1);
 * assert.equal(grads.b[0]!.item(), 2);
 * ```
 */
export type Structure<L = Tensor | Variable> =
  | L
  | readonly Structure<L>[]
  | { readonly [key: string]: Structure<L> };

/**
 * What a structure of sources becomes when each leaf is replaced by `R`.
 *
 * @example The type of the gradients of a record
 * ```ts
 * import { constant, type MapLeaves, type Tensor, type Variable } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * type Grads = MapLeaves<{ w: Variable; b: Variable[] }, Tensor | null>;
 * const grads: Grads = { w: constant(1), b: [null] };
 * assert.equal(grads.b[0], null);
 * ```
 */
export type MapLeaves<S, R> = S extends Tensor | Variable ? R
  : S extends readonly unknown[] ? { -readonly [K in keyof S]: MapLeaves<S[K], R> }
  : S extends object ? { -readonly [K in keyof S]: MapLeaves<S[K], R> }
  : never;

function isLeaf(x: unknown): x is Tensor | Variable {
  return x instanceof Tensor || x instanceof Variable;
}

/**
 * The leaves of `s` in a fixed order (arrays by index, records by key order), with their paths.
 * `what` names `s` in errors (`sources[1] is 3; expected …`).
 */
export function flatten(
  s: unknown,
  op: string,
  what = "the argument",
): { leaves: (Tensor | Variable)[]; paths: string[] } {
  if (isLeaf(s)) return { leaves: [s], paths: [""] };
  const leaves: (Tensor | Variable)[] = [];
  const paths: string[] = [];
  const walk = (x: unknown, p: string): void => {
    if (isLeaf(x)) {
      leaves.push(x);
      paths.push(p);
    } else if (Array.isArray(x)) x.forEach((v, i) => walk(v, `${p}[${i}]`));
    else if (isRecord(x)) {
      for (const [k, v] of Object.entries(x)) walk(v, p ? `${p}.${k}` : k);
    } else {
      throw new TypeError(
        `${op}: ${named(what, p)} is ${describeValue(x)}; expected a Tensor or Variable, ` +
          `or an array or record of them`,
      );
    }
  };
  walk(s, "");
  return { leaves, paths };
}

/**
 * The parts of `value` at the places of `s`'s leaves, in `flatten`'s order: `value` must have
 * `s`'s arrays and records down to those places, where it may hold anything. `sName` and
 * `valueName` name the two in errors.
 */
export function flattenAs(
  s: unknown,
  value: unknown,
  op: string,
  sName: string,
  valueName: string,
): unknown[] {
  const out: unknown[] = [];
  const walk = (x: unknown, v: unknown, p: string): void => {
    if (isLeaf(x)) out.push(v);
    else if (Array.isArray(x)) {
      if (!Array.isArray(v) || v.length !== x.length) {
        throw new TypeError(
          `${op}: ${named(valueName, p)} is ${describeValue(v)}, but ${named(sName, p)} is an ` +
            `array of length ${x.length}: give ${valueName} the structure of ${sName}`,
        );
      }
      x.forEach((xi, i) => walk(xi, v[i], `${p}[${i}]`));
    } else {
      const keys = Object.keys(x as object);
      const same = isRecord(v) && Object.keys(v).length === keys.length &&
        keys.every((k) => Object.hasOwn(v, k));
      if (!same) {
        throw new TypeError(
          `${op}: ${named(valueName, p)} is ${describeValue(v)}${
            isRecord(v) ? ` with keys ${fmtKeys(Object.keys(v))}` : ""
          }, but ${named(sName, p)} is a record with keys ${fmtKeys(keys)}: give ${valueName} ` +
            `the structure of ${sName}`,
        );
      }
      for (const k of keys) {
        walk(
          (x as Record<string, unknown>)[k],
          (v as Record<string, unknown>)[k],
          p ? `${p}.${k}` : k,
        );
      }
    }
  };
  walk(s, value, "");
  return out;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype;
}

// `sources[1]`, `target.y0`, or just `sources` at the top.
function named(what: string, path: string): string {
  return path === "" ? what : path.startsWith("[") ? `${what}${path}` : `${what}.${path}`;
}

function fmtKeys(keys: readonly string[]): string {
  return keys.length === 0 ? "(none)" : keys.map((k) => `'${k}'`).join(", ");
}

/** Rebuilds `s`'s structure with the leaves replaced, in `flatten`'s order, by `values`. */
export function unflatten<R>(s: unknown, values: readonly R[]): unknown {
  if (isLeaf(s)) return values[0];
  let i = 0;
  const build = (x: unknown): unknown => {
    if (isLeaf(x)) return values[i++];
    if (Array.isArray(x)) return x.map(build);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x as object)) out[k] = build(v);
    return out;
  };
  return build(s);
}

/** A short name for a leaf in messages: the variable's name, or the path. */
export function leafName(leaf: Tensor | Variable, path: string): string {
  if (leaf instanceof Variable) return `variable '${leaf.name}'${path ? ` (${path})` : ""}`;
  return path ? `source ${path}` : "the source";
}
