/**
 * A simulated night of observations of a variable star in a synthetic field, for `skytom demo`.
 *
 * Field: a seeded synthetic field (src/astro/synth/catalog.ts `makeField`, GaiaSP bands) around the
 * target; stars within `CLEAR_RADIUS_ARCSEC` of the target are removed so that its photometry is not
 * blended (a real observer would pick an isolated target or a PSF fit). The field's reference catalogue
 * (observed magnitudes with catalogue errors) becomes the stored GaiaSP catalogue; the images and the
 * instrumental catalogues are made from the field's true magnitudes.
 *
 * Variable: a sinusoidal pulsator (an RRc-like light curve, Smith 1995 "RR Lyrae Stars" §1),
 *   V(t) = V₀ − A sin(2π (t − T₀) / P),   t in MJD (mid-exposure), A the semi-amplitude in mag.
 * The injected magnitude of an exposure is V at its mid-exposure time — what the pipeline reports
 * (calibration.md §2.2: MJD of mid-exposure).
 *
 * Night: `frames` CCD images (src/astro/synth/image.ts: Moffat stars, Poisson + read noise, cosmic rays,
 * hot pixels; 16-bit integers as a camera writes them) and `catalogues` SExtractor instrumental
 * catalogues (src/astro/synth/catalog.ts `makeFrame`, written in Source Extractor's ASCII_HEAD layout
 * like the FITS job's own), evenly spread over the night with a little jitter. Conditions change from
 * exposure to exposure: seeing (FWHM), transparency (zero point), sky level and pointing (a few arcsec),
 * so each frame is calibrated with its own zero point.
 */
import { SURVEY_BANDS } from "../astro/calibrate/bands.ts";
import type { Band } from "../astro/calibrate/bands.ts";
import { angularSeparationDeg } from "../astro/coords.ts";
import type { FitsValue } from "../astro/fits/header.ts";
import { writeFits } from "../astro/fits/write.ts";
import { formatSextractorCatalogue, type CatalogueRow } from "../astro/image/catalogue.ts";
import type { SynthField } from "../astro/synth/catalog.ts";
import { makeField, makeFrame } from "../astro/synth/catalog.ts";
import { makeSyntheticImage } from "../astro/synth/image.ts";
import { makeBayerImage } from "../astro/synth/bayer.ts";
import { createRng } from "../astro/synth/random.ts";
import { dateFromMjd } from "../astro/time.ts";
import { skyToPixel, type TanWcs } from "../astro/wcs/tan.ts";

const DEG = Math.PI / 180;
/** Field stars closer than this to the target are removed (no blends), arcsec. */
export const CLEAR_RADIUS_ARCSEC = 12;

/** A sinusoidal variable star; magnitudes in V, times in MJD, position in deg. */
export interface VariableStar {
  raDeg: number;
  decDeg: number;
  /** Mean V magnitude V₀, mag. */
  meanMag: number;
  /** Semi-amplitude A, mag. */
  amplitudeMag: number;
  periodDays: number;
  /** Epoch T₀ of mean brightness on the rising branch, MJD. */
  epochMjd: number;
}

/** V(t) = V₀ − A sin(2π (t − T₀) / P), mag (file comment). */
export function injectedMag(star: VariableStar, mjd: number): number {
  return star.meanMag - star.amplitudeMag * Math.sin((2 * Math.PI * (mjd - star.epochMjd)) / star.periodDays);
}

/** Camera of the simulated observatory: what the images assume and the camera row records. */
export const DEMO_CAMERA = {
  widthPx: 1024,
  heightPx: 1024,
  pixelScaleArcsec: 0.8,
  gainEPerAdu: 1.5,
  readNoiseE: 8,
  saturationAdu: 60000,
  biasAdu: 0,
} as const;

export interface DemoFieldOptions {
  raDeg: number;
  decDeg: number;
  seed: number;
  /** Half-width of the square field, deg (Dec; RA span / cos δ); default 0.18 (frames are 0.23° wide). */
  halfWidthDeg?: number;
  /** Stars in the field before clearing the target's surroundings; default 2400. */
  stars?: number;
}

