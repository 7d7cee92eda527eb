/**
 * Survey harvests (issue 20): the Gaia Alerts light curve of a target named like an alert arrives after
 * its creation through a local replay server answering in the alerts site's format (the alert's name on
 * the first line, then `#Date JD(TCB) averagemag`, `untrusted` / `null` marks; the fixture follows the
 * format BHTOM's harvester and public scripts read from gsaweb.ast.cam.ac.uk); a second harvest adds
 * nothing; the network's own points are untouched; a failing source is reported and recorded.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reducedDatums, targets } from "../src/db/schema/index.ts";
import { makeHarvesters, OFFLINE_HARVESTS, type HarvestSettings } from "../src/harvesters/index.ts";
import { parseGaiaAlertsLightCurve } from "../src/harvesters/gaia-alerts.ts";
import { parseZtfLightCurves } from "../src/harvesters/ztf.ts";
import { harvestStates } from "../src/db/schema/index.ts";
import { startWorkers } from "../src/jobs/index.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { multipart } from "./helpers/multipart.ts";
import { webAs } from "./helpers/web-targets.ts";

const GAIA22BPL = readFileSync(
  new URL("./fixtures/harvest/gaia-alerts-Gaia22bpl-lightcurve.csv", import.meta.url),
  "utf8",
);

describe("Gaia Alerts lightcurve.csv (parser)", () => {
  it("skips the name line and the header; untrusted and null rows are counted, not read; JD → MJD", () => {
    const curve = parseGaiaAlertsLightCurve(GAIA22BPL);
    expect(curve).not.toBeNull();
    expect(curve?.skipped).toBe(2);
    expect(curve?.points.map((p) => [Number(p.mjd.toFixed(5)), p.mag])).toEqual([
      [59639.17538, 17.21],
      [59639.43135, 17.24],
      [59684.77083, 16.87],
      [59701.5, 16.42],
    ]);
  });

  it("reads the comma-separated header as well; an HTML page or another table is not a light curve", () => {
    const comma = parseGaiaAlertsLightCurve(
      "Gaia19abc\nDate,JD(TCB),averagemag\n2019-01-01 00:00:00,2458484.5,15.5\n",
    );
    expect(comma?.points).toEqual([{ mjd: 58484, mag: 15.5 }]);
    expect(parseGaiaAlertsLightCurve("<html><body>Not found</body></html>")).toBeNull();
    expect(parseGaiaAlertsLightCurve("Gaia19abc\n#Date JD(TCB) averagemag\nfoo,bar\n")).toBeNull();
  });
});

const ZTF_CSV = readFileSync(new URL("./fixtures/harvest/irsa-ztf-lightcurves.csv", import.meta.url), "utf8");

describe("IRSA ZTF light curves (parser)", () => {
  it("zg/zr/zi → g/r/i; catflags ≠ 0 skipped; each point keeps its oid", () => {
    const table = parseZtfLightCurves(ZTF_CSV);
    expect(table?.skipped).toBe(1);
    expect(table?.points.map((p) => [p.oid, p.mjd, p.mag, p.magErr, p.band])).toEqual([
      ["686103400067717", 58347.2154, 17.512, 0.021, "g"],
      ["686103400067717", 58348.2162, 17.498, 0.02, "g"],
      ["686203400045588", 58347.2513, 16.911, 0.015, "r"],
      ["686203400045588", 58348.2609, 16.902, 0.016, "r"],
      ["686303400012345", 58348.3063, 16.533, 0.028, "i"],
    ]);
    expect(parseZtfLightCurves("<html>error</html>")).toBeNull();
    expect(parseZtfLightCurves(ZTF_CSV.split("\n")[0] + "\n")).toEqual({ points: [], skipped: 0 });
  });
});

/**
 * A local stand-in for the Gaia alerts site (Gaia22bpl's file, HTTP 500 for Gaia21zzz, 404 otherwise) and
 * IRSA's ZTF service (the recorded table for any cone).
 */
