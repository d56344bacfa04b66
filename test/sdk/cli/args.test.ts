import { describe, expect, it } from "vitest";
import { parseDuration, UsageError } from "../../../sdk/cli/args.js";

describe("CLI arguments", () => {
  it("parses durations in ms, s, m and bare seconds", () => {
    expect([parseDuration("i", "500ms"), parseDuration("i", "2s"), parseDuration("i", "1m"), parseDuration("i", "1.5")]).toEqual([
      500, 2000, 60_000, 1500,
    ]);
    expect(() => parseDuration("interval", "soon")).toThrow(UsageError);
    expect(() => parseDuration("interval", "50ms", { min: 100 })).toThrow(/at least 100 ms/);
  });
});
