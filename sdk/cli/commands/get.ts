import type { GameServer } from "../../schemas/index.js";
import { COMMON_HELP, COMMON_OPTIONS, EXIT, JSON_OPTION, parse, UsageError } from "../args.js";
import type { Command } from "../command.js";
import { makeClient } from "../context.js";
import { address, redactServer, terminalSafe } from "../format.js";

const OPTIONS = { ...COMMON_OPTIONS, ...JSON_OPTION, "show-secrets": { type: "boolean" } } as const;

export const get: Command = {
  name: "get",
  summary: "Show one game server",
  help: `Usage: gameservers get <id> [--json] [--show-secrets]

Shows one game server, soft-deleted ones included.

Options:
  --json           The server as the API returns it
  --show-secrets   Print rconPassword and serverPassword instead of "<redacted>"

${COMMON_HELP}`,
  async run(argv, ctx) {
    const { values, positionals } = parse("get", argv, OPTIONS);
    if (values.help) {
      ctx.print(get.help);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError(`get: expected one server id, got ${positionals.length}`);
    const client = makeClient(values, ctx.env);
    try {
      const fetched = await client.gameServers.get(positionals[0]!, { signal: ctx.signal });
      const server = values["show-secrets"] ? fetched : redactServer(fetched);
      if (values.json) ctx.print(JSON.stringify(server, null, 2));
      else for (const line of describe(server)) ctx.print(line);
      return EXIT.ok;
    } finally {
      await client.close();
    }
  },
};

/** `Field:  value` lines for a person. */
function describe(s: GameServer): string[] {
  const ports = s.additionalPorts
    ? Object.entries(s.additionalPorts)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")
    : "-";
  const fields: [string, string][] = [
    ["ID", s.id],
    ["Name", s.name],
    ["Status", s.status],
    ["Game", s.gameType],
    ["Region", s.region],
    ["Organization", s.organizationId],
    ["Address", address(s)],
    ["Connect URL", s.connectUrl ?? "-"],
    ["Other ports", ports],
    ["RCON password", s.rconPassword ?? "-"],
    ["Server password", s.serverPassword ?? "-"],
    ["Auto-stop", s.autoStop ? `after ${s.autostopMinutes ?? "?"} idle minutes` : "off"],
    ["Queued at", s.queuedAt ?? "-"],
    ["Allocation attempts", String(s.allocationAttempts)],
    ["Last allocation error", s.lastAllocationError ?? "-"],
    ["Created", s.createdAt],
    ["Updated", s.updatedAt],
  ];
  if (s.deletedAt) fields.push(["Deleted", `${s.deletedAt}${s.deletedBy ? ` by ${s.deletedBy}` : ""}`]);
  const width = Math.max(...fields.map(([k]) => k.length)) + 2;
  const lines = fields.map(([k, v]) => `${`${k}:`.padEnd(width)}${terminalSafe(v)}`);
  lines.push("Configuration:");
  for (const [k, v] of Object.entries(s.configuration))
    lines.push(`  ${k}: ${terminalSafe(typeof v === "string" ? v : JSON.stringify(v))}`);
  return lines;
}
