/**
 * The real-engine benchmark: `pulumi up`, `preview` and `refresh` of a GameServerFleet through
 * the real Pulumi CLI against the emulator, beside an engine baseline measured in the same run
 * (a program of as many resources whose dynamic provider creates at once) and the seed docs'
 * own loop (the platform's floor). Prints figures; asserts nothing.
 *
 * Run: `npm run build && node bench/real-engine/index.ts` (`BENCH_REAL_N=100,500` by default).
 */
import path from "node:path";
import { type RunningEmulator, startEmulator } from "pulumi-gameservers/emulator";
import { GameServersClient } from "pulumi-gameservers/sdk";
import { docsLoopCreates, peakRssMiB, requestsBetween, runningTimes, type Stats } from "../../dist/bench/fleet-speed-measure.js";
import { setupPulumi } from "../../scripts/pulumi/cli.ts";
import { copyProject, PulumiProject } from "../../scripts/pulumi/project.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const REGIONS = ["eu-central-1", "eu-west-1"];
const BOOT_DELAY_MS = 2_000;
const SIZES = (process.env.BENCH_REAL_N ?? "100,500").split(",").map(Number);
/** The targets: fleet wall <= baseline + floor + this, by N. */
const MARGIN_S: Record<number, number> = { 100: 1, 500: 2 };

interface Row {
  n: number;
  row: string;
  wallS: number;
  requests?: number;
  writes?: number;
  perServer?: number;
  cliRssMiB?: number;
  hostRssMiB?: number;
  note?: string;
}

const round = (x: number) => Math.round(x * 100) / 100;
const seconds = (since: number) => round((Date.now() - since) / 1000);

async function emulator(n: number): Promise<{ emulator: RunningEmulator; stats(): Promise<Stats> }> {
  const started = await startEmulator({ bootDelayMs: BOOT_DELAY_MS, capacity: Object.fromEntries(REGIONS.map((r) => [r, n])) });
  return {
    emulator: started,
    stats: async () => (await fetch(`${started.url}/_emulator/stats`)).json() as Promise<Stats>,
  };
}

/** The docs' loop on a fresh emulator: when its last server ran is the platform's floor. */
async function floorOf(n: number): Promise<Row & { floorS: number }> {
  const { emulator: e } = await emulator(n);
  const client = new GameServersClient({ apiKey: e.apiKey, baseUrl: e.url });
  try {
    const start = Date.now();
    const { failures, error } = await docsLoopCreates(client, n, REGIONS);
    const wallS = seconds(start);
    const key = await (
      await fetch(`${e.url}/_emulator/keys`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ organizationId: "org_demo", scopes: ["game-servers:read"] }),
      })
    ).json();
    const running = await runningTimes(e.url, (key as { apiKey: string }).apiKey, start);
    const floorS = round((Math.max(...running.values()) - start) / 1000);
    return { n, row: "docs' loop", wallS, floorS, ...(failures ? { note: `${failures} failed: ${error}` } : {}) };
  } finally {
    await client.close();
    await e.close();
  }
}

/** Peak RSS of the CLI and of the provider host while `work` runs, sampled every 100 ms. */
async function withRss<T>(project: PulumiProject, work: () => Promise<T>): Promise<{ result: T; cliRssMiB?: number; hostRssMiB?: number }> {
  let cli = 0;
  let host = 0;
  const sample = () => {
    for (const p of project.processes()) {
      const mib = peakRssMiB(p.pid) ?? 0;
      if (p.command.startsWith(project.cli.bin)) cli = Math.max(cli, mib);
      if (p.command.includes("dynamic-provider")) host = Math.max(host, mib);
    }
  };
  const timer = setInterval(sample, 100);
  try {
    const result = await work();
    return { result, ...(cli ? { cliRssMiB: Math.round(cli) } : {}), ...(host ? { hostRssMiB: Math.round(host) } : {}) };
  } finally {
    clearInterval(timer);
  }
}

