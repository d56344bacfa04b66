import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/provider-host.js";

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
    // Only this Node.js on PATH: no `pulumi` to be found, as on a machine that could not download it.
    const { code, stdout, stderr } = await demo([], { PATH: path.dirname(process.execPath) });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(
      /^Pulumi CLI unavailable \(.*ENOENT.*\): running the same program through the offline runner instead \(no Pulumi state is written\)\.$/m,
    );
    expectOfflineRun(stdout, stderr);
  }, 60_000);
});
