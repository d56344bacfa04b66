/**
 * Fails at load, naming the Node.js this package needs, where undici 8 on Node.js 20 would throw
 * "Cannot read properties of undefined (reading 'bind')". The SDK's entry imports it first.
 */

/** The oldest Node.js this package runs on (undici 8 needs 22.19); `engines.node` in package.json says the same (tested). */
export const MINIMUM_NODE_VERSION = "22.19.0";

/** Is version `a` (major.minor.patch) older than `b`? */
function older(a: string, b: string): boolean {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
}

if (older(process.versions.node, MINIMUM_NODE_VERSION)) {
  const error = new Error(
    `pulumi-gameservers needs Node.js ${MINIMUM_NODE_VERSION} or newer; this is Node.js ${process.versions.node} (${process.execPath}).`,
  );
  error.name = "UnsupportedNodeVersionError";
  throw error;
}
