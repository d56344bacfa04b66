/**
 * The CLI's own reader of a CS2 console, for the board's tiles: the player count and map of
 * `status`, and the lines that change them. The provider reads `status` too
 * (`provider/core/live-match.ts`), but the CLI imports nothing of the provider. The formats are
 * the emulator README's "Players" section: CS2 1.40 prints `map     : de_dust2` and
 * `players : 2 humans, 0 bots (10 max) ...`; 1.41 pads the key (`players  :`).
 */

/** A console line without the emulator's `[hh:mm:ss] ` stamp. */
export function unstamped(line: string): string {
  return line.replace(/^\[\d{2}:\d{2}:\d{2}\] /, "");
}

/** What one console line says about the server's players and map; empty when nothing. */
export interface LineFacts {
  /** The player count `status` printed (humans; bots are not players here). */
  players?: number;
  /** A player connected (+1) or left (-1). */
  playerDelta?: 1 | -1;
  /** The map `status` printed, or the one a `changelevel` moved to. */
  map?: string;
}

/** Reads one unstamped console line. */
export function readLine(text: string): LineFacts {
  const players = /^players\s*:\s*(\d+) humans?\b/.exec(text);
  if (players) return { players: Number(players[1]) };
  const map = /^map\s*:\s*(\S+)/.exec(text);
  if (map) return { map: map[1]! };
  const level = /^Changing level to (\S+)/.exec(text);
  if (level) return { map: level[1]! };
  if (/^Client ".*" connected \(/.test(text)) return { playerDelta: 1 };
  if (/^Dropped .* from server: /.test(text)) return { playerDelta: -1 };
  return {};
}
