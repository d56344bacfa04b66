import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/provider-host.js";

/** Runs the demo as `npm run demo` does after its build: plain node, warnings on. */
function demo(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["examples/demo.ts", ...args], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** What the offline path prints and leaves, whichever way it was reached. */
function expectOfflineRun(out: string, stderr: string): void {
  expect(out).toMatch(/starting -> running/);
  for (const key of ["groups-1", "groups-4", "playoffs-2", "final-1"])
    expect(out).toMatch(new RegExp(`^${key}\\s+eu-(central|west)-1\\s+\\S+:\\d+\\s+steam://connect/`, "m"));
  expect(out).toContain("7 servers on the emulator, 7 running");
  expect(out).toMatch(/servers left on the emulator: 0\n$/);
  expect(out).not.toContain("winter-cup-demo"); // the join password never printed
  // Nothing but the demo's own lines: no warning of Node.js (FFI, ...) or anything else.
  expect(stderr).toBe("");
  expect(existsSync(path.join(ROOT, ".pulumi-demo"))).toBe(false);
}

describe("npm run demo", () => {
  it("--offline: deploys the tournament on the emulator, prints the roster and tears everything down", async () => {
    const { code, stdout, stderr } = await demo(["--offline"]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("--offline: running the program through the offline runner (no Pulumi CLI, no Pulumi state).");
    expect(stdout).not.toMatch(/Looking for the Pulumi CLI|Pulumi CLI unavailable/);
    expectOfflineRun(stdout, stderr);
  }, 60_000);

  it("without a Pulumi CLI: says so in one line, then runs the offline runner", async () => {
    // Only this Node.js on PATH and an empty cache: no `pulumi` to be found, as on a machine without Go or a CLI.
    const cache = mkdtempSync(path.join(tmpdir(), "gameservers-no-cli-"));
    try {
      const { code, stdout, stderr } = await demo([], { PATH: path.dirname(process.execPath), XDG_CACHE_HOME: cache, PULUMI_CLI: "" });
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(
        /^Pulumi CLI unavailable \(none found; `npm run setup:pulumi` builds one\): running the same program through the offline runner instead \(no Pulumi state is written\)\.$/m,
      );
      expectOfflineRun(stdout, stderr);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 60_000);

  it("with the Pulumi CLI: preview, up, the roster, an update that creates one server, destroy, nothing left", async () => {
    const { code, stdout, stderr } = await demo([]);
    expect(code, stderr).toBe(0);
    const section = (from: string, to: string) => stdout.slice(stdout.indexOf(from), stdout.indexOf(to));
    expect(section("=== pulumi preview", "=== pulumi up")).toMatch(/\+ 14 to create/);
    expect(section("=== pulumi up", "=== Update")).toMatch(/\+ 14 created/);
    for (const key of ["groups-1", "groups-4", "playoffs-2", "final-1"])
      expect(stdout).toMatch(new RegExp(`^${key}\\s+eu-(central|west)-1\\s+\\S+:\\d+\\s+steam://connect/`, "m"));
    const update = section("=== Update", "=== pulumi destroy");
    // One server of one new fleet part, its ServerCommand; the roster updated; nothing else.
    expect(update).toMatch(/1 server created \(groups-5\)/);
    expect(update).toMatch(/\+ 2 created\n\s+~ 1 updated\n\s+3 changes\. 13 unchanged/);
    expect(update).toMatch(/^groups-5\s+/m);
    expect(stdout).toContain("servers on the emulator: 8");
    expect(stdout).toMatch(/servers left on the emulator: 0\n$/);
    expect(stdout).not.toContain("winter-cup-demo"); // the join password never printed
    expect(stderr).toBe("");
    expect(existsSync(path.join(ROOT, ".pulumi-demo"))).toBe(false);
  }, 120_000);
});
