import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { schemas } from "../sdk/index.js";
import { issuesToFields } from "../sdk/internal/index.js";
import { CS2_CONFIGURATION_DEFAULTS, CS2_SECRET_KEYS, FAILED_STATUSES, type GameServer } from "../sdk/schemas/index.js";
import { STOPPED } from "./core/stopped.js";
import { type CheckFailure, checkFailures } from "./shared/check-failures.js";
import { DEFAULT_READY_TIMEOUT_SECONDS, STACK_INPUT } from "./shared/inputs.js";
import { containsUnknown, UNKNOWN } from "./shared/unknown.js";

/** Inputs as the provider holds them after check(). */
export interface ProviderInputs {
  name: string;
  /** The logical name an auto-generated `name` derives from; absent when `name` was given. */
  autoNamePrefix?: string;
  gameType: string;
  region: string;
  configuration: Record<string, unknown>;
  autoStop?: boolean;
  autostopMinutes?: number;
  rconPassword?: string;
  serverPassword?: string;
  waitForRunning: boolean;
  readyTimeoutSeconds: number;
  adoptServerId?: string;
  /**
   * `<organization>/<project>/<stack>` of the program (the hidden `__stack` input the resource
   * classes set): the create journal keeps each stack's entries apart.
   */
  stack?: string;
}

/** Outputs as the provider writes them to state: everything a later call needs, no undefined. */
export type ProviderOutputs = ReturnType<typeof toOutputs>;

const Settings = z.strictObject({
  name: schemas.ServerName.optional(),
  autoNamePrefix: z.string().min(1).optional(),
  gameType: schemas.GameType,
  region: schemas.RegionCode,
  configuration: z.record(z.string(), z.unknown(), "must be an object"),
  autoStop: z.boolean().optional(),
  autostopMinutes: schemas.AutostopMinutes.optional(),
  rconPassword: z.string().min(8, "must be at least 8 characters").max(128).optional(),
  serverPassword: z.string().min(1).max(64).optional(),
  waitForRunning: z.boolean().optional(),
  readyTimeoutSeconds: z.int().min(1).max(86_400).optional(),
  adoptServerId: schemas.ServerId.optional(),
  replaceIfStopped: z.boolean().optional(),
});

/** The inputs a program may give (autoNamePrefix is set by the GameServer class itself). */
export const INPUT_NAMES = Object.keys(Settings.shape).filter((k) => k !== "autoNamePrefix");

/**
 * Validates new inputs and fills what check() owns: the auto-name (stable across updates: the
 * old one is kept while the prefix is unchanged) and the wait defaults. Unknown values (preview)
 * are passed through unchecked and never fail.
 * @param olds the inputs check() returned last time, `{}` on create
 */
export function checkInputs(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const inputs: Record<string, unknown> = { ...news };

  // Validate the known top-level values; unknown ones wait for the real run.
  const known = Object.fromEntries(
    Object.entries(news).filter(([k, v]) => v !== UNKNOWN && k !== "__provider" && k !== STACK_INPUT && v !== undefined),
  );
  const settings = Settings.partial().safeParse(known);
  if (!settings.success) failures.push(...checkFailures(settings.error.issues, { type: "GameServer", inputs: INPUT_NAMES }));
  for (const key of ["gameType", "region", "configuration"] as const) {
    if (news[key] === undefined || news[key] === null) failures.push({ property: key, reason: `${key} is required` });
  }

  const configuration = news.configuration;
  if (configuration && typeof configuration === "object" && !Array.isArray(configuration)) {
    // The password keys are inputs of their own, so they stay secret.
    for (const key of CS2_SECRET_KEYS) {
      if (key in configuration) {
        failures.push({
          property: "configuration",
          reason: `configuration.${key} is not accepted here: set the ${key} input instead, so it is stored as a secret and previews of configuration changes stay readable`,
        });
      }
    }
    if (news.gameType === "cs2") failures.push(...checkCs2(configuration as Record<string, unknown>, news));
  }

  if (news.name === undefined || news.name === null) {
    const prefix = typeof news.autoNamePrefix === "string" ? news.autoNamePrefix : undefined;
    if (typeof olds.name === "string" && olds.autoNamePrefix === prefix && prefix !== undefined) {
      inputs.name = olds.name;
    } else if (prefix !== undefined && prefix !== UNKNOWN) {
      inputs.name = autoName(prefix);
    }
  } else {
    delete inputs.autoNamePrefix;
  }
  if (inputs.waitForRunning === undefined) inputs.waitForRunning = true;
  if (inputs.readyTimeoutSeconds === undefined) inputs.readyTimeoutSeconds = DEFAULT_READY_TIMEOUT_SECONDS;
  for (const [k, v] of Object.entries(inputs)) if (v === undefined) delete inputs[k];
  return { inputs, failures };
}

