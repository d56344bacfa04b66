import { EventEmitter } from "node:events";
import { GameConsole } from "./game-console.js";
import { Keys } from "./keys.js";
import { Players } from "./players.js";
import { Provisioning } from "./provisioning.js";
import { Servers } from "./servers.js";
import { defaultConfig, type EmulatorConfig, type EmulatorConfigPatch } from "./settings.js";
import { Traffic } from "./traffic.js";

/**
 * The emulated hosting API's state and rules, free of HTTP, one instance per emulator: its
 * settings and clock, and a part per concern. Emits `log` (serverId, line), `status` (serverId,
 * status) and `reset` for the console websockets.
 */
export class EmulatorState extends EventEmitter {
  config: EmulatorConfig = defaultConfig();
  readonly traffic = new Traffic();
  readonly keys: Keys;
  readonly servers = new Servers(this);
  readonly provisioning = new Provisioning(this);
  readonly console = new GameConsole(this);
  readonly players = new Players(this);
  /** How many resets so far: a request held by a delay fault across a reset is not carried out. */
  resets = 0;
  #clockBaseReal = Date.now();
  #clockBaseEmulated = Date.now();

  constructor(seededSecret: string) {
    super();
    this.setMaxListeners(0);
    this.keys = new Keys(seededSecret);
    this.provisioning.startTimers();
  }

  /**
   * Emulated epoch ms: real time scaled by `clockScale` since the last rebase, shifted by
   * `clockOffsetMs` (the API's clock skew against ours). Every timestamp and the `Date` header use it.
   */
  now(): number {
    return this.#clockBaseEmulated + (Date.now() - this.#clockBaseReal) * this.config.clockScale + this.config.clockOffsetMs;
  }

  /** {@link now} as an ISO 8601 timestamp, as the API writes them. */
  iso(): string {
    return new Date(this.now()).toISOString();
  }

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
    if (patch.queueIntervalMs !== undefined) this.provisioning.startTimers();
    return this.config;
  }

  /** `POST /_emulator/reset`: a new world, with the seeded key and the default settings. */
  reset(): void {
    this.resets++;
    this.provisioning.reset();
    this.servers.reset();
    this.console.reset();
    this.players.reset();
    this.keys.reset();
    this.config = defaultConfig();
    this.traffic.reset();
    this.#clockBaseReal = Date.now();
    this.#clockBaseEmulated = Date.now();
    this.provisioning.startTimers();
    this.emit("reset");
  }

  close(): void {
    this.provisioning.close();
    this.removeAllListeners();
  }
}
