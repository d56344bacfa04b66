/** A GameServer's inputs: what check() accepts and fills in, and how later calls read them back. */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { didYouMean, issuesToFields, regionTypo } from "../../sdk/internal/index.js";
import {
  AutostopMinutes,
  CS2_SECRET_KEYS,
  Cs2Configuration,
  Cs2ConfigurationPatch,
  GameType,
  RegionCode,
  ServerId,
  ServerName,
} from "../../sdk/schemas/index.js";
import { policyOf, WHEN_PLAYERS_CONNECTED, type WhenPlayersConnected } from "../core/live-match.js";
import { type CheckFailure, checkFailures } from "../shared/check-failures.js";
import { DEFAULT_READY_TIMEOUT_SECONDS, STACK_INPUT } from "../shared/inputs.js";
import { containsUnknown, UNKNOWN } from "../shared/unknown.js";

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
  whenPlayersConnected?: WhenPlayersConnected;
  drainTimeoutSeconds?: number;
  drainAnnouncement?: string;
  /**
   * `<organization>/<project>/<stack>` of the program (the hidden `__stack` input the resource
   * classes set): the create journal keeps each stack's entries apart.
   */
  stack?: string;
}

const Settings = z.strictObject({
  name: ServerName.optional(),
  autoNamePrefix: z.string().min(1).optional(),
  gameType: GameType,
  region: RegionCode,
  configuration: z.record(z.string(), z.unknown(), "must be an object"),
  autoStop: z.boolean().optional(),
  autostopMinutes: AutostopMinutes.optional(),
  rconPassword: z.string().min(8, "must be at least 8 characters").max(128).optional(),
  serverPassword: z.string().min(1).max(64).optional(),
  waitForRunning: z.boolean().optional(),
  readyTimeoutSeconds: z.int().min(1).max(86_400).optional(),
  adoptServerId: ServerId.optional(),
  replaceIfStopped: z.boolean().optional(),
  whenPlayersConnected: z.enum(WHEN_PLAYERS_CONNECTED).optional(),
  drainTimeoutSeconds: z.int().min(1).max(86_400).optional(),
  drainAnnouncement: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\r\n";]*$/, "must be one line without quotes or semicolons (it is sent as `say <text>`)")
    .optional(),
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
    if (news[key] === undefined || news[key] === null) failures.push({ property: key, path: key, reason: `${key} is required` });
  }
  if (typeof news.region === "string" && RegionCode.safeParse(news.region).success) failures.push(...checkRegion(news.region));

  const configuration = news.configuration;
  if (configuration && typeof configuration === "object" && !Array.isArray(configuration)) {
    // The password keys are inputs of their own, so they stay secret.
    for (const key of CS2_SECRET_KEYS) {
      if (key in configuration) {
        failures.push({
          property: "configuration",
          path: `configuration.${key}`,
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
  const schema = hasUnknown ? Cs2ConfigurationPatch : Cs2Configuration;
  const parsed = schema.safeParse(candidate);
  if (parsed.success) return [];
  const failures: CheckFailure[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.code === "unrecognized_keys") {
      // One per key, with the setting it probably meant.
      for (const key of issue.keys) {
        const suggestion = didYouMean(key, CS2_KEYS);
        const listed = suggestion ? "" : ` (settings: ${CS2_KEYS.join(", ")})`;
        failures.push({
          property: "configuration",
          path: `configuration.${key}`,
          reason: `configuration.${key} is not a CS2 setting${suggestion}${listed}`,
        });
      }
      continue;
    }
    for (const field of issuesToFields([issue])) {
      if (field.path === "rconPassword") continue;
      const path = field.path === "(body)" ? "configuration" : `configuration.${field.path}`;
      failures.push({ property: "configuration", path, reason: `${path} ${field.message}` });
    }
  }
  return failures;
}

/** The configuration keys a CS2 server takes, the password inputs left out. */
const CS2_KEYS = Object.keys(Cs2Configuration.shape).filter((k) => !CS2_SECRET_KEYS.includes(k));

/**
 * A region code that is probably a typo of a known one is refused with what it meant. A code
 * this release does not know otherwise goes to the API (a region newer than this release).
 */
function checkRegion(region: string): CheckFailure[] {
  const meant = regionTypo(region);
  if (meant.length === 0) return [];
  const options = meant.map((r) => JSON.stringify(r)).join(" or ");
  return [
    { property: "region", path: "region", reason: `region ${JSON.stringify(region)} is not a known region (did you mean ${options}?)` },
  ];
}

/** `prefix-1a2b3c4`: the Pulumi auto-name shape, cut to fit the API's 100 characters. */
export function autoName(prefix: string): string {
  return `${prefix.slice(0, 92)}-${randomBytes(4).toString("hex").slice(0, 7)}`;
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
    ...policyOf(raw),
    stack: str(raw[STACK_INPUT]),
  };
}
