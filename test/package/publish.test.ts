import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/provider-host.js";
import { links } from "./markdown.js";

describe("publishing (.github/workflows/publish.yml)", () => {
  it("runs on v* tags with an OIDC token, and publishes with provenance only after npm ci and npm test", async () => {
    const workflow = yaml.load(await readFile(path.join(ROOT, ".github/workflows/publish.yml"), "utf8")) as {
      on: { push: { tags: string[] } };
      permissions: Record<string, string>;
      jobs: { publish: { steps: { run?: string }[] } };
    };
    expect(workflow.on.push.tags).toEqual(["v*"]);
    expect(workflow.permissions["id-token"]).toBe("write");
    const runs = workflow.jobs.publish.steps.flatMap((s) => (s.run ? [s.run] : []));
    const at = (command: string) => runs.indexOf(command);
    expect(at("npm ci")).toBeGreaterThanOrEqual(0);
    expect(at("npm ci")).toBeLessThan(at("npm test"));
    expect(at("npm test")).toBeLessThan(at("node .github/scripts/registry-page.mjs"));
    expect(at("node .github/scripts/registry-page.mjs")).toBeLessThan(at("npm publish --provenance --access public"));
  });

  it("makes the registry page's links absolute at the tag, and fills in the repository provenance checks", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "gs-publish-"));
    try {
      await mkdir(path.join(dir, "sdk/emulator"), { recursive: true });
      for (const file of ["package.json", "README.md", "sdk/emulator/README.md"]) await cp(path.join(ROOT, file), path.join(dir, file));
      const env = {
        ...process.env,
        GITHUB_SERVER_URL: "https://github.com",
        GITHUB_REPOSITORY: "acme/pulumi-gameservers",
        GITHUB_REF_NAME: "v0.1.0",
      };
      const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, ".github/scripts/registry-page.mjs"), dir], { env });
      expect(stdout).toMatch(/relative links made absolute at v0\.1\.0/);
      const pkg = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { repository: { url: string } };
      expect(pkg.repository.url).toBe("git+https://github.com/acme/pulumi-gameservers.git");
      const base = "https://github.com/acme/pulumi-gameservers/blob/v0.1.0/";
      let absolute = 0;
      for (const doc of ["README.md", "sdk/emulator/README.md"]) {
        for (const link of links(await readFile(path.join(dir, doc), "utf8"))) {
          if (link.startsWith("#")) continue; // same-page anchors work on the registry page
          expect(link, doc).toMatch(/^[a-z][a-z0-9+.-]*:/i);
          if (!link.startsWith(base)) continue;
          absolute++;
          expect(existsSync(path.join(ROOT, link.slice(base.length).split("#")[0]!)), link).toBe(true);
        }
      }
      expect(absolute).toBeGreaterThan(0);
      // The README is the front door: its links to the docs/ pages point at them in the repository.
      const readme = links(await readFile(path.join(dir, "README.md"), "utf8"));
      expect(readme).toContain(`${base}docs/first-deployment.md`);
      expect(readme).toContain(`${base}CONTRIBUTING.md`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
