/**
 * SQL of light-curve points. Reads go in (mjd, id) order on the index (target_id, mjd, id); the
 * download batches use keyset pagination on that index, one short query per batch.
 */
import { and, asc, eq, getTableColumns, inArray, sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { Db, Executor } from "../../db/connection.ts";
import { calibrationRuns, dataProducts, reducedDatums, targets } from "../../db/schema/index.ts";
import type { ValueUnit } from "../../vocabulary.ts";

/** A point's columns, without its stored download line (read only by downloads/batches.ts). */
const { downloadLine: _line, ...POINT_COLUMNS } = getTableColumns(reducedDatums);
/** A point's columns and the algorithm version of the calibration run that made it (lineage). */
export const DATUM_COLUMNS = {
  ...POINT_COLUMNS,
  calibrationVersion: sql<string | null>`(select ${calibrationRuns.algorithmVersion} from ${calibrationRuns}
    where ${calibrationRuns.id} = ${reducedDatums.calibrationRunId})`,
};
export type PointRow = Omit<typeof reducedDatums.$inferSelect, "downloadLine">;
export type DatumRow = PointRow & { calibrationVersion: string | null };

/** Tolerances of BHTOM's delete/deactivate match (§G.5): MJD (days), value and error (their unit). */
export const MATCH_TOLERANCE = { mjd: 1e-6, value: 1e-3, error: 1e-3 } as const;

export async function countForTarget(db: Executor, targetId: number): Promise<number> {
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(reducedDatums)
    .where(eq(reducedDatums.targetId, targetId));
  return n;
}

/** Every point of the target (all types and units, inactive too), ordered by (mjd, id). */
export async function pageForTarget(
  db: Executor,
  targetId: number,
  offset: number,
  limit: number,
): Promise<DatumRow[]> {
  return db
    .select(DATUM_COLUMNS)
    .from(reducedDatums)
    .where(eq(reducedDatums.targetId, targetId))
    .orderBy(asc(reducedDatums.mjd), asc(reducedDatums.id))
    .offset(offset)
    .limit(limit);
}

export async function findById(db: Executor, id: number): Promise<DatumRow | undefined> {
  const [row] = await db.select(DATUM_COLUMNS).from(reducedDatums).where(eq(reducedDatums.id, id)).limit(1);
  return row;
}

export interface DatumMatch {
  mjd: number;
  value: number;
  error: number;
  filter: string;
  observer: string;
  targetId?: number;
  targetName?: string;
}

/** The first point (lowest id) matching BHTOM's rule: numbers within tolerance, strings exact. */
export async function findFirstMatch(db: Executor, m: DatumMatch): Promise<DatumRow | undefined> {
  const within = (column: AnyColumn, v: number, tol: number) =>
    sql`${column} between ${v - tol}::float8 and ${v + tol}::float8`;
  const where: SQL[] = [
    within(reducedDatums.mjd, m.mjd, MATCH_TOLERANCE.mjd),
    within(reducedDatums.value, m.value, MATCH_TOLERANCE.value),
    within(reducedDatums.error, m.error, MATCH_TOLERANCE.error),
    eq(reducedDatums.filter, m.filter),
    eq(reducedDatums.observer, m.observer),
  ];
  if (m.targetId !== undefined) where.push(eq(reducedDatums.targetId, m.targetId));
  if (m.targetName !== undefined) {
    where.push(
      sql`${reducedDatums.targetId} in (select ${targets.id} from ${targets} where ${targets.name} = ${m.targetName})`,
    );
  }
  const [row] = await db
    .select(DATUM_COLUMNS)
    .from(reducedDatums)
    .where(and(...where))
    .orderBy(asc(reducedDatums.id))
    .limit(1);
  return row;
}

export async function deleteById(db: Executor, id: number): Promise<void> {
  await db.delete(reducedDatums).where(eq(reducedDatums.id, id));
}

export async function setActive(db: Executor, id: number, active: boolean): Promise<PointRow> {
  const [row] = await db
    .update(reducedDatums)
    .set({ activeFlg: active })
    .where(eq(reducedDatums.id, id))
    .returning();
  return row;
}

/** Delete a data product row (its points, calibration and FITS job go with it by cascade); returns its target. */
export async function deleteDataProduct(db: Executor, id: number): Promise<{ targetId: number | null }> {
  const rows = await db
    .delete(dataProducts)
    .where(eq(dataProducts.id, id))
    .returning({ targetId: dataProducts.targetId });
  return { targetId: rows[0]?.targetId ?? null };
}

/** A point of a CSV download. */
export interface CurvePoint {
  id: number;
  mjd: number;
  value: number;
  error: number;
  valueUnit: ValueUnit;
  facility: string;
  filter: string;
  observer: string;
}

/** Position after the last point read: the next batch starts strictly after it in (mjd, id) order. */
export interface CurveKey {
  mjd: number;
  id: number;
}

/**
 * Up to `limit` active photometry points of the target in these units, after `after` in (mjd, id) order
 * (limits included: no filter on the error). One index range scan per call. Built by Drizzle, run on the
 * pool with array rows: the bulk read of downloads, where object mapping took over half the time.
 */
export async function curveBatch(
  db: Db,
  targetId: number,
  units: readonly ValueUnit[],
  after: CurveKey | null,
  limit: number,
): Promise<CurvePoint[]> {
  const where: SQL[] = [
    eq(reducedDatums.targetId, targetId),
    eq(reducedDatums.activeFlg, true),
    eq(reducedDatums.dataType, "photometry"),
    units.length === 1 ? eq(reducedDatums.valueUnit, units[0]) : inArray(reducedDatums.valueUnit, [...units]),
  ];
  if (after) {
    where.push(sql`(${reducedDatums.mjd}, ${reducedDatums.id}) > (${after.mjd}::float8, ${after.id}::int4)`);
  }
  const query = db
    .select({
      id: reducedDatums.id,
      mjd: reducedDatums.mjd,
      value: reducedDatums.value,
      error: reducedDatums.error,
      valueUnit: reducedDatums.valueUnit,
      facility: reducedDatums.facility,
      filter: reducedDatums.filter,
      observer: reducedDatums.observer,
    })
    .from(reducedDatums)
    .where(and(...where))
    .orderBy(asc(reducedDatums.mjd), asc(reducedDatums.id))
    .limit(limit)
    .toSQL();
  const res = await db.$client.query<[number, number, number, number, ValueUnit, string, string, string]>({
    text: query.sql,
    values: query.params,
    rowMode: "array",
  });
  return res.rows.map(([id, mjd, value, error, valueUnit, facility, filter, observer]) => ({
    id,
    mjd,
    value,
    error,
    valueUnit,
    facility,
    filter,
    observer,
  }));
}
