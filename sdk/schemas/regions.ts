import { closest } from "../internal/suggest.js";

/** AWS commercial regions the API (and the emulator) accepts (an unknown one is INVALID_PARAMS). */
export const AWS_COMMERCIAL_REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-south-1",
  "ap-south-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-south-1",
  "eu-south-2",
  "eu-north-1",
  "il-central-1",
  "me-south-1",
  "me-central-1",
  "mx-central-1",
  "sa-east-1",
] as const satisfies readonly string[];

/** A region code the emulator (and this release) knows. */
export type KnownRegion = (typeof AWS_COMMERCIAL_REGIONS)[number];

const REGION_SET = new Set<string>(AWS_COMMERCIAL_REGIONS);

export function isKnownRegion(region: string): boolean {
  return REGION_SET.has(region);
}

/** `eu-west` of `eu-west-1`: a region's name without its number. */
function regionFamily(region: string): string {
  return region.replace(/-\d+$/, "");
}

const FAMILIES = new Set(AWS_COMMERCIAL_REGIONS.map(regionFamily));

/**
 * The known regions a region code is probably a typo of, or none. A code this release does not
 * know is a typo when its name is one edit off a known region's name (`eu-wset-1`, `eu-centrl-1`,
 * `ue-west-1`; an edit is a letter added, dropped, changed or two swapped); a new number of a known name (`eu-west-4`), or a name unlike any
 * known (a region newer than this release), is not: the API decides on those.
 */
export function regionTypo(region: string): string[] {
  if (REGION_SET.has(region)) return [];
  const family = regionFamily(region);
  if (FAMILIES.has(family)) return [];
  const number = region.slice(family.length);
  return closest(family, FAMILIES, 1).map((f) => (REGION_SET.has(`${f}${number}`) ? `${f}${number}` : `${f}-1`));
}
