/**
 * `vmap` and `vectorizedMap`: JAX's batching transform. Inside the mapped function each mapped
 * argument is a tensor of one example's shape whose storage is the whole batch; every op on it
 * is taken over by the map, which runs the op's batching rule on the batch (see `bind` in
 * core/dispatch.ts), so a function written for one example runs once, on all of them.
 */
import { checkFunction, checkOptions, describeValue, refuseAsync } from "../core/check.ts";
import { type Primitive, type Transform, withTransform } from "../core/dispatch.ts";
import { toTensor } from "../core/convert.ts";
import { currentScope } from "../core/memory.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import { flattenTree, isRecord, leafPaths, named, unflattenTree } from "../core/structure.ts";
import { Tensor, type Traced, tracedStorage, tracedTensor } from "../core/tensor.ts";
import { Variable } from "../core/variable.ts";
import { broadcastTo, expandDims, transpose } from "../ops/movement.ts";

/**
 * Where the mapped axis is, for one argument or result: an axis (negative counts from the end),
 * `null` for not mapped, or an array or record of them matching the argument's structure (a
 * number or `null` there applies to the whole subtree).
 *
 * @example Mapping the first argument over axis 1, the second not at all
 * ```ts
 * import { type AxisSpec, vmap, constant, matmul } from "@gradtape/gradtape";
 * import assert from "node:assert/strict";
 * const inAxes: AxisSpec[] = [1, null];
 * const f = vmap((col, w) => matmul(w, col.reshape([2, 1])).reshape([2]), { inAxes });
 * const y = f(constant([[1, 0, 2], [0, 1, 3]]), constant([[1, 1], [1, -1]]));
 * assert.deepEqual(y.toArray(), [[1, 1], [1, -1], [5, -1]]);
 * ```
 */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

/** Options of `vmap`. */
export interface VmapOptions {
  /**
   * The mapped axis of each argument: one `AxisSpec` for all of them, or an array with one per
   * argument (default 0: every tensor leaf mapped over its first axis).
   */
  inAxes?: AxisSpec | readonly AxisSpec[];
  /** Where the mapped axis goes in the result: an `AxisSpec` matching it (default 0). */
  outAxes?: AxisSpec;
}

// The map on the level stack: it owns the mapped values made inside `f`, and runs the ops
// that use them by their batching rules.
class BatchTrace implements Transform {
  paused = 0;
  // False once the mapped function has returned: its mapped values have outlived the map.
  active = true;
  readonly scope = currentScope();

  constructor(readonly size: number) {}

  process(): void {}
  onVariableRead(): void {}

  apply(prim: Primitive, inputs: readonly Tensor[], attrs: unknown): Tensor {
    const values = new Array<Tensor>(inputs.length);
    const axes = new Array<number | null>(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const s = tracedStorage(inputs[i]);
      const mine = s instanceof Batched && s.owner === this;
      values[i] = mine ? s.value : inputs[i];
      axes[i] = mine ? s.axis : null;
    }
    // The op's checks see one example's shapes, as the user wrote them.
    const expected = prim.shape(inputs, attrs);
    const outer = applying;
    applying = this;
    let out: Tensor, axis: number | null;
    try {
      [out, axis] = prim.batch(prim, values, axes, attrs, this.size);
    } finally {
      applying = outer;
    }
    const example = axis === null ? out.shape : out.shape.filter((_, i) => i !== axis);
    if (
      (axis !== null && out.shape[axis] !== this.size) || !sameShape(example, expected.shape) ||
      out.dtype !== expected.dtype
    ) {
      throw new Error(
        `vmap: the batching rule of ${prim.name} gave shape ${fmtShape(out.shape)} ` +
          `(${out.dtype}) with the mapped axis at ${axis}, where the shape rule gives ` +
          `${fmtShape(expected.shape)} (${expected.dtype}) for a batch of ${this.size}: a bug in ` +
          `gradtape, please report it`,
      );
    }
    return axis === null ? out : this.wrap(out, axis);
  }

  /** `t` with the mapped axis at `axis`: moved there, or made by broadcasting an unmapped `t`. */
  unwrapTo(t: Tensor, axis: number): Tensor {
    const s = tracedStorage(t);
    if (s instanceof Batched && s.owner === this) return moveAxis(s.value, s.axis, axis);
    return broadcastTo(expandDims(t, axis), [
      ...t.shape.slice(0, axis),
      this.size,
      ...t.shape.slice(axis),
    ]);
  }

