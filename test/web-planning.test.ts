/**
 * Night planning in the web UI (inject): the target page's Observe panel, an observatory's Tonight, the
 * observer's home page (tonight's plans, recent uploads, the network's latest points), plan downloads,
 * and finder charts loaded with the session cookie — on a short `skytom demo` night.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observatories } from "../src/db/schema/index.ts";
import { runDemo, type DemoResult } from "../src/demo/run.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { pageText, WebClient } from "./helpers/web.ts";

const NOW = new Date("2025-03-20T12:00:00Z");
const ONAME = "skytom-demo_CCD1";
const HTMX = { "hx-request": "true" };

describe("planning pages (pglite)", () => {
  let t: TestApp;
  let demo: DemoResult;
  let web: WebClient; // the demo observer, whose favourite is the demo camera
  let bob: TestUser;
  let bobWeb: WebClient; // no favourites

  beforeAll(async () => {
    t = await createTestApp("pglite");
    demo = await runDemo(t.tdb.database, t.tdb.dataDir, { frames: 4, catalogues: 1, now: NOW });
    web = new WebClient(t.app);
    expect((await web.login(demo.user.username, demo.user.password)).statusCode).toBe(303);
    bob = await t.user("bob");
    bobWeb = new WebClient(t.app);
    expect((await bobWeb.login(bob.username, bob.password)).statusCode).toBe(303);
  }, 300_000);
  afterAll(async () => t?.close());

  it("the target page has an Observe panel that htmx loads", async () => {
    const page = await web.get("/targets/DemoVar-1/");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('hx-get="/targets/DemoVar-1/observe/"');
    expect(pageText(page.body)).toContain("Observe");
  });

  it("Observe: visibility, exposure and finder chart at the observer's favourite camera", async () => {
    const res = await web.get("/targets/DemoVar-1/observe/?date=2025-03-20", HTMX);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain("<html"); // a fragment
    const text = pageText(res.body);
    expect(text).toContain("Predicted tonight: V(GaiaSP)");
    expect(text).toContain(ONAME);
    expect(text).toMatch(/20:41–05:55/); // astronomical darkness at La Palma, 2025-03-20 (UTC)
    expect(text).toMatch(/\d+(\.\d)? s at 1\d\.\d\d mag, X = 1\.0\d, V\(GaiaSP\)/);
    expect(res.body).toContain(`src="/targets/DemoVar-1/finder.png?oname=${ONAME}"`);
    // opened directly: a whole page around the same panel
    const full = await web.get("/targets/DemoVar-1/observe/?date=2025-03-20");
    expect(full.body).toContain("<html");
    expect(pageText(full.body)).toContain("Observe DemoVar-1");
  });

  it("Observe without favourites says how to get them, and still shows the finder chart", async () => {
    const res = await bobWeb.get("/targets/DemoVar-1/observe/", HTMX);
    const text = pageText(res.body);
    expect(text).toContain("You have no favourite cameras");
    expect(res.body).toContain('src="/targets/DemoVar-1/finder.png"');
  });

  it("the finder chart loads with the session cookie (no token), and not without it", async () => {
    const res = await web.get(`/targets/DemoVar-1/finder.png?oname=${ONAME}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/png");
    const anonymous = await t.app.inject({ method: "GET", url: "/targets/DemoVar-1/finder.png" });
    expect(anonymous.statusCode).toBe(401);
  });

  it("the observatory page has Tonight: the camera's plan with DemoVar-1 and the downloads", async () => {
    const [o] = await t.tdb.database.db.select().from(observatories);
    const page = await web.get(`/observatory/${o.id}/`);
    expect(page.body).toContain(`hx-get="/observatory/${o.id}/tonight/"`);
    const res = await web.get(`/observatory/${o.id}/tonight/?date=2025-03-20`, HTMX);
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain(ONAME);
    expect(text).toContain("Night of 2025-03-20: astronomical darkness 20:41–05:55 UTC");
    expect(text).toContain("DemoVar-1");
    expect(res.body).toContain(`href="/tonight/${ONAME}/plan.csv?date=2025-03-20"`);
    expect((await web.get("/observatory/99999/tonight/", HTMX)).statusCode).toBe(404);
  });

  it("plan downloads: CSV and the name/ra/dec/exposure list", async () => {
    const csv = await web.get(`/tonight/${ONAME}/plan.csv?date=2025-03-20`);
    expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(csv.body.split("\r\n")[0]).toBe(
      "name,ra,dec,start,end,exposure_s,n_exposures,filter,mag,snr,airmass,priority",
    );
    expect(csv.body).toContain("DemoVar-1,176.");
    const txt = await web.get(`/tonight/${ONAME}/plan.txt?date=2025-03-20`);
    expect(txt.body).toMatch(/^DemoVar-1 11:47:\d\d\.\d\d \+13:33:\d\d\.\d \d+\n$/);
  });

  it("home: tonight at the favourite cameras, the observer's recent uploads, the network's latest points", async () => {
    const home = await web.get("/");
    const text = pageText(home.body);
    expect(text).toContain("Tonight at your cameras");
    expect(home.body).toContain('hx-get="/tonight/?compact=1"');
    expect(text).toContain("Your recent uploads");
    expect(text).toContain("DemoVar-1");
    expect(text).toMatch(/Done \d\d\.\d{3} mag V\(GaiaSP\)/);
    expect(text).toContain("Latest points across the network");
    expect(text).toContain("skytom-demo (demo)");
    const tonight = await web.get("/tonight/?date=2025-03-20&compact=1", HTMX);
    expect(pageText(tonight.body)).toContain(ONAME);
    expect(pageText(tonight.body)).toContain("DemoVar-1");
    const none = await bobWeb.get("/tonight/", HTMX);
    expect(pageText(none.body)).toContain("You have no favourite cameras");
    expect(pageText((await bobWeb.get("/")).body)).toContain("You have not uploaded anything yet.");
  });

  it("anonymous visitors are sent to the login page", async () => {
    const anon = new WebClient(t.app);
    const res = await anon.get("/targets/DemoVar-1/observe/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/accounts/login/?next=%2Ftargets%2FDemoVar-1%2Fobserve%2F");
  });
});