async function replayServer(): Promise<{
  server: Server;
  url: string;
  irsa: string;
  gaia: string;
  requests: string[];
}> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if ((req.url ?? "").startsWith("/irsa/cgi-bin/ZTF/nph_light_curves?POS=CIRCLE+")) {
      res.writeHead(200, { "content-type": "text/csv" }).end(ZTF_CSV);
    } else if ((req.url ?? "").startsWith("/gaia/tap/sync?")) {
      // The Gaia archive's TAP: no Gaia DR3 source in any cone (harvest-gaia-dr3.test.ts has those).
      res.writeHead(200, { "content-type": "text/csv" }).end("source_id,has_epoch_photometry,dist\n");
    } else if (req.url === "/alerts/alert/Gaia22bpl/lightcurve.csv") {
      res.writeHead(200, { "content-type": "text/csv" }).end(GAIA22BPL);
    } else if (req.url === "/alerts/alert/Gaia21zzz/lightcurve.csv") {
      res.writeHead(500, { "content-type": "text/html" }).end("<h1>Internal Server Error</h1>");
    } else {
      res.writeHead(404, { "content-type": "text/html" }).end("<h1>Not Found</h1>");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url: `${base}/alerts`, irsa: `${base}/irsa`, gaia: `${base}/gaia`, requests };
}

