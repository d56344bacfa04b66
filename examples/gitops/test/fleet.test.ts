/**
 * `npm test` (the workflow's preview job runs it before `pulumi preview`): the fleet that
 * Pulumi.production.yaml declares, deployed for real on the package's local emulator by its
 * offline runner, then torn down. A broken definition fails here, before any API call.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { load } from "js-yaml";
import { startEmulator } from "pulumi-gameservers/emulator";
import { GameServersClient } from "pulumi-gameservers/sdk";
import { runOffline } from "pulumi-gameservers/testing";

const PROJECT = path.resolve(import.meta.dirname, "..");

interface StackFile {
  config: { "gitops:fleet": { count: number; regions: string[] } };
}

test("the production fleet: every server running in its region, each in the roster", async () => {
  const stack = load(readFileSync(path.join(PROJECT, "Pulumi.production.yaml"), "utf8")) as StackFile;
  const fleet = stack.config["gitops:fleet"];
  const emulator = await startEmulator();
  const client = new GameServersClient({ apiKey: emulator.apiKey, baseUrl: emulator.url });
  try {
    const run = await runOffline({
      program: PROJECT,
      project: "gitops",
      stack: "production",
      apiUrl: emulator.url,
      apiKey: emulator.apiKey,
      config: { "gitops:fleet": JSON.stringify(fleet) },
      pollIntervalMs: 50,
    });
    try {
      const roster = run.outputs.roster as Record<string, { region: string; connectUrl: string }>;
      assert.equal(Object.keys(roster).length, fleet.count);
      for (const entry of Object.values(roster)) {
        assert.ok(fleet.regions.includes(entry.region), `${entry.region} is one of ${fleet.regions.join(", ")}`);
        assert.match(entry.connectUrl, /^steam:\/\/connect\//);
      }
      const servers = (await client.gameServers.list()).items;
      assert.deepEqual(
        servers.map((s) => s.status),
        Array(fleet.count).fill("running"),
      );
    } finally {
      await run.destroy();
    }
    assert.equal((await client.gameServers.list()).total, 0);
  } finally {
    await client.close();
    await emulator.close();
  }
});
