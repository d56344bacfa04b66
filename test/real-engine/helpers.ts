/**
 * The real-engine suite's pieces: a real Pulumi CLI (found or built by `npm run setup:pulumi`,
 * which `npm test` runs first), a copy of a project in a temporary folder whose node_modules is
 * this repository's, and the emulator behind it.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, vi } from "vitest";
import { findPulumi, type PulumiCli } from "../../scripts/pulumi/cli.ts";
import {
  type CommandOptions,
  type CommandResult,
  copyProject as copyFolder,
  PulumiProject,
  type StackExport,
  type StateResource,
} from "../../scripts/pulumi/project.ts";
import { type RunningEmulator, startEmulator } from "../../sdk/emulator/index.js";
import { type GameServer, GameServersClient } from "../../sdk/index.js";
import { Control, cs2 } from "../helpers/emulator.js";
import { ROOT } from "../helpers/provider-host.js";

export type { CommandResult, StackExport, StateResource };

/** The CLI the suite runs. Never skipped: without one, every test of the suite fails saying why. */
export async function realPulumi(): Promise<PulumiCli> {
  const cli = await findPulumi();
  if (!cli) throw new Error("No Pulumi CLI: `npm test` runs `npm run setup:pulumi` first, which finds or builds one; run it");
  return cli;
}

/** A copy of `source` (a project folder of this repository) with this repository's node_modules. */
export function copyProject(source: string, files: Record<string, string> = {}): string {
  return copyFolder(path.join(ROOT, source), path.join(ROOT, "node_modules"), files);
}

/** A real stack of a project copy, wired to an emulator through its stack config. */
export class RealStack {
  constructor(
    readonly project: PulumiProject,
    readonly name: string,
    readonly projectName: string,
  ) {}

  run(args: string[], options?: CommandOptions): Promise<CommandResult> {
    return this.project.run([...args, "--stack", this.name], options);
  }

  /** Runs, and throws with everything the CLI printed when it exits non-zero. */
  ok(args: string[], options?: CommandOptions): Promise<CommandResult> {
    return this.project.ok([...args, "--stack", this.name], options);
  }

  up(args: string[] = [], options?: CommandOptions) {
    return this.ok(["up", "--yes", ...args], options);
  }

