/** Comments on targets: BHTOM's list with filters (§G.1) and adding one. */
import { and, asc, eq, gte, ilike, lt, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { comments, targets } from "../../db/schema/index.ts";
import { BadRequestError, NotFoundError } from "../errors.ts";
import type { Actor } from "../permissions.ts";
import type { ListCommentsInput } from "./schemas.ts";

const DAY_MS = 86_400_000;

/** A filter bound: a bare date covers the whole day (start at 00:00Z, end before the next midnight). */
function bound(value: string, field: string, end: boolean): Date {
  const s = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const d = new Date(`${s}T00:00:00Z`);
    if (!Number.isNaN(d.getTime())) return end ? new Date(d.getTime() + DAY_MS) : d;
  } else {
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}/.test(s) && !Number.isNaN(d.getTime())) return d;
  }
  throw new BadRequestError(`Invalid date format in ${field}. Use YYYY-MM-DD or an ISO 8601 date-time.`);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

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
    const id = Number(input.targetid);
    if (!Number.isInteger(id)) throw new BadRequestError("targetid must be an integer.");
    where.push(eq(comments.targetId, id));
  }
  if (input.user) where.push(eq(comments.userName, input.user));
  if (input.text) where.push(ilike(comments.comment, `%${escapeLike(input.text)}%`));
  if (input.created_start)
    where.push(gte(comments.submitDate, bound(input.created_start, "created_start", false)));
  if (input.created_end) {
    const s = input.created_end.trim();
    const end = bound(s, "created_end", true);
    where.push(
      /^\d{4}-\d{2}-\d{2}$/.test(s) ? lt(comments.submitDate, end) : sql`${comments.submitDate} <= ${end}`,
    );
  }
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
