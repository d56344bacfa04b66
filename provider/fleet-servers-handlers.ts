/**
 * The FleetServers dynamic provider's implementation (type
 * `pulumi-nodejs:dynamic/gameservers:FleetServers`): one part of a GameServerFleet's servers
 * (see `partOf` in fleet.ts). One engine operation creates the part's servers at once and
 * returns as soon as the API accepted each one, so every id is in the state before anything
 * waits; the fleet's FleetRoster then waits for all of them. The parts' requests share one
 * first-come-first-served queue ({@link IN_FLIGHT} in flight), so the part that started first
 * returns first.
 *
 * Each server is handled by the GameServer provider's own create, update, delete and read
 * (handlers.ts): the same exactly-once create, journal, fixed-name rules and replacement rules,
 * server by server. A change touches only the servers it concerns: a key added is created, a
 * key removed is deleted, a changed server is updated in place or replaced (a fixed name
 * delete-before-create, an auto-name create-before-delete), and the rest get no request at all.
 * When some servers fail, the others' results are kept: the resource stays in the state with
 * every server that exists, and the next `pulumi up` finishes the rest.
 */
import { randomBytes } from "node:crypto";
import { UNRESOLVED_ID_PREFIX } from "../sdk/internal/index.js";
import { connect, log, PROGRESS_EVERY_MS } from "./core/context.js";
import { planPart, planServer } from "./core/planned-fates.js";
import { describeStoppedFleet, describeStoppedMember, isStopped } from "./core/stopped.js";
import { pack, SHARED_OUTPUTS, SHARED_SETTINGS, unpackAll } from "./fleet-pack.js";
import { diffInputs, type DroppedKey } from "./game-server/diff.js";
import * as server from "./game-server/handlers.js";
import { checkInputs } from "./game-server/inputs.js";
import { declaredConfigurationOf } from "./game-server/outputs.js";
import type { CheckFailure } from "./shared/check-failures.js";
import { isRecord, type Props, STACK_INPUT } from "./shared/inputs.js";
import { Limiter } from "./shared/limiter.js";
import { containsUnknown, UNKNOWN } from "./shared/unknown.js";

export { configure } from "./core/context.js";

/** Server steps in flight at once in the provider host, every fleet part's together: the SDK's connection pool per origin. */
export const IN_FLIGHT = 32;
/** A server's password inputs: kept in `passwords`, the resource's one secret output. */
const PASSWORD_KEYS = ["rconPassword", "serverPassword"] as const;
/** What a fleet server's inputs may hold (the GameServer inputs a fleet declares, passwords apart). */
const SPEC_KEYS = [
  "name",
  "autoNamePrefix",
  "gameType",
  "region",
  "configuration",
  "autoStop",
  "autostopMinutes",
  "readyTimeoutSeconds",
  "replaceIfStopped",
];
const FLEET_INPUTS = ["fleet", "common", "servers", "passwords"];
/** Inputs the fleet's class sets itself, never the program: not listed in errors. */
const HIDDEN_INPUTS = ["__provider", STACK_INPUT];

interface Fleet {
  fleet: string;
  servers: Record<string, Props>;
}

/** What one server's step ended with: its state (outputs and id), or nothing left of it. */
type Outcome =
  | { kind: "ok"; id: string; outs: Props }
  | { kind: "gone" }
  | { kind: "failed"; error: Error; kept?: { id: string; outs: Props } };

function labelOf(fleet: unknown): string {
  return `GameServerFleet "${typeof fleet === "string" && fleet ? fleet : "?"}"`;
}

// ---- check and diff: pure, never call the API --------------------------------------------

