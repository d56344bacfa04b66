/**
 * Drops the lines of a console stream's replay that were already printed from the HTTP log.
 *
 * `logs --follow` prints the latest log over HTTP, then opens the stream, which starts by
 * replaying the log's last lines (`send logs`; Wings' replay carries no sequence numbers). The
 * log only grows at its end, so the replay is a suffix of the log as it is now, and what was
 * printed is a prefix of it: the replay either overlaps the end of the printed log or starts
 * after it (then lines may have been missed in between). Lines carry a one-second timestamp, so
 * equal lines are rare but possible; the longest overlap wins (a line is never printed twice).
 *
 * Lines are matched one by one as they arrive: a line that could continue an overlap is held;
 * when no overlap can explain the next line, the held lines are released as new (none of them
 * reached the end of the printed log, so they were not a replay of it after all).
 */
export class ReplayDedupe {
  readonly #history: readonly string[];
  /** Start positions in the history of the overlaps still possible. */
  #candidates: number[] | undefined;
  /** Lines held while an overlap is possible. */
  #held: string[] = [];
  /** How many held lines formed the longest overlap that reached the history's end so far. */
  #matched: number | undefined;
  #done = false;
  #gap = false;

  /** @param history every line already shown or deliberately skipped (the whole fetched log) */
  constructor(history: readonly string[]) {
    this.#history = history;
    if (history.length === 0) this.#done = true;
  }

  /** True once the replay has been matched (or ruled out) and every line passes through. */
  get done(): boolean {
    return this.#done;
  }

  /** True while lines are held, waiting for the next line (or {@link flush}) to decide. */
  get holding(): boolean {
    return this.#held.length > 0;
  }

  /**
   * True when the replay did not overlap the printed log at all: lines written between the HTTP
   * read and the stream's start may be missing.
   */
  get mayHaveMissedLines(): boolean {
    return this.#gap;
  }

  /** Feeds one streamed line; returns the lines to print now (possibly none). */
  push(line: string): string[] {
    if (this.#done) return [line];
    const h = this.#history;
    const m = this.#held.length;
    const starts = this.#candidates ?? h.map((_, i) => i);
    const next = starts.filter((j) => j + m < h.length && h[j + m] === line);
    if (next.length === 0) {
      // `line` continues no overlap: it is new, and so are the held lines past the longest
      // overlap that reached the end of the history (all of them when none did).
      const released = this.#release();
      return [...released, line];
    }
    this.#candidates = next;
    this.#held.push(line);
    if (next.some((j) => j + m + 1 === h.length)) this.#matched = m + 1;
    // One way left to read it, and it reached the end: the replay is matched.
    if (next.length === 1 && this.#matched === m + 1) this.#release();
    return [];
  }

  /**
   * Decides now (the stream went quiet): held lines within the longest overlap are dropped,
   * others are returned to print.
   */
  flush(): string[] {
    return this.#done || this.#held.length === 0 ? [] : this.#release();
  }

  #release(): string[] {
    const released = this.#held.slice(this.#matched ?? 0);
    this.#gap = this.#matched === undefined;
    this.#done = true;
    this.#held = [];
    this.#candidates = undefined;
    return released;
  }
}
