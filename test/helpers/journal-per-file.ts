/**
 * Each test file gets a journal directory of its own. Test files run side by side, and two
 * files whose programs declare the same fleet ("cup") would otherwise share the project's
 * `.gameservers/journal`: a run one file aborted on purpose would leave entries another file's
 * create finds (and might adopt a server of). Programs and hosts read GAMESERVERS_JOURNAL_DIR.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const dir = mkdtempSync(path.join(tmpdir(), "gameservers-journal-"));
process.env.GAMESERVERS_JOURNAL_DIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
