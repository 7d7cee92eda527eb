/**
 * The night bench's calibration input, made once and kept in the temporary directory: the catalogue the
 * FITS job writes for the night's first frame (4096², 0.8″/px, ≈ 3,000 sources, the target forced) and
 * the field's GaiaSP reference CSV (≈ 17,000 stars; bench/night.bench.ts imports the same CSV). Used by
 * bench/calibration-job.bench.ts and for profiles (`node --cpu-prof --import tsx bench/calibration-job.bench.ts`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractSources, formatSextractorCatalogue } from "../src/astro/image/extract.ts";
import { makeSyntheticImage } from "../src/astro/synth/image.ts";
import { demoField, referenceCsv } from "../src/demo/night.ts";

/** Bump when what is generated below changes. */
const VERSION = "1";
export const NIGHT_TARGET = { raDeg: 150, decDeg: 2 };

export interface NightCalibrationFixture {
  /** The FITS job's catalogue (Source Extractor ASCII_HEAD). */
  catalogueText: string;
  /** Path of the field's reference CSV (GaiaSP). */
  referenceCsvPath: string;
  size: number;
}

export function nightCalibrationFixture(size = 4096): NightCalibrationFixture {
  const dir = join(tmpdir(), `skytom-calibration-job-v${VERSION}-${size}`);
  const cataloguePath = join(dir, "frame.cat");
  const referenceCsvPath = join(dir, "field.csv");
  if (!existsSync(cataloguePath)) {
    mkdirSync(dir, { recursive: true });
    // As bench/night.bench.ts: SCALE 0.8″/px, field margin 0.02°, ≈ 18,500 stars per deg², image k = 0.
    const scale = 0.8;
    const halfWidthDeg = (size * scale) / 3600 / 2 + 0.02;
    const field = demoField({
      ...NIGHT_TARGET,
      seed: 21,
      halfWidthDeg,
      stars: Math.round(18500 * (2 * halfWidthDeg) ** 2),
    });
    writeFileSync(referenceCsvPath, referenceCsv(field));
    const camera = { gain: 1.5, readNoise: 8, saturation: 60000 };
    const image = makeSyntheticImage({
      seed: 100,
      width: size,
      height: size,
      field,
      band: "V",
      centerRaDeg: NIGHT_TARGET.raDeg - 0.002,
      centerDecDeg: NIGHT_TARGET.decDeg - 0.0015,
      pixelScaleArcsec: scale,
      zeroPointMag: 25.8,
      fwhmPx: 2.6,
      skyAdu: 300,
      gainEPerAdu: camera.gain,
      readNoiseE: camera.readNoise,
      saturationAdu: camera.saturation,
      cosmicRays: 40,
      hotPixels: 20,
      target: { ...NIGHT_TARGET, mag: 15.5 },
      exptimeS: 60,
      filter: "V",
      object: "BenchNight",
    });
    const extracted = extractSources(image, {
      wcs: image.wcs,
      gainEPerAdu: camera.gain,
      readNoiseE: camera.readNoise,
      saturationAdu: camera.saturation,
      target: NIGHT_TARGET,
    });
    writeFileSync(cataloguePath, formatSextractorCatalogue(extracted.rows));
  }
  return { catalogueText: readFileSync(cataloguePath, "utf8"), referenceCsvPath, size };
}
