/**
 * Two stacks of one project in one directory (a rehearsal and the event), same resource names,
 * one organization: the provider hosts share the project's create journal, and each stack keeps
 * to its own servers under the real engine, overlapping, interrupted, and torn down.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { GameServer } from "../../sdk/index.js";
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

const real = useRealEngine({ bootDelayMs: 1500 });

describe("two stacks of one project in one directory under the real engine", () => {
  let dev: RealStack;
  let prod: RealStack;
  let bystander: GameServer;

  const ids = async (stack: RealStack) => idsInState(await stack.state());

  it("prod's up while dev's servers boot: each stack holds its own six", async () => {
    bystander = await bystanderIn(real.client);
    dev = await real.stack("examples/tournament", "dev", { files: { "tournament.yaml": tournament(6) } });
    prod = await real.stack("examples/tournament", "prod", { beside: dev });
    // Dev's creates are under way (their journal entries written) when prod's run starts.
    const devUp = dev.up();
    await until(() => journalEntries(dev.project.dir).length > 0);
    await prod.up();
    await devUp;
    const [devIds, prodIds] = [await ids(dev), await ids(prod)];
    expect(devIds).toHaveLength(6);
    expect(prodIds).toHaveLength(6);
    expect(devIds.filter((id) => prodIds.includes(id))).toEqual([]);
    await expectEachServerOnce(real, [dev, prod], [bystander]);
  });

  it("dev's run killed after its creates, then prod's up, then dev's: nothing adopted across, nothing orphaned", async () => {
    const prodBefore = await ids(prod);
    // Dev rehearses three more matches (its own definition file).
    const devFile = path.join(dev.project.dir, "tournament-dev.yaml");
    writeFileSync(devFile, tournament(9));
    await dev.config("tournament:file", devFile);
    const run = await dev.run(["up", "--yes"], {
      onSpawn: () =>
        void until(() => journalEntries(dev.project.dir).some((e) => e.stack.endsWith("/dev") && !e.answeredId)).then(() =>
          dev.project.killAll("SIGKILL"),
        ),
    });
    expect(run.signal).toBe("SIGKILL");
    dev.project.repairFileBackend();
    // Prod's run reads the same journal folder: it must neither take nor drop dev's entries.
    const prodUp = await prod.up();
    expect(prodUp.stdout).not.toMatch(/adopting|interrupted/);
    expect(await ids(prod)).toEqual(prodBefore);
    await dev.ok(["cancel", "--yes"]);
    await dev.up();
    expect(await ids(dev)).toHaveLength(9);
    expect(await ids(prod)).toEqual(prodBefore);
    await expectEachServerOnce(real, [dev, prod], [bystander]);
  });

  it("destroying dev never touches prod's servers", async () => {
    const prodIds = await ids(prod);
    await dev.ok(["destroy", "--yes"]);
    const live = (await real.live()).map((s) => s.id).sort();
    expect(live).toEqual([...prodIds, bystander.id].sort());
    await expectEachServerOnce(real, [dev, prod], [bystander]);
    await prod.ok(["destroy", "--yes"]);
    expect((await real.live()).map((s) => s.id)).toEqual([bystander.id]);
  });
});
