/**
 * Colour terms in stored calibrations (docs/colour.md): what a calibration of a camera's frame is given
 * (the camera's learnt k per band as the prior for sparse frames, the target's colour from
 * quasi-simultaneous points of the same camera), what it records (the chosen band's colour term, in the
 * API's names), and what it teaches the camera (its fitted k folded into the learnt k).
 */
import { and, eq, gte, inArray, isNotNull, lte, ne, or, isNull, sql } from "drizzle-orm";
import type { Band } from "../../astro/calibrate/bands.ts";
import { lightCurveFilterName } from "../../astro/calibrate/bands.ts";
import {
  COLOUR_INDEX_NAMES,
  COLOUR_INDEX_OF_BAND,
  COLOUR_INDICES,
  updateLearntK,
  type ColourIndex,
} from "../../astro/calibrate/colour.ts";
import type { ColourRequest, ResultColourTerm } from "../../astro/calibrate/index.ts";
import { DEFAULT_UNFILTERED_BAND, requestForFrame } from "../../astro/calibrate/unfiltered.ts";
import type { Executor } from "../../db/connection.ts";
import {
  cameraColourTerms,
  cameras,
  fitsJobs,
  reducedDatums,
  type StoredColourTerm,
} from "../../db/schema/index.ts";

/** Two points within this many days of the frame make a target colour ("quasi-simultaneous": 1 h). */
export const POINT_COLOUR_WINDOW_DAYS = 1 / 24;

type CameraRow = typeof cameras.$inferSelect;

/** The camera of a data product (null without one). */
export async function cameraOf(db: Executor, cameraId: number | null): Promise<CameraRow | null> {
  if (cameraId === null) return null;
  const [camera] = await db.select().from(cameras).where(eq(cameras.id, cameraId));
  return camera ?? null;
}

/**
 * A camera's learnt k per band, as the calibration's prior: only a k learnt in the colour index the band
 * is fitted in now (a camera whose colour_index changed starts that band afresh).
 */
async function priorK(db: Executor, camera: CameraRow): Promise<ColourRequest["priorK"]> {
  const rows = await db.select().from(cameraColourTerms).where(eq(cameraColourTerms.cameraId, camera.id));
  const out: NonNullable<ColourRequest["priorK"]> = {};
  // One survey per band name in practice (G is GaiaDR3's, V GaiaSP's): the prior is keyed by band.
  for (const r of rows) {
    const band = r.band as Band;
    if (r.colourIndex === colourIndexFor(camera, band)) out[band] = { k: r.k, kErr: r.kErr };
  }
  return out;
}

/** The colour index a camera's colour term for a band is fitted in: its colour_index, else the band's own. */
export function colourIndexFor(camera: Pick<CameraRow, "colourIndex">, band: Band): ColourIndex {
  const own = checkStoredIndex(camera.colourIndex);
  return own ?? COLOUR_INDEX_OF_BAND[band];
}

/** A stored camera colour_index (checked on the way in); anything else counts as none. */
function checkStoredIndex(value: string | null): ColourIndex | null {
  return COLOUR_INDEX_NAMES.find((n) => n === value) ?? null;
}

/**
 * The target's colour in every index from its light-curve points of the same observatory (facility) in
 * both bands of the index within POINT_COLOUR_WINDOW_DAYS of the frame — the nearest in time of each band,
 * active, not limits, not this data product's own; the error is the quadrature sum.
 */
export async function pointColours(
  db: Executor,
  where: { targetId: number; facility: string; mjd: number; dataProductId: number },
): Promise<NonNullable<ColourRequest["pointColours"]>> {
  const filterOf = (index: ColourIndex, which: "blue" | "red") =>
    lightCurveFilterName(COLOUR_INDICES[index].survey, COLOUR_INDICES[index][which]);
  const filters = COLOUR_INDEX_NAMES.flatMap((i) => [filterOf(i, "blue"), filterOf(i, "red")]);
  const rows = await db
    .select({
      filter: reducedDatums.filter,
      mjd: reducedDatums.mjd,
      value: reducedDatums.value,
      error: reducedDatums.error,
    })
    .from(reducedDatums)
    .where(
      and(
        eq(reducedDatums.targetId, where.targetId),
        eq(reducedDatums.facility, where.facility),
        eq(reducedDatums.activeFlg, true),
        sql`${reducedDatums.error} > 0`,
        inArray(reducedDatums.filter, filters),
        gte(reducedDatums.mjd, where.mjd - POINT_COLOUR_WINDOW_DAYS),
        lte(reducedDatums.mjd, where.mjd + POINT_COLOUR_WINDOW_DAYS),
        or(isNull(reducedDatums.dataProductId), ne(reducedDatums.dataProductId, where.dataProductId)),
      ),
    );
  const nearest = (filter: string) => {
    let best: (typeof rows)[number] | undefined;
    for (const r of rows)
      if (r.filter === filter && (!best || Math.abs(r.mjd - where.mjd) < Math.abs(best.mjd - where.mjd)))
        best = r;
    return best;
  };
  const out: NonNullable<ColourRequest["pointColours"]> = [];
  for (const index of COLOUR_INDEX_NAMES) {
    const blue = nearest(filterOf(index, "blue"));
    const red = nearest(filterOf(index, "red"));
    if (blue && red)
      out.push({ index, value: blue.value - red.value, err: Math.hypot(blue.error, red.error) });
  }
  return out;
}

