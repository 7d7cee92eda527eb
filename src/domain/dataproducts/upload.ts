/**
 * `POST /upload/` (bhtom-behaviour.md §B.1, calibration.md §2.1): check the form fields, then store each
 * received file as a data product in one transaction. Light-curve CSVs and spectra become points at once;
 * instrumental catalogues (`photometry`) and images (`fits_file`) are queued for processing (status C).
 * A failure leaves no row and no file behind.
 */
import { eq, inArray, and } from "drizzle-orm";
import { FilterRequestError, parseFilterRequest } from "../../astro/calibrate/bands.ts";
import {
  CommitOutcomeUnknownError,
  inTransaction,
  type Database,
  type Executor,
} from "../../db/connection.ts";
import type { JobQueue } from "../../db/queue.ts";
import { dataProducts, users } from "../../db/schema/index.ts";
import { beginPlacement, uniqueStoredName, sanitizeFileName } from "../../storage.ts";
import { DATA_PRODUCT_TYPES, type DataProductType } from "../../vocabulary.ts";
import { BadRequestError, ConflictError } from "../errors.ts";
import { booleanWord } from "../input.ts";
import { ensureFavourite, findActiveCameraByOname, recordUpload } from "../observatories/service.ts";
import { findCameraByPrefix } from "../observatories/repo.ts";
import type { Actor } from "../permissions.ts";
import * as targetsRepo from "../targets/repo.ts";
import type { TargetRow } from "../targets/repo.ts";
import { settleBulkLoad } from "../datums/settle.ts";
import { ingestLightCurve, ingestSpectrum, type IngestReport } from "./ingest.ts";
import { FLUX_UNIT_NAMES, fluxUnitToMjy } from "./lightcurve-csv.ts";

/** Job that processes a queued data product (calibration of catalogues, FITS pipeline). */
export const PROCESS_JOB = "dataproducts.process";

/** A file already streamed to a temporary path under the data directory. */
export interface ReceivedUpload {
  field: string;
  originalName: string;
  /** Temporary path relative to the data directory. */
  tempPath: string;
  sizeBytes: number;
  sha256: string;
}

/** The form fields as received: strings, or lists of strings for repeated fields. */
export type UploadFields = Record<string, string | string[]>;

export interface UploadPlan {
  target: TargetRow;
  type: DataProductType;
  facility: string;
  cameraId: number | null;
  filter: string;
  dryRun: boolean;
  mjd: number | null;
  observers: string[];
  matchDist: number | null;
  comment: string | null;
  /** `photometry_csv`: the flux unit of a radio light curve without a unit column (mJy, uJy, Jy). */
  unit: string | null;
}

const last = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v[v.length - 1] : v;

/** A form boolean: DRF's words (True/False, yes/no, 1/0, …); absent, "" and Python's "None" are false. */
function bool(value: string | undefined, field: string): boolean {
  if (value === undefined || ["", "none"].includes(value.trim().toLowerCase())) return false;
  const b = booleanWord(value);
  if (b === undefined)
    throw new BadRequestError(`${field}: expected True or False, got ${JSON.stringify(value)}`);
  return b;
}

function number(value: string | undefined, field: string): number | null {
  if (value === undefined || value.trim() === "" || value.trim().toLowerCase() === "none") return null;
  const n = Number(value.trim());
  if (!Number.isFinite(n)) throw new BadRequestError(`${field}: not a number: ${JSON.stringify(value)}`);
  return n;
}

/** Usernames from `observers` (repeated field or comma-separated) and the scripts' `observer`. */
function observerNames(fields: UploadFields): string[] {
  const raw = [fields.observers, fields.observer].flatMap((v) =>
    v === undefined ? [] : Array.isArray(v) ? v : [v],
  );
  const names = raw.flatMap((v) => v.split(",")).map((s) => s.trim());
  return [...new Set(names.filter((n) => n && n.toLowerCase() !== "none"))];
}

/** The target by exact name, else by numeric id, else by name or alias ignoring case. */
async function resolveTarget(db: Executor, ref: string): Promise<TargetRow> {
  const found =
    (await targetsRepo.findByName(db, ref)) ??
    (/^\d+$/.test(ref) ? await targetsRepo.findById(db, Number(ref)) : undefined) ??
    (await targetsRepo.findExactNameOrAlias(db, ref));
  if (!found) throw new BadRequestError(`target: no target named ${JSON.stringify(ref)} (name, alias or id)`);
  return found;
}

