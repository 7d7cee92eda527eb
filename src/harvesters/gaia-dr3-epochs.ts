/**
 * The Gaia DR3 epoch photometry file, as the Gaia archive's DataLink service
 * (`RETRIEVAL_TYPE=EPOCH_PHOTOMETRY`, `FORMAT=csv`) writes it. Two layouts are in use, both read here:
 *
 * - one row per transit (the archive's layout since about December 2024, the DR3 datamodel's
 *   `epoch_photometry` table): `solution_id, source_id, transit_id, g_transit_time, g_transit_flux,
 *   g_transit_flux_error, g_transit_flux_over_error, g_transit_mag, bp_obs_time, bp_flux, bp_flux_error,
 *   bp_flux_over_error, bp_mag, rp_obs_time, …, rp_mag, variability_flag_g_reject,
 *   variability_flag_bp_reject, variability_flag_rp_reject, g_other_flags, bp_other_flags,
 *   rp_other_flags, rejected_by_photometry` — a band's cells are empty when the transit has no measure
 *   in it (AAVSO VStar's GaiaObSourceBase reads this header; public parsers quote real rows of it);
 * - one row per band and transit (Gaia DR2, and DR3 before the change): `source_id, transit_id, band,
 *   time, mag, flux, flux_error, flux_over_error, rejected_by_photometry, rejected_by_variability,
 *   other_flags, solution_id`, `band` being G, BP or RP.
 *
 * Times are "Barycentric JD in TCB − 2455197.5 (day)" (the archive's unit of every Gaia time column),
 * so MJD (TCB, barycentric) = time + 55197.0. Magnitude errors are 2.5/ln 10 / flux_over_error
 * (≈ 1.0857 / flux_over_error; from flux_error / flux when the ratio is missing). A measure flagged
 * `rejected_by_photometry` or rejected by the variability processing, or without a time or magnitude,
 * is skipped (and counted).
 */
import { parse } from "csv-parse/sync";

export interface GaiaEpoch {
  band: "G" | "BP" | "RP";
  mjd: number;
  mag: number;
  magErr: number;
}

export interface GaiaEpochFile {
  /** The file's source_id (kept as text: 64-bit ids do not fit a double). */
  sourceId: string | null;
  epochs: GaiaEpoch[];
  skipped: number;
}

/** Gaia time (BJD(TCB) − 2455197.5 d) → MJD: 2455197.5 − 2400000.5 = 55197. */
export const GAIA_TIME_TO_MJD = 55_197.0;
const MAG_PER_RELATIVE_FLUX = 2.5 / Math.LN10;

const WIDE_BANDS = [
  {
    band: "G",
    time: "g_transit_time",
    mag: "g_transit_mag",
    pre: "g_transit_",
    reject: "variability_flag_g_reject",
  },
  { band: "BP", time: "bp_obs_time", mag: "bp_mag", pre: "bp_", reject: "variability_flag_bp_reject" },
  { band: "RP", time: "rp_obs_time", mag: "rp_mag", pre: "rp_", reject: "variability_flag_rp_reject" },
] as const;

const isTrue = (cell: string | undefined) => /^(true|t|1)$/i.test((cell ?? "").trim());
const num = (cell: string | undefined) => {
  const s = (cell ?? "").trim();
  return s === "" || /^(nan|null)$/i.test(s) ? NaN : Number(s);
};

function magError(foe: number, flux: number, fluxErr: number): number {
  if (foe > 0) return MAG_PER_RELATIVE_FLUX / foe;
  if (flux > 0 && fluxErr > 0) return (MAG_PER_RELATIVE_FLUX * fluxErr) / flux;
  return 0;
}

/** Read the file (see the file comment); null when it is neither layout (an error page, another product). */
export function parseGaiaEpochPhotometry(text: string): GaiaEpochFile | null {
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ""), {
      skip_empty_lines: true,
      relax_column_count: true,
      comment: "#",
    }) as string[][];
  } catch {
    return null;
  }
  const [header, ...rows] = records;
  if (!header) return null;
  const names = header.map((h) => h.trim().toLowerCase());
  const col = (name: string) => names.indexOf(name);
  const at = (row: string[], name: string) => {
    const i = col(name);
    return i < 0 ? undefined : row[i];
  };
  const out: GaiaEpochFile = { sourceId: null, epochs: [], skipped: 0 };
  const take = (
    row: string[],
    band: GaiaEpoch["band"],
    t: number,
    mag: number,
    err: number,
    bad: boolean,
  ) => {
    out.sourceId ??= (at(row, "source_id") ?? "").trim() || null;
    if (bad || !Number.isFinite(t) || !Number.isFinite(mag) || mag < -5 || mag > 30) out.skipped++;
    else out.epochs.push({ band, mjd: t + GAIA_TIME_TO_MJD, mag, magErr: err });
  };
  if (col("g_transit_time") >= 0 && col("g_transit_mag") >= 0) {
    for (const row of rows) {
      const photometry = isTrue(at(row, "rejected_by_photometry"));
      for (const b of WIDE_BANDS) {
        const [t, mag] = [num(at(row, b.time)), num(at(row, b.mag))];
        // A band the transit has no measure in (all its cells empty) is not a skipped point.
        if (!Number.isFinite(t) && !Number.isFinite(mag)) continue;
        const err = magError(
          num(at(row, `${b.pre}flux_over_error`)),
          num(at(row, `${b.pre}flux`)),
          num(at(row, `${b.pre}flux_error`)),
        );
        take(row, b.band, t, mag, err, photometry || isTrue(at(row, b.reject)));
      }
    }
    return out;
  }
  if (col("band") >= 0 && col("time") >= 0 && col("mag") >= 0) {
    for (const row of rows) {
      const band = (at(row, "band") ?? "").trim().toUpperCase();
      if (band !== "G" && band !== "BP" && band !== "RP") {
        out.skipped++;
        continue;
      }
      const err = magError(num(at(row, "flux_over_error")), num(at(row, "flux")), num(at(row, "flux_error")));
      const bad = isTrue(at(row, "rejected_by_photometry")) || isTrue(at(row, "rejected_by_variability"));
      take(row, band, num(at(row, "time")), num(at(row, "mag")), err, bad);
    }
    return out;
  }
  return null;
}
