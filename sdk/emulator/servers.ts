import {
  type CreateGameServerRequest,
  CS2_CONFIGURATION_DEFAULTS,
  CS2_SECRET_KEYS,
  Cs2Configuration,
  Cs2ConfigurationPatch,
  type GameServer,
  type ServerStatusResponse,
  type UpdateGameServerRequest,
} from "../schemas/index.js";
import { isKnownRegion } from "../schemas/regions.js";
import { HttpError, invalid } from "./http-error.js";
import { token } from "./ids.js";
import type { ApiKey } from "./keys.js";
import type { Player } from "./players.js";
import type { EmulatorState } from "./state.js";

/** A server as the emulator holds it: the wire shape plus what it keeps to itself. */
export interface ServerRecord {
  wire: GameServer;
  /** Full configuration, passwords included (the wire shape omits them). */
  configuration: Record<string, unknown>;
  /** Emulated epoch ms of the last activity, for autoStop. */
  lastActivityAt: number;
  log: string[];
  /** The one pending boot step (allocating -> starting -> running); a chain, never two timers. */
  bootTimer: NodeJS.Timeout | undefined;
  everRan: boolean;
  /** The map after a `changelevel`; until then, the configuration's `startingMap`. */
  currentMap: string | undefined;
  /** Connected players by name, oldest first; only a running server has any. */
  players: Map<string, Player>;
  /** The `status` id of the next player to connect. */
  nextUserId: number;
}

/** The game servers API (`/v1/game-servers`): the servers of every organization, and their rules. */
export class Servers {
  readonly #state: EmulatorState;
  /** Insertion order is creation order: list() pages over it without sorting. */
  readonly #records = new Map<string, ServerRecord>();

  constructor(state: EmulatorState) {
    this.#state = state;
  }

  /** Every server, deleted ones included, oldest first. */
  all(): IterableIterator<ServerRecord> {
    return this.#records.values();
  }

  byId(id: string): ServerRecord | undefined {
    return this.#records.get(id);
  }

  reset(): void {
    this.#records.clear();
  }

  /** Live servers by status, for `GET /_emulator/stats`. */
  stats(): { byStatus: Record<string, number> } {
    const byStatus: Record<string, number> = {};
    for (const { wire } of this.#records.values()) {
      if (wire.deletedAt === null) byStatus[wire.status] = (byStatus[wire.status] ?? 0) + 1;
    }
    return { byStatus };
  }

  list(org: string, page: number, pageSize: number, includeDeleted: boolean, onlyDeleted: boolean) {
    const matches: GameServer[] = [];
    for (const { wire } of this.#records.values()) {
      if (wire.organizationId !== org) continue;
      const deleted = wire.deletedAt !== null;
      if (onlyDeleted ? !deleted : deleted && !includeDeleted) continue;
      matches.push(wire);
    }
    const start = (page - 1) * pageSize;
    return { page, pageSize, total: matches.length, items: matches.slice(start, start + pageSize).map((w) => this.answer(w)) };
  }

  /** The server if `org` may see it: 404 unknown, 403 another organization's. */
  get(org: string, id: string): GameServer {
    return this.answer(this.owned(org, id).wire);
  }

  /** A server as the API answers with it: the record, plus the `extraFields` a newer API would add. */
  answer(wire: GameServer): GameServer {
    const { server = {}, configuration = {} } = this.#state.config.extraFields;
    if (Object.keys(server).length === 0 && Object.keys(configuration).length === 0) return wire;
    return { ...structuredClone(server), ...wire, configuration: { ...structuredClone(configuration), ...wire.configuration } };
  }

  status(org: string, id: string): ServerStatusResponse {
    const { wire } = this.owned(org, id);
    const out: ServerStatusResponse = { id: wire.id, status: wire.status, updatedAt: wire.updatedAt };
    if (wire.ip !== null) out.ip = wire.ip;
    if (wire.port !== null) out.port = wire.port;
    if (wire.lastAllocationError !== null) out.lastError = wire.lastAllocationError;
    if (wire.queuedAt !== null) out.queuedAt = wire.queuedAt;
    return out;
  }

