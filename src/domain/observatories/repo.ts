/**
 * SQL of the observatories domain. Observatories and cameras are a public catalogue: every authenticated
 * user sees all of them, active or not (as in BHTOM2). Favourites are private: every favourite read takes
 * the scope of users whose rows the caller may see.
 */
import { and, asc, count, eq, exists, inArray, ne, or, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { cameras, favourites, observatories, users } from "../../db/schema/index.ts";
import { dateRangeSql, type DateRange } from "../input.ts";

export type ObservatoryRow = typeof observatories.$inferSelect;
export type NewObservatoryRow = typeof observatories.$inferInsert;
export type CameraRow = typeof cameras.$inferSelect;
export type NewCameraRow = typeof cameras.$inferInsert;
export type FavouriteRow = typeof favourites.$inferSelect;
export type NewFavouriteRow = typeof favourites.$inferInsert;

// ---------------------------------------------------------------------------------------------- observatories

export async function findObservatoryByName(db: Executor, name: string): Promise<ObservatoryRow | undefined> {
  const [row] = await db.select().from(observatories).where(eq(observatories.name, name)).limit(1);
  return row;
}

export async function findObservatoryById(db: Executor, id: number): Promise<ObservatoryRow | undefined> {
  const [row] = await db.select().from(observatories).where(eq(observatories.id, id)).limit(1);
  return row;
}

export async function insertObservatory(db: Executor, row: NewObservatoryRow): Promise<ObservatoryRow> {
  const [created] = await db.insert(observatories).values(row).returning();
  return created;
}

/** Many observatories in one statement (bulk loads, tests). */
export async function insertObservatories(
  db: Executor,
  rows: NewObservatoryRow[],
): Promise<ObservatoryRow[]> {
  if (!rows.length) return [];
  return db.insert(observatories).values(rows).returning();
}

export async function updateObservatoryRow(
  db: Executor,
  id: number,
  patch: Partial<NewObservatoryRow>,
): Promise<ObservatoryRow> {
  const [updated] = await db
    .update(observatories)
    .set({ ...patch, modified: new Date() })
    .where(eq(observatories.id, id))
    .returning();
  return updated;
}

export interface ObservatoryFilters {
  name?: string;
  lon?: number;
  lat?: number;
  /** Only observatories with a camera of this active flag (and only such cameras are listed). */
  cameraActive?: boolean;
  created?: DateRange;
}

function observatoryWhere(db: Executor, f: ObservatoryFilters): SQL | undefined {
  const where: SQL[] = [];
  if (f.name !== undefined) where.push(eq(observatories.name, f.name));
  if (f.lon !== undefined) where.push(eq(observatories.lon, f.lon));
  if (f.lat !== undefined) where.push(eq(observatories.lat, f.lat));
  if (f.created) where.push(...dateRangeSql(observatories.created, f.created));
  if (f.cameraActive !== undefined) {
    where.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(cameras)
          .where(and(eq(cameras.observatoryId, observatories.id), eq(cameras.activeFlg, f.cameraActive))),
      ),
    );
  }
  return where.length ? and(...where) : undefined;
}

export async function countObservatories(db: Executor, f: ObservatoryFilters): Promise<number> {
  const [{ n }] = await db.select({ n: count() }).from(observatories).where(observatoryWhere(db, f));
  return n;
}

/** Oldest first (BHTOM2 orders by `created`; ties by id). */
export async function selectObservatories(
  db: Executor,
  f: ObservatoryFilters,
  offset: number,
  limit: number,
): Promise<ObservatoryRow[]> {
  return db
    .select()
    .from(observatories)
    .where(observatoryWhere(db, f))
    .orderBy(asc(observatories.created), asc(observatories.id))
    .offset(offset)
    .limit(limit);
}

// ---------------------------------------------------------------------------------------------------- cameras

export async function insertCamera(db: Executor, row: NewCameraRow): Promise<CameraRow> {
  const [created] = await db.insert(cameras).values(row).returning();
  return created;
}

/** Many cameras in one statement (bulk loads, tests). */
export async function insertCameras(db: Executor, rows: NewCameraRow[]): Promise<CameraRow[]> {
  if (!rows.length) return [];
  return db.insert(cameras).values(rows).returning();
}

