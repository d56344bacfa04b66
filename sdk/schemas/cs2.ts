import { z } from "zod";

/** CS2 game modes the API accepts. */
export const Cs2GameMode = z.enum(["competitive", "casual", "wingman", "deathmatch", "armsrace", "custom"]);

const MapName = z.string().regex(/^[A-Za-z0-9_]+(\/[A-Za-z0-9_]+)*$/, "must be a map name such as de_dust2 or workshop/3070284539");

const CvarName = z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/, "must be a console variable name such as sv_cheats");

/**
 * Fields of `Cs2ServerConfiguration` (game servers seed, create()). Ranges follow the game's own
 * limits: times are in seconds, `botDifficulty` is CS2's `bot_difficulty` (0 easy to 3 expert).
 */
const cs2Fields = {
  gameMode: Cs2GameMode,
  maxPlayers: z.int().min(2).max(64),
  // A refine, not a union of literals: a union failure would hide the cross-field startingMap check.
  tickrate: z.int().refine((t) => t === 64 || t === 128, "must be 64 or 128"),
  serverPassword: z.string().min(1).max(64).optional(),
  rconPassword: z.string().min(8, "must be at least 8 characters").max(128),
  enableVAC: z.boolean(),
  mapPool: z
    .array(MapName)
    .min(1, "must name at least one map")
    .max(64)
    .refine((maps) => new Set(maps).size === maps.length, "must not repeat a map"),
  startingMap: MapName,
  enableBots: z.boolean(),
  botDifficulty: z.int().min(0).max(3).optional(),
  tournamentMode: z.boolean(),
  warmupTime: z.int().min(0).max(3600),
  freezeTime: z.int().min(0).max(60),
  roundTime: z.int().min(60).max(3600),
  bombTimer: z.int().min(10).max(90),
  buyTime: z.int().min(0).max(300),
  customCvars: z
    .record(CvarName, z.union([z.string().max(256), z.number(), z.boolean()]))
    .refine((r) => Object.keys(r).length <= 100, "must hold at most 100 variables")
    .optional(),
};

/** The cross-field rule of a full configuration: the starting map is one of the pool. */
function startingMapInPool(cfg: { mapPool?: string[]; startingMap?: string }, ctx: z.RefinementCtx): void {
  if (cfg.mapPool && cfg.startingMap !== undefined && !cfg.mapPool.includes(cfg.startingMap)) {
    ctx.addIssue({
      code: "custom",
      path: ["startingMap"],
      message: `must be one of mapPool (${cfg.mapPool.join(", ")})`,
    });
  }
}

/**
 * Run the cross-field rule even when other fields are wrong, so one request reports every
 * problem at once: whenever the pool and the starting map themselves are well formed.
 */
const MAP_RULE = {
  when: (payload: z.core.ParsePayload) => {
    const v = payload.value as { mapPool?: unknown; startingMap?: unknown } | null;
    return (
      typeof v === "object" &&
      v !== null &&
      Array.isArray(v.mapPool) &&
      v.mapPool.every((m) => typeof m === "string") &&
      typeof v.startingMap === "string"
    );
  },
};

/** A complete CS2 configuration, as `create` requires it. Strict: unknown keys are rejected. */
export const Cs2Configuration = z.strictObject(cs2Fields).superRefine(startingMapInPool, MAP_RULE);
export type Cs2Configuration = z.infer<typeof Cs2Configuration>;

/** A partial CS2 configuration, as `update` merges it into the server's current one. */
export const Cs2ConfigurationPatch = z.strictObject(cs2Fields).partial().superRefine(startingMapInPool, MAP_RULE);
export type Cs2ConfigurationPatch = z.infer<typeof Cs2ConfigurationPatch>;

/**
 * What the API reports for the optional CS2 fields a create leaves out. The game servers seed
 * lists these fields (`botDifficulty`, `customCvars?`) but gives no values; these are CS2's own:
 * `bot_difficulty` 1 (normal) and no custom console variables. The emulator fills them in; the
 * provider sets a field back to this value when a program stops declaring it.
 */
export const CS2_CONFIGURATION_DEFAULTS: Readonly<{ botDifficulty: number; customCvars: Readonly<Record<string, never>> }> = Object.freeze({
  botDifficulty: 1,
  customCvars: Object.freeze({}),
});

/** Configuration keys the API never echoes back inside `configuration` (they are top-level fields). */
export const CS2_SECRET_KEYS: readonly string[] = ["rconPassword", "serverPassword"];
