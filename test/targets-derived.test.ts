/** Plots, caches, derived fields and cone search correctness for targets. */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { angularSeparationDeg, unitVector } from "../src/astro/coords.ts";
import { sunSeparationDeg } from "../src/astro/sun.ts";
import { createRng } from "../src/astro/synth/random.ts";
import { mjdFromDate } from "../src/astro/time.ts";
import { reducedDatums, targets } from "../src/db/schema/index.ts";
import { observingPriority } from "../src/domain/targets/derived.ts";
import { refreshAllTargets, refreshLastPoint } from "../src/domain/targets/refresh.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";

describe("observing priority formula", () => {
  it("cadence_priority = min(Δt/cadence, 10); 10 when never observed; 0 without cadence", () => {
    expect(observingPriority(8, 2, 60000, 60001)).toEqual({ cadencePriority: 0.5, priority: 4 });
    expect(observingPriority(8, 2, 60000, 60100)).toEqual({ cadencePriority: 10, priority: 80 });
    expect(observingPriority(8, 2, 0, 60100)).toEqual({ cadencePriority: 10, priority: 80 });
    expect(observingPriority(8, 0, 60000, 60100)).toEqual({ cadencePriority: 0, priority: 0 });
    expect(observingPriority(8, 2, 60200, 60100)).toEqual({ cadencePriority: 0, priority: 0 });
  });
});