export async function updateCameraRow(
  db: Executor,
  id: number,
  patch: Partial<NewCameraRow>,
): Promise<CameraRow> {
  const [updated] = await db
    .update(cameras)
    .set({ ...patch, modified: new Date() })
    .where(eq(cameras.id, id))
    .returning();
  return updated;
}

export async function findCameraByPrefix(db: Executor, prefix: string): Promise<CameraRow | undefined> {
  const [row] = await db.select().from(cameras).where(eq(cameras.prefix, prefix)).limit(1);
  return row;
}

export async function findCamera(
  db: Executor,
  observatoryId: number,
  cameraName: string,
): Promise<CameraRow | undefined> {
  const [row] = await db
    .select()
    .from(cameras)
    .where(and(eq(cameras.observatoryId, observatoryId), eq(cameras.cameraName, cameraName)))
    .limit(1);
  return row;
}

/** A camera and its observatory by ONAME; with `activeOnly`, only an active camera. */
export async function findCameraWithObservatory(
  db: Executor,
  prefix: string,
  activeOnly: boolean,
): Promise<{ camera: CameraRow; observatory: ObservatoryRow } | undefined> {
  const [row] = await db
    .select({ camera: cameras, observatory: observatories })
    .from(cameras)
    .innerJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .where(and(eq(cameras.prefix, prefix), activeOnly ? eq(cameras.activeFlg, true) : undefined))
    .limit(1);
  return row;
}

/** Cameras of other observatories already holding one of these ONAMEs. */
export async function prefixesTakenElsewhere(
  db: Executor,
  prefixes: string[],
  exceptObservatoryId: number,
): Promise<string[]> {
  if (!prefixes.length) return [];
  const rows = await db
    .select({ prefix: cameras.prefix })
    .from(cameras)
    .where(and(inArray(cameras.prefix, prefixes), ne(cameras.observatoryId, exceptObservatoryId)));
  return rows.map((r) => r.prefix);
}

export async function camerasOf(
  db: Executor,
  observatoryIds: number[],
  activeFlg?: boolean,
): Promise<CameraRow[]> {
  if (!observatoryIds.length) return [];
  return db
    .select()
    .from(cameras)
    .where(
      and(
        inArray(cameras.observatoryId, observatoryIds),
        activeFlg === undefined ? undefined : eq(cameras.activeFlg, activeFlg),
      ),
    )
    .orderBy(asc(cameras.id));
}

/**
 * Rewrite every ONAME of an observatory as `<newName>_<camera_name>`. Two steps, so that one camera's new
 * ONAME may equal another's old one: first a placeholder without `_` (no real ONAME lacks one), then the
 * final value.
 */
export async function renameObservatoryPrefixes(
  db: Executor,
  observatoryId: number,
  newName: string,
): Promise<void> {
  await db
    .update(cameras)
    .set({ prefix: sql`'#' || ${cameras.id}` })
    .where(eq(cameras.observatoryId, observatoryId));
  await db
    .update(cameras)
    .set({ prefix: sql`${newName} || '_' || ${cameras.cameraName}`, modified: new Date() })
    .where(eq(cameras.observatoryId, observatoryId));
}

export async function setCameraActive(db: Executor, id: number, active: boolean): Promise<CameraRow> {
  return updateCameraRow(db, id, { activeFlg: active });
}

// ------------------------------------------------------------------------------------------------- favourites

export async function findFavourite(
  db: Executor,
  userId: number,
  cameraId: number,
): Promise<FavouriteRow | undefined> {
  const [row] = await db
    .select()
    .from(favourites)
    .where(and(eq(favourites.userId, userId), eq(favourites.cameraId, cameraId)))
    .limit(1);
  return row;
}

/** Insert unless (user, camera) exists; undefined when it already did. */
export async function insertFavouriteIfMissing(
  db: Executor,
  row: NewFavouriteRow,
): Promise<FavouriteRow | undefined> {
  const [created] = await db.insert(favourites).values(row).onConflictDoNothing().returning();
  return created;
}

/** Many favourites in one statement (bulk loads, tests). */
export async function insertFavourites(db: Executor, rows: NewFavouriteRow[]): Promise<FavouriteRow[]> {
  if (!rows.length) return [];
  return db.insert(favourites).values(rows).returning();
}

export async function updateFavouriteRow(
  db: Executor,
  id: number,
  patch: Partial<NewFavouriteRow>,
): Promise<FavouriteRow> {
  const [updated] = await db
    .update(favourites)
    .set({ ...patch, modified: new Date() })
    .where(eq(favourites.id, id))
    .returning();
  return updated;
}

