import { setTimeout as sleep } from "node:timers/promises";
import { AuthenticationError, type GameServer, GameServersClient, NotFoundError } from "../../sdk/index.js";
import { UNRESOLVED_ID_PREFIX } from "../../sdk/internal/index.js";
import { LedgerWriter } from "../../sdk/internal/offline-ledger.js";
import { unpackAll } from "../fleet/pack.js";
import { LATE_WRITE_MS } from "../shared/inputs.js";
import type { Limiter } from "../shared/limiter.js";
import type { OfflineOptions, OfflineResource } from "./options.js";
import { HostError, type ProviderHost } from "./provider-host.js";
import { untrack } from "./signals.js";

/** Prefix of every dynamic resource's type token; ours are forwarded to the provider host. */
export const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic/";
/** How far the API's `createdAt` may be behind our clock when the sweep matches an interrupted create's server. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** How often the sweep looks again for the servers of interrupted creates, while their POSTs may still land. @default 250 ms */
const LOOK_AGAIN_MS = 250;

/** A create the host is working on: enough to find its server if the run is interrupted. */
interface InFlightCreate {
  name: string;
  gameType: unknown;
  region: unknown;
  sentAfter: number;
}

/** The state of a run from its start until it is destroyed: what it made, what it is making, and how to undo both. */
export class LiveRun {
  readonly resources: OfflineResource[] = [];
  readonly inFlight = new Set<InFlightCreate>();
  stopping = false;
  /** Whether any create of the run got an answer other than a refusal: its key worked at least once. */
  answered = false;
  /** Set when a signal handler will exit the process once cleanup is done. */
  exiting = false;
  interrupt: (error: Error) => void = () => undefined;
  #flushed = 0;
  #cleanup: Promise<string[]> | undefined;
  /** What the run asked the API to create, on disk until it is deleted again (see offline-ledger.ts). */
  readonly ledger: LedgerWriter;

  constructor(
    readonly host: ProviderHost,
    readonly options: OfflineOptions,
    readonly slots: Limiter,
    projectDir: string,
  ) {
    this.ledger = new LedgerWriter(projectDir, options.apiUrl, options.apiKey);
  }

