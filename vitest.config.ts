import { defineConfig } from "vitest/config";
import SlowFirstSequencer from "./test/sequencer.ts";

/**
 * Test files run in parallel forks. Many of them mostly wait (subprocesses, PostgreSQL, Chromium, the
 * multi-process deployments' lease and poll intervals), so more forks than cores cut the wall time;
 * vitest's default (cores − 1) is a single fork on a 2-core CI machine. SKYTOM_TEST_WORKERS overrides.
 */
const workers = Number(process.env.SKYTOM_TEST_WORKERS) || 3;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Generous: the suite runs on 2 shared cores; a slow machine must not fail a test that is only slow.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Browser tests poll the page (expect.poll): as long as a Playwright action may wait (5 s,
    // test/helpers/browser.ts) rather than vitest's 1 s, which a busy machine running forks side by side
    // can miss. Only a slow pass waits longer; a wrong page still fails.
    expect: { poll: { timeout: 5000 } },
    pool: "forks",
    maxWorkers: workers,
    // The slowest files first (test/sequencer.ts), so that none starts last.
    sequence: { sequencer: SlowFirstSequencer },
    globalSetup: ["test/global-setup.ts"],
    // The default output, then how many tests ran on PostgreSQL (test/reporters/engines.ts).
    reporters: ["default", "./test/reporters/engines.ts"],
  },
});