/** What the calibration of one stored frame is given for its colour terms; undefined when the camera has them off. */
export async function colourRequestFor(
  db: Executor,
  camera: CameraRow | null,
  frame: { targetId: number; facility: string; mjd: number; dataProductId: number },
): Promise<ColourRequest | undefined> {
  if (camera && !camera.colourTerms) return undefined;
  const index = camera ? checkStoredIndex(camera.colourIndex) : null;
  return {
    priorK: camera ? await priorK(db, camera) : {},
    pointColours: await pointColours(db, frame),
    // A camera's colour_index applies to every band (docs/colour.md).
    ...(index
      ? { indexOf: Object.fromEntries(Object.keys(COLOUR_INDEX_OF_BAND).map((b) => [b, index])) }
      : {}),
  };
}

/**
 * The filter request a stored frame is calibrated with: for a FITS image whose FILTER says unfiltered
 * (Clear, C, CV, L, None, empty) and a default request, the camera's unfiltered band (unfiltered.ts).
 */
export async function frameRequest(
  db: Executor,
  dp: { id: number; dataProductType: string },
  camera: CameraRow | null,
  request: string,
): Promise<string> {
  if (dp.dataProductType !== "fits_file") return request;
  const [job] = await db
    .select({ filter: fitsJobs.fitsFilter })
    .from(fitsJobs)
    .where(eq(fitsJobs.dataProductId, dp.id));
  return requestForFrame(request, job?.filter, camera?.unfilteredBand ?? DEFAULT_UNFILTERED_BAND);
}

const finiteOrNull = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;

/** A calibration result's colour term in the API's names (the stored form). */
export function storedColourTerm(t: ResultColourTerm | null): StoredColourTerm | null {
  if (!t) return null;
  return {
    colour_index: t.index,
    k: t.k,
    k_err: finiteOrNull(t.kErr),
    k_source: t.kSource,
    c0: t.c0,
    colour_spread: finiteOrNull(t.colourSpread),
    target_colour: finiteOrNull(t.targetColour),
    target_colour_err: finiteOrNull(t.targetColourErr),
    target_colour_source: t.targetColourSource,
    shift: t.shift,
    systematic_err: t.systematicErr,
  };
}

/**
 * Fold a finished calibration's own fitted k into its camera's learnt k for that band (updateLearntK),
 * inside the caller's transaction; the row is locked so that two frames finishing together both count.
 * A k that came from a prior teaches nothing.
 */
export async function learnColourTerm(
  tx: Executor,
  cameraId: number,
  survey: string,
  band: string,
  term: StoredColourTerm | null,
): Promise<void> {
  if (!term || term.k_source !== "fit" || !Number.isFinite(term.k)) return;
  const key = and(
    eq(cameraColourTerms.cameraId, cameraId),
    eq(cameraColourTerms.survey, survey),
    eq(cameraColourTerms.band, band),
  );
  // Make sure the row exists, then lock it (INSERT … ON CONFLICT DO NOTHING cannot lose a concurrent update).
  await tx
    .insert(cameraColourTerms)
    .values({
      cameraId,
      survey,
      band,
      colourIndex: term.colour_index,
      k: 0,
      kErr: 0,
      kScatter: 0,
      nFrames: 0,
    })
    .onConflictDoNothing();
  const [prev] = await tx.select().from(cameraColourTerms).where(key).for("update");
  // A k learnt in another colour index (the camera's colour_index changed) is not this one's: start afresh.
  const same = prev && prev.nFrames > 0 && prev.colourIndex === term.colour_index;
  const next = updateLearntK(
    same ? { k: prev.k, kErr: prev.kErr, kScatter: prev.kScatter, nFrames: prev.nFrames } : null,
    term.k,
    term.k_err ?? NaN,
  );
  await tx
    .update(cameraColourTerms)
    .set({ ...next, colourIndex: term.colour_index, modified: new Date() })
    .where(key);
}

/** The learnt colour terms of cameras, as the observatory API shows them (`learnt_colour_terms`). */
export async function learntColourTerms(db: Executor, cameraIds: number[]) {
  const out = new Map<
    number,
    {
      survey: string;
      band: string;
      colour_index: string;
      k: number;
      k_err: number;
      k_scatter: number;
      n_frames: number;
    }[]
  >();
  if (!cameraIds.length) return out;
  const rows = await db
    .select()
    .from(cameraColourTerms)
    .where(and(inArray(cameraColourTerms.cameraId, cameraIds), isNotNull(cameraColourTerms.k)))
    .orderBy(cameraColourTerms.cameraId, cameraColourTerms.survey, cameraColourTerms.band);
  for (const r of rows) {
    if (r.nFrames <= 0) continue;
    const list = out.get(r.cameraId) ?? [];
    list.push({
      survey: r.survey,
      band: r.band,
      colour_index: r.colourIndex,
      k: r.k,
      k_err: r.kErr,
      k_scatter: r.kScatter,
      n_frames: r.nFrames,
    });
    out.set(r.cameraId, list);
  }
  return out;
}

/** A per-band row's colour-term fields, as the calibration APIs answer them. */
export function bandColour(b: {
  colourK: number | null;
  colourKErr: number | null;
  colourKSource: string | null;
  colourC0: number | null;
}) {
  return {
    colour_k: b.colourK,
    colour_k_err: b.colourKErr,
    colour_k_source: b.colourKSource,
    colour_c0: b.colourC0,
  };
}
