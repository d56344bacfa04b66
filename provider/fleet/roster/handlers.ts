/**
 * The FleetRoster dynamic provider's implementation (type
 * `pulumi-nodejs:dynamic/gameservers:FleetRoster`): the one resource of a fleet that waits.
 * A fleet's servers are created without waiting, by its FleetServers parts; this
 * resource then waits for all of them at once, through the shared watcher, and
 * carries the roster (ip, port, connectUrl) that is real when `pulumi up` returns. It owns no
 * server: deleting it deletes nothing.
 */
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { GameServer } from "../../../sdk/index.js";
import { ServerId } from "../../../sdk/schemas/index.js";
import { connect, log, PROGRESS_EVERY_MS } from "../../core/context.js";
import { plannedPartChange } from "../../core/planned-fates.js";
import { describeStoppedFleet, describeStoppedMember, isStopped } from "../../core/stopped.js";
import { settledBy, type WaitOutcome, type Watcher } from "../../core/watcher.js";
import { type CheckFailure, checkFailures } from "../../shared/check-failures.js";
import { DEFAULT_READY_TIMEOUT_SECONDS, type Props } from "../../shared/inputs.js";
import { containsUnknown, UNKNOWN } from "../../shared/unknown.js";
import type { RosterServer } from "./resource.js";

export { configure } from "../../core/context.js";

const RosterInputs = z.strictObject({
  /** The fleet's name, for progress lines. */
  fleet: z.string().min(1),
  servers: z.record(
    z.string().min(1),
    z.strictObject({
      serverId: ServerId,
      /** false: the server is listed but not waited for (the fleet server's `waitForRunning`). */
      wait: z.boolean().optional(),
    }),
  ),
  readyTimeoutSeconds: z.int().min(1).max(86_400).optional(),
  /** The ids of the fleet's parts (FleetServers), for a preview's diff; not waited on. */
  parts: z.array(z.string()).optional(),
  /**
   * The fleet's deadline as its program set it (ISO 8601; counted from when the fleet's servers
   * were created, so the program's watch and this wait share it): the wait ends at the earlier of this
   * and `readyTimeoutSeconds` from its start. Not compared by diff (it moves every run).
   */
  waitUntil: z.iso.datetime().optional(),
});
type RosterInputs = z.infer<typeof RosterInputs>;

export async function check(_olds: Props, news: Props) {
  const failures: CheckFailure[] = [];
  if (!containsUnknown(news.servers)) {
    // The deadline is known once the fleet's servers are: not in a preview that creates them.
    const { __provider: _, ...rest } = news;
    if (rest.waitUntil === UNKNOWN) delete rest.waitUntil;
    const parsed = RosterInputs.safeParse(rest);
    if (!parsed.success) failures.push(...checkFailures(parsed.error.issues, { type: "FleetRoster" }));
  }
  return { inputs: news, failures };
}

export async function diff(_id: string, olds: Props, news: Props) {
  const timeoutChanged = (olds.readyTimeoutSeconds ?? null) !== (news.readyTimeoutSeconds ?? null);
  if (news.servers === UNKNOWN || containsUnknown(news.servers)) {
    // In a preview the servers' ids arrive unknown when a part is updated (the engine gives an
    // updated dynamic resource its new inputs as outputs): the parts' own diffs said whether
    // any server comes or goes (see planned-fates.ts).
    const parts = news.parts;
    const same =
      Array.isArray(parts) &&
      !containsUnknown(parts) &&
      isDeepStrictEqual(parts, olds.parts) &&
      parts.every((part) => plannedPartChange(part) === false);
    return { changes: !same || timeoutChanged, replaces: [], deleteBeforeReplace: false };
  }
  // Compare what the roster is for: which server stands under which key, and the deadline.
  const ids = (p: Props) =>
    JSON.stringify(
      Object.entries((p.servers ?? {}) as Record<string, { serverId?: unknown; wait?: unknown }>)
        .map(([k, s]) => [k, s?.serverId, s?.wait ?? true])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  const changes = ids(olds) !== ids(news) || timeoutChanged;
  return { changes, replaces: [], deleteBeforeReplace: false };
}

export async function create(raw: Props): Promise<{ id: string; outs: Props }> {
  const id = `roster-${randomBytes(6).toString("hex")}`;
  return { id, outs: await waitForAll(id, raw, {}) };
}

export async function update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  return { outs: await waitForAll(id, news, parseRoster(olds).servers) };
}

