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
 * `actor` null means the operator (CLI) with every right. Multi-row writes run in one transaction; an
 * example file is written before it and removed again if the transaction fails.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { posix } from "node:path";
import type { Db, Executor } from "../../db/connection.ts";
import { removeStoredFiles, sanitizeFileName, storedPath } from "../../storage.ts";
import {
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from "../errors.ts";
import { isStaff, requireOwnerOrStaff, requireStaff, type Actor } from "../permissions.ts";
import * as repo from "./repo.ts";
import {
  ONAME_MAX_LENGTH,
  type AddFavouriteInput,
  type CameraView,
  type CreateCameraInput,
  type CreateObservatoryInput,
  type DeleteFavouriteInput,
  type FavouriteListInput,
  type FavouriteView,
  type ObservatoryListInput,
  type ObservatoryView,
  type PatchCameraInput,
  type PatchObservatoryInput,
  type UpdateObservatoryInput,
} from "./schemas.ts";

export type { CameraRow, FavouriteRow, ObservatoryRow } from "./repo.ts";

/** BHTOM2's messages (§D.2), kept word for word; plus skytom's own for cases BHTOM2 answered with a 500. */
export const MESSAGES = {
  cameraRequired: "Either (Observatory and Camera) or ONAME is required",
  noObservatory: "Observatory with this name does not exist",
  noCamera: "Camera with this name does not exist for this observatory",
  notActive: "Observatory is not active",
  alreadyFavourite: "This observatory already exists in yours favourite list",
  notFavourite: "This observatory is not in your favourite list",
  noOname: "Camera with this ONAME does not exist",
  duplicateName: "observatory with this Observatory name already exists.",
  duplicateCamera: "This observatory already has a camera with this name.",
} as const;

const DATETIME_MESSAGE =
  "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";

/** Largest example file, bytes (the HTTP layer buffers multipart files up to the same size). */
export const EXAMPLE_FILE_MAX_BYTES = 20 * 1024 * 1024;
/** Folder of example files under the data directory. */
export const EXAMPLE_FILE_FOLDER = "observatories";

/** The ONAME of a camera. */
export function onameOf(observatoryName: string, cameraName: string): string {
  return `${observatoryName}_${cameraName}`;
}

// ------------------------------------------------------------------------------------------------ input rules

type ColumnSpec = Readonly<Record<string, readonly [column: string, nullable: boolean]>>;

const OBSERVATORY_COLUMNS = {
  lon: ["lon", false],
  lat: ["lat", false],
  altitude: ["altitude", false],
  calibration_flg: ["calibrationFlg", false],
  comment: ["comment", true],
  approx_lim_mag: ["approxLimMag", false],
  filters: ["filters", false],
  origin: ["origin", true],
  telescope: ["telescope", true],
  aperture: ["aperture", true],
  focal_length: ["focalLength", true],
  seeing: ["seeing", false],
  authors: ["authors", true],
  acknowledgements: ["acknowledgements", true],
} as const satisfies ColumnSpec;

const CAMERA_COLUMNS = {
  gain: ["gain", false],
  readout_noise: ["readoutNoise", false],
  binning: ["binning", false],
  saturation_level: ["saturationLevel", false],
  pixel_scale: ["pixelScale", false],
  readout_speed: ["readoutSpeed", false],
  pixel_size: ["pixelSize", false],
  date_time_keyword: ["dateTimeKeyword", false],
  time_keyword: ["timeKeyword", false],
  exposure_time_keyword: ["exposureTimeKeyword", false],
  mode_recognition_keyword: ["modeRecognitionKeyword", false],
  additional_info: ["additionalInfo", false],
} as const satisfies ColumnSpec;

/** Present fields → column values; `null` only where the column may be empty. */
function columnsFrom(input: object, spec: ColumnSpec, errors: FieldErrors): Record<string, unknown> {
  const values = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, [column, nullable]] of Object.entries(spec)) {
    const v = values[key];
    if (v === undefined) continue;
    if (v === null && !nullable) errors[key] = ["This field may not be null."];
    else out[column] = v;
  }
  return out;
}

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A name as DRF's CharField cleans it (surrounding whitespace trimmed); undefined after an error. */
function cleanName(value: string | null | undefined, key: string, errors: FieldErrors): string | undefined {
  if (value === undefined) {
    errors[key] = ["This field is required."];
    return undefined;
  }
  if (value === null) {
    errors[key] = ["This field may not be null."];
    return undefined;
  }
  const name = value.trim();
  if (!name) errors[key] = ["This field may not be blank."];
  else if (hasControlCharacters(name)) errors[key] = ["Control characters are not allowed."];
  else return name;
  return undefined;
}

