import type { z } from "zod";
import { APIUserAbortError, isTransientError, RequestValidationError, ServerFailedError, WaitTimeoutError } from "../core/errors.js";
import { PagePromise } from "../core/pagination.js";
import { path, type RequestOptions, type Transport } from "../core/transport.js";
import {
  type CreateGameServerRequest,
  createRequestSchema,
  DeleteGameServerResponse,
  GameServer,
  type GameServerStatus,
  ListEventsResponse,
  ListGameServersParams,
  ListGameServersResponse,
  ServerId,
  ServerStatusResponse,
  TERMINAL_STATUSES,
  UpdateGameServerRequest,
} from "../schemas/index.js";

/** Progress of a wait, reported after every poll. */
export interface WaitProgress {
  serverId: string;
  status: GameServerStatus;
  /** The status of the previous poll, or undefined on the first. */
  previousStatus: GameServerStatus | undefined;
  /** Polls made so far, this one included. */
  attempts: number;
  /** Milliseconds since the wait began. */
  elapsedMs: number;
  /** The server's last allocation error, if it reported one. */
  lastError: string | null;
}

/** Options of {@link GameServers.waitForServer}. */
export interface WaitOptions extends RequestOptions {
  /** Give up with {@link WaitTimeoutError} at this time (a Date or epoch ms). @default no deadline */
  deadline?: Date | number;
  /** Called after every poll. */
  onProgress?: (progress: WaitProgress) => void;
}

/** Options of {@link GameServers.create}. */
export interface CreateOptions extends WaitOptions {
  /** Block until the server is running (or throw when it fails). @default false */
  wait?: boolean;
  /** Poll interval in ms while waiting. @default 5000 */
  pollInterval?: number;
}

const WAIT_DEFAULT_POLL_MS = 5_000;

