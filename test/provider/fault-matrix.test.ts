/**
 * The fault matrix: every call the provider makes, faulted in every way the emulator
 * can fail it, once and sustained past the retry budget, through Pulumi's own dynamic-provider
 * host; failed runs are run again the way a user re-runs `pulumi up`. After every scenario the
 * stack must hold the invariant: every live server the provider created is in state exactly
 * once, every id in state is live, no two of its live servers share a name, a server it did
 * not create is untouched, and after destroy nothing it created is live.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { intentOf } from "../../provider/core/fingerprint.js";
import { type RunningEmulator, startEmulator } from "../../sdk/emulator/index.js";
import { GameServersClient } from "../../sdk/index.js";
import { Control, CS2_CONFIG } from "../helpers/emulator.js";
import { type DeclaredServer, MiniEngine, type StateEntry } from "../helpers/engine.js";
import { ProviderHost, ROOT, serializedProvider } from "../helpers/provider-host.js";

const { rconPassword: _rcon, ...CONFIGURATION } = CS2_CONFIG;
/** Client timeout of the provider in the matrix: short, so "slower than the timeout" is cheap. */
const TIMEOUT_MS = 300;
const LANES = 8;
/**
 * The scopes of the keys a scenario makes: the game servers', and the console's that the
 * live-match guard reads players with (without them a destroy keeps every running server).
 */
const LANE_SCOPES = ["game-servers:read", "game-servers:write", "game-console:read_write", "game-logs:read"];

type Phase = "v1" | "v2" | "destroy";
interface Call {
  name: string;
  method: string;
  route: string;
  phase: Phase;
}
const CALLS: Call[] = [
  { name: "POST create", method: "POST", route: "/v1/game-servers", phase: "v1" },
  { name: "POST of a replacement", method: "POST", route: "/v1/game-servers", phase: "v2" },
  { name: "GET by id", method: "GET", route: "/v1/game-servers/:id", phase: "v1" },
  { name: "list", method: "GET", route: "/v1/game-servers", phase: "v1" },
  { name: "events", method: "GET", route: "/v1/game-servers/events", phase: "v1" },
  { name: "PATCH", method: "PATCH", route: "/v1/game-servers/:id", phase: "v2" },
  { name: "DELETE of a replaced server", method: "DELETE", route: "/v1/game-servers/:id", phase: "v2" },
  { name: "DELETE at destroy", method: "DELETE", route: "/v1/game-servers/:id", phase: "destroy" },
];
const FAULTS: Record<string, Record<string, unknown>> = {
  "500": { status: 500 },
  "502": { status: 502 },
  "503": { status: 503 },
  "429 with Retry-After": { status: 429, retryAfterSeconds: 1 },
  // Issue 17: every retry ends, whatever Retry-After says (a sustained one once retried forever).
  "503 with Retry-After": { status: 503, retryAfterSeconds: 1 },
  "dropped connection": { drop: true },
  "response slower than the client timeout": { commitThenDelayMs: TIMEOUT_MS * 2 },
  "truncated 2xx body": { truncatedBody: true },
  "commit then 502": { commitThenFail: true },
  "commit then dropped connection": { commitThenDrop: true },
  "write applied after the client gave up": { delayMs: Math.round(TIMEOUT_MS * 1.5) },
};
const SUSTAINED_TIMES = 40;

interface Lane {
  emulator: RunningEmulator;
  control: Control;
  client: GameServersClient;
  host: ProviderHost;
  journalDir: string;
  apiKey: string;
  /** The API keys and every password of the scenario: none may appear in what a run shows. */
  secrets: Set<string>;
}

/** Problems if anything a run showed (host output, errors, outputs not marked secret, the provider text) holds a secret. */
function leaks(lane: Lane, engine: MiniEngine, provider: string): string[] {
  const shown = [lane.host.output, provider, ...engine.shown].join("\n");
  return [...lane.secrets].filter((secret) => shown.includes(secret)).map((secret) => `a secret (${secret.slice(0, 3)}...) was shown`);
}

interface Scenario {
  name: string;
  run(lane: Lane, provider: string): Promise<string[]>;
}

type Shape = "servers" | "fleet";

/**
 * The program before and after the change: one auto-named server updated, one auto-named and one
 * fixed-name server replaced. In the fleet shape the same servers are one FleetServers
 * part (the resource each of a GameServerFleet's parts is: it holds several servers and creates
 * them without waiting), and a roster resource waits for them.
 */
