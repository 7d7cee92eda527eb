/**
 * A migrated PGlite data directory made once per test run (initdb takes seconds) and copied for each
 * test file; with SKYTOM_TEST_DATABASE_URL, likewise a migrated PostgreSQL database that each test file's
 * database is created from (`CREATE DATABASE … TEMPLATE`: ~0.5 s instead of ~2 s of migrations). Their
 * names carry a hash of the migrations, so a schema change makes new ones.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { MIGRATIONS_DIR, openDatabase, runMigrations } from "../../src/db/connection.ts";

function migrationsHash(): string {
  const hash = createHash("sha256");
  for (const f of readdirSync(MIGRATIONS_DIR).sort()) {
    if (f.endsWith(".sql")) hash.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  }
  return hash.digest("hex").slice(0, 12);
}

export function templateDir(): string {
  return join(tmpdir(), `skytom-test-template-${migrationsHash()}`);
}

/**
 * Name of the migrated PostgreSQL template database next to `adminUrl`'s: the run's database name +
 * `_t_tpl_` + the migrations' hash (a `_t_` name, so `scripts/ci-db.mjs drop` removes it with the run's).
 */
export function pgTemplateName(adminUrl: string): string {
  const parent = new URL(adminUrl).pathname
    .slice(1)
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 40);
  return `${parent}_t_tpl_${migrationsHash()}`;
}

async function pgDatabaseExists(admin: pg.Client, name: string): Promise<boolean> {
  return (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
}

/** Create the migrated PostgreSQL template (once per schema; global setup); returns its name. */
export async function ensurePgTemplate(adminUrl: string): Promise<string> {
  const name = pgTemplateName(adminUrl);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    if (await pgDatabaseExists(admin, name)) return name;
    const building = `${name}_b`;
    await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${building}`);
    const u = new URL(adminUrl);
    u.pathname = `/${building}`;
    const database = await openDatabase({ dataDir: tmpdir(), databaseUrl: u.toString() });
    await runMigrations(database);
    await database.close();
    // Renamed only once complete: a half-migrated template is never used.
    await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
    return name;
  } finally {
    await admin.end();
  }
}

/** CREATE DATABASE `name`, from the migrated template when there is one (else empty, to migrate). */
export async function createPgDatabase(admin: pg.Client, adminUrl: string, name: string): Promise<void> {
  const template = pgTemplateName(adminUrl);
  if (await pgDatabaseExists(admin, template)) {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } else {
    await admin.query(`CREATE DATABASE ${name}`);
  }
}

export async function ensureTemplate(): Promise<string> {
  const dir = templateDir();
  if (existsSync(join(dir, "pg", "PG_VERSION"))) return dir;
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const database = await openDatabase({ dataDir: building, databaseUrl: undefined }, { forceHost: true });
  await runMigrations(database);
  await database.close();
  rmSync(join(building, "skytom.pid"), { force: true });
  if (!existsSync(dir)) renameSync(building, dir);
  else rmSync(building, { recursive: true, force: true });
  return dir;
}

export function copyTemplate(target: string): void {
  cpSync(join(templateDir(), "pg"), join(target, "pg"), { recursive: true });
}
