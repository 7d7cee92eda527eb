/** Comments on targets: BHTOM's list with filters (§G.1) and adding one. */
import { and, asc, eq, ilike, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { comments, targets } from "../../db/schema/index.ts";
import { NotFoundError } from "../errors.ts";
import { containsPattern, dateRangeConditions, requireInteger } from "../input.ts";
import type { Actor } from "../permissions.ts";
import type { ListCommentsInput } from "./schemas.ts";

export async function listComments<P extends { offset: number; limit: number }>(
  db: Executor,
  input: ListCommentsInput,
  page: (count: number) => P,
) {
  const where: SQL[] = [eq(comments.isRemoved, false)];
  if (input.target) {
    const [t] = await db
      .select({ id: targets.id })
      .from(targets)
      .where(eq(targets.name, input.target))
      .limit(1);
    if (!t) throw new NotFoundError("Target not found");
    where.push(eq(comments.targetId, t.id));
  }
  if (input.targetid !== undefined && input.targetid !== null && input.targetid !== "") {
    where.push(eq(comments.targetId, requireInteger(input.targetid, "targetid")));
  }
  if (input.user) where.push(eq(comments.userName, input.user));
  if (input.text) where.push(ilike(comments.comment, containsPattern(input.text)));
  where.push(
    ...dateRangeConditions(
      comments.submitDate,
      { start: input.created_start, end: input.created_end },
      { start: "created_start", end: "created_end" },
      { wholeDays: true },
    ),
  );
  const condition = and(...where);
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(comments)
    .where(condition);
  const p = page(n);
  const rows = await db
    .select({ c: comments, targetName: targets.name })
    .from(comments)
    .innerJoin(targets, eq(targets.id, comments.targetId))
    .where(condition)
    .orderBy(asc(comments.submitDate), asc(comments.id))
    .offset(p.offset)
    .limit(p.limit);
  return { count: n, page: p, items: rows.map((r) => commentItem(r.c, r.targetName)) };
}

function commentItem(c: typeof comments.$inferSelect, targetName: string) {
  return {
    id: c.id,
    user_name: c.userName,
    comment: c.comment,
    submit_date: c.submitDate.toISOString(),
    user_id: c.userId,
    target_name: targetName,
    target_id: String(c.targetId),
  };
}

export async function addComment(db: Executor, actor: Actor, targetName: string, text: string) {
  const [t] = await db.select({ id: targets.id }).from(targets).where(eq(targets.name, targetName)).limit(1);
  if (!t) throw new NotFoundError(`Target ${targetName} does not exist.`);
  const [row] = await db
    .insert(comments)
    .values({ targetId: t.id, userId: actor.id, userName: actor.username, comment: text.trim() })
    .returning();
  return commentItem(row, targetName);
}
