/**
 * What holds a tensor's values, apart from the `Tensor` (its shape and dtype): a `Dense` array of
 * values, or a `Traced` value that a transform owns and that has no data at all (a batched value
 * inside `vmap`; a traced one inside `jit`). Later kinds (a GPU buffer) are further storages.
 *
 * Tensors that share their values (a reshape, a cast to the same dtype) share one storage, so
 * what `tidy` and `keep` decide about the values they decide once, on the storage.
 */
import type { TypedArray } from "./dtype.ts";

/**
 * The storage of a tensor that has no values of its own: one that a transform owns (a batched
 * value inside `vmap`; a traced one inside `jit`), whose ops that transform computes its own way.
 */
export interface Traced {
  /** The transform that owns the value (see `bind` in dispatch.ts). */
  readonly owner: object;
  /** What the tensor stands for, as printing shows it: `batched by vmap`. */
  readonly kind: string;
  /** The error for reading the values: why they cannot be read there, and what to do. */
  readError(): string;
}

/**
 * Values in a typed array, row-major, with the flags `tidy` keeps about them. A uniform storage
 * (every element one value) holds the value alone until someone reads the data.
 */
export class Dense {
  /**
   * The values; null while uniform and not yet needed, or once a `tidy` scope has released them
   * (the buffer may then hold another tensor's values).
   */
  data: TypedArray | null;
  /** The one value of a uniform storage (a broadcast scalar), kept after the data is made. */
  fill: number | undefined;
  /** No scope may release it: kept with `keep`, or held by a variable or a cache. */
  kept = false;
  /**
   * Someone outside the scopes may see it through a tensor: a variable's value saved by a tape,
   * or a recording retained past its scope. A variable never gives such values up for reuse.
   */
  shared = false;

  constructor(data: TypedArray | null, fill: number | undefined) {
    this.data = data;
    this.fill = fill;
  }

  /** Whether a `tidy` scope has released the values. */
  get released(): boolean {
    return this.data === null && this.fill === undefined;
  }

  /** Gives the values up (`tidy`): reading them throws from now on. */
  release(): void {
    this.data = null;
    this.fill = undefined;
  }
}

/** A tensor's storage: dense values, or a value a transform owns. */
export type Storage = Dense | Traced;
