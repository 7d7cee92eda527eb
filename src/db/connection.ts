/**
 * One way to reach the database, whatever the engine: a `pg` pool and a Drizzle handle over it.
 *
 * - `DATABASE_URL` set → PostgreSQL with a pool.
 * - otherwise the embedded PGlite of the data directory: when another skytom process already serves it
 *   (its socket answers), connect through that socket; else host it here (worker thread + socket).
 */
import { fileURLToPath } from "node:url";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import type { Config } from "../config.ts";
import {
  embeddedServerRunning,
  socketDir,
  SOCKET_PORT,
  startEmbedded,
  type EmbeddedHost,
} from "./embedded.ts";
import * as schema from "./schema/index.ts";

export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool };
export type Engine = "pglite" | "postgresql";
/** Anything that runs queries: the database handle or an open transaction. */
export type Executor = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface Database {
  readonly db: Db;
  readonly pool: pg.Pool;
  readonly engine: Engine;
  /** True when this process hosts the embedded database (and so must keep running for others to use it). */
  readonly hostsEmbedded: boolean;
  /**
   * When this process hosts the embedded database: its single session's activity (epoch ms of the last
   * answer, and of the start of the query running now, 0 when idle), read without a query.
   */
  readonly sessionActivity?: () => { lastAnswerMs: number; busySinceMs: number };
  close(): Promise<void>;
}

// int8 (counts, bigserial) as JS numbers: our counts and ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// numeric as number too (aggregates such as avg).
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../drizzle", import.meta.url));

export interface OpenOptions {
  /** Pool size (embedded: connections multiplexed onto one session; keep it small). */
  max?: number;
  /** Host the embedded database here even if not needed (never connect to another process). */
  forceHost?: boolean;
  /** Called with errors of idle or checked-out connections (server gone, socket reset); default: ignored. */
  onConnectionError?: (err: Error) => void;
}

/** PostgreSQL pool tuning from the configuration; defaults as in src/config.ts. */
export type DatabaseTuning = Partial<
  Pick<Config, "dbPoolMax" | "dbConnectTimeoutMs" | "dbPoolWaitMs" | "dbStatementTimeoutMs">
>;

/** SQLSTATE classes and socket errors that mean "the database cannot be reached now", not a bad query. */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "57014"]);
const UNAVAILABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end/i;

