/**
 * A server-name glob as shells write them: `*` any run of characters (slashes included: names
 * are not paths), `?` one character, everything else literal. Case-sensitive, whole name.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += "[\\s\\S]*";
    else if (ch === "?") source += "[\\s\\S]";
    else source += ch.replace(/[\\^$.|+(){}[\]]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}

/** Does `name` match the glob `pattern`? */
export function matchesGlob(name: string, pattern: string): boolean {
  return globToRegExp(pattern).test(name);
}
