import type { IncomingMessage } from "node:http";
import type { z } from "zod";
import {
  ConsoleCommandRequest,
  createRequestSchema,
  ListEventsQuery,
  ListGameServersQuery,
  type Scope,
  UpdateGameServerRequest,
} from "../schemas/index.js";
import type { ConsoleSockets } from "./console-socket.js";
import { invalid } from "./http-error.js";
import type { ApiKey } from "./keys.js";
import { PlayersRequest } from "./players.js";
import { CreateKeyRequest, EmulatorConfigPatch, FaultRequest, RevokeKeyRequest } from "./settings.js";
import type { EmulatorState } from "./state.js";

/** Which documented error format a route answers in. */
export type Family = "game" | "console" | "control";

/** What a route handler gets: the request, parsed, and the emulator's parts. */
export interface Context {
  state: EmulatorState;
  /** The console websockets, for their faults and counters. */
  sockets: ConsoleSockets;
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

export interface Result {
  status?: number;
  body: unknown;
}

export interface Route {
  method: string;
  template: string;
  family: Family;
  /** Scopes of which the key needs at least one. */
  scopes?: Scope[];
  handler: (ctx: Context) => Result | Promise<Result>;
}

const READ: Scope[] = ["game-servers:read", "game-servers:write"];
const WRITE: Scope[] = ["game-servers:write"];

/** Every route, matched in order: static segments before `:id`, so `/events` is not read as a server id. */
export const ROUTES: Route[] = [
  {
    method: "GET",
    template: "/v1/game-servers/events",
    family: "game",
    scopes: READ,
    handler: ({ state, key, query }) => {
      const q = parseQuery(ListEventsQuery, query);
      const since = q.since ? Date.parse(q.since) : state.now() - 60_000;
      return { body: { events: state.provisioning.events(key.organizationId, since) } };
    },
  },
  {
    method: "GET",
    template: "/v1/game-servers",
    family: "game",
    scopes: READ,
    handler: ({ state, key, query }) => {
      const q = parseQuery(ListGameServersQuery, query);
      return {
        body: state.servers.list(key.organizationId, q.page ?? 1, q.pageSize ?? 20, q.includeDeleted ?? false, q.onlyDeleted ?? false),
      };
    },
  },
  {
    method: "POST",
    template: "/v1/game-servers",
    family: "game",
    scopes: WRITE,
    handler: ({ state, key, body }) => {
      const dto = parseBody(createRequestSchema(body), body);
      return { body: state.servers.create(key, dto) };
    },
  },
  {
    method: "GET",
    template: "/v1/game-servers/:id/status",
    family: "game",
    scopes: READ,
    handler: ({ state, key, params }) => ({ body: state.servers.status(key.organizationId, params.id!) }),
  },
  {
    method: "GET",
    template: "/v1/game-servers/:id",
    family: "game",
    scopes: READ,
    handler: ({ state, key, params }) => ({ body: state.servers.get(key.organizationId, params.id!) }),
  },
  {
    method: "PATCH",
    template: "/v1/game-servers/:id",
    family: "game",
    scopes: WRITE,
    handler: ({ state, key, params, body }) => ({
      body: state.servers.update(key.organizationId, params.id!, parseBody(UpdateGameServerRequest, body)),
    }),
  },
  {
    method: "DELETE",
    template: "/v1/game-servers/:id",
    family: "game",
    scopes: WRITE,
    handler: ({ state, key, params }) => {
      state.servers.delete(key, params.id!);
      return { body: { ok: true } };
    },
  },
  {
    method: "GET",
    template: "/v1/hosting/game/console/:id/websocket",
    family: "console",
    scopes: ["game-console:read", "game-console:read_write"],
    handler: ({ state, key, params, origin }) => {
      const server = state.console.server(key.organizationId, params.id!);
      // Read-only keys get read-only streams (console document).
      const token = state.console.issueToken(server, key.scopes.has("game-console:read_write"));
      return { body: { success: true, server_id: server.id, websocket: { socket_url: `${origin}/ws`, token } } };
    },
  },
  {
    method: "POST",
    template: "/v1/hosting/game/console/:id/command",
    family: "console",
    scopes: ["game-console:read_write"],
    handler: ({ state, key, params, body }) => {
      const server = state.console.server(key.organizationId, params.id!);
      const { command } = parseBody(ConsoleCommandRequest, body);
      state.console.runCommand(server.id, command);
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
      const server = state.console.server(key.organizationId, params.id!);
      const log = state.console.logOf(server.id);
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
    handler: ({ state }) => ({ body: state.provisioning.tick() }),
  },
  {
    method: "POST",
    template: "/_emulator/keys",
    family: "control",
    handler: ({ state, body }) => {
      const { organizationId, scopes } = parseBody(CreateKeyRequest, body);
      return { status: 201, body: { apiKey: state.keys.create(organizationId, scopes).secret } };
    },
  },
  {
    method: "POST",
    template: "/_emulator/keys/revoke",
    family: "control",
    handler: ({ state, body }) => ({ body: { ok: state.keys.revoke(parseBody(RevokeKeyRequest, body).apiKey) } }),
  },
  {
    method: "POST",
    template: "/_emulator/servers/:id/stop",
    family: "control",
    handler: ({ state, params }) => ({ body: state.provisioning.stopNow(params.id!) }),
  },
  // Players (README, "Players"): connect and disconnect them, read who is connected.
  {
    method: "GET",
    template: "/_emulator/servers/:id/players",
    family: "control",
    handler: ({ state, params }) => ({ body: state.players.list(params.id!) }),
  },
  {
    method: "POST",
    template: "/_emulator/servers/:id/players",
    family: "control",
    handler: ({ state, params, body }) => ({ body: state.players.apply(params.id!, parseBody(PlayersRequest, body)) }),
  },
  {
    method: "GET",
    template: "/_emulator/stats",
    family: "control",
    handler: ({ state }) => ({ body: { requests: state.traffic.stats(), servers: state.servers.stats() } }),
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
  // Console websocket faults and counters (README, "Console websocket").
  {
    method: "POST",
    template: "/_emulator/console/faults",
    family: "control",
    handler: ({ sockets, body }) => ({ status: 201, body: sockets.applyFault(body) }),
  },
  {
    method: "GET",
    template: "/_emulator/console/stats",
    family: "control",
    handler: ({ sockets }) => ({ body: sockets.stats() }),
  },
];

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
