/**
 * Gaia DR3 epoch photometry (Gaia Collaboration, Eyer et al. 2023, A&A 674, A13) of the Gaia DR3 source
 * of a target, from the ESA Gaia archive:
 *
 * 1. the source: the id of a `Gaia DR3 <source_id>` alias, else the nearest `gaiadr3.gaia_source` within
 *    1″ of the target, by a synchronous ADQL query on the archive's TAP service (`{SKYTOM_GAIA_TAP_URL}/
 *    sync`, FORMAT=csv; the same service the reference-star catalogues use). Gaia positions are at epoch
 *    J2016.0: a star moving faster than ~60 mas/yr may sit outside the cone of its J2000 position. A
 *    source whose `has_epoch_photometry` is false is not asked further;
 * 2. its epochs: DataLink's data service `{SKYTOM_GAIA_DATALINK_URL}?RETRIEVAL_TYPE=EPOCH_PHOTOMETRY&
 *    ID=Gaia DR3 <source_id>&RELEASE=Gaia DR3&DATA_STRUCTURE=INDIVIDUAL&FORMAT=csv` (the parameters
 *    astroquery's `Gaia.load_data` sends). The answer is the CSV, or a ZIP holding it
 *    (`EPOCH_PHOTOMETRY-Gaia DR3 <source_id>.csv`); gaia-dr3-epochs.ts reads it.
 *
 * Points are stored as G, BP and RP (`G(GaiaDR3)`, …), times MJD in TCB at the solar-system barycentre.
 */
import { parseTapCsv } from "../catalog/tap/csv.ts";
import { columnIndex, type TapTable } from "../catalog/tap/table.ts";
import { parseVotable } from "../catalog/tap/votable.ts";
import type { SourceFetcher } from "./fetcher.ts";
import { parseGaiaEpochPhotometry } from "./gaia-dr3-epochs.ts";
import { SourceError, type Harvest, type Harvester, type HarvestTarget } from "./types.ts";
import { isZip, readZip } from "./zip.ts";

/** A Gaia DR3 designation: `Gaia DR3 <source_id>`. */
export const GAIA_DR3_NAME = /^Gaia DR3 (\d{1,20})$/;
/** The cone around the target, arcsec. */
export const GAIA_DR3_RADIUS_ARCSEC = 1;

/** The cone query: the nearest sources first. */
export function gaiaConeAdql(raDeg: number, decDeg: number, radiusArcsec = GAIA_DR3_RADIUS_ARCSEC): string {
  const [ra, dec, r] = [raDeg.toFixed(7), decDeg.toFixed(7), (radiusArcsec / 3600).toFixed(7)];
  return (
    `SELECT TOP 5 source_id, has_epoch_photometry, ` +
    `DISTANCE(POINT('ICRS', ra, dec), POINT('ICRS', ${ra}, ${dec})) AS dist ` +
    `FROM gaiadr3.gaia_source WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ${ra}, ${dec}, ${r})) ` +
    `ORDER BY dist ASC`
  );
}

/** The nearest source of a cone answer, or null when the cone is empty. */
export function nearestSource(table: TapTable): { sourceId: string; hasEpochs: boolean | null } | null {
  const id = columnIndex(table, "source_id");
  if (id < 0) throw new Error("the answer has no source_id column");
  const flag = columnIndex(table, "has_epoch_photometry");
  const dist = columnIndex(table, "dist");
  const rows = [...table.rows].filter((r) => r[id] !== null);
  if (dist >= 0) rows.sort((a, b) => Number(a[dist]) - Number(b[dist]));
  const row = rows[0];
  if (!row) return null;
  const f = flag < 0 ? null : row[flag];
  const hasEpochs = f === null ? null : /^(true|t|1)$/i.test(String(f).trim());
  return { sourceId: String(row[id]).trim(), hasEpochs };
}

export class GaiaDr3Harvester implements Harvester {
  readonly name = "GaiaDR3" as const;
  readonly title = "Gaia DR3 epoch photometry";

  constructor(
    private readonly tapUrl: string,
    private readonly datalinkUrl: string,
    private readonly fetcher: SourceFetcher,
  ) {}