/** Check every field; throws BadRequestError naming the field. */
export async function planUpload(db: Executor, actor: Actor, fields: UploadFields): Promise<UploadPlan> {
  const targetRef = last(fields.target)?.trim() || last(fields.target_name)?.trim();
  if (!targetRef) throw new BadRequestError("target: this field is required (target name, alias or id)");
  const typeText = last(fields.data_product_type)?.trim();
  if (!typeText)
    throw new BadRequestError(`data_product_type: required, one of ${DATA_PRODUCT_TYPES.join(", ")}`);
  if (!(DATA_PRODUCT_TYPES as readonly string[]).includes(typeText)) {
    throw new BadRequestError(
      `data_product_type: ${JSON.stringify(typeText)} is not one of ${DATA_PRODUCT_TYPES.join(", ")}`,
    );
  }
  const type = typeText as DataProductType;
  const target = await resolveTarget(db, targetRef);

  const observatory = (last(fields.observatory) ?? last(fields.oname) ?? "").trim();
  let cameraId: number | null = null;
  if (type === "fits_file" || type === "photometry") {
    if (!observatory)
      throw new BadRequestError("observatory: required for fits_file and photometry (the camera's ONAME)");
    const found = await findActiveCameraByOname(db, observatory);
    if (!found) {
      const camera = await findCameraByPrefix(db, observatory);
      throw new BadRequestError(
        camera
          ? `observatory: the camera ${observatory} is not active yet (staff activate new cameras)`
          : `observatory: no camera with ONAME ${JSON.stringify(observatory)}`,
      );
    }
    if (type === "fits_file" && found.observatory.calibrationFlg) {
      throw new BadRequestError(
        `observatory: ${found.observatory.name} accepts only instrumental photometry (calibration_flg), not FITS images`,
      );
    }
    cameraId = found.camera.id;
  } else if (observatory.length > 100) {
    throw new BadRequestError("observatory: at most 100 characters");
  }

  const filter = (last(fields.filter) ?? "").trim() || "GaiaSP/any";
  if (type === "fits_file" || type === "photometry") {
    try {
      parseFilterRequest(filter);
    } catch (err) {
      if (err instanceof FilterRequestError) throw new BadRequestError(`filter: ${err.message}`);
      throw err;
    }
  }
  const mjd = number(last(fields.mjd), "mjd");
  if (type === "photometry" && mjd === null) {
    throw new BadRequestError("mjd: required for photometry uploads (MJD of the observation)");
  }
  if (mjd !== null && !(mjd > 0 && mjd < 100_000))
    throw new BadRequestError(`mjd: ${mjd} is not a plausible MJD`);
  const matchDist = number(last(fields.match_dist), "match_dist");
  const dryRun = bool(last(fields.dry_run), "dry_run");

  const observers = observerNames(fields);
  if (observers.length) {
    const rows = await db.select({ u: users.username }).from(users).where(inArray(users.username, observers));
    const known = new Set(rows.map((r) => r.u));
    const unknown = observers.filter((o) => !known.has(o));
    if (unknown.length) throw new BadRequestError(`observers: unknown user(s): ${unknown.join(", ")}`);
  }
  const unit = last(fields.unit)?.trim() || null;
  if (unit !== null && fluxUnitToMjy(unit) === null)
    throw new BadRequestError(`unit: ${JSON.stringify(unit.slice(0, 50))} is not one of ${FLUX_UNIT_NAMES}`);
  const commentText = last(fields.comment)?.trim();
  return {
    target,
    type,
    facility: observatory,
    cameraId,
    filter,
    dryRun,
    mjd,
    observers: observers.length ? observers : [actor.username],
    matchDist: matchDist !== null && matchDist > 0 ? matchDist : null,
    comment: commentText && commentText !== "None" ? commentText.slice(0, 10_000) : null,
    unit,
  };
}

export interface UploadResultItem {
  id: number;
  file: string;
  original_name: string;
  data_product_type: DataProductType;
  status: string;
  status_message: string;
  points?: number;
  rejected_rows?: IngestReport["rejected"];
}

