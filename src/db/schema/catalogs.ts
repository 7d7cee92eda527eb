/**
 * Reference catalogues for the calibration (calibration.md §4.1): catalogues imported from CSV or FITS
 * tables (src/catalog/import.ts) and their stars. Positions carry their unit vector (cx, cy, cz) with a
 * btree on (cz, cx, cy) for cone searches on any PostgreSQL: box pre-filter, then the exact dot product
 * (src/astro/cone.ts).
 *
 * Magnitudes: one nullable column per band of every survey of src/astro/calibrate/bands.ts, and its 1σ
 * error, in mag. Band names differ only by case within GaiaSP (u/U, r/R, i/I) and across surveys (GaiaSP
 * g, GaiaDR3 G), so column names carry the survey and, for GaiaSP, the photometric system:
 *   gaiasp_sdss_{u,g,r,i,z}      GaiaSP SDSS-like ugriz
 *   gaiasp_jkc_{u,b,v,r,i}       GaiaSP Johnson–Kron–Cousins UBVRI
 *   gaiadr3_{g,gbp,grp}          Gaia DR3 G, G_BP, G_RP mean magnitudes
 *   tmass_{j,h,k}                2MASS J, H, Ks
 * each with `<column>_err`. A NULL magnitude means the star has none in that band.
 *
 * Two origins of catalogue (`origin`): `import` — a file an operator imported (src/catalog/import.ts) — and
 * `archive` — the cache of one survey's archive answers (src/catalog/archive.ts), one catalogue per survey
 * named `archive:<survey>`. Archive stars carry the archive's `source_id`, unique per catalogue and so per
 * survey (overlapping cones store a star once), their proper motion and the epoch of their position.
 * `reference_cones` records each cone an archive answered in full: a later cone inside one asks nothing.
 */
import { sql } from "drizzle-orm";
import {
  bigserial,
  doublePrecision,
  index,
  integer,
  pgTable,
  serial,
  text,
  uniqueIndex,
  varchar,
} from "drizzle-orm/pg-core";
import type { Band, Survey } from "../../astro/calibrate/bands.ts";
import { SURVEY_BANDS, SURVEYS } from "../../astro/calibrate/bands.ts";
import { created, modified } from "./common.ts";

/**
 * A catalogue's state: `importing` while its stars arrive (in batches, each its own transaction, so an
 * import of millions of stars never holds the database for long), `ready` once complete — the only state
 * calibration and listings see — and `removing` while a replaced or failed catalogue's stars are deleted.
 */
export const CATALOGUE_STATES = ["importing", "ready", "removing"] as const;
export type CatalogueState = (typeof CATALOGUE_STATES)[number];

/** Where a reference catalogue's stars came from. */
export const CATALOGUE_ORIGINS = ["import", "archive"] as const;
export type CatalogueOrigin = (typeof CATALOGUE_ORIGINS)[number];

/** Database column of a band's magnitude (its error column adds `_err`). */
export function bandColumnName(survey: Survey, band: Band): string {
  switch (survey) {
    case "GaiaSP":
      return `gaiasp_${"ugriz".includes(band) ? "sdss" : "jkc"}_${band.toLowerCase()}`;
    case "GaiaDR3":
      return `gaiadr3_${band.toLowerCase()}`;
    case "2MASS":
      return `tmass_${band.toLowerCase()}`;
  }
}

/** Every (survey, band) with its magnitude and error column names, in SURVEYS × SURVEY_BANDS order. */
export const BAND_COLUMNS = SURVEYS.flatMap((survey) =>
  (SURVEY_BANDS[survey] as readonly Band[]).map((band) => {
    const mag = bandColumnName(survey, band);
    return { survey, band, mag, err: `${mag}_err` };
  }),
);

export const referenceCatalogues = pgTable(
  "reference_catalogues",
  {
    id: serial().primaryKey(),
    /** Name (default: the imported file's name without extension), unique among ready catalogues. */
    name: varchar({ length: 200 }).notNull(),
    /** GaiaSP | GaiaDR3 | 2MASS (SURVEYS). */
    survey: varchar({ length: 32 }).$type<Survey>().notNull(),
    /** Name of the file it was imported from (archive caches: the service's base URL). */
    sourceFile: text().notNull(),
    /** import | archive (CATALOGUE_ORIGINS). */
    origin: varchar({ length: 16 }).$type<CatalogueOrigin>().notNull().default("import"),
    rowCount: integer().notNull().default(0),
    /** See CATALOGUE_STATES. */
    state: varchar({ length: 16 }).$type<CatalogueState>().notNull().default("ready"),
    created: created(),
    /** Last progress of an import (each batch), to tell a crashed import from a running one. */
    modified: modified(),
  },
  (t) => [
    uniqueIndex("reference_catalogues_ready_name")
      .on(t.name)
      .where(sql`state = 'ready'`),
  ],
);

const bandColumns = Object.fromEntries(
  BAND_COLUMNS.flatMap((c) => [
    [c.mag, doublePrecision(c.mag)],
    [c.err, doublePrecision(c.err)],
  ]),
) as Record<string, ReturnType<typeof doublePrecision>>;

export const referenceStars = pgTable(
  "reference_stars",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    catalogueId: integer()
      .notNull()
      .references(() => referenceCatalogues.id, { onDelete: "cascade" }),
    /** ICRS position, deg (at `epoch_year`, or the survey's epoch when that is NULL). */
    ra: doublePrecision().notNull(),
    dec: doublePrecision().notNull(),
    /** The archive's identifier of the star (Gaia `source_id`, 2MASS designation); NULL for imports. */
    sourceId: varchar({ length: 40 }),
    /** Proper motion μα* = μα cos δ and μδ, mas/yr; NULL when unknown. */
    pmraMasYr: doublePrecision(),
    pmdecMasYr: doublePrecision(),
    /** Julian epoch of (ra, dec), years (Gaia DR3: 2016.0); NULL when unknown. */
    epochYear: doublePrecision(),
    /** Unit vector of (ra, dec): cone search columns. */
    cx: doublePrecision().notNull(),
    cy: doublePrecision().notNull(),
    cz: doublePrecision().notNull(),
    ...bandColumns,
  },
  (t) => [
    index("reference_stars_cone_idx").on(t.cz, t.cx, t.cy),
    index("reference_stars_catalogue_idx").on(t.catalogueId),
    uniqueIndex("reference_stars_source_uq")
      .on(t.catalogueId, t.sourceId)
      .where(sql`${t.sourceId} is not null`),
  ],
);

/** Cones an archive answered in full, per survey (the archive cache's coverage). */
export const referenceCones = pgTable(
  "reference_cones",
  {
    id: serial().primaryKey(),
    /** The archive cache catalogue the stars went to. */
    catalogueId: integer()
      .notNull()
      .references(() => referenceCatalogues.id, { onDelete: "cascade" }),
    survey: varchar({ length: 32 }).$type<Survey>().notNull(),
    /** Centre (ICRS, deg) and radius (deg) of the cone. */
    ra: doublePrecision().notNull(),
    dec: doublePrecision().notNull(),
    radiusDeg: doublePrecision().notNull(),
    /** Unit vector of the centre. */
    cx: doublePrecision().notNull(),
    cy: doublePrecision().notNull(),
    cz: doublePrecision().notNull(),
    /** Stars the archive answered for this cone (a star in several cones is stored once). */
    rows: integer().notNull(),
    /** Base URL of the service asked. */
    service: text().notNull(),
    fetched: created(),
  },
  (t) => [index("reference_cones_survey_idx").on(t.survey)],
);
