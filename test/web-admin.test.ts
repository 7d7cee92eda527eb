import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  calibrations,
  cameras,
  dataProducts,
  reducedDatums,
  targets,
  users as usersTable,
} from "../src/db/schema/index.ts";
import { archiveCatalogueId, storeAnswer } from "../src/catalog/cache.ts";
import * as observatories from "../src/domain/observatories/service.ts";
import { refreshLastPoint } from "../src/domain/targets/refresh.ts";
import * as users from "../src/domain/users/service.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { pageText, WebClient } from "./helpers/web.ts";
import { SYSTEM } from "../src/domain/permissions.ts";

describe.each(ENGINES)("web admin on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let staff: TestUser;
  let web: WebClient; // alice, not staff
  let staffWeb: WebClient;
  const ids = { target: 0, dpError: 0, dpNoCal: 0, points: [] as number[] };

  const db = () => t.tdb.database.db;
  const userRow = async (name: string) =>
    (await db().select().from(usersTable).where(eq(usersTable.username, name)))[0];
  const cameraRow = async (prefix: string) =>
    (await db().select().from(cameras).where(eq(cameras.prefix, prefix)))[0];
  const dpRow = async (id: number) =>
    (await db().select().from(dataProducts).where(eq(dataProducts.id, id)))[0];
  const pointRow = async (id: number) =>
    (await db().select().from(reducedDatums).where(eq(reducedDatums.id, id)))[0];
  const targetRow = async () => (await db().select().from(targets).where(eq(targets.id, ids.target)))[0];
  /** Everything the admin actions change, to compare before and after a refused request. */
  const snapshot = async () => ({
    users: await db().select().from(usersTable).orderBy(usersTable.id),
    cameras: await db().select().from(cameras).orderBy(cameras.id),
    products: await db().select().from(dataProducts).orderBy(dataProducts.id),
    points: await db().select().from(reducedDatums).orderBy(reducedDatums.id),
  });

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true });
    alice = await t.user("alice");
    staff = await t.user("stella", { staff: true });
    // a sign-up (never used) and an account deactivated after use (it has logged in)
    await users.createUser(db(), SYSTEM, {
      username: "newbie",
      password: "newbie-password",
      email: "n@example.org",
      first_name: "Nora",
      is_active: false,
    });
    await t.user("former", { active: false });
    // an observatory whose camera awaits activation
    const aliceActor = users.toActor(await userRow("alice"));
    await observatories.createObservatory(
      db(),
      aliceActor,
      { name: "Skalnate Pleso", lon: 20.23, lat: 49.19, camera_name: "CCD" },
      { dataDir: t.tdb.dataDir },
    );
    // a target with four points, and two data products in error (one with a calibration to restart)
    const created = await t.call(
      "POST",
      "/targets/createTarget/",
      { name: "Gaia21bcv", ra: 100.5, dec: -20.25 },
      alice.token,
    );
    expect(created.statusCode).toBe(201);
    ids.target = (await db().select().from(targets).where(eq(targets.name, "Gaia21bcv")))[0].id;
    const aliceId = aliceActor.id;
    const dp = (n: number) => ({
      targetId: ids.target,
      userId: aliceId,
      data: `targets/Gaia21bcv/photometry/f${n}.cat`,
      sha256: String(n).repeat(64).slice(0, 64),
      dataProductType: "photometry" as const,
      status: "E" as const,
      statusMessage: n === 1 ? "No reference stars matched" : "FITS header unreadable",
    });
    const [withCal, noCal] = await db()
      .insert(dataProducts)
      .values([dp(1), dp(2)])
      .returning();
    ids.dpError = withCal.id;
    ids.dpNoCal = noCal.id;
    await db()
      .insert(calibrations)
      .values({ dataProductId: withCal.id, status: "E", mjd: 60100.5, filterRequest: "GaiaSP/any" });
    const points = await db()
      .insert(reducedDatums)
      .values(
        [60000.1, 60001.2, 60002.3, 60003.4].map((mjd, i) => ({
          targetId: ids.target,
          mjd,
          value: 15 + i / 10,
          error: 0.05,
          filter: "V",
          observer: "alice",
        })),
      )
      .returning();
    ids.points = points.map((p) => p.id);
    await refreshLastPoint(db(), ids.target); // as an upload does
    web = new WebClient(t.app);
    staffWeb = new WebClient(t.app);
    expect((await web.login(alice.username, alice.password)).statusCode).toBe(303);
    expect((await staffWeb.login(staff.username, staff.password)).statusCode).toBe(303);
  });
  afterAll(async () => t.close());

  const POSTS: [string, Record<string, string>][] = [
    ["/admin/users/approve/", { username: "newbie" }],
    ["/admin/users/reject/", { username: "newbie" }],
    ["/admin/cameras/activate/", { oname: "Skalnate Pleso_CCD" }],
    ["/admin/cameras/deactivate/", { oname: "Skalnate Pleso_CCD" }],
    ["/admin/dataproducts/restart/", { id: "1" }],
    ["/admin/points/set-active/", { id: "1", active: "false" }],
  ];
  const PAGES = [
    "/admin/",
    "/admin/users/",
    "/admin/cameras/",
    "/admin/dataproducts/",
    "/admin/points/?target=Gaia21bcv",
    "/admin/references/",
  ];

  it("anonymous visitors → the login page, for every page and every action; nothing changes", async () => {
    const anon = new WebClient(t.app);
    for (const url of PAGES) {
      const res = await anon.get(url);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe(`/accounts/login/?next=${encodeURIComponent(url)}`);
    }
    await anon.get("/accounts/login/"); // a CSRF token
    const before = await snapshot();
    for (const [url, form] of POSTS) {
      const res = await anon.post(url, form);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toContain("/accounts/login/");
    }
    expect(await snapshot()).toEqual(before);
  });

  it("a plain user: no Admin link, 403 pages, and every action refused with nothing changed", async () => {
    const home = await web.get("/observatory/");
    expect(home.body).not.toContain('href="/admin/"');
    for (const url of PAGES) {
      const res = await web.get(url);
      expect(res.statusCode, url).toBe(403);
      expect(pageText(res.body)).toContain("This page is for staff only.");
      expect(res.body).not.toContain("/admin/users/approve/");
    }
    const before = await snapshot();
    for (const [url, form] of POSTS) {
      const res = await web.post(url, form);
      expect(res.statusCode, url).toBe(403);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("staff: the dashboard counts each queue and shows its first items", async () => {
    const res = await staffWeb.get("/admin/");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('href="/admin/"');
    const count = (id: string) => new RegExp(`id="count-${id}">(\\d+)<`).exec(res.body)?.[1];
    expect(count("users")).toBe("2");
    expect(count("cameras")).toBe("1");
    expect(count("dataproducts")).toBe("2");
    const text = pageText(res.body);
    expect(text).toContain("newbie");
    expect(text).toContain("Skalnate Pleso_CCD");
    expect(text).toContain("No reference stars matched");
    expect(text).toContain("No calibration to restart");
    // a used account can be approved but not deleted: one Reject button only (newbie's)
    expect(res.body.match(/action="\/admin\/users\/reject\/"/g)).toHaveLength(1);
  });

  it("staff approve a sign-up: the account is active and can log in", async () => {
    const res = await staffWeb.post("/admin/users/approve/", { username: "newbie", next: "/admin/" });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/admin/");
    expect((await userRow("newbie")).isActive).toBe(true);
    const page = await staffWeb.get("/admin/");
    expect(pageText(page.body)).toContain("newbie approved: the account can log in now.");
    expect(/id="count-users">(\d+)</.exec(page.body)?.[1]).toBe("1");
    expect((await new WebClient(t.app).login("newbie", "newbie-password")).statusCode).toBe(303);
  });

  it("staff reject: a never-used sign-up is deleted; a used account is refused and stays", async () => {
    await users.createUser(db(), SYSTEM, {
      username: "spammer",
      password: "spammer-password",
      is_active: false,
    });
    const res = await staffWeb.post("/admin/users/reject/", { username: "spammer" });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/admin/users/");
    expect(await userRow("spammer")).toBeUndefined();
    expect(pageText((await staffWeb.get("/admin/users/")).body)).toContain(
      "spammer's registration was rejected and deleted.",
    );

    const refused = await staffWeb.post("/admin/users/reject/", { username: "former" });
    expect(refused.statusCode).toBe(303);
    const page = pageText((await staffWeb.get("/admin/users/")).body);
    expect(page).toContain("former has been used before; it stays inactive instead of being deleted.");
    expect((await userRow("former")).isActive).toBe(false);
    await staffWeb.post("/admin/users/reject/", { username: "nobody" });
    expect(pageText((await staffWeb.get("/admin/users/")).body)).toContain("User nobody does not exist.");
  });

  it("staff activate a camera (the API's activation): uploads and favourites accept it now", async () => {
    expect((await cameraRow("Skalnate Pleso_CCD")).activeFlg).toBe(false);
    const res = await staffWeb.post("/admin/cameras/activate/", { oname: "Skalnate Pleso_CCD" });
    expect(res.statusCode).toBe(303);
    expect((await cameraRow("Skalnate Pleso_CCD")).activeFlg).toBe(true);
    const page = await staffWeb.get("/admin/cameras/");
    expect(pageText(page.body)).toContain("Camera Skalnate Pleso_CCD activated.");
    expect(pageText(page.body)).toContain("No cameras are waiting for activation.");
    const fav = await t.call(
      "POST",
      "/observatory/addFavouriteObservatory/",
      { oname: "Skalnate Pleso_CCD" },
      alice.token,
    );
    expect(fav.statusCode).toBe(201);
  });

  it("staff restart a calibration in error: status C, queued; without a calibration: an error, unchanged", async () => {
    const res = await staffWeb.post("/admin/dataproducts/restart/", { id: String(ids.dpError) });
    expect(res.statusCode).toBe(303);
    expect(await dpRow(ids.dpError)).toMatchObject({ status: "C", statusMessage: "Calibration restarted" });
    const [cal] = await db().select().from(calibrations).where(eq(calibrations.dataProductId, ids.dpError));
    expect(cal.status).toBe("C");
    const jobs = await t.tdb.database.pool.query(
      "select data from pgboss.job where name = 'dataproducts.process'",
    );
    // The restart is a new calibration run (docs/calibration-runs.md), queued for the worker.
    const [run] = (
      await t.tdb.database.pool.query(
        "select id, status, reason from calibration_runs where data_product_id = $1 order by id desc limit 1",
        [ids.dpError],
      )
    ).rows;
    expect(run).toMatchObject({ status: "C", reason: "restart" });
    expect(jobs.rows.map((r) => r.data)).toContainEqual({ dataProductId: ids.dpError, runId: run.id });
    const page = pageText((await staffWeb.get("/admin/dataproducts/")).body);
    expect(page).toContain(`Calibration of data product ${ids.dpError} restarted`);
    expect(page).toContain("1 in error");

    await staffWeb.post("/admin/dataproducts/restart/", { id: String(ids.dpNoCal) });
    expect(pageText((await staffWeb.get("/admin/dataproducts/")).body)).toContain(
      `Data product ${ids.dpNoCal} has no calibration to restart.`,
    );
    expect((await dpRow(ids.dpNoCal)).status).toBe("E");
    await staffWeb.post("/admin/dataproducts/restart/", { id: "x" });
    expect(pageText((await staffWeb.get("/admin/dataproducts/")).body)).toContain("Choose a data product.");
  });

  it("staff deactivate and reactivate a point; the target's latest magnitude follows", async () => {
    const unknown = pageText((await staffWeb.get("/admin/points/?target=NoSuchStar")).body);
    expect(unknown).toContain("No target is named “NoSuchStar”.");
    const list = await staffWeb.get("/admin/points/?target=Gaia21bcv");
    const text = pageText(list.body);
    expect(text).toContain("The latest 4 of 4 points of Gaia21bcv");
    // newest first: the rows' ids in reverse order
    const rowIds = [...list.body.matchAll(/<td data-label="Id" class="num">(\d+)<\/td>/g)].map((m) =>
      Number(m[1]),
    );
    expect(rowIds).toEqual([...ids.points].reverse());
    expect((await targetRow()).magLast).toBeCloseTo(15.3, 9);

    const last = ids.points[3];
    const off = await staffWeb.post("/admin/points/set-active/", {
      id: String(last),
      active: "false",
      next: "/admin/points/?target=Gaia21bcv",
    });
    expect(off.statusCode).toBe(303);
    expect(off.headers.location).toBe("/admin/points/?target=Gaia21bcv");
    expect((await pointRow(last)).activeFlg).toBe(false);
    expect((await targetRow()).magLast).toBeCloseTo(15.2, 9);
    const after = await staffWeb.get("/admin/points/?target=Gaia21bcv");
    expect(pageText(after.body)).toContain(`Point ${last} (MJD 60003.4, V) deactivated.`);
    expect(pageText(after.body)).toContain("Deactivated");
    expect(after.body).toContain(`Reactivate<span class="visually-hidden"> point ${last}</span>`);

    await staffWeb.post("/admin/points/set-active/", { id: String(last), active: "true" });
    expect((await pointRow(last)).activeFlg).toBe(true);
    expect((await targetRow()).magLast).toBeCloseTo(15.3, 9);
    await staffWeb.post("/admin/points/set-active/", { id: "99999999", active: "false" });
    expect(pageText((await staffWeb.get("/admin/points/")).body)).toContain("Reduced datum not found.");
  });

  it("staff: reference stars — the catalogues, the cones cached from the archives, the products waiting", async () => {
    const empty = pageText((await staffWeb.get("/admin/references/")).body);
    expect(empty).toContain("No data product is waiting for reference stars.");
    expect(empty).toContain("0 cones");
    const url = "https://gea.esac.esa.int/tap-server/tap";
    const catalogueId = await archiveCatalogueId(db(), "GaiaSP", url);
    const cone = { raDeg: 150.1234, decDeg: 2.5, radiusDeg: 0.25 };
    await storeAnswer(t.tdb.database, {
      survey: "GaiaSP",
      catalogueId,
      cone,
      stars: null,
      service: url,
      rows: 812,
    });
    const message =
      "Waiting for reference stars: the Gaia archive (https://gea.esac.esa.int/tap-server/tap) is unreachable: " +
      "connection refused (4 attempts). Next try at 2026-05-01 12:34 UTC";
    const before = await dpRow(ids.dpNoCal);
    await db()
      .update(dataProducts)
      .set({ status: "C", statusMessage: message })
      .where(eq(dataProducts.id, ids.dpNoCal));
    const res = await staffWeb.get("/admin/references/");
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain(message);
    expect(text).toContain("archive:GaiaSP");
    expect(text).toContain("archive cache");
    expect(text).toContain("1 cone;");
    expect(text).toMatch(/GaiaSP\s+150\.1234, 2\.5000\s+0\.250\s+812/);
    await db()
      .update(dataProducts)
      .set({ status: before.status, statusMessage: before.statusMessage })
      .where(eq(dataProducts.id, ids.dpNoCal));
  });
});