export async function check(packedOlds: Props, packedNews: Props) {
  const [olds, news] = [whole(packedOlds), whole(packedNews)];
  const failures: CheckFailure[] = [];
  const inputs: Props = { ...news };
  for (const key of Object.keys(news)) {
    if (!HIDDEN_INPUTS.includes(key) && !FLEET_INPUTS.includes(key))
      failures.push({ property: key, reason: `${key} is not an input of FleetServers (inputs: ${FLEET_INPUTS.join(", ")})` });
  }
  if (typeof news.fleet !== "string" || !news.fleet) failures.push({ property: "fleet", reason: "fleet must be the fleet's name" });
  const servers = news.servers;
  // A preview may not know them yet: checked when they are.
  if (servers === UNKNOWN || packedNews.common === UNKNOWN) return { inputs: packedNews, failures };
  if (!isRecord(servers)) {
    failures.push({ property: "servers", reason: "servers must be an object of servers by key" });
    return { inputs, failures };
  }
  const oldServers = isRecord(olds.servers) ? olds.servers : {};
  const passwords = isRecord(news.passwords) ? news.passwords : {};
  const checked: Record<string, Props> = {};
  for (const [key, spec] of Object.entries(servers)) {
    if (spec === UNKNOWN) {
      checked[key] = spec as unknown as Props;
      continue;
    }
    if (!isRecord(spec)) {
      failures.push({ property: "servers", reason: `servers.${key} must be an object of server settings` });
      continue;
    }
    const { spread, ...settings } = spec;
    for (const k of Object.keys(settings)) {
      if (!SPEC_KEYS.includes(k))
        failures.push({ property: "servers", reason: `servers.${key}.${k} is not a setting of a fleet's server` });
    }
    const secret = isRecord(passwords[key]) ? (passwords[key] as Props) : {};
    const old = isRecord(oldServers[key]) ? (oldServers[key] as Props) : {};
    if (spread !== undefined) {
      if (isRegionList(spread)) settings.region = keptRegion(settings.region, spread, old.region);
      else failures.push({ property: "servers", reason: `servers.${key}.spread must be the fleet's regions (a list of region codes)` });
    }
    const result = checkInputs(old, { ...settings, ...secret });
    for (const f of result.failures) failures.push({ property: "servers", reason: `servers.${key}: ${f.reason}` });
    checked[key] = specOf(result.inputs);
  }
  // Stored and sent on in the compact form: what every server shares, once.
  return { inputs: { ...inputs, ...pack(checked, SHARED_SETTINGS) }, failures };
}

/**
 * The region of a server the fleet's `regions` deal (`spread` in its inputs): the one it had
 * (the inputs the last check returned) while that is still in the list, so that adding, removing,
 * pinning or reordering other servers never moves it (issue 17 point 5), and a stack the older
 * round-robin deployed keeps its servers; else the region the program dealt it. Runs alike in
 * preview and up: the previous inputs are known in both.
 */
export function keptRegion(dealt: unknown, regions: readonly string[], current: unknown): unknown {
  return typeof current === "string" && regions.includes(current) ? current : dealt;
}

function isRegionList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((r) => typeof r === "string");
}

/** A server's settings as this resource stores them: the spec keys only (no passwords, no wait flag). */
function specOf(inputs: Props): Props {
  const out: Props = {};
  for (const k of SPEC_KEYS) if (inputs[k] !== undefined) out[k] = inputs[k];
  return out;
}

/** What each server's change is: created, deleted, replaced, updated (and which settings), or nothing. */
interface Plan {
  create: string[];
  delete: string[];
  replace: Map<string, string[]>;
  update: Map<string, string[]>;
}

