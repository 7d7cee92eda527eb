/**
 * The computing part of the FITS job, without the database: read the image, standardise its header,
 * take the WCS from the header or solve it blind, measure the sources, render the preview and the
 * SExtractor catalogue. It runs in a worker thread (measure-thread.ts): measuring a 6144² frame takes
 * seconds of CPU, which on the API's event loop would stall every request (and the job's own lease
 * renewal). The one thing it needs from outside, reference stars for a blind solve, it asks for through
 * `cone`. Everything it returns can be posted between threads (plain objects and typed arrays).
 */
import { isFitsError } from "../../astro/fits/errors.ts";
import { readFitsFile } from "../../astro/fits/file.ts";
import type { PixelArray } from "../../astro/fits/pixels.ts";
import type { FitsImage } from "../../astro/fits/read.ts";
import { standardiseHeader, type StandardHeader } from "../../astro/fits/standardise.ts";
import {
  extractSources,
  formatSextractorCatalogue,
  type ExtractOptions,
  type ExtractResult,
  type FrameStatistics,
} from "../../astro/image/extract.ts";
import { extractSourcesParallel, type ExtractRunner } from "../../astro/image/extract-parallel.ts";
import { forcedTargetPhotometry, withSkyPositions } from "../../astro/image/target.ts";
import { previewPng } from "../../astro/image/preview.ts";
import {
  bayerLayout,
  channelWcs,
  splitBayer,
  splitColourCube,
  type Channel,
} from "../../astro/image/bayer.ts";
import { pixelScaleArcsec, skyToPixel, wcsFromHeader, type TanWcs } from "../../astro/wcs/index.ts";
import { solveWcs } from "../../astro/wcs/solve.ts";
import type { ReferenceCatalogue } from "../../astro/calibrate/bands.ts";

export interface MeasureInput {
  /** Absolute path of the FITS file. */
  path: string;
  camera: {
    dateTimeKeyword: string;
    timeKeyword: string;
    exposureTimeKeyword: string;
    gainEPerAdu: number;
    readNoiseE: number;
    saturationAdu: number;
    /** arcsec/px unbinned; null without a camera (no blind solving then). */
    pixelScaleArcsec: number | null;
  };
  target: { raDeg: number; decDeg: number };
  /**
   * Threads sharing the extraction (extract-parallel.ts): a number (default 1), or "auto" for the cores
   * idle when the job starts (src/extract-pool.ts `idleCores`). One by default: a worker process runs
   * SKYTOM_WORKERS jobs and a deployment as many workers as it has cores, and the night bench on 2 cores
   * (2 workers) made 33 frames / min with "auto" against 46 with one thread per job — the load average
   * said cores were idle between one job's steps while the other worker's job wanted them
   * (docs/performance.md, "A night through the API").
   */
  extractThreads?: number | "auto";
}

/**
 * Reference stars within `radiusDeg` of a position (all deg), from the job's provider, positions at the
 * frame's epoch (MJD).
 */
export type ConeQuery = (
  raDeg: number,
  decDeg: number,
  radiusDeg: number,
  epochMjd: number,
) => Promise<ReferenceCatalogue>;

export interface Measured {
  ok: true;
  image: { width: number; height: number };
  header: StandardHeader;
  /** Header values stored as they are (pointing, origin, telescope, instrument, observer). */
  facts: {
    ra: number | null;
    dec: number | null;
    origin: string | null;
    observat: string | null;
    telescop: string | null;
    instrume: string | null;
    observer: string | null;
  };
  wcs: TanWcs;
  /** "; WCS solved (…)" when the WCS was solved blind, else "". */
  solvedNote: string;
  result: { stats: FrameStatistics };
  /** Target position on the image (FITS pixels), null when it does not project. */
  pix: { x: number; y: number } | null;
  pixelScaleArcsec: number;
  /** The 7-column SExtractor catalogue of the measured sources (a one-shot-colour frame: its G channel's). */
  catalogue: string;
  /**
   * A one-shot-colour (Bayer) frame: each channel's catalogue and statistics, measured on its superpixel
   * image (src/astro/image/bayer.ts); a debayered colour cube (NAXIS3 = 3): on its R, G and B planes.
   * `result` is then the G channel's. Absent for an ordinary frame.
   */
  channels?: Record<Channel, { catalogue: string; stats: FrameStatistics }>;
  previewPng: Uint8Array;
  /** Where the thread's time went, ms: read (decode), solve (blind WCS, 0 with a header WCS), extract, preview, catalogue (formatting). */
  timingsMs: MeasureTimings;
}

