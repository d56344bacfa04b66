import { z } from "zod";
import { GameType, RegionCode, ServerName, Timestamp } from "./common.js";
import { Cs2Configuration, Cs2ConfigurationPatch } from "./cs2.js";

/** Statuses the seed documents. Responses may carry others a newer API adds. */
export const KNOWN_STATUSES = ["running", "stopped", "pending", "allocating", "starting", "provisioning", "failed", "error"] as const;
export type KnownGameServerStatus = (typeof KNOWN_STATUSES)[number];
/** A documented status, or a future one as a plain string (never a parse failure). */
export type GameServerStatus = KnownGameServerStatus | (string & {});
const Status = z.custom<GameServerStatus>((v) => typeof v === "string" && v.length > 0, "must be a status string");

/** Statuses from which a server may still become `running` on its own. */
export const IN_PROGRESS_STATUSES: readonly GameServerStatus[] = ["pending", "allocating", "starting", "provisioning"];
/** Statuses after which a server will not become `running` without intervention. */
export const TERMINAL_STATUSES: readonly GameServerStatus[] = ["failed", "error", "stopped"];
/** Statuses of a server that failed to come up: waiting is pointless, replacing it is the cure. */
export const FAILED_STATUSES: readonly GameServerStatus[] = ["failed", "error"];

const nullable = <T extends z.ZodType>(t: T) => t.nullable().default(null);

/** A game server as every read endpoint returns it. Tolerates unknown fields. */
export const GameServer = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  gameType: z.string(),
  region: z.string(),
  organizationId: z.string(),
  status: Status,
  queuedAt: nullable(Timestamp),
  allocationAttempts: z.int().min(0).default(0),
  lastAllocationError: nullable(z.string()),
  ip: nullable(z.string()),
  port: nullable(z.int()),
  connectUrl: nullable(z.string()),
  additionalPorts: nullable(z.record(z.string(), z.int())),
  rconPassword: nullable(z.string()),
  serverPassword: nullable(z.string()),
  configuration: z.record(z.string(), z.unknown()),
  autoStop: z.boolean(),
  autostopMinutes: nullable(z.int()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  deletedAt: nullable(Timestamp),
  deletedBy: nullable(z.string()),
});
export type GameServer = z.infer<typeof GameServer>;

/** `GET /v1/game-servers` response. */
export const ListGameServersResponse = z.looseObject({
  page: z.int().min(1),
  pageSize: z.int().min(1),
  total: z.int().min(0),
  items: z.array(GameServer),
});
export type ListGameServersResponse = z.infer<typeof ListGameServersResponse>;

/** `GET /v1/game-servers/:id/status` response: the lightweight shape for polling. */
export const ServerStatusResponse = z.looseObject({
  id: z.string().min(1),
  status: Status,
  ip: z.string().nullish(),
  port: z.int().nullish(),
  lastError: z.string().nullish(),
  queuedAt: Timestamp.nullish(),
  updatedAt: Timestamp,
});
export type ServerStatusResponse = z.infer<typeof ServerStatusResponse>;

/** `DELETE /v1/game-servers/:id` response. */
export const DeleteGameServerResponse = z.looseObject({ ok: z.literal(true) });
export type DeleteGameServerResponse = z.infer<typeof DeleteGameServerResponse>;

export const KNOWN_EVENT_TYPES = ["provisioning_completed", "provisioning_failed"] as const;
export type ProvisioningEventType = (typeof KNOWN_EVENT_TYPES)[number] | (string & {});

/** One provisioning event. */
export const ProvisioningEvent = z.looseObject({
  id: z.string().min(1),
  serverId: z.string().min(1),
  eventType: z.custom<ProvisioningEventType>((v) => typeof v === "string", "must be an event type string"),
  eventData: z.record(z.string(), z.unknown()),
  createdAt: Timestamp,
});
export type ProvisioningEvent = z.infer<typeof ProvisioningEvent>;

/** `GET /v1/game-servers/events` response. */
export const ListEventsResponse = z.looseObject({ events: z.array(ProvisioningEvent) });
export type ListEventsResponse = z.infer<typeof ListEventsResponse>;

