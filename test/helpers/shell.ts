/** npm and shell lines run as a user's shell runs them, for the tests that follow our docs and workflows. */
import { spawn } from "node:child_process";
import path from "node:path";

/**
 * npm and node as a user's shell runs them: this Node.js first on PATH (the one the project pins),
 * none of the npm_* variables of the `npm test` that runs us, and a warm cache used first.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  env.PATH = [path.dirname(process.execPath), process.env.PATH].join(path.delimiter);
  env.npm_config_prefer_offline = "true";
  env.npm_config_audit = "false";
  env.npm_config_fund = "false";
  env.npm_config_update_notifier = "false";
  return env;
}

/** Runs a command line as `sh -c` would (docs and workflows hold shell lines); rejects with its output on failure. */
export function sh(line: string, cwd: string, env: NodeJS.ProcessEnv = userEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(line, { cwd, env, shell: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`\`${line}\` in ${cwd} exited ${code}:\n${out}`))));
  });
}
