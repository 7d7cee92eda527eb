/**
 * Web uploads and data product pages through `inject`: the upload endpoint (one file per XHR request, JSON
 * answers; or a plain multipart form post), CSRF and session rules, per-file errors, the lists with live
 * status, and the calibration result page with its plot, preview and catalogue files and the owner/staff
 * actions — on a FITS image measured and calibrated by the real job.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cameras, dataProducts, observatories, reducedDatums } from "../src/db/schema/index.ts";
import { processFits } from "../src/domain/dataproducts/fits.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { multipart, type FilePart } from "./helpers/multipart.ts";
import { pageText, WebClient } from "./helpers/web.ts";
import { FIELD_DIR, fixtureReference } from "./helpers/fixtures.ts";

const FIXTURE = FIELD_DIR;
const CSV = "time,filter,magnitude,error\n60001.1,V,15.2,0.05\n60001.2,V,15.3,0.04\n60001.3,R,14.9,0.06\n";
const CSV2 = "time,filter,magnitude,error\n60002.1,V,15.1,0.05\n60002.2,V,15.0,0.04\n";
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const cookieHeader = (c: WebClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");

/** A multipart upload to the web endpoint; `mode: "xhr"` as upload.js sends it (JSON, CSRF header). */
async function webUpload(
  t: TestApp,
  c: WebClient,
  fields: Record<string, string | string[]>,
  files: FilePart[],
  opts: { mode?: "xhr" | "form"; csrf?: string } = {},
): Promise<LightMyRequestResponse> {
  const mode = opts.mode ?? "xhr";
  const csrf = opts.csrf ?? c.csrf;
  const { payload, contentType } = multipart(
    mode === "form" && csrf ? { _csrf: csrf, ...fields } : fields,
    files,
  );
  const res = await t.app.inject({
    method: "POST",
    url: "/dataproducts/upload/",
    headers: {
      "content-type": contentType,
      cookie: cookieHeader(c),
      accept: mode === "xhr" ? "application/json" : "text/html",
      ...(mode === "xhr" && csrf ? { "x-csrf-token": csrf } : {}),
    },
    payload,
  });
  for (const k of res.cookies as { name: string; value: string }[]) c.cookies.set(k.name, k.value);
  return res;
}

