/**
 * A vitest reporter that says, at the end of a run, how many tests ran on each engine: the PostgreSQL
 * copies of the engine tests (`describe.each(ENGINES)("… on %s")`, names ending "on postgresql") and the
 * multi-process PostgreSQL suites, next to everything else — so a run where PostgreSQL was silently left
 * out shows it. With SKYTOM_REQUIRE_PG=1 a run that ran engine tests on PGlite but passed none on
 * PostgreSQL fails.
 */
import type { Reporter, TestModule } from "vitest/node";

type Counts = Record<"passed" | "failed" | "skipped", number>;

export default class EngineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const pg: Counts = { passed: 0, failed: 0, skipped: 0 };
    let pgliteCopies = 0;
    const other: Counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "pending") continue;
        if (/ on pglite\b/.test(test.fullName)) pgliteCopies++;
        const counts = /\bpostgres(ql)?\b/i.test(test.fullName) ? pg : other;
        counts[state]++;
      }
    }
    const line = (c: Counts) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
    console.log(`\n PostgreSQL tests: ${line(pg)}\n other tests:      ${line(other)}\n`);
    if (process.env.SKYTOM_REQUIRE_PG === "1" && pgliteCopies > 0 && pg.passed === 0) {
      console.error(" SKYTOM_REQUIRE_PG=1 but the engine tests passed on PGlite only");
      process.exitCode = 1;
    }
  }
}
