/**
 * Reads for the web pages (src/web/pages/observatories.ts, admin.ts): the observatory catalogue with a
 * name search and the viewer's favourite cameras marked, one observatory with its owner, and the staff
 * queue of cameras awaiting activation. Writes stay in service.ts / favourites.ts.
 */
import { and, asc, count, eq, exists, ilike, inArray, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { cameras, favourites, observatories, users } from "../../db/schema/index.ts";
import { NotFoundError } from "../errors.ts";
import { containsPattern } from "../input.ts";
import { requireStaff, type Actor } from "../permissions.ts";
import * as repo from "./repo.ts";
import type { ObservatoryView } from "./schemas.ts";
import { learntColourTerms } from "../calibration/colour.ts";
import { toObservatoryView } from "./views.ts";

export interface CatalogueFilters {
  /** Part of the observatory name (case-insensitive). */
  q?: string;
  /** true: with an active camera; false: with an inactive camera. */
  active?: boolean;
  /** The observatory's calibration flag (instrumental photometry only, no FITS). */
  calibration?: boolean;
  /** Only observatories with a camera in the viewer's active favourites. */
  favouritesOnly?: boolean;
}

export interface CatalogueCamera {
  id: number;
  prefix: string;
  cameraName: string;
  activeFlg: boolean;
  /** The viewer has this camera among their active favourites. */
  favourite: boolean;
  favouriteComment: string | null;
}

export interface CatalogueItem {
  id: number;
  name: string;
  lon: number;
  lat: number;
  altitude: number;
  calibrationFlg: boolean;
  owner: string | null;
  cameras: CatalogueCamera[];
}

function catalogueWhere(db: Executor, viewerId: number, f: CatalogueFilters): SQL | undefined {
  const where: SQL[] = [];
  const q = f.q?.trim();
  if (q) where.push(ilike(observatories.name, containsPattern(q)));
  if (f.calibration !== undefined) where.push(eq(observatories.calibrationFlg, f.calibration));
  if (f.active !== undefined) {
    where.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(cameras)
          .where(and(eq(cameras.observatoryId, observatories.id), eq(cameras.activeFlg, f.active))),
      ),
    );
  }
  if (f.favouritesOnly) {
    where.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(favourites)
          .innerJoin(cameras, eq(cameras.id, favourites.cameraId))
          .where(
            and(
              eq(cameras.observatoryId, observatories.id),
              eq(favourites.userId, viewerId),
              eq(favourites.activeFlg, true),
            ),
          ),
      ),
    );
  }
  return where.length ? and(...where) : undefined;
}

/** The viewer's active favourites among these cameras: camera id → comment. */
async function favouritesAmong(
  db: Executor,
  viewerId: number,
  cameraIds: number[],
): Promise<Map<number, string | null>> {
  if (!cameraIds.length) return new Map();
  const rows = await db
    .select({ cameraId: favourites.cameraId, comment: favourites.comment })
    .from(favourites)
    .where(
      and(
        eq(favourites.userId, viewerId),
        eq(favourites.activeFlg, true),
        inArray(favourites.cameraId, cameraIds),
      ),
    );
  return new Map(rows.map((r) => [r.cameraId, r.comment]));
}

/**
 * A page of the catalogue ordered by name, each observatory with all its cameras and the viewer's
 * favourites among them. `paginate` turns the count into the page to read.
 */
