/**
 * Processing of a queued data product (the job PROCESS_JOB runs): FITS images are measured, then their
 * catalogue calibrated (fits.ts); uploaded instrumental catalogues are calibrated (calibration/dataproduct.ts).
 * Other types need no processing. A queued calibration run (recalibrate, restart: `opts.runId`) of an
 * image already measured only calibrates its catalogue again.
 */
import { eq } from "drizzle-orm";
import type { Database } from "../../db/connection.ts";
import { dataProducts } from "../../db/schema/index.ts";
import { calibrateDataProduct, type CalibrateOptions } from "../calibration/dataproduct.ts";
import { processFits, type FitsJobTimings } from "./fits.ts";

/** Process one queued data product by its type; an unknown id does nothing. FITS images: their step timings. */
export async function processDataProduct(
  database: Database,
  id: number,
  opts: CalibrateOptions,
): Promise<FitsJobTimings | undefined> {
  const [dp] = await database.db
    .select({ type: dataProducts.dataProductType, catalogue: dataProducts.photometryData })
    .from(dataProducts)
    .where(eq(dataProducts.id, id));
  if (dp?.type === "fits_file" && !(opts.runId !== undefined && dp.catalogue))
    return processFits(database, id, opts);
  // A recalibration of a measured image calibrates its catalogue again; it is not measured again.
  if (dp?.type === "fits_file" || dp?.type === "photometry") await calibrateDataProduct(database, id, opts);
  return undefined;
}
