/**
 * Background job handlers, registered on the queue by `skytom serve` (SKYTOM_WORKERS) and `skytom worker`.
 * A handler only calls the domain: the work and every write it makes live there. Each domain that needs
 * background work adds its handler here.
 */
import type { Logger } from "pino";
import { StoredCatalogueProvider } from "../catalog/provider.ts";
import type { Database } from "../db/connection.ts";
import type { JobQueue, Workers } from "../db/queue.ts";
import type { ReferenceProvider } from "../domain/calibration/pipeline.ts";
import { processDataProduct } from "../domain/dataproducts/process.ts";
import { PROCESS_JOB } from "../domain/dataproducts/upload.ts";
import { refreshAllTargets } from "../domain/targets/refresh.ts";

export interface WorkerOptions {
  concurrency: number;
  logger: Logger;
  dataDir: string;
  /** Reference stars for calibration; default: the imported catalogues. */
  provider?: ReferenceProvider;
}

/** Job names, one list. */
export const JOBS = {
  /** A queued upload: FITS images are measured, then catalogues calibrated. */
  processDataProduct: PROCESS_JOB,
  /** Daily: Sun separation and priority of every target. */
  refreshTargets: "targets.daily-refresh",
} as const;

/** Start the job handlers; the result stops them (running jobs finish or go back to the queue). */
export async function startWorkers(
  queue: JobQueue,
  database: Database,
  opts: WorkerOptions,
): Promise<Workers> {
  const provider = opts.provider ?? new StoredCatalogueProvider(database.db);
  const processing = await queue.work<{ dataProductId: number }>(
    JOBS.processDataProduct,
    async (job) => {
      const t0 = performance.now();
      await processDataProduct(database, job.data.dataProductId, { dataDir: opts.dataDir, provider });
      opts.logger.info(
        { dataProduct: job.data.dataProductId, ms: Math.round(performance.now() - t0) },
        "data product processed",
      );
    },
    { concurrency: opts.concurrency },
  );
  const refreshing = await queue.work(JOBS.refreshTargets, async () => {
    const t0 = performance.now();
    const n = await refreshAllTargets(database.db);
    opts.logger.info({ targets: n, ms: Math.round(performance.now() - t0) }, "targets refreshed");
  });
  await queue.schedule(JOBS.refreshTargets, "5 0 * * *");
  opts.logger.info(
    { concurrency: opts.concurrency, jobs: Object.values(JOBS) },
    "background workers started",
  );
  return {
    async stop(graceMs?: number) {
      await Promise.all([processing.stop(graceMs), refreshing.stop(graceMs)]);
    },
  };
}
