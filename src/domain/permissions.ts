/**
 * Who may do what. A superuser has every staff right. Every mutating service call checks its caller
 * through these functions, so the rules live in one place.
 *
 * A caller is a signed-in user (`Actor`) or the operator at the machine (`SYSTEM`: the skytom command,
 * `skytom demo`, the superuser ensured at start). The system caller is explicit, never a missing actor:
 * it passes every check, and owns nothing (what it creates belongs to a user it names).
 */
import { ForbiddenError } from "./errors.ts";

/** A signed-in user (API token or web session). */
export interface Actor {
  kind?: "user";
  id: number;
  username: string;
  isStaff: boolean;
  isSuperuser: boolean;
}

/** The operator at the machine. */
export interface SystemActor {
  readonly kind: "system";
}

/** Whoever calls a service: a user, or the system. */
export type Caller = Actor | SystemActor;

export const SYSTEM: SystemActor = Object.freeze({ kind: "system" as const });

export function isSystem(caller: Caller): caller is SystemActor {
  return caller.kind === "system";
}

export function isStaff(caller: Caller): boolean {
  return isSystem(caller) || caller.isStaff || caller.isSuperuser;
}

function isSuperuser(caller: Caller): boolean {
  return isSystem(caller) || caller.isSuperuser;
}

export function requireStaff(caller: Caller): void {
  if (!isStaff(caller)) throw new ForbiddenError("Access denied. You must be an admin.");
}

export function requireSuperuser(caller: Caller): void {
  if (!isSuperuser(caller)) throw new ForbiddenError("Access denied. You must be a superuser.");
}

/** The owner of an object, or staff. */
export function requireOwnerOrStaff(caller: Caller, ownerId: number | null, what = "this object"): void {
  if (isSystem(caller) || isStaff(caller) || ownerId === caller.id) return;
  throw new ForbiddenError(`Only the owner of ${what} or staff may change it.`);
}

/**
 * Staff manage accounts, but only a superuser may make a superuser or change a superuser's account
 * (else any staff member could raise themselves to superuser or take over a superuser's login).
 */
export function requireAccountManager(
  caller: Caller,
  target: { isSuperuser: boolean },
  makesSuperuser: boolean,
): void {
  requireStaff(caller);
  if ((target.isSuperuser || makesSuperuser) && !isSuperuser(caller)) {
    throw new ForbiddenError("Only a superuser may grant superuser status or change a superuser's account.");
  }
}
