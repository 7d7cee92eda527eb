/**
 * Gaia DR3 epoch photometry through the Gaia archive (issue 20), the daily refresh path of harvests and
 * the per-source rate limit across a process's job workers, against a local replay of the archive:
 *
 * - TAP (`{tap}/sync`, FORMAT=csv): the cone's answer has the columns asked (`source_id,
 *   has_epoch_photometry, dist`), as the Gaia TAP writes CSV (header line, one line per row);
 * - DataLink (`/data-server/data?RETRIEVAL_TYPE=EPOCH_PHOTOMETRY&ID=Gaia DR3 <id>&…&FORMAT=csv`): a ZIP
 *   holding `EPOCH_PHOTOMETRY-Gaia DR3 <id>.csv` (the file name public DataLink clients open after
 *   unpacking; astroquery's test data for `load_data` are such ZIPs). The CSV
 *   (fixtures/harvest/gaia-dr3-epoch-photometry.csv) has the archive's current one-row-per-transit
 *   header, as AAVSO VStar's GaiaObSourceBase documents it and public parsers quote real rows of it
 *   (empty cells for a band the transit has no measure in, `true`/`false` flags); the values are made up.
 *   The older one-row-per-band layout (Gaia DR2, DR3 before December 2024: `source_id, transit_id, band,
 *   time, mag, flux, flux_error, flux_over_error, rejected_by_photometry, rejected_by_variability,
 *   other_flags, solution_id`) is read too.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harvestStates, reducedDatums, targets } from "../src/db/schema/index.ts";
import { gaiaAlertsError } from "../src/harvesters/gaia-alerts.ts";
import { parseGaiaEpochPhotometry } from "../src/harvesters/gaia-dr3-epochs.ts";
import { makeHarvesters, OFFLINE_HARVESTS, type HarvestSettings } from "../src/harvesters/index.ts";
import { readZip } from "../src/harvesters/zip.ts";
import { JOBS, startWorkers } from "../src/jobs/index.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { makeZip } from "./helpers/zip.ts";

const EPOCHS = readFileSync(
  new URL("./fixtures/harvest/gaia-dr3-epoch-photometry.csv", import.meta.url),
  "utf8",
);
const SOURCE_ID = "4111834567779557376";
const MAG_PER_FLUX = 2.5 / Math.LN10;

describe("Gaia DR3 epoch photometry (parser)", () => {
  it("one row per transit: G, BP, RP; rejected and empty measures left out; time + 55197 = MJD", () => {
    const file = parseGaiaEpochPhotometry(EPOCHS);
    expect(file?.sourceId).toBe(SOURCE_ID);
    // Row 3 is rejected by photometry (3 measures), row 4's G by variability, row 5's RP has no magnitude.
    expect(file?.skipped).toBe(5);
    const round = (x: number) => Number(x.toFixed(7));
    expect(file?.epochs.map((e) => [e.band, round(e.mjd), e.mag, round(e.magErr)])).toEqual([
      ["G", 56909.4503219, 15.231883, round(MAG_PER_FLUX / 805)],
      ["BP", 56909.4506011, 15.7412201, round(MAG_PER_FLUX / 174.8)],
      ["RP", 56909.4506902, 14.660331, round(MAG_PER_FLUX / 339.9)],
      ["G", 57002.1107733, 15.2499712, round(MAG_PER_FLUX / 730.7)],
      ["BP", 57147.0015, 15.7509, round(MAG_PER_FLUX / 168.7)],
      ["RP", 57147.0016, 14.665, round(MAG_PER_FLUX / 328.3)],
      ["BP", 57198.5003, 15.74, round(MAG_PER_FLUX / 167.1)],
    ]);
  });

  it("one row per band (DR2, DR3 before 2025) is read as well; other tables are not epoch photometry", () => {
    const long =
      "source_id,transit_id,band,time,mag,flux,flux_error,flux_over_error,rejected_by_photometry,rejected_by_variability,other_flags,solution_id\n" +
      "4111834567779557376,1,G,1712.5,15.2,15000,20,750,false,false,1,375316653866487564\n" +
      "4111834567779557376,1,BP,1712.5001,15.7,7000,35,200,false,true,0,375316653866487564\n" +
      "4111834567779557376,1,RP,1712.5002,,11900,,,false,false,0,375316653866487564\n" +
      "4111834567779557376,2,RP,1800.25,14.6,11900,34,,false,false,0,375316653866487564\n";
    const file = parseGaiaEpochPhotometry(long);
    expect(file?.skipped).toBe(2);
    expect(file?.epochs).toEqual([
      { band: "G", mjd: 56909.5, mag: 15.2, magErr: MAG_PER_FLUX / 750 },
      // No flux_over_error: the error from flux_error / flux.
      { band: "RP", mjd: 56997.25, mag: 14.6, magErr: (MAG_PER_FLUX * 34) / 11900 },
    ]);
    expect(
      parseGaiaEpochPhotometry("<VOTABLE><INFO name='QUERY_STATUS' value='ERROR'/></VOTABLE>"),
    ).toBeNull();
    expect(parseGaiaEpochPhotometry("source_id,ra,dec\n1,2,3\n")).toBeNull();
  });

  it("the replay's ZIP is read back file by file, CRC checked", () => {
    const name = `EPOCH_PHOTOMETRY-Gaia DR3 ${SOURCE_ID}.csv`;
    const zip = makeZip([{ name, content: EPOCHS }]);
    expect(readZip(zip).map((f) => [f.name, f.data.toString("utf8")])).toEqual([[name, EPOCHS]]);
    expect(readZip(makeZip([{ name, content: EPOCHS }], false))[0].data.toString("utf8")).toBe(EPOCHS);
    const broken = Buffer.from(zip);
    broken[30 + name.length + 5] ^= 0xff; // inside the deflated data
    expect(() => readZip(broken)).toThrow(/corrupt|invalid|incorrect/i);
  });
});

describe("Gaia Alerts errors (BHTOM2's model)", () => {
  it("log10 σ = 0.2 G − 5.2 to G = 17, then 0.26 G − 6.26; flat brighter than 13.5; never 1 mag at the bounds", () => {
    expect(gaiaAlertsError(12)).toBeCloseTo(10 ** -2.5, 10);
    expect(gaiaAlertsError(13.5)).toBeCloseTo(10 ** -2.5, 10);
    expect(gaiaAlertsError(16)).toBeCloseTo(10 ** -2, 10);
    expect(gaiaAlertsError(17)).toBeCloseTo(10 ** -1.84, 10);
    expect(gaiaAlertsError(20)).toBeCloseTo(10 ** -1.06, 10);
  });
});

interface Replay {
  server: Server;
  base: string;
  /** The Gaia archive's requests (TAP and DataLink), in order of arrival. */
  requests: { path: string; at: number }[];
  /** Most requests the Gaia archive had open at once. */
  maxInFlight: number;
}