/** `client.gameServers`: the game servers API (`/v1/game-servers`). */
export class GameServers {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /**
   * One page of the organization's servers. Await it for `{ page, pageSize, total, items }`,
   * or `for await` over it for every server on every page from `page` on.
   */
  list(params: ListGameServersParams = {}, options?: RequestOptions): PagePromise {
    let p: ListGameServersParams;
    try {
      p = validate("gameServers.list", ListGameServersParams, params);
    } catch (error) {
      // Surface as a rejection, like every other method, not as a synchronous throw.
      return new PagePromise(() => Promise.reject(error), 1);
    }
    return new PagePromise(
      (page) =>
        this.#t.request(
          {
            method: "GET",
            base: "api",
            path: "/v1/game-servers",
            query: { ...p, page },
            schema: ListGameServersResponse,
            what: "gameServers.list",
          },
          options,
        ),
      p.page ?? 1,
    );
  }

  /** One server by id, soft-deleted ones included (their `deletedAt` is set). */
  async get(id: string, options?: RequestOptions): Promise<GameServer> {
    return this.#t.request(
      {
        method: "GET",
        base: "api",
        path: path`/v1/game-servers/${serverId("gameServers.get", id)}`,
        schema: GameServer,
        what: "gameServers.get",
      },
      options,
    );
  }

  /** The lightweight status shape, for polling. */
  async getStatus(id: string, options?: RequestOptions): Promise<ServerStatusResponse> {
    return this.#t.request(
      {
        method: "GET",
        base: "api",
        path: path`/v1/game-servers/${serverId("gameServers.getStatus", id)}/status`,
        schema: ServerStatusResponse,
        what: "gameServers.getStatus",
      },
      options,
    );
  }

  /**
   * Polls `getStatus` until the server is `running`, then returns the full server.
   * Throws {@link ServerFailedError} on `failed`, `error` or `stopped` (with the last allocation
   * error and attempt count), {@link WaitTimeoutError} past `deadline`. Transient failures of a
   * poll (connection errors, 429, 5xx) do not end the wait; the next poll tries again.
   * @param pollIntervalMs @default 5000
   */
  async waitForServer(id: string, pollIntervalMs: number = WAIT_DEFAULT_POLL_MS, options: WaitOptions = {}): Promise<GameServer> {
    const { deadline, onProgress, ...requestOptions } = options;
    const clock = this.#t.clock;
    const started = clock.now();
    const deadlineMs = deadline === undefined ? undefined : typeof deadline === "number" ? deadline : deadline.getTime();
    let previous: GameServerStatus | undefined;
    // Rate-limited polls retry up to the wait's own deadline.
    const pollOptions: RequestOptions = { ...requestOptions, ...(deadlineMs !== undefined ? { deadline: deadlineMs } : {}) };
    for (let attempts = 1; ; attempts++) {
      let status: ServerStatusResponse | undefined;
      let result: GameServer | undefined;
      try {
        status = await this.getStatus(id, pollOptions);
        // Running: fetch the full server. A transient failure of that fetch is just another
        // failed poll; once the server runs, the wait never throws a transient error.
        if (status.status === "running") result = await this.get(id, pollOptions);
      } catch (error) {
        if (!isTransientError(error)) throw error;
      }
      if (status) {
        onProgress?.({
          serverId: id,
          status: status.status,
          previousStatus: previous,
          attempts,
          elapsedMs: clock.now() - started,
          lastError: status.lastError ?? null,
        });
        previous = status.status;
        if (result?.status === "running") return result;
        if (TERMINAL_STATUSES.includes(status.status)) {
          const server = await this.get(id, pollOptions);
          throw new ServerFailedError(id, server.status, server.lastAllocationError ?? status.lastError ?? null, server.allocationAttempts);
        }
      }
      const now = clock.now();
      if (deadlineMs !== undefined && now + pollIntervalMs > deadlineMs) {
        throw new WaitTimeoutError(id, previous ?? "unknown", now - started);
      }
      try {
        await clock.sleep(pollIntervalMs, requestOptions.signal);
      } catch (error) {
        throw new APIUserAbortError("Wait was aborted", { cause: error });
      }
    }
  }

  /**
   * Creates a server. With capacity it comes back `running`; without, `pending` and queued.
   * `{ wait: true }` blocks until it is running. A create whose outcome is unknown (lost
   * response) throws `AmbiguousRequestError` and is never repeated blindly.
   */
  async create(dto: CreateGameServerRequest, options: CreateOptions = {}): Promise<GameServer> {
    const { wait, pollInterval, deadline, onProgress, ...requestOptions } = options;
    const body = validate("gameServers.create", createRequestSchema(dto), dto);
    const server = await this.#t.request(
      { method: "POST", base: "api", path: "/v1/game-servers", body, schema: GameServer, what: "gameServers.create" },
      // The deadline also bounds how long a rate-limited create keeps retrying.
      deadline === undefined ? requestOptions : { ...requestOptions, deadline },
    );
    if (!wait || server.status === "running") return server;
    return this.waitForServer(server.id, pollInterval ?? WAIT_DEFAULT_POLL_MS, { ...requestOptions, deadline, onProgress });
  }

  /** Partial update: only the fields given change; `configuration` is merged. */
  async update(id: string, dto: UpdateGameServerRequest, options?: RequestOptions): Promise<GameServer> {
    const body = validate("gameServers.update", UpdateGameServerRequest, dto);
    return this.#t.request(
      {
        method: "PATCH",
        base: "api",
        path: path`/v1/game-servers/${serverId("gameServers.update", id)}`,
        body,
        schema: GameServer,
        what: "gameServers.update",
      },
      options,
    );
  }

  /** Soft-deletes a server and releases its capacity. */
  async delete(id: string, options?: RequestOptions): Promise<DeleteGameServerResponse> {
    return this.#t.request(
      {
        method: "DELETE",
        base: "api",
        path: path`/v1/game-servers/${serverId("gameServers.delete", id)}`,
        schema: DeleteGameServerResponse,
        what: "gameServers.delete",
      },
      options,
    );
  }

  /** Provisioning events after `since` (default: the last minute). */
  async events(params: { since?: Date | string } = {}, options?: RequestOptions): Promise<ListEventsResponse> {
    const since = params.since instanceof Date ? params.since.toISOString() : params.since;
    return this.#t.request(
      {
        method: "GET",
        base: "api",
        path: "/v1/game-servers/events",
        query: { since },
        schema: ListEventsResponse,
        what: "gameServers.events",
      },
      options,
    );
  }
}

/** Parses `value` with `schema` or throws a {@link RequestValidationError} naming each field. */
export function validate<S extends z.ZodType>(what: string, schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RequestValidationError(what, parsed.error.issues);
  return parsed.data;
}

export function serverId(what: string, id: string): string {
  const parsed = ServerId.safeParse(id);
  if (!parsed.success)
    throw new RequestValidationError(
      what,
      parsed.error.issues.map((i) => ({ ...i, path: ["id"] })),
    );
  return parsed.data;
}
