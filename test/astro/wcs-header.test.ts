import { describe, expect, it } from "vitest";
import {
  isFlipped,
  pixelScaleArcsec,
  pixelToSky,
  rotationDeg,
  wcsFromHeader,
  wcsToHeaderCards,
} from "../../src/astro/wcs/index.ts";
import type { HeaderValue, TanWcs } from "../../src/astro/wcs/index.ts";

type Cards = Record<string, HeaderValue>;
const getter = (cards: Cards) => (k: string) => cards[k];

const base: Cards = {
  CTYPE1: "RA---TAN",
  CTYPE2: "DEC--TAN",
  CRPIX1: 1024.5,
  CRPIX2: 1000.25,
  CRVAL1: 210.5,
  CRVAL2: -35.25,
  RADESYS: "ICRS",
};

function parse(cards: Cards): TanWcs {
  const r = wcsFromHeader(getter(cards));
  if (!r.ok) throw new Error(r.reason);
  return r.wcs;
}

function reason(cards: Cards): string {
  const r = wcsFromHeader(getter(cards));
  expect(r.ok).toBe(false);
  return r.ok ? "" : r.reason;
}

const s1 = -0.6 / 3600;
const s2 = 0.6 / 3600;
const rhoDeg = 30;
const c = Math.cos((rhoDeg * Math.PI) / 180);
const s = Math.sin((rhoDeg * Math.PI) / 180);
// Paper II eq. 189: the CD matrix equivalent to CDELT1/2 + CROTA2 = ρ.
const cdCards: Cards = { ...base, CD1_1: s1 * c, CD1_2: -s2 * s, CD2_1: s1 * s, CD2_2: s2 * c };

function expectSameWcs(a: TanWcs, b: TanWcs): void {
  expect(a.crpix).toEqual(b.crpix);
  expect(a.crvalDeg).toEqual(b.crvalDeg);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) expect(Math.abs(a.cd[i][j] - b.cd[i][j])).toBeLessThan(1e-20);
  }
  for (const [x, y] of [
    [1, 1],
    [2048, 2048],
    [1, 2048],
  ]) {
    const pa = pixelToSky(a, x, y);
    const pb = pixelToSky(b, x, y);
    expect(Math.abs(pa.raDeg - pb.raDeg)).toBeLessThan(1e-12);
    expect(Math.abs(pa.decDeg - pb.decDeg)).toBeLessThan(1e-12);
  }
}

describe("wcsFromHeader — linear forms (Greisen & Calabretta 2002)", () => {
  it("PC + CDELT gives the same WCS as the equivalent CD", () => {
    const pc = parse({
      ...base,
      CDELT1: s1,
      CDELT2: s2,
      PC1_1: c,
      PC1_2: (-s * s2) / s1,
      PC2_1: (s * s1) / s2,
      PC2_2: c,
    });
    expectSameWcs(pc, parse(cdCards));
  });

  it("CDELT + CROTA2 gives the same WCS as the equivalent CD, and rotationDeg returns CROTA2", () => {
    const legacy = parse({ ...base, CDELT1: s1, CDELT2: s2, CROTA2: rhoDeg });
    expectSameWcs(legacy, parse(cdCards));
    expect(rotationDeg(legacy)).toBeCloseTo(rhoDeg, 12);
    expect(pixelScaleArcsec(legacy)).toBeCloseTo(0.6, 12);
    expect(isFlipped(legacy)).toBe(false);
    expect(isFlipped(parse({ ...base, CDELT1: -s1, CDELT2: s2 }))).toBe(true);
  });

  it("CDELT alone means no rotation; numeric strings with D exponents are read", () => {
    const w = parse({ ...base, CDELT1: "-1.6666666666666666D-04", CDELT2: 1.6666666666666666e-4 });
    expect(w.cd).toEqual([
      [-1.6666666666666666e-4, 0],
      [0, 1.6666666666666666e-4],
    ]);
    expect(rotationDeg(w)).toBe(0);
  });

  it("DEC-first axes are reordered into the same sky mapping", () => {
    const swapped = parse({
      ...cdCards,
      CTYPE1: "DEC--TAN",
      CTYPE2: "RA---TAN",
      CRVAL1: base.CRVAL2,
      CRVAL2: base.CRVAL1,
      CD1_1: cdCards.CD2_1,
      CD1_2: cdCards.CD2_2,
      CD2_1: cdCards.CD1_1,
      CD2_2: cdCards.CD1_2,
    });
    expectSameWcs(swapped, parse(cdCards));
    expect(
      reason({ ...base, CTYPE1: "DEC--TAN", CTYPE2: "RA---TAN", CDELT1: s2, CDELT2: s1, CROTA2: 10 }),
    ).toMatch(/CROTA.*ambiguous/);
  });
});