function program(version: 1 | 2, tag: string, shape: Shape = "servers"): DeclaredServer[] {
  const base = { gameType: "cs2", readyTimeoutSeconds: 2 };
  const servers: DeclaredServer[] = [
    {
      name: "alpha",
      inputs: {
        ...base,
        autoNamePrefix: "alpha",
        region: "eu-central-1",
        configuration: { ...CONFIGURATION, maxPlayers: version === 1 ? 10 : 12 },
      },
    },
    {
      name: "bravo",
      inputs: { ...base, autoNamePrefix: "bravo", region: version === 1 ? "eu-central-1" : "eu-west-1", configuration: CONFIGURATION },
    },
    {
      name: "final",
      inputs: {
        ...base,
        name: `Grand Final ${tag}`,
        region: version === 1 ? "us-east-1" : "us-west-2",
        configuration: CONFIGURATION,
        serverPassword: `join-${tag}`,
      },
    },
  ];
  if (shape === "servers") return servers;
  const specs: Record<string, Record<string, unknown>> = {};
  const passwords: Record<string, Record<string, unknown>> = {};
  for (const d of servers) {
    const { serverPassword, ...spec } = d.inputs as Record<string, unknown>;
    specs[d.name] = spec;
    if (serverPassword !== undefined) passwords[d.name] = { serverPassword };
  }
  const rosterOf = (state: StateEntry[]) => {
    // As the engine does, a resource waits for its dependencies: servers that failed or are not
    // all there (init errors) hold the roster back until a later up settles them.
    const fleet = state.find((e) => e.name === FLEET && !e.pendingDelete);
    if (!fleet || fleet.initErrors) return undefined;
    const inState = fleet.outputs.servers as Record<string, { serverId: string }>;
    return {
      fleet: "cup",
      readyTimeoutSeconds: 2,
      servers: Object.fromEntries(Object.entries(inState).map(([key, s]) => [key, { serverId: s.serverId }])),
    };
  };
  return [
    { name: FLEET, inputs: { fleet: "cup", servers: specs, passwords }, provider: providers.fleet },
    { name: ROSTER, inputs: rosterOf, provider: providers.roster },
  ];
}
const FLEET = "cup-servers";
const ROSTER = "roster";

/** The invariant, as problems (empty when it holds). `foreign` are servers the provider did not create. */
async function invariant(
  lane: Lane,
  engine: MiniEngine,
  foreign: Map<string, string>,
  destroyed: boolean,
  clients = [lane.client],
): Promise<string[]> {
  const problems: string[] = [];
  const live = [];
  for (const client of clients)
    for await (const s of client.gameServers.list({ pageSize: 100, includeDeleted: true }, { maxRetries: 5 })) {
      for (const secret of [s.rconPassword, s.serverPassword]) if (secret) lane.secrets.add(secret);
      if (s.deletedAt === null) live.push(s);
    }
  for (const [id, name] of foreign) {
    const s = live.find((x) => x.id === id);
    if (!s) problems.push(`foreign server ${id} was deleted`);
    else if (s.name !== name) problems.push(`foreign server ${id} was renamed to ${s.name}`);
  }
  const ours = live.filter((s) => !foreign.has(s.id));
  if (destroyed) {
    if (ours.length > 0) problems.push(`after destroy, live: ${ours.map((s) => `${s.id} ${s.name}`).join(", ")}`);
    return problems;
  }
  const servers = serversInState(engine);
  const ids = servers.map((e) => e.id);
  for (const s of ours) {
    const n = ids.filter((id) => id === s.id).length;
    if (n !== 1) problems.push(`live server ${s.id} (${s.name}) is in state ${n} times`);
  }
  for (const e of servers) {
    if (!ours.some((s) => s.id === e.id)) problems.push(`state holds ${e.name} = ${e.id}, which is not live`);
  }
  // A fleet's roster, once its up succeeded, lists every server running at its real address.
  const roster = engine.state.find((e) => e.name === ROSTER && !e.initErrors);
  for (const [key, entry] of Object.entries(
    (roster?.outputs.servers ?? {}) as Record<string, { serverId: string; connectUrl: string | null }>,
  )) {
    const s = ours.find((x) => x.id === entry.serverId);
    if (s?.status !== "running" || s.connectUrl !== entry.connectUrl)
      problems.push(`the roster's ${key} is not ${entry.serverId} running at ${entry.connectUrl}`);
  }
  // Names are an organization's: two organizations may each have a server of a name.
  const names = ours.map((s) => `${s.organizationId}\u0000${s.name}`);
  for (const n of new Set(names))
    if (names.filter((x) => x === n).length > 1) problems.push(`two live servers are named ${n.split("\u0000")[1]}`);
  return problems;
}

