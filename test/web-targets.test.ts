/** Web target pages: the list (filters, sort, pages, htmx), the target page, the photometry CSV. */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataProducts, downloadedTargets, reducedDatums } from "../src/db/schema/index.ts";
import type { TestApp, TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { listedNames, seedTargets, webAs as login } from "./helpers/web-targets.ts";
import { pageText, WebClient } from "./helpers/web.ts";

describe.each(ENGINES)("web target list and target page on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  const db = () => t.tdb.database.db;
  const ids: Record<string, number> = {};
  const webAs = (user: TestUser) => login(t, user);

  beforeAll(async () => {
    ({ t, alice } = await seedTargets(engine, ids));
  }, 120_000);
  afterAll(async () => t?.close());

  describe("list", () => {
    it("asks an anonymous visitor to log in", async () => {
      const res = await new WebClient(t.app).get("/targets/?q=Gaia");
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`/accounts/login/?next=${encodeURIComponent("/targets/?q=Gaia")}`);
    });

    it("counts and pages: 25 per page, '1–25 of 30', next/previous links keep the filters", async () => {
      const web = await webAs(alice);
      const first = await web.get("/targets/?sort=name&dir=asc");
      expect(first.statusCode).toBe(200);
      expect(pageText(first.body)).toContain("1–25 of 30 targets");
      const names = listedNames(first.body);
      expect(names).toHaveLength(25);
      expect(names.slice(0, 3)).toEqual(["F01", "F02", "F03"]);
      expect(first.body).toContain('href="/targets/?sort=name&amp;dir=asc&amp;page=2"');
      const second = await web.get("/targets/?sort=name&dir=asc&page=2");
      expect(pageText(second.body)).toContain("26–30 of 30 targets");
      expect(listedNames(second.body)).toEqual(["F26", "F27", "Gaia21bty", "SN2023ixf", "V404Cyg"]);
      expect(second.body).toContain('rel="prev"');
      expect(second.body).not.toContain('rel="next"');
      // past the end: the last page; a bad page number: the first
      expect(pageText((await web.get("/targets/?sort=name&dir=asc&page=99")).body)).toContain("26–30 of 30");
      expect(pageText((await web.get("/targets/?sort=name&dir=asc&page=x")).body)).toContain("1–25 of 30");
      const fifty = await web.get("/targets/?per_page=50");
      expect(listedNames(fifty.body)).toHaveLength(30);
    });

    it("sorts by each whitelisted column, both ways; an unknown column falls back to priority", async () => {
      const web = await webAs(alice);
      const named = (html: string) => listedNames(html).filter((n) => !n.startsWith("F"));
      const imp = await web.get("/targets/?sort=importance&dir=desc&classification=&per_page=50");
      expect(named(imp.body)).toEqual(["SN2023ixf", "V404Cyg", "Gaia21bty"]);
      expect(imp.body).toMatch(/aria-sort="descending"><a class="sort"[^>]*>Importance/);
      const impAsc = await web.get("/targets/?sort=importance&dir=asc&per_page=50");
      expect(named(impAsc.body)).toEqual(["Gaia21bty", "V404Cyg", "SN2023ixf"]);
      const dec = await web.get("/targets/?sort=dec&dir=asc&per_page=50");
      expect(listedNames(dec.body)[0]).toBe("Gaia21bty");
      const ra = await web.get("/targets/?sort=ra&dir=desc&per_page=50");
      expect(listedNames(ra.body).slice(0, 3)).toEqual(["V404Cyg", "Gaia21bty", "SN2023ixf"]);
      // mag_last: only Gaia21bty has photometry; it comes first both ways (no data sorts last)
      for (const dir of ["asc", "desc"]) {
        const mag = await web.get(`/targets/?sort=mag_last&dir=${dir}&per_page=50`);
        expect(listedNames(mag.body)[0]).toBe("Gaia21bty");
        const seen = await web.get(`/targets/?sort=mjd_last&dir=${dir}&per_page=50`);
        expect(listedNames(seen.body)[0]).toBe("Gaia21bty");
      }
      // a column heading links to the other direction of the current sort
      expect(imp.body).toContain('href="/targets/?sort=importance&amp;dir=asc&amp;per_page=50"');
      const bogus = await web.get("/targets/?sort=password;drop&dir=asc");
      expect(bogus.statusCode).toBe(200);
      expect(bogus.body).toMatch(/aria-sort="descending"><a class="sort"[^>]*>Priority/);
    });

    it("filters: name/alias search, classification, importance range, group, has-data", async () => {
      const web = await webAs(alice);
      const names = async (qs: string) => listedNames((await web.get(`/targets/?${qs}`)).body);
      expect(await names("q=gaia")).toEqual(["Gaia21bty"]);
      expect(await names("q=zzALIAS")).toEqual(["Gaia21bty"]); // by alias, any case
      expect(await names("q=100%25")).toEqual([]); // % is literal, not a wildcard
      expect(await names("classification=XRB")).toEqual(["V404Cyg"]);
      expect(await names("importance_min=5&importance_max=8")).toEqual(["V404Cyg"]);
      expect(await names("group=Microlensing&sort=name&dir=asc")).toEqual(["Gaia21bty", "V404Cyg"]);
      expect(await names("has_optical=1")).toEqual(["Gaia21bty"]);
      expect(await names("mag_min=14&mag_max=15")).toEqual(["Gaia21bty"]);
      const none = await web.get("/targets/?q=nothing-like-this");
      expect(pageText(none.body)).toContain("No target matches these filters.");
      // the form shows the submitted values again
      expect((await web.get("/targets/?q=gaia")).body).toMatch(/id="f-q"[^>]*value="gaia"/);
    });

    it("cone searches: RA, Dec (degrees or sexagesimal), radius; and near a target by name or alias", async () => {
      const web = await webAs(alice);
      const names = async (qs: string) => listedNames((await web.get(`/targets/?${qs}`)).body);
      expect(await names(`cone=${encodeURIComponent("266.4, -29.0, 0.1")}`)).toEqual(["Gaia21bty"]);
      expect(await names(`cone=${encodeURIComponent("17:45:40, -29:00:28, 0.01")}`)).toEqual(["Gaia21bty"]);
      expect(await names(`near=zzalias77&near_radius=2.5&sort=name&dir=asc`)).toEqual(["Gaia21bty"]);
      expect(await names(`near=F10&near_radius=1.5&sort=name&dir=asc`)).toEqual(["F09", "F10", "F11"]);
    });

    it("bad filters: 400 with the problem shown; htmx gets a 200 fragment with the message", async () => {
      const web = await webAs(alice);
      const cases: [string, string][] = [
        ["importance_min=abc", "Enter a number."],
        [`cone=${encodeURIComponent("1,2")}`, 'Write "RA, Dec, radius"'],
        [`cone=${encodeURIComponent("25:00:00, 0, 1")}`, "hours must be 0-23"],
        [`cone=${encodeURIComponent("10, 0, 500")}`, "at most 180°"],
        ["near=NoSuchThing", 'no target or alias matches "NoSuchThing"'],
        ["near=F10&near_radius=-1", "above 0"],
      ];
      for (const [qs, message] of cases) {
        const res = await web.get(`/targets/?${qs}`);
        expect(res.statusCode, qs).toBe(400);
        expect(pageText(res.body), qs).toContain(message);
        expect(res.body).toContain('role="alert"');
        const frag = await web.get(`/targets/?${qs}`, { "hx-request": "true" });
        expect(frag.statusCode).toBe(200);
        expect(pageText(frag.body)).toContain(message);
      }
    });

    it("htmx: the results fragment only (with the sort state out of band); a full page on history restore", async () => {
      const web = await webAs(alice);
      const frag = await web.get("/targets/?sort=name&dir=asc&q=F1", { "hx-request": "true" });
      expect(frag.statusCode).toBe(200);
      expect(frag.body).not.toContain("<html");
      expect(frag.body).toContain('<span id="sort-state" hx-swap-oob="true">');
      expect(frag.body).toContain('<input type="hidden" name="sort" value="name">');
      expect(listedNames(frag.body)).toEqual(Array.from({ length: 10 }, (_, i) => `F1${i}`));
      expect(frag.headers.vary).toContain("HX-Request");
      const restore = await web.get("/targets/?q=F1", {
        "hx-request": "true",
        "hx-history-restore-request": "true",
      });
      expect(restore.body).toContain("<html");
      // the full page: a GET form (works without JS) that htmx submits on change
      const full = await web.get("/targets/");
      expect(full.body).toMatch(/<form id="target-filters"[^>]*method="get" action="\/targets\/"/);
      expect(full.body).toContain('hx-push-url="true"');
      expect(full.body).toContain("/static/targets.css?v=");
    });
  });

  describe("target page", () => {
    it("shows position, observing fields, aliases, groups, the light curve figure and actions", async () => {
      const web = await webAs(alice);
      const res = await web.get("/targets/Gaia21bty/");
      expect(res.statusCode).toBe(200);
      const text = pageText(res.body);
      expect(text).toContain("17:45:40.04"); // RA hms
      expect(text).toContain("-29:00:28.2"); // Dec dms
      expect(text).toContain("266.416833°");
      expect(text).toContain("Sagittarius (Sgr)");
      expect(text).toMatch(/Galactic l, b 359\.94\d\d°, -0\.04\d\d°/);
      expect(text).toContain("14.700 mag in r"); // latest point
      expect(text).toContain("MJD 59003.25000 · 2020-06-03 06:00 UTC");
      expect(text).toContain("GAIA_ALERTS: ZZalias77");
      expect(text).toContain("Microlensing");
      expect(text).toContain("Target created by alice(alice)");
      const island = /<script type="application\/json" id="lightcurve-data">([\s\S]*?)<\/script>/.exec(
        res.body,
      );
      expect(island).not.toBeNull();
      const figure = JSON.parse(island![1]);
      const byName = Object.fromEntries(
        figure.data.map((tr: { name: string; x: number[] }) => [tr.name, tr]),
      );
      expect(byName.V.x).toEqual([59000.5, 59001.5]);
      expect(byName["V limit"].x).toEqual([59002.5]);
      expect(byName["V limit"].marker.symbol).toBe("triangle-down-open");
      expect(byName.r.y).toEqual([14.9, 14.7]);
      expect(figure.layout.yaxis.autorange).toBe("reversed");
      expect(byName.V.text[0]).toContain("ROAD / john");
      expect(res.body).toContain('href="/targets/Gaia21bty/photometry.csv"');
      expect(res.body).toContain('href="/dataproducts/upload/?target=Gaia21bty"');
      expect(res.body).toContain("/static/plotly.min.js");
      expect(res.body).toContain("/static/lightcurve.js");
      expect(res.body).toContain('href="/targets/Gaia21bty/edit/"');
      expect(res.body).toContain('href="/targets/Gaia21bty/delete/"');
    });

    it("an alias or other case redirects to the target's own address; unknown → 404", async () => {
      const web = await webAs(alice);
      const byAlias = await web.get("/targets/zzalias77/");
      expect(byAlias.statusCode).toBe(302);
      expect(byAlias.headers.location).toBe("/targets/Gaia21bty/");
      expect((await web.get("/targets/gaia21BTY/")).headers.location).toBe("/targets/Gaia21bty/");
      const missing = await web.get("/targets/Nope%20Nothing/");
      expect(missing.statusCode).toBe(404);
      expect(pageText(missing.body)).toContain("No target “Nope Nothing”");
    });

    it("a target without photometry shows an empty state, no figure", async () => {
      const web = await webAs(alice);
      const res = await web.get("/targets/V404Cyg/");
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('id="lightcurve-data"');
      expect(pageText(res.body)).toContain("No photometry yet.");
    });

    it("lists the target's data products with status badges linking to their pages, 20 a page", async () => {
      await db()
        .insert(dataProducts)
        .values(
          Array.from({ length: 23 }, (_, i) => ({
            targetId: ids.SN2023ixf,
            data: `targets/SN2023ixf/photometry_csv/f${i}.csv`,
            originalName: `f${i}.csv`,
            sha256: String(i).padStart(64, "0"),
            dataProductType: "photometry_csv" as const,
            status: (i === 22 ? "E" : "S") as "E" | "S",
            created: new Date(Date.UTC(2024, 0, 1 + i)),
          })),
        );
      const web = await webAs(alice);
      const first = await web.get("/targets/SN2023ixf/");
      const rows = (b: string) => [...b.matchAll(/<a href="\/dataproducts\/(\d+)\/">#\d+<\/a>/g)].length;
      expect(rows(first.body)).toBe(20);
      expect(pageText(first.body)).toContain("Data products (23)");
      expect(pageText(first.body)).toContain("Data products 1–20 of 23");
      // newest first: f22 (status E) leads, with its badge
      expect(first.body).toMatch(/f22\.csv<\/a><\/td>[\s\S]*?<span class="badge badge-E">Error<\/span>/);
      expect(first.body).toContain('href="?dp_page=2#dp-heading"');
      const second = await web.get("/targets/SN2023ixf/?dp_page=2");
      expect(rows(second.body)).toBe(3);
      expect(pageText(second.body)).toContain("Data products 21–23 of 23");
      expect(second.body).toContain("f0.csv");
    });

    it("a JSON island cannot be closed by a facility name", async () => {
      await db().insert(reducedDatums).values({
        targetId: ids.V404Cyg,
        mjd: 59500,
        value: 12,
        error: 0.1,
        filter: "V",
        facility: "</script><script>alert(1)</script>",
        observer: "x",
      });
      const web = await webAs(alice);
      const res = await web.get("/targets/V404Cyg/");
      expect(res.body).not.toContain("</script><script>alert(1)");
      const island = /id="lightcurve-data">([\s\S]*?)<\/script>/.exec(res.body)![1];
      expect(JSON.stringify(JSON.parse(island))).toContain("</script><script>alert(1)</script>");
    });
  });

  describe("photometry CSV", () => {
    it("the same bytes as the API's download-photometry; recorded as a P download; login required", async () => {
      const anon = await new WebClient(t.app).get("/targets/Gaia21bty/photometry.csv");
      expect(anon.statusCode).toBe(303);
      const before = await db()
        .select()
        .from(downloadedTargets)
        .where(eq(downloadedTargets.targetId, ids.Gaia21bty));
      const api = await t.call("POST", "/targets/download-photometry/", { name: "Gaia21bty" }, alice.token);
      expect(api.statusCode).toBe(200);
      const web = await webAs(alice);
      const res = await web.get("/targets/Gaia21bty/photometry.csv");
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/csv/);
      expect(res.headers["content-disposition"]).toBe(
        'attachment; filename="target_Gaia21bty_photometry.csv"',
      );
      expect(res.rawPayload.equals(api.rawPayload)).toBe(true);
      expect(res.body.split("\n")).toHaveLength(7); // header, 5 points, final newline
      const after = await db()
        .select()
        .from(downloadedTargets)
        .where(eq(downloadedTargets.targetId, ids.Gaia21bty));
      expect(after.length - before.length).toBe(2);
      expect(after.every((d) => d.downloadType === "P")).toBe(true);
      expect((await web.get("/targets/NoSuch/photometry.csv")).statusCode).toBe(404);
    });
  });
});