export async function browseObservatories<P extends { offset: number; limit: number }>(
  db: Executor,
  viewer: Actor,
  filters: CatalogueFilters,
  paginate: (count: number) => P,
): Promise<{ count: number; page: P; items: CatalogueItem[] }> {
  const where = catalogueWhere(db, viewer.id, filters);
  const [{ n }] = await db.select({ n: count() }).from(observatories).where(where);
  const page = paginate(n);
  const rows = await db
    .select({ o: observatories, owner: users.username })
    .from(observatories)
    .leftJoin(users, eq(users.id, observatories.userId))
    .where(where)
    .orderBy(asc(observatories.name), asc(observatories.id))
    .offset(page.offset)
    .limit(page.limit);
  const cams = await repo.camerasOf(
    db,
    rows.map((r) => r.o.id),
  );
  const favs = await favouritesAmong(
    db,
    viewer.id,
    cams.map((c) => c.id),
  );
  const items = rows.map(({ o, owner }) => ({
    id: o.id,
    name: o.name,
    lon: o.lon,
    lat: o.lat,
    altitude: o.altitude,
    calibrationFlg: o.calibrationFlg,
    owner,
    cameras: cams
      .filter((c) => c.observatoryId === o.id)
      .map((c) => ({
        id: c.id,
        prefix: c.prefix,
        cameraName: c.cameraName,
        activeFlg: c.activeFlg,
        favourite: favs.has(c.id),
        favouriteComment: favs.get(c.id) ?? null,
      })),
  }));
  return { count: n, page, items };
}

export interface ObservatoryDetail {
  observatory: ObservatoryView;
  /** The owner (creator), or null when that account is gone. */
  owner: { id: number; username: string } | null;
  /** The viewer's active favourites among its cameras: camera id → comment. */
  favourites: Map<number, string | null>;
}

/** One observatory by id with all its cameras, its owner and the viewer's favourites; else 404. */
export async function observatoryDetail(db: Executor, viewer: Actor, id: number): Promise<ObservatoryDetail> {
  const [row] = await db
    .select({ o: observatories, ownerId: users.id, owner: users.username })
    .from(observatories)
    .leftJoin(users, eq(users.id, observatories.userId))
    .where(eq(observatories.id, id))
    .limit(1);
  if (!row) throw new NotFoundError("Observatory not found.");
  const cams = await repo.camerasOf(db, [id]);
  return {
    observatory: toObservatoryView(
      row.o,
      cams,
      await learntColourTerms(
        db,
        cams.map((c) => c.id),
      ),
    ),
    owner: row.ownerId !== null && row.owner !== null ? { id: row.ownerId, username: row.owner } : null,
    favourites: await favouritesAmong(
      db,
      viewer.id,
      cams.map((c) => c.id),
    ),
  };
}

export interface PendingCamera {
  id: number;
  prefix: string;
  cameraName: string;
  observatoryId: number;
  observatoryName: string;
  owner: string | null;
  created: Date;
}

/** Staff: cameras awaiting activation (inactive), oldest first, at most `limit`, and how many there are. */
export async function inactiveCameras(
  db: Executor,
  actor: Actor,
  limit = 200,
): Promise<{ count: number; items: PendingCamera[] }> {
  requireStaff(actor);
  const [{ n }] = await db.select({ n: count() }).from(cameras).where(eq(cameras.activeFlg, false));
  const items = await db
    .select({
      id: cameras.id,
      prefix: cameras.prefix,
      cameraName: cameras.cameraName,
      observatoryId: observatories.id,
      observatoryName: observatories.name,
      owner: users.username,
      created: cameras.created,
    })
    .from(cameras)
    .innerJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .leftJoin(users, eq(users.id, observatories.userId))
    .where(eq(cameras.activeFlg, false))
    .orderBy(asc(cameras.created), asc(cameras.id))
    .limit(limit);
  return { count: n, items };
}

/** One camera by ONAME as the favourite star shows it to the viewer; undefined when unknown. */
export async function cameraStar(
  db: Executor,
  viewer: Actor,
  oname: string,
): Promise<Omit<CatalogueCamera, "id" | "cameraName"> | undefined> {
  const camera = await repo.findCameraByPrefix(db, oname);
  if (!camera) return undefined;
  const favs = await favouritesAmong(db, viewer.id, [camera.id]);
  return {
    prefix: camera.prefix,
    activeFlg: camera.activeFlg,
    favourite: favs.has(camera.id),
    favouriteComment: favs.get(camera.id) ?? null,
  };
}
