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
}

export async function openDatabase(
  config: Pick<Config, "dataDir" | "databaseUrl">,
  opts: OpenOptions = {},
): Promise<Database> {
  let host: EmbeddedHost | null = null;
  let poolConfig: pg.PoolConfig;
  let engine: Engine;
  if (config.databaseUrl) {
    engine = "postgresql";
    poolConfig = { connectionString: config.databaseUrl, max: opts.max ?? 10 };
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
  // An idle client's error (server restart, socket closed) must not crash the process.
  pool.on("error", () => undefined);
  const db = drizzle({ client: pool, schema, casing: "snake_case" }) as Db;
  let closed = false;
  return {
    db,
    pool,
    engine,
    hostsEmbedded: host !== null,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
      await host?.stop();
    },
  };
}

/** Apply pending SQL migrations from drizzle/ (idempotent). */
export async function runMigrations(database: Database): Promise<void> {
  await migrate(database.db, { migrationsFolder: MIGRATIONS_DIR });
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
  try {
    await client.query("BEGIN");
    const tx = drizzle({ client, schema, casing: "snake_case" }) as unknown as Db;
    const result = await fn(tx, client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
