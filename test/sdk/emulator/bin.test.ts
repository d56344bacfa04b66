import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EmulatorOptionError, startEmulator } from "../../../sdk/emulator/index.js";
import { GameServersClient } from "../../../sdk/index.js";
import { cs2, useEmulator } from "../../helpers/emulator.js";
import { ROOT } from "../../helpers/provider-host.js";

const BIN = path.join(ROOT, "dist/sdk/emulator/bin.js");

/** Runs the emulator's bin to its exit, as a user's shell does. */
function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, GAMESERVERS_API_KEY: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("gameservers-emulator (the bin, run as a process)", () => {
  it.each([
    [["--api-key", ""], "gameservers-emulator: --api-key must not be empty: leave it out to get a random key (--help for usage)\n"],
    [["--queue-interval-ms=0"], "gameservers-emulator: --queue-interval-ms must be at least 1 (got 0) (--help for usage)\n"],
    [["--boot-delay-ms", "soon"], 'gameservers-emulator: --boot-delay-ms must be a whole number, got "soon" (--help for usage)\n'],
    [["--port", "70000"], "gameservers-emulator: --port must be a whole number from 0 to 65535 (got 70000) (--help for usage)\n"],
  ])("refuses %j in one line on stderr, exit code 2, nothing started", async (args, message) => {
    const { code, stdout, stderr } = await runBin(args);
    expect(stderr).toBe(message);
    expect(stdout).toBe("");
    expect(code).toBe(2);
  });

  it("refuses a port in use in one line that says what to do", async () => {
    const taken = await startEmulator({ port: 0 });
    try {
      const { code, stderr } = await runBin(["--port", String(taken.port)]);
      expect(stderr).toBe(
        `gameservers-emulator: port ${taken.port} is already in use: pick another with --port (0 picks a free one) (--help for usage)\n`,
      );
      expect(code).toBe(2);
    } finally {
      await taken.close();
    }
  });

  it("--host 0.0.0.0 prints a loopback URL the SDK accepts, and warns that the control routes are exposed", async () => {
    const child = spawn(process.execPath, [BIN, "--host", "0.0.0.0", "--port", "0"], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d) => {
          stdout += d;
          if (stdout.includes("GAMESERVERS_API_KEY=")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const url = /export GAMESERVERS_API_URL=(\S+)/.exec(stdout)![1]!;
      const apiKey = /export GAMESERVERS_API_KEY=(\S+)/.exec(stdout)![1]!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(stdout).toContain(`listening on ${url}\n`);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).toMatch(
        /^gameservers-emulator: warning: listening on 0\.0\.0\.0, reachable from other machines: .*\/_emulator\/ routes/,
      );
      const client = new GameServersClient({ apiKey, baseUrl: url });
      try {
        expect((await client.gameServers.list()).total).toBe(0);
      } finally {
        await client.close();
      }
    } finally {
      child.kill("SIGINT");
    }
  });
});

describe("startEmulator options", () => {
  it.each([
    [{ queueIntervalMs: 0 }, "startEmulator: queueIntervalMs must be at least 1 (got 0)"],
    [{ bootDelayMs: 1.5 }, "startEmulator: bootDelayMs must be a whole number (got 1.5)"],
    [{ clockScale: 0 }, "startEmulator: clockScale must be more than 0 (got 0)"],
    [{ capacity: { "eu-west-1": -1 } }, "startEmulator: capacity.eu-west-1 must be 0 or more (got -1)"],
    [{ capacity: { "mars-1": 1 } }, 'startEmulator: capacity has an invalid key "mars-1": must be a known AWS region'],
    [{ queueIntervalMS: 10 }, "startEmulator: queueIntervalMS is not an option of startEmulator (see EmulatorOptions)"],
    [{ port: -1 }, "startEmulator: port must be a whole number from 0 to 65535 (got -1)"],
    [{ host: " " }, 'startEmulator: host must be an interface address such as 127.0.0.1 (got " ")'],
    [{ apiKey: "" }, "startEmulator: apiKey must be a non-empty key without spaces (leave it out for a random one)"],
  ])("refuses %j with a one-line error naming the option", async (options, message) => {
    const error = await startEmulator(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(message);
    expect((error as Error).name).toBe("EmulatorOptionError");
    expect(error).toBeInstanceOf(EmulatorOptionError);
  });

  it("never echoes an API key it refuses", async () => {
    const error = (await startEmulator({ apiKey: "gsk_secret with space" }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^startEmulator: apiKey must be/);
    expect(error.message).not.toContain("gsk_secret");
  });
});

describe("emulated console commands", () => {
  const env = useEmulator();

  it("status reports the map a changelevel switched to, for that server only", async () => {
    const a = await env.client.gameServers.create(cs2("map-a"));
    const b = await env.client.gameServers.create(cs2("map-b"));
    await env.client.console.sendCommand(a.id, "changelevel de_mirage");
    await env.client.console.sendCommand(a.id, "status");
    await env.client.console.sendCommand(b.id, "status");
    const logA = (await env.client.logs.latest(a.id)).content;
    expect(logA).toContain("Changing level to de_mirage");
    expect(logA.slice(logA.lastIndexOf("> status"))).toMatch(/map {5}: de_mirage/);
    expect((await env.client.logs.latest(b.id)).content).toMatch(/map {5}: de_dust2/);
  });

  it("a refused changelevel keeps the map", async () => {
    const a = await env.client.gameServers.create(cs2("map-c"));
    await env.client.console.sendCommand(a.id, "changelevel de_nowhere");
    await env.client.console.sendCommand(a.id, "status");
    const log = (await env.client.logs.latest(a.id)).content;
    expect(log).toContain("changelevel failed: de_nowhere is not in the map pool");
    expect(log).toMatch(/map {5}: de_dust2/);
  });
});