/** CS2: the typed configuration, with the password inputs standing in for their config keys. */
function checkCs2(configuration: Record<string, unknown>, news: Record<string, unknown>): CheckFailure[] {
  const hasUnknown = containsUnknown(configuration);
  const candidate: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(configuration)) if (!containsUnknown(v) && !CS2_SECRET_KEYS.includes(k)) candidate[k] = v;
  // The provider sends the password inputs inside the configuration; check them where the API will.
  candidate.rconPassword =
    typeof news.rconPassword === "string" && news.rconPassword !== UNKNOWN ? news.rconPassword : "placeholder-password";
  const schema = hasUnknown ? schemas.Cs2ConfigurationPatch : schemas.Cs2Configuration;
  const parsed = schema.safeParse(candidate);
  if (parsed.success) return [];
  return issuesToFields(parsed.error.issues)
    .filter((i) => i.path !== "rconPassword")
    .map((i) => ({ property: "configuration", reason: `configuration.${i.path} ${i.message}` }));
}

/** `prefix-1a2b3c4`: the Pulumi auto-name shape, cut to fit the API's 100 characters. */
export function autoName(prefix: string): string {
  return `${prefix.slice(0, 92)}-${randomBytes(4).toString("hex").slice(0, 7)}`;
}

/** The configuration as compared: no password keys, no undefined members. */
function comparableConfiguration(cfg: unknown): Record<string, unknown> {
  if (!cfg || typeof cfg !== "object") return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (v !== undefined && !CS2_SECRET_KEYS.includes(k)) out[k] = v;
  }
  return out;
}

/**
 * The configuration keys the program declared when these outputs were written. States written
 * before the record existed are read as having declared every stored key: the emulator then
 * filled in nothing, so they hold exactly what was sent (and a stored key whose value is the
 * documented default needs nothing anyway, see {@link diffInputs}).
 */
export function declaredKeysOf(outputs: Record<string, unknown>): string[] {
  const record = outputs.declaredConfiguration;
  if (Array.isArray(record) && record.every((k) => typeof k === "string")) return record;
  return Object.keys(comparableConfiguration(outputs.configuration));
}

/** The part of the stored configuration the program declared, values as the server reports them. */
export function declaredConfigurationOf(outputs: Record<string, unknown>): Record<string, unknown> {
  const stored = comparableConfiguration(outputs.configuration);
  return Object.fromEntries(
    declaredKeysOf(outputs)
      .filter((k) => k in stored)
      .map((k) => [k, stored[k]]),
  );
}

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
 * stops declaring is never a replacement (issue 17): it is set back to its documented default in
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
  // A failed server never becomes running: the next up replaces it (README: stale state).
  if (FAILED_STATUSES.includes(olds.status as string)) replaces.push("status");
  // Nor does a stopped one (the API has no start call), but a stop is the platform's documented
  // autoStop: it is replaced only when the program asks (issue 17 point 6).
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
  return { changes: replaces.length > 0 || updates.length > 0, replaces, updates, dropped, configurationChanged: cfgChanged };
}