  create(key: ApiKey, dto: CreateGameServerRequest): GameServer {
    if (dto.organizationId !== undefined && dto.organizationId !== key.organizationId) {
      throw new HttpError(403, "FORBIDDEN", "organizationId must be the API key's own organization");
    }
    if (!isKnownRegion(dto.region)) {
      throw new HttpError(400, "INVALID_PARAMS", `region ${dto.region} is not a known region`, [
        { path: "region", message: "is not a known AWS commercial region" },
      ]);
    }
    const now = this.#state.iso();
    // A real API fills in the optional fields a create leaves out, and reports them.
    const configuration: Record<string, unknown> =
      dto.gameType === "cs2" ? { ...structuredClone(CS2_CONFIGURATION_DEFAULTS), ...dto.configuration } : { ...dto.configuration };
    if (dto.gameType !== "cs2" && typeof configuration.rconPassword !== "string") configuration.rconPassword = token(12);
    const record: ServerRecord = {
      wire: {
        id: `srv_${token(10)}`,
        name: dto.name,
        gameType: dto.gameType,
        region: dto.region,
        organizationId: key.organizationId,
        status: "pending",
        queuedAt: null,
        allocationAttempts: 0,
        lastAllocationError: null,
        ip: null,
        port: null,
        connectUrl: null,
        additionalPorts: null,
        rconPassword: configuration.rconPassword as string,
        serverPassword: typeof configuration.serverPassword === "string" ? configuration.serverPassword : null,
        configuration: publicConfiguration(configuration),
        autoStop: dto.autoStop ?? false,
        autostopMinutes: dto.autostopMinutes ?? (dto.autoStop ? 30 : null),
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
        deletedBy: null,
      },
      configuration,
      lastActivityAt: this.#state.now(),
      log: [],
      bootTimer: undefined,
      everRan: false,
      currentMap: undefined,
      players: new Map(),
      // The first human's id in the CS2 `status` samples the emulator follows (README, "Players").
      nextUserId: 2,
    };
    this.#records.set(record.wire.id, record);
    this.#state.provisioning.admit(record);
    return this.answer(record.wire);
  }

  update(org: string, id: string, dto: UpdateGameServerRequest): GameServer {
    const record = this.owned(org, id);
    if (record.wire.deletedAt !== null) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found (deleted)`);
    const wire = record.wire;
    let configuration = record.configuration;
    if (dto.configuration !== undefined) {
      configuration = { ...record.configuration, ...dto.configuration };
      if (wire.gameType === "cs2") {
        const patch = Cs2ConfigurationPatch.safeParse(dto.configuration);
        if (!patch.success) throw invalid(patch.error.issues, "configuration");
        const merged = Cs2Configuration.safeParse(configuration);
        if (!merged.success) throw invalid(merged.error.issues, "configuration");
      }
    }
    const before = JSON.stringify([wire.name, record.configuration, wire.autoStop, wire.autostopMinutes]);
    if (dto.name !== undefined) wire.name = dto.name;
    if (dto.autoStop !== undefined) wire.autoStop = dto.autoStop;
    if (dto.autostopMinutes !== undefined) wire.autostopMinutes = dto.autostopMinutes;
    if (wire.autoStop && wire.autostopMinutes === null) wire.autostopMinutes = 30;
    if (dto.configuration !== undefined) {
      const previousMap = record.configuration.startingMap;
      record.configuration = configuration;
      wire.configuration = publicConfiguration(configuration);
      if (typeof configuration.rconPassword === "string") wire.rconPassword = configuration.rconPassword;
      wire.serverPassword = typeof configuration.serverPassword === "string" ? configuration.serverPassword : null;
      if (wire.status === "running") {
        this.#state.console.appendLog(record, "Configuration updated");
        if (configuration.startingMap !== previousMap) {
          this.#state.console.appendLog(record, `Changing level to ${String(configuration.startingMap)}`);
        }
      }
    }
    if (JSON.stringify([wire.name, record.configuration, wire.autoStop, wire.autostopMinutes]) !== before) {
      wire.updatedAt = this.#state.iso();
      record.lastActivityAt = this.#state.now();
    }
    return this.answer(wire);
  }

  delete(key: ApiKey, id: string): void {
    const record = this.owned(key.organizationId, id);
    if (record.wire.deletedAt !== null) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found (already deleted)`);
    const now = this.#state.iso();
    Object.assign(record.wire, {
      deletedAt: now,
      deletedBy: key.id,
      updatedAt: now,
      ip: null,
      port: null,
      connectUrl: null,
      additionalPorts: null,
    });
    this.#state.provisioning.release(record);
  }

  /** The record of a server `org` may see: 404 unknown, 403 another organization's. */
  owned(org: string, id: string): ServerRecord {
    const record = this.#records.get(id);
    if (!record) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found`);
    if (record.wire.organizationId !== org) throw new HttpError(403, "FORBIDDEN", "You do not have access to this game server");
    return record;
  }
}

/** The configuration as responses show it: passwords are top-level fields only, never echoed here. */
function publicConfiguration(cfg: Record<string, unknown>): Record<string, unknown> {
  const out = { ...cfg };
  for (const key of CS2_SECRET_KEYS) delete out[key];
  return out;
}
