import { sql } from "drizzle-orm";
import { boolean, char, index, integer, pgTable, serial, timestamp, varchar } from "drizzle-orm/pg-core";

/** Accounts. `password` holds an scrypt hash string with its parameters (see domain/users/passwords.ts). */
export const users = pgTable("users", {
  id: serial().primaryKey(),
  username: varchar({ length: 150 }).notNull().unique(),
  email: varchar({ length: 254 }).notNull().default(""),
  firstName: varchar({ length: 150 }).notNull().default(""),
  lastName: varchar({ length: 150 }).notNull().default(""),
  password: varchar({ length: 255 }).notNull(),
  isActive: boolean().notNull().default(true),
  isStaff: boolean().notNull().default(false),
  isSuperuser: boolean().notNull().default(false),
  dateJoined: timestamp({ withTimezone: true, precision: 6 })
    .notNull()
    .default(sql`now()`),
  lastLogin: timestamp({ withTimezone: true, precision: 6 }),
});

/** API tokens, stored as SHA-256 of the 40-hex key only; every login issues a new one. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: serial().primaryKey(),
    keyHash: char({ length: 64 }).notNull().unique(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    created: timestamp({ withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`now()`),
    lastUsed: timestamp({ withTimezone: true, precision: 6 }),
  },
  (t) => [index().on(t.userId)],
);
