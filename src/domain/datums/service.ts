/**
 * Light-curve points (BHTOM ReducedDatum, §G.4–G.6): the paginated list of a target's points, and staff
 * deleting, deactivating and re-activating single points. Every change refreshes the target's latest
 * point (mag_last, mjd_last, filter_last, priority) in the same transaction; the statement triggers on
 * reduced_datums bump the list and plot cache generations.
 *
 * Differs from BHTOM2: 0 is a valid match value (presence, not truthiness, decides what is missing);
 * `delete_associated_data_product` is a real boolean ("false" is false); points are ordered by (mjd, id);
 * an unknown target id is a 404 like an unknown name; a point that is not found is 404 for deactivation
 * too; non-numeric match values are a 400 naming the field; errors are `{"detail": …}`.
 */
import { eq } from "drizzle-orm";
import type { Db, Executor } from "../../db/connection.ts";
import { dataProducts } from "../../db/schema/index.ts";
import { storedFilesOf } from "../dataproducts/files.ts";
import { BadRequestError, NotFoundError, ValidationError } from "../errors.ts";
import { isStaff, requireStaff, type Actor } from "../permissions.ts";
import * as targetRepo from "../targets/repo.ts";
import { refreshLastPoint } from "../targets/refresh.ts";
import * as repo from "./repo.ts";
import type { DatumItemOutput, DeleteDatumInput, ListDatumsInput, MatchDatumInput } from "./schemas.ts";

/** reducedDatum page sizes: 500, or 1000 for staff (as BHTOM). */
export const DATUM_PAGE_SIZE = 500;
export const DATUM_PAGE_SIZE_STAFF = 1000;

export function pageSizeFor(actor: Actor): number {
  return isStaff(actor) ? DATUM_PAGE_SIZE_STAFF : DATUM_PAGE_SIZE;
}

/** NaN/Infinity cannot be JSON: null. */
const finite = (v: number) => (Number.isFinite(v) ? v : null);

export function datumItem(d: repo.DatumRow): DatumItemOutput {
  return {
    id: d.id,
    data_type: d.dataType,
    source_name: d.sourceName,
    source_location: d.sourceLocation,
    mjd: finite(d.mjd),
    timestamp: d.timestamp.toISOString(),
    observer: d.observer,
    observers: d.observers ?? [],
    facility: d.facility,
    value: finite(d.value),
    value_list: [],
    value_unit: d.valueUnit,
    error: finite(d.error),
    error_list: [],
    filter: d.filter,
    wavelengths: [],
    extra_data: d.extraData ?? null,
    active_flg: d.activeFlg,
    target: d.targetId,
    data_product: d.dataProductId,
    calibration_run: d.calibrationRunId,
    calibration_version: d.calibrationVersion,
    quality_flag: d.qualityFlag,
  };
}

const present = (v: unknown) => v !== undefined && v !== null;
/** A target selector counts as given when present and not an empty string. */
const given = (v: unknown) => present(v) && v !== "";

/** An integer id from a number or a numeric string; else a 400 naming the field. */
export function parseId(value: unknown, field: string): number {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^\s*[+-]?\d{1,15}\s*$/.test(value)) return Number(value.trim());
  throw ValidationError.field(field, "A valid integer is required.");
}

/** A finite number from a number or a numeric string (Python float() without nan/inf); else 400. */
function parseNumber(value: unknown, field: string): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const t = value.trim();
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  }
  throw ValidationError.field(field, "A valid number is required.");
}

function parseText(value: unknown, field: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw ValidationError.field(field, "Not a valid string.");
}

const REQUIRED = ["mjd", "mag", "magerr", "filter", "observer"] as const;

