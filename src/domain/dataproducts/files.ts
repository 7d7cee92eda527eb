/**
 * Every file stored for data products: the upload itself, what was made from it (the FITS job's
 * instrumental catalogue and preview, the calibration plot of every calibration run: its data and, once
 * drawn, its PNG — calibration/plotfile.ts). The
 * one list deletes remove (deleteTarget, deleteDataProduct, deleteReducedDatum's data product), after
 * their transaction commits.
 */
import { eq, inArray, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { plotDataPath } from "../calibration/plotfile.ts";
import {
  calibrationRuns,
  calibrations,
  dataProducts,
  fitsJobs,
  primaryCalibrationOf,
} from "../../db/schema/index.ts";

/** Stored paths (relative to the data directory) of the data products `where` selects. */
export async function storedFilesOf(db: Executor, where: SQL): Promise<string[]> {
  const rows = await db
    .select({
      id: dataProducts.id,
      data: dataProducts.data,
      photometry: dataProducts.photometryData,
      fits: dataProducts.fitsData,
      plot: calibrations.calibrationPlot,
      preview: fitsJobs.previewPng,
    })
    .from(dataProducts)
    .leftJoin(calibrations, primaryCalibrationOf(dataProducts.id))
    .leftJoin(fitsJobs, eq(fitsJobs.dataProductId, dataProducts.id))
    .where(where);
  const ids = rows.map((r) => r.id);
  const runPlots = ids.length
    ? await db
        .select({ plot: calibrationRuns.calibrationPlot })
        .from(calibrationRuns)
        .where(inArray(calibrationRuns.dataProductId, ids))
    : [];
  // A plot is stored as its data (plotfile.ts) and, once looked at, its PNG.
  const plots = [...rows.map((r) => r.plot), ...runPlots.map((r) => r.plot)].filter((p) => !!p) as string[];
  const paths = [
    ...rows.flatMap((r) => [r.data, r.photometry, r.fits, r.preview]),
    ...plots.flatMap((p) => [p, plotDataPath(p)]),
  ];
  return [...new Set(paths.filter((p): p is string => !!p))];
}
