/**
 * A PostgreSQL database for a benchmark, kept between runs so large generated data is made once.
 * SKYTOM_BENCH_DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/postgres);
 * null (and a JSON line saying so) when it does not answer.
 */
import pg from "pg";
import { openDatabase, runMigrations, type Database } from "../src/db/connection.ts";

export const BENCH_SERVER =
  process.env.SKYTOM_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export async function openBenchDatabase(name: string, bench: string): Promise<Database | null> {
  const admin = new pg.Client({ connectionString: BENCH_SERVER });
  try {
    await admin.connect();
  } catch {
    console.log(JSON.stringify({ bench, skipped: "PostgreSQL not reachable", url: BENCH_SERVER }));
    return null;
  }
  const exists = (await admin.query("select 1 from pg_database where datname = $1", [name])).rowCount;
  if (!exists) await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(BENCH_SERVER);
  url.pathname = `/${name}`;
  const database = await openDatabase(
    { dataDir: "/tmp/skytom-bench", databaseUrl: url.toString() },
    { max: 8 },
  );
  await runMigrations(database);
  return database;
}
