/**
 * Interrupted runs under the real engine: Ctrl-C, the CLI killed outright, the provider host
 * killed, and the CLI killed after the provider answered but before the engine wrote its
 * checkpoint. After each, the next `pulumi up` ends with every server in the state exactly once.
 */
import { describe, expect, it } from "vitest";
import type { GameServer, GameServersClient } from "../../sdk/index.js";
import {
  bystanderIn,
  expectEachServerOnce,
  idsInState,
  journalEntries,
  type RealStack,
  tournament,
  until,
  useRealEngine,
} from "./helpers.js";

const real = useRealEngine({ bootDelayMs: 1000 });

/**
 * Each test in an organization of its own, with a server no stack made (nothing may touch it):
 * a failed test leaves nothing another one counts.
 */
interface Org {
  apiKey: string;
  client: GameServersClient;
  bystander: GameServer;
  stack(source: string, name: string, files?: Record<string, string>): Promise<RealStack>;
  expectEachServerOnce(stack: RealStack): Promise<void>;
  /** The live servers the stack made (the bystander left out). */
  made(): Promise<GameServer[]>;
}

async function organization(id: string): Promise<Org> {
  const { apiKey, client } = await real.organization(id);
  const bystander = await bystanderIn(client);
  return {
    apiKey,
    client,
    bystander,
    stack: (source, name, files) => real.stack(source, name, { apiKey, ...(files ? { files } : {}) }),
    expectEachServerOnce: (stack) => expectEachServerOnce(real, [stack], [bystander], [client]),
    made: async () => (await real.live(client)).filter((s) => s.id !== bystander.id),
  };
}

/** `pulumi up` after an interrupted one: the diy backend's lock is left, `pulumi cancel` removes it. */
async function recover(stack: RealStack): Promise<void> {
  stack.project.repairFileBackend();
  const refused = await stack.run(["up", "--yes"]);
  if (refused.code !== 0) {
    expect(refused.stdout + refused.stderr).toMatch(/the stack is currently locked.*pulumi cancel/s);
    await stack.ok(["cancel", "--yes"]);
    await stack.up();
  }
}

async function destroyAll(org: Org, stack: RealStack): Promise<void> {
  await stack.ok(["destroy", "--yes"]);
  await org.expectEachServerOnce(stack);
  expect(await org.made()).toEqual([]);
}

