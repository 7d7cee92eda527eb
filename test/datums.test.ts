/** Light-curve points: reducedDatum, deleteReducedDatum, deactivateReducedDatum and re-activation. */
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dataProducts, reducedDatums, targets } from "../src/db/schema/index.ts";
import { refreshLastPoint } from "../src/domain/targets/refresh.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";

type NewDatum = typeof reducedDatums.$inferInsert;

describe.each(ENGINES)("light-curve points on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let staff: TestUser;
  let root: TestUser;
  let lcId: number;
  let otherId: number;
  let emptyId: number;
  let bigId: number;

  const db = () => t.tdb.database.db;
  const insert = async (rows: NewDatum[]) =>
    (await db().insert(reducedDatums).values(rows).returning()).map((r) => r.id);
  const point = (targetId: number, mjd: number, value: number, extra: Partial<NewDatum> = {}): NewDatum => ({
    targetId,
    mjd,
    value,
    error: 0.02,
    filter: "V(GaiaSP)",
    facility: "Obs_Cam",
    observer: "alice",
    ...extra,
  });
  const target = async (id: number) => (await db().select().from(targets).where(eq(targets.id, id)))[0];
  const datum = async (id: number) =>
    (await db().select().from(reducedDatums).where(eq(reducedDatums.id, id)))[0];
  const createTarget = async (name: string, ra: number) =>
    (await t.call("POST", "/targets/createTarget/", { name, ra, dec: 10 }, alice.token)).json().id as number;

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    staff = await t.user("staffer", { staff: true });
    root = await t.user("root", { superuser: true });
    lcId = await createTarget("LC", 10);
    otherId = await createTarget("Other", 20);
    emptyId = await createTarget("Empty", 30);
    bigId = await createTarget("Big", 40);
    await db().execute(sql`
      insert into reduced_datums (target_id, mjd, value, error, filter, facility, observer)
      select ${bigId}, 50000 + g, 15 + g / 10000.0, 0.01, 'V', 'F', 'o' from generate_series(1, 1200) g`);
  });
  afterAll(async () => t.close());

  describe("POST /common/api/reducedDatum/", () => {
    let ids: number[];
    beforeAll(async () => {
      ids = await insert([
        point(lcId, 60002, 15.4, { sourceName: "GAIA_ALERTS", sourceLocation: "https://example.org/lc" }),
        point(lcId, 60001, 16.1, { activeFlg: false }),
        point(lcId, 60001, 15.9, { valueUnit: "MILLIJANSKY", filter: "5GHz" }),
        point(lcId, 60000.5, 17.9, { error: -1, extraData: { note: "limit" }, observers: ["bob"] }),
      ]);
    });

    it("anonymous → 401", async () => {
      const res = await t.call("POST", "/common/api/reducedDatum/", { target_name: "LC" });
      expect(res.statusCode).toBe(401);
    });

    it("user, by target_name → every point (inactive and radio too), ordered by (mjd, id), BHTOM's fields", async () => {
      const res = await t.call("POST", "/common/api/reducedDatum/", { target_name: "LC" }, alice.token);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ count: 4, num_pages: 1, current_page: 1 });
      expect(body.data.map((d: { id: number }) => d.id)).toEqual([ids[3], ids[1], ids[2], ids[0]]);
      expect(body.data[1].active_flg).toBe(false);
      expect(Object.keys(body.data[0])).toEqual([
        "id",
        "data_type",
        "source_name",
        "source_location",
        "mjd",
        "timestamp",
        "observer",
        "observers",
        "facility",
        "value",
        "value_list",
        "value_unit",
        "error",
        "error_list",
        "filter",
        "wavelengths",
        "extra_data",
        "active_flg",
        "target",
        "data_product",
        // skytom's lineage (issue 17), after BHTOM's fields
        "calibration_run",
        "calibration_version",
        "quality_flag",
      ]);
      expect(body.data[0]).toMatchObject({
        data_type: "photometry",
        mjd: 60000.5,
        value: 17.9,
        error: -1,
        value_unit: "MAG",
        observers: ["bob"],
        extra_data: { note: "limit" },
        value_list: [],
        error_list: [],
        wavelengths: [],
        target: lcId,
        data_product: null,
      });
      expect(body.data[3]).toMatchObject({
        source_name: "GAIA_ALERTS",
        source_location: "https://example.org/lc",
        observers: [],
        extra_data: null,
      });
      expect(body.data[3].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    });

    it("by target_id, as a number or a numeric string → the same points", async () => {
      const byName = (
        await t.call("POST", "/common/api/reducedDatum/", { target_name: "LC" }, alice.token)
      ).json();
      for (const id of [lcId, String(lcId)]) {
        const res = await t.call("POST", "/common/api/reducedDatum/", { target_id: id }, alice.token);
        expect(res.json()).toEqual(byName);
      }
    });

    it("both or neither of target_id / target_name → 400 (an empty name counts as absent)", async () => {
      const detail = { detail: "Provide either 'target_id' or 'target_name', but not both." };
      for (const body of [
        { target_id: lcId, target_name: "LC" },
        {},
        { target_name: "" },
        { target_id: null },
      ]) {
        const res = await t.call("POST", "/common/api/reducedDatum/", body, alice.token);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual(detail);
      }
    });

    it("unknown target name or id → 404 JSON; a non-integer id → 400 naming the field", async () => {
      for (const body of [{ target_name: "lc" }, { target_id: 999_999 }]) {
        const res = await t.call("POST", "/common/api/reducedDatum/", body, alice.token);
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({ detail: "Target does not exist." });
      }
      const res = await t.call("POST", "/common/api/reducedDatum/", { target_id: "abc" }, alice.token);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ target_id: ["A valid integer is required."] });
    });

    it("an empty light curve: page 1 is valid (count 0, num_pages 1)", async () => {
      const res = await t.call("POST", "/common/api/reducedDatum/", { target_name: "Empty" }, alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ count: 0, num_pages: 1, current_page: 1, data: [] });
      expect(emptyId).toBeGreaterThan(0);
    });

    it("user → 500 per page; pages are strict (bad or out of range → 400 Invalid page number)", async () => {
      const call = (page: unknown) =>
        t.call("POST", "/common/api/reducedDatum/", { target_name: "Big", page }, alice.token);
      const p1 = (await call(undefined)).json();
      expect(p1).toMatchObject({ count: 1200, num_pages: 3, current_page: 1 });
      expect(p1.data).toHaveLength(500);
      expect(p1.data[0].mjd).toBe(50001);
      const p3 = (await call("3")).json();
      expect(p3.current_page).toBe(3);
      expect(p3.data).toHaveLength(200);
      expect(p3.data[199].mjd).toBe(51200);
      for (const good of [2, "2", " 2 ", 2.0]) expect((await call(good)).json().current_page).toBe(2);
      expect((await call(true)).json().current_page).toBe(1);
      for (const bad of [4, 0, -1, false, 1.5, "2.0", "abc", "", null, [1]]) {
        const res = await call(bad);
        expect(res.statusCode, JSON.stringify(bad)).toBe(400);
        expect(res.json()).toEqual({ error: "Invalid page number." });
      }
    });

    it("staff and superuser → 1000 per page", async () => {
      for (const who of [staff, root]) {
        const res = await t.call(
          "POST",
          "/common/api/reducedDatum/",
          { target_name: "Big", page: 2 },
          who.token,
        );
        expect(res.json()).toMatchObject({ count: 1200, num_pages: 2, current_page: 2 });
        expect(res.json().data).toHaveLength(200);
      }
    });
  });

  describe("DELETE /common/api/deleteReducedDatum/", () => {
    const url = "/common/api/deleteReducedDatum/";
    let ids: number[];
    beforeEach(async () => {
      await db()
        .delete(reducedDatums)
        .where(sql`${reducedDatums.targetId} in (${lcId}, ${otherId})`);
      ids = await insert([
        point(lcId, 60010.123456, 15.123, { error: 0.011 }),
        point(lcId, 60011, 0, { error: 0, observer: "", filter: "" }),
        point(otherId, 60010.123456, 15.123, { error: 0.011 }),
        point(lcId, 60009, 14.5),
      ]);
      await refreshLastPoint(db(), lcId);
    });
    const match = { mjd: 60010.123456, mag: 15.123, magerr: 0.011, filter: "V(GaiaSP)", observer: "alice" };

    it("anonymous → 401; user → 403 JSON", async () => {
      expect((await t.call("DELETE", url, match)).statusCode).toBe(401);
      const res = await t.call("DELETE", url, match, alice.token);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ detail: "Access denied. You must be an admin." });
      expect(await datum(ids[0])).toBeDefined();
    });

    it("staff, with target_name → deletes that target's point; mag_last follows", async () => {
      expect((await target(lcId)).magLast).toBe(0);
      const res = await t.call("DELETE", url, { ...match, target_name: "LC" }, staff.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ Success: "Reduced datum deleted successfully." });
      expect(await datum(ids[0])).toBeUndefined();
      expect(await datum(ids[2])).toBeDefined();
      // The latest detection is now the mag-0 point at 60011: still the latest, so delete it too.
      const zero = { mjd: 60011, mag: 0, magerr: 0, filter: "", observer: "" };
      expect((await t.call("DELETE", url, { ...zero, target_id: lcId }, staff.token)).statusCode).toBe(200);
      expect(await target(lcId)).toMatchObject({ magLast: 14.5, mjdLast: 60009 });
    });

    it("0 and empty strings are values, not missing (BHTOM2 refused them)", async () => {
      const res = await t.call(
        "DELETE",
        url,
        { mjd: 60011, mag: 0, magerr: 0, filter: "", observer: "" },
        root.token,
      );
      expect(res.statusCode).toBe(200);
      expect(await datum(ids[1])).toBeUndefined();
    });

    it("without a target → the first match by id over every target", async () => {
      const res = await t.call("DELETE", url, match, staff.token);
      expect(res.statusCode).toBe(200);
      expect(await datum(ids[0])).toBeUndefined();
      expect(await datum(ids[2])).toBeDefined();
    });

    it("tolerances: mjd ±1e-6, mag and magerr ±1e-3 (inclusive); filter and observer exact", async () => {
      const near = { ...match, mjd: 60010.123456 + 9e-7, mag: 15.1239, magerr: 0.0101, target_id: otherId };
      expect((await t.call("DELETE", url, near, staff.token)).statusCode).toBe(200);
      expect(await datum(ids[2])).toBeUndefined();
      for (const off of [
        { mjd: 60010.123456 + 2e-6 },
        { mag: 15.125 },
        { magerr: 0.0125 },
        { filter: "v(GaiaSP)" },
        { observer: "Alice" },
      ]) {
        const res = await t.call("DELETE", url, { ...match, ...off, target_name: "LC" }, staff.token);
        expect(res.statusCode, JSON.stringify(off)).toBe(404);
        expect(res.json()).toEqual({ detail: "Reduced datum not found." });
      }
    });

    it("a target that does not hold the point → 404", async () => {
      const res = await t.call("DELETE", url, { ...match, target_name: "Empty" }, staff.token);
      expect(res.statusCode).toBe(404);
    });

    it("missing (absent or null) required values → 400 naming them", async () => {
      const res = await t.call("DELETE", url, { mjd: 60010, mag: null, filter: "V" }, staff.token);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ detail: "Missing required parameters: mag, magerr, observer." });
    });

    it("a non-numeric mjd → 400 naming the field (BHTOM2: 500)", async () => {
      const res = await t.call("DELETE", url, { ...match, mjd: "yesterday" }, staff.token);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ mjd: ["A valid number is required."] });
    });

    it("a form body (every value a string) works", async () => {
      const res = await t.app.inject({
        method: "DELETE",
        url,
        headers: {
          authorization: `Token ${staff.token}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        payload:
          "mjd=60010.123456&mag=15.123&magerr=0.011&filter=V%28GaiaSP%29&observer=alice&target_name=LC",
      });
      expect(res.statusCode).toBe(200);
      expect(await datum(ids[0])).toBeUndefined();
    });

    it("POST is not allowed (405)", async () => {
      expect((await t.call("POST", url, match, staff.token)).statusCode).toBe(405);
    });

    describe("delete_associated_data_product", () => {
      let productId: number;
      let pointIds: number[];
      const file = "targets/LC/photometry/upload.csv";
      beforeEach(async () => {
        const [p] = await db()
          .insert(dataProducts)
          .values({ targetId: lcId, data: file, sha256: "a".repeat(64), dataProductType: "photometry_csv" })
          .returning();
        productId = p.id;
        mkdirSync(join(t.tdb.dataDir, "targets/LC/photometry"), { recursive: true });
        writeFileSync(join(t.tdb.dataDir, file), "time,filter,magnitude,error\n");
        pointIds = await insert([
          point(lcId, 60020, 13.5, { dataProductId: productId }),
          point(lcId, 60021, 13.6, { dataProductId: productId }),
        ]);
        await refreshLastPoint(db(), lcId);
      });
      const one = { mjd: 60020, mag: 13.5, magerr: 0.02, filter: "V(GaiaSP)", observer: "alice" };

      it('"false", "False", 0 and false → only the point goes', async () => {
        for (const flag of ["false", 0, false]) {
          const res = await t.call(
            "DELETE",
            url,
            { ...one, delete_associated_data_product: flag },
            staff.token,
          );
          expect(res.statusCode, String(flag)).toBe(200);
          expect(await datum(pointIds[0])).toBeUndefined();
          expect(await datum(pointIds[1])).toBeDefined();
          await insert([point(lcId, 60020, 13.5, { dataProductId: productId })]);
        }
        const res = await t.app.inject({
          method: "DELETE",
          url,
          headers: {
            authorization: `Token ${staff.token}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          payload:
            "mjd=60020&mag=13.5&magerr=0.02&filter=V%28GaiaSP%29&observer=alice&delete_associated_data_product=False",
        });
        expect(res.statusCode).toBe(200);
        const [product] = await db().select().from(dataProducts).where(eq(dataProducts.id, productId));
        expect(product).toBeDefined();
        await db().delete(dataProducts).where(eq(dataProducts.id, productId));
      });

      it("true → the data product, all its points and its file go; mag_last follows", async () => {
        expect((await target(lcId)).magLast).toBe(13.6);
        const res = await t.call(
          "DELETE",
          url,
          { ...one, delete_associated_data_product: "True" },
          staff.token,
        );
        expect(res.statusCode).toBe(200);
        expect(await datum(pointIds[1])).toBeUndefined();
        expect(await db().select().from(dataProducts).where(eq(dataProducts.id, productId))).toEqual([]);
        expect(existsSync(join(t.tdb.dataDir, file))).toBe(false);
        expect(await target(lcId)).toMatchObject({ magLast: 0, mjdLast: 60011 });
      });

      it("a flag that is not a boolean → 400", async () => {
        const res = await t.call(
          "DELETE",
          url,
          { ...one, delete_associated_data_product: "maybe" },
          staff.token,
        );
        expect(res.statusCode).toBe(400);
        expect(Object.keys(res.json())).toEqual(["delete_associated_data_product"]);
        await db().delete(dataProducts).where(eq(dataProducts.id, productId));
      });
    });
  });

  describe("deactivate and re-activate", () => {
    let ids: number[];
    beforeEach(async () => {
      await db().delete(reducedDatums).where(eq(reducedDatums.targetId, lcId));
      ids = await insert([point(lcId, 60030, 14.0), point(lcId, 60031, 14.7, { error: 0 })]);
      await refreshLastPoint(db(), lcId);
    });
    const latest = {
      mjd: 60031,
      mag: 14.7,
      magerr: 0,
      filter: "V(GaiaSP)",
      observer: "alice",
      target_name: "LC",
    };

    it("POST /common/api/deactivateReducedDatum/ — user → 403, anonymous → 401", async () => {
      expect((await t.call("POST", "/common/api/deactivateReducedDatum/", latest)).statusCode).toBe(401);
      const res = await t.call("POST", "/common/api/deactivateReducedDatum/", latest, alice.token);
      expect(res.statusCode).toBe(403);
      expect((await datum(ids[1])).activeFlg).toBe(true);
    });

    it("staff deactivates → still listed (active_flg false), out of mag_last and the plot", async () => {
      const plot = async () =>
        (await t.call("POST", "/targets/get-plots/", { targetNames: ["LC"] }, alice.token)).json().Plots.LC;
      expect((await plot()).data[0].x).toEqual([60030, 60031]);
      const res = await t.call("POST", "/common/api/deactivateReducedDatum/", latest, staff.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ Success: "Reduced datum deactivated successfully." });
      expect(await target(lcId)).toMatchObject({ magLast: 14.0, mjdLast: 60030 });
      expect((await plot()).data[0].x).toEqual([60030]);
      const list = (
        await t.call("POST", "/common/api/reducedDatum/", { target_id: lcId }, alice.token)
      ).json();
      expect(list.data.map((d: { active_flg: boolean }) => d.active_flg)).toEqual([true, false]);

      const back = await t.call("POST", "/common/api/activateReducedDatum/", latest, staff.token);
      expect(back.statusCode).toBe(200);
      expect(back.json()).toEqual({ Success: "Reduced datum activated successfully." });
      expect(await target(lcId)).toMatchObject({ magLast: 14.7, mjdLast: 60031 });
      expect((await plot()).data[0].x).toEqual([60030, 60031]);
    });

    it("a point that is not found → 404 (BHTOM2: 500); missing values → 400", async () => {
      const res = await t.call(
        "POST",
        "/common/api/deactivateReducedDatum/",
        { ...latest, mag: 18 },
        staff.token,
      );
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ detail: "Reduced datum not found." });
      const missing = await t.call("POST", "/common/api/activateReducedDatum/", { mjd: 1 }, staff.token);
      expect(missing.statusCode).toBe(400);
      expect(missing.json()).toEqual({
        detail: "Missing required parameters: mag, magerr, filter, observer.",
      });
    });

    it("POST /api/datums/{id}/deactivate/ and /activate/ — staff by id; the point is answered", async () => {
      const off = await t.call("POST", `/api/datums/${ids[1]}/deactivate/`, undefined, root.token);
      expect(off.statusCode).toBe(200);
      expect(off.json()).toMatchObject({ id: ids[1], active_flg: false, mjd: 60031, target: lcId });
      expect((await target(lcId)).magLast).toBe(14.0);
      const on = await t.call("POST", `/api/datums/${ids[1]}/activate/`, undefined, staff.token);
      expect(on.json()).toMatchObject({ id: ids[1], active_flg: true });
      expect((await target(lcId)).magLast).toBe(14.7);
    });

    it("POST /api/datums/{id}/deactivate/ — user → 403, unknown id → 404", async () => {
      expect(
        (await t.call("POST", `/api/datums/${ids[1]}/deactivate/`, undefined, alice.token)).statusCode,
      ).toBe(403);
      const res = await t.call("POST", "/api/datums/99999999/deactivate/", undefined, staff.token);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ detail: "Reduced datum not found." });
    });
  });
});
