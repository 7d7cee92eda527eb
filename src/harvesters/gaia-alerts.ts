/**
 * Gaia Science Alerts (Hodgkin et al. 2021, A&A 652, A76): the light curve of an alert, `{base}/alert/
 * <name>/lightcurve.csv`, for targets named or aliased like `Gaia22bpl`. The file starts with the alert's
 * name on a line of its own, then a header (`#Date JD(TCB) averagemag` or `Date,JD(TCB),averagemag`), then
 * one line per transit: `2022-03-04 05:06:07,2459642.71258,17.23`. `averagemag` is the G magnitude, or
 * `untrusted` / `null` for points the alerts team does not vouch for: those lines are skipped. The file
 * gives no errors: each point gets the error BHTOM2 gives it (gaiaAlertsError, below). JD(TCB) is taken as JD (MJD = JD − 2400000.5; TCB
 * differs from UTC by about a minute, far below the cadence of Gaia's transits).
 */
import { parse } from "csv-parse/sync";
import type { SourceFetcher } from "./fetcher.ts";
import type { Resolution } from "./sesame.ts";
import {
  SourceError,
  SourceNotFoundError,
  type Harvest,
  type Harvester,
  type HarvestTarget,
} from "./types.ts";

/** An alert name: `Gaia`, two digits of the year, two to four lower-case letters. */
export const GAIA_ALERT_NAME = /^Gaia\d{2}[a-z]{2,4}$/;

export interface GaiaAlertsCurve {
  points: { mjd: number; mag: number }[];
  skipped: number;
}

/**
 * The error of a Gaia Alerts G magnitude, which the light curve does not give: BHTOM2's model
 * (`g_gaia_error` in BHTOM-Team/bhtom2, bhtom2/brokers/gaia_alerts.py; the same form as the
 * `estimateGaiaError` of the Microlensing Observation Portal, "from Gaia DR2 papers, degraded by ×10"):
 * log10 σ = 0.2·G − 5.2 for 13.5 ≤ G < 17 (σ = 0.0032 mag at 13.5 and brighter, 0.016 just below 17)
 * and 0.26·G − 6.26 from G = 17 (0.014 at 17, 0.087 at 20). BHTOM2 tests 13.5 < G < 17 and G > 17, which leaves G = 13.5
 * and 17 exactly with log10 σ = 0 (σ = 1 mag); here the bounds are closed so that no point gets that.
 */
export function gaiaAlertsError(mag: number): number {
  const g = Math.max(mag, 13.5);
  return 10 ** (g < 17 ? 0.2 * g - 5.2 : 0.26 * g - 6.26);
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Read a lightcurve.csv (see the file comment); null when it is not one (an HTML page, another table). */
export function parseGaiaAlertsLightCurve(text: string): GaiaAlertsCurve | null {
  const lines = text.split(/\r\n|\n|\r/).map((l) => l.trim());
  let header = false;
  const points: GaiaAlertsCurve["points"] = [];
  let skipped = 0;
  for (const line of lines) {
    if (line === "") continue;
    if (!header) {
      if (/JD\(TCB\)/.test(line) && /averagemag/.test(line)) header = true;
      continue;
    }
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== 3) return null;
    const [, jd, mag] = cells;
    if (!NUMBER.test(jd)) return null;
    if (!NUMBER.test(mag)) {
      // "untrusted", "null", NaN: the alerts team's own marks of unusable points.
      skipped++;
      continue;
    }
    const m = Number(mag);
    if (m < -5 || m > 30) {
      skipped++;
      continue;
    }
    points.push({ mjd: Number(jd) - 2_400_000.5, mag: m });
  }
  return header ? { points, skipped } : null;
}

export class GaiaAlertsHarvester implements Harvester {
  readonly name = "GaiaAlerts" as const;
  readonly title = "Gaia Science Alerts";

  constructor(
    private readonly baseUrl: string,
    private readonly fetcher: SourceFetcher,
  ) {}

  appliesTo(target: HarvestTarget): string | null {
    return [target.name, ...target.aliases].find((n) => GAIA_ALERT_NAME.test(n)) ?? null;
  }

  async fetch(alertName: string): Promise<Harvest> {
    const url = `${this.baseUrl.replace(/\/+$/, "")}/alert/${encodeURIComponent(alertName)}/lightcurve.csv`;
    const queriedAt = new Date();
    const answer = await this.fetcher.get(url);
    if (answer.status === 404)
      throw new SourceNotFoundError(this.name, `${url}: no alert named ${alertName}`);
    const curve = parseGaiaAlertsLightCurve(answer.body.toString("utf8"));
    if (!curve) throw new SourceError(this.name, `${url}: the answer is not a Gaia alerts light curve`);
    return {
      source: this.name,
      objectId: alertName,
      url,
      queriedAt,
      points: curve.points.map((p) => ({
        mjd: p.mjd,
        value: p.mag,
        error: gaiaAlertsError(p.mag),
        unit: "MAG",
        band: "G",
      })),
      skipped: curve.skipped,
    };
  }
}

/**
 * The alerts index, `{base}/alerts.csv`: one line per alert under the header `#Name, Date, RaDeg, DecDeg,
 * AlertMag, HistoricMag, HistoricStdDev, Class, Published, Comment, TNSid` (names with a leading space;
 * the comment may be quoted and hold commas). The alert named `name` (any case): its position and its
 * identifiers (the alert name, then the TNS name when there is one); null when the index has no such alert.
 * Throws an Error when the text is not the index (the caller says where it came from).
 */
export function parseGaiaAlertsIndex(text: string, name: string): Resolution | null {
  const records = parse(text.replace(/^\uFEFF/, ""), {
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    trim: true,
  }) as string[][];
  const [header, ...rows] = records;
  const columns = (header ?? []).map((h) => h.replace(/^#/, "").trim().toLowerCase());
  const at = (c: string) => columns.indexOf(c);
  const [iName, iRa, iDec, iTns] = [at("name"), at("radeg"), at("decdeg"), at("tnsid")];
  if (iName < 0 || iRa < 0 || iDec < 0)
    throw new Error("not the Gaia alerts index (no Name, RaDeg, DecDeg columns)");
  const wanted = name.trim().toLowerCase();
  const row = rows.find((r) => (r[iName] ?? "").toLowerCase() === wanted);
  if (!row) return null;
  const ra = Number(row[iRa]);
  const dec = Number(row[iDec]);
  if (!(ra >= 0 && ra < 360 && dec >= -90 && dec <= 90)) return null;
  const tns = iTns >= 0 ? (row[iTns] ?? "").trim() : "";
  return { raDeg: ra, decDeg: dec, identifiers: [row[iName], ...(tns ? [tns] : [])] };
}

export class GaiaAlertsIndex {
  readonly title = "the Gaia Science Alerts index";

  constructor(
    private readonly baseUrl: string,
    private readonly fetcher: SourceFetcher,
  ) {}

  async resolve(name: string): Promise<Resolution | null> {
    const url = `${this.baseUrl.replace(/\/+$/, "")}/alerts.csv`;
    const answer = await this.fetcher.get(url);
    if (answer.status === 404) throw new SourceError("GaiaAlertsIndex", `${url}: HTTP 404`);
    try {
      return parseGaiaAlertsIndex(answer.body.toString("utf8"), name);
    } catch (err) {
      throw new SourceError("GaiaAlertsIndex", `${url}: ${(err as Error).message}`);
    }
  }
}
