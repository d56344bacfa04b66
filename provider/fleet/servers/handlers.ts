/**
 * The FleetServers provider's implementation: one part of a fleet's servers (see ../parts.ts),
 * each server handled by the GameServer provider's own handlers (steps.ts). A create returns as
 * soon as the API accepted every server, so every id is in the state before anything waits (the
 * fleet's roster waits); a change touches only the servers it concerns (plan.ts); when some
 * servers fail, the state keeps every server that exists and the next `pulumi up` finishes.
 */
import { randomBytes } from "node:crypto";
import { UNRESOLVED_ID_PREFIX } from "../../../sdk/internal/index.js";
import { connect, KeyRefusedError, log } from "../../core/context.js";
import { fleetRemoval, isPlanned, planFleetRemoval, planPolicy, policyOf, previewLiveMatch } from "../../core/live-match.js";
import { planPart, planServer } from "../../core/planned-fates.js";
import { describeStoppedFleet, describeStoppedMember, isStopped } from "../../core/stopped.js";
import * as server from "../../game-server/handlers.js";
import { checkInputs } from "../../game-server/inputs.js";
import { declaredConfigurationOf } from "../../game-server/outputs.js";
import type { CheckFailure } from "../../shared/check-failures.js";
import { isRecord, type Props, STACK_INPUT } from "../../shared/inputs.js";
import { containsUnknown, UNKNOWN } from "../../shared/unknown.js";
import { pack, SHARED_OUTPUTS, SHARED_SETTINGS } from "../pack.js";
import { describe, isRegionList, keptRegion, list, plan } from "./plan.js";
import {
  type Fleet,
  labelOf,
  parseFleet,
  SPEC_KEYS,
  serverOutputs,
  settleCreates,
  specOf,
  split,
  stackOf,
  stateOf,
  whole,
} from "./state.js";
import { createServer, deleteServer, eachServer, type Outcome, progress, replaceServer, updateServer } from "./steps.js";

export { configure } from "../../core/context.js";

const FLEET_INPUTS = ["fleet", "common", "servers", "passwords", "removal"];

/** Inputs the fleet's class sets itself, never the program: not listed in errors. */
const HIDDEN_INPUTS = ["__provider", STACK_INPUT];

// ---- check and diff: no write to the API --------------------------------------------

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
  planRemovals(olds, news, p);
  const changes = p.create.length + p.delete.length + p.replace.size + p.update.size > 0;
  // The engine shows this resource as one update: say which servers it touches, and how.
  if (changes) {
    log(labelOf(news.fleet), describe(p));
    // A running server to be replaced or removed is asked about its players (see live-match.ts).
    await previewLiveMatches(olds, news, fleetSpecs(news), p);
  }
  // Servers the platform stopped, from the state; an update says it from what it learns instead.
  else reportStopped(news.fleet, olds.servers, () => "state");
  return { changes, replaces: [], deleteBeforeReplace: false };
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
  planRemovals(olds, news, p);
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
  // Its servers were removed from the fleet: the fleet's defaults, as another part's diff saw them, rule.
  const removal = typeof props.fleet === "string" ? fleetRemoval(props.fleet) : undefined;
  if (removal) for (const kept of previous.values()) if (!isPlanned(kept.id)) planPolicy(kept.id, removal, "deleting");
  const outcomes = await eachServer([...previous.keys()], (key) => deleteServer(previous.get(key)!), progress(props.fleet, "deleted"));
  const failed = [...outcomes].filter(([, o]) => o.kind === "failed") as [string, Extract<Outcome, { kind: "failed" }>][];
  const refused = refusedLine(outcomes);
  if (refused !== undefined && failed.length === previous.size) throw new Error(`${label}: ${refused}`);
  if (failed.length > 0) {
    // The resource stays in the state; deleting the deleted ones again is a no-op.
    throw new Error(
      `${label}: ${failed.length} of ${previous.size} servers could not be deleted:\n  - ${failed.map(([k, o]) => `${k}: ${o.error.message}`).join("\n  - ")}`,
    );
  }
  if (previous.size > 0) log(label, `deleted ${previous.size} server${previous.size === 1 ? "" : "s"}`);
}

export { del as delete };

