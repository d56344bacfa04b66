/**
 * Fleet speed at Pulumi's real parallelism. Each scenario runs the seed docs' naive
 * loop (every create sent at once, then `waitForServer(id, 5000)` each) and then our program
 * (`GameServerFleet`, or plain `GameServer`s) through the offline runner: Pulumi's mocks, Pulumi's
 * own dynamic-provider host, at most 8 operations in flight as the engine's default `--parallel`
 * gives a 2-core runner. It uses the public program API only, so it measures whatever the
 * implementation is. Prints one JSON line per scenario and a table; asserts nothing. bench/README.md
 * explains every figure.
 *   npm run bench                          (or: npm run build && node dist/bench/fleet-speed.js)
 *   BENCH_SCENARIOS=fleet-16,fleet-100     only these scenarios
 *   BENCH_ROW_MARGIN_S=15                  a row of ours is stopped this long past the scenario's floor
 */
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { GameServer, GameServerFleet } from "../provider/index.js";
import { type OfflineRun, runOffline } from "../provider/testing/index.js";
import { type EmulatorOptions, type RunningEmulator, SAMPLE_CS2_CONFIGURATION, startEmulator } from "../sdk/emulator/index.js";
import { GameServersClient } from "../sdk/index.js";
import {
  Control,
  docsLoopCreates,
  HostRssSampler,
  installedProviderBytes,
  percentile,
  requestsBetween,
  runningTimes,
  type Stats,
  serializedProviderBytes,
  TooManyRequests,
} from "./fleet-speed-measure.js";

/** The repository root: the Pulumi project directory the provider host starts in. */
const ROOT = path.resolve(__dirname, "../..");
const BOOT_DELAY_MS = 2_000;
const REGIONS = ["eu-central-1", "eu-west-1"];
/** The engine's default `--parallel` on a 2-core runner: 4 x CPUs. */
const ENGINE_PARALLEL = 8;
const MARGIN_S = Number(process.env.BENCH_ROW_MARGIN_S ?? 15);
/** The docs' loop sends the docs' own configuration; our programs let the provider generate the RCON password. */
const { rconPassword: _rcon, ...PROGRAM_CONFIGURATION } = SAMPLE_CS2_CONFIGURATION;

type RowSpec = { kind: "docs" } | { kind: "fleet" | "plain"; parallel: number | undefined };

interface Scenario {
  id: string;
  title: string;
  n: number;
  /** Emulator settings besides the boot delay. */
  settings: EmulatorOptions;
  /** Live servers of the same organization created through the API before the row (not counted). */
  others?: number;
  /** Half queued: capacity for all arrives this long after the emulator started. */
  capacityArrivesAfterMs?: number;
  rows: RowSpec[];
}

const docs: RowSpec = { kind: "docs" };
const fleetAt8: RowSpec = { kind: "fleet", parallel: ENGINE_PARALLEL };

const SCENARIOS: Scenario[] = [
  {
    id: "fleet-16",
    title: "N=16",
    n: 16,
    settings: {},
    rows: [docs, fleetAt8, { kind: "plain", parallel: ENGINE_PARALLEL }, { kind: "plain", parallel: undefined }],
  },
  { id: "fleet-100", title: "N=100", n: 100, settings: {}, rows: [docs, fleetAt8, { kind: "plain", parallel: undefined }] },
  { id: "fleet-500", title: "N=500", n: 500, settings: {}, rows: [docs, fleetAt8] },
  {
    id: "fleet-100-half-queued",
    title: "N=100 half queued",
    n: 100,
    // Capacity for half (a quarter per region), the queue job every 3 s; capacity for the rest
    // arrives between the first job (3 s: one failed attempt each) and the second (6 s).
    settings: { capacity: { "eu-central-1": 25, "eu-west-1": 25 }, queueIntervalMs: 3_000 },
    capacityArrivesAfterMs: 4_500,
    rows: [docs, fleetAt8],
  },
  { id: "fleet-100-org-1000", title: "N=100, 1000 others", n: 100, settings: {}, others: 1_000, rows: [docs, fleetAt8] },
  {
    id: "fleet-500-rate-50",
    title: "N=500, 50 req/s",
    n: 500,
    settings: { rateLimitPerSecond: 50 },
    rows: [docs, { kind: "fleet", parallel: undefined }],
  },
];

