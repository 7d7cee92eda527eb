/**
 * Reference catalogue providers (DESIGN §3 `src/catalog/`): whatever holds the reference stars, the
 * calibration asks one thing — the stars in a cone, as a ReferenceCatalogue (src/astro/calibrate/bands.ts).
 *
 * - StoredCatalogueProvider: the stored catalogues (reference_stars): imported ones and the archive cache.
 *   Cone search on the unit-vector columns: the (cz, cx, cy) btree narrows to the cap's bounding box, then
 *   the exact test cx·x + cy·y + cz·z ≥ cos r (src/astro/cone.ts), so RA 0/360 and the poles need no special
 *   case. Stars with a proper motion are moved to the epoch asked for (src/astro/propermotion.ts). Where an
 *   imported catalogue and the archive cache of the same survey both hold a star (within 1″), the imported
 *   one is kept: an import is the operator's choice for that field.
 * - ArchiveProvider (archive.ts): the archives over TAP, their answers cached in those tables.
 * - SyntheticProvider: a seeded synthetic field (src/astro/synth/catalog.ts), for tests and the demo.
 *
 * Stars of different surveys are not cross-identified: a cone over two surveys returns each star once
 * per survey, with NaN in the other survey's bands — ask for the surveys the calibration will use.
 */
import { endianness } from "node:os";
import { sql } from "drizzle-orm";
import type { Band, ReferenceCatalogue, Survey } from "../astro/calibrate/bands.ts";
import { SURVEYS } from "../astro/calibrate/bands.ts";
import { coneQuery, inCone } from "../astro/cone.ts";
import type { Cone } from "../astro/cone.ts";
import { crossMatch } from "../astro/crossmatch.ts";
import { julianYearFromMjd, propagatePosition } from "../astro/propermotion.ts";
import type { FieldOptions, SynthField } from "../astro/synth/catalog.ts";
import { makeField } from "../astro/synth/catalog.ts";
import type { Executor } from "../db/connection.ts";
import { BAND_COLUMNS } from "../db/schema/catalogs.ts";
import { BadRequestError } from "../domain/errors.ts";

export interface ConeOptions {
  /**
   * The time of the observation, MJD: positions of stars with a proper motion are moved from their
   * catalogue epoch to it. Default: positions as catalogued.
   */
  epochMjd?: number;
}

export interface ReferenceProvider {
  /**
   * Reference stars within `radiusDeg` of (raDeg, decDeg), all in deg; only the bands and catalogues of
   * `survey` (one or several) when given, every survey otherwise. Bands without any magnitude in the cone
   * are left out.
   */
  cone(
    raDeg: number,
    decDeg: number,
    radiusDeg: number,
    survey?: Survey | readonly Survey[],
    options?: ConeOptions,
  ): Promise<ReferenceCatalogue>;
}

export function checkedCone(raDeg: number, decDeg: number, radiusDeg: number): Cone {
  const q = coneQuery(raDeg, decDeg, radiusDeg);
  if (!q.ok) throw new BadRequestError(q.error);
  return q.cone;
}

/** The surveys asked for, checked: every survey when none is given. */
export function checkedSurveys(survey: Survey | readonly Survey[] | undefined): readonly Survey[] {
  const list: readonly Survey[] =
    survey === undefined ? SURVEYS : typeof survey === "string" ? [survey] : survey;
  for (const s of list) {
    if (!SURVEYS.includes(s)) {
      throw new BadRequestError(`unknown survey "${String(s)}" (known: ${SURVEYS.join(", ")})`);
    }
  }
  return list;
}

/** Rows of `keep` only, in every column of a catalogue. */
function subset(c: ReferenceCatalogue, keep: number[]): ReferenceCatalogue {
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const out: ReferenceCatalogue = { raDeg: pick(c.raDeg), decDeg: pick(c.decDeg), bands: {} };
  for (const [band, b] of Object.entries(c.bands) as [
    Band,
    NonNullable<ReferenceCatalogue["bands"][Band]>,
  ][]) {
    out.bands[band] = { survey: b.survey, mag: pick(b.mag), err: pick(b.err) };
  }
  return out;
}