  wrap(value: Tensor, axis: number): Tensor {
    const shape = value.shape.filter((_, i) => i !== axis);
    return tracedTensor(new Batched(this, value, axis), shape, value.dtype);
  }
}

// The map whose batching rule is running, for rules that keep per-example code to call later.
let applying: BatchTrace | undefined;

/**
 * For a batching rule that keeps a per-example callback for later (a custom gradient rule that a
 * tape outside the map will call): the callback on whole batches, mapped axis in front. When
 * called, it re-enters the map that is applying now, so the per-example tensors the callback
 * closes over are that map's again, whatever has happened since. Internal.
 */
export function batchedCallback<R>(fn: (x: Tensor) => R): (batch: Tensor) => R {
  const trace = applying;
  if (trace === undefined) {
    throw new Error("vmap: batchedCallback is for batching rules only: a bug in gradtape");
  }
  return (batch) => {
    const was = trace.active;
    trace.active = true;
    try {
      return withTransform(trace, () => {
        const r = fn(trace.wrap(batch, 0));
        const { leaves, def } = flattenTree(r, "vmap");
        return unflattenTree(
          def,
          leaves.map((l) => (l instanceof Tensor ? trace.unwrapTo(l, 0) : l)),
        ) as R;
      });
    } finally {
      trace.active = was;
    }
  };
}

class Batched implements Traced {
  readonly kind = "batched by vmap";
  constructor(readonly owner: BatchTrace, readonly value: Tensor, readonly axis: number) {}
  readError(): string {
    if (!this.owner.active) {
      return "vmap: this tensor is batched by vmap and outlived its transform (kept in a " +
        "closure or a variable): return it from the mapped function instead";
    }
    return "vmap: the values of a mapped tensor cannot be read inside the mapped function " +
      "(item, toArray, data, or printing one example): compute with ops and return the " +
      "tensor, and read the batched result after vmap";
  }
}

/**
 * Vectorizes `f` over an axis of its arguments, as `jax.vmap`: the result runs `f` once on whole
 * batches, with every op batched by its own rule, and stacks the results along `outAxes`.
 * Inside `f`, a mapped argument has one example's shape. It composes with every transform, in
 * any order: `vmap(grad(loss))` gives per-example gradients, `jacfwd(vmap(f))`, `vmap(vmap(f))`;
 * tapes and accumulators work inside `f`. Random ops inside `f` draw one tensor for the whole
 * batch (the same numbers for every example).
 *
 * @param f A function of tensors (or trees of them) for one example.
 * @param options `inAxes` and `outAxes`.
 * @returns `f` over batches.
 * @example Per-example gradients
 * ```ts
 * import { constant, grad, reduceSum, type Tensor, vmap } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const loss = (w: Tensor, x: Tensor) => reduceSum(w.mul(x)).square();
 * const perExample = vmap(grad(loss), { inAxes: [null, 0] });
 * const xs = constant([[1, 0], [0, 1], [1, 1]]);
 * assertAllClose(perExample(constant([1, 2]), xs), [[2, 0], [0, 4], [6, 6]]); // 2(w·x)·x
 * ```
 */
// deno-lint-ignore no-explicit-any
export function vmap<F extends (...args: any[]) => any>(
  f: F,
  options: VmapOptions = {},
): (...args: Parameters<F>) => ReturnType<F> {
  checkFunction("vmap", "f", f);
  checkOptions("vmap", options, ["inAxes", "outAxes"]);
  const { inAxes = 0, outAxes = 0 } = options;
  return (...args) => {
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new TypeError(
        `vmap: inAxes has ${inAxes.length} entries but f was called with ${args.length} ` +
          `arguments: give one entry per argument, or one number or null for all`,
      );
    }
    const specs: readonly AxisSpec[] = Array.isArray(inAxes)
      ? inAxes
      : args.map(() => inAxes as AxisSpec);
    const mapped = args.map((a, i) => mapLeaves(a, specs[i], `argument ${i}`));
    const size = batchSize(mapped);
    const trace = new BatchTrace(size);
    const inside = mapped.map((m) =>
      unflattenTree(
        m.def,
        m.leaves.map((l) => (l.axis === null ? l.value : trace.wrap(l.tensor!, l.axis))),
      )
    );
    try {
      const out = withTransform(trace, () => refuseAsync("vmap", f(...inside), "f"));
      return unmap(out, outAxes, trace) as ReturnType<F>;
    } finally {
      trace.active = false;
    }
  };
}