/** One row of the table: one way of bringing N servers up, in one scenario. */
interface Row {
  scenario: string;
  row: string;
  n: number;
  /** `capped`: stopped at the scenario's floor + BENCH_ROW_MARGIN_S (it would have taken longer). */
  outcome: "ok" | "failed" | "capped";
  error?: string;
  /** From the start of the row (for ours: the runOffline call, host start included) until it returned. */
  wallS: number;
  /** Until the first server operation started (ours: the provider host's start, the program, the provider's serialization). */
  firstOperationS: number | null;
  /**
   * Until every server was known running: fleet, every address known to the program and the
   * roster resource done; plain, the last create returned; docs, the last wait returned.
   */
  readyS: number | null;
  /** The docs' loop's last server became running, from that row's start: the platform's floor. */
  floorS: number | null;
  /** This row's own last server became running, from its start. */
  lastRunningS: number | null;
  /** Servers that became running during the row. */
  running: number;
  /**
   * Seconds, per server: known running minus the moment the API marked it running. Known
   * running: fleet, the program has its address; plain, its create returned; docs, its wait returned.
   */
  lagS: { p50: number; p99: number; max: number } | null;
  requests: { total: number; perServer: number; byRoute: Record<string, number> };
  /** 429 answers the emulator sent during the row. */
  rateLimited: number;
  /** Creates or waits that failed (ours: the runner stops at the first, as the engine stops starting operations). */
  failures: number;
  /** Peak RSS (VmHWM) of the provider host process, MiB. */
  hostPeakRssMiB: number | null;
  /** Bytes of the `__provider` text each dynamic resource of the run carries in state, by type. */
  providerBytes: Record<string, number> | null;
  /** Roster entries with a connect URL, for fleets. */
  rosterComplete?: string;
}

const round = (n: number | undefined | null, digits = 2) => (n === undefined || n === null ? null : Number(n.toFixed(digits)));

function lagOf(samples: number[]): Row["lagS"] {
  if (samples.length === 0) return null;
  return {
    p50: round(percentile(samples, 50)! / 1000)!,
    p99: round(percentile(samples, 99)! / 1000)!,
    max: round(Math.max(...samples) / 1000)!,
  };
}

function requestFigures(before: Stats, after: Stats, n: number): Row["requests"] {
  const { total, byRoute } = requestsBetween(before, after);
  return { total, perServer: round(total / n)!, byRoute };
}

/** A fresh emulator for one row, with the scenario's settings and its other servers in place. */
async function prepare(scenario: Scenario): Promise<{ emulator: RunningEmulator; control: Control; done: () => Promise<void> }> {
  const emulator = await startEmulator({ bootDelayMs: BOOT_DELAY_MS, ...scenario.settings });
  const control = new Control(emulator.url);
  const timers: NodeJS.Timeout[] = [];
  if (scenario.others) {
    const client = new GameServersClient({ apiKey: emulator.apiKey, baseUrl: emulator.url });
    for (let i = 0; i < scenario.others; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, scenario.others - i) }, (_, j) =>
          client.gameServers.create({
            name: `other-${i + j}`,
            gameType: "cs2",
            region: "us-east-1",
            configuration: { ...SAMPLE_CS2_CONFIGURATION },
          }),
        ),
      );
    }
    await client.close();
    // Running before the row starts, so their events are not the row's.
    while (((await control.stats()).servers.byStatus.running ?? 0) < scenario.others) await new Promise((r) => setTimeout(r, 100));
  }
  if (scenario.capacityArrivesAfterMs !== undefined) {
    const all = Object.fromEntries(REGIONS.map((r) => [r, scenario.n]));
    timers.push(setTimeout(() => void control.config({ capacity: all }), scenario.capacityArrivesAfterMs));
  }
  return {
    emulator,
    control,
    done: async () => {
      for (const t of timers) clearTimeout(t);
      await emulator.close();
    },
  };
}

/** The seed docs' loop: every create at once, then `waitForServer(id, 5000)` for each that is not running yet. */
async function docsLoop(scenario: Scenario): Promise<Row> {
  const { emulator, control, done } = await prepare(scenario);
  const client = new GameServersClient({ apiKey: emulator.apiKey, baseUrl: emulator.url });
  const tooMany = new TooManyRequests(emulator.port);
  let known = new Map<string, number>();
  let failures = 0;
  let error: string | undefined;
  try {
    const before = await control.stats();
    const start = Date.now();
    ({ known, failures, error } = await docsLoopCreates(client, scenario.n, REGIONS));
    const end = Date.now();
    const after = await control.stats();
    const running = await runningTimes(emulator.url, await control.readKey(), start);
    const lastRunning = Math.max(...running.values());
    return {
      scenario: scenario.id,
      row: "docs' loop",
      n: scenario.n,
      outcome: failures > 0 ? "failed" : "ok",
      ...(error ? { error } : {}),
      wallS: round((end - start) / 1000)!,
      firstOperationS: 0,
      readyS: known.size > 0 ? round((Math.max(...known.values()) - start) / 1000) : null,
      floorS: running.size > 0 ? round((lastRunning - start) / 1000) : null,
      lastRunningS: running.size > 0 ? round((lastRunning - start) / 1000) : null,
      running: running.size,
      lagS: lagOf([...known].filter(([id]) => running.has(id)).map(([id, at]) => at - running.get(id)!)),
      requests: requestFigures(before, after, scenario.n),
      rateLimited: tooMany.count,
      failures,
      hostPeakRssMiB: null,
      providerBytes: null,
    };
  } finally {
    tooMany.close();
    await client.close();
    await done();
  }
}

