import { and, eq, gte, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { apiTokens, users } from "../../db/schema/index.ts";

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;

export async function findUserByUsername(db: Executor, username: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.username, username)).limit(1);
  return row;
}

export async function insertUser(db: Executor, row: NewUserRow): Promise<UserRow> {
  const [created] = await db.insert(users).values(row).returning();
  return created;
}

export async function updateUserRow(db: Executor, id: number, patch: Partial<NewUserRow>): Promise<UserRow> {
  const [updated] = await db.update(users).set(patch).where(eq(users.id, id)).returning();
  return updated;
}

export async function selectUsers(
  db: Executor,
  filters: { id?: number; username?: string; joinedOnOrAfter?: Date },
): Promise<UserRow[]> {
  const where: SQL[] = [];
  if (filters.id !== undefined) where.push(eq(users.id, filters.id));
  if (filters.username !== undefined) where.push(eq(users.username, filters.username));
  if (filters.joinedOnOrAfter) where.push(gte(users.dateJoined, filters.joinedOnOrAfter));
  return db
    .select()
    .from(users)
    .where(where.length ? and(...where) : undefined)
    .orderBy(users.id);
}

export async function insertToken(db: Executor, userId: number, keyHash: string): Promise<void> {
  await db.insert(apiTokens).values({ userId, keyHash });
}

/** The user owning a token hash, or undefined. */
export async function findUserByTokenHash(db: Executor, keyHash: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select({ user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.keyHash, keyHash))
    .limit(1);
  return row?.user;
}

export async function deleteToken(db: Executor, keyHash: string): Promise<number> {
  const rows = await db
    .delete(apiTokens)
    .where(eq(apiTokens.keyHash, keyHash))
    .returning({ id: apiTokens.id });
  return rows.length;
}

export async function deleteUserTokens(db: Executor, userId: number): Promise<number> {
  const rows = await db.delete(apiTokens).where(eq(apiTokens.userId, userId)).returning({ id: apiTokens.id });
  return rows.length;
}

export async function countUserTokens(db: Executor, userId: number): Promise<number> {
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId));
  return n;
}

export async function touchLastLogin(db: Executor, userId: number): Promise<void> {
  await db.update(users).set({ lastLogin: new Date() }).where(eq(users.id, userId));
}