export interface MeasureTimings {
  read: number;
  solve: number;
  extract: number;
  preview: number;
  catalogue: number;
}

export type MeasureOutput = Measured | { ok: false; message: string };

/**
 * Pixels a thread keeps between its jobs (ReadFitsOptions `recycle`): a job decodes its frame into the
 * last job's pixels when the sizes match, instead of fresh memory — 64 MB of new pages cost a 4096² frame
 * ≈ 16,000 page faults, a quarter to half of its read time on a VM.
 */
export interface PixelSpare {
  spare?: PixelArray;
}

/**
 * Measures one frame (file comment). With `runner` (more than one thread) the file is decoded into shared
 * memory and the extraction of a plain frame — the blind solve's and the catalogue's — is shared among
 * its threads (same catalogue); colour cubes and Bayer frames keep to this thread.
 */
export async function measureImage(
  input: MeasureInput,
  cone: ConeQuery,
  runner?: ExtractRunner,
  pixels?: PixelSpare,
): Promise<MeasureOutput> {
  const parallel = runner !== undefined && runner.threads > 1 ? runner : undefined;
  const extract = (img: FitsImage, options: ExtractOptions) =>
    parallel ? extractSourcesParallel(img, options, parallel) : Promise.resolve(extractSources(img, options));
  let image: FitsImage;
  const timingsMs: MeasureTimings = { read: 0, solve: 0, extract: 0, preview: 0, catalogue: 0 };
  let t = performance.now();
  const lap = (step: keyof MeasureTimings) => {
    const now = performance.now();
    timingsMs[step] += now - t;
    t = now;
  };
  const recycle = pixels?.spare; // taken: no other job decodes into it meanwhile
  if (pixels) pixels.spare = undefined;
  try {
    image = await readFitsFile(input.path, {
      colourCube: true,
      sharedMemory: parallel !== undefined,
      recycle,
    });
    lap("read");
  } catch (err) {
    return {
      ok: false,
      message: isFitsError(err) ? `FITS: ${err.message}` : `cannot read the image: ${(err as Error).message}`,
    };
  }
  const { camera, target } = input;
  // A colour cube's G plane stands for the frame where one image is needed (blind solve, preview).
  const cube = image.planes === 3 ? splitColourCube(image.data, image.width, image.height) : null;
  const frame: FitsImage = cube ? { ...image, planes: 1, data: cube.G } : image;
  const std = standardiseHeader(image.header, camera);
  if (!std.ok) return { ok: false, message: `FITS header: ${std.error}` };
  const h = std.header;
  const headerWcs = wcsFromHeader((k) => image.header.get(k) as number | string | boolean | undefined);
  let wcs: TanWcs;
  let solvedNote = "";
  // The blind solve's extraction of the frame (no WCS, no target): reused for an ordinary frame.
  let blind: ExtractResult | null = null;
  if (headerWcs.ok) wcs = headerWcs.wcs;
  else {
    const solved = await solveFromPriors(frame, h, target, camera.pixelScaleArcsec, cone, extract);
    if (!solved.ok) {
      return {
        ok: false,
        message: `no usable WCS in the header (${headerWcs.reason}) and blind solving failed: ${solved.reason}`,
      };
    }
    wcs = solved.wcs;
    blind = solved.extracted;
    solvedNote = `; WCS solved (${solved.matched} stars, ${solved.rmsArcsec.toFixed(2)}″ rms)`;
  }
  lap("solve");
  let layout: ReturnType<typeof bayerLayout> = null;
  try {
    // A colour cube is debayered already: a BAYERPAT left in its header is not applied again.
    if (!cube) layout = bayerLayout((k) => image.header.get(k));
  } catch (err) {
    return { ok: false, message: `FITS header: ${(err as Error).message}` };
  }
  let result: { stats: FrameStatistics };
  let catalogue: string;
  let channels: Measured["channels"];
  if (cube) {
    channels = measureCubePlanes(cube, wcs, h, target, lap);
    result = { stats: channels.G.stats };
    catalogue = channels.G.catalogue;
  } else if (layout) {
    channels = measureChannels(image, layout, wcs, h, target, lap);
    result = { stats: channels.G.stats };
    catalogue = channels.G.catalogue;
  } else {
    // A frame solved blind was extracted once already (same image, same options): its detections get
    // sky positions from the solved WCS and the target's match or forced photometry — the catalogue a
    // second extraction with the WCS and the target gives.
    const extracted = blind
      ? forcedTargetPhotometry(frame, withSkyPositions(blind, wcs), target, { wcs })
      : await extract(image, { ...extractOptions(h), wcs, target });
    lap("extract");
    result = extracted;
    catalogue = formatSextractorCatalogue(extracted.rows);
    lap("catalogue");
  }
  const pix = skyToPixel(wcs, target.raDeg, target.decDeg);
  const text = (k: string, n: number) => image.header.getString(k)?.slice(0, n) ?? null;
  const preview = previewPng(frame, pix ? { marker: pix } : {});
  lap("preview");
  if (pixels) pixels.spare = image.data; // nothing returned holds the pixels
  return {
    ok: true,
    image: { width: image.width, height: image.height },
    header: h,
    facts: {
      ra: image.header.getNumber("RA") ?? null,
      dec: image.header.getNumber("DEC") ?? null,
      origin: text("ORIGIN", 100),
      observat: text("OBSERVAT", 100),
      telescop: text("TELESCOP", 100),
      instrume: text("INSTRUME", 100),
      observer: text("OBSERVER", 100),
    },
    wcs,
    solvedNote,
    result: { stats: result.stats },
    pix,
    pixelScaleArcsec: pixelScaleArcsec(wcs),
    catalogue,
    ...(channels ? { channels } : {}),
    previewPng: preview,
    timingsMs,
  };
}

