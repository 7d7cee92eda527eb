/**
 * getTargetList filters (bhtom-behaviour.md §F.3), AND-ed, translated to SQL. Numbers may come as strings
 * and are converted like Python's float(); a value that will not convert is a 400 "Wrong format: …".
 * Differs from BHTOM2: a malformed cone string or an unknown coneSearchTarget is a 400 instead of a
 * silently skipped filter, cone searches are exact across RA 0/360 and over the poles, and items carry `id`.
 */
import { and, eq, gte, lte, sql, type SQL } from "drizzle-orm";
import { coneQuery } from "../../astro/cone.ts";
import type { Executor } from "../../db/connection.ts";
import { targets } from "../../db/schema/index.ts";
import { bodyKey, cacheGeneration, GenerationCache } from "../cache.ts";
import { BadRequestError } from "../errors.ts";
import * as repo from "./repo.ts";
import type { TargetListInput } from "./schemas.ts";
import { targetListItem } from "./serialize.ts";

/** Python float(): numbers, numeric strings (with spaces), inf/nan spellings refused here. */
export function toFloat(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const t = value.trim();
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  }
  throw new BadRequestError(`Wrong format: could not convert string to float: '${String(value)}'`);
}

const TRUE = new Set(["true", "1", "yes", "y", "t"]);
const FALSE = new Set(["false", "0", "no", "n", "f"]);

export function toBool(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  const s = String(value).trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new BadRequestError(`Wrong format: Invalid boolean value: ${String(value)}`);
}

const given = (v: unknown) => v !== undefined && v !== null && v !== "";

const RANGES = [
  ["raMin", "raMax", targets.ra],
  ["decMin", "decMax", targets.dec],
  ["importanceMin", "importanceMax", targets.importance],
  ["lastMagMin", "lastMagMax", targets.magLast],
  ["sunSeparationMin", "sunSeparationMax", targets.sunSeparation],
  ["galacticLatMin", "galacticLatMax", targets.galacticLat],
  ["galacticLonMin", "galacticLonMax", targets.galacticLng],
] as const;

const FLAGS = [
  ["hasOptical", targets.hasOptical],
  ["hasInfrared", targets.hasInfrared],
  ["hasRadio", targets.hasRadio],
  ["hasXray", targets.hasXray],
  ["hasGamma", targets.hasGamma],
  ["hasPolarimetry", targets.hasPolarimetry],
] as const;

function parseRadius(text: string, field: string): number {
  const r = toFloat(text);
  if (!(r > 0 && r <= 180))
    throw new BadRequestError(`Wrong format: ${field} radius must be in (0, 180] degrees`);
  return r;
}

async function coneCondition(db: Executor, input: TargetListInput): Promise<SQL[]> {
  const out: SQL[] = [];
  if (given(input.coneSearchRaDecRadius)) {
    const parts = String(input.coneSearchRaDecRadius).split(",");
    if (parts.length !== 3) {
      throw new BadRequestError('Wrong format: coneSearchRaDecRadius must be "RA,Dec,Radius" in degrees');
    }
    const ra = toFloat(parts[0]);
    const dec = toFloat(parts[1]);
    const cone = coneQuery(ra, dec, parseRadius(parts[2], "coneSearchRaDecRadius"));
    if (!cone.ok) throw new BadRequestError(`Wrong format: coneSearchRaDecRadius: ${cone.error}`);
    out.push(repo.inConeSql(cone.cone));
  }
  if (given(input.coneSearchTarget)) {
    const text = String(input.coneSearchTarget);
    const comma = text.lastIndexOf(",");
    if (comma <= 0)
      throw new BadRequestError('Wrong format: coneSearchTarget must be "Name,Radius" (radius in degrees)');
    const name = text.slice(0, comma).trim();
    const radius = parseRadius(text.slice(comma + 1), "coneSearchTarget");
    const centre = await repo.findByNameOrAlias(db, name);
    if (!centre || centre.ra === null || centre.dec === null) {
      throw new BadRequestError(`coneSearchTarget: no target or alias matches "${name}"`);
    }
    const cone = coneQuery(centre.ra, centre.dec, radius);
    if (!cone.ok) throw new BadRequestError(`Wrong format: coneSearchTarget: ${cone.error}`);
    out.push(repo.inConeSql(cone.cone));
  }
  return out;
}

/** The WHERE clause for a getTargetList request. */
export async function targetListWhere(db: Executor, input: TargetListInput): Promise<SQL | undefined> {
  const where: SQL[] = [];
  if (given(input.name)) where.push(eq(targets.name, String(input.name)));
  if (given(input.type)) where.push(eq(targets.type, String(input.type)));
  if (given(input.description)) where.push(eq(targets.description, String(input.description)));
  if (given(input.classification)) where.push(eq(targets.classification, String(input.classification)));
  if (given(input.priority)) where.push(eq(targets.priority, toFloat(input.priority)));
  for (const [minKey, maxKey, column] of RANGES) {
    if (given(input[minKey])) where.push(gte(column, toFloat(input[minKey])));
    if (given(input[maxKey])) where.push(lte(column, toFloat(input[maxKey])));
  }
  for (const [key, column] of FLAGS) {
    if (given(input[key])) {
      const b = toBool(input[key]);
      where.push(b ? eq(column, true) : sql`coalesce(${column}, false) = false`);
    }
  }
  if (given(input.targetGroup)) where.push(repo.inGroupNamedSql(String(input.targetGroup)));
  where.push(...(await coneCondition(db, input)));
  return where.length ? and(...where) : undefined;
}

export type TargetListItem = ReturnType<typeof targetListItem>;

/**
 * One page of getTargetList. `page(count)` turns the total into an offset and limit (the HTTP layer's
 * pagination rules), so counting and paging happen in one place.
 */
export async function listTargets<P extends { offset: number; limit: number }>(
  db: Executor,
  input: TargetListInput,
  page: (count: number) => P,
): Promise<{ count: number; page: P; items: TargetListItem[] }> {
  const where = await targetListWhere(db, input);
  const count = await repo.countTargets(db, where);
  const p = page(count);
  const rows = count === 0 ? [] : await repo.selectTargets(db, { where, offset: p.offset, limit: p.limit });
  return { count, page: p, items: rows.map((r) => targetListItem(r.t, r.aliases, r.groups)) };
}

type ListResult<P> = { count: number; page: P; items: TargetListItem[] };
export const targetListCache = new GenerationCache<ListResult<unknown>>(500);

/** listTargets through the target-list cache (invalidated by any change to targets, aliases or groups). */
export async function cachedListTargets<P extends { offset: number; limit: number }>(
  db: Executor,
  input: TargetListInput,
  page: (count: number) => P,
): Promise<ListResult<P>> {
  const generation = await cacheGeneration(db, "targets");
  const key = bodyKey(input);
  const hit = targetListCache.get(key, generation);
  if (hit) return hit as ListResult<P>;
  const result = await listTargets(db, input, page);
  targetListCache.set(key, generation, result);
  return result;
}