/** Refresh: every server as the API has it now, read in batches. */
export async function read(id: string, props: Props) {
  const inputs = parseRoster(props);
  const { watcher } = connect();
  const seen = await watcher.readAll(Object.values(inputs.servers).map((s) => s.serverId));
  const previous = (props.servers ?? {}) as Record<string, RosterServer>;
  const servers: Record<string, RosterServer> = {};
  for (const [key, s] of Object.entries(inputs.servers)) {
    const server = seen.get(s.serverId);
    servers[key] =
      server === undefined
        ? (previous[key] ?? unknownServer(s.serverId))
        : server === "gone"
          ? goneServer(s.serverId)
          : rosterEntry(server);
    if (s.wait === false) servers[key] = { ...servers[key]!, wait: false };
  }
  return { id, props: { ...props, servers } };
}

export async function del(): Promise<void> {
  // The roster owns no server: the fleet's FleetServers resource deletes them.
}

export { del as delete };

/**
 * Waits for every waited server of the roster; outputs the roster, or fails keeping it in state.
 * `before` is the roster the state held (none on create): a key whose server is not the one it
 * held has a server this run created, whose time to run the last line gives.
 */
async function waitForAll(id: string, raw: Props, before: RosterInputs["servers"]): Promise<Props> {
  const inputs = parseRoster(raw);
  const { watcher } = connect();
  const label = `GameServerFleet "${inputs.fleet}"`;
  const started = Date.now();
  const timeoutSeconds = inputs.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS;
  const deadline = Math.min(started + timeoutSeconds * 1000, inputs.waitUntil ? Date.parse(inputs.waitUntil) : Number.POSITIVE_INFINITY);
  // Said of a server that timed out.
  const until =
    deadline < started + timeoutSeconds * 1000
      ? `at the fleet's deadline (readyTimeoutSeconds ${timeoutSeconds}, counted from when its servers were created)`
      : `after ${timeoutSeconds} s`;
  const entries = Object.entries(inputs.servers);
  const waited = entries.filter(([, s]) => s.wait !== false);
  let running = 0;
  let lastProgress = started;
  // Read them all first: servers the program already saw running (see ../addresses.ts), or
  // that ran before this update, need no wait.
  const current = waited.length > 0 ? await readNow(watcher, waited) : new Map<string, GameServer | "gone">();
  const pending = waited.filter(([, s]) => settledBy(current.get(s.serverId)) === undefined);
  if (pending.length > 0)
    log(
      label,
      `waiting for ${pending.length} server${pending.length === 1 ? "" : "s"} to run (up to ${Math.max(0, Math.ceil((deadline - started) / 1000))} s)`,
    );

  const outcomes = new Map<string, WaitOutcome>();
  await Promise.all(
    waited.map(async ([key, s]) => {
      const outcome =
        settledBy(current.get(s.serverId)) ??
        (await watcher.wait(s.serverId, {
          deadline,
          onChange: (server, previous) => {
            if (previous !== undefined && server.lastAllocationError && server.status !== "running") {
              log(label, `${key} (${server.id}): ${previous} -> ${server.status}: ${server.lastAllocationError}`);
            }
          },
        }));
      outcomes.set(key, outcome);
      if (outcome.kind === "running") running++;
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_EVERY_MS && outcomes.size < waited.length) {
        lastProgress = now;
        // The roster's own wait: it starts once the fleet's servers exist (see ../resource.ts).
        log(label, `${running}/${waited.length} running, after waiting ${Math.round((now - started) / 1000)} s`);
      }
    }),
  );

  // Servers not waited for are listed as the API has them now.
  const unwaited = entries.filter(([, s]) => s.wait === false);
  const seen = unwaited.length > 0 ? await watcher.readAll(unwaited.map(([, s]) => s.serverId)) : new Map<string, GameServer | "gone">();
  const servers: Record<string, RosterServer> = {};
  const problems: string[] = [];
  // Stopped by the platform (autoStop): marked and said, never a failure of `up`.
  const stopped: [string, GameServer][] = [];
  for (const [key, s] of entries) {
    const outcome = outcomes.get(key);
    if (!outcome) {
      const server = seen.get(s.serverId);
      servers[key] = server === undefined ? unknownServer(s.serverId) : server === "gone" ? goneServer(s.serverId) : rosterEntry(server);
      if (server !== undefined && server !== "gone" && isStopped(server)) stopped.push([key, server]);
      continue;
    }
    switch (outcome.kind) {
      case "running":
        servers[key] = rosterEntry(outcome.server);
        break;
      case "failed":
        servers[key] = rosterEntry(outcome.server);
        if (isStopped(outcome.server)) {
          stopped.push([key, outcome.server]);
          break;
        }
        problems.push(
          `${key} (${s.serverId}) is ${outcome.server.status} after ${outcome.server.allocationAttempts} allocation attempts` +
            `${outcome.server.lastAllocationError ? `: ${outcome.server.lastAllocationError}` : ""}; \`pulumi up --refresh\` replaces it`,
        );
        break;
      case "gone":
        servers[key] = goneServer(s.serverId);
        problems.push(`${key} (${s.serverId}) was deleted outside Pulumi; \`pulumi up --refresh\` creates it again`);
        break;
      case "timeout":
        servers[key] = outcome.server ? rosterEntry(outcome.server) : unknownServer(s.serverId);
        problems.push(`${key} (${s.serverId}) is still ${outcome.lastStatus} ${until}; the next \`pulumi up\` waits again`);
        break;
    }
  }
  for (const [key, s] of entries) if (s.wait === false) servers[key] = { ...servers[key]!, wait: false };
  // Every waited server runs: a stopped one does not.
  const allRun = problems.length === 0 && !stopped.some(([key]) => inputs.servers[key]?.wait !== false);
  const outs = { ...raw, servers, readyAt: allRun ? new Date().toISOString() : null };
  // Waited for and stopped: not running, yet no failure (see core/stopped.ts).
  const stoppedWaited = stopped.map(([key]) => key).filter((key) => inputs.servers[key]?.wait !== false);
  if (stopped.length > 0) {
    const keys = stopped.map(([key]) => key);
    // A count only of servers waited for: a fleet that waits for none has none to count.
    if (problems.length === 0 && stoppedWaited.length > 0)
      log(label, `${running}/${waited.length} running; ${stoppedWaited.length} stopped (${stoppedWaited.join(", ")})`);
    for (const [key, server] of stopped) log(label, describeStoppedMember(key, { ...server, serverId: server.id }, "api"));
    log(label, describeStoppedFleet(keys));
  }
  if (problems.length > 0) {
    // Every waited server that does not run is counted, a stopped one too (said above, not a failure).
    const also =
      stoppedWaited.length > 0 ? ` (${stoppedWaited.length} stopped by the platform, said above: ${stoppedWaited.join(", ")})` : "";
    const message = `${label}: ${running}/${waited.length} servers running; ${waited.length - running} not${also}:\n  - ${problems.join("\n  - ")}`;
    // Kept in state with what is known; the next `pulumi up` calls update, which waits again.
    throw Object.assign(new Error(message), { id, properties: outs, reasons: [message] });
  }
  if (waited.length > 0 && allRun) {
    const fresh = waited.filter(([key, s]) => before[key]?.serverId !== s.serverId);
    const ran = fresh.map(([key]) => outcomes.get(key)).flatMap((o) => (o?.kind === "running" ? [o.server] : []));
    const took = timeToRun(
      fresh.length === waited.length,
      fresh.map(([key]) => key),
      ran,
    );
    log(label, `all ${waited.length} running${took}`);
  }
  return outs;
}

