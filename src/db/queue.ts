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

export function createQueue(pool: pg.Pool): JobQueue {
  const boss = new PgBoss({
    db: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) },
    schema: "pgboss",
    supervise: true,
    schedule: true,
    migrate: true,
  });
  boss.on("error", () => undefined);
  const queues = new Set<string>();
  const ensure = async (name: string) => {
    if (queues.has(name)) return;
    await boss.createQueue(name);
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
        retryDelay: opts.retryDelaySeconds ?? 10,
        retryBackoff: true,
        expireInSeconds: opts.expireInSeconds ?? 15 * 60,
        ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
        ...(client
          ? { db: { executeSql: (text: string, values?: unknown[]) => client.query(text, values) } }
          : {}),
      });
    },
    async work(name, handler, opts = {}) {
      await ensure(name);
      const concurrency = Math.max(1, opts.concurrency ?? 1);
      for (let i = 0; i < concurrency; i++) {
        await boss.work(name, { batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs) => {
          for (const job of jobs) await handler({ id: job.id, name: job.name, data: job.data as never });
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
