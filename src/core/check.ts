/**
 * Checks of arguments for callers without a type checker (plain JavaScript): each failure names
 * the op and the bad value, and says what is accepted, instead of a raw `TypeError` from deep
 * inside the library or a silently wrong result.
 */

let describeSpecial: ((v: object) => string | undefined) | undefined;

/**
 * Registers how to describe values the checks cannot see into: `jit`'s traced tensors, met where
 * a plain number is needed. Internal.
 */
export function registerDescription(describe: (v: object) => string | undefined): void {
  describeSpecial = describe;
}

/** A short, bounded description of a value for error messages: `"1" (a string)`, `5`, `null`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "object" && describeSpecial !== undefined) {
    const special = describeSpecial(v);
    if (special !== undefined) return special;
  }
  switch (typeof v) {
    case "string":
      return `${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)} (a string)`;
    case "number":
    case "boolean":
    case "bigint":
      return `${String(v)}${typeof v === "bigint" ? "n" : ""}`;
    case "function":
      return `a function${v.name ? ` (${v.name})` : ""}`;
    case "symbol":
      return String(v);
  }
  if (Array.isArray(v)) {
    if (v.length <= 8 && v.every((e) => typeof e !== "object" || e === null)) {
      return `[${v.map((e) => typeof e === "string" ? JSON.stringify(e) : String(e)).join(", ")}]`;
    }
    return `an array of length ${v.length}`;
  }
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object" ? `an object of type ${name}` : "an object";
}

/**
 * Checks an options argument: `undefined` or a plain object whose keys are all `accepted`.
 * A misspelt name gets an error that lists the accepted ones (and the closest of them).
 */
export function checkOptions(op: string, options: unknown, accepted: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(
      `${op}: options must be an object such as { ${accepted[0] ?? ""}: … }, ` +
        `not ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!accepted.includes(key)) {
      const near = closest(key, accepted);
      throw new TypeError(
        `${op}: unknown option '${key}'${near ? ` (did you mean '${near}'?)` : ""}: ` +
          (accepted.length === 0
            ? "it takes no options"
            : `the accepted options are ${accepted.map((a) => `'${a}'`).join(", ")}`),
      );
    }
  }
}

// The accepted name nearest to `key` (by edit distance, ignoring case and underscores), if near.
function closest(key: string, accepted: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replaceAll("_", "");
  let best: string | undefined;
  let bestDist = Infinity;
  for (const a of accepted) {
    const d = editDistance(norm(key), norm(a));
    if (d < bestDist) [best, bestDist] = [a, d];
  }
  return bestDist <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** Checks that `v` is a boolean (or undefined, when `optional`), naming `what` of `op`. */
export function checkBoolean(op: string, what: string, v: unknown): asserts v is boolean {
  if (typeof v !== "boolean") {
    throw new TypeError(`${op}: ${what} must be true or false, not ${describeValue(v)}`);
  }
}

/** Checks that `v` is a finite number, naming `what` of `op`. */
export function checkFinite(op: string, what: string, v: unknown): asserts v is number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TypeError(`${op}: ${what} must be a finite number, not ${describeValue(v)}`);
  }
}

/** Checks that `v` is an integer in `[min, max]`, naming `what` of `op`. */
export function checkInteger(
  op: string,
  what: string,
  v: unknown,
  min = -Number.MAX_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): asserts v is number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    const range = min === -Number.MAX_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER
      // An integer refused here is past 2^53, where numbers no longer hold every integer.
      ? Number.isInteger(v) ? "a safe integer (below 2^53 in size)" : "an integer"
      : max === Number.MAX_SAFE_INTEGER
      ? `an integer ≥ ${min}`
      : `an integer in [${min}, ${max}]`;
    throw new TypeError(`${op}: ${what} must be ${range}, not ${describeValue(v)}`);
  }
}

/** Checks that `v` is one of `choices`, naming `what` of `op`. */
export function checkOneOf<T extends string>(
  op: string,
  what: string,
  v: unknown,
  choices: readonly T[],
): asserts v is T {
  if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
    throw new TypeError(
      `${op}: ${what} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, ` +
        `not ${describeValue(v)}`,
    );
  }
}

/** Checks that `v` is a function, naming `what` of `op`. */
export function checkFunction(op: string, what: string, v: unknown): void {
  if (typeof v !== "function") {
    throw new TypeError(`${op}: ${what} must be a function, not ${describeValue(v)}`);
  }
}

/**
 * Throws if `fn` (named `what`) gave a promise (`op` records synchronously only), after handling
 * the promise: its rejection must not end the program as an unhandled one. Internal.
 */
export function refuseAsync<T>(op: string, result: T, what = "fn"): T {
  if (
    result !== null && typeof result === "object" &&
    typeof (result as { then?: unknown }).then === "function"
  ) {
    try {
      (result as unknown as PromiseLike<unknown>).then(undefined, () => {});
    } catch {
      // A thenable whose `then` throws leaves nothing to handle.
    }
    throw new TypeError(
      `${op}: ${what} returned a Promise, but recording must be synchronous: ops run after an ` +
        `await are not recorded. Make ${what} synchronous and await outside`,
    );
  }
  return result;
}
