import { setTimeout as sleep } from "node:timers/promises";
import { isTransientError } from "../../core/errors.js";
import type { GameServer } from "../../schemas/index.js";
import { COMMON_HELP, COMMON_OPTIONS, EXIT, JSON_OPTION, parse, parseDuration, parseInteger, UsageError } from "../args.js";
import type { Command } from "../command.js";
import { listAll, makeClient } from "../context.js";
import { address, age, oneLine, table } from "../format.js";
import { matchesGlob } from "../glob.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...JSON_OPTION,
  interval: { type: "string" },
  name: { type: "string" },
  count: { type: "string" },
} as const;

/** @default 2000 ms */
const DEFAULT_INTERVAL_MS = 2_000;
/** The shortest refresh interval: a watch must not become a load test. */
const MIN_INTERVAL_MS = 100;

// ANSI: cursor home, erase to end of line, erase below.
const HOME = "\x1b[H";
const ERASE_LINE = "\x1b[K";
const ERASE_BELOW = "\x1b[J";
const CLEAR = "\x1b[2J";

export const watch: Command = {
  name: "watch",
  summary: "A live table of servers and their status (refreshes in place on a terminal)",
  help: `Usage: gameservers watch [--interval 2s] [--name GLOB] [--count N] [--json]

Shows every server (or those whose name matches --name) with its status, address and age,
refreshed every interval. On a terminal the table is redrawn in place, with counts by status;
otherwise (a pipe, a file) each refresh prints a timestamped snapshot. Runs until Ctrl-C
(exit 130) or --count refreshes (exit 0). A transient API failure (connection, 429, 5xx) is
shown and retried at the next refresh; any other API error ends the watch with exit 1.

Options:
  --interval DURATION  Time between refreshes: 500ms, 2s, 1m (default 2s, at least 100ms)
  --name GLOB          Only servers whose name matches (* and ?), e.g. 'winter-cup-*'
  --count N            Stop after N refreshes
  --json               One JSON line per refresh: { time, servers: [{ id, name, status, region,
                       gameType, ip, port, connectUrl, createdAt, updatedAt }] }; no passwords

${COMMON_HELP}`,
  async run(argv, ctx) {
    const { values, positionals } = parse("watch", argv, OPTIONS);
    if (values.help) {
      ctx.print(watch.help);
      return EXIT.ok;
    }
    if (positionals.length) throw new UsageError(`watch: unexpected argument ${JSON.stringify(positionals[0])}`);
    const interval =
      values.interval === undefined ? DEFAULT_INTERVAL_MS : parseDuration("interval", values.interval, { min: MIN_INTERVAL_MS });
    const count = values.count === undefined ? Number.POSITIVE_INFINITY : parseInteger("count", values.count, { min: 1 });
    const live = ctx.stdout.isTTY === true && !values.json;
    const client = makeClient(values, ctx.env);
    try {
      for (let n = 1; ; n++) {
        const started = Date.now();
        let servers: GameServer[] | undefined;
        let failure: string | undefined;
        try {
          servers = await listAll(client, ctx.signal);
          if (values.name !== undefined) servers = servers.filter((s) => matchesGlob(s.name, values.name!));
        } catch (error) {
          if (ctx.signal.aborted || !isTransientError(error)) throw error;
          failure = oneLine(error instanceof Error ? error.message : String(error));
        }
        const time = new Date();
        if (values.json) {
          if (servers) ctx.print(JSON.stringify({ time: time.toISOString(), servers: servers.map(summary) }));
          else ctx.warn(`gameservers: ${failure} (retrying)`);
        } else if (live) {
          draw(ctx, render(servers, failure, time, interval, values.name), n === 1);
        } else {
          ctx.print(`--- ${time.toISOString()}`);
          if (servers) for (const line of rows(servers, time.getTime())) ctx.print(line);
          else ctx.warn(`gameservers: ${failure} (retrying)`);
        }
        if (n >= count) return EXIT.ok;
        await sleep(Math.max(0, interval - (Date.now() - started)), undefined, { signal: ctx.signal });
      }
    } finally {
      await client.close();
    }
  },
};

/** The fields a watcher needs; passwords are not among them. */
function summary(s: GameServer) {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    region: s.region,
    gameType: s.gameType,
    ip: s.ip,
    port: s.port,
    connectUrl: s.connectUrl,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

function rows(servers: GameServer[], now: number): string[] {
  if (servers.length === 0) return ["(no game servers)"];
  return table(
    ["ID", "NAME", "STATUS", "REGION", "ADDRESS", "AGE", "LAST ERROR"],
    servers.map((s) => [s.id, s.name, s.status, s.region, address(s), age(s.createdAt, now), s.lastAllocationError ?? ""]),
  );
}

function render(
  servers: GameServer[] | undefined,
  failure: string | undefined,
  time: Date,
  interval: number,
  name: string | undefined,
): string[] {
  const clock = time.toTimeString().slice(0, 8);
  const head = `Every ${interval >= 1000 ? `${interval / 1000}s` : `${interval}ms`}${name === undefined ? "" : ` · ${name}`} · ${clock}`;
  if (!servers) return [head, `Refresh failed: ${failure} (retrying)`];
  const byStatus = new Map<string, number>();
  for (const s of servers) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
  const counts = [...byStatus].map(([status, n]) => `${n} ${status}`).join(", ");
  return [
    `${head} · ${servers.length} server${servers.length === 1 ? "" : "s"}${counts ? `: ${counts}` : ""}`,
    "",
    ...rows(servers, time.getTime()),
  ];
}

/** Redraws in place: home, each line erased to its end, then everything below erased. */
function draw(ctx: Parameters<Command["run"]>[1], lines: string[], first: boolean): void {
  const height = ctx.stdout.rows || Number.POSITIVE_INFINITY; // 0: size unknown
  let shown = lines;
  if (lines.length > height - 1) {
    shown = lines.slice(0, Math.max(1, height - 2));
    shown.push(`... ${lines.length - shown.length} more (narrow it with --name)`);
  }
  const width = ctx.stdout.columns || Number.POSITIVE_INFINITY;
  const text = shown.map((l) => (l.length > width ? l.slice(0, width) : l) + ERASE_LINE).join("\n");
  ctx.stdout.write(`${first ? CLEAR : ""}${HOME}${text}\n${ERASE_BELOW}`);
}
