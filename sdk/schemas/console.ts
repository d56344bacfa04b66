import { z } from "zod";

/** `GET /v1/hosting/game/console/{server_id}/websocket` response (wire, snake_case). */
export const ConsoleBootstrapResponse = z.looseObject({
  success: z.literal(true),
  server_id: z.string().min(1),
  websocket: z.looseObject({
    socket_url: z.string().min(1),
    token: z.string().min(1),
  }),
});

/** `POST /v1/hosting/game/console/{server_id}/command` body. */
export const ConsoleCommandRequest = z.strictObject({
  command: z
    .string("is required")
    .min(1, "must not be empty")
    .max(512, "must be at most 512 characters")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: one command per request, no line breaks
    .regex(/^[^\u0000-\u001f\u007f]+$/, "must be a single line without control characters"),
});
export type ConsoleCommandRequest = z.infer<typeof ConsoleCommandRequest>;

/** `POST /v1/hosting/game/console/{server_id}/command` response. */
export const ConsoleCommandResponse = z.looseObject({
  success: z.literal(true),
  server_id: z.string().min(1),
  status: z.string(),
});

/** `GET /v1/hosting/game/logs/{server_id}/latest` response. */
export const LatestLogResponse = z.looseObject({
  success: z.literal(true),
  server_id: z.string().min(1),
  empty: z.boolean(),
  content: z.string(),
});

/** The console API's documented error body. */
export const ConsoleErrorBody = z.looseObject({
  success: z.literal(false),
  error: z.string(),
  message: z.string(),
});
export type ConsoleErrorBody = z.infer<typeof ConsoleErrorBody>;

/**
 * One websocket frame, in either direction, before its event is known: the Pterodactyl/Wings
 * console protocol's `{ "event": "...", "args": [...] }`.
 */
export const ConsoleFrame = z.looseObject({
  event: z.string().min(1),
  args: z.array(z.unknown()).optional(),
});
export type ConsoleFrame = z.infer<typeof ConsoleFrame>;

/** Events the server sends on the console websocket. */
export const SERVER_EVENTS = {
  authSuccess: "auth success",
  consoleOutput: "console output",
  status: "status",
  tokenExpiring: "token expiring",
  tokenExpired: "token expired",
  jwtError: "jwt error",
  daemonError: "daemon error",
} as const;

/** Events the client sends on the console websocket. */
export const CLIENT_EVENTS = {
  auth: "auth",
  sendCommand: "send command",
  sendLogs: "send logs",
} as const;

/**
 * Events Wings sends that a console stream has no use for (resource stats, install, backup and
 * transfer progress). They are valid frames, recognised so that they are ignored, not reported.
 */
export const IGNORED_SERVER_EVENTS = [
  "stats",
  "install output",
  "install started",
  "install completed",
  "daemon message",
  "backup completed",
  "backup restore completed",
  "transfer logs",
  "transfer status",
] as const;

/**
 * Wings' permission to send console commands, carried in a stream token (a Wings JWT's
 * `permissions` claim; the emulator's `auth success` args). A token without it is read-only.
 */
export const SEND_COMMAND_PERMISSION = "control.console";
/** Wings' permission to open the console websocket at all. */
export const CONNECT_PERMISSION = "websocket.connect";

/** `args` with one leading string (Wings sends `[]string`); further args are tolerated. */
const oneString = z.tuple([z.string()], z.unknown());

/**
 * Every frame a console websocket server sends, one member per event, discriminated by
 * `event`. The SDK parses each incoming frame with it (a frame it rejects is an `error` event,
 * never a crash); the emulator validates each outgoing frame with it. Tolerant of unknown
 * fields, like every response schema.
 */
export const ConsoleServerFrame = z.discriminatedUnion("event", [
  z.looseObject({
    event: z.literal(SERVER_EVENTS.authSuccess),
    /**
     * Wings sends none. The emulator's tokens are opaque, so it lists the granted Wings
     * permissions here (`websocket.connect`, `control.console`); see the emulator README.
     */
    args: z.array(z.string()).optional(),
  }),
  z.looseObject({ event: z.literal(SERVER_EVENTS.consoleOutput), args: oneString }),
  z.looseObject({ event: z.literal(SERVER_EVENTS.status), args: oneString }),
  z.looseObject({ event: z.literal(SERVER_EVENTS.tokenExpiring), args: z.array(z.unknown()).optional() }),
  z.looseObject({ event: z.literal(SERVER_EVENTS.tokenExpired), args: z.array(z.unknown()).optional() }),
  z.looseObject({ event: z.literal(SERVER_EVENTS.jwtError), args: oneString }),
  z.looseObject({ event: z.literal(SERVER_EVENTS.daemonError), args: oneString }),
  z.looseObject({ event: z.enum(IGNORED_SERVER_EVENTS), args: z.array(z.unknown()).optional() }),
]);
export type ConsoleServerFrame = z.infer<typeof ConsoleServerFrame>;

/**
 * Every frame a console websocket client sends, discriminated by `event`. Strict, like every
 * request schema: the emulator answers a frame it rejects with `daemon error`.
 */
export const ConsoleClientFrame = z.discriminatedUnion("event", [
  z.strictObject({ event: z.literal(CLIENT_EVENTS.auth), args: z.tuple([z.string()]) }),
  z.strictObject({ event: z.literal(CLIENT_EVENTS.sendCommand), args: z.tuple([z.string()]) }),
  // Wings ignores the args of `send logs`; clients send `[]`, `[null]` or none.
  z.strictObject({ event: z.literal(CLIENT_EVENTS.sendLogs), args: z.array(z.unknown()).max(1).optional() }),
]);
export type ConsoleClientFrame = z.infer<typeof ConsoleClientFrame>;

/**
 * Close codes with which a console websocket server ends a stream for good. Wings closes with
 * 1001 "server deleted"; these application codes (4000-4999, RFC 6455 7.4.2) say it without a
 * reason string to parse. The emulator sends them; the SDK ends the stream with a typed error.
 */
export const CONSOLE_CLOSE_CODES = {
  /** The server is suspended: its console is unavailable until it is unsuspended. */
  serverSuspended: 4003,
  /** The server was deleted. */
  serverDeleted: 4004,
} as const;
