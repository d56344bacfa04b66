import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  type CreateGameServerRequest,
  CS2_CONFIGURATION_DEFAULTS,
  CS2_SECRET_KEYS,
  Cs2Configuration,
  Cs2ConfigurationPatch,
  type GameServer,
  type ProvisioningEvent,
  type Scope,
  type ServerStatusResponse,
  type UpdateGameServerRequest,
} from "../schemas/index.js";
import { isKnownRegion } from "../schemas/regions.js";
import { HttpError, invalid } from "./http-error.js";
import { defaultConfig, type EmulatorConfig, type EmulatorConfigPatch } from "./settings.js";
import { Traffic } from "./traffic.js";

export interface ApiKey {
  /** Public id of the key, used as `deletedBy`; never the secret. */
  id: string;
  secret: string;
  organizationId: string;
  scopes: Set<Scope>;
}

/** A server as the emulator holds it: the wire shape plus what it keeps to itself. */
interface ServerRecord {
  wire: GameServer;
  /** Full configuration, passwords included (the wire shape omits them). */
  configuration: Record<string, unknown>;
  /** Emulated epoch ms of the last activity, for autoStop. */
  lastActivityAt: number;
  log: string[];
  /** The one pending boot step (allocating -> starting -> running); a chain, never two timers. */
  bootTimer: NodeJS.Timeout | undefined;
  everRan: boolean;
}

export interface ConsoleToken {
  serverId: string;
  organizationId: string;
  readWrite: boolean;
  /** Real epoch ms. */
  expiresAt: number;
  ttlMs: number;
}

/** The boot path, in order: a server never moves backwards along it. */
const BOOT_ORDER = ["pending", "allocating", "starting", "running"];
/** Statuses that hold a slot of a region's capacity. */
const HOLDS_CAPACITY = new Set(["allocating", "starting", "provisioning", "running"]);
const LOG_LIMIT = 2000;
const EVENT_LIMIT = 10_000;

/**
 * The emulated hosting API's state and rules, free of HTTP. One instance per emulator.
 * Emits `log` (serverId, line) and `status` (serverId, status) for console streams.
 */
