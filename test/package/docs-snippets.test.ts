/**
 * What the docs show is what is run: the README's first deployment is the docs page's, whose files
 * are examples/quickstart's (test/package/tarball.test.ts installs and runs that page); a snippet
 * quoted from an example is that example's code; the set-up commands name scripts that exist.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { codeBlocks, namedFiles, section } from "./markdown.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFile(path.join(ROOT, file), "utf8");

describe("the docs' snippets", () => {
  it("README, A first deployment: the quickstart's three files, and the commands of docs/first-deployment.md", async () => {
    const readme = section(await read("README.md"), "## A first deployment");
    const files = namedFiles(readme);
    expect([...files.keys()]).toEqual(["Pulumi.yaml", "package.json", "index.ts"]);
    for (const [name, text] of files) expect(text, name).toBe(await read(`examples/quickstart/${name}`));
    const page = await read("docs/first-deployment.md");
    const commands = codeBlocks(readme).filter((b) => b.lang === "sh");
    expect(commands.length).toBe(2);
    for (const { code } of commands) expect(page).toContain(`\`\`\`sh\n${code}\`\`\``);
  });

  it("fleets: the console command on every server is examples/tournament's own code", async () => {
    const quoted = codeBlocks(section(await read("docs/fleets.md"), "## A console command on every server"));
    expect(quoted.map((b) => b.lang)).toEqual(["ts"]);
    expect(await read("examples/tournament/index.ts")).toContain(quoted[0]!.code);
  });

  it("the two set-up commands, in README.md and CONTRIBUTING.md alike, run scripts package.json has", async () => {
    const setUp = (markdown: string) => codeBlocks(markdown).find((b) => b.lang === "sh")!.code;
    const readme = setUp(await read("README.md"));
    expect(setUp(await read("CONTRIBUTING.md"))).toBe(readme);
    const lines = readme
      .split("\n")
      .filter(Boolean)
      .map((l) => l.replace(/\s+#.*$/, ""));
    expect(lines).toEqual(["npm ci && npm run demo", "npm ci && npm test"]);
    const { scripts } = JSON.parse(await read("package.json")) as { scripts: Record<string, string> };
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["demo", "test"]));
  });
});
