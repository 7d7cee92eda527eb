/**
 * Accounts and API tokens: create and update users, list them for staff, log in with a password to get
 * a token, and authenticate requests by token.
 */
import type { Executor } from "../../db/connection.ts";
import { users } from "../../db/schema/index.ts";
import { preparedName, rawClient, selectColumns } from "../../db/raw.ts";
import { GENERATIONS_JSON, type Generations } from "../cache.ts";
import { AuthenticationError, NotFoundError, ValidationError, type FieldErrors } from "../errors.ts";
import { instantToDate } from "../dateparse.ts";
import { filterDate } from "../input.ts";
import { requireAccountManager, requireStaff, SYSTEM, type Actor, type Caller } from "../permissions.ts";
import { DECOY_HASH, hashPassword, verifyPassword } from "./passwords.ts";
import type { LoginThrottle } from "./throttle.ts";
import * as repo from "./repo.ts";
import type { CreateUserInput, ListUsersInput, PublicUser, UpdateUserInput } from "./schemas.ts";
import { generateToken, hashToken } from "./tokens.ts";

export type { UserRow } from "./repo.ts";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Never a password hash or token: only these fields leave the domain. */
export function toPublicUser(row: repo.UserRow): PublicUser {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    first_name: row.firstName,
    last_name: row.lastName,
    is_active: row.isActive,
    is_staff: row.isStaff,
    is_superuser: row.isSuperuser,
    date_joined: row.dateJoined.toISOString(),
    last_login: row.lastLogin ? row.lastLogin.toISOString() : null,
  };
}

export function toActor(row: repo.UserRow): Actor {
  return { id: row.id, username: row.username, isStaff: row.isStaff, isSuperuser: row.isSuperuser };
}

function checkEmail(email: string | undefined, errors: FieldErrors): void {
  if (email && !EMAIL.test(email)) errors.email = ["Enter a valid email address."];
}