export class EmulatorState extends EventEmitter {
  config: EmulatorConfig = defaultConfig();
  readonly traffic = new Traffic();
  readonly seededKey: ApiKey;
  readonly #keys = new Map<string, ApiKey>();
  /** Insertion order is creation order: list() pages over it without sorting. */
  readonly #servers = new Map<string, ServerRecord>();
  #events: (ProvisioningEvent & { organizationId: string })[] = [];
  readonly #tokens = new Map<string, ConsoleToken>();
  #allocations = 0;
  #clockBaseReal = Date.now();
  #clockBaseEmulated = Date.now();
  #queueTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(seededSecret: string) {
    super();
    this.setMaxListeners(0);
    this.seededKey = {
      id: "key_demo",
      secret: seededSecret,
      organizationId: "org_demo",
      scopes: new Set(["game-servers:read", "game-servers:write", "game-console:read_write", "game-logs:read"]),
    };
    this.#keys.set(seededSecret, this.seededKey);
    this.#startTimers();
  }

  // ---- clock --------------------------------------------------------------------------

  /**
   * Emulated epoch ms: real time scaled by `clockScale` since the last rebase, shifted by
   * `clockOffsetMs` (the API's clock skew against ours). Every timestamp and the `Date` header use it.
   */
  now(): number {
    return this.#clockBaseEmulated + (Date.now() - this.#clockBaseReal) * this.config.clockScale + this.config.clockOffsetMs;
  }

  #iso(): string {
    return new Date(this.now()).toISOString();
  }

  // ---- control ------------------------------------------------------------------------

  applyConfig(patch: EmulatorConfigPatch): EmulatorConfig {
    if (patch.clockScale !== undefined) {
      // Rebase so emulated time stays continuous when the speed changes.
      this.#clockBaseEmulated = this.now() - this.config.clockOffsetMs;
      this.#clockBaseReal = Date.now();
    }
    const { capacity, ...rest } = patch;
    this.config = {
      ...this.config,
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
      capacity: { ...this.config.capacity, ...capacity },
    };
    if (patch.queueIntervalMs !== undefined) this.#startTimers();
    return this.config;
  }

  /** How many resets so far: a request held by a delay fault across a reset is not carried out. */
  resets = 0;

  reset(): void {
    this.resets++;
    for (const record of this.#servers.values()) clearTimeout(record.bootTimer);
    this.#servers.clear();
    this.#events = [];
    this.#tokens.clear();
    this.#keys.clear();
    this.#keys.set(this.seededKey.secret, this.seededKey);
    this.#allocations = 0;
    this.config = defaultConfig();
    this.traffic.reset();
    this.#clockBaseReal = Date.now();
    this.#clockBaseEmulated = Date.now();
    this.#startTimers();
    this.emit("reset");
  }

  createKey(organizationId: string, scopes: Scope[]): ApiKey {
    const key: ApiKey = { id: `key_${token(8)}`, secret: `gsk_emu_${token(24)}`, organizationId, scopes: new Set(scopes) };
    this.#keys.set(key.secret, key);
    return key;
  }

  /** Revokes a key (the seeded one too, until the next reset): every later request with it is 401. */
  revokeKey(secret: string): boolean {
    return this.#keys.delete(secret);
  }

  authenticate(secret: string | undefined): ApiKey | undefined {
    return secret === undefined ? undefined : this.#keys.get(secret);
  }

  stats(): { byStatus: Record<string, number> } {
    const byStatus: Record<string, number> = {};
    for (const { wire } of this.#servers.values()) {
      if (wire.deletedAt === null) byStatus[wire.status] = (byStatus[wire.status] ?? 0) + 1;
    }
    return { byStatus };
  }

  close(): void {
    clearInterval(this.#queueTimer);
    clearInterval(this.#sweepTimer);
    for (const record of this.#servers.values()) clearTimeout(record.bootTimer);
    this.removeAllListeners();
  }

  #startTimers(): void {
    clearInterval(this.#queueTimer);
    this.#queueTimer = setInterval(() => this.tick(), this.config.queueIntervalMs).unref();
    this.#sweepTimer ??= setInterval(() => this.sweepAutoStop(), 1000).unref();
  }

  // ---- game servers -------------------------------------------------------------------

  list(org: string, page: number, pageSize: number, includeDeleted: boolean, onlyDeleted: boolean) {
    const matches: GameServer[] = [];
    for (const { wire } of this.#servers.values()) {
      if (wire.organizationId !== org) continue;
      const deleted = wire.deletedAt !== null;
      if (onlyDeleted ? !deleted : deleted && !includeDeleted) continue;
      matches.push(wire);
    }
    const start = (page - 1) * pageSize;
    return { page, pageSize, total: matches.length, items: matches.slice(start, start + pageSize).map((w) => this.#answer(w)) };
  }

  /** The server if `org` may see it: 404 unknown, 403 another organization's. */
  get(org: string, id: string): GameServer {
    return this.#answer(this.#owned(org, id).wire);
  }

  /** A server as the API answers with it: the record, plus the `extraFields` a newer API would add. */
  #answer(wire: GameServer): GameServer {
    const { server = {}, configuration = {} } = this.config.extraFields;
    if (Object.keys(server).length === 0 && Object.keys(configuration).length === 0) return wire;
    return { ...structuredClone(server), ...wire, configuration: { ...structuredClone(configuration), ...wire.configuration } };
  }

  status(org: string, id: string): ServerStatusResponse {
    const { wire } = this.#owned(org, id);
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
    const now = this.#iso();
    // A real API fills in the optional fields a create leaves out, and reports them (issue 17).
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
      lastActivityAt: this.now(),
      log: [],
      bootTimer: undefined,
      everRan: false,
    };
    this.#servers.set(record.wire.id, record);
    if (this.#hasCapacity(dto.region)) {
      this.#allocate(record);
    } else {
      // The seed: no capacity is not an error; the server is queued for the background job.
      record.wire.queuedAt = now;
    }
    return this.#answer(record.wire);
  }

  update(org: string, id: string, dto: UpdateGameServerRequest): GameServer {
    const record = this.#owned(org, id);
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
        this.#appendLog(record, "Configuration updated");
        if (configuration.startingMap !== previousMap) this.#appendLog(record, `Changing level to ${String(configuration.startingMap)}`);
      }
    }
    if (JSON.stringify([wire.name, record.configuration, wire.autoStop, wire.autostopMinutes]) !== before) {
      wire.updatedAt = this.#iso();
      record.lastActivityAt = this.now();
    }
    return this.#answer(wire);
  }

  delete(key: ApiKey, id: string): void {
    const record = this.#owned(key.organizationId, id);
    if (record.wire.deletedAt !== null) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found (already deleted)`);
    clearTimeout(record.bootTimer);
    record.bootTimer = undefined;
    const now = this.#iso();
    Object.assign(record.wire, {
      deletedAt: now,
      deletedBy: key.id,
      updatedAt: now,
      ip: null,
      port: null,
      connectUrl: null,
      additionalPorts: null,
    });
    this.#setStatus(record, "stopped");
  }

  events(org: string, sinceMs: number): ProvisioningEvent[] {
    const out: ProvisioningEvent[] = [];
    for (const { organizationId, ...event } of this.#events) {
      if (organizationId === org && Date.parse(event.createdAt) > sinceMs) out.push(event);
    }
    return out;
  }

  /** The background allocation job: one attempt for every queued server, oldest first. */
  tick(): { allocated: number; failed: number; pending: number } {
    let allocated = 0;
    let failed = 0;
    let pending = 0;
    for (const record of this.#servers.values()) {
      const wire = record.wire;
      if (wire.status !== "pending" || wire.deletedAt !== null) continue;
      wire.allocationAttempts += 1;
      wire.updatedAt = this.#iso();
      if (this.#hasCapacity(wire.region)) {
        this.#allocate(record);
        allocated++;
        continue;
      }
      wire.lastAllocationError = `No capacity available in ${wire.region} (attempt ${wire.allocationAttempts} of ${this.config.maxAllocationAttempts})`;
      if (wire.allocationAttempts >= this.config.maxAllocationAttempts) {
        this.#setStatus(record, "failed");
        this.#event(record, "provisioning_failed", { error: wire.lastAllocationError });
        failed++;
      } else {
        pending++;
      }
    }
    return { allocated, failed, pending };
  }

  /** Stops running servers with autoStop whose idle time passed `autostopMinutes` (emulated clock). */
  sweepAutoStop(): void {
    const now = this.now();
    for (const record of this.#servers.values()) {
      const wire = record.wire;
      if (!wire.autoStop || wire.status !== "running" || wire.deletedAt !== null || wire.autostopMinutes === null) continue;
      if (now - record.lastActivityAt < wire.autostopMinutes * 60_000) continue;
      this.#stop(record);
    }
  }

  /**
   * `POST /_emulator/servers/:id/stop`: stops a running server now, as the autoStop sweep does
   * when its idle minutes pass (whatever its `autoStop` setting), so tests need no clock games.
   * 404 for an unknown or deleted server, 409 for one that is not `running`.
   */
  stopNow(id: string): GameServer {
    const record = this.#servers.get(id);
    if (!record || record.wire.deletedAt !== null) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found`);
    if (record.wire.status !== "running") {
      throw new HttpError(409, "CONFLICT", `Game server ${id} is ${record.wire.status}: only a running server can be stopped`);
    }
    this.#stop(record);
    return this.#answer(record.wire);
  }

  /** What the platform does when it stops a server: a log line, no address, status `stopped`. */
  #stop(record: ServerRecord): void {
    const wire = record.wire;
    this.#appendLog(record, wire.autoStop ? `Server stopped after ${wire.autostopMinutes} idle minutes (autoStop)` : "Server stopped");
    Object.assign(wire, { ip: null, port: null, connectUrl: null, additionalPorts: null, updatedAt: this.#iso() });
    this.#setStatus(record, "stopped");
  }

  // ---- console and logs ---------------------------------------------------------------

  /** The server for a console route: 404 unknown or deleted, 403 another organization's. */
  consoleServer(org: string, id: string): GameServer {
    const record = this.#owned(org, id);
    if (record.wire.deletedAt !== null) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found (deleted)`);
    return record.wire;
  }

  issueToken(server: GameServer, readWrite: boolean): string {
    const now = Date.now();
    for (const [t, info] of this.#tokens) if (info.expiresAt <= now) this.#tokens.delete(t);
    const value = `ct_${token(24)}`;
    this.#tokens.set(value, {
      serverId: server.id,
      organizationId: server.organizationId,
      readWrite,
      expiresAt: now + this.config.tokenTtlMs,
      ttlMs: this.config.tokenTtlMs,
    });
    return value;
  }

  /** A live token's grant, or undefined when unknown or expired. */
  redeemToken(value: string): ConsoleToken | undefined {
    const info = this.#tokens.get(value);
    return info && info.expiresAt > Date.now() ? info : undefined;
  }

  /** Runs a console command on a running server; its output goes to the log and every stream. */
  runCommand(id: string, command: string): void {
    const record = this.#servers.get(id);
    if (record?.wire.status !== "running") {
      throw new HttpError(403, "PROVIDER_PERMISSION_DENIED", "Console commands are not available for this server");
    }
    record.lastActivityAt = this.now();
    this.#appendLog(record, `> ${command}`);
    for (const line of commandOutput(record, command)) this.#appendLog(record, line);
  }

  logOf(id: string): string[] {
    return this.#servers.get(id)?.log ?? [];
  }

  // ---- internals ----------------------------------------------------------------------

  #owned(org: string, id: string): ServerRecord {
    const record = this.#servers.get(id);
    if (!record) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found`);
    if (record.wire.organizationId !== org) throw new HttpError(403, "FORBIDDEN", "You do not have access to this game server");
    return record;
  }

  #capacityOf(region: string): number {
    return this.config.capacity[region] ?? this.config.defaultCapacity;
  }

  #hasCapacity(region: string): boolean {
    let used = 0;
    for (const { wire } of this.#servers.values()) {
      if (wire.region === region && wire.deletedAt === null && HOLDS_CAPACITY.has(wire.status)) used++;
    }
    return used < this.#capacityOf(region);
  }

  #allocate(record: ServerRecord): void {
    const wire = record.wire;
    const n = this.#allocations++;
    // Documentation address ranges (RFC 5737): never a real host.
    const nets = ["203.0.113", "198.51.100", "192.0.2"];
    const port = 27015 + 10 * (Math.floor(n / 250) % 100);
    wire.ip = `${nets[n % 3]}.${1 + (n % 250)}`;
    wire.port = port;
    wire.additionalPorts = { rcon: port + 1, sourcetv: port + 5 };
    wire.connectUrl = `steam://connect/${wire.ip}:${port}`;
    wire.lastAllocationError = null;
    wire.updatedAt = this.#iso();
    const boot = this.config.bootDelayMs;
    if (boot === 0) {
      this.#becomeRunning(record);
      return;
    }
    this.#setStatus(record, "allocating");
    // One timer at a time, each step scheduling the next: two independent timers were seen to
    // fire out of order under load, moving a running server back to starting (issue 8).
    const half = Math.floor(boot / 2);
    record.bootTimer = setTimeout(() => {
      this.#setStatus(record, "starting");
      record.bootTimer = setTimeout(() => this.#becomeRunning(record), boot - half);
    }, half);
  }

  #becomeRunning(record: ServerRecord): void {
    record.bootTimer = undefined;
    const wire = record.wire;
    record.lastActivityAt = this.now();
    this.#setStatus(record, "running");
    if (!record.everRan) {
      record.everRan = true;
      const cfg = record.configuration;
      this.#appendLog(record, `Server started: ${wire.name} (${wire.gameType}, ${wire.region})`);
      if (typeof cfg.startingMap === "string") this.#appendLog(record, `Loading map ${cfg.startingMap}`);
      if (cfg.enableVAC === true) this.#appendLog(record, "VAC secure mode is activated.");
      if (wire.additionalPorts?.sourcetv) this.#appendLog(record, `GOTV[0] listening on port ${wire.additionalPorts.sourcetv}`);
      this.#event(record, "provisioning_completed", { ip: wire.ip, port: wire.port, connectUrl: wire.connectUrl });
    }
  }

  /**
   * The one place a status changes. The boot path only moves forward (pending, allocating,
   * starting, running); a step that would move back is refused and reported, never applied
   * (and never thrown: it runs in timers, where a throw would end the emulator).
   */
  #setStatus(record: ServerRecord, status: string): void {
    const from = BOOT_ORDER.indexOf(record.wire.status);
    const to = BOOT_ORDER.indexOf(status);
    if (from >= 0 && to >= 0 && to < from) {
      console.error(`[emulator] refused to move ${record.wire.id} from ${record.wire.status} back to ${status}`);
      return;
    }
    record.wire.status = status;
    record.wire.updatedAt = this.#iso();
    this.emit("status", record.wire.id, status);
  }

  #event(record: ServerRecord, eventType: ProvisioningEvent["eventType"], data: Record<string, unknown>): void {
    this.#events.push({
      id: `evt_${token(10)}`,
      serverId: record.wire.id,
      eventType,
      eventData: { serverName: record.wire.name, status: record.wire.status, allocationAttempts: record.wire.allocationAttempts, ...data },
      createdAt: this.#iso(),
      organizationId: record.wire.organizationId,
    });
    if (this.#events.length > EVENT_LIMIT) this.#events = this.#events.slice(-EVENT_LIMIT);
  }

  #appendLog(record: ServerRecord, text: string): void {
    const stamp = new Date(this.now()).toISOString().slice(11, 19);
    const line = `[${stamp}] ${text}`;
    record.log.push(line);
    if (record.log.length > LOG_LIMIT) record.log.splice(0, record.log.length - LOG_LIMIT);
    this.emit("log", record.wire.id, line);
  }
}

