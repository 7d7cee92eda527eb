/**
 * Planning without a database: the greedy scheduler, magnitude prediction from light-curve points, the
 * camera model from history frames (zero point, Bouguer extinction) and the plan's exports.
 */
import { describe, expect, it } from "vitest";
import { exposureForSnr, snrForExposure } from "../src/astro/etc.ts";
import {
  bandOf,
  cameraModels,
  fittedExtinction,
  frameZeroPoint,
  modelFromFrames,
  theilSenSlope,
} from "../src/domain/planning/camera-model.ts";
import { magnitudeFor, predictMagnitudes } from "../src/domain/planning/magnitude.ts";
import { planCsv, planText } from "../src/domain/planning/exports.ts";
import { readoutSeconds, roundExposure } from "../src/domain/planning/plan.ts";
import type { CurvePoint, HistoryFrame } from "../src/domain/planning/repo.ts";
import { scheduleNight, type VisitRequest } from "../src/domain/planning/schedule.ts";
import type { PlanView } from "../src/domain/planning/schemas.ts";

const T0 = Date.parse("2025-03-20T21:00:00Z");
const at = (minutes: number) => new Date(Math.round(T0 + minutes * 60_000));
const DARK = { start: at(0), end: at(600) };

function visit(
  key: string,
  priority: number,
  windowMin: [number, number],
  durationMin: number,
  preferMin: number,
) {
  return {
    key,
    priority,
    tieBreak: 0,
    windows: [{ start: at(windowMin[0]), end: at(windowMin[1]) }],
    durationMs: Math.round(durationMin * 60_000),
    preferredMs: Math.round(at(preferMin).getTime()),
  } satisfies VisitRequest;
}

describe("scheduleNight", () => {
  it("places a lone visit centred on its preferred time", () => {
    const s = scheduleNight([visit("a", 1, [0, 600], 10, 300)], DARK);
    expect(s.placed).toEqual([{ key: "a", start: at(295), end: at(305) }]);
  });

  it("higher priority wins the contested time; the other moves next to it, no overlap", () => {
    const s = scheduleNight([visit("low", 1, [0, 600], 20, 300), visit("high", 5, [0, 600], 20, 300)], DARK);
    const byKey = Object.fromEntries(s.placed.map((p) => [p.key, p]));
    expect(byKey.high.start).toEqual(at(290));
    // "low" is as close to 300 as the free time allows: right before or after "high"
    expect([at(270).getTime(), at(310).getTime()]).toContain(byKey.low.start.getTime());
    expect(s.placed.map((p) => p.key)).toEqual(
      byKey.low.start < byKey.high.start ? ["low", "high"] : ["high", "low"],
    );
  });

  it("never overlaps, stays in windows and darkness, over many random visits", () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const requests: VisitRequest[] = [];
    for (let i = 0; i < 80; i++) {
      const a = -60 + rand() * 600;
      const b = a + 30 + rand() * 400;
      requests.push(visit(`t${i}`, rand() * 10, [a, b], 3 + rand() * 40, a + rand() * (b - a)));
    }
    const s = scheduleNight(requests, DARK);
    expect(s.placed.length + s.unplaced.length).toBe(80);
    expect(s.placed.length).toBeGreaterThan(10);
    for (let i = 1; i < s.placed.length; i++)
      expect(s.placed[i].start.getTime()).toBeGreaterThanOrEqual(s.placed[i - 1].end.getTime());
    const req = new Map(requests.map((r) => [r.key, r]));
    for (const p of s.placed) {
      const r = req.get(p.key)!;
      expect(p.end.getTime() - p.start.getTime()).toBe(r.durationMs);
      expect(p.start.getTime()).toBeGreaterThanOrEqual(
        Math.max(DARK.start.getTime(), r.windows[0].start.getTime()),
      );
      expect(p.end.getTime()).toBeLessThanOrEqual(Math.min(DARK.end.getTime(), r.windows[0].end.getTime()));
    }
    // a visit left out for lack of free time really has no room: no free gap of the final schedule inside
    // its window is long enough (placements after it only took more time away)
    const gaps: [number, number][] = [];
    let cursor = DARK.start.getTime();
    for (const p of s.placed) {
      gaps.push([cursor, p.start.getTime()]);
      cursor = p.end.getTime();
    }
    gaps.push([cursor, DARK.end.getTime()]);
    const blocked = s.unplaced.filter((x) => x.reason.startsWith("no free time"));
    expect(blocked.length).toBeGreaterThan(0);
    for (const u of blocked) {
      const r = req.get(u.key)!;
      const w = r.windows[0];
      for (const [a, b] of gaps) {
        const room = Math.min(b, w.end.getTime()) - Math.max(a, w.start.getTime());
        expect(room).toBeLessThan(r.durationMs);
      }
    }
  });

  it("a window shorter than the visit is refused with both lengths", () => {
    const s = scheduleNight([visit("short", 1, [100, 110], 20, 105)], DARK);
    expect(s.placed).toEqual([]);
    expect(s.unplaced[0].reason).toBe("observable for 10 min, shorter than the visit (20 min)");
  });

  it("a window full of more important visits leaves the visit out", () => {
    const s = scheduleNight([visit("a", 9, [100, 130], 30, 115), visit("b", 1, [100, 130], 10, 115)], DARK);
    expect(s.placed.map((p) => p.key)).toEqual(["a"]);
    expect(s.unplaced).toEqual([{ key: "b", reason: "no free time left in its observable window" }]);
  });
});

