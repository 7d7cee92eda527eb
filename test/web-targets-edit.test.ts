/** Web target forms: create (sexagesimal, validation, 3″ rule), edit/delete by creator and staff only, comments. */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targets as targetsTable } from "../src/db/schema/index.ts";
import type { TestApp, TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { seedTargets, webAs as login } from "./helpers/web-targets.ts";
import { pageText, WebClient } from "./helpers/web.ts";

describe.each(ENGINES)("web target create, edit, delete and comments on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let staff: TestUser;
  const db = () => t.tdb.database.db;
  const ids: Record<string, number> = {};
  const webAs = (user: TestUser) => login(t, user);

  beforeAll(async () => {
    ({ t, alice, bob, staff } = await seedTargets(engine, ids));
  }, 120_000);
  afterAll(async () => t?.close());

  describe("create", () => {
    it("creates a target from sexagesimal coordinates and shows it", async () => {
      const web = await webAs(alice);
      const form = await web.get("/targets/create/");
      expect(form.statusCode).toBe(200);
      expect(form.body).toMatch(/<select id="f-classification"/);
      expect(form.body).toContain('<option value="Microlensing Event">');
      const res = await web.post("/targets/create/", {
        name: "Crab nebula",
        ra: "05:34:31.94",
        dec: "+22:00:52.2",
        epoch: "J2000",
        classification: "AGN",
        importance: "4.5",
        cadence: "2",
        discovery_date: "2020-01-02",
        description: "Pulsar wind nebula",
      });
      expect(res.statusCode, res.body).toBe(303);
      expect(res.headers.location).toBe("/targets/Crab%20nebula/");
      const [row] = await db().select().from(targetsTable).where(eq(targetsTable.name, "Crab nebula"));
      expect(row.ra).toBeCloseTo(83.6330833, 6);
      expect(row.dec).toBeCloseTo(22.0145, 6);
      expect(row.importance).toBe(4.5);
      expect(row.cadence).toBe(2);
      expect(row.classification).toBe("AGN");
      expect(row.discoveryDate?.toISOString()).toBe("2020-01-02T00:00:00.000Z");
      const page = await web.get(res.headers.location as string);
      expect(pageText(page.body)).toContain("Target Crab nebula created.");
    });

    it("anonymous visitors are sent to log in, for the form and for its POST", async () => {
      const anon = new WebClient(t.app);
      const form = await anon.get("/targets/create/");
      expect(form.statusCode).toBe(303);
      expect(form.headers.location).toBe("/accounts/login/?next=%2Ftargets%2Fcreate%2F");
      await anon.get("/accounts/login/");
      const post = await anon.post("/targets/create/", { name: "Anon", ra: "1", dec: "1" });
      expect(post.statusCode).toBe(303);
      expect(post.headers.location).toMatch(/^\/accounts\/login\//);
      expect(await db().select().from(targetsTable).where(eq(targetsTable.name, "Anon"))).toEqual([]);
    });

    it("shows the domain's messages next to the fields, keeps the values", async () => {
      const web = await webAs(alice);
      await web.get("/targets/create/");
      const cases: [Record<string, string>, string, string][] = [
        [{ name: "" }, "name", "This field is required."],
        [{ ra: "" }, "ra", "This field is required."],
        [{ ra: "25:00:00" }, "ra", "hours must be 0-23"],
        [{ dec: "-95" }, "dec", "outside -90..+90"],
        [{ importance: "11" }, "importance", "less than or equal to 10"],
        [{ importance: "lots" }, "importance", "A valid number is required."],
        [{ name: "bad/name" }, "name", "Target name cannot contain any of"],
        [{ epoch: "B1950x" }, "epoch", "Julian epoch"],
        [{ classification: "Dragon" }, "classification", "Not a valid choice."],
        [{ name: "SN2023ixf" }, "name", "target with this Name already exists."],
      ];
      for (const [patch, field, message] of cases) {
        const res = await web.post("/targets/create/", {
          name: "Fresh",
          ra: "100",
          dec: "10",
          importance: "5",
          ...patch,
        });
        expect(res.statusCode, JSON.stringify(patch)).toBe(400);
        const block = new RegExp(`id="f-${field}-error">([\\s\\S]*?)</ul>`).exec(res.body);
        expect(block, `${JSON.stringify(patch)}\n${pageText(res.body)}`).not.toBeNull();
        expect(pageText(block![1])).toContain(message);
        expect(res.body).toMatch(new RegExp(`id="f-${field}"[^>]*aria-invalid="true"`));
      }
      const kept = await web.post("/targets/create/", { name: "Kept", ra: "xx", dec: "10" });
      expect(kept.body).toMatch(/id="f-name"[^>]*value="Kept"/);
      expect(kept.body).toMatch(/id="f-ra"[^>]*value="xx"/);
    });

    it("a target within 3″ of another is refused with a clear message naming it", async () => {
      const web = await webAs(bob);
      await web.get("/targets/create/");
      const res = await web.post("/targets/create/", {
        name: "Twin",
        ra: String(266.416833 + 1 / 3600),
        dec: "-29.007833",
      });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('class="form-errors" role="alert"');
      expect(pageText(res.body)).toContain(
        "Source found already at these coordinates (rad 3 arcsec): Gaia21bty",
      );
    });
  });

  describe("edit and delete: the creator and staff only", () => {
    it("others see no Edit/Delete; their GETs and POSTs are refused (403) and nothing changes", async () => {
      const web = await webAs(bob);
      const page = await web.get("/targets/V404Cyg/");
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain("/targets/V404Cyg/edit/");
      expect(page.body).not.toContain("/targets/V404Cyg/delete/");
      expect((await web.get("/targets/V404Cyg/edit/")).statusCode).toBe(403);
      expect((await web.get("/targets/V404Cyg/delete/")).statusCode).toBe(403);
      const edit = await web.post("/targets/V404Cyg/edit/", {
        name: "V404Cyg",
        ra: "306.01592",
        dec: "33.86725",
        importance: "1",
      });
      expect(edit.statusCode).toBe(403);
      const del = await web.post("/targets/V404Cyg/delete/", {});
      expect(del.statusCode).toBe(403);
      const [row] = await db().select().from(targetsTable).where(eq(targetsTable.id, ids.V404Cyg));
      expect(row.importance).toBe(7);
      // without a CSRF token even the creator is refused
      const alice1 = await webAs(alice);
      await alice1.get("/targets/V404Cyg/");
      expect((await alice1.post("/targets/V404Cyg/delete/", { _csrf: "" })).statusCode).toBe(403);
    });

    it("the creator edits with the form prefilled; blanking a required field is an error", async () => {
      const web = await webAs(alice);
      const form = await web.get("/targets/V404Cyg/edit/");
      expect(form.statusCode).toBe(200);
      expect(form.body).toMatch(/id="f-name"[^>]*value="V404Cyg"/);
      expect(form.body).toMatch(/id="f-ra"[^>]*value="306.01592"/);
      expect(form.body).toMatch(/<option value="XRB" selected>/);
      const blank = await web.post("/targets/V404Cyg/edit/", { name: "V404Cyg", ra: "", dec: "33.86725" });
      expect(blank.statusCode).toBe(400);
      expect(blank.body).toMatch(/id="f-ra-error">\s*<li>This field may not be blank\.<\/li>/);
      const res = await web.post("/targets/V404Cyg/edit/", {
        name: "V404 Cyg",
        ra: "20:24:03.82",
        dec: "+33:52:02.1",
        epoch: "2000",
        classification: "XRB",
        importance: "8",
        cadence: "0.5",
        discovery_date: "",
        description: "black hole binary",
      });
      expect(res.statusCode, pageText(res.body)).toBe(303);
      expect(res.headers.location).toBe("/targets/V404%20Cyg/");
      const [row] = await db().select().from(targetsTable).where(eq(targetsTable.id, ids.V404Cyg));
      expect(row.name).toBe("V404 Cyg");
      expect(row.importance).toBe(8);
      expect(row.ra).toBeCloseTo(306.0159167, 6);
      expect(row.description).toBe("black hole binary");
      // clearing the description stores null
      await web.get("/targets/V404%20Cyg/edit/");
      const cleared = await web.post("/targets/V404%20Cyg/edit/", {
        name: "V404 Cyg",
        ra: String(row.ra),
        dec: String(row.dec),
        description: "",
      });
      expect(cleared.statusCode).toBe(303);
      const [after] = await db().select().from(targetsTable).where(eq(targetsTable.id, ids.V404Cyg));
      expect(after.description).toBeNull();
    });

    it("staff may edit another's target and see the controls", async () => {
      const web = await webAs(staff);
      const page = await web.get("/targets/F05/");
      expect(page.body).toContain('href="/targets/F05/edit/"');
      await web.get("/targets/F05/edit/");
      const res = await web.post("/targets/F05/edit/", { name: "F05", ra: "15", dec: "0", importance: "6" });
      expect(res.statusCode).toBe(303);
      const [row] = await db().select().from(targetsTable).where(eq(targetsTable.id, ids.F05));
      expect(row.importance).toBe(6);
    });

    it("delete: a confirmation page, then the POST removes the target", async () => {
      const web = await webAs(bob);
      const confirm = await web.get("/targets/F27/delete/");
      expect(confirm.statusCode).toBe(200);
      expect(pageText(confirm.body)).toContain("Delete F27?");
      const res = await web.post("/targets/F27/delete/", {});
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/targets/");
      const rows = await db().select().from(targetsTable).where(eq(targetsTable.id, ids.F27));
      expect(rows).toEqual([]);
      expect(pageText((await web.get("/targets/")).body)).toContain("Target F27 deleted with all its data.");
      expect((await web.get("/targets/F27/")).statusCode).toBe(404);
    });
  });

  describe("comments", () => {
    it("any user adds a comment; an empty one is an error next to the field", async () => {
      const web = await webAs(bob);
      await web.get("/targets/SN2023ixf/");
      const empty = await web.post("/targets/SN2023ixf/comments/", { comment: "   " });
      expect(empty.statusCode).toBe(400);
      expect(empty.body).toMatch(/id="f-comment-error">\s*<li>This field is required\.<\/li>/);
      const res = await web.post("/targets/SN2023ixf/comments/", { comment: "Rising fast <b>tonight</b>" });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/targets/SN2023ixf/#comments");
      const page = await web.get("/targets/SN2023ixf/");
      expect(pageText(page.body)).toContain("bob · ");
      expect(page.body).toContain("Rising fast &lt;b&gt;tonight&lt;/b&gt;");
      const api = await t.call("POST", "/common/api/comments/", { target: "SN2023ixf" }, alice.token);
      expect(api.json().data.map((c: { comment: string }) => c.comment)).toContain(
        "Rising fast <b>tonight</b>",
      );
      const missing = await web.post("/targets/NoSuch/comments/", { comment: "x" });
      expect(missing.statusCode).toBe(404);
    });
  });
});
