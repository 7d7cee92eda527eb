/**
 * The image-processing core of the FITS pipeline (CCDPhot): background, detection, deblending, centroids,
 * FWHM, aperture photometry, flags, forced photometry, and the whole image → catalogue step.
 */
export {
  LazyBackgroundRow,
  backgroundAt,
  backgroundMap,
  backgroundRow,
  createRowScratch,
  estimateBackground,
  meshStatistics,
  subtractBackground,
} from "./background.ts";
export type {
  BackgroundKind,
  BackgroundModel,
  BackgroundOptions,
  ImagePlane,
  MeshMap,
  MeshStatistics,
  RowScratch,
} from "./background.ts";
export { detectSources, filterTaps } from "./detect.ts";
export type { DetectionFilter, DetectionOptions, Detections, LazyRow, NoiseSource } from "./detect.ts";
export { deblendComponent } from "./deblend.ts";
export { SOURCE_FLAGS, flagNames } from "./flags.ts";
export type { SourceFlagName } from "./flags.ts";
export {
  FWHM_PER_SIGMA,
  MAG_ERR_PER_REL_FLUX,
  MEDIAN_VARIANCE_FACTOR,
  adaptiveFwhm,
  annulusBackground,
  aperturePhotometry,
  apertureSum,
  circleRectOverlap,
  fluxToMagnitude,
  forcedPhotometry,
  fwhmFromWindowedMoments,
  profileFwhm,
  windowedCentroid,
  windowedMoments,
} from "./measure.ts";
export type {
  AdaptiveResult,
  AnnulusBackground,
  ApertureResult,
  ApertureSum,
  CentroidResult,
  PhotometryOptions,
  WindowedMoments,
} from "./measure.ts";
export { extractSources, formatSextractorCatalogue } from "./extract.ts";
export type { CatalogueRow, ExtractOptions, ExtractResult, FrameStatistics } from "./extract.ts";
