/**
 * Emulator scale figures: create a thousand servers in one instance, then time list
 * pages and status reads over real loopback HTTP. Prints figures; asserts nothing.
 *   npm run bench
 */
import { performance } from "node:perf_hooks";
import { SAMPLE_CS2_CONFIGURATION, startEmulator } from "../sdk/emulator/index.js";
import { GameServersClient } from "../sdk/index.js";

const SERVERS = Number(process.env.BENCH_SERVERS ?? 1000);
const SAMPLES = 200;

const CONFIG = { ...SAMPLE_CS2_CONFIGURATION, mapPool: ["de_dust2", "de_mirage", "de_inferno"] };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function time(label: string, samples: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 20; i++) await fn(i); // warm the connection pool and the JIT
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const fmt = (n: number) => n.toFixed(2).padStart(7);
  console.log(`${label.padEnd(44)} p50 ${fmt(percentile(ms, 50))} ms  p95 ${fmt(percentile(ms, 95))} ms  max ${fmt(ms.at(-1)!)} ms`);
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ capacity: { "us-east-1": SERVERS, "eu-west-1": SERVERS } });
  const client = new GameServersClient({ apiKey: emulator.apiKey, baseUrl: emulator.url });
  try {
    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < SERVERS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, SERVERS - i) }, (_, j) =>
          client.gameServers.create({
            name: `bench-${i + j}`,
            gameType: "cs2",
            region: (i + j) % 2 ? "us-east-1" : "eu-west-1",
            configuration: CONFIG,
          }),
        ),
      );
      ids.push(...batch.map((s) => s.id));
    }
    const createMs = performance.now() - t0;
    console.log(`created ${ids.length} servers in ${createMs.toFixed(0)} ms (${(createMs / ids.length).toFixed(2)} ms each, 50 in flight)`);
    const total = (await client.gameServers.list()).total;
    console.log(`list total = ${total}`);
    await time("list page 1 (pageSize 20)", SAMPLES, () => client.gameServers.list());
    await time("list page 10 (pageSize 100)", SAMPLES, () => client.gameServers.list({ page: 10, pageSize: 100 }));
    await time("list includeDeleted, pageSize 100", SAMPLES, () => client.gameServers.list({ pageSize: 100, includeDeleted: true }));
    await time("getStatus (random server)", SAMPLES, (i) => client.gameServers.getStatus(ids[(i * 7919) % ids.length]!));
    await time("get (random server)", SAMPLES, (i) => client.gameServers.get(ids[(i * 7919) % ids.length]!));
    const mem = process.memoryUsage();
    console.log(`process memory: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await client.close();
    await emulator.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
