/**
 * The three reference surveys as the archives serve them: which service, the ADQL cone query (columns
 * selected under their archive names, unaliased), and how a row becomes a reference star.
 *
 * GaiaSP — Gaia DR3 Synthetic Photometry Catalogue (Gaia Collaboration, Montegriffo et al. 2023, A&A 674,
 *   A33), `gaiadr3.synthetic_photometry_gspc` joined with `gaiadr3.gaia_source` on `source_id` for the
 *   position and proper motion. Bands: Johnson–Kron–Cousins U B V R I (`u_jkc_*` … `i_jkc_*`) and SDSS
 *   u g r i z (`u_sdss_*` … `z_sdss_*`). A band is kept when its magnitude, flux and flux error are present
 *   and its `*_flag` is 1: the archive describes the flag as "Flag indicating if G mag and BP-RP color of the
 *   source lie in the validated range"; Montegriffo et al. (2023, §6.2) give its sense — 1 when the star's
 *   G and G_BP − G_RP are within the ranges where the standardisation was made and validated, 0 when the
 *   magnitude is an extrapolation of it. Error σm = 2.5/ln 10 · σF/F from `*_flux_error` / `*_flux` (the
 *   flux units, mislabelled in DR3 for SDSS, cancel).
 * GaiaDR3 — `gaiadr3.gaia_source`: G, G_BP, G_RP mean magnitudes, σm = 2.5/ln 10 / `phot_*_mean_flux_over_error`.
 * Both Gaia surveys: ICRS positions at `ref_epoch` (J2016.0) with `pmra` (μα*) and `pmdec`, mas/yr.
 * 2MASS — the Point Source Catalogue (Skrutskie et al. 2006) at CDS VizieR, table `II/246/out`: `RAJ2000`,
 *   `DEJ2000`, `Jmag`/`e_Jmag`, `Hmag`/`e_Hmag`, `Kmag`/`e_Kmag` (Ks), identifier `2MASS`. A band without
 *   an error (an upper limit) is not used. No proper motions; positions of epoch ≈ 2000.
 */
import type { Band, Survey } from "../astro/calibrate/bands.ts";
import { SURVEY_BANDS } from "../astro/calibrate/bands.ts";
import { columnIndex, numberCell, type TapCell, type TapTable } from "./tap/table.ts";

/** 2.5 / ln 10: magnitude error per relative flux error. */
const MAG_PER_RELATIVE_FLUX = 2.5 / Math.LN10;

/** Stars of one archive answer, aligned arrays. NaN marks a missing value. */
export interface ArchiveStars {
  sourceId: string[];
  raDeg: Float64Array;
  decDeg: Float64Array;
  pmraMasYr: Float64Array;
  pmdecMasYr: Float64Array;
  /** Julian epoch of the position, years. */
  epochYear: Float64Array;
  bands: Partial<Record<Band, { mag: Float64Array; err: Float64Array }>>;
}

export type ArchiveServiceName = "gaia" | "vizier";

export interface ArchiveSurvey {
  survey: Survey;
  service: ArchiveServiceName;
  /** Columns the answer must have. */
  columns: readonly string[];
  /** ADQL for at most `top` stars within `radiusDeg` of (raDeg, decDeg). */
  adql(raDeg: number, decDeg: number, radiusDeg: number, top: number): string;
  /** The answer's stars (the columns are known to be there). */
  read(table: TapTable): ArchiveStars;
}

/** Degrees in ADQL: fixed notation (never an exponent), 1e-9° resolution. */
const deg = (v: number) => v.toFixed(9);

function circle(ra: string, dec: string, raDeg: number, decDeg: number, radiusDeg: number): string {
  return `CONTAINS(POINT('ICRS', ${ra}, ${dec}), CIRCLE('ICRS', ${deg(raDeg)}, ${deg(decDeg)}, ${deg(radiusDeg)})) = 1`;
}

/** Column readers over a table (by archive name). */
function columnsOf(table: TapTable) {
  const n = table.rows.length;
  const at = (name: string) => columnIndex(table, name);
  return {
    n,
    numbers(name: string): Float64Array {
      const k = at(name);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = k < 0 ? NaN : numberCell(table.rows[i][k]);
      return out;
    },
    texts(name: string): string[] {
      const k = at(name);
      return table.rows.map((r) => {
        const v: TapCell = r[k];
        return v === null ? "" : String(v).trim();
      });
    },
  };
}

/** Stars of an answer: identifiers, positions, proper motions, epochs; bands added by the caller. */
function baseStars(
  table: TapTable,
  names: { id: string; ra: string; dec: string; pmra?: string; pmdec?: string; epoch?: string },
  defaultEpoch: number,
): ArchiveStars {
  const c = columnsOf(table);
  const epoch = names.epoch ? c.numbers(names.epoch) : new Float64Array(c.n).fill(NaN);
  for (let i = 0; i < c.n; i++) if (!Number.isFinite(epoch[i])) epoch[i] = defaultEpoch;
  return {
    sourceId: c.texts(names.id),
    raDeg: c.numbers(names.ra),
    decDeg: c.numbers(names.dec),
    pmraMasYr: names.pmra ? c.numbers(names.pmra) : new Float64Array(c.n).fill(NaN),
    pmdecMasYr: names.pmdec ? c.numbers(names.pmdec) : new Float64Array(c.n).fill(NaN),
    epochYear: epoch,
    bands: {},
  };
}

/** GSPC column stem of a GaiaSP band: U → u_jkc, u → u_sdss. */
export function gspcStem(band: Band): string {
  return "ugriz".includes(band) ? `${band}_sdss` : `${band.toLowerCase()}_jkc`;
}

