import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { z } from "zod";
import {
  ConsoleCommandRequest,
  createRequestSchema,
  ListEventsQuery,
  ListGameServersQuery,
  type Scope,
  UpdateGameServerRequest,
} from "../schemas/index.js";
import { HttpError, invalid } from "./http-error.js";
import { CreateKeyRequest, EmulatorConfigPatch, FaultRequest, RevokeKeyRequest } from "./settings.js";
import { type ApiKey, type EmulatorState, token } from "./state.js";

/** Which documented error format a route answers in. */
type Family = "game" | "console" | "control";

interface Context {
  state: EmulatorState;
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when none). */
  body: unknown;
  /** Set for authenticated families. */
  key: ApiKey;
  /** `ws://host:port` of this emulator, for socket URLs. */
  origin: string;
}

interface Result {
  status?: number;
  body: unknown;
}

interface Route {
  method: string;
  template: string;
  family: Family;
  /** Scopes of which the key needs at least one. */
  scopes?: Scope[];
  handler: (ctx: Context) => Result | Promise<Result>;
}

const READ: Scope[] = ["game-servers:read", "game-servers:write"];
const WRITE: Scope[] = ["game-servers:write"];

const routes: Route[] = [
  // Static segments before :id so /events is not read as a server id.
  {
    method: "GET",
    template: "/v1/game-servers/events",
    family: "game",
    scopes: READ,
    handler: ({ state, key, query }) => {
      const q = parseQuery(ListEventsQuery, query);
      const since = q.since ? Date.parse(q.since) : state.now() - 60_000;
      return { body: { events: state.events(key.organizationId, since) } };
    },
  },
  {
    method: "GET",
    template: "/v1/game-servers",
    family: "game",
    scopes: READ,
    handler: ({ state, key, query }) => {
      const q = parseQuery(ListGameServersQuery, query);
      return { body: state.list(key.organizationId, q.page ?? 1, q.pageSize ?? 20, q.includeDeleted ?? false, q.onlyDeleted ?? false) };
    },
  },
  {
    method: "POST",
    template: "/v1/game-servers",
    family: "game",
    scopes: WRITE,
    handler: ({ state, key, body }) => {
      const dto = parseBody(createRequestSchema(body), body);
      return { body: state.create(key, dto) };
    },
  },
  {
    method: "GET",
    template: "/v1/game-servers/:id/status",
    family: "game",
    scopes: READ,
    handler: ({ state, key, params }) => ({ body: state.status(key.organizationId, params.id!) }),
  },
  {
    method: "GET",
    template: "/v1/game-servers/:id",
    family: "game",
    scopes: READ,
    handler: ({ state, key, params }) => ({ body: state.get(key.organizationId, params.id!) }),
  },
  {
    method: "PATCH",
    template: "/v1/game-servers/:id",
    family: "game",
    scopes: WRITE,
    handler: ({ state, key, params, body }) => ({
      body: state.update(key.organizationId, params.id!, parseBody(UpdateGameServerRequest, body)),
    }),
  },
  {
    method: "DELETE",
    template: "/v1/game-servers/:id",
    family: "game",
    scopes: WRITE,
    handler: ({ state, key, params }) => {
      state.delete(key, params.id!);
      return { body: { ok: true } };
    },
  },
  {
    method: "GET",
    template: "/v1/hosting/game/console/:id/websocket",
    family: "console",
    scopes: ["game-console:read", "game-console:read_write"],
    handler: ({ state, key, params, origin }) => {
      const server = state.consoleServer(key.organizationId, params.id!);
      // Read-only keys get read-only streams (console document).
      const token = state.issueToken(server, key.scopes.has("game-console:read_write"));
      return { body: { success: true, server_id: server.id, websocket: { socket_url: `${origin}/ws`, token } } };
    },
  },
  {
    method: "POST",
    template: "/v1/hosting/game/console/:id/command",
    family: "console",
    scopes: ["game-console:read_write"],
    handler: ({ state, key, params, body }) => {
      const server = state.consoleServer(key.organizationId, params.id!);
      const { command } = parseBody(ConsoleCommandRequest, body);
      state.runCommand(server.id, command);
      return { body: { success: true, server_id: server.id, status: "sent" } };
    },
  },
  {
    method: "GET",
    template: "/v1/hosting/game/logs/:id/latest",
    family: "console",
    // Console write scope does not grant log access (console document).
    scopes: ["game-logs:read"],
    handler: ({ state, key, params }) => {
      const server = state.consoleServer(key.organizationId, params.id!);
      const log = state.logOf(server.id);
      return { body: { success: true, server_id: server.id, empty: log.length === 0, content: log.map((l) => `${l}\n`).join("") } };
    },
  },
  // ---- control: unauthenticated, uncounted, never faulted or rate limited ----
  {
    method: "POST",
    template: "/_emulator/reset",
    family: "control",
    handler: ({ state }) => {
      state.reset();
      return { body: { ok: true } };
    },
  },
  {
    method: "PUT",
    template: "/_emulator/config",
    family: "control",
    handler: ({ state, body }) => ({ body: state.applyConfig(parseBody(EmulatorConfigPatch, body)) }),
  },
  {
    method: "GET",
    template: "/_emulator/config",
    family: "control",
    handler: ({ state }) => ({ body: state.config }),
  },
  {
    method: "POST",
    template: "/_emulator/tick",
    family: "control",
    handler: ({ state }) => ({ body: state.tick() }),
  },
  {
    method: "POST",
    template: "/_emulator/keys",
    family: "control",
    handler: ({ state, body }) => {
      const { organizationId, scopes } = parseBody(CreateKeyRequest, body);
      return { status: 201, body: { apiKey: state.createKey(organizationId, scopes).secret } };
    },
  },
  {
    method: "POST",
    template: "/_emulator/keys/revoke",
    family: "control",
    handler: ({ state, body }) => ({ body: { ok: state.revokeKey(parseBody(RevokeKeyRequest, body).apiKey) } }),
  },
  {
    method: "POST",
    template: "/_emulator/servers/:id/stop",
    family: "control",
    handler: ({ state, params }) => ({ body: state.stopNow(params.id!) }),
  },
  {
    method: "GET",
    template: "/_emulator/stats",
    family: "control",
    handler: ({ state }) => ({ body: { requests: state.traffic.stats(), servers: state.stats() } }),
  },
  {
    method: "POST",
    template: "/_emulator/faults",
    family: "control",
    handler: ({ state, body }) => {
      const pending = state.traffic.addFault(parseBody(FaultRequest, body));
      return { status: 201, body: { ok: true, pending } };
    },
  },
  {
    method: "DELETE",
    template: "/_emulator/faults",
    family: "control",
    handler: ({ state }) => {
      state.traffic.clearFaults();
      return { body: { ok: true } };
    },
  },
  // Console websocket faults and counters (README, "Console websocket"); loaded here so the
  // console socket module stays the one place that knows them.
  {
    method: "POST",
    template: "/_emulator/console/faults",
    family: "control",
    handler: async ({ state, body }) => ({ status: 201, body: (await import("./console-socket.js")).consoleControl(state).fault(body) }),
  },
  {
    method: "GET",
    template: "/_emulator/console/stats",
    family: "control",
    handler: async ({ state }) => ({ body: (await import("./console-socket.js")).consoleControl(state).stats() }),
  },
];

