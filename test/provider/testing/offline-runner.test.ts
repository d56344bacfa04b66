import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { GameServer, GameServerFleet, ServerCommand } from "pulumi-gameservers";
import { type OfflineResourceEvent, runOffline } from "pulumi-gameservers/testing";
import { describe, expect, it, vi } from "vitest";
import { providerHostPids } from "../../../bench/fleet-speed-measure.js";
import { CS2_CONFIG, useEmulator } from "../../helpers/emulator.js";
import { ROOT } from "../../helpers/provider-host.js";

// Scripts are node processes that start Pulumi and its provider host: slow on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

const { rconPassword: _r, ...CONFIGURATION } = CS2_CONFIG;
const NODE = path.join(ROOT, "node_modules/.bin/node");
const linux = process.platform === "linux";

function server(name: string, extra: Record<string, unknown> = {}) {
  return new GameServer(name, { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION, ...extra });
}

/** Whether `pid` runs (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Waits for `condition`; the bound only stops a broken run from hanging (a loaded 2-core machine starts a script in seconds). */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A script that runs one program through the offline runner, as a user's script would: servers
 * `s0..s<count-1>`, the first one not waited for (its create returns at once), the others waited for.
 */
const SCRIPT = `
  const { runOffline } = require("pulumi-gameservers/testing");
  const { GameServer } = require("pulumi-gameservers");
  const spec = JSON.parse(process.env.OFFLINE_TEST);
  runOffline({
    apiUrl: spec.apiUrl,
    apiKey: spec.apiKey,
    cwd: spec.cwd,
    pollIntervalMs: 50,
    program: () => {
      for (let i = 0; i < spec.count; i++) {
        new GameServer("s" + i, { gameType: "cs2", region: "eu-central-1", configuration: spec.configuration, waitForRunning: i > 0 });
      }
      return {};
    },
  }).then(
    (run) => {
      console.log("HOST " + run.hostPid);
      if (spec.destroy) return run.destroy();
    },
    (error) => {
      console.error("FAILED " + error.message);
      process.exitCode = 1;
    },
  );`;

