/**
 * Uploaded data and what is made of it (bhtom-behaviour.md §4.6–4.9): data products, light-curve points
 * (reduced datums), spectra, calibration results with their per-band table, and FITS processing jobs.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  type AnyPgColumn,
  unique,
  uniqueIndex,
  varchar,
} from "drizzle-orm/pg-core";
import type { DataProductType, Status, ValueUnit } from "../../vocabulary.ts";
import { created, modified, tstz } from "./common.ts";
import { cameras, favourites } from "./observatories.ts";
import { targets } from "./targets.ts";
import { users } from "./users.ts";

const float = () => doublePrecision();

export const dataProducts = pgTable(
  "data_products",
  {
    id: serial().primaryKey(),
    targetId: integer()
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    /** The uploader's favourite (BHTOM DataProduct.observatory → ObservatoryMatrix). */
    favouriteId: integer().references(() => favourites.id, { onDelete: "set null" }),
    cameraId: integer().references(() => cameras.id, { onDelete: "set null" }),
    /** ONAME for fits/photometry uploads, free-text facility for csv/spectroscopy. */
    facility: varchar({ length: 255 }).notNull().default(""),
    userId: integer().references(() => users.id, { onDelete: "set null" }),
    /** Usernames. */
    observers: jsonb().$type<string[]>().notNull().default([]),
    /** Stored file, relative to the data directory. */
    data: varchar({ length: 500 }).notNull(),
    originalName: varchar({ length: 255 }).notNull().default(""),
    sha256: char({ length: 64 }).notNull(),
    sizeBytes: bigint({ mode: "number" }).notNull().default(0),
    status: char({ length: 1 }).$type<Status>().notNull().default("C"),
    statusMessage: text().notNull().default(""),
    /** The instrumental catalogue (an uploaded one, or the FITS job's), relative to the data directory. */
    photometryData: varchar({ length: 500 }),
    /** The FITS image (fits_file uploads), relative to the data directory; BHTOM's `fits_data` filter reads it. */
    fitsData: varchar({ length: 500 }),
    dataProductType: varchar({ length: 50 }).$type<DataProductType>().notNull(),
    dryRun: boolean().notNull().default(false),
    comment: text(),
    /** Requested calibration filter (`GaiaSP/any`, …). */
    filter: varchar({ length: 50 }).notNull().default("GaiaSP/any"),
    /** Requested matching radius, arcsec (null = automatic). */
    matchDist: float(),
    /** MJD given with a `photometry` upload. */
    mjd: float(),
    created: created(),
    modified: modified(),
  },
  (t) => [
    // One stored copy of a file per target; dry runs do not count (a dry run must not block the real upload).
    uniqueIndex("data_products_target_sha256")
      .on(t.targetId, t.sha256)
      .where(sql`${t.dryRun} = false`),
    index().on(t.userId),
    index().on(t.created),
    index().on(t.status),
    // A camera's frames by time: camera health and re-deciding its flags (calibration-runs.md).
    index().on(t.cameraId, t.mjd),
  ],
);

/** A float column as Python's repr, for |x| < 1e15: PostgreSQL's shortest digits plus `.0` when integral. */
const pyFloatSql = (x: string) => `${x}::text || case when ${x} = trunc(${x}) then '.0' else '' end`;
/** A text column holds none of the characters QUOTE_MINIMAL would quote. */
const plainSql = (x: string) => `${x} !~ '[;"\\r\\n]'`;

/**
 * The point's line of a photometry/radio CSV download (`mjd;value;error;facility;filter;observer\n`,
 * bhtom-behaviour.md §5), kept with the point so that a download only concatenates stored text
 * (domain/downloads/batches.ts). Null when PostgreSQL's text would differ from Python's (a float with
 * |x| ≥ 1e15, NaN, ±Infinity) or a field needs quotes: such points are written by csvLine in Node.
 * PostgreSQL's float8 text is the shortest round-trip digits when extra_float_digits ≥ 1 (its default,
 * and set on every connection skytom opens: db/connection.ts).
 */