function plan(olds: Props, news: Props): Plan {
  const result: Plan = { create: [], delete: [], replace: new Map(), update: new Map() };
  const oldServers = (isRecord(olds.servers) ? olds.servers : {}) as Record<string, Props>;
  const newServers = news.servers;
  if (!isRecord(newServers)) return result;
  for (const key of Object.keys(oldServers)) if (!(key in newServers)) result.delete.push(key);
  for (const [key, spec] of Object.entries(newServers)) {
    const old = oldServers[key];
    if (!old) {
      result.create.push(key);
      continue;
    }
    if (!isRecord(spec)) {
      // A preview's unknown: it may change.
      result.update.set(key, ["not known yet"]);
      continue;
    }
    const id = typeof old.id === "string" ? old.id : "";
    if (id.startsWith(UNRESOLVED_ID_PREFIX)) {
      result.replace.set(key, ["status"]);
      continue;
    }
    const { replaces, updates, dropped, configurationChanged } = diffInputs(serverOutputs(olds, key), serverInputs(news, key, spec));
    if (replaces.length > 0) result.replace.set(key, replaces);
    else if (updates.length > 0) {
      // A dropped key is named with what happens to it; "configuration" alone means a declared value changes.
      const named = updates.filter((u) => u !== "declaredConfiguration" && (u !== "configuration" || configurationChanged));
      result.update.set(key, [...named, ...dropped.map(droppedNote)]);
    }
  }
  return result;
}

export async function diff(id: string, packedOlds: Props, packedNews: Props) {
  const [olds, news] = [whole(packedOlds), whole(packedNews)];
  if (news.servers === UNKNOWN || packedNews.common === UNKNOWN || containsUnknown(news.fleet))
    return { changes: true, replaces: [], deleteBeforeReplace: false };
  settleCreates(olds, packedNews);
  const p = plan(olds, news);
  // What becomes of each server, for the resources that take its id (see planned-fates.ts).
  for (const [key, old] of Object.entries((isRecord(olds.servers) ? olds.servers : {}) as Record<string, Props>)) {
    planServer(old.id, p.replace.has(key) || p.delete.includes(key) ? "replaced" : "kept");
  }
  planPart(id, p.create.length + p.delete.length + p.replace.size > 0);
  const changes = p.create.length + p.delete.length + p.replace.size + p.update.size > 0;
  // The engine shows this resource as one update: say which servers it touches, and how.
  if (changes) log(labelOf(news.fleet), describe(p));
  // Servers the platform stopped, from the state (diff never calls the API); an update says it
  // from what it learns instead.
  else reportStopped(news.fleet, olds.servers, () => "state");
  return { changes, replaces: [], deleteBeforeReplace: false };
}

/** A key a server's program no longer declares, for the plan's line (inputs.ts `describeDropped` says it whole). */
function droppedNote(d: DroppedKey): string {
  return "reset" in d
    ? `configuration.${d.key} back to its default ${JSON.stringify(d.reset)}`
    : `configuration.${d.key} no longer declared: no documented default, the server keeps ${JSON.stringify(d.value)}`;
}

/** Keys for a line: the first 8, then how many more. */
function list(keys: string[]): string {
  return keys.length > 8 ? `${keys.slice(0, 8).join(", ")} and ${keys.length - 8} more` : keys.join(", ");
}

function describe(p: Plan): string {
  const parts: string[] = [];
  const detailed = (m: Map<string, string[]>) => list([...m].map(([k, why]) => `${k} (${why.join(", ")})`));
  if (p.create.length) parts.push(`creates ${list(p.create)}`);
  if (p.replace.size) parts.push(`replaces ${detailed(p.replace)}`);
  if (p.update.size) parts.push(`updates ${detailed(p.update)}`);
  if (p.delete.length) parts.push(`deletes ${list(p.delete)}`);
  return `${parts.join("; ")}; every other server is left alone`;
}

// ---- create, update, delete, read --------------------------------------------------------

export async function create(packed: Props): Promise<{ id: string; outs: Props }> {
  const raw = whole(packed);
  const id = `fleet-${randomBytes(6).toString("hex")}`;
  const fleet = parseFleet(raw);
  const outcomes = await eachServer(Object.keys(fleet.servers), (key) => createServer(raw, fleet, key), progress(fleet.fleet, "created"));
  return { id, outs: finish(id, raw, fleet, outcomes, new Map(), "created", new Set()) };
}

