import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REPLAY_QUIET_MS, ReplayDedupe } from "../../../sdk/console/replay.js";

/** Feeds every line; returns what would be printed, flushing at the end. */
function feed(dedupe: ReplayDedupe, lines: string[]): string[] {
  const printed = lines.flatMap((l) => dedupe.push(l));
  return [...printed, ...dedupe.flush()];
}

/** A whole replay read at once: every line, then the quiet spell. */
function dedupeReplay(history: string[], received: string[]): { fresh: string[]; overlap: number } {
  const d = new ReplayDedupe(history);
  return { fresh: feed(d, received), overlap: d.overlap };
}

describe("ReplayDedupe: the stream's replay against the log the CLI read", () => {
  it("drops a replay that overlaps the end of the log and passes new lines", () => {
    const d = new ReplayDedupe(["a", "b", "c", "d"]);
    expect(feed(d, ["b", "c", "d", "e", "f"])).toEqual(["e", "f"]);
    expect(d.mayHaveMissedLines).toBe(false);
  });

  it("drops a replay of the whole log when nothing new was written", () => {
    const d = new ReplayDedupe(["a", "b"]);
    expect(feed(d, ["a", "b"])).toEqual([]);
    expect(d.done).toBe(true);
  });

  it("prefers the longest overlap when lines repeat", () => {
    // History ends "x y x"; replay "x y x z": overlap 3, not 1.
    const d = new ReplayDedupe(["a", "x", "y", "x"]);
    expect(feed(d, ["x", "y", "x", "z"])).toEqual(["z"]);
  });

  it("falls back to a shorter overlap when the longer one breaks", () => {
    // History "a b a"; the log grew by "b c": replay "a b c" overlaps only the last "a".
    const d = new ReplayDedupe(["a", "b", "a"]);
    expect(feed(d, ["a", "b", "c"])).toEqual(["b", "c"]);
    expect(d.mayHaveMissedLines).toBe(false);
  });

  it("passes everything and flags a gap when the replay starts after the log", () => {
    const d = new ReplayDedupe(["a", "b"]);
    expect(feed(d, ["q", "r"])).toEqual(["q", "r"]);
    expect(d.mayHaveMissedLines).toBe(true);
  });

  it("passes every line when the log was empty", () => {
    const d = new ReplayDedupe([]);
    expect(feed(d, ["a", "a"])).toEqual(["a", "a"]);
    expect(d.mayHaveMissedLines).toBe(false);
  });

  it("after matching, passes a line equal to an old one", () => {
    const d = new ReplayDedupe(["a", "b"]);
    expect(feed(d, ["a", "b", "a", "b"])).toEqual(["a", "b"]);
  });
});

describe("ReplayDedupe: a reconnected stream's replay against the lines it delivered", () => {
  it.each([
    ["no history: all new", [], ["a", "b"], ["a", "b"], 0],
    ["replay is the history's tail: nothing new", ["a", "b", "c"], ["b", "c"], [], 2],
    ["replay overlaps, then new lines", ["a", "b", "c"], ["b", "c", "d", "e"], ["d", "e"], 2],
    ["replay starts before the kept history", ["c", "d"], ["a", "b", "c", "d", "e"], ["e"], 2],
    ["no overlap: all new (a gap)", ["a", "b"], ["x", "y"], ["x", "y"], 0],
    ["a live line before the replay is repeated by it", ["a", "b"], ["d", "a", "b", "c", "d"], ["c", "d"], 2],
    ["the longest overlap wins over a lone repeat", ["x", "y", "z"], ["x", "y", "z", "w", "z"], ["w", "z"], 3],
    ["equal lines: the latest overlap, never a line twice", ["a", "a"], ["a", "a", "a"], [], 2],
  ])("%s", (_name, history, received, fresh, overlap) => {
    expect(dedupeReplay(history, received)).toEqual({ fresh, overlap });
  });
});

describe("ReplayDedupe: lines that never repeat", () => {
  it("shows exactly the lines after the history, wherever the history and the replay start", () => {
    // A log of distinct lines; the history is any run of it, the replay any later tail window
    // that reaches back into the history.
    const cut = fc
      .integer({ min: 1, max: 40 })
      .chain((n) =>
        fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.nat(n - 1), fc.nat(n - 1)).map((xs) => [n, ...xs.sort((a, b) => a - b)] as const),
      );
    fc.assert(
      fc.property(cut, fc.boolean(), ([n, a, b, c, d], historyFirst) => {
        const log = Array.from({ length: n }, (_, i) => `[00:00:${i}] line ${i}`);
        // Two orders of the starts: the history's before the replay's, or after (a short history).
        const [historyStart, replayStart] = historyFirst ? [a, b] : [b, a];
        const history = log.slice(historyStart, c + 1);
        const replayed = log.slice(replayStart, d + 1);
        expect(dedupeReplay(history, replayed)).toEqual({
          fresh: log.slice(c + 1, d + 1),
          overlap: c + 1 - Math.max(historyStart, replayStart),
        });
      }),
    );
  });
});

describe.concurrent("ReplayDedupe: the quiet spell", () => {
  it("shows the held lines no overlap explains once the stream has been quiet, and flags the gap", async () => {
    const started = Date.now();
    let d: ReplayDedupe | undefined;
    const shown = await new Promise<string[]>((resolve) => {
      d = new ReplayDedupe(["a", "b"], resolve);
      expect([...d.push("q"), ...d.push("r")]).toEqual([]);
      expect(d.holding).toBe(true);
    });
    expect(shown).toEqual(["q", "r"]);
    expect(d?.mayHaveMissedLines).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(REPLAY_QUIET_MS - 5);
  });

  it("decides an empty replay once armed: nothing to show, and lines may be missing", async () => {
    let d: ReplayDedupe | undefined;
    const shown = await new Promise<string[]>((resolve) => {
      d = new ReplayDedupe(["a"], resolve);
      d.arm();
    });
    expect(shown).toEqual([]);
    expect([d?.done, d?.mayHaveMissedLines]).toEqual([true, true]);
  });
});