/** Every server the state holds: a GameServer resource's, or each one of a fleet's FleetServers. */
function serversInState(engine: MiniEngine): { name: string; id: string }[] {
  return engine.state
    .filter((e) => e.name !== ROSTER)
    .flatMap((e) =>
      e.name === FLEET
        ? Object.entries((e.outputs.servers ?? {}) as Record<string, { id: string }>).map(([key, s]) => ({
            name: `${e.name}.${key}`,
            id: s.id,
          }))
        : [{ name: e.name, id: e.id }],
    );
}

/** Runs `pulumi up` again (faults cleared) until it succeeds, the way a user would. */
async function converge(engine: MiniEngine, prog: DeclaredServer[], label: string, problems: string[]): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) if (await engine.up(prog)) return;
  problems.push(`${label}: up never succeeded: ${engine.errors.join(" | ")}`);
}

function faultScenario(call: Call, faultName: string, sustained: boolean, shape: Shape = "servers"): Scenario {
  const fault = { method: call.method, route: call.route, times: sustained ? SUSTAINED_TIMES : 1, ...FAULTS[faultName] };
  return {
    name: `${shape === "fleet" ? "fleet: " : ""}${call.name} x ${faultName}${sustained ? " (sustained)" : ""}`,
    async run(lane, provider) {
      const engine = new MiniEngine(lane.host, provider);
      const problems: string[] = [];
      const foreign = new Map<string, string>();
      const tag = Math.random().toString(36).slice(2, 8);
      const arm = (phase: Phase) => (call.phase === phase ? lane.control.fault(fault) : undefined);
      // A short boot, so creates wait and the waits poll.
      await lane.control.config({ bootDelayMs: 100 });
      const v1 = program(1, tag, shape);
      const v2 = program(2, tag, shape);
      await arm("v1");
      await engine.up(v1);
      await lane.control.call("DELETE", "/_emulator/faults");
      await converge(engine, v1, "v1", problems);
      problems.push(...(await invariant(lane, engine, foreign, false)).map((p) => `after v1: ${p}`));
      await arm("v2");
      await engine.up(v2);
      await lane.control.call("DELETE", "/_emulator/faults");
      await converge(engine, v2, "v2", problems);
      problems.push(...(await invariant(lane, engine, foreign, false)).map((p) => `after v2: ${p}`));
      await arm("destroy");
      await engine.destroy();
      await lane.control.call("DELETE", "/_emulator/faults");
      for (let attempt = 0; attempt < 3 && engine.state.length > 0; attempt++) await engine.destroy();
      problems.push(...(await invariant(lane, engine, foreign, true)).map((p) => `after destroy: ${p}`));
      problems.push(...leaks(lane, engine, provider));
      return problems;
    },
  };
}

/** A scenario of its own: set up, run, converge, destroy, checking the invariant at each end. */
function special(
  name: string,
  body: (lane: Lane, engine: MiniEngine, foreign: Map<string, string>, problems: string[]) => Promise<void>,
): Scenario {
  return {
    name,
    async run(lane, provider) {
      const engine = new MiniEngine(lane.host, provider);
      const problems: string[] = [];
      const foreign = new Map<string, string>();
      await body(lane, engine, foreign, problems);
      problems.push(...(await invariant(lane, engine, foreign, false)).map((p) => `after up: ${p}`));
      await lane.control.call("DELETE", "/_emulator/faults");
      for (let attempt = 0; attempt < 3 && (attempt === 0 || engine.state.length > 0); attempt++) await engine.destroy();
      problems.push(...(await invariant(lane, engine, foreign, true)).map((p) => `after destroy: ${p}`));
      problems.push(...leaks(lane, engine, provider));
      return problems;
    },
  };
}