export async function update(id: string, packedOlds: Props, packedNews: Props): Promise<{ outs: Props }> {
  const [olds, news] = [whole(packedOlds), whole(packedNews)];
  const fleet = parseFleet(news);
  settleCreates(olds, packedNews);
  const p = plan(olds, news);
  // What becomes of each server, for the resources that take its id (see planned-fates.ts).
  for (const [key, old] of Object.entries((isRecord(olds.servers) ? olds.servers : {}) as Record<string, Props>)) {
    planServer(old.id, p.replace.has(key) || p.delete.includes(key) ? "replaced" : "kept");
  }
  planPart(id, p.create.length + p.delete.length + p.replace.size > 0);
  const previous = stateOf(olds);
  // Removed servers go first: a fixed name one of them carried is free before another takes it.
  const removed = p.delete.filter((key) => previous.has(key));
  const outcomes = await eachServer(removed, (key) => deleteServer(previous.get(key)!), progress(fleet.fleet, "deleted"));
  const work = new Map<string, () => Promise<Outcome>>();
  for (const key of p.create) work.set(key, () => createServer(news, fleet, key));
  for (const key of p.update.keys()) work.set(key, () => updateServer(news, fleet, key, previous.get(key)!));
  for (const key of p.replace.keys()) work.set(key, () => replaceServer(news, fleet, key, previous.get(key)!));
  const steps = await eachServer([...work.keys()], (key) => work.get(key)!(), progress(fleet.fleet, "done"));
  for (const [key, o] of steps) outcomes.set(key, o);
  // Servers no step touched keep their state as it was.
  const untouched = new Set<string>();
  for (const [key, kept] of previous) {
    if (work.has(key) || !(key in fleet.servers)) continue;
    outcomes.set(key, { kind: "ok", ...kept });
    untouched.add(key);
  }
  return { outs: finish(id, news, fleet, outcomes, previous, "updated", untouched) };
}

export async function del(_id: string, packed: Props): Promise<void> {
  const props = whole(packed);
  const label = labelOf(props.fleet);
  const previous = stateOf(props);
  const outcomes = await eachServer([...previous.keys()], (key) => deleteServer(previous.get(key)!), progress(props.fleet, "deleted"));
  const failed = [...outcomes].filter(([, o]) => o.kind === "failed") as [string, Extract<Outcome, { kind: "failed" }>][];
  if (failed.length > 0) {
    // The resource stays in the state; deleting the deleted ones again is a no-op.
    throw new Error(
      `${label}: ${failed.length} of ${previous.size} servers could not be deleted:\n  - ${failed.map(([k, o]) => `${k}: ${o.error.message}`).join("\n  - ")}`,
    );
  }
  log(label, `deleted ${previous.size} server${previous.size === 1 ? "" : "s"}`);
}

export { del as delete };

/**
 * Refresh: each server as the API has it now; one deleted outside Pulumi leaves the fleet's state.
 * The part's servers are read together from the list's pages, which the other parts and the roster
 * refreshed alongside share (see Watcher.readAll): a `get` per server cost 500 requests for a fleet
 * of 500, and under a rate limit of 10 requests/s, a minute (issue 17).
 */
export async function read(id: string, packed: Props) {
  const props = whole(packed);
  const previous = stateOf(props);
  const servers: Record<string, Props> = {};
  const passwords: Record<string, Props> = {};
  const inputs: Record<string, Props> = {};
  const ids = [...previous.values()].map((kept) => kept.id).filter((serverId) => !serverId.startsWith(UNRESOLVED_ID_PREFIX));
  // A server the batch could not read is read on its own below.
  const seen = ids.length > 0 ? await connect().watcher.readAll(ids) : new Map();
  const outcomes = await eachServer([...previous.keys()], async (key): Promise<Outcome> => {
    const kept = previous.get(key)!;
    // A stopped server is named here, by its key, not by the GameServer provider.
    const got = await server.read(kept.id, kept.outs, { quiet: true, seen: seen.get(kept.id) });
    return got.id ? { kind: "ok", id: got.id, outs: got.props as Props } : { kind: "gone" };
  });
  for (const [key, o] of outcomes) {
    if (o.kind === "failed") throw o.error;
    if (o.kind !== "ok") continue;
    const { server: s, passwords: pw } = split(o.id, o.outs);
    servers[key] = s;
    passwords[key] = pw;
    // Only the configuration keys the program declared are its inputs (issue 17).
    inputs[key] = specOf({ ...s, configuration: declaredConfigurationOf(s) });
  }
  const fleet = props.fleet;
  reportStopped(fleet, servers, () => "api");
  return {
    id,
    props: { fleet, ...pack(servers, SHARED_OUTPUTS), passwords, ...stackOf(props) },
    inputs: { fleet, ...pack(inputs, SHARED_SETTINGS), ...stackOf(props) },
  };
}

