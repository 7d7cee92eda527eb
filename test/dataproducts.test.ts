/** common/api/data, deleteDataProduct, changeObservers, downloadPhotometryFile. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calibrations, cameras, observatories, reducedDatums } from "../src/db/schema/index.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { multipart, type FilePart } from "./helpers/multipart.ts";

const CATALOGUE =
  "#   1 NUMBER\n#   2 ALPHA_J2000\n#   3 DELTA_J2000\n#   4 MAG_AUTO\n#   5 MAGERR_AUTO\n 1 150.0 2.0 13.4 0.01\n";

describe.each(ENGINES)("data products on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let staff: TestUser;
  let csvId: number;
  let catId: number;

  const upload = async (fields: Record<string, string>, files: FilePart[], who: TestUser) => {
    const { payload, contentType } = multipart(fields, files);
    const res = await t.app.inject({
      method: "POST",
      url: "/upload/",
      headers: { "content-type": contentType, authorization: `Token ${who.token}` },
      payload,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().data[0].id as number;
  };
  const data = async (body: Record<string, unknown>, who: TestUser = bob) => {
    const res = await t.call("POST", "/common/api/data/", body, who.token);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true });
    alice = await t.user("alice");
    bob = await t.user("bob");
    carol = await t.user("carol");
    staff = await t.user("staffer", { staff: true });
    await t.call("POST", "/targets/createTarget/", { name: "Gaia19eyy", ra: 100, dec: 10 }, alice.token);
    await t.call("POST", "/targets/createTarget/", { name: "Other", ra: 200, dec: 10 }, alice.token);
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "ROAD", lon: 1, lat: 1 })
      .returning();
    await t.tdb.database.db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "CAM", prefix: "ROAD_CAM", activeFlg: true });
    csvId = await upload(
      { target: "Gaia19eyy", data_product_type: "photometry_csv", observatory: "GOTO" },
      [{ name: "lc.csv", content: "time,filter,magnitude,error\n60000,V,15,0.1\n60001,V,15.5,0.1\n" }],
      alice,
    );
    catId = await upload(
      {
        target: "Gaia19eyy",
        data_product_type: "photometry",
        observatory: "ROAD_CAM",
        mjd: "60002.5",
        observers: "alice,bob",
      },
      [{ name: "frame.cat", content: CATALOGUE }],
      alice,
    );
    await upload(
      { target: "Other", data_product_type: "photometry_csv", observatory: "X" },
      [{ name: "o.csv", content: "time,filter,magnitude,error\n60000,R,12,0.1\n" }],
      carol,
    );
    // a calibration result for the catalogue (the calibration worker's job, simulated here)
    await t.tdb.database.db.insert(calibrations).values({
      dataProductId: catId,
      status: "S",
      mjd: 60002.5,
      mag: 16.25,
      magError: 0.03,
      zeropoint: 0,
      survey: "GaiaSP",
      bestFilter: "V",
      filterRequest: "GaiaSP/any",
      npoints: 40,
      scatter: 0.02,
      outlierFraction: 0.05,
      matchDist: 0.8,
    });
  });
  afterAll(async () => t.close());

  describe("POST /common/api/data/", () => {
    it("lists every upload, newest first, with BHTOM's item fields", async () => {
      const body = await data({});
      expect(body.count).toBe(3);
      expect(body.data.map((d: { target_name: string }) => d.target_name)).toEqual([
        "Other",
        "Gaia19eyy",
        "Gaia19eyy",
      ]);
      const cat = body.data.find((d: { id: number }) => d.id === catId);
      expect(cat).toMatchObject({
        user: "alice",
        target_name: "Gaia19eyy",
        camera: "ROAD_CAM",
        observatory_name: "ROAD",
        data_product_type: "photometry",
        status: "C",
        observers: ["alice", "bob"],
        dryRun: false,
        ccdphot_result: {},
        group: [],
      });
      expect(cat.calibration_data).toMatchObject({
        magnitude: 16.25,
        mag_error: 0.03,
        zp: 0,
        standardised_to: "GaiaSP/V",
        calib_survey_filter: "GaiaSP/any",
        "matching radius[arcsec]": 0.8,
      });
      const csv = body.data.find((d: { id: number }) => d.id === csvId);
      expect(csv.calibration_data.magnitude).toBe("");
      expect(csv.camera).toBeNull();
    });

    it("every filter, including mag_min, mag_max and filter that BHTOM breaks", async () => {
      const ids = async (f: Record<string, unknown>) =>
        (await data(f)).data.map((d: { id: number }) => d.id).sort();
      expect(await ids({ id: catId })).toEqual([catId]);
      expect(await ids({ data_product_type: "photometry" })).toEqual([catId]);
      expect(await ids({ status: "S", target_name: "gaia19" })).toEqual([csvId]);
      expect(await ids({ oname: "ROAD_CAM" })).toEqual([catId]);
      expect(await ids({ photometry_data: "frame.cat" })).toEqual([catId]);
      expect((await ids({ target_name: "eyy" })).length).toBe(2);
      expect(await ids({ mag_min: 16, mag_max: "16.5" })).toEqual([catId]);
      expect(await ids({ mag_min: 17 })).toEqual([]);
      expect(await ids({ magerr_max: 0.05, mjd_min: 60002, mjd_max: 60003 })).toEqual([catId]);
      expect(await ids({ filter: "GaiaSP/V" })).toEqual([catId]);
      expect(await ids({ mjd: 60002.5 })).toEqual([catId]);
      expect((await ids({ created_start: "2000-01-01", created_end: "2999-01-01T00:00:00Z" })).length).toBe(
        3,
      );
      const bad = await t.call("POST", "/common/api/data/", { mag_min: "bright" }, bob.token);
      expect(bad.statusCode).toBe(400);
      const badDate = await t.call("POST", "/common/api/data/", { created_start: "soon" }, bob.token);
      expect(badDate.statusCode).toBe(400);
    });
  });

  describe("POST /common/api/changeObservers/", () => {
    it("the uploader replaces the observers (usernames); others → 403; unknown names → 400", async () => {
      const res = await t.call(
        "POST",
        "/common/api/changeObservers/",
        { id: csvId, observers: "bob, carol" },
        alice.token,
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: csvId, observers: ["bob", "carol"] });
      expect(
        (await t.call("POST", "/common/api/changeObservers/", { id: csvId, observers: [] }, bob.token))
          .statusCode,
      ).toBe(403);
      const unknown = await t.call(
        "POST",
        "/common/api/changeObservers/",
        { id: csvId, observers: ["ghost"] },
        staff.token,
      );
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toEqual({ detail: "The following usernames do not exist: ghost" });
      const missing = await t.call("POST", "/common/api/changeObservers/", { id: csvId }, alice.token);
      expect(missing.json()).toEqual({ detail: "Missing required fields: 'id' and/or 'observers'" });
      expect(
        (await t.call("POST", "/common/api/changeObservers/", { id: 99999, observers: [] }, alice.token))
          .statusCode,
      ).toBe(404);
    });

    it("observers null, a number, an object or a list of non-strings → 400 and the list stays as it was", async () => {
      const set = await t.call(
        "POST",
        "/common/api/changeObservers/",
        { id: catId, observers: ["alice", "bob"] },
        alice.token,
      );
      expect(set.statusCode).toBe(200);
      for (const observers of [null, 5, 0, {}, { a: "b" }, true, [1, 2], [null]]) {
        const res = await t.call(
          "POST",
          "/common/api/changeObservers/",
          { id: catId, observers },
          alice.token,
        );
        expect(res.statusCode, JSON.stringify(observers)).toBe(400);
        expect(Object.keys(res.json()), JSON.stringify(observers)).toEqual(["observers"]);
      }
      const after = await data({ id: catId }, alice);
      expect(after.data[0].observers).toEqual(["alice", "bob"]);
      // The documented forms still work: a list, a comma-separated string, "" and [] to clear.
      for (const [observers, expected] of [
        ["bob", ["bob"]],
        ["", []],
        [["alice"], ["alice"]],
        [[], []],
        [
          ["alice", "bob"],
          ["alice", "bob"],
        ],
      ] as const) {
        const res = await t.call(
          "POST",
          "/common/api/changeObservers/",
          { id: catId, observers },
          alice.token,
        );
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().observers).toEqual(expected);
      }
    });
  });

  describe("POST /common/api/downloadPhotometryFile/", () => {
    it("the uploader and the observers get the file byte for byte; others 403; missing id 400", async () => {
      for (const who of [alice, bob, staff]) {
        const res = await t.call("POST", "/common/api/downloadPhotometryFile/", { id: catId }, who.token);
        expect(res.statusCode).toBe(200);
        expect(res.body).toBe(CATALOGUE);
        expect(res.headers["content-disposition"]).toMatch(/attachment; filename="[0-9a-f]{8}_frame\.cat"/);
      }
      expect(
        (await t.call("POST", "/common/api/downloadPhotometryFile/", { id: catId }, carol.token)).statusCode,
      ).toBe(403);
      const none = await t.call("POST", "/common/api/downloadPhotometryFile/", {}, alice.token);
      expect(none.json()).toEqual({ detail: "ID not provided" });
      expect(
        (await t.call("POST", "/common/api/downloadPhotometryFile/", { id: csvId }, alice.token)).statusCode,
      ).toBe(404);
    });
  });

  describe("DELETE /common/api/deleteDataProduct/", () => {
    it("a non-owner cannot delete; the owner can: rows, points and files go; the light curve follows", async () => {
      const [dp] = (await data({ id: csvId })).data;
      expect(
        (await t.call("DELETE", "/common/api/deleteDataProduct/", { id: csvId }, bob.token)).statusCode,
      ).toBe(403);
      const res = await t.call("DELETE", "/common/api/deleteDataProduct/", { id: csvId }, alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ Success: "DataProduct deleted successfully." });
      const pts = await t.tdb.database.db
        .select()
        .from(reducedDatums)
        .where(sql`data_product_id = ${csvId}`);
      expect(pts).toEqual([]);
      expect(existsSync(join(t.tdb.dataDir, dp.data))).toBe(false);
      const [target] = (
        await t.call("POST", "/targets/getTargetList/", { name: "Gaia19eyy" }, bob.token)
      ).json().data;
      expect(target).toMatchObject({ mag_last: 100, mjd_last: 0 });
    });

    it("staff can delete anyone's; unknown → 404; missing id → 400", async () => {
      const other = (await data({ target_name: "Other" })).data[0].id;
      expect(
        (await t.call("DELETE", "/common/api/deleteDataProduct/", { id: other }, staff.token)).statusCode,
      ).toBe(200);
      expect(
        (await t.call("DELETE", "/common/api/deleteDataProduct/", { id: other }, staff.token)).statusCode,
      ).toBe(404);
      const missing = await t.call("DELETE", "/common/api/deleteDataProduct/", {}, staff.token);
      expect(missing.json()).toEqual({ detail: "Missing required parameter 'id'." });
    });
  });
});
