/**
 * Per-source quality flags, returned with every measurement (never thrown). Bits 1–128 keep the meaning of
 * Source Extractor's FLAGS (SExtractor manual, "Flags"; astro-notes §4(c)); bits from 256 up are skytom's.
 */
export const SOURCE_FLAGS = {
  /** 1: another detected source lies close enough to disturb the aperture (SExtractor bit 1). */
  CROWDED: 1,
  /** 2: deblended from a larger connected component (SExtractor bit 2). */
  BLENDED: 2,
  /** 4: at least one pixel at or above the saturation level (SExtractor bit 4). */
  SATURATED: 4,
  /** 8: the detection touches the image border (SExtractor bit 8). */
  EDGE: 8,
  /** 16: the photometric aperture or annulus is cut by the border or holds NaN pixels (SExtractor bit 16). */
  APERTURE_TRUNCATED: 16,
  /** 128: the detection hit the object cap; fainter objects were dropped (SExtractor bit 128). */
  OVERFLOW: 128,
  /**
   * 256: the windowed centroid diverged, had no positive weight, or (deblended objects) ended outside the
   * object's own pixels; the isophotal centroid is given.
   */
  CENTROID_FALLBACK: 256,
  /** 512: much sharper than the PSF (FWHM < 0.5 × frame FWHM): cosmic ray or hot pixel candidate. */
  SHARP: 512,
  /** 1024: aperture flux ≤ 0 — magnitude 99 (SExtractor convention). */
  NONPOSITIVE_FLUX: 1024,
  /** 2048: forced measurement at a given position (no detection there). */
  FORCED: 2048,
} as const;

export type SourceFlagName = keyof typeof SOURCE_FLAGS;

/** Names of the bits set in `flags`, in bit order. */
export function flagNames(flags: number): SourceFlagName[] {
  return (Object.keys(SOURCE_FLAGS) as SourceFlagName[]).filter((k) => (flags & SOURCE_FLAGS[k]) !== 0);
}