  /** `Gaia DR3 <id>` from an alias, else `<ra> <dec>` (degrees), else null. */
  appliesTo(target: HarvestTarget): string | null {
    const alias = [target.name, ...target.aliases].find((n) => GAIA_DR3_NAME.test(n.trim()));
    if (alias) return alias.trim();
    if (target.raDeg === null || target.decDeg === null) return null;
    return `${target.raDeg.toFixed(7)} ${target.decDeg.toFixed(7)}`;
  }

  async fetch(key: string): Promise<Harvest> {
    const queriedAt = new Date();
    const designated = GAIA_DR3_NAME.exec(key)?.[1];
    let sourceId = designated;
    if (!sourceId) {
      const [ra, dec] = key.split(" ").map(Number);
      const found = await this.cone(ra, dec);
      if (!found.source)
        return this.empty(found.url, queriedAt, `no Gaia DR3 source within ${GAIA_DR3_RADIUS_ARCSEC}″`);
      sourceId = found.source.sourceId;
      if (found.source.hasEpochs === false)
        return this.empty(found.url, queriedAt, `Gaia DR3 ${sourceId} has no epoch photometry`, sourceId);
    }
    const query = new URLSearchParams({
      RETRIEVAL_TYPE: "EPOCH_PHOTOMETRY",
      ID: `Gaia DR3 ${sourceId}`,
      RELEASE: "Gaia DR3",
      DATA_STRUCTURE: "INDIVIDUAL",
      FORMAT: "csv",
    });
    const url = `${this.datalinkUrl.replace(/\?+$/, "")}?${query.toString()}`;
    const answer = await this.fetcher.get(url);
    const text = answer.status === 404 ? "" : this.epochText(url, answer.body);
    if (text.trim() === "")
      return this.empty(url, queriedAt, `Gaia DR3 ${sourceId} has no epoch photometry`, sourceId);
    const file = parseGaiaEpochPhotometry(text);
    if (!file) throw new SourceError(this.name, `${url}: the answer is not a Gaia epoch photometry table`);
    if (file.sourceId !== null && file.sourceId !== sourceId)
      throw new SourceError(this.name, `${url}: the answer is the epoch photometry of ${file.sourceId}`);
    return {
      source: this.name,
      objectId: sourceId,
      url,
      queriedAt,
      points: file.epochs.map((e) => ({
        mjd: e.mjd,
        value: e.mag,
        error: e.magErr,
        unit: "MAG",
        band: e.band,
      })),
      skipped: file.skipped,
    };
  }

  /** The nearest source in the cone, and the URL asked. */
  private async cone(ra: number, dec: number) {
    const query = new URLSearchParams({
      REQUEST: "doQuery",
      LANG: "ADQL",
      FORMAT: "csv",
      QUERY: gaiaConeAdql(ra, dec),
    });
    const url = `${this.tapUrl.replace(/\/+$/, "")}/sync?${query.toString()}`;
    const answer = await this.fetcher.get(url);
    if (answer.status === 404) throw new SourceError(this.name, `${url}: HTTP 404`);
    const body = answer.body.toString("utf8");
    try {
      const table = body.trimStart().startsWith("<") ? parseVotable(body) : parseTapCsv(body);
      return { url, source: nearestSource(table) };
    } catch (err) {
      throw new SourceError(this.name, `${url}: ${(err as Error).message}`);
    }
  }

  /** The CSV text of a DataLink answer: the body, or the epoch photometry file of a ZIP. */
  private epochText(url: string, body: Buffer): string {
    if (!isZip(body)) return body.toString("utf8");
    let files;
    try {
      files = readZip(body);
    } catch (err) {
      throw new SourceError(this.name, `${url}: ${(err as Error).message}`);
    }
    const csv = files.filter((f) => /\.csv$/i.test(f.name));
    const file = csv.find((f) => /EPOCH_PHOTOMETRY/i.test(f.name)) ?? csv[0];
    return file ? file.data.toString("utf8") : "";
  }

  private empty(url: string, queriedAt: Date, note: string, objectId = ""): Harvest {
    return { source: this.name, objectId, url, queriedAt, points: [], skipped: 0, note };
  }
}
