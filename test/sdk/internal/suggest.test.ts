import { describe, expect, it } from "vitest";
import { closest, didYouMean, editDistance, regionTypo } from "../../../sdk/internal/index.js";
import { AWS_COMMERCIAL_REGIONS } from "../../../sdk/schemas/index.js";

describe("did you mean", () => {
  it("counts a swap of two neighbours as one edit, and ignores case", () => {
    expect(editDistance("wset", "west")).toBe(1);
    expect(editDistance("tickRate", "tickrate")).toBe(0);
    expect(editDistance("regoin", "region")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("offers every candidate at the least distance, none beyond a typo's reach", () => {
    expect(closest("defualts", ["defaults", "servers", "count"])).toEqual(["defaults"]);
    expect(closest("size", ["defaults", "servers", "count"])).toEqual([]);
    expect(didYouMean("regoin", ["region", "gameType"])).toBe(' (did you mean "region"?)');
    expect(didYouMean("foo", ["region"])).toBe("");
  });
});

describe("region typos", () => {
  it("names the known region a misspelt one meant", () => {
    expect(regionTypo("eu-wset-1")).toEqual(["eu-west-1"]);
    expect(regionTypo("ue-west-2")).toEqual(["us-west-2", "eu-west-2"]);
    expect(regionTypo("eu-centrl-1")).toEqual(["eu-central-1"]);
    expect(regionTypo("us-est-1")).toEqual(["us-east-1", "us-west-1"]);
  });

  it("leaves known regions, new numbers of known names and unlike names to the API", () => {
    for (const region of AWS_COMMERCIAL_REGIONS) expect(regionTypo(region)).toEqual([]);
    expect(regionTypo("eu-west-4")).toEqual([]);
    expect(regionTypo("eu-east-1")).toEqual([]);
    expect(regionTypo("xy-newplace-1")).toEqual([]);
  });
});