function checkOnameLength(oname: string, key: string, errors: FieldErrors): void {
  if (oname.length > ONAME_MAX_LENGTH) {
    errors[key] = [
      `The ONAME "<observatory>_<camera>" would have ${oname.length} characters; at most ${ONAME_MAX_LENGTH} are allowed.`,
    ];
  }
}

function throwIfAny(errors: FieldErrors): void {
  if (Object.keys(errors).length) throw new ValidationError(errors);
}

const DATETIME_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * An ISO 8601 date-time as Django parses it: `2023-09-28T10:00:00Z`, `2023-09-28T10:00:00.123+02:00`,
 * `2023-09-28 10:00`, `2023-01-01T0:00:01Z`, or a bare date (midnight). Naive times are UTC. Null if invalid.
 */
export function parseDateTime(text: string): Date | null {
  const m = DATETIME_RE.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const ms = Number(((m[7] ?? "") + "000").slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (new Date(t).getUTCDate() !== day) return null; // 31 April, 29 February of a common year
  let offsetMin = 0;
  const tz = m[8];
  if (tz && tz.toUpperCase() !== "Z") {
    const digits = tz.slice(1).replace(":", "");
    const hh = Number(digits.slice(0, 2));
    const mm = Number(digits.slice(2) || 0);
    if (hh > 23 || mm > 59) return null;
    offsetMin = (tz[0] === "-" ? -1 : 1) * (hh * 60 + mm);
  }
  return new Date(t - offsetMin * 60_000);
}

/** A date-time filter: null, "" and absent mean no filter. */
function dateFilter(value: string | null | undefined, key: string, errors: FieldErrors): Date | undefined {
  if (value === undefined || value === null || value.trim() === "") return undefined;
  const d = parseDateTime(value);
  if (!d) errors[key] = [DATETIME_MESSAGE];
  return d ?? undefined;
}

const present = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null && v !== "";

// ------------------------------------------------------------------------------------------------------ views

export function toCameraView(c: repo.CameraRow): CameraView {
  return {
    id: c.id,
    user: c.userId,
    observatory: c.observatoryId,
    camera_name: c.cameraName,
    active_flg: c.activeFlg,
    prefix: c.prefix,
    gain: c.gain,
    example_file: c.exampleFile,
    readout_noise: c.readoutNoise,
    binning: c.binning,
    saturation_level: c.saturationLevel,
    pixel_scale: c.pixelScale,
    readout_speed: c.readoutSpeed,
    pixel_size: c.pixelSize,
    date_time_keyword: c.dateTimeKeyword,
    time_keyword: c.timeKeyword,
    exposure_time_keyword: c.exposureTimeKeyword,
    mode_recognition_keyword: c.modeRecognitionKeyword,
    additional_info: c.additionalInfo,
    created: c.created.toISOString(),
    modified: c.modified.toISOString(),
  };
}

export function toObservatoryView(o: repo.ObservatoryRow, cameras: repo.CameraRow[]): ObservatoryView {
  return {
    id: o.id,
    name: o.name,
    lon: o.lon,
    lat: o.lat,
    altitude: o.altitude,
    calibration_flg: o.calibrationFlg,
    comment: o.comment,
    approx_lim_mag: o.approxLimMag,
    origin: o.origin,
    telescope: o.telescope,
    aperture: o.aperture,
    focal_length: o.focalLength,
    seeing: o.seeing,
    filters: o.filters,
    created: o.created.toISOString(),
    modified: o.modified.toISOString(),
    authors: o.authors,
    acknowledgements: o.acknowledgements,
    cameras: cameras.map(toCameraView),
  };
}

function toFavouriteView(r: repo.FavouriteListRow): FavouriteView {
  const f = r.favourite;
  return {
    id: f.id,
    user: f.userId,
    camera: f.cameraId,
    oname: r.oname,
    observatory: r.observatory,
    camera_name: r.cameraName,
    active_flg: f.activeFlg,
    comment: f.comment,
    created: f.created.toISOString(),
    modified: f.modified.toISOString(),
    number_of_uploaded_file: f.numberOfUploadedFile,
    file_size: f.fileSize,
    last_file_process: f.lastFileProcess ? f.lastFileProcess.toISOString() : null,
  };
}

async function observatoryView(db: Executor, row: repo.ObservatoryRow): Promise<ObservatoryView> {
  return toObservatoryView(row, await repo.camerasOf(db, [row.id]));
}

// ------------------------------------------------------------------------------------- storage, transactions

/** A file received with a request (multipart). */
export interface UploadedFile {
  fieldname: string;
  filename: string;
  data: Buffer;
}

export interface FileOptions {
  /** The data directory (SKYTOM_DATA); example files go under `observatories/`. */
  dataDir: string;
  /** An uploaded example file (see `exampleFileFrom`). */
  exampleFile?: UploadedFile;
}

/** The request's example file: only a field `example_file`, one file, not empty, at most 20 MB. */
export function exampleFileFrom(files: UploadedFile[]): UploadedFile | undefined {
  const errors: FieldErrors = {};
  for (const f of files) if (f.fieldname !== "example_file") errors[f.fieldname] = ["Unknown field."];
  const sent = files.filter((f) => f.fieldname === "example_file");
  const file = sent[0];
  if (sent.length > 1) errors.example_file = ["Send one example file only."];
  else if (file && file.data.length === 0) errors.example_file = ["The submitted file is empty."];
  else if (file && file.data.length > EXAMPLE_FILE_MAX_BYTES) {
    errors.example_file = [`The file is larger than ${EXAMPLE_FILE_MAX_BYTES / 1024 / 1024} MB.`];
  }
  throwIfAny(errors);
  return file;
}

/**
 * Write an example file to `observatories/<ONAME, sanitized>/<file name, sanitized>` under the data
 * directory, never over an existing file (a random prefix is added then). Returns the stored relative path.
 */
async function storeExampleFile(dataDir: string, oname: string, file: UploadedFile): Promise<string> {
  const folder = posix.join(EXAMPLE_FILE_FOLDER, sanitizeFileName(oname.replace(/[\\/]/g, "_"), "camera"));
  const name = sanitizeFileName(file.filename || "example_file", "example_file");
  await mkdir(storedPath(dataDir, folder), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const relative = posix.join(folder, attempt === 0 ? name : `${randomBytes(4).toString("hex")}_${name}`);
    try {
      await writeFile(storedPath(dataDir, relative), file.data, { flag: "wx" });
      return relative;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw err;
    }
  }
}

/** The example file value to store: an uploaded file's path, else the given name (sanitized), or null. */
async function exampleFileValue(
  opts: FileOptions,
  oname: string,
  given: string | null | undefined,
): Promise<{ value: string | null | undefined; written?: string }> {
  if (opts.exampleFile) {
    const written = await storeExampleFile(opts.dataDir, oname, opts.exampleFile);
    return { value: written, written };
  }
  if (given === undefined) return { value: undefined };
  return { value: given === null || given.trim() === "" ? null : sanitizeFileName(given, "example_file") };
}

const isUploadedPath = (p: string | null) => p !== null && p.startsWith(`${EXAMPLE_FILE_FOLDER}/`);

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

/** Store the example file first, then run the database work; remove the file again if that fails. */
async function withExampleFile<T>(
  opts: FileOptions,
  oname: string,
  given: string | null | undefined,
  fn: (exampleFile: string | null | undefined) => Promise<T>,
): Promise<T> {
  const file = await exampleFileValue(opts, oname, given);
  try {
    return await fn(file.value);
  } catch (err) {
    if (file.written) await removeStoredFiles(opts.dataDir, [file.written]).catch(() => undefined);
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
  actor: Actor | null,
  name: string,
  input: PatchObservatoryInput,
): Promise<ObservatoryView> {
  const observatory = await repo.findObservatoryByName(db, name);
  if (!observatory) throw new NotFoundError(MESSAGES.noObservatory);
  if (actor) requireOwnerOrStaff(actor, observatory.userId, "this observatory");
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
  actor: Actor | null,
  input: UpdateObservatoryInput,
): Promise<ObservatoryView> {
  const { name, ...fields } = input;
  if (name === null) throw ValidationError.field("name", "This field may not be null.");
  return updateObservatory(db, actor, name, fields);
}

export async function getObservatory(db: Executor, name: string): Promise<ObservatoryView> {
  const row = await repo.findObservatoryByName(db, name);
  if (!row) throw new NotFoundError(MESSAGES.noObservatory);
  return observatoryView(db, row);
}

/** Add a camera to an observatory (owner or staff); it is inactive until staff activates it. */
export async function addCamera(
  db: Db,
  actor: Actor | null,
  observatoryName: string,
  input: CreateCameraInput,
  opts: FileOptions,
): Promise<CameraView> {
  const observatory = await repo.findObservatoryByName(db, observatoryName);
  if (!observatory) throw new NotFoundError(MESSAGES.noObservatory);
  if (actor) requireOwnerOrStaff(actor, observatory.userId, "this observatory");
  const errors: FieldErrors = {};
  const camera = await cameraDraft(db, observatory, input, errors);
  throwIfAny(errors);
  if (!camera) throw new Error("unreachable: checked above");
  const row = await withExampleFile(opts, camera.prefix, input.example_file, (exampleFile) =>
    transact(db, (tx) =>
      repo.insertCamera(tx, {
        ...camera.columns,
        observatoryId: observatory.id,
        userId: actor?.id ?? observatory.userId,
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
  actor: Actor | null,
  oname: string,
  input: PatchCameraInput,
  opts: FileOptions,
): Promise<CameraView> {
  const found = await repo.findCameraWithObservatory(db, oname, false);
  if (!found) throw new NotFoundError(MESSAGES.noOname);
  const { camera, observatory } = found;
  if (actor) requireOwnerOrStaff(actor, observatory.userId, "this observatory");
  const errors: FieldErrors = {};
  const patch = columnsFrom(input, CAMERA_COLUMNS, errors) as Partial<repo.NewCameraRow>;
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
  actor: Actor | null,
  oname: string,
  active: boolean,
): Promise<CameraView> {
  if (actor) requireStaff(actor);
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

export interface Paged<T, P> {
  count: number;
  page: P;
  data: T[];
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
  const errors: FieldErrors = {};
  const filters: repo.ObservatoryFilters = {
    name: present(input.name) ? input.name : undefined,
    lon: present(input.lon) ? input.lon : undefined,
    lat: present(input.lat) ? input.lat : undefined,
    cameraActive: present(input.active_flg) ? input.active_flg : undefined,
    createdFrom: dateFilter(input.created_start, "created_start", errors),
    createdTo: dateFilter(input.created_end, "created_end", errors),
  };
  throwIfAny(errors);
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
  return { count, page, data: rows.map((r) => toObservatoryView(r, byObservatory.get(r.id) ?? [])) };
}

/** Every observatory with all its cameras (CLI). */
export async function allObservatories(db: Executor): Promise<ObservatoryView[]> {
  return (await listObservatories(db, {}, (count) => ({ offset: 0, limit: Math.max(count, 1) }))).data;
}

// ------------------------------------------------------------------------------------------------- favourites

/** The camera a favourite request names: `oname`, else `observatory` + `camera` (BHTOM's order and messages). */
async function cameraFromRef(db: Executor, ref: DeleteFavouriteInput): Promise<repo.CameraRow> {
  if (present(ref.oname)) {
    const camera = await repo.findCameraByPrefix(db, ref.oname);
    if (!camera) throw new NotFoundError(MESSAGES.noCamera);
    return camera;
  }
  if (!present(ref.observatory) || !present(ref.camera)) throw new BadRequestError(MESSAGES.cameraRequired);
  const observatory = await repo.findObservatoryByName(db, ref.observatory);
  if (!observatory) throw new NotFoundError(MESSAGES.noObservatory);
  const camera = await repo.findCamera(db, observatory.id, ref.camera);
  if (!camera) throw new NotFoundError(MESSAGES.noCamera);
  return camera;
}

async function favouriteView(db: Executor, id: number): Promise<FavouriteView> {
  const row = await repo.selectFavouriteById(db, id);
  if (!row) throw new NotFoundError(MESSAGES.notFavourite);
  return toFavouriteView(row);
}

/**
 * Add an active camera to the caller's favourites, with an optional comment. An inactive favourite row
 * of the same camera is made active again (BHTOM2 answered that case with a database error).
 */
export async function addFavourite(
  db: Executor,
  actor: Actor,
  input: AddFavouriteInput,
): Promise<FavouriteView> {
  const camera = await cameraFromRef(db, input);
  if (!camera.activeFlg) throw new BadRequestError(MESSAGES.notActive);
  const comment = input.comment ?? null;
  const existing = await repo.findFavourite(db, actor.id, camera.id);
  if (existing?.activeFlg) throw new BadRequestError(MESSAGES.alreadyFavourite);
  if (existing) {
    await repo.updateFavouriteRow(db, existing.id, { activeFlg: true, comment });
    return favouriteView(db, existing.id);
  }
  const created = await repo.insertFavouriteIfMissing(db, { userId: actor.id, cameraId: camera.id, comment });
  if (!created) throw new BadRequestError(MESSAGES.alreadyFavourite);
  return favouriteView(db, created.id);
}

/** Remove one of the caller's own favourites. */
export async function deleteFavourite(
  db: Executor,
  actor: Actor,
  input: DeleteFavouriteInput,
): Promise<void> {
  const camera = await cameraFromRef(db, input);
  if ((await repo.deleteFavouriteRow(db, actor.id, camera.id)) === 0)
    throw new NotFoundError(MESSAGES.notFavourite);
}

/**
 * getFavouriteObservatory: the caller's own favourites; staff may name another user (`user`: username or
 * id; an unknown user has none). Filters: `active_flg` (the favourite's flag), `camera` (name, ONAME or
 * id), `created_start`..`created_end`. Oldest first.
 */
export async function listFavourites<P extends { offset: number; limit: number }>(
  db: Executor,
  actor: Actor,
  input: FavouriteListInput,
  paginate: (count: number) => P,
): Promise<Paged<FavouriteView, P>> {
  const errors: FieldErrors = {};
  const filters: repo.FavouriteFilters = {
    activeFlg: present(input.active_flg) ? input.active_flg : undefined,
    camera: present(input.camera) ? input.camera : undefined,
    createdFrom: dateFilter(input.created_start, "created_start", errors),
    createdTo: dateFilter(input.created_end, "created_end", errors),
  };
  throwIfAny(errors);
  let userId = actor.id;
  if (present(input.user)) {
    const named = await repo.findUserId(db, input.user);
    if (named !== actor.id && !isStaff(actor)) {
      throw new ForbiddenError("You may list only your own favourites; staff may name another user.");
    }
    userId = named ?? -1;
  }
  const scope = { userId };
  const count = await repo.countFavourites(db, scope, filters);
  const page = paginate(count);
  const rows = await repo.selectFavourites(db, scope, filters, page.offset, page.limit);
  return { count, page, data: rows.map(toFavouriteView) };
}

/**
 * The favourite linking this user to this camera, created (active, no comment) when missing; returns its
 * id. For uploads: a file sent through a camera makes it the uploader's favourite.
 */
export async function ensureFavourite(db: Executor, userId: number, cameraId: number): Promise<number> {
  for (let attempt = 0; attempt < 3; attempt++) {
    let created: repo.FavouriteRow | undefined;
    try {
      created = await repo.insertFavouriteIfMissing(db, { userId, cameraId });
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code === "23503") {
        throw new NotFoundError(`User ${userId} or camera ${cameraId} does not exist.`);
      }
      throw err;
    }
    if (created) return created.id;
    const existing = await repo.findFavourite(db, userId, cameraId);
    if (existing) return existing.id;
  }
  throw new Error(`could not record the favourite of user ${userId} for camera ${cameraId}`);
}

export interface UploadCounters {
  number_of_uploaded_file: number;
  /** Bytes. */
  file_size: number;
  last_file_process: string;
}

/** Count one uploaded file of `bytes` bytes on a favourite and stamp `last_file_process` (now). */
export async function recordUpload(
  db: Executor,
  favouriteId: number,
  bytes: number,
): Promise<UploadCounters> {
  if (!Number.isFinite(bytes) || bytes < 0)
    throw new RangeError(`bytes must be a finite number ≥ 0, got ${bytes}`);
  const row = await repo.addUploadToFavourite(db, favouriteId, bytes);
  if (!row) throw new NotFoundError(`Favourite ${favouriteId} does not exist.`);
  return {
    number_of_uploaded_file: row.numberOfUploadedFile,
    file_size: row.fileSize,
    last_file_process: (row.lastFileProcess as Date).toISOString(),
  };
}
