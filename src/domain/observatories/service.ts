/**
 * Observatories, cameras and favourites (API guide section D; bhtom-behaviour.md §D, §4.10–4.12).
 *
 * - An observatory has an owner (its creator) and one or more cameras. A camera's ONAME (`prefix`) is
 *   always `<observatory name>_<camera name>`, kept true through every rename. A new camera is inactive
 *   until staff activates it; uploads accept active cameras only.
 * - The owner or staff change an observatory and its cameras; staff (or the operator's CLI) activate.
 * - A favourite is one user's link to a camera (BHTOM ObservatoryMatrix); uploads go through one and count
 *   their files and bytes on it (`recordUpload`).
 *
 * The caller may be the system (SYSTEM: the operator's CLI, `skytom demo`) with every right. Multi-row writes run in one transaction; an
 * example file is written before it and removed again if the transaction fails.
 *
 * This module holds the observatory and camera operations and is the entry point of the whole API: it
 * re-exports the public parts of `rules.ts` (messages, ONAME, date-times), `views.ts`, `files.ts` (example
 * files) and `favourites.ts`.
 */
import type { Db, Executor } from "../../db/connection.ts";
import { removeStoredFiles } from "../../storage.ts";
import { NotFoundError, ValidationError, type FieldErrors } from "../errors.ts";
import { readDateRange } from "../input.ts";
import { isSystem, requireOwnerOrStaff, requireStaff, type Actor, type Caller } from "../permissions.ts";
import { isUploadedPath, withExampleFile, type FileOptions } from "./files.ts";
import { checkBayerBands } from "./bayer.ts";
import * as repo from "./repo.ts";
import {
  CAMERA_COLUMNS,
  MESSAGES,
  OBSERVATORY_COLUMNS,
  checkOnameLength,
  cleanName,
  columnsFrom,
  onameOf,
  present,
  throwIfAny,
} from "./rules.ts";
import {
  ONAME_MAX_LENGTH,
  type CameraView,
  type CreateCameraInput,
  type CreateObservatoryInput,
  type ObservatoryListInput,
  type ObservatoryView,
  type PatchCameraInput,
  type PatchObservatoryInput,
  type UpdateObservatoryInput,
} from "./schemas.ts";
import { learntColourTerms } from "../calibration/colour.ts";
import { observatoryView, toCameraView, toObservatoryView, type Paged } from "./views.ts";

export type { CameraRow, FavouriteRow, ObservatoryRow } from "./repo.ts";
export { MESSAGES, onameOf } from "./rules.ts";
export { toCameraView, toObservatoryView, type Paged } from "./views.ts";
export {
  EXAMPLE_FILE_FOLDER,
  EXAMPLE_FILE_MAX_BYTES,
  exampleFileFrom,
  type FileOptions,
  type UploadedFile,
} from "./files.ts";
export {
  addFavourite,
  deleteFavourite,
  ensureFavourite,
  listFavourites,
  recordUpload,
  type UploadCounters,
} from "./favourites.ts";

// ---------------------------------------------------------------------------------------------- transactions

/** The constraint a unique violation (SQLSTATE 23505) hit, if this error is one. */
function uniqueViolation(err: unknown): string | undefined {
  for (
    let e = err as { code?: string; constraint?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.code === "23505") return e.constraint ?? "";
  }
  return undefined;
}

/** Run in a transaction; a unique violation that slipped past the checks (a race) becomes a field error. */
async function transact<T>(db: Db, fn: (tx: Executor) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(fn);
  } catch (err) {
    const constraint = uniqueViolation(err);
    if (constraint === undefined) throw err;
    if (constraint.startsWith("observatories_name"))
      throw ValidationError.field("name", MESSAGES.duplicateName);
    if (constraint.startsWith("cameras_prefix")) {
      throw ValidationError.field("camera_name", "A camera with this ONAME already exists.");
    }
    if (constraint.startsWith("cameras_"))
      throw ValidationError.field("camera_name", MESSAGES.duplicateCamera);
    throw err;
  }
}

