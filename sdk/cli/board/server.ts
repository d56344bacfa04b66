import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ConsoleCommandRequest } from "../../schemas/index.js";
import type { BoardChange, BoardModel, Tile } from "./model.js";
import { BOARD_CSS, BOARD_JS, boardHtml } from "./page.js";

/** Changes are sent to the pages at most this often, coalesced. @default 30 ms */
const FLUSH_MS = 30;
/** A comment line on idle event streams, so proxies and browsers keep them open. @default 15000 ms */
const HEARTBEAT_MS = 15_000;
/** Largest request body taken. @default 16 KiB */
const MAX_BODY = 16 * 1024;

/** Sent with every answer: the page loads only its own script and style and talks only to this server. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  // The token is in the address: no other site may learn it from a Referer header.
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
} as const;

export interface BoardServerOptions {
  host: string;
  port: number;
  /** The per-run secret every request must carry (query `token`, or the `x-board-token` header). */
  token: string;
  /** Bound beyond loopback: any Host header is taken (the origin check still applies). */
  remote: boolean;
}

export interface RunningBoard {
  /** The address to open, token included. */
  url: string;
  /** The origin the page is served from; requests from any other are refused. */
  origin: string;
  close(): Promise<void>;
}

/** Serves the board's page, its event stream and its commands. */
export async function startBoardServer(model: BoardModel, options: BoardServerOptions): Promise<RunningBoard> {
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, { error: "internal error" });
      else res.end();
    });
  });

  let port = 0;
  const shown = options.host.includes(":") ? `[${options.host}]` : options.host;
  const loopbackHosts = () => new Set([`${shown}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://board");
    const host = req.headers.host ?? "";
    // A page of another site reaching this port through a DNS name it controls (rebinding) is refused.
    if (!options.remote && !loopbackHosts().has(host)) return refuse(res, "unexpected Host header");
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) return refuse(res, "cross-origin request");
    const site = req.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") return refuse(res, "cross-site request");
    const token = req.method === "POST" ? header(req, "x-board-token") : url.searchParams.get("token");
    if (!sameSecret(token, options.token)) return refuse(res, "missing or wrong token");

    if (req.method === "GET" && url.pathname === "/") return send(res, 200, "text/html; charset=utf-8", boardHtml(options.token));
    if (req.method === "GET" && url.pathname === "/board.js") return send(res, 200, "text/javascript; charset=utf-8", BOARD_JS);
    if (req.method === "GET" && url.pathname === "/board.css") return send(res, 200, "text/css; charset=utf-8", BOARD_CSS);
    if (req.method === "GET" && url.pathname === "/events") return events(req, res);
    const lines = /^\/api\/servers\/([^/]+)\/lines$/.exec(url.pathname);
    if (req.method === "GET" && lines) {
      const history = model.history(decodeURIComponent(lines[1]!));
      return history ? reply(res, 200, { lines: history }) : reply(res, 404, { error: "the board does not show this server" });
    }
    if (req.method !== "POST") return reply(res, 404, { error: "not found" });
    // A POST must say where it comes from: a form or a script of another site cannot pass.
    if (origin === undefined) return refuse(res, "missing Origin header");
    if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) return reply(res, 415, { error: "send JSON" });
    const body = await readJson(req);
    const parsed = ConsoleCommandRequest.safeParse(body);
    if (!parsed.success) return reply(res, 400, { error: `the command ${parsed.error.issues[0]?.message ?? "is invalid"}` });
    const command = /^\/api\/servers\/([^/]+)\/command$/.exec(url.pathname);
    if (command) return reply(res, 200, await model.send(decodeURIComponent(command[1]!), parsed.data.command));
    if (url.pathname === "/api/announce") return reply(res, 200, { results: await model.announce(parsed.data.command) });
    return reply(res, 404, { error: "not found" });
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    res.write(`event: snapshot\ndata: ${JSON.stringify({ tiles: model.tiles(), banner: model.banner })}\n\n`);
    streams.add(res);
    let tiles = new Map<string, Tile>();
    let lines: { id: string; seq: number; line: string }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      if (tiles.size) res.write(`event: tiles\ndata: ${JSON.stringify([...tiles.values()])}\n\n`);
      if (lines.length) res.write(`event: lines\ndata: ${JSON.stringify(lines)}\n\n`);
      tiles = new Map();
      lines = [];
    };
    const unsubscribe = model.subscribe((change: BoardChange) => {
      if (change.type === "banner") {
        res.write(`event: banner\ndata: ${JSON.stringify({ banner: change.banner })}\n\n`);
        return;
      }
      if (change.type === "tile") tiles.set(change.tile.id, change.tile);
      else lines.push({ id: change.id, seq: change.seq, line: change.line });
      timer ??= setTimeout(flush, FLUSH_MS);
    });
    const heartbeat = setInterval(() => res.write(": alive\n\n"), HEARTBEAT_MS);
    const end = () => {
      unsubscribe();
      clearTimeout(timer);
      clearInterval(heartbeat);
      streams.delete(res);
    };
    req.on("close", end);
    res.on("close", end);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${shown}:${port}`;
  return {
    url: `${origin}/?token=${options.token}`,
    origin,
    close: async () => {
      for (const res of streams) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === "string" ? value : null;
}

/** Compared in constant time, so the token cannot be guessed a character at a time. */
function sameSecret(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(res: ServerResponse, why: string): void {
  send(
    res,
    403,
    "text/plain; charset=utf-8",
    `Forbidden (${why}): open the board with the address \`gameservers board\` printed, token included.\n`,
  );
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(body));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}
