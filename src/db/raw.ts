/**
 * SQL text beside Drizzle, for the few hot queries written by hand: the driver under a Drizzle handle,
 * whether it is a PostgreSQL server or the embedded database, prepared-statement names, and column lists
 * that give raw rows a table's row type.
 */
import { getTableColumns, type Table } from "drizzle-orm";
import type pg from "pg";
import type { Executor } from "./connection.ts";

/**
 * The `pg` pool or client under a Drizzle handle (an open transaction's too), for the few hot queries
 * that are written as SQL text: no query building, rows as the driver gives them.
 */
export function rawClient(db: Executor): Pick<pg.Pool, "query"> {
  const handle = db as unknown as { $client?: pg.Pool; session?: { client: pg.Pool } };
  const client = handle.$client ?? handle.session?.client;
  if (!client) throw new Error("rawClient: not a node-postgres Drizzle handle");
  return client;
}

/**
 * True when `db` is a pool of connections to a PostgreSQL server, each its own session. The embedded
 * database serves every pooled connection from one session (so parallel statements only queue, and a
 * statement prepared by one client would clash with another client's of the same name).
 */
export function onServer(db: Executor): boolean {
  return !!(rawClient(db) as Partial<pg.Pool>).options?.connectionString;
}

/** A prepared statement's name on a PostgreSQL server; none (unnamed) on the embedded database. */
export function preparedName(db: Executor, name: string): string | undefined {
  return onServer(db) ? name : undefined;
}

/** Drizzle's snake_case name of a camelCase column key (`hasOptical` → `has_optical`). */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `alias.column as "key"` for every column of a table: raw rows then have the table's row type. */
export function selectColumns(table: Table, alias: string): string {
  return Object.keys(getTableColumns(table))
    .map((key) => `${alias}.${snakeCase(key)} as "${key}"`)
    .join(", ");
}