/** The Gaia archive's TAP and DataLink services; each answer waits `delayMs` (to expose overlaps). */
async function replayServer(delayMs: number): Promise<Replay> {
  const replay: Replay = { server: null as unknown as Server, base: "", requests: [], maxInFlight: 0 };
  let open = 0;
  const zip = makeZip([{ name: `EPOCH_PHOTOMETRY-Gaia DR3 ${SOURCE_ID}.csv`, content: EPOCHS }]);
  replay.server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://replay");
    // The other sources (Gaia Alerts, ZTF) are pointed at /none: not the archive, not counted.
    if (url.pathname.startsWith("/none/")) return void res.writeHead(404).end("Not Found");
    replay.requests.push({ path: req.url ?? "", at: Date.now() });
    open++;
    replay.maxInFlight = Math.max(replay.maxInFlight, open);
    const answer = (status: number, type: string, body: string | Buffer) =>
      setTimeout(() => {
        open--;
        res.writeHead(status, { "content-type": type }).end(body);
      }, delayMs);
    if (url.pathname === "/tap/sync") {
      const query = url.searchParams.get("QUERY") ?? "";
      const header = "source_id,has_epoch_photometry,dist\n";
      if (query.includes("POINT('ICRS', 100.0000000, 10.0000000)"))
        return answer(
          200,
          "text/csv",
          `${header}${SOURCE_ID},true,1.1E-5\n4111834567779550000,false,2.5E-4\n`,
        );
      if (query.includes("POINT('ICRS', 120.0000000, 20.0000000)"))
        return answer(200, "text/csv", `${header}4111834567779551111,false,3.0E-5\n`);
      return answer(200, "text/csv", header);
    }
    if (url.pathname === "/data-server/data") {
      const ok =
        url.searchParams.get("RETRIEVAL_TYPE") === "EPOCH_PHOTOMETRY" &&
        url.searchParams.get("RELEASE") === "Gaia DR3" &&
        url.searchParams.get("DATA_STRUCTURE") === "INDIVIDUAL" &&
        url.searchParams.get("FORMAT") === "csv";
      if (ok && url.searchParams.get("ID") === `Gaia DR3 ${SOURCE_ID}`)
        return answer(200, "application/zip", zip);
    }
    answer(404, "text/html", "<h1>Not Found</h1>");
  });
  await new Promise<void>((r) => replay.server.listen(0, "127.0.0.1", r));
  replay.base = `http://127.0.0.1:${(replay.server.address() as AddressInfo).port}`;
  return replay;
}