/**
 * True when `err` (or an error it wraps, e.g. Drizzle's DrizzleQueryError or an AggregateError of
 * connection attempts) says the database is unreachable, restarting, shutting down, out of connections
 * or did not answer within the statement timeout: pg SQLSTATE 08xxx, 57P01/57P02/57P03, 53300, 57014;
 * ECONNREFUSED/ECONNRESET/ETIMEDOUT/…; the pool's connection timeout; a connection that died.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  if (code.startsWith("08") || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))
    return true;
  if (typeof e.message === "string" && UNAVAILABLE_MESSAGES.test(e.message) && !/^[0-9A-Z]{5}$/.test(code))
    return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

export async function openDatabase(
  config: Pick<Config, "dataDir" | "databaseUrl"> & DatabaseTuning,
  opts: OpenOptions = {},
): Promise<Database> {
  let host: EmbeddedHost | null = null;
  let poolConfig: pg.PoolConfig;
  let engine: Engine;
  if (config.databaseUrl) {
    engine = "postgresql";
    const statementTimeout = config.dbStatementTimeoutMs ?? 60_000;
    const connectTimeout = config.dbConnectTimeoutMs ?? 5000;
    // pg-pool uses one timeout for two waits; separate them: opening a connection to the server (short,
    // so an unreachable server fails fast → 503) and waiting for a free pooled connection under load.
    class Client extends pg.Client {
      constructor(c?: pg.ClientConfig) {
        super({ ...c, connectionTimeoutMillis: connectTimeout });
      }
    }
    poolConfig = {
      connectionString: config.databaseUrl,
      max: opts.max ?? config.dbPoolMax ?? 10,
      Client,
      connectionTimeoutMillis: config.dbPoolWaitMs ?? 30_000,
      // Notice a server that vanished without closing the socket.
      keepAlive: true,
      // float8 as text with the shortest round-trip digits (PostgreSQL's default since 12, made sure of
      // here): reduced_datums.download_line is written with it (db/schema/dataproducts.ts).
      options: "-c extra_float_digits=1",
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
    };
  } else {
    engine = "pglite";
    if (opts.forceHost || !(await embeddedServerRunning(config.dataDir))) {
      host = await startEmbedded(config.dataDir);
    }
    poolConfig = {
      host: host?.host ?? socketDir(config.dataDir),
      port: host?.port ?? SOCKET_PORT,
      user: "postgres",
      database: "postgres",
      max: opts.max ?? 4,
    };
  }
  const pool = new pg.Pool({ ...poolConfig, idleTimeoutMillis: 30_000 });
  // A connection's error (server restart, socket reset) must not crash the process: the pool reports
  // idle clients' errors on the pool, and a checked-out client between two queries emits on itself —
  // with no listener that would be an uncaught exception. The next query on it fails (→ 503) and the
  // pool discards it on release.
  const onError = opts.onConnectionError ?? (() => undefined);
  pool.on("error", onError);
  pool.on("connect", (client) => {
    client.on("error", onError);
  });
  const db = drizzle({ client: pool, schema, casing: "snake_case" }) as Db;
  let closed = false;
  const hosted = host;
  return {
    db,
    pool,
    engine,
    hostsEmbedded: host !== null,
    ...(hosted ? { sessionActivity: () => hosted.activity.read() } : {}),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
      await host?.stop();
    },
  };
}

/** Any 64-bit key, the same in every skytom process: serialises migrations across processes. */
const MIGRATION_LOCK_KEY = 0x736b79746f6d; // "skytom"

/**
 * Apply pending SQL migrations from drizzle/ (idempotent). On PostgreSQL, on one connection holding an
 * advisory lock (so API and worker processes starting together do not race) and without the statement
 * timeout (an index build on a big table may take minutes).
 */
export async function runMigrations(database: Database): Promise<void> {
  if (database.engine !== "postgresql") {
    await migrate(database.db, { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  const client = await database.pool.connect();
  try {
    await client.query("SET statement_timeout = 0");
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      const db = drizzle({ client, schema, casing: "snake_case" }) as unknown as Db;
      await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    // Not back to the pool: its session settings differ from the pool's.
    client.release(true);
  }
}

/**
 * Run `fn` in one transaction, with both a Drizzle handle and the raw `pg` client (for pg-boss sends
 * that must commit or roll back with the rows they refer to).
 */
export async function inTransaction<T>(
  database: Pick<Database, "pool">,
  fn: (tx: Db, client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await database.pool.connect();
  let result: T;
  try {
    await client.query("BEGIN");
    const tx = drizzle({ client, schema, casing: "snake_case" }) as unknown as Db;
    result = await fn(tx, client);
  } catch (err) {
    const rolledBack = await client.query("ROLLBACK").then(
      () => true,
      () => false,
    );
    // A connection that cannot even roll back is broken: drop it instead of pooling it.
    client.release(rolledBack ? undefined : true);
    throw err;
  }
  try {
    await client.query("COMMIT");
  } catch (err) {
    client.release(true);
    // The server refused the commit (a deferred constraint, a serialisation failure): rolled back.
    // No answer at all (the connection broke): it may have committed.
    if (isDatabaseUnavailable(err)) throw new CommitOutcomeUnknownError(err);
    throw err;
  }
  client.release();
  return result;
}

/**
 * COMMIT was sent and no answer came (the connection broke): the transaction may have committed or not.
 * Whoever placed files for it must not remove them now — a committed row would name a missing file —
 * but leave them to the placement journal, resolved at the next start (src/storage.ts). Wraps the
 * connection error, so the request is still answered 503 (isDatabaseUnavailable follows `cause`).
 */
export class CommitOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super("the database connection broke during COMMIT: the transaction may or may not have committed", {
      cause,
    });
    this.name = "CommitOutcomeUnknownError";
  }
}