const pt = (mjd: number, mag: number, err = 0.02, filter = "V(GaiaSP)"): CurvePoint => ({
  targetId: 1,
  filter,
  mjd,
  mag,
  err,
});

describe("predictMagnitudes", () => {
  it("trend: a steady fade over two weeks is extrapolated to tonight", () => {
    const points = [0, 2, 4, 6, 8, 10, 12, 14].map((d) => pt(60000 + d, 15 + 0.05 * d));
    const [m] = predictMagnitudes(points, 60015);
    expect(m.method).toBe("trend");
    expect(m.predicted_mag).toBeCloseTo(15.75, 6);
    expect(m.trend_mag_per_day).toBeCloseTo(0.05, 6);
    expect(m.age_days).toBeCloseTo(1, 6);
    expect(m.points).toBe(8);
    expect(m.last_mag).toBeCloseTo(15.7, 9);
  });

  it("no extrapolation beyond the points' span: the weighted mean instead", () => {
    const points = [0, 0.1, 0.2, 0.3].map((d, i) =>
      pt(60000 + d, [15.0, 15.2, 15.1, 15.3][i], [0.01, 0.02, 0.02, 0.04][i]),
    );
    const [m] = predictMagnitudes(points, 60001);
    expect(m.method).toBe("mean");
    const w = [1e4, 2500, 2500, 625];
    const mean = (15 * w[0] + 15.2 * w[1] + 15.1 * w[2] + 15.3 * w[3]) / w.reduce((a, b) => a + b);
    expect(m.predicted_mag).toBeCloseTo(mean, 4);
  });

  it("only points of the last 30 days before the latest one count", () => {
    const points = [pt(59900, 12), pt(59901, 12), pt(60000, 16), pt(60000.5, 16)];
    const [m] = predictMagnitudes(points, 60001);
    expect(m.points).toBe(2);
    expect(m.predicted_mag).toBeCloseTo(16, 9);
  });

  it("one point: the latest; none: the target's mag_last; per filter, newest filter first", () => {
    const out = predictMagnitudes([pt(60000, 14, 0.03, "r(GaiaSP)"), pt(60001, 15, 0.02)], 60002);
    expect(out.map((m) => [m.filter, m.method, m.predicted_mag])).toEqual([
      ["V(GaiaSP)", "latest", 15],
      ["r(GaiaSP)", "latest", 14],
    ]);
    const fallback = predictMagnitudes([], 60002, { magLast: 17.2, filterLast: "G(Gaia)", mjdLast: 60000 });
    expect(fallback).toMatchObject([
      { method: "mag_last", predicted_mag: 17.2, filter: "G(Gaia)", age_days: 2 },
    ]);
    expect(predictMagnitudes([], 60002, { magLast: 100, filterLast: "", mjdLast: 0 })).toEqual([]);
  });

  it("magnitudeFor: same filter, then same band, then the newest", () => {
    const out = predictMagnitudes([pt(60000, 14, 0.03, "r(GaiaSP)"), pt(60001, 15, 0.02, "V(APASS)")], 60002);
    expect(magnitudeFor(out, "r(GaiaSP)")?.filter).toBe("r(GaiaSP)");
    expect(magnitudeFor(out, "V(GaiaSP)")?.filter).toBe("V(APASS)");
    expect(magnitudeFor(out, "I(GaiaSP)")?.filter).toBe("V(APASS)");
    expect(bandOf("GaiaSP/V")).toBe("GaiaSP/V");
  });
});

function frame(over: Partial<HistoryFrame>): HistoryFrame {
  return {
    dataProductId: 1,
    mjd: 60000,
    zeropoint: -0.8,
    zeropointErr: 0.001,
    expTimeS: 60,
    survey: "GaiaSP",
    band: "V",
    airmass: 1,
    fwhmPx: 2.5,
    pixelScaleArcsec: 0.8,
    backgroundAdu: 300,
    apertureRadiusPx: 2.5,
    apertureCorrectionMag: -0.3,
    mag: 15,
    magErr: 0.01,
    ...over,
  };
}
const DETECTOR = { gain: 1.5, readoutNoise: 8, saturationLevel: 60000 };