interface Script {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startScript(env: { emulator: { url: string; apiKey: string } }, count: number, options: { detached?: boolean } = {}): Script {
  const spec = { apiUrl: env.emulator.url, apiKey: env.emulator.apiKey, cwd: ROOT, count, configuration: CONFIGURATION };
  const child = spawn(NODE, ["--no-warnings", "-e", SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, OFFLINE_TEST: JSON.stringify(spec) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

describe("the offline runner leaves nothing behind", () => {
  const env = useEmulator();
  const base = () => ({ apiUrl: env.emulator.url, apiKey: env.emulator.apiKey, cwd: ROOT, pollIntervalMs: 25 });
  const live = async () => (await env.control.stats()).servers.byStatus;

  it("a server still pending at readyTimeoutSeconds fails the run, is deleted, and the error says what happened offline", async () => {
    await env.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 3_600_000 });
    const failure = await runOffline({ ...base(), program: () => ({ id: server("late", { readyTimeoutSeconds: 1 }).id }) }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(
      /still pending after 1 s \(readyTimeoutSeconds\)\. Offline there is no stack to keep it in: the run deleted it \(srv_/,
    );
    expect(failure?.message).not.toMatch(/stays in the stack|pulumi up/);
    const all = await env.client.gameServers.list({ includeDeleted: true });
    expect(all.total).toBe(1);
    expect(all.items[0]!.deletedAt).not.toBeNull();
    expect(await live()).toEqual({});
  });

  it("a missing program or project directory is a clear, catchable error naming the path, and starts nothing", async () => {
    await expect(runOffline({ ...base(), cwd: undefined, program: "does/not/exist" })).rejects.toThrow(
      `runOffline: the program "does/not/exist" does not exist (resolved to ${path.resolve("does/not/exist")})`,
    );
    await expect(runOffline({ ...base(), cwd: "/nonexistent/project", program: () => ({}) })).rejects.toThrow(
      /project directory "\/nonexistent\/project" does not exist/,
    );
    if (linux) expect(providerHostPids(process.pid)).toEqual([]);
  });

  it("parallel bounds the check-and-create operations in flight; unbounded, all run at once", async () => {
    await env.control.config({ bootDelayMs: 200 });
    const peakOf = async (parallel: number | undefined) => {
      let inFlight = 0;
      let peak = 0;
      const onResource = (e: OfflineResourceEvent) => {
        if (e.kind === "started") peak = Math.max(peak, ++inFlight);
        if (e.kind === "created" || e.kind === "failed") inFlight--;
      };
      const run = await runOffline({
        ...base(),
        parallel,
        onResource,
        program: () => ({ ids: Array.from({ length: 6 }, (_, i) => server(`p${i}`).id) }),
      });
      expect(run.outputs.ids).toHaveLength(6);
      await run.destroy();
      return peak;
    };
    expect(await peakOf(2)).toBe(2);
    expect(await peakOf(undefined)).toBe(6);
    await expect(runOffline({ ...base(), parallel: 0, program: () => ({}) })).rejects.toThrow(
      /parallel must be a whole number of at least 1/,
    );
  });

  it("an aborted run deletes what it created, servers whose create was still in flight included, and stops the host", async () => {
    await env.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 3_600_000 });
    let hosts: number[] = [];
    const abort = new AbortController();
    const run = runOffline({
      ...base(),
      signal: abort.signal,
      onResource: (e) => {
        if (e.kind === "started" && linux) hosts = providerHostPids(process.pid);
      },
      // t0's create returns at once; t1 and t2 are pending on the API, their creates still waiting.
      program: () => ({ ids: [server("t0", { waitForRunning: false }).id, server("t1").id, server("t2").id] }),
    });
    run.catch(() => undefined);
    await until(async () => (await env.client.gameServers.list()).total === 3, "three servers on the emulator");
    abort.abort("test");
    await expect(run).rejects.toThrow("runOffline: the run was aborted (test)");
    expect((await env.client.gameServers.list({ includeDeleted: true })).total).toBe(3);
    expect(await live()).toEqual({});
    if (linux) {
      expect(hosts).toHaveLength(1);
      expect(alive(hosts[0]!)).toBe(false);
    }
  });

  it("an aborted run deletes the servers a fleet's create had made before it returned", async () => {
    // The first POST is held; the fleet's create is still under way when the other two exist.
    await env.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, delayMs: 1_500 });
    const abort = new AbortController();
    const run = runOffline({
      ...base(),
      signal: abort.signal,
      program: () => {
        const { rconPassword: _r, ...configuration } = CS2_CONFIG;
        const fleet = new GameServerFleet("cup", { defaults: { gameType: "cs2", region: "eu-central-1", configuration }, count: 3 });
        return { roster: fleet.roster };
      },
    });
    run.catch(() => undefined);
    await until(async () => (await env.client.gameServers.list()).total === 2, "two servers on the emulator");
    abort.abort("test");
    await expect(run).rejects.toThrow("runOffline: the run was aborted (test)");
    // The held POST lands 1.5 s after it came in, though the host that sent it is gone: the run
    // waited for it and deleted its server too, before it rejected.
    expect((await env.client.gameServers.list({ includeDeleted: true })).total).toBe(3);
    expect(await live()).toEqual({});
  });