const MAX_BODY_BYTES = 1 << 20;

/** The emulator's request handler: everything but the listener and the websocket. */
export function createHandler(state: EmulatorState, origin: () => string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = `req_${token(9)}`;
    res.setHeader("x-request-id", requestId);
    // The API's own clock (skewable), so clients can measure the skew.
    res.setHeader("date", new Date(state.now()).toUTCString());
    const url = new URL(req.url ?? "/", "http://emulator");
    const method = (req.method ?? "GET").toUpperCase();
    const match = matchRoute(method, url.pathname);
    const family: Family = match.route?.family ?? familyOf(url.pathname);
    if (family !== "control") state.traffic.count(match.route ? `${method} ${match.route.template}` : undefined);
    try {
      if (!match.route) {
        if (match.allowed.length > 0) {
          res.setHeader("allow", match.allowed.join(", "));
          throw new HttpError(405, "METHOD_NOT_ALLOWED", `Method ${method} not allowed on ${url.pathname}`);
        }
        throw new HttpError(404, "NOT_FOUND", `Route ${method} ${url.pathname} not found`);
      }
      const route = match.route;
      const fault = family === "control" ? undefined : state.traffic.take(method, route.template);
      // The body is read before any delay: a write the API received is carried out even when its
      // client leaves during the delay, as a real API's would be.
      const body = await readJson(req, family);
      if (fault?.delayMs !== undefined) {
        const resets = state.resets;
        await delay(fault.delayMs);
        // A reset in between started a new world: the held request belonged to the old one.
        if (state.resets !== resets) {
          req.socket.destroy();
          return;
        }
      }
      if (fault?.drop) {
        req.socket.destroy();
        return;
      }
      if (fault?.status !== undefined) throw faultError(fault.status, fault.retryAfterSeconds);
      let key: ApiKey | undefined;
      if (family !== "control") {
        key = authenticate(state, req, route);
        for (const [name, value] of Object.entries(state.traffic.rateLimit(key.secret, state.config.rateLimitPerSecond))) {
          res.setHeader(name, value);
        }
      }
      state.sweepAutoStop();
      const result = await route.handler({ state, req, params: match.params, query: url.searchParams, body, key: key!, origin: origin() });
      if (fault?.commitThenFail) throw faultError(502);
      if (fault?.commitThenDelayMs !== undefined) await delay(fault.commitThenDelayMs);
      if (fault?.commitThenDrop) {
        req.socket.destroy();
        return;
      }
      if (fault?.truncatedBody) {
        const text = JSON.stringify(result.body);
        sendText(res, result.status ?? 200, text.slice(0, Math.floor(text.length / 2)));
        return;
      }
      send(res, result.status ?? 200, result.body);
    } catch (error) {
      // A client that left while its request was read has no one to answer: not an error of ours.
      if (req.destroyed && !(error instanceof HttpError)) return;
      const httpError = error instanceof HttpError ? error : new HttpError(500, "INTERNAL_ERROR", "Internal emulator error");
      if (!(error instanceof HttpError)) console.error(`[emulator] ${requestId}`, error);
      for (const [name, value] of Object.entries(httpError.headers ?? {})) res.setHeader(name, value);
      send(res, httpError.status, errorBody(family, httpError));
    }
  };
}

