import { describe, expect, it } from "vitest";
import { FitsHeader } from "../../src/astro/fits/header.ts";
import { readFitsFile } from "../../src/astro/fits/file.ts";
import { standardiseHeader } from "../../src/astro/fits/standardise.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const CAM = {
  dateTimeKeyword: "DATE-OBS",
  timeKeyword: "TIME-OBS",
  exposureTimeKeyword: "EXPTIME",
  gainEPerAdu: 2,
  readNoiseE: 2,
  saturationAdu: 63000,
};

describe("FITS header standardisation", () => {
  it("the fixture: DATE-OBS 2025-03-14T01:23:45.6 + EXPTIME 90 → mid-exposure MJD; header gain/read noise win", async () => {
    const img = await readFitsFile(`${FIELD_DIR}/frame-f32.fits`);
    const r = standardiseHeader(img.header, CAM);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // 2025-03-14 = MJD 60748; 01:23:45.6 + 45 s = 01:24:30.6 = 5070.6 s
    expect(r.header.mjdMid).toBeCloseTo(60748 + 5070.6 / 86400, 9);
    expect(r.header).toMatchObject({
      exposureS: 90,
      filter: "V",
      gainEPerAdu: 1.8,
      readNoiseE: 7,
      saturationAdu: 63000,
    });
  });

  it('FILTER: trimmed; present but empty → "" (unfiltered), missing → null (unknown)', () => {
    const filterOf = (value: string | undefined) => {
      const h = new FitsHeader();
      h.set("DATE-OBS", "2025-03-14T01:00:00");
      h.set("EXPTIME", 60);
      if (value !== undefined) h.set("FILTER", value);
      const r = standardiseHeader(h, CAM);
      return r.ok ? r.header.filter : "failed";
    };
    expect(filterOf(" Clear ")).toBe("Clear");
    expect(filterOf("")).toBe("");
    expect(filterOf("   ")).toBe("");
    expect(filterOf(undefined)).toBeNull();
  });

  it("DATE-OBS as a date with TIME-OBS, or MJD-OBS, or JD; the camera's keyword names", () => {
    const h = new FitsHeader();
    h.set("DATE-OBS", "2025-03-14");
    h.set("TIME-OBS", "12:00:00");
    h.set("EXPTIME", 60);
    const a = standardiseHeader(h, CAM);
    expect(a.ok && a.header.mjdMid).toBeCloseTo(60748.5 + 30 / 86400, 9);
    const m = new FitsHeader();
    m.set("MJD-OBS", 60000.25);
    m.set("EXPOSURE", 120);
    const b = standardiseHeader(m, { ...CAM, exposureTimeKeyword: "EXPOSURE" });
    expect(b.ok && b.header.mjdMid).toBeCloseTo(60000.25 + 60 / 86400, 9);
    const j = new FitsHeader();
    j.set("JD", 2460000.5);
    j.set("EXPTIME", 10);
    expect(standardiseHeader(j, CAM).ok).toBe(true);
  });

  it("no time or no exposure → a clear error", () => {
    const h = new FitsHeader();
    h.set("EXPTIME", 10);
    const r = standardiseHeader(h, CAM);
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/no usable observation time/) });
    const e = new FitsHeader();
    e.set("DATE-OBS", "2025-03-14T00:00:00");
    expect(standardiseHeader(e, CAM)).toEqual({
      ok: false,
      error: "no exposure time (EXPTIME) in the header",
    });
  });
});
