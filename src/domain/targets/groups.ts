/**
 * Target groups (BHTOM TargetList, §F.9–F.10): everyone sees every group; names need not be unique.
 * skytom adds: create a group (any user; the creator owns it), add/remove targets and delete the group
 * (the creator or staff).
 */
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db, Executor } from "../../db/connection.ts";
import { targetGroupMembers, targetGroups, targets } from "../../db/schema/index.ts";
import { BadRequestError, NotFoundError, ValidationError } from "../errors.ts";
import { integerValue } from "../input.ts";
import { requireOwnerOrStaff, type Actor } from "../permissions.ts";
import { targetSummary } from "./serialize.ts";

type GroupRow = typeof targetGroups.$inferSelect;
const groupItem = (g: GroupRow) => ({ id: g.id, name: g.name, created: g.created.toISOString() });

export async function listGroups<P extends { offset: number; limit: number }>(
  db: Executor,
  page: (n: number) => P,
) {
  const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(targetGroups);
  const p = page(n);
  const rows = await db
    .select()
    .from(targetGroups)
    .orderBy(desc(targetGroups.created), desc(targetGroups.id))
    .offset(p.offset)
    .limit(p.limit);
  return { count: n, page: p, items: rows.map(groupItem) };
}

/** The group named by exactly one of `id` or `name`, with BHTOM's messages. */
export async function resolveGroup(db: Executor, id: unknown, name: unknown): Promise<GroupRow> {
  const hasId = id !== undefined && id !== null;
  const hasName = name !== undefined && name !== null;
  if (!hasId && !hasName)
    throw new BadRequestError("Please provide either 'id' or 'name' of the target group.");
  if (id && name)
    throw new BadRequestError("Please provide only one parameter: either 'id' or 'name', not both.");
  if (hasId) {
    const n = integerValue(id);
    if (n === undefined) throw new BadRequestError("'id' must be an integer.");
    const [g] = await db.select().from(targetGroups).where(eq(targetGroups.id, n)).limit(1);
    if (!g) throw new NotFoundError("Target group not found.");
    return g;
  }
  const rows = await db
    .select()
    .from(targetGroups)
    .where(eq(targetGroups.name, String(name)))
    .limit(2);
  if (rows.length === 0) throw new NotFoundError("Target group not found.");
  if (rows.length > 1)
    throw new BadRequestError(`Several target groups are named "${String(name)}": use 'id'.`);
  return rows[0];
}

export async function targetsOfGroup<P extends { offset: number; limit: number }>(
  db: Executor,
  group: GroupRow,
  page: (n: number) => P,
) {
  const where = eq(targetGroupMembers.groupId, group.id);
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(targetGroupMembers)
    .where(where);
  const p = page(n);
  const rows = await db
    .select({ t: targets })
    .from(targetGroupMembers)
    .innerJoin(targets, eq(targets.id, targetGroupMembers.targetId))
    .where(where)
    .orderBy(asc(targets.name))
    .offset(p.offset)
    .limit(p.limit);
  return { count: n, page: p, items: rows.map((r) => targetSummary(r.t)) };
}

export async function createGroup(db: Executor, actor: Actor, name: string) {
  const clean = name.trim();
  if (!clean) throw new ValidationError({ name: ["This field may not be blank."] });
  const [g] = await db.insert(targetGroups).values({ name: clean, createdBy: actor.id }).returning();
  return groupItem(g);
}

async function ownedGroup(db: Executor, actor: Actor, id: number): Promise<GroupRow> {
  const [g] = await db.select().from(targetGroups).where(eq(targetGroups.id, id)).limit(1);
  if (!g) throw new NotFoundError("Target group not found.");
  requireOwnerOrStaff(actor, g.createdBy, "this target group");
  return g;
}

async function targetIds(db: Executor, names: string[]): Promise<number[]> {
  const rows = await db
    .select({ id: targets.id, name: targets.name })
    .from(targets)
    .where(inArray(targets.name, names));
  const found = new Set(rows.map((r) => r.name));
  const missing = names.filter((n) => !found.has(n));
  if (missing.length) throw new ValidationError({ targets: [`Unknown target(s): ${missing.join(", ")}`] });
  return rows.map((r) => r.id);
}

/** Add targets (by exact name) to a group; returns how many were newly added. */
export async function addToGroup(db: Db, actor: Actor, groupId: number, names: string[]): Promise<number> {
  return db.transaction(async (tx) => {
    await ownedGroup(tx, actor, groupId);
    const ids = await targetIds(tx, names);
    if (ids.length === 0) return 0;
    const added = await tx
      .insert(targetGroupMembers)
      .values(ids.map((targetId) => ({ groupId, targetId })))
      .onConflictDoNothing()
      .returning();
    await tx.update(targetGroups).set({ modified: new Date() }).where(eq(targetGroups.id, groupId));
    return added.length;
  });
}

export async function removeFromGroup(
  db: Db,
  actor: Actor,
  groupId: number,
  names: string[],
): Promise<number> {
  return db.transaction(async (tx) => {
    await ownedGroup(tx, actor, groupId);
    const ids = await targetIds(tx, names);
    if (ids.length === 0) return 0;
    const removed = await tx
      .delete(targetGroupMembers)
      .where(and(eq(targetGroupMembers.groupId, groupId), inArray(targetGroupMembers.targetId, ids)))
      .returning();
    return removed.length;
  });
}

export async function deleteGroup(db: Db, actor: Actor, groupId: number): Promise<void> {
  await db.transaction(async (tx) => {
    await ownedGroup(tx, actor, groupId);
    await tx.delete(targetGroups).where(eq(targetGroups.id, groupId));
  });
}

/** The groups a target belongs to, by name. */
export async function groupsOfTarget(db: Executor, targetId: number) {
  const rows = await db
    .select({ g: targetGroups })
    .from(targetGroupMembers)
    .innerJoin(targetGroups, eq(targetGroups.id, targetGroupMembers.groupId))
    .where(eq(targetGroupMembers.targetId, targetId))
    .orderBy(asc(targetGroups.name), asc(targetGroups.id));
  return rows.map((r) => groupItem(r.g));
}
