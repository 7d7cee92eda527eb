import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Generous: the suite runs on 2 shared cores; a slow machine must not fail a test that is only slow.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
    // The default output, then how many tests ran on PostgreSQL (test/reporters/engines.ts).
    reporters: ["default", "./test/reporters/engines.ts"],
  },
});
