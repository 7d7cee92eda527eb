/**
 * getTargetList filters (bhtom-behaviour.md §F.3), AND-ed, translated to SQL. Numbers may come as strings
 * and are converted like Python's float(); a value that will not convert is a 400 "Wrong format: …".
 * Differs from BHTOM2: a malformed cone string or an unknown coneSearchTarget is a 400 instead of a
 * silently skipped filter, cone searches are exact across RA 0/360 and over the poles, and items carry `id`.
 *
 * This is the hottest read of the API, so it is plain SQL text with numbered parameters (no query
 * builder on the request path): the count and the page come back from one statement (see repo.listPage).
 */
import { coneQuery } from "../../astro/cone.ts";
import type { Executor } from "../../db/connection.ts";
import { BadRequestError } from "../errors.ts";
import { booleanWord, containsPattern } from "../input.ts";
import * as repo from "./repo.ts";
import type { TargetListInput } from "./schemas.ts";
import { targetListItem } from "./serialize.ts";

/** Python float(): numbers, numeric strings (with spaces), inf/nan spellings refused here. */
export function toFloat(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const t = value.trim();
    // "1e400" has the syntax but is inf in Python too, refused like the inf spellings.
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && Number.isFinite(Number(t))) return Number(t);
  }
  throw new BadRequestError(`Wrong format: could not convert string to float: '${String(value)}'`);
}

/** getTargetList's booleans (true/yes/y/t/on/1, false/no/n/f/off/0, any case); else 400 "Wrong format". */
export function toBool(value: unknown): boolean {
  const b = booleanWord(value);
  if (b === undefined) throw new BadRequestError(`Wrong format: Invalid boolean value: ${String(value)}`);
  return b;
}

const given = (v: unknown) => v !== undefined && v !== null && v !== "";

/** Range filters: request keys and the column (of `targets t`) they bound. */
const RANGES = [
  ["raMin", "raMax", "ra"],
  ["decMin", "decMax", "dec"],
  ["importanceMin", "importanceMax", "importance"],
  ["lastMagMin", "lastMagMax", "mag_last"],
  ["sunSeparationMin", "sunSeparationMax", "sun_separation"],
  ["galacticLatMin", "galacticLatMax", "galactic_lat"],
  ["galacticLonMin", "galacticLonMax", "galactic_lng"],
] as const;

const FLAGS = [
  ["hasOptical", "has_optical"],
  ["hasInfrared", "has_infrared"],
  ["hasRadio", "has_radio"],
  ["hasXray", "has_xray"],
  ["hasGamma", "has_gamma"],
  ["hasPolarimetry", "has_polarimetry"],
] as const;

const EQUALS = [
  ["name", "name"],
  ["type", "type"],
  ["description", "description"],
  ["classification", "classification"],
] as const;

/** A WHERE condition over `targets t` as SQL text with $n parameters (empty text: no condition). */
export interface WhereSql {
  text: string;
  params: unknown[];
}

function parseRadius(text: string, field: string): number {
  const r = toFloat(text);
  if (!(r > 0 && r <= 180))
    throw new BadRequestError(`Wrong format: ${field} radius must be in (0, 180] degrees`);
  return r;
}

/** The cones of the request: [ra, dec, radius] each (coneSearchTarget looks the centre up). */
async function cones(db: Executor, input: TargetListInput): Promise<Array<[number, number, number, string]>> {
  const out: Array<[number, number, number, string]> = [];
  if (given(input.coneSearchRaDecRadius)) {
    const parts = String(input.coneSearchRaDecRadius).split(",");
    if (parts.length !== 3) {
      throw new BadRequestError('Wrong format: coneSearchRaDecRadius must be "RA,Dec,Radius" in degrees');
    }
    const radius = parseRadius(parts[2], "coneSearchRaDecRadius");
    out.push([toFloat(parts[0]), toFloat(parts[1]), radius, "coneSearchRaDecRadius"]);
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
    out.push([centre.ra, centre.dec, radius, "coneSearchTarget"]);
  }
  return out;
}

