import * as pulumi from "@pulumi/pulumi";
import { GameServersClient, type LatestLog } from "../../sdk/index.js";

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
    // No id: the server's resource failed (the offline runner gives a failed resource no
    // outputs). Under the engine its outputs never resolve, and neither does this read; the run
    // fails with the resource's own error.
    if (typeof serverId !== "string" || !serverId) return new Promise<never>(() => undefined);
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
