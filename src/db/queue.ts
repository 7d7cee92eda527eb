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
  /** The job's first lease, s (default: the queue's lease); its worker renews it while the job runs. */
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

/** Jobs one `work` call runs, until stopped. */
export interface Workers {
  /** Fetch no more jobs; wait for the running ones (at most `graceMs`), then hand the rest back. */
  stop(graceMs?: number): Promise<void>;
}

export interface JobQueue {
  start(): Promise<void>;
  /**
   * Create the named queues now. Call it before sending inside a transaction: creating a queue uses
   * another connection, which on the embedded database (one session) would wait for the transaction.
   */
  declare(...names: string[]): Promise<void>;
  /**
   * Make the named queue one that keeps at most one waiting job (and one running) per singleton key
   * (pg-boss's "stately" policy; an existing queue is changed): a second `send` with the key of a job
   * still waiting does nothing and returns null. Every job sent to it must then carry a singletonKey —
   * jobs without one share the empty key. On other queues a singletonKey does not keep anything out.
   */
  declareOnePerKey(name: string): Promise<void>;
  send<T extends object>(name: string, data: T, opts?: JobOptions): Promise<string | null>;
  /** Run `concurrency` loops that take jobs of this queue one at a time, renewing their leases. */
  work<T>(
    name: string,
    handler: (job: Job<T>) => Promise<void>,
    opts?: { concurrency?: number },
  ): Promise<Workers>;
  /** Send a job on a cron schedule, UTC (one schedule across all processes). */
  schedule(name: string, cron: string): Promise<void>;
  /**
   * Every job marked active goes back to the queue (counted as a retry): call it only where no other
   * process can be running jobs — the owner of an embedded data directory, at start, after a crash.
   * Returns how many jobs were re-queued.
   */
  requeueAbandoned(): Promise<number>;
  /** Stop every worker loop (see Workers.stop), then the queue. */
  stop(): Promise<void>;
}

export interface QueueOptions {
  /**
   * Longest a job may run, s (SKYTOM_JOB_EXPIRE_SECONDS): after it the job is failed (and retried, within
   * its retry limit) even though its worker still renews the lease — a hung job.
   */
  expireInSeconds?: number;
  /**
   * Job lease, s (SKYTOM_JOB_LEASE_SECONDS): a worker renews its running jobs' lease every third of it;
   * a job whose lease ran out (its worker died or lost the database) is taken back and retried.
   */
  leaseSeconds?: number;
  /** Default delay before the first retry, s (SKYTOM_JOB_RETRY_DELAY_SECONDS). */
  retryDelaySeconds?: number;
  /** How long `stop()` waits for running jobs before handing them back to the queue, ms. */
  stopGraceMs?: number;
  /**
   * Queue errors (a poll or the maintenance failing while the database is unreachable, …). They are
   * never fatal: pg-boss polls again. Repeats of one message are reported at most every 30 s.
   */
  onError?: (err: Error, repeats: number) => void;
}

const DEFAULT_EXPIRE_SECONDS = 15 * 60;
const DEFAULT_LEASE_SECONDS = 20;
const POLL_MS = 1000;

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

/** A job taken back from a worker: `reason` goes to its output, like pg-boss's own failures. */
const takeBackSql = (where: string) => `
  UPDATE pgboss.job SET
    state = (CASE WHEN retry_count < retry_limit THEN 'retry' ELSE 'failed' END)::pgboss.job_state,
    start_after = now(),
    completed_on = CASE WHEN retry_count < retry_limit THEN NULL ELSE now() END,
    output = jsonb_build_object('value', jsonb_build_object('message', $1::text))
  WHERE state = 'active' AND ${where}
  RETURNING id`;

/** Expired leases of these queues (their workers died): retried at once, counted as a retry. */
const EXPIRED_SQL = takeBackSql("name = ANY($2::text[]) AND started_on + expire_in < now()");
/** Every active job (the embedded owner at start): retried at once, counted as a retry. */
const ABANDONED_SQL = takeBackSql("true");
/** Jobs this process still runs at a stop: back to the queue, not counted as a retry (started_on NULL). */
const RELEASE_SQL = `
  UPDATE pgboss.job SET state = 'retry', started_on = NULL, start_after = now()
  WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'active'`;
/** The lease of running jobs: expire_in counts from started_on, so it becomes "until now + lease". */
const RENEW_SQL = `
  UPDATE pgboss.job SET expire_in = (now() - started_on) + make_interval(secs => $3)
  WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'active'
  RETURNING id`;

/** Sleep `ms`, or less when `signal` aborts. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

/** Rejects after `ms` (a job over its longest run time), unless the promise settles first. */
function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`job ran longer than ${ms / 1000} s (SKYTOM_JOB_EXPIRE_SECONDS)`)),
      ms,
    );
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * The queue on pg-boss, with our own worker loops instead of pg-boss's `work`: pg-boss 10 has job
 * expiration but no heartbeat, so a job's `expireInSeconds` had to cover its longest run and a dead
 * worker's job waited that long. Here a job is sent with a short lease (`leaseSeconds`); the process
 * running it renews the lease every third of it, and every process with workers takes back jobs whose
 * lease ran out (retried at once). A job that runs past `expireInSeconds` is failed as hung. pg-boss's
 * own maintenance (expiry, archiving, schedules) still runs and agrees: it reads the same `expire_in`.
 * A job may so run twice (a worker cut from the database keeps computing while another retries it):
 * handlers are written to be idempotent (src/jobs/calibrate.ts).
 */
