/**
 * Accounts awaiting approval (staff): sign-up creates an inactive account; staff approve it (active, it
 * can log in) or reject it. Rejecting deletes the account, but only one that has never been used (no
 * login, no token ever issued): an account deactivated after use keeps its rows and stays inactive.
 */
import { asc, count, eq } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { users } from "../../db/schema/index.ts";
import { BadRequestError, NotFoundError } from "../errors.ts";
import { requireAccountManager, requireStaff, SYSTEM, type Actor } from "../permissions.ts";
import type { PublicUser } from "./schemas.ts";
import { createUser, toPublicUser, updateUser } from "./service.ts";

export interface SignUpInput {
  username: string;
  password: string;
  email: string;
  first_name?: string;
  last_name?: string;
}

/**
 * A visitor's sign-up: an inactive account without staff rights, made by the system on the visitor's
 * behalf (the fields it takes cannot ask for more). Staff approve it before it can log in.
 */
export async function signUp(db: Executor, input: SignUpInput): Promise<PublicUser> {
  return createUser(db, SYSTEM, {
    username: input.username,
    password: input.password,
    email: input.email,
    first_name: input.first_name ?? "",
    last_name: input.last_name ?? "",
    is_active: false,
    is_staff: false,
    is_superuser: false,
  });
}

/** Staff: inactive accounts, oldest first (at most `limit`), and how many there are. */
export async function pendingAccounts(
  db: Executor,
  actor: Actor,
  limit = 200,
): Promise<{ count: number; items: PublicUser[] }> {
  requireStaff(actor);
  const [{ n }] = await db.select({ n: count() }).from(users).where(eq(users.isActive, false));
  const rows = await db
    .select()
    .from(users)
    .where(eq(users.isActive, false))
    .orderBy(asc(users.dateJoined), asc(users.id))
    .limit(limit);
  return { count: n, items: rows.map(toPublicUser) };
}

/** Staff: make an inactive account active (a superuser's account only by a superuser). */
export async function approveAccount(db: Executor, actor: Actor, username: string): Promise<PublicUser> {
  requireStaff(actor);
  return updateUser(db, actor, username, { is_active: true });
}

/**
 * Staff: delete an inactive account that was never used (never logged in). An active account, or one
 * that was used, is refused with a 400: deactivate it instead.
 */
export async function rejectAccount(db: Executor, actor: Actor, username: string): Promise<void> {
  requireStaff(actor);
  const [row] = await db.select().from(users).where(eq(users.username, username)).limit(1);
  if (!row) throw new NotFoundError(`User ${username} does not exist.`);
  requireAccountManager(actor, row, false);
  if (row.isActive)
    throw new BadRequestError(`${username} is active: only a pending account can be rejected.`);
  if (row.lastLogin !== null) {
    throw new BadRequestError(
      `${username} has been used before; it stays inactive instead of being deleted.`,
    );
  }
  await db.delete(users).where(eq(users.id, row.id));
}
