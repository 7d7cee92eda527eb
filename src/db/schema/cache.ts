import { bigint, pgTable, varchar } from "drizzle-orm/pg-core";

/**
 * Cache generations. Statement-level triggers (migration 0002) bump `targets` on every change to
 * targets, aliases, groups and light-curve points, and `plots` on light-curve changes. A process caches
 * a query result under the generation it read before running the query, so a change committed by any
 * process (or by the CLI) invalidates every cache at once.
 */
export const cacheVersions = pgTable("cache_versions", {
  name: varchar({ length: 50 }).primaryKey(),
  version: bigint({ mode: "number" }).notNull().default(0),
});