/** The match of a delete/deactivate request; 0 and "" are values, only absent or null is missing. */
export function parseMatch(input: MatchDatumInput): repo.DatumMatch {
  const missing = REQUIRED.filter((k) => !present(input[k]));
  if (missing.length) throw new BadRequestError(`Missing required parameters: ${missing.join(", ")}.`);
  const match: repo.DatumMatch = {
    mjd: parseNumber(input.mjd, "mjd"),
    value: parseNumber(input.mag, "mag"),
    error: parseNumber(input.magerr, "magerr"),
    filter: parseText(input.filter, "filter"),
    observer: parseText(input.observer, "observer"),
  };
  if (given(input.target_id)) match.targetId = parseId(input.target_id, "target_id");
  if (given(input.target_name)) match.targetName = String(input.target_name);
  return match;
}

/** The target named by exactly one of `target_id` or `target_name` (exact name). */
async function resolveTarget(db: Executor, input: ListDatumsInput): Promise<number> {
  const hasId = given(input.target_id);
  const hasName = given(input.target_name);
  if (hasId === hasName) {
    throw new BadRequestError("Provide either 'target_id' or 'target_name', but not both.");
  }
  const target = hasId
    ? await targetRepo.findById(db, parseId(input.target_id, "target_id"))
    : await targetRepo.findByName(db, String(input.target_name));
  if (!target) throw new NotFoundError("Target does not exist.");
  return target.id;
}

/** A page of the target's points (every type and unit, inactive ones too), ordered by (mjd, id). */
export async function listDatums<P extends { offset: number; limit: number }>(
  db: Executor,
  input: ListDatumsInput,
  page: (count: number) => P,
) {
  const targetId = await resolveTarget(db, input);
  const count = await repo.countForTarget(db, targetId);
  const p = page(count);
  const rows = await repo.pageForTarget(db, targetId, p.offset, p.limit);
  return { count, page: p, items: rows.map(datumItem) };
}

const NOT_FOUND = "Reduced datum not found.";

export interface DeletedDatum {
  datum: DatumItemOutput;
  /** Stored files of a deleted data product (relative to the data directory), to remove after commit. */
  files: string[];
}

/** Staff: delete the first matching point, or its whole data product when asked and it has one. */
export async function deleteMatching(db: Db, actor: Actor, input: DeleteDatumInput): Promise<DeletedDatum> {
  requireStaff(actor);
  const match = parseMatch(input);
  return db.transaction(async (tx) => {
    const row = await repo.findFirstMatch(tx, match);
    if (!row) throw new NotFoundError(NOT_FOUND);
    let files: string[] = [];
    if (input.delete_associated_data_product === true && row.dataProductId !== null) {
      files = await storedFilesOf(tx, eq(dataProducts.id, row.dataProductId));
      const product = await repo.deleteDataProduct(tx, row.dataProductId);
      if (product.targetId !== null && product.targetId !== row.targetId) {
        await refreshLastPoint(tx, product.targetId);
      }
    } else {
      await repo.deleteById(tx, row.id);
    }
    await refreshLastPoint(tx, row.targetId);
    return { datum: datumItem(row), files };
  });
}

/** Staff: set `active_flg` on the first matching point (BHTOM's match rule). */
export async function setActiveMatching(
  db: Db,
  actor: Actor,
  input: MatchDatumInput,
  active: boolean,
): Promise<DatumItemOutput> {
  requireStaff(actor);
  const match = parseMatch(input);
  return db.transaction(async (tx) => {
    const row = await repo.findFirstMatch(tx, match);
    if (!row) throw new NotFoundError(NOT_FOUND);
    return changeActive(tx, row, active);
  });
}

/** Staff: set `active_flg` on the point with this id. */
export async function setActiveById(
  db: Db,
  actor: Actor,
  id: number,
  active: boolean,
): Promise<DatumItemOutput> {
  requireStaff(actor);
  return db.transaction(async (tx) => {
    const row = await repo.findById(tx, id);
    if (!row) throw new NotFoundError(NOT_FOUND);
    return changeActive(tx, row, active);
  });
}

async function changeActive(tx: Executor, row: repo.DatumRow, active: boolean): Promise<DatumItemOutput> {
  const updated = row.activeFlg === active ? row : await repo.setActive(tx, row.id, active);
  await refreshLastPoint(tx, row.targetId);
  return datumItem({ ...updated, calibrationVersion: row.calibrationVersion });
}
