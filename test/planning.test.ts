/**
 * Night planning through the API, on the `skytom demo` night (20 FITS frames and 4 catalogues of
 * DemoVar-1 from skytom-demo_CCD1 on 2025-03-19) plus a few targets made for the checks:
 * visibility, the exposure-time calculator (validated frame by frame against the S/N the pipeline
 * achieved), the camera's plan and its exports, the network view and finder charts — with the errors
 * a user can provoke.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeNight } from "../src/astro/night.ts";
import { snrForExposure } from "../src/astro/etc.ts";
import { cameras, targets } from "../src/db/schema/index.ts";
import { runDemo, type DemoResult } from "../src/demo/run.ts";
import { modelFromFrames } from "../src/domain/planning/camera-model.ts";
import { cameraHistory } from "../src/domain/planning/repo.ts";
import type {
  ExposureTimeView,
  NetworkPlanView,
  PlanView,
  VisibilityView,
} from "../src/domain/planning/schemas.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";

const NOW = new Date("2025-03-20T12:00:00Z");
const ONAME = "skytom-demo_CCD1";
const DEMO_SITE = { latDeg: 28.7606, lonDeg: -17.8792, heightM: 2326 };
const MAG_ERR_PER_REL_FLUX = 2.5 / Math.LN10;

describe.each(ENGINES)("night planning on the demo night (%s)", (engine) => {
  let t: TestApp;
  let demo: DemoResult;
  let alice: TestUser;

  beforeAll(async () => {
    t = await createTestApp(engine);
    demo = await runDemo(t.tdb.database, t.tdb.dataDir, { now: NOW });
    alice = await t.user("alice");
    const make = async (name: string, ra: number, dec: number, importance: number, magLast?: number) => {
      const res = await t.call(
        "POST",
        "/targets/createTarget/",
        { name, ra, dec, importance, cadence: 1 },
        alice.token,
      );
      expect(res.statusCode, res.body).toBe(201);
      if (magLast !== undefined)
        await t.tdb.database.db
          .update(targets)
          .set({ magLast, filterLast: "V(GaiaSP)", mjdLast: 60750 })
          .where(eq(targets.name, name));
    };
    // Near DemoVar-1 (RA 176.8, Dec 13.6): bright ones that compete for its time, a faint one, one without a
    // magnitude; and one that never rises above 30° at La Palma.
    for (let i = 1; i <= 4; i++) await make(`Bright-${i}`, 176 + i, 10 + i, 8, 13 + 0.2 * i);
    await make("Faint-1", 178.5, 12.5, 9, 22.5);
    await make("NoMag-1", 175, 15, 9);
    await make("South-1", 176, -70, 10, 12);
  }, 600_000);
  afterAll(async () => t?.close());

  const post = (url: string, body: unknown, token: string | undefined = alice.token) =>
    t.call("POST", url, body, token);

  describe("POST /observatory/visibility/", () => {
    it("DemoVar-1 from skytom-demo on 2025-03-20: the night, its pass, windows and 10-minute samples", async () => {
      const res = await post("/observatory/visibility/", {
        target: "DemoVar-1",
        observatory: "skytom-demo",
        date: "2025-03-20",
        min_altitude: 30,
      });
      expect(res.statusCode, res.body).toBe(200);
      const v = res.json() as VisibilityView;
      const night = computeNight(DEMO_SITE, "2025-03-20");
      expect(v.night.sunset).toBe(night.events.sunset!.toISOString().replace(/\.\d{3}Z/, "Z"));
      expect(v.night.astronomical_dusk).toBe(
        night.events.astronomicalDusk!.toISOString().replace(/\.\d{3}Z/, "Z"),
      );
      expect(Object.keys(v.night)).toEqual(
        expect.arrayContaining(["sunset", "sunrise", "astronomical_dusk", "astronomical_dawn"]),
      );
      expect(Object.keys(v.target)).toEqual(
        expect.arrayContaining(["rise", "transit", "set", "max_altitude_deg", "hours_observable"]),
      );
      // DemoVar-1 was made to culminate near local midnight ~15° south of the zenith
      const transit = Date.parse(v.target.transit!);
      expect(transit).toBeGreaterThan(Date.parse(v.night.astronomical_dusk!));
      expect(transit).toBeLessThan(Date.parse(v.night.astronomical_dawn!));
      expect(v.target.max_altitude_deg).toBeGreaterThan(70);
      expect(v.target.hours_observable).toBeGreaterThan(6);
      expect(v.target.windows).toHaveLength(1);
      expect(v.target.reasons).toEqual({});
      expect(v.moon.illumination).toBeGreaterThan(0);
      expect(v.moon.illumination).toBeLessThan(1);
      const s = v.samples;
      expect(s.length).toBeGreaterThan(60);
      expect(Date.parse(s[1].time) - Date.parse(s[0].time)).toBe(600_000);
      for (const x of s) {
        expect(Object.keys(x).sort()).toEqual(
          [
            "airmass",
            "altitude_deg",
            "moon_altitude_deg",
            "moon_separation_deg",
            "sun_altitude_deg",
            "time",
          ].sort(),
        );
        // Hardie's airmass is sec z within 1 % above 20° (apparent z a little smaller than geometric)
        if (x.altitude_deg > 20)
          expect(
            Math.abs((x.airmass as number) * Math.sin((x.altitude_deg * Math.PI) / 180) - 1),
          ).toBeLessThan(0.01);
        if (x.altitude_deg < -1) expect(x.airmass).toBeNull();
      }
      // the predicted magnitude from the demo's light curve
      const measured = demo.products.filter((p) => p.magErr !== null && p.magErr > 0).length;
      expect(measured).toBeGreaterThan(20);
      expect(v.magnitudes[0]).toMatchObject({ filter: "V(GaiaSP)", method: "mean", points: measured });
      expect(Math.abs(v.magnitudes[0].predicted_mag - demo.variable.meanMag)).toBeLessThan(0.15);
      expect(v.magnitudes[0].age_days).toBeGreaterThan(0.5);
    });

    it("a target that never rises: nulls with the reason; zero hours", async () => {
      const res = await post("/observatory/visibility/", {
        target: "South-1",
        observatory: "skytom-demo",
        date: "2025-03-20",
      });
      const v = res.json() as VisibilityView;
      expect(res.statusCode).toBe(200);
      expect(v.target).toMatchObject({
        rise: null,
        transit: null,
        set: null,
        never_rises: true,
        hours_observable: 0,
      });
      expect(v.target.reasons.rise).toMatch(/^never rises/);
      expect(v.target.reasons.hours_observable).toMatch(/never rises/);
    });

    it("an ONAME works as the observatory; the date defaults to tonight", async () => {
      const res = await post("/observatory/visibility/", { target: "DemoVar-1", observatory: ONAME });
      expect(res.statusCode, res.body).toBe(200);
      expect((res.json() as VisibilityView).date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    });

    it("errors: unknown target or observatory 404, bad date or altitude 400 by field, no token 401", async () => {
      const base = { target: "DemoVar-1", observatory: "skytom-demo", date: "2025-03-20" };
      let res = await post("/observatory/visibility/", { ...base, target: "Nope" });
      expect([res.statusCode, res.json()]).toEqual([404, { detail: 'Target "Nope" does not exist.' }]);
      res = await post("/observatory/visibility/", { ...base, observatory: "Nowhere" });
      expect([res.statusCode, res.json()]).toEqual([
        404,
        { detail: 'Observatory "Nowhere" does not exist.' },
      ]);
      res = await post("/observatory/visibility/", { ...base, date: "2025-02-30" });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        date: ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
      });
      res = await post("/observatory/visibility/", { ...base, date: "20.03.2025" });
      expect(res.statusCode).toBe(400);
      expect(Object.keys(res.json())).toEqual(["date"]);
      res = await post("/observatory/visibility/", { ...base, min_altitude: 95 });
      expect([res.statusCode, Object.keys(res.json())]).toEqual([400, ["min_altitude"]]);
      res = await post("/observatory/visibility/", { observatory: "skytom-demo" });
      expect([res.statusCode, res.json()]).toEqual([400, { target: ["This field is required."] }]);
      res = await t.call("POST", "/observatory/visibility/", base);
      expect([res.statusCode, res.json()]).toEqual([
        401,
        { detail: "Authentication credentials were not provided." },
      ]);
    });
  });

  describe("POST /observatory/exposure-time/ and the ETC against the demo night", () => {
    it("the ETC predicts each frame's S/N within 20 % of what the pipeline achieved (leave-one-out history)", async () => {
      const db = t.tdb.database.db;
      const [camera] = await db.select().from(cameras).where(eq(cameras.prefix, ONAME));
      const frames = await cameraHistory(db, camera.id);
      expect(frames).toHaveLength(20);
      const injected = new Map(demo.products.map((p) => [p.id, p.injectedMag]));
      const ratios: number[] = [];
      for (const f of frames) {
        // the camera's model from its other frames, as it would have predicted this one
        const model = modelFromFrames(
          "V(GaiaSP)",
          frames.filter((g) => g.dataProductId !== f.dataProductId),
          camera,
        );
        const predicted = snrForExposure(
          model.model,
          injected.get(f.dataProductId)!,
          f.airmass!,
          f.expTimeS,
        ).snr;
        // achieved: the instrumental error of the target (the calibration's error less the zero point's)
        const achieved = MAG_ERR_PER_REL_FLUX / Math.sqrt(f.magErr! ** 2 - (f.zeropointErr ?? 0) ** 2);
        ratios.push(predicted / achieved);
        expect(predicted / achieved, `frame ${f.dataProductId}`).toBeGreaterThan(0.8);
        expect(predicted / achieved, `frame ${f.dataProductId}`).toBeLessThan(1.2);
      }
      const mean = ratios.reduce((a, b) => a + b) / ratios.length;
      expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    });

    it("with each frame's own conditions the noise model matches the pipeline's errors within 8 %", async () => {
      const db = t.tdb.database.db;
      const [camera] = await db.select().from(cameras).where(eq(cameras.prefix, ONAME));
      const frames = await cameraHistory(db, camera.id);
      const injected = new Map(demo.products.map((p) => [p.id, p.injectedMag]));
      for (const f of frames) {
        const own = modelFromFrames("V(GaiaSP)", [f], camera, 0);
        const predicted = snrForExposure(
          own.model,
          injected.get(f.dataProductId)!,
          f.airmass!,
          f.expTimeS,
        ).snr;
        const achieved = MAG_ERR_PER_REL_FLUX / Math.sqrt(f.magErr! ** 2 - (f.zeropointErr ?? 0) ** 2);
        expect(Math.abs(predicted / achieved - 1), `frame ${f.dataProductId}`).toBeLessThan(0.08);
      }
    });

    it("exposure for S/N 50 of DemoVar-1 tonight, and the S/N of a 60 s frame like the demo's", async () => {
      const res = await post("/observatory/exposure-time/", {
        oname: ONAME,
        target: "DemoVar-1",
        date: "2025-03-20",
        exposure_s: 60,
      });
      expect(res.statusCode, res.body).toBe(200);
      const e = res.json() as ExposureTimeView;
      expect(e).toMatchObject({
        oname: ONAME,
        filter: "V(GaiaSP)",
        snr: 50,
        airmass_source: "best tonight",
        saturated: false,
      });
      expect(e.model.frames).toBe(20);
      expect(e.model.gain).toBe(1.5);
      expect(e.model.fwhm_arcsec).toBeGreaterThan(1.5);
      // the demo's zero point: 1 ADU in 60 s at V = 25.8 → 1 ADU/s at 25.8 − 2.5 log 60 ≈ 21.36 (+ k·X)
      expect(e.model.zero_point_mag - e.model.extinction_mag_per_airmass * 1.1).toBeCloseTo(21.36, 0);
      expect(e.airmass).toBeLessThan(1.1);
      expect(e.exposure_s).toBeGreaterThan(5);
      expect(e.exposure_s).toBeLessThan(60);
      // the demo's 60 s frames reached S/N ≈ 80–125 on DemoVar-1
      expect(e.given_exposure!.snr).toBeGreaterThan(80);
      expect(e.given_exposure!.snr).toBeLessThan(130);
      expect(e.limiting_mag_5sigma).toBeGreaterThan(17);
      // the exposure it names gives the S/N asked for
      const back = await post("/observatory/exposure-time/", {
        oname: ONAME,
        mag: e.mag,
        airmass: e.airmass,
        exposure_s: e.exposure_s,
      });
      expect((back.json() as ExposureTimeView).given_exposure!.snr).toBeCloseTo(50, 1);
    });

    it("errors: neither target nor mag, unknown camera, a filter it never used, a camera with no history", async () => {
      let res = await post("/observatory/exposure-time/", { oname: ONAME });
      expect([res.statusCode, Object.keys(res.json()).sort()]).toEqual([400, ["mag", "target"]]);
      res = await post("/observatory/exposure-time/", { oname: "No_Such", mag: 15 });
      expect(res.statusCode).toBe(404);
      res = await post("/observatory/exposure-time/", { oname: ONAME, mag: 15, filter: "I(GaiaSP)" });
      expect(res.statusCode).toBe(400);
      expect(res.json().filter[0]).toMatch(/no calibrated frames in I\(GaiaSP\); it has V\(GaiaSP\)/);
      res = await post("/observatory/exposure-time/", { oname: ONAME, mag: 15, snr: 0 });
      expect([res.statusCode, Object.keys(res.json())]).toEqual([400, ["snr"]]);
      const created = await post("/observatory/createObservatory/", {
        name: "Empty Hill",
        lon: 20,
        lat: 50,
        camera_name: "Cam",
      });
      expect(created.statusCode, created.body).toBe(201);
      res = await post("/observatory/exposure-time/", { oname: "Empty Hill_Cam", mag: 15 });
      expect(res.statusCode).toBe(400);
      expect(res.json().detail).toMatch(/^Empty Hill_Cam has no calibrated FITS frames yet/);
    });
  });

  describe("POST /observatory/plan/", () => {
    let plan: PlanView;
    beforeAll(async () => {
      const res = await post("/observatory/plan/", { oname: ONAME, date: "2025-03-20" });
      expect(res.statusCode, res.body).toBe(200);
      plan = res.json() as PlanView;
    });

    it("lists DemoVar-1 with a window and an exposure (the night after the demo's)", () => {
      const entry = plan.scheduled.find((e) => e.name === "DemoVar-1");
      expect(entry).toBeDefined();
      expect(entry!.exposure_s).toBeGreaterThan(1);
      expect(entry!.snr).toBeGreaterThan(45);
      expect(Date.parse(entry!.start)).toBeGreaterThanOrEqual(Date.parse(entry!.window.start));
      expect(Date.parse(entry!.end)).toBeLessThanOrEqual(Date.parse(entry!.window.end));
      expect(entry!.airmass).toBeLessThan(1.3);
      expect(entry!.filter).toBe("V(GaiaSP)");
      expect(plan.darkness.kind).toBe("astronomical");
    });

    it("visits do not overlap, lie in darkness, and each lasts slew + exposure + readout", () => {
      const e = plan.scheduled;
      expect(e.length).toBe(5); // DemoVar-1 and Bright-1..4
      for (let i = 1; i < e.length; i++)
        expect(Date.parse(e[i].start)).toBeGreaterThanOrEqual(Date.parse(e[i - 1].end));
      for (const x of e) {
        expect(Date.parse(x.start)).toBeGreaterThanOrEqual(Date.parse(plan.darkness.start!));
        expect(Date.parse(x.end)).toBeLessThanOrEqual(Date.parse(plan.darkness.end!));
        expect((Date.parse(x.end) - Date.parse(x.start)) / 1000).toBeCloseTo(60 + x.exposure_s + 10, -0.5);
        expect(x.altitude_deg).toBeGreaterThan(30);
      }
      expect(plan.settings).toMatchObject({ slew_s: 60, readout_s: 10, snr: 50, min_altitude: 30 });
    });

    it("says why the others are left out; the target that never rises is not even observable", () => {
      const why = Object.fromEntries(plan.unscheduled.map((u) => [u.name, u.reason]));
      expect(why["Faint-1"]).toMatch(/^too faint: needs \d+ s for S\/N 50 \(max_exposure_s 600\)$/);
      expect(why["NoMag-1"]).toMatch(/^no magnitude/);
      expect(why["South-1"]).toBeUndefined();
      expect(plan.summary).toMatchObject({ targets: 8, observable: 7, scheduled: 5 });
    });

    it("a short night of large exposures: higher priority first, the rest unscheduled for lack of time", async () => {
      // each visit: an hour's slew, then 100 × (exposure + 60 s readout) ≈ 3 h: two or three fit the night
      const res = await post("/observatory/plan/", {
        oname: ONAME,
        date: "2025-03-20",
        slew_s: 3600,
        readout_s: 60,
        n_exposures: 100,
      });
      const p = res.json() as PlanView;
      expect(res.statusCode, res.body).toBe(200);
      const left = p.unscheduled.filter((u) => /free time|shorter than the visit/.test(u.reason));
      expect(left.length).toBeGreaterThan(0);
      expect(p.scheduled.length).toBeGreaterThanOrEqual(2);
      expect(p.scheduled.length + left.length).toBe(5);
      const minScheduled = Math.min(...p.scheduled.map((x) => x.priority));
      for (const u of left.filter((x) => x.reason.startsWith("no free time")))
        expect(u.priority).toBeLessThanOrEqual(minScheduled);
    });

    it("exports: CSV and the name/ra/dec/exposure list, as attachments", async () => {
      let res = await post("/observatory/plan/", { oname: ONAME, date: "2025-03-20", format: "csv" });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
      expect(res.headers["content-disposition"]).toBe(`attachment; filename="plan-${ONAME}-2025-03-20.csv"`);
      const lines = res.body.trimEnd().split("\r\n");
      expect(lines[0]).toBe("name,ra,dec,start,end,exposure_s,n_exposures,filter,mag,snr,airmass,priority");
      expect(lines).toHaveLength(1 + plan.scheduled.length);
      res = await post("/observatory/plan/", { oname: ONAME, date: "2025-03-20", format: "txt" });
      expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
      const rows = res.body.trimEnd().split("\n");
      expect(rows).toHaveLength(plan.scheduled.length);
      for (const row of rows)
        expect(row).toMatch(/^\S+ \d\d:\d\d:\d\d\.\d\d [+-]\d\d:\d\d:\d\d\.\d \d+(\.\d+)?$/);
      expect(rows.some((r) => r.startsWith("DemoVar-1 11:47:"))).toBe(true);
    });

    it("errors: unknown camera 404, unknown format 400", async () => {
      let res = await post("/observatory/plan/", { oname: "No_Such" });
      expect(res.statusCode).toBe(404);
      res = await post("/observatory/plan/", { oname: ONAME, format: "xml" });
      expect([res.statusCode, Object.keys(res.json())]).toEqual([400, ["format"]]);
    });
  });

  it("POST /targets/network-plan/: DemoVar-1 with the demo camera and its S/N; the others by importance", async () => {
    const res = await post("/targets/network-plan/", { date: "2025-03-20" });
    expect(res.statusCode, res.body).toBe(200);
    const n = res.json() as NetworkPlanView;
    expect(n.min_importance).toBe(5);
    const names = n.targets.map((x) => x.name);
    expect(names).toContain("DemoVar-1");
    expect(names).not.toContain("Empty Hill");
    const demoVar = n.targets.find((x) => x.name === "DemoVar-1")!;
    // the demo's CCD and its one-shot-colour camera; the new camera is inactive
    expect(demoVar.cameras.map((c) => c.oname).sort()).toEqual([ONAME, "skytom-demo_OSC1"].sort());
    const ccd = demoVar.cameras.find((c) => c.oname === ONAME)!;
    expect(ccd).toMatchObject({ oname: ONAME, observatory: "skytom-demo", filter: "V(GaiaSP)" });
    expect(ccd.snr).toBeGreaterThan(45);
    expect(n.targets.find((x) => x.name === "South-1")!.cameras).toEqual([]);
    for (let i = 1; i < n.targets.length; i++)
      expect(n.targets[i].priority).toBeLessThanOrEqual(n.targets[i - 1].priority);
  });

  describe("finder charts", () => {
    it("PNG with the camera's field and the latest frame beside it; SVG with stars, target, field, compass", async () => {
      let res = await t.call("GET", `/targets/DemoVar-1/finder.png?oname=${ONAME}`, undefined, alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("image/png");
      expect(res.rawPayload.subarray(0, 8)).toEqual(
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      );
      // width: two 600 px panels side by side (chart + preview)
      expect(res.rawPayload.readUInt32BE(16)).toBe(14 * 2 + 600 + 18 + 600);
      res = await t.call("GET", `/targets/DemoVar-1/finder.svg?oname=${ONAME}`, undefined, alice.token);
      expect(res.headers["content-type"]).toBe("image/svg+xml; charset=utf-8");
      const svg = res.body;
      const stars = svg.match(/<circle cx/g)?.length ?? 0;
      expect(stars).toBeGreaterThan(500);
      expect(svg).toContain('class="fov"');
      expect(svg).toContain(`${ONAME} 13.7′ × 13.7′`); // 1024 px × 0.8″
      expect(svg).toContain('class="target"');
      expect(svg).toContain('class="compass"');
      expect(svg).toContain('class="preview"');
      expect(svg).toContain("Latest frame from skytom-demo_CCD1");
      // without a camera: 20′, no field, the preview of any camera
      res = await t.call(
        "GET",
        "/targets/DemoVar-1/finder.svg?fov_arcmin=5&mag_limit=16",
        undefined,
        alice.token,
      );
      expect(res.body).not.toContain('class="fov"');
      expect(res.body).toContain("5′ × 5′");
      expect(res.body.match(/<circle cx/g)?.length ?? 0).toBeLessThan(stars);
    });

    it("errors: no credentials 401 JSON, unknown target 404, bad query 400", async () => {
      let res = await t.call("GET", "/targets/DemoVar-1/finder.png");
      expect([res.statusCode, res.json()]).toEqual([
        401,
        { detail: "Authentication credentials were not provided." },
      ]);
      res = await t.call("GET", "/targets/Nope/finder.png", undefined, alice.token);
      expect(res.statusCode).toBe(404);
      res = await t.call("GET", "/targets/DemoVar-1/finder.png?fov_arcmin=-3", undefined, alice.token);
      expect([res.statusCode, Object.keys(res.json())]).toEqual([400, ["fov_arcmin"]]);
      res = await t.call("GET", "/targets/DemoVar-1/finder.svg?oname=No_Such", undefined, alice.token);
      expect(res.statusCode).toBe(404);
    });
  });
});
