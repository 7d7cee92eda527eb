/**
 * Every file stored for data products: the upload itself, what was made from it (the FITS job's
 * instrumental catalogue and preview, the calibration plot). The
 * one list deletes remove (deleteTarget, deleteDataProduct, deleteReducedDatum's data product), after
 * their transaction commits.
 */
import { eq, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { calibrations, dataProducts, fitsJobs } from "../../db/schema/index.ts";

/** Stored paths (relative to the data directory) of the data products `where` selects. */
export async function storedFilesOf(db: Executor, where: SQL): Promise<string[]> {
  const rows = await db
    .select({
      data: dataProducts.data,
      photometry: dataProducts.photometryData,
      fits: dataProducts.fitsData,
      plot: calibrations.calibrationPlot,
      preview: fitsJobs.previewPng,
    })
    .from(dataProducts)
    .leftJoin(calibrations, eq(calibrations.dataProductId, dataProducts.id))
    .leftJoin(fitsJobs, eq(fitsJobs.dataProductId, dataProducts.id))
    .where(where);
  const paths = rows.flatMap((r) => [r.data, r.photometry, r.fits, r.plot, r.preview]);
  return [...new Set(paths.filter((p): p is string => !!p))];
}