export const DOWNLOAD_LINE_SQL = `case when greatest(abs(mjd), abs(value), abs(error)) < 1e15
  and ${plainSql("facility")} and ${plainSql("filter")} and ${plainSql("observer")}
  then ${pyFloatSql("mjd")} || ';' || ${pyFloatSql("value")} || ';' || ${pyFloatSql("error")} || ';'
    || facility || ';' || filter || ';' || observer || E'\\n' end`;

/**
 * The identity of a light-curve point (BHTOM's unique_together on ReducedDatum): two points with these
 * columns equal are the same point. The unique index below and every insert's conflict target
 * (src/domain/datums/store.ts) are made from this one list.
 */
export const DATUM_IDENTITY = [
  "targetId",
  "mjd",
  "value",
  "error",
  "filter",
  "facility",
  "observer",
] as const;

/** One light-curve point. A negative error (−1) marks an upper limit. */
export const reducedDatums = pgTable(
  "reduced_datums",
  {
    id: serial().primaryKey(),
    targetId: integer()
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    dataProductId: integer().references(() => dataProducts.id, { onDelete: "cascade" }),
    dataType: varchar({ length: 100 }).notNull().default("photometry"),
    sourceName: varchar({ length: 100 }).notNull().default(""),
    sourceLocation: varchar({ length: 200 }).notNull().default(""),
    mjd: float().notNull(),
    timestamp: tstz()
      .notNull()
      .default(sql`now()`),
    observer: varchar({ length: 100 }).notNull().default(""),
    observers: jsonb().$type<string[]>(),
    facility: varchar({ length: 100 }).notNull().default(""),
    value: float().notNull().default(100),
    error: float().notNull().default(1),
    valueUnit: varchar({ length: 30 }).$type<ValueUnit>().notNull().default("MAG"),
    filter: varchar({ length: 100 }).notNull().default(""),
    extraData: jsonb(),
    activeFlg: boolean().notNull().default(true),
    /** The calibration run whose values this point carries (calibrated points only). */
    calibrationRunId: integer().references((): AnyPgColumn => calibrationRuns.id, { onDelete: "set null" }),
    /** Quality flag of a calibrated point (QUALITY_FLAGS), null when none; not in BHTOM's CSV columns. */
    qualityFlag: varchar({ length: 30 }).$type<QualityFlag>(),
    /** One-shot-colour channel of a calibrated point (R, G, B); "" otherwise. Not in the identity. */
    channel: varchar({ length: 1 }).$type<CalibrationChannel>().notNull().default(""),
    created: created(),
    downloadLine: text().generatedAlwaysAs(sql.raw(DOWNLOAD_LINE_SQL)),
  },
  (t) => [
    uniqueIndex("reduced_datums_identity").on(
      t[DATUM_IDENTITY[0]],
      ...DATUM_IDENTITY.slice(1).map((k) => t[k]),
    ),
    index("reduced_datums_target_mjd_idx").on(t.targetId, t.mjd, t.id),
    index().on(t.dataProductId),
    index().on(t.calibrationRunId),
  ],
);

export const spectra = pgTable(
  "spectra",
  {
    id: serial().primaryKey(),
    targetId: integer()
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    dataProductId: integer().references(() => dataProducts.id, { onDelete: "cascade" }),
    mjd: float().notNull(),
    facility: varchar({ length: 100 }).notNull().default(""),
    observer: varchar({ length: 100 }).notNull().default(""),
    wavelength: doublePrecision().array().notNull(),
    flux: doublePrecision().array().notNull(),
    wavelengthUnits: varchar({ length: 30 }).notNull().default("Angstrom"),
    fluxUnits: varchar({ length: 30 }).notNull().default(""),
    activeFlg: boolean().notNull().default(true),
    created: created(),
  },
  (t) => [index().on(t.targetId), index().on(t.dataProductId)],
);