/** Keep the stars at `keep` (indices) of a field: true values and reference catalogue alike. */
function subsetField(field: SynthField, keep: number[]): SynthField {
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const mags = Object.fromEntries(Object.entries(field.mags).map(([b, a]) => [b, pick(a)])) as Record<
    Band,
    Float64Array
  >;
  const bands: SynthField["reference"]["bands"] = {};
  for (const [b, ref] of Object.entries(field.reference.bands)) {
    if (ref) bands[b as Band] = { survey: ref.survey, mag: pick(ref.mag), err: pick(ref.err) };
  }
  return {
    raDeg: pick(field.raDeg),
    decDeg: pick(field.decDeg),
    bv: pick(field.bv),
    mags,
    reference: { raDeg: pick(field.reference.raDeg), decDeg: pick(field.reference.decDeg), bands },
  };
}

/** The synthetic field around the target (GaiaSP reference), its surroundings cleared (file comment). */
export function demoField(o: DemoFieldOptions): SynthField {
  const field = makeField({
    seed: o.seed,
    nStars: o.stars ?? 2400,
    centerRaDeg: o.raDeg,
    centerDecDeg: o.decDeg,
    halfWidthDeg: o.halfWidthDeg ?? 0.18,
    magRange: [11, 19.5],
    surveys: ["GaiaSP"],
  });
  const keep: number[] = [];
  for (let i = 0; i < field.raDeg.length; i++) {
    if (angularSeparationDeg(o.raDeg, o.decDeg, field.raDeg[i], field.decDeg[i]) * 3600 > CLEAR_RADIUS_ARCSEC)
      keep.push(i);
  }
  return subsetField(field, keep);
}

/**
 * The field's reference catalogue as GaiaSP CSV (`ra,dec,u,u_err,…,I,I_err`, the layout `skytom catalog
 * import` and `catalog synth` use): positions in deg to 1e−7, magnitudes and errors in mag to 1e−4.
 */
