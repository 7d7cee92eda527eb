/**
 * Background jobs behind a small interface, implemented with pg-boss on the same database, so a job can
 * be enqueued in the same transaction as the row it refers to, and `skytom worker` processes on other
 * machines share the queue on PostgreSQL.
 */
import PgBoss from "pg-boss";
import type pg from "pg";

export interface JobOptions {
  /** Retries after the first failure. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** A job not finished within this many seconds is failed and retried (worker died). */
  expireInSeconds?: number;
  singletonKey?: string;
  /** Not before this time (a job that waits for something, e.g. an archive). */
  startAfter?: Date;
  /** Run inside this client's open transaction. */
  client?: pg.PoolClient;
}

export interface Job<T> {
  id: string;
  name: string;
  data: T;
}

export interface JobQueue {
  start(): Promise<void>;
  /**
   * Create the named queues now. Call it before sending inside a transaction: creating a queue uses
   * another connection, which on the embedded database (one session) would wait for the transaction.
   */
  declare(...names: string[]): Promise<void>;
  send<T extends object>(name: string, data: T, opts?: JobOptions): Promise<string | null>;
  work<T>(
    name: string,
    handler: (job: Job<T>) => Promise<void>,
    opts?: { concurrency?: number },
  ): Promise<void>;
  /** Send a job on a cron schedule, UTC (one schedule across all processes). */
  schedule(name: string, cron: string): Promise<void>;
  stop(): Promise<void>;
}

export interface QueueOptions {
  /** Default lease of a job, s: a job still active after it is failed and retried (SKYTOM_JOB_EXPIRE_SECONDS). */
  expireInSeconds?: number;
  /** Default delay before the first retry, s (SKYTOM_JOB_RETRY_DELAY_SECONDS). */
  retryDelaySeconds?: number;
  /**
   * Queue errors (a poll or the maintenance failing while the database is unreachable, …). They are
   * never fatal: pg-boss polls again. Repeats of one message are reported at most every 30 s.
   */
  onError?: (err: Error, repeats: number) => void;
}

const DEFAULT_EXPIRE_SECONDS = 15 * 60;

/** Same message (without pg-boss's "(Queue: …, Worker: …)" suffix) reported at most every `everyMs`. */
function throttled(report: (err: Error, repeats: number) => void, everyMs = 30_000) {
  const last = new Map<string, { at: number; repeats: number }>();
  return (err: Error) => {
    const key = String(err?.message ?? err).replace(/ \(Queue: .*\)$/, "");
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.at < everyMs) {
      seen.repeats++;
      return;
    }
    if (last.size > 100) last.clear(); // bounded, whatever the messages
    last.set(key, { at: now, repeats: 0 });
    report(err, seen?.repeats ?? 0);
  };
}

/** Any 64-bit key, the same in every skytom process. */
const CREATE_QUEUE_LOCK_KEY = 0x736b79746f6e; // "skyton"

/**
 * pg-boss creates a queue as a partition of its job table (CREATE TABLE, constraints, ATTACH
 * PARTITION); two processes creating queues at once (a first start of several API and worker
 * processes) deadlock. So creations take a cluster-wide advisory lock, held on a connection of its own,
 * and a deadlock that slips through anyway (40P01) is retried.
 */
async function createQueueSerialised(pool: pg.Pool, create: () => Promise<void>): Promise<void> {
  const lock = await pool.connect();
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [CREATE_QUEUE_LOCK_KEY]);
    for (let attempt = 1; ; attempt++) {
      try {
        await create();
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== "40P01" || attempt >= 3) throw err;
      }
    }
  } finally {
    await lock.query("SELECT pg_advisory_unlock($1)", [CREATE_QUEUE_LOCK_KEY]).catch(() => undefined);
    lock.release();
  }
}

export function createQueue(pool: pg.Pool, options: QueueOptions = {}): JobQueue {
  const expireDefault = options.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS;
  const boss = new PgBoss({
    db: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) },
    schema: "pgboss",
    supervise: true,
    schedule: true,
    migrate: true,
    // The maintenance (one process at a time, across all of them) is what fails expired jobs for a
    // retry: run it often enough that a dead worker's job is retried within ~1.5 leases.
    maintenanceIntervalSeconds: Math.max(1, Math.min(120, Math.floor(expireDefault / 2))),
  });
  boss.on("error", throttled(options.onError ?? (() => undefined)));
  const queues = new Set<string>();
  const ensure = async (name: string) => {
    if (queues.has(name)) return;
    if (!(await boss.getQueue(name))) await createQueueSerialised(pool, () => boss.createQueue(name));
    queues.add(name);
  };
  return {
    async start() {
      await boss.start();
    },
    async declare(...names) {
      for (const name of names) await ensure(name);
    },
    async send(name, data, opts = {}) {
      const client = opts.client;
      if (client && !queues.has(name)) {
        throw new Error(`queue ${name} must be declared before sending inside a transaction`);
      }
      await ensure(name);
      return boss.send(name, data, {
        retryLimit: opts.retryLimit ?? 3,
        retryDelay: opts.retryDelaySeconds ?? options.retryDelaySeconds ?? 10,
        retryBackoff: true,
        expireInSeconds: opts.expireInSeconds ?? expireDefault,
        ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
        ...(opts.startAfter ? { startAfter: opts.startAfter } : {}),
        ...(client
          ? { db: { executeSql: (text: string, values?: unknown[]) => client.query(text, values) } }
          : {}),
      });
    },
    async work(name, handler, opts = {}) {
      await ensure(name);
      const concurrency = Math.max(1, opts.concurrency ?? 1);
      for (let i = 0; i < concurrency; i++) {
        let workerId = "";
        workerId = await boss.work(name, { batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs) => {
          try {
            for (const job of jobs) await handler({ id: job.id, name: job.name, data: job.data as never });
          } finally {
            // Fetch the next job at once instead of sleeping out the polling interval: while a queue
            // is busy each worker loop takes jobs back to back; when it is empty it polls every second.
            if (jobs.length > 0) boss.notifyWorker(workerId);
          }
        });
      }
    },
    async schedule(name, cron) {
      await ensure(name);
      await boss.schedule(name, cron, {}, { tz: "UTC" });
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