// ------------------------------------------------------------------------------------ observatories, cameras

/** Everything a new camera needs, checked; errors are collected in `errors`. */
async function cameraDraft(
  db: Executor,
  observatory: { id?: number; name: string | undefined },
  input: CreateCameraInput,
  errors: FieldErrors,
): Promise<{ cameraName: string; prefix: string; columns: Partial<repo.NewCameraRow> } | undefined> {
  const cameraName = cleanName(input.camera_name, "camera_name", errors);
  const columns = columnsFrom(input, CAMERA_COLUMNS, errors) as Partial<repo.NewCameraRow>;
  bayerBandsInto(input, columns, errors);
  if (cameraName === undefined || observatory.name === undefined) return undefined;
  const prefix = onameOf(observatory.name, cameraName);
  checkOnameLength(prefix, "camera_name", errors);
  if (errors.camera_name) return undefined;
  if (observatory.id !== undefined && (await repo.findCamera(db, observatory.id, cameraName))) {
    errors.camera_name = [MESSAGES.duplicateCamera];
  } else if (await repo.findCameraByPrefix(db, prefix)) {
    errors.camera_name = [`A camera with the ONAME "${prefix}" already exists.`];
  }
  return { cameraName, prefix, columns };
}

/**
 * Create an observatory owned by the caller with its first camera (inactive until staff activates it).
 * Camera fields left out take the model defaults; `calibration_flg` defaults to false.
 */
export async function createObservatory(
  db: Db,
  actor: Actor,
  input: CreateObservatoryInput,
  opts: FileOptions,
): Promise<ObservatoryView> {
  const errors: FieldErrors = {};
  const name = cleanName(input.name, "name", errors);
  const columns = columnsFrom(input, OBSERVATORY_COLUMNS, errors) as Partial<repo.NewObservatoryRow>;
  if (name !== undefined && (await repo.findObservatoryByName(db, name)))
    errors.name = [MESSAGES.duplicateName];
  // A duplicate name implies a duplicate ONAME: report the name only.
  const camera = await cameraDraft(db, { name: errors.name ? undefined : name }, input, errors);
  throwIfAny(errors);
  if (name === undefined || !camera) throw new Error("unreachable: checked above");
  const { observatory, cameraRow } = await withExampleFile(
    opts,
    camera.prefix,
    input.example_file,
    (exampleFile) =>
      transact(db, async (tx) => {
        const observatory = await repo.insertObservatory(tx, {
          ...columns,
          lon: input.lon as number,
          lat: input.lat as number,
          name,
          userId: actor.id,
        });
        const cameraRow = await repo.insertCamera(tx, {
          ...camera.columns,
          observatoryId: observatory.id,
          userId: actor.id,
          cameraName: camera.cameraName,
          prefix: camera.prefix,
          activeFlg: false,
          exampleFile: exampleFile ?? null,
        });
        return { observatory, cameraRow };
      }),
  );
  return toObservatoryView(observatory, [cameraRow]);
}

/**
 * Change an observatory (owner or staff). A `name` in the input renames it, and every camera's ONAME
 * follows in the same transaction.
 */
export async function updateObservatory(
  db: Db,
  caller: Caller,
  name: string,
  input: PatchObservatoryInput,
): Promise<ObservatoryView> {
  const observatory = await repo.findObservatoryByName(db, name);
  if (!observatory) throw new NotFoundError(MESSAGES.noObservatory);
  requireOwnerOrStaff(caller, observatory.userId, "this observatory");
  const errors: FieldErrors = {};
  const patch = columnsFrom(input, OBSERVATORY_COLUMNS, errors) as Partial<repo.NewObservatoryRow>;
  const newName = input.name === undefined ? undefined : cleanName(input.name, "name", errors);
  const renaming = newName !== undefined && newName !== observatory.name;
  if (renaming) {
    if (await repo.findObservatoryByName(db, newName)) errors.name = [MESSAGES.duplicateName];
    else {
      const prefixes = (await repo.camerasOf(db, [observatory.id])).map((c) =>
        onameOf(newName, c.cameraName),
      );
      const tooLong = prefixes.find((p) => p.length > ONAME_MAX_LENGTH);
      const taken = await repo.prefixesTakenElsewhere(db, prefixes, observatory.id);
      if (tooLong) checkOnameLength(tooLong, "name", errors);
      else if (taken.length) {
        errors.name = [`Renaming would give the ONAME "${taken[0]}", which another camera already has.`];
      }
    }
  }
  throwIfAny(errors);
  if (renaming) patch.name = newName;
  const row = await transact(db, async (tx) => {
    const updated = await repo.updateObservatoryRow(tx, observatory.id, patch);
    if (renaming) await repo.renameObservatoryPrefixes(tx, observatory.id, newName);
    return updated;
  });
  return observatoryView(db, row);
}

