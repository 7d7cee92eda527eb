/**
 * What the reference catalogues hold (`skytom catalog info`): per catalogue — imported, or an archive
 * cache with the cones it covers — its stars, the
 * number of stars with a magnitude in each band, and the sky it covers — the smallest cap around the mean
 * position holding every star (centre = normalised mean unit vector; radius = the largest separation
 * from it, from the chord c as 2·asin(c/2), accurate at small angles) and the Dec range.
 */
import { sql } from "drizzle-orm";
import type { Band, Survey } from "../astro/calibrate/bands.ts";
import { raDecFromUnitVector } from "../astro/coords.ts";
import type { Executor } from "../db/connection.ts";
import { BAND_COLUMNS, type CatalogueOrigin } from "../db/schema/catalogs.ts";
import { listCoveredCones, type CoveredCone } from "./cache.ts";

export interface CatalogueCoverage {
  /** Centre of the covering cap, deg. */
  centreRaDeg: number;
  centreDecDeg: number;
  /** Cap radius, deg (180 when the stars surround the centre from all sides, e.g. all-sky). */
  radiusDeg: number;
  decMinDeg: number;
  decMaxDeg: number;
}

export interface CatalogueInfo {
  id: number;
  name: string;
  survey: Survey;
  /** import | archive (the cache of an archive's answers). */
  origin: CatalogueOrigin;
  /** The imported file's name; for an archive cache, the service's base URL. */
  sourceFile: string;
  /** Archive caches: the cones answered in full, oldest first. */
  cones?: CoveredCone[];
  /** Stars stored (counted, not the recorded row count). */
  rows: number;
  created: string;
  /** Stars with a magnitude, per band of the survey. */
  bands: Partial<Record<Band, number>>;
  coverage: CatalogueCoverage | null;
}

const n = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));

/** Every catalogue, oldest first, with counts and coverage. */
export async function listCatalogues(db: Executor): Promise<CatalogueInfo[]> {
  const cats = await db.execute<{
    id: number;
    name: string;
    survey: Survey;
    source_file: string;
    origin: CatalogueOrigin;
    created: Date | string;
  }>(
    sql`select id, name, survey, source_file, origin, created from reference_catalogues where state = 'ready' order by id`,
  );
  const cones = await listCoveredCones(db);
  const out: CatalogueInfo[] = [];
  for (const c of cats.rows) {
    const cols = BAND_COLUMNS.filter((b) => b.survey === c.survey);
    const counts = sql.raw(cols.map((b, i) => `, count(s."${b.mag}") as b${i}`).join(""));
    const stats = await db.execute<Record<string, unknown>>(sql`
      select count(*) as rows, avg(s.cx) as x, avg(s.cy) as y, avg(s.cz) as z,
             min(s.dec) as dec_min, max(s.dec) as dec_max ${counts}
      from reference_stars s where s.catalogue_id = ${c.id}`);
    const st = stats.rows[0];
    const rows = n(st.rows);
    const bands: Partial<Record<Band, number>> = {};
    cols.forEach((b, i) => (bands[b.band] = n(st[`b${i}`])));
    let coverage: CatalogueCoverage | null = null;
    if (rows > 0) {
      const [x, y, z] = [n(st.x), n(st.y), n(st.z)];
      const len = Math.hypot(x, y, z);
      const centre = len > 1e-9 ? [x / len, y / len, z / len] : [0, 0, 1];
      const far = await db.execute<{ c2: number }>(sql`
        select max((s.cx - ${centre[0]})^2 + (s.cy - ${centre[1]})^2 + (s.cz - ${centre[2]})^2) as c2
        from reference_stars s where s.catalogue_id = ${c.id}`);
      const chord = Math.sqrt(n(far.rows[0].c2));
      const { raDeg, decDeg } = raDecFromUnitVector(centre as [number, number, number]);
      coverage = {
        centreRaDeg: raDeg,
        centreDecDeg: decDeg,
        radiusDeg: len > 1e-9 ? (2 * Math.asin(Math.min(1, chord / 2)) * 180) / Math.PI : 180,
        decMinDeg: n(st.dec_min),
        decMaxDeg: n(st.dec_max),
      };
    }
    out.push({
      id: c.id,
      name: c.name,
      survey: c.survey,
      origin: c.origin,
      sourceFile: c.source_file,
      ...(c.origin === "archive" ? { cones: cones.filter((k) => k.survey === c.survey) } : {}),
      rows,
      created: new Date(c.created).toISOString(),
      bands,
      coverage,
    });
  }
  return out;
}
