/** SQL of the targets domain. Cone searches use the unit-vector box + exact dot product (one btree). */
import { createHash } from "node:crypto";
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { Cone } from "../../astro/cone.ts";
import type { Executor } from "../../db/connection.ts";
import { onServer, rawClient, selectColumns } from "../../db/raw.ts";
import { containsPattern } from "../input.ts";
import { comments, targetAliases, targetGroupMembers, targetGroups, targets } from "../../db/schema/index.ts";

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
  const pattern = containsPattern(lower);
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
      aliases: sql<[string, string][]>`${sql.raw(ALIASES_JSON)}`,
      groups: sql<[string, number][]>`${sql.raw(GROUPS_JSON)}`,
    })
    .from(targets)
    .where(q.where)
    .orderBy(asc(targets.created), asc(targets.id))
    .offset(q.offset)
    .limit(q.limit);
}

const ALIASES_JSON = `coalesce((select json_agg(json_build_array(a.source_name, a.name) order by a.id)
  from target_aliases a where a.target_id = "targets"."id"), '[]'::json)`;
const GROUPS_JSON = `coalesce((select json_agg(json_build_array(g.name, g.id) order by g.id)
  from target_group_members m join target_groups g on g.id = m.group_id where m.target_id = "targets"."id"), '[]'::json)`;

/** `t.col as "key"` for every column: rows come back as TargetRow objects without a mapping pass. */
const TARGET_COLUMNS = selectColumns(targets, "t");

export type ListRow = TargetRow & { aliases: [string, string][]; groups: [string, number][] };

/** How many shapes of the list statement (one per combination of filters and order) are prepared. */
const PREPARED_SHAPES = 64;
const preparedNames = new Map<string, string>();
/**
 * A prepared statement's name for this statement text, for the first {@link PREPARED_SHAPES} texts
 * (each connection keeps a prepared statement until it closes: bounded); later shapes run unnamed,
 * and so does every statement on the embedded database (cache.ts onServer).
 * Prepared, the statement is parsed and analysed once per connection: a cone page's round trip went
 * from 6.8–7.4 ms to 4.9–5.3 ms p50 on the slow bench machine (docs/performance.md).
 */
function statementName(db: Executor, text: string): string | undefined {
  if (!onServer(db)) return undefined;
  let name = preparedNames.get(text);
  if (!name && preparedNames.size < PREPARED_SHAPES) {
    name = `target_list_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
    preparedNames.set(text, name);
  }
  return name;
}

/**
 * The number of targets matching `where` (SQL text over `targets t`, parameters $1…) and the page at
 * (offset, limit) in creation order, with each target's aliases and groups: one statement, one round trip.
 * `orderBy` is trusted SQL text over `targets t` (list.ts builds it from a whitelist).
 */
export async function listPage(
  db: Executor,
  where: { text: string; params: unknown[] },
  offset: number,
  limit: number,
  orderBy = "t.created, t.id",
): Promise<{ count: number; rows: ListRow[] }> {
  const w = where.text ? `where ${where.text}` : "";
  const n = where.params.length;
  const text = `select c.n as "__count", p.* from (select count(*)::int as n from targets t ${w}) c
    left join (select ${TARGET_COLUMNS},
        ${ALIASES_JSON.replaceAll('"targets"."id"', "t.id")} as "aliases",
        ${GROUPS_JSON.replaceAll('"targets"."id"', "t.id")} as "groups"
      from targets t ${w} order by ${orderBy} offset $${n + 1} limit $${n + 2}) p on true`;
  const res = await rawClient(db).query<ListRow & { __count: number; id: number | null }>({
    name: statementName(db, text),
    text,
    values: [...where.params, offset, limit],
  });
  const count = res.rows[0]?.__count ?? 0;
  const rows = res.rows[0]?.id == null ? [] : (res.rows as ListRow[]);
  for (const r of rows) delete (r as Partial<{ __count: number }>).__count;
  return { count, rows };
}

/** SQL condition: member of a group with this exact name. */
export function inGroupNamedSql(name: string): SQL {
  return sql`exists (select 1 from ${targetGroupMembers} m join ${targetGroups} g on g.id = m.group_id
    where m.target_id = ${OUTER_TARGET_ID} and g.name = ${name})`;
}

/** SQL text condition over `targets t`: member of a group whose name is the parameter `param`. */
export function inGroupNamedText(param: string): string {
  return `exists (select 1 from target_group_members m join target_groups g on g.id = m.group_id
    where m.target_id = t.id and g.name = ${param})`;
}

/**
 * SQL text condition over `targets t`: the target lies in the cone. `param` adds a parameter and returns
 * its placeholder. Same test as {@link inConeSql}: the unit-vector box on the index, then the exact dot product.
 */
export function inConeText(cone: Cone, param: (v: number, cast: string) => string): string {
  const { box, centre, minDot } = cone;
  const f = (v: number) => param(v, "::float8");
  return `(t.cz between ${f(box.zMin)} and ${f(box.zMax)} and t.cx between ${f(box.xMin)} and ${f(box.xMax)}
    and t.cy between ${f(box.yMin)} and ${f(box.yMax)}
    and t.cx * ${f(centre[0])} + t.cy * ${f(centre[1])} + t.cz * ${f(centre[2])} >= ${f(minDot)})`;
}

export async function insertComment(
  db: Executor,
  row: { targetId: number; userId: number | null; userName: string; comment: string },
): Promise<void> {
  await db.insert(comments).values(row);
}
