/**
 * A replay is over once no line came for this long. One second: a replay is one burst, and a
 * lost TCP segment stalls it for a retransmission timeout (at least 200 ms on Linux, 1 s
 * initially, RFC 6298), which must not cut it in two (a line printed twice, or lost).
 * @default 1000 ms
 */
export const REPLAY_QUIET_MS = 1_000;
/** ... or this long after it began in any case (a chatty server is never quiet). @default 2000 ms */
export const REPLAY_MAX_MS = 2_000;

/**
 * Which lines of a console replay are new. A replay (`send logs`) is the log's tail, with no
 * sequence numbers; the history is what was already shown (the SDK stream's delivered lines, or
 * the log the CLI read over HTTP). The replay overlaps the end of the history unless more lines
 * were missed than it holds: the overlap is the first run of lines equal to the history's last
 * lines; a later run that shares a line with it (the history repeats a line) and is as long or
 * longer takes its place, so no line is shown twice. Lines before the overlap are dropped (older
 * lines, or live lines the replay repeats), lines after it are new.
 *
 * Lines are fed one by one: they are held while the overlap is undecided, and released once no
 * run still in progress could change it, or when the stream has been quiet for
 * {@link REPLAY_QUIET_MS} (then held lines that no overlap explains are all new: a gap).
 */
export class ReplayDedupe {
  readonly #history: readonly string[];
  /** Where each line occurs in the history; built on first use. */
  #positions: Map<string, number[]> | undefined;
  #held: string[] = [];
  /** Runs in progress: the history index its last held line matched -> where the run began in `#held`. */
  #runs = new Map<number, number>();
  /** The overlap so far, as indexes of `#held`. */
  #overlap: { start: number; end: number } | undefined;
  #done: boolean;
  #overlapLength = 0;
  #gap = false;
  readonly #onQuiet: ((lines: string[]) => void) | undefined;
  #quietTimer: NodeJS.Timeout | undefined;
  #maxTimer: NodeJS.Timeout | undefined;

  /**
   * @param history the lines already shown, oldest first
   * @param onQuiet when given, called with the held lines to show once the stream has been quiet
   * for {@link REPLAY_QUIET_MS} (or {@link REPLAY_MAX_MS} after the first line or {@link arm})
   */
  constructor(history: readonly string[], onQuiet?: (lines: string[]) => void) {
    this.#history = history;
    this.#onQuiet = onQuiet;
    this.#done = history.length === 0;
  }

  /** True once the overlap is decided: every line passes through. */
  get done(): boolean {
    return this.#done;
  }

  /** True while lines are held, waiting for the next line or the quiet spell to decide. */
  get holding(): boolean {
    return this.#held.length > 0;
  }

  /** How many replayed lines matched the history's end (0: none, or not decided yet). */
  get overlap(): number {
    return this.#overlapLength;
  }

  /** True when the replay did not overlap the history at all: lines in between may be missing. */
  get mayHaveMissedLines(): boolean {
    return this.#gap;
  }

  /** Starts the quiet clock before any line came (a replay was asked for, and may be empty). */
  arm(): void {
    if (this.#done || !this.#onQuiet) return;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#quiet(), REPLAY_QUIET_MS);
    this.#maxTimer ??= setTimeout(() => this.#quiet(), REPLAY_MAX_MS);
  }

  /** Stops the clocks; held lines are dropped (the stream they came from is gone). */
  stop(): void {
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
  }

  /** Feeds one line; returns the lines to show now (possibly none). */
  push(line: string): string[] {
    if (this.#done) return [line];
    const p = this.#held.length;
    this.#held.push(line);
    const last = this.#history.length - 1;
    const runs = new Map<number, number>();
    for (const j of this.#positionsOf(line)) runs.set(j, this.#runs.get(j - 1) ?? p);
    const start = runs.get(last);
    runs.delete(last);
    this.#runs = runs;
    const o = this.#overlap;
    if (start !== undefined && (!o || (start <= o.end && p - start >= o.end - o.start))) this.#overlap = { start, end: p };
    const overlap = this.#overlap;
    if (overlap && ![...runs.values()].some((s) => s <= overlap.end)) return this.#release();
    this.arm();
    return [];
  }

  /** Decides now: held lines within or before the overlap are dropped, the others returned to show. */
  flush(): string[] {
    return this.#done ? [] : this.#release();
  }

  #quiet(): void {
    if (!this.#done) this.#onQuiet?.(this.#release());
  }

  #release(): string[] {
    this.stop();
    const o = this.#overlap;
    const fresh = this.#held.slice(o ? o.end + 1 : 0);
    this.#overlapLength = o ? o.end - o.start + 1 : 0;
    this.#gap = o === undefined;
    this.#done = true;
    this.#held = [];
    this.#runs.clear();
    return fresh;
  }

  #positionsOf(line: string): number[] {
    if (!this.#positions) {
      this.#positions = new Map();
      this.#history.forEach((l, i) => {
        const at = this.#positions!.get(l);
        if (at) at.push(i);
        else this.#positions!.set(l, [i]);
      });
    }
    return this.#positions.get(line) ?? [];
  }
}

/**
 * A stream's opening replay (`replay: true` on its first connect), with nothing delivered before
 * it. The replay is asked for once the socket authenticates, so lines the server sent in that
 * round trip (a slow link, a chatty server) arrive before it, and the replay, the log's tail
 * read after them, repeats them at its end. Every line is held until the stream has been quiet
 * for {@link REPLAY_QUIET_MS} ({@link REPLAY_MAX_MS} at most after {@link arm}); then the lines
 * that came first and recur later in the same order are dropped where they first came, so each
 * line is handed once, in the log's order.
 */
export class OpeningReplay {
  #held: string[] = [];
  #done = false;
  readonly #onQuiet: (lines: string[]) => void;
  #quietTimer: NodeJS.Timeout | undefined;
  #maxTimer: NodeJS.Timeout | undefined;

  /** @param onQuiet called once with the lines to hand, when the replay is decided */
  constructor(onQuiet: (lines: string[]) => void) {
    this.#onQuiet = onQuiet;
  }

  /** True once the replay is decided: every line passes through. */
  get done(): boolean {
    return this.#done;
  }

  /** Starts the clocks: the replay was asked for (it may be empty). */
  arm(): void {
    if (this.#done) return;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#decide(), REPLAY_QUIET_MS);
    this.#maxTimer ??= setTimeout(() => this.#decide(), REPLAY_MAX_MS);
  }

  /** Stops the clocks; held lines are dropped (the stream they came from is gone). */
  stop(): void {
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
  }

  /** Feeds one line; returns the lines to hand now (none until the replay is decided). */
  push(line: string): string[] {
    if (this.#done) return [line];
    this.#held.push(line);
    this.arm();
    return [];
  }

  /** Decides now, with what came so far (the socket is ending): the lines are handed, not lost. */
  flush(): void {
    this.#decide();
  }

  #decide(): void {
    if (this.#done) return;
    this.stop();
    this.#done = true;
    const held = this.#held;
    this.#held = [];
    this.#onQuiet(held.slice(leadingRepeat(held)));
  }
}

/**
 * How many lines at the start of `lines` recur later, in order, before any line after them:
 * the live lines a replay repeats at its end. 0 when the first line never recurs.
 */
export function leadingRepeat(lines: readonly string[]): number {
  let best = 0;
  for (let q = 1; q < lines.length; q++) {
    if (lines[q] !== lines[0]) continue;
    let k = 0;
    while (k < q && q + k < lines.length && lines[k] === lines[q + k]) k++;
    if (k > best) best = k;
  }
  return best;
}
