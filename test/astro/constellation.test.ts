import { describe, expect, it } from "vitest";
import { constellationOf } from "../../src/astro/constellation.ts";

function abbr(raDeg: number, decDeg: number): string {
  const r = constellationOf(raDeg, decDeg);
  if (!r.ok) throw new Error(r.error);
  return r.abbreviation;
}

describe("constellationOf (IAU boundaries, J2000 input in degrees)", () => {
  it.each([
    ["Sgr A*", "Sgr", 266.41683, -29.00781, "Sagittarius"],
    ["Polaris", "UMi", 37.95456, 89.26411, "Ursa Minor"],
    ["Betelgeuse", "Ori", 88.79294, 7.40706, "Orion"],
    ["M31", "And", 10.68458, 41.26917, "Andromeda"],
    ["Crab Nebula (M1)", "Tau", 83.63308, 22.0145, "Taurus"],
    ["Sirius", "CMa", 101.28716, -16.71612, "Canis Major"],
    ["Acrux (α Cru)", "Cru", 186.6496, -63.09909, "Crux"],
    ["Arcturus (RA 213.9°: read as hours it would wrap to 21.9 h)", "Boo", 213.9153, 19.18241, "Bootes"],
    ["Spica", "Vir", 201.29825, -11.16132, "Virgo"],
  ])("%s → %s", (_name, expected, ra, dec, fullName) => {
    expect(constellationOf(ra, dec)).toEqual({ ok: true, abbreviation: expected, name: fullName });
  });

  it("handles stars either side of RA 0/360", () => {
    expect(abbr(2.09653, 29.09043)).toBe("And"); // Alpheratz, α And, RA 0h08m
    expect(abbr(359.82791, 6.86331)).toBe("Psc"); // ω Psc, RA 23h59m
    expect(abbr(358.59579, 57.49936)).toBe("Cas"); // ρ Cas, RA 23h54m
    expect(abbr(2.29452, 59.14978)).toBe("Cas"); // Caph, β Cas, RA 0h09m
  });

  it("wraps RA: 360 + x, x − 360 and x give the same constellation; the poles are UMi and Oct", () => {
    for (const dec of [-75, -40, -10, 0, 10, 40, 75]) {
      expect(abbr(360.0001, dec)).toBe(abbr(0.0001, dec));
      expect(abbr(-0.0001, dec)).toBe(abbr(359.9999, dec));
    }
    expect(abbr(0, 90)).toBe("UMi");
    expect(abbr(0, -90)).toBe("Oct");
  });

  it.each([
    [0, 91, "Dec"],
    [0, Number.NaN, "Dec"],
    [Number.NaN, 0, "RA"],
    [Number.POSITIVE_INFINITY, 0, "RA"],
  ])("rejects (%d, %d) with a message about %s", (ra, dec, field) => {
    const r = constellationOf(ra, dec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(field);
  });
});