/**
 * A one-shot-colour frame's R, G and B superpixel images (2×2 blocks, greens averaged), each measured with
 * the superpixel WCS: the green image's noise is that of two pixels averaged, so its effective gain is
 * twice the camera's and its read noise (in e⁻ at that gain) √2 times.
 */
function measureChannels(
  image: FitsImage,
  layout: NonNullable<ReturnType<typeof bayerLayout>>,
  wcs: TanWcs,
  h: StandardHeader,
  target: { raDeg: number; decDeg: number },
  lap: (step: keyof MeasureTimings) => void,
): NonNullable<Measured["channels"]> {
  const split = splitBayer(image.data, image.width, image.height, layout);
  const out = {} as NonNullable<Measured["channels"]>;
  for (const c of ["R", "G", "B"] as const) {
    const green = c === "G";
    const ex = extractSources(
      { data: split[c], width: split.width, height: split.height },
      {
        wcs: channelWcs(wcs, layout, image.height, c),
        gainEPerAdu: green ? 2 * h.gainEPerAdu : h.gainEPerAdu,
        readNoiseE: green ? Math.SQRT2 * h.readNoiseE : h.readNoiseE,
        saturationAdu: h.saturationAdu,
        target,
      },
    );
    lap("extract");
    out[c] = { catalogue: formatSextractorCatalogue(ex.rows), stats: ex.stats };
    lap("catalogue");
  }
  return out;
}

