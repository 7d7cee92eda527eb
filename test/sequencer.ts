/**
 * Test file order for `npm test`: the files known to take longest start first, so that with several
 * forks (vitest.config.ts maxWorkers) a long file never starts last and keeps the run going alone at
 * the end. vitest orders by the durations it cached from an earlier run, but a clean clone (CI) has no
 * cache and falls back to file size, which says little about time (process starts, waits, plots).
 * The rest keep vitest's own order. The figures are seconds per file measured on a 2-core machine with
 * PostgreSQL (both engines); they only rank the files, so rough is fine — refresh them when a file
 * becomes slow (`npx vitest run --reporter=json --outputFile=…` gives per-file durations).
 */
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

export const SLOW_FILES: Record<string, number> = {
  "test/multiprocess.test.ts": 120,
  "test/worker-crash.test.ts": 90,
  "test/calibration-runs.test.ts": 90,
  "test/demo.test.ts": 60,
  "test/cli.test.ts": 50,
  "test/cli-remote.test.ts": 50,
  "test/fits-job.test.ts": 40,
  "test/refstars.test.ts": 40,
  "test/harvest.test.ts": 40,
  "test/observatories.test.ts": 40,
  "test/web-browser-targets.test.ts": 30,
  "test/web-browser-uploads.test.ts": 30,
  "test/web-browser-planning.test.ts": 30,
  "test/web-browser-admin.test.ts": 30,
  "test/web-browser-accounts.test.ts": 30,
};

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const seconds = (f: TestSpecification) =>
      SLOW_FILES[relative(this.ctx.config.root, f.moduleId).replaceAll("\\", "/")] ?? 0;
    // Array.prototype.sort is stable: files without a figure keep vitest's order, after the slow ones.
    return sorted.sort((a, b) => seconds(b) - seconds(a));
  }
}