// ---- one server ----------------------------------------------------------------------------

/** One server's inputs as the GameServer provider takes them: never waiting (the roster waits). */
function serverInputs(props: Props, key: string, spec: Props): Props {
  const all = props.passwords;
  // A preview may not know the passwords yet: then they may change.
  const pw =
    all === UNKNOWN || (isRecord(all) && all[key] === UNKNOWN)
      ? { rconPassword: UNKNOWN, serverPassword: UNKNOWN }
      : isRecord(all) && isRecord(all[key])
        ? all[key]
        : {};
  const out: Props = { ...spec, waitForRunning: false, __provider: props.__provider, ...stackOf(props) };
  for (const k of PASSWORD_KEYS) if (typeof pw[k] === "string") out[k] = pw[k];
  return out;
}

/** One server's outputs as the GameServer provider wrote them (passwords joined back in). */
function serverOutputs(props: Props, key: string): Props {
  const s = (props.servers as Record<string, Props>)[key] ?? {};
  const { id: _id, ...rest } = s;
  return {
    ...rest,
    rconPassword: passwordOf(props, key, "rconPassword"),
    serverPassword: passwordOf(props, key, "serverPassword"),
    waitForRunning: false,
    __provider: props.__provider,
    ...stackOf(props),
  };
}

/** The hidden input naming the program's stack, when the props have it (states of 0.2 on). */
function stackOf(props: Props): Props {
  return typeof props[STACK_INPUT] === "string" ? { [STACK_INPUT]: props[STACK_INPUT] } : {};
}

/** The engine holds these servers' ids (it sent their state): their creates' journal entries are done. */
function settleCreates(olds: Props, news: Props): void {
  for (const [, kept] of stateOf(olds)) server.settleCreate(kept.id, kept.outs, news);
}

function passwordOf(props: Props, key: string, which: (typeof PASSWORD_KEYS)[number]): string | null {
  const pw = isRecord(props.passwords) ? props.passwords[key] : undefined;
  return isRecord(pw) && typeof pw[which] === "string" ? (pw[which] as string) : null;
}

/** Each server of a state: its id and its outputs as the GameServer provider takes them. */
function stateOf(props: Props): Map<string, { id: string; outs: Props }> {
  const out = new Map<string, { id: string; outs: Props }>();
  for (const [key, s] of Object.entries((isRecord(props.servers) ? props.servers : {}) as Record<string, Props>)) {
    if (isRecord(s) && typeof s.id === "string" && s.id) out.set(key, { id: s.id, outs: serverOutputs(props, key) });
  }
  return out;
}

/**
 * Creates one server. Its journal entry stays until the engine is seen to hold the fleet's
 * state with it (the next diff or update of this part), so a run interrupted before the
 * engine's checkpoint still finds it.
 */
async function createServer(props: Props, fleet: Fleet, key: string): Promise<Outcome> {
  const raw = serverInputs(props, key, fleet.servers[key]!);
  try {
    const { id, outs } = await server.create(raw, { quiet: true });
    return { kind: "ok", id, outs };
  } catch (error) {
    return failure(error);
  }
}

async function updateServer(props: Props, fleet: Fleet, key: string, old: { id: string; outs: Props }): Promise<Outcome> {
  try {
    const { outs } = await server.update(old.id, old.outs, serverInputs(props, key, fleet.servers[key]!), { quiet: true });
    return { kind: "ok", id: old.id, outs };
  } catch (error) {
    return failure(error, old);
  }
}

