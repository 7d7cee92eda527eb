/** TAN (+SIP) world coordinate systems: model and transforms, FITS header I/O, least-squares fitting. */
export {
  defaultLonpoleDeg,
  deprojectTan,
  isFlipped,
  pixelScaleArcsec,
  pixelsToSky,
  pixelToSky,
  projectTan,
  rotationDeg,
  sinCosDeg,
  sipInverse,
  skyToPixel,
  skyToPixels,
  tanRotation,
  wrapRaDeg,
} from "./tan.ts";
export type {
  PixelPosition,
  SipDistortion,
  SkyPosition,
  SkyToPixelOptions,
  TanRotation,
  TanWcs,
} from "./tan.ts";
export { wcsFromHeader, wcsToHeaderCards } from "./header.ts";
export type { HeaderGetter, HeaderValue, WcsFrame, WcsFromHeaderResult } from "./header.ts";
export { fitTanWcs } from "./fit.ts";
export type { FitTanOptions, FitTanResult, MatchedPair } from "./fit.ts";