/**
 * Maps `fn` over the first axis of every tensor in `elems` (a tensor or a tree of them), as
 * `tf.vectorized_map`: `vmap(fn)(elems)`.
 *
 * @param fn A function of one example (a tensor, or a tree like `elems`).
 * @param elems The batch.
 * @returns `fn`'s results, stacked along a new first axis.
 * @example Each row's norm
 * ```ts
 * import { constant, reduceSum, sqrt, vectorizedMap } from "@gradtape/gradtape";
 * import { assertAllClose } from "@gradtape/gradtape/testing";
 * const norms = vectorizedMap((row) => sqrt(reduceSum(row.square())), constant([[3, 4], [5, 12]]));
 * assertAllClose(norms, [5, 13]);
 * ```
 */
export function vectorizedMap<E, R>(fn: (elems: E) => R, elems: E): R {
  checkFunction("vectorizedMap", "fn", fn);
  return vmap(fn)(elems);
}

interface Leaf {
  value: unknown;
  tensor: Tensor | null;
  axis: number | null;
  path: string;
}

// The leaves of `arg` with the mapped axis of each, from `spec` (a prefix of `arg`'s structure).
function mapLeaves(
  arg: unknown,
  spec: AxisSpec,
  what: string,
): { leaves: Leaf[]; def: ReturnType<typeof flattenTree>["def"] } {
  const { leaves, def } = flattenTree(arg, "vmap");
  const axes = new Map<unknown, number | null>();
  const out: Leaf[] = [];
  const walk = (v: unknown, s: AxisSpec, path: string): void => {
    if (s === null || typeof s === "number") {
      const sub = flattenTree(v, "vmap"), paths = leafPaths(sub.def);
      sub.leaves.forEach((leaf, i) => {
        axes.set(leaf, s), out.push(leafOf(leaf, s, named(what, joinPath(path, paths[i]))));
      });
      return;
    }
    if (Array.isArray(s)) {
      if (!Array.isArray(v) || v.length !== s.length) mismatch(what, path, v, s);
      s.forEach((e, i) => walk((v as unknown[])[i], e, `${path}[${i}]`));
      return;
    }
    if (isRecord(s)) {
      if (!isRecord(v)) mismatch(what, path, v, s);
      const keys = Object.keys(s).sort();
      const vk = Object.keys(v as object).sort();
      if (keys.join() !== vk.join()) mismatch(what, path, v, s);
      for (const k of keys) {
        walk((v as Record<string, unknown>)[k], s[k], path === "" ? k : `${path}.${k}`);
      }
      return;
    }
    throw new TypeError(
      `vmap: the inAxes entry for ${named(what, path)} is ${describeValue(s)}: use an axis, ` +
        `null, or an array or record of them`,
    );
  };
  walk(arg, spec, "");
  if (out.length !== leaves.length) {
    throw new Error(
      "vmap: inAxes and the argument's leaves do not line up: a bug, please report it",
    );
  }
  return { leaves: out, def };
}

function mismatch(what: string, path: string, v: unknown, s: AxisSpec, axes = "inAxes"): never {
  // A record is shown by its keys: "an object" twice would not say where they differ.
  const show = (x: unknown) =>
    isRecord(x)
      ? `a record of keys ${Object.keys(x).sort().join(", ") || "(none)"}`
      : describeValue(x);
  const whose = what === "the result" ? "the result" : "the argument";
  throw new TypeError(
    `vmap: the ${axes} entry for ${named(what, path)} is ${show(s)}, but ` +
      `${named(what, path)} is ${show(v)}: give ${axes} ${whose}'s structure there, ` +
      `or one number or null for the whole of it`,
  );
}

function leafOf(value: unknown, axis: number | null, path: string): Leaf {
  if (axis === null) return { value, tensor: null, axis, path };
  if (typeof value === "number" || typeof value === "boolean") {
    throw new TypeError(
      `vmap: ${path} is the ${typeof value} ${value}, which has no axis to map over: give it ` +
        `inAxes null, or pass a tensor`,
    );
  }
  // Arrays (nested, or typed) are tensors' values; anything else is no tensor at all.
  if (!(value instanceof Tensor || value instanceof Variable || isArrayLike(value))) {
    throw new TypeError(
      `vmap: ${path} is ${describeValue(value)}, not a tensor, which has no axis to map over: ` +
        `give it inAxes null`,
    );
  }
  const t = value instanceof Variable ? value.value() : toTensor(value as Tensor, { op: "vmap" });
  if (!Number.isInteger(axis) || axis < -t.rank || axis >= t.rank) {
    throw new RangeError(
      `vmap: inAxes gives axis ${axis} for ${path}, of shape ${fmtShape(t.shape)}: ` +
        (t.rank === 0
          ? `a scalar has no axis to map over: give it inAxes null`
          : `use an axis in [${-t.rank}, ${t.rank - 1}], or null`),
    );
  }
  return { value, tensor: t, axis: axis < 0 ? axis + t.rank : axis, path };
}