/** Idle minutes before auto-stop: 1 minute to 1 day. */
export const AutostopMinutes = z.int().min(1).max(1440);

const createCommon = {
  name: ServerName,
  region: RegionCode,
  autoStop: z.boolean().optional(),
  autostopMinutes: AutostopMinutes.optional(),
  /** Documented as optional and inferred from the API key; when sent it must be the key's own. */
  organizationId: z.string().min(1).optional(),
};

/** `POST /v1/game-servers` body for a CS2 server: the configuration is fully typed. */
export const CreateCs2GameServerRequest = z.strictObject({
  ...createCommon,
  gameType: z.literal("cs2"),
  configuration: Cs2Configuration,
});

/** `POST /v1/game-servers` body for any other game: its configuration passes through. */
export const CreateOtherGameServerRequest = z.strictObject({
  ...createCommon,
  gameType: GameType.refine((g) => g !== "cs2"),
  configuration: z.record(z.string(), z.unknown()),
});

/** `POST /v1/game-servers` body (`CreateGameServerDto`). Parse it with {@link createRequestSchema}. */
export const CreateGameServerRequest = z.union([CreateCs2GameServerRequest, CreateOtherGameServerRequest]);
export type CreateGameServerRequest = z.infer<typeof CreateGameServerRequest>;

/**
 * The schema that validates a create body: chosen by `gameType`, so a bad CS2 configuration is
 * reported field by field instead of as "matches no variant of the union".
 */
export function createRequestSchema(body: unknown): typeof CreateCs2GameServerRequest | typeof CreateOtherGameServerRequest {
  const gameType = typeof body === "object" && body !== null ? (body as { gameType?: unknown }).gameType : undefined;
  return gameType === "cs2" ? CreateCs2GameServerRequest : CreateOtherGameServerRequest;
}

/** `PATCH /v1/game-servers/:id` body (`UpdateGameServerDto`): every field optional. */
export const UpdateGameServerRequest = z.strictObject({
  name: ServerName.optional(),
  /** Merged into the current configuration; for CS2 the merged result must be valid. */
  configuration: z.union([Cs2ConfigurationPatch, z.record(z.string(), z.unknown())]).optional(),
  autoStop: z.boolean().optional(),
  autostopMinutes: AutostopMinutes.optional(),
});
export type UpdateGameServerRequest = z.infer<typeof UpdateGameServerRequest>;

/** `list()` parameters as the SDK takes them. */
export const ListGameServersParams = z.strictObject({
  /** 1-indexed page. @default 1 */
  page: z.int().min(1).optional(),
  /** Items per page, at most 100. @default 20 */
  pageSize: z.int().min(1).max(100).optional(),
  includeDeleted: z.boolean().optional(),
  onlyDeleted: z.boolean().optional(),
});
export type ListGameServersParams = z.infer<typeof ListGameServersParams>;

const QueryInt = z.string().regex(/^\d+$/, "must be a whole number").transform(Number);
const QueryBool = z.enum(["true", "false"], "must be true or false").transform((v) => v === "true");

/** `GET /v1/game-servers` query string as it arrives on the wire. */
export const ListGameServersQuery = z.strictObject({
  page: QueryInt.pipe(z.int().min(1, "must be at least 1")).optional(),
  pageSize: QueryInt.pipe(z.int().min(1, "must be at least 1").max(100, "must be at most 100")).optional(),
  includeDeleted: QueryBool.optional(),
  onlyDeleted: QueryBool.optional(),
});

/** `GET /v1/game-servers/events` query string. */
export const ListEventsQuery = z.strictObject({
  since: z.iso.datetime({ offset: true, message: "must be an ISO 8601 timestamp" }).optional(),
});

/** The game servers API's error body (our choice of shape: the seed gives only the codes). */
export const GameServersErrorBody = z.looseObject({
  statusCode: z.int().optional(),
  code: z.string(),
  message: z.string(),
  details: z.array(z.looseObject({ path: z.string(), message: z.string() })).optional(),
});
export type GameServersErrorBody = z.infer<typeof GameServersErrorBody>;
