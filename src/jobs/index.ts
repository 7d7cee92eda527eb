/**
 * Background job handlers, registered on the queue by `skytom serve` (SKYTOM_WORKERS) and `skytom worker`.
 * A handler only calls the domain: the work and every write it makes live there. Each domain that needs
 * background work adds its handler here.
 */
import type { Logger } from "pino";
import { ArchiveProvider } from "../catalog/archive.ts";
import { ArchiveError, ReferenceStarsOfflineError } from "../catalog/errors.ts";
import { OFFLINE_ARCHIVES } from "../catalog/settings.ts";
import type { Database } from "../db/connection.ts";
import type { JobQueue, Workers } from "../db/queue.ts";
import type { ReferenceProvider } from "../domain/calibration/pipeline.ts";
import { markNoReferenceStars, markWaitingForReferenceStars } from "../domain/calibration/waiting.ts";
import { processDataProduct } from "../domain/dataproducts/process.ts";
import type { FitsJobTimings } from "../domain/dataproducts/fits.ts";
import { PROCESS_JOB } from "../domain/dataproducts/upload.ts";
import { refreshAllTargets } from "../domain/targets/refresh.ts";
import {
  HARVEST_JOB,
  queueAllHarvests,
  runHarvestJob,
  type HarvestJobData,
} from "../domain/harvests/service.ts";
import { makeHarvesters, OFFLINE_HARVESTS, type HarvesterSet } from "../harvesters/index.ts";

export interface WorkerOptions {
  concurrency: number;
  logger: Logger;
  dataDir: string;
  /** Reference stars for calibration; default: the cache and imported catalogues, offline. */
  provider?: ReferenceProvider;
  /** Survey light-curve sources; default: offline (nothing is asked). */
  harvesters?: HarvesterSet;
}

/** Job names, one list. */
export const JOBS = {
  /** A queued upload: FITS images are measured, then catalogues calibrated. */
  processDataProduct: PROCESS_JOB,
  /** Daily: Sun separation and priority of every target, then the survey light curves of each. */
  refreshTargets: "targets.daily-refresh",
  /** A new target's survey light curves. */
  harvestTarget: HARVEST_JOB,
} as const;

/**
 * A queued data product; `runId` names the calibration run to carry out (recalibrate, restarts);
 * `waitingSince` (ISO time) once it has waited for reference stars.
 */
export interface ProcessJobData {
  dataProductId: number;
  runId?: number;
  waitingSince?: string;
}

/** Start the job handlers; the result stops them (running jobs finish or go back to the queue). */
export async function startWorkers(
  queue: JobQueue,
  database: Database,
  opts: WorkerOptions,
): Promise<Workers> {
  const provider = opts.provider ?? new ArchiveProvider(database, OFFLINE_ARCHIVES);
  const processing = await queue.work<ProcessJobData>(
    JOBS.processDataProduct,
    async (job) => {
      const t0 = performance.now();
      const id = job.data.dataProductId;
      const runId = job.data.runId;
      let steps: FitsJobTimings | undefined;
      try {
        steps = await processDataProduct(database, id, { dataDir: opts.dataDir, provider, runId });
      } catch (err) {
        // Reference stars that cannot be had now: the product waits and the job comes back at retryAt.
        if (err instanceof ArchiveError) {
          const since = job.data.waitingSince ? new Date(job.data.waitingSince) : new Date();
          opts.logger.warn(
            { dataProduct: id, err: err.message, retryAt: err.retryAt },
            "waiting for reference stars",
          );
          if (await markWaitingForReferenceStars(database, id, err.message, err.retryAt, since)) {
            await queue.send(
              JOBS.processDataProduct,
              { dataProductId: id, runId, waitingSince: since.toISOString() } satisfies ProcessJobData,
              { startAfter: err.retryAt, singletonKey: runId === undefined ? `dp-${id}` : `run-${runId}` },
            );
          }
          return;
        }
        if (err instanceof ReferenceStarsOfflineError) {
          await markNoReferenceStars(database, id, err.message);
          return;
        }
        throw err;
      }
      opts.logger.info(
        {
          dataProduct: id,
          ms: Math.round(performance.now() - t0),
          // FITS images: ms per step (read, solve, extract, catalogue, preview, thread, store, calibrate).
          ...(steps
            ? {
                steps: Object.fromEntries(
                  Object.entries(steps).map(([k, v]) => [k, Math.round(v as number)]),
                ),
              }
            : {}),
        },
        "data product processed",
      );
    },
    { concurrency: opts.concurrency },
  );
  const harvesters = opts.harvesters ?? makeHarvesters(OFFLINE_HARVESTS);
  const refreshing = await queue.work(JOBS.refreshTargets, async () => {
    const t0 = performance.now();
    const n = await refreshAllTargets(database.db);
    opts.logger.info({ targets: n, ms: Math.round(performance.now() - t0) }, "targets refreshed");
    if (harvesters.offline) return;
    // One harvest job per target: each source's failure is recorded on its target (harvest_states).
    const queued = await queueAllHarvests(database.db, queue);
    opts.logger.info({ targets: queued }, "survey light-curve harvests queued");
  });
  // Targets are harvested `concurrency` at a time; the sources' fetchers, shared by every worker of this
  // process (and its API), keep each source to one request at a time and its rate limit.
  const harvesting = await queue.work<HarvestJobData>(
    JOBS.harvestTarget,
    async (job) => {
      const outcomes = await runHarvestJob(database.db, harvesters, job.data);
      for (const o of outcomes.filter((x) => x.status !== "skipped")) {
        const entry = { target: job.data.targetId, source: o.source, message: o.message };
        if (o.status === "error") opts.logger.warn(entry, "harvest failed");
        else opts.logger.info(entry, "harvest");
      }
    },
    { concurrency: opts.concurrency },
  );
  await queue.schedule(JOBS.refreshTargets, "5 0 * * *");
  opts.logger.info(
    { concurrency: opts.concurrency, jobs: Object.values(JOBS) },
    "background workers started",
  );
  return {
    async stop(graceMs?: number) {
      await Promise.all([processing.stop(graceMs), refreshing.stop(graceMs), harvesting.stop(graceMs)]);
    },
  };
}
