/** SQL of the targets domain. Cone searches use the unit-vector box + exact dot product (one btree). */
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { Cone } from "../../astro/cone.ts";
import type { Executor } from "../../db/connection.ts";
import {
  comments,
  dataProducts,
  targetAliases,
  targetGroupMembers,
  targetGroups,
  targets,
} from "../../db/schema/index.ts";

export type TargetRow = typeof targets.$inferSelect;

/**
 * `targets.id` always qualified: in a single-table select Drizzle renders a column unqualified, and
 * inside a correlated subquery a bare "id" would mean the subquery's own id column.
 */
const OUTER_TARGET_ID = sql.raw(`"targets"."id"`);
export type NewTargetRow = typeof targets.$inferInsert;

/** SQL condition: the target lies in the cone (box pre-filter on the index, then the exact test). */
export function inConeSql(cone: Cone): SQL {
  const { box, centre, minDot } = cone;
  return sql`(${targets.cz} between ${box.zMin} and ${box.zMax}
    and ${targets.cx} between ${box.xMin} and ${box.xMax}
    and ${targets.cy} between ${box.yMin} and ${box.yMax}
    and ${targets.cx} * ${centre[0]} + ${targets.cy} * ${centre[1]} + ${targets.cz} * ${centre[2]} >= ${minDot})`;
}

export async function findByName(db: Executor, name: string): Promise<TargetRow | undefined> {
  const [row] = await db.select().from(targets).where(eq(targets.name, name)).limit(1);
  return row;
}

export async function findById(db: Executor, id: number): Promise<TargetRow | undefined> {
  const [row] = await db.select().from(targets).where(eq(targets.id, id)).limit(1);
  return row;
}

/**
 * A target by name or alias, case-insensitive: an exact match first (lowest id), else the first target
 * whose name or alias contains the text (BHTOM's coneSearchTarget rule).
 */
export async function findByNameOrAlias(db: Executor, text: string): Promise<TargetRow | undefined> {
  const exact = await findExactNameOrAlias(db, text);
  if (exact) return exact;
  const lower = text.toLowerCase();
  const pattern = `%${lower.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const aliasLike = db
    .select({ id: targetAliases.targetId })
    .from(targetAliases)
    .where(sql`lower(${targetAliases.name}) like ${pattern}`);
  const [like] = await db
    .select()
    .from(targets)
    .where(sql`lower(${targets.name}) like ${pattern} or ${targets.id} in (${aliasLike})`)
    .orderBy(asc(targets.id))
    .limit(1);
  return like;
}

/** A target whose name or any alias equals the text, ignoring case (lowest id). */
export async function findExactNameOrAlias(db: Executor, text: string): Promise<TargetRow | undefined> {
  const lower = text.toLowerCase();
  const alias = db
    .select({ id: targetAliases.targetId })
    .from(targetAliases)
    .where(sql`lower(${targetAliases.name}) = ${lower}`);
  const [row] = await db
    .select()
    .from(targets)
    .where(sql`lower(${targets.name}) = ${lower} or ${targets.id} in (${alias})`)
    .orderBy(asc(targets.id))
    .limit(1);
  return row;
}

/** Targets within the cone other than `exceptId` (the 3″ duplicate rule). */
export async function findInCone(
  db: Executor,
  cone: Cone,
  exceptId?: number,
  limit = 5,
): Promise<TargetRow[]> {
  const where =
    exceptId === undefined ? inConeSql(cone) : and(inConeSql(cone), sql`${targets.id} <> ${exceptId}`);
  return db.select().from(targets).where(where).orderBy(asc(targets.id)).limit(limit);
}

export async function insertTarget(db: Executor, row: NewTargetRow): Promise<TargetRow> {
  const [created] = await db.insert(targets).values(row).returning();
  return created;
}

export async function updateTargetRow(
  db: Executor,
  id: number,
  patch: Partial<NewTargetRow>,
): Promise<TargetRow> {
  const [updated] = await db
    .update(targets)
    .set({ ...patch, modified: new Date() })
    .where(eq(targets.id, id))
    .returning();
  return updated;
}

export async function deleteTargetRow(db: Executor, id: number): Promise<void> {
  await db.delete(targets).where(eq(targets.id, id));
}

/** Stored files of the target's data products (relative to the data directory), to remove after a delete. */
export async function dataProductFiles(db: Executor, targetId: number): Promise<string[]> {
  const rows = await db
    .select({
      data: dataProducts.data,
      photometry: dataProducts.photometryData,
      fits: dataProducts.fitsData,
      webp: dataProducts.fitsWebp,
      thumb: dataProducts.thumbnail,
    })
    .from(dataProducts)
    .where(eq(dataProducts.targetId, targetId));
  return rows.flatMap((r) => [r.data, r.photometry, r.fits, r.webp, r.thumb].filter((p): p is string => !!p));
}

export interface ListQuery {
  where: SQL | undefined;
  offset: number;
  limit: number;
}

export async function countTargets(db: Executor, where: SQL | undefined): Promise<number> {
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(targets)
    .where(where);
  return n;
}

/** A page of targets with their aliases `[source, name]` and groups `[name, id]`, in one query. */
export async function selectTargets(
  db: Executor,
  q: ListQuery,
): Promise<Array<{ t: TargetRow; aliases: [string, string][]; groups: [string, number][] }>> {
  return db
    .select({
      t: targets,
      aliases: sql<
        [string, string][]
      >`coalesce((select json_agg(json_build_array(a.source_name, a.name) order by a.id)
        from ${targetAliases} a where a.target_id = ${OUTER_TARGET_ID}), '[]'::json)`,
      groups: sql<[string, number][]>`coalesce((select json_agg(json_build_array(g.name, g.id) order by g.id)
        from ${targetGroupMembers} m join ${targetGroups} g on g.id = m.group_id where m.target_id = ${OUTER_TARGET_ID}), '[]'::json)`,
    })
    .from(targets)
    .where(q.where)
    .orderBy(asc(targets.created), asc(targets.id))
    .offset(q.offset)
    .limit(q.limit);
}

/** SQL condition: member of a group with this exact name. */
export function inGroupNamedSql(name: string): SQL {
  return sql`exists (select 1 from ${targetGroupMembers} m join ${targetGroups} g on g.id = m.group_id
    where m.target_id = ${OUTER_TARGET_ID} and g.name = ${name})`;
}

export async function insertComment(
  db: Executor,
  row: { targetId: number; userId: number | null; userName: string; comment: string },
): Promise<void> {
  await db.insert(comments).values(row);
}