/** Separation below which an archive star is taken for an imported star of the same survey, arcsec. */
const SAME_STAR_ARCSEC = 1;

/** Reference stars from the imported catalogues (reference_catalogues / reference_stars). */
export class StoredCatalogueProvider implements ReferenceProvider {
  constructor(private readonly db: Executor) {}

  async cone(
    raDeg: number,
    decDeg: number,
    radiusDeg: number,
    survey?: Survey | readonly Survey[],
    options: ConeOptions = {},
  ): Promise<ReferenceCatalogue> {
    const surveys = checkedSurveys(survey);
    const { box, centre, minDot } = checkedCone(raDeg, decDeg, radiusDeg);
    const wanted = BAND_COLUMNS.filter((c) => surveys.includes(c.survey));
    // One round trip, one answer row: each column as the concatenated 8-byte big-endian float8 of every
    // star (float8send: the stored bits; NULL as NaN), the ready catalogues of the surveys as JSON.
    // No sort and no per-row text or join (the catalogue ids are one array, evaluated once): the stars come
    // in the index scan's order and are put in id order here.
    const columns = ["id", "catalogue_id", "ra", "dec", "pmra_mas_yr", "pmdec_mas_yr", "epoch_year"].concat(
      wanted.flatMap((c) => [c.mag, c.err]),
    );
    const packed = sql.raw(
      columns
        .map(
          (c, k) =>
            `encode(string_agg(coalesce(float8send(s."${c}"::float8), ${NAN_BYTES}), ''), 'base64') as c${k}`,
        )
        .join(", "),
    );
    const surveyList = sql.join(
      surveys.map((s) => sql`${s}`),
      sql`, `,
    );
    const ready = sql`reference_catalogues c where c.state = 'ready' and c.survey in (${surveyList})`;
    const result = await this.db.execute<Record<string, string | number | null>>(sql`
      select (select coalesce(json_agg(json_build_array(c.id, c.survey, c.origin)), '[]'::json)::text
                from ${ready}) as catalogues,
             count(*)::int as n, ${packed}
      from reference_stars s
      where s.cz between ${box.zMin} and ${box.zMax}
        and s.cx between ${box.xMin} and ${box.xMax}
        and s.cy between ${box.yMin} and ${box.yMax}
        and s.cx * ${centre[0]} + s.cy * ${centre[1]} + s.cz * ${centre[2]} >= ${minDot}
        and s.catalogue_id = any(array(select c.id from ${ready}))`);
    const answer = result.rows[0];
    const n = Number(answer.n);
    const decoded = columns.map((_, k) => float8Column(answer[`c${k}`] as string | null, n));
    // The stars in id order (the order of the former `order by s.id`; other callers may rely on it).
    const ids = decoded[0];
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((i, j) => ids[i] - ids[j]);
    const column = (name: string) => permute(decoded[columns.indexOf(name)], order);
    const byId = new Map(
      (JSON.parse(String(answer.catalogues)) as [number, string, string][]).map(([id, s, origin]) => [
        id,
        { survey: s, origin },
      ]),
    );
    const catalogueIds = column("catalogue_id");
    const rows = Array.from(catalogueIds, (id) => byId.get(id)!);
    const catalogue: ReferenceCatalogue = { raDeg: column("ra"), decDeg: column("dec"), bands: {} };
    if (options.epochMjd !== undefined && Number.isFinite(options.epochMjd)) {
      const toYear = julianYearFromMjd(options.epochMjd);
      const [pmra, pmdec, epoch] = [column("pmra_mas_yr"), column("pmdec_mas_yr"), column("epoch_year")];
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(epoch[i])) continue;
        const p = propagatePosition(
          catalogue.raDeg[i],
          catalogue.decDeg[i],
          pmra[i],
          pmdec[i],
          epoch[i],
          toYear,
        );
        catalogue.raDeg[i] = p.raDeg;
        catalogue.decDeg[i] = p.decDeg;
      }
    }
    for (const c of wanted) {
      const mag = column(c.mag);
      if (mag.some((v) => !Number.isNaN(v)))
        catalogue.bands[c.band] = { survey: c.survey, mag, err: column(c.err) };
    }
    return withoutArchiveDuplicates(catalogue, rows);
  }
}

