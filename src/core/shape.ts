/** Shape helpers: sizes, strides, broadcasting and axis normalisation. */
import { describeValue } from "./check.ts";

/** The number of elements of a tensor of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  // The common ranks without the loop: this runs for every tensor made.
  const r = shape.length;
  if (r <= 2) return r === 0 ? 1 : r === 1 ? shape[0] : shape[0] * shape[1];
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * A fresh, mutable copy of `shape`. NOTE: a loop, not `slice()`: tensors' shapes are frozen,
 * and V8 copies frozen arrays on a slow path (it was a sixth of the time of a scalar op).
 */
export function copyShape(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = 0; i < shape.length; i++) out[i] = shape[i];
  return out;
}

/** Formats a shape as the error messages and printing show it: `[2,3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/**
 * Formats a list argument (a perm, sizes, begin) for error messages: numbers as `fmtShape`
 * shows a shape, `[0,1]`; anything else (from plain JavaScript) as `describeValue` does.
 *
 * @example Numbers, and a string among them
 * ```ts
 * import assert from "node:assert/strict";
 * import { fmtList } from "./shape.ts";
 * assert.equal(fmtList([0, 1.5]), "[0,1.5]");
 * assert.equal(fmtList([0, "1"]), '[0, "1"]');
 * ```
 */
export function fmtList(v: unknown): string {
  return Array.isArray(v) && v.every((e) => typeof e === "number") ? fmtShape(v) : describeValue(v);
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  // Tensors share frozen shapes, so equal shapes are often the same array.
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Whether `small` broadcasts to `big` (rank ≥ small's) without changing it.
function covers(big: readonly number[], small: readonly number[]): boolean {
  const lead = big.length - small.length;
  for (let i = 0; i < small.length; i++) {
    if (small[i] !== 1 && small[i] !== big[lead + i]) return false;
  }
  return true;
}

/** The numpy broadcast of two shapes, or an error naming the op and both shapes. */
export function broadcastShapes(
  op: string,
  a: readonly number[],
  b: readonly number[],
): readonly number[] {
  if (sameShape(a, b)) return a;
  // Broadcasting a scalar or a lower-rank operand: the result is the other's (frozen) shape.
  if (b.length >= a.length && covers(b, a)) return b;
  if (a.length >= b.length && covers(a, b)) return a;
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast ` +
          `together: dimension ${i} is ${da} in one and ${db} in the other`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Maps a possibly negative axis into `[0, rank)`, or throws naming the op, axis and rank. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    // From plain JavaScript, "1" would otherwise read as the in-range axis 1.
    if (!Number.isInteger(axis)) {
      throw new TypeError(`${op}: axis must be an integer, not ${describeValue(axis)}`);
    }
    throw new RangeError(
      `${op}: axis ${axis} is out of range for a tensor of rank ${rank}: ` +
        (rank === 0
          ? `a scalar has no axis (reshape it, or leave the axis out)`
          : `use an axis in [${-rank}, ${rank - 1}]`),
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalises an axis argument of a reduction into sorted, distinct axes (all axes when undefined). */
export function normalizeAxes(
  op: string,
  axis: number | readonly number[] | undefined | null,
  rank: number,
): number[] {
  if (axis === undefined || axis === null) {
    const all: number[] = [];
    for (let i = 0; i < rank; i++) all.push(i);
    return all;
  }
  if (typeof axis === "number") return [normalizeAxis(op, axis, rank)];
  if (!Array.isArray(axis)) {
    throw new TypeError(
      `${op}: axis must be an integer or an array of integers, not ${describeValue(axis)}`,
    );
  }
  const list: readonly number[] = axis;
  const out = list.map((a) => normalizeAxis(op, a, rank));
  out.sort((x, y) => x - y);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) {
      throw new Error(`${op}: axis ${out[i]} is repeated in ${JSON.stringify(list)}`);
    }
  }
  return out;
}

/**
 * The most elements one tensor may have: int32 indexing and every runtime's typed arrays stop
 * near here, and a larger request would fail deep inside with "Array buffer allocation failed".
 */
export const MAX_SIZE = 2 ** 31 - 1;

/**
 * Checks that `shape` is an array of non-negative integers whose product is allocatable, naming
 * the op and the shape (from plain JavaScript, `shape` may be anything).
 */
export function checkShape(op: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape)) {
    throw new TypeError(
      `${op}: shape must be an array of non-negative integers such as [2, 3], not ${
        fmtList(shape)
      }`,
    );
  }
  let size = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new TypeError(
        `${op}: shape ${
          fmtList(shape)
        } is not valid: every dimension must be a non-negative integer`,
      );
    }
    size *= d;
  }
  checkSize(op, shape, size);
}

/** Checks that a tensor of `shape` (with `size` elements) is not too large to allocate. */
export function checkSize(op: string, shape: readonly number[], size = sizeOf(shape)): void {
  if (size > MAX_SIZE) {
    throw new RangeError(
      `${op}: a tensor of shape ${fmtShape(shape)} has ${size.toExponential(3)} elements, ` +
        `more than can be allocated (at most ${MAX_SIZE}): use a smaller shape`,
    );
  }
}