/**
 * What the last line adds to `all N running`: how long the servers this run created took to run,
 * on the API's clock, from the first of their creates it accepted (`createdAt`) to the last of them
 * running (`updatedAt`, which that change of status set). Not the roster's own wait: it starts
 * once the program has seen the servers run (see ../addresses.ts), so it mostly takes one read.
 * Servers an earlier run created are not timed; nothing is said when no server is new, or a time is
 * missing. `, 1.5 s after their creates were accepted` (every server new), or `; final-1 (new) ran
 * 1.5 s after its create was accepted`.
 */
function timeToRun(allNew: boolean, keys: string[], servers: GameServer[]): string {
  if (keys.length === 0 || servers.length !== keys.length) return "";
  const accepted = Math.min(...servers.map((s) => Date.parse(s.createdAt)));
  const ran = Math.max(...servers.map((s) => Date.parse(s.updatedAt)));
  if (!Number.isFinite(accepted) || !Number.isFinite(ran)) return "";
  const seconds = (Math.max(0, ran - accepted) / 1000).toFixed(1);
  const one = keys.length === 1;
  const after = `${seconds} s after ${one ? "its create was" : "their creates were"} accepted`;
  if (allNew) return `, ${after}`;
  const shown = keys.length > 8 ? `${keys.slice(0, 8).join(", ")} and ${keys.length - 8} more` : keys.join(", ");
  return one ? `; ${shown} (new) ran ${after}` : `; the ${keys.length} new ones (${shown}) ran ${after}`;
}

