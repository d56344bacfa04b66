import { readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { load } from "js-yaml";
import { type FleetServer, GameServerFleet, ServerCommand } from "pulumi-gameservers";
import { z } from "zod";

/** tournament.yaml: stages with a number of matches, a map pool, per-stage overrides. */
const Tournament = z.strictObject({
  event: z.string().regex(/^[a-z0-9-]{1,24}$/, "must be a short lowercase slug such as winter-cup"),
  regions: z.array(z.string()).min(1),
  defaults: z.record(z.string(), z.unknown()),
  stages: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9-]{1,20}$/, "must be a lowercase slug such as groups"),
        matches: z.int().min(1).max(64),
        region: z.string().optional(),
        overrides: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .min(1)
    // Servers are keyed <stage>-<n>: two stages of one name would silently share servers.
    .superRefine((stages, ctx) => {
      const seen = new Set<string>();
      stages.forEach((stage, i) => {
        if (seen.has(stage.name))
          ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${stage.name}" names two stages: give each its own` });
        seen.add(stage.name);
      });
    }),
});

const config = new pulumi.Config("tournament");
const file = config.get("file") ?? path.join(import.meta.dirname, "tournament.yaml");
const parsed = Tournament.safeParse(load(readFileSync(file, "utf8")));
if (!parsed.success) {
  throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
}
const event = parsed.data;

// One server per match: groups-1 ... groups-4, playoffs-1, playoffs-2, final-1.
const servers: Record<string, FleetServer> = {};
for (const stage of event.stages) {
  for (let n = 1; n <= stage.matches; n++) {
    servers[`${stage.name}-${n}`] = { region: stage.region, configuration: stage.overrides };
  }
}

const fleet = new GameServerFleet(event.event, {
  defaults: {
    gameType: "cs2",
    configuration: event.defaults,
    // Players join with the event's password, kept secret in stack config.
    serverPassword: config.getSecret("serverPassword"),
  },
  regions: event.regions,
  servers,
});

// Each match server loads its stage's map and announces itself once the whole fleet runs (again
// whenever the map changes): console commands as code.
for (const [key, server] of Object.entries(fleet.servers)) {
  const map = (servers[key]?.configuration?.startingMap ?? event.defaults.startingMap) as string;
  new ServerCommand(
    `${key}-ready`,
    {
      serverId: server.serverId,
      commands: [`changelevel ${map}`, `say ${event.event} ${key}: server ready on ${map}`],
    },
    { parent: fleet, dependsOn: [fleet.ready] },
  );
}

// An announcement on every server, from stack config (`pulumi config set tournament:announcement
// "Matches start at 18:00"`, then `pulumi up`): one ServerCommand per server, sent once the whole
// fleet runs, and again whenever the text changes.
const announcement = config.get("announcement");
if (announcement) {
  for (const [key, server] of Object.entries(fleet.servers)) {
    new ServerCommand(
      `${key}-announcement`,
      { serverId: server.serverId, commands: [`say ${announcement}`] },
      { parent: fleet, dependsOn: [fleet.ready] },
    );
  }
}

export const eventName = event.event;
export const serverCount = Object.keys(fleet.servers).length;
export const roster = fleet.roster;