const SPECIALS: Scenario[] = [
  special("allocation failed after all attempts, then the next up", async (lane, engine, _foreign, problems) => {
    await lane.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 30, maxAllocationAttempts: 2 });
    const prog = program(1, "alloc");
    if (await engine.up(prog)) problems.push("up succeeded with no capacity");
    if ((await lane.control.stats()).servers.byStatus.failed) problems.push("a failed server was left live");
    await lane.control.config({ capacity: { "eu-central-1": 100 } });
    await converge(engine, prog, "after capacity returned", problems);
  }),
  special("deadline while pending, then the next up", async (lane, engine, _foreign, problems) => {
    await lane.control.config({ capacity: { "eu-central-1": 0 }, queueIntervalMs: 60_000 });
    const prog = program(1, "deadline").map((d) => ({ ...d, inputs: { ...d.inputs, readyTimeoutSeconds: 1 } }));
    if (await engine.up(prog)) problems.push("up succeeded while pending");
    if (!engine.state.some((e) => e.initErrors)) problems.push("the pending servers were not kept as created-but-not-ready");
    await lane.control.config({ capacity: { "eu-central-1": 100 }, queueIntervalMs: 30 });
    await converge(engine, prog, "after capacity returned", problems);
    if (engine.state.some((e) => e.outputs.status !== "running")) problems.push("not every server runs after the next up");
  }),
  special("soft-delete out of band, then refresh and up", async (lane, engine, _foreign, problems) => {
    const prog = program(1, "oob");
    await converge(engine, prog, "v1", problems);
    const victim = engine.state[0]!;
    await lane.client.gameServers.delete(victim.id);
    if (!(await engine.refresh())) problems.push(`refresh failed: ${engine.errors.join(" | ")}`);
    if (engine.state.some((e) => e.id === victim.id)) problems.push("refresh kept the deleted server");
    await converge(engine, prog, "after refresh", problems);
  }),
  special("API key revoked mid-run, then a run with a new key", async (lane, engine, _foreign, problems) => {
    await lane.control.config({ bootDelayMs: 200 });
    const prog = program(1, "revoke");
    const running = engine.up(prog);
    // Revoke the key once the first create is under way.
    while ((await lane.control.hits("POST /v1/game-servers")) === 0) await new Promise((r) => setTimeout(r, 5));
    await lane.control.call("POST", "/_emulator/keys/revoke", { apiKey: lane.apiKey });
    if (await running) problems.push("up succeeded with a revoked key");
    // The next `pulumi up` with a new key: a new provider host, as the engine starts one per run.
    lane.apiKey = await lane.control.key("org_demo", LANE_SCOPES);
    lane.secrets.add(lane.apiKey);
    await lane.client.close();
    lane.client = new GameServersClient({ apiKey: lane.apiKey, baseUrl: lane.emulator.url });
    await lane.host.stop();
    engine.host = lane.host = await startHost(lane);
    await converge(engine, prog, "with a new key", problems);
  }),
  special("provider host killed mid-create, then a fresh host", async (lane, engine, _foreign, problems) => {
    await lane.control.config({ bootDelayMs: 400 });
    const prog = program(1, "killed");
    const running = engine.up(prog).catch(() => false);
    // Kill the host once every POST has committed: the last create is waiting for `running`.
    for (let i = 0; i < 400 && (await lane.client.gameServers.list()).total < 3; i++) await new Promise((r) => setTimeout(r, 5));
    lane.host.child.kill("SIGKILL");
    await running;
    if (engine.state.length !== 2) problems.push(`the killed run recorded ${engine.state.length} servers, expected the 2 it had finished`);
    engine.host = lane.host = await startHost(lane);
    await converge(engine, prog, "with a fresh host", problems);
    const posts = await lane.control.hits("POST /v1/game-servers");
    if (posts !== 3) problems.push(`${posts} creates were sent for 3 servers`);
  }),
  special("fleet: provider host killed while its servers are created, then a fresh host", async (lane, engine, _foreign, problems) => {
    await lane.control.config({ bootDelayMs: 400 });
    const prog = program(1, "killed-fleet", "fleet");
    // One POST is slow: the fleet's create is still under way when two servers exist.
    await lane.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, delayMs: 300 });
    const running = engine.up(prog).catch(() => false);
    for (let i = 0; i < 400 && (await lane.client.gameServers.list()).total < 2; i++) await new Promise((r) => setTimeout(r, 5));
    lane.host.child.kill("SIGKILL");
    await running;
    if (engine.state.length !== 0) problems.push(`the killed run recorded ${engine.state.length} resources, expected none`);
    engine.host = lane.host = await startHost(lane);
    await converge(engine, prog, "with a fresh host", problems);
    // The slow POST may have died with the host (the emulator reads its body after the delay),
    // and is then sent again: what counts is that no server was made twice.
    const made = (await lane.client.gameServers.list({ includeDeleted: true })).total;
    if (made !== 3) problems.push(`${made} servers were made for 3`);
  }),
  special(
    "provider host killed mid-create, the next run cannot look it up, the one after adopts it",
    async (lane, engine, _foreign, problems) => {
      await lane.control.config({ bootDelayMs: 400 });
      const prog = program(1, "killed-twice");
      const running = engine.up(prog).catch(() => false);
      for (let i = 0; i < 400 && (await lane.client.gameServers.list()).total < 3; i++) await new Promise((r) => setTimeout(r, 5));
      lane.host.child.kill("SIGKILL");
      await running;
      engine.host = lane.host = await startHost(lane);
      await lane.control.fault({ method: "GET", route: "/v1/game-servers", times: SUSTAINED_TIMES, status: 503 });
      if (await engine.up(prog)) problems.push("up succeeded while the interrupted create could not be looked up");
      await lane.control.call("DELETE", "/_emulator/faults");
      await converge(engine, prog, "after the lookups work again", problems);
      const posts = await lane.control.hits("POST /v1/game-servers");
      if (posts !== 3) problems.push(`${posts} creates were sent for 3 servers`);
    },
  ),
  special("a foreign server with the program's fixed name is refused, never adopted", async (lane, engine, foreign, problems) => {
    const prog = program(1, "foreign");
    const fixed = prog[2]!.inputs.name as string;
    const other = await lane.client.gameServers.create({ name: fixed, gameType: "cs2", region: "us-east-1", configuration: CS2_CONFIG });
    foreign.set(other.id, fixed);
    await lane.control.fault({ method: "POST", route: "/v1/game-servers", times: 3, commitThenFail: true });
    if (await engine.up(prog)) problems.push("up adopted or ignored a server carrying the fixed name");
    else if (!engine.errors.some((e) => e.includes(other.id) && e.includes("adoptServerId"))) {
      problems.push(`the error does not name the holder and adoptServerId: ${engine.errors.join(" | ")}`);
    }
    await lane.control.call("DELETE", "/_emulator/faults");
    const renamed = prog.map((d, i) => (i === 2 ? { ...d, inputs: { ...d.inputs, name: `${fixed} (ours)` } } : d));
    await converge(engine, renamed, "renamed", problems);
  }),
  special("a foreign server with the same name appears while a lost create is looked up", async (lane, engine, foreign, problems) => {
    const prog = program(1, "race");
    const fixed = prog[2]!.inputs.name as string;
    // The fixed-name pre-check lists first (served at once); the lookup after the lost POST is slow.
    await lane.control.fault({ method: "GET", route: "/v1/game-servers", times: 1, delayMs: 0 });
    await lane.control.fault({ method: "POST", route: "/v1/game-servers", times: 1, commitThenFail: true });
    await lane.control.fault({ method: "GET", route: "/v1/game-servers", times: 1, delayMs: 150 });
    const running = engine.up([prog[2]!]);
    while ((await lane.control.hits("POST /v1/game-servers")) === 0) await new Promise((r) => setTimeout(r, 2));
    const other = await lane.client.gameServers.create({ name: fixed, gameType: "cs2", region: "us-east-1", configuration: CS2_CONFIG });
    foreign.set(other.id, fixed);
    if (!(await running)) problems.push(`up failed: ${engine.errors.join(" | ")}`);
    if (engine.state.some((e) => e.id === other.id)) problems.push("the foreign server was adopted");
  }),
  // Issue 17: one 429 failed the refresh of a fleet (its roster listed servers without retrying).
  ...[1, 3].map((times) =>
    special(`fleet: ${times} 429 with Retry-After on the list during a refresh`, async (lane, engine, _foreign, problems) => {
      const prog = program(1, `refresh429-${times}`, "fleet");
      await converge(engine, prog, "v1", problems);
      await lane.control.fault({ method: "GET", route: "/v1/game-servers", times, status: 429, retryAfterSeconds: 1 });
      if (!(await engine.refresh())) problems.push(`refresh failed: ${engine.errors.join(" | ")}`);
      await converge(engine, prog, "after refresh", problems);
    }),
  ),
  // Issue 17: a real API fills in defaults and adds fields over time; nobody changed anything.
  ...(["servers", "fleet"] as const).map((shape) =>
    special(
      `${shape === "fleet" ? "fleet: " : ""}the API fills in defaults and adds fields: unchanged ups write nothing`,
      async (lane, engine, _foreign, problems) => {
        await lane.control.config({ extraFields: { server: { billingTier: "pro" }, configuration: { antiCheatLevel: "strict" } } });
        const prog = program(1, `fill-${shape}`, shape);
        await converge(engine, prog, "v1", problems);
        const writes = async () => {
          const byRoute = (await lane.control.stats()).requests.byRoute;
          return ["POST /v1/game-servers", "PATCH /v1/game-servers/:id", "DELETE /v1/game-servers/:id"].reduce(
            (n, r) => n + (byRoute[r] ?? 0),
            0,
          );
        };
        const before = await writes();
        if (!(await engine.up(prog))) problems.push(`unchanged up failed: ${engine.errors.join(" | ")}`);
        if (!(await engine.refresh())) problems.push(`refresh failed: ${engine.errors.join(" | ")}`);
        if (!(await engine.up(prog))) problems.push(`unchanged up after refresh failed: ${engine.errors.join(" | ")}`);
        const sent = (await writes()) - before;
        if (sent !== 0) problems.push(`two unchanged ups sent ${sent} writes`);
      },
    ),
  ),
  ...[-600_000, 600_000].map((offset) =>
    special(`the API's clock skewed ${offset / 60_000} min, a lost create`, async (lane, engine, _foreign, problems) => {
      await lane.control.config({ clockOffsetMs: offset });
      await lane.control.fault({ method: "POST", route: "/v1/game-servers", times: 3, commitThenFail: true });
      await converge(engine, program(1, `skew${offset}`), "skewed", problems);
      const posts = await lane.control.hits("POST /v1/game-servers");
      if (posts !== 3) problems.push(`${posts} creates were sent for 3 servers`);
    }),
  ),
];

