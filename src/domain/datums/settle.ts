/**
 * Settling a bulk load of light-curve points (docs/performance.md, "Cold 1M-point download"). Rows just
 * inserted carry no hint bits and their pages are not all-visible, so the first downloads of them visit
 * the heap of every row (and the first one writes every page back to set the hint bits): a million
 * freshly loaded points were downloaded in 1.12 s cold, 0.74 s once vacuumed. PostgreSQL's autovacuum
 * gets there by itself only after `autovacuum_vacuum_insert_threshold` + 20 % of the table's rows were
 * inserted — never, for a million points added to a table of ten million, until much more follows — and
 * not at all where it is off. So the paths that store many points at once (light-curve uploads,
 * harvests) vacuum the points' table right after their commit.
 *
 * `VACUUM` reads only the pages not yet all-visible (the new ones) and, with no dead rows (inserts with
 * ON CONFLICT DO NOTHING leave none), skips the indexes; SKIP_LOCKED makes it give way at once to a
 * vacuum already running (another process, autovacuum). It cannot run inside a transaction: hence `Db`.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/connection.ts";

/** Points stored by one commit from which the table is vacuumed right after it. */
export const SETTLE_AFTER_POINTS = 10_000;

/**
 * After a commit that stored `stored` points: vacuum the points' table when they were many. Returns
 * whether it did. A failure is not the load's (its points are stored): it becomes a process warning on
 * stderr (code SKYTOM_SETTLE), never an error of the request or job that loaded them.
 */
export async function settleBulkLoad(db: Db, stored: number): Promise<boolean> {
  if (stored < SETTLE_AFTER_POINTS) return false;
  try {
    await db.execute(sql`VACUUM (SKIP_LOCKED) reduced_datums`);
    return true;
  } catch (err) {
    process.emitWarning(`vacuum after a bulk load of ${stored} points failed: ${(err as Error).message}`, {
      code: "SKYTOM_SETTLE",
    });
    return false;
  }
}