export async function createUser(db: Executor, caller: Caller, input: CreateUserInput): Promise<PublicUser> {
  requireAccountManager(caller, { isSuperuser: false }, input.is_superuser === true);
  const errors: FieldErrors = {};
  checkEmail(input.email, errors);
  if (await repo.findUserByUsername(db, input.username)) {
    errors.username = ["A user with that username already exists."];
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const row = await repo.insertUser(db, {
    username: input.username,
    password: await hashPassword(input.password),
    email: input.email ?? "",
    firstName: input.first_name ?? "",
    lastName: input.last_name ?? "",
    isActive: input.is_active ?? true,
    isStaff: input.is_staff ?? false,
    isSuperuser: input.is_superuser ?? false,
  });
  return toPublicUser(row);
}

export async function updateUser(
  db: Executor,
  caller: Caller,
  username: string,
  input: UpdateUserInput,
): Promise<PublicUser> {
  requireStaff(caller);
  const existing = await repo.findUserByUsername(db, username);
  if (!existing) throw new NotFoundError(`User ${username} does not exist.`);
  requireAccountManager(caller, existing, input.is_superuser === true);
  const errors: FieldErrors = {};
  checkEmail(input.email, errors);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const patch: Partial<repo.NewUserRow> = {};
  if (input.password !== undefined) patch.password = await hashPassword(input.password);
  if (input.email !== undefined) patch.email = input.email;
  if (input.first_name !== undefined) patch.firstName = input.first_name;
  if (input.last_name !== undefined) patch.lastName = input.last_name;
  if (input.is_active !== undefined) patch.isActive = input.is_active;
  if (input.is_staff !== undefined) patch.isStaff = input.is_staff;
  if (input.is_superuser !== undefined) patch.isSuperuser = input.is_superuser;
  const row = Object.keys(patch).length ? await repo.updateUserRow(db, existing.id, patch) : existing;
  return toPublicUser(row);
}

export async function listUsers(
  db: Executor,
  caller: Caller,
  filters: ListUsersInput,
): Promise<PublicUser[]> {
  requireStaff(caller);
  const joined = filterDate(filters.created, "created");
  const rows = await repo.selectUsers(db, {
    id: filters.id ? Number(filters.id) : undefined,
    username: filters.username || undefined,
    joinedOnOrAfter: joined && instantToDate(joined),
  });
  return rows.map(toPublicUser);
}

const BAD_LOGIN = "Unable to log in with provided credentials.";
const INACTIVE_LOGIN = "This account is not active yet: a staff member has to approve it first.";

/**
 * Password login → a new token (each login issues one; earlier ones stay valid until revoked).
 * Differs from BHTOM2: inactive users (registrations awaiting approval) get no token.
 */
export async function login(
  db: Executor,
  username: string,
  password: string,
  guard?: LoginGuard,
): Promise<string> {
  return issueToken(db, await checkCredentials(db, username, password, { guard }));
}

/** Login throttling of a password check: the process's throttle and the client's address. */
export interface LoginGuard {
  throttle: LoginThrottle;
  address: string;
}

/**
 * The active user with this username and password, else ValidationError with one message for every
 * cause; with `explainInactive`, the right password of an inactive account gets its own message (the
 * web login tells a new user their registration awaits approval).
 */
export async function checkCredentials(
  db: Executor,
  username: string,
  password: string,
  opts: { explainInactive?: boolean; guard?: LoginGuard } = {},
): Promise<repo.UserRow> {
  const { guard } = opts;
  if (guard) {
    // Within the limits of throttle.ts; a refused password counts against the username.
    return guard.throttle.attempt(
      guard.address,
      username,
      () => checkCredentials(db, username, password, { explainInactive: opts.explainInactive }),
      (err) => err instanceof ValidationError,
    );
  }
  const user = await repo.findUserByUsername(db, username);
  // Always one scrypt: an unknown username (or one without a usable password) takes as long as a
  // wrong password, so response times do not tell which usernames exist.
  const usable = user?.password.startsWith("scrypt$") ? user.password : null;
  const matches = await verifyPassword(password, usable ?? DECOY_HASH);
  const ok = usable !== null && matches;
  if (user && ok && !user.isActive && opts.explainInactive)
    throw new ValidationError({ non_field_errors: [INACTIVE_LOGIN] });
  if (!user || !ok || !user.isActive) throw new ValidationError({ non_field_errors: [BAD_LOGIN] });
  return user;
}

/** A user changes their own password; the old one must be given. New: 8 to 4096 characters. */
export async function changePassword(
  db: Executor,
  actor: Actor,
  oldPassword: string,
  newPassword: string,
): Promise<void> {
  const user = await findUser(db, actor.username);
  const errors: FieldErrors = {};
  if (!(await verifyPassword(oldPassword, user.password)))
    errors.old_password = ["Your old password was entered incorrectly."];
  if (newPassword.length < 8) errors.new_password = ["Ensure this field has at least 8 characters."];
  else if (newPassword.length > 4096)
    errors.new_password = ["Ensure this field has no more than 4096 characters."];
  if (Object.keys(errors).length) throw new ValidationError(errors);
  await repo.updateUserRow(db, user.id, { password: await hashPassword(newPassword) });
}

/** How many API tokens a user holds. */
export async function countTokens(db: Executor, userId: number): Promise<number> {
  return repo.countUserTokens(db, userId);
}

export async function issueToken(db: Executor, user: repo.UserRow): Promise<string> {
  const key = generateToken();
  await repo.insertToken(db, user.id, hashToken(key));
  await repo.touchLastLogin(db, user.id);
  return key;
}

/**
 * The active user owning this token, else AuthenticationError with DRF's messages. One statement, no
 * cache (named prepared statements are not used: PGlite multiplexes every pooled connection onto one
 * session, where the names would collide): a revoked token or a deactivated user is refused on the very next request, in
 * every process. The same round trip reads every cache generation (see domain/cache.ts), so that a
 * cached answer needs no second query; `generations` is that snapshot, read before the request's queries.
 */
export async function authenticateToken(db: Executor, key: string): Promise<repo.UserRow> {
  return (await authenticateTokenWithGenerations(db, key)).user;
}

const TOKEN_USER_SQL = `select ${selectColumns(users, "u")}, ${GENERATIONS_JSON} as "__generations"
  from api_tokens k join users u on u.id = k.user_id where k.key_hash = $1 limit 1`;

export async function authenticateTokenWithGenerations(
  db: Executor,
  key: string,
): Promise<{ user: repo.UserRow; generations: Generations }> {
  const res = await rawClient(db).query<repo.UserRow & { __generations: Generations | null }>({
    // Every token-authenticated request runs it: prepared once per connection.
    name: preparedName(db, "token_user"),
    text: TOKEN_USER_SQL,
    values: [hashToken(key)],
  });
  const row = res.rows[0];
  if (!row) throw new AuthenticationError("Invalid token.");
  const { __generations: generations, ...user } = row;
  if (!user.isActive) throw new AuthenticationError("User inactive or deleted.");
  return { user, generations: generations ?? {} };
}

export async function revokeToken(db: Executor, key: string): Promise<boolean> {
  return (await repo.deleteToken(db, hashToken(key))) > 0;
}

export async function findUser(db: Executor, username: string): Promise<repo.UserRow> {
  const user = await repo.findUserByUsername(db, username);
  if (!user) throw new NotFoundError(`User ${username} does not exist.`);
  return user;
}

/** Operator: a new token for a user (CLI `skytom user token NAME`). */
export async function tokenForUser(db: Executor, username: string): Promise<string> {
  const user = await findUser(db, username);
  if (!user.isActive) throw new ValidationError({ username: ["This account is inactive."] });
  return issueToken(db, user);
}

export async function revokeAllTokens(db: Executor, username: string): Promise<number> {
  return repo.deleteUserTokens(db, (await findUser(db, username)).id);
}

/**
 * Make sure the configured superuser exists, is active and has this password (SKYTOM_ADMIN_USER /
 * SKYTOM_ADMIN_PASSWORD at start). Returns "created" or "updated".
 */
export async function ensureSuperuser(
  db: Executor,
  username: string,
  password: string,
): Promise<"created" | "updated"> {
  const existing = await repo.findUserByUsername(db, username);
  if (!existing) {
    await createUser(db, SYSTEM, { username, password, is_staff: true, is_superuser: true });
    return "created";
  }
  const samePassword = await verifyPassword(password, existing.password);
  await repo.updateUserRow(db, existing.id, {
    isActive: true,
    isStaff: true,
    isSuperuser: true,
    ...(samePassword ? {} : { password: await hashPassword(password) }),
  });
  return "updated";
}
