import { afterAll, beforeAll, beforeEach } from "vitest";
import { type EmulatorOptions, type RunningEmulator, SAMPLE_CS2_CONFIGURATION, startEmulator } from "../../sdk/emulator/index.js";
import type { PlayersAnswer } from "../../sdk/emulator/players.js";
import { type Clock, GameServersClient, systemClock } from "../../sdk/index.js";
import type { Cs2Configuration } from "../../sdk/schemas/index.js";

/** A valid CS2 configuration: the seed's own create() example. */
export const CS2_CONFIG: Cs2Configuration = { ...SAMPLE_CS2_CONFIGURATION, mapPool: [...SAMPLE_CS2_CONFIGURATION.mapPool] };

export function cs2(name: string, region = "us-east-1") {
  return { name, gameType: "cs2" as const, region, configuration: CS2_CONFIG };
}

/** The `/_emulator/` control routes, as other tools call them (plain HTTP, no SDK). */
export class Control {
  constructor(readonly url: string) {}

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
  }

  async config(patch: Record<string, unknown>): Promise<void> {
    const res = await this.call("PUT", "/_emulator/config", patch);
    if (res.status !== 200) throw new Error(`config failed: ${JSON.stringify(res.body)}`);
  }

  async tick(): Promise<{ allocated: number; failed: number; pending: number }> {
    return (await this.call<{ allocated: number; failed: number; pending: number }>("POST", "/_emulator/tick")).body;
  }

  async key(organizationId: string, scopes: string[]): Promise<string> {
    return (await this.call<{ apiKey: string }>("POST", "/_emulator/keys", { organizationId, scopes })).body.apiKey;
  }

  async fault(fault: Record<string, unknown>): Promise<void> {
    const res = await this.call("POST", "/_emulator/faults", fault);
    if (res.status !== 201) throw new Error(`fault failed: ${JSON.stringify(res.body)}`);
  }

  /** Stops a running server now, as the platform's autoStop does (`POST /_emulator/servers/:id/stop`). */
  async stop(serverId: string): Promise<void> {
    const res = await this.call("POST", `/_emulator/servers/${encodeURIComponent(serverId)}/stop`);
    if (res.status !== 200) throw new Error(`stop failed: ${JSON.stringify(res.body)}`);
  }

  /** Connects players to a running server: these names, or a count of `player1`, `player2`, ... */
  async connect(serverId: string, players: string[] | number): Promise<PlayersAnswer> {
    return this.#players("POST", serverId, { connect: players });
  }

  /** Disconnects these players of a server, or `"all"`. */
  async disconnect(serverId: string, players: string[] | "all"): Promise<PlayersAnswer> {
    return this.#players("POST", serverId, { disconnect: players });
  }

  /** Who is connected to a server now, oldest first. */
  async players(serverId: string): Promise<PlayersAnswer> {
    return this.#players("GET", serverId);
  }

  async #players(method: string, serverId: string, body?: unknown): Promise<PlayersAnswer> {
    const res = await this.call<PlayersAnswer>(method, `/_emulator/servers/${encodeURIComponent(serverId)}/players`, body);
    if (res.status !== 200) throw new Error(`players failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async stats(): Promise<{ requests: { total: number; byRoute: Record<string, number> }; servers: { byStatus: Record<string, number> } }> {
    return (await this.call<never>("GET", "/_emulator/stats")).body;
  }

  /** Requests counted for one route (`GET /v1/game-servers/:id`). */
  async hits(route: string): Promise<number> {
    return (await this.stats()).requests.byRoute[route] ?? 0;
  }

  async reset(): Promise<void> {
    await this.call("POST", "/_emulator/reset");
  }
}

/**
 * A clock that records every sleep. By default sleeps return at once, for fast retry and wait
 * tests; `real` sleeps for real, where the server's own clock must move (a rate-limit window).
 */
export function recordingClock(real = false): Clock & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      slept.push(ms);
      if (real) await systemClock.sleep(ms, signal);
      else await new Promise((r) => setImmediate(r));
    },
  };
}

export interface EmulatorFixture {
  emulator: RunningEmulator;
  control: Control;
  /** A client with the seeded key and a recording clock. */
  client: GameServersClient;
  clock: ReturnType<typeof recordingClock>;
  /** Another client of the same emulator, e.g. with a different key. */
  clientWith(apiKey: string): GameServersClient;
}

/**
 * Starts one emulator for the file, resets it before each test, and closes everything after.
 * Returned as a lazily filled object because vitest hooks run after the describe body.
 */
export function useEmulator(options: EmulatorOptions = {}): EmulatorFixture {
  const fixture = {} as EmulatorFixture;
  const clients: GameServersClient[] = [];
  beforeAll(async () => {
    fixture.emulator = await startEmulator(options);
    fixture.control = new Control(fixture.emulator.url);
    fixture.clock = recordingClock();
    fixture.clientWith = (apiKey) => {
      const c = new GameServersClient({ apiKey, baseUrl: fixture.emulator.url, clock: fixture.clock });
      clients.push(c);
      return c;
    };
    fixture.client = fixture.clientWith(fixture.emulator.apiKey);
  });
  beforeEach(async () => {
    await fixture.control.reset();
    if (Object.keys(options).length) await fixture.control.config(settingsOf(options));
    fixture.clock.slept.length = 0;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fixture.emulator?.close();
  });
  return fixture;
}

function settingsOf(options: EmulatorOptions): Record<string, unknown> {
  const { port: _port, host: _host, apiKey: _apiKey, ...settings } = options;
  return settings;
}
