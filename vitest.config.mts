import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // Most files wait on processes (the provider host, the Pulumi CLI, the emulator's boot
    // delays) more than they compute: three at once on 2 cores.
    maxWorkers: 3,
    hookTimeout: 60_000,
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
    setupFiles: ["./test/helpers/journal-per-file.ts"],
    server: {
      deps: {
        // The built package (reached through its self-link) is loaded by node itself, as users
        // load it: one @pulumi/pulumi instance shared with the programs the tests run.
        external: [/\/dist\//],
      },
    },
  },
});