/** CPCS result for one data product (BHTOM Calibration_data; `match_distans` spelling kept in the API). */
export const calibrations = pgTable(
  "calibrations",
  {
    id: serial().primaryKey(),
    dataProductId: integer()
      .notNull()
      .references(() => dataProducts.id, { onDelete: "cascade" }),
    /** One-shot-colour channel (CHANNELS: R, G, B) this calibration is of; "" for an ordinary frame. */
    channel: varchar({ length: 1 }).$type<CalibrationChannel>().notNull().default(""),
    status: char({ length: 1 }).$type<Status>().notNull().default("C"),
    statusMessage: text().notNull().default(""),
    mjd: float().notNull(),
    expTime: float(),
    mag: float(),
    /** −1 = limit. */
    magError: float(),
    ra: float(),
    dec: float(),
    zeropoint: float(),
    zeropointErr: float(),
    outlierFraction: float(),
    scatter: float(),
    npoints: integer(),
    /** Seconds. */
    processingTime: float(),
    created: created(),
    modified: modified(),
    startProcessing: tstz(),
    bestFilter: varchar({ length: 10 }),
    survey: varchar({ length: 32 }),
    /** Arcsec. */
    matchDist: float().notNull().default(0.5),
    noPlot: boolean().notNull().default(true),
    calibrationPlot: varchar({ length: 500 }),
    numberTries: integer().notNull().default(0),
    calibrationLog: varchar({ length: 500 }),
    /** The filter request this calibration ran with. */
    filterRequest: varchar({ length: 50 }).notNull().default("GaiaSP/any"),
    /** The colour term of the chosen band and the target colour it was applied with (docs/colour.md). */
    colourTerm: jsonb().$type<StoredColourTerm>(),
    /** The data product's current calibration run: these values are that run's (calibration-runs.md). */
    runId: integer().references((): AnyPgColumn => calibrationRuns.id, { onDelete: "set null" }),
  },
  (t) => [unique("calibrations_data_product_channel").on(t.dataProductId, t.channel)],
);

/** The colour channels of a one-shot-colour (Bayer) frame, each calibrated on its own; "" = an ordinary frame. */
export const CHANNELS = ["R", "G", "B"] as const;
export type CalibrationChannel = (typeof CHANNELS)[number] | "";
/**
 * The calibration that stands for a data product in lists (one row per product): an ordinary frame's
 * only one (""), or a one-shot-colour frame's G channel.
 */
export const PRIMARY_CHANNELS: CalibrationChannel[] = ["", "G"];

/** Join condition: a data product's primary calibration (PRIMARY_CHANNELS), at most one row per product. */
export const primaryCalibrationOf = (dataProductId: AnyPgColumn) =>
  and(eq(calibrations.dataProductId, dataProductId), inArray(calibrations.channel, PRIMARY_CHANNELS));

/**
 * The colour term a calibration applied to its target (docs/colour.md, "Settings, API and plot"), in the
 * API's names: k from the frame's own fit, the camera's learnt k, the default 0 or a fixed value; the
 * target colour given, from quasi-simultaneous points, from the reference counterpart, or none.
 */
export interface StoredColourTerm {
  colour_index: string;
  k: number;
  k_err: number | null;
  k_source: "fit" | "camera" | "default" | "fixed";
  c0: number;
  colour_spread: number | null;
  target_colour: number | null;
  target_colour_err: number | null;
  target_colour_source: "given" | "points" | "reference" | "none";
  shift: number;
  systematic_err: number;
}

/** Quality flags of a calibrated frame: its zero point fell > 3σ below the camera's running median. */
export const QUALITY_FLAGS = ["low_zeropoint"] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

