/**
 * The docs hold together: every relative link of the repository's markdown names a file of the
 * repository (and, with an anchor, a heading of that file), every path it names in code exists,
 * and the README links every page of docs/, so that no page is out of reach from the front door;
 * CONTRIBUTING.md's layout lists the repository's folders as they are.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { anchors, codeBlocks, links, section } from "./markdown.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

const PAGES = readdirSync(path.join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `docs/${f}`);

/** The README, the contributors' guide, the docs, the emulator's README (shipped) and the examples' READMEs. */
const MARKDOWN = [
  "README.md",
  "CONTRIBUTING.md",
  ...PAGES,
  "sdk/emulator/README.md",
  ...readdirSync(path.join(ROOT, "examples"))
    .map((e) => `examples/${e}/README.md`)
    .filter((f) => existsSync(path.join(ROOT, f))),
];

const isAbsolute = (link: string) => /^[a-z][a-z0-9+.-]*:/i.test(link);

describe("the docs' links", () => {
  it("reads the pages there are", () => {
    expect(PAGES).toEqual(expect.arrayContaining(["docs/README.md", "docs/first-deployment.md", "docs/api.md"]));
    expect(MARKDOWN).toEqual(expect.arrayContaining(["examples/quickstart/README.md", "examples/tournament/README.md"]));
  });

  it.each(MARKDOWN)("%s: every relative link names a file of the repository (and a heading of it)", async (doc) => {
    const relative = links(await readFile(path.join(ROOT, doc), "utf8")).filter((l) => !isAbsolute(l));
    for (const link of relative) {
      const [file = "", anchor] = link.split("#");
      const target = file ? path.join(ROOT, path.dirname(doc), file) : path.join(ROOT, doc);
      expect(existsSync(target), `${doc}: ${link}`).toBe(true);
      if (anchor) expect(anchors(await readFile(target, "utf8")), `${doc}: ${link}`).toContain(anchor);
    }
  });

  it("README.md links every page of docs/, and CONTRIBUTING.md", async () => {
    const linked = links(await readFile(path.join(ROOT, "README.md"), "utf8"))
      .filter((l) => !isAbsolute(l))
      .map((l) => path.posix.normalize(l.split("#")[0]!));
    expect(linked).toEqual(expect.arrayContaining([...PAGES, "CONTRIBUTING.md"]));
  });

  it.each(MARKDOWN)("%s: every file or folder of the repository it names in code exists", async (doc) => {
    // `test/cli.test.ts`, `scripts/pulumi/cli.ts`, `test/real-engine/`: a file (with an extension)
    // or a folder (with a slash), from the repository's root or from the doc's own folder.
    const named = (await readFile(path.join(ROOT, doc), "utf8")).matchAll(
      /`((?:test|provider|sdk|scripts|examples|bench|docs|\.github)\/[\w./-]*(?:\.\w+|\/))`/g,
    );
    for (const [, file] of named) {
      const found = [ROOT, path.join(ROOT, path.dirname(doc))].some((dir) => existsSync(path.join(dir, file!)));
      expect(found, `${doc}: ${file}`).toBe(true);
    }
  });
});

describe("CONTRIBUTING.md's repository layout", () => {
  it("names every folder of the repository's files, one line each, and no folder that is gone", async () => {
    const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
    const folders = [...new Set(files.filter((f) => f.includes("/") && existsSync(path.join(ROOT, f))).map((f) => path.posix.dirname(f)))];
    const layout = section(await readFile(path.join(ROOT, "CONTRIBUTING.md"), "utf8"), "## Repository layout");
    const lines = codeBlocks(layout)[0]!.code.split("\n").filter(Boolean);
    const listed = lines.map((line) => line.split(/\s/)[0]!.replace(/\/$/, ""));
    expect(listed.toSorted()).toEqual(folders.toSorted());
  });
});
