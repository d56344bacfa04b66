import type { GameServer } from "../schemas/index.js";
import { CS2_SECRET_KEYS } from "../schemas/index.js";

/** What a password is printed as unless `--show-secrets`. */
export const REDACTED = "<redacted>";

/**
 * The server with its passwords replaced by {@link REDACTED}: the top-level `rconPassword` and
 * `serverPassword`, and the same keys in `configuration` should an API ever echo them there.
 * A password that is null stays null: that a server has none is not a secret.
 */
export function redactServer(server: GameServer): GameServer {
  const out: GameServer = { ...server };
  for (const key of CS2_SECRET_KEYS) {
    if ((out as Record<string, unknown>)[key] != null) (out as Record<string, unknown>)[key] = REDACTED;
  }
  if (out.configuration && CS2_SECRET_KEYS.some((k) => k in out.configuration)) {
    out.configuration = { ...out.configuration };
    for (const key of CS2_SECRET_KEYS) if (key in out.configuration) out.configuration[key] = REDACTED;
  }
  return out;
}

/**
 * Text from the API made safe for a terminal: control characters (an escape sequence in a game
 * server's console output could move the cursor or retitle the window) become `?`; tabs stay.
 */
export function terminalSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, "?");
}

/** Left-aligned columns two spaces apart, kubectl style; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string[] {
  const all = [headers, ...rows].map((r) => r.map(terminalSafe));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

/** `ip:port`, or `-` while the server has no address. */
export function address(server: Pick<GameServer, "ip" | "port">): string {
  return server.ip ? `${server.ip}${server.port != null ? `:${server.port}` : ""}` : "-";
}

/** Compact age of an ISO timestamp, kubectl style: `45s`, `12m`, `3h`, `2d`. */
export function age(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "-";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "-";
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** The lines of a log's text, without the empty string after a final newline. */
export function logLines(content: string): string[] {
  if (content === "") return [];
  const lines = content.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** One line of an error, for stderr: never a stack, never a second line. */
export function oneLine(text: string): string {
  return terminalSafe(text.replace(/\s*\r?\n\s*/g, " ").trim());
}
