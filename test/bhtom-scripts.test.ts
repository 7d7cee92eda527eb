/**
 * BHTOM's own documentation scripts (BHTOM-Team/bhtom2, Documentation/documentation_scripts/) work
 * against skytom with only the host changed. Each test sends exactly the request its script sends —
 * method, path, headers (Accept, X-CSRFToken, a missing Content-Type), body encoding (json=, data=,
 * files=), field names and the values argparse gives when an option is left out (None → null, "False",
 * "None") — through a real socket, as python-requests sends it (test/helpers/python-requests.ts).
 * The scripts themselves are not copied here; their requests are re-expressed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calibrations, cameras, observatories } from "../src/db/schema/index.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { FIELD_DIR } from "./helpers/fixtures.ts";
import { pyRequest, type PyResponse } from "./helpers/python-requests.ts";

const CSRF = "uUz2fRnXhPuvD9YuuiDW9cD1LsajeaQnE4hwtEAfR00SgV9bD5HCe5i8n4m4KcOr"; // the scripts' literal
const CATALOGUE =
  "#   1 NUMBER\n#   2 ALPHA_J2000\n#   3 DELTA_J2000\n#   4 MAG_AUTO\n#   5 MAGERR_AUTO\n 1 150.0 2.0 13.4 0.01\n";

describe.each(ENGINES)("BHTOM's documentation scripts against skytom on %s", (engine) => {
  let t: TestApp;
  let observer: TestUser;
  let fitsId: number;

  /** The JSON scripts' headers: accept, Authorization, Content-Type, X-CSRFToken. */
  const jsonHeaders = () => ({
    accept: "application/json",
    Authorization: `Token ${observer.token}`,
    "Content-Type": "application/json",
    "X-CSRFToken": CSRF,
  });
  const ok = (res: PyResponse, status: number) => expect(res.status, res.text.slice(0, 300)).toBe(status);

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true });
    observer = await t.user("observer");
    const db = t.tdb.database.db;
    const [obs] = await db.insert(observatories).values({ name: "ROAD", lon: -70.7, lat: -30.2 }).returning();
    await db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "QHY600M", prefix: "ROAD_QHY600M", activeFlg: true });
    await t.app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => t.close());

  it("create_target.py, every option given as the API guide shows (epoch a string, ints for importance and cadence)", async () => {
    const res = await pyRequest(t.app, {
      method: "POST",
      path: "/targets/createTarget/",
      headers: { "Content-Type": "application/json", Authorization: `Token ${observer.token}` },
      json: {
        name: "My Target",
        ra: 150.0,
        dec: 2.0,
        epoch: "2000.0",
        classification: "Star",
        discovery_date: "2023-09-28T10:00:00Z",
        importance: 5,
        cadence: 24,
      },
    });
    ok(res, 201);
    expect(res.json()).toMatchObject({
      name: "My Target",
      ra: 150,
      dec: 2,
      epoch: 2000,
      classification: "Star",
      discovery_date: "2023-09-28T10:00:00.000Z",
      importance: 5,
      cadence: 24,
    });
  });

  it("create_target.py with only --name --ra --dec: the other options go as null; its default date has a one-digit hour", async () => {
    const res = await pyRequest(t.app, {
      method: "POST",
      path: "/targets/createTarget/",
      headers: { "Content-Type": "application/json", Authorization: `Token ${observer.token}` },
      json: {
        name: "Gaia23abc",
        ra: 266.4,
        dec: -29.0,
        epoch: null,
        classification: null,
        discovery_date: "2023-01-01T0:00:01Z",
        importance: null,
        cadence: null,
      },
    });
    ok(res, 201);
    expect(res.json()).toMatchObject({
      name: "Gaia23abc",
      epoch: 2000,
      classification: "Unknown",
      discovery_date: "2023-01-01T00:00:01.000Z",
      importance: 9.98,
      cadence: 1,
    });
  });

  it("upload_files_script.py: a FITS file, multipart, fields as the script builds them (dry_run 'False', no comment)", async () => {
    const res = await pyRequest(t.app, {
      method: "POST",
      path: "/upload/",
      headers: { Authorization: `Token ${observer.token}` },
      data: {
        target: "My Target",
        filter: "GaiaSP/any",
        data_product_type: "fits_file",
        dry_run: "False",
        observatory: "ROAD_QHY600M",
      },
      files: {
        files: { filename: "frame-f32.fits", content: readFileSync(join(FIELD_DIR, "frame-f32.fits")) },
      },
    });
    ok(res, 201);
    const item = (res.json() as { data: { id: number; data_product_type: string; status: string }[] })
      .data[0];
    expect(item).toMatchObject({ data_product_type: "fits_file", status: "C" });
    fitsId = item.id;
  });

  it("upload_files_script.py with --mjd, --observer, --match_dist and --comment: one instrumental catalogue", async () => {
    const res = await pyRequest(t.app, {
      method: "POST",
      path: "/upload/",
      headers: { Authorization: `Token ${observer.token}` },
      data: {
        target: "My Target",
        filter: "GaiaSP/any",
        data_product_type: "fits_file",
        dry_run: "False",
        observatory: "ROAD_QHY600M",
        comment: "clear night",
        mjd: "60200.12345",
        observer: "observer",
        match_dist: "2",
      },
      files: {
        files: { filename: "frame.fits.gz", content: readFileSync(join(FIELD_DIR, "frame-f32.fits.gz")) },
      },
    });
    ok(res, 201);
    const cat = await pyRequest(t.app, {
      method: "POST",
      path: "/upload/",
      headers: { Authorization: `Token ${observer.token}` },
      data: {
        target: "My Target",
        filter: "GaiaSP/any",
        data_product_type: "photometry",
        dry_run: "False",
        observatory: "ROAD_QHY600M",
        mjd: "60200.5",
      },
      files: { files: { filename: "frame.cat", content: CATALOGUE } },
    });
    ok(cat, 201);
  });

  it("send_fits_to_bhtom.py: dry_run a Python bool (True → 'True'), comment the string 'None'; then the same file for real", async () => {
    const send = (dryRun: boolean) =>
      pyRequest(t.app, {
        method: "POST",
        path: "/upload/",
        headers: { Authorization: `Token ${observer.token}` },
        data: {
          target: "Gaia23abc",
          filter: "GaiaSP/any",
          data_product_type: "fits_file",
          dry_run: dryRun,
          observatory: "ROAD_QHY600M",
          comment: "None",
        },
        files: {
          files: { filename: "frame.fits.fz", content: readFileSync(join(FIELD_DIR, "frame-f32.fits.fz")) },
        },
      });
    // The script counts 200 and 201 as success.
    ok(await send(true), 201);
    ok(await send(false), 201);
  });

  it("get_calib_res.py: files (numbers are ids, other strings file names) and getPlot, as JSON", async () => {
    await t.tdb.database.db.insert(calibrations).values({
      dataProductId: fitsId,
      status: "S",
      mjd: 60200.1,
      mag: 15.8,
      magError: 0.02,
      survey: "GaiaSP",
      bestFilter: "V",
    });
    const res = await pyRequest(t.app, {
      method: "POST",
      path: "/calibration/get-calibration-res/",
      headers: jsonHeaders(),
      json: { files: [fitsId, "frame-f32"], getPlot: false },
    });
    ok(res, 200);
    const body = res.json() as { count: number; data: Record<string, unknown>[] };
    expect(body.count).toBe(2);
    expect(body.data[0]).toMatchObject({
      dataproduct: fitsId,
      status: "S",
      mag: 15.8,
      mag_error: 0.02,
      plot: null,
    });
    expect(body.data[1]).toMatchObject({ dataproduct: fitsId });
  });

  it("download_photometry.py and download_radio.py: {name} as JSON → the CSV; the scripts' 'name or id' works with the id", async () => {
    const csv = await pyRequest(t.app, {
      method: "POST",
      path: "/upload/",
      headers: { Authorization: `Token ${observer.token}` },
      data: { target: "My Target", data_product_type: "photometry_csv", observatory: "GOTO" },
      files: {
        files: { filename: "lc.csv", content: "time,filter,magnitude,error\n60000.5,V,15.25,0.05\n" },
      },
    });
    ok(csv, 201);
    const photometry = await pyRequest(t.app, {
      method: "POST",
      path: "/targets/download-photometry/",
      headers: jsonHeaders(),
      json: { name: "My Target" },
    });
    ok(photometry, 200);
    expect(photometry.text).toBe(
      "MJD;Magnitude;Error;Facility;Filter;Observer\n60000.5;15.25;0.05;GOTO;V;observer\n",
    );
    const radio = await pyRequest(t.app, {
      method: "POST",
      path: "/targets/download-radio/",
      headers: jsonHeaders(),
      json: { name: "My Target" },
    });
    ok(radio, 200);
    expect(radio.text).toBe("MJD;mJy;Error;Facility;Filter;Observer\n");
    const list = await pyRequest(t.app, {
      method: "POST",
      path: "/targets/getTargetList/",
      headers: jsonHeaders(),
      json: { name: "My Target" },
    });
    const id = (list.json() as { data: { id: number }[] }).data[0].id;
    const byId = await pyRequest(t.app, {
      method: "POST",
      path: "/targets/download-photometry/",
      headers: jsonHeaders(),
      json: { name: String(id) },
    });
    ok(byId, 200);
    expect(byId.text).toBe(photometry.text);
  });
});
