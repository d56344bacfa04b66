import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MINIMUM_NODE_VERSION } from "../../../sdk/internal/node-version.js";
import { ROOT } from "../../helpers/provider-host.js";

const MESSAGE = /^\w*Error.*: pulumi-gameservers needs Node\.js 22\.19\.0 or newer; this is Node\.js 20\.\d+\.\d+ /m;

/** A system `node` older than ours on PATH (outside node_modules/.bin), as a fresh machine's may be. */
function systemNode(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir || dir.includes("node_modules")) continue;
    const candidate = path.join(dir, process.platform === "win32" ? "node.exe" : "node");
    const result = spawnSync(candidate, ["-p", "process.versions.node"], { encoding: "utf8" });
    if (result.status === 0) return Number(result.stdout.split(".")[0]) < 22 ? candidate : undefined;
  }
  return undefined;
}

describe("the Node.js version the package needs", () => {
  it("is the one engines.node declares", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE_VERSION}`);
  });

  it.each([
    ["require", ["-e", 'require("pulumi-gameservers/sdk")']],
    ["import", ["--input-type=module", "-e", 'import "pulumi-gameservers"']],
  ])("is named when the package is loaded (%s) by an older Node.js, instead of undici's TypeError", (_, args) => {
    // This Node.js, told it is 20: the check runs before undici loads, so undici never gets to fail.
    const pretend = 'Object.defineProperty(process, "versions", { value: { ...process.versions, node: "20.20.2" } })';
    const result = spawnSync(process.execPath, ["--no-warnings", `--import=data:text/javascript,${encodeURIComponent(pretend)}`, ...args], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(MESSAGE);
  });

  const oldNode = systemNode();
  it.skipIf(!oldNode)("is named when a real older Node.js loads the SDK", () => {
    const run = () => execFileSync(oldNode!, ["-e", 'require("pulumi-gameservers/sdk")'], { cwd: ROOT, stdio: "pipe", encoding: "utf8" });
    expect(run).toThrow(MESSAGE);
    const stderr = spawnSync(oldNode!, ["-e", 'require("pulumi-gameservers/sdk")'], { cwd: ROOT, encoding: "utf8" }).stderr;
    expect(stderr).toMatch(MESSAGE);
    expect(stderr).not.toContain("reading 'bind'");
  });
});
