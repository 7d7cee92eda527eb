/**
 * Background job handlers, registered on the queue by `skytom serve` (SKYTOM_WORKERS) and `skytom worker`.
 * Each domain that needs background work adds its handler here.
 */
import type { Logger } from "pino";
import type { Database } from "../db/connection.ts";
import type { JobQueue } from "../db/queue.ts";

export interface WorkerOptions {
  concurrency: number;
  logger: Logger;
}

/** Job names, one list. */
export const JOBS = [] as const;

export async function startWorkers(
  _queue: JobQueue,
  _database: Database,
  opts: WorkerOptions,
): Promise<void> {
  opts.logger.info({ concurrency: opts.concurrency, jobs: JOBS }, "background workers started");
}
