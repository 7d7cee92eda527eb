/**
 * Targets: create, update, delete and list (API guide §F), with BHTOM's defaults and name rules, the
 * 3-arcsec duplicate rule, cone searches, and the derived fields kept true.
 * Differs from BHTOM2: validation errors are 400 field dicts; update/delete are limited to the creator
 * and staff; update saves `description`; sexagesimal coordinates and "J2000" epochs are accepted.
 */
import { targetAliases } from "../../db/schema/index.ts";
import type { HarvesterSet } from "../../harvesters/index.ts";
import { aliasesFromIdentifiers, resolveTargetName } from "./resolve.ts";
import { eq, sql } from "drizzle-orm";
import { coneQuery } from "../../astro/cone.ts";
import { mjdFromDate } from "../../astro/time.ts";
import type { Db, Executor } from "../../db/connection.ts";
import { dataProducts } from "../../db/schema/index.ts";
import { storedFilesOf } from "../dataproducts/files.ts";
import { instantToDate, parseApiDateTime } from "../dateparse.ts";
import { NotFoundError, ValidationError, type FieldErrors } from "../errors.ts";
import { DATETIME_MESSAGE } from "../input.ts";
import { isStaff, requireOwnerOrStaff, type Actor } from "../permissions.ts";
import { observingPriority, positionFields } from "./derived.ts";
import * as repo from "./repo.ts";
import { removeStoredFiles } from "../../storage.ts";
import { removeCachedDownloads } from "../downloads/file-cache.ts";
import { nameProblems, normaliseClassification, parseCoordinates, parseEpoch } from "./rules.ts";
import type { CreateTargetInput, UpdateTargetInput } from "./schemas.ts";

export { targetListItem, targetSummary } from "./serialize.ts";
export type { TargetRow } from "./repo.ts";

/** Radius of BHTOM's duplicate-position rule. */
export const DUPLICATE_RADIUS_ARCSEC = 3;
export const DEFAULTS = { epoch: 2000.0, classification: "Unknown", importance: 9.98, cadence: 1.0 } as const;

const FLAGS = [
  "has_optical",
  "has_infrared",
  "has_radio",
  "has_xray",
  "has_gamma",
  "has_polarimetry",
] as const;
const FLAG_COLUMNS = {
  has_optical: "hasOptical",
  has_infrared: "hasInfrared",
  has_radio: "hasRadio",
  has_xray: "hasXray",
  has_gamma: "hasGamma",
  has_polarimetry: "hasPolarimetry",
} as const;

function fail(errors: FieldErrors): void {
  if (Object.keys(errors).length) throw new ValidationError(errors);
}

/** The columns a create/update input sets (validated), plus the position when given. */
function columnsFrom(input: UpdateTargetInput, errors: FieldErrors) {
  const patch: Partial<repo.NewTargetRow> = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    const problems = nameProblems(name);
    if (problems.length) errors.name = problems;
    patch.name = name;
  }
  const { raDeg, decDeg } = parseCoordinates(input.ra, input.dec, errors);
  if (raDeg !== undefined) patch.ra = raDeg;
  if (decDeg !== undefined) patch.dec = decDeg;
  if (input.epoch !== undefined) patch.epoch = parseEpoch(input.epoch, errors);
  if (input.classification !== undefined)
    patch.classification = normaliseClassification(input.classification);
  if (input.discovery_date === null) patch.discoveryDate = null;
  else if (input.discovery_date !== undefined) {
    const when = parseApiDateTime(input.discovery_date);
    if (when.ok) patch.discoveryDate = instantToDate(when.instant);
    else errors.discovery_date = [DATETIME_MESSAGE];
  }
  if (input.importance !== undefined) patch.importance = input.importance;
  if (input.cadence !== undefined) patch.cadence = input.cadence;
  if (input.description !== undefined) patch.description = input.description;
  for (const f of FLAGS) if (input[f] !== undefined) patch[FLAG_COLUMNS[f]] = input[f] ?? false;
  return patch;
}

async function assertNoNeighbour(
  db: Executor,
  raDeg: number,
  decDeg: number,
  exceptId?: number,
): Promise<void> {
  const cone = coneQuery(raDeg, decDeg, DUPLICATE_RADIUS_ARCSEC / 3600);
  if (!cone.ok) return;
  const [other] = await repo.findInCone(db, cone.cone, exceptId, 1);
  if (other) {
    throw new ValidationError({
      non_field_errors: [
        `Source found already at these coordinates (rad ${DUPLICATE_RADIUS_ARCSEC} arcsec): ${other.name}`,
      ],
    });
  }
}

async function assertNameFree(db: Executor, name: string, exceptId?: number): Promise<void> {
  const existing = await repo.findByName(db, name);
  if (existing && existing.id !== exceptId) {
    throw new ValidationError({ name: ["target with this Name already exists."] });
  }
}

function displayName(actor: Actor & { firstName?: string; lastName?: string }): string {
  const full = [actor.firstName, actor.lastName].filter(Boolean).join(" ");
  return `${full || actor.username}(${actor.username})`;
}

/** Serialises target creation: the 3″ rule and name uniqueness cannot race. */
const CREATE_LOCK = 0x74617267; // "targ"

/**
 * Create a target. With `resolvers`, a name without ra and dec is resolved first (resolve.ts: the Gaia
 * Alerts index, CDS Sesame; cached) and the object's other identifiers become aliases; with ra/dec given
 * nothing is asked.
 */