/** The waited servers as the API has them now; none when that read fails (the waits then read again). */
async function readNow(watcher: Watcher, waited: [string, { serverId: string }][]): Promise<Map<string, GameServer | "gone">> {
  try {
    return await watcher.readAll(waited.map(([, s]) => s.serverId));
  } catch {
    return new Map();
  }
}

function parseRoster(raw: Props): RosterInputs {
  const { __provider: _, servers: _s, readyAt: _r, ...rest } = raw;
  // Outputs carry the roster too: read the inputs' shape back from `servers`' ids.
  const servers: RosterInputs["servers"] = {};
  for (const [key, s] of Object.entries((raw.servers ?? {}) as Record<string, { serverId?: unknown; wait?: unknown }>)) {
    if (typeof s?.serverId === "string") servers[key] = { serverId: s.serverId, ...(s.wait === false ? { wait: false } : {}) };
  }
  return {
    fleet: typeof rest.fleet === "string" ? rest.fleet : "?",
    servers,
    readyTimeoutSeconds: typeof rest.readyTimeoutSeconds === "number" ? rest.readyTimeoutSeconds : undefined,
    waitUntil: typeof rest.waitUntil === "string" && !Number.isNaN(Date.parse(rest.waitUntil)) ? rest.waitUntil : undefined,
  };
}

function rosterEntry(server: GameServer): RosterServer {
  // A stopped server takes no player: never list an address an answer may still carry.
  const live = !isStopped(server);
  return {
    serverId: server.id,
    name: server.name,
    region: server.region,
    status: server.status,
    ip: live ? server.ip : null,
    port: live ? server.port : null,
    connectUrl: live ? server.connectUrl : null,
  };
}

function goneServer(serverId: string): RosterServer {
  return { serverId, name: null, region: null, status: "deleted", ip: null, port: null, connectUrl: null };
}

function unknownServer(serverId: string): RosterServer {
  return { serverId, name: null, region: null, status: "unknown", ip: null, port: null, connectUrl: null };
}