/** The program as the resource classes send it from one stack: every input names that stack. */
function inStack(prog: DeclaredServer[], stack: string): DeclaredServer[] {
  const tagged = (inputs: Record<string, unknown> | undefined) =>
    inputs ? { ...inputs, __stack: `organization/cup/${stack}` } : undefined;
  // The roster's class sends no stack: it creates no server.
  return prog.map((d) =>
    d.provider === providers.roster
      ? d
      : {
          ...d,
          inputs:
            typeof d.inputs === "function"
              ? (state: StateEntry[]) => tagged((d.inputs as (s: StateEntry[]) => Record<string, unknown>)(state))
              : tagged(d.inputs)!,
        },
  );
}

/** Both stacks' states as one: every live server must be in exactly one of them, once. */
function bothStacks(dev: MiniEngine, prod: MiniEngine): MiniEngine {
  return { state: [...dev.state, ...prod.state] } as MiniEngine;
}

/** Waits until `n` servers exist (live or not) in the lane's organization. */
async function untilMade(lane: Lane, n: number): Promise<void> {
  for (let i = 0; i < 400 && (await lane.client.gameServers.list({ includeDeleted: true })).total < n; i++)
    await new Promise((r) => setTimeout(r, 5));
}

/**
 * Two stacks of one project in one directory: their provider hosts share the create
 * journal's directory, and their programs the resource names. `orgs: 2` gives prod an API key of
 * another organization.
 */
