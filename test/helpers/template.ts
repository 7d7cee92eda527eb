/**
 * A migrated PGlite data directory made once per test run (initdb takes seconds) and copied for each
 * test file. Its name carries a hash of the migrations, so a schema change makes a new one.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS_DIR, openDatabase, runMigrations } from "../../src/db/connection.ts";

export function templateDir(): string {
  const hash = createHash("sha256");
  for (const f of readdirSync(MIGRATIONS_DIR).sort()) {
    if (f.endsWith(".sql")) hash.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  }
  return join(tmpdir(), `skytom-test-template-${hash.digest("hex").slice(0, 12)}`);
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