/** A fixed name is freed first (delete, then create); an auto-named server's replacement is made first. */
async function replaceServer(props: Props, fleet: Fleet, key: string, old: { id: string; outs: Props }): Promise<Outcome> {
  const fixedName = fleet.servers[key]!.autoNamePrefix === undefined;
  if (fixedName || old.id.startsWith(UNRESOLVED_ID_PREFIX)) {
    const deleted = await deleteServer(old);
    if (deleted.kind === "failed") return { ...deleted, kept: old };
    return createServer(props, fleet, key);
  }
  const made = await createServer(props, fleet, key);
  if (made.kind === "failed") {
    // The old server stays this key's; a create whose outcome is unknown keeps its journal
    // entry, so the next run finds whatever its POST made.
    return { ...made, kept: old };
  }
  if (made.kind !== "ok") return made;
  const deleted = await deleteServer(old);
  if (deleted.kind === "failed") {
    // The key can hold one server: keep the old one (the next run replaces it again) and take
    // the new one back, so neither is left outside the state.
    const undone = await deleteServer({ id: made.id, outs: made.outs });
    if (undone.kind === "failed")
      log(
        labelOf(fleet.fleet),
        `${key}: ${made.id} replaces ${old.id}, but neither could be deleted; \`gameservers orphans\` lists ${made.id}`,
      );
    return {
      kind: "failed",
      error: new Error(
        `replacing ${old.id}: deleting it failed (${deleted.error.message}); it stays, and the next \`pulumi up\` replaces it again`,
      ),
      kept: old,
    };
  }
  return made;
}

async function deleteServer(old: { id: string; outs: Props }): Promise<Outcome> {
  try {
    await server.delete(old.id, old.outs, { quiet: true });
    return { kind: "gone" };
  } catch (error) {
    return { kind: "failed", error: error as Error, kept: old };
  }
}

/** A failed step: the server it leaves in the state (an init failure's, else the old one), if any. */
function failure(error: unknown, old?: { id: string; outs: Props }): Outcome {
  const e = error as Error & { id?: unknown; properties?: unknown };
  if (typeof e.id === "string" && e.id && isRecord(e.properties))
    return { kind: "failed", error: e, kept: { id: e.id, outs: e.properties } };
  return { kind: "failed", error: e, ...(old ? { kept: old } : {}) };
}

/**
 * The resource's outputs from every server's outcome. When some step failed, throws the error the
 * host turns into ErrorResourceInitFailed: the state keeps every server that exists, and the next
 * `pulumi up` calls update, which finishes the rest.
 */
function finish(
  id: string,
  raw: Props,
  fleet: Fleet,
  outcomes: Map<string, Outcome>,
  previous: Map<string, unknown>,
  done: string,
  untouched: Set<string>,
): Props {
  const servers: Record<string, Props> = {};
  const passwords: Record<string, Props> = {};
  const problems: string[] = [];
  for (const key of [...Object.keys(fleet.servers), ...[...previous.keys()].filter((k) => !(k in fleet.servers))]) {
    const o = outcomes.get(key);
    if (!o) continue;
    const kept = o.kind === "ok" ? o : o.kind === "failed" ? o.kept : undefined;
    if (o.kind === "failed") problems.push(`${key}: ${o.error.message}`);
    if (!kept) continue;
    const split_ = split(kept.id, kept.outs);
    servers[key] = split_.server;
    passwords[key] = split_.passwords;
  }
  const outs = { fleet: fleet.fleet, ...pack(servers, SHARED_OUTPUTS), passwords, __provider: raw.__provider, ...stackOf(raw) };
  const label = labelOf(fleet.fleet);
  // Every server the platform stopped, touched or not: a run that says nothing of them hides them.
  reportStopped(fleet.fleet, servers, (key) => (untouched.has(key) ? "state" : "api"));
  if (problems.length > 0) {
    const shown = problems.slice(0, 10);
    const message =
      `${label}: ${problems.length} server${problems.length === 1 ? "" : "s"} failed (the others are ${done}; every server that exists stays in the stack and the next \`pulumi up\` finishes the rest):\n  - ` +
      `${shown.join("\n  - ")}${problems.length > shown.length ? `\n  - and ${problems.length - shown.length} more` : ""}`;
    throw Object.assign(new Error(message), { id, properties: outs, reasons: [message] });
  }
  const count = Object.keys(servers).length;
  log(label, `${count} server${count === 1 ? "" : "s"} ${done} (${list(Object.keys(servers))}); the roster waits for them to run`);
  return outs;
}

