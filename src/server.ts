/**
 * `skytom serve` / `npm start`: open the database (embedded or PostgreSQL), apply migrations, ensure the
 * configured superuser, serve HTTP, run background workers, and shut all of it down in order on
 * SIGTERM/SIGINT (stop accepting, finish requests, stop workers, close the database).
 */
import { makeHarvesters } from "./harvesters/index.ts";
import pino from "pino";
import { ArchiveProvider } from "./catalog/archive.ts";
import type { Config } from "./config.ts";
import type { Logger } from "pino";
import { backfillCalibrationRuns } from "./domain/calibration/backfill.ts";
import { isDatabaseUnavailable, openDatabase, runMigrations, type Database } from "./db/connection.ts";
import { createQueue, type JobQueue, type QueueOptions } from "./db/queue.ts";
import type { ReferenceProvider } from "./domain/calibration/pipeline.ts";
import { ensureSuperuser } from "./domain/users/service.ts";
import { buildApp } from "./app.ts";
import { startWorkers } from "./jobs/index.ts";
import { recoverAtStart } from "./domain/recovery.ts";
import type { FastifyInstance } from "fastify";

/**
 * Reference stars for every calibration of this process: the archives on demand (SKYTOM_GAIA_TAP_URL,
 * SKYTOM_VIZIER_TAP_URL), cached in the database, imported catalogues taking part; SKYTOM_OFFLINE=1: the
 * cache and imports only. One provider per process: its bound on concurrent archive queries holds for the
 * whole process.
 */
function archiveProvider(config: Config): (database: Database) => ReferenceProvider {
  let provider: ArchiveProvider | null = null;
  return (database) => (provider ??= new ArchiveProvider(database, config.archives));
}

/** Says at start where reference stars will come from (what may leave the machine). */
function logArchives(config: Config, logger: Logger): void {
  const a = config.archives;
  if (a.offline) logger.info("reference stars: SKYTOM_OFFLINE=1, the cache and imported catalogues only");
  else {
    logger.info(
      { gaia: a.gaiaTapUrl, vizier: a.vizierTapUrl },
      "reference stars: from the archives on demand for fields not cached or imported",
    );
  }
}

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  queue: JobQueue;
  url: string;
  stop(): Promise<void>;
}

/** The database and queue settings every process takes from the configuration, errors logged. */
function databaseOptions(logger: Logger) {
  return {
    onConnectionError: (err: Error) => logger.warn({ err: err.message }, "database connection lost"),
  };
}

function queueOptions(config: Config, logger: Logger): QueueOptions {
  return {
    expireInSeconds: config.jobExpireSeconds,
    leaseSeconds: config.jobLeaseSeconds,
    retryDelaySeconds: config.jobRetryDelaySeconds,
    onError: (err, repeats) =>
      logger.warn({ err: err.message, ...(repeats ? { repeats } : {}) }, "job queue error (will retry)"),
  };
}

/**
 * pg-boss completes and fails jobs without awaiting the promise; while the database is unreachable
 * that rejection would crash the process (Node's default for unhandled rejections). Such a job stays
 * active and is retried when its lease expires, so a database-unavailable rejection is logged and the
 * process carries on; any other unhandled rejection is rethrown and ends the process as by default.
 */
function surviveDatabaseOutages(logger: Logger): void {
  process.on("unhandledRejection", (reason) => {
    if (isDatabaseUnavailable(reason)) {
      logger.warn({ err: (reason as Error).message }, "database unavailable (background operation dropped)");
      return;
    }
    throw reason;
  });
}

/** Requests still running at a stop may take this long to finish; then their connections are closed, ms. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Stop accepting, let running requests finish (at most SHUTDOWN_GRACE_MS), close every connection. */
async function closeHttp(app: FastifyInstance): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  timer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * After a crash: jobs, files and imports left behind (src/domain/recovery.ts). The embedded database's
 * owner recovers everything at once; on PostgreSQL only what is old enough to be nobody's work.
 */
