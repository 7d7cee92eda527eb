/**
 * Recovery at start, after a crash, a kill -9 or a power cut:
 * - jobs left active by a dead process go back to the queue (on the embedded database every job is
 *   this process's own: one process owns the data directory; on PostgreSQL the workers' leases do it);
 * - files moved into place by an upload whose transaction never committed are removed, other files a
 *   committed row refers to stay (storage.ts: placement journals);
 * - partial uploads and other temporary files in `tmp/` are removed;
 * - plots and previews of data products that no longer exist are removed;
 * - catalogue imports that never finished are removed (src/catalog/import.ts).
 *
 * `owner`: this process owns the data directory and the database (embedded): everything left over is
 * dead. Otherwise (PostgreSQL, several processes sharing the data directory) only what is older than
 * {@link SHARED_LEFTOVER_AGE_MS} is touched, so other processes' work in progress stays.
 */
import { readdir } from "node:fs/promises";
import { inArray, or } from "drizzle-orm";
import { removeAbandonedImports } from "../catalog/import.ts";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";
import { dataProducts } from "../db/schema/index.ts";
import { cleanLeftovers, removeStoredFiles, storedPath } from "../storage.ts";

/** Leftovers of other processes are theirs until this old, ms (no upload or import pauses this long). */
export const SHARED_LEFTOVER_AGE_MS = 6 * 3600_000;

export interface RecoveryReport {
  jobsRequeued: number;
  tmpRemoved: number;
  orphanFilesRemoved: number;
  importsRemoved: number;
}

/** Of these stored paths, the ones a data product row refers to (its file or its measured catalogue). */
async function referencedPaths(database: Database, paths: string[]): Promise<Set<string>> {
  const rows = await database.db
    .select({ data: dataProducts.data, photometryData: dataProducts.photometryData })
    .from(dataProducts)
    .where(or(inArray(dataProducts.data, paths), inArray(dataProducts.photometryData, paths)));
  return new Set(rows.flatMap((r) => [r.data, r.photometryData ?? ""]).filter((p) => paths.includes(p)));
}

/**
 * Plots and previews named `<data product id>.png` (or `<id>-run<run id>.png`, and a plot's data
 * `<id>-run<run id>.plot.json.gz`) whose data product is gone.
 */
async function removeOrphanPlots(database: Database, dataDir: string): Promise<number> {
  let removed = 0;
  for (const folder of ["plots/calibration", "plots/fits"]) {
    let names: string[];
    try {
      names = await readdir(storedPath(dataDir, folder));
    } catch {
      continue;
    }
    // `<id>.png`, `<id>-run<N>.png`, a plot's data `<id>-run<N>.plot.json.gz`, and either's temporary file.
    const owner = (n: string) => /^(\d+)(?:-run\d+)?\.(?:png|plot\.json\.gz)(?:\.[\w-]+\.tmp)?$/.exec(n)?.[1];
    const ids = [...new Set(names.map(owner).filter((id) => id !== undefined))].map(Number);
    if (!ids.length) continue;
    const rows = await database.db
      .select({ id: dataProducts.id })
      .from(dataProducts)
      .where(inArray(dataProducts.id, ids));
    const alive = new Set(rows.map((r) => r.id));
    const gone = names
      .filter((n) => owner(n) !== undefined && !alive.has(Number(owner(n))))
      .map((n) => `${folder}/${n}`);
    removed += await removeStoredFiles(dataDir, gone);
  }
  return removed;
}

export async function recoverAtStart(
  database: Database,
  queue: JobQueue,
  dataDir: string,
  opts: { owner: boolean },
): Promise<RecoveryReport> {
  const age = opts.owner ? 0 : SHARED_LEFTOVER_AGE_MS;
  const jobsRequeued = opts.owner ? await queue.requeueAbandoned() : 0;
  const files = await cleanLeftovers(dataDir, (paths) => referencedPaths(database, paths), age);
  const plots = opts.owner ? await removeOrphanPlots(database, dataDir) : 0;
  const importsRemoved = await removeAbandonedImports(database, age);
  return {
    jobsRequeued,
    tmpRemoved: files.tmpRemoved,
    orphanFilesRemoved: files.orphansRemoved.length + plots,
    importsRemoved,
  };
}
