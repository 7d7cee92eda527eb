/**
 * Survey harvests (docs/harvesters.md): per target and source, when it was last asked, what came of it,
 * and the source's own identifier of the object; and the name resolver's answers, cached.
 */
import { doublePrecision, integer, jsonb, pgTable, serial, text, unique, varchar } from "drizzle-orm/pg-core";
import { created, tstz } from "./common.ts";
import { targets } from "./targets.ts";

/** The last harvest of one source for one target: shown on the target page, returned by the API. */
export const harvestStates = pgTable(
  "harvest_states",
  {
    id: serial().primaryKey(),
    targetId: integer()
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    /** The source (src/harvesters/types.ts SOURCES). */
    source: varchar({ length: 50 }).notNull(),
    /** The source's identifier of the object (alert name, ZTF object id, Gaia source_id). */
    objectId: varchar({ length: 200 }).notNull().default(""),
    /** When the source was last asked (successfully or not). */
    lastAttempt: tstz().notNull(),
    /** When the source last answered with a light curve. */
    lastSuccess: tstz(),
    /** Why the last attempt failed; null after a success. */
    lastError: text(),
    /** Points the last successful harvest added (0 when all were already stored). */
    pointsAdded: integer().notNull().default(0),
    /** Points the source returned at the last successful harvest. */
    pointsReturned: integer().notNull().default(0),
  },
  (t) => [unique().on(t.targetId, t.source)],
);

/**
 * Name resolutions (CDS Sesame, the Gaia Alerts index), cached by the name as asked (lower case, spaces
 * collapsed): a position and the other identifiers, or "not found".
 */
export const nameResolutions = pgTable("name_resolutions", {
  id: serial().primaryKey(),
  query: varchar({ length: 200 }).notNull().unique(),
  /** The resolver that answered ("Sesame", "GaiaAlerts"), "" when none knew the name. */
  resolver: varchar({ length: 50 }).notNull().default(""),
  raDeg: doublePrecision(),
  decDeg: doublePrecision(),
  /** Other identifiers of the object, as the resolver spells them. */
  identifiers: jsonb().$type<string[]>().notNull().default([]),
  created: created(),
});
