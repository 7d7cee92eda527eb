/**
 * Storing light-curve points — the one place points are inserted (uploaded light curves, calibrated
 * catalogues and images, and any later source). One identity rule: a point whose DATUM_IDENTITY (target,
 * MJD, value, error, filter, facility, observer; src/db/schema/dataproducts.ts) is already stored is
 * skipped, as BHTOM's unique_together; the unique index is made from the same list. After a change the
 * target's derived fields follow: has_optical, the last point and the priority.
 */
import { and, eq } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { DATUM_IDENTITY, reducedDatums, targets, type CalibrationChannel } from "../../db/schema/index.ts";
import { refreshLastPoint } from "../targets/refresh.ts";

/** A point to store; the target is given once for all (storePoints' `targetId`). */
export type NewPoint = Omit<
  typeof reducedDatums.$inferInsert,
  "id" | "targetId" | "timestamp" | "created" | "downloadLine"
>;

/** The conflict target of every insert: the identity's columns (they match the unique index). */
const IDENTITY_COLUMNS = DATUM_IDENTITY.map((key) => reducedDatums[key]);

/** Points per INSERT (13 columns each; PostgreSQL allows 65,535 parameters per statement). */
const BATCH = 4000;

async function insertPoints(db: Executor, targetId: number, points: readonly NewPoint[]): Promise<number> {
  let stored = 0;
  for (let i = 0; i < points.length; i += BATCH) {
    const inserted = await db
      .insert(reducedDatums)
      .values(points.slice(i, i + BATCH).map((p) => ({ ...p, targetId })))
      .onConflictDoNothing({ target: IDENTITY_COLUMNS })
      .returning({ id: reducedDatums.id });
    stored += inserted.length;
  }
  return stored;
}

/**
 * A target with stored magnitudes has optical data (BHTOM's has_optical); one with fluxes in mJy has
 * radio data (has_radio).
 */
async function markOptical(db: Executor, targetId: number, points: readonly NewPoint[]): Promise<void> {
  const optical = points.some((p) => (p.valueUnit ?? "MAG") === "MAG");
  const radio = points.some((p) => p.valueUnit === "MILLIJANSKY");
  if (optical || radio)
    await db
      .update(targets)
      .set({ ...(optical ? { hasOptical: true } : {}), ...(radio ? { hasRadio: true } : {}) })
      .where(eq(targets.id, targetId));
}

/**
 * Add points to a target's light curve; those already on it (same identity) are skipped. Returns how
 * many were stored. Run it inside the caller's transaction when the points belong to a larger change.
 */
export async function storePoints(
  db: Executor,
  targetId: number,
  points: readonly NewPoint[],
): Promise<number> {
  const stored = await insertPoints(db, targetId, points);
  if (stored > 0) {
    await markOptical(db, targetId, points);
    await refreshLastPoint(db, targetId);
  }
  return stored;
}

/**
 * Replace a data product's points (a calibration that runs again): its earlier points go (only those of
 * `channel` when given: one channel of a one-shot-colour frame, "" for an ordinary frame's), these are
 * stored (identity rule as above), the target's last point is refreshed either way. Returns how many
 * were stored. The channels of one frame are calibrated to distinct bands (the camera's bayer_bands), so
 * their points differ in filter and never share an identity.
 */
export async function replaceDataProductPoints(
  db: Executor,
  targetId: number,
  dataProductId: number,
  points: readonly NewPoint[],
  channel?: CalibrationChannel,
): Promise<number> {
  const ofProduct = eq(reducedDatums.dataProductId, dataProductId);
  await db
    .delete(reducedDatums)
    .where(channel === undefined ? ofProduct : and(ofProduct, eq(reducedDatums.channel, channel)));
  const stored = await insertPoints(
    db,
    targetId,
    points.map((p) => ({ ...p, dataProductId })),
  );
  if (stored > 0) await markOptical(db, targetId, points);
  await refreshLastPoint(db, targetId);
  return stored;
}