const GAIA_ASTROMETRY = ["source_id", "ra", "dec", "pmra", "pmdec", "ref_epoch"] as const;
const GSPC_COLUMNS = SURVEY_BANDS.GaiaSP.flatMap((b) => {
  const s = gspcStem(b);
  return [`${s}_mag`, `${s}_flux`, `${s}_flux_error`, `${s}_flag`];
});

const gaiaSP: ArchiveSurvey = {
  survey: "GaiaSP",
  service: "gaia",
  columns: [...GAIA_ASTROMETRY, ...GSPC_COLUMNS],
  adql(raDeg, decDeg, radiusDeg, top) {
    return (
      `SELECT TOP ${top} ${GAIA_ASTROMETRY.map((c) => `g.${c}`).join(", ")}, ` +
      `${GSPC_COLUMNS.map((c) => `s.${c}`).join(", ")} ` +
      "FROM gaiadr3.gaia_source AS g JOIN gaiadr3.synthetic_photometry_gspc AS s ON s.source_id = g.source_id " +
      `WHERE ${circle("g.ra", "g.dec", raDeg, decDeg, radiusDeg)}`
    );
  },
  read(table) {
    const stars = baseStars(
      table,
      { id: "source_id", ra: "ra", dec: "dec", pmra: "pmra", pmdec: "pmdec", epoch: "ref_epoch" },
      2016,
    );
    const c = columnsOf(table);
    for (const band of SURVEY_BANDS.GaiaSP) {
      const s = gspcStem(band);
      const [mag, flux, fluxErr, flag] = ["mag", "flux", "flux_error", "flag"].map((x) =>
        c.numbers(`${s}_${x}`),
      );
      const outMag = new Float64Array(c.n).fill(NaN);
      const outErr = new Float64Array(c.n).fill(NaN);
      for (let i = 0; i < c.n; i++) {
        // flag 1: inside the validated range (file comment); 0 or missing: skipped.
        if (flag[i] === 1 && Number.isFinite(mag[i]) && flux[i] > 0 && fluxErr[i] > 0) {
          outMag[i] = mag[i];
          outErr[i] = (MAG_PER_RELATIVE_FLUX * fluxErr[i]) / flux[i];
        }
      }
      stars.bands[band] = { mag: outMag, err: outErr };
    }
    return stars;
  },
};

const DR3_BANDS = [
  ["G", "phot_g_mean_mag", "phot_g_mean_flux_over_error"],
  ["GBP", "phot_bp_mean_mag", "phot_bp_mean_flux_over_error"],
  ["GRP", "phot_rp_mean_mag", "phot_rp_mean_flux_over_error"],
] as const;

const gaiaDR3: ArchiveSurvey = {
  survey: "GaiaDR3",
  service: "gaia",
  columns: [...GAIA_ASTROMETRY, ...DR3_BANDS.flatMap(([, m, e]) => [m, e])],
  adql(raDeg, decDeg, radiusDeg, top) {
    return (
      `SELECT TOP ${top} ${this.columns.join(", ")} FROM gaiadr3.gaia_source ` +
      `WHERE ${circle("ra", "dec", raDeg, decDeg, radiusDeg)}`
    );
  },
  read(table) {
    const stars = baseStars(
      table,
      { id: "source_id", ra: "ra", dec: "dec", pmra: "pmra", pmdec: "pmdec", epoch: "ref_epoch" },
      2016,
    );
    const c = columnsOf(table);
    for (const [band, magName, foeName] of DR3_BANDS) {
      const mag = c.numbers(magName);
      const foe = c.numbers(foeName);
      const err = new Float64Array(c.n);
      for (let i = 0; i < c.n; i++) {
        if (!(foe[i] > 0 && Number.isFinite(mag[i]))) mag[i] = NaN;
        err[i] = foe[i] > 0 ? MAG_PER_RELATIVE_FLUX / foe[i] : NaN;
      }
      stars.bands[band] = { mag, err };
    }
    return stars;
  },
};

const TMASS_BANDS = [
  ["J", "Jmag", "e_Jmag"],
  ["H", "Hmag", "e_Hmag"],
  ["K", "Kmag", "e_Kmag"],
] as const;

const twoMass: ArchiveSurvey = {
  survey: "2MASS",
  service: "vizier",
  columns: ["2MASS", "RAJ2000", "DEJ2000", ...TMASS_BANDS.flatMap(([, m, e]) => [m, e])],
  adql(raDeg, decDeg, radiusDeg, top) {
    const cols = this.columns.map((c) => (/^\d/.test(c) ? `"${c}"` : c)).join(", ");
    return `SELECT TOP ${top} ${cols} FROM "II/246/out" WHERE ${circle("RAJ2000", "DEJ2000", raDeg, decDeg, radiusDeg)}`;
  },
  read(table) {
    const stars = baseStars(table, { id: "2MASS", ra: "RAJ2000", dec: "DEJ2000" }, 2000);
    const c = columnsOf(table);
    for (const [band, magName, errName] of TMASS_BANDS) {
      const mag = c.numbers(magName);
      const err = c.numbers(errName);
      for (let i = 0; i < c.n; i++) if (!(err[i] > 0)) mag[i] = NaN; // upper limits have no error
      stars.bands[band] = { mag, err };
    }
    return stars;
  },
};

export const ARCHIVE_SURVEYS: Record<Survey, ArchiveSurvey> = {
  GaiaSP: gaiaSP,
  GaiaDR3: gaiaDR3,
  "2MASS": twoMass,
};
