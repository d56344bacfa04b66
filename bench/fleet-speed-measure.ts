/**
 * Instruments of the fleet-speed benchmark (bench/fleet-speed.ts): the emulator's request
 * counters and events, 429s seen on the wire, the provider host's peak RSS, and the size of the
 * serialized provider. Linux-only figures (RSS) are null elsewhere.
 */
import { execFile } from "node:child_process";
import diagnostics from "node:diagnostics_channel";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { SAMPLE_CS2_CONFIGURATION } from "../sdk/emulator/index.js";
import type { GameServersClient } from "../sdk/index.js";

/** `GET /_emulator/stats`, as the emulator README documents it. */
export interface Stats {
  requests: { total: number; byRoute: Record<string, number> };
  servers: { byStatus: Record<string, number> };
}

/** The emulator's control routes (never counted, never rate limited). */
export class Control {
  constructor(readonly url: string) {}

  async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(this.url + route, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  stats(): Promise<Stats> {
    return this.call("GET", "/_emulator/stats");
  }

  config(patch: Record<string, unknown>): Promise<unknown> {
    return this.call("PUT", "/_emulator/config", patch);
  }

  /** A key of the same organization with read scope: its requests have their own rate-limit window. */
  async readKey(organizationId = "org_demo"): Promise<string> {
    return (await this.call<{ apiKey: string }>("POST", "/_emulator/keys", { organizationId, scopes: ["game-servers:read"] })).apiKey;
  }
}

/** Requests made between two stats snapshots, by route (`POST /v1/game-servers`, ...). */
export function requestsBetween(before: Stats, after: Stats): { total: number; byRoute: Record<string, number> } {
  const byRoute: Record<string, number> = {};
  for (const [route, n] of Object.entries(after.requests.byRoute)) {
    const d = n - (before.requests.byRoute[route] ?? 0);
    if (d > 0) byRoute[route] = d;
  }
  return { total: after.requests.total - before.requests.total, byRoute };
}

/**
 * When each server first became running: the `provisioning_completed` events after `sinceMs`,
 * read with `apiKey` (call it after the closing stats snapshot, so these reads are not counted).
 */
export async function runningTimes(apiUrl: string, apiKey: string, sinceMs: number): Promise<Map<string, number>> {
  const since = new Date(sinceMs - 1).toISOString();
  const res = await fetch(`${apiUrl}/v1/game-servers/events?since=${encodeURIComponent(since)}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  if (!res.ok) throw new Error(`GET /v1/game-servers/events: ${res.status} ${await res.text()}`);
  const { events } = (await res.json()) as { events: { serverId: string; eventType: string; createdAt: string }[] };
  const out = new Map<string, number>();
  for (const e of events) {
    if (e.eventType === "provisioning_completed" && !out.has(e.serverId)) out.set(e.serverId, Date.parse(e.createdAt));
  }
  return out;
}

/**
 * Counts HTTP 429 answers of this process's HTTP servers (the in-process emulator) through
 * Node's `http.server.response.finish` diagnostics channel: nothing of the emulator is patched.
 */
export class TooManyRequests {
  count = 0;
  readonly #port: number;
  readonly #listener = (message: unknown) => {
    const { response } = message as { response: ServerResponse };
    if (response.statusCode === 429 && response.req?.socket?.localPort === this.#port) this.count++;
  };

  constructor(port: number) {
    this.#port = port;
    diagnostics.subscribe("http.server.response.finish", this.#listener);
  }

  close(): void {
    diagnostics.unsubscribe("http.server.response.finish", this.#listener);
  }
}

/** Process ids of the live children of `ppid` running Pulumi's dynamic-provider host (Linux). */
export function providerHostPids(ppid = process.pid): number[] {
  if (!existsSync("/proc")) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== ppid || fields[0] === "Z") continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("dynamic-provider")) pids.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return pids;
}

/** Peak RSS (VmHWM) of a process in MiB, or undefined when it cannot be read. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Samples the peak RSS of the provider host this process started, every `everyMs`, until
 * stopped; the host's VmHWM is its high-water mark, so the last readable sample is the peak.
 */
export class HostRssSampler {
  peakMiB: number | undefined;
  #pid: number | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(everyMs = 250) {
    this.#timer = setInterval(() => this.sample(), everyMs);
    this.#timer.unref();
  }

  sample(pid?: number): void {
    this.#pid ??= pid ?? providerHostPids()[0];
    if (this.#pid === undefined) return;
    const mib = peakRssMiB(this.#pid);
    if (mib !== undefined) this.peakMiB = Math.max(this.peakMiB ?? 0, mib);
  }

  stop(): number | undefined {
    clearInterval(this.#timer);
    this.sample();
    return this.peakMiB;
  }
}

/**
 * The `__provider` text dynamic.Resource stores for a GameServer, as a real program constructs
 * one under Pulumi's mocks in `cwd` (its node_modules must resolve pulumi-gameservers): its length in bytes.
 */
export function serializedProviderBytes(cwd: string): Promise<number> {
  const script = `
    const pulumi = require("@pulumi/pulumi");
    let text;
    pulumi.runtime.setMocks({
      newResource: (a) => { if (a.inputs.__provider) text ??= a.inputs.__provider; return { id: "srv_mock", state: a.inputs }; },
      call: (a) => a.inputs,
    }, "bench", "dev", false);
    const { GameServer } = require("pulumi-gameservers");
    new GameServer("s", { gameType: "cs2", region: "eu-central-1", configuration: {} });
    const timer = setInterval(() => {
      if (text === undefined) return;
      clearInterval(timer);
      process.stdout.write(String(Buffer.byteLength(text)));
    }, 10);
    setTimeout(() => { console.error("no __provider captured"); process.exit(1); }, 15000).unref();`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--no-warnings", "-e", script], { cwd }, (error, stdout, stderr) => {
      if (error) reject(new Error(`serializing the provider in ${cwd} failed: ${stderr || error.message}`));
      else resolve(Number(stdout));
    });
  });
}

/**
 * The same figure for the package as users install it: the package's published files (package.json
 * and dist, as `files` lists them) copied into a project's node_modules, every dependency linked
 * from this repository's node_modules. No registry, no `npm pack`: about a second.
 */
export async function installedProviderBytes(root: string): Promise<number> {
  const project = mkdtempSync(path.join(tmpdir(), "gs-bench-installed-"));
  try {
    const modules = path.join(project, "node_modules");
    const pkg = path.join(modules, "pulumi-gameservers");
    mkdirSync(pkg, { recursive: true });
    cpSync(path.join(root, "package.json"), path.join(pkg, "package.json"));
    cpSync(path.join(root, "dist"), path.join(pkg, "dist"), {
      recursive: true,
      filter: (src) => !src.startsWith(path.join(root, "dist", "bench")) && !src.endsWith(".tsbuildinfo"),
    });
    for (const entry of readdirSync(path.join(root, "node_modules"))) {
      if (entry === "pulumi-gameservers" || entry.startsWith(".")) continue;
      symlinkSync(path.join(root, "node_modules", entry), path.join(modules, entry));
    }
    return await serializedProviderBytes(project);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/** The p-th percentile (nearest rank) of `values`, or undefined when empty. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * The seed docs' loop: every create sent at once, then `waitForServer(id, 5000)` for each server
 * that is not running yet. Returns when each server was known running (by id), and the failures.
 */
export async function docsLoopCreates(
  client: GameServersClient,
  n: number,
  regions: readonly string[],
): Promise<{ known: Map<string, number>; failures: number; error: string | undefined }> {
  const known = new Map<string, number>();
  let failures = 0;
  let error: string | undefined;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      try {
        const server = await client.gameServers.create({
          name: `docs-${i}`,
          gameType: "cs2",
          region: regions[i % regions.length]!,
          configuration: { ...SAMPLE_CS2_CONFIGURATION },
        });
        if (server.status === "pending" || server.status === "allocating") await client.gameServers.waitForServer(server.id, 5000);
        known.set(server.id, Date.now());
      } catch (e) {
        failures++;
        error ??= (e as Error).message;
      }
    }),
  );
  return { known, failures, error };
}
