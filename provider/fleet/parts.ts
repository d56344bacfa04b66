/** Which of a fleet's parts (FleetServers resources) holds a server. Constants and a pure function only. */

/**
 * How many parts (FleetServers resources) a fleet's servers are spread over, at most: a fleet
 * registers only the parts that hold a server. @default 16
 */
export const FLEET_PARTS = 16;

/**
 * The part (0 to {@link FLEET_PARTS} - 1) that holds a server, for good: every server with a
 * fixed `name` is in part 0, so a name moved from one key to another is freed (the old server
 * deleted) before it is taken, within one operation; an auto-named server is in the part its key
 * hashes to (FNV-1a), so it never moves when others are added or removed. Giving a server a fixed
 * name, or taking it away, moves it to another part: it is replaced.
 */
export function partOf(key: string, fixedName: boolean): number {
  if (fixedName) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return 1 + (hash % (FLEET_PARTS - 1));
}
