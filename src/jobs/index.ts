/**
 * Background job handlers, registered on the queue by `skytom serve` (SKYTOM_WORKERS) and `skytom worker`.
 * Each domain that needs background work adds its handler here.
 */
import type { Logger } from "pino";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";
import { refreshAllTargets } from "../domain/targets/refresh.ts";

export interface WorkerOptions {
  concurrency: number;
  logger: Logger;
}

/** Job names, one list. */
export const JOBS = {
  /** Daily: Sun separation and priority of every target. */
  refreshTargets: "targets.daily-refresh",
} as const;

export async function startWorkers(queue: JobQueue, database: Database, opts: WorkerOptions): Promise<void> {
  await queue.work(JOBS.refreshTargets, async () => {
    const t0 = performance.now();
    const n = await refreshAllTargets(database.db);
    opts.logger.info({ targets: n, ms: Math.round(performance.now() - t0) }, "targets refreshed");
  });
  await queue.schedule(JOBS.refreshTargets, "5 0 * * *");
  opts.logger.info(
    { concurrency: opts.concurrency, jobs: Object.values(JOBS) },
    "background workers started",
  );
}
