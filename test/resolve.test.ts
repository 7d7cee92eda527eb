/**
 * Name resolution (issue 20): createTarget with a name and no coordinates asks CDS Sesame (and the Gaia
 * Alerts index for Gaia.. names) through a local replay server answering in their real formats
 * (test/fixtures/README.md); identifiers become aliases; unknown names are 400; answers are cached;
 * ra/dec given → nothing is asked.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHarvesters, OFFLINE_HARVESTS } from "../src/harvesters/index.ts";
import { parseGaiaAlertsIndex } from "../src/harvesters/gaia-alerts.ts";
import { parseSesame } from "../src/harvesters/sesame.ts";
import { aliasesFromIdentifiers } from "../src/domain/targets/resolve.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/harvest/${name}`, import.meta.url), "utf8");
const SESAME_IXF = fixture("sesame-SN2023ixf.txt");
const SESAME_NOTHING = fixture("sesame-nothing.txt");
const ALERTS_INDEX = fixture("gaia-alerts-index.csv");

describe("resolver answers (parsers)", () => {
  it("Sesame: the first database's position and identifiers; nothing found → null", () => {
    expect(parseSesame(SESAME_IXF)).toEqual({
      raDeg: 210.910674,
      decDeg: 54.311656,
      identifiers: [
        "SN 2023ixf",
        "AT 2023ixf",
        "ZTF23aaklqou",
        "ATLAS23npq",
        "Gaia23bvl",
        "Gaia DR3 1718403722048227328",
      ],
    });
    expect(parseSesame(SESAME_NOTHING)).toBeNull();
  });

  it("Gaia alerts index: by name in any case, with the TNS name; a quoted comment with commas is one field", () => {
    expect(parseGaiaAlertsIndex(ALERTS_INDEX, "gaia22BPM")).toEqual({
      raDeg: 101.5,
      decDeg: -12.25,
      identifiers: ["Gaia22bpm", "AT2022fga"],
    });
    expect(parseGaiaAlertsIndex(ALERTS_INDEX, "Gaia21zzz")?.identifiers).toEqual(["Gaia21zzz"]);
    expect(parseGaiaAlertsIndex(ALERTS_INDEX, "Gaia99aaa")).toBeNull();
    expect(() => parseGaiaAlertsIndex("<html></html>", "Gaia22bpl")).toThrow(/not the Gaia alerts index/);
  });

  it("identifiers → one alias per source, the target's own name left out", () => {
    expect(aliasesFromIdentifiers("SN 2023ixf", parseSesame(SESAME_IXF)?.identifiers ?? [])).toEqual([
      { sourceName: "TNS", name: "2023ixf" },
      { sourceName: "ZTF", name: "ZTF23aaklqou" },
      { sourceName: "ATLAS", name: "ATLAS23npq" },
      { sourceName: "GAIA_ALERTS", name: "Gaia23bvl" },
      { sourceName: "GAIA_DR3", name: "1718403722048227328" },
    ]);
  });
});

async function replayServer() {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "";
    requests.push(url);
    if (url === "/sesame/-oI/A?SN%202023ixf")
      res.writeHead(200, { "content-type": "text/plain" }).end(SESAME_IXF);
    else if (url.startsWith("/sesame/-oI/A?Down")) res.writeHead(503).end("busy");
    else if (url.startsWith("/sesame/-oI/A?"))
      res.writeHead(200, { "content-type": "text/plain" }).end(SESAME_NOTHING);
    else if (url === "/alerts/alerts.csv")
      res.writeHead(200, { "content-type": "text/csv" }).end(ALERTS_INDEX);
    else res.writeHead(404).end("not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, base, requests };
}

describe.each(ENGINES)("createTarget by name on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let replay: Awaited<ReturnType<typeof replayServer>>;

  beforeAll(async () => {
    replay = await replayServer();
    const harvesters = makeHarvesters({
      ...OFFLINE_HARVESTS,
      offline: false,
      sesameUrl: `${replay.base}/sesame`,
      gaiaAlertsUrl: `${replay.base}/alerts`,
      // Nothing is harvested here; should it be, the archive is the replay (404), never the internet.
      irsaUrl: `${replay.base}/irsa`,
      gaiaTapUrl: `${replay.base}/tap`,
      gaiaDatalinkUrl: `${replay.base}/data-server/data`,
      retries: 0,
      minIntervalMs: 0,
    });
    t = await createTestApp(engine, { harvesters });
    alice = await t.user("alice");
  });
  afterAll(async () => {
    await t.close();
    await new Promise((r) => replay.server.close(r));
  });
  const create = (body: unknown) => t.call("POST", "/targets/createTarget/", body, alice.token);

  it("a name only → Sesame's position, the other identifiers as aliases; a second ask comes from the cache", async () => {
    const res = await create({ name: "SN 2023ixf" });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ name: "SN 2023ixf", ra: 210.910674, dec: 54.311656 });
    const aliases = (await t.call("GET", "/api/targets/SN 2023ixf/aliases/", undefined, alice.token)).json();
    expect(aliases.map((a: { source_name: string; name: string }) => [a.source_name, a.name]).sort()).toEqual(
      [
        ["ATLAS", "ATLAS23npq"],
        ["GAIA_ALERTS", "Gaia23bvl"],
        ["GAIA_DR3", "1718403722048227328"],
        ["TNS", "2023ixf"],
        ["ZTF", "ZTF23aaklqou"],
      ].sort(),
    );
    const asked = replay.requests.filter((r) => r.includes("2023ixf")).length;
    expect(asked).toBe(1);
    // Deleted and created again: the cached answer, Sesame not asked again.
    expect(
      (await t.call("DELETE", "/targets/deleteTarget/", { name: "SN 2023ixf" }, alice.token)).statusCode,
    ).toBe(200);
    expect((await create({ name: "sn  2023IXF" })).json()).toMatchObject({ ra: 210.910674, dec: 54.311656 });
    expect(replay.requests.filter((r) => r.includes("2023ixf")).length).toBe(1);
  });

  it("a Gaia alert name → the Gaia Alerts index first (Sesame not asked)", async () => {
    const before = replay.requests.length;
    const res = await create({ name: "Gaia22bpm" });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ ra: 101.5, dec: -12.25 });
    expect(replay.requests.slice(before)).toEqual(["/alerts/alerts.csv"]);
    const aliases = (await t.call("GET", "/api/targets/Gaia22bpm/aliases/", undefined, alice.token)).json();
    expect(aliases.map((a: { source_name: string; name: string }) => [a.source_name, a.name])).toEqual([
      ["TNS", "2022fga"],
    ]);
  });

  it("unknown name → 400 on name, nothing created; a resolver that cannot answer → 503", async () => {
    const res = await create({ name: "NoSuchThing42" });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json())).toEqual(["name"]);
    expect(res.json().name[0]).toBe(
      'No coordinates given and CDS Sesame (SIMBAD, NED, VizieR) knows the name "NoSuchThing42": give ra and dec.',
    );
    const list = (
      await t.call("POST", "/targets/getTargetList/", { name: "NoSuchThing42" }, alice.token)
    ).json();
    expect(list.data).toEqual([]);
    const down = await create({ name: "Down1" });
    expect(down.statusCode).toBe(503);
    expect(down.json().detail).toMatch(/could not be asked .*HTTP 503.*give ra and dec, or try again later/);
  });

  it("ra and dec given → nothing is asked", async () => {
    const before = replay.requests.length;
    const res = await create({ name: "Gaia22bpl", ra: 266.41683, dec: -29.00783 });
    expect(res.statusCode).toBe(201);
    expect(replay.requests.length).toBe(before);
  });
});