// The one size of every mapped axis, or an error that names each argument's.
function batchSize(mapped: readonly { leaves: Leaf[] }[]): number {
  const sizes: string[] = [];
  let size = -1, same = true;
  for (const m of mapped) {
    for (const l of m.leaves) {
      if (l.axis === null) continue;
      const n = l.tensor!.shape[l.axis];
      sizes.push(`${l.path} has size ${n} along axis ${l.axis}`);
      if (size >= 0 && n !== size) same = false;
      size = size < 0 ? n : size;
    }
  }
  if (size < 0) {
    throw new TypeError(
      "vmap: no argument is mapped (every inAxes entry is null): map at least one tensor",
    );
  }
  if (!same) throw new RangeError(`vmap: the mapped sizes differ: ${sizes.join("; ")}`);
  return size;
}

function isArrayLike(v: unknown): boolean {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

// The results, their mapped axes moved to `outAxes`; unmapped ones broadcast along it.
function unmap(out: unknown, spec: AxisSpec, trace: BatchTrace): unknown {
  const place = (result: unknown, axis: number | null, path: string): unknown => {
    // A number or a variable is a leaf of a tree as a tensor is, the same for every example
    // (as jax.vmap broadcasts a Python number in the result).
    const leaf = typeof result === "number"
      ? toTensor(result, { op: "vmap" })
      : result instanceof Variable
      ? result.value()
      : result;
    if (!(leaf instanceof Tensor)) {
      throw new TypeError(
        `vmap: ${named("the result", path)} is ${describeValue(leaf)}: f must return tensors, ` +
          `numbers or variables, or arrays and records of them`,
      );
    }
    // Left where it is (outAxes null), a number comes back as the number.
    if (axis === null && typeof result === "number") return result;
    const s = tracedStorage(leaf);
    const mine = s instanceof Batched && s.owner === trace;
    if (axis === null) {
      if (mine) {
        throw new TypeError(
          `vmap: outAxes is null for ${named("the result", path)}, but it differs between ` +
            `examples: give it an axis`,
        );
      }
      return leaf;
    }
    const rank = leaf.rank + 1;
    if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
      throw new RangeError(
        `vmap: outAxes gives axis ${axis} for ${named("the result", path)}, of rank ${rank} ` +
          `with the mapped axis: use an axis in [${-rank}, ${rank - 1}]`,
      );
    }
    const to = axis < 0 ? axis + rank : axis;
    return trace.unwrapTo(leaf, to);
  };
  const walk = (v: unknown, s: AxisSpec, path: string): unknown => {
    if (s === null || typeof s === "number") {
      const { leaves, def } = flattenTree(v, "vmap"), paths = leafPaths(def);
      return unflattenTree(def, leaves.map((l, i) => place(l, s, joinPath(path, paths[i]))));
    }
    if (Array.isArray(s) && Array.isArray(v) && v.length === s.length) {
      return v.map((e, i) => walk(e, s[i], `${path}[${i}]`));
    }
    if (isRecord(s) && isRecord(v)) {
      const out: Record<string, unknown> = {};
      if (Object.keys(s).sort().join() !== Object.keys(v).sort().join()) {
        mismatch("the result", path, v, s, "outAxes");
      }
      for (const k of Object.keys(v)) {
        out[k] = walk(v[k], (s as Record<string, AxisSpec>)[k], path === "" ? k : `${path}.${k}`);
      }
      return out;
    }
    return mismatch("the result", path, v, s, "outAxes");
  };
  return walk(out, spec, "");
}

// The path of a leaf at `sub` below the subtree at `path`.
function joinPath(path: string, sub: string): string {
  return path === "" || sub === "" || sub.startsWith("[") ? path + sub : `${path}.${sub}`;
}

function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm: number[] = [];
  for (let i = 0; i < x.rank; i++) if (i !== from) perm.push(i);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}