describe("camera model", () => {
  it("zero point per second: a 60 s frame with ZP −0.8 (1 ADU at m = 25.8) gives Z₀ = 25.8 − 2.5 log 60 + kX", () => {
    expect(frameZeroPoint(frame({}), 0)).toBeCloseTo(25.8 - 2.5 * Math.log10(60), 12);
    expect(frameZeroPoint(frame({ airmass: 2 }), 0.15)).toBeCloseTo(25.8 - 2.5 * Math.log10(60) + 0.3, 12);
  });

  it("Bouguer: frames with k = 0.2 over a night give k = 0.2, robust to a cloudy frame", () => {
    const k = 0.2;
    const frames = [1.0, 1.2, 1.4, 1.6, 1.8, 2.0].map((x, i) =>
      frame({ mjd: 60000 + i * 0.03, airmass: x, zeropoint: -0.8 + k * (x - 1) }),
    );
    expect(fittedExtinction(frames)).toBeCloseTo(0.2, 9);
    frames[2] = { ...frames[2], zeropoint: frames[2].zeropoint + 0.3 }; // thin cloud
    expect(fittedExtinction(frames)).toBeCloseTo(0.2, 9);
    const m = modelFromFrames("V(GaiaSP)", frames, DETECTOR);
    expect(m.extinctionSource).toBe("fitted");
    expect(m.model.zeroPointMag).toBeCloseTo(25.8 - 2.5 * Math.log10(60) + 0.2, 9);
  });

  it("without a usable night (few frames, small airmass span) the typical k of the band", () => {
    const frames = [1.0, 1.05, 1.1, 1.12].map((x, i) => frame({ mjd: 60000 + i * 0.03, airmass: x }));
    expect(fittedExtinction(frames)).toBeNull();
    const m = modelFromFrames("V(GaiaSP)", frames, DETECTOR);
    expect(m).toMatchObject({ extinctionSource: "typical", frames: 4 });
    expect(m.model.extinctionMagPerAirmass).toBe(0.15);
    expect(m.model.skyAduPerPxPerS).toBeCloseTo(5, 12);
    expect(m.model.annulusAreaPx).toBeCloseTo(16 * Math.PI * 6.25, 9);
    expect(m.fwhmArcsec).toBeCloseTo(2, 12);
  });

  it("models per filter, the most observed first", () => {
    const frames = [frame({ band: "R" }), frame({}), frame({ band: "R" })];
    expect(cameraModels(frames, DETECTOR).map((m) => [m.filter, m.frames])).toEqual([
      ["R(GaiaSP)", 2],
      ["V(GaiaSP)", 1],
    ]);
  });

  it("the model reproduces the frame it came from: a 15.0 mag star in 60 s at S/N of its error", () => {
    // ZP −0.8 → 15 mag gives 10^(0.4·10.8) ADU = 20 893 ADU in 60 s; in the 2.5 px aperture 10^(−0.12) of it.
    const m = modelFromFrames("V(GaiaSP)", [frame({})], DETECTOR, 0).model;
    const e = snrForExposure(m, 15, 1, 60);
    expect(e.sourceE).toBeCloseTo(1.5 * 10 ** (0.4 * 10.8) * 10 ** -0.12, 3);
    expect(exposureForSnr(m, 15, 1, e.snr)).toBeCloseTo(60, 6);
  });

  it("theilSenSlope is the median pairwise slope", () => {
    expect(theilSenSlope([0, 1, 2, 3, 4], [0, 1, 2, 3, 40])).toBeCloseTo(1, 12);
    expect(theilSenSlope([1, 1], [0, 1])).toBeNull();
  });
});

describe("plan helpers and exports", () => {
  it("readout: readout_speed × pixels when real, else 10 s; exposures rounded up", () => {
    const camera = {
      readoutSpeed: 1,
      detectorWidthPx: 2048,
      detectorHeightPx: 2048,
      binning: 2,
    } as Parameters<typeof readoutSeconds>[0];
    expect(readoutSeconds(camera)).toBeCloseTo(1.05, 2);
    expect(readoutSeconds({ ...camera, readoutSpeed: 9999 })).toBe(10);
    expect(readoutSeconds({ ...camera, detectorWidthPx: null })).toBe(10);
    expect([0.2, 1.2, 59.1, 61, 299].map(roundExposure)).toEqual([1, 2, 60, 65, 300]);
  });

  it("CSV and the plain name/ra/dec/exposure list", () => {
    const entry = {
      name: 'SN 2025, "x"',
      ra: 176.8289898,
      dec: -3.5,
      start: "2025-03-21T01:00:00Z",
      end: "2025-03-21T01:02:00Z",
      exposure_s: 65,
      n_exposures: 2,
      filter: "V(GaiaSP)",
      mag: 15.3,
      snr: 52.1,
      airmass: 1.04,
      priority: 4.2,
    };
    const plan = { scheduled: [entry] } as unknown as PlanView;
    expect(planCsv(plan)).toBe(
      "name,ra,dec,start,end,exposure_s,n_exposures,filter,mag,snr,airmass,priority\r\n" +
        '"SN 2025, ""x""",176.8289898,-3.5,2025-03-21T01:00:00Z,2025-03-21T01:02:00Z,65,2,V(GaiaSP),15.3,52.1,1.04,4.2\r\n',
    );
    expect(planText(plan)).toBe('SN_2025,_"x" 11:47:18.96 -03:30:00.0 65\n');
  });
});