/**
 * A debayered colour cube's R, G and B planes (plane order R, G, B: src/astro/image/bayer.ts), each measured
 * at full resolution with the frame's own 2-D WCS (every plane covers the same pixels: nothing to scale or
 * shift) and the camera's gain and read noise as they are (the debayering tool's interpolation makes the
 * noise of neighbouring pixels correlated; the errors are those of independent pixels).
 */
function measureCubePlanes(
  cube: ReturnType<typeof splitColourCube>,
  wcs: TanWcs,
  h: StandardHeader,
  target: { raDeg: number; decDeg: number },
  lap: (step: keyof MeasureTimings) => void,
): NonNullable<Measured["channels"]> {
  const out = {} as NonNullable<Measured["channels"]>;
  for (const c of ["R", "G", "B"] as const) {
    const ex = extractSources(
      { data: cube[c], width: cube.width, height: cube.height },
      {
        wcs,
        gainEPerAdu: h.gainEPerAdu,
        readNoiseE: h.readNoiseE,
        saturationAdu: h.saturationAdu,
        target,
      },
    );
    lap("extract");
    out[c] = { catalogue: formatSextractorCatalogue(ex.rows), stats: ex.stats };
    lap("catalogue");
  }
  return out;
}

/** Blind astrometry: detected sources vs reference stars around the header pointing (or the target). */
async function solveFromPriors(
  image: FitsImage,
  h: StandardHeader,
  target: { raDeg: number; decDeg: number },
  pixelScale: number | null,
  cone: ConeQuery,
  extract: (img: FitsImage, options: ExtractOptions) => Promise<ExtractResult>,
) {
  const ra = image.header.getNumber("RA") ?? target.raDeg;
  const dec = image.header.getNumber("DEC") ?? target.decDeg;
  if (pixelScale === null) {
    return { ok: false as const, reason: "no pointing or camera pixel scale to start from" };
  }
  const scale = pixelScale * (h.binning ?? 1);
  const detected = await extract(image, extractOptions(h));
  const rows = detected.rows.filter((r) => Number.isFinite(r.flux) && r.flux > 0);
  const diagonalDeg = (Math.hypot(image.width, image.height) * scale) / 3600;
  const reference = await cone(ra, dec, Math.min(5, diagonalDeg * 1.2), h.mjdMid);
  const band = reference.bands.V ?? Object.values(reference.bands)[0];
  if (!band) return { ok: false as const, reason: "no reference stars around the pointing" };
  const solved = solveWcs({
    sources: {
      x: Float64Array.from(rows, (r) => r.x),
      y: Float64Array.from(rows, (r) => r.y),
      flux: Float64Array.from(rows, (r) => r.flux),
    },
    reference: usable(reference.raDeg, reference.decDeg, band.mag),
    centreRaDeg: ra,
    centreDecDeg: dec,
    pixelScaleArcsec: scale,
    width: image.width,
    height: image.height,
  });
  return solved.ok ? { ...solved, extracted: detected } : solved;
}

/** The camera's side of the extraction options (the frame's, as the header standardised them). */
function extractOptions(h: StandardHeader): ExtractOptions {
  return { gainEPerAdu: h.gainEPerAdu, readNoiseE: h.readNoiseE, saturationAdu: h.saturationAdu };
}

/** Reference stars with a finite magnitude in the chosen band. */
function usable(ra: Float64Array, dec: Float64Array, mag: Float64Array) {
  const keep: number[] = [];
  for (let i = 0; i < mag.length; i++) if (Number.isFinite(mag[i])) keep.push(i);
  return {
    raDeg: Float64Array.from(keep, (i) => ra[i]),
    decDeg: Float64Array.from(keep, (i) => dec[i]),
    mag: Float64Array.from(keep, (i) => mag[i]),
  };
}
