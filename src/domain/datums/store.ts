/**
 * Storing light-curve points — the one place points are inserted (uploaded light curves, calibrated
 * catalogues and images, and any later source). One identity rule: a point whose DATUM_IDENTITY (target,
 * MJD, value, error, filter, facility, observer; src/db/schema/dataproducts.ts) is already stored is
 * skipped, as BHTOM's unique_together; the unique index is made from the same list. After a change the
 * target's derived fields follow: has_optical, the last point and the priority.
 */
import { and, eq, getTableColumns, sql, type Column, type SQL } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";
import type { Executor } from "../../db/connection.ts";
import { DATUM_IDENTITY, reducedDatums, targets, type CalibrationChannel } from "../../db/schema/index.ts";
import { refreshLastPoint } from "../targets/refresh.ts";

/** A point to store; the target is given once for all (storePoints' `targetId`). */
export type NewPoint = Omit<
  typeof reducedDatums.$inferInsert,
  "id" | "targetId" | "timestamp" | "created" | "downloadLine"
>;

/** A column's name in the database (the schema's keys are camelCase; the database's snake_case). */
const columnName = (column: Column) => (column.keyAsName ? toSnakeCase(column.name) : column.name);

/**
 * The columns a point is inserted with: every column of the table but those the database fills (id,
 * timestamp, created, the generated download line). A point's missing value takes the column's default
 * from the schema, so the defaults are written once (src/db/schema/dataproducts.ts).
 */
const INSERT_COLUMNS = Object.entries(getTableColumns(reducedDatums))
  .filter(([key]) => !["id", "timestamp", "created", "downloadLine"].includes(key))
  .map(([key, column]) => ({
    key: key as keyof typeof reducedDatums.$inferInsert,
    column,
    /** Parameter type: an array of the column's type; JSON goes as text and is cast per row. */
    json: column.getSQLType() === "jsonb",
    fallback: column.hasDefault && column.default !== undefined ? column.default : null,
  }));

/** Points per INSERT: one array parameter per column, so only memory bounds it. */
const BATCH = 20_000;

/**
 * The INSERT of a batch: one array per column, unnested into rows (`unnest($1::integer[], …)`), instead of
 * a VALUES list of 13 parameters per point: building and binding 52,000 parameters per 4,000 points cost
 * more CPU than the database's own work (a 100,000-point upload took 12 s of the API's CPU, 9 of them in
 * the query builder and its garbage). Points already stored (same identity) are skipped by the unique
 * index; the count of inserted rows comes back without returning them.
 */
function insertBatchSql(targetId: number, points: readonly NewPoint[]): SQL {
  const target = sql`${sql.identifier(columnName(reducedDatums.targetId))}`;
  const names: SQL[] = [target];
  const arrays: SQL[] = [sql`array_fill(${targetId}::integer, array[${points.length}::integer])`];
  const selected: SQL[] = [target];
  for (const { key, column, json, fallback } of INSERT_COLUMNS) {
    if (key === "targetId") continue;
    const values = points.map((p) => {
      const v = (p as Record<string, unknown>)[key];
      const value = v === undefined ? fallback : v;
      return json && value !== null ? JSON.stringify(value) : value;
    });
    const name = sql`${sql.identifier(columnName(column))}`;
    names.push(name);
    arrays.push(sql`${sql.param(values)}::${sql.raw(json ? "text" : column.getSQLType())}[]`);
    selected.push(json ? sql`${name}::jsonb` : name);
  }
  return sql`insert into reduced_datums (${sql.join(names, sql`, `)})
    select ${sql.join(selected, sql`, `)} from unnest(${sql.join(arrays, sql`, `)})
      as p(${sql.join(names, sql`, `)})
    on conflict (${sql.join(
      DATUM_IDENTITY.map((key) => sql.identifier(columnName(reducedDatums[key]))),
      sql`, `,
    )}) do nothing`;
}

async function insertPoints(db: Executor, targetId: number, points: readonly NewPoint[]): Promise<number> {
  let stored = 0;
  for (let i = 0; i < points.length; i += BATCH) {
    const result = await db.execute(insertBatchSql(targetId, points.slice(i, i + BATCH)));
    stored += result.rowCount ?? 0;
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