const LITTLE_ENDIAN = endianness() === "LE";

/** float8send of NaN: the 8 bytes a NULL value is sent as. */
const NAN_BYTES = "'\\x7ff8000000000000'::bytea";

/**
 * n big-endian float8 values (string_agg of float8send) as numbers: the same values as reading the text
 * form (PostgreSQL's shortest round-trip digits, extra_float_digits ≥ 1) — every NaN the one NaN.
 */
function float8Column(base64: string | null, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  // Base64 (a third smaller than bytea's hex text); Node skips the line breaks PostgreSQL puts in it.
  const bytes = base64 === null ? null : Buffer.from(base64, "base64");
  if (!bytes || bytes.length !== 8 * n) throw new Error(`cone: expected ${n} float8 values`);
  const view = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  bytes.copy(view);
  if (LITTLE_ENDIAN) view.swap64();
  for (let i = 0; i < n; i++) if (out[i] !== out[i]) out[i] = NaN;
  return out;
}

/** a[order[0]], a[order[1]], … */
function permute(a: Float64Array, order: Int32Array): Float64Array {
  const out = new Float64Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = a[order[k]];
  return out;
}

/**
 * Drops the archive-cache stars lying within SAME_STAR_ARCSEC of an imported star of the same survey
 * (see the file comment); the catalogue unchanged when the cone holds only one origin per survey.
 */
function withoutArchiveDuplicates(
  catalogue: ReferenceCatalogue,
  rows: { survey: string; origin: string }[],
): ReferenceCatalogue {
  const drop = new Set<number>();
  for (const survey of new Set(rows.map((r) => r.survey))) {
    const imported: number[] = [];
    const archived: number[] = [];
    rows.forEach((r, i) => {
      if (r.survey === survey) (r.origin === "archive" ? archived : imported).push(i);
    });
    if (imported.length === 0 || archived.length === 0) continue;
    const at = (idx: number[], a: Float64Array) => Float64Array.from(idx, (i) => a[i]);
    const match = crossMatch(
      at(archived, catalogue.raDeg),
      at(archived, catalogue.decDeg),
      at(imported, catalogue.raDeg),
      at(imported, catalogue.decDeg),
      SAME_STAR_ARCSEC,
    );
    match.index.forEach((j, k) => {
      if (j >= 0) drop.add(archived[k]);
    });
  }
  if (drop.size === 0) return catalogue;
  const keep: number[] = [];
  for (let i = 0; i < catalogue.raDeg.length; i++) if (!drop.has(i)) keep.push(i);
  return subset(catalogue, keep);
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

  async cone(
    raDeg: number,
    decDeg: number,
    radiusDeg: number,
    survey?: Survey | readonly Survey[],
  ): Promise<ReferenceCatalogue> {
    const surveys = checkedSurveys(survey);
    const cone = checkedCone(raDeg, decDeg, radiusDeg);
    const ref = this.field.reference;
    const idx: number[] = [];
    for (let i = 0; i < ref.raDeg.length; i++) if (inCone(cone, ref.raDeg[i], ref.decDeg[i])) idx.push(i);
    const pick = (a: Float64Array) => Float64Array.from(idx, (i) => a[i]);
    const catalogue: ReferenceCatalogue = { raDeg: pick(ref.raDeg), decDeg: pick(ref.decDeg), bands: {} };
    for (const [band, b] of Object.entries(ref.bands) as [Band, NonNullable<(typeof ref.bands)[Band]>][]) {
      if (surveys.includes(b.survey)) {
        catalogue.bands[band] = { survey: b.survey, mag: pick(b.mag), err: pick(b.err) };
      }
    }
    return catalogue;
  }
}
