import { char, index, integer, pgTable } from "drizzle-orm/pg-core";
import { created, tstz } from "./common.ts";
import { users } from "./users.ts";

/**
 * Web UI login sessions. The browser holds a random 32-byte id (cookie `skytom_session`); only its
 * SHA-256 is stored, so a leaked database does not leak working sessions.
 */
export const sessions = pgTable(
  "sessions",
  {
    idHash: char({ length: 64 }).primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    created: created(),
    expires: tstz().notNull(),
  },
  (t) => [index().on(t.userId), index().on(t.expires)],
);
