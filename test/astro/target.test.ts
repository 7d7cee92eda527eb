/**
 * The target step after the extraction (src/astro/image/target.ts): a frame extracted without WCS and
 * target (the blind solve's extraction), given sky positions and its target afterwards, has the catalogue
 * one extraction with the WCS and the target gives — the same rows, values equal to the last bit.
 */
import { describe, expect, it } from "vitest";
import { readFitsFile } from "../../src/astro/fits/index.ts";
import { extractSources, formatSextractorCatalogue } from "../../src/astro/image/extract.ts";
import { forcedTargetPhotometry, withSkyPositions } from "../../src/astro/image/target.ts";
import { TARGET_NUMBER } from "../../src/astro/sextractor.ts";
import { makeSyntheticImage } from "../../src/astro/synth/image.ts";
import { wcsFromHeader } from "../../src/astro/wcs/index.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const img = await readFitsFile(`${FIELD_DIR}/frame-f32.fits`);
const w = wcsFromHeader((k) => img.header.get(k) ?? undefined);
if (!w.ok) throw new Error(w.reason);
const wcs = w.wcs;
const camera = { gainEPerAdu: 1.8, readNoiseE: 7, saturationAdu: 60000 };

describe("forcedTargetPhotometry(withSkyPositions(extraction without WCS)) = extraction with WCS and target", () => {
  const blind = extractSources(img, camera);

  it.each([
    ["a detected target (sky position)", { raDeg: 150.012, decDeg: 1.991 }, false],
    ["a target on empty sky (forced, NUMBER 999999)", { x: 100.5, y: 400.25 }, true],
    ["a target off the image", { x: -50, y: 20 }, null],
  ] as const)("%s", (_name, target, forced) => {
    const once = forcedTargetPhotometry(img, withSkyPositions(blind, wcs), target, { wcs });
    const twice = extractSources(img, { ...camera, wcs, target });
    expect(once.rows).toEqual(twice.rows);
    expect(once.targetIndex).toBe(twice.targetIndex);
    expect(once.stats).toEqual(twice.stats);
    expect(formatSextractorCatalogue(once.rows)).toBe(formatSextractorCatalogue(twice.rows));
    if (forced === null) expect(once.targetIndex).toBe(-1);
    else expect(once.rows[once.targetIndex].number === TARGET_NUMBER).toBe(forced);
    // the extraction it started from is left as it was
    expect(blind.rows.length).toBe(blind.stats.nSources);
    expect(Number.isNaN(blind.rows[0].raDeg)).toBe(true);
  });

  it("on a 1024² synthetic field of 800 stars, with a forced target: every row the same", () => {
    const im = makeSyntheticImage({ seed: 7, width: 1024, height: 1024, nStars: 800, magRange: [10, 19] });
    const target = { x: 3.25, y: 1000.5 };
    const once = forcedTargetPhotometry(im, withSkyPositions(extractSources(im, camera), im.wcs), target, {
      wcs: im.wcs,
    });
    const twice = extractSources(im, { ...camera, wcs: im.wcs, target });
    expect(once.rows.length).toBeGreaterThan(300);
    expect(once.rows).toEqual(twice.rows);
    expect(once.targetIndex).toBe(twice.targetIndex);
  });

  it("refuses an extraction that has its target already", () => {
    const withTarget = extractSources(img, { ...camera, wcs, target: { x: 100.5, y: 400.25 } });
    expect(() => forcedTargetPhotometry(img, withTarget, { x: 10, y: 10 })).toThrow(/target already/);
  });
});
