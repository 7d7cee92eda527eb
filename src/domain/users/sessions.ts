/**
 * Web UI login sessions. A session id is 32 random bytes (64 hex characters) given to the browser once;
 * only its SHA-256 is stored. A session ends at its expiry, at logout, or as soon as its user is
 * deactivated (checked on every request).
 */
import { createHash, randomBytes } from "node:crypto";
import { and, eq, lt, ne } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { sessions, users } from "../../db/schema/index.ts";
import type { UserRow } from "./repo.ts";

/** Lifetime of a session, days (not sliding: a login lasts this long at most). */
export const SESSION_DAYS = 14;
export const SESSION_ID_PATTERN = /^[0-9a-f]{64}$/;

export function hashSessionId(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}

/** A new session for this user (a login: sets last_login); returns the id for the cookie and its expiry. */
export async function createSession(db: Executor, userId: number): Promise<{ id: string; expires: Date }> {
  const id = randomBytes(32).toString("hex");
  const expires = new Date(Date.now() + SESSION_DAYS * 86_400_000);
  // Expired sessions are removed here, so the table does not grow without bound.
  await db.delete(sessions).where(lt(sessions.expires, new Date()));
  await db.insert(sessions).values({ idHash: hashSessionId(id), userId, expires });
  await db.update(users).set({ lastLogin: new Date() }).where(eq(users.id, userId));
  return { id, expires };
}

/** The active user of an unexpired session, or null (unknown, expired, or a deactivated user). */
export async function sessionUser(db: Executor, id: string): Promise<UserRow | null> {
  if (!SESSION_ID_PATTERN.test(id)) return null;
  const [row] = await db
    .select({ user: users, expires: sessions.expires })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.idHash, hashSessionId(id)))
    .limit(1);
  if (!row || row.expires.getTime() <= Date.now() || !row.user.isActive) return null;
  return row.user;
}

export async function deleteSession(db: Executor, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, hashSessionId(id)));
}

/** End every session of a user except `keepId` (after a password change). Returns how many ended. */
export async function deleteOtherSessions(
  db: Executor,
  userId: number,
  keepId: string | null,
): Promise<number> {
  const where = keepId
    ? and(eq(sessions.userId, userId), ne(sessions.idHash, hashSessionId(keepId)))
    : eq(sessions.userId, userId);
  const rows = await db.delete(sessions).where(where).returning({ id: sessions.idHash });
  return rows.length;
}