export async function createTarget(
  db: Db,
  actor: Actor & { firstName?: string; lastName?: string },
  given: CreateTargetInput,
  now = new Date(),
  resolvers?: HarvesterSet,
): Promise<repo.TargetRow> {
  let input = given;
  let aliases: { sourceName: string; name: string }[] = [];
  const missing = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");
  if (
    resolvers &&
    missing(given.ra) &&
    missing(given.dec) &&
    typeof given.name === "string" &&
    given.name.trim()
  ) {
    const resolved = await resolveTargetName(db, resolvers, given.name, now);
    input = { ...given, ra: resolved.raDeg, dec: resolved.decDeg };
    aliases = aliasesFromIdentifiers(given.name.trim(), resolved.identifiers);
  }
  const errors: FieldErrors = {};
  for (const key of ["ra", "dec"] as const)
    if (missing(input[key])) errors[key] = ["This field is required."];
  // null means "the default" where there is one (create_target.py sends None for options not given).
  const { epoch, classification, importance: imp, cadence: cad, ...rest } = input;
  const cols = columnsFrom(
    {
      ...rest,
      ...(epoch === null || epoch === undefined ? {} : { epoch }),
      ...(imp === null || imp === undefined ? {} : { importance: imp }),
      ...(cad === null || cad === undefined ? {} : { cadence: cad }),
      ...(classification === null || classification === undefined ? {} : { classification }),
    },
    errors,
  );
  fail(errors);
  const ra = cols.ra as number;
  const dec = cols.dec as number;
  const importance = cols.importance ?? DEFAULTS.importance;
  const cadence = cols.cadence ?? DEFAULTS.cadence;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CREATE_LOCK})`);
    await assertNameFree(tx, cols.name as string);
    await assertNoNeighbour(tx, ra, dec);
    const row = await repo.insertTarget(tx, {
      ...cols,
      name: cols.name as string,
      type: "SIDEREAL",
      epoch: cols.epoch ?? DEFAULTS.epoch,
      classification: cols.classification ?? DEFAULTS.classification,
      importance,
      cadence,
      ...positionFields(ra, dec, now),
      ...observingPriority(importance, cadence, 0, mjdFromDate(now)),
      createdBy: actor.id,
    });
    await repo.insertComment(tx, {
      targetId: row.id,
      userId: actor.id,
      userName: actor.username,
      comment: `Target created by ${displayName(actor)} on ${row.created.toISOString()}`,
    });
    if (aliases.length) {
      await tx
        .insert(targetAliases)
        .values(aliases.map((a) => ({ targetId: row.id, sourceName: a.sourceName, name: a.name })))
        .onConflictDoNothing();
    }
    return row;
  });
}

async function targetForChange(db: Executor, actor: Actor, name: string): Promise<repo.TargetRow> {
  const target = await repo.findByName(db, name);
  if (!target) throw new NotFoundError(`Target ${name} does not exist.`);
  requireOwnerOrStaff(actor, target.createdBy, "this target");
  return target;
}

export async function updateTarget(
  db: Db,
  actor: Actor,
  name: string,
  input: UpdateTargetInput,
  now = new Date(),
): Promise<repo.TargetRow> {
  return db.transaction(async (tx) => {
    const target = await targetForChange(tx, actor, name);
    const errors: FieldErrors = {};
    const cols = columnsFrom(input, errors);
    fail(errors);
    if (cols.name !== undefined && cols.name !== target.name) await assertNameFree(tx, cols.name, target.id);
    const ra = cols.ra ?? target.ra;
    const dec = cols.dec ?? target.dec;
    const moved = (cols.ra !== undefined || cols.dec !== undefined) && ra !== null && dec !== null;
    if (moved) await assertNoNeighbour(tx, ra, dec, target.id);
    const importance = cols.importance ?? target.importance;
    const cadence = cols.cadence ?? target.cadence;
    return repo.updateTargetRow(tx, target.id, {
      ...cols,
      ...(moved ? positionFields(ra, dec, now) : {}),
      ...observingPriority(importance, cadence, target.mjdLast, mjdFromDate(now)),
    });
  });
}

/**
 * Delete the target with everything of it in the database; then remove its files: every file of its data
 * products (uploads, catalogues, calibration plots, FITS previews) and its cached downloads (failures are
 * reported to `onFileError`, the delete stands).
 */
export async function deleteTarget(
  db: Db,
  dataDir: string,
  actor: Actor,
  name: string,
  onFileError: (err: unknown) => void,
): Promise<void> {
  const { id, files } = await db.transaction(async (tx) => {
    const target = await targetForChange(tx, actor, name);
    const files = await storedFilesOf(tx, eq(dataProducts.targetId, target.id));
    await repo.deleteTargetRow(tx, target.id);
    return { id: target.id, files };
  });
  await Promise.all([removeStoredFiles(dataDir, files), removeCachedDownloads(dataDir, id)]).catch(
    onFileError,
  );
}

export async function getTarget(db: Executor, name: string): Promise<repo.TargetRow> {
  const target = await repo.findByName(db, name);
  if (!target) throw new NotFoundError(`Target ${name} does not exist.`);
  return target;
}

export function canChange(actor: Actor, target: repo.TargetRow): boolean {
  return target.createdBy === actor.id || isStaff(actor);
}

/** The target with this exact name, else the one whose name or alias equals the text ignoring case. */
export async function findTargetByNameOrAlias(
  db: Executor,
  text: string,
): Promise<repo.TargetRow | undefined> {
  return (await repo.findByName(db, text)) ?? (await repo.findExactNameOrAlias(db, text));
}
