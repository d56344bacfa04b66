import { randomBytes } from "node:crypto";
import { Agent } from "undici";
import { GameServersClient } from "../../core/client.js";
import { GameServersError } from "../../core/errors.js";
import { isLoopbackHost } from "../../internal/url.js";
import {
  COMMON_HELP,
  COMMON_OPTIONS,
  CommandError,
  EXIT,
  InterruptedError,
  parse,
  parseDuration,
  parseInteger,
  UsageError,
} from "../args.js";
import { budgeted, RequestBudget } from "../board/budget.js";
import { BoardModel } from "../board/model.js";
import { startBoardServer } from "../board/server.js";
import { readStack, type StackView } from "../board/stack.js";
import type { Command } from "../command.js";
import { apiKeyOf, readStateFrom } from "../context.js";
import { StateFormatError } from "../orphans.js";

const OPTIONS = {
  ...COMMON_OPTIONS,
  name: { type: "string" },
  interval: { type: "string" },
  "max-rps": { type: "string" },
  state: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "allow-remote": { type: "boolean" },
  "show-secrets": { type: "boolean" },
} as const;

/** @default 1000 ms */
const DEFAULT_INTERVAL_MS = 1_000;
/** The shortest interval between list calls, as for `watch`. */
const MIN_INTERVAL_MS = 100;
/** The board's share of the API's rate limit. @default 10 requests per second */
const DEFAULT_MAX_RPS = 10;

export const board: Command = {
  name: "board",
  summary: "A live event board in the browser: every server's status, players, map and console",
  help: `Usage: gameservers board [--name GLOB] [--state FILE|-] [--interval 1s] [--max-rps 10]

Serves a web page on this machine and prints its address (open it in a browser): a tile per
server with its status, region, address, players, map and last console lines, all updated
live. A tile opens the server's console (its recent lines, then new ones, and a box that sends
a command); the box at the top sends one command to every server shown and lists each
server's result (sent, failed, or unknown when the answer was lost: it is not repeated).
Runs until Ctrl-C (exit 130).

The board lists every server once per --interval (one list call for up to 100 servers) and
opens each running server's console stream; it asks each one for \`status\` once (players and
map; the key needs game-console:read_write) and follows its console from then on. Every API
request it makes, commands included, stays within --max-rps.

  pulumi stack export | gameservers board --state -

Security: the API key and the servers' passwords stay in this process (passwords are shown as
<redacted>, in console lines too, unless --show-secrets). The address holds a random token made
for this run: requests without it, or from a page of another origin, are refused.

Options:
  --name GLOB          Only servers whose name matches (* and ?), e.g. 'winter-cup-*'
  --state FILE|-       A stack's checkpoint (\`pulumi stack export\`; - for stdin): servers are
                       grouped under their resource and fleet key, and live servers no resource
                       owns are marked (with why they look like the stack's, as orphans says)
  --interval DURATION  Time between list calls: 500ms, 2s (default 1s, at least 100ms)
  --max-rps N          API requests per second the board spends at most (default 10)
  --host HOST          Address to serve on (default 127.0.0.1)
  --port N             Port to serve on (default 0: a free port)
  --allow-remote       Allow a --host beyond loopback (prints a warning: anyone who can reach
                       the port and learns the address can send commands to your servers)
  --show-secrets       Show the rcon and join passwords on the page

${COMMON_HELP}`,
  async run(argv, ctx) {
    const { values, positionals } = parse("board", argv, OPTIONS);
    if (values.help) {
      ctx.print(board.help);
      return EXIT.ok;
    }
    if (positionals.length) throw new UsageError(`board: unexpected argument ${JSON.stringify(positionals[0])}`);
    const intervalMs =
      values.interval === undefined ? DEFAULT_INTERVAL_MS : parseDuration("interval", values.interval, { min: MIN_INTERVAL_MS });
    const maxRps = values["max-rps"] === undefined ? DEFAULT_MAX_RPS : parseInteger("max-rps", values["max-rps"], { min: 1 });
    const port = values.port === undefined ? 0 : parseInteger("port", values.port, { min: 0 });
    if (port > 65_535) throw new UsageError(`--port must be at most 65535 (got ${port})`);
    const host = values.host ?? "127.0.0.1";
    const remote = !isLoopbackHost(host);
    if (remote && !values["allow-remote"])
      throw new UsageError(`board: --host ${host} is beyond loopback: add --allow-remote to serve the board to other machines`);

    let stack: StackView | undefined;
    if (values.state !== undefined) {
      try {
        stack = readStack(await readStateFrom(values.state, ctx));
      } catch (error) {
        if (error instanceof StateFormatError) throw new CommandError(`--state ${values.state}: ${error.message}`);
        throw error;
      }
    }

    const budget = new RequestBudget(maxRps);
    const agent = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
    let client: GameServersClient;
    try {
      client = new GameServersClient({
        apiKey: apiKeyOf(values, ctx.env),
        baseUrl: values["api-url"] ?? (ctx.env.GAMESERVERS_API_URL?.trim() || undefined),
        consoleBaseUrl: values["console-api-url"] ?? (ctx.env.GAMESERVERS_CONSOLE_API_URL?.trim() || undefined),
        dispatcher: agent.compose(budgeted(budget)),
      });
    } catch (error) {
      await agent.close();
      if (error instanceof GameServersError) throw new UsageError(error.message);
      throw error;
    }
    const model = new BoardModel({ client, intervalMs, name: values.name, showSecrets: values["show-secrets"] === true, stack });
    let server: Awaited<ReturnType<typeof startBoardServer>> | undefined;
    try {
      await model.start();
      server = await startBoardServer(model, { host, port, token: randomBytes(24).toString("base64url"), remote });
      if (remote)
        ctx.warn(
          `gameservers: warning: the board is served on ${host}, beyond this machine: anyone who can reach the port and learns its address can send commands to your servers.`,
        );
      ctx.print(`Board: ${server.url}`);
      ctx.warn(`${model.tiles().length} servers shown; Ctrl-C stops the board.`);
      if (ctx.signal.aborted) throw new InterruptedError();
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      throw new InterruptedError();
    } finally {
      await server?.close();
      budget.close();
      await model.close();
      await client.close();
      await agent.close();
    }
  },
};
