import { loadConfig } from "../config.ts";
import type { Database } from "../db/connection.ts";

/**
 * Run an operator command against the instance's database: through the running server's socket when
 * `npm start` is up on the same data directory, else by opening the data directory (or DATABASE_URL).
 */
export async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  // Imported here, not at the top: the database driver and the schema are most of a start's time, and
  // commands that do not open the database (fits, the observer commands, --help) need neither.
  const { openDatabase, runMigrations } = await import("../db/connection.ts");
  const database = await openDatabase(loadConfig(), { max: 2 });
  try {
    if (database.hostsEmbedded || database.engine === "postgresql") await runMigrations(database);
    return await fn(database);
  } finally {
    await database.close();
  }
}