export async function deleteFavouriteRow(db: Executor, userId: number, cameraId: number): Promise<number> {
  const rows = await db
    .delete(favourites)
    .where(and(eq(favourites.userId, userId), eq(favourites.cameraId, cameraId)))
    .returning({ id: favourites.id });
  return rows.length;
}

/** One more file uploaded through a favourite: counters and the time of the last one. Undefined if gone. */
export async function addUploadToFavourite(
  db: Executor,
  favouriteId: number,
  bytes: number,
): Promise<FavouriteRow | undefined> {
  const [row] = await db
    .update(favourites)
    .set({
      numberOfUploadedFile: sql`${favourites.numberOfUploadedFile} + 1`,
      fileSize: sql`${favourites.fileSize} + ${bytes}`,
      lastFileProcess: sql`now()`,
      modified: sql`now()`,
    })
    .where(eq(favourites.id, favouriteId))
    .returning();
  return row;
}

export interface FavouriteFilters {
  activeFlg?: boolean;
  /** Camera name or ONAME; an all-digit value also matches the camera id. */
  camera?: string;
  created?: DateRange;
}

/** Whose favourites the caller may read: one user's (the scope is decided by the service). */
export interface FavouriteScope {
  userId: number;
}

export interface FavouriteListRow {
  favourite: FavouriteRow;
  oname: string;
  cameraName: string;
  observatory: string;
}

function favouriteWhere(scope: FavouriteScope, f: FavouriteFilters): SQL | undefined {
  const where: SQL[] = [eq(favourites.userId, scope.userId)];
  if (f.activeFlg !== undefined) where.push(eq(favourites.activeFlg, f.activeFlg));
  if (f.camera !== undefined) {
    const byId = /^\d{1,9}$/.test(f.camera) ? [eq(favourites.cameraId, Number(f.camera))] : [];
    where.push(or(eq(cameras.cameraName, f.camera), eq(cameras.prefix, f.camera), ...byId) as SQL);
  }
  if (f.created) where.push(...dateRangeSql(favourites.created, f.created));
  return and(...where);
}

export async function countFavourites(
  db: Executor,
  scope: FavouriteScope,
  f: FavouriteFilters,
): Promise<number> {
  const [{ n }] = await db
    .select({ n: count() })
    .from(favourites)
    .innerJoin(cameras, eq(cameras.id, favourites.cameraId))
    .where(favouriteWhere(scope, f));
  return n;
}

/** Oldest first (BHTOM2 orders by `created`; ties by id). */
export async function selectFavourites(
  db: Executor,
  scope: FavouriteScope,
  f: FavouriteFilters,
  offset: number,
  limit: number,
): Promise<FavouriteListRow[]> {
  return db
    .select({
      favourite: favourites,
      oname: cameras.prefix,
      cameraName: cameras.cameraName,
      observatory: observatories.name,
    })
    .from(favourites)
    .innerJoin(cameras, eq(cameras.id, favourites.cameraId))
    .innerJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .where(favouriteWhere(scope, f))
    .orderBy(asc(favourites.created), asc(favourites.id))
    .offset(offset)
    .limit(limit);
}

export async function selectFavouriteById(db: Executor, id: number): Promise<FavouriteListRow | undefined> {
  const [row] = await db
    .select({
      favourite: favourites,
      oname: cameras.prefix,
      cameraName: cameras.cameraName,
      observatory: observatories.name,
    })
    .from(favourites)
    .innerJoin(cameras, eq(cameras.id, favourites.cameraId))
    .innerJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .where(eq(favourites.id, id))
    .limit(1);
  return row;
}

// ------------------------------------------------------------------------------------------------------ users

/** A user's id by username, else by id when the reference is all digits. */
export async function findUserId(db: Executor, ref: string): Promise<number | undefined> {
  const [byName] = await db.select({ id: users.id }).from(users).where(eq(users.username, ref)).limit(1);
  if (byName) return byName.id;
  if (!/^\d{1,9}$/.test(ref)) return undefined;
  const id = Number(ref);
  if (!Number.isSafeInteger(id) || id < 1 || id > 2147483647) return undefined;
  const [byId] = await db.select({ id: users.id }).from(users).where(eq(users.id, id)).limit(1);
  return byId?.id;
}
