import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { galacticFromEquatorial } from "../src/astro/coords.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";

/** The createTarget example of the API guide, as written. */
const GUIDE_CREATE = {
  name: "My Target",
  ra: 123.456,
  dec: -45.678,
  epoch: 2000.0,
  classification: "Star",
  discovery_date: "2023-09-28T10:00:00Z",
  importance: 5,
  cadence: 24,
  description: "TEST",
};
/** The updateTarget example of the API guide, as written (epoch "J2023" included). */
const GUIDE_UPDATE = {
  ra: 135.789,
  dec: -30.123,
  epoch: "J2023",
  classification: "Galaxy",
  discovery_date: "2022-12-15T08:30:00Z",
  importance: 3,
  cadence: 12,
};

describe.each(ENGINES)("targets on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let staff: TestUser;

  const create = (body: Record<string, unknown>, who: TestUser = alice) =>
    t.call("POST", "/targets/createTarget/", body, who.token);
  const list = async (body: Record<string, unknown>, who: TestUser = alice) => {
    const res = await t.call("POST", "/targets/getTargetList/", body, who.token);
    return res;
  };
  const names = async (body: Record<string, unknown>) =>
    ((await list(body)).json().data as Array<{ name: string }>).map((d) => d.name);

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    bob = await t.user("bob");
    staff = await t.user("staffer", { staff: true });
  });
  afterAll(async () => t.close());

  describe("POST /targets/createTarget/", () => {
    it("the guide's example → 201 with the serializer fields and id", async () => {
      const res = await create(GUIDE_CREATE);
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({
        id: expect.any(Number),
        name: "My Target",
        ra: 123.456,
        dec: -45.678,
        epoch: 2000,
        description: "TEST",
        classification: "Star",
        discovery_date: "2023-09-28T10:00:00.000Z",
        importance: 5,
        cadence: 24,
        has_optical: false,
        has_infrared: false,
        has_radio: false,
        has_xray: false,
        has_gamma: false,
        has_polarimetry: false,
      });
    });

    it("defaults: epoch 2000.0, classification Unknown, importance 9.98, cadence 1.0", async () => {
      const res = await create({ name: "Defaults1", ra: 10, dec: 10 });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({
        epoch: 2000,
        classification: "Unknown",
        importance: 9.98,
        cadence: 1,
      });
    });

    it("derived fields are computed at once: galactic l/b, constellation, Sun separation, priority", async () => {
      await create({ name: "SgrA-like", ra: "17:45:40.04", dec: "-29:00:28.2", importance: 5, cadence: 2 });
      const [item] = (await list({ name: "SgrA-like" })).json().data;
      expect(item.ra).toBeCloseTo(266.416833, 5);
      expect(item.dec).toBeCloseTo(-29.007833, 5);
      const g = galacticFromEquatorial(item.ra, item.dec);
      expect(item.galactic_lng).toBeCloseTo(g.lDeg, 9);
      expect(item.galactic_lat).toBeCloseTo(g.bDeg, 9);
      expect(item.galactic_lng < 0.1 || item.galactic_lng > 359.9).toBe(true);
      expect(item.constellation).toBe("Sgr");
      expect(item.sun_separation).toBeGreaterThanOrEqual(0);
      expect(item.sun_separation).toBeLessThanOrEqual(180);
      // never observed: cadence_priority 10, priority = importance × 10
      expect(item.cadence_priority).toBe(10);
      expect(item.priority).toBe(50);
    });

    it("a comment 'Target created by …' is added", async () => {
      await create({ name: "Commented", ra: 20, dec: 20 });
      const res = await t.call("POST", "/common/api/comments/", { target: "Commented" }, alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json().data[0].comment).toMatch(/^Target created by alice\(alice\) on \d{4}-/);
    });

    it("dotted astronomical names are allowed; forbidden characters and URL-like names are not", async () => {
      for (const [i, name] of ["V404.Cyg", "SN2023.1"].entries()) {
        expect((await create({ name, ra: 30 + i, dec: 5 })).statusCode).toBe(201);
      }
      for (const name of ["a(b", "a/b", "a\\b", "a:b", "a)b"]) {
        const res = await create({ name, ra: 40, dec: 5 });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({ name: ["Target name cannot contain any of: ( ) / \\ :"] });
      }
      for (const name of ["www.evil", "x?a=1", "abc%2fdef", "example.com", "javascript&x=1"]) {
        const res = await create({ name, ra: 41, dec: 5 });
        expect(res.statusCode, name).toBe(400);
        expect(res.json().name[0]).toMatch(/web addresses|cannot contain/);
      }
    });

    it("validation: missing fields, blank name, ranges, bad classification, unknown keys → 400 field dict", async () => {
      const missing = await create({ name: "NoCoords" });
      expect(missing.statusCode).toBe(400);
      // No ra/dec: the name would be resolved, but the test app is offline (test/resolve.test.ts resolves).
      expect(Object.keys(missing.json())).toEqual(["name"]);
      expect(missing.json().name[0]).toMatch(/offline \(SKYTOM_OFFLINE=1\).*Give ra and dec\./);
      expect((await create({ name: "NoDec", ra: 1 })).json()).toEqual({ dec: ["This field is required."] });
      expect((await create({ name: "  ", ra: 1, dec: 1 })).json()).toEqual({
        name: ["This field may not be blank."],
      });
      const ranges = await create({ name: "Far", ra: 361, dec: -91 });
      expect(ranges.statusCode).toBe(400);
      expect(Object.keys(ranges.json()).sort()).toEqual(["dec", "ra"]);
      expect((await create({ name: "Cls", ra: 1, dec: 1, classification: "Nope" })).json()).toEqual({
        classification: ["Not a valid choice."],
      });
      const unknown = await create({ name: "Unk", ra: 1, dec: 1, colour: "red" });
      expect(unknown.json()).toEqual({ colour: ["Unknown field."] });
      const epoch = await create({ name: "Ep", ra: 1, dec: 1, epoch: "soon" });
      expect(Object.keys(epoch.json())).toEqual(["epoch"]);
      const imp = await create({ name: "Imp", ra: 1, dec: 1, importance: 11 });
      expect(imp.json()).toEqual({ importance: ["Ensure this value is less than or equal to 10."] });
      const date = await create({ name: "Date", ra: 1, dec: 1, discovery_date: "yesterday" });
      expect(Object.keys(date.json())).toEqual(["discovery_date"]);
      const sexa = await create({ name: "Sexa", ra: "25:00:00", dec: "-29:61:00" });
      expect(Object.keys(sexa.json()).sort()).toEqual(["dec", "ra"]);
      expect((await create({ name: "x".repeat(101), ra: 1, dec: 1 })).json()).toEqual({
        name: ["Ensure this field has no more than 100 characters."],
      });
    });

    it("the guide's 'Supernova imposter' spelling is accepted", async () => {
      const res = await create({ name: "Impostor", ra: 50, dec: 50, classification: "Supernova imposter" });
      expect(res.statusCode).toBe(201);
      expect(res.json().classification).toBe("Supernova impostor");
    });

    it("a taken name → 400; a position within 3″ of another target → 400 naming it", async () => {
      const dup = await create({ name: "My Target", ra: 200, dec: 20 });
      expect(dup.statusCode).toBe(400);
      expect(dup.json()).toEqual({ name: ["target with this Name already exists."] });
      const near = await create({
        name: "Neighbour",
        ra: 123.456 + 2.5 / 3600 / Math.cos((45.678 * Math.PI) / 180),
        dec: -45.678,
      });
      expect(near.statusCode).toBe(400);
      expect(near.json().non_field_errors[0]).toMatch(
        /^Source found already at these coordinates \(rad 3 arcsec\): My Target/,
      );
      const ok = await create({ name: "NotNeighbour", ra: 123.456, dec: -45.678 + 3.5 / 3600 });
      expect(ok.statusCode).toBe(201);
    });

    it("anonymous → 401", async () => {
      expect(
        (await t.call("POST", "/targets/createTarget/", { name: "Anon", ra: 1, dec: 1 })).statusCode,
      ).toBe(401);
    });
  });

  describe("PATCH /targets/updateTarget/{name}/", () => {
    it("the guide's example (epoch 'J2023') → 201 Status updated; description saved; derived fields follow", async () => {
      await create({ name: "Upd One", ra: 100, dec: 10 });
      const res = await t.call(
        "PATCH",
        `/targets/updateTarget/${encodeURIComponent("Upd One")}/`,
        GUIDE_UPDATE,
        alice.token,
      );
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ Status: "updated" });
      const desc = await t.call(
        "PATCH",
        "/targets/updateTarget/Upd%20One",
        { description: "kept now" },
        alice.token,
      );
      expect(desc.statusCode).toBe(201);
      const [item] = (await list({ name: "Upd One" })).json().data;
      expect(item).toMatchObject({
        ra: 135.789,
        dec: -30.123,
        epoch: 2023,
        classification: "Galaxy",
        description: "kept now",
      });
      expect(item.galactic_lng).toBeCloseTo(galacticFromEquatorial(135.789, -30.123).lDeg, 9);
      expect(item.constellation).toBe("Pyx");
    });

    it("renames; the old name is gone; a taken name is refused", async () => {
      await create({ name: "Old Name", ra: 101, dec: 11 });
      const res = await t.call(
        "PATCH",
        "/targets/updateTarget/Old%20Name/",
        { name: "New Name" },
        alice.token,
      );
      expect(res.statusCode).toBe(201);
      expect(await names({ name: "Old Name" })).toEqual([]);
      expect(await names({ name: "New Name" })).toEqual(["New Name"]);
      const taken = await t.call(
        "PATCH",
        "/targets/updateTarget/New%20Name/",
        { name: "My Target" },
        alice.token,
      );
      expect(taken.statusCode).toBe(400);
    });

    it("another user → 403; staff → 201; unknown → 404; bad values → 400", async () => {
      await create({ name: "Alices", ra: 102, dec: 12 });
      const other = await t.call("PATCH", "/targets/updateTarget/Alices/", { importance: 1 }, bob.token);
      expect(other.statusCode).toBe(403);
      expect(other.json()).toHaveProperty("detail");
      expect(
        (await t.call("PATCH", "/targets/updateTarget/Alices/", { importance: 1 }, staff.token)).statusCode,
      ).toBe(201);
      const missing = await t.call("PATCH", "/targets/updateTarget/Nobody/", { importance: 1 }, alice.token);
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ detail: "Target Nobody does not exist." });
      const bad = await t.call("PATCH", "/targets/updateTarget/Alices/", { dec: 95 }, alice.token);
      expect(bad.statusCode).toBe(400);
      expect(Object.keys(bad.json())).toEqual(["dec"]);
      expect((await t.call("PUT", "/targets/updateTarget/Alices/", {}, alice.token)).statusCode).toBe(405);
    });
  });

  describe("DELETE /targets/deleteTarget/", () => {
    it("creator → 200 status deleted; it is gone with its comments", async () => {
      await create({ name: "ToDelete", ra: 103, dec: 13 });
      const res = await t.call("DELETE", "/targets/deleteTarget/", { name: "ToDelete" }, alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: "deleted" });
      expect(await names({ name: "ToDelete" })).toEqual([]);
      const c = await t.call("POST", "/common/api/comments/", { target: "ToDelete" }, alice.token);
      expect(c.statusCode).toBe(404);
    });

    it("another user → 403, staff → 200, unknown → 404", async () => {
      await create({ name: "Protected", ra: 104, dec: 14 });
      expect(
        (await t.call("DELETE", "/targets/deleteTarget/", { name: "Protected" }, bob.token)).statusCode,
      ).toBe(403);
      expect(
        (await t.call("DELETE", "/targets/deleteTarget/", { name: "Protected" }, staff.token)).statusCode,
      ).toBe(200);
      expect(
        (await t.call("DELETE", "/targets/deleteTarget/", { name: "Protected" }, staff.token)).statusCode,
      ).toBe(404);
    });
  });

  describe("POST /targets/getTargetList/", () => {
    beforeAll(async () => {
      const rows: Array<Record<string, unknown>> = [
        { name: "F-A", ra: 10, dec: -5, importance: 2, classification: "Nova", has_optical: true },
        { name: "F-B", ra: 150, dec: 20, importance: 8, classification: "Nova", description: "bright" },
        { name: "F-C", ra: 250, dec: 60, importance: 5, classification: "CV", has_radio: true },
      ];
      for (const r of rows) expect((await create(r)).statusCode).toBe(201);
    });

    it("items have BHTOM's fields in order, plus id, aliases and groups; ordered by created", async () => {
      const res = await list({ classification: "Nova" });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ count: 2, num_pages: 1, current_page: 1 });
      const keys = Object.keys(body.data[0]);
      expect(keys.slice(0, 5)).toEqual(["id", "name", "type", "has_optical", "has_infrared"]);
      expect(keys.slice(-5)).toEqual(["filter_last", "cadence_priority", "description", "aliases", "groups"]);
      expect(keys).toHaveLength(59); // BHTOM's 56 columns + aliases, groups + id
      expect(body.data.map((d: { name: string }) => d.name)).toEqual(["F-A", "F-B"]);
      expect(body.data[0]).toMatchObject({
        type: "SIDEREAL",
        aliases: [],
        groups: [],
        mag_last: 100,
        mjd_last: 0,
      });
    });

    it("each filter narrows as documented", async () => {
      expect(await names({ raMin: 100, raMax: 200, classification: "Nova" })).toEqual(["F-B"]);
      expect(await names({ decMin: 50, classification: "CV" })).toEqual(["F-C"]);
      expect(await names({ importanceMin: "4", importanceMax: 6, classification: "CV" })).toEqual(["F-C"]);
      expect(await names({ description: "bright" })).toEqual(["F-B"]);
      expect(await names({ hasOptical: "yes", classification: "Nova" })).toEqual(["F-A"]);
      expect(await names({ hasRadio: true })).toEqual(["F-C"]);
      expect(await names({ hasRadio: "f", classification: "CV" })).toEqual([]);
      expect(await names({ type: "SIDEREAL", name: "F-A" })).toEqual(["F-A"]);
      expect(await names({ priority: 80, name: "F-B" })).toEqual(["F-B"]);
      expect(await names({ lastMagMin: 99, lastMagMax: 101, name: "F-B" })).toEqual(["F-B"]);
      expect(await names({ sunSeparationMin: 0, sunSeparationMax: 180, name: "F-B" })).toEqual(["F-B"]);
      const g = galacticFromEquatorial(250, 60);
      expect(await names({ galacticLatMin: g.bDeg - 0.01, galacticLatMax: g.bDeg + 0.01 })).toEqual(["F-C"]);
      expect(await names({ galacticLonMin: g.lDeg - 0.01, galacticLonMax: g.lDeg + 0.01 })).toEqual(["F-C"]);
    });

    it("cone searches by position and by target name or alias", async () => {
      expect(await names({ coneSearchRaDecRadius: "150.5,20,1" })).toEqual(["F-B"]);
      expect(await names({ coneSearchRaDecRadius: "150.5,20,0.1" })).toEqual([]);
      expect(await names({ coneSearchTarget: "f-b,0.5" })).toEqual(["F-B"]);
    });

    it("bad input → 400: numbers, booleans, cone strings, unknown cone target", async () => {
      const num = await list({ raMin: "abc" });
      expect(num.statusCode).toBe(400);
      expect(num.json()).toEqual({ detail: "Wrong format: could not convert string to float: 'abc'" });
      const bool = await list({ hasOptical: "maybe" });
      expect(bool.json()).toEqual({ detail: "Wrong format: Invalid boolean value: maybe" });
      expect((await list({ coneSearchRaDecRadius: "1,2" })).statusCode).toBe(400);
      expect((await list({ coneSearchRaDecRadius: "1,2,0" })).statusCode).toBe(400);
      const unknown = await list({ coneSearchTarget: "NoSuchThing,1" });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().detail).toMatch(/no target or alias matches "NoSuchThing"/);
    });

    it("the guide's list example (all filters at once) → 200 with an empty page", async () => {
      await create({ name: "TA", ra: 3.11, dec: 2.11 });
      const res = await list({
        name: "MyTarget",
        raMin: 100.0,
        raMax: 200.0,
        decMin: -30.0,
        decMax: 30.0,
        importanceMin: 1,
        importanceMax: 10,
        classification: "Star",
        targetGroup: "GroupA",
        coneSearchTarget: "TA,0.4",
        coneSearchRaDecRadius: "3.11,2.11,0.4",
        priority: 5,
        galacticLatMin: -10,
        galacticLatMax: 10,
        galacticLonMin: 100,
        galacticLonMax: 200,
        description: "Test target",
        sunSeparationMin: 30,
        sunSeparationMax: 90,
        lastMagMin: 15,
        lastMagMax: 20,
        page: 1,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ count: 0, num_pages: 1, current_page: 1, data: [] });
    });

    it("pages of 200 with BHTOM's page rules", async () => {
      const all = (await list({})).json();
      expect(all.num_pages).toBe(Math.max(1, Math.ceil(all.count / 200)));
      expect((await list({ page: 99 })).json().current_page).toBe(all.num_pages);
      expect((await list({ page: "abc" })).json().current_page).toBe(1);
    });
  });
});

describe("JSON null for a field that does not allow it", () => {
  let t: TestApp;
  let u: TestUser;
  beforeAll(async () => {
    t = await createTestApp("pglite");
    u = await t.user("nulls");
  });
  afterAll(async () => t.close());

  it("is refused with DRF's message instead of being coerced to 0", async () => {
    const res = await t.call(
      "POST",
      "/targets/createTarget/",
      { name: "NullRa", ra: null, dec: 10 },
      u.token,
    );
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ ra: ["This field may not be null."] });
    const ok = await t.call(
      "POST",
      "/targets/createTarget/",
      { name: "NullDesc", ra: 1, dec: 1, description: null },
      u.token,
    );
    expect(ok.statusCode).toBe(201);
  });
});
