/**
 * Reference catalogue providers (DESIGN §3 `src/catalog/`): whatever holds the reference stars, the
 * calibration asks one thing — the stars in a cone, as a ReferenceCatalogue (src/astro/calibrate/bands.ts).
 *
 * - StoredCatalogueProvider: the imported catalogues (reference_stars). Cone search on the unit-vector
 *   columns: the (cz, cx, cy) btree narrows to the cap's bounding box, then the exact test
 *   cx·x + cy·y + cz·z ≥ cos r (src/astro/cone.ts), so RA 0/360 and the poles need no special case.
 * - SyntheticProvider: a seeded synthetic field (src/astro/synth/catalog.ts), for tests and the demo.
 *
 * Stars of different catalogues are not cross-identified: a cone over two surveys returns each star once
 * per catalogue, with NaN in the other survey's bands — ask for one survey when calibrating.
 */
import { sql } from "drizzle-orm";
import type { Band, ReferenceCatalogue, Survey } from "../astro/calibrate/bands.ts";
import { SURVEYS } from "../astro/calibrate/bands.ts";
import { coneQuery, inCone } from "../astro/cone.ts";
import type { Cone } from "../astro/cone.ts";
import type { FieldOptions, SynthField } from "../astro/synth/catalog.ts";
import { makeField } from "../astro/synth/catalog.ts";
import type { Executor } from "../db/connection.ts";
import { BAND_COLUMNS } from "../db/schema/catalogs.ts";
import { BadRequestError } from "../domain/errors.ts";

export interface ReferenceProvider {
  /**
   * Reference stars within `radiusDeg` of (raDeg, decDeg), all in deg; only `survey`'s bands and
   * catalogues when given. Bands without any magnitude in the cone are left out.
   */
  cone(raDeg: number, decDeg: number, radiusDeg: number, survey?: Survey): Promise<ReferenceCatalogue>;
}

function checkedCone(raDeg: number, decDeg: number, radiusDeg: number): Cone {
  const q = coneQuery(raDeg, decDeg, radiusDeg);
  if (!q.ok) throw new BadRequestError(q.error);
  return q.cone;
}

function checkedSurvey(survey: Survey | undefined): void {
  if (survey !== undefined && !SURVEYS.includes(survey)) {
    throw new BadRequestError(`unknown survey "${String(survey)}" (known: ${SURVEYS.join(", ")})`);
  }
}

/** Reference stars from the imported catalogues (reference_catalogues / reference_stars). */
export class StoredCatalogueProvider implements ReferenceProvider {
  constructor(private readonly db: Executor) {}

  async cone(raDeg: number, decDeg: number, radiusDeg: number, survey?: Survey): Promise<ReferenceCatalogue> {
    checkedSurvey(survey);
    const { box, centre, minDot } = checkedCone(raDeg, decDeg, radiusDeg);
    const wanted = BAND_COLUMNS.filter((c) => survey === undefined || c.survey === survey);
    const select = sql.raw(wanted.map((c) => `s."${c.mag}", s."${c.err}"`).join(", "));
    const surveyFilter = survey === undefined ? sql`` : sql` and c.survey = ${survey}`;
    const result = await this.db.execute<Record<string, number | null>>(sql`
      select s.ra, s.dec, ${select}
      from reference_stars s join reference_catalogues c on c.id = s.catalogue_id and c.state = 'ready'
      where s.cz between ${box.zMin} and ${box.zMax}
        and s.cx between ${box.xMin} and ${box.xMax}
        and s.cy between ${box.yMin} and ${box.yMax}
        and s.cx * ${centre[0]} + s.cy * ${centre[1]} + s.cz * ${centre[2]} >= ${minDot}${surveyFilter}
      order by s.id`);
    const rows = result.rows;
    const n = rows.length;
    const column = (name: string) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i][name];
        out[i] = v === null || v === undefined ? NaN : Number(v);
      }
      return out;
    };
    const catalogue: ReferenceCatalogue = { raDeg: column("ra"), decDeg: column("dec"), bands: {} };
    for (const c of wanted) {
      const mag = column(c.mag);
      if (mag.some((v) => !Number.isNaN(v)))
        catalogue.bands[c.band] = { survey: c.survey, mag, err: column(c.err) };
    }
    return catalogue;
  }
}

/**
 * Reference stars of one synthetic field (tests, demo): the field's reference catalogue, cut to the cone.
 * Frames made from the same field (makeFrame) then match these stars.
 */
export class SyntheticProvider implements ReferenceProvider {
  readonly field: SynthField;

  constructor(field: SynthField | FieldOptions) {
    this.field = "reference" in field ? field : makeField(field);
  }

  async cone(raDeg: number, decDeg: number, radiusDeg: number, survey?: Survey): Promise<ReferenceCatalogue> {
    checkedSurvey(survey);
    const cone = checkedCone(raDeg, decDeg, radiusDeg);
    const ref = this.field.reference;
    const idx: number[] = [];
    for (let i = 0; i < ref.raDeg.length; i++) if (inCone(cone, ref.raDeg[i], ref.decDeg[i])) idx.push(i);
    const pick = (a: Float64Array) => Float64Array.from(idx, (i) => a[i]);
    const catalogue: ReferenceCatalogue = { raDeg: pick(ref.raDeg), decDeg: pick(ref.decDeg), bands: {} };
    for (const [band, b] of Object.entries(ref.bands) as [Band, NonNullable<(typeof ref.bands)[Band]>][]) {
      if (survey === undefined || b.survey === survey) {
        catalogue.bands[band] = { survey: b.survey, mag: pick(b.mag), err: pick(b.err) };
      }
    }
    return catalogue;
  }
}
