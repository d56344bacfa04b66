// Run by .github/workflows/publish.yml before `npm publish`, in GitHub Actions:
// - package.json gets `repository` (provenance requires it to name the repository that builds the
//   package), `homepage` and `bugs`, from GITHUB_SERVER_URL and GITHUB_REPOSITORY, unless set;
// - every relative link of the markdown the registry shows or ships (README.md and the .md files
//   of `files`) becomes an absolute link to that file in the repository at the tag being
//   published (GITHUB_REF_NAME): the registry page has no repository around it to resolve them.
// Usage: node .github/scripts/registry-page.mjs [package directory, default: the current one]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? ".");
const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_REF_NAME: ref } = process.env;
if (!server || !repository || !ref) {
  console.error("registry-page: needs GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_REF_NAME (GitHub Actions sets them)");
  process.exit(2);
}
const home = `${server}/${repository}`;

const pkgFile = path.join(root, "package.json");
const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
const url = `git+${home}.git`;
const given = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
if (given !== undefined && given.replace(/^git\+|\.git$/g, "") !== home) {
  console.error(`registry-page: package.json repository ${given} is not ${home}, where this is built: provenance would be refused`);
  process.exit(1);
}
pkg.repository ??= { type: "git", url };
pkg.homepage ??= `${home}#readme`;
pkg.bugs ??= { url: `${home}/issues` };
writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);

/** Inline links `](target)` and reference definitions `[x]: target`, outside code. */
const LINK = /(\]\(|^\[[^\]]+\]:\s*)([^)\s]+)/gm;
const docs = ["README.md", ...(pkg.files ?? []).filter((f) => f.endsWith(".md"))];
let rewritten = 0;
for (const doc of docs) {
  const file = path.join(root, doc);
  const dir = path.posix.dirname(doc);
  const parts = readFileSync(file, "utf8").split(/(^```[\s\S]*?^```)/m);
  const text = parts
    .map((part, i) =>
      i % 2 === 1
        ? part // a fenced code block: left as written
        : part.replace(LINK, (match, lead, target) => {
            if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) return match;
            rewritten++;
            return `${lead}${home}/blob/${ref}/${path.posix.normalize(path.posix.join(dir, target))}`;
          }),
    )
    .join("");
  writeFileSync(file, text);
}
console.log(`registry-page: repository ${home}; ${rewritten} relative links made absolute at ${ref} in ${docs.join(", ")}`);
