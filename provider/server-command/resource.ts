import * as pulumi from "@pulumi/pulumi";

import provider = require("./shim.js");

import { type CommandLabel, fleetMemberOf, LABEL_INPUT } from "./targets.js";

/** Arguments of a {@link ServerCommand}. */
export interface ServerCommandArgs {
  /** The server whose console runs the commands (a `GameServer`'s `id`). Changing it sends them to the new one. */
  serverId: pulumi.Input<string>;
  /** Console commands, sent one at a time in order once the server runs (`say ...`, `changelevel de_mirage`). */
  commands: pulumi.Input<pulumi.Input<string>[]>;
  /** Any value: when it changes, the commands are sent again (say, a match id). */
  triggers?: pulumi.Input<unknown>;
  /** Commands sent when this resource is removed, while the server still runs. */
  onDelete?: pulumi.Input<pulumi.Input<string>[]>;
  /** How long to wait for the server to run before sending, in seconds. @default 600 */
  readyTimeoutSeconds?: pulumi.Input<number>;
}

/** One command as it was sent: the command and when the API accepted it (ISO 8601). */
export interface SentCommand {
  command: string;
  sentAt: string;
}

/**
 * Console commands as code (`pulumi-nodejs:dynamic/gameservers:ServerCommand`): sent over the
 * console API's command endpoint once the server runs, again when `commands` or `triggers`
 * change, `onDelete` when the resource is removed. Nothing is sent in preview or on an
 * unchanged `pulumi up`. A server that does not run or refuses a command fails the deployment
 * with the API's reason. The key needs the `game-console:read_write` scope. Its lines name it and
 * its server, by fleet and key too when `serverId` is a fleet's (`fleet.servers[key].serverId`):
 * `ServerCommand "announce-final-1": sent "say ..." to winter-cup/final-1 (srv_...)`.
 */
export class ServerCommand extends pulumi.dynamic.Resource {
  declare readonly serverId: pulumi.Output<string>;
  declare readonly commands: pulumi.Output<string[]>;
  /** What was sent, in order, each with when the API accepted it. */
  declare readonly sent: pulumi.Output<SentCommand[]>;
  /** When the last command was sent (ISO 8601). */
  declare readonly sentAt: pulumi.Output<string | null>;

  constructor(name: string, args: ServerCommandArgs, opts?: pulumi.CustomResourceOptions) {
    // Its lines name it, and the fleet server it is sent to when a fleet gave the id (see targets.ts).
    const label: CommandLabel = { name, ...fleetMemberOf(args.serverId) };
    super(provider, name, { ...args, [LABEL_INPUT]: label, sent: undefined, sentAt: undefined }, opts, "gameservers", "ServerCommand");
  }
}
