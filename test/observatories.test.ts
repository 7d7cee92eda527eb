/**
 * Observatories, cameras and favourites (API guide section D), on PGlite and PostgreSQL: the guide's own
 * examples, validation of every field, who may do what, pagination past 200 rows, favourites and their
 * upload counters, example files on disk, the CLI.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import type { Db } from "../src/db/connection.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cameras, favourites, observatories } from "../src/db/schema/index.ts";
import { NotFoundError } from "../src/domain/errors.ts";
import * as repo from "../src/domain/observatories/repo.ts";
import * as service from "../src/domain/observatories/service.ts";
import { findUser } from "../src/domain/users/service.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";

const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const BIN = new URL("../bin/skytom.js", import.meta.url).pathname;

// ---- The API guide's section D examples, verbatim (request bodies as the guide prints them). ----------------

/** createObservatory, first JSON block: ends in a trailing comma (invalid JSON; BHTOM2 answers 400 too). */
const GUIDE_CREATE_BLOCK = `{
"name": "My Observatory",
"lon": 45.12345,
"lat": -120.67890,
"camera_name": "Camera1",
"calibration_flg": true,
"example_file": "observatory_example.txt",
"comment": "This observatory is for calibration purposes.",
}`;
/** createObservatory, the curl example (= the block above without the trailing comma). */
const GUIDE_CREATE_CURL = `{
"name": "My Observatory",
"lon": 45.12345,
"lat": -120.67890,
"camera_name": "Camera1",
"calibration_flg": true,
"example_file": "observatory_example.txt",
"comment": "This observatory is for calibration purposes."
}`;
/** updateObservatory: the JSON block and the curl body are the same. */
const GUIDE_UPDATE = `{
"name": "My Observatory",
"lon": 45.12345,
"lat": -120.67890,
"calibration_flg": true,
"comment": "Updated observatory information."
}`;
/** getObservatoryList, first JSON block: trailing comma after "page": 1 (invalid JSON). */
const GUIDE_LIST_BLOCK = `{
"name": "Example Name",
"lon": 123.456,
"lat": 45.678,
"active_flg": true,
"created_start": "2023-09-01T12:00:00Z",
"created_end": "2023-09-30T23:59:59Z",
"page": 1,
}`;
/** …the same block with only the trailing comma removed. */
const GUIDE_LIST_BLOCK_FIXED = GUIDE_LIST_BLOCK.replace('"page": 1,\n}', '"page": 1\n}');
const GUIDE_LIST_CURL = `{
"name": "string",
"lon": 0,
"lat": 0,
"active_flg": true,
"created_start": "2023-09-28T14:00:09.440Z",
"created_end": "2023-09-28T14:00:09.440Z",
"page": 1
}`;
/** addFavouriteObservatory, the parameter block: `oname` holds a description, not an ONAME. */
const GUIDE_ADD_FAV_BLOCK = `{
"observatory": "Observatory Name",
"camera": "Camera Name",
"comment": "This is an optional comment.",
"oname": "The short name of observatory/camera ONAME"
}`;
const GUIDE_ADD_FAV_CURL_1 = `{
"observatory": "Observatory Name",
"camera": "Camera Name",
"comment": "This is an optional comment."
}`;
/** `ONAME` is a placeholder, like `<yourToken>`. */
const GUIDE_ADD_FAV_CURL_2 = `{
"oname": "ONAME",
"comment": "This is an optional comment."
}`;
const GUIDE_GET_FAV = `{
"user": "JohnDoe",
"active_flg": true,
"camera": "My Camera",
"created_start": "2023-01-01T00:00:00Z",
"created_end": "2023-12-31T23:59:59Z"
}`;
const GUIDE_DELETE_FAV_BLOCK = `{
"observatory": "My Observatory",
"camera": "Observatory Camera"
}`;
const GUIDE_DELETE_FAV_CURL = `{
"observatory": "My Observatory",
"camera": "My Camera"
}`;

interface FilePart {
  field: string;
  filename: string;
  data: Buffer;
}