/** The WHERE condition of a getTargetList request, over `targets t`. */
export async function targetListWhere(db: Executor, input: TargetListInput): Promise<WhereSql> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown, cast = "") => `$${params.push(v)}${cast}`;
  for (const [key, column] of EQUALS) {
    if (given(input[key])) where.push(`t.${column} = ${p(String(input[key]))}`);
  }
  if (given(input.priority)) where.push(`t.priority = ${p(toFloat(input.priority), "::float8")}`);
  for (const [minKey, maxKey, column] of RANGES) {
    if (given(input[minKey])) where.push(`t.${column} >= ${p(toFloat(input[minKey]), "::float8")}`);
    if (given(input[maxKey])) where.push(`t.${column} <= ${p(toFloat(input[maxKey]), "::float8")}`);
  }
  for (const [key, column] of FLAGS) {
    if (given(input[key])) {
      where.push(toBool(input[key]) ? `t.${column} = true` : `coalesce(t.${column}, false) = false`);
    }
  }
  if (given(input.targetGroup)) where.push(repo.inGroupNamedText(p(String(input.targetGroup))));
  for (const [ra, dec, radius, field] of await cones(db, input)) {
    const cone = coneQuery(ra, dec, radius);
    if (!cone.ok) throw new BadRequestError(`Wrong format: ${field}: ${cone.error}`);
    where.push(repo.inConeText(cone.cone, p));
  }
  return { text: where.join(" and "), params };
}

export type TargetListItem = ReturnType<typeof targetListItem>;

/**
 * Orders the web list offers, each mapped to fixed SQL (the request's key is never put into SQL). A target
 * without a light curve (mjd_last 0, mag_last 100) sorts last either way by mag_last and mjd_last.
 */
export const TARGET_ORDERS = {
  name: "t.name",
  ra: "t.ra",
  dec: "t.dec",
  mag_last: "(case when t.mjd_last > 0 then t.mag_last end)",
  mjd_last: "nullif(t.mjd_last, 0)",
  importance: "t.importance",
  priority: "t.priority",
  sun_separation: "t.sun_separation",
  created: "t.created",
} as const;
export type TargetOrderKey = keyof typeof TARGET_ORDERS;
export interface TargetOrder {
  key: TargetOrderKey;
  desc: boolean;
}

export function isTargetOrderKey(key: unknown): key is TargetOrderKey {
  return typeof key === "string" && Object.hasOwn(TARGET_ORDERS, key);
}

/** ORDER BY text of `order` (ties by id in the same direction); creation order without one. */
export function orderText(order?: TargetOrder): string {
  if (!order) return "t.created, t.id";
  if (!isTargetOrderKey(order.key)) throw new BadRequestError(`Cannot order by ${String(order.key)}`);
  const dir = order.desc ? "desc" : "asc";
  return `${TARGET_ORDERS[order.key]} ${dir} nulls last, t.id ${dir}`;
}

/** Web list extras: `search` = name or any alias contains the text (case-insensitive); `order`. */
export interface ListExtras {
  search?: string;
  order?: TargetOrder;
}

function withSearch(where: WhereSql, search: string | undefined): WhereSql {
  const text = search?.trim().toLowerCase();
  if (!text) return where;
  const params = [...where.params, containsPattern(text)];
  const n = `$${params.length}`;
  const cond = `(lower(t.name) like ${n} or exists (select 1 from target_aliases a
    where a.target_id = t.id and lower(a.name) like ${n}))`;
  return { text: where.text ? `${where.text} and ${cond}` : cond, params };
}

/**
 * One page of getTargetList. `page(count)` turns the total into an offset and limit (the HTTP layer's
 * pagination rules), so counting and paging happen in one place. The count and the page are read by one
 * statement for the page asked for; only a page past the end (answered with the last page) reads again.
 */
export async function listTargets<P extends { offset: number; limit: number }>(
  db: Executor,
  input: TargetListInput,
  page: (count: number) => P,
  extras: ListExtras = {},
): Promise<{ count: number; page: P; items: TargetListItem[] }> {
  const where = withSearch(await targetListWhere(db, input), extras.search);
  const order = orderText(extras.order);
  // The page as asked, assuming it exists: the count cannot be smaller than offset + 1 then.
  const guess = page(Number.MAX_SAFE_INTEGER);
  let { count, rows } = await repo.listPage(db, where, guess.offset, guess.limit, order);
  let p = page(count);
  if (p.offset !== guess.offset || p.limit !== guess.limit) {
    ({ count, rows } = await repo.listPage(db, where, p.offset, p.limit, order));
    p = page(count);
  }
  return { count, page: p, items: rows.map((r) => targetListItem(r, r.aliases, r.groups)) };
}
