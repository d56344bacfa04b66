/**
 * What earlier offline runs in a project directory left when they ended without their cleanup
 * (a second Ctrl-C, a kill, a crash): found by their records (see offline-ledger.ts) and removed
 * when a new run starts there, a server with players connected excepted.
 */
import { GameServersClient, NotFoundError } from "../../sdk/index.js";
import { forgetLedger, ledgerServers, sameApi, staleLedgers } from "../../sdk/internal/offline-ledger.js";
import { readPlayers } from "../core/live-match.js";
import { liveServers } from "./live-run.js";
import type { OfflineOptions } from "./options.js";

/** Deletes the servers of interrupted runs of this API and key; a record is forgotten once none of its servers is left. */
export async function removeLeftovers(projectDir: string, options: OfflineOptions): Promise<void> {
  const stale = staleLedgers(projectDir).filter(({ ledger }) => sameApi(ledger, options.apiUrl, options.apiKey));
  if (stale.length === 0) return;
  const say = (line: string) => options.log?.(`[runOffline] ${line}`);
  const client = new GameServersClient({ apiKey: options.apiKey, baseUrl: options.apiUrl, maxRetries: 5 });
  try {
    const live = await liveServers(client);
    for (const { file, ledger } of stale) {
      const from = `left by an interrupted run (pid ${ledger.pid}, started ${ledger.startedAt})`;
      let kept = 0;
      for (const server of ledgerServers(ledger, live)) {
        const players = await readPlayers(client, server.id);
        if ((players.kind === "players" && players.humans > 0) || players.kind === "unreadable") {
          kept++;
          const why = players.kind === "players" ? `${players.humans} player(s) connected` : `players cannot be read: ${players.why}`;
          say(`kept ${server.name} (${server.id}), ${from}: ${why}; the next run tries again`);
          continue;
        }
        try {
          await client.gameServers.delete(server.id);
          say(`deleted ${server.name} (${server.id}), ${from}`);
        } catch (error) {
          if (error instanceof NotFoundError) continue;
          kept++;
          say(`could not delete ${server.name} (${server.id}), ${from}: ${(error as Error).message}`);
        }
      }
      if (kept === 0) forgetLedger(file);
    }
  } catch (error) {
    say(`could not look for what interrupted runs left (${(error as Error).message}); the next run looks again`);
  } finally {
    await client.close();
  }
}