function twoStacks(
  orgs: 1 | 2,
  name: string,
  body: (ctx: { lane: Lane; dev: MiniEngine; prod: MiniEngine; problems: string[] }) => Promise<void>,
): Scenario {
  return {
    name: `two stacks, ${orgs === 1 ? "one organization" : "two organizations"}: ${name}`,
    async run(lane, provider) {
      const problems: string[] = [];
      const prodKey = orgs === 1 ? lane.apiKey : await lane.control.key("org_prod", LANE_SCOPES);
      lane.secrets.add(prodKey);
      const prodClient = new GameServersClient({ apiKey: prodKey, baseUrl: lane.emulator.url });
      const prodHost = await startHost(lane, prodKey);
      const dev = new MiniEngine(lane.host, provider);
      const prod = new MiniEngine(prodHost, provider);
      const clients = orgs === 1 ? [lane.client] : [lane.client, prodClient];
      try {
        await body({ lane, dev, prod, problems });
        problems.push(...(await invariant(lane, bothStacks(dev, prod), new Map(), false, clients)).map((p) => `after both: ${p}`));
        await lane.control.call("DELETE", "/_emulator/faults");
        // Tearing down the rehearsal never touches the event's servers.
        for (let attempt = 0; attempt < 3 && (attempt === 0 || dev.state.length > 0); attempt++) await dev.destroy();
        problems.push(...(await invariant(lane, prod, new Map(), false, clients)).map((p) => `after dev's destroy: ${p}`));
        for (let attempt = 0; attempt < 3 && (attempt === 0 || prod.state.length > 0); attempt++) await prod.destroy();
        problems.push(...(await invariant(lane, prod, new Map(), true, clients)).map((p) => `after both destroys: ${p}`));
        problems.push(...leaks(lane, dev, provider), ...leaks({ ...lane, host: prodHost }, prod, provider));
      } finally {
        engineHostOf(dev, lane);
        await prodHost.stop();
        await prodClient.close();
      }
      return problems;
    },
  };
}

/** A scenario that replaced dev's host leaves the new one as the lane's. */
function engineHostOf(dev: MiniEngine, lane: Lane): void {
  lane.host = dev.host;
}