  it("timeoutSeconds fails a run still waiting past it, and leaves nothing behind", async () => {
    await env.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 3_600_000 });
    const started = Date.now();
    await expect(runOffline({ ...base(), timeoutSeconds: 2, program: () => ({ id: server("w0").id }) })).rejects.toThrow(
      "runOffline: the run did not finish within timeoutSeconds (2 s)",
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await live()).toEqual({});
  });

  it("prints every line of a run before it returns", async () => {
    const lines: string[] = [];
    const run = await runOffline({
      ...base(),
      log: (line) => lines.push(line),
      program: () => {
        const fleet = new GameServerFleet("cup", {
          defaults: { gameType: "cs2", region: "eu-central-1", configuration: CONFIGURATION },
          count: 8,
        });
        for (const [key, member] of Object.entries(fleet.servers))
          new ServerCommand(`say-${key}`, { serverId: member.serverId, commands: ["say hi"] }, { dependsOn: [fleet] });
        return {};
      },
    });
    const sent = () => lines.filter((l) => /^\[gameservers\] ServerCommand .*sent/.test(l)).length;
    const atReturn = sent();
    await run.destroy();
    expect({ atReturn, after: sent() }).toEqual({ atReturn: 8, after: 8 });
  });

  describe.skipIf(!linux)("interrupted scripts (signals sent to a child process)", () => {
    it.each([
      { how: "Ctrl-C (SIGINT to the process group)", signal: "SIGINT" as const, group: true, code: 130 },
      { how: "SIGINT to the script alone", signal: "SIGINT" as const, group: false, code: 130 },
      { how: "SIGTERM to the script alone", signal: "SIGTERM" as const, group: false, code: 143 },
    ])("$how: deletes every server (creates in flight included), stops the host, exits $code", async ({ signal, group, code }) => {
      await env.control.config({ bootDelayMs: 600_000 });
      const script = startScript(env, 3, { detached: group });
      try {
        // s0's create returned at once; s1 and s2 are created on the API and still being waited for.
        await until(async () => (await env.client.gameServers.list()).total === 3, "three servers on the emulator");
        const hosts = providerHostPids(script.child.pid!);
        expect(hosts).toHaveLength(1);
        process.kill(group ? -script.child.pid! : script.child.pid!, signal);
        expect(await script.exited).toEqual({ code, signal: null });
        expect(script.stderr()).toContain(`runOffline: ${signal}: deleting what the run created`);
        expect(await live()).toEqual({});
        expect((await env.client.gameServers.list({ includeDeleted: true })).total).toBe(3);
        await until(() => !alive(hosts[0]!), "the provider host to exit", 3_000);
      } finally {
        script.child.kill("SIGKILL");
      }
    });

    it("a host whose parent was killed outright (SIGKILL) exits by itself; the next run removes what it left", async () => {
      await env.control.config({ bootDelayMs: 600_000 });
      const script = startScript(env, 2);
      await until(async () => (await env.client.gameServers.list()).total === 2, "two servers on the emulator");
      const hosts = providerHostPids(script.child.pid!);
      expect(hosts).toHaveLength(1);
      script.child.kill("SIGKILL");
      await script.exited;
      await until(() => !alive(hosts[0]!), "the orphaned provider host to exit", 3_000);
      expect((await env.client.gameServers.list()).total).toBe(2);
      const lines: string[] = [];
      const next = await runOffline({ ...base(), log: (line) => lines.push(line), program: () => ({}) });
      await next.destroy();
      expect(await live()).toEqual({});
      expect(lines.filter((l) => /deleted s\d-[0-9a-f]{7} \(srv_[\w-]+\), left by an interrupted run \(pid \d+/.test(l))).toHaveLength(2);
    });

    it("a second Ctrl-C exits at once; the next run in the directory removes every server it left", async () => {
      await env.control.config({ bootDelayMs: 600_000 });
      const script = startScript(env, 4, { detached: true });
      try {
        await until(async () => (await env.client.gameServers.list()).total === 4, "four servers on the emulator");
        // The first one's cleanup is slow (each delete first reads the server's players, held up
        // here), so the second one, right after it, cuts it short.
        await env.control.fault({ method: "GET", route: "/v1/hosting/game/logs/:id/latest", delayMs: 5_000, times: 8 });
        process.kill(-script.child.pid!, "SIGINT");
        await until(() => script.stderr().includes("runOffline: SIGINT"), "the first SIGINT's cleanup to start");
        process.kill(-script.child.pid!, "SIGINT");
        expect(await script.exited).toEqual({ code: 130, signal: null });
        expect((await env.client.gameServers.list()).total).toBeGreaterThan(0);
        await env.control.call("DELETE", "/_emulator/faults");
        const next = await runOffline({ ...base(), program: () => ({}) });
        await next.destroy();
        expect(await live()).toEqual({});
      } finally {
        script.child.kill("SIGKILL");
      }
    });

    it("a script that never calls destroy() exits by itself, after destroying the run", async () => {
      const script = startScript(env, 2);
      const exit = await Promise.race([
        script.exited,
        // A bound for a broken run only: a loaded 2-core machine takes seconds to start each process.
        new Promise<string>((r) => setTimeout(() => r("still running after 60 s"), 60_000).unref()),
      ]);
      if (typeof exit === "string") script.child.kill("SIGKILL");
      expect(exit).toEqual({ code: 0, signal: null });
      expect(script.stderr()).toContain("never destroyed: destroying them");
      const hostPid = Number(/HOST (\d+)/.exec(script.stdout())?.[1]);
      expect(hostPid).toBeGreaterThan(0);
      expect(alive(hostPid)).toBe(false);
      expect((await env.client.gameServers.list({ includeDeleted: true })).total).toBe(2);
      expect(await live()).toEqual({});
    });
  });

  it("destroy deletes through the provider and stops the host; the runner's exit hooks are gone after it", async () => {
    const before = { sigint: process.listenerCount("SIGINT"), beforeExit: process.listenerCount("beforeExit") };
    const run = await runOffline({ ...base(), program: () => ({ id: server("d0").id }) });
    expect(process.listenerCount("SIGINT")).toBe(before.sigint + 1);
    expect(process.listenerCount("beforeExit")).toBe(before.beforeExit + 1);
    await run.destroy();
    expect(process.listenerCount("SIGINT")).toBe(before.sigint);
    expect(process.listenerCount("beforeExit")).toBe(before.beforeExit);
    expect(await live()).toEqual({});
    if (linux && run.hostPid) expect(alive(run.hostPid)).toBe(false);
  });
});