/** The configuration as responses show it: passwords are top-level fields only, never echoed here. */
function publicConfiguration(cfg: Record<string, unknown>): Record<string, unknown> {
  const out = { ...cfg };
  for (const key of CS2_SECRET_KEYS) delete out[key];
  return out;
}

/** The map each server is on after a `changelevel`; until then, its `startingMap`. */
const currentMap = new WeakMap<ServerRecord, string>();

function commandOutput(record: ServerRecord, command: string): string[] {
  const [verb = "", ...rest] = command.trim().split(/\s+/);
  const arg = rest.join(" ");
  const cfg = record.configuration;
  switch (verb) {
    case "say":
      return [`Console: ${arg}`];
    case "status":
      return [
        `hostname: ${record.wire.name}`,
        `map     : ${currentMap.get(record) ?? String(cfg.startingMap ?? "unknown")}`,
        `players : 0 humans, 0 bots (${String(cfg.maxPlayers ?? "?")} max)`,
      ];
    case "changelevel": {
      const pool = Array.isArray(cfg.mapPool) ? (cfg.mapPool as string[]) : [];
      if (!pool.includes(arg)) return [`changelevel failed: ${arg || "(no map)"} is not in the map pool`];
      currentMap.set(record, arg);
      return [`Changing level to ${arg}`];
    }
    case "mp_restartgame":
      return [`Restarting game in ${arg || "1"} seconds`];
    default:
      return [`Unknown command "${verb}"`];
  }
}

/** Random URL-safe id material. */
export function token(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}
