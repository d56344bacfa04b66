/**
 * An interrupted create's POST that lands after the next run looked for its server, before that
 * run checked the fixed name: it is this resource's server, adopted, never refused as another's
 * (seen once in a fault-matrix run under load).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { intentOf } from "../../../provider/core/fingerprint.js";
import { Journal } from "../../../provider/core/journal.js";
import { parseInputs } from "../../../provider/game-server/inputs.js";
import { createBody } from "../../../provider/game-server/requests.js";
import { CS2_CONFIG, useEmulator } from "../../helpers/emulator.js";
import { ProviderHost, ROOT, serializedProvider } from "../../helpers/provider-host.js";

const { rconPassword: _rcon, ...CONFIGURATION } = CS2_CONFIG;

describe("an interrupted create whose POST lands late", () => {
  const env = useEmulator();
  const dir = mkdtempSync(path.join(tmpdir(), "gameservers-journal-"));
  let host: ProviderHost;
  let provider: string;
  beforeAll(async () => {
    provider = await serializedProvider();
    host = await ProviderHost.start(ROOT, { GAMESERVERS_JOURNAL_DIR: dir });
    await host.configure({
      "gameservers:apiKey": env.emulator.apiKey,
      "gameservers:apiUrl": env.emulator.url,
      "gameservers:pollIntervalMs": "20",
    });
  });
  afterAll(() => host?.stop());

  it("is adopted when it lands between the lookup and the name check", async () => {
    const news = {
      name: "Grand Final",
      gameType: "cs2",
      region: "eu-central-1",
      configuration: CONFIGURATION,
      rconPassword: "final-rcon-1234",
    };
    const { inputs, failures } = await host.check("final", {}, { ...news, __provider: provider });
    expect(failures).toEqual([]);
    // The earlier run's entry: written before its POST, 10 s ago, and never answered.
    const body = createBody(parseInputs(inputs));
    await new Journal(dir).write("(no stack)", "name:Grand Final", intentOf(body, Date.now() - 10_000));
    // The lookup's list is read at once and answered 600 ms later; meanwhile the POST lands.
    await env.control.fault({ method: "GET", route: "/v1/game-servers", times: 1, commitThenDelayMs: 600 });
    const creating = host.create("final", inputs).then(
      (made) => made.id,
      (error: Error) => error.message,
    );
    while ((await env.control.hits("GET /v1/game-servers")) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const landed = await env.client.gameServers.create(body);
    expect(await creating).toBe(landed.id);
    expect(host.output).toContain("(its POST landed late): adopting it instead of creating another");
    expect((await env.client.gameServers.list({ includeDeleted: true })).items.map((s) => s.id)).toEqual([landed.id]);
  });
});