describe.each(ENGINES)("harvests on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let replay: Awaited<ReturnType<typeof replayServer>>;
  let settings: HarvestSettings;

  beforeAll(async () => {
    replay = await replayServer();
    settings = {
      ...OFFLINE_HARVESTS,
      offline: false,
      gaiaAlertsUrl: replay.url,
      irsaUrl: replay.irsa,
      gaiaTapUrl: `${replay.gaia}/tap`,
      gaiaDatalinkUrl: `${replay.gaia}/data-server/data`,
      retries: 1,
      retryWaitMs: 0,
      minIntervalMs: 0,
    };
    t = await createTestApp(engine, { queue: true, harvesters: makeHarvesters(settings) });
    alice = await t.user("alice");
  });
  afterAll(async () => {
    await t.close();
    await new Promise((r) => replay.server.close(r));
  });

  const pointsOf = async (name: string) => {
    const [row] = await t.tdb.database.db.select().from(targets).where(eq(targets.name, name));
    return t.tdb.database.db.select().from(reducedDatums).where(eq(reducedDatums.targetId, row.id));
  };
  const harvest = (body: unknown) => t.call("POST", "/targets/harvest/", body, alice.token);

  it("a target named like a Gaia alert gets its G light curve after creation; the network's points stay; again → nothing added", async () => {
    const workers = await startWorkers(t.queue!, t.tdb.database, {
      concurrency: 1,
      logger: pino({ level: "silent" }),
      dataDir: t.tdb.dataDir,
      harvesters: makeHarvesters(settings),
    });
    try {
      const created = await t.call(
        "POST",
        "/targets/createTarget/",
        { name: "Gaia22bpl", ra: 266.4, dec: -29.0 },
        alice.token,
      );
      expect(created.statusCode).toBe(201);
      // The network's own point, uploaded while the harvest may run.
      const { payload, contentType } = multipart(
        { target: "Gaia22bpl", data_product_type: "photometry_csv", observatory: "GOTO" },
        [{ name: "own.csv", content: "time,filter,magnitude,error\n59639.17538,G,17.3,0.05\n" }],
      );
      const up = await t.app.inject({
        method: "POST",
        url: "/upload/",
        headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
        payload,
      });
      expect(up.statusCode).toBe(201);
      const deadline = Date.now() + 60_000;
      let harvested: Awaited<ReturnType<typeof pointsOf>> = [];
      // The job is done when the three sources (Gaia Alerts by name, ZTF and Gaia DR3 by position) have
      // a harvest state.
      while (Date.now() < deadline) {
        const states = await t.tdb.database.db.select().from(harvestStates);
        if (states.filter((s) => s.lastSuccess !== null).length === 3) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      harvested = (await pointsOf("Gaia22bpl")).filter((p) => p.facility === "GaiaAlerts");
      // Errors from BHTOM2's model (gaia-alerts.ts gaiaAlertsError): 10^(0.26 G − 6.26) from G = 17,
      // 10^(0.2 G − 5.2) below.
      expect(
        harvested
          .map((p) => [
            Number(p.mjd.toFixed(5)),
            p.value,
            Number(p.error.toFixed(5)),
            p.filter,
            p.sourceName,
            p.valueUnit,
          ])
          .sort(),
      ).toEqual(
        [
          [59639.17538, 17.21, 0.01639, "G(GaiaAlerts)", "Gaia22bpl", "MAG"],
          [59639.43135, 17.24, 0.01669, "G(GaiaAlerts)", "Gaia22bpl", "MAG"],
          [59684.77083, 16.87, 0.01493, "G(GaiaAlerts)", "Gaia22bpl", "MAG"],
          [59701.5, 16.42, 0.01213, "G(GaiaAlerts)", "Gaia22bpl", "MAG"],
        ].sort(),
      );
      expect(harvested[0].sourceLocation).toBe(`${replay.url}/alert/Gaia22bpl/lightcurve.csv`);
    } finally {
      await workers.stop();
    }
    const before = await pointsOf("Gaia22bpl");
    expect(before.filter((p) => p.facility === "GOTO").map((p) => [p.value, p.filter])).toEqual([
      [17.3, "G"],
    ]);

    // Points harvested before the error model (stored with error 0) get it at the next harvest.
    await t.tdb.database.db
      .update(reducedDatums)
      .set({ error: 0 })
      .where(eq(reducedDatums.facility, "GaiaAlerts"));
    const again = await harvest({ name: "Gaia22bpl", sources: ["GaiaAlerts"] });
    expect(again.statusCode).toBe(200);
    expect(again.json().results).toEqual([
      {
        source: "GaiaAlerts",
        status: "ok",
        object_id: "Gaia22bpl",
        returned: 4,
        added: 0,
        message: "4 points, 0 new; 2 unusable rows skipped",
      },
    ]);
    expect(again.json().states).toMatchObject([
      { source: "GaiaAlerts", object_id: "Gaia22bpl", last_error: null, points_added: 0, points_returned: 4 },
      { source: "GaiaDR3", object_id: "", last_error: null, points_returned: 0 },
      {
        source: "ZTF",
        object_id: "686103400067717 686203400045588 686303400012345",
        last_error: null,
        points_returned: 5,
      },
    ]);
    const after = await pointsOf("Gaia22bpl");
    expect(after.map((p) => p.id).sort()).toEqual(before.map((p) => p.id).sort());
    expect(
      after
        .filter((p) => p.facility === "GaiaAlerts")
        .map((p) => Number(p.error.toFixed(5)))
        .sort(),
    ).toEqual([0.01213, 0.01493, 0.01639, 0.01669]);
    // The light curve (get-plots) shows the survey's band beside the network's.
    const plots = (
      await t.call("POST", "/targets/get-plots/", { targetNames: ["Gaia22bpl"] }, alice.token)
    ).json();
    expect(plots.Plots.Gaia22bpl.data.map((d: { name: string }) => d.name)).toEqual([
      "G",
      "G(GaiaAlerts)",
      "g(ZTF)",
      "i(ZTF)",
      "r(ZTF)",
    ]);
    // ZTF by position: each point with its own oid, the flagged point left out.
    const ztf = after.filter((p) => p.facility === "ZTF");
    expect(ztf.map((p) => [p.sourceName, p.filter, p.value]).sort()).toEqual(
      [
        ["686103400067717", "g(ZTF)", 17.512],
        ["686103400067717", "g(ZTF)", 17.498],
        ["686203400045588", "r(ZTF)", 16.911],
        ["686203400045588", "r(ZTF)", 16.902],
        ["686303400012345", "i(ZTF)", 16.533],
      ].sort(),
    );
    const ztfAgain = await harvest({ name: "Gaia22bpl", sources: ["ZTF"] });
    expect(ztfAgain.json().results).toMatchObject([{ source: "ZTF", status: "ok", returned: 5, added: 0 }]);
  });

  it("an alias like a Gaia alert is enough; a failing source is reported and recorded, and fails nothing", async () => {
    expect(
      (await t.call("POST", "/targets/createTarget/", { name: "SomeStar", ra: 100, dec: 10 }, alice.token))
        .statusCode,
    ).toBe(201);
    const alias = await t.call(
      "POST",
      "/api/targets/SomeStar/aliases/",
      { source_name: "GAIA_ALERTS", name: "Gaia21zzz" },
      alice.token,
    );
    expect(alias.statusCode, alias.body).toBe(201);
    const res = await harvest({ name: "SomeStar", sources: ["GaiaAlerts"] });
    expect(res.statusCode).toBe(200);
    const [result] = res.json().results;
    expect(result).toMatchObject({ source: "GaiaAlerts", status: "error", object_id: "Gaia21zzz", added: 0 });
    expect(result.message).toMatch(/\/alert\/Gaia21zzz\/lightcurve\.csv: HTTP 500 \(after 2 attempts\)/);
    const states = (await t.call("GET", "/api/targets/SomeStar/harvests/", undefined, alice.token)).json();
    expect(states).toMatchObject([{ source: "GaiaAlerts", last_success: null, last_error: result.message }]);
    expect(await pointsOf("SomeStar")).toEqual([]);
  });

  it("a source that does not apply is skipped; unknown sources → 400; unknown target → 404", async () => {
    expect(
      (await t.call("POST", "/targets/createTarget/", { name: "PlainStar", ra: 200, dec: 20 }, alice.token))
        .statusCode,
    ).toBe(201);
    const res = await harvest({ name: "PlainStar", sources: ["GaiaAlerts"] });
    expect(res.json().results).toEqual([
      {
        source: "GaiaAlerts",
        status: "skipped",
        object_id: null,
        returned: 0,
        added: 0,
        message: "does not apply to PlainStar",
      },
    ]);
    const bad = await harvest({ name: "PlainStar", sources: ["Nope"] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toBe("sources: unknown source(s) Nope; known: GaiaAlerts, ZTF, GaiaDR3");
    const missing = await harvest({ name: "NoSuchTarget" });
    expect(missing.statusCode).toBe(404);
    expect((await t.call("POST", "/targets/harvest/", { name: "PlainStar" })).statusCode).toBe(401);
  });

  it("the target page lists the last harvest per source and its button harvests now", async () => {
    const web = await webAs(t, alice);
    const page = await web.get("/targets/SomeStar/");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Survey data");
    expect(page.body).toContain("Gaia DR3 epoch photometry (GaiaDR3)");
    expect(page.body).toMatch(/Gaia21zzz[\s\S]*HTTP 500/);
    const res = await web.post("/targets/Gaia22bpl/harvest/", {});
    expect(res.statusCode).toBe(303);
    const after = await web.get("/targets/Gaia22bpl/");
    expect(after.body).toMatch(/GaiaAlerts: 4 points, 0 new/);
    // Who observed: one row per facility and observer, most points first.
    const table = /id="sources"[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(after.body)?.[1] ?? "";
    const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) =>
      [...m[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)]
        .map((c) => c[1].replace(/<[^>]+>/g, "").trim())
        .slice(0, 4),
    );
    expect(rows).toEqual([
      ["ZTF", "—", "5", "g(ZTF), i(ZTF), r(ZTF)"],
      ["GaiaAlerts", "—", "4", "G(GaiaAlerts)"],
      ["GOTO", "alice", "1", "G"],
    ]);
    // On the light curve each facility has its marker shape.
    const island = /id="lightcurve-data">([\s\S]*?)<\/script>/.exec(after.body)?.[1] ?? "{}";
    const traces = (JSON.parse(island) as { data: { name: string; marker: { symbol: string | string[] } }[] })
      .data;
    const symbols = Object.fromEntries(traces.map((tr) => [tr.name, tr.marker.symbol]));
    expect(symbols["G"]).toEqual(["circle"]);
    expect(symbols["G(GaiaAlerts)"]).toEqual(["square", "square", "square", "square"]);
    expect(symbols["g(ZTF)"]).toEqual(["diamond", "diamond"]);
  });
});

describe("offline", () => {
  it("SKYTOM_OFFLINE: no source is asked", async () => {
    const t = await createTestApp("pglite");
    try {
      const alice = await t.user("alice");
      await t.call("POST", "/targets/createTarget/", { name: "Gaia22bpl", ra: 266.4, dec: -29 }, alice.token);
      const res = await t.call("POST", "/targets/harvest/", { name: "Gaia22bpl" }, alice.token);
      expect(res.json().results).toMatchObject([
        { source: "GaiaAlerts", status: "skipped", message: "offline (SKYTOM_OFFLINE=1): not asked" },
        { source: "ZTF", status: "skipped", message: "offline (SKYTOM_OFFLINE=1): not asked" },
        { source: "GaiaDR3", status: "skipped", message: "offline (SKYTOM_OFFLINE=1): not asked" },
      ]);
      const rows = await t.tdb.database.db
        .select()
        .from(reducedDatums)
        .where(and(eq(reducedDatums.facility, "GaiaAlerts")));
      expect(rows).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