function authenticate(state: EmulatorState, req: IncomingMessage, route: Route): ApiKey {
  const header = req.headers.authorization;
  const secret = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  const key = state.authenticate(secret);
  if (!key)
    throw new HttpError(
      401,
      "UNAUTHORIZED",
      route.family === "console" ? "Missing, invalid, or revoked API key" : "Invalid or missing API key",
    );
  if (route.scopes && !route.scopes.some((s) => key.scopes.has(s))) {
    if (route.family === "console") throw new HttpError(403, "INSUFFICIENT_SCOPE", "Required console or log scope is missing");
    throw new HttpError(403, "FORBIDDEN", `API key is missing the ${route.scopes[route.scopes.length - 1]} scope`);
  }
  return key;
}

/** The console family's documented code and message for each status. */
const CONSOLE_ERRORS: Record<string, [string, string]> = {
  INVALID_PARAMS: ["validation_error", "Invalid JSON body or missing command"],
  UNAUTHORIZED: ["unauthorized", "Missing, invalid, or revoked API key"],
  FORBIDDEN: ["forbidden", "You do not have access to this game server"],
  INSUFFICIENT_SCOPE: ["insufficient_scope", "Required console or log scope is missing"],
  PROVIDER_PERMISSION_DENIED: ["provider_permission_denied", "Console commands are not available for this server"],
  NOT_FOUND: ["not_found", "Endpoint not found"],
  METHOD_NOT_ALLOWED: ["method_not_allowed", "Method not allowed"],
  RATE_LIMITED: ["rate_limited", "Too many requests"],
};

function errorBody(family: Family, error: HttpError): unknown {
  if (family === "console") {
    const [code, fallback] = CONSOLE_ERRORS[error.code] ?? ["provider_error", "The console or log request failed"];
    // Validation keeps its field-level message; the rest use the documented wording.
    const message = error.code === "INVALID_PARAMS" || error.code === "NOT_FOUND" ? error.message : fallback;
    return { success: false, error: code, message };
  }
  return { statusCode: error.status, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
}

function faultError(status: number, retryAfterSeconds?: number): HttpError {
  const codes: Record<number, string> = {
    400: "INVALID_PARAMS",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "RATE_LIMITED",
  };
  const headers = retryAfterSeconds === undefined ? undefined : { "retry-after": String(retryAfterSeconds) };
  return new HttpError(
    status,
    codes[status] ?? (status >= 500 ? "INTERNAL_ERROR" : "ERROR"),
    `Injected fault: ${status}`,
    undefined,
    headers,
  );
}

function familyOf(pathname: string): Family {
  if (pathname.startsWith("/_emulator/")) return "control";
  return pathname.startsWith("/v1/hosting/") ? "console" : "game";
}

function matchRoute(method: string, pathname: string): { route?: Route; params: Record<string, string>; allowed: string[] } {
  const segments = pathname.split("/");
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchTemplate(route.template, segments);
    if (!params) continue;
    if (route.method === method) return { route, params, allowed };
    if (!allowed.includes(route.method)) allowed.push(route.method);
  }
  return { params: {}, allowed };
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split("/");
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const seg = segments[i]!;
    if (part.startsWith(":")) {
      if (!seg) return undefined;
      try {
        params[part.slice(1)] = decodeURIComponent(seg);
      } catch {
        return undefined;
      }
    } else if (part !== seg) {
      return undefined;
    }
  }
  return params;
}

async function readJson(req: IncomingMessage, family: Family): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "PAYLOAD_TOO_LARGE", "Request body is larger than 1 MiB");
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(
      400,
      "INVALID_PARAMS",
      family === "console" ? "Invalid JSON body or missing command" : "Request body is not valid JSON",
    );
  }
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw invalid(parsed.error.issues);
  return parsed.data;
}

function parseQuery<S extends z.ZodType>(schema: S, query: URLSearchParams): z.infer<S> {
  const parsed = schema.safeParse(Object.fromEntries(query));
  if (!parsed.success) throw invalid(parsed.error.issues);
  return parsed.data;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