export function createQueue(pool: pg.Pool, options: QueueOptions = {}): JobQueue {
  const expireSeconds = options.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS;
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const renewMs = Math.max(200, (leaseSeconds * 1000) / 3);
  const boss = new PgBoss({
    db: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) },
    schema: "pgboss",
    supervise: true,
    schedule: true,
    migrate: true,
    // pg-boss's own upkeep (archiving, its expiry check, schedules' bookkeeping): leases are watched by
    // the worker loops below, so this need not run often.
    maintenanceIntervalSeconds: 120,
  });
  const report = throttled(options.onError ?? (() => undefined));
  boss.on("error", report);
  const queues = new Set<string>();
  const ensure = async (name: string) => {
    if (queues.has(name)) return;
    if (!(await boss.getQueue(name))) await createQueueSerialised(pool, () => boss.createQueue(name));
    queues.add(name);
  };
  const onePerKey = new Set<string>();
  const ensureOnePerKey = async (name: string) => {
    if (onePerKey.has(name)) return;
    const queue = await boss.getQueue(name);
    if (!queue) {
      await createQueueSerialised(pool, () => boss.createQueue(name, { name, policy: "stately" }));
    } else if (queue.policy !== "stately") {
      await boss.updateQueue(name, { name, policy: "stately" });
    }
    queues.add(name);
    onePerKey.add(name);
  };

  /** Jobs running in this process: id → queue name. */
  const running = new Map<string, string>();
  const worked = new Set<string>();
  const workers = new Set<Workers>();
  let tick: NodeJS.Timeout | null = null;

  /** Renew our jobs' leases, and take back the expired jobs of the queues we work on. */
  const heartbeat = async () => {
    const byQueue = new Map<string, string[]>();
    for (const [id, name] of running) byQueue.set(name, [...(byQueue.get(name) ?? []), id]);
    for (const [name, ids] of byQueue) {
      await pool.query(RENEW_SQL, [name, ids, leaseSeconds]);
    }
    if (worked.size > 0) {
      await pool.query(EXPIRED_SQL, ["lease expired: the worker stopped renewing it", [...worked]]);
    }
  };
  const startHeartbeat = () => {
    if (tick) return;
    let busy = false;
    tick = setInterval(() => {
      if (busy) return;
      busy = true;
      heartbeat()
        .catch((err: Error) => report(err))
        .finally(() => (busy = false));
    }, renewMs);
    tick.unref();
  };

  const work: JobQueue["work"] = async (name, handler, opts = {}) => {
    await ensure(name);
    worked.add(name);
    startHeartbeat();
    const stopping = new AbortController();
    const loops: Promise<void>[] = [];
    /** The job each loop is running, to hand back at a stop. */
    const current = new Set<string>();
    const runOne = async (job: { id: string; name: string; data: unknown }) => {
      running.set(job.id, name);
      current.add(job.id);
      try {
        await withinMs(
          handler({ id: job.id, name: job.name, data: job.data as never }),
          expireSeconds * 1000,
        );
        running.delete(job.id);
        await boss.complete(name, job.id);
      } catch (err) {
        running.delete(job.id);
        const e = err as Error;
        await boss.fail(name, job.id, { message: e?.message ?? String(err), stack: e?.stack });
      } finally {
        running.delete(job.id);
        current.delete(job.id);
      }
    };
    const loop = async () => {
      while (!stopping.signal.aborted) {
        const [job] = await boss.fetch(name, { batchSize: 1 });
        if (!job) {
          await sleep(POLL_MS, stopping.signal);
          continue;
        }
        // Completing or failing needs the database; when it is unreachable the job stays active and is
        // taken back when its lease (no longer renewed) runs out.
        await runOne(job).catch((err: Error) => report(err));
      }
    };
    for (let i = 0; i < Math.max(1, opts.concurrency ?? 1); i++) loops.push(loop());
    const handle: Workers = {
      async stop(graceMs = options.stopGraceMs ?? 10_000) {
        stopping.abort();
        const all = Promise.all(loops);
        const grace = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
        if ((await Promise.race([all, grace])) === "timeout" && current.size > 0) {
          // Still running: give them back now rather than leaving them active until their lease ends.
          const ids = [...current];
          for (const id of ids) running.delete(id);
          await pool.query(RELEASE_SQL, [name, ids]).catch((err: Error) => report(err));
        }
        workers.delete(handle);
      },
    };
    workers.add(handle);
    return handle;
  };

  return {
    async start() {
      await boss.start();
    },
    async declare(...names) {
      for (const name of names) await ensure(name);
    },
    declareOnePerKey: ensureOnePerKey,
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
        // The first lease: the worker that fetches the job renews it from then on.
        expireInSeconds: opts.expireInSeconds ?? leaseSeconds,
        ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
        ...(opts.startAfter ? { startAfter: opts.startAfter } : {}),
        ...(client
          ? { db: { executeSql: (text: string, values?: unknown[]) => client.query(text, values) } }
          : {}),
      });
    },
    work,
    async schedule(name, cron) {
      await ensure(name);
      await boss.schedule(name, cron, {}, { tz: "UTC", expireInSeconds: leaseSeconds });
    },
    async requeueAbandoned() {
      const { rowCount } = await pool.query(ABANDONED_SQL, ["taken back at start: its process had stopped"]);
      return rowCount ?? 0;
    },
    async stop() {
      await Promise.all([...workers].map((w) => w.stop()));
      if (tick) clearInterval(tick);
      tick = null;
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