/**
 * A line per server the platform stopped, by key, then one that says what to do (issue 17 point
 * 6). `servers` are a state's servers by key (whole, not packed); `from` says whether a server's
 * status is the API's answer of this operation or the state's.
 */
function reportStopped(fleet: unknown, servers: unknown, from: (key: string) => "api" | "state"): void {
  if (!isRecord(servers)) return;
  const stopped = Object.entries(servers).filter(([, s]) => isRecord(s) && isStopped(s)) as [string, Props][];
  if (stopped.length === 0) return;
  const label = labelOf(fleet);
  for (const [key, s] of stopped) log(label, describeStoppedMember(key, s, from(key)));
  log(label, describeStoppedFleet(stopped.map(([key]) => key)));
}

/** Splits a GameServer provider's outputs: the server (with its resource id) and its passwords. */
function split(id: string, outs: Props): { server: Props; passwords: Props } {
  const { __provider: _p, [STACK_INPUT]: _s, rconPassword, serverPassword, waitForRunning: _w, ...rest } = outs;
  return { server: { id, ...rest }, passwords: { rconPassword: rconPassword ?? null, serverPassword: serverPassword ?? null } };
}

/** Inputs or state with every server whole (see fleet-pack.ts); everything here works on that form. */
function whole(props: Props): Props {
  if (!isRecord(props.servers)) return props;
  const { common, ...rest } = props;
  return { ...rest, servers: unpackAll(common, props.servers) };
}

function parseFleet(raw: Props): Fleet {
  return {
    fleet: typeof raw.fleet === "string" ? raw.fleet : "?",
    servers: (isRecord(raw.servers) ? raw.servers : {}) as Record<string, Props>,
  };
}

/** A progress line for {@link eachServer}: `GameServerFleet "cup": 250/500 servers created (5 s)`. */
function progress(fleet: unknown, verb: string): (done: number, of: number, elapsedMs: number) => void {
  return (done, of, elapsedMs) => log(labelOf(fleet), `${done}/${of} servers ${verb} (${Math.round(elapsedMs / 1000)} s)`);
}

/**
 * Runs `step` for every key, reporting every {@link PROGRESS_EVERY_MS} while it lasts (a rate
 * limit spreads 500 creates over 10 s); never rejects. Steps take their turn in {@link turns}.
 */
async function eachServer(
  keys: string[],
  step: (key: string) => Promise<Outcome>,
  report?: (done: number, of: number, elapsedMs: number) => void,
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  const started = Date.now();
  const timer = report ? setInterval(() => report(outcomes.size, keys.length, Date.now() - started), PROGRESS_EVERY_MS) : undefined;
  try {
    await Promise.all(
      keys.map((key) =>
        turns.run(async () => {
          try {
            outcomes.set(key, await step(key));
          } catch (error) {
            outcomes.set(key, { kind: "failed", error: error as Error });
          }
        }),
      ),
    );
  } finally {
    clearInterval(timer);
  }
  return outcomes;
}

/**
 * One queue for every fleet part of the provider host, first come first served: the part whose
 * operation started first gets its servers' requests sent first and returns first, so its ids
 * reach the program (which watches them) before the next part's, instead of every part
 * finishing together at the end of a rate-limited run.
 */
const turns = new Limiter(IN_FLIGHT);