function multipart(
  fields: Record<string, string>,
  files: FilePart[],
): { payload: Buffer; contentType: string } {
  const boundary = "----skytomObservatoryBoundary7MA4YWxk";
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  for (const f of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename}"\r\n` +
          "Content-Type: application/octet-stream\r\n\r\n",
      ),
      f.data,
      Buffer.from("\r\n"),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe.each(ENGINES)("observatories, cameras and favourites on %s", (engine) => {
  let t: TestApp;
  let staff: TestUser;
  let john: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  /** A request with a raw JSON text body, as curl sends it. */
  const raw = (method: InjectOptions["method"], url: string, text: string, token?: string) =>
    t.app.inject({
      method,
      url,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Token ${token}` } : {}) },
      payload: text,
    });
  const sendMultipart = (
    method: InjectOptions["method"],
    url: string,
    fields: Record<string, string>,
    files: FilePart[],
    token: string,
  ) => {
    const { payload, contentType } = multipart(fields, files);
    return t.app.inject({
      method,
      url,
      headers: { "content-type": contentType, authorization: `Token ${token}` },
      payload,
    });
  };
  const path = (name: string) => encodeURIComponent(name);
  const created = (res: LightMyRequestResponse, status = 201) => {
    expect(res.statusCode, res.body).toBe(status);
    return res.json();
  };
  async function createObservatory(
    token: string,
    name: string,
    camera: string,
    extra: Record<string, unknown> = {},
  ) {
    const res = await t.call(
      "POST",
      "/observatory/createObservatory/",
      { name, lon: 20, lat: 50, camera_name: camera, ...extra },
      token,
    );
    return created(res).observatory;
  }
  const activate = async (oname: string) =>
    created(await t.call("POST", `/api/cameras/${path(oname)}/activate/`, undefined, staff.token), 200);
  const countObservatories = async (name: string) =>
    (await t.tdb.database.db.select().from(observatories).where(eq(observatories.name, name))).length;
  const userId = async (name: string) => (await findUser(t.tdb.database.db, name)).id;

  beforeAll(async () => {
    t = await createTestApp(engine);
    staff = await t.user("staffer", { staff: true });
    john = await t.user("JohnDoe");
    alice = await t.user("alice");
    bob = await t.user("bob");
  });
  afterAll(async () => {
    for (const b of t.bodies) expect(b).not.toMatch(/scrypt\$|"password"/);
    await t.close();
  });

  describe("the API guide's section D examples, run as written", () => {
    beforeAll(async () => {
      // Fixtures the examples name: "Example Name" (created in September 2023, active camera) and
      // "Observatory Name" / "Camera Name" (active).
      const example = await createObservatory(alice.token, "Example Name", "CCD", {
        lon: 123.456,
        lat: 45.678,
      });
      await activate(example.cameras[0].prefix);
      await t.tdb.database.db
        .update(observatories)
        .set({ created: new Date("2023-09-15T10:00:00Z") })
        .where(eq(observatories.id, example.id));
      const named = await createObservatory(alice.token, "Observatory Name", "Camera Name");
      await activate(named.cameras[0].prefix);
    });

    it("createObservatory (curl) → 201 created: the observatory and an inactive camera My Observatory_Camera1 with the model defaults", async () => {
      const res = await raw("POST", "/observatory/createObservatory/", GUIDE_CREATE_CURL, john.token);
      const body = created(res);
      expect(body.Status).toBe("created");
      const obs = body.observatory;
      expect(obs).toMatchObject({
        name: "My Observatory",
        lon: 45.12345,
        lat: -120.6789,
        calibration_flg: true,
        comment: "This observatory is for calibration purposes.",
        altitude: 0,
        approx_lim_mag: 18,
        filters: "V,R,I",
        seeing: 0,
        origin: null,
        telescope: null,
        authors: null,
        acknowledgements: null,
      });
      expect(obs.created).toMatch(ISO_Z);
      expect(obs.modified).toMatch(ISO_Z);
      expect(obs.cameras).toHaveLength(1);
      expect(obs.cameras[0]).toMatchObject({
        observatory: obs.id,
        user: await userId("JohnDoe"),
        camera_name: "Camera1",
        prefix: "My Observatory_Camera1",
        active_flg: false,
        gain: 2,
        readout_noise: 2,
        binning: 1,
        saturation_level: 63000,
        pixel_scale: 0.8,
        readout_speed: 9999,
        pixel_size: 13.5,
        date_time_keyword: "DATE-OBS",
        time_keyword: "TIME-OBS",
        exposure_time_keyword: "EXPTIME",
        mode_recognition_keyword: "",
        additional_info: "",
        example_file: "observatory_example.txt",
      });
      expect(
        await service.findActiveCameraByOname(t.tdb.database.db, "My Observatory_Camera1"),
      ).toBeUndefined();
    });

    it("createObservatory's first JSON block has a trailing comma → 400 JSON parse error, nothing created", async () => {
      const res = await raw("POST", "/observatory/createObservatory/", GUIDE_CREATE_BLOCK, john.token);
      expect(res.statusCode).toBe(400);
      expect(res.json().detail).toMatch(/^JSON parse error - /);
      expect(await countObservatories("My Observatory")).toBe(1);
    });

    it("updateObservatory with PATCH (curl) and with POST (the guide's Method) → 201 updated", async () => {
      for (const method of ["PATCH", "POST"] as const) {
        const res = await raw(method, "/observatory/updateObservatory/", GUIDE_UPDATE, john.token);
        expect(created(res)).toMatchObject({
          Status: "updated",
          observatory: {
            name: "My Observatory",
            comment: "Updated observatory information.",
            lat: -120.6789,
          },
        });
      }
    });

    it("getObservatoryList (block, trailing comma removed) → 200 finds Example Name with its active camera", async () => {
      const bad = await raw("POST", "/observatory/getObservatoryList/", GUIDE_LIST_BLOCK, john.token);
      expect(bad.statusCode).toBe(400);
      const res = await raw("POST", "/observatory/getObservatoryList/", GUIDE_LIST_BLOCK_FIXED, john.token);
      const body = created(res, 200);
      expect(body).toMatchObject({ count: 1, num_pages: 1, current_page: 1 });
      expect(body.data[0]).toMatchObject({ name: "Example Name", lon: 123.456, lat: 45.678 });
      expect(body.data[0].created).toBe("2023-09-15T10:00:00.000Z");
      expect(body.data[0].cameras.map((c: { prefix: string }) => c.prefix)).toEqual(["Example Name_CCD"]);
    });

    it("getObservatoryList (curl) → 200 with an empty page", async () => {
      const res = await raw("POST", "/observatory/getObservatoryList/", GUIDE_LIST_CURL, john.token);
      expect(created(res, 200)).toEqual({ count: 0, num_pages: 1, current_page: 1, data: [] });
    });

    it("addFavouriteObservatory (curl 1: observatory + camera) → 201 Created, comment stored", async () => {
      const res = await raw(
        "POST",
        "/observatory/addFavouriteObservatory/",
        GUIDE_ADD_FAV_CURL_1,
        john.token,
      );
      expect(created(res)).toMatchObject({
        Status: "Created",
        favourite: {
          oname: "Observatory Name_Camera Name",
          observatory: "Observatory Name",
          camera_name: "Camera Name",
          active_flg: true,
          comment: "This is an optional comment.",
          number_of_uploaded_file: 0,
          file_size: 0,
          last_file_process: null,
        },
      });
    });

    it("addFavouriteObservatory (curl 2: oname) → 201 once the placeholder ONAME is a real one; the placeholder itself → 404", async () => {
      const placeholder = await raw(
        "POST",
        "/observatory/addFavouriteObservatory/",
        GUIDE_ADD_FAV_CURL_2,
        john.token,
      );
      expect(placeholder.statusCode).toBe(404);
      expect(placeholder.json()).toEqual({
        detail: "Camera with this name does not exist for this observatory",
      });
      await activate("My Observatory_Camera1");
      const text = GUIDE_ADD_FAV_CURL_2.replace('"ONAME"', '"My Observatory_Camera1"');
      const res = await raw("POST", "/observatory/addFavouriteObservatory/", text, john.token);
      expect(created(res).favourite).toMatchObject({ oname: "My Observatory_Camera1" });
    });

    it("addFavouriteObservatory (parameter block: oname wins over observatory + camera) → 201 with a real ONAME", async () => {
      const text = GUIDE_ADD_FAV_BLOCK.replace(
        "The short name of observatory/camera ONAME",
        "Observatory Name_Camera Name",
      );
      const res = await raw("POST", "/observatory/addFavouriteObservatory/", text, bob.token);
      expect(created(res).favourite).toMatchObject({
        oname: "Observatory Name_Camera Name",
        user: await userId("bob"),
      });
    });

    it("getFavouriteObservatory (JohnDoe, camera My Camera, created in 2023) → 200 with that favourite", async () => {
      for (const camera of ["My Camera", "Observatory Camera"]) {
        created(
          await t.call(
            "POST",
            `/api/observatories/${path("My Observatory")}/cameras/`,
            { camera_name: camera },
            john.token,
          ),
        );
        await activate(`My Observatory_${camera}`);
        created(
          await t.call(
            "POST",
            "/observatory/addFavouriteObservatory/",
            { observatory: "My Observatory", camera },
            john.token,
          ),
        );
      }
      const camera = await repo.findCameraByPrefix(t.tdb.database.db, "My Observatory_My Camera");
      await t.tdb.database.db
        .update(favourites)
        .set({ created: new Date("2023-06-01T08:00:00Z") })
        .where(eq(favourites.cameraId, camera!.id));
      const res = await raw("POST", "/observatory/getFavouriteObservatory/", GUIDE_GET_FAV, john.token);
      const body = created(res, 200);
      expect(body).toMatchObject({ count: 1, num_pages: 1, current_page: 1 });
      expect(body.data[0]).toMatchObject({
        user: await userId("JohnDoe"),
        camera: camera!.id,
        oname: "My Observatory_My Camera",
        camera_name: "My Camera",
        active_flg: true,
        created: "2023-06-01T08:00:00.000Z",
      });
    });

    it("deleteFavouriteObservatory (block and curl) → 200 deleted, by a non-staff user", async () => {
      for (const text of [GUIDE_DELETE_FAV_BLOCK, GUIDE_DELETE_FAV_CURL]) {
        const res = await raw("DELETE", "/observatory/deleteFavouriteObservatory/", text, john.token);
        expect(created(res, 200)).toEqual({ Status: "deleted" });
      }
      const left = created(
        await t.call("POST", "/observatory/getFavouriteObservatory/", {}, john.token),
        200,
      );
      expect(left.data.map((f: { oname: string }) => f.oname).sort()).toEqual([
        "My Observatory_Camera1",
        "Observatory Name_Camera Name",
      ]);
    });
  });

  describe("POST /observatory/createObservatory/ — validation", () => {
    const valid = { name: "Valid", lon: 10, lat: 10, camera_name: "C" };
    const post = (body: unknown, token = alice.token) =>
      t.call("POST", "/observatory/createObservatory/", body, token);
    const expect400 = async (body: unknown, errors: Record<string, string[]>) => {
      const res = await post(body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toEqual(errors);
    };

    it("missing required fields → 400 per field", async () => {
      await expect400(
        {},
        {
          name: ["This field is required."],
          lon: ["This field is required."],
          lat: ["This field is required."],
          camera_name: ["This field is required."],
        },
      );
    });

    it("lon and lat out of range → 400 (lon −180..180; lat within BHTOM2's ±180 window)", async () => {
      await expect400({ ...valid, lon: 180.5 }, { lon: ["Ensure this value is less than or equal to 180."] });
      await expect400(
        { ...valid, lon: -181 },
        { lon: ["Ensure this value is greater than or equal to -180."] },
      );
      await expect400(
        { ...valid, lat: 180.01 },
        { lat: ["Ensure this value is less than or equal to 180."] },
      );
      await expect400(
        { ...valid, lat: -200 },
        { lat: ["Ensure this value is greater than or equal to -180."] },
      );
    });

    it("observatory numbers out of range → 400 naming each field", async () => {
      await expect400(
        { ...valid, altitude: 20000, approx_lim_mag: -1, aperture: -0.1, focal_length: -5, seeing: 61 },
        {
          altitude: ["Ensure this value is less than or equal to 10000."],
          approx_lim_mag: ["Ensure this value is greater than or equal to 0."],
          aperture: ["Ensure this value is greater than or equal to 0."],
          focal_length: ["Ensure this value is greater than or equal to 0."],
          seeing: ["Ensure this value is less than or equal to 60."],
        },
      );
    });

    it("camera numbers out of range or of the wrong type → 400 naming each field", async () => {
      await expect400(
        {
          ...valid,
          gain: 0,
          readout_noise: -1,
          binning: 1.5,
          saturation_level: 0,
          pixel_scale: 0,
          readout_speed: -1,
          pixel_size: 0,
        },
        {
          gain: ["Ensure this value is greater than 0."],
          readout_noise: ["Ensure this value is greater than or equal to 0."],
          binning: ["A valid integer is required."],
          saturation_level: ["Ensure this value is greater than 0."],
          pixel_scale: ["Ensure this value is greater than 0."],
          readout_speed: ["Ensure this value is greater than or equal to 0."],
          pixel_size: ["Ensure this value is greater than 0."],
        },
      );
      await expect400(
        { ...valid, binning: 0 },
        { binning: ["Ensure this value is greater than or equal to 1."] },
      );
    });

    it("wrong types → 400: numbers, booleans", async () => {
      await expect400(
        { ...valid, lon: "east", altitude: [1, 2], calibration_flg: "maybe" },
        {
          lon: ["A valid number is required."],
          altitude: ["A valid number is required."],
          calibration_flg: ["Must be a valid boolean."],
        },
      );
    });

    it("null for a value that cannot be empty → 400 may not be null (never silently 0)", async () => {
      await expect400(
        { ...valid, lat: null, calibration_flg: null, gain: null, filters: null },
        {
          lat: ["This field may not be null."],
          calibration_flg: ["This field may not be null."],
          gain: ["This field may not be null."],
          filters: ["This field may not be null."],
        },
      );
    });

    it("text lengths, blanks and FITS keyword names → 400", async () => {
      await expect400(
        { ...valid, name: "n".repeat(256), filters: "V".repeat(101), authors: "a".repeat(256) },
        {
          name: ["Ensure this field has no more than 255 characters."],
          filters: ["Ensure this field has no more than 100 characters."],
          authors: ["Ensure this field has no more than 255 characters."],
        },
      );
      await expect400({ ...valid, camera_name: "" }, { camera_name: ["This field may not be blank."] });
      await expect400({ ...valid, name: "   " }, { name: ["This field may not be blank."] });
      await expect400({ ...valid, name: "bad\u0007name" }, { name: ["Control characters are not allowed."] });
      const res = await post({ ...valid, exposure_time_keyword: "EXPOSURE TIME", date_time_keyword: "" });
      expect(res.statusCode).toBe(400);
      expect(Object.keys(res.json()).sort()).toEqual(["date_time_keyword", "exposure_time_keyword"]);
      expect(res.json().exposure_time_keyword[0]).toMatch(/FITS keyword/);
    });

    it("unknown fields → 400 Unknown field.", async () => {
      await expect400(
        { ...valid, telescop: "typo", active_flg: true },
        {
          telescop: ["Unknown field."],
          active_flg: ["Unknown field."],
        },
      );
    });

    it("a duplicate name → 400 with BHTOM's message; names are trimmed", async () => {
      await createObservatory(alice.token, "Dup", "C");
      await expect400(
        { ...valid, name: " Dup " },
        { name: ["observatory with this Observatory name already exists."] },
      );
    });

    it("an ONAME another observatory's camera already has → 400, nothing created", async () => {
      await createObservatory(alice.token, "A_B", "C");
      await expect400(
        { ...valid, name: "A", camera_name: "B_C" },
        { camera_name: ['A camera with the ONAME "A_B_C" already exists.'] },
      );
      expect(await countObservatories("A")).toBe(0);
    });

    it("an ONAME longer than 255 characters → 400", async () => {
      const res = await post({ ...valid, name: "x".repeat(200), camera_name: "y".repeat(60) });
      expect(res.statusCode).toBe(400);
      expect(res.json().camera_name[0]).toMatch(/would have 261 characters/);
    });

    it("two racing creates of one ONAME: one 201, one 400, and no observatory without its camera", async () => {
      const [r1, r2] = await Promise.all([
        post({ ...valid, name: "Race_x", camera_name: "y" }),
        post({ ...valid, name: "Race", camera_name: "x_y" }, bob.token),
      ]);
      expect([r1.statusCode, r2.statusCode].sort()).toEqual([201, 400]);
      const names = ["Race_x", "Race"];
      const counts = await Promise.all(names.map(countObservatories));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
      const orphans = await t.tdb.database.db.execute(
        "select o.name from observatories o where not exists (select 1 from cameras c where c.observatory_id = o.id)",
      );
      expect(orphans.rows).toEqual([]);
    });

    it("form-encoded body with Python booleans → 201", async () => {
      const res = await t.app.inject({
        method: "POST",
        url: "/observatory/createObservatory/",
        headers: {
          authorization: `Token ${alice.token}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        payload: "name=Form+Obs&lon=-70.7&lat=-30.2&camera_name=CCD&calibration_flg=True&binning=2",
      });
      const obs = created(res).observatory;
      expect(obs).toMatchObject({ lon: -70.7, lat: -30.2, calibration_flg: true });
      expect(obs.cameras[0]).toMatchObject({ binning: 2, prefix: "Form Obs_CCD" });
    });

    it("anonymous → 401", async () => {
      const res = await t.call("POST", "/observatory/createObservatory/", valid);
      expect(res.statusCode).toBe(401);
    });
  });

  describe("example files (multipart)", () => {
    it("an uploaded example_file is stored under <data>/observatories/<ONAME>/ with its bytes (2 MB, past the JSON body limit)", async () => {
      const data = Buffer.alloc(2 * 1024 * 1024, 7);
      data.write("SIMPLE  =                    T", 0, "latin1");
      const res = await sendMultipart(
        "POST",
        "/observatory/createObservatory/",
        {
          name: "Multi Obs",
          lon: "12.5",
          lat: "-30",
          camera_name: "Cam/1",
          calibration_flg: "False",
          gain: "1.5",
        },
        [{ field: "example_file", filename: "example.fits", data }],
        alice.token,
      );
      const cam = created(res).observatory.cameras[0];
      expect(cam).toMatchObject({ prefix: "Multi Obs_Cam/1", gain: 1.5 });
      expect(cam.example_file).toBe("observatories/Multi_Obs_Cam_1/example.fits");
      expect(readFileSync(join(t.tdb.dataDir, cam.example_file)).equals(data)).toBe(true);
    });

    it("a hostile file name is reduced to a safe basename inside the camera's folder", async () => {
      const res = await sendMultipart(
        "POST",
        `/api/observatories/${path("Multi Obs")}/cameras/`,
        { camera_name: "Cam2" },
        [{ field: "example_file", filename: "../../../etc/pass\u0001wd .fits", data: Buffer.from("x") }],
        alice.token,
      );
      const cam = created(res);
      expect(cam.example_file).toBe("observatories/Multi_Obs_Cam2/pass_wd_.fits");
      expect(existsSync(join(t.tdb.dataDir, cam.example_file))).toBe(true);
    });

    it("replacing the example file of a camera removes the old one", async () => {
      const before = (await repo.findCameraByPrefix(t.tdb.database.db, "Multi Obs_Cam2"))!.exampleFile!;
      const res = await sendMultipart(
        "PATCH",
        `/api/cameras/${path("Multi Obs_Cam2")}/`,
        { gain: "3" },
        [{ field: "example_file", filename: "new.fits", data: Buffer.from("new") }],
        alice.token,
      );
      const cam = created(res, 200);
      expect(cam).toMatchObject({ gain: 3, example_file: "observatories/Multi_Obs_Cam2/new.fits" });
      expect(existsSync(join(t.tdb.dataDir, before))).toBe(false);
    });

    it("an empty file, a second file field, or a file on a route without files → 400", async () => {
      const empty = await sendMultipart(
        "POST",
        "/observatory/createObservatory/",
        { name: "Empty File", lon: "1", lat: "1", camera_name: "C" },
        [{ field: "example_file", filename: "e.fits", data: Buffer.alloc(0) }],
        alice.token,
      );
      expect(empty.statusCode).toBe(400);
      expect(empty.json()).toEqual({ example_file: ["The submitted file is empty."] });
      const other = await sendMultipart(
        "POST",
        "/observatory/createObservatory/",
        { name: "Other File", lon: "1", lat: "1", camera_name: "C" },
        [{ field: "flat", filename: "f.fits", data: Buffer.from("x") }],
        alice.token,
      );
      expect(other.statusCode).toBe(400);
      expect(other.json()).toEqual({ flat: ["Unknown field."] });
      const update = await sendMultipart(
        "PATCH",
        "/observatory/updateObservatory/",
        { name: "Multi Obs" },
        [{ field: "example_file", filename: "f.fits", data: Buffer.from("x") }],
        alice.token,
      );
      expect(update.statusCode).toBe(400);
      expect(await countObservatories("Empty File")).toBe(0);
      expect(await countObservatories("Other File")).toBe(0);
    });

    it("a file over 20 MB → 413 JSON, nothing created or stored", async () => {
      const res = await sendMultipart(
        "POST",
        "/observatory/createObservatory/",
        { name: "Huge File", lon: "1", lat: "1", camera_name: "C" },
        [{ field: "example_file", filename: "big.fits", data: Buffer.alloc(21 * 1024 * 1024) }],
        alice.token,
      );
      expect(res.statusCode).toBe(413);
      expect(res.json()).toEqual({ detail: "Uploaded file is too large." });
      expect(await countObservatories("Huge File")).toBe(0);
      expect(existsSync(join(t.tdb.dataDir, "observatories", "Huge_File_C"))).toBe(false);
    });

    it("a create that the database refuses inside its transaction leaves no observatory and no file", async () => {
      // Another request takes the ONAME between the checks and the transaction: simulated by a database
      // handle whose transaction() first inserts the competing observatory and camera.
      const db = t.tdb.database.db;
      const owner = await userId("bob");
      const racing = new Proxy(db, {
        get(target, prop, receiver) {
          if (prop !== "transaction") return Reflect.get(target, prop, receiver);
          return async (fn: Parameters<Db["transaction"]>[0]) => {
            const [o] = await repo.insertObservatories(target, [
              { name: "Sneaky_a", lon: 1, lat: 1, userId: owner },
            ]);
            await repo.insertCameras(target, [
              { observatoryId: o.id, cameraName: "b", prefix: "Sneaky_a_b" },
            ]);
            return target.transaction(fn);
          };
        },
      });
      const actor = { id: await userId("alice"), username: "alice", isStaff: false, isSuperuser: false };
      const attempt = service.createObservatory(
        racing,
        actor,
        { name: "Sneaky", lon: 1, lat: 1, camera_name: "a_b" },
        {
          dataDir: t.tdb.dataDir,
          exampleFile: { fieldname: "example_file", filename: "x.fits", data: Buffer.from("x") },
        },
      );
      await expect(attempt).rejects.toMatchObject({
        fields: { camera_name: ["A camera with this ONAME already exists."] },
      });
      expect(await countObservatories("Sneaky")).toBe(0);
      // The example file went, and the folder it left empty with it.
      expect(existsSync(join(t.tdb.dataDir, "observatories", "Sneaky_a_b"))).toBe(false);
    });
  });

  describe("PATCH /observatory/updateObservatory/ and PATCH /api/observatories/{name}/", () => {
    beforeAll(async () => {
      await createObservatory(alice.token, "Alice Obs", "Main");
    });

    it("PATCH /observatory/updateObservatory/ — owner → 201; fields change; null clears optional text", async () => {
      const res = await t.call(
        "PATCH",
        "/observatory/updateObservatory/",
        {
          name: "Alice Obs",
          altitude: 1200,
          telescope: "RC 0.6 m",
          aperture: 0.6,
          focal_length: 4800,
          seeing: 1.5,
        },
        alice.token,
      );
      const obs = created(res).observatory;
      expect(obs).toMatchObject({
        altitude: 1200,
        telescope: "RC 0.6 m",
        aperture: 0.6,
        focal_length: 4800,
        seeing: 1.5,
      });
      const cleared = created(
        await t.call(
          "PATCH",
          "/observatory/updateObservatory/",
          { name: "Alice Obs", telescope: null },
          alice.token,
        ),
      ).observatory;
      expect(cleared.telescope).toBeNull();
      expect(Date.parse(cleared.modified)).toBeGreaterThanOrEqual(Date.parse(obs.modified));
    });

    it("PATCH /observatory/updateObservatory/ — other user → 403 JSON, nothing changed", async () => {
      const res = await t.call(
        "PATCH",
        "/observatory/updateObservatory/",
        { name: "Alice Obs", altitude: 1 },
        bob.token,
      );
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ detail: "Only the owner of this observatory or staff may change it." });
      expect(
        (await t.call("GET", `/api/observatories/${path("Alice Obs")}/`, undefined, bob.token)).json()
          .altitude,
      ).toBe(1200);
    });

    it("PATCH /observatory/updateObservatory/ — staff → 201", async () => {
      const res = await t.call(
        "POST",
        "/observatory/updateObservatory/",
        { name: "Alice Obs", approx_lim_mag: 19.5 },
        staff.token,
      );
      expect(created(res).observatory.approx_lim_mag).toBe(19.5);
    });

    it("PATCH /observatory/updateObservatory/ — anonymous → 401", async () => {
      expect(
        (await t.call("PATCH", "/observatory/updateObservatory/", { name: "Alice Obs" })).statusCode,
      ).toBe(401);
    });

    it("PATCH /observatory/updateObservatory/ — unknown name → 404 JSON; no name → 400", async () => {
      const res = await t.call(
        "PATCH",
        "/observatory/updateObservatory/",
        { name: "Nowhere", lat: 1 },
        alice.token,
      );
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ detail: "Observatory with this name does not exist" });
      const none = await t.call("PATCH", "/observatory/updateObservatory/", { lat: 1 }, alice.token);
      expect(none.statusCode).toBe(400);
      expect(none.json()).toEqual({ name: ["This field is required."] });
    });

    it("PATCH /observatory/updateObservatory/ — invalid values, null for a required value, camera fields → 400", async () => {
      const res = await t.call(
        "PATCH",
        "/observatory/updateObservatory/",
        { name: "Alice Obs", lat: 190, lon: null, gain: 3 },
        alice.token,
      );
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        lat: ["Ensure this value is less than or equal to 180."],
        gain: ["Unknown field."],
      });
      const nul = await t.call(
        "PATCH",
        "/observatory/updateObservatory/",
        { name: "Alice Obs", lon: null },
        alice.token,
      );
      expect(nul.json()).toEqual({ lon: ["This field may not be null."] });
    });

    it("PUT → 405 JSON", async () => {
      const res = await t.call("PUT", "/observatory/updateObservatory/", { name: "Alice Obs" }, alice.token);
      expect(res.statusCode).toBe(405);
    });

    it("PATCH /api/observatories/{name}/ — owner renames: every ONAME follows, the old name is gone", async () => {
      created(
        await t.call(
          "POST",
          `/api/observatories/${path("Alice Obs")}/cameras/`,
          { camera_name: "Guide" },
          alice.token,
        ),
      );
      const obs = created(
        await t.call(
          "PATCH",
          `/api/observatories/${path("Alice Obs")}/`,
          { name: "Alice Observatory" },
          alice.token,
        ),
        200,
      );
      expect(obs.name).toBe("Alice Observatory");
      expect(obs.cameras.map((c: { prefix: string }) => c.prefix).sort()).toEqual([
        "Alice Observatory_Guide",
        "Alice Observatory_Main",
      ]);
      expect(
        (await t.call("GET", `/api/observatories/${path("Alice Obs")}/`, undefined, bob.token)).statusCode,
      ).toBe(404);
      expect(await repo.findCameraByPrefix(t.tdb.database.db, "Alice Obs_Main")).toBeUndefined();
    });

    it("PATCH /api/observatories/{name}/ — a rename whose new ONAME equals a sibling's old ONAME works", async () => {
      await createObservatory(alice.token, "S", "c");
      created(await t.call("POST", "/api/observatories/S/cameras/", { camera_name: "b_c" }, alice.token));
      const obs = created(await t.call("PATCH", "/api/observatories/S/", { name: "S_b" }, alice.token), 200);
      expect(obs.cameras.map((c: { prefix: string }) => c.prefix).sort()).toEqual(["S_b_b_c", "S_b_c"]);
    });

    it("PATCH /api/observatories/{name}/ — a rename onto an existing name or another camera's ONAME → 400, nothing changed", async () => {
      await createObservatory(bob.token, "Bob Obs_Main", "x");
      await createObservatory(bob.token, "Q", "Main_x");
      const onto = await t.call("PATCH", "/api/observatories/Q/", { name: "Bob Obs_Main" }, bob.token);
      expect(onto.statusCode).toBe(400);
      expect(onto.json()).toEqual({ name: ["observatory with this Observatory name already exists."] });
      const taken = await t.call("PATCH", "/api/observatories/Q/", { name: "Bob Obs" }, bob.token);
      expect(taken.statusCode).toBe(400);
      expect(taken.json()).toEqual({
        name: ['Renaming would give the ONAME "Bob Obs_Main_x", which another camera already has.'],
      });
      expect(await repo.findCameraByPrefix(t.tdb.database.db, "Q_Main_x")).toBeDefined();
      expect(await countObservatories("Q")).toBe(1);
    });

    it("PATCH /api/observatories/{name}/ — other user → 403; staff → 200", async () => {
      expect(
        (await t.call("PATCH", `/api/observatories/${path("Alice Observatory")}/`, { seeing: 2 }, bob.token))
          .statusCode,
      ).toBe(403);
      expect(
        (
          await t.call(
            "PATCH",
            `/api/observatories/${path("Alice Observatory")}/`,
            { seeing: 2 },
            staff.token,
          )
        ).statusCode,
      ).toBe(200);
    });
  });

  describe("cameras: add, change, rename, activate", () => {
    beforeAll(async () => {
      await createObservatory(alice.token, "Cam Obs", "One");
    });

    it("POST /api/observatories/{name}/cameras/ — owner → 201 inactive camera with its own fields", async () => {
      const cam = created(
        await t.call(
          "POST",
          `/api/observatories/${path("Cam Obs")}/cameras/`,
          {
            camera_name: "Two",
            gain: 1.2,
            binning: 2,
            pixel_scale: 0.4,
            time_keyword: "",
            additional_info: "cooled",
          },
          alice.token,
        ),
      );
      expect(cam).toMatchObject({
        prefix: "Cam Obs_Two",
        active_flg: false,
        gain: 1.2,
        binning: 2,
        pixel_scale: 0.4,
        time_keyword: "",
        additional_info: "cooled",
        readout_noise: 2,
      });
    });

    it("POST /api/observatories/{name}/cameras/ — other user → 403; staff → 201; unknown observatory → 404; duplicate → 400", async () => {
      const url = `/api/observatories/${path("Cam Obs")}/cameras/`;
      expect((await t.call("POST", url, { camera_name: "Three" }, bob.token)).statusCode).toBe(403);
      expect((await t.call("POST", url, { camera_name: "Three" }, staff.token)).statusCode).toBe(201);
      expect(
        (await t.call("POST", "/api/observatories/Nope/cameras/", { camera_name: "X" }, alice.token))
          .statusCode,
      ).toBe(404);
      const dup = await t.call("POST", url, { camera_name: "Two" }, alice.token);
      expect(dup.statusCode).toBe(400);
      expect(dup.json()).toEqual({ camera_name: ["This observatory already has a camera with this name."] });
      const unknown = await t.call("POST", url, { camera_name: "Four", active_flg: true }, alice.token);
      expect(unknown.json()).toEqual({ active_flg: ["Unknown field."] });
    });

    it("PATCH /api/cameras/{oname}/ — owner changes fields and renames (ONAME follows); other user → 403; unknown → 404", async () => {
      const cam = created(
        await t.call(
          "PATCH",
          `/api/cameras/${path("Cam Obs_Two")}/`,
          { camera_name: "Deux", readout_noise: 7.5 },
          alice.token,
        ),
        200,
      );
      expect(cam).toMatchObject({ camera_name: "Deux", prefix: "Cam Obs_Deux", readout_noise: 7.5 });
      expect(
        (await t.call("PATCH", `/api/cameras/${path("Cam Obs_Deux")}/`, { gain: 9 }, bob.token)).statusCode,
      ).toBe(403);
      expect(
        (await t.call("PATCH", `/api/cameras/${path("Cam Obs_Two")}/`, { gain: 9 }, alice.token)).statusCode,
      ).toBe(404);
      const bad = await t.call(
        "PATCH",
        `/api/cameras/${path("Cam Obs_Deux")}/`,
        { binning: 100, gain: -1 },
        alice.token,
      );
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({
        binning: ["Ensure this value is less than or equal to 64."],
        gain: ["Ensure this value is greater than 0."],
      });
    });

    it("POST /api/cameras/{oname}/activate/ — staff → 200 active; owner → 403; unknown → 404; deactivate → inactive", async () => {
      expect(
        (await t.call("POST", `/api/cameras/${path("Cam Obs_One")}/activate/`, undefined, alice.token))
          .statusCode,
      ).toBe(403);
      expect((await activate("Cam Obs_One")).active_flg).toBe(true);
      expect((await t.call("POST", "/api/cameras/nope_x/activate/", undefined, staff.token)).statusCode).toBe(
        404,
      );
      const found = await service.findActiveCameraByOname(t.tdb.database.db, "Cam Obs_One");
      expect(found?.observatory.name).toBe("Cam Obs");
      expect(found?.camera.activeFlg).toBe(true);
      const off = await t.call(
        "POST",
        `/api/cameras/${path("Cam Obs_Deux")}/deactivate/`,
        undefined,
        staff.token,
      );
      expect(created(off, 200).active_flg).toBe(false);
    });

    it.runIf(engine === "pglite")("CLI: skytom observatory activate ONAME, list --json", () => {
      const env = { ...process.env, SKYTOM_DATA: t.tdb.dataDir, DATABASE_URL: "", LOG_LEVEL: "warn" };
      const run = (...args: string[]) =>
        spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: 60_000 });
      const act = run("observatory", "activate", "Cam Obs_Deux");
      expect(act.stderr).toBe("");
      expect(act.stdout.trim()).toBe("activated Cam Obs_Deux");
      const list = JSON.parse(run("observatory", "list", "--json").stdout) as Array<{
        name: string;
        cameras: Array<{ prefix: string; active_flg: boolean }>;
      }>;
      const obs = list.find((o) => o.name === "Cam Obs");
      expect(obs?.cameras.find((c) => c.prefix === "Cam Obs_Deux")?.active_flg).toBe(true);
      const table = run("observatory", "list");
      expect(table.stdout).toMatch(/^oname\s+active\s+observatory/m);
      const unknown = run("observatory", "activate", "nope_x");
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toMatch(/Camera with this ONAME does not exist/);
    });
  });

  describe("POST /observatory/getObservatoryList/", () => {
    const BULK = 205;
    const inBulk = { created_start: "2001-01-01", created_end: "2001-01-02T00:00:00Z" };
    const list = (body: Record<string, unknown>, token = bob.token) =>
      t.call("POST", "/observatory/getObservatoryList/", body, token);

    beforeAll(async () => {
      const db = t.tdb.database.db;
      const owner = await userId("alice");
      const rows = await repo.insertObservatories(
        db,
        Array.from({ length: BULK }, (_, i) => ({
          name: `Bulk ${String(i).padStart(3, "0")}`,
          lon: -180 + i,
          lat: i % 2 ? 10 : -10,
          userId: owner,
          created: new Date(Date.UTC(2001, 0, 1) + i * 60_000),
        })),
      );
      await repo.insertCameras(
        db,
        rows.flatMap((o, i) => [
          {
            observatoryId: o.id,
            userId: owner,
            cameraName: "a",
            prefix: `${o.name}_a`,
            activeFlg: i % 3 === 0,
          },
          { observatoryId: o.id, userId: owner, cameraName: "b", prefix: `${o.name}_b`, activeFlg: false },
        ]),
      );
    });

    it("205 observatories: page 1 holds 200, page 2 the last 5, oldest first, each with its cameras", async () => {
      const p1 = created(await list({ ...inBulk }), 200);
      expect(p1).toMatchObject({ count: BULK, num_pages: 2, current_page: 1 });
      expect(p1.data).toHaveLength(200);
      expect(p1.data[0].name).toBe("Bulk 000");
      expect(p1.data[199].name).toBe("Bulk 199");
      expect(p1.data[0].cameras.map((c: { prefix: string }) => c.prefix)).toEqual([
        "Bulk 000_a",
        "Bulk 000_b",
      ]);
      const p2 = created(await list({ ...inBulk, page: 2 }), 200);
      expect(p2).toMatchObject({ count: BULK, num_pages: 2, current_page: 2 });
      expect(p2.data.map((o: { name: string }) => o.name)).toEqual([
        "Bulk 200",
        "Bulk 201",
        "Bulk 202",
        "Bulk 203",
        "Bulk 204",
      ]);
    });

    it("page numbers clamp as Django's Paginator: past the end or 0 → last page; not an integer → page 1", async () => {
      for (const page of [3, 0, -1, false])
        expect((await list({ ...inBulk, page })).json().current_page).toBe(2);
      for (const page of ["abc", 1.5, null, "2.0"])
        expect((await list({ ...inBulk, page })).json().current_page).toBe(1);
      expect((await list({ ...inBulk, page: "2" })).json().current_page).toBe(2);
    });

    it("active_flg true → observatories with an active camera, listing only those; false → inactive ones", async () => {
      const active = created(await list({ ...inBulk, active_flg: true }), 200);
      expect(active.count).toBe(Math.ceil(BULK / 3));
      for (const o of active.data)
        expect(o.cameras.map((c: { prefix: string }) => c.prefix)).toEqual([`${o.name}_a`]);
      const inactive = created(await list({ ...inBulk, active_flg: "false" }), 200);
      expect(inactive.count).toBe(BULK);
      expect(inactive.data[0].cameras.map((c: { active_flg: boolean }) => c.active_flg)).toEqual([false]);
    });

    it("name, lon and lat are exact; created_start/created_end bound `created` (naive = UTC, offsets honoured)", async () => {
      expect(created(await list({ name: "Bulk 007" }), 200).data.map((o: { lon: number }) => o.lon)).toEqual([
        -173,
      ]);
      expect(created(await list({ ...inBulk, lon: -173 }), 200).count).toBe(1);
      expect(created(await list({ ...inBulk, lat: 10 }), 200).count).toBe(102);
      expect(created(await list({ name: "Bulk" }), 200).count).toBe(0);
      // Bulk i was created at 2001-01-01T00:00Z + i minutes.
      const window = await list({
        created_start: "2001-01-01 00:10",
        created_end: "2001-01-01T02:19:59+02:00",
      });
      expect(created(window, 200).count).toBe(10);
      const naive = await list({
        created_start: "2001-01-01T0:00:00",
        created_end: "2001-01-01T00:00:00.000Z",
      });
      expect(created(naive, 200).data.map((o: { name: string }) => o.name)).toEqual(["Bulk 000"]);
    });

    it('null, "" and unknown keys are ignored (as BHTOM2)', async () => {
      const res = await list({ ...inBulk, name: "", lon: null, lat: null, active_flg: null, whatever: 1 });
      expect(created(res, 200).count).toBe(BULK);
    });

    it("a malformed date or a non-number lon → 400 naming the field", async () => {
      const res = await list({
        created_start: "yesterday",
        created_end: "2023-02-30T00:00:00Z",
        lon: "east",
      });
      expect(res.statusCode).toBe(400);
      expect(Object.keys(res.json()).sort()).toEqual(["created_end", "created_start", "lon"]);
      const dates = await list({ created_start: "yesterday", created_end: "2023-02-30T00:00:00Z" });
      expect(dates.json()).toEqual({
        created_start: [
          "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        ],
        created_end: [
          "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        ],
      });
    });

    it("anonymous → 401; GET → 405", async () => {
      expect((await t.call("POST", "/observatory/getObservatoryList/", {})).statusCode).toBe(401);
      expect((await t.call("GET", "/observatory/getObservatoryList/", undefined, bob.token)).statusCode).toBe(
        405,
      );
    });

    it("getFavouriteObservatory pages favourites too: 205 → 200 + 5", async () => {
      const db = t.tdb.database.db;
      const collector = await t.user("collector");
      const id = await userId("collector");
      const cams = await db.select().from(cameras).where(eq(cameras.cameraName, "a"));
      const bulk = cams.filter((c) => c.prefix.startsWith("Bulk "));
      expect(bulk).toHaveLength(BULK);
      await repo.insertFavourites(
        db,
        bulk.map((c, i) => ({
          userId: id,
          cameraId: c.id,
          created: new Date(Date.UTC(2002, 0, 1) + i * 1000),
        })),
      );
      const p1 = created(
        await t.call("POST", "/observatory/getFavouriteObservatory/", {}, collector.token),
        200,
      );
      expect(p1).toMatchObject({ count: BULK, num_pages: 2, current_page: 1 });
      expect(p1.data).toHaveLength(200);
      const p2 = created(
        await t.call("POST", "/observatory/getFavouriteObservatory/", { page: 9 }, collector.token),
        200,
      );
      expect(p2.current_page).toBe(2);
      expect(p2.data.map((f: { oname: string }) => f.oname)).toEqual(bulk.slice(200).map((c) => c.prefix));
    });
  });

  describe("favourites", () => {
    let fav: { id: number };

    beforeAll(async () => {
      const obs = await createObservatory(bob.token, "Fav Obs", "Active");
      await activate(obs.cameras[0].prefix);
      created(
        await t.call(
          "POST",
          `/api/observatories/${path("Fav Obs")}/cameras/`,
          { camera_name: "Idle" },
          bob.token,
        ),
      );
    });

    const add = (body: unknown, token = alice.token) =>
      t.call("POST", "/observatory/addFavouriteObservatory/", body, token);
    const mine = (body: Record<string, unknown>, token = alice.token) =>
      t.call("POST", "/observatory/getFavouriteObservatory/", body, token);

    it("POST /observatory/addFavouriteObservatory/ — user → 201 with the comment; again → 400 already exists", async () => {
      const res = await add({ observatory: "Fav Obs", camera: "Active", comment: "my scope" });
      fav = created(res).favourite;
      expect(fav).toMatchObject({
        oname: "Fav Obs_Active",
        comment: "my scope",
        user: await userId("alice"),
      });
      const again = await add({ oname: "Fav Obs_Active" });
      expect(again.statusCode).toBe(400);
      expect(again.json()).toEqual({ detail: "This observatory already exists in yours favourite list" });
    });

    it("POST /observatory/addFavouriteObservatory/ — BHTOM's messages as {detail} with 400/404", async () => {
      const cases: Array<[unknown, number, string]> = [
        [{}, 400, "Either (Observatory and Camera) or ONAME is required"],
        [{ observatory: "Fav Obs" }, 400, "Either (Observatory and Camera) or ONAME is required"],
        [{ observatory: "Nope", camera: "Active" }, 404, "Observatory with this name does not exist"],
        [
          { observatory: "Fav Obs", camera: "Nope" },
          404,
          "Camera with this name does not exist for this observatory",
        ],
        [{ oname: "Fav Obs_Nope" }, 404, "Camera with this name does not exist for this observatory"],
        [{ oname: "Fav Obs_Idle" }, 400, "Observatory is not active"],
      ];
      for (const [body, status, detail] of cases) {
        const res = await add(body);
        expect(res.statusCode, JSON.stringify(body)).toBe(status);
        expect(res.json()).toEqual({ detail });
      }
      const unknown = await add({ oname: "Fav Obs_Active", favourite: true });
      expect(unknown.json()).toEqual({ favourite: ["Unknown field."] });
      expect(
        (await t.call("POST", "/observatory/addFavouriteObservatory/", { oname: "Fav Obs_Active" }))
          .statusCode,
      ).toBe(401);
    });

    it("a deactivated favourite added again is active again", async () => {
      await repo.updateFavouriteRow(t.tdb.database.db, fav.id, { activeFlg: false });
      const res = await add({ oname: "Fav Obs_Active", comment: "back" });
      expect(created(res).favourite).toMatchObject({ id: fav.id, active_flg: true, comment: "back" });
    });

    it("POST /observatory/getFavouriteObservatory/ — a user sees only their own", async () => {
      created(await add({ oname: "Fav Obs_Active" }, john.token));
      const res = created(await mine({}), 200);
      expect(res.data.map((f: { user: number }) => f.user)).toEqual([await userId("alice")]);
      expect(created(await mine({ user: "alice" }), 200).count).toBe(1);
      expect(created(await mine({ user: await userId("alice") }), 200).count).toBe(1);
    });

    it("POST /observatory/getFavouriteObservatory/ — other user named → 403 (existing or not)", async () => {
      for (const user of ["JohnDoe", "nobody", await userId("JohnDoe")]) {
        const res = await mine({ user });
        expect(res.statusCode).toBe(403);
        expect(res.json().detail).toMatch(/only your own favourites/);
      }
    });

    it("POST /observatory/getFavouriteObservatory/ — staff names a user by username or id; unknown user → empty", async () => {
      const byName = created(await mine({ user: "JohnDoe", camera: "Active" }, staff.token), 200);
      expect(byName.data.map((f: { oname: string }) => f.oname)).toEqual(["Fav Obs_Active"]);
      const byId = created(
        await mine({ user: String(await userId("JohnDoe")), camera: "Fav Obs_Active" }, staff.token),
        200,
      );
      expect(byId.count).toBe(1);
      expect(created(await mine({ user: "nobody" }, staff.token), 200)).toEqual({
        count: 0,
        num_pages: 1,
        current_page: 1,
        data: [],
      });
      expect(created(await mine({}, staff.token), 200).count).toBe(0);
    });

    it("POST /observatory/getFavouriteObservatory/ — filters camera (name, ONAME, id), active_flg, created range", async () => {
      const camera = (await repo.findCameraByPrefix(t.tdb.database.db, "Fav Obs_Active"))!;
      for (const ref of ["Active", "Fav Obs_Active", camera.id]) {
        expect(created(await mine({ camera: ref }), 200).count).toBe(1);
      }
      expect(created(await mine({ camera: "Idle" }), 200).count).toBe(0);
      expect(created(await mine({ active_flg: false }), 200).count).toBe(0);
      expect(created(await mine({ active_flg: "true" }), 200).count).toBe(1);
      expect(created(await mine({ created_end: "2020-01-01" }), 200).count).toBe(0);
      expect(created(await mine({ created_start: "2020-01-01T00:00:00Z" }), 200).count).toBe(1);
      expect((await mine({ created_start: "soon" })).statusCode).toBe(400);
    });

    it("upload counters: ensureFavourite adds once; recordUpload counts files and bytes, shown in the list", async () => {
      const db = t.tdb.database.db;
      const camera = (await repo.findCameraByPrefix(db, "Fav Obs_Active"))!;
      const uploader = await t.user("uploader");
      const uid = await userId("uploader");
      const id = await service.ensureFavourite(db, uid, camera.id);
      expect(await service.ensureFavourite(db, uid, camera.id)).toBe(id);
      expect(await service.ensureFavourite(db, await userId("alice"), camera.id)).toBe(fav.id);
      await service.recordUpload(db, id, 1000);
      const counters = await service.recordUpload(db, id, 2500.5);
      expect(counters).toMatchObject({ number_of_uploaded_file: 2, file_size: 3500.5 });
      const item = created(await mine({}, uploader.token), 200).data[0];
      expect(item).toMatchObject({ id, number_of_uploaded_file: 2, file_size: 3500.5 });
      expect(item.last_file_process).toMatch(ISO_Z);
      await expect(service.recordUpload(db, 999_999, 1)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.recordUpload(db, id, -1)).rejects.toBeInstanceOf(RangeError);
      await expect(service.ensureFavourite(db, uid, 999_999)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("DELETE /observatory/deleteFavouriteObservatory/ — user removes their own → 200; again → 404; others' untouched", async () => {
      const url = "/observatory/deleteFavouriteObservatory/";
      expect((await t.call("DELETE", url, { oname: "Fav Obs_Active" }, bob.token)).statusCode).toBe(404);
      const res = await t.call("DELETE", url, { observatory: "Fav Obs", camera: "Active" }, alice.token);
      expect(created(res, 200)).toEqual({ Status: "deleted" });
      const again = await t.call("DELETE", url, { observatory: "Fav Obs", camera: "Active" }, alice.token);
      expect(again.statusCode).toBe(404);
      expect(again.json()).toEqual({ detail: "This observatory is not in your favourite list" });
      expect(created(await mine({}, john.token), 200).data.map((f: { oname: string }) => f.oname)).toContain(
        "Fav Obs_Active",
      );
    });

    it("DELETE /observatory/deleteFavouriteObservatory/ — unknown observatory/camera → 404; nothing named → 400; anonymous → 401", async () => {
      const url = "/observatory/deleteFavouriteObservatory/";
      const none = await t.call("DELETE", url, { observatory: "Nope", camera: "x" }, alice.token);
      expect(none.statusCode).toBe(404);
      expect(none.json()).toEqual({ detail: "Observatory with this name does not exist" });
      const cam = await t.call("DELETE", url, { observatory: "Fav Obs", camera: "x" }, alice.token);
      expect(cam.json()).toEqual({ detail: "Camera with this name does not exist for this observatory" });
      expect((await t.call("DELETE", url, {}, alice.token)).statusCode).toBe(400);
      expect((await t.call("DELETE", url, { oname: "Fav Obs_Active" })).statusCode).toBe(401);
    });
  });
});