const STACKS: Scenario[] = [
  // Same resource names in both stacks (the fixed-name final apart: in one organization prod's
  // would rightly be refused while dev's carries the name), and a long boot, so that dev's first
  // create is still under way, its journal entry written, when prod's run comes to that resource.
  ...([1, 2] as const).map((orgs) =>
    twoStacks(orgs, "prod's up while dev's first server boots", async ({ lane, dev, prod, problems }) => {
      await lane.control.config({ bootDelayMs: 1000 });
      const devProgram = inStack(program(1, "stacks-dev"), "dev");
      const devUp = dev.up(devProgram);
      await untilMade(lane, 1);
      await converge(prod, inStack(program(2, "stacks-prod"), "prod"), "prod", problems);
      // On a loaded machine a boot can outlast the program's 2 s readyTimeoutSeconds: run it again.
      if (!(await devUp)) await converge(dev, devProgram, "dev", problems);
      const devIds = new Set(dev.state.map((e) => e.id));
      if (prod.state.some((e) => devIds.has(e.id))) problems.push("prod's state holds a server of dev's");
    }),
  ),
  ...([1, 2] as const).map((orgs) =>
    twoStacks(orgs, "dev's host killed after its first POST, then prod's up, then dev's", async ({ lane, dev, prod, problems }) => {
      await lane.control.config({ bootDelayMs: 1000 });
      const devProgram = inStack(program(1, "killed-dev"), "dev");
      const devUp = dev.up(devProgram).catch(() => false);
      await untilMade(lane, 1);
      dev.host.child.kill("SIGKILL");
      await devUp;
      await lane.control.config({ bootDelayMs: 100 });
      await converge(prod, inStack(program(1, "killed-prod"), "prod"), "prod", problems);
      dev.host = await startHost(lane);
      await converge(dev, devProgram, "dev again", problems);
      // Dev's orphan is adopted by dev alone: three servers for each stack.
      const made = (await lane.client.gameServers.list({ includeDeleted: true })).total;
      const expected = orgs === 1 ? 6 : 3;
      if (made !== expected) problems.push(`dev's organization made ${made} servers for ${expected}`);
    }),
  ),
  ...(["servers", "fleet"] as const).map((shape) =>
    special(
      `${shape === "fleet" ? "fleet: " : ""}the engine never recorded the creates' answers (CLI killed before its checkpoint), then up`,
      async (lane, engine, _foreign, problems) => {
        const prog = inStack(program(1, `checkpoint-${shape}`, shape), "dev");
        await converge(engine, prog, "v1", problems);
        // What a CLI killed after the provider answered, before its checkpoint, leaves: no state.
        engine.state = [];
        await converge(engine, prog, "after the lost checkpoint", problems);
        const posts = await lane.control.hits("POST /v1/game-servers");
        if (posts !== 3) problems.push(`${posts} creates were sent for 3 servers`);
      },
    ),
  ),
  special("a journal entry written before stacks were told apart is never acted on", async (lane, engine, foreign, problems) => {
    // Another stack's server, and the entry its create left in the old format (keyed by resource alone).
    const body = {
      name: "alpha-legacy1",
      gameType: "cs2",
      region: "eu-central-1",
      configuration: { ...CONFIGURATION, maxPlayers: 10, rconPassword: "legacy-rcon-pass" },
    };
    const intent = intentOf(body as Parameters<typeof intentOf>[0], Date.now() - 1000);
    const other = await lane.client.gameServers.create(body as Parameters<GameServersClient["gameServers"]["create"]>[0]);
    foreign.set(other.id, other.name);
    lane.secrets.add("legacy-rcon-pass");
    mkdirSync(lane.journalDir, { recursive: true });
    const file = `${createHash("sha256").update("auto:alpha").digest("hex").slice(0, 32)}.json`;
    writeFileSync(path.join(lane.journalDir, file), JSON.stringify(intent));
    await converge(engine, inStack(program(1, "legacy"), "prod"), "with a legacy entry", problems);
    if (engine.state.some((e) => e.id === other.id)) problems.push("the legacy entry's server was adopted");
    if (!lane.host.output.includes("older pulumi-gameservers")) problems.push("the legacy entry was not reported");
    if (existsSync(path.join(lane.journalDir, file))) problems.push("the legacy entry was left in place");
  }),
];

function hostConfig(lane: Lane, apiKey: string): Record<string, string> {
  return {
    "gameservers:apiKey": apiKey,
    "gameservers:apiUrl": lane.emulator.url,
    "gameservers:pollIntervalMs": "20",
    "gameservers:requestTimeoutMs": String(TIMEOUT_MS),
  };
}

