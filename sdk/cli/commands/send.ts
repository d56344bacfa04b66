import { AmbiguousRequestError } from "../../core/errors.js";
import { ConsoleCommandRequest, ServerId } from "../../schemas/index.js";
import { COMMON_HELP, COMMON_OPTIONS, CommandError, EXIT, JSON_OPTION, parse, UsageError } from "../args.js";
import type { Command } from "../command.js";
import { listAll, makeClient } from "../context.js";
import { oneLine, table } from "../format.js";
import { matchesGlob } from "../glob.js";

const OPTIONS = { ...COMMON_OPTIONS, ...JSON_OPTION, name: { type: "string" } } as const;

/** Commands in flight at once when sending to many servers. */
const CONCURRENCY = 8;

/** The outcome for one server. */
interface SendResult {
  id: string;
  name: string | null;
  /** `sent`, `failed`, or `unknown` when the request may or may not have reached the server. */
  result: "sent" | "failed" | "unknown";
  error?: string;
}

export const send: Command = {
  name: "send",
  summary: "Send a console command to servers (by id, or every server whose name matches --name)",
  help: `Usage: gameservers send <id>... <command>
       gameservers send --name GLOB [<id>...] <command>
       gameservers send <id>... [--name GLOB] -- <command words...>

Sends one console command to each server, once, and reports per server whether it was sent.
Exits 1 if any server failed. The command is the last argument (quote it), or every word after --.

Examples:
  gameservers send srv_123 "changelevel de_inferno"
  gameservers send --name 'winter-cup-*' "say Matches start in 10 minutes"
  gameservers send srv_1 srv_2 -- say Round 2 is live

Options:
  --name GLOB   Also every server whose name matches (* and ?), e.g. 'winter-cup-*'
  --json        A JSON array of { id, name, result, error? }; result is sent, failed or unknown

A command whose answer was lost (connection dropped, 5xx) is reported "unknown": it may have
run, and it is not repeated.

${COMMON_HELP}`,
  async run(argv, ctx) {
    const { values, positionals, afterTerminator } = parse("send", argv, OPTIONS);
    if (values.help) {
      ctx.print(send.help);
      return EXIT.ok;
    }
    let ids: string[];
    let command: string;
    if (afterTerminator !== undefined) {
      ids = positionals;
      command = afterTerminator.join(" ");
    } else {
      ids = positionals.slice(0, -1);
      command = positionals.at(-1) ?? "";
    }
    if (!command) throw new UsageError("send: missing the command to send");
    if (ids.length === 0 && values.name === undefined) throw new UsageError("send: name at least one server id, or --name GLOB");
    const commandCheck = ConsoleCommandRequest.safeParse({ command });
    if (!commandCheck.success) throw new UsageError(`send: the command ${commandCheck.error.issues[0]?.message ?? "is invalid"}`);
    for (const id of ids) {
      if (!ServerId.safeParse(id).success) throw new UsageError(`send: ${JSON.stringify(id)} is not a server id such as srv_123`);
    }

    const client = makeClient(values, ctx.env);
    try {
      const targets = new Map<string, string | null>(ids.map((id) => [id, null]));
      // One walk of the list names every server: those matching --name, and those given by id.
      const servers = await listAll(client, ctx.signal);
      if (values.name !== undefined) {
        const matched = servers.filter((s) => matchesGlob(s.name, values.name!));
        if (matched.length === 0 && ids.length === 0)
          throw new CommandError(`no game server matches --name ${JSON.stringify(values.name)}`);
        for (const s of matched) targets.set(s.id, s.name);
      }
      for (const s of servers) if (targets.get(s.id) === null) targets.set(s.id, s.name);
      const entries = [...targets];
      const results: SendResult[] = new Array(entries.length);
      let next = 0;
      const worker = async () => {
        while (next < entries.length && !ctx.signal.aborted) {
          const i = next++;
          const [id, name] = entries[i]!;
          try {
            await client.console.sendCommand(id, command, { signal: ctx.signal });
            results[i] = { id, name, result: "sent" };
          } catch (error) {
            if (ctx.signal.aborted) throw error;
            const message = oneLine(error instanceof Error ? error.message : String(error));
            results[i] = { id, name, result: error instanceof AmbiguousRequestError ? "unknown" : "failed", error: message };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
      const failed = results.filter((r) => r.result !== "sent").length;
      if (values.json) {
        ctx.print(JSON.stringify(results, null, 2));
      } else {
        const rows = results.map((r) => [r.id, r.name ?? "-", r.result, r.error ?? ""]);
        for (const line of table(["ID", "NAME", "RESULT", "ERROR"], rows)) ctx.print(line);
        if (results.length > 1 || failed > 0)
          ctx.warn(`Sent to ${results.length - failed} of ${results.length} server${results.length === 1 ? "" : "s"}.`);
      }
      return failed > 0 ? EXIT.failure : EXIT.ok;
    } finally {
      await client.close();
    }
  },
};
