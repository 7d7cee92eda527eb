/**
 * ZTF light curves through IRSA's light-curve service (Masci et al. 2019, PASP 131, 018003; IRSA "ZTF
 * light curve queries API"): `{base}/cgi-bin/ZTF/nph_light_curves?POS=CIRCLE <ra> <dec> <radius>&FORMAT=csv`
 * answers one CSV line per epoch of every ZTF object within the radius, columns `oid, expid, hjd, mjd, mag,
 * magerr, catflags, filtercode, ra, dec, chi, sharp, …, limitmag, …, programid`. `filtercode` is `zg`, `zr`
 * or `zi` (stored as bands g, r, i); points with `catflags` ≠ 0 (bad quality: IRSA recommends catflags = 0),
 * or without a magnitude or error, are skipped. ZTF objects are per field and band, so one target has
 * several `oid`s: each point keeps its own as the object id. ZTF sees the sky north of Dec −31°.
 */
import { parse } from "csv-parse/sync";
import type { SourceFetcher } from "./fetcher.ts";
import { SourceError, type Harvest, type Harvester, type HarvestTarget } from "./types.ts";

/** The cone around the target, arcsec (ZTF's astrometry is good to ~0.1″; its PSF ~2″). */
export const ZTF_RADIUS_ARCSEC = 1.5;
/** The southern limit of ZTF's survey, degrees. */
export const ZTF_DEC_LIMIT_DEG = -31;

const BANDS: Record<string, string> = { zg: "g", zr: "r", zi: "i" };

export interface ZtfPoint {
  oid: string;
  mjd: number;
  mag: number;
  magErr: number;
  band: string;
}

/** Read IRSA's CSV; null when it is not the light-curve table (no oid/mjd/mag/magerr/catflags/filtercode). */
export function parseZtfLightCurves(text: string): { points: ZtfPoint[]; skipped: number } | null {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch {
    return null;
  }
  const [header, ...rows] = records;
  if (!header) return null;
  const col = (name: string) => header.findIndex((h) => h.trim().toLowerCase() === name);
  const c = {
    oid: col("oid"),
    mjd: col("mjd"),
    mag: col("mag"),
    err: col("magerr"),
    flags: col("catflags"),
    band: col("filtercode"),
  };
  if (Object.values(c).some((i) => i < 0)) return null;
  const points: ZtfPoint[] = [];
  let skipped = 0;
  for (const r of rows) {
    const band = BANDS[(r[c.band] ?? "").trim()];
    const [mjd, mag, err, flags] = [Number(r[c.mjd]), Number(r[c.mag]), Number(r[c.err]), Number(r[c.flags])];
    const usable =
      band !== undefined &&
      r[c.mag] !== "" &&
      r[c.err] !== "" &&
      Number.isFinite(mjd) &&
      Number.isFinite(mag) &&
      Number.isFinite(err) &&
      err >= 0 &&
      flags === 0;
    if (!usable) {
      skipped++;
      continue;
    }
    points.push({ oid: String(r[c.oid]).trim(), mjd, mag, magErr: err, band });
  }
  return { points, skipped };
}

export class ZtfHarvester implements Harvester {
  readonly name = "ZTF" as const;
  readonly title = "ZTF (IRSA light curves)";

  constructor(
    private readonly baseUrl: string,
    private readonly fetcher: SourceFetcher,
  ) {}

  appliesTo(target: HarvestTarget): string | null {
    if (target.raDeg === null || target.decDeg === null || target.decDeg < ZTF_DEC_LIMIT_DEG) return null;
    return `${target.raDeg.toFixed(6)} ${target.decDeg.toFixed(6)}`;
  }

  async fetch(position: string): Promise<Harvest> {
    const radiusDeg = (ZTF_RADIUS_ARCSEC / 3600).toFixed(6);
    const query = new URLSearchParams({ POS: `CIRCLE ${position} ${radiusDeg}`, FORMAT: "csv" });
    const url = `${this.baseUrl.replace(/\/+$/, "")}/cgi-bin/ZTF/nph_light_curves?${query.toString()}`;
    const queriedAt = new Date();
    const answer = await this.fetcher.get(url);
    if (answer.status === 404) throw new SourceError(this.name, `${url}: HTTP 404`);
    const table = parseZtfLightCurves(answer.body.toString("utf8"));
    if (!table) throw new SourceError(this.name, `${url}: the answer is not IRSA's ZTF light-curve table`);
    const oids = [...new Set(table.points.map((p) => p.oid))];
    return {
      source: this.name,
      objectId: oids.join(" ").slice(0, 200),
      url,
      queriedAt,
      points: table.points.map((p) => ({
        mjd: p.mjd,
        value: p.mag,
        error: p.magErr,
        unit: "MAG",
        band: p.band,
        objectId: p.oid,
      })),
      skipped: table.skipped,
    };
  }
}
