/**
 * Favourites: one user's link to a camera (BHTOM ObservatoryMatrix). Add, remove and list them; uploads
 * go through one (`ensureFavourite`) and count their files and bytes on it (`recordUpload`).
 */
import type { Executor } from "../../db/connection.ts";
import { BadRequestError, ForbiddenError, NotFoundError } from "../errors.ts";
import { readDateRange } from "../input.ts";
import { isStaff, type Actor } from "../permissions.ts";
import * as repo from "./repo.ts";
import type {
  AddFavouriteInput,
  DeleteFavouriteInput,
  FavouriteListInput,
  FavouriteView,
} from "./schemas.ts";
import { MESSAGES, present } from "./rules.ts";
import { toFavouriteView, type Paged } from "./views.ts";

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
  const filters: repo.FavouriteFilters = {
    activeFlg: present(input.active_flg) ? input.active_flg : undefined,
    camera: present(input.camera) ? input.camera : undefined,
    created: readDateRange(
      { start: input.created_start, end: input.created_end },
      { start: "created_start", end: "created_end" },
    ),
  };
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
