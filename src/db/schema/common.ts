import { sql } from "drizzle-orm";
import { timestamp } from "drizzle-orm/pg-core";

/** `created`/`modified` as every BHTOM model has them (UTC, microseconds). */
export const created = () =>
  timestamp({ withTimezone: true, precision: 6 })
    .notNull()
    .default(sql`now()`);
export const modified = () =>
  timestamp({ withTimezone: true, precision: 6 })
    .notNull()
    .default(sql`now()`)
    .$onUpdate(() => new Date());
export const tstz = () => timestamp({ withTimezone: true, precision: 6 });
