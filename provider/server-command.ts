import * as pulumi from "@pulumi/pulumi";
import { GameServersClient, type LatestLog } from "../sdk/index.js";
import type { SentCommand } from "./server-command-handlers.js";

import provider = require("./server-command-provider.js");

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

/**
 * Console commands as code (`pulumi-nodejs:dynamic/gameservers:ServerCommand`): sent over the
 * console API's command endpoint once the server runs, again when `commands` or `triggers`
 * change, `onDelete` when the resource is removed. Nothing is sent in preview or on an
 * unchanged `pulumi up`. A server that does not run or refuses a command fails the deployment
 * with the API's reason. The key needs the `game-console:read_write` scope.
 */
export class ServerCommand extends pulumi.dynamic.Resource {
  declare readonly serverId: pulumi.Output<string>;
  declare readonly commands: pulumi.Output<string[]>;
  /** What was sent, in order, each with when the API accepted it. */
  declare readonly sent: pulumi.Output<SentCommand[]>;
  /** When the last command was sent (ISO 8601). */
  declare readonly sentAt: pulumi.Output<string | null>;

  constructor(name: string, args: ServerCommandArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, sent: undefined, sentAt: undefined }, opts, "gameservers", "ServerCommand");
  }
}

/** Arguments of {@link getLatestLog}. */
export interface GetLatestLogArgs {
  serverId: pulumi.Input<string>;
}

/**
 * The server's latest log (`{ serverId, empty, content }`), read with the same stack config
 * as the provider (`gameservers:apiKey`, `gameservers:apiUrl`, `gameservers:consoleApiUrl`,
 * else the SDK's environment variables), for post-deploy checks. Read when the server's id is
 * known: not in a preview of a server yet to be created. The key needs `game-logs:read`.
 */
export function getLatestLog(args: GetLatestLogArgs): pulumi.Output<LatestLog> {
  const config = new pulumi.Config("gameservers");
  const read = pulumi.all([args.serverId, config.getSecret("apiKey")]).apply(async ([serverId, apiKey]) => {
    const client = new GameServersClient({
      apiKey: apiKey ?? process.env.GAMESERVERS_API_KEY,
      baseUrl: config.get("apiUrl") ?? process.env.GAMESERVERS_API_URL,
      consoleBaseUrl: config.get("consoleApiUrl") ?? process.env.GAMESERVERS_CONSOLE_API_URL,
    });
    try {
      return await client.logs.latest(serverId);
    } finally {
      await client.close();
    }
  });
  // The key made it secret; the log itself is not.
  return pulumi.unsecret(read);
}
