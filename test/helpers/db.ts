/**
 * Test databases on both engines. PGlite always; PostgreSQL too when SKYTOM_TEST_DATABASE_URL is set
 * (a server URL; each test file creates its own database there, a copy of the migrated template made in
 * the global setup, and drops it afterwards).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openDatabase, runMigrations, type Database, type Engine } from "../../src/db/connection.ts";
import { copyTemplate, createPgDatabase } from "./template.ts";

export const ENGINES: Engine[] = process.env.SKYTOM_TEST_DATABASE_URL ? ["pglite", "postgresql"] : ["pglite"];

export interface TestDatabase {
  database: Database;
  /** Data directory for files (and the embedded database). */
  dataDir: string;
  /** Close and open the same database again (a restart). */
  reopen(): Promise<Database>;
  destroy(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.SKYTOM_TEST_DATABASE_URL;
  if (!url) throw new Error("SKYTOM_TEST_DATABASE_URL is not set");
  return url;
}

/**
 * Name of a new per-file test database: the run's database name (SKYTOM_TEST_DATABASE_URL) + `_t_` + random,
 * so that `scripts/ci-db.mjs drop` removes this run's leftovers and never another run's databases.
 */
export function testDatabaseName(parentUrl = adminUrl()): string {
  const parent = new URL(parentUrl).pathname
    .slice(1)
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 40);
  return `${parent}_t_${randomBytes(6).toString("hex")}`;
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), "skytom-test-"));
  let databaseUrl: string | undefined;
  let dbName = "";
  if (engine === "postgresql") {
    dbName = testDatabaseName();
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await createPgDatabase(admin, adminUrl(), dbName);
    await admin.end();
    const u = new URL(adminUrl());
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  } else {
    copyTemplate(dataDir);
  }
  const open = async () => {
    const d = await openDatabase({ dataDir, databaseUrl }, { forceHost: engine === "pglite" });
    await runMigrations(d);
    return d;
  };
  const handle: TestDatabase = {
    database: await open(),
    dataDir,
    async reopen() {
      await handle.database.close();
      handle.database = await open();
      return handle.database;
    },
    async destroy() {
      await handle.database.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (engine === "postgresql") {
        const admin = new pg.Client({ connectionString: adminUrl() });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await admin.end();
      }
    },
  };
  return handle;
}
