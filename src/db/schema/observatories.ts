/** Observatories, their cameras (ONAME = camera prefix) and users' favourites (bhtom-behaviour.md §4.10–4.12). */
import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  unique,
  varchar,
} from "drizzle-orm/pg-core";
import { created, modified, tstz } from "./common.ts";
import { users } from "./users.ts";

export const observatories = pgTable(
  "observatories",
  {
    id: serial().primaryKey(),
    userId: integer().references(() => users.id, { onDelete: "set null" }),
    name: varchar({ length: 255 }).notNull().unique(),
    /** East-positive longitude, deg (−180..180). */
    lon: doublePrecision().notNull(),
    lat: doublePrecision().notNull(),
    /** Metres above sea level. */
    altitude: doublePrecision().notNull().default(0),
    calibrationFlg: boolean().notNull().default(false),
    comment: text(),
    approxLimMag: doublePrecision().notNull().default(18),
    filters: varchar({ length: 100 }).notNull().default("V,R,I"),
    authors: varchar({ length: 255 }),
    acknowledgements: varchar({ length: 255 }),
    origin: varchar({ length: 255 }),
    telescope: varchar({ length: 255 }),
    /** Metres. */
    aperture: doublePrecision(),
    /** Millimetres. */
    focalLength: doublePrecision(),
    /** Arcsec. */
    seeing: doublePrecision().notNull().default(0),
    created: created(),
    modified: modified(),
  },
  (t) => [index().on(t.created)],
);

export const cameras = pgTable(
  "cameras",
  {
    id: serial().primaryKey(),
    userId: integer().references(() => users.id, { onDelete: "set null" }),
    observatoryId: integer()
      .notNull()
      .references(() => observatories.id, { onDelete: "cascade" }),
    cameraName: varchar({ length: 255 }).notNull(),
    activeFlg: boolean().notNull().default(false),
    /** ONAME: `<observatory name>_<camera name>`. */
    prefix: varchar({ length: 255 }).notNull().unique(),
    /** e⁻/ADU. */
    gain: doublePrecision().notNull().default(2),
    /** e⁻. */
    readoutNoise: doublePrecision().notNull().default(2),
    binning: integer().notNull().default(1),
    /** ADU. */
    saturationLevel: doublePrecision().notNull().default(63000),
    /** Arcsec per pixel. */
    pixelScale: doublePrecision().notNull().default(0.8),
    /** µs per pixel. */
    readoutSpeed: doublePrecision().notNull().default(9999),
    /** µm. */
    pixelSize: doublePrecision().notNull().default(13.5),
    /** Detector size in unbinned pixels (field of view = pixel scale × size); null = not given. */
    detectorWidthPx: integer(),
    detectorHeightPx: integer(),
    dateTimeKeyword: varchar({ length: 255 }).notNull().default("DATE-OBS"),
    timeKeyword: varchar({ length: 255 }).notNull().default("TIME-OBS"),
    exposureTimeKeyword: varchar({ length: 255 }).notNull().default("EXPTIME"),
    modeRecognitionKeyword: varchar({ length: 255 }).notNull().default(""),
    additionalInfo: text().notNull().default(""),
    /**
     * One-shot-colour cameras: the filter request each channel is calibrated to, e.g. {"R": "GaiaSP/R",
     * "G": "GaiaSP/V", "B": "GaiaSP/B"}; null = that default (src/domain/observatories/bayer.ts).
     */
    bayerBands: jsonb().$type<Record<"R" | "G" | "B", string>>(),
    /** Stored path (under the data directory) of an example FITS file. */
    exampleFile: varchar({ length: 500 }),
    /** Fit colour terms in this camera's calibrations (docs/colour.md); false = the plain CPCS zero point. */
    colourTerms: boolean().notNull().default(true),
    /** The band unfiltered (Clear, L, …) frames are calibrated to: GaiaDR3/G or one GaiaSP band. */
    unfilteredBand: varchar({ length: 20 }).notNull().default("GaiaDR3/G"),
    /**
     * The colour index its colour terms are fitted in for every band (B-V, g-r, BP-RP, J-K); null = each
     * band's own (COLOUR_INDEX_OF_BAND, src/astro/calibrate/colour.ts).
     */
    colourIndex: varchar({ length: 10 }),
    created: created(),
    modified: modified(),
  },
  (t) => [unique().on(t.observatoryId, t.cameraName)],
);

/**
 * A camera's learnt colour term per band (docs/colour.md "The camera's learnt k"): the Huber-clipped running
 * mean of the k its calibrations fitted (updateLearntK), used for frames too sparse to fit their own.
 */
export const cameraColourTerms = pgTable(
  "camera_colour_terms",
  {
    id: serial().primaryKey(),
    cameraId: integer()
      .notNull()
      .references(() => cameras.id, { onDelete: "cascade" }),
    survey: varchar({ length: 32 }).notNull(),
    band: varchar({ length: 10 }).notNull(),
    /** The colour index k multiplies (B-V, g-r, BP-RP, J-K). */
    colourIndex: varchar({ length: 10 }).notNull(),
    /** mag per mag of colour. */
    k: doublePrecision().notNull(),
    kErr: doublePrecision().notNull(),
    kScatter: doublePrecision().notNull(),
    nFrames: integer().notNull(),
    modified: modified(),
  },
  (t) => [unique().on(t.cameraId, t.survey, t.band)],
);

/** A user's favourite camera (BHTOM ObservatoryMatrix); data products point here. */
export const favourites = pgTable(
  "favourites",
  {
    id: serial().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    cameraId: integer()
      .notNull()
      .references(() => cameras.id, { onDelete: "cascade" }),
    activeFlg: boolean().notNull().default(true),
    comment: text(),
    numberOfUploadedFile: integer().notNull().default(0),
    /** Total bytes uploaded through this favourite. */
    fileSize: doublePrecision().notNull().default(0),
    lastFileProcess: tstz(),
    created: created(),
    modified: modified(),
  },
  (t) => [unique().on(t.userId, t.cameraId)],
);
