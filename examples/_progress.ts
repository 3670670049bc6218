/**
 * A one-line progress display for long loops: on a terminal it redraws one line on stderr
 * (step, the values given, time left); elsewhere (a pipe, CI, a test) it writes nothing, and the
 * examples' own periodic lines are the record.
 */
const encoder = new TextEncoder();

/** Progress of a loop of `total` steps. */
export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #start = performance.now();
  readonly #live = Deno.stderr.isTerminal();
  #last = 0;

  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = total;
  }

  /** Reports step `step` (0-based) with named values such as the loss. */
  tick(step: number, values: Record<string, number>): void {
    if (!this.#live) return;
    const now = performance.now();
    if (now - this.#last < 50 && step + 1 < this.#total) return;
    this.#last = now;
    const done = step + 1;
    const left = (now - this.#start) / done * (this.#total - done) / 1000;
    const shown = Object.entries(values).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ");
    const line = `${this.#label}: epoch ${done}/${this.#total}, ${shown}, ${
      left.toFixed(1)
    } s left`;
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}`));
  }

  /** Clears the line. */
  done(): void {
    if (this.#live) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
  }
}