/** Store the files of a planned upload; on any failure nothing (rows, files) is left behind. */
export async function storeUpload(
  database: Database,
  queue: JobQueue | null,
  dataDir: string,
  actor: Actor,
  plan: UploadPlan,
  files: ReceivedUpload[],
): Promise<UploadResultItem[]> {
  if (files.length === 0) throw new BadRequestError("files: no file in the request");
  if (plan.type === "photometry" && files.length > 1) {
    throw new BadRequestError("files: send one catalogue per photometry upload (each needs its own mjd)");
  }
  const needsQueue = plan.type === "photometry" || plan.type === "fits_file";
  if (needsQueue && !queue) throw new Error("background queue unavailable");
  if (needsQueue) await queue!.declare(PROCESS_JOB);
  const seen = new Map<string, string>();
  for (const f of files) {
    if (f.sizeBytes === 0) throw new BadRequestError(`${f.originalName}: the file is empty`);
    const twin = seen.get(f.sha256);
    if (twin) throw new BadRequestError(`${f.originalName}: the same file as ${twin} in this request`);
    seen.set(f.sha256, f.originalName);
  }
  const folder = `targets/${sanitizeFileName(plan.target.name, `target-${plan.target.id}`)}/${plan.type}`;
  const destinations = files.map((f) => uniqueStoredName(folder, f.originalName));
  // Files move into place inside the transaction; a crash before its commit leaves a journal that the
  // next start resolves (storage.ts), so no file without a row and no row without a file survives.
  const placement = await beginPlacement(
    dataDir,
    files.map((f, i) => ({ from: f.tempPath, to: destinations[i] })),
  );
  try {
    const out = await inTransaction(database, async (tx, client) => {
      // Files stored for real (dry runs never block; a dry run of a stored file is refused as the real
      // upload would be).
      const earlier = await tx
        .select({ id: dataProducts.id, sha: dataProducts.sha256 })
        .from(dataProducts)
        .where(
          and(
            eq(dataProducts.targetId, plan.target.id),
            inArray(dataProducts.sha256, [...seen.keys()]),
            eq(dataProducts.dryRun, false),
          ),
        );
      if (earlier.length) {
        const name = seen.get(earlier[0].sha);
        throw new ConflictError(
          `${name}: this file was already uploaded for ${plan.target.name} as data product ${earlier[0].id}`,
        );
      }
      const favouriteId = plan.cameraId === null ? null : await ensureFavourite(tx, actor.id, plan.cameraId);
      const out: UploadResultItem[] = [];
      for (const [i, f] of files.entries()) {
        const relative = destinations[i];
        await placement.move(i);
        const [dp] = await tx
          .insert(dataProducts)
          .values({
            targetId: plan.target.id,
            favouriteId,
            cameraId: plan.cameraId,
            facility: plan.facility,
            userId: actor.id,
            observers: plan.observers,
            data: relative,
            fitsData: plan.type === "fits_file" ? relative : null,
            originalName: f.originalName.slice(0, 255),
            sha256: f.sha256,
            sizeBytes: f.sizeBytes,
            dataProductType: plan.type,
            dryRun: plan.dryRun,
            comment: plan.comment,
            filter: plan.filter,
            matchDist: plan.matchDist,
            mjd: plan.mjd,
            status: "C",
            statusMessage: needsQueue ? "Queued for processing" : "",
          })
          .returning();
        if (favouriteId !== null) await recordUpload(tx, favouriteId, f.sizeBytes);
        const item: UploadResultItem = {
          id: dp.id,
          file: relative,
          original_name: f.originalName,
          data_product_type: plan.type,
          status: "C",
          status_message: dp.statusMessage,
        };
        if (plan.type === "photometry_csv" || plan.type === "spectroscopy") {
          const report =
            plan.type === "photometry_csv"
              ? await ingestLightCurve(tx, dataDir, dp, plan, actor)
              : await ingestSpectrum(tx, dataDir, dp, plan, actor);
          Object.assign(item, {
            status: report.status,
            status_message: report.message,
            points: report.points,
          });
          if (report.rejected.length) item.rejected_rows = report.rejected;
        } else {
          await queue!.send(PROCESS_JOB, { dataProductId: dp.id }, { client, singletonKey: `dp-${dp.id}` });
        }
        out.push(item);
      }
      return out;
    });
    await placement.committed();
    return out;
  } catch (err) {
    // A commit that may have happened keeps its files: the journal decides at the next start.
    if (!(err instanceof CommitOutcomeUnknownError)) await placement.abandon();
    // Two real uploads of one file at the same moment: the unique index refuses the second.
    const e = err as { code?: string; constraint?: string };
    if (e.code === "23505" && e.constraint === "data_products_target_sha256") {
      throw new ConflictError(
        `this file was uploaded for ${plan.target.name} at the same moment by another request`,
      );
    }
    throw err;
  }
}

export interface UploadOutcome {
  plan: UploadPlan;
  /** One line for people: how many files, for which target, how many queued, dry run. */
  message: string;
  items: UploadResultItem[];
}

/**
 * The whole upload after the files were received: check the fields, store the files, say what happened.
 * The API's `POST /upload/` and the web upload page both call this.
 */
export async function uploadFiles(
  database: Database,
  queue: JobQueue | null,
  dataDir: string,
  actor: Actor,
  fields: UploadFields,
  files: ReceivedUpload[],
): Promise<UploadOutcome> {
  const plan = await planUpload(database.db, actor, fields);
  const items = await storeUpload(database, queue, dataDir, actor, plan, files);
  await settleBulkLoad(
    database.db,
    items.reduce((sum, i) => sum + (i.points ?? 0), 0),
  );
  const queued = items.filter((i) => i.status === "C").length;
  const message =
    `${items.length} file(s) uploaded for ${plan.target.name}` +
    (queued ? `; ${queued} queued for processing` : "") +
    (plan.dryRun ? " (dry run: nothing is added to the light curve)" : "");
  return { plan, message, items };
}