/** A stack of a copy of `program` configured for the emulator; `timed` runs a command and measures it. */
async function stackOf(program: string, e: RunningEmulator, config: Record<string, string>) {
  const cli = await setupPulumi();
  const project = new PulumiProject(cli, copyProject(path.join(ROOT, "bench/real-engine", program), path.join(ROOT, "node_modules")));
  await project.initStack("bench");
  await project.configAll("bench", { "gameservers:apiUrl": e.url, ...config }, { "gameservers:apiKey": e.apiKey });
  const timed = async (args: string[]) => {
    const start = Date.now();
    const { result, cliRssMiB, hostRssMiB } = await withRss(project, () => project.run([...args, "--stack", "bench"]));
    if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} (${program}) failed:\n${result.stdout}\n${result.stderr}`);
    return { wallS: seconds(start), cliRssMiB, hostRssMiB, stdout: result.stdout };
  };
  return { project, timed };
}

async function measure(n: number): Promise<Row[]> {
  const rows: Row[] = [];
  const floor = await floorOf(n);
  rows.push(floor);

  // The fleet, then the baseline with as many resources as the fleet registered.
  const { emulator: e, stats } = await emulator(n);
  try {
    const fleet = await stackOf("fleet", e, { n: String(n) });
    const before = await stats();
    const up = await fleet.timed(["up", "--yes"]);
    const upRequests = requestsBetween(before, await stats()).total;
    const state = await fleet.project.exportState("bench");
    const parts = (state.deployment.resources ?? []).filter((r) => r.type.endsWith(":FleetServers")).length;

    const baseline = await stackOf("baseline", e, { parts: String(parts) });
    const baseUp = await baseline.timed(["up", "--yes"]);
    const target = round(baseUp.wallS + floor.floorS + (MARGIN_S[n] ?? 1));
    rows.push({
      n,
      row: `baseline up (${parts + 2} resources, instant creates)`,
      wallS: baseUp.wallS,
      cliRssMiB: baseUp.cliRssMiB,
      hostRssMiB: baseUp.hostRssMiB,
    });
    rows.push({
      n,
      row: "GameServerFleet up",
      wallS: up.wallS,
      requests: upRequests,
      perServer: round(upRequests / n),
      cliRssMiB: up.cliRssMiB,
      hostRssMiB: up.hostRssMiB,
      note: `target <= baseline + floor + ${MARGIN_S[n] ?? 1} s = ${target} s: ${up.wallS <= target ? "met" : "missed"}`,
    });

    if (n >= 500) {
      const basePreview = await baseline.timed(["preview"]);
      rows.push({ n, row: "baseline preview (no change)", wallS: basePreview.wallS });
      const beforePreview = await stats();
      const preview = await fleet.timed(["preview"]);
      const previewTraffic = requestsBetween(beforePreview, await stats());
      const writes = Object.entries(previewTraffic.byRoute)
        .filter(([route]) => /^(POST|PATCH|PUT|DELETE) /.test(route))
        .reduce((sum, [, k]) => sum + k, 0);
      const previewTarget = round(basePreview.wallS + 1);
      rows.push({
        n,
        row: "GameServerFleet preview (no change)",
        wallS: preview.wallS,
        requests: previewTraffic.total,
        writes,
        cliRssMiB: preview.cliRssMiB,
        hostRssMiB: preview.hostRssMiB,
        note: `target: no write, <= ${previewTarget} s: ${writes === 0 && preview.wallS <= previewTarget ? "met" : "missed"}`,
      });
      const beforeRefresh = await stats();
      const refresh = await fleet.timed(["refresh", "--yes"]);
      const refreshRequests = requestsBetween(beforeRefresh, await stats()).total;
      rows.push({
        n,
        row: "GameServerFleet refresh",
        wallS: refresh.wallS,
        requests: refreshRequests,
        perServer: round(refreshRequests / n),
        cliRssMiB: refresh.cliRssMiB,
        hostRssMiB: refresh.hostRssMiB,
        note: `target <= 0.1 requests per server: ${refreshRequests / n <= 0.1 ? "met" : "missed"}`,
      });
    }
    await fleet.timed(["destroy", "--yes"]);
    await baseline.timed(["destroy", "--yes"]);
    await fleet.project.dispose();
    await baseline.project.dispose();
  } finally {
    await e.close();
  }
  return rows;
}

async function main(): Promise<void> {
  const cli = await setupPulumi();
  const started = Date.now();
  console.log(
    `Real engine (${cli.bin}, ${cli.version}); boot delay ${BOOT_DELAY_MS / 1000} s, capacity for every server; programs through --client`,
  );
  const all: Row[] = [];
  for (const n of SIZES) {
    const rows = await measure(n);
    for (const row of rows) console.log(JSON.stringify(row));
    all.push(...rows);
  }
  const cell = (v: unknown) => (v === undefined ? "-" : String(v));
  const table = [
    ["N", "row", "wall s", "floor s", "req", "req/srv", "writes", "CLI RSS MiB", "host RSS MiB", "note"],
    ...all.map((r) => [
      cell(r.n),
      r.row,
      cell(r.wallS),
      cell((r as { floorS?: number }).floorS),
      cell(r.requests),
      cell(r.perServer),
      cell(r.writes),
      cell(r.cliRssMiB),
      cell(r.hostRssMiB),
      r.note ?? "",
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  console.log(`(${seconds(started)} s in all)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
