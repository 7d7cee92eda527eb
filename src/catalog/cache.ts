/**
 * The archive cache in the database (src/db/schema/catalogs.ts): one `archive` catalogue per survey holds
 * every star an archive answered (unique per survey by `source_id`, so overlapping cones store a star once),
 * and `reference_cones` records each cone answered in full. Shared by every process on the database and
 * kept across restarts.
 *
 * An answer is stored in one transaction — its stars and the cone row together — so a failure leaves the
 * cone uncovered and nothing of it half-written; a rerun asks again and the stars already there are kept.
 */
import { sql } from "drizzle-orm";
import type { Survey } from "../astro/calibrate/bands.ts";
import type { Cone } from "../astro/cone.ts";
import { unitVector } from "../astro/coords.ts";
import type { Database, Executor } from "../db/connection.ts";
import { inTransaction } from "../db/connection.ts";
import { bandColumnName } from "../db/schema/catalogs.ts";
import type { ArchiveStars } from "./surveys.ts";

/** Name of a survey's archive cache catalogue. */
export const archiveCatalogueName = (survey: Survey) => `archive:${survey}`;

/** The survey's archive cache catalogue id, created on first use. */
export async function archiveCatalogueId(db: Executor, survey: Survey, serviceUrl: string): Promise<number> {
  const name = archiveCatalogueName(survey);
  await db.execute(sql`
    insert into reference_catalogues (name, survey, source_file, origin)
    values (${name}, ${survey}, ${serviceUrl}, 'archive')
    on conflict (name) where state = 'ready' do nothing`);
  const found = await db.execute<{ id: number; origin: string }>(
    sql`select id, origin from reference_catalogues where name = ${name} and state = 'ready'`,
  );
  const row = found.rows[0];
  if (row.origin !== "archive") {
    throw new Error(
      `an imported catalogue is named "${name}", the name of the ${survey} archive cache: rename it`,
    );
  }
  return row.id;
}

export interface CoveredCone {
  id: number;
  survey: Survey;
  raDeg: number;
  decDeg: number;
  radiusDeg: number;
  rows: number;
  service: string;
  fetched: string;
}

const coneFrom = (r: Record<string, unknown>): CoveredCone => ({
  id: Number(r.id),
  survey: r.survey as Survey,
  raDeg: Number(r.ra),
  decDeg: Number(r.dec),
  radiusDeg: Number(r.radius_deg),
  rows: Number(r.rows),
  service: String(r.service),
  fetched: new Date(r.fetched as string).toISOString(),
});

/**
 * A covered cone of the survey that contains the cone (separation of the centres + radius ≤ the covered
 * radius; the separation from the chord between unit vectors, 2·asin(c/2), exact at small angles), or null.
 */
export async function coveringCone(db: Executor, survey: Survey, cone: Cone): Promise<CoveredCone | null> {
  const [x, y, z] = cone.centre;
  const result = await db.execute<Record<string, unknown>>(sql`
    select id, survey, ra, dec, radius_deg, rows, service, fetched from reference_cones
    where survey = ${survey} and radius_deg >= ${cone.radiusDeg}
      and degrees(2 * asin(least(1.0, sqrt((cx - ${x})^2 + (cy - ${y})^2 + (cz - ${z})^2) / 2)))
          + ${cone.radiusDeg} <= radius_deg + 1e-9
    order by radius_deg limit 1`);
  return result.rows.length > 0 ? coneFrom(result.rows[0]) : null;
}

/** True when an imported catalogue of the survey has a star in the cone. */
export async function importedStarsInCone(db: Executor, survey: Survey, cone: Cone): Promise<boolean> {
  const { box, centre, minDot } = cone;
  const result = await db.execute(sql`
    select 1 from reference_stars s join reference_catalogues c on c.id = s.catalogue_id
    where c.survey = ${survey} and c.origin = 'import' and c.state = 'ready'
      and s.cz between ${box.zMin} and ${box.zMax}
      and s.cx between ${box.xMin} and ${box.xMax}
      and s.cy between ${box.yMin} and ${box.yMax}
      and s.cx * ${centre[0]} + s.cy * ${centre[1]} + s.cz * ${centre[2]} >= ${minDot}
    limit 1`);
  return result.rows.length > 0;
}

