import { describe, expect, it } from "vitest";
import { ReplayDedupe } from "../../../sdk/cli/replay-dedupe.js";
import { dedupeReplay } from "../../../sdk/console-stream.js";

/** Feeds every line; returns what would be printed, flushing at the end. */
function feed(dedupe: ReplayDedupe, lines: string[]): string[] {
  const printed = lines.flatMap((l) => dedupe.push(l));
  return [...printed, ...dedupe.flush()];
}

describe("ReplayDedupe: the stream's replay against the log already read", () => {
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

describe("dedupeReplay", () => {
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