async function startHost(lane: Lane, apiKey = lane.apiKey): Promise<ProviderHost> {
  const host = await ProviderHost.start(ROOT, { GAMESERVERS_JOURNAL_DIR: lane.journalDir });
  await host.configure(hostConfig(lane, apiKey));
  return host;
}

/** The serialized providers of a fleet's two resource types. */
const providers = { fleet: "", roster: "" };

describe("fault matrix", () => {
  const lanes: Lane[] = [];
  let provider: string;
  beforeAll(async () => {
    provider = await serializedProvider();
    providers.fleet = await serializedProvider(ROOT, "pulumi-gameservers/fleet-provider");
    providers.roster = await serializedProvider(ROOT, "pulumi-gameservers/roster-provider");
    for (let i = 0; i < LANES; i++) {
      const emulator = await startEmulator();
      const lane = {
        emulator,
        control: new Control(emulator.url),
        client: new GameServersClient({ apiKey: emulator.apiKey, baseUrl: emulator.url }),
        journalDir: mkdtempSync(path.join(tmpdir(), "gameservers-journal-")),
        apiKey: emulator.apiKey,
        secrets: new Set<string>(),
      } as Lane;
      lane.host = await startHost(lane);
      lanes.push(lane);
    }
  });
  afterAll(async () => {
    for (const lane of lanes) {
      await lane.host.stop();
      await lane.client.close();
      await lane.emulator.close();
      rmSync(lane.journalDir, { recursive: true, force: true });
    }
  });

  it("every scenario holds the invariant", { timeout: 280_000 }, async () => {
    const scenarios: Scenario[] = [];
    for (const call of CALLS)
      for (const fault of Object.keys(FAULTS)) for (const sustained of [false, true]) scenarios.push(faultScenario(call, fault, sustained));
    scenarios.push(...SPECIALS, ...STACKS);
    // The same matrix over a fleet's shape (one FleetServers part that creates without
    // waiting, one roster that waits): every call and fault once, and sustained where the fleet
    // has logic of its own (the waits' reads, its creates, the two steps of a replacement).
    for (const call of CALLS) {
      for (const fault of Object.keys(FAULTS)) {
        scenarios.push(faultScenario(call, fault, false, "fleet"));
        // Sustained too: the waits' reads, and the two steps of a replacement inside the fleet.
        if (call.method === "GET" || call.route === "/v1/game-servers" || call.name === "DELETE of a replaced server")
          scenarios.push(faultScenario(call, fault, true, "fleet"));
      }
    }
    // FAULT_MATRIX_ONLY=<text> runs the scenarios whose name contains it (for debugging one).
    const only = process.env.FAULT_MATRIX_ONLY;
    if (only) scenarios.splice(0, scenarios.length, ...scenarios.filter((s) => s.name.includes(only)));
    const failed: string[] = [];
    const durations: [number, string][] = [];
    let next = 0;
    await Promise.all(
      lanes.map(async (lane) => {
        for (let i = next++; i < scenarios.length; i = next++) {
          const scenario = scenarios[i]!;
          // Each scenario starts from a clean API: servers, faults, counters and settings reset.
          await lane.control.reset();
          lane.host.output = "";
          lane.secrets = new Set([lane.emulator.apiKey]);
          if (lane.apiKey !== lane.emulator.apiKey) {
            lane.apiKey = lane.emulator.apiKey;
            await lane.client.close();
            lane.client = new GameServersClient({ apiKey: lane.apiKey, baseUrl: lane.emulator.url });
            await lane.host.stop();
            lane.host = await startHost(lane);
          }
          let problems: string[];
          const started = Date.now();
          try {
            problems = await scenario.run(lane, provider);
            durations.push([Date.now() - started, scenario.name]);
          } catch (error) {
            problems = [`threw: ${(error as Error).stack}`];
          }
          if (process.env.FAULT_MATRIX_ONLY) console.log(`${scenario.name}: ${Date.now() - started} ms\n${lane.host.output}`);
          if (problems.length > 0) failed.push(`${scenario.name}:\n    ${problems.join("\n    ")}`);
        }
      }),
    );
    const held = scenarios.length - failed.length;
    console.log(`fault matrix: ${held}/${scenarios.length} scenarios hold the invariant`);
    const slowest = durations.sort((a, b) => b[0] - a[0]).slice(0, 5);
    console.log(`slowest: ${slowest.map(([ms, name]) => `${name} ${ms} ms`).join("; ")}`);
    if (failed.length > 0) console.log(`failing scenarios:\n  ${failed.join("\n  ")}`);
    expect(failed).toEqual([]);
  });
});
