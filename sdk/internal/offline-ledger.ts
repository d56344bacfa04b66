/**
 * The record an offline run (runOffline) keeps of the servers it creates, written before each
 * create is sent and removed once the run has deleted them: a run that ends in a way that skips
 * its cleanup (a second Ctrl-C, a kill, a crash) leaves it behind, and the next run in the same
 * directory, or `gameservers orphans --offline-runs`, finds those servers by it. Importing this
 * module starts nothing.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GameServer } from "../schemas/index.js";

/** Where a project's offline runs keep their records: `<dir>/.gameservers/offline-runs/`. */
export function ledgerDir(projectDir: string): string {
  return path.join(projectDir, ".gameservers", "offline-runs");
}

/** One server a run asked for: by the id the API gave it, or (its create cut short) by what was sent. */
export interface LedgerEntry {
  name: string;
  gameType: unknown;
  region: unknown;
  /** When the create was sent, epoch ms of the run's clock. */
  sentAfter: number;
  id?: string;
}

export interface Ledger {
  version: 1;
  pid: number;
  startedAt: string;
  /** The API the run used: another API's servers are not this record's. */
  apiUrl: string;
  /** Which key the run used ({@link keyId}): another organization's list cannot tell what is left of it. */
  keyId: string;
  servers: LedgerEntry[];
}

/** How far a server's `createdAt` may be from when its create was sent, either way (clock skew, a late write). */
const MATCH_WINDOW_MS = 10 * 60_000;

/** The record of a live run: every change written to disk at once, so a killed process leaves it whole. */
export class LedgerWriter {
  readonly file: string;
  readonly #ledger: Ledger;

  constructor(projectDir: string, apiUrl: string, apiKey: string) {
    const dir = ledgerDir(projectDir);
    const started = Date.now();
    this.file = path.join(dir, `${process.pid}-${started}.json`);
    this.#ledger = { version: 1, pid: process.pid, startedAt: new Date(started).toISOString(), apiUrl, keyId: keyId(apiKey), servers: [] };
  }

  /** Records creates about to be sent (before the request leaves). */
  add(entries: LedgerEntry[]): void {
    if (entries.length === 0) return;
    this.#ledger.servers.push(...entries);
    this.#write();
  }

  /** Records the ids the API gave, by server name. */
  resolve(ids: { name: string; id: string }[]): void {
    let changed = false;
    for (const { name, id } of ids) {
      const entry = this.#ledger.servers.find((e) => e.name === name && e.id === undefined);
      if (entry) [entry.id, changed] = [id, true];
    }
    if (changed) this.#write();
  }

  /** The run deleted everything it made: nothing to find later. */
  close(): void {
    rmSync(this.file, { force: true });
  }

  #write(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.#ledger));
    renameSync(tmp, this.file);
  }
}

/** The records of runs that ended without cleaning up (their process is gone), oldest first. */
export function staleLedgers(projectDir: string): { file: string; ledger: Ledger }[] {
  const dir = ledgerDir(projectDir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: { file: string; ledger: Ledger }[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    let ledger: Ledger;
    try {
      ledger = JSON.parse(readFileSync(file, "utf8")) as Ledger;
    } catch {
      continue; // Half-written by a run killed mid-write: the rename never happened, so this is not one.
    }
    if (ledger.version !== 1 || !Array.isArray(ledger.servers) || isAlive(ledger.pid)) continue;
    out.push({ file, ledger });
  }
  return out;
}

/** The live servers a record names: by id, or by name, game type, region and creation time. */
export function ledgerServers(ledger: Ledger, live: readonly GameServer[]): GameServer[] {
  return live.filter(
    (server) =>
      server.deletedAt === null &&
      ledger.servers.some((e) =>
        e.id !== undefined
          ? e.id === server.id
          : e.name === server.name &&
            e.gameType === server.gameType &&
            e.region === server.region &&
            Math.abs(Date.parse(server.createdAt) - e.sentAfter) <= MATCH_WINDOW_MS,
      ),
  );
}

/** Removes a record whose servers are all gone. */
export function forgetLedger(file: string): void {
  rmSync(file, { force: true });
}

/** Whether a record is of this API and key: only then does this key's list show what is left of it. */
export function sameApi(ledger: Ledger, apiUrl: string, apiKey: string): boolean {
  return ledger.apiUrl.replace(/\/+$/, "") === apiUrl.replace(/\/+$/, "") && ledger.keyId === keyId(apiKey);
}

/** A key's short SHA-256: tells keys apart without keeping the key. */
export function keyId(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex").slice(0, 16);
}

function isAlive(pid: unknown): boolean {
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
