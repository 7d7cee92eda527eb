/**
 * Who may do what. A superuser has every staff right. Every mutating service call checks its caller
 * through these functions, so the rules live in one place.
 */
import { ForbiddenError } from "./errors.ts";

export interface Actor {
  id: number;
  username: string;
  isStaff: boolean;
  isSuperuser: boolean;
}

export function isStaff(actor: Actor): boolean {
  return actor.isStaff || actor.isSuperuser;
}

export function requireStaff(actor: Actor): void {
  if (!isStaff(actor)) throw new ForbiddenError("Access denied. You must be an admin.");
}

export function requireSuperuser(actor: Actor): void {
  if (!actor.isSuperuser) throw new ForbiddenError("Access denied. You must be a superuser.");
}

/** The owner of an object, or staff. */
export function requireOwnerOrStaff(actor: Actor, ownerId: number | null, what = "this object"): void {
  if (ownerId !== actor.id && !isStaff(actor)) {
    throw new ForbiddenError(`Only the owner of ${what} or staff may change it.`);
  }
}

/**
 * Staff manage accounts, but only a superuser may make a superuser or change a superuser's account
 * (else any staff member could raise themselves to superuser or take over a superuser's login).
 */
export function requireAccountManager(
  actor: Actor,
  target: { isSuperuser: boolean },
  makesSuperuser: boolean,
): void {
  requireStaff(actor);
  if ((target.isSuperuser || makesSuperuser) && !actor.isSuperuser) {
    throw new ForbiddenError("Only a superuser may grant superuser status or change a superuser's account.");
  }
}