/**
 * One calibration of one data product, never changed once finished (docs/calibration-runs.md): its inputs
 * (the file's and the catalogue's SHA-256, the reference cone and the content hash of its stars, the filter
 * request, the matching radius, the cuts), the algorithm's and skytom's versions, and every output. A data
 * product's current run is `calibrations.run_id`; its light-curve point carries `calibration_run_id`.
 * `make_current` false: a trial (recalibrate's dry_run) that never replaces the current run by itself.
 */
export const calibrationRuns = pgTable(
  "calibration_runs",
  {
    id: serial().primaryKey(),
    dataProductId: integer()
      .notNull()
      .references(() => dataProducts.id, { onDelete: "cascade" }),
    /** C queued, P running, S finished, E failed. */
    status: char({ length: 1 }).$type<Status>().notNull().default("C"),
    statusMessage: text().notNull().default(""),
    /** Why the run was made: upload, restart, recalibrate. */
    reason: varchar({ length: 20 }).notNull().default("upload"),
    makeCurrent: boolean().notNull().default(true),
    /** Username of whoever asked for it ("" for the upload's own run). */
    requestedBy: varchar({ length: 150 }).notNull().default(""),
    /** One-shot-colour channel the run calibrates (R, G, B); "" for an ordinary frame. */
    channel: varchar({ length: 1 }).$type<CalibrationChannel>().notNull().default(""),
    created: created(),
    finished: tstz(),
    algorithmVersion: varchar({ length: 20 }),
    skytomVersion: varchar({ length: 40 }),
    // Inputs
    /** SHA-256 of the data product's stored file (the upload). */
    fileSha256: char({ length: 64 }),
    /** SHA-256 of the instrumental catalogue calibrated (the upload, or the one measured from the image). */
    catalogueSha256: char({ length: 64 }),
    filterRequest: varchar({ length: 50 }).notNull(),
    /** Requested matching radius, arcsec; null = automatic. */
    matchDistRequested: float(),
    targetRa: float(),
    targetDec: float(),
    /** Epoch of the reference stars' positions (the observation), MJD. */
    epochMjd: float(),
    /** Surveys asked for the reference cone. */
    referenceSurveys: jsonb().$type<string[]>(),
    coneRadiusDeg: float(),
    referenceStars: integer(),
    /** SHA-256 of the reference stars' rows in canonical order (src/astro/calibrate/canonical.ts). */
    referenceSha256: char({ length: 64 }),
    /** The cuts applied (CALIBRATION_CUTS). */
    cuts: jsonb().$type<Record<string, number>>(),
    // Outputs (the fields of the calibrations row)
    mag: float(),
    /** −1 = limit. */
    magError: float(),
    zeropoint: float(),
    zeropointErr: float(),
    outlierFraction: float(),
    scatter: float(),
    npoints: integer(),
    bestFilter: varchar({ length: 10 }),
    survey: varchar({ length: 32 }),
    /** Matching radius used, arcsec. */
    matchDist: float(),
    isLimit: boolean().notNull().default(false),
    /** `V(GaiaSP)`: the light-curve point's filter. */
    lightCurveFilter: varchar({ length: 100 }),
    /** Rows of the catalogue, usable, matched to the reference, kept after the astrometric cut. */
    rowsTotal: integer(),
    rowsUsable: integer(),
    starsMatched: integer(),
    starsKept: integer(),
    calibrationPlot: varchar({ length: 500 }),
    /** Seconds (the one output that is not reproducible). */
    processingTime: float(),
    qualityFlag: varchar({ length: 30 }).$type<QualityFlag>(),
    /** The chosen band's colour term (docs/colour.md); null without colour terms. */
    colourTerm: jsonb().$type<StoredColourTerm>(),
  },
  (t) => [index().on(t.dataProductId, t.id)],
);

