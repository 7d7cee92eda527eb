/**
 * The FITS job's measurement of a frame without WCS (src/domain/dataproducts/measure.ts): the frame is
 * extracted once, for the blind solve, and that extraction becomes the catalogue (sky positions from the
 * solved WCS, the target's match or forced photometry). The catalogue must be the one a second extraction
 * with the solved WCS and the target gives (what the job wrote before the reuse).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readFitsFile } from "../src/astro/fits/file.ts";
import { writeFits } from "../src/astro/fits/write.ts";
import { extractSources, formatSextractorCatalogue } from "../src/astro/image/extract.ts";
import { TARGET_NUMBER } from "../src/astro/sextractor.ts";
import { measureImage, type MeasureInput } from "../src/domain/dataproducts/measure.ts";
import { FIELD_DIR, fixtureReference, WCS_KEYWORDS } from "./helpers/fixtures.ts";

/** The WCS and the pointing: the blind solve starts from the camera's pixel scale and the target. */
const WCS_KEYS = [...WCS_KEYWORDS, "RA", "DEC"];

const dir = mkdtempSync(join(tmpdir(), "skytom-measure-blind-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const camera: MeasureInput["camera"] = {
  dateTimeKeyword: "DATE-OBS",
  timeKeyword: "TIME-OBS",
  exposureTimeKeyword: "EXPTIME",
  gainEPerAdu: 1.8,
  readNoiseE: 7,
  saturationAdu: 60000,
  pixelScaleArcsec: 0.8,
};

async function frameWithoutWcs(name: string): Promise<string> {
  const img = await readFitsFile(`${FIELD_DIR}/frame-f32.fits`);
  for (const k of WCS_KEYS) img.header.delete(k);
  const path = join(dir, name);
  writeFileSync(
    path,
    writeFits({ data: img.data, width: img.width, height: img.height, bitpix: -32, header: img.header }),
  );
  return path;
}

describe("measureImage — a frame without WCS is extracted once", () => {
  it.each([
    ["the target detected", { raDeg: 150.012, decDeg: 1.991 }, false],
    ["the target on empty sky (forced photometry)", { raDeg: 150.03, decDeg: 2.004 }, true],
  ])(
    "%s: the catalogue equals a second extraction's with the solved WCS and the target",
    async (_n, target, forced) => {
      const path = await frameWithoutWcs("nowcs.fits");
      const reference = fixtureReference();
      const measured = await measureImage({ path, camera, target }, async () => reference);
      if (!measured.ok) throw new Error(measured.message);
      expect(measured.solvedNote).toMatch(/WCS solved/);
      const img = await readFitsFile(path);
      const second = extractSources(img, {
        wcs: measured.wcs,
        gainEPerAdu: measured.header.gainEPerAdu,
        readNoiseE: measured.header.readNoiseE,
        saturationAdu: measured.header.saturationAdu,
        target,
      });
      expect(second.targetIndex).toBeGreaterThanOrEqual(0);
      expect(second.rows[second.targetIndex].number === TARGET_NUMBER).toBe(forced);
      expect(measured.catalogue).toBe(formatSextractorCatalogue(second.rows));
      expect(measured.result.stats).toEqual(second.stats);
    },
  );
});
