/** A GameServer's diff: update in place or replace, and what a configuration key dropped comes to. */
import { isDeepStrictEqual } from "node:util";
import { CS2_CONFIGURATION_DEFAULTS, FAILED_STATUSES } from "../../sdk/schemas/index.js";
import { STOPPED } from "../core/stopped.js";
import { containsUnknown, UNKNOWN } from "../shared/unknown.js";
import { comparableConfiguration, declaredKeysOf } from "./outputs.js";

/**
 * The value the API gives a configuration key nobody set, when it is documented (CS2's
 * optional fields, {@link CS2_CONFIGURATION_DEFAULTS}); undefined when none is.
 */
export function configurationDefault(gameType: unknown, key: string): unknown {
  if (gameType !== "cs2" || !Object.hasOwn(CS2_CONFIGURATION_DEFAULTS, key)) return undefined;
  return structuredClone((CS2_CONFIGURATION_DEFAULTS as Record<string, unknown>)[key]);
}

/** A configuration key the program declared before and no longer does. */
export interface DroppedKey {
  key: string;
  /** What the server has now. */
  value: unknown;
  /** The documented default it is set back to; absent when none is documented (the server keeps `value`). */
  reset?: unknown;
}

/** What a dropped key comes to, for diff (`planned`) and update lines. */
export function describeDropped(d: DroppedKey, when: "planned" | "done"): string {
  const show = (v: unknown) => JSON.stringify(v);
  if ("reset" in d) {
    return when === "done"
      ? `configuration.${d.key} is no longer declared: set back to its default ${show(d.reset)} (was ${show(d.value)})`
      : `configuration.${d.key} is no longer declared: the update sets it back to its default ${show(d.reset)} (now ${show(d.value)})`;
  }
  return (
    `configuration.${d.key} is no longer declared and the API documents no default for it: the server keeps ${show(d.value)} ` +
    "(a PATCH merges and cannot remove a key). Declare the value you want, or replace the server (`pulumi up --replace <urn>`) to start from the API's defaults"
  );
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  /**
   * Properties that change in place, for logs and tests (the engine drops this).
   * `declaredConfiguration`: only the record of declared keys changes (no request to the API).
   */
  updates: string[];
  /** Configuration keys the program stopped declaring and the server does not hold at their default. */
  dropped: DroppedKey[];
  /** A declared configuration value changes (besides what `dropped` sets back). */
  configurationChanged: boolean;
}

/**
 * Decides update vs replace. `olds` are the OLD OUTPUTS (what the engine sends to diff), `news`
 * the checked inputs. Compared canonically (key order never matters), and only what the user
 * declares: server-computed fields, configuration keys the program never declared (the API's
 * defaults, fields a newer API adds), an omitted password (kept from the server) and an omitted
 * `autostopMinutes` (the server's default) never show a diff. A configuration key the program
 * stops declaring is never a replacement: it is set back to its documented default in
 * place, or, when none is documented, kept as the server has it and only the record changes.
 * A server whose state says `failed` or `error` is replaced, and one that says `stopped` when the
 * program sets `replaceIfStopped` (a policy read at diff time: changing it alone is no change).
 */
export function diffInputs(olds: Record<string, unknown>, news: Record<string, unknown>): DiffResult {
  const replaces: string[] = [];
  const updates: string[] = [];
  const dropped: DroppedKey[] = [];
  const differs = (a: unknown, b: unknown) => a === UNKNOWN || b === UNKNOWN || containsUnknown(b) || !isDeepStrictEqual(a, b);

  for (const key of ["gameType", "region"] as const) if (differs(olds[key], news[key])) replaces.push(key);
  // A failed server never becomes running: the next up replaces it (docs/troubleshooting.md).
  if (FAILED_STATUSES.includes(olds.status as string)) replaces.push("status");
  // Nor does a stopped one (the API has no start call), but a stop is the platform's documented
  // autoStop: it is replaced only when the program asks.
  else if (olds.status === STOPPED && (news.replaceIfStopped === true || news.replaceIfStopped === UNKNOWN)) replaces.push("status");
  const oldCfg = comparableConfiguration(olds.configuration);
  const newCfg = comparableConfiguration(news.configuration);
  const cfgKnown = news.configuration !== UNKNOWN && !containsUnknown(news.configuration);
  if (cfgKnown) {
    for (const key of declaredKeysOf(olds)) {
      if (key in newCfg || !(key in oldCfg)) continue;
      const reset = configurationDefault(news.gameType, key);
      // Already at its default: nothing to set back.
      if (reset !== undefined && isDeepStrictEqual(oldCfg[key], reset)) continue;
      dropped.push({ key, value: oldCfg[key], ...(reset !== undefined ? { reset } : {}) });
    }
  }
  if (news.serverPassword === undefined && typeof olds.serverPassword === "string") replaces.push("serverPassword");

  if (news.name !== undefined && differs(olds.name, news.name)) updates.push("name");
  // Only the keys the program declares are compared: whatever else the API reports is its own.
  const cfgChanged = !cfgKnown || Object.entries(newCfg).some(([k, v]) => differs(oldCfg[k], v));
  if (cfgChanged || dropped.some((d) => "reset" in d)) updates.push("configuration");
  else if (dropped.length > 0) updates.push("declaredConfiguration");
  if (differs(olds.autoStop ?? false, news.autoStop ?? false)) updates.push("autoStop");
  if (news.autostopMinutes !== undefined && differs(olds.autostopMinutes, news.autostopMinutes)) updates.push("autostopMinutes");
  for (const key of ["rconPassword", "serverPassword"] as const) {
    if (news[key] !== undefined && differs(olds[key], news[key])) updates.push(key);
  }
  for (const key of ["waitForRunning", "readyTimeoutSeconds"] as const) {
    if (news[key] !== undefined && differs(olds[key], news[key])) updates.push(key);
  }
  // The live-match guard's settings: recorded in the state (delete reads them there), no request.
  for (const key of ["whenPlayersConnected", "drainTimeoutSeconds", "drainAnnouncement"] as const) {
    if (differs(olds[key], news[key])) updates.push(key);
  }
  return { changes: replaces.length > 0 || updates.length > 0, replaces, updates, dropped, configurationChanged: cfgChanged };
}
