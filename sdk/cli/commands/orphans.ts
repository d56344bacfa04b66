import { NotFoundError } from "../../core/errors.js";
import { forgetLedger, ledgerServers, sameApi, staleLedgers } from "../../internal/offline-ledger.js";
import type { GameServer } from "../../schemas/index.js";
import { COMMON_HELP, COMMON_OPTIONS, CommandError, EXIT, JSON_OPTION, parse, UsageError } from "../args.js";
import type { Command } from "../command.js";
import { apiKeyOf, type Context, confirm, listAll, makeClient, readStateFrom } from "../context.js";
import { oneLine, table } from "../format.js";
import { findOrphans, type Orphan, readStateClaims, StateFormatError } from "../orphans.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...JSON_OPTION,
  state: { type: "string" },
  "offline-runs": { type: "string" },
  delete: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
} as const;

export const orphans: Command = {
  name: "orphans",
  summary: "List (and --delete) live servers a stack's state does not own, after an interrupted run",
  help: `Usage: pulumi stack export | gameservers orphans --state -
       gameservers orphans --state state.json [--delete [--yes]] [--json]
       gameservers orphans --offline-runs DIR [--delete [--yes]] [--json]

Reads a stack's checkpoint (\`pulumi stack export\` output, or its bare deployment object) and
lists live servers that look like the stack's but that no GameServer or GameServerFleet of it
owns: what an interrupted \`pulumi up\` can leave behind. A server looks like the stack's when
its name is
  - the name of a create that was interrupted (a pending "creating" operation, or a pending
    "updating" of a fleet, which creates the servers it adds): pending create
  - the name of a placeholder for a create whose outcome was unknown: unresolved create
  - <autoNamePrefix>-<7 hex> for the autoNamePrefix of a server in the state: same auto-name prefix
Secret values in the state are never read or printed.

With --offline-runs, reads instead the records that offline runs (runOffline) keep in
DIR/.gameservers/offline-runs/ while their servers exist, and lists the live servers of runs
that ended without their cleanup (a second Ctrl-C, a kill): interrupted offline run. Only
records of this API URL and key are read; --delete forgets a record once its servers are gone.
(The next runOffline in DIR removes them too.)

Options:
  --state FILE|-   The checkpoint: a file, or - for stdin (this or --offline-runs is required)
  --offline-runs DIR  The project directory of interrupted offline runs
  --delete         Delete the servers listed, after confirmation on the terminal
  -y, --yes        Do not ask (required for --delete without a terminal, or with --state -)
  --json           A JSON array of { id, name, region, status, createdAt, reasons[] } (with
                   --delete: plus deleted and error)

Exits 0 when nothing is listed or everything listed was deleted; 1 if a delete failed.

${COMMON_HELP}`,
  async run(argv, ctx) {
    const { values, positionals } = parse("orphans", argv, OPTIONS);
    if (values.help) {
      ctx.print(orphans.help);
      return EXIT.ok;
    }
    if (positionals.length) throw new UsageError(`orphans: unexpected argument ${JSON.stringify(positionals[0])}`);
    if (values.state !== undefined && values["offline-runs"] !== undefined)
      throw new UsageError("orphans: give --state or --offline-runs, not both");
    if (values.state === undefined && values["offline-runs"] === undefined)
      throw new UsageError("orphans: --state FILE (or --state - for stdin), or --offline-runs DIR, is required");
    if (values.yes && !values.delete) throw new UsageError("orphans: --yes only goes with --delete");
    const stateFromStdin = values.state === "-";
    if (values.delete && !values.yes && (stateFromStdin || ctx.stdin.isTTY !== true)) {
      throw new CommandError(
        stateFromStdin
          ? "--delete with --state - cannot ask for confirmation (stdin holds the state): add --yes"
          : "--delete needs a terminal to confirm: add --yes to delete without asking",
      );
    }

    let claims: ReturnType<typeof readStateClaims> | undefined;
    if (values.state !== undefined) {
      const text = await readStateFrom(values.state, ctx);
      try {
        claims = readStateClaims(text);
      } catch (error) {
        if (error instanceof StateFormatError) throw new CommandError(`--state ${values.state}: ${error.message}`);
        throw error;
      }
    }
    const client = makeClient(values, ctx.env);
    try {
      const live = await listAll(client, ctx.signal);
      const runs = claims ? undefined : offlineRuns(values["offline-runs"]!, client.baseUrl, apiKeyOf(values, ctx.env), live);
      const found = claims ? findOrphans(claims, live) : runs!.found;
      if (!values.delete || found.length === 0) {
        if (values.json)
          ctx.print(
            JSON.stringify(
              found.map((o) => view(o)),
              null,
              2,
            ),
          );
        else if (found.length === 0 && runs)
          ctx.warn(
            `No orphans: no interrupted offline run in ${values["offline-runs"]} left a live server${runs.skipped ? ` (${count(runs.skipped, "record")} of another API URL or key not read)` : ""}.`,
          );
        else if (found.length === 0 && claims)
          ctx.warn(
            `No orphans: every server that looks like this stack's is owned by a resource (the state holds ${count(claims.serverCount, "server")} in ${count(claims.resourceCount, "resource")}).`,
          );
        else print(ctx, found);
        return EXIT.ok;
      }
      if (!values.json) print(ctx, found);
      if (!values.yes && !(await confirm(ctx, `Delete ${found.length} server${found.length === 1 ? "" : "s"}? [y/N] `))) {
        ctx.warn("Nothing deleted.");
        return EXIT.ok;
      }
      const outcomes: { orphan: Orphan; deleted: boolean; error?: string }[] = [];
      for (const orphan of found) {
        try {
          await client.gameServers.delete(orphan.server.id, { signal: ctx.signal });
          outcomes.push({ orphan, deleted: true });
          if (!values.json) ctx.warn(`Deleted ${orphan.server.id} (${oneLine(orphan.server.name)})`);
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          if (error instanceof NotFoundError) {
            outcomes.push({ orphan, deleted: true });
            if (!values.json) ctx.warn(`Already gone: ${orphan.server.id}`);
            continue;
          }
          const message = oneLine(error instanceof Error ? error.message : String(error));
          outcomes.push({ orphan, deleted: false, error: message });
          if (!values.json) ctx.warn(`gameservers: could not delete ${orphan.server.id}: ${message}`);
        }
      }
      if (values.json)
        ctx.print(
          JSON.stringify(
            outcomes.map((o) => ({ ...view(o.orphan), deleted: o.deleted, ...(o.error ? { error: o.error } : {}) })),
            null,
            2,
          ),
        );
      const ok = outcomes.every((o) => o.deleted);
      // Every server of the interrupted runs is gone: their records have nothing left to find.
      if (ok && runs) for (const file of runs.files) forgetLedger(file);
      return ok ? EXIT.ok : EXIT.failure;
    } finally {
      await client.close();
    }
  },
};

/** The live servers of interrupted offline runs in `dir`, and their records (of this API URL and key). */
function offlineRuns(dir: string, apiUrl: string, apiKey: string, live: GameServer[]) {
  const all = staleLedgers(dir);
  const mine = all.filter(({ ledger }) => sameApi(ledger, apiUrl, apiKey));
  const found: Orphan[] = [];
  for (const { ledger } of mine) {
    for (const server of ledgerServers(ledger, live)) {
      if (!found.some((o) => o.server.id === server.id)) found.push({ server, reasons: ["interrupted offline run"] });
    }
  }
  return { found, files: mine.map((m) => m.file), skipped: all.length - mine.length };
}

/** `1 server`, `2 servers`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function view(o: Orphan) {
  const s = o.server;
  return { id: s.id, name: s.name, region: s.region, status: s.status, createdAt: s.createdAt, reasons: o.reasons };
}

function print(ctx: Context, found: Orphan[]): void {
  const rows = found.map((o) => [o.reasons.join(", "), o.server.id, o.server.name, o.server.region, o.server.status, o.server.createdAt]);
  for (const line of table(["REASON", "ID", "NAME", "REGION", "STATUS", "CREATED"], rows)) ctx.print(line);
}
