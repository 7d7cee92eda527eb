/**
 * `skytom catalog fetch` for an offline site: a 1° region prefetched in tiles from the Gaia archive
 * stand-in, interrupted (Ctrl-C) part way and resumed where it stopped; then, with SKYTOM_OFFLINE=1, a
 * catalogue and a FITS frame anywhere in the region calibrate within 3σ without asking anything.
 */
import { spawn } from "node:child_process";
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { angularSeparationDeg, unitVector } from "../src/astro/coords.ts";
import { makeField } from "../src/astro/synth/catalog.ts";
import { tilesCoveringCap } from "../src/astro/tiling.ts";
import { ArchiveProvider } from "../src/catalog/archive.ts";
import { listCoveredCones } from "../src/catalog/cache.ts";
import { OFFLINE_ARCHIVES } from "../src/catalog/settings.ts";
import { calibrations, cameras, dataProducts, observatories } from "../src/db/schema/index.ts";
import {
  DEMO_CAMERA,
  planNight,
  renderCatalogue,
  renderFrame,
  type VariableStar,
} from "../src/demo/night.ts";
import { startWorkers } from "../src/jobs/index.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { multipart } from "./helpers/multipart.ts";
import { TapReplayServer } from "./helpers/tap-server.ts";

const BIN = new URL("../bin/skytom.js", import.meta.url).pathname;
const [RA, DEC, RADIUS, TILE] = [120, -25, 1, 0.25];
const field = makeField({
  seed: 21,
  nStars: 26_000,
  centerRaDeg: RA,
  centerDecDeg: DEC,
  halfWidthDeg: 1.05,
  magRange: [11, 19.5],
});

