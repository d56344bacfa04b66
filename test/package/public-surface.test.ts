/**
 * The runtime exports of the built entry points: what a program can import. Anything added or
 * removed here is an API decision, so the lists are spelled out (types are checked by
 * `npm run docs`, which fails on a public type that is not exported).
 */
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/provider-host.js";

const load = createRequire(import.meta.url);
const exportsOf = (entry: string) => Object.keys(load(path.join(ROOT, entry))).sort();

describe("the public surface", () => {
  it("of pulumi-gameservers: the resources, getLatestLog and resolveFleet", () => {
    expect(exportsOf("dist/provider/index.js")).toEqual(["GameServer", "GameServerFleet", "ServerCommand", "getLatestLog", "resolveFleet"]);
  });

  it("of pulumi-gameservers/testing: the offline runner and the provider host's client", () => {
    expect(exportsOf("dist/provider/testing/index.js")).toEqual(["HostError", "ProviderHost", "UNKNOWN", "runOffline", "urnOf"]);
  });
});
