import { loadConfig } from "../config.ts";
import { openDatabase, runMigrations, type Database } from "../db/connection.ts";

/**
 * Run an operator command against the instance's database: through the running server's socket when
 * `npm start` is up on the same data directory, else by opening the data directory (or DATABASE_URL).
 */
export async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(loadConfig(), { max: 2 });
  try {
    if (database.hostsEmbedded || database.engine === "postgresql") await runMigrations(database);
    return await fn(database);
  } finally {
    await database.close();
  }
}
