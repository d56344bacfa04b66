import { COMMON_HELP, COMMON_OPTIONS, EXIT, JSON_OPTION, parse, UsageError } from "../args.js";
import type { Command } from "../command.js";
import { listAll, makeClient } from "../context.js";
import { address, age, redactServer, table } from "../format.js";
import { matchesGlob } from "../glob.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...JSON_OPTION,
  name: { type: "string" },
  "include-deleted": { type: "boolean" },
  "show-secrets": { type: "boolean" },
} as const;

export const list: Command = {
  name: "list",
  summary: "List the organization's game servers",
  help: `Usage: gameservers list [--name GLOB] [--include-deleted] [--json [--show-secrets]]

Lists every game server of the organization (all pages), oldest first.

Options:
  --name GLOB          Only servers whose name matches, e.g. 'winter-cup-*' (* and ?)
  --include-deleted    Include soft-deleted servers
  --json               A JSON array of the servers as the API returns them
  --show-secrets       Print rconPassword and serverPassword instead of "<redacted>"

${COMMON_HELP}`,
  async run(argv, ctx) {
    const { values, positionals } = parse("list", argv, OPTIONS);
    if (values.help) {
      ctx.print(list.help);
      return EXIT.ok;
    }
    if (positionals.length) throw new UsageError(`list: unexpected argument ${JSON.stringify(positionals[0])}`);
    const client = makeClient(values, ctx.env);
    try {
      let servers = await listAll(client, ctx.signal, values["include-deleted"] === true);
      if (values.name !== undefined) servers = servers.filter((s) => matchesGlob(s.name, values.name!));
      if (!values["show-secrets"]) servers = servers.map(redactServer);
      if (values.json) {
        ctx.print(JSON.stringify(servers, null, 2));
        return EXIT.ok;
      }
      if (servers.length === 0) {
        ctx.warn(values.name === undefined ? "No game servers." : `No game server matches ${JSON.stringify(values.name)}.`);
        return EXIT.ok;
      }
      const now = Date.now();
      const rows = servers.map((s) => [
        s.id,
        s.name,
        s.deletedAt ? `${s.status} (deleted)` : s.status,
        s.region,
        s.gameType,
        address(s),
        age(s.createdAt, now),
      ]);
      for (const line of table(["ID", "NAME", "STATUS", "REGION", "GAME", "ADDRESS", "AGE"], rows)) ctx.print(line);
      return EXIT.ok;
    } finally {
      await client.close();
    }
  },
};