describe.each(ENGINES)("web uploads on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let web: WebClient;

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true, maxUploadFileBytes: 64 * 1024 });
    alice = await t.user("alice");
    await t.call("POST", "/targets/createTarget/", { name: "WebT", ra: 150.02, dec: 2.01 }, alice.token);
    web = new WebClient(t.app);
    await web.login("alice", alice.password);
    await web.get("/dataproducts/upload/");
  });
  afterAll(async () => t.close());

  it("GET /dataproducts/upload/?target= — the form, prefilled, with the recent targets and no favourites yet", async () => {
    const res = await web.get("/dataproducts/upload/?target=WebT");
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<input id="f-target" name="target" type="text"[^>]*value="WebT"/);
    expect(res.body).toContain('<option value="WebT"></option>');
    expect(res.body).toContain('enctype="multipart/form-data"');
    expect(pageText(res.body)).toContain("You have no favourite observatories yet");
    expect(res.body).toContain('<a href="/observatory/">Add a favourite</a>');
    for (const type of ["fits_file", "photometry", "photometry_csv", "spectroscopy"])
      expect(res.body).toContain(`<option value="${type}"`);
    expect(res.body).toMatch(/<option value="GaiaSP\/any" selected>/);
    expect(res.body).toContain('<option value="GaiaSP/V">');
  });

  it("XHR upload of a CSV — 201 JSON with the data product, its points stored, status S at once", async () => {
    const res = await webUpload(t, web, { target: "WebT", data_product_type: "photometry_csv" }, [
      { name: "lc.csv", content: CSV },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body.message).toBe("1 file(s) uploaded for WebT");
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ original_name: "lc.csv", status: "S", points: 3 });
    const points = await t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.dataProductId, body.data[0].id));
    expect(points.map((p) => [p.mjd, p.value, p.filter]).sort()).toEqual([
      [60001.1, 15.2, "V"],
      [60001.2, 15.3, "V"],
      [60001.3, 14.9, "R"],
    ]);
    const [dp] = await t.tdb.database.db
      .select()
      .from(dataProducts)
      .where(eq(dataProducts.id, body.data[0].id));
    expect(dp.userId).not.toBeNull();
    // the status fragment: done, so no polling
    const frag = await web.get(`/dataproducts/status/?ids=${body.data[0].id}`);
    expect(frag.statusCode).toBe(200);
    expect(frag.body).toContain('data-pending="false"');
    expect(frag.body).not.toContain("hx-trigger");
    expect(pageText(frag.body)).toContain("lc.csv");
    expect(frag.body).toContain('<span class="badge badge-S">Done</span>');
  });

  it("XHR upload — the same file again is a 409 for that file; a bad field is a 400 naming it", async () => {
    const dup = await webUpload(t, web, { target: "WebT", data_product_type: "photometry_csv" }, [
      { name: "again.csv", content: CSV },
    ]);
    expect(dup.statusCode).toBe(409);
    expect(dup.json().detail).toMatch(
      /^again\.csv: this file was already uploaded for WebT as data product \d+$/,
    );
    const bad = await webUpload(t, web, { target: "NoSuchTarget", data_product_type: "photometry_csv" }, [
      { name: "x.csv", content: CSV2 },
    ]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      detail: 'target: no target named "NoSuchTarget" (name, alias or id)',
      field: "target",
    });
    const mjd = await webUpload(
      t,
      web,
      { target: "WebT", data_product_type: "photometry", observatory: "" },
      [{ name: "x.cat", content: "1 2 3\n" }],
    );
    expect(mjd.statusCode).toBe(400);
    expect(mjd.json().field).toBe("observatory");
  });

  it("XHR upload — a file over the limit is a 413 naming it, and nothing is stored", async () => {
    const before = (await t.tdb.database.db.select().from(dataProducts)).length;
    const res = await webUpload(t, web, { target: "WebT", data_product_type: "photometry_csv" }, [
      { name: "huge.csv", content: Buffer.alloc(65 * 1024, 0x31) },
    ]);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: `huge.csv: larger than ${64 * 1024} bytes`, field: "files" });
    const form = await webUpload(
      t,
      web,
      { target: "WebT", data_product_type: "photometry_csv" },
      [{ name: "huge.csv", content: Buffer.alloc(65 * 1024, 0x31) }],
      { mode: "form" },
    );
    expect(form.statusCode).toBe(413);
    expect(form.body).toMatch(/id="f-files-error">\s*<li>huge\.csv: larger than 65536 bytes<\/li>/);
    expect((await t.tdb.database.db.select().from(dataProducts)).length).toBe(before);
  });

  it("POST without a CSRF token → 403, nothing stored; without a session → 401 JSON (XHR) or the login page", async () => {
    const before = (await t.tdb.database.db.select().from(dataProducts)).length;
    const noCsrf = await webUpload(
      t,
      web,
      { target: "WebT", data_product_type: "photometry_csv" },
      [{ name: "c.csv", content: CSV2 }],
      { csrf: "" },
    );
    expect(noCsrf.statusCode).toBe(403);
    const noCsrfForm = await webUpload(
      t,
      web,
      { target: "WebT", data_product_type: "photometry_csv" },
      [{ name: "c.csv", content: CSV2 }],
      { csrf: "", mode: "form" },
    );
    expect(noCsrfForm.statusCode).toBe(403);
    expect((await t.tdb.database.db.select().from(dataProducts)).length).toBe(before);
    // the files received before the refusal are not left behind
    expect(readdirSync(join(t.tdb.dataDir, "tmp"))).toEqual([]);

    const anon = new WebClient(t.app);
    await anon.get("/accounts/login/");
    const xhr = await webUpload(t, anon, { target: "WebT", data_product_type: "photometry_csv" }, [
      { name: "c.csv", content: CSV2 },
    ]);
    expect(xhr.statusCode).toBe(401);
    expect(xhr.json()).toMatchObject({ login: "/accounts/login/?next=/dataproducts/upload/" });
    const form = await webUpload(
      t,
      anon,
      { target: "WebT", data_product_type: "photometry_csv" },
      [{ name: "c.csv", content: CSV2 }],
      { mode: "form" },
    );
    expect(form.statusCode).toBe(303);
    expect(form.headers.location).toMatch(/^\/accounts\/login\/\?next=/);
    expect((await anon.get("/dataproducts/")).headers.location).toBe(
      "/accounts/login/?next=%2Fdataproducts%2F",
    );
    expect((await t.tdb.database.db.select().from(dataProducts)).length).toBe(before);
  });

  it("without JavaScript: a form post of two files → 303 to the form listing both; an error re-renders the form", async () => {
    const res = await webUpload(
      t,
      web,
      { target: "WebT", data_product_type: "photometry_csv", dry_run: ["false", "true"] },
      [
        { name: "a.csv", content: "time,filter,magnitude,error\n60003.1,V,15.1,0.05\n" },
        { name: "b.csv", content: "time,filter,magnitude,error\n60003.2,V,15.2,0.05\n" },
      ],
      { mode: "form" },
    );
    expect(res.statusCode, res.body).toBe(303);
    const m = /^\/dataproducts\/upload\/\?target=WebT&done=(\d+),(\d+)$/.exec(res.headers.location as string);
    expect(m).not.toBeNull();
    const page = await web.get(res.headers.location as string);
    const text = pageText(page.body);
    expect(text).toContain("2 file(s) uploaded for WebT (dry run: nothing is added to the light curve)");
    expect(text).toContain("a.csv");
    expect(text).toContain("b.csv");
    expect(page.body).toContain(`href="/dataproducts/${m![1]}/"`);
    const dry = await t.tdb.database.db
      .select()
      .from(dataProducts)
      .where(eq(dataProducts.id, Number(m![1])));
    expect(dry[0].dryRun).toBe(true);

    const bad = await webUpload(
      t,
      web,
      { target: "", data_product_type: "photometry_csv", comment: "keep me" },
      [{ name: "c.csv", content: CSV2 }],
      { mode: "form" },
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/<ul class="field-errors" id="f-target-error">\s*<li>this field is required/);
    expect(bad.body).toContain("keep me");
    const none = await webUpload(t, web, { target: "WebT", data_product_type: "photometry_csv" }, [], {
      mode: "form",
    });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain("choose at least one file to upload");
  });

  it("GET /dataproducts/ — my uploads newest first; others see an empty state; staff may name a user", async () => {
    const mine = await web.get("/dataproducts/");
    expect(mine.statusCode).toBe(200);
    const ids = [...mine.body.matchAll(/<tr id="dp-(\d+)"/g)].map((x) => Number(x[1]));
    expect(ids.length).toBe(3);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(mine.body).toContain('<a href="/targets/WebT/">WebT</a>');
    expect(mine.body).not.toContain("hx-trigger");

    await t.user("bob");
    const bob = new WebClient(t.app);
    await bob.login("bob", "bob-password");
    const empty = await bob.get("/dataproducts/?user=alice");
    expect(pageText(empty.body)).toContain("You have not uploaded anything yet.");
    expect(empty.body).toContain('href="/dataproducts/upload/"');

    await t.user("sam", { staff: true });
    const sam = new WebClient(t.app);
    await sam.login("sam", "sam-password");
    const hers = await sam.get("/dataproducts/?user=alice");
    expect([...hers.body.matchAll(/<tr id="dp-(\d+)"/g)].map((x) => Number(x[1]))).toEqual(ids);
    expect(pageText(hers.body)).toContain("Uploads of alice");
    expect(pageText((await sam.get("/dataproducts/?user=nobody")).body)).toContain(
      "There is no user named nobody",
    );
  });
});

