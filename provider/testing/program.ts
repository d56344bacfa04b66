/** Finding and loading the program a run deploys. */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { OfflineOptions } from "./options.js";

/** Each run imports the program afresh (ES modules are cached by URL). */
let runs = 0;

/** The directory holding the program's Pulumi.yaml, or the program's own directory. */
export function projectDirOf(programPath: string): string {
  const dir = existsSync(programPath) && statSync(programPath).isDirectory() ? programPath : path.dirname(programPath);
  for (let d = dir; path.dirname(d) !== d; d = path.dirname(d)) {
    if (existsSync(path.join(d, "Pulumi.yaml"))) return d;
  }
  return dir;
}

/** The file to import for a program given as a path; throws, naming the path, when there is none. */
export function entryOf(given: string, programPath: string): string {
  if (!existsSync(programPath)) {
    throw new Error(`runOffline: the program ${JSON.stringify(given)} does not exist (resolved to ${programPath})`);
  }
  if (!statSync(programPath).isDirectory()) return programPath;
  const index = ["index.ts", "index.js", "index.mts", "index.mjs"].find((f) => existsSync(path.join(programPath, f)));
  if (!index) throw new Error(`runOffline: the program directory ${programPath} has no index.ts, index.js, index.mts or index.mjs`);
  return path.join(programPath, index);
}

export async function loadProgram(program: OfflineOptions["program"], programPath: string | undefined): Promise<unknown> {
  if (typeof program === "function") return program();
  const entry = entryOf(program, programPath!);
  // A real import() (module: nodenext keeps it in CommonJS output), so ESM programs load too.
  const mod = (await import(`${pathToFileURL(entry).href}?offline-run=${++runs}`)) as Record<string, unknown>;
  const exported = "default" in mod && Object.keys(mod).length === 1 ? mod.default : mod;
  return typeof exported === "function" ? await (exported as () => unknown)() : exported;
}
