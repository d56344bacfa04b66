import { describe, expect, it } from "vitest";
import { ROOT, run } from "./helpers/provider-host.js";

describe("npm run demo", () => {
  it("deploys the tournament on the emulator, prints the roster and tears everything down (offline runner)", async () => {
    const out = await run(process.execPath, ["--no-warnings", "examples/demo.ts", "--offline"], ROOT);
    expect(out).toContain(
      "Pulumi CLI unavailable (--offline given): running the same program through the offline runner instead (no Pulumi state is written).",
    );
    expect(out).toMatch(/starting -> running/);
    for (const key of ["groups-1", "groups-4", "playoffs-2", "final-1"])
      expect(out).toMatch(new RegExp(`^${key}\\s+eu-(central|west)-1\\s+\\S+:\\d+\\s+steam://connect/`, "m"));
    expect(out).toContain("7 servers on the emulator, 7 running");
    expect(out).toMatch(/servers left on the emulator: 0\n$/);
    expect(out).not.toContain("winter-cup-demo"); // the join password never printed
  }, 60_000);
});