/** Our program through the offline runner: a GameServerFleet, or N plain GameServers. */
async function offlineRow(
  scenario: Scenario,
  spec: { kind: "fleet" | "plain"; parallel: number | undefined },
  floorS: number | null,
): Promise<Row> {
  const { emulator, control, done } = await prepare(scenario);
  const tooMany = new TooManyRequests(emulator.port);
  const n = scenario.n;
  const created = new Map<string, number>();
  let failures = 0;
  let firstFailureAt: number | undefined;
  /** Fleets: when the program knew each server's address, by server id; when the roster resource was done. */
  const addressAt = new Map<string, number>();
  let rosterDoneAt: number | undefined;
  let firstStartedAt: number | undefined;
  const capS = (floorS ?? 40) + MARGIN_S;
  const abort = new AbortController();
  let capped = false;
  let after: Stats | undefined;
  let run: OfflineRun | undefined;
  let error: string | undefined;
  const program =
    spec.kind === "fleet"
      ? () => {
          const fleet = new GameServerFleet("bench", {
            defaults: { gameType: "cs2", configuration: PROGRAM_CONFIGURATION },
            count: n,
            regions: REGIONS,
          });
          // The moment the program knows each server's connect details, and the moment the
          // fleet's waiting resource is done (\`pulumi up\` returns after both).
          for (const [key, entry] of Object.entries(fleet.roster)) {
            pulumi.all([fleet.servers[key]!.serverId, entry.connectUrl]).apply(([id]) => {
              addressAt.set(id, Date.now());
            });
          }
          const readyAt = fleet.ready.readyAt.apply((at) => {
            rosterDoneAt ??= Date.now();
            return at;
          });
          return { roster: fleet.roster, readyAt };
        }
      : () => ({
          ids: Array.from(
            { length: n },
            (_, i) =>
              new GameServer(`plain-${i + 1}`, {
                gameType: "cs2",
                region: REGIONS[i % REGIONS.length]!,
                configuration: PROGRAM_CONFIGURATION,
              }).id,
          ),
        });
  const sampler = new HostRssSampler();
  const before = await control.stats();
  const start = Date.now();
  const cap = setTimeout(() => {
    capped = true;
    // The closing snapshot is taken before the runner's cleanup deletes anything.
    void control.stats().then((s) => {
      after = s;
      abort.abort(`stopped at ${capS.toFixed(1)} s`);
    });
  }, capS * 1000);
  try {
    run = await runOffline({
      program,
      cwd: ROOT,
      apiUrl: emulator.url,
      apiKey: emulator.apiKey,
      pollIntervalMs: null, // the provider's default, as under `pulumi up`
      parallel: spec.parallel,
      signal: abort.signal,
      onResource: (e) => {
        if (e.kind === "started") firstStartedAt ??= e.at;
        if (e.kind === "created" && e.id) created.set(e.id, e.at);
        if (e.kind === "failed" && !abort.signal.aborted && (firstFailureAt === undefined || e.at === firstFailureAt)) {
          firstFailureAt = e.at;
          failures++;
        }
      },
    });
  } catch (e) {
    error = (e as Error).message.split("\n")[0];
  }
  const end = Date.now();
  clearTimeout(cap);
  after ??= await control.stats();
  sampler.sample(run?.hostPid);
  const rss = sampler.stop();
  try {
    const running = await runningTimes(emulator.url, await control.readKey(), start);
    const lastRunning = running.size > 0 ? Math.max(...running.values()) : undefined;
    let readyAt: number | undefined;
    let lags: number[] = [];
    if (spec.kind === "fleet") {
      readyAt = run && rosterDoneAt !== undefined && addressAt.size === n ? Math.max(rosterDoneAt, ...addressAt.values()) : undefined;
      lags = [...addressAt].filter(([id]) => running.has(id)).map(([id, at]) => at - running.get(id)!);
    } else {
      readyAt = run && created.size === n ? Math.max(...created.values()) : undefined;
      lags = [...created].filter(([id]) => running.has(id)).map(([id, at]) => at - running.get(id)!);
    }
    const providerBytes: Record<string, number> = {};
    for (const r of run?.resources ?? []) {
      const text = r.inputs.__provider;
      if (typeof text === "string") providerBytes[r.type.replace("pulumi-nodejs:dynamic/", "")] = Buffer.byteLength(text);
    }
    const roster = run?.outputs.roster as Record<string, { connectUrl?: string | null }> | undefined;
    const inFlight = spec.parallel === undefined ? "all in flight" : `${spec.parallel} in flight`;
    return {
      scenario: scenario.id,
      row: `${spec.kind === "fleet" ? "GameServerFleet" : "GameServer x N"}, ${inFlight}`,
      n,
      outcome: run ? "ok" : capped ? "capped" : "failed",
      ...(error ? { error } : {}),
      wallS: round((end - start) / 1000)!,
      firstOperationS: firstStartedAt === undefined ? null : round((firstStartedAt - start) / 1000),
      readyS: readyAt === undefined ? null : round((readyAt - start) / 1000),
      floorS,
      lastRunningS: lastRunning === undefined ? null : round((lastRunning - start) / 1000),
      running: running.size,
      lagS: lagOf(lags),
      requests: requestFigures(before, after, n),
      rateLimited: tooMany.count,
      failures,
      hostPeakRssMiB: round(rss, 0),
      providerBytes: run ? providerBytes : null,
      ...(spec.kind === "fleet" && roster
        ? { rosterComplete: `${Object.values(roster).filter((e) => e?.connectUrl).length}/${Object.keys(roster).length}` }
        : {}),
    };
  } finally {
    tooMany.close();
    // Teardown is not measured: no rate limit for it.
    if (scenario.settings.rateLimitPerSecond) await control.config({ rateLimitPerSecond: null });
    await run?.destroy().catch((e: Error) => process.stderr.write(`destroy failed: ${e.message}\n`));
    await done();
  }
}