describe("wcsFromHeader — rejections name the problem", () => {
  it("non-TAN projections", () => {
    expect(reason({ ...cdCards, CTYPE1: "RA---SIN", CTYPE2: "DEC--SIN" })).toMatch(/SIN.*not supported/);
    expect(reason({ ...cdCards, CTYPE1: "RA---TPV", CTYPE2: "DEC--TPV" })).toMatch(/TPV/);
    expect(reason({ ...cdCards, CTYPE1: "RA---ZPN", CTYPE2: "DEC--ZPN" })).toMatch(/ZPN/);
    expect(reason({ ...cdCards, CTYPE1: "GLON-TAN", CTYPE2: "GLAT-TAN" })).toMatch(/GLON-TAN.*RA\/DEC/);
    expect(reason({ ...cdCards, PV2_1: 0.001 })).toMatch(/PV2_1.*not supported/);
  });

  it("missing keywords", () => {
    const { CTYPE1: _c, ...noCtype } = cdCards;
    expect(reason(noCtype)).toBe("missing keyword CTYPE1");
    const { CRVAL2: _v, ...noCrval } = cdCards;
    expect(reason(noCrval)).toBe("missing keyword CRVAL2");
    const { CRPIX1: _p, ...noCrpix } = cdCards;
    expect(reason(noCrpix)).toBe("missing keyword CRPIX1");
    expect(reason(base)).toMatch(/no CDi_j, PCi_j or CDELTi/);
    expect(reason({ ...base, PC1_1: 1, PC2_2: 1 })).toMatch(/PCi_j present without CDELT/);
    expect(reason({ ...cdCards, CTYPE2: "RA---TAN" })).toMatch(/both RA/);
    expect(reason({ ...base, CD1_1: 1e-4, CD1_2: 2e-4, CD2_1: 1e-4, CD2_2: 2e-4 })).toMatch(/singular/);
    expect(reason({ ...cdCards, CRVAL1: "abc" })).toMatch(/CRVAL1 = 'abc' is not a number/);
    expect(reason({ ...cdCards, CTYPE1: "RA---TAN-SIP", CTYPE2: "DEC--TAN-SIP" })).toMatch(/A_ORDER/);
  });

  it("frames: ICRS and FK5 J2000 accepted, B1950/FK4 rejected", () => {
    const { RADESYS: _r, ...noFrame } = cdCards;
    const fk5 = wcsFromHeader(getter({ ...noFrame, RADESYS: "FK5", EQUINOX: 2000 }));
    expect(fk5.ok && fk5.frame).toBe("FK5");
    const eqOnly = wcsFromHeader(getter({ ...noFrame, EQUINOX: 2000.0 }));
    expect(eqOnly.ok && eqOnly.frame).toBe("FK5");
    expect(reason({ ...noFrame, RADESYS: "FK4", EQUINOX: 1950 })).toMatch(/FK4.*B1950/);
    expect(reason({ ...noFrame, EQUINOX: 1950 })).toMatch(/B1950/);
    expect(reason({ ...noFrame, RADESYS: "FK5", EQUINOX: 1950 })).toMatch(/EQUINOX 1950/);
    expect(reason({ ...noFrame, RADESYS: "GAPPT" })).toMatch(/GAPPT/);
    expect(reason({ ...cdCards, CUNIT1: "arcsec" })).toMatch(/CUNIT1/);
  });
});

describe("SIP keywords and wcsToHeaderCards", () => {
  const sipWcs: TanWcs = {
    crpix: [512.5, 400.25],
    crvalDeg: [359.9, 60],
    cd: [
      [-1.1e-4, 2e-6],
      [1.5e-6, 1.1e-4],
    ],
    sip: {
      order: 3,
      a: [
        [0, 0, 2e-6, 1e-9],
        [0, 3e-6, -2e-9, 0],
        [-1e-6, 4e-9, 0, 0],
        [5e-10, 0, 0, 0],
      ],
      b: [
        [0, 0, -3e-6, 2e-9],
        [0, 1e-6, 1e-9, 0],
        [2e-6, -3e-9, 0, 0],
        [1e-10, 0, 0, 0],
      ],
      apOrder: 2,
      ap: [
        [0, 1e-7, -2e-6],
        [2e-7, -3e-6, 0],
        [1e-6, 0, 0],
      ],
      bp: [
        [0, 0, 3e-6],
        [0, -1e-6, 0],
        [-2e-6, 0, 0],
      ],
    },
  };

  it("writes -SIP cards that read back to the same WCS", () => {
    const cards = wcsToHeaderCards(sipWcs);
    expect(cards.CTYPE1).toBe("RA---TAN-SIP");
    expect(cards.A_ORDER).toBe(3);
    expect(cards.A_3_0).toBe(5e-10);
    expect(cards.AP_0_1).toBe(1e-7);
    expect(cards.A_1_1).toBe(3e-6);
    const back = wcsFromHeader((k) => cards[k]);
    if (!back.ok) throw new Error(back.reason);
    expect(back.frame).toBe("ICRS");
    expect(back.wcs).toEqual(sipWcs);
  });

  it("plain TAN round-trips through cards; LONPOLE is kept", () => {
    const w = parse(cdCards);
    expect(parse(wcsToHeaderCards(w) as Cards)).toEqual(w);
    const withPole = parse({ ...cdCards, LONPOLE: 180 });
    expect(withPole.lonpoleDeg).toBe(180);
    expect(parse(wcsToHeaderCards(withPole) as Cards).lonpoleDeg).toBe(180);
  });

  it("SIP cards without the -SIP suffix are applied with a note", () => {
    const cards = { ...wcsToHeaderCards(sipWcs), CTYPE1: "RA---TAN", CTYPE2: "DEC--TAN" };
    const r = wcsFromHeader((k) => cards[k as keyof typeof cards]);
    expect(r.ok && r.wcs.sip?.order).toBe(3);
    expect(r.ok && r.notes.join(" ")).toMatch(/without the -SIP/);
  });
});