describe.each(ENGINES)("Gaia DR3 harvests on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let replay: Replay;
  let settings: HarvestSettings;
  const INTERVAL_MS = 60;

  beforeAll(async () => {
    replay = await replayServer(10);
    settings = {
      ...OFFLINE_HARVESTS,
      offline: false,
      // Only the Gaia archive is replayed here; the other sources' URLs lead nowhere.
      gaiaAlertsUrl: `${replay.base}/none`,
      irsaUrl: `${replay.base}/none`,
      gaiaTapUrl: `${replay.base}/tap`,
      gaiaDatalinkUrl: `${replay.base}/data-server/data`,
      retries: 0,
      retryWaitMs: 0,
      minIntervalMs: INTERVAL_MS,
    };
    t = await createTestApp(engine, { queue: true, harvesters: makeHarvesters(settings) });
    alice = await t.user("alice");
  });
  afterAll(async () => {
    await t.close();
    await new Promise((r) => replay.server.close(r));
  });

  const idOf = async (name: string) =>
    (await t.tdb.database.db.select().from(targets).where(eq(targets.name, name)))[0].id;
  const gaiaPoints = async (name: string) =>
    t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(and(eq(reducedDatums.targetId, await idOf(name)), eq(reducedDatums.facility, "GaiaDR3")));
  const dr3States = async () =>
    (await t.tdb.database.db.select().from(harvestStates)).filter((s) => s.source === "GaiaDR3");
  /** Until every target has a GaiaDR3 state attempted after `since` (the job ran for it). */
  const waitForStates = async (n: number, since: Date) => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const done = (await dr3States()).filter((s) => s.lastAttempt > since);
      if (done.length >= n) return done;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the harvests did not run");
  };

  it("on creation, with three job workers: by position (cone, then DataLink) and by alias; one request at a time", async () => {
    const workers = await startWorkers(t.queue!, t.tdb.database, {
      concurrency: 3,
      logger: pino({ level: "silent" }),
      dataDir: t.tdb.dataDir,
      harvesters: makeHarvesters(settings),
    });
    const since = new Date(Date.now() - 1);
    try {
      for (const [name, ra, dec] of [
        ["DR3Star", 100, 10],
        ["QuietStar", 120, 20],
        ["EmptySky", 140, -40],
      ] as const) {
        const res = await t.call("POST", "/targets/createTarget/", { name, ra, dec }, alice.token);
        expect(res.statusCode, res.body).toBe(201);
      }
      await waitForStates(3, since);
    } finally {
      await workers.stop();
    }
    const points = await gaiaPoints("DR3Star");
    expect(points.map((p) => [p.filter, p.sourceName, p.valueUnit]).sort()).toEqual(
      [
        ...Array(2).fill(["G(GaiaDR3)", SOURCE_ID, "MAG"]),
        ...Array(3).fill(["BP(GaiaDR3)", SOURCE_ID, "MAG"]),
        ...Array(2).fill(["RP(GaiaDR3)", SOURCE_ID, "MAG"]),
      ].sort(),
    );
    const g = points.find((p) => p.filter === "G(GaiaDR3)" && p.value === 15.231883);
    expect(g?.mjd).toBeCloseTo(56909.4503218842, 8);
    expect(g?.error).toBeCloseTo(MAG_PER_FLUX / 805, 10);
    expect(g?.sourceLocation).toContain("/data-server/data?RETRIEVAL_TYPE=EPOCH_PHOTOMETRY&ID=Gaia+DR3+");
    const states = Object.fromEntries((await dr3States()).map((s) => [s.targetId, s]));
    expect(states[await idOf("DR3Star")]).toMatchObject({
      objectId: SOURCE_ID,
      lastError: null,
      pointsAdded: 7,
    });
    expect(states[await idOf("QuietStar")]).toMatchObject({ lastError: null, pointsReturned: 0 });
    expect(states[await idOf("EmptySky")]).toMatchObject({
      objectId: "",
      lastError: null,
      pointsReturned: 0,
    });
    // The source without epoch photometry and the empty cone ask TAP only.
    expect(replay.requests.filter((r) => r.path.startsWith("/data-server/")).length).toBe(1);
    // Three workers harvested at once, but the archive saw one request at a time, INTERVAL_MS apart on
    // average (sends are spaced by the fetcher; one arrival can be late on a busy machine and the next on
    // time, so the span is checked, with one interval of slack; without the limit they would be ~10 ms apart).
    expect(replay.maxInFlight).toBe(1);
    const at = replay.requests.map((r) => r.at);
    expect(at.length).toBeGreaterThan(2);
    expect(at[at.length - 1] - at[0]).toBeGreaterThanOrEqual((at.length - 2) * INTERVAL_MS);

    // A "Gaia DR3 <id>" alias names the source: no cone query.
    const created = await t.call(
      "POST",
      "/targets/createTarget/",
      { name: "AliasStar", ra: 150, dec: 15 },
      alice.token,
    );
    expect(created.statusCode).toBe(201);
    const alias = await t.call(
      "POST",
      "/api/targets/AliasStar/aliases/",
      { source_name: "GAIA_DR3", name: `Gaia DR3 ${SOURCE_ID}` },
      alice.token,
    );
    expect(alias.statusCode, alias.body).toBe(201);
    const before = replay.requests.length;
    const res = await t.call(
      "POST",
      "/targets/harvest/",
      { name: "AliasStar", sources: ["GaiaDR3"] },
      alice.token,
    );
    expect(res.json().results).toEqual([
      {
        source: "GaiaDR3",
        status: "ok",
        object_id: SOURCE_ID,
        returned: 7,
        added: 7,
        message: "7 points, 7 new; 5 unusable rows skipped",
      },
    ]);
    expect(replay.requests.slice(before).map((r) => r.path.split("?")[0])).toEqual(["/data-server/data"]);
    const quiet = await t.call(
      "POST",
      "/targets/harvest/",
      { name: "QuietStar", sources: ["GaiaDR3"] },
      alice.token,
    );
    expect(quiet.json().results[0].message).toBe(
      "0 points, 0 new (Gaia DR3 4111834567779551111 has no epoch photometry)",
    );
  });

  it("the daily refresh queues a harvest of every target; run again, it adds nothing", async () => {
    const workers = await startWorkers(t.queue!, t.tdb.database, {
      concurrency: 2,
      logger: pino({ level: "silent" }),
      dataDir: t.tdb.dataDir,
      harvesters: makeHarvesters(settings),
    });
    try {
      // Take DR3Star's Gaia points away: the refresh must bring them back.
      await t.tdb.database.db.delete(reducedDatums).where(eq(reducedDatums.targetId, await idOf("DR3Star")));
      const first = new Date(Date.now() - 1);
      await t.queue!.send(JOBS.refreshTargets, {});
      const states = await waitForStates(4, first);
      expect(states.map((s) => s.lastError)).toEqual([null, null, null, null]);
      const points = await gaiaPoints("DR3Star");
      expect(points.length).toBe(7);

      const second = new Date(Date.now() - 1);
      await t.queue!.send(JOBS.refreshTargets, {});
      const again = await waitForStates(4, second);
      expect(again.map((s) => s.pointsAdded)).toEqual([0, 0, 0, 0]);
      expect((await gaiaPoints("DR3Star")).map((p) => p.id).sort()).toEqual(points.map((p) => p.id).sort());
    } finally {
      await workers.stop();
    }
  });
});