describe("skytom catalog fetch: 1° prefetched, interrupted and resumed, then calibrations offline (pglite)", () => {
  let t: TestApp;
  let alice: TestUser;
  let archive: TapReplayServer;

  /** Runs the CLI on the test's data directory (through its socket); `stopAfterRequests` sends Ctrl-C. */
  const fetchCli = (stopAfterRequests?: number) =>
    new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          BIN,
          "catalog",
          "fetch",
          "--ra",
          String(RA),
          "--dec",
          String(DEC),
          "--radius",
          String(RADIUS),
          "--survey",
          "GaiaSP",
          "--tile",
          String(TILE),
          "--json",
        ],
        {
          env: {
            ...process.env,
            SKYTOM_DATA: t.tdb.dataDir,
            DATABASE_URL: "",
            SKYTOM_GAIA_TAP_URL: archive.gaiaUrl,
            SKYTOM_OFFLINE: "",
            LOG_LEVEL: "warn",
          },
        },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      const timer = stopAfterRequests
        ? setInterval(() => {
            if (archive.requests.length >= stopAfterRequests) {
              clearInterval(timer!);
              child.kill("SIGINT");
            }
          }, 20)
        : null;
      child.on("exit", (code, signal) => {
        if (timer) clearInterval(timer);
        resolve({ code, signal, out, err });
      });
    });

  beforeAll(async () => {
    archive = await new TapReplayServer({ field, delayMs: 60 }).start();
    t = await createTestApp("pglite", { queue: true });
    alice = await t.user("alice");
  });
  afterAll(async () => {
    await t.close();
    await archive.close();
  });

  const tiles = tilesCoveringCap(RA, DEC, RADIUS, TILE);

  it("interrupted part way: the tiles done are kept, the region is not marked covered", async () => {
    const run = await fetchCli(8);
    expect(run.signal ?? String(run.code)).toMatch(/SIGINT|130/);
    const cones = await listCoveredCones(t.tdb.database.db);
    expect(cones.length).toBeGreaterThanOrEqual(5);
    expect(cones.length).toBeLessThan(tiles.length);
    expect(cones.every((c) => c.radiusDeg === TILE)).toBe(true);
  }, 60_000);

  it("resumed: only the missing tiles are asked; then the whole region is one covered cone", async () => {
    const done = (await listCoveredCones(t.tdb.database.db)).length;
    const asked = archive.requests.length;
    const run = await fetchCli();
    expect(run.code, run.err).toBe(0);
    const result = JSON.parse(run.out);
    expect(result).toMatchObject({ survey: "GaiaSP", tiles: tiles.length, alreadyCached: done });
    expect(archive.requests.length - asked).toBe(tiles.length - done);
    expect(run.err).toMatch(new RegExp(`GaiaSP: ${tiles.length}/${tiles.length} tiles`));
    const cones = await listCoveredCones(t.tdb.database.db);
    expect(cones.filter((c) => c.radiusDeg === RADIUS)).toHaveLength(1);
    // every star of the region is in the cache, once
    let inRegion = 0;
    for (let i = 0; i < field.reference.raDeg.length; i++) {
      if (angularSeparationDeg(RA, DEC, field.reference.raDeg[i], field.reference.decDeg[i]) <= RADIUS)
        inRegion++;
    }
    const [x, y, z] = unitVector(RA, DEC);
    const stored = await t.tdb.database.db.execute<{ n: number; d: number }>(sql`
      select count(*)::int as n, count(distinct source_id)::int as d from reference_stars
      where degrees(2 * asin(least(1.0, sqrt((cx - ${x})^2 + (cy - ${y})^2 + (cz - ${z})^2) / 2))) <= ${RADIUS}`);
    expect(stored.rows[0]).toEqual({ n: inRegion, d: inRegion });
    // and fetching again asks nothing
    const again = await fetchCli();
    expect(JSON.parse(again.out)).toMatchObject({ alreadyCached: 1, stars: 0 });
    expect(archive.requests.length - asked).toBe(tiles.length - done);
  }, 90_000);

  it("SKYTOM_OFFLINE=1: a catalogue and a FITS frame in the region calibrate within 3σ, nothing asked", async () => {
    const asked = archive.requests.length;
    await startWorkers(t.queue!, t.tdb.database, {
      concurrency: 1,
      logger: pino({ level: "silent" }),
      dataDir: t.tdb.dataDir,
      provider: new ArchiveProvider(t.tdb.database, { ...OFFLINE_ARCHIVES, gaiaTapUrl: archive.gaiaUrl }),
    });
    // a variable star 0.6° from the region's centre, clear of field stars
    let star: VariableStar | null = null;
    for (let k = 0; !star; k++) {
      const [ra, dec] = [RA + 0.5 + 0.003 * k, DEC - 0.3];
      const clear = !Array.from(field.raDeg).some(
        (r, i) => angularSeparationDeg(ra, dec, r, field.decDeg[i]) * 3600 < 15,
      );
      if (clear)
        star = {
          raDeg: ra,
          decDeg: dec,
          meanMag: 15.6,
          amplitudeMag: 0.25,
          periodDays: 0.4,
          epochMjd: 61000,
        };
    }
    await t.call(
      "POST",
      "/targets/createTarget/",
      { name: "Offline-1", ra: star.raDeg, dec: star.decDeg },
      alice.token,
    );
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "Remote", lon: 70, lat: -30 })
      .returning();
    await t.tdb.database.db.insert(cameras).values({
      observatoryId: obs.id,
      cameraName: "Cam",
      prefix: "Remote_Cam",
      activeFlg: true,
      pixelScale: DEMO_CAMERA.pixelScaleArcsec,
      gain: DEMO_CAMERA.gainEPerAdu,
      readoutNoise: DEMO_CAMERA.readNoiseE,
    });
    const night = planNight({
      star,
      targetName: "Offline-1",
      startMjd: 61300.2,
      frames: 1,
      catalogues: 1,
      seed: 3,
    });
    const ids: [number, number][] = [];
    for (const e of night) {
      const fits = e.kind === "fits";
      const { payload, contentType } = multipart(
        {
          target: "Offline-1",
          data_product_type: fits ? "fits_file" : "photometry",
          observatory: "Remote_Cam",
          filter: "GaiaSP/V",
          ...(fits ? {} : { mjd: e.midMjd.toFixed(6) }),
        },
        [
          {
            name: fits ? "o.fits" : "o.cat",
            content: Buffer.from(
              fits ? renderFrame(field, star, e, "Offline-1") : renderCatalogue(field, star, e),
            ),
          },
        ],
      );
      const res = await t.app.inject({
        method: "POST",
        url: "/upload/",
        headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
        payload,
      });
      expect(res.statusCode, res.body).toBe(201);
      ids.push([res.json().data[0].id, e.injectedMag]);
    }
    for (const [id, injected] of ids) {
      const until = Date.now() + 60_000;
      let dp = (await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id)))[0];
      while (dp.status !== "S" && dp.status !== "E" && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        dp = (await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id)))[0];
      }
      expect(dp.status, dp.statusMessage).toBe("S");
      const [cal] = await t.tdb.database.db
        .select()
        .from(calibrations)
        .where(eq(calibrations.dataProductId, id));
      expect(Math.abs((cal.mag as number) - injected)).toBeLessThan(3 * (cal.magError as number));
    }
    expect(archive.requests.length).toBe(asked);
  }, 90_000);
});
