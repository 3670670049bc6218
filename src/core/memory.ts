/**
 * Memory reuse: the scopes that `tidy` opens, and the pool of large buffers they give back.
 *
 * Why a pool: on some machines the first touch of fresh memory costs more than the op that fills
 * it (on the 2-core VM the benchmarks run on, a fresh 4 MB array costs 11 ms of page faults, the
 * add that fills it 0.6 ms), and the garbage collector returns memory to the system, not to us.
 * A buffer released by a scope serves the next allocation of the same size instead.
 *
 * This module holds state only; `tidy.ts` decides what a scope releases.
 */
import type { TypedArray } from "./dtype.ts";
import type { Dense } from "./storage.ts";
import { addressOf, freeLoose } from "./kernels/wasm/runtime.ts";

/** One open `tidy`: what was made while it was the innermost scope. */
export interface Scope {
  /**
   * Storages made in the scope (and survivors of the scopes it encloses); what `tidy` releases.
   * Its flags (`kept`, `shared`) are fields of the storage.
   */
  readonly storages: Dense[];
  /** Large arrays allocated in the scope, or given up to it by a variable: its to recycle. */
  readonly fresh: Set<TypedArray>;
  /** Set when a transform from outside recorded in the scope: then nothing may be released. */
  tainted: boolean;
  /**
   * Opened by the library itself around work whose intermediates nobody else can reach (a
   * backward pass), not by the user's `tidy`.
   */
  readonly implicit?: boolean;
}

/** The open scopes, innermost last. */
export const scopes: Scope[] = [];

/** The innermost open scope, or null. */
export function currentScope(): Scope | null {
  return scopes.length === 0 ? null : scopes[scopes.length - 1];
}

/** Records a large array allocated now, for the innermost scope to recycle. */
export function noteFresh(data: TypedArray): void {
  if (scopes.length > 0) scopes[scopes.length - 1].fresh.add(data);
}

/**
 * A transform born in scope `birth` (null: outside any) is recording now: every open scope
 * inside `birth` may have its tensors saved beyond its end, so none of them releases anything.
 */
export function noteRecording(birth: Scope | null): void {
  const n = scopes.length;
  if (n === 0 || scopes[n - 1] === birth) return;
  for (let i = n - 1; i >= 0 && scopes[i] !== birth; i--) scopes[i].tainted = true;
}

/**
 * User code (a custom gradient's rule) runs now, inside every open scope: those the library
 * opened itself may release nothing, since the code may keep whatever it was given or made.
 */
export function noteUserCode(): void {
  for (const s of scopes) if (s.implicit) s.tainted = true;
}

// Released buffers by byte length. Bounded, so that a burst of one size cannot pin memory.
const POOL_LIMIT_BYTES = 256 * 1024 * 1024;
const free = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;

/** A released buffer of exactly `bytes` bytes (contents arbitrary), or undefined. */
export function takeBuffer(bytes: number): ArrayBuffer | undefined {
  const list = free.get(bytes);
  if (list === undefined || list.length === 0) return undefined;
  pooledBytes -= bytes;
  return list.pop();
}

/** Gives a buffer nobody can see any more back for reuse. */
export function giveBuffer(buffer: ArrayBuffer): void {
  const bytes = buffer.byteLength;
  if (bytes > POOL_LIMIT_BYTES) return;
  // Oldest sizes go first: the sizes in use now are the ones just released.
  for (const [size, list] of free) {
    if (pooledBytes + bytes <= POOL_LIMIT_BYTES) break;
    pooledBytes -= size * list.length;
    free.delete(size);
  }
  let list = free.get(bytes);
  if (list === undefined) free.set(bytes, list = []);
  else {
    // Refreshes the size's place in the eviction order.
    free.delete(bytes);
    free.set(bytes, list);
  }
  list.push(buffer);
  pooledBytes += bytes;
}

/**
 * Gives an array that nobody can see any more back: its buffer to the pool when it is the whole
 * buffer, or its block to the kernels' memory when it lives there (a compiled program's output).
 */
export function giveArray(d: TypedArray): void {
  if (freeLoose(d)) return;
  if (d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && addressOf(d) < 0) {
    giveBuffer(d.buffer as ArrayBuffer);
  }
}

/** What the pool holds now (for tests and the memory bench). */
export function poolStats(): { buffers: number; bytes: number } {
  let buffers = 0;
  for (const list of free.values()) buffers += list.length;
  return { buffers, bytes: pooledBytes };
}
