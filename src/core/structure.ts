/** Nested structures of tensors (arrays and records, as deep as you like), flattened and rebuilt. */
import { Tensor } from "./tensor.ts";
import { Variable } from "./variable.ts";

/** A tensor or variable, or an array or record of them, nested as deep as you like. */
export type Structure<L = Tensor | Variable> =
  | L
  | readonly Structure<L>[]
  | { readonly [key: string]: Structure<L> };

/** What a structure of sources becomes when each leaf is replaced by `R`. */
export type MapLeaves<S, R> = S extends Tensor | Variable ? R
  : S extends readonly unknown[] ? { -readonly [K in keyof S]: MapLeaves<S[K], R> }
  : S extends object ? { -readonly [K in keyof S]: MapLeaves<S[K], R> }
  : never;

function isLeaf(x: unknown): x is Tensor | Variable {
  return x instanceof Tensor || x instanceof Variable;
}

/** The leaves of `s` in a fixed order (arrays by index, records by key order), with their paths. */
export function flatten(
  s: unknown,
  op: string,
  path = "",
): { leaves: (Tensor | Variable)[]; paths: string[] } {
  if (isLeaf(s)) return { leaves: [s], paths: [path] };
  const leaves: (Tensor | Variable)[] = [];
  const paths: string[] = [];
  const walk = (x: unknown, p: string): void => {
    if (isLeaf(x)) {
      leaves.push(x);
      paths.push(p);
    } else if (Array.isArray(x)) x.forEach((v, i) => walk(v, `${p}[${i}]`));
    else if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
      for (const [k, v] of Object.entries(x)) walk(v, p ? `${p}.${k}` : k);
    } else {
      throw new TypeError(
        `${op}: ${p || "the argument"} is ${
          x === null ? "null" : typeof x
        }; expected a Tensor or ` +
          `Variable, or an array or record of them`,
      );
    }
  };
  walk(s, path);
  return { leaves, paths };
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