describe("interrupted runs under the real engine", () => {
  it("Ctrl-C during a fleet's create: the CLI lets the steps in flight end and says the update was canceled; the next up completes", async () => {
    const org = await organization("org_sigint");
    const stack = await org.stack("examples/tournament", "sigint", { "tournament.yaml": tournament(12) });
    const run = await stack.run(["up", "--yes"], {
      onSpawn: (cli) => void until(() => journalEntries(stack.project.dir).length > 0).then(() => cli.kill("SIGINT")),
    });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/\^C received; cancelling/);
    expect(run.stdout).toMatch(/update canceled/);
    await org.expectEachServerOnce(stack);
    await recover(stack);
    expect(await org.made()).toHaveLength(12);
    await org.expectEachServerOnce(stack);
    await destroyAll(org, stack);
  });

  it("the CLI killed outright during a fleet's create (its plugins too): after `pulumi cancel`, up adopts what was made", async () => {
    const org = await organization("org_sigkill");
    const stack = await org.stack("examples/tournament", "sigkill", { "tournament.yaml": tournament(12) });
    const run = await stack.run(["up", "--yes"], {
      onSpawn: () => void until(() => journalEntries(stack.project.dir).length > 0).then(() => stack.project.killAll("SIGKILL")),
    });
    expect(run.signal).toBe("SIGKILL");
    stack.project.repairFileBackend();
    const pending = (await stack.state()).deployment.pending_operations ?? [];
    expect(pending.map((p) => p.type)).toContain("creating");
    await recover(stack);
    expect(await org.made()).toHaveLength(12);
    await org.expectEachServerOnce(stack);
    // The engine keeps its record of the interrupted creates until a refresh clears it.
    await stack.ok(["refresh", "--yes", "--clear-pending-creates"]);
    expect((await stack.state()).deployment.pending_operations ?? []).toEqual([]);
    await org.expectEachServerOnce(stack);
    await destroyAll(org, stack);
  });

  it("the provider host killed during a create: the step fails, and the next up creates no second server", async () => {
    const org = await organization("org_host-killed");
    const stack = await org.stack("examples/quickstart", "host-killed");
    const run = await stack.run(["up", "--yes"], {
      onSpawn: () =>
        void until(() => journalEntries(stack.project.dir).length > 0).then(() => {
          for (const p of stack.project.processes()) if (p.command.includes("dynamic-provider")) process.kill(p.pid, "SIGKILL");
        }),
    });
    expect(run.code).not.toBe(0);
    await recover(stack);
    expect(await org.made()).toHaveLength(1);
    await org.expectEachServerOnce(stack);
    await destroyAll(org, stack);
  });

  /**
   * The CLI is stopped (SIGSTOP) once the provider is creating, so it can never take the answer
   * in; the provider answers (`settled` tells when, from the journal); then everything is killed.
   * Returns the servers made by then, which the engine never recorded.
   */
  async function killedBeforeCheckpoint(org: Org, stack: RealStack, settled: (entries: ReturnType<typeof journalEntries>) => boolean) {
    const run = await stack.run(["up", "--yes"], {
      onSpawn: (cli) =>
        void (async () => {
          await until(() => journalEntries(stack.project.dir).length > 0);
          cli.kill("SIGSTOP");
          await until(() => settled(journalEntries(stack.project.dir)));
          stack.project.killAll("SIGKILL");
        })(),
    });
    expect(run.signal).toBe("SIGKILL");
    stack.project.repairFileBackend();
    const made = (await org.made()).map((s) => s.id);
    expect(made.length).toBeGreaterThan(0);
    // The window was hit: servers the provider made and answered with, that the engine never recorded.
    expect(idsInState(await stack.state()).filter((id) => made.includes(id))).toEqual([]);
    return made;
  }

  /** The journal says the provider answered: an entry marked with its id, or (as before entries were kept) every entry gone. */
  function answeredOnce(): (entries: ReturnType<typeof journalEntries>) => boolean {
    let seen = false;
    return (entries) => {
      seen ||= entries.length > 0;
      return entries.some((e) => e.answeredId) || (seen && entries.length === 0);
    };
  }

  it("killed after the provider answered and before the checkpoint: the next up takes that server, and makes no second one", async () => {
    const org = await organization("org_window");
    const stack = await org.stack("examples/quickstart", "window");
    const made = await killedBeforeCheckpoint(org, stack, answeredOnce());
    await recover(stack);
    expect((await org.made()).map((s) => s.id)).toEqual(made);
    await org.expectEachServerOnce(stack);
    await destroyAll(org, stack);
  });

  it("a 40-server fleet killed after its creates answered and before the checkpoint: the next up ends with 40 servers, each once", async () => {
    const org = await organization("org_window-fleet");
    const stack = await org.stack("examples/tournament", "window-fleet", { "tournament.yaml": tournament(40) });
    let stable = 0;
    let last = "";
    const made = await killedBeforeCheckpoint(org, stack, (entries) => {
      // Every part the engine had started has answered for each of its servers, and no more come.
      const now = entries
        .map((e) => `${e.key}=${e.answeredId ?? ""}`)
        .sort()
        .join();
      stable = now === last && entries.every((e) => e.answeredId) ? stable + 1 : 0;
      last = now;
      return stable >= 60;
    });
    await recover(stack);
    const live = (await org.made()).map((s) => s.id);
    expect(live).toHaveLength(40);
    for (const id of made) expect(live).toContain(id);
    await org.expectEachServerOnce(stack);
    await destroyAll(org, stack);
  });
});