describe.each(ENGINES)("targets: plots, caches, derived fields on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let root: TestUser;
  let staff: TestUser;
  let lcId: number;

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    root = await t.user("root", { superuser: true });
    staff = await t.user("staffer", { staff: true });
    const res = await t.call(
      "POST",
      "/targets/createTarget/",
      { name: "LC", ra: 45, dec: 45, cadence: 2, importance: 6 },
      alice.token,
    );
    lcId = res.json().id;
    await t.call("POST", "/targets/createTarget/", { name: "Empty", ra: 46, dec: 46 }, alice.token);
    const point = (mjd: number, value: number, error: number, filter: string, active = true) => ({
      targetId: lcId,
      mjd,
      value,
      error,
      filter,
      facility: "Obs_Cam",
      observer: "alice",
      activeFlg: active,
    });
    await t.tdb.database.db
      .insert(reducedDatums)
      .values([
        point(60000.1, 15.2, 0.02, "V(GaiaSP)"),
        point(60001.2, 15.4, 0.03, "V(GaiaSP)"),
        point(60001.5, 17.9, -1, "V(GaiaSP)"),
        point(60000.7, 14.1, 0.05, "r(GaiaSP)"),
        point(60002.0, 13.0, 0.01, "r(GaiaSP)", false),
      ]);
  });
  afterAll(async () => t.close());

  describe("POST /targets/get-plots/", () => {
    it("one trace per filter, magnitudes reversed, limits as triangles; inactive points left out", async () => {
      const res = await t.call("POST", "/targets/get-plots/", { targetNames: ["LC", "Empty"] }, alice.token);
      expect(res.statusCode).toBe(200);
      const { Plots } = res.json();
      expect(Plots.Empty).toBe("None");
      const fig = Plots.LC;
      expect(fig.layout.yaxis.autorange).toBe("reversed");
      const traces = fig.data as Array<{
        name: string;
        x: number[];
        y: number[];
        marker: { symbol: string };
      }>;
      expect(traces.map((d) => d.name)).toEqual(["V(GaiaSP)", "V(GaiaSP) limit", "r(GaiaSP)"]);
      expect(traces[0].x).toEqual([60000.1, 60001.2]);
      expect(traces[1].marker.symbol).toBe("triangle-down-open");
      expect(traces[1].y).toEqual([17.9]);
      expect(traces[2].y).toEqual([14.1]);
    });

    it("an unknown target → 400 with BHTOM's odd spacing", async () => {
      const res = await t.call("POST", "/targets/get-plots/", { targetNames: ["LC", "Nope"] }, alice.token);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ "Error ": "Target does not exist in the database " });
    });

    it("the guide's example shape (a list of names) is required", async () => {
      expect((await t.call("POST", "/targets/get-plots/", {}, alice.token)).statusCode).toBe(400);
    });

    it("a new point invalidates the cached figure", async () => {
      const before = (
        await t.call("POST", "/targets/get-plots/", { targetNames: ["LC"] }, alice.token)
      ).json();
      await t.tdb.database.db.insert(reducedDatums).values({
        targetId: lcId,
        mjd: 60003,
        value: 15.0,
        error: 0.02,
        filter: "V(GaiaSP)",
      });
      const after = (
        await t.call("POST", "/targets/get-plots/", { targetNames: ["LC"] }, alice.token)
      ).json();
      expect(after.Plots.LC.data[0].x.length).toBe(before.Plots.LC.data[0].x.length + 1);
    });
  });

  describe("derived fields", () => {
    it("refreshLastPoint: latest active detection → mag_last/mjd_last/filter_last, then the priority", async () => {
      const now = new Date("2023-03-01T00:00:00Z"); // MJD 60004
      await refreshLastPoint(t.tdb.database.db, lcId, now);
      const [row] = await t.tdb.database.db
        .select()
        .from(targets)
        .where(sql`id = ${lcId}`);
      expect(row).toMatchObject({ magLast: 15.0, mjdLast: 60003, filterLast: "V(GaiaSP)" });
      const expected = observingPriority(6, 2, 60003, mjdFromDate(now));
      expect(row.cadencePriority).toBeCloseTo(expected.cadencePriority, 12);
      expect(row.priority).toBeCloseTo(expected.priority, 12);
    });

    it("refreshAllTargets: Sun separation of every target agrees with the astro function", async () => {
      const when = new Date("2026-06-21T12:00:00Z");
      const n = await refreshAllTargets(t.tdb.database.db, when);
      expect(n).toBeGreaterThanOrEqual(2);
      const rows = await t.tdb.database.db.select().from(targets);
      for (const r of rows) expect(r.sunSeparation).toBeCloseTo(sunSeparationDeg(r.ra!, r.dec!, when), 9);
    });
  });

  describe("caches", () => {
    it("the target list is cached and invalidated by changes from any process", async () => {
      const first = (await t.call("POST", "/targets/getTargetList/", { name: "LC" }, alice.token)).json();
      expect(first.data[0].description).toBeNull();
      // Another process (here: plain SQL) changes the target: the trigger bumps the generation.
      await t.tdb.database.pool.query(
        "update targets set description = 'changed elsewhere' where name = 'LC'",
      );
      const second = (await t.call("POST", "/targets/getTargetList/", { name: "LC" }, alice.token)).json();
      expect(second.data[0].description).toBe("changed elsewhere");
    });

    it('clean endpoints: superuser → 200 "OK" (both spellings); staff and users → 403', async () => {
      for (const path of ["cleanTargetListCache", "cleanTargetDetailCache", "cleanTargetDetailsCache"]) {
        const ok = await t.call("POST", `/targets/${path}/`, undefined, root.token);
        expect(ok.statusCode, path).toBe(200);
        expect(ok.json()).toBe("OK");
        expect((await t.call("POST", `/targets/${path}/`, undefined, staff.token)).statusCode).toBe(403);
        expect((await t.call("POST", `/targets/${path}`, undefined, alice.token)).statusCode).toBe(403);
      }
    });
  });

  describe("cone search agrees with brute force", () => {
    const N = 10_000;
    const positions: Array<{ name: string; ra: number; dec: number }> = [];

    beforeAll(async () => {
      const rng = createRng(2026);
      for (let i = 0; i < N; i++) {
        const kind = i % 5;
        let ra = rng.uniform(0, 360);
        let dec = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
        if (kind === 1) dec = (rng.uniform(0, 1) < 0.5 ? 1 : -1) * rng.uniform(80, 90); // near the poles
        if (kind === 2) ra = (rng.uniform(-5, 5) + 360) % 360; // either side of RA 0/360
        positions.push({ name: `rnd${i}`, ra, dec });
      }
      const rows = positions.map((p) => {
        const [cx, cy, cz] = unitVector(p.ra, p.dec);
        return { name: p.name, ra: p.ra, dec: p.dec, cx, cy, cz };
      });
      for (let i = 0; i < rows.length; i += 1000) {
        await t.tdb.database.db.insert(targets).values(rows.slice(i, i + 1000));
      }
    });

    it("1,000 random cones incl. RA 0/360 and |dec| > 85°: the same targets as a brute-force separation check", async () => {
      const rng = createRng(7);
      let nonEmpty = 0;
      for (let k = 0; k < 1000; k++) {
        const kind = k % 3;
        const ra = kind === 1 ? (rng.uniform(-3, 3) + 360) % 360 : rng.uniform(0, 360);
        const dec =
          kind === 2 ? (rng.uniform(0, 1) < 0.5 ? 1 : -1) * rng.uniform(85, 90) : rng.uniform(-89, 89);
        const radius = rng.uniform(0.5, 8);
        const expected = positions
          .filter((p) => angularSeparationDeg(ra, dec, p.ra, p.dec) <= radius)
          .map((p) => p.name)
          .sort();
        const res = await t.call(
          "POST",
          "/targets/getTargetList/",
          { coneSearchRaDecRadius: `${ra},${dec},${radius}`, raMin: 0 },
          alice.token,
        );
        const body = res.json();
        const got = (body.data as Array<{ name: string }>)
          .map((d) => d.name)
          .filter((n) => n.startsWith("rnd"));
        expect(body.count, `cone ${ra},${dec},${radius}`).toBe(
          expected.length + body.data.filter((d: { name: string }) => !d.name.startsWith("rnd")).length,
        );
        if (expected.length <= 200) expect(got.sort()).toEqual(expected);
        if (expected.length) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThan(500);
    });
  });
});
