import { describe, expect, it } from "vitest";
import { matchesGlob } from "../../../sdk/cli/glob.js";

describe("name globs", () => {
  it("matches name globs: * spans anything, ? one character, the rest is literal", () => {
    expect(matchesGlob("winter-cup-12", "winter-cup-*")).toBe(true);
    expect(matchesGlob("winter-cup/a", "winter-cup*")).toBe(true);
    expect(matchesGlob("winter-cup-1", "winter-cup-?")).toBe(true);
    expect(matchesGlob("xwinter-cup-1", "winter-cup-*")).toBe(false);
    expect(matchesGlob("cup.1", "cup.?")).toBe(true);
    expect(matchesGlob("cupx1", "cup.1")).toBe(false);
  });
});
