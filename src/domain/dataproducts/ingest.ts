/**
 * Immediate ingestion of uploads that need no calibration: light-curve CSVs become points, ASCII spectra
 * become spectra. Runs inside the upload's transaction: a file that cannot be read fails the whole upload.
 */
import { readFile } from "node:fs/promises";
import { eq } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import { dataProducts, spectra } from "../../db/schema/index.ts";
import { storedPath } from "../../storage.ts";
import { BadRequestError } from "../errors.ts";
import type { Actor } from "../permissions.ts";
import { storePoints } from "../datums/store.ts";
import { parseLightCurveCsv, type Rejected } from "./lightcurve-csv.ts";
import { parseSpectrum } from "./spectrum.ts";

export interface IngestReport {
  status: "S";
  message: string;
  points: number;
  rejected: Rejected[];
}

type DataProductRow = typeof dataProducts.$inferSelect;

/** What ingestion reads of an upload's checked fields (upload.ts's UploadPlan). */
export interface IngestPlan {
  target: { id: number };
  facility: string;
  dryRun: boolean;
  /** The form's MJD, for a spectrum whose file has no DATE-OBS. */
  mjd: number | null;
  observers: string[];
  /** The flux unit of a radio light curve without a unit column (the form's `unit`). */
  unit?: string | null;
}

const MAX_TEXT_BYTES = 200 * 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

async function readText(dataDir: string, dp: DataProductRow): Promise<string> {
  const bytes = await readFile(storedPath(dataDir, dp.data));
  if (bytes.length > MAX_TEXT_BYTES)
    throw new BadRequestError(`${dp.originalName}: larger than ${MAX_TEXT_BYTES} bytes`);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BadRequestError(`${dp.originalName}: not a text file (invalid UTF-8)`);
  }
}

async function finish(db: Executor, dp: DataProductRow, message: string): Promise<void> {
  await db
    .update(dataProducts)
    .set({ status: "S", statusMessage: message })
    .where(eq(dataProducts.id, dp.id));
}

export async function ingestLightCurve(
  db: Executor,
  dataDir: string,
  dp: DataProductRow,
  plan: IngestPlan,
  actor: Actor,
): Promise<IngestReport> {
  const parsed = parseLightCurveCsv(await readText(dataDir, dp), { unit: plan.unit });
  if (!parsed.ok) throw new BadRequestError(`${dp.originalName}: ${parsed.error}`);
  if (parsed.rows.length === 0) {
    const first = parsed.rejected[0];
    throw new BadRequestError(
      `${dp.originalName}: no usable rows${first ? ` (line ${first.line}: ${first.reason})` : ""}`,
    );
  }
  const defaultObserver = plan.observers[0] ?? actor.username;
  const stored = plan.dryRun
    ? 0
    : await storePoints(
        db,
        plan.target.id,
        parsed.rows.map((r) => ({
          dataProductId: dp.id,
          dataType: "photometry",
          sourceName: "",
          sourceLocation: "user upload",
          mjd: r.mjd,
          observer: r.observer || defaultObserver,
          observers: plan.observers,
          facility: plan.facility,
          value: r.value,
          error: r.error,
          valueUnit: r.valueUnit,
          filter: r.filter,
        })),
      );
  const parts = [
    plan.dryRun ? `dry run: ${parsed.rows.length} points read, none stored` : `${stored} points stored`,
  ];
  if (!plan.dryRun && stored < parsed.rows.length)
    parts.push(`${parsed.rows.length - stored} already on the light curve`);
  if (parsed.rejected.length) parts.push(`${parsed.rejected.length} rows rejected`);
  if (parsed.timeScale !== "MJD") parts.push(`times read as ${parsed.timeScale} and converted to MJD`);
  const message = parts.join("; ");
  await finish(db, dp, message);
  return { status: "S", message, points: plan.dryRun ? 0 : stored, rejected: parsed.rejected.slice(0, 100) };
}

export async function ingestSpectrum(
  db: Executor,
  dataDir: string,
  dp: DataProductRow,
  plan: IngestPlan,
  actor: Actor,
): Promise<IngestReport> {
  const parsed = parseSpectrum(await readText(dataDir, dp));
  if (!parsed.ok) throw new BadRequestError(`${dp.originalName}: ${parsed.error}`);
  const mjd = parsed.mjd ?? plan.mjd;
  if (mjd === null) {
    throw new BadRequestError(
      `${dp.originalName}: no '# DATE-OBS:' line in the file and no mjd field in the form`,
    );
  }
  if (!plan.dryRun) {
    await db.insert(spectra).values({
      targetId: plan.target.id,
      dataProductId: dp.id,
      mjd,
      facility: (parsed.facility ?? plan.facility).slice(0, 100),
      observer: plan.observers[0] ?? actor.username,
      wavelength: parsed.wavelength,
      flux: parsed.flux,
      fluxUnits: "erg/s/cm^2/Angstrom",
    });
  }
  const message = plan.dryRun
    ? `dry run: spectrum of ${parsed.wavelength.length} points read, not stored`
    : `spectrum of ${parsed.wavelength.length} points stored`;
  await finish(db, dp, message);
  return {
    status: "S",
    message,
    points: plan.dryRun ? 0 : parsed.wavelength.length,
    rejected: parsed.rejected.slice(0, 100),
  };
}