function table(rows: Row[]): string {
  const sec = (n: number | null | undefined) => (n === null || n === undefined ? "-" : `${n.toFixed(1)}s`);
  const columns: [string, (r: Row) => string][] = [
    ["scenario", (r) => SCENARIOS.find((sc) => sc.id === r.scenario)?.title ?? r.scenario],
    ["row", (r) => r.row],
    ["outcome", (r) => `${r.outcome} ${r.running}/${r.n}`],
    ["wall", (r) => sec(r.wallS)],
    ["1st op", (r) => sec(r.firstOperationS)],
    ["ready", (r) => sec(r.readyS)],
    ["floor", (r) => sec(r.floorS)],
    ["ready-floor", (r) => (r.readyS === null || r.floorS === null ? "-" : sec(r.readyS - r.floorS))],
    ["lag p50/p99/max", (r) => (r.lagS ? `${r.lagS.p50.toFixed(2)}/${r.lagS.p99.toFixed(2)}/${r.lagS.max.toFixed(2)}s` : "-")],
    ["req", (r) => String(r.requests.total)],
    ["req/srv", (r) => r.requests.perServer.toFixed(2)],
    ["429", (r) => String(r.rateLimited)],
    ["fail", (r) => String(r.failures)],
    ["host RSS", (r) => (r.hostPeakRssMiB === null ? "-" : `${r.hostPeakRssMiB} MiB`)],
    [
      "__provider",
      (r) => (r.providerBytes && Object.keys(r.providerBytes).length > 0 ? `${Math.max(...Object.values(r.providerBytes))} B` : "-"),
    ],
  ];
  const cells = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, cell]) => cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells
    .map((line) =>
      line
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function main(): Promise<void> {
  const started = Date.now();
  const only = process.env.BENCH_SCENARIOS?.split(",").map((s) => s.trim());
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.id));
  const [repoBytes, installedBytes] = await Promise.all([serializedProviderBytes(ROOT), installedProviderBytes(ROOT)]);
  console.log(JSON.stringify({ provider: { repoBytes, installedBytes }, bootDelayMs: BOOT_DELAY_MS, engineParallel: ENGINE_PARALLEL }));
  const rows: Row[] = [];
  for (const scenario of scenarios) {
    const scenarioRows: Row[] = [];
    let floorS: number | null = null;
    for (const spec of scenario.rows) {
      const t = Date.now();
      const row: Row = spec.kind === "docs" ? await docsLoop(scenario) : await offlineRow(scenario, spec, floorS);
      if (spec.kind === "docs") floorS = row.floorS;
      scenarioRows.push(row);
      process.stderr.write(
        `${scenario.id} / ${row.row}: ${row.outcome}, wall ${row.wallS} s (row took ${((Date.now() - t) / 1000).toFixed(1)} s)\n`,
      );
    }
    rows.push(...scenarioRows);
    console.log(JSON.stringify({ scenario: scenario.id, title: scenario.title, n: scenario.n, floorS, rows: scenarioRows }));
  }
  console.log(
    `\nFleet speed (boot delay ${BOOT_DELAY_MS / 1000} s; ours through Pulumi's dynamic-provider host, the provider's default poll interval; ` +
      `__provider in this repository ${repoBytes} B, installed as a package ${installedBytes} B)`,
  );
  console.log(table(rows));
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
