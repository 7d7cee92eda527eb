/**
 * A data product whose reference stars cannot be had now (src/catalog/errors.ts) is not failed: it goes
 * back to status C ("to do") with a message saying why and when it is tried again, and the job is queued
 * again for that time. Only when the archive stays out of reach for WAIT_LIMIT_DAYS does it end in E, with
 * a message asking for a restart once the archive is back. SKYTOM_OFFLINE=1 with no stars for the field is
 * an error at once (waiting cannot help): it says so.
 */
import { eq } from "drizzle-orm";
import { inTransaction, type Database } from "../../db/connection.ts";
import { calibrations, dataProducts, fitsJobs } from "../../db/schema/index.ts";

/** How long a data product waits for an unreachable archive before it is failed. */
export const WAIT_LIMIT_DAYS = 7;

async function setStatus(database: Database, id: number, status: "C" | "E", message: string): Promise<void> {
  await inTransaction(database, async (tx) => {
    await tx.update(dataProducts).set({ status, statusMessage: message }).where(eq(dataProducts.id, id));
    await tx
      .update(calibrations)
      .set({ status, statusMessage: message })
      .where(eq(calibrations.dataProductId, id));
    if (status === "E") {
      await tx
        .update(fitsJobs)
        .set({ status: "E", statusMessage: message, statusTime: new Date() })
        .where(eq(fitsJobs.dataProductId, id));
    }
  });
}

/** UTC time to the minute, for messages: "2026-05-01 12:34 UTC". */
const minuteUtc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/**
 * Records that the data product waits for reference stars (status C); `reason` is the archive error's
 * message. Returns false — and fails the product instead — once it has waited WAIT_LIMIT_DAYS since
 * `waitingSince`: then the job must not be queued again.
 */
export async function markWaitingForReferenceStars(
  database: Database,
  id: number,
  reason: string,
  retryAt: Date,
  waitingSince: Date,
  now = new Date(),
): Promise<boolean> {
  if (now.getTime() - waitingSince.getTime() > WAIT_LIMIT_DAYS * 86_400_000) {
    await setStatus(
      database,
      id,
      "E",
      `No reference stars: ${reason}. Waited since ${minuteUtc(waitingSince)}; restart the calibration once the archive is back`,
    );
    return false;
  }
  await setStatus(
    database,
    id,
    "C",
    `Waiting for reference stars: ${reason}. Next try at ${minuteUtc(retryAt)}`,
  );
  return true;
}

/** Fails the data product: no reference stars and SKYTOM_OFFLINE=1 (the message says so). */
export async function markNoReferenceStars(database: Database, id: number, reason: string): Promise<void> {
  await setStatus(database, id, "E", `No reference stars: ${reason}`);
}