/** BHTOM's `updateObservatory`: `name` finds the observatory; the other fields change it. */
export async function updateObservatoryByName(
  db: Db,
  caller: Caller,
  input: UpdateObservatoryInput,
): Promise<ObservatoryView> {
  const { name, ...fields } = input;
  if (name === null) throw ValidationError.field("name", "This field may not be null.");
  return updateObservatory(db, caller, name, fields);
}

export async function getObservatory(db: Executor, name: string): Promise<ObservatoryView> {
  const row = await repo.findObservatoryByName(db, name);
  if (!row) throw new NotFoundError(MESSAGES.noObservatory);
  return observatoryView(db, row);
}

/** Add a camera to an observatory (owner or staff); it is inactive until staff activates it. */
export async function addCamera(
  db: Db,
  caller: Caller,
  observatoryName: string,
  input: CreateCameraInput,
  opts: FileOptions,
): Promise<CameraView> {
  const observatory = await repo.findObservatoryByName(db, observatoryName);
  if (!observatory) throw new NotFoundError(MESSAGES.noObservatory);
  requireOwnerOrStaff(caller, observatory.userId, "this observatory");
  const errors: FieldErrors = {};
  const camera = await cameraDraft(db, observatory, input, errors);
  throwIfAny(errors);
  if (!camera) throw new Error("unreachable: checked above");
  const row = await withExampleFile(opts, camera.prefix, input.example_file, (exampleFile) =>
    transact(db, (tx) =>
      repo.insertCamera(tx, {
        ...camera.columns,
        observatoryId: observatory.id,
        // The system adds cameras for the observatory's owner.
        userId: isSystem(caller) ? observatory.userId : caller.id,
        cameraName: camera.cameraName,
        prefix: camera.prefix,
        activeFlg: false,
        exampleFile: exampleFile ?? null,
      }),
    ),
  );
  return toCameraView(row);
}

/** Change a camera (the observatory's owner or staff); `camera_name` renames it and its ONAME. */
export async function updateCamera(
  db: Db,
  caller: Caller,
  oname: string,
  input: PatchCameraInput,
  opts: FileOptions,
): Promise<CameraView> {
  const found = await repo.findCameraWithObservatory(db, oname, false);
  if (!found) throw new NotFoundError(MESSAGES.noOname);
  const { camera, observatory } = found;
  requireOwnerOrStaff(caller, observatory.userId, "this observatory");
  const errors: FieldErrors = {};
  const patch = columnsFrom(input, CAMERA_COLUMNS, errors) as Partial<repo.NewCameraRow>;
  bayerBandsInto(input, patch, errors);
  const newName =
    input.camera_name === undefined ? undefined : cleanName(input.camera_name, "camera_name", errors);
  const renaming = newName !== undefined && newName !== camera.cameraName;
  if (renaming) {
    const prefix = onameOf(observatory.name, newName);
    checkOnameLength(prefix, "camera_name", errors);
    if (!errors.camera_name) {
      if (await repo.findCamera(db, observatory.id, newName)) errors.camera_name = [MESSAGES.duplicateCamera];
      else if (await repo.findCameraByPrefix(db, prefix)) {
        errors.camera_name = [`A camera with the ONAME "${prefix}" already exists.`];
      }
    }
    patch.cameraName = newName;
    patch.prefix = prefix;
  }
  throwIfAny(errors);
  const row = await withExampleFile(
    opts,
    patch.prefix ?? camera.prefix,
    input.example_file,
    (exampleFile) => {
      if (exampleFile !== undefined) patch.exampleFile = exampleFile;
      return transact(db, (tx) => repo.updateCameraRow(tx, camera.id, patch));
    },
  );
  if (isUploadedPath(camera.exampleFile) && row.exampleFile !== camera.exampleFile) {
    await removeStoredFiles(opts.dataDir, [camera.exampleFile as string]).catch(() => undefined);
  }
  return toCameraView(row);
}

