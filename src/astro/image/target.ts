/**
 * The target step of the image → catalogue extraction (extract.ts, step 8), and what lets it run after the
 * extraction: a frame without a WCS is extracted once to solve its astrometry, then gets sky positions from
 * the solved WCS ({@link withSkyPositions}) and its target ({@link forcedTargetPhotometry}) — the same
 * catalogue a second extraction with the WCS and the target would give, without extracting twice.
 *
 * Target: the detection nearest the target position within the match radius (default 1·FWHM of the frame)
 * is the target's row; if there is none, forced photometry at the position (the extraction's aperture,
 * annulus, background map and aperture correction) is appended as NUMBER 999999 (CCDPhot convention,
 * calibration.md §2.3), flagged FORCED. Positions are FITS 1-based pixels.
 */
import { TARGET_NUMBER } from "../sextractor.ts";
import type { TanWcs } from "../wcs/tan.ts";
import { pixelToSky, skyToPixel } from "../wcs/tan.ts";
import { backgroundAt, type BackgroundModel, type ImagePlane } from "./background.ts";
import type { CatalogueRow } from "./catalogue.ts";
import { fluxToMagnitude, forcedPhotometry, type PhotometryOptions } from "./measure.ts";

/** What photometry at a position after the extraction needs from it (ExtractResult.targetContext). */
export interface TargetPhotometryContext {
  background: BackgroundModel;
  /** The extraction's aperture: radius, annulus (px), gain. */
  aperture: Omit<PhotometryOptions, "backgroundAdu">;
  /** Flux ratio F(r_big)/F(r) the fluxes were multiplied by (1 when not applied). */
  apertureCorrection: number;
  zeroPointMag: number;
  /** The frame's FWHM (px): the default match radius. */
  fwhmPx: number;
}

/** A target position: FITS pixels, or sky (deg; needs a WCS). */
export type TargetPosition = { x: number; y: number } | { raDeg: number; decDeg: number };

/**
 * Find the target among `rows` (the extraction's detections) or append its forced photometry (file
 * comment); returns the target's row, −1 when it is off the image or a sky position has no WCS.
 * Appends to `rows`.
 */
export function locateTarget(
  img: ImagePlane,
  rows: CatalogueRow[],
  context: TargetPhotometryContext,
  target: TargetPosition,
  wcs: TanWcs | undefined,
  matchRadiusPx: number = context.fwhmPx,
): number {
  const { width, height } = img;
  const pos =
    "x" in target ? { x: target.x, y: target.y } : wcs ? skyToPixel(wcs, target.raDeg, target.decDeg) : null;
  if (!pos || !(pos.x >= 0.5 && pos.x < width + 0.5 && pos.y >= 0.5 && pos.y < height + 0.5)) return -1;
  const n = rows.length;
  let targetIndex = -1;
  let best = matchRadiusPx * matchRadiusPx;
  for (let i = 0; i < n; i++) {
    const d2 = (rows[i].x - pos.x) ** 2 + (rows[i].y - pos.y) ** 2;
    if (d2 <= best) {
      best = d2;
      targetIndex = i;
    }
  }
  if (targetIndex >= 0) return targetIndex;
  const { background: bkg, apertureCorrection: apcorr } = context;
  const x0 = pos.x - 1;
  const y0 = pos.y - 1;
  const p = forcedPhotometry(img, x0, y0, backgroundAt(bkg, "rms", x0, y0), {
    ...context.aperture,
    backgroundAdu: backgroundAt(bkg, "back", x0, y0),
  });
  const m = fluxToMagnitude(p.fluxAdu * apcorr, p.fluxErrAdu * apcorr, context.zeroPointMag);
  const sky = wcs ? pixelToSky(wcs, pos.x, pos.y) : { raDeg: NaN, decDeg: NaN };
  rows.push({
    number: TARGET_NUMBER,
    x: pos.x,
    y: pos.y,
    raDeg: sky.raDeg,
    decDeg: sky.decDeg,
    mag: m.mag,
    magErr: m.magErr,
    flux: p.fluxAdu * apcorr,
    fluxErr: p.fluxErrAdu * apcorr,
    fwhm: NaN,
    flags: p.flags,
  });
  return n;
}

/** An extraction's result, as far as the steps after it need it. */
interface Extracted {
  rows: CatalogueRow[];
  targetIndex: number;
  targetContext: TargetPhotometryContext;
}

/** The extraction's rows with sky positions (deg) through `wcs` from their pixel positions; a new result. */
export function withSkyPositions<R extends Extracted>(result: R, wcs: TanWcs): R {
  return {
    ...result,
    rows: result.rows.map((r) => {
      const sky = pixelToSky(wcs, r.x, r.y);
      return { ...r, raDeg: sky.raDeg, decDeg: sky.decDeg };
    }),
  };
}

/**
 * The target step run after an extraction made without a target (e.g. the blind-solve extraction of a frame
 * without WCS): `img` must be the image that was extracted. A new result; the input's rows are not changed.
 */
export function forcedTargetPhotometry<R extends Extracted>(
  image: { data: ArrayLike<number>; width: number; height: number },
  result: R,
  target: TargetPosition,
  opts: { wcs?: TanWcs; matchRadiusPx?: number } = {},
): R {
  if (result.targetIndex >= 0)
    throw new Error("forcedTargetPhotometry: the extraction has its target already");
  // The extraction measured a Float32 image (its own copy when the data was another type).
  const img: ImagePlane =
    image.data instanceof Float32Array
      ? { data: image.data, width: image.width, height: image.height }
      : { data: Float32Array.from(image.data), width: image.width, height: image.height };
  const rows = [...result.rows];
  const targetIndex = locateTarget(img, rows, result.targetContext, target, opts.wcs, opts.matchRadiusPx);
  return { ...result, rows, targetIndex };
}
