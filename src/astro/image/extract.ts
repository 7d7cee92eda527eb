/**
 * The image → instrumental catalogue step of the FITS pipeline (CCDPhot, calibration.md §3): background,
 * detection, centroids, FWHM, aperture photometry, flags, optional forced photometry of the target.
 *
 *  1. Background and RMS maps ({@link estimateBackground}).
 *  2. Detection ({@link detectSources}): background subtracted row by row, filtered, above k·RMS (the RMS
 *     row evaluated lazily), 8-connected, deblended. Measurements read the image minus the map's value
 *     at each object, so no background-subtracted copy of the image is made.
 *  3. Frame FWHM: median profile-fit FWHM ({@link profileFwhm}) of up to 30 of the brightest unflagged
 *     objects, each centred by adaptive moments; `fwhmGuessPx` when none qualifies. Per-source FWHM:
 *     windowed-moment FWHM × (frame median of fitted / moment FWHM).
 *  4. Per object: windowed centroid with σ_w = FWHM_frame / 2.3548 from the isophotal barycentre
 *     (CENTROID_FALLBACK when it fails, or when a deblended object's centroid ends outside its own pixels:
 *     the window, unlike SExtractor's, does not mask the neighbours, and a faint star 4–5 px from a
 *     brighter one or a cosmic ray is pulled onto it — the isophotal barycentre is kept); FWHM from
 *     windowed moments (SHARP below half the frame's); aperture photometry with r =
 *     `apertureRadiusFwhm`·FWHM_frame (default 1.0) and a local annulus [3, 5]·FWHM_frame; CROWDED when
 *     another detection lies within r + 2·FWHM_frame.
 *  5. Aperture correction (Stetson 1990, PASP 102, 932 — growth curve, here one large aperture): the median
 *     ratio F(r_big)/F(r) over the 30 brightest unflagged stars with S/N > 100 and no detection within
 *     r_big + FWHM, r_big = 5·FWHM (holds 99.9 % of a β = 3 Moffat PSF), annulus [6, 8]·FWHM. Only the
 *     brightest are used because undetected faint neighbours inside r_big bias the ratio by their flux
 *     relative to the star's (≈ 0.01 mag at S/N ≈ 50 in a field of 3000 stars per 2k²). Fluxes and
 *     magnitudes are corrected by it, so they estimate the total flux (comparable to MAG_AUTO, which
 *     misses ≈ 3 % of a β = 3 Moffat, astro-notes §2.1). Fewer than 3 such stars → no correction.
 *  6. Magnitudes m = ZP − 2.5 log₁₀ F (ZP default 25); sky positions through the WCS.
 *  7. Limiting magnitude (astro-notes §(g), noise model): the flux with S/N = 5 in the aperture,
 *     F = 5 √(F/g + A σ² (1 + (π/2) A/n_sky)), solved for F, then aperture-corrected.
 *  8. Target (target.ts, which can also run it after the extraction): the detection nearest the target
 *     position within `targetMatchRadiusPx` (default 1·FWHM) is the target's row; if there is none, forced
 *     photometry at the position is appended as NUMBER 999999 (CCDPhot convention, calibration.md §2.3),
 *     flagged FORCED.
 *
 * Output pixel coordinates are FITS 1-based (pixel centres at integers).
 */
import type { BackgroundModel, ImagePlane } from "./background.ts";
import { LazyBackgroundRow, backgroundRow, createRowScratch, estimateBackground } from "./background.ts";
import type { Detections } from "./detect.ts";
import { detectSources } from "./detect.ts";
import type { ExtractOptions, ExtractResult } from "./extract-steps.ts";
import { finishExtraction, measureRange, planMeasurement } from "./extract-steps.ts";

export { formatSextractorCatalogue } from "./catalogue.ts";
export type { CatalogueRow } from "./catalogue.ts";
export { DEFAULT_ZERO_POINT_MAG } from "./extract-steps.ts";
export type { ExtractOptions, ExtractResult, FrameStatistics } from "./extract-steps.ts";

/** Image as Float32Array: the data itself, or a converted copy. */
export function asFloat32(img: { data: ArrayLike<number>; width: number; height: number }): ImagePlane {
  const data = img.data instanceof Float32Array ? img.data : Float32Array.from(img.data);
  return { data, width: img.width, height: img.height };
}

/** Detection options of the extraction (the saturation level comes from the extraction's options). */
export function detectionOptions(options: ExtractOptions) {
  return { ...options.detection, saturationAdu: options.saturationAdu };
}

/** Step 2 on the whole image, the background map subtracted row by row. */
export function detectWithBackground(
  img: ImagePlane,
  bkg: BackgroundModel,
  options: ExtractOptions,
): Detections {
  const backScratch = createRowScratch(bkg);
  return detectSources(img, new LazyBackgroundRow(bkg, "rms"), detectionOptions(options), (y, out) =>
    backgroundRow(bkg, "back", y, out, backScratch),
  );
}

/**
 * Runs the extraction step on an image (file comment), on this thread. Pure; never throws on image
 * content. {@link extractSourcesParallel} (extract-parallel.ts) gives the same result with worker threads.
 */
export function extractSources(
  image: { data: ArrayLike<number>; width: number; height: number },
  options: ExtractOptions = {},
): ExtractResult {
  const t0 = performance.now();
  const img = asFloat32(image);
  const bkg = estimateBackground(img, options.background);
  const t1 = performance.now();
  const det = detectWithBackground(img, bkg, options);
  const t2 = performance.now();
  const plan = planMeasurement(img, bkg, det, options);
  const measured = measureRange(img, plan, 0, det.count);
  const result = finishExtraction(img, bkg, det, plan, measured, options);
  const t3 = performance.now();
  return { ...result, timingsMs: { background: t1 - t0, detection: t2 - t1, measurement: t3 - t2 } };
}
