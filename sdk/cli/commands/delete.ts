import { AmbiguousRequestError, NotFoundError } from "../../core/errors.js";
import { type GameServer, ServerId } from "../../schemas/index.js";
import { COMMON_HELP, COMMON_OPTIONS, CommandError, EXIT, JSON_OPTION, parse, UsageError } from "../args.js";
import type { Command } from "../command.js";
import { type Context, confirm, listAll, makeClient } from "../context.js";
import { oneLine, table } from "../format.js";
import { matchesGlob } from "../glob.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...JSON_OPTION,
  name: { type: "string" },
  yes: { type: "boolean", short: "y" },
} as const;

/** The outcome for one server. */
interface DeleteResult {
  id: string;
  name: string;
  /** The status before the delete. */
  status: string;
  /**
   * `deleted`; `already-deleted` (deleted before, or by a lost answer's retry); `failed`; or
   * `unknown` when the answer was lost and the server could not be read back.
   */
  result: "deleted" | "already-deleted" | "failed" | "unknown";
  error?: string;
}

export const deleteCommand: Command = {
  name: "delete",
  summary: "Delete servers (by id, or every server whose name matches --name), after confirmation",
  help: `Usage: gameservers delete <id>... [--name GLOB] [--yes] [--json]
       gameservers delete --name GLOB [--yes] [--json]

Deletes (soft-deletes, as the API does) each server given by id and every server whose name
matches --name. It first prints each server's id, name and status, then asks on the terminal;
without a terminal it needs --yes. It deletes what it is told: players connected to a server
are dropped with it (check with 'gameservers send <id> status' first).

Options:
  --name GLOB   Also every server whose name matches (* and ?), e.g. 'winter-cup-*'
  -y, --yes     Do not ask (required without a terminal)
  --json        A JSON array of { id, name, status, result, error? }; result is deleted,
                already-deleted, failed or unknown (the answer was lost)

Exits 0 when every server is deleted (or already was); 1 if one was not, if an id is not a
server of the organization or --name matches none (then nothing is deleted), or without a
terminal and without --yes (nothing is deleted); 2 on bad arguments.

${COMMON_HELP}`,
  async run(argv, ctx) {
    const { values, positionals } = parse("delete", argv, OPTIONS);
    if (values.help) {
      ctx.print(deleteCommand.help);
      return EXIT.ok;
    }
    if (positionals.length === 0 && values.name === undefined) throw new UsageError("delete: name at least one server id, or --name GLOB");
    for (const id of positionals) {
      if (!ServerId.safeParse(id).success) throw new UsageError(`delete: ${JSON.stringify(id)} is not a server id such as srv_123`);
    }
    // Checked before anything is sent: a script without --yes deletes nothing, whatever it names.
    if (!values.yes && ctx.stdin.isTTY !== true)
      throw new CommandError("delete needs a terminal to confirm: add --yes to delete without asking");

    const client = makeClient(values, ctx.env);
    try {
      const targets = await resolveTargets(client, ctx, positionals, values.name);
      if (!values.json) printTargets(ctx, targets);
      const count = `${targets.length} server${targets.length === 1 ? "" : "s"}`;
      if (!values.yes && !(await confirm(ctx, `Delete ${count}? [y/N] `))) {
        ctx.warn("Nothing deleted.");
        return EXIT.ok;
      }
      const results: DeleteResult[] = [];
      for (const server of targets) {
        const result = await deleteOne(client, ctx, server);
        results.push(result);
        if (values.json) continue;
        if (result.result === "deleted") ctx.warn(`Deleted ${result.id} (${oneLine(result.name)})`);
        else if (result.result === "already-deleted") ctx.warn(`Already deleted: ${result.id} (${oneLine(result.name)})`);
        else
          ctx.warn(`gameservers: could not delete ${result.id}${result.result === "unknown" ? " (outcome unknown)" : ""}: ${result.error}`);
      }
      if (values.json) ctx.print(JSON.stringify(results, null, 2));
      const ok = results.every((r) => r.result === "deleted" || r.result === "already-deleted");
      return ok ? EXIT.ok : EXIT.failure;
    } finally {
      await client.close();
    }
  },
};

/**
 * The servers named by id and by `--name`, each once, in the list's order (oldest first) then
 * the order given. An id that is not a live server of the organization is read on its own: a
 * soft-deleted one is kept (reported `already-deleted`), an unknown one is an error before
 * anything is deleted, as is a `--name` that matches nothing when no id is given.
 */
async function resolveTargets(
  client: ReturnType<typeof makeClient>,
  ctx: Context,
  ids: string[],
  name: string | undefined,
): Promise<GameServer[]> {
  const servers = await listAll(client, ctx.signal);
  const byId = new Map<string, GameServer>();
  if (name !== undefined) {
    for (const s of servers) if (matchesGlob(s.name, name)) byId.set(s.id, s);
    if (byId.size === 0 && ids.length === 0) throw new CommandError(`no game server matches --name ${JSON.stringify(name)}`);
  }
  for (const id of ids) {
    if (byId.has(id)) continue;
    const live = servers.find((s) => s.id === id);
    if (live) {
      byId.set(id, live);
      continue;
    }
    try {
      byId.set(id, await client.gameServers.get(id, { signal: ctx.signal }));
    } catch (error) {
      if (error instanceof NotFoundError) throw new CommandError(`no game server ${id} in this organization: nothing was deleted`);
      throw error;
    }
  }
  return [...byId.values()];
}

function printTargets(ctx: Context, targets: GameServer[]): void {
  const rows = targets.map((s) => [s.id, s.name, s.deletedAt ? `${s.status} (deleted)` : s.status, s.region]);
  for (const line of table(["ID", "NAME", "STATUS", "REGION"], rows)) ctx.print(line);
}

async function deleteOne(client: ReturnType<typeof makeClient>, ctx: Context, server: GameServer): Promise<DeleteResult> {
  const base = { id: server.id, name: server.name, status: server.status };
  if (server.deletedAt) return { ...base, result: "already-deleted" };
  try {
    await client.gameServers.delete(server.id, { signal: ctx.signal });
    return { ...base, result: "deleted" };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    // A 404 here is a delete that landed before (another operator, or a retry after a lost answer).
    if (error instanceof NotFoundError) return { ...base, result: "already-deleted" };
    const message = oneLine(error instanceof Error ? error.message : String(error));
    if (!(error instanceof AmbiguousRequestError)) return { ...base, result: "failed", error: message };
    // The answer was lost: read the server back to learn whether the delete landed.
    try {
      const now = await client.gameServers.get(server.id, { signal: ctx.signal });
      return now.deletedAt ? { ...base, result: "deleted" } : { ...base, result: "failed", error: message };
    } catch {
      if (ctx.signal.aborted) throw error;
      return { ...base, result: "unknown", error: message };
    }
  }
}
