import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
    // The default output, then how many tests ran on PostgreSQL (test/reporters/engines.ts).
    reporters: ["default", "./test/reporters/engines.ts"],
  },
});
