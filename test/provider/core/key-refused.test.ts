import { GameServer, GameServerFleet } from "pulumi-gameservers";
import { runOffline } from "pulumi-gameservers/testing";
import { describe, expect, it } from "vitest";
import { readSettings } from "../../../provider/core/settings.js";
import { CS2_CONFIG, useEmulator } from "../../helpers/emulator.js";
import { ROOT } from "../../helpers/provider-host.js";

const { rconPassword: _rcon, ...configuration } = CS2_CONFIG;

describe("a wrong or revoked API key", () => {
  const env = useEmulator();

  /** Runs the program with a key the API refuses: the run's error and every line it printed. */
  const refusedRun = async (program: () => unknown) => {
    const lines: string[] = [];
    const error = await runOffline({
      apiUrl: env.emulator.url,
      apiKey: "gs_not_a_key",
      cwd: ROOT,
      pollIntervalMs: 50,
      log: (line) => lines.push(line),
      program,
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    return { message: error?.message ?? "", lines };
  };

  it("is one line naming gameservers:apiKey for a fleet, and claims nothing was left behind", async () => {
    const { message, lines } = await refusedRun(() => {
      new GameServerFleet("cup", { defaults: { gameType: "cs2", region: "eu-central-1", configuration }, count: 7 });
    });
    expect(message).toMatch(/GameServerFleet "cup": the API refused the API key from gameservers:apiKey \(401 UNAUTHORIZED: /);
    expect(message).toContain("pulumi config set --secret gameservers:apiKey <key>");
    expect(message.trim().split("\n")).toHaveLength(1);
    expect(message).not.toMatch(/left behind|interrupted|the others are|deleted it/);
    expect(lines.filter((l) => /deleted 0 servers/.test(l))).toEqual([]);
    expect((await env.client.gameServers.list({ includeDeleted: true })).total).toBe(0);
  });

  it("is one line for a plain GameServer too", async () => {
    const { message } = await refusedRun(() => {
      new GameServer("scrim", { gameType: "cs2", region: "eu-central-1", configuration });
    });
    expect(message).toMatch(/GameServer "scrim-[0-9a-f]+": the API refused the API key from gameservers:apiKey \(401 /);
    expect(message.trim().split("\n")).toHaveLength(1);
  });

  it("names where the key came from: stack config first, then GAMESERVERS_API_KEY", () => {
    const saved = process.env.GAMESERVERS_API_KEY;
    process.env.GAMESERVERS_API_KEY = "gs_from_env";
    try {
      expect(readSettings(() => undefined)).toMatchObject({ apiKey: "gs_from_env", apiKeySource: "GAMESERVERS_API_KEY" });
      expect(readSettings((k) => (k === "apiKey" ? "gs_from_config" : undefined))).toMatchObject({
        apiKey: "gs_from_config",
        apiKeySource: "gameservers:apiKey",
      });
      delete process.env.GAMESERVERS_API_KEY;
      expect(readSettings(() => undefined).apiKeySource).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.GAMESERVERS_API_KEY;
      else process.env.GAMESERVERS_API_KEY = saved;
    }
  });
});
