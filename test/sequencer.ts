/**
 * Test file order for `npm test`: the files known to take longest start first, so that with several
 * forks (vitest.config.ts maxWorkers) a long file never starts last and keeps the run going alone at
 * the end. vitest orders by the durations it cached from an earlier run, but a clean clone (CI) has no
 * cache and falls back to file size, which says little about time (process starts, waits, plots).
 * The rest keep vitest's own order. The figures are seconds per file (files over 40 s) from one run of
 * the whole suite with PostgreSQL, 3 forks, on a 2-core machine that other jobs kept busy (so they are
 * inflated ~2–3×); they only rank the files, so rough is fine — refresh them when a file becomes slow
 * (`npx vitest run --reporter=default --reporter=json --outputFile=…` gives per-file durations).
 */
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

export const SLOW_FILES: Record<string, number> = {
  "test/calibration-runs.test.ts": 431,
  "test/permissions.test.ts": 396,
  "test/planning.test.ts": 294,
  "test/cli-remote.test.ts": 234,
  "test/targets-derived.test.ts": 186,
  "test/downloads-cache.test.ts": 160,
  "test/multiprocess.test.ts": 148,
  "test/worker-crash.test.ts": 147,
  "test/calibration-plot-on-view.test.ts": 146,
  "test/observatories.test.ts": 145,
  "test/cli.test.ts": 138,
  "test/web-browser-planning.test.ts": 132,
  "test/users.test.ts": 119,
  "test/web-uploads.test.ts": 117,
  "test/downloads.test.ts": 115,
  "test/refstars.test.ts": 115,
  "test/web-browser-uploads.test.ts": 115,
  "test/catalog.test.ts": 112,
  "test/calibrate-job.test.ts": 111,
  "test/web-browser-admin.test.ts": 109,
  "test/web-browser-targets.test.ts": 107,
  "test/fuzz/http.test.ts": 106,
  "test/demo.test.ts": 105,
  "test/web-accounts.test.ts": 95,
  "test/web-browser-accounts.test.ts": 93,
  "test/web-targets-edit.test.ts": 92,
  "test/storage.test.ts": 90,
  "test/web-targets.test.ts": 85,
  "test/harvest.test.ts": 85,
  "test/groups-comments.test.ts": 82,
  "test/upload.test.ts": 80,
  "test/targets.test.ts": 80,
  "test/catalog-fetch.test.ts": 73,
  "test/one-machine.test.ts": 73,
  "test/downloads-batches.test.ts": 71,
  "test/web-observatories.test.ts": 64,
  "test/dataproducts.test.ts": 64,
  "test/datums.test.ts": 60,
  "test/fits-job.test.ts": 59,
  "test/web-admin.test.ts": 56,
  "test/limits.test.ts": 55,
  "test/login-throttle.test.ts": 55,
  "test/archive.test.ts": 51,
  "test/bhtom-scripts.test.ts": 43,
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
