import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/provider-host.js";

/** Runs the demo as `npm run demo -- --offline` does after its build: plain node, warnings on. */
function demo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["examples/demo.ts", "--offline"], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("npm run demo", () => {
  it("deploys the tournament on the emulator, prints the roster and tears everything down (offline runner)", async () => {
    const { code, stdout: out, stderr } = await demo();
    expect(code, stderr).toBe(0);
    expect(out).toContain("--offline: running the program through the offline runner (no Pulumi CLI, no Pulumi state).");
    expect(out).not.toContain("Pulumi CLI unavailable");
    expect(out).toMatch(/starting -> running/);
    for (const key of ["groups-1", "groups-4", "playoffs-2", "final-1"])
      expect(out).toMatch(new RegExp(`^${key}\\s+eu-(central|west)-1\\s+\\S+:\\d+\\s+steam://connect/`, "m"));
    expect(out).toContain("7 servers on the emulator, 7 running");
    expect(out).toMatch(/servers left on the emulator: 0\n$/);
    expect(out).not.toContain("winter-cup-demo"); // the join password never printed
    // Nothing but the demo's own lines: no warning of Node.js (FFI, ...) or anything else.
    expect(stderr).toBe("");
    expect(existsSync(path.join(ROOT, ".pulumi-demo"))).toBe(false);
  }, 60_000);
});