async function recover(database: Database, queue: JobQueue, config: Config, logger: Logger): Promise<void> {
  const report = await recoverAtStart(database, queue, config.dataDir, { owner: database.hostsEmbedded });
  if (Object.values(report).some((n) => n > 0)) logger.info(report, "recovered what a stopped process left");
  // Calibrations made before calibration runs existed get one (idempotent: nothing to do once done).
  const backfilled = await backfillCalibrationRuns(database.db);
  if (backfilled.runs > 0) logger.info(backfilled, "calibration runs backfilled for older calibrations");
}

export async function startServer(config: Config): Promise<RunningServer> {
  const logger = pino({ level: config.logLevel });
  surviveDatabaseOutages(logger);
  const database = await openDatabase(config, { forceHost: !config.databaseUrl, ...databaseOptions(logger) });
  let queue: JobQueue | null = null;
  try {
    await runMigrations(database);
    if (config.adminUser && config.adminPassword) {
      const what = await ensureSuperuser(database.db, config.adminUser, config.adminPassword);
      logger.info({ user: config.adminUser }, `superuser ${what}`);
    }
    queue = createQueue(database.pool, queueOptions(config, logger));
    await queue.start();
    const referenceProvider = archiveProvider(config);
    // One set of sources for the workers and the API: one rate limit per source in this process.
    const harvesters = makeHarvesters(config.harvests);
    logArchives(config, logger);
    await recover(database, queue, config, logger);
    if (config.workers > 0) {
      await startWorkers(queue, database, {
        concurrency: config.workers,
        logger,
        dataDir: config.dataDir,
        provider: referenceProvider(database),
        harvesters,
      });
    }
    const app = await buildApp({
      database,
      referenceProvider: referenceProvider(database),
      harvesters,
      dataDir: config.dataDir,
      queue,
      logger: { level: config.logLevel },
      bodyLimitBytes: config.bodyLimitBytes,
      maxUploadFileBytes: config.maxUploadBytes,
      loginLimits: {
        windowSeconds: config.loginWindowSeconds,
        maxPerIp: config.loginMaxPerIp,
        maxFailuresPerUser: config.loginMaxFailuresPerUser,
      },
    });
    const address = await app.listen({ host: config.host, port: config.port });
    const q = queue;
    let stopping: Promise<void> | null = null;
    return {
      app,
      database,
      queue: q,
      url: address,
      stop() {
        stopping ??= (async () => {
          await closeHttp(app);
          await q.stop();
          await database.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await queue?.stop().catch(() => undefined);
    await database.close();
    throw err;
  }
}

/** Stop cleanly on the first SIGTERM/SIGINT; a second one exits at once. */
export function stopOnSignals(server: RunningServer, log: (msg: string) => void): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      process.exitCode = 130;
      process.kill(process.pid, "SIGKILL");
      return;
    }
    signalled = true;
    log(`${signal} received: finishing requests and stopping`);
    server.stop().then(
      () => log("stopped"),
      (err: unknown) => {
        log(`error while stopping: ${String(err)}`);
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

export interface WorkerProcessOptions {
  /** Reference stars for calibration; default: the archives and their cache, as configured (config.archives). */
  referenceProvider?: (database: Database) => ReferenceProvider;
}

/** `skytom worker`: background workers only (no HTTP), e.g. extra processes on PostgreSQL. */
export async function startWorkerProcess(
  config: Config,
  concurrency: number,
  opts: WorkerProcessOptions = {},
): Promise<{ stop(): Promise<void> }> {
  const logger = pino({ level: config.logLevel });
  surviveDatabaseOutages(logger);
  const database = await openDatabase(config, databaseOptions(logger));
  const queue = createQueue(database.pool, queueOptions(config, logger));
  try {
    await runMigrations(database);
    await queue.start();
    logArchives(config, logger);
    await recover(database, queue, config, logger);
    await startWorkers(queue, database, {
      concurrency,
      logger,
      dataDir: config.dataDir,
      provider: (opts.referenceProvider ?? archiveProvider(config))(database),
      harvesters: makeHarvesters(config.harvests),
    });
  } catch (err) {
    // Close what was opened, so the process can exit with the error instead of lingering.
    await queue.stop().catch(() => undefined);
    await database.close();
    throw err;
  }
  logger.info(`skytom worker running (${database.engine}, concurrency ${concurrency})`);
  return {
    async stop() {
      await queue.stop();
      await database.close();
    },
  };
}