describe("web data product result pages (pglite)", () => {
  let t: TestApp;
  let alice: TestUser;
  let web: WebClient;
  let bob: WebClient;
  let sam: WebClient;
  let root: WebClient;
  let fitsId: number;

  beforeAll(async () => {
    t = await createTestApp("pglite", { queue: true, maxUploadFileBytes: 4 * 1024 * 1024 });
    alice = await t.user("alice");
    await t.user("bob");
    await t.user("sam", { staff: true });
    await t.user("root", { superuser: true });
    await t.call("POST", "/targets/createTarget/", { name: "Fixture", ra: 150.012, dec: 1.991 }, alice.token);
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "Sim", lon: -70.4, lat: -30.2, altitude: 2500 })
      .returning();
    await t.tdb.database.db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "Cam", prefix: "Sim_Cam", activeFlg: true });
    web = new WebClient(t.app);
    await web.login("alice", alice.password);
    await web.get("/dataproducts/upload/");
    bob = new WebClient(t.app);
    await bob.login("bob", "bob-password");
    sam = new WebClient(t.app);
    await sam.login("sam", "sam-password");
    root = new WebClient(t.app);
    await root.login("root", "root-password");
  });
  afterAll(async () => t.close());

  it("a FITS image uploaded on the web is queued (C, polling), then measured and calibrated by the job (S, no polling)", async () => {
    const res = await webUpload(
      t,
      web,
      { target: "Fixture", data_product_type: "fits_file", observatory: "Sim_Cam", filter: "GaiaSP/V" },
      [{ name: "frame.fits", content: readFileSync(`${FIXTURE}/frame-f32.fits`) }],
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().data[0]).toMatchObject({ status: "C", status_message: "Queued for processing" });
    fitsId = res.json().data[0].id;
    const queued = await web.get(`/dataproducts/status/?ids=${fitsId}`);
    expect(queued.body).toContain(
      `hx-get="/dataproducts/status/?ids=${fitsId}" hx-trigger="every 2s" hx-swap="outerHTML"`,
    );
    const page = await web.get(`/dataproducts/${fitsId}/`);
    expect(page.body).toContain(`hx-get="/dataproducts/${fitsId}/?partial=1" hx-trigger="every 2s"`);
    expect((await web.get("/dataproducts/")).body).toContain('hx-trigger="every 2s"');
    // the upload made the camera alice's favourite: the form now offers it
    expect((await web.get("/dataproducts/upload/")).body).toContain(
      '<option value="Sim_Cam">Sim — Cam (Sim_Cam)</option>',
    );

    const reference = fixtureReference();
    await processFits(t.tdb.database, fitsId, {
      dataDir: t.tdb.dataDir,
      provider: { cone: async () => reference },
    });
    const done = await web.get(`/dataproducts/status/?ids=${fitsId}`);
    expect(done.body).not.toContain("hx-trigger");
    expect(done.body).toMatch(
      /<span class="mag">1[56]\.\d{3} ± 0\.\d{3}<\/span>\s*<span class="band">GaiaSP\/V<\/span>/,
    );
    const partial = await web.get(`/dataproducts/${fitsId}/?partial=1`);
    expect(partial.body).not.toContain("<html");
    expect(partial.body).not.toContain("hx-trigger");
  });

  it("GET /dataproducts/<id>/ — the owner sees the calibration fields, plot, bands, preview, catalogue and points", async () => {
    const res = await web.get(`/dataproducts/${fitsId}/`);
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    const [cal] = (
      await t.call("POST", "/calibration/get-calibration-res/", { calibid: fitsId }, alice.token)
    ).json().data;
    expect(cal.status).toBe("S");
    expect(text).toContain(`Magnitude ${cal.mag.toFixed(3)} ± ${cal.mag_error.toFixed(3)} mag`);
    expect(text).toContain(`Zero point ${cal.zeropoint.toFixed(3)} ± ${cal.zeropoint_err.toFixed(3)} mag`);
    expect(text).toContain("Band GaiaSP/V (requested GaiaSP/V)");
    expect(text).toContain(`Matched stars ${cal.npoints}`);
    expect(text).toContain(`Match radius ${cal.match_distans.toFixed(2)} arcsec`);
    expect(text).toContain("Exposure 90.0 s");
    expect(text).toContain("Observatory Sim — camera Sim_Cam");
    expect(res.body).toContain(`<img class="result-image" src="/dataproducts/${fitsId}/plot.png?v=1"`);
    expect(res.body).toContain(`src="/dataproducts/${fitsId}/preview.png"`);
    expect(res.body).toContain(`href="/dataproducts/${fitsId}/catalogue/"`);
    expect(res.body).toMatch(/<tr class="chosen">\s*<td>GaiaSP\/V<\/td>/);
    expect(cal.bands.length).toBeGreaterThan(0);
    expect([...res.body.matchAll(/<td>GaiaSP\/[A-Za-z]+<\/td>/g)].length).toBe(cal.bands.length);
    const [point] = await t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.dataProductId, fitsId));
    expect(text).toContain(
      `${point.mjd.toFixed(5)} ${point.value.toFixed(3)} ${point.error.toFixed(3)} V(GaiaSP)`,
    );
    expect(res.body).toContain('<a href="/targets/Fixture/">Light curve of Fixture</a>');
    // owner: delete yes, restart no (staff only)
    expect(res.body).toContain(`action="/dataproducts/${fitsId}/delete/"`);
    expect(res.body).not.toContain("Restart calibration");
  });

  it("plot and preview PNGs: owner and superuser get image/png; another user and staff are refused as by the API", async () => {
    for (const kind of ["plot.png", "preview.png"]) {
      const mine = await web.get(`/dataproducts/${fitsId}/${kind}`);
      expect(mine.statusCode).toBe(200);
      expect(mine.headers["content-type"]).toBe("image/png");
      expect(mine.rawPayload.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect((await root.get(`/dataproducts/${fitsId}/${kind}`)).statusCode).toBe(200);
      expect((await bob.get(`/dataproducts/${fitsId}/${kind}`)).statusCode).toBe(403);
      expect((await sam.get(`/dataproducts/${fitsId}/${kind}`)).statusCode).toBe(403);
    }
    const api = await t.call(
      "POST",
      "/calibration/get-calibration-res/",
      { calibid: fitsId },
      (await t.user("carol")).token,
    );
    expect(api.json().data[0]).toEqual({ "calib-res": "It's not your data", plot: null });
    const page = await bob.get(`/dataproducts/${fitsId}/`);
    expect(page.statusCode).toBe(200);
    expect(pageText(page.body)).toContain(
      "Only the uploader, the observers and superusers see the calibration details.",
    );
    expect(page.body).not.toContain("plot.png");
    expect(page.body).not.toContain("preview.png");
    expect(page.body).not.toContain("/delete/");
    expect(page.body).not.toContain("Restart calibration");
    expect((await web.get(`/dataproducts/999999/plot.png`)).statusCode).toBe(404);
    expect((await web.get(`/dataproducts/abc/`)).statusCode).toBe(404);
  });

  it("the instrumental catalogue: uploader and staff may download it, others not (downloadPhotometryFile's rule)", async () => {
    const mine = await web.get(`/dataproducts/${fitsId}/catalogue/`);
    expect(mine.statusCode).toBe(200);
    expect(mine.headers["content-disposition"]).toMatch(/^attachment; filename="\d+_catalogue\.dat"$/);
    expect(mine.body.split("\n").length).toBeGreaterThan(20);
    expect((await sam.get(`/dataproducts/${fitsId}/catalogue/`)).statusCode).toBe(200);
    expect((await bob.get(`/dataproducts/${fitsId}/catalogue/`)).statusCode).toBe(403);
  });

  it("restart: refused for the owner and others (also the POST), done for staff — back to C and queued", async () => {
    await web.get(`/dataproducts/${fitsId}/`);
    expect((await web.post(`/dataproducts/${fitsId}/restart/`)).statusCode).toBe(403);
    await bob.get(`/dataproducts/${fitsId}/`);
    expect((await bob.post(`/dataproducts/${fitsId}/restart/`)).statusCode).toBe(403);
    const status = async () =>
      (await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, fitsId)))[0].status;
    expect(await status()).toBe("S");
    const page = await sam.get(`/dataproducts/${fitsId}/`);
    expect(page.body).toContain(`action="/dataproducts/${fitsId}/restart/"`);
    const res = await sam.post(`/dataproducts/${fitsId}/restart/`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/dataproducts/${fitsId}/`);
    expect(await status()).toBe("C");
    const after = await sam.get(`/dataproducts/${fitsId}/`);
    expect(pageText(after.body)).toContain(`Calibration of data product ${fitsId} restarted.`);
    expect(after.body).toContain('hx-trigger="every 2s"');
  });

  it("delete: refused for another user (also the POST), done for the owner — files and points gone", async () => {
    await bob.get(`/dataproducts/${fitsId}/`);
    expect((await bob.post(`/dataproducts/${fitsId}/delete/`)).statusCode).toBe(403);
    await web.get(`/dataproducts/${fitsId}/`);
    expect((await web.post(`/dataproducts/${fitsId}/delete/`, { _csrf: "" })).statusCode).toBe(403);
    const res = await web.post(`/dataproducts/${fitsId}/delete/`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/dataproducts/");
    expect((await web.get(`/dataproducts/${fitsId}/`)).statusCode).toBe(404);
    expect(
      await t.tdb.database.db.select().from(reducedDatums).where(eq(reducedDatums.dataProductId, fitsId)),
    ).toEqual([]);
    expect(pageText((await web.get("/dataproducts/")).body)).toContain("You have not uploaded anything yet.");
  });
});