/**
 * Refresh: each server as the API has it now; one deleted outside Pulumi leaves the fleet's state.
 * The part's servers are read together from the list's pages, which the other parts and the roster
 * refreshed alongside share (see Watcher.readAll): a `get` per server would cost 500 requests for a
 * fleet of 500, and under a rate limit of 10 requests/s, a minute.
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
    // Only the configuration keys the program declared are its inputs.
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
  // A refused key refused every request: one line, not one per server, and nothing claimed done.
  const refused = refusedLine(outcomes);
  if (refused !== undefined && ![...outcomes].some(([key, o]) => o.kind === "ok" && !untouched.has(key))) {
    const message = `${label}: ${refused}`;
    // With no server of this part left, nothing is kept in the state.
    if (Object.keys(servers).length === 0) throw new Error(message);
    throw Object.assign(new Error(message), { id, properties: outs, reasons: [message] });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10);
    const message =
      `${label}: ${problems.length} server${problems.length === 1 ? "" : "s"} failed (the others are ${done}; every server that exists stays in the stack and the next \`pulumi up\` finishes the rest):\n  - ` +
      `${shown.join("\n  - ")}${problems.length > shown.length ? `\n  - and ${problems.length - shown.length} more` : ""}`;
    throw Object.assign(new Error(message), { id, properties: outs, reasons: [message] });
  }
  // Only the servers this operation touched: the others were left as they were.
  const touched = Object.keys(servers).filter((key) => !untouched.has(key));
  if (touched.length > 0)
    log(label, `${touched.length} server${touched.length === 1 ? "" : "s"} ${done} (${list(touched)}); the roster waits for them to run`);
  return outs;
}

/** Servers removed from the fleet are deleted by the guard settings of the fleet's defaults now (`removal`), when it has any. */
function planRemovals(olds: Props, news: Props, p: ReturnType<typeof plan>): void {
  const removal = policyOf(isRecord(news.removal) ? news.removal : {});
  if (typeof news.fleet === "string") planFleetRemoval(news.fleet, removal);
  if (Object.keys(removal).length === 0) return;
  const oldServers = (isRecord(olds.servers) ? olds.servers : {}) as Record<string, Props>;
  for (const key of p.delete) if (typeof oldServers[key]?.id === "string") planPolicy(oldServers[key].id as string, removal, "deleting");
}

/**
 * For a preview: a line for each running server a replacement or removal would meet players on
 * (the servers asked at once; see live-match.ts).
 */
async function previewLiveMatches(olds: Props, news: Props, specs: Record<string, Props>, p: ReturnType<typeof plan>): Promise<void> {
  const oldServers = (isRecord(olds.servers) ? olds.servers : {}) as Record<string, Props>;
  const asked = [...p.replace.keys(), ...p.delete].filter((key) => oldServers[key]?.status === "running");
  await Promise.all(
    asked.map((key) => {
      const old = oldServers[key]!;
      const replaced = p.replace.has(key);
      const removal = policyOf(isRecord(news.removal) ? news.removal : {});
      const policy =
        replaced && specs[key] ? policyOf(specs[key]) : Object.keys(removal).length > 0 ? removal : policyOf(serverOutputs(olds, key));
      return previewLiveMatch(String(old.id), `${labelOf(olds.fleet)}: ${key} (${old.id})`, policy, replaced ? "replacement" : "removal");
    }),
  );
}

/** The servers' specs of checked inputs, by key. */
function fleetSpecs(news: Props): Record<string, Props> {
  return (isRecord(news.servers) ? news.servers : {}) as Record<string, Props>;
}

/** The one line of a refused key when every failed step failed for it, else undefined. */
function refusedLine(outcomes: Map<string, Outcome>): string | undefined {
  const failed = [...outcomes.values()].filter((o) => o.kind === "failed");
  if (failed.length === 0 || !failed.every((o) => o.error instanceof KeyRefusedError)) return undefined;
  return (failed[0]!.error as KeyRefusedError).line;
}

/**
 * A line per server the platform stopped, by key, then one that says what to do. `servers` are a
 * state's servers by key (whole, not packed); `from` says whether a server's status is the API's
 * answer of this operation or the state's.
 */
function reportStopped(fleet: unknown, servers: unknown, from: (key: string) => "api" | "state"): void {
  if (!isRecord(servers)) return;
  const stopped = Object.entries(servers).filter(([, s]) => isRecord(s) && isStopped(s)) as [string, Props][];
  if (stopped.length === 0) return;
  const label = labelOf(fleet);
  for (const [key, s] of stopped) log(label, describeStoppedMember(key, s, from(key)));
  log(label, describeStoppedFleet(stopped.map(([key]) => key)));
}
