/**
 * Runs a Pulumi program for the CLI's `--client` flag: serves Pulumi's own Node.js language
 * runtime (the Automation API's `LanguageServer`, which runs inline programs) for the program in
 * the working directory, and prints `127.0.0.1:<port>` once it listens.
 *
 * The CLI's usual language host, `pulumi-language-nodejs`, cannot be built here (see cli.ts):
 * this stands in for it. The program is loaded as `@pulumi/pulumi/cmd/run` loads an ES module
 * program: `main` of Pulumi.yaml, else `main` of package.json, else `index.ts`/`index.js`; a
 * default export is used instead of the named ones, and a function is called. Everything else
 * (the engine, the state, the dynamic-provider host) is the real CLI's.
 *
 * Usage: `node scripts/pulumi/program-host.ts` in the project directory; it exits when its
 * standard input closes.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const projectDir = process.cwd();
// The program's own @pulumi/pulumi: its runtime settings are module state the server must share.
const require = createRequire(path.join(projectDir, "Pulumi.yaml"));
const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const { LanguageServer } = require("@pulumi/pulumi/automation/server") as {
  LanguageServer: new (program: () => Promise<unknown>) => object;
};
const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb") as { LanguageRuntimeService: import("@grpc/grpc-js").ServiceDefinition };

/** The program's entry module, found as `pulumi-language-nodejs` and `cmd/run` find it. */
export function entryOf(dir: string): string {
  const project = readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
  const main = /^main:\s*["']?([^"'\n#]+?)["']?\s*(#.*)?$/m.exec(project)?.[1];
  let entry = path.resolve(dir, main ?? ".");
  if (!main) {
    const pkg = path.join(dir, "package.json");
    const pkgMain = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, "utf8")) as { main?: string }).main : undefined;
    if (pkgMain) entry = path.resolve(dir, pkgMain);
  }
  if (existsSync(entry) && !entry.match(/\.[cm]?[jt]s$/)) {
    const index = ["index.js", "index.mjs", "index.ts", "index.mts"].find((f) => existsSync(path.join(entry, f)));
    if (!index) throw new Error(`No entrypoint found in ${entry}`);
    entry = path.join(entry, index);
  }
  return entry;
}

let runs = 0;

async function program(): Promise<unknown> {
  // A module is evaluated once per process: a second run would register nothing (and an update
  // would then delete every resource). `pulumi up` and `destroy` run once with `--skip-preview`.
  if (++runs > 1) throw new Error("this program host serves one run: give `pulumi up`, `refresh` and `destroy` --skip-preview");
  let exported = (await import(pathToFileURL(entryOf(projectDir)).href)) as Record<string, unknown>;
  if (Object.getOwnPropertyDescriptor(exported, "default") !== undefined) {
    if (Object.keys(exported).length !== 1)
      throw new Error("expected entrypoint module to have either a default export or named exports but not both");
    exported = exported.default as Record<string, unknown>;
  }
  return typeof exported === "function" ? await (exported as () => unknown)() : exported;
}

const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(langrpc.LanguageRuntimeService, new LanguageServer(program) as import("@grpc/grpc-js").UntypedServiceImplementation);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(`program host: ${error.message}`);
    process.exit(1);
  }
  process.stdout.write(`127.0.0.1:${port}\n`);
});
// Ends with whoever started it (the stdin pipe closes when that process exits, however it exits).
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
