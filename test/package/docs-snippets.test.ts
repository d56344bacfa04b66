/**
 * What the docs show is what is run: the README's first deployment is the docs page's, whose files
 * are examples/quickstart's (test/package/tarball.test.ts installs and runs that page); a snippet
 * quoted from an example is that example's code; the set-up commands name scripts that exist;
 * what the docs import from the package, and the error classes they name, are its exports.
 */
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { codeBlocks, namedFiles, section } from "./markdown.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFile(path.join(ROOT, file), "utf8");

describe("the docs' snippets", () => {
  it("README, A first deployment: the quickstart's four files, and the commands of docs/first-deployment.md", async () => {
    const readme = section(await read("README.md"), "## A first deployment");
    const files = namedFiles(readme);
    expect([...files.keys()]).toEqual(["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"]);
    for (const [name, text] of files) expect(text, name).toBe(await read(`examples/quickstart/${name}`));
    const page = await read("docs/first-deployment.md");
    const commands = codeBlocks(readme).filter((b) => b.lang === "sh");
    expect(commands.length).toBe(2);
    for (const { code } of commands) expect(page).toContain(`\`\`\`sh\n${code}\`\`\``);
  });

  it("fleets: the announcement and the console command on every server are examples/tournament's own code", async () => {
    // That program is type-checked (examples/tsconfig.json) and run with the announcement (test/package/examples.test.ts).
    const quoted = codeBlocks(section(await read("docs/fleets.md"), "## A console command on every server"));
    expect(quoted.map((b) => b.lang)).toEqual(["ts", "ts"]);
    expect(quoted[0]!.code).toMatch(/commands: \[`say \$\{announcement\}`\]/);
    const program = await read("examples/tournament/index.ts");
    for (const { code } of quoted) expect(program).toContain(code);
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

  it("every name the docs import from the package, and every error class they name, is exported by an entry point", async () => {
    const pages = ["README.md", ...readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) => f.endsWith(".md"));
    // The built package, reached through its self-link as users reach it (npm test builds first).
    const require = createRequire(path.join(ROOT, "package.json"));
    const exported = (entry: string) => Object.keys(require(entry) as object);
    const everything = ["", "/sdk", "/emulator", "/testing"].flatMap((sub) => exported(`pulumi-gameservers${sub}`));
    let imports = 0;
    for (const page of pages) {
      const markdown = await read(page);
      for (const { code } of codeBlocks(markdown)) {
        for (const [, names, entry] of code.matchAll(/^import \{([^}]+)\} from "(pulumi-gameservers(?:\/[\w-]+)?)";$/gm)) {
          const values = names!
            .split(",")
            .map((n) => n.trim())
            .filter((n) => n && !n.startsWith("type "));
          expect(exported(entry!), `${page}: ${entry}`).toEqual(expect.arrayContaining(values));
          imports++;
        }
      }
      const errors = [...markdown.matchAll(/`([A-Z]\w+Error)`/g)].map((m) => m[1]!);
      expect(everything, page).toEqual(expect.arrayContaining(errors));
    }
    expect(imports).toBeGreaterThan(5);
  });
});
