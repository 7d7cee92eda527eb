/**
 * The permission rules of src/domain/permissions.ts for every kind of caller, including the explicit
 * system caller (the operator's commands): it passes every check and owns nothing, and a missing caller
 * cannot be passed at all (the type has no null).
 */
import { describe, expect, it } from "vitest";
import { ForbiddenError } from "../src/domain/errors.ts";
import {
  isStaff,
  isSystem,
  requireAccountManager,
  requireOwnerOrStaff,
  requireStaff,
  requireSuperuser,
  SYSTEM,
  type Actor,
  type Caller,
} from "../src/domain/permissions.ts";

const user: Actor = { id: 7, username: "alice", isStaff: false, isSuperuser: false };
const staff: Actor = { id: 8, username: "staffer", isStaff: true, isSuperuser: false };
const root: Actor = { id: 9, username: "root", isStaff: false, isSuperuser: true };

const allowed = (check: () => void) => {
  try {
    check();
    return true;
  } catch (err) {
    if (err instanceof ForbiddenError) return false;
    throw err;
  }
};

describe("who may do what", () => {
  const callers: [string, Caller][] = [
    ["user", user],
    ["staff", staff],
    ["superuser", root],
    ["system", SYSTEM],
  ];

  it.each(callers)("%s: staff, superuser, owner-or-staff of user 7 and of user 99", (_name, caller) => {
    const expected = {
      user: [false, false, true, false],
      staff: [true, false, true, true],
      superuser: [true, true, true, true],
      system: [true, true, true, true],
    }[_name as "user" | "staff" | "superuser" | "system"];
    expect([
      allowed(() => requireStaff(caller)),
      allowed(() => requireSuperuser(caller)),
      allowed(() => requireOwnerOrStaff(caller, 7)),
      allowed(() => requireOwnerOrStaff(caller, 99)),
    ]).toEqual(expected);
    expect(isStaff(caller)).toBe(expected[0]);
  });

  it("account management: staff manage plain accounts only; a superuser and the system manage all", () => {
    const plain = { isSuperuser: false };
    const superAccount = { isSuperuser: true };
    expect(allowed(() => requireAccountManager(staff, plain, false))).toBe(true);
    expect(allowed(() => requireAccountManager(staff, plain, true))).toBe(false);
    expect(allowed(() => requireAccountManager(staff, superAccount, false))).toBe(false);
    expect(allowed(() => requireAccountManager(user, plain, false))).toBe(false);
    expect(allowed(() => requireAccountManager(root, superAccount, true))).toBe(true);
    expect(allowed(() => requireAccountManager(SYSTEM, superAccount, true))).toBe(true);
  });

  it("the system caller is recognised by its kind, a user (with or without kind) is not", () => {
    expect(isSystem(SYSTEM)).toBe(true);
    expect(isSystem(user)).toBe(false);
    expect(isSystem({ ...user, kind: "user" })).toBe(false);
    expect(Object.isFrozen(SYSTEM)).toBe(true);
  });
});
