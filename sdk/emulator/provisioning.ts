import type { GameServer, ProvisioningEvent } from "../schemas/index.js";
import { HttpError } from "./http-error.js";
import { token } from "./ids.js";
import type { ServerRecord } from "./servers.js";
import type { EmulatorState } from "./state.js";

/** The boot path, in order: a server never moves backwards along it. */
const BOOT_ORDER = ["pending", "allocating", "starting", "running"];
/** Statuses that hold a slot of a region's capacity. */
const HOLDS_CAPACITY = new Set(["allocating", "starting", "provisioning", "running"]);
const EVENT_LIMIT = 10_000;

/**
 * Where servers run and how their status moves: regions' capacity, the queue of servers waiting
 * for it and its background job, the boot path, autoStop, and the provisioning events.
 */
export class Provisioning {
  readonly #state: EmulatorState;
  #events: (ProvisioningEvent & { organizationId: string })[] = [];
  #allocations = 0;
  #queueTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(state: EmulatorState) {
    this.#state = state;
  }

  /** (Re)starts the background allocation job at the configured period, and the autoStop sweep. */
  startTimers(): void {
    clearInterval(this.#queueTimer);
    this.#queueTimer = setInterval(() => this.tick(), this.#state.config.queueIntervalMs).unref();
    this.#sweepTimer ??= setInterval(() => this.sweepAutoStop(), 1000).unref();
  }

  /** Stops every timer; `reset` keeps the job and the sweep running. */
  close(): void {
    clearInterval(this.#queueTimer);
    clearInterval(this.#sweepTimer);
    this.#clearBootTimers();
  }

  reset(): void {
    this.#clearBootTimers();
    this.#events = [];
    this.#allocations = 0;
  }

  /** A new server: allocated when its region has room, else queued for the background job. */
  admit(record: ServerRecord): void {
    if (this.#hasCapacity(record.wire.region)) this.#allocate(record);
    // The seed: no capacity is not an error; the server is queued for the background job.
    else record.wire.queuedAt = record.wire.createdAt;
  }

  /** A deleted server: its boot stops and its slot is free. */
  release(record: ServerRecord): void {
    this.#state.players.dropAll(record);
    clearTimeout(record.bootTimer);
    record.bootTimer = undefined;
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
    const { maxAllocationAttempts } = this.#state.config;
    for (const record of this.#state.servers.all()) {
      const wire = record.wire;
      if (wire.status !== "pending" || wire.deletedAt !== null) continue;
      wire.allocationAttempts += 1;
      wire.updatedAt = this.#state.iso();
      if (this.#hasCapacity(wire.region)) {
        this.#allocate(record);
        allocated++;
        continue;
      }
      wire.lastAllocationError = `No capacity available in ${wire.region} (attempt ${wire.allocationAttempts} of ${maxAllocationAttempts})`;
      if (wire.allocationAttempts >= maxAllocationAttempts) {
        this.#setStatus(record, "failed");
        this.#event(record, "provisioning_failed", { error: wire.lastAllocationError });
        failed++;
      } else {
        pending++;
      }
    }
    return { allocated, failed, pending };
  }

  /**
   * Stops running servers with autoStop whose idle time passed `autostopMinutes` (emulated clock).
   * A server with players is never idle.
   */
  sweepAutoStop(): void {
    const now = this.#state.now();
    for (const record of this.#state.servers.all()) {
      const wire = record.wire;
      if (!wire.autoStop || wire.status !== "running" || wire.deletedAt !== null || wire.autostopMinutes === null) continue;
      if (record.players.size > 0) continue;
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
    const record = this.#state.servers.byId(id);
    if (!record || record.wire.deletedAt !== null) throw new HttpError(404, "NOT_FOUND", `Game server ${id} not found`);
    if (record.wire.status !== "running") {
      throw new HttpError(409, "CONFLICT", `Game server ${id} is ${record.wire.status}: only a running server can be stopped`);
    }
    this.#stop(record);
    return this.#state.servers.answer(record.wire);
  }

  /** What the platform does when it stops a server: its players dropped, a log line, no address, status `stopped`. */
  #stop(record: ServerRecord): void {
    const wire = record.wire;
    this.#state.players.dropAll(record);
    const line = wire.autoStop ? `Server stopped after ${wire.autostopMinutes} idle minutes (autoStop)` : "Server stopped";
    this.#state.console.appendLog(record, line);
    Object.assign(wire, { ip: null, port: null, connectUrl: null, additionalPorts: null, updatedAt: this.#state.iso() });
    this.#setStatus(record, "stopped");
  }

  #hasCapacity(region: string): boolean {
    let used = 0;
    for (const { wire } of this.#state.servers.all()) {
      if (wire.region === region && wire.deletedAt === null && HOLDS_CAPACITY.has(wire.status)) used++;
    }
    const { capacity, defaultCapacity } = this.#state.config;
    return used < (capacity[region] ?? defaultCapacity);
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
    wire.updatedAt = this.#state.iso();
    const boot = this.#state.config.bootDelayMs;
    if (boot === 0) {
      this.#becomeRunning(record);
      return;
    }
    this.#setStatus(record, "allocating");
    // One timer at a time, each step scheduling the next: two independent timers were seen to
    // fire out of order under load, moving a running server back to starting.
    const half = Math.floor(boot / 2);
    record.bootTimer = setTimeout(() => {
      this.#setStatus(record, "starting");
      record.bootTimer = setTimeout(() => this.#becomeRunning(record), boot - half);
    }, half);
  }

  #becomeRunning(record: ServerRecord): void {
    record.bootTimer = undefined;
    const wire = record.wire;
    record.lastActivityAt = this.#state.now();
    this.#setStatus(record, "running");
    if (record.everRan) return;
    record.everRan = true;
    const cfg = record.configuration;
    const log = (line: string) => this.#state.console.appendLog(record, line);
    log(`Server started: ${wire.name} (${wire.gameType}, ${wire.region})`);
    if (typeof cfg.startingMap === "string") log(`Loading map ${cfg.startingMap}`);
    if (cfg.enableVAC === true) log("VAC secure mode is activated.");
    if (wire.additionalPorts?.sourcetv) log(`GOTV[0] listening on port ${wire.additionalPorts.sourcetv}`);
    this.#event(record, "provisioning_completed", { ip: wire.ip, port: wire.port, connectUrl: wire.connectUrl });
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
    record.wire.updatedAt = this.#state.iso();
    this.#state.emit("status", record.wire.id, status);
  }

  #event(record: ServerRecord, eventType: ProvisioningEvent["eventType"], data: Record<string, unknown>): void {
    const { wire } = record;
    this.#events.push({
      id: `evt_${token(10)}`,
      serverId: wire.id,
      eventType,
      eventData: { serverName: wire.name, status: wire.status, allocationAttempts: wire.allocationAttempts, ...data },
      createdAt: this.#state.iso(),
      organizationId: wire.organizationId,
    });
    if (this.#events.length > EVENT_LIMIT) this.#events = this.#events.slice(-EVENT_LIMIT);
  }

  #clearBootTimers(): void {
    for (const record of this.#state.servers.all()) clearTimeout(record.bootTimer);
  }
}
