import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ProviderHost } from "pulumi-gameservers/testing";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { EmulatorFixture } from "./emulator.js";

// The host client ships in the package (`pulumi-gameservers/testing`); tests use the built one,
// loaded by node itself, exactly as users' test suites load it.
export { HostError, type InitFailure, ProviderHost, UNKNOWN, urnOf } from "pulumi-gameservers/testing";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * The `__provider` text exactly as `dynamic.Resource` stores it, serialized in a plain node
 * process: the GameServer shim, or another resource type's (`pulumi-gameservers/roster-provider`).
 */
export async function serializedProvider(cwd = ROOT, shim = "pulumi-gameservers/dynamic-provider"): Promise<string> {
  const script = `
    const pulumi = require("@pulumi/pulumi");
    const { GameServer } = require("pulumi-gameservers");
    // The provider object a resource serializes: the module its class passes to dynamic.Resource.
    const provider = require(${JSON.stringify(shim)});
    if (typeof GameServer !== "function") throw new Error("GameServer export missing");
    pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })
      .then((sf) => process.stdout.write(sf.text))
      .catch((e) => { console.error(e); process.exit(1); });`;
  return run(process.execPath, ["--no-warnings", "-e", script], cwd);
}

/** Runs a command to completion; rejects with its stderr when it exits non-zero. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${err}`))));
  });
}

/**
 * Pulumi's dynamic-provider host for the file, started from the repository root and configured
 * (as the engine does first) against the fixture's emulator; its output is cleared before each test.
 * Call after `useEmulator()`, so the emulator is up when the host is configured.
 */
export function useProviderHost(env: EmulatorFixture, pollIntervalMs = 20): { host: ProviderHost } {
  const fixture = {} as { host: ProviderHost };
  beforeAll(async () => {
    // The create journal of these hosts goes to a temporary folder, not the repository.
    fixture.host = await ProviderHost.start(ROOT, { GAMESERVERS_JOURNAL_DIR: mkdtempSync(path.join(tmpdir(), "gameservers-journal-")) });
    await fixture.host.configure({
      "gameservers:apiKey": env.emulator.apiKey,
      "gameservers:apiUrl": env.emulator.url,
      "gameservers:pollIntervalMs": String(pollIntervalMs),
      "gameservers:requestTimeoutMs": "1000",
    });
  });
  beforeEach(() => {
    fixture.host.output = "";
  });
  afterAll(() => fixture.host?.stop());
  return fixture;
}