/** The per-band table of a calibration run (every candidate band, passed or not). */
export const calibrationRunBands = pgTable(
  "calibration_run_bands",
  {
    id: serial().primaryKey(),
    runId: integer()
      .notNull()
      .references(() => calibrationRuns.id, { onDelete: "cascade" }),
    survey: varchar({ length: 32 }).notNull(),
    band: varchar({ length: 10 }).notNull(),
    zeropoint: float(),
    zeropointErr: float(),
    scatter: float(),
    outlierFraction: float(),
    npoints: integer().notNull().default(0),
    passed: boolean().notNull().default(false),
    chosen: boolean().notNull().default(false),
    reason: text().notNull().default(""),
    /** The band's colour term (mag per mag), its error, where it came from and c₀; null without one. */
    colourK: float(),
    colourKErr: float(),
    colourKSource: varchar({ length: 10 }),
    colourC0: doublePrecision("colour_c0"),
  },
  (t) => [index().on(t.runId)],
);

/** The per-band table of a calibration (every candidate band, passed or not). */
export const calibrationBands = pgTable(
  "calibration_bands",
  {
    id: serial().primaryKey(),
    calibrationId: integer()
      .notNull()
      .references(() => calibrations.id, { onDelete: "cascade" }),
    survey: varchar({ length: 32 }).notNull(),
    band: varchar({ length: 10 }).notNull(),
    zeropoint: float(),
    zeropointErr: float(),
    scatter: float(),
    outlierFraction: float(),
    npoints: integer().notNull().default(0),
    passed: boolean().notNull().default(false),
    chosen: boolean().notNull().default(false),
    reason: text().notNull().default(""),
    /** The band's colour term (mag per mag), its error, where it came from and c₀; null without one. */
    colourK: float(),
    colourKErr: float(),
    colourKSource: varchar({ length: 10 }),
    colourC0: doublePrecision("colour_c0"),
  },
  (t) => [index().on(t.calibrationId)],
);

/** FITS processing (BHTOM CCDPhotJob): header facts and measurement summary of one image. */
export const fitsJobs = pgTable("fits_jobs", {
  id: serial().primaryKey(),
  dataProductId: integer()
    .notNull()
    .unique()
    .references(() => dataProducts.id, { onDelete: "cascade" }),
  status: char({ length: 1 }).notNull().default("P"),
  statusMessage: text().notNull().default(""),
  startTime: tstz(),
  statusTime: tstz(),
  fitsObject: varchar({ length: 100 }),
  fitsRa: float(),
  fitsDec: float(),
  fitsMjd: float(),
  fitsExp: float(),
  fitsFilter: varchar({ length: 50 }),
  fitsOrigin: varchar({ length: 100 }),
  fitsObservat: varchar({ length: 100 }),
  fitsTelescop: varchar({ length: 100 }),
  fitsInstrume: varchar({ length: 100 }),
  fitsObserver: varchar({ length: 100 }),
  fitsDateobs: varchar({ length: 50 }),
  fitsFwhmAv: float(),
  fitsSeeing: float(),
  fitsAirmass: float(),
  fitsMoonelev: float(),
  fitsSunelev: float(),
  fitsMoondist: float(),
  fitsSundist: float(),
  fitsMoonfrac: float(),
  fitsNumstars: integer(),
  fitsBinning: integer(),
  fitsPixscale: float(),
  fitsGlim: float(),
  fitsToiifov: boolean(),
  fitsAltitude: float(),
  fitsAzimuth: float(),
  /** Image size, pixels (as stored, binned). */
  fitsNaxis1: integer(),
  fitsNaxis2: integer(),
  /** Median sky level and its RMS per pixel, ADU (the exposure-time calculator's sky). */
  fitsBackgroundAdu: float(),
  fitsBackgroundRmsAdu: float(),
  /** Radius of the photometry aperture, px, and its aperture correction (mag, ≤ 0 adds flux). */
  fitsApertureRadiusPx: float(),
  fitsApertureCorrectionMag: float(),
  previewPng: varchar({ length: 500 }),
  created: created(),
  modified: modified(),
});