/** Activate or deactivate a camera (staff; the operator's CLI). Uploads accept active cameras only. */
export async function setCameraActive(
  db: Executor,
  caller: Caller,
  oname: string,
  active: boolean,
): Promise<CameraView> {
  requireStaff(caller);
  const camera = await repo.findCameraByPrefix(db, oname);
  if (!camera) throw new NotFoundError(MESSAGES.noOname);
  return toCameraView(await repo.setCameraActive(db, camera.id, active));
}

/** An active camera and its observatory by ONAME (for uploads), or undefined. */
export async function findActiveCameraByOname(
  db: Executor,
  oname: string,
): Promise<{ camera: repo.CameraRow; observatory: repo.ObservatoryRow } | undefined> {
  return repo.findCameraWithObservatory(db, oname, true);
}

/**
 * getObservatoryList: exact `name`, `lon`, `lat`; `created` within `created_start`..`created_end`;
 * `active_flg` keeps observatories with a camera of that flag and lists only those cameras. Oldest first.
 * `paginate` turns the count into the page to read.
 */
export async function listObservatories<P extends { offset: number; limit: number }>(
  db: Executor,
  input: ObservatoryListInput,
  paginate: (count: number) => P,
): Promise<Paged<ObservatoryView, P>> {
  const filters: repo.ObservatoryFilters = {
    name: present(input.name) ? input.name : undefined,
    lon: present(input.lon) ? input.lon : undefined,
    lat: present(input.lat) ? input.lat : undefined,
    cameraActive: present(input.active_flg) ? input.active_flg : undefined,
    created: readDateRange(
      { start: input.created_start, end: input.created_end },
      { start: "created_start", end: "created_end" },
    ),
  };
  const count = await repo.countObservatories(db, filters);
  const page = paginate(count);
  const rows = await repo.selectObservatories(db, filters, page.offset, page.limit);
  const cameras = await repo.camerasOf(
    db,
    rows.map((r) => r.id),
    filters.cameraActive,
  );
  const byObservatory = new Map<number, repo.CameraRow[]>();
  for (const c of cameras)
    byObservatory.set(c.observatoryId, [...(byObservatory.get(c.observatoryId) ?? []), c]);
  const learnt = await learntColourTerms(
    db,
    cameras.map((c) => c.id),
  );
  return {
    count,
    page,
    data: rows.map((r) => toObservatoryView(r, byObservatory.get(r.id) ?? [], learnt)),
  };
}

/** Every observatory with all its cameras (CLI). */
export async function allObservatories(db: Executor): Promise<ObservatoryView[]> {
  return (await listObservatories(db, {}, (count) => ({ offset: 0, limit: Math.max(count, 1) }))).data;
}

/** `bayer_bands` of a camera request, checked (bayer.ts), into the columns; a problem into `errors`. */
function bayerBandsInto(
  input: { bayer_bands?: unknown },
  columns: Partial<repo.NewCameraRow>,
  errors: FieldErrors,
): void {
  if (input.bayer_bands === undefined) return;
  const checked = checkBayerBands(input.bayer_bands);
  if (checked.ok) columns.bayerBands = checked.value as repo.NewCameraRow["bayerBands"];
  else errors.bayer_bands = [checked.message];
}