/** Every covered cone, per survey, oldest first. */
export async function listCoveredCones(db: Executor): Promise<CoveredCone[]> {
  const result = await db.execute<Record<string, unknown>>(
    sql`select id, survey, ra, dec, radius_deg, rows, service, fetched from reference_cones order by id`,
  );
  return result.rows.map(coneFrom);
}

const nullable = (v: number) => (Number.isFinite(v) ? v : null);

export interface StoredAnswer {
  /** Stars new to the cache. */
  inserted: number;
}

/**
 * Stores an archive answer for `cone` (see the file comment): the stars with an identifier and a position
 * (new ones only) and the covered cone, in one transaction. `rows` is the answer's row count recorded
 * with the cone (default: the stars given).
 */
export async function storeAnswer(
  database: Pick<Database, "pool">,
  a: {
    survey: Survey;
    catalogueId: number;
    cone: { raDeg: number; decDeg: number; radiusDeg: number };
    stars: ArchiveStars | null;
    service: string;
    rows?: number;
  },
): Promise<StoredAnswer> {
  return inTransaction(database, async (_tx, client) => {
    let inserted = 0;
    const s = a.stars;
    if (s && s.sourceId.length > 0) {
      const keep: number[] = [];
      for (let i = 0; i < s.sourceId.length; i++) {
        if (s.sourceId[i] !== "" && Number.isFinite(s.raDeg[i]) && Number.isFinite(s.decDeg[i])) keep.push(i);
      }
      const bands = Object.entries(s.bands) as [
        keyof ArchiveStars["bands"],
        { mag: Float64Array; err: Float64Array },
      ][];
      const numeric = ["ra", "dec", "cx", "cy", "cz", "pmra_mas_yr", "pmdec_mas_yr", "epoch_year"];
      for (const [band] of bands) {
        const mag = bandColumnName(a.survey, band);
        numeric.push(mag, `${mag}_err`);
      }
      const sqlText =
        `with ins as (insert into reference_stars (catalogue_id, source_id, ${numeric.map((c) => `"${c}"`).join(", ")}) ` +
        `select $1, * from unnest($2::varchar[], ${numeric.map((_, i) => `$${i + 3}::float8[]`).join(", ")}) ` +
        `on conflict (catalogue_id, source_id) where source_id is not null do nothing returning 1) ` +
        `select count(*)::int as n from ins`;
      const BATCH = 5000;
      for (let from = 0; from < keep.length; from += BATCH) {
        const idx = keep.slice(from, from + BATCH);
        const cols: (number | null)[][] = numeric.map(() => new Array<number | null>(idx.length));
        idx.forEach((i, k) => {
          const [x, y, z] = unitVector(s.raDeg[i], s.decDeg[i]);
          const fixed = [s.raDeg[i], s.decDeg[i], x, y, z, s.pmraMasYr[i], s.pmdecMasYr[i], s.epochYear[i]];
          fixed.forEach((v, j) => (cols[j][k] = nullable(v)));
          bands.forEach(([, b], j) => {
            const ok = Number.isFinite(b.mag[i]);
            cols[8 + 2 * j][k] = ok ? b.mag[i] : null;
            cols[9 + 2 * j][k] = ok ? nullable(b.err[i]) : null;
          });
        });
        const res = await client.query<{ n: number }>(sqlText, [
          a.catalogueId,
          idx.map((i) => s.sourceId[i]),
          ...cols,
        ]);
        inserted += res.rows[0].n;
      }
      await client.query("update reference_catalogues set row_count = row_count + $2 where id = $1", [
        a.catalogueId,
        inserted,
      ]);
    }
    const [x, y, z] = unitVector(a.cone.raDeg, a.cone.decDeg);
    await client.query(
      `insert into reference_cones (catalogue_id, survey, ra, dec, radius_deg, cx, cy, cz, rows, service)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        a.catalogueId,
        a.survey,
        a.cone.raDeg,
        a.cone.decDeg,
        a.cone.radiusDeg,
        x,
        y,
        z,
        a.rows ?? s?.sourceId.length ?? 0,
        a.service,
      ],
    );
    return { inserted };
  });
}