  /** Hands complete lines of the host's output to `log`, each once. */
  flushLog(): void {
    const end = this.host.output.lastIndexOf("\n") + 1;
    if (end <= this.#flushed) return;
    for (const line of this.host.output.slice(this.#flushed, end).split("\n")) if (line.trim()) this.options.log?.(line);
    this.#flushed = end;
  }

  async checkAndCreate(type: string, name: string, inputs: Record<string, unknown>) {
    const checked = await this.host.check(name, {}, inputs);
    if (checked.failures.length > 0) {
      throw new Error(`invalid inputs: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    }
    const creating = inFlightCreates(checked.inputs);
    for (const c of creating) this.inFlight.add(c);
    // On disk before the POST leaves: a run killed from here on leaves what to look for.
    this.ledger.add(creating.map((c) => ({ name: c.name, gameType: c.gameType, region: c.region, sentAfter: c.sentAfter })));
    try {
      const made = await this.host.create(name, checked.inputs);
      this.answered = true;
      this.ledger.resolve(serverIds(made.outs));
      return made;
    } catch (error) {
      if (!(error instanceof HostError && error.initFailure)) throw error;
      this.answered = true;
      this.ledger.resolve(serverIds(error.initFailure.properties));
      // Created but not ready (its readyTimeoutSeconds passed, or its outcome stayed unknown): the
      // engine would keep it in the stack. Offline there is no stack: delete it now, and say so.
      const { id, properties } = error.initFailure;
      const said = withoutStackAdvice(error.message);
      try {
        await this.host.delete(name, id, { ...properties, __provider: properties.__provider ?? checked.inputs.__provider });
      } catch (deleteError) {
        // Left for the run's cleanup to try again.
        this.resources.push({ type, name, id, inputs, outputs: properties, lookup: false });
        throw new Error(
          `${said} Offline there is no stack to keep it in, and deleting it (${id}) failed: ${(deleteError as Error).message}`,
        );
      }
      throw new Error(
        id.startsWith(UNRESOLVED_ID_PREFIX)
          ? `${said} Offline there is no stack to keep it in: the run looked for the server that create may have made, and deleted it if it existed.`
          : `${said} Offline there is no stack to keep it in: the run deleted it (${id}).`,
      );
    } finally {
      for (const c of creating) this.inFlight.delete(c);
    }
  }

  /**
   * Deletes what the run created (through the provider), stops the host, then removes through the
   * API what the provider could not: servers recorded meanwhile or whose delete failed (by id),
   * and servers of creates that were still in flight, whose id the run never got (by the name
   * check() gave them, created after the create was sent), including those whose POST lands
   * after the host stopped. Runs once; returns what is left.
   */
  cleanup(): Promise<string[]> {
    this.#cleanup ??= this.#doCleanup();
    return this.#cleanup;
  }

  async #doCleanup(): Promise<string[]> {
    this.stopping = true;
    this.slots.close();
    const deletable = (r: OfflineResource) => r.type.startsWith(DYNAMIC_PREFIX) && Boolean(r.id) && !r.lookup;
    const done = new Set<OfflineResource>();
    const problems: string[] = [];
    try {
      for (const r of [...this.resources].reverse()) {
        if (!deletable(r)) continue;
        try {
          await this.host.delete(r.name, r.id!, { ...r.outputs, __provider: r.outputs.__provider ?? r.inputs.__provider });
          done.add(r);
        } catch (error) {
          // The live-match guard kept it (players connected): never deleted behind its back below.
          if (/^LiveMatchError: |: not (deleting|replacing) it: /.test((error as Error).message)) {
            done.add(r);
            problems.push(`${r.name} (${r.id}) is kept: ${(error as Error).message.replace(/^LiveMatchError: /, "")}`);
          }
          // Otherwise tried again through the API below.
        }
      }
      this.flushLog();
      // Stop the host before looking for the rest: it sends no further POST after this.
      const interrupted = [...this.inFlight];
      await this.host.stop();
      const stoppedAt = Date.now();
      this.flushLog();
      const leftovers = this.resources.filter((r) => deletable(r) && !done.has(r));
      if (leftovers.length > 0 || interrupted.length > 0)
        problems.push(...(await this.#deleteThroughApi(leftovers, interrupted, stoppedAt)));
    } finally {
      if (!this.host.exited) await this.host.stop(true);
      untrack(this);
    }
    // Everything it made is gone: nothing for a later run to find. Otherwise the record stays.
    if (problems.length === 0) this.ledger.close();
    return problems;
  }

  async #deleteThroughApi(leftovers: OfflineResource[], interrupted: InFlightCreate[], stoppedAt: number): Promise<string[]> {
    const problems: string[] = [];
    const client = new GameServersClient({ apiKey: this.options.apiKey, baseUrl: this.options.apiUrl, maxRetries: 5 });
    const tried = new Set<string>();
    const remove = async (id: string, name: string, why: string) => {
      if (tried.has(id)) return;
      tried.add(id);
      try {
        await client.gameServers.delete(id);
        this.options.log?.(`[runOffline] deleted ${name} (${id}): ${why}`);
      } catch (error) {
        if (!(error instanceof NotFoundError)) problems.push(`${name} (${id}), ${why}: ${(error as Error).message}`);
      }
    };
    try {
      for (const r of leftovers) {
        if (r.id!.startsWith(UNRESOLVED_ID_PREFIX))
          problems.push(`${r.name}: its create's outcome stayed unknown, and the provider could not remove it`);
        else await remove(r.id!, r.name, "the provider's delete had failed or the create returned during cleanup");
      }
      // The host is gone, but the API carries out a POST it received all the same: a create
      // whose server is not there yet may still make it, up to LATE_WRITE_MS after the host
      // stopped. Look again until every interrupted create's server was found, or that is over.
      let waiting = interrupted;
      while (waiting.length > 0) {
        let servers: GameServer[];
        try {
          servers = await liveServers(client);
        } catch (error) {
          // Every request of the run was refused for its key: none of those creates made anything.
          if (error instanceof AuthenticationError && !this.answered) break;
          const names = interrupted.map((c) => c.name).join(", ");
          problems.push(
            `the servers of ${interrupted.length} interrupted create(s) (${names}) could not be looked up: ${(error as Error).message}`,
          );
          break;
        }
        for (const server of servers) {
          if (!interrupted.some((c) => madeBy(c, server))) continue;
          await remove(server.id, server.name, "its create was interrupted");
          waiting = waiting.filter((c) => !madeBy(c, server));
        }
        const left = stoppedAt + LATE_WRITE_MS - Date.now();
        if (waiting.length === 0 || left <= 0) break;
        await sleep(Math.min(LOOK_AGAIN_MS, left));
      }
    } finally {
      await client.close();
    }
    return problems;
  }
}

/** Whether this server may be the one an interrupted create made: its name, game type and region, created after it was sent. */
function madeBy(create: InFlightCreate, server: GameServer): boolean {
  return (
    create.name === server.name &&
    create.gameType === server.gameType &&
    create.region === server.region &&
    Date.parse(server.createdAt) >= create.sentAfter - CLOCK_SKEW_MS
  );
}

/** The servers a create's outputs name: a GameServer's one, or each of a fleet part's. */
function serverIds(outs: Record<string, unknown>): { name: string; id: string }[] {
  if (typeof outs.serverId === "string" && typeof outs.name === "string") return [{ name: outs.name, id: outs.serverId }];
  if (outs.servers === null || typeof outs.servers !== "object") return [];
  const servers = unpackAll(outs.common, outs.servers) as Record<string, { name?: unknown; id?: unknown }>;
  return Object.values(servers)
    .filter((s) => typeof s.name === "string" && typeof s.id === "string")
    .map((s) => ({ name: s.name as string, id: s.id as string }));
}

/** Every server of the organization that is not deleted. */
export async function liveServers(client: GameServersClient): Promise<GameServer[]> {
  const live: GameServer[] = [];
  for await (const page of client.gameServers.list({ pageSize: 100 }).pages()) {
    for (const server of page.items) if (server.deletedAt === null) live.push(server);
  }
  return live;
}

/** The servers a create may make: a GameServer's one, or each of a fleet's (FleetServers). */
function inFlightCreates(inputs: Record<string, unknown>): InFlightCreate[] {
  const sentAfter = Date.now();
  const one = (s: Record<string, unknown>) =>
    typeof s.name === "string" ? [{ name: s.name, gameType: s.gameType, region: s.region, sentAfter }] : [];
  if (typeof inputs.fleet === "string")
    return Object.values(unpackAll(inputs.common, inputs.servers)).flatMap((s) => (s && typeof s === "object" ? one(s) : []));
  return one(inputs);
}

/** The provider's message without its advice about the stack and `pulumi up`: offline there is neither. */
function withoutStackAdvice(message: string): string {
  const sentences = message.split(/(?<=\.)\s+(?=[A-Z])/);
  const kept = sentences.filter((s) => !/\bstack\b|`pulumi /.test(s));
  return (kept.length > 0 ? kept : sentences.slice(0, 1)).join(" ");
}