/**
 * The complete output set for state. Passwords are included (the resource marks them secret);
 * `passwords: false` leaves them null, for states the engine may store before secrets apply.
 */
export function toOutputs(server: GameServer, inputs: ProviderInputs, options: { passwords?: boolean } = {}) {
  const passwords = options.passwords ?? true;
  return {
    serverId: server.id,
    name: server.name,
    gameType: server.gameType,
    region: server.region,
    organizationId: server.organizationId,
    status: server.status,
    ip: server.ip,
    port: server.port,
    connectUrl: server.connectUrl,
    additionalPorts: server.additionalPorts,
    rconPassword: passwords ? server.rconPassword : null,
    serverPassword: passwords ? server.serverPassword : null,
    configuration: comparableConfiguration(server.configuration),
    // Which of those keys the program declared: the others are the API's, never a change (issue 17).
    declaredConfiguration: Object.keys(comparableConfiguration(inputs.configuration)).sort(),
    autoStop: server.autoStop,
    autostopMinutes: server.autostopMinutes,
    queuedAt: server.queuedAt,
    allocationAttempts: server.allocationAttempts,
    lastAllocationError: server.lastAllocationError,
    createdAt: server.createdAt,
    updatedAt: server.updatedAt,
    waitForRunning: inputs.waitForRunning,
    readyTimeoutSeconds: inputs.readyTimeoutSeconds,
    ...(inputs.autoNamePrefix !== undefined ? { autoNamePrefix: inputs.autoNamePrefix } : {}),
    ...(inputs.stack !== undefined ? { [STACK_INPUT]: inputs.stack } : {}),
  };
}

/**
 * The inputs that match what the server now is, for read() on refresh: the next preview then
 * shows drift as a diff against the program. Passwords are never returned as inputs (they would
 * reach state unmarked); diff compares them against the outputs instead. The configuration holds
 * only the keys the program declared (with the server's values): what the API filled in is not
 * the user's.
 */
export function inputsFromOutputs(outputs: ProviderOutputs): Record<string, unknown> {
  const inputs: Record<string, unknown> = {
    name: outputs.name,
    gameType: outputs.gameType,
    region: outputs.region,
    configuration: declaredConfigurationOf(outputs),
    autoStop: outputs.autoStop,
    waitForRunning: outputs.waitForRunning,
    readyTimeoutSeconds: outputs.readyTimeoutSeconds,
  };
  if (outputs.autostopMinutes !== null) inputs.autostopMinutes = outputs.autostopMinutes;
  if (outputs.autoNamePrefix !== undefined) inputs.autoNamePrefix = outputs.autoNamePrefix;
  if (outputs[STACK_INPUT] !== undefined) inputs[STACK_INPUT] = outputs[STACK_INPUT];
  return inputs;
}

/**
 * Reads inputs the provider itself validated in check(). Tolerant of what older versions wrote:
 * a missing wait setting takes its default.
 */
export function parseInputs(raw: Record<string, unknown>): ProviderInputs {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  return {
    name: str(raw.name) ?? "",
    autoNamePrefix: str(raw.autoNamePrefix),
    gameType: str(raw.gameType) ?? "",
    region: str(raw.region) ?? "",
    configuration: raw.configuration && typeof raw.configuration === "object" ? (raw.configuration as Record<string, unknown>) : {},
    autoStop: typeof raw.autoStop === "boolean" ? raw.autoStop : undefined,
    autostopMinutes: num(raw.autostopMinutes),
    rconPassword: str(raw.rconPassword),
    serverPassword: str(raw.serverPassword),
    waitForRunning: typeof raw.waitForRunning === "boolean" ? raw.waitForRunning : true,
    readyTimeoutSeconds: num(raw.readyTimeoutSeconds) ?? DEFAULT_READY_TIMEOUT_SECONDS,
    adoptServerId: str(raw.adoptServerId),
    stack: str(raw[STACK_INPUT]),
  };
}

/** A strong RCON password, for servers whose program gives none. */
export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}
