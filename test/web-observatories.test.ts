import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cameras,
  favourites,
  observatories as obsTable,
  users as usersTable,
} from "../src/db/schema/index.ts";
import * as repo from "../src/domain/observatories/repo.ts";
import * as observatories from "../src/domain/observatories/service.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { pageText, WebClient } from "./helpers/web.ts";
import { SYSTEM } from "../src/domain/permissions.ts";

/** The messages under one field of a rendered form (`#f-<name>-error`). */
function fieldError(html: string, name: string): string {
  const m = new RegExp(`<ul class="field-errors" id="f-${name}-error">([\\s\\S]*?)</ul>`).exec(html);
  return m ? pageText(m[1]) : "";
}

describe.each(ENGINES)("web observatories on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let staff: TestUser;
  let web: WebClient; // alice
  let bobWeb: WebClient;
  let staffWeb: WebClient;
  let obsId = 0;

  const db = () => t.tdb.database.db;
  const obsRow = async (id: number) => (await db().select().from(obsTable).where(eq(obsTable.id, id)))[0];
  const camerasOf = (id: number) =>
    db().select().from(cameras).where(eq(cameras.observatoryId, id)).orderBy(cameras.id);
  const userId = async (name: string) =>
    (await db().select().from(usersTable).where(eq(usersTable.username, name)))[0].id;

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    bob = await t.user("bob");
    staff = await t.user("stella", { staff: true });
    web = new WebClient(t.app);
    bobWeb = new WebClient(t.app);
    staffWeb = new WebClient(t.app);
    expect((await web.login(alice.username, alice.password)).statusCode).toBe(303);
    expect((await bobWeb.login(bob.username, bob.password)).statusCode).toBe(303);
    expect((await staffWeb.login(staff.username, staff.password)).statusCode).toBe(303);
  });
  afterAll(async () => t.close());

  it("anonymous visitors are sent to the login page, for pages and posts", async () => {
    const anon = new WebClient(t.app);
    const list = await anon.get("/observatory/");
    expect(list.statusCode).toBe(303);
    expect(list.headers.location).toBe("/accounts/login/?next=%2Fobservatory%2F");
    expect((await anon.get("/observatory/create/")).headers.location).toContain("/accounts/login/");
    await anon.get("/accounts/login/");
    const post = await anon.post("/observatory/create/", { name: "X", lon: "1", lat: "2", camera_name: "C" });
    expect(post.statusCode).toBe(303);
    expect(post.headers.location).toContain("/accounts/login/");
    expect(await db().select().from(obsTable)).toHaveLength(0);
  });

  it("empty catalogue → an empty state with a create link", async () => {
    const res = await web.get("/observatory/");
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain("0 observatories");
    expect(text).toContain("No observatories yet.");
    expect(res.body).toContain('href="/observatory/create/"');
  });

  it("create form: bad input → 400 with the API's messages next to the fields, nothing saved", async () => {
    const form = await web.get("/observatory/create/");
    expect(form.statusCode).toBe(200);
    for (const f of ["name", "lon", "lat", "altitude", "camera_name", "gain", "calibration_flg"])
      expect(form.body).toContain(`id="f-${f}"`);
    const res = await web.post("/observatory/create/", {
      name: "",
      lon: "east",
      lat: "181",
      altitude: "",
      camera_name: "",
      gain: "0",
      calibration_flg: "false",
    });
    expect(res.statusCode).toBe(400);
    expect(fieldError(res.body, "name")).toBe("This field is required.");
    expect(fieldError(res.body, "lon")).toBe("A valid number is required.");
    expect(fieldError(res.body, "lat")).toBe("Ensure this value is less than or equal to 180.");
    expect(fieldError(res.body, "camera_name")).toBe("This field is required.");
    expect(fieldError(res.body, "gain")).toBe("Ensure this value is greater than 0.");
    expect(res.body).toContain('value="east"'); // the form keeps what was typed
    expect(await db().select().from(obsTable)).toHaveLength(0);
  });

  it("lat within ±180 is accepted as the API does (LAT_LIMIT_DEG), and the owner is the creator", async () => {
    const res = await web.post("/observatory/create/", {
      name: "Ondrejov",
      lon: "14.78",
      lat: "49.91",
      altitude: "528",
      camera_name: "G4",
      gain: "1.5",
      comment: "Czech site",
      calibration_flg: "false",
    });
    expect(res.statusCode).toBe(303);
    const m = /^\/observatory\/(\d+)\/$/.exec(String(res.headers.location));
    expect(m).not.toBeNull();
    obsId = Number(m![1]);
    const row = await obsRow(obsId);
    expect(row).toMatchObject({
      name: "Ondrejov",
      lon: 14.78,
      lat: 49.91,
      altitude: 528,
      comment: "Czech site",
    });
    expect(row.userId).toBe(await userId("alice"));
    const cams = await camerasOf(obsId);
    expect(cams).toHaveLength(1);
    expect(cams[0]).toMatchObject({ prefix: "Ondrejov_G4", activeFlg: false, gain: 1.5, pixelScale: 0.8 });

    const page = await web.get(res.headers.location as string);
    const text = pageText(page.body);
    expect(text).toContain("Observatory Ondrejov created.");
    expect(text).toContain("49.91000° N");
    expect(text).toContain("14.78000° E");
    expect(text).toContain("528 m");
    expect(text).toContain("Owner alice");
    expect(text).toContain("Ondrejov_G4");
    expect(text).toContain("Awaiting activation");
    expect(text).toContain("1.5 e⁻/ADU");
    expect(page.body).toContain(`href="/observatory/${obsId}/edit/"`);
    expect(page.body).toContain(`href="/observatory/${obsId}/cameras/add/"`);

    // A southern, western site far outside ±90 latitude still follows the API's ±180 window.
    const south = await web.post("/observatory/create/", {
      name: "Guide example",
      lon: "45.12345",
      lat: "-120.6789",
      camera_name: "Camera1",
      calibration_flg: "true",
    });
    expect(south.statusCode).toBe(303);
    const created = await observatories.getObservatory(db(), "Guide example");
    expect(created.lat).toBe(-120.6789);
    expect(created.calibration_flg).toBe(true);
  });

  it("a duplicate name is refused with the domain's message", async () => {
    const res = await web.post("/observatory/create/", {
      name: "Ondrejov",
      lon: "1",
      lat: "2",
      camera_name: "X",
    });
    expect(res.statusCode).toBe(400);
    expect(fieldError(res.body, "name")).toBe("observatory with this Observatory name already exists.");
  });

  it("another user sees no edit controls, and every edit POST is refused (403) with nothing changed", async () => {
    const page = await bobWeb.get(`/observatory/${obsId}/`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(`/observatory/${obsId}/edit/`);
    expect(page.body).not.toContain(`/observatory/${obsId}/cameras/add/`);
    expect(page.body).not.toContain("/edit/");
    expect(page.body).not.toContain("/admin/cameras/activate/");
    expect((await bobWeb.get(`/observatory/${obsId}/edit/`)).statusCode).toBe(403);
    expect((await bobWeb.get(`/observatory/${obsId}/cameras/add/`)).statusCode).toBe(403);
    const [cam] = await camerasOf(obsId);
    expect((await bobWeb.get(`/observatory/${obsId}/cameras/${cam.id}/edit/`)).statusCode).toBe(403);

    const before = await obsRow(obsId);
    const edit = await bobWeb.post(`/observatory/${obsId}/edit/`, {
      name: "Stolen",
      lon: "1",
      lat: "1",
      calibration_flg: "false",
    });
    expect(edit.statusCode).toBe(403);
    expect(pageText(edit.body)).toContain("Only the owner of this observatory or staff may change it.");
    const add = await bobWeb.post(`/observatory/${obsId}/cameras/add/`, { camera_name: "Mine" });
    expect(add.statusCode).toBe(403);
    const camEdit = await bobWeb.post(`/observatory/${obsId}/cameras/${cam.id}/edit/`, { gain: "9" });
    expect(camEdit.statusCode).toBe(403);
    expect(await obsRow(obsId)).toEqual(before);
    expect(await camerasOf(obsId)).toEqual([cam]);
  });

  it("unknown or malformed ids → 404 pages", async () => {
    expect((await web.get("/observatory/999999/")).statusCode).toBe(404);
    expect((await web.get("/observatory/abc/")).statusCode).toBe(404);
    expect((await web.get(`/observatory/${obsId}/cameras/999999/edit/`)).statusCode).toBe(404);
  });

  it("the owner edits: bad values come back next to the fields; good ones rename and clear", async () => {
    const form = await web.get(`/observatory/${obsId}/edit/`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="528"');
    expect(form.body).toContain("Czech site");
    const bad = await web.post(`/observatory/${obsId}/edit/`, {
      name: "Ondrejov",
      lon: "14.78",
      lat: "north",
      altitude: "20000",
      calibration_flg: "false",
    });
    expect(bad.statusCode).toBe(400);
    expect(fieldError(bad.body, "lat")).toBe("A valid number is required.");
    expect(fieldError(bad.body, "altitude")).toBe("Ensure this value is less than or equal to 10000.");
    expect((await obsRow(obsId)).altitude).toBe(528);

    const ok = await web.post(`/observatory/${obsId}/edit/`, {
      name: "Ondrejov Observatory",
      lon: "14.7805",
      lat: "49.9101",
      altitude: "530",
      comment: "",
      telescope: "Mayer 0.65 m",
      calibration_flg: "false",
    });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/observatory/${obsId}/`);
    const row = await obsRow(obsId);
    expect(row).toMatchObject({
      name: "Ondrejov Observatory",
      lon: 14.7805,
      altitude: 530,
      comment: null,
      telescope: "Mayer 0.65 m",
    });
    expect((await camerasOf(obsId))[0].prefix).toBe("Ondrejov Observatory_G4");
  });

  it("staff may edit any observatory; the owner adds and updates cameras", async () => {
    const staffPage = await staffWeb.get(`/observatory/${obsId}/`);
    expect(staffPage.body).toContain(`/observatory/${obsId}/edit/`);
    expect(staffPage.body).toContain("/admin/cameras/activate/");
    const staffEdit = await staffWeb.post(`/observatory/${obsId}/edit/`, {
      name: "Ondrejov Observatory",
      lon: "14.7805",
      lat: "49.9101",
      seeing: "2.5",
      calibration_flg: "false",
    });
    expect(staffEdit.statusCode).toBe(303);
    expect((await obsRow(obsId)).seeing).toBe(2.5);

    const add = await web.post(`/observatory/${obsId}/cameras/add/`, { camera_name: "C2", binning: "2" });
    expect(add.statusCode).toBe(303);
    const dup = await web.post(`/observatory/${obsId}/cameras/add/`, { camera_name: "C2" });
    expect(dup.statusCode).toBe(400);
    expect(fieldError(dup.body, "camera_name")).toBe("This observatory already has a camera with this name.");
    const badBinning = await web.post(`/observatory/${obsId}/cameras/add/`, {
      camera_name: "C3",
      binning: "1.5",
    });
    expect(fieldError(badBinning.body, "binning")).toBe("A valid integer is required.");

    const cams = await camerasOf(obsId);
    expect(cams.map((c) => [c.cameraName, c.binning, c.activeFlg])).toEqual([
      ["G4", 1, false],
      ["C2", 2, false],
    ]);
    const c2 = cams[1];
    const form = await web.get(`/observatory/${obsId}/cameras/${c2.id}/edit/`);
    expect(form.body).toContain('value="TIME-OBS"');
    const save = await web.post(`/observatory/${obsId}/cameras/${c2.id}/edit/`, {
      camera_name: "C2",
      gain: "2.25",
      time_keyword: "",
      exposure_time_keyword: "EXPOSURE",
    });
    expect(save.statusCode).toBe(303);
    const [updated] = await db().select().from(cameras).where(eq(cameras.id, c2.id));
    expect(updated).toMatchObject({ gain: 2.25, timeKeyword: "", exposureTimeKeyword: "EXPOSURE" });
    const badKeyword = await web.post(`/observatory/${obsId}/cameras/${c2.id}/edit/`, {
      date_time_keyword: "DATE OBS TOO LONG",
    });
    expect(badKeyword.statusCode).toBe(400);
    expect(fieldError(badKeyword.body, "date_time_keyword")).toContain("Enter a FITS keyword name");
    // one-shot-colour bands: JSON in the form, checked, shown; an empty field restores the default
    const badBands = await web.post(`/observatory/${obsId}/cameras/${c2.id}/edit/`, {
      bayer_bands: '{"R": "GaiaSP/V", "G": "GaiaSP/V"}',
    });
    expect(badBands.statusCode).toBe(400);
    expect(fieldError(badBands.body, "bayer_bands")).toContain("each channel its own band");
    const bands = await web.post(`/observatory/${obsId}/cameras/${c2.id}/edit/`, {
      bayer_bands: '{"R": "GaiaSP/r", "G": "GaiaSP/g", "B": "GaiaSP/B"}',
    });
    expect(bands.statusCode).toBe(303);
    const [withBands] = await db().select().from(cameras).where(eq(cameras.id, c2.id));
    expect(withBands.bayerBands).toEqual({ R: "GaiaSP/r", G: "GaiaSP/g", B: "GaiaSP/B" });
    expect(pageText((await web.get(`/observatory/${obsId}/`)).body)).toContain("R → GaiaSP/r");
    expect((await web.get(`/observatory/${obsId}/cameras/${c2.id}/edit/`)).body).toContain("GaiaSP/g");
    await web.post(`/observatory/${obsId}/cameras/${c2.id}/edit/`, { bayer_bands: "" });
    const [reset] = await db().select().from(cameras).where(eq(cameras.id, c2.id));
    expect(reset.bayerBands).toBeNull();
    // colour index of the colour terms: checked, stored canonical, shown; empty = each band's own
    const badIndex = await web.post(`/observatory/${obsId}/cameras/${c2.id}/edit/`, { colour_index: "U-B" });
    expect(badIndex.statusCode).toBe(400);
    expect(fieldError(badIndex.body, "colour_index")).toContain("B-V, g-r, BP-RP, J-K");
    const index = await web.post(`/observatory/${obsId}/cameras/${c2.id}/edit/`, { colour_index: "bp-rp" });
    expect(index.statusCode).toBe(303);
    const [withIndex] = await db().select().from(cameras).where(eq(cameras.id, c2.id));
    expect(withIndex.colourIndex).toBe("BP-RP");
    expect(pageText((await web.get(`/observatory/${obsId}/`)).body)).toContain("BP-RP for every band");
    expect((await web.get(`/observatory/${obsId}/cameras/${c2.id}/edit/`)).body).toContain('value="BP-RP"');
    await web.post(`/observatory/${obsId}/cameras/${c2.id}/edit/`, { colour_index: "" });
    const [noIndex] = await db().select().from(cameras).where(eq(cameras.id, c2.id));
    expect(noIndex.colourIndex).toBeNull();
  });

  it("favourites: inactive cameras cannot be added; add with a comment (htmx) and remove (form)", async () => {
    const [g4] = await camerasOf(obsId);
    const aliceId = await userId("alice");
    const favRows = () =>
      db()
        .select()
        .from(favourites)
        .where(and(eq(favourites.userId, aliceId), eq(favourites.cameraId, g4.id)));

    const refused = await web.post("/observatory/favourites/add/", {
      oname: g4.prefix,
      next: "/observatory/",
    });
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe("/observatory/");
    expect(pageText((await web.get("/observatory/")).body)).toContain("Observatory is not active");
    expect(await favRows()).toHaveLength(0);

    await observatories.setCameraActive(db(), SYSTEM, g4.prefix, true);
    const list = await web.get("/observatory/");
    expect(pageText(list.body)).toContain("Add to favourites");

    const added = await web.post(
      "/observatory/favourites/add/",
      { oname: g4.prefix, comment: "my main camera", with_comment: "1" },
      { "hx-request": "true" },
    );
    expect(added.statusCode).toBe(200);
    expect(added.body).not.toContain("<html");
    expect(added.body).toContain('class="star-button is-on"');
    expect(pageText(added.body)).toContain("“my main camera”");
    expect(pageText(added.body)).toContain(`${g4.prefix} added to your favourites.`);
    expect(await favRows()).toMatchObject([{ comment: "my main camera", activeFlg: true }]);

    const again = await web.post(
      "/observatory/favourites/add/",
      { oname: g4.prefix },
      { "hx-request": "true" },
    );
    expect(pageText(again.body)).toContain("This observatory already exists in yours favourite list");

    const mine = await web.get("/observatory/?fav=1");
    expect(pageText(mine.body)).toContain("1 observatory");
    expect(pageText(mine.body)).toContain("Ondrejov Observatory");
    expect(pageText((await bobWeb.get("/observatory/?fav=1")).body)).toContain(
      "No observatory matches these filters.",
    );

    const removed = await web.post("/observatory/favourites/remove/", {
      oname: g4.prefix,
      next: `/observatory/${obsId}/`,
    });
    expect(removed.statusCode).toBe(303);
    expect(removed.headers.location).toBe(`/observatory/${obsId}/`);
    expect(pageText((await web.get(`/observatory/${obsId}/`)).body)).toContain(
      `${g4.prefix} removed from your favourites.`,
    );
    expect(await favRows()).toHaveLength(0);
    const notThere = await web.post(
      "/observatory/favourites/remove/",
      { oname: g4.prefix },
      { "hx-request": "true" },
    );
    expect(pageText(notThere.body)).toContain("This observatory is not in your favourite list");
    // an external `next` is not followed
    const ext = await web.post("/observatory/favourites/add/", { oname: g4.prefix, next: "//evil.example/" });
    expect(ext.headers.location).toBe("/observatory/");
    // and the CSRF token is required
    const noCsrf = await web.post("/observatory/favourites/remove/", { oname: g4.prefix, _csrf: "" });
    expect(noCsrf.statusCode).toBe(403);
    expect(await favRows()).toHaveLength(1);
  });

  it("list filters: name search, active cameras, calibration flag; pages of 25", async () => {
    const search = pageText((await web.get("/observatory/?q=DREJ")).body);
    expect(search).toContain("1 observatory");
    expect(search).toContain("Ondrejov Observatory");
    expect(search).not.toContain("Guide example");
    expect(pageText((await web.get("/observatory/?q=%25")).body)).toContain("0 observatories");
    const active = pageText((await web.get("/observatory/?active=yes")).body);
    expect(active).toContain("Ondrejov Observatory");
    expect(active).not.toContain("Guide example");
    expect(active).toContain("2 cameras, 1 active");
    const calib = pageText((await web.get("/observatory/?calibration=yes")).body);
    expect(calib).toContain("1 observatory");
    expect(calib).toContain("Guide example");
    expect(calib).toContain("calibration only");
    expect(pageText((await web.get("/observatory/?calibration=no")).body)).toContain("Ondrejov Observatory");

    const owner = await userId("bob");
    await repo.insertObservatories(
      db(),
      Array.from({ length: 30 }, (_, i) => ({
        name: `Zz site ${String(i).padStart(2, "0")}`,
        lon: i,
        lat: -i,
        userId: owner,
      })),
    );
    const p1 = await web.get("/observatory/");
    expect(pageText(p1.body)).toContain("32 observatories · page 1 of 2");
    expect(p1.body).toContain('href="?page=2"');
    const p2 = pageText((await web.get("/observatory/?page=2")).body);
    expect(p2).toContain("Zz site 29");
    expect(p2).not.toContain("Ondrejov");
    expect(pageText((await web.get("/observatory/?page=99")).body)).toContain("page 2 of 2");
    const filteredPage = await web.get("/observatory/?q=zz&page=2");
    expect(pageText(filteredPage.body)).toContain("30 observatories · page 2 of 2");
    expect(filteredPage.body).toContain('href="?q=zz&amp;page=1"');
  });
});