export function referenceCsv(field: SynthField): string {
  const bands = SURVEY_BANDS.GaiaSP;
  const ref = field.reference;
  const lines = [["ra", "dec", ...bands.flatMap((b) => [b, `${b}_err`])].join(",")];
  for (let i = 0; i < ref.raDeg.length; i++) {
    const cells = [ref.raDeg[i].toFixed(7), ref.decDeg[i].toFixed(7)];
    for (const b of bands) {
      const band = ref.bands[b];
      cells.push(band ? band.mag[i].toFixed(4) : "", band ? band.err[i].toFixed(4) : "");
    }
    lines.push(cells.join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** One exposure of the night. */
export interface Exposure {
  /** 0-based, in time order. */
  index: number;
  kind: "fits" | "catalogue";
  /** Start of the exposure, MJD (UTC). */
  startMjd: number;
  exposureS: number;
  /** Mid-exposure, MJD: the time the pipeline assigns to the measurement. */
  midMjd: number;
  /** Seeing, FWHM in pixels. */
  fwhmPx: number;
  /** Magnitude of a 1 ADU source (transparency), mag. */
  zeroPointMag: number;
  skyAdu: number;
  /** Pointing offset of the frame centre from the target, arcsec (east, north). */
  offsetArcsec: readonly [number, number];
  /** Seed of this exposure's noise. */
  seed: number;
  /** Injected V of the variable at mid-exposure, mag. */
  injectedMag: number;
  /** File name to upload it under. */
  fileName: string;
}

export interface NightOptions {
  star: VariableStar;
  /** Name used in file names (sanitised). */
  targetName: string;
  /** Start of the first exposure, MJD. */
  startMjd: number;
  /** Length of the night covered by the exposures, days; default 0.32 (≈ 7.7 h). */
  durationDays?: number;
  frames: number;
  catalogues: number;
  seed: number;
  exposureS?: number;
}

/** The exposures of the night, in time order; catalogues spread evenly among the frames. */
export function planNight(o: NightOptions): Exposure[] {
  const total = o.frames + o.catalogues;
  if (!Number.isInteger(o.frames) || !Number.isInteger(o.catalogues) || o.frames < 0 || o.catalogues < 0)
    throw new RangeError("frames and catalogues must be integers ≥ 0");
  if (total === 0) return [];
  const rng = createRng(o.seed);
  const duration = o.durationDays ?? 0.32;
  const exposureS = o.exposureS ?? 60;
  const step = total > 1 ? duration / (total - 1) : 0;
  // Catalogue slots: evenly spaced through the night (Bresenham-like spread).
  const isCatalogue = new Set<number>();
  for (let k = 0; k < o.catalogues; k++) isCatalogue.add(Math.floor(((k + 0.5) * total) / o.catalogues));
  const stem = o.targetName.replace(/[^A-Za-z0-9_-]+/g, "_") || "target";
  const out: Exposure[] = [];
  for (let i = 0; i < total; i++) {
    const startMjd = o.startMjd + i * step + (i > 0 && i < total - 1 ? rng.uniform(-0.1, 0.1) * step : 0);
    const midMjd = startMjd + exposureS / 2 / 86400;
    const phase = total > 1 ? i / (total - 1) : 0;
    const kind = isCatalogue.has(i) ? "catalogue" : "fits";
    const stamp = dateFromMjd(startMjd)
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "");
    out.push({
      index: i,
      kind,
      startMjd,
      exposureS,
      midMjd,
      // Seeing drifting through the night, transparency dipping mid-night (thin cloud), sky brightening
      // towards dawn (the Moon rising).
      fwhmPx: 2.6 + 0.5 * Math.sin(2 * Math.PI * phase) + rng.uniform(-0.2, 0.2),
      zeroPointMag: 25.8 - 0.25 * Math.exp(-(((phase - 0.55) / 0.12) ** 2)) + rng.gaussian(0, 0.03),
      skyAdu: 250 + 250 * phase + rng.uniform(-20, 20),
      offsetArcsec: [rng.gaussian(0, 8), rng.gaussian(0, 8)],
      seed: (o.seed * 1009 + i * 7919 + 17) >>> 0,
      injectedMag: injectedMag(o.star, midMjd),
      fileName: `${stem}_${stamp}_${String(i + 1).padStart(3, "0")}.${kind === "fits" ? "fits" : "cat"}`,
    });
  }
  return out;
}

/** Frame centre of an exposure, deg. */
function pointing(star: VariableStar, e: Exposure): { raDeg: number; decDeg: number } {
  const decDeg = star.decDeg + e.offsetArcsec[1] / 3600;
  return { raDeg: star.raDeg + e.offsetArcsec[0] / 3600 / Math.cos(star.decDeg * DEG), decDeg };
}

/**
 * The FITS file of a `fits` exposure: BITPIX 16 (BZERO 32768, ADU as a camera stores them) with a TAN
 * WCS, DATE-OBS (start, UTC), EXPTIME, FILTER = V, OBJECT = the target name.
 */
export function renderFrame(
  field: SynthField,
  star: VariableStar,
  e: Exposure,
  objectName: string,
): Uint8Array {
  const centre = pointing(star, e);
  const im = makeSyntheticImage({
    seed: e.seed,
    width: DEMO_CAMERA.widthPx,
    height: DEMO_CAMERA.heightPx,
    field,
    band: "V",
    centerRaDeg: centre.raDeg,
    centerDecDeg: centre.decDeg,
    pixelScaleArcsec: DEMO_CAMERA.pixelScaleArcsec,
    zeroPointMag: e.zeroPointMag,
    fwhmPx: e.fwhmPx,
    skyAdu: e.skyAdu,
    gainEPerAdu: DEMO_CAMERA.gainEPerAdu,
    readNoiseE: DEMO_CAMERA.readNoiseE,
    biasAdu: DEMO_CAMERA.biasAdu,
    saturationAdu: DEMO_CAMERA.saturationAdu,
    cosmicRays: 15,
    hotPixels: 10,
    target: { raDeg: star.raDeg, decDeg: star.decDeg, mag: e.injectedMag },
    dateObs: dateFromMjd(e.startMjd).toISOString().slice(0, 23),
    exptimeS: e.exposureS,
    filter: "V",
    object: objectName.slice(0, 60),
  });
  const header: Record<string, FitsValue> = {
    ...im.header,
    TELESCOP: "skytom demo 0.5 m",
    INSTRUME: "demo CCD",
  };
  delete header.MAGZP; // the truth; a camera does not know its zero point
  return writeFits({
    data: im.data,
    width: im.width,
    height: im.height,
    bitpix: 16,
    bzero: 32768,
    header,
  });
}

/** Size of the demo's one-shot-colour frames, px (channels half that: keeps the demo quick). */
export const DEMO_OSC_SIZE_PX = 768;
/** B−V of the demo variable, for its one-shot-colour channels (an RRc star is about this colour). */
export const DEMO_TARGET_BV = 0.3;

/**
 * A one-shot-colour (Bayer RGGB) frame of a `fits` exposure: the scene rendered through R, V and B
 * (src/astro/synth/bayer.ts), BITPIX 16, BAYERPAT = RGGB, no FILTER. The target's V is the injected
 * magnitude; its R and B follow from DEMO_TARGET_BV (coloursFromV).
 */
export function renderBayerFrame(
  field: SynthField,
  star: VariableStar,
  e: Exposure,
  objectName: string,
): Uint8Array {
  const centre = pointing(star, e);
  const im = makeBayerImage({
    seed: e.seed,
    width: DEMO_OSC_SIZE_PX,
    height: DEMO_OSC_SIZE_PX,
    field,
    pattern: "RGGB",
    centerRaDeg: centre.raDeg,
    centerDecDeg: centre.decDeg,
    pixelScaleArcsec: DEMO_CAMERA.pixelScaleArcsec,
    zeroPointMag: e.zeroPointMag,
    // Superpixels: a star needs a FWHM of a few of them.
    fwhmPx: 2 * e.fwhmPx,
    skyAdu: e.skyAdu,
    gainEPerAdu: DEMO_CAMERA.gainEPerAdu,
    readNoiseE: DEMO_CAMERA.readNoiseE,
    biasAdu: DEMO_CAMERA.biasAdu,
    saturationAdu: DEMO_CAMERA.saturationAdu,
    target: { raDeg: star.raDeg, decDeg: star.decDeg, v: e.injectedMag, bv: DEMO_TARGET_BV },
    dateObs: dateFromMjd(e.startMjd).toISOString().slice(0, 23),
    exptimeS: e.exposureS,
    object: objectName.slice(0, 60),
  });
  const header: Record<string, FitsValue> = {
    ...im.header,
    TELESCOP: "skytom demo 0.5 m",
    INSTRUME: "demo one-shot-colour CMOS",
  };
  delete header.MAGZP;
  return writeFits({ data: im.data, width: im.width, height: im.height, bitpix: 16, bzero: 32768, header });
}

/**
 * The instrumental catalogue of a `catalogue` exposure, as Source Extractor writes it (ASCII_HEAD, the
 * 7 CCDPhot columns; MAG_AUTO with MAG_ZEROPOINT 0, so m_inst = V − ZP): the field's stars on the
 * frame down to the detection limit, plus the target, with S/N-based errors (makeFrame). The 5σ limit
 * follows the conditions: 19.8 mag at ZP 25.8, fainter or brighter with the zero point.
 */
export function renderCatalogue(field: SynthField, star: VariableStar, e: Exposure): string {
  const m5 = 19.8 + (e.zeroPointMag - 25.8) - 0.5 * Math.log10(e.skyAdu / 300);
  const frame = makeFrame(field, {
    seed: e.seed,
    band: "V",
    zp: -e.zeroPointMag,
    mag5Sigma: m5,
    astrometricNoiseArcsec: 0.1,
    target: { raDeg: star.raDeg, decDeg: star.decDeg, mag: e.injectedMag },
  });
  const centre = pointing(star, e);
  const s = DEMO_CAMERA.pixelScaleArcsec / 3600;
  const wcs: TanWcs = {
    crpix: [(DEMO_CAMERA.widthPx + 1) / 2, (DEMO_CAMERA.heightPx + 1) / 2],
    crvalDeg: [centre.raDeg, centre.decDeg],
    cd: [
      [-s, 0],
      [0, s],
    ],
  };
  const c = frame.catalogue;
  const rows: CatalogueRow[] = [];
  for (let i = 0; i < c.raDeg.length; i++) {
    const p = skyToPixel(wcs, c.raDeg[i], c.decDeg[i]);
    if (!p || p.x < 1 || p.y < 1 || p.x > DEMO_CAMERA.widthPx || p.y > DEMO_CAMERA.heightPx) continue;
    const flux = 10 ** (-0.4 * c.mag[i]);
    rows.push({
      number: rows.length + 1,
      x: p.x,
      y: p.y,
      raDeg: c.raDeg[i],
      decDeg: c.decDeg[i],
      mag: c.mag[i],
      magErr: c.magErr[i],
      flux,
      fluxErr: (flux * c.magErr[i]) / 1.0857,
      fwhm: e.fwhmPx,
      flags: 0,
    });
  }
  return formatSextractorCatalogue(rows);
}
