/**
 * The `/targets/` list's GET parameters: read (every value a string, bad ones reported, never thrown),
 * turned into the getTargetList filters of the domain, and written back into links (sort, pages) so a
 * list URL is bookmarkable and the pages work without JavaScript.
 */
import { parseDec, parseRa } from "../../astro/coords.ts";
import type { FieldErrors } from "../../domain/errors.ts";
import { isTargetOrderKey, type TargetOrder, type TargetOrderKey } from "../../domain/targets/list.ts";
import type { TargetListInput } from "../../domain/targets/schemas.ts";

export const PAGE_SIZES = [25, 50, 100] as const;
export const DEFAULT_ORDER: TargetOrder = { key: "priority", desc: true };

/** The data flags a user can require (query parameter → getTargetList field). */
export const FLAG_FILTERS = [
  ["has_optical", "hasOptical", "Optical"],
  ["has_infrared", "hasInfrared", "Infrared"],
  ["has_radio", "hasRadio", "Radio"],
  ["has_xray", "hasXray", "X-ray"],
  ["has_gamma", "hasGamma", "Gamma"],
  ["has_polarimetry", "hasPolarimetry", "Polarimetry"],
] as const;

/** Parameters kept in links (everything but the page). */
const KEYS = [
  "q",
  "classification",
  "importance_min",
  "importance_max",
  "mag_min",
  "mag_max",
  "cone",
  "near",
  "near_radius",
  "group",
  ...FLAG_FILTERS.map(([k]) => k),
  "sort",
  "dir",
  "per_page",
] as const;

export interface ListQuery {
  /** Submitted values by parameter (strings; "" when absent), to fill the filter form again. */
  values: Record<string, string>;
  input: TargetListInput;
  search: string;
  order: TargetOrder;
  page: number;
  perPage: number;
  /** Problems with the filters, by parameter (the list is not read when there are any). */
  errors: FieldErrors;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function first(v: unknown): string {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === "string" ? s.trim().slice(0, 200) : "";
}

/** Read the query string of a `/targets/` request. */
export function readListQuery(query: unknown): ListQuery {
  const q = (query && typeof query === "object" ? query : {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const k of [...KEYS, "page"]) values[k] = first(q[k]);
  const errors: FieldErrors = {};
  const input: TargetListInput = {};

  if (values.classification) input.classification = values.classification;
  if (values.group) input.targetGroup = values.group;
  const ranges: Array<[string, "importanceMin" | "importanceMax" | "lastMagMin" | "lastMagMax"]> = [
    ["importance_min", "importanceMin"],
    ["importance_max", "importanceMax"],
    ["mag_min", "lastMagMin"],
    ["mag_max", "lastMagMax"],
  ];
  for (const [key, field] of ranges) {
    if (!values[key]) continue;
    if (NUMBER.test(values[key])) input[field] = Number(values[key]);
    else errors[key] = ["Enter a number."];
  }
  for (const [key, field] of FLAG_FILTERS) if (values[key]) input[field] = true;

  if (values.cone) {
    const parts = values.cone.split(",").map((p) => p.trim());
    const ra = parts.length === 3 ? parseRa(parts[0]) : null;
    const dec = parts.length === 3 ? parseDec(parts[1]) : null;
    const radius = parts.length === 3 && NUMBER.test(parts[2]) ? Number(parts[2]) : NaN;
    if (!ra || !dec) errors.cone = ['Write "RA, Dec, radius", e.g. "266.41, -29.01, 0.5".'];
    else if (!ra.ok) errors.cone = [ra.error];
    else if (!dec.ok) errors.cone = [dec.error];
    else if (!(radius > 0 && radius <= 180)) errors.cone = ["The radius must be above 0 and at most 180°."];
    else input.coneSearchRaDecRadius = `${ra.deg},${dec.deg},${radius}`;
  }
  if (values.near) {
    const r = values.near_radius || "0.1";
    if (!NUMBER.test(r) || !(Number(r) > 0 && Number(r) <= 180))
      errors.near_radius = ["The radius must be a number above 0 and at most 180°."];
    else input.coneSearchTarget = `${values.near},${Number(r)}`;
  }

  const order: TargetOrder = isTargetOrderKey(values.sort)
    ? { key: values.sort, desc: values.dir === "desc" }
    : DEFAULT_ORDER;
  const perPage = (PAGE_SIZES as readonly number[]).includes(Number(values.per_page))
    ? Number(values.per_page)
    : PAGE_SIZES[0];
  const page = /^\d{1,9}$/.test(values.page) && Number(values.page) >= 1 ? Number(values.page) : 1;
  return { values, input, search: values.q, order, page, perPage, errors };
}

/** `/targets/?…` with the current filters and the given changes ("" removes a parameter). */
export function listUrl(values: Record<string, string>, changes: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  const all: Record<string, string> = { ...values, page: "", ...changes };
  for (const k of [...KEYS, "page"]) {
    const v = all[k];
    if (v) params.set(k, v);
  }
  const s = params.toString();
  return s ? `/targets/?${s}` : "/targets/";
}

/** The link of a sortable column heading: by this column, flipping the direction when it is current. */
export function sortUrl(lq: ListQuery, key: TargetOrderKey): string {
  const current = lq.order.key === key;
  // Names read best A→Z; numbers most useful largest first (priority, importance) — except magnitudes,
  // where brightest (smallest) first.
  const firstDesc = !["name", "mag_last", "ra", "dec"].includes(key);
  const desc = current ? !lq.order.desc : firstDesc;
  return listUrl(lq.values, { sort: key, dir: desc ? "desc" : "asc" });
}

/** `aria-sort` of a column heading. */
export function ariaSort(lq: ListQuery, key: TargetOrderKey): "ascending" | "descending" | "none" {
  if (lq.order.key !== key) return "none";
  return lq.order.desc ? "descending" : "ascending";
}
