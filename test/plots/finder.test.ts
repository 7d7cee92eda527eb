/**
 * Finder charts: orientation (north up, east left) and scale checked on stars placed at known offsets,
 * the field-of-view rectangle's size, dot sizes by magnitude, and the PNG rendering.
 */
import { describe, expect, it } from "vitest";
import { dotRadiusPx, finderChartPng, finderChartSvg, scaleBarArcmin } from "../../src/plots/finder.ts";

const RA = 200;
const DEC = 40;
const COS = Math.cos((DEC * Math.PI) / 180);
/** Offsets east and north in arcmin → a star position. */
const at = (eastArcmin: number, northArcmin: number) => ({
  raDeg: RA + eastArcmin / 60 / COS,
  decDeg: DEC + northArcmin / 60,
});

function chart(stars: { raDeg: number; decDeg: number; mag: number }[], extra = {}) {
  return finderChartSvg(
    {
      name: "T",
      raDeg: RA,
      decDeg: DEC,
      widthArcmin: 20,
      stars: {
        raDeg: stars.map((s) => s.raDeg),
        decDeg: stars.map((s) => s.decDeg),
        mag: stars.map((s) => s.mag),
      },
      band: "V (GaiaSP)",
      magLimit: 18,
      ...extra,
    },
    600,
  );
}

/** Centres of the star dots (inside the stars group), in chart pixels. */
function dots(svg: string): { x: number; y: number; r: number }[] {
  const group = /<g fill="#111111" class="stars">(.*?)<\/g>/.exec(svg)![1];
  return [...group.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"\/>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    r: Number(m[3]),
  }));
}

describe("finder chart geometry", () => {
  it("east is left, north is up, 600 px for 20′ (30 px per arcmin)", () => {
    const svg = chart([
      { ...at(5, 0), mag: 12 },
      { ...at(0, 5), mag: 12 },
    ]);
    const [east, north] = dots(svg);
    expect(east.x).toBeCloseTo(300 - 150, 0);
    expect(east.y).toBeCloseTo(300, 0);
    expect(north.x).toBeCloseTo(300, 0);
    expect(north.y).toBeCloseTo(300 - 150, 0);
  });

  it("stars off the chart are left out; brighter stars are drawn bigger and last", () => {
    const svg = chart([
      { ...at(2, 2), mag: 17 },
      { ...at(-3, 1), mag: 11 },
      { ...at(30, 0), mag: 10 },
    ]);
    const d = dots(svg);
    expect(d).toHaveLength(2);
    expect(d[1].r).toBeGreaterThan(d[0].r);
    expect(dotRadiusPx(18, 18)).toBe(1);
    expect(dotRadiusPx(0, 18)).toBe(8);
    expect(dotRadiusPx(Number.NaN, 18)).toBe(1);
  });

  it("the field of view: a 10′ × 5′ camera is a 300 × 150 px rectangle about the target", () => {
    const svg = chart([], { fov: { widthArcmin: 10, heightArcmin: 5, label: "X_CCD" } });
    expect(svg).toContain('<rect class="fov" x="150.00" y="225.00" width="300.00" height="150.00"');
    expect(svg).toContain("X_CCD");
  });

  it("scale bars are round lengths near a fifth of the width", () => {
    expect(scaleBarArcmin(20)).toBe(5);
    expect(scaleBarArcmin(60)).toBe(10);
    expect(scaleBarArcmin(3)).toBe(0.5);
  });

  it("names are escaped; the PNG is 1 px per SVG unit", () => {
    const svg = chart([], { name: "<b>&" });
    expect(svg).toContain("&lt;b&gt;&amp;");
    expect(svg).not.toContain("<b>&");
    const png = finderChartPng({
      name: "T",
      raDeg: RA,
      decDeg: DEC,
      widthArcmin: 20,
      stars: { raDeg: [], decDeg: [], mag: [] },
      band: null,
      magLimit: 18,
    });
    expect(Buffer.from(png.subarray(1, 4)).toString()).toBe("PNG");
    expect(Buffer.from(png).readUInt32BE(16)).toBe(628);
  });
});
