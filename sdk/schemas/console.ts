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
 * One websocket frame, in either direction: the Pterodactyl/Wings console protocol's
 * `{ "event": "...", "args": [...] }`.
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
