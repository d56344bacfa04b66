import { describe, expect, it } from "vitest";
import { REDACTED, redactServer, table, terminalSafe } from "../../../sdk/cli/format.js";
import { server } from "../../helpers/game-server.js";

describe("CLI output", () => {
  it("redacts both passwords, top level and in configuration, and keeps nulls", () => {
    const s = redactServer(server("srv_1", "a", { serverPassword: null, configuration: { rconPassword: "x", maxPlayers: 10 } }));
    expect([s.rconPassword, s.serverPassword, s.configuration]).toEqual([REDACTED, null, { rconPassword: REDACTED, maxPlayers: 10 }]);
  });

  it("aligns table columns and neutralises control characters", () => {
    expect(table(["ID", "NAME"], [["srv_1", "a\x1b[2Jb"]])).toEqual(["ID     NAME", "srv_1  a?[2Jb"]);
    expect(terminalSafe("tab\tok\r\n")).toBe("tab\tok??");
  });
});
