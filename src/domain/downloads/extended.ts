/**
 * The photometry download's opt-in columns (`columns: "extended"`, docs/calibration-runs.md): BHTOM's six
 * columns, then each point's `quality_flag` (camera health: `low_zeropoint`, empty when none), the
 * `calibration_run` that made it and that run's `calibration_version` (empty for points no calibration run
 * made: survey data, CSV uploads, calibrations backfilled without a known version). BHTOM's
 * download_photometry.py reads the default six columns only, so these stay opt-in. Read in batches by
 * keyset pagination on (mjd, id) like the default download (one short query per batch), formatted in Node
 * with the same writer (csvLine); never cached as a file.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { calibrationRuns, reducedDatums } from "../../db/schema/index.ts";
import type { CurveKey } from "../datums/repo.ts";
import { csvLine, PHOTOMETRY_HEADER } from "./csv.ts";

/** The columns `columns: "extended"` adds after BHTOM's six. */
export const EXTENDED_COLUMNS = ["quality_flag", "calibration_run", "calibration_version"] as const;

/** Values of the photometry download's `columns` field: BHTOM's six (default) or with EXTENDED_COLUMNS. */
export const DOWNLOAD_COLUMNS = ["bhtom", "extended"] as const;
export type DownloadColumns = (typeof DOWNLOAD_COLUMNS)[number];

/** Up to `limit` active MAG points of the target after `after`, with their flag, run and its version. */
function extendedBatch(db: Executor, targetId: number, after: CurveKey | null, limit: number) {
  return db
    .select({
      id: reducedDatums.id,
      mjd: reducedDatums.mjd,
      value: reducedDatums.value,
      error: reducedDatums.error,
      facility: reducedDatums.facility,
      filter: reducedDatums.filter,
      observer: reducedDatums.observer,
      flag: reducedDatums.qualityFlag,
      run: reducedDatums.calibrationRunId,
      version: calibrationRuns.algorithmVersion,
    })
    .from(reducedDatums)
    .leftJoin(calibrationRuns, eq(calibrationRuns.id, reducedDatums.calibrationRunId))
    .where(
      and(
        eq(reducedDatums.targetId, targetId),
        eq(reducedDatums.activeFlg, true),
        eq(reducedDatums.dataType, "photometry"),
        eq(reducedDatums.valueUnit, "MAG"),
        after
          ? sql`(${reducedDatums.mjd}, ${reducedDatums.id}) > (${after.mjd}::float8, ${after.id}::int4)`
          : undefined,
      ),
    )
    .orderBy(asc(reducedDatums.mjd), asc(reducedDatums.id))
    .limit(limit);
}

/** The extended photometry CSV: header, then one line per active point in (mjd, id) order. */
export async function* extendedPhotometryChunks(
  db: Executor,
  targetId: number,
  batchSize: number,
): AsyncGenerator<string> {
  yield csvLine([...PHOTOMETRY_HEADER, ...EXTENDED_COLUMNS]);
  let after: CurveKey | null = null;
  for (;;) {
    const rows = await extendedBatch(db, targetId, after, batchSize);
    let out = "";
    for (const r of rows)
      out += csvLine([
        r.mjd,
        r.value,
        r.error,
        r.facility,
        r.filter,
        r.observer,
        r.flag,
        r.run === null ? null : String(r.run),
        r.version,
      ]);
    if (out) yield out;
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1];
    after = { mjd: last.mjd, id: last.id };
  }
}