  config(key: string, value: string, secret = false) {
    return this.project.config(this.name, key, value, secret);
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.ok(["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, unknown>;
  }

  async state(): Promise<StackExport> {
    return this.project.exportState(this.name);
  }

  /** The stack's resources of a type (`GameServer`, `FleetServers`, ...), as the engine holds them. */
  async resources(type: string): Promise<StateResource[]> {
    return ((await this.state()).deployment.resources ?? []).filter((r) => r.type.endsWith(`:${type}`));
  }

  /** The checkpoint file as the backend stores it. */
  stateFile(): string {
    return readFileSync(path.join(this.project.root, "state", ".pulumi", "stacks", this.projectName, `${this.name}.json`), "utf8");
  }
}

export interface RealFixture {
  cli: PulumiCli;
  emulator: RunningEmulator;
  control: Control;
  client: GameServersClient;
  /** A stack of a copy of `source`, initialised and configured for the emulator. */
  stack(
    source: string,
    name: string,
    options?: {
      files?: Record<string, string>;
      dir?: string;
      apiKey?: string;
      /** Another stack of the same project copy and backend (dev beside prod). */
      beside?: RealStack;
    },
  ): Promise<RealStack>;
  /** The API's writes so far (POST, PATCH, PUT and DELETE of game servers and console commands). */
  writes(): Promise<number>;
  /** Every live server of the emulator's seeded organization (or of `client`'s). */
  live(client?: GameServersClient): Promise<GameServer[]>;
  /** A new organization of the emulator: a key with every scope, and a client of it. */
  organization(id: string): Promise<{ apiKey: string; client: GameServersClient }>;
}

/** One emulator and CLI for a test file; every project, backend and server is removed after it. */
export function useRealEngine(options: { bootDelayMs?: number } = {}): RealFixture {
  // A test here is a few real `pulumi` commands of seconds each: more on a loaded machine.
  vi.setConfig({ testTimeout: 180_000 });
  const fixture = {} as RealFixture;
  const projects: PulumiProject[] = [];
  const clients: GameServersClient[] = [];
  beforeAll(async () => {
    fixture.cli = await realPulumi();
    fixture.emulator = await startEmulator({ bootDelayMs: options.bootDelayMs ?? 300 });
    fixture.control = new Control(fixture.emulator.url);
    fixture.client = new GameServersClient({ apiKey: fixture.emulator.apiKey, baseUrl: fixture.emulator.url });
    fixture.stack = async (source, name, opts = {}) => {
      let project = opts.beside?.project;
      if (!project) {
        project = new PulumiProject(fixture.cli, opts.dir ?? copyProject(source, opts.files));
        projects.push(project);
      }
      const dir = project.dir;
      const projectName = /^name:\s*(\S+)/m.exec(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"))![1]!;
      const stack = new RealStack(project, name, projectName);
      await project.initStack(name);
      await project.configAll(
        name,
        { "gameservers:apiUrl": fixture.emulator.url, "gameservers:pollIntervalMs": "100" },
        { "gameservers:apiKey": opts.apiKey ?? fixture.emulator.apiKey },
      );
      return stack;
    };
    fixture.writes = async () => {
      const { byRoute } = (await fixture.control.stats()).requests;
      return Object.entries(byRoute)
        .filter(([route]) => /^(POST|PATCH|PUT|DELETE) /.test(route))
        .reduce((sum, [, n]) => sum + n, 0);
    };
    fixture.live = async (client = fixture.client) => {
      const all: GameServer[] = [];
      for await (const s of client.gameServers.list({ pageSize: 100 })) all.push(s);
      return all;
    };
    fixture.organization = async (id) => {
      const apiKey = await fixture.control.key(id, [
        "game-servers:read",
        "game-servers:write",
        "game-console:read_write",
        "game-logs:read",
      ]);
      const client = new GameServersClient({ apiKey, baseUrl: fixture.emulator.url });
      clients.push(client);
      return { apiKey, client };
    };
  }, 120_000);
  afterAll(async () => {
    for (const p of projects) {
      await p.dispose();
      if (existsSync(p.dir) && p.dir.startsWith(os.tmpdir())) rmSync(path.dirname(p.dir), { recursive: true, force: true });
    }
    await Promise.all(clients.map((c) => c.close()));
    await fixture.client?.close();
    await fixture.emulator?.close();
  });
  return fixture;
}

/** The servers of a stack's state: id and outputs of each GameServer resource. */
export function serverIds(resources: StateResource[]): string[] {
  return resources.map((r) => r.id!).sort();
}

/**
 * Every server id a stack's state holds, once per holder: a GameServer's id, and each server of
 * a fleet's FleetServers parts. An id listed twice is a server two resources claim.
 */
export function idsInState(state: StackExport): string[] {
  const ids: string[] = [];
  for (const r of state.deployment.resources ?? []) {
    if (r.type.endsWith(":GameServer") && r.id) ids.push(r.id);
    if (r.type.endsWith(":FleetServers")) {
      for (const server of Object.values((r.outputs?.servers ?? {}) as Record<string, { id?: string }>))
        if (server?.id) ids.push(server.id);
    }
  }
  return ids.sort();
}

/**
 * The suite's invariant after any step: every live server the stacks made is in exactly one
 * stack's state, once; no state holds a server that is gone; the bystanders (servers no stack
 * made) are untouched.
 */
export async function expectEachServerOnce(
  real: RealFixture,
  stacks: RealStack[],
  bystanders: GameServer[] = [],
  clients: GameServersClient[] = [real.client],
): Promise<void> {
  const held = (await Promise.all(stacks.map(async (s) => idsInState(await s.state())))).flat().sort();
  const others = new Set(bystanders.map((b) => b.id));
  const live = (await Promise.all(clients.map((c) => real.live(c))))
    .flat()
    .filter((s) => !others.has(s.id))
    .map((s) => s.id)
    .sort();
  expect(held, "each live server in exactly one state, once").toEqual(live);
  for (const b of bystanders) {
    const now = await clients[0]!.gameServers.get(b.id);
    expect({ deletedAt: now.deletedAt, updatedAt: now.updatedAt, name: now.name }).toEqual({
      deletedAt: null,
      updatedAt: b.updatedAt,
      name: b.name,
    });
  }
}

/** The create journal's entries in a project directory (what the provider host has written so far). */
export function journalEntries(dir: string): { key: string; stack: string; answeredId?: string }[] {
  const journal = path.join(dir, ".gameservers", "journal");
  if (!existsSync(journal)) return [];
  const entries: { key: string; stack: string; answeredId?: string }[] = [];
  for (const file of readdirSync(journal)) {
    if (!file.endsWith(".json")) continue;
    try {
      entries.push(JSON.parse(readFileSync(path.join(journal, file), "utf8")));
    } catch {
      // being written
    }
  }
  return entries;
}

/** A server no stack made, running (so that nothing but a change of ours would touch it again). */
export async function bystanderIn(client: GameServersClient, name = "bystander"): Promise<GameServer> {
  const made = await client.gameServers.create(cs2(name));
  let server = made;
  await until(
    async () => {
      server = await client.gameServers.get(made.id);
      return server.status === "running";
    },
    30_000,
    "the bystander to run",
  );
  return server;
}

/** Resolves once `test` holds, checking every 5 ms; rejects after `ms`. */
export async function until(test: () => boolean | Promise<boolean>, ms = 60_000, what = "the condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A tournament.yaml of one stage of `matches` servers. */
export function tournament(matches: number): string {
  return [
    "event: cup",
    "regions: [eu-central-1, eu-west-1]",
    "defaults: { gameMode: competitive, maxPlayers: 10, tickrate: 128, enableVAC: true, enableBots: false, tournamentMode: true,",
    "  mapPool: [de_dust2, de_mirage], startingMap: de_mirage, warmupTime: 60, freezeTime: 15, roundTime: 115, bombTimer: 40, buyTime: 20 }",
    "stages:",
    `  - { name: groups, matches: ${matches} }`,
    "",
  ].join("\n");
}
