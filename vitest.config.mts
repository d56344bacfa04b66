import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
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
