/**
 * ServerCommand and getLatestLog through the real `pulumi` CLI (fixtures/commands: a server, its
 * commands and trigger from stack config, an onDelete, the latest log as a stack output): what
 * each command sends, counted on the emulator's console route and read back from the server's log.
 */
import { describe, expect, it } from "vitest";
import { type ConsoleEvent, ConsoleServerDeletedError, NotFoundError } from "../../sdk/index.js";
import { type RealStack, useRealEngine } from "./helpers.js";

const real = useRealEngine();

/** The console API's command route, as the emulator counts it. */
const COMMAND = "POST /v1/hosting/game/console/:id/command";
const COMMANDS = ["changelevel de_inferno", "say match ready"];

/** The commands a log shows as run (`[hh:mm:ss] > command`), in order. */
function ran(log: string): string[] {
  return [...log.matchAll(/^\[[\d:]+\] > (.*)$/gm)].map((m) => m[1]!);
}

describe("ServerCommand and getLatestLog under the real engine", () => {
  let stack: RealStack;
  let serverId: string;

  it("pulumi preview sends no command", async () => {
    stack = await real.stack("test/real-engine/fixtures/commands", "dev");
    await stack.project.configAll("dev", {
      commands: JSON.stringify(COMMANDS),
      match: "m1",
      onDelete: JSON.stringify(["say server going away"]),
    });
    const preview = await stack.ok(["preview"]);
    expect(preview.stdout).toMatch(/\+\s+pulumi-nodejs:dynamic\/gameservers:ServerCommand\s+ready\s+create/);
    expect(await real.writes()).toBe(0);
  });

  it("pulumi up sends the commands once, in order, once the server runs", async () => {
    const up = await stack.up();
    expect(up.stdout).toMatch(/ServerCommand "ready": sent "changelevel \.\.\.", "say \.\.\." to srv_[\w-]+/);
    expect(await real.control.hits(COMMAND)).toBe(2);
    const outputs = await stack.outputs();
    serverId = outputs.serverId as string;
    expect((await real.live()).map((s) => [s.id, s.status])).toEqual([[serverId, "running"]]);
    expect(ran((await real.client.logs.latest(serverId)).content)).toEqual(COMMANDS);
    expect((outputs.sent as { command: string }[]).map((s) => s.command)).toEqual(COMMANDS);
  });

  it("getLatestLog reads the server's log back as a stack output, the commands' lines in it", async () => {
    const { log } = await stack.outputs();
    expect(log).toBe((await real.client.logs.latest(serverId)).content);
    expect(log).toMatch(/\] > say match ready\n.*\] Console: match ready\n/);
  });

  it("pulumi up of the unchanged program sends nothing", async () => {
    const writes = await real.writes();
    const up = await stack.up();
    expect(up.stdout).toMatch(/3 unchanged/);
    expect(await real.writes()).toBe(writes);
    expect(ran((await real.client.logs.latest(serverId)).content)).toEqual(COMMANDS);
  });

  it("a changed trigger sends the commands again, in place, to the same server", async () => {
    const before = (await stack.outputs()).sent as { sentAt: string }[];
    await stack.config("match", "m2");
    const up = await stack.up();
    expect(up.stdout).toMatch(/~\s+pulumi-nodejs:dynamic\/gameservers:ServerCommand\s+ready\s+updated.*\[diff: ~triggers\]/);
    expect(await real.control.hits(COMMAND)).toBe(4);
    expect(ran((await real.client.logs.latest(serverId)).content)).toEqual([...COMMANDS, ...COMMANDS]);
    const outputs = await stack.outputs();
    expect(outputs.serverId).toBe(serverId);
    const after = outputs.sent as { sentAt: string }[];
    expect(after.map((s, i) => Date.parse(s.sentAt) > Date.parse(before[i]!.sentAt))).toEqual([true, true]);
    // The log output is read again after the resend.
    expect(ran(outputs.log as string)).toEqual([...COMMANDS, ...COMMANDS]);
  });

  it("pulumi destroy sends onDelete while the server still runs, then deletes the server", async () => {
    // The server's live console, watched through the destroy: the log is not readable once the
    // server is deleted (the API answers 404), the stream shows the order.
    const stream = real.client.console.connect(serverId, { replay: false });
    await stream.ready;
    const events: ConsoleEvent[] = [];
    const watched = (async () => {
      for await (const event of stream) events.push(event);
    })();
    await stack.ok(["destroy", "--yes"]);
    await watched;
    // onDelete's command, then the live-match guard's `status` before the delete.
    expect(await real.control.hits(COMMAND)).toBe(6);
    const seen = events.flatMap((e) =>
      e.type === "output" ? [`output ${e.line.replace(/^\[[\d:]+\] /, "")}`] : e.type === "status" ? [`status ${e.status}`] : [],
    );
    // The status the socket announces when it authenticates; then onDelete ran; then the guard
    // asked for the players (none); then the delete.
    expect(seen.slice(0, 4)).toEqual([
      "status running",
      "output > say server going away",
      "output Console: server going away",
      "output > status",
    ]);
    expect(seen.find((line) => /players\s*:/.test(line))).toMatch(/players\s*: 0 humans/);
    expect(seen.at(-1)).toBe("status stopped");
    const closed = events.at(-1);
    expect(closed?.type === "closed" && closed.error).toBeInstanceOf(ConsoleServerDeletedError);
    expect(await real.live()).toEqual([]);
    await expect(real.client.logs.latest(serverId)).rejects.toBeInstanceOf(NotFoundError);
    expect((await stack.state()).deployment.resources ?? []).toEqual([]);
  });
});
