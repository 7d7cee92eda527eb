/** POST /upload/: every data product type, the bad inputs of the issue, and nothing left behind. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cameras,
  dataProducts,
  favourites,
  observatories,
  reducedDatums,
  spectra,
} from "../src/db/schema/index.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { multipart, type FilePart } from "./helpers/multipart.ts";

/** Every file under a directory (relative paths). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p.slice(dir.length + 1));
    }
  };
  walk(dir);
  return out.filter((p) => !p.startsWith("pg/") && p !== "skytom.pid" && !p.startsWith(".s.PGSQL"));
}

const CSV = "time,filter,magnitude,error\n60000.1,V,15.1,0.02\n60001.2,V,15.3,0.03\n60002.3,V,18.9,-1\n";
const CATALOGUE =
  "#   1 NUMBER\n#   2 ALPHA_J2000   [deg]\n#   3 DELTA_J2000   [deg]\n#   4 XWIN_IMAGE    [pixel]\n" +
  "#   5 YWIN_IMAGE    [pixel]\n#   6 MAG_AUTO      [mag]\n#   7 MAGERR_AUTO   [mag]\n" +
  "     1  150.010000  2.000000  1022.31  88.20  13.412  0.004\n";

describe.each(ENGINES)("POST /upload/ on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  const upload = (
    fields: Record<string, string | string[]>,
    files: FilePart[],
    who: TestUser | null = alice,
  ) => {
    const { payload, contentType } = multipart(fields, files);
    return t.app.inject({
      method: "POST",
      url: "/upload/",
      headers: { "content-type": contentType, ...(who ? { authorization: `Token ${who.token}` } : {}) },
      payload,
    });
  };
  const count = async (table: typeof dataProducts | typeof reducedDatums) =>
    (await t.tdb.database.db.select({ n: sql<number>`count(*)::int` }).from(table))[0].n;

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true, maxUploadFileBytes: 2 * 1024 * 1024 });
    alice = await t.user("alice");
    bob = await t.user("bob");
    expect(
      (await t.call("POST", "/targets/createTarget/", { name: "AT2025abju", ra: 150, dec: 2 }, alice.token))
        .statusCode,
    ).toBe(201);
    const db = t.tdb.database.db;
    const [obs] = await db
      .insert(observatories)
      .values({ name: "Obs", lon: 20, lat: 50, userId: null })
      .returning();
    const [calObs] = await db
      .insert(observatories)
      .values({ name: "CalOnly", lon: 21, lat: 51, calibrationFlg: true })
      .returning();
    await db.insert(cameras).values([
      { observatoryId: obs.id, cameraName: "Cam", prefix: "Obs_Cam", activeFlg: true },
      { observatoryId: obs.id, cameraName: "New", prefix: "Obs_New", activeFlg: false },
      { observatoryId: calObs.id, cameraName: "Cam", prefix: "CalOnly_Cam", activeFlg: true },
    ]);
  });
  afterAll(async () => t.close());

  it("a light-curve CSV becomes points at once: 201 with ids, status S, light curve and target updated", async () => {
    const res = await upload(
      {
        target: "AT2025abju",
        data_product_type: "photometry_csv",
        observatory: "GOTO",
        filter: "GaiaSP/any",
        dry_run: "False",
        observers: ["alice", "bob"],
      },
      [{ name: "lc.csv", content: CSV }],
    );
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.message).toMatch(/1 file\(s\) uploaded for AT2025abju/);
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      id: expect.any(Number),
      data_product_type: "photometry_csv",
      status: "S",
      points: 3,
    });
    expect(body.data[0].file).toMatch(/^targets\/AT2025abju\/photometry_csv\/[0-9a-f]{8}_lc\.csv$/);
    const [item] = (
      await t.call("POST", "/targets/getTargetList/", { name: "AT2025abju" }, alice.token)
    ).json().data;
    expect(item).toMatchObject({ mag_last: 15.3, mjd_last: 60001.2, filter_last: "V", has_optical: true });
    const plots = (
      await t.call("POST", "/targets/get-plots/", { targetNames: ["AT2025abju"] }, alice.token)
    ).json();
    expect(plots.Plots.AT2025abju.data.map((d: { name: string }) => d.name)).toEqual(["V", "V limit"]);
    const pts = await t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(sql`data_product_id = ${body.data[0].id}`);
    expect(pts.map((p) => [p.facility, p.observer])).toEqual([
      ["GOTO", "alice"],
      ["GOTO", "alice"],
      ["GOTO", "alice"],
    ]);
  });

  it("a CSV of 10,000 rows becomes 10,000 points", async () => {
    const rows = Array.from(
      { length: 10_000 },
      (_, i) => `${(58000 + i * 0.01).toFixed(5)},r,${(14 + (i % 100) / 100).toFixed(3)},0.01`,
    );
    const res = await upload(
      { target: "AT2025abju", data_product_type: "photometry_csv", observatory: "Big" },
      [{ name: "big.csv", content: `time,filter,magnitude,error\n${rows.join("\n")}\n` }],
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().data[0].points).toBe(10_000);
    const [{ n }] = await t.tdb.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(reducedDatums)
      .where(sql`data_product_id = ${res.json().data[0].id}`);
    expect(n).toBe(10_000);
  });

  it("an instrumental catalogue with an active camera is queued (status C), and the camera becomes a favourite", async () => {
    const res = await upload(
      {
        target: "AT2025abju",
        data_product_type: "photometry",
        observatory: "Obs_Cam",
        mjd: "60010.5",
        filter: "GaiaSP/V",
        match_dist: "-2",
      },
      [{ name: "frame.cat", content: CATALOGUE }],
      bob,
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().data[0]).toMatchObject({ status: "C", data_product_type: "photometry" });
    const jobs = await t.tdb.database.pool.query(
      "select data from pgboss.job where name = 'dataproducts.process'",
    );
    expect(jobs.rows.map((r) => r.data)).toContainEqual({ dataProductId: res.json().data[0].id });
    const favs = await t.tdb.database.db.select().from(favourites);
    expect(favs).toHaveLength(1);
    expect(favs[0]).toMatchObject({ numberOfUploadedFile: 1, fileSize: CATALOGUE.length });
    const [dp] = await t.tdb.database.db
      .select()
      .from(dataProducts)
      .where(sql`id = ${res.json().data[0].id}`);
    expect(dp).toMatchObject({
      mjd: 60010.5,
      filter: "GaiaSP/V",
      matchDist: null,
      observers: ["bob"],
      userId: expect.any(Number),
    });
  });

  it("several files per request (file_0, file_1), FITS queued; a spectrum is stored", async () => {
    const res = await upload(
      { target: "AT2025abju", data_product_type: "fits_file", observatory: "Obs_Cam" },
      [
        { field: "file_0", name: "a.fits", content: "SIMPLE  =                    T" },
        { field: "file_1", name: "b.fits", content: "SIMPLE  =                    T / b" },
      ],
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().data.map((d: { status: string }) => d.status)).toEqual(["C", "C"]);
    const spec = await upload(
      { target: "AT2025abju", data_product_type: "spectroscopy", observatory: "NOT" },
      [
        {
          name: "spec.txt",
          content: "# DATE-OBS: 2023-03-01T00:00:00\nwavelength flux\n4000 1e-15\n4001 2e-15\n",
        },
      ],
    );
    expect(spec.statusCode).toBe(201);
    expect(spec.json().data[0]).toMatchObject({ status: "S", points: 2 });
    const [row] = await t.tdb.database.db.select().from(spectra);
    expect(row).toMatchObject({ mjd: 60004, facility: "NOT", wavelength: [4000, 4001] });
  });

  it("dry run: processed, nothing on the light curve", async () => {
    const before = await count(reducedDatums);
    const res = await upload({ target: "AT2025abju", data_product_type: "photometry_csv", dry_run: "TRUE" }, [
      { name: "dry.csv", content: "time,filter,magnitude,error\n60100,V,15,0.1\n" },
    ]);
    expect(res.statusCode).toBe(201);
    expect(res.json().data[0].status_message).toMatch(/dry run/);
    expect(await count(reducedDatums)).toBe(before);
  });

  it("a dry run does not block: the same file uploaded for real afterwards is 201, the dry run stays visible to its uploader", async () => {
    const file = {
      name: "try-first.csv",
      content: "time,filter,magnitude,error\n60200,R,14,0.1\n60201,R,14.2,0.1\n",
    };
    const fields = { target: "AT2025abju", data_product_type: "photometry_csv", observatory: "GOTO" };
    const before = await count(reducedDatums);
    const dry = await upload({ ...fields, dry_run: "True" }, [file]);
    expect(dry.statusCode, dry.body).toBe(201);
    const again = await upload({ ...fields, dry_run: "True" }, [file]);
    expect(again.statusCode, again.body).toBe(201);
    expect(await count(reducedDatums)).toBe(before);
    const real = await upload({ ...fields, dry_run: "False" }, [file]);
    expect(real.statusCode, real.body).toBe(201);
    expect(real.json().data[0].points).toBe(2);
    expect(await count(reducedDatums)).toBe(before + 2);
    // The dry run's result is still there for its uploader.
    const dryId = dry.json().data[0].id as number;
    const listed = await t.call("POST", "/common/api/data/", { id: dryId }, alice.token);
    expect(listed.json().data[0]).toMatchObject({ id: dryId, dryRun: true, status: "S" });
    expect(listed.json().data[0].status_message).toMatch(/dry run/);
    // Once stored for real, the file is a duplicate again, for a dry run too (it would fail for real).
    const late = await upload({ ...fields, dry_run: "True" }, [file]);
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toContain(`as data product ${real.json().data[0].id as number}`);
  });

  it("the same file twice for a target → 409 naming the earlier data product", async () => {
    const res = await upload({ target: "AT2025abju", data_product_type: "photometry_csv" }, [
      { name: "again.csv", content: CSV },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toMatch(/already uploaded for AT2025abju as data product \d+/);
  });

  describe("bad input → 4xx with a clear message, and nothing left behind", () => {
    const cases: Array<[string, Record<string, string>, FilePart[], RegExp]> = [
      [
        "empty file",
        { target: "AT2025abju", data_product_type: "photometry_csv" },
        [{ name: "e.csv", content: "" }],
        /empty/,
      ],
      [
        "binary junk as CSV",
        { target: "AT2025abju", data_product_type: "photometry_csv" },
        [{ name: "j.csv", content: Buffer.from([0, 1, 2, 255, 254, 0, 7]) }],
        /not a text file|binary/,
      ],
      [
        "wrong columns",
        { target: "AT2025abju", data_product_type: "photometry_csv" },
        [{ name: "w.csv", content: "date,band,flux\n1,V,3\n" }],
        /missing: flux_error/,
      ],
      [
        "unknown target",
        { target: "NoSuchTarget", data_product_type: "photometry_csv" },
        [{ name: "u.csv", content: CSV + "\n" }],
        /^target: no target named "NoSuchTarget"/,
      ],
      [
        "unknown ONAME",
        { target: "AT2025abju", data_product_type: "photometry", observatory: "Nope_Cam", mjd: "60000" },
        [{ name: "c.cat", content: CATALOGUE }],
        /no camera with ONAME "Nope_Cam"/,
      ],
      [
        "inactive camera",
        { target: "AT2025abju", data_product_type: "photometry", observatory: "Obs_New", mjd: "60000" },
        [{ name: "c.cat", content: CATALOGUE + " " }],
        /not active yet/,
      ],
      [
        "missing mjd for photometry",
        { target: "AT2025abju", data_product_type: "photometry", observatory: "Obs_Cam" },
        [{ name: "c.cat", content: CATALOGUE + "  " }],
        /^mjd: required/,
      ],
      [
        "FITS to a calibration-only observatory",
        { target: "AT2025abju", data_product_type: "fits_file", observatory: "CalOnly_Cam" },
        [{ name: "x.fits", content: "SIMPLE" }],
        /calibration_flg/,
      ],
      [
        "unknown data product type",
        { target: "AT2025abju", data_product_type: "video" },
        [{ name: "v.mp4", content: "x" }],
        /^data_product_type/,
      ],
      [
        "bad filter",
        {
          target: "AT2025abju",
          data_product_type: "photometry",
          observatory: "Obs_Cam",
          mjd: "60000",
          filter: "Foo/Bar",
        },
        [{ name: "c.cat", content: CATALOGUE + "   " }],
        /^filter:/,
      ],
      [
        "unknown observer",
        { target: "AT2025abju", data_product_type: "photometry_csv", observers: "alice,ghost" },
        [{ name: "o.csv", content: CSV + "\n\n" }],
        /unknown user\(s\): ghost/,
      ],
      ["no file", { target: "AT2025abju", data_product_type: "photometry_csv" }, [], /no file/],
    ];
    for (const [name, fields, files, message] of cases) {
      it(name, async () => {
        const rowsBefore = await count(dataProducts);
        const pointsBefore = await count(reducedDatums);
        const filesBefore = filesUnder(t.tdb.dataDir);
        const res = await upload(fields, files);
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json().detail).toMatch(message);
        expect(await count(dataProducts)).toBe(rowsBefore);
        expect(await count(reducedDatums)).toBe(pointsBefore);
        expect(filesUnder(t.tdb.dataDir)).toEqual(filesBefore);
      });
    }

    it("a path-traversal file name is stored under a safe name inside the data directory", async () => {
      const res = await upload({ target: "AT2025abju", data_product_type: "photometry_csv" }, [
        { name: "../../../etc/passwd.csv", content: "time,filter,magnitude,error\n60200,V,15,0.1\n" },
      ]);
      expect(res.statusCode).toBe(201);
      expect(res.json().data[0].file).toMatch(
        /^targets\/AT2025abju\/photometry_csv\/[0-9a-f]{8}_passwd\.csv$/,
      );
    });

    it("a file over the size cap → 413, nothing stored", async () => {
      const rowsBefore = await count(dataProducts);
      const res = await upload(
        { target: "AT2025abju", data_product_type: "fits_file", observatory: "Obs_Cam" },
        [{ name: "huge.fits", content: Buffer.alloc(3 * 1024 * 1024, 1) }],
      );
      expect(res.statusCode).toBe(413);
      expect(await count(dataProducts)).toBe(rowsBefore);
      expect(filesUnder(t.tdb.dataDir).filter((f) => f.startsWith("tmp/"))).toEqual([]);
    });

    it("anonymous → 401; not multipart → 400", async () => {
      expect(
        (await upload({ target: "AT2025abju" }, [{ name: "a.csv", content: CSV }], null)).statusCode,
      ).toBe(401);
      const json = await t.call("POST", "/upload/", { target: "AT2025abju" }, alice.token);
      expect(json.statusCode).toBe(400);
    });
  });
});
